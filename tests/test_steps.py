"""The phone-handling steps: each check's pass and fail cases, evidence spans and suggestions."""

from __future__ import annotations

import pytest

import csqa
from tests.conftest import make_call

GREETING = "您好!楠山农林客服部,请问有什么能帮您?"
MATTER = "我想问一下我订的树苗什么时候发货"
RESTATE = "您是咨询有关树苗发货时间的问题,是吗?"
CLOSING = ("请问还需要其它的帮助吗?", "感谢您的来电,再见!")


def inbound(*agent_and_customer: tuple[str, str], **fields: object) -> dict[str, object]:
    fields.setdefault("rings", 1)
    fields.setdefault("hangup_by", "customer")
    return make_call(*agent_and_customer, **fields)


def status(scorer: csqa.Scorer, call: dict[str, object], rule: str) -> csqa.CheckResult:
    return scorer.score(call).check(rule)


def assert_evidence_quotes_original(call: dict[str, object], result: csqa.CheckResult) -> None:
    texts = [u["text"] for u in call["utterances"]]  # type: ignore[index]
    for ev in result.evidence:
        if ev.utterance is not None:
            assert texts[ev.utterance][ev.start : ev.end] == ev.quote


FULL = [("agent", GREETING), ("customer", MATTER), ("agent", RESTATE), ("customer", "对的"),
        ("agent", "您的树苗明天发货。" + CLOSING[0]), ("customer", "没有了,谢谢"), ("agent", CLOSING[1])]


def test_compliant_call_passes_every_step(scorer: csqa.Scorer) -> None:
    report = scorer.score(inbound(*FULL))
    judged = {c.rule: c.status for c in report.checks if c.status in ("pass", "fail")}
    assert judged == {
        "answer-within-three-rings": "pass",
        "standard-greeting": "pass",
        "restate-question": "pass",
        "offer-further-help": "pass",
        "thank-and-goodbye": "pass",
        "customer-hangs-up-first": "pass",
        "no-forbidden-phrases": "pass",
        "no-filler-words": "pass",
        "no-arguing": "pass",
        "no-chatting-before-hangup": "pass",
        "no-absolute-promises": "pass",
    }
    assert report.score == 100.0 and report.passed is True


# --- answer-within-three-rings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"rings": 0}, "pass"),
        ({"rings": 3}, "pass"),
        ({"rings": 4}, "fail"),
        ({"rings": None, "ring_seconds": 14.9}, "pass"),
        ({"rings": None, "ring_seconds": 15.0}, "fail"),
        ({"rings": 2, "ring_seconds": 40.0}, "pass"),  # rings wins when both are present
        ({"rings": None}, "not_assessable"),
        ({"rings": 9, "direction": "outbound"}, "not_applicable"),
    ],
)
def test_answer_within_three_rings(scorer: csqa.Scorer, fields: dict[str, object], expected: str) -> None:
    call = inbound(*FULL, **fields)
    result = status(scorer, call, "answer-within-three-rings")
    assert result.status == expected
    if expected == "fail":
        assert result.evidence[0].field in ("rings", "ring_seconds")
        assert result.suggestion == "电话在响三声之内接起。"
        assert_evidence_quotes_original(call, result)


def test_ring_cycle_is_configurable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "site.toml"
    rules.write_text('extends = "default"\n[timing]\nring_cycle_seconds = 6.0\n', encoding="utf-8")
    scorer = csqa.Scorer(rules)
    assert scorer.score(inbound(*FULL, rings=None, ring_seconds=16.0)).check("answer-within-three-rings").status == "pass"


# --- standard-greeting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opening",
    [
        GREETING,
        "您好,楠山农林客服部,很高兴为您服务",
        "您好 楠山农林客服中心 请问有什么可以帮您",  # no punctuation
        "您好!楠山農林客服部,請問有什麼能幫您?",  # Traditional
        "你好 南山农林客服部 嗯 有什么可以帮你",  # ASR: 你好, homophone 南山, filler
        "您好,这里是客户服务中心,8号客服为您服务,请问有什么可以帮您",
        "早上好,楠山农林,有什么需要帮助的吗",
    ],
)
def test_greeting_passes(scorer: csqa.Scorer, opening: str) -> None:
    result = status(scorer, inbound(("agent", opening), ("customer", MATTER)), "standard-greeting")
    assert result.status == "pass", result.message


