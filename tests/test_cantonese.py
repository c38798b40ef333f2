"""Hong Kong calls written in Cantonese: function words fold to Mandarin for matching, one character for one,
so evidence still quotes the Cantonese the agent said."""

from __future__ import annotations

import csqa
from csqa.text.normalize import Normalizer
from tests.conftest import make_call


def test_cantonese_function_words_fold_character_for_character() -> None:
    normalize = Normalizer()
    cases = {
        "佢哋冇收到": "他们没收到",
        "唔係我哋嘅問題": "不是我们的问题",
        "我哋嘅關係": "我们的关系",  # 關係 is Traditional Mandarin's 关系, not Cantonese 是
        "你哋要乜嘢": "你们要什么",
        "唔,我睇下": "唔,我看下",  # 唔 on its own is a hesitation sound, not 不
        "已經寄咗俾你": "已经寄了给你",
        "关系": "关系",
        "仲有冇其他嘢": "还有没其他事",  # 仲 is 还 …
        "申請仲裁": "申请仲裁",  # … but not in the Mandarin word 仲裁
        "我點知": "我怎知",
        "唔得就係唔得": "不行就是不行",
        "呢個同我哋冇關係": "这个同我们没关系",
        "實係聽日朝早送到": "肯定明日朝早送到",
        "其實係咁": "其实是这",  # 其實 is Mandarin's 其实; only 實係 on its own is 肯定
        "好呢": "好呢",  # 呢 alone is the Mandarin particle
        "滴水好犀利 系咪呀": "滴水好犀利 是吗呀",  # raw ASR writes the tag 係咪 with a Simplified 系 …
        "联系系统": "联系系统",  # … while a Simplified 系 elsewhere stays 系
        "冇記錄就系冇記錄": "没记录就是没记录",  # … except in Cantonese text, where raw ASR writes 係 so
        "佢哋系统冇反應": "他们系统没反应",  # … though 系统 stays a word
        "呢個同我地冇關係架": "这个同我们没关系架",  # informal writing's 我地 is 我哋
        "你地址唔啱": "你地址不啱",  # … but 你地址 is your address
    }
    for text, expected in cases.items():
        assert normalize(text) == expected and len(normalize(text)) == len(text)
    assert normalize.many(list(cases)) == list(cases.values())


def test_a_cantonese_call_is_judged_and_quoted_in_cantonese() -> None:
    opening = ("agent", "你好,楠山農林客服部,請問有什麼可以幫到你?")
    promise = csqa.score(make_call(opening, ("customer", "幾時到?"), ("agent", "我保證聽日一定到")))
    check = promise.check("no-absolute-promises")
    assert check.status == "fail" and check.evidence[0].quote == "我保證"  # the agent's own word given
    negated = csqa.score(make_call(opening, ("customer", "幾時到?"), ("agent", "呢個我哋冇辦法保證,一般三日")))
    assert negated.check("no-absolute-promises").status == "pass"  # 冇辦法 negates, as 没办法 does


def test_spoken_forms_of_the_scripts_words_match_cantonese_and_colloquial_lines() -> None:
    """A phrase written with 什么 / 没有 / 帮忙 / 怎么知道 also matches 啥 (咩) / 没 (冇) / 帮手 / 怎知 (點知):
    the rule file's ``[matching] equivalents``."""
    opening = ("agent", "你好,楠山農林客服部,請問有咩可以幫到你?")
    report = csqa.score(make_call(opening, ("customer", "我張單未到"), ("agent", "請問仲有冇其他嘢需要幫手?"),
                                  ("customer", "冇喇"), ("agent", "多謝你嘅來電,拜拜")))
    assert report.check("standard-greeting").status == "pass"
    assert report.check("offer-further-help").status == "pass"
    curt = csqa.score(make_call(opening, ("customer", "幾時到?"), ("agent", "我點知啊")))
    assert curt.check("no-forbidden-phrases").status == "fail"
    assert curt.check("no-forbidden-phrases").evidence[0].quote == "我點知"
    mandarin = csqa.score(make_call(("agent", "您好,楠山农林客服部,有啥可以帮您?")))
    assert mandarin.check("standard-greeting").status == "pass"
