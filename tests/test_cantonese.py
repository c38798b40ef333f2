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
    }
    for text, expected in cases.items():
        assert normalize(text) == expected and len(normalize(text)) == len(text)
    assert normalize.many(list(cases)) == list(cases.values())


def test_a_cantonese_call_is_judged_and_quoted_in_cantonese() -> None:
    opening = ("agent", "你好,楠山農林客服部,請問有什麼可以幫到你?")
    promise = csqa.score(make_call(opening, ("customer", "幾時到?"), ("agent", "我保證聽日一定到")))
    check = promise.check("no-absolute-promises")
    assert check.status == "fail" and check.evidence[0].quote == "保證"
    negated = csqa.score(make_call(opening, ("customer", "幾時到?"), ("agent", "呢個我哋冇辦法保證,一般三日")))
    assert negated.check("no-absolute-promises").status == "pass"  # 冇辦法 negates, as 没办法 does