def test_greeting_split_over_two_segments_of_one_turn(scorer: csqa.Scorer) -> None:
    call = inbound(("agent", "您好,楠山农林客服部"), ("agent", "请问有什么可以帮您"), ("customer", MATTER))
    assert status(scorer, call, "standard-greeting").status == "pass"


@pytest.mark.parametrize(
    ("opening", "missing"),
    [
        ("您好,请问有什么可以帮您?", "company or department"),
        ("楠山农林客服部,请问有什么可以帮您?", "greeting"),
        ("您好,楠山农林客服部。", "offer of help"),
        ("喂,说吧", "greeting"),
    ],
)
def test_greeting_fails_and_names_the_missing_part(scorer: csqa.Scorer, opening: str, missing: str) -> None:
    call = inbound(("agent", opening), ("customer", MATTER))
    result = status(scorer, call, "standard-greeting")
    assert result.status == "fail"
    assert missing in result.message
    assert result.suggestion == GREETING
    assert result.evidence[0].utterance == 0
    assert_evidence_quotes_original(call, result)


def test_greeting_later_in_the_call_does_not_count(scorer: csqa.Scorer) -> None:
    call = inbound(("agent", "喂"), ("customer", MATTER), ("agent", GREETING))
    assert status(scorer, call, "standard-greeting").status == "fail"


def test_greeting_finished_after_a_customer_interjection(scorer: csqa.Scorer) -> None:
    call = inbound(("agent", "您好,楠山农林客服部"), ("customer", "喂?"), ("agent", "请问有什么可以帮您?"), ("customer", MATTER))
    assert status(scorer, call, "standard-greeting").status == "pass"


def test_company_override_changes_what_counts(scorer: csqa.Scorer) -> None:
    other = csqa.Scorer(company="青禾优选")
    call = inbound(("agent", "您好,青禾优选欢迎您,有什么可以帮您"), ("customer", MATTER))  # in no place a default pattern reads
    assert other.score(call).check("standard-greeting").status == "pass"
    assert scorer.score(call).check("standard-greeting").status == "fail"
    assert other.score(inbound(("agent", "您好"), ("customer", MATTER))).check("standard-greeting").suggestion == (
        "您好!青禾优选客服部,请问有什么能帮您?"
    )


def test_greeting_not_applicable_outbound_and_not_assessable_without_agent(scorer: csqa.Scorer) -> None:
    assert status(scorer, inbound(*FULL, direction="outbound"), "standard-greeting").status == "not_applicable"
    assert status(scorer, inbound(("customer", "喂?")), "standard-greeting").status == "not_assessable"


# --- restate-question ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "restatement",
    [
        RESTATE,
        "您的意思是树苗到现在还没有发货",
        "我跟您确认一下,您订的树苗想知道哪天发货",
        "您是想了解树苗的发货时间对吗",
        "您是諮詢有關樹苗發貨時間的問題,是嗎",  # Traditional
        "嗯 您是问那个树苗什么时候发货 是吧",  # ASR-ish
    ],
)
def test_restatement_passes(scorer: csqa.Scorer, restatement: str) -> None:
    call = inbound(("agent", GREETING), ("customer", MATTER), ("agent", restatement), ("customer", "对"),
                   ("agent", "明天发货"))
    result = status(scorer, call, "restate-question")
    assert result.status == "pass", result.message
    assert result.evidence[0].utterance == 2


def test_questions_for_details_may_come_before_the_restatement(scorer: csqa.Scorer) -> None:
    call = inbound(("agent", GREETING), ("customer", MATTER), ("agent", "请问您的订单号是多少?"),
                   ("customer", "NS12345"), ("agent", RESTATE), ("customer", "对"), ("agent", "明天发货"))
    assert status(scorer, call, "restate-question").status == "pass"


def test_answering_straight_away_fails(scorer: csqa.Scorer) -> None:
    call = inbound(("agent", GREETING), ("customer", MATTER), ("agent", "您的树苗明天就发货了"), ("customer", "好"))
    result = status(scorer, call, "restate-question")
    assert result.status == "fail"
    assert result.evidence[0].utterance == 2 and result.evidence[1].utterance == 1
    assert result.suggestion is not None and result.suggestion.startswith("您是咨询有关") and "树苗" in result.suggestion
    assert_evidence_quotes_original(call, result)


