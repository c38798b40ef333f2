"""Taboo and banned-phrase rules: evidence, per-hit suggestions, timing logic, thresholds from the rule file.

The documented examples in rules/docs/ hold the bulk of the positive and negative cases (each with its
reason); these tests pin down the mechanics around them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import csqa
from tests.conftest import make_call

GREETING = "您好!楠山农林客服部,请问有什么能帮您?"


def check(scorer: csqa.Scorer, call: dict[str, object], rule: str) -> csqa.CheckResult:
    result = scorer.score(call).check(rule)
    texts = [u["text"] for u in call["utterances"]]  # type: ignore[index]
    for ev in result.evidence:
        if ev.utterance is not None:
            assert texts[ev.utterance][ev.start : ev.end] == ev.quote
    return result


# --- no-forbidden-phrases --------------------------------------------------------------------------------


def test_each_banned_hit_carries_its_own_suggestion(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", GREETING), ("customer", "我的快递怎么还没到"), ("agent", "我怎么知道,这跟我们没关系"))
    result = check(scorer, call, "no-forbidden-phrases")
    assert result.status == "fail"
    assert [e.quote for e in result.evidence] == ["我怎么知道", "这跟我们没关系"]
    first, second = result.evidence
    assert first.suggestion and "查询" in first.suggestion
    assert second.suggestion and second.suggestion.startswith("很抱歉,关于**问题是由**部门负责的")
    assert result.suggestion == first.suggestion
    assert "我怎么知道!" in first.note


def test_customer_speech_never_counts(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", GREETING), ("customer", "我怎么知道!不行就是不行!你有病吧!这跟我们没关系"),
                     ("agent", "您先别着急,我来帮您查一下"))
    report = scorer.score(call)
    assert report.check("no-forbidden-phrases").status == "pass"
    assert report.check("no-arguing").status == "pass"


def test_homophone_hit_says_so(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", "这跟我们没关西"))
    result = check(scorer, call, "no-forbidden-phrases")
    assert result.status == "fail" and "homophone" in result.evidence[0].note


def test_a_banned_word_never_matches_across_two_words(scorer: csqa.Scorer) -> None:
    # 不能查 inside 不能查到 is not the curt refusal; 喂 in 喂养 is not a shout.
    call = make_call(("agent", "系统里不能查到三年前的订单"), ("agent", "树苗喂养的肥料我们也有"))
    assert check(scorer, call, "no-forbidden-phrases").status == "pass"


def test_critical_banned_phrase_vetoes_the_call(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", GREETING), ("customer", "我想问一下发货"), ("agent", "不行就是不行"), rings=1,
                     hangup_by="customer")
    report = scorer.score(call)
    assert "no-forbidden-phrases" in report.vetoed and report.score == 0.0


# --- no-interrupting -------------------------------------------------------------------------------------


def timed(*turns: tuple[str, str, float, float], **fields: object) -> dict[str, object]:
    return make_call(*turns, **fields)


def test_interruption_needs_timestamps(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", GREETING), ("customer", "我想问一下"))
    assert check(scorer, call, "no-interrupting").status == "not_assessable"


@pytest.mark.parametrize(
    ("agent_start", "agent_text", "expected"),
    [
        (5.0, "您这个情况我知道了,是物流的问题", "fail"),  # 3 s before the customer finishes
        (7.5, "您这个情况我知道了,是物流的问题", "pass"),  # within the 1 s tolerance
        (5.0, "嗯", "pass"),  # back-channel
        (5.0, "您继续讲", "pass"),  # the manual's own back-channel
        (5.0, "好的好的", "pass"),
    ],
)
def test_interruption(scorer: csqa.Scorer, agent_start: float, agent_text: str, expected: str) -> None:
    call = timed(("agent", GREETING, 0.0, 3.0), ("customer", "我上周订的树苗到现在还没有发货,订单号是一二三四五", 3.5, 8.0),
                 ("agent", agent_text, agent_start, agent_start + 2.0))
    result = check(scorer, call, "no-interrupting")
    assert result.status == expected
    if expected == "fail":
        assert [e.utterance for e in result.evidence] == [2, 1]


def test_interruption_tolerance_is_configurable(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[rules.no-interrupting.params]\ntolerance_seconds = 4.0\n', encoding="utf-8")
    call = timed(("customer", "我上周订的树苗到现在还没有发货", 0.0, 6.0), ("agent", "是物流的问题", 3.0, 5.0))
    assert csqa.Scorer(site).score(call).check("no-interrupting").status == "pass"
    assert csqa.Scorer().score(call).check("no-interrupting").status == "fail"


# --- no-filler-words -------------------------------------------------------------------------------------


def test_filler_threshold_and_back_channels(scorer: csqa.Scorer, tmp_path: Path) -> None:
    call = make_call(("customer", "我想问一下"), ("agent", "嗯"), ("agent", "嗯嗯"), ("agent", "嗯 您的订单 呃 明天发"))
    result = check(scorer, call, "no-filler-words")
    assert result.status == "pass" and [e.quote for e in result.evidence] == ["嗯", "呃"]
    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[rules.no-filler-words.params]\nthreshold = 2\n', encoding="utf-8")
    assert csqa.Scorer(site).score(call).check("no-filler-words").status == "fail"


def test_particles_count_only_as_whole_tokens(scorer: csqa.Scorer) -> None:
    assert check(scorer, make_call(("agent", "您干嘛这么着急,额度够的,喇嘛寺那边的快递")), "no-filler-words").evidence == ()
    result = check(scorer, make_call(("agent", "就这样喽 好嘛 行呗")), "no-filler-words")
    assert result.status == "fail" and [e.quote for e in result.evidence] == ["喽", "嘛", "呗"]


# --- apologise-after-hold --------------------------------------------------------------------------------


def test_hold_event_then_apology(scorer: csqa.Scorer) -> None:
    turns = [("agent", "我帮您查一下,请稍等", 10.0, 12.0), ("agent", "不好意思让您久等了,查到了", 45.0, 48.0)]
    call = timed(*turns, events=[{"type": "hold", "start": 12.5, "end": 44.0}])
    assert check(scorer, call, "apologise-after-hold").status == "pass"
    call = timed(turns[0], ("agent", "查到了,明天发货", 45.0, 48.0), events=[{"type": "hold", "start": 12.5, "end": 44.0}])
    result = check(scorer, call, "apologise-after-hold")
    assert result.status == "fail" and result.evidence[0].utterance == 1 and result.evidence[1].field == "events[0]"
    assert result.suggestion == "不好意思,让您久等了。"


def test_hold_event_without_times_is_placed_from_the_words(scorer: csqa.Scorer) -> None:
    hold = [{"type": "hold", "start": 12.5, "end": 44.0}]
    asks = ("customer", "我的订单到哪了")
    call = make_call(asks, ("agent", "请稍等"), ("agent", "查到了"), events=hold)
    assert check(scorer, call, "apologise-after-hold").status == "fail"
    call = make_call(asks, ("agent", "请稍等"), ("agent", "让您久等了,查到了"), events=hold)
    assert check(scorer, call, "apologise-after-hold").status == "pass"
    call = make_call(asks, ("agent", "好的"), ("agent", "查到了"), events=hold)  # nothing in the words places the hold
    assert check(scorer, call, "apologise-after-hold").status == "not_assessable"


def test_a_wait_that_leads_into_a_transfer_is_not_a_hold(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", "您好"), ("customer", "我要开发票"), ("agent", "请稍等,正在为您转接"),
                     ("agent", "您好,财务部"), events=[{"type": "transfer", "start": 20.0}])
    assert check(scorer, call, "apologise-after-hold").status == "not_applicable"


def test_an_unlogged_silence_is_a_hold_beside_hold_events(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", "请稍等", 0.0, 1.0), ("agent", "让您久等了", 30.0, 31.0), ("customer", "那发票呢", 32.0, 33.0),
                     ("agent", "发票随货寄出", 60.0, 61.0), events=[{"type": "hold", "start": 1.0, "end": 30.0}])
    result = check(scorer, call, "apologise-after-hold")
    assert result.status == "fail"
    assert any(e.how == "timing" for e in result.evidence)


def test_silence_of_twenty_seconds_is_a_hold(scorer: csqa.Scorer) -> None:
    base = [("customer", "我的订单到哪了", 0.0, 3.0), ("agent", "我查一下", 3.5, 5.0)]
    long_gap = timed(*base, ("agent", "查到了,明天到", 26.0, 28.0))
    short_gap = timed(*base, ("agent", "查到了,明天到", 12.0, 14.0))
    assert check(scorer, long_gap, "apologise-after-hold").status == "fail"
    assert check(scorer, short_gap, "apologise-after-hold").status == "not_applicable"


def test_untimed_wait_request_starts_a_hold(scorer: csqa.Scorer) -> None:
    asks = ("customer", "我的订单到哪了")
    apologised = make_call(asks, ("agent", "好的请您稍等"), ("customer", "好"), ("agent", "感谢您的耐心等待,查到了"))
    silent = make_call(asks, ("agent", "好的请您稍等"), ("customer", "好"), ("agent", "查到了,明天到"))
    assert check(scorer, apologised, "apologise-after-hold").status == "pass"
    assert check(scorer, silent, "apologise-after-hold").status == "fail"
    assert check(scorer, make_call(("agent", "明天到")), "apologise-after-hold").status == "not_applicable"


def test_a_wait_before_the_customer_asks_anything_holds_nothing(scorer: csqa.Scorer) -> None:
    standing = make_call(("agent", "还请您稍等,马上为您查询~"), ("customer", "有桂花苗吗"), ("agent", "有的"))
    assert check(scorer, standing, "apologise-after-hold").status == "not_applicable"


def test_the_hold_ends_when_the_agent_comes_back_with_something_to_say(scorer: csqa.Scorer) -> None:
    asks = ("customer", "我的订单到哪了")
    waits = make_call(asks, ("agent", "请稍等"), ("agent", "好的亲亲"), ("agent", "正在为您核实,您再稍等一下"),
                      ("agent", "不好意思久等了,明天到"))
    result = check(scorer, waits, "apologise-after-hold")
    assert result.status == "pass" and len(result.evidence) == 1  # one hold, judged at the return
    silent = make_call(asks, ("agent", "请稍等"), ("customer", "谢谢"), ("agent", "应该的"), ("agent", "明天到"))
    result = check(scorer, silent, "apologise-after-hold")
    assert result.status == "fail" and result.evidence[0].quote == "明天到"


def test_call_ending_on_hold_is_not_assessable(scorer: csqa.Scorer) -> None:
    call = make_call(("customer", "我的订单到哪了"), ("agent", "好的请您稍等"), ("customer", "好"))
    assert check(scorer, call, "apologise-after-hold").status == "not_assessable"


# --- no-chatting-before-hangup ---------------------------------------------------------------------------


def test_chatting_after_goodbye(scorer: csqa.Scorer) -> None:
    chat = make_call(("agent", "感谢您的来电,再见"), ("customer", "再见"), ("agent", "小刘,下一个名单发我一下"))
    result = check(scorer, chat, "no-chatting-before-hangup")
    assert result.status == "fail" and result.evidence[0].utterance == 2
    merged = make_call(("agent", "感谢您的来电,再见 哎小王中午吃什么"))
    assert check(scorer, merged, "no-chatting-before-hangup").status == "fail"
    polite = make_call(("agent", "感谢您的来电,再见"), ("customer", "拜拜"), ("agent", "好的,祝您生活愉快,您先挂机吧"))
    assert check(scorer, polite, "no-chatting-before-hangup").status == "pass"
    assert check(scorer, make_call(("agent", "好的")), "no-chatting-before-hangup").status == "not_applicable"


def test_an_emoticon_or_a_courtesy_after_goodbye_is_closing_talk(scorer: csqa.Scorer) -> None:
    goodbye = ("agent", "感谢您的来电,再见")
    sticker = make_call(goodbye, ("agent", "#E-s[微笑]"))
    assert check(scorer, sticker, "no-chatting-before-hangup").status == "pass"
    courtesy = make_call(goodbye, ("agent", "遇到像您这样宽容的客户真是我们的荣幸"))
    assert check(scorer, courtesy, "no-chatting-before-hangup").status == "pass"
    colleague = make_call(goodbye, ("agent", "[微笑]小刘,那个单子你改一下"))
    assert check(scorer, colleague, "no-chatting-before-hangup").status == "fail"


def test_customer_reopening_after_goodbye_is_service_not_chatting(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", "感谢您的来电,再见"), ("customer", "等一下,我还想问一下发票什么时候开"),
                     ("agent", "发票明天开好寄给您"), ("customer", "好的谢谢"), ("agent", "不客气,再见"))
    assert check(scorer, call, "no-chatting-before-hangup").status == "pass"


# --- no-transfer-without-consent -------------------------------------------------------------------------


def test_explained_and_agreed_transfer_passes(scorer: csqa.Scorer) -> None:
    call = timed(("customer", "我要开增值税发票", 0.0, 2.0),
                 ("agent", "很抱歉,发票问题是由财务部负责的,我帮您转接到财务部的同事,您看可以吗?", 2.5, 8.0),
                 ("customer", "可以", 8.5, 9.0), events=[{"type": "transfer", "start": 10.0}])
    result = check(scorer, call, "no-transfer-without-consent")
    assert result.status == "pass"


@pytest.mark.parametrize(
    ("agent", "customer", "missing"),
    [
        ("这个要物流部那边查,我直接给您转过去", "欸,你先别转", "objected"),
        ("我给您转一下", "好", "explanation"),
        ("这个问题是物流部负责的,我帮您转过去", "", "agreement"),
    ],
)
def test_transfer_failures(scorer: csqa.Scorer, agent: str, customer: str, missing: str) -> None:
    turns = [("customer", "我的快递丢了"), ("agent", agent)] + ([("customer", customer)] if customer else [])
    result = check(scorer, make_call(*turns), "no-transfer-without-consent")
    assert result.status == "fail" and missing in result.message
    assert result.suggestion and "负责此事的相关人员" in result.suggestion


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("还要转啊?那……行吧,你转吧", "pass"),  # within one answer the last word decides
        ("好的,要转吗?可以", "pass"),
        ("喔,不用钱的话,好,转吧", "pass"),  # 不用钱 is no refusal
        ("行,转吧,不用急", "pass"),
        ("好的,不用转了", "fail"),
        ("不用了,谢谢", "fail"),  # thanks after a refusal is no consent
        ("不用转了吧,你直接告诉我就行", "fail"),  # 就行 accepts the customer's own alternative
        ("售后电话多少?你告诉我号码我自己打也行", "fail"),
        ("转人工啊?又要排队吧", "fail"),  # asked back about the transfer raised: no demand
        ("要转喔?我是想说你们直接帮我登记就好了吧", "fail"),
    ],
)
def test_the_customers_answer_to_a_transfer(scorer: csqa.Scorer, answer: str, expected: str) -> None:
    call = timed(("customer", "我的发票开错了", 0.0, 2.0),
                 ("agent", "发票是由财务部负责的,我帮您转到财务部,可以吗?", 2.5, 6.0),
                 ("customer", answer, 6.5, 9.0), ("agent", "好的,正在为您转接", 9.5, 10.5),
                 events=[{"type": "transfer", "start": 11.0}])
    assert check(scorer, call, "no-transfer-without-consent").status == expected


def test_silent_transfer_event_fails_and_no_transfer_is_not_applicable(scorer: csqa.Scorer) -> None:
    silent = timed(("customer", "我的快递丢了", 0.0, 2.0), ("agent", "好的", 2.5, 3.0),
                   events=[{"type": "transfer", "start": 4.0}])
    result = check(scorer, silent, "no-transfer-without-consent")
    assert result.status == "fail" and result.evidence[-1].field == "events[0]"
    assert check(scorer, make_call(("agent", "好的")), "no-transfer-without-consent").status == "not_applicable"
    relay = make_call(("agent", "您的意见我会转告相关部门"), ("agent", "钱已经转账给您了"))
    assert check(scorer, relay, "no-transfer-without-consent").status == "not_applicable"


# --- no-absolute-promises --------------------------------------------------------------------------------


def test_absolute_promise_is_a_warning_not_a_veto(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", GREETING), ("customer", "能不能明天到"), ("agent", "您放心,我保证明天到"), rings=1)
    report = scorer.score(call)
    assert report.check("no-absolute-promises").status == "fail"
    assert report.check("no-absolute-promises").severity == "warning"
    assert "no-absolute-promises" not in report.vetoed and report.score and report.score > 0


def test_a_banned_phrase_the_agent_reports_is_not_the_agents_own(scorer: csqa.Scorer) -> None:
    reported = make_call(("agent", "您是说窗口的工作人员跟您讲这跟我们没关系,让您自己去找科室,是吗?"))
    assert check(scorer, reported, "no-forbidden-phrases").status == "pass"
    own = make_call(("agent", "我跟您说,这跟我们没关系"))
    assert check(scorer, own, "no-forbidden-phrases").status == "fail"
    emphatic = make_call(("agent", "我们没这业务,说没有就是没有"))
    assert check(scorer, emphatic, "no-forbidden-phrases").status == "fail"


def test_judging_the_customer_is_scolding_in_words_no_list_holds(scorer: csqa.Scorer) -> None:
    for said in ("你怎么就是听不明白呢", "您是不是故意来找茬的", "这理由您自己信吗", "条款你自己不看,现在来怪我们",
                 "你这人怎么这么不讲道理"):
        assert check(scorer, make_call(("agent", said)), "no-arguing").status == "fail", said
    for said in ("您自己可以在App上查看", "您别急,我帮您催一下", "您早上怎么没接到电话?", "如果您有听不懂的地方随时问我",
                 "您是不是没收到短信?"):
        assert check(scorer, make_call(("agent", said)), "no-arguing").status == "pass", said


def test_a_quoted_banned_phrase_is_not_said_and_a_run_on_wei_is(scorer: csqa.Scorer) -> None:
    quoted = make_call(("agent", "您是要投诉那位客服回复您“不行就是不行”,是吗?"))
    assert check(scorer, quoted, "no-forbidden-phrases").status == "pass"
    run_on = make_call(("agent", "您好"), ("customer", "我的快递"), ("agent", "喂喂听得到吗"))
    assert check(scorer, run_on, "no-forbidden-phrases").status == "fail"
    greeting = make_call(("agent", "喂您好,请问能听到吗"))
    assert check(scorer, greeting, "no-forbidden-phrases").status == "pass"


def test_judging_the_customers_character_or_ability(scorer: csqa.Scorer) -> None:
    for said in ("您这人怎么这么多疑呢", "您这理解能力也太差了", "您连自己的地址都能填错", "您自己想想这合理吗"):
        assert check(scorer, make_call(("agent", said)), "no-arguing").status == "fail", said
    for said in ("您这个套餐连续三个月没用", "我理解您的想法", "您自己想想要哪个套餐再联系我们"):
        assert check(scorer, make_call(("agent", said)), "no-arguing").status == "pass", said


def test_what_the_customer_objects_to_at_once_is_scolding_found_from_context(scorer: csqa.Scorer) -> None:
    rude = make_call(("agent", GREETING), ("customer", "燃气费怎么四百多"), ("agent", "那就是你们家用了,表又不会自己走"),
                     ("customer", "你这什么态度啊"), ("agent", "要验表就去营业厅"))
    result = check(scorer, rude, "no-arguing")
    assert result.status == "fail" and result.how == "context" and result.review
    assert [e.utterance for e in result.evidence] == [2, 3]
    assert result.evidence[1].quote == "你这什么态度"
    # anger at the company, an objection across two clauses, one with no agent turn before it, and one to a banned
    # phrase (judged by no-forbidden-phrases) fail nobody's manner
    for customer, agent in (("你们这什么服务态度", "非常抱歉,我帮您查一下抄表记录"),
                            ("我要投诉,你给我转主管", "理解您的心情,我帮您转到投诉专席,可以吗"),
                            ("你这什么话", "有意见您就去找我们领导")):
        call = make_call(("agent", GREETING), ("customer", "燃气费怎么四百多"), ("agent", agent), ("customer", customer))
        assert check(scorer, call, "no-arguing").status == "pass", customer
    first = make_call(("customer", "你这什么态度"), ("agent", GREETING))
    assert check(scorer, first, "no-arguing").status == "pass"


def test_objections_need_the_agent_as_speaker(tmp_path: Path) -> None:
    (tmp_path / "local.toml").write_text('extends = "default"\n[rules.no-arguing.params]\nspeaker = "customer"\n',
                                         encoding="utf-8")
    with pytest.raises(csqa.RuleFileError, match="objections"):
        csqa.Scorer(tmp_path / "local.toml")