def test_an_answer_that_starts_with_a_back_channel_is_still_an_answer(scorer: csqa.Scorer) -> None:
    call = inbound(("agent", GREETING), ("customer", MATTER), ("agent", "好的,明天发货。"))
    result = status(scorer, call, "restate-question")
    assert result.status == "fail" and result.evidence[0].quote == "好的,明天发货"


def test_a_bare_shi_ma_that_restates_nothing_fails(scorer: csqa.Scorer) -> None:
    call = inbound(("agent", GREETING), ("customer", MATTER), ("agent", "您是要开发票是吗"), ("customer", "不是"),
                   ("agent", "那您明天再打过来吧"))
    result = status(scorer, call, "restate-question")
    assert result.status == "fail"
    assert "does not restate" in result.message


def test_restating_after_the_answer_is_too_late(scorer: csqa.Scorer) -> None:
    call = inbound(("agent", GREETING), ("customer", MATTER), ("agent", "明天就发货了"), ("agent", RESTATE))
    assert status(scorer, call, "restate-question").status == "fail"


@pytest.mark.parametrize(
    "customer",
    [["喂", "嗯好的", "没有了谢谢"], ["不好意思我打错了"]],
)
def test_no_matter_is_not_applicable(scorer: csqa.Scorer, customer: list[str]) -> None:
    turns = [("agent", GREETING)] + [("customer", c) for c in customer] + [("agent", "好的再见")]
    assert status(scorer, inbound(*turns), "restate-question").status == "not_applicable"


def test_callback_survey_with_scores_is_not_applicable(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", "王女士您好,这里是楠山农林客服部,想请您给我们的服务打个分"), ("customer", "十分,非常满意"),
                     ("agent", "非常抱歉打搅您了,感谢您对我们工作的支持!再见!"), direction="outbound")
    assert status(scorer, call, "restate-question").status == "not_applicable"


def test_callback_customer_matter_is_checked(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", "王女士您好,这里是楠山农林客服部"), ("customer", "你好,正好我想问一下我的发票什么时候能开"),
                     ("agent", "发票下周寄给您"), direction="outbound")
    assert status(scorer, call, "restate-question").status == "fail"


# --- offer-further-help / thank-and-goodbye ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("closing", "offer", "goodbye"),
    [
        (["请问还需要其它的帮助吗?", "感谢您的来电,再见!"], "pass", "pass"),
        (["还有其他问题吗", "好的,谢谢您,再见"], "pass", "pass"),
        (["請問還需要其它的幫助嗎", "感謝您的來電,再見"], "pass", "pass"),  # Traditional
        (["还有什么可以帮您的吗", "谢谢来电 拜拜"], "pass", "pass"),
        (["嗯 还有别的问题吗", "谢谢 在见"], "pass", "pass"),  # homophone 在见
        (["好的", "再见"], "fail", "fail"),  # no thanks
        (["那就这样", "感谢您的来电"], "fail", "fail"),  # no goodbye
    ],
)
def test_closing_steps(scorer: csqa.Scorer, closing: list[str], offer: str, goodbye: str) -> None:
    turns = [("agent", GREETING), ("customer", MATTER), ("agent", RESTATE), ("customer", "对"),
             ("agent", "明天发货"), *(("agent", c) for c in closing)]
    report = scorer.score(inbound(*turns))
    assert report.check("offer-further-help").status == offer
    assert report.check("thank-and-goodbye").status == goodbye


def test_offer_of_help_too_early_does_not_count(scorer: csqa.Scorer) -> None:
    turns = [("agent", GREETING), ("customer", MATTER), ("agent", "还有其他问题吗"), ("customer", "还有个事"),
             ("agent", "您说"), ("agent", "好的明天发货"), ("agent", "后天到"), ("agent", "感谢来电再见")]
    result = status(scorer, inbound(*turns), "offer-further-help")
    assert result.status == "fail"
    assert result.suggestion == "请问还需要其它的帮助吗?"


def test_the_wrap_up_reaches_back_over_at_most_wrap_up_window_utterances(scorer: csqa.Scorer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    turns = [("agent", GREETING), ("customer", MATTER), ("agent", "明天发货"), ("agent", "请问还有其他可以帮您的吗"),
             ("customer", "没有了谢谢"), ("agent", "您客气了"), ("agent", "麻烦给个评价"), ("agent", "祝您生活愉快"),
             ("agent", "感谢您的咨询,再见")]
    assert status(scorer, inbound(*turns), "offer-further-help").status == "pass"
    rules = tmp_path / "site.toml"
    rules.write_text('extends = "default"\n[timing]\nwrap_up_window = 0\n', encoding="utf-8")
    assert status(csqa.Scorer(rules), inbound(*turns), "offer-further-help").status == "fail"


@pytest.mark.parametrize(
    ("between", "expected"),
    [
        (["您客气啦[玫瑰]", "麻烦给个评价哦"], "pass"),  # closing courtesies do not use up the last three
        (["[微笑]", "#E-s01", "祝您生活愉快"], "pass"),  # emoticon codes alone say nothing
        (["下单后我们会尽快安排发货", "现在下单还送同款旅行装一支哦"], "fail"),  # words of substance do
        (["下单后我们会尽快安排发货", "您客气啦"], "pass"),
    ],
)
def test_the_closing_counts_only_what_is_more_than_courtesy(scorer: csqa.Scorer, between: list[str], expected: str) -> None:
    turns = [("agent", GREETING), ("customer", MATTER), ("agent", "明天发货"), ("agent", "好嘞,还有其他想了解的吗?"),
             ("customer", "没有了"), *(("agent", text) for text in between), ("agent", "感谢亲的信任,拜拜~")]
    assert status(scorer, inbound(*turns), "offer-further-help").status == expected


def test_goodbye_fail_names_the_missing_part(scorer: csqa.Scorer) -> None:
    result = status(scorer, inbound(("agent", GREETING), ("customer", MATTER), ("agent", "好的再见")), "thank-and-goodbye")
    assert result.status == "fail" and "thanks" in result.message and "goodbye" not in result.message.split("lacks:")[1]


def test_chatter_after_the_goodbye_does_not_push_the_closing_out(scorer: csqa.Scorer) -> None:
    turns = [("agent", GREETING), ("customer", MATTER), ("agent", RESTATE), ("customer", "对"), ("agent", "明天发货"),
             ("agent", "请问还需要其它的帮助吗"), ("customer", "没有了"), ("agent", "感谢您的来电,再见"),
             ("agent", "小李,你过来一下"), ("agent", "这个单子你看看"), ("agent", "放那吧")]
    report = scorer.score(inbound(*turns))
    assert report.check("offer-further-help").status == "pass"
    assert report.check("thank-and-goodbye").status == "pass"


def test_a_goodbye_before_a_new_matter_is_not_the_closing(scorer: csqa.Scorer) -> None:
    turns = [("agent", GREETING), ("customer", MATTER), ("agent", "还有其他问题吗?好的再见"),
             ("customer", "等一下,我还想问一下发票什么时候开"), ("agent", "发票明天开"), ("agent", "好的")]
    report = scorer.score(inbound(*turns))
    assert report.check("thank-and-goodbye").status == "fail"
    assert report.check("offer-further-help").status == "pass"


def test_untimed_transfer_is_placed_from_the_agents_words(scorer: csqa.Scorer) -> None:
    transfer = [{"type": "transfer", "start": 20.0}]
    ended = inbound(("agent", GREETING), ("customer", "我要开发票"), ("agent", "发票是财务部负责的,我帮您转到财务部可以吗?"),
                    ("customer", "行"), events=transfer)
    assert status(scorer, ended, "thank-and-goodbye").status == "not_applicable"
    taken = inbound(("agent", GREETING), ("customer", "我要开发票"), ("agent", "这个财务部负责,我给您转过去"),
                    ("agent", "您好,财务部,请讲"), ("customer", "开发票"), ("agent", "好的,已经开好了"),
                    events=transfer)
    assert status(scorer, taken, "thank-and-goodbye").status == "fail"  # the colleague's closing is judged
    unplaced = inbound(("agent", GREETING), ("customer", "我要开发票"), ("agent", "好的,我记一下"), events=transfer)
    assert status(scorer, unplaced, "thank-and-goodbye").status == "not_assessable"


def test_closing_after_a_handoff_is_not_applicable(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", GREETING, 0.0, 3.0), ("customer", MATTER, 3.5, 6.0),
                     ("agent", "我帮您转接物流部门可以吗", 6.5, 9.0), ("customer", "可以", 9.2, 9.8),
                     rings=1, hangup_by="customer", events=[{"type": "transfer", "start": 10.0}])
    report = scorer.score(call)
    assert report.check("offer-further-help").status == "not_applicable"
    assert report.check("thank-and-goodbye").status == "not_applicable"


# --- customer-hangs-up-first -----------------------------------------------------------------------------


@pytest.mark.parametrize(("hangup", "expected"),
                         [("customer", "pass"), ("客户", "pass"), ("agent", "fail"), (None, "not_assessable")])
def test_customer_hangs_up_first(scorer: csqa.Scorer, hangup: str | None, expected: str) -> None:
    call = inbound(*FULL, hangup_by=hangup)
    result = status(scorer, call, "customer-hangs-up-first")
    assert result.status == expected
    if expected == "fail":
        assert result.evidence[0].field == "hangup_by"
        assert result.evidence[1].utterance == len(FULL) - 1


# --- callback-introduction / callback-closing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        ("王先生您好,这里是楠山农林客服部。", "pass"),
        ("王先生您好 这里是南山农林客服部 回访一下您的订单", "pass"),
        ("李女士您好,我是楠山农林的回访专员", "pass"),
        ("王先生您好,我想回访一下您上次的订单", "fail"),  # never says who is calling
        ("这里是楠山农林客服部,回访一下订单", "fail"),  # no greeting
        ("李先生是吧?我这边楠山农林的", "fail"),
    ],
)
def test_callback_introduction(scorer: csqa.Scorer, opening: str, expected: str) -> None:
    call = make_call(("agent", opening), ("customer", "你好"), direction="outbound", hangup_by="customer")
    result = status(scorer, call, "callback-introduction")
    assert result.status == expected, result.message
    if expected == "fail":
        assert result.suggestion == "**先生/女士您好,这里是楠山农林客服部。"


@pytest.mark.parametrize(
    ("closing", "expected"),
    [
        ("非常抱歉打搅您了,感谢您对我们工作的支持!再见!", "pass"),
        ("不好意思打扰您了 谢谢您的配合 再见", "pass"),
        ("非常抱歉打攪您了,感謝您對我們工作的支持!再見!", "pass"),
        ("感谢您的支持,再见", "fail"),  # no apology for the disturbance
        ("打扰了,再见", "fail"),  # no thanks
        ("非常抱歉打搅您了,感谢您对我们工作的支持", "fail"),  # no goodbye
    ],
)
def test_callback_closing(scorer: csqa.Scorer, closing: str, expected: str) -> None:
    call = make_call(("agent", "王先生您好,这里是楠山农林客服部"), ("customer", "你好"), ("agent", closing),
                     direction="outbound", hangup_by="customer")
    result = status(scorer, call, "callback-closing")
    assert result.status == expected, result.message
    assert status(scorer, {**call, "direction": "inbound"}, "callback-closing").status == "not_applicable"


# --- the score -------------------------------------------------------------------------------------------


def test_score_is_weighted_over_judged_rules_only(scorer: csqa.Scorer) -> None:
    report = scorer.score(inbound(*FULL[:-1], hangup_by=None, rings=None))
    weights = {c.rule: c.weight for c in report.checks}
    judged = [c for c in report.checks if c.status in ("pass", "fail")]
    passed = sum(c.weight for c in judged if c.status == "pass")
    assert report.score == round(100 * passed / sum(c.weight for c in judged), 2)
    assert "customer-hangs-up-first" not in {c.rule for c in judged} and weights


def test_critical_fail_vetoes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[rules.standard-greeting]\nseverity = "critical"\n', encoding="utf-8")
    scorer = csqa.Scorer(site)
    report = scorer.score(inbound(("agent", "楠山农林客服部"), *FULL[1:]))
    assert report.check("standard-greeting").status == "fail"
    assert report.vetoed == ("standard-greeting",) and report.score == 0.0 and report.passed is False


def test_no_judged_rule_gives_no_score(scorer: csqa.Scorer) -> None:
    report = scorer.score(make_call(direction="outbound"))
    assert report.score is None and report.passed is None
