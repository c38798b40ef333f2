"""Live sessions (csqa.scoring.live): a call fed utterance by utterance raises its alerts at the utterance that
causes them, retracts what later speech no longer bears out, and closes with the report of the whole call."""

from __future__ import annotations

import asyncio
import json
import pickle
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csqa
from csqa.checks.docs import rule_examples
from csqa.input.model import Call
from tests.conftest import ROOT
from tests.test_properties import calls as random_calls

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def corpus() -> list[Call]:
    """Every call of corpora/demo and the development data, corpora/annotated and corpora/independent (never
    the test split, corpora/heldout), and every rule's documented example."""
    found = list(csqa.load_calls(ROOT / "corpora" / "demo"))
    for path in sorted([*(ROOT / "corpora" / "annotated").glob("*.jsonl"), *(ROOT / "corpora" / "independent").glob("*.jsonl")]):
        lines = path.read_text(encoding="utf-8").splitlines()
        found += [csqa.parse_call(json.loads(line)["call"]) for line in lines if line.strip()]
    return found + [example.call for rule in csqa.RULE_IDS for example in rule_examples(rule)]


CORPUS = corpus()


def open_session(scorer: csqa.Scorer, call: Call) -> csqa.LiveSession:
    return scorer.live(call_id=call.call_id, direction=call.direction, agent_id=call.agent_id, rings=call.rings,
                       ring_seconds=call.ring_seconds, started_at=call.started_at, team=call.team, metadata=call.metadata)


def steps(call: Call) -> Iterator[tuple[str, object]]:
    """The call as it happens: its utterances in order, each CTI event fed at its start (before the first
    utterance that starts after it)."""
    events = sorted(call.events, key=lambda e: e.start)
    k = 0
    for u in call.utterances:
        while k < len(events) and u.start is not None and events[k].start <= u.start:
            yield "event", events[k]
            k += 1
        yield "utterance", u
    for event in events[k:]:
        yield "event", event


def replay(session: csqa.LiveSession, call: Call, *, partials: list[int] | None = None) -> list[csqa.LiveEvent]:
    """Feed ``call`` to ``session`` (with ``partials[i]`` partial results before utterance i's final text)."""
    said: list[csqa.LiveEvent] = []
    fed = 0
    for kind, item in steps(call):
        if kind == "event":
            assert isinstance(item, csqa.Event)
            said += session.event(item.type, start=item.start, end=item.end)
            continue
        assert isinstance(item, csqa.Utterance)
        for cut in range(partials[fed] if partials else 0):
            text = item.text[: max(1, len(item.text) * (cut + 1) // (partials[fed] + 1))] if partials else item.text  # type: ignore[index]
            said += session.feed(item.speaker, text, start=item.start, final=False, id=f"u{fed}")
        said += session.feed(item.speaker, item.text, start=item.start, end=item.end, id=f"u{fed}")
        fed += 1
    return said


def in_force(events: list[csqa.LiveEvent]) -> list[csqa.LiveEvent]:
    withdrawn = {e.retracts for e in events if e.kind == "retracted"}
    return [e for e in events if e.kind in ("alert", "passed") and e.seq not in withdrawn]


def assert_borne_out(events: list[csqa.LiveEvent], report: csqa.Report) -> None:
    """Every live alert not retracted matches a fail of its rule with the same evidence (each of its spans is
    one of the report's), every pass a pass; and an alert comes at the utterance that causes it: the one it
    points at, or (when the verdict needed what came next: the opening ended by the customer, a hold apology
    read with the next segment) a later one."""
    for event in in_force(events):
        check = report.check(event.rule or "")
        assert check.status == ("fail" if event.kind == "alert" else "pass"), (event, check)
        assert set(event.evidence) <= set(check.evidence), (event, check)
        spoken = [ev.utterance for ev in event.evidence if ev.utterance is not None]
        if event.utterance is not None and spoken:
            assert event.utterance >= max(spoken), event
        if event.how == "utterance":
            assert set(spoken) == {event.utterance}, event


@pytest.mark.parametrize("call", CORPUS, ids=[c.call_id for c in CORPUS])
def test_a_call_fed_live_closes_with_the_batch_report(scorer: csqa.Scorer, call: Call) -> None:
    session = open_session(scorer, call)
    events = replay(session, call)
    report = session.close(hangup_by=call.hangup_by)
    assert report == scorer.score(call)
    assert_borne_out(events, report)
    # fed as it happened, no live verdict needs withdrawing at the end
    assert [e for e in session.closing_events if e.kind == "retracted"] == []
    # and every rule's verdict was said, live or at the close
    said = {e.rule for e in in_force([*events, *session.closing_events])}
    assert said == {c.rule for c in report.checks if c.status in ("pass", "fail")}


def test_most_fails_are_alerted_while_the_call_goes_on(scorer: csqa.Scorer) -> None:
    fails = alerted = 0
    for call in CORPUS:
        session = open_session(scorer, call)
        events = replay(session, call)
        report = session.close(hangup_by=call.hangup_by)
        for check in report.failed:
            fails += 1
            alerted += any(e.kind == "alert" and e.rule == check.rule for e in events)
    waits = sum(c.status == "fail" and c.rule == "customer-hangs-up-first" for call in CORPUS for c in scorer.score(call).checks)
    assert fails > 300
    assert alerted >= 0.85 * (fails - waits), (alerted, fails, waits)


@SETTINGS
@given(data=st.data())
def test_partials_clock_and_order_never_change_the_report(scorer: csqa.Scorer, data: st.DataObject) -> None:
    call = data.draw(st.sampled_from(CORPUS))
    order = data.draw(st.sampled_from(["as written", "by end"]))
    if order == "by end" and call.timed:  # how a recogniser finalises: the utterance that ends first comes first
        call = call.model_copy(update={"utterances": tuple(sorted(call.utterances, key=lambda u: (u.end or 0.0)))})
    partials = data.draw(st.lists(st.integers(0, 2), min_size=len(call.utterances), max_size=len(call.utterances)))
    session = open_session(scorer, call)
    events = replay(session, call, partials=partials)
    events += session.advance(data.draw(st.floats(0, 500)))
    report = session.close(hangup_by=call.hangup_by)
    assert report == scorer.score(call)
    events += session.closing_events
    assert_borne_out(events, report)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    for event in events:
        assert csqa.LiveEvent.model_validate_json(event.model_dump_json()) == event
        if event.kind == "retracted":
            assert event.retracts is not None and event.retracts < event.seq


@SETTINGS
@given(call=random_calls())
def test_hostile_text_fed_live_closes_with_the_batch_report(scorer: csqa.Scorer, call: dict[str, object]) -> None:
    parsed = csqa.parse_call(call)
    session = open_session(scorer, parsed)
    events = replay(session, parsed)
    report = session.close(hangup_by=parsed.hangup_by)
    assert report == scorer.score(parsed)
    assert_borne_out(events, report)


# --- partial utterances --------------------------------------------------------------------------------------


GREETING = "您好!楠山农林客服部,请问有什么能帮您?"


def test_an_alert_on_a_partial_is_retracted_when_the_final_text_no_longer_says_it(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="p1")
    session.feed("agent", GREETING, start=0.0, end=3.0)
    raised = session.feed("agent", "我保证", start=4.0, final=False)
    assert [(e.kind, e.rule, e.final, e.settled) for e in raised] == [("alert", "no-absolute-promises", False, False)]
    assert raised[0].evidence[0].quote == "我保证" and raised[0].utterance == 1
    withdrawn = session.feed("agent", "我不能保证明天一定到", start=4.0, end=7.0)
    assert [(e.kind, e.retracts) for e in withdrawn] == [("retracted", raised[0].seq)]
    assert session.close(hangup_by="customer").check("no-absolute-promises").status == "pass"


def test_an_alert_the_final_text_bears_out_stands_and_is_not_raised_again(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="p2")
    session.feed("agent", GREETING)
    first = session.feed("agent", "我怎么知道", final=False, id="x")
    assert [e.rule for e in first] == ["no-forbidden-phrases"]
    assert session.feed("agent", "我怎么知道,您自己", final=False, id="x") == []
    assert session.feed("agent", "我怎么知道,您自己去查吧", id="x") == []
    assert [e.seq for e in session.in_force if e.rule == "no-forbidden-phrases"] == [first[0].seq]
    report = session.close()
    assert report.check("no-forbidden-phrases").evidence == first[0].evidence


def test_a_partial_never_made_final_is_dropped_at_close(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="p3")
    session.feed("agent", GREETING)
    raised = session.feed("agent", "这跟我们没关系", final=False)
    report = session.close(hangup_by="customer")
    assert len(report.utterances) == 1
    assert [(e.kind, e.retracts) for e in session.closing_events if e.kind == "retracted"] == [("retracted", raised[0].seq)]


# --- rules that need context, retractions, deadlines ------------------------------------------------------


def test_an_interruption_finalised_after_the_agent_is_found_when_the_customer_comes(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="i1", rings=1)
    session.feed("agent", GREETING, start=0.0, end=3.0)
    assert not [e for e in session.feed("agent", "好的,我这边马上给您查询一下订单", start=8.0, end=11.0)
                if e.rule == "no-interrupting"]
    raised = session.feed("customer", "我上周在你们那里订了两百棵核桃苗,想问一下什么时候能发货", start=4.0, end=12.0)
    alert = next(e for e in raised if e.rule == "no-interrupting")
    assert alert.kind == "alert" and alert.utterance == 2
    assert [ev.utterance for ev in alert.evidence] == [1, 2]
    # an utterance without times makes interruptions not assessable: the alert is withdrawn at once
    withdrawn = session.feed("customer", "好的")
    assert any(e.kind == "retracted" and e.retracts == alert.seq for e in withdrawn)
    assert session.close().check("no-interrupting").status == "not_assessable"


def test_chatting_after_a_goodbye_is_retracted_when_the_customer_goes_on(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="c1")
    session.feed("agent", GREETING)
    session.feed("agent", "感谢您的来电,再见!")
    raised = session.feed("agent", "小王,中午去哪吃饭?")
    alert = next(e for e in raised if e.rule == "no-chatting-before-hangup")
    assert not alert.settled
    withdrawn = session.feed("customer", "等一下,我还有个问题,我的发票开了没有?")
    assert any(e.kind == "retracted" and e.retracts == alert.seq for e in withdrawn)
    session.feed("agent", "发票昨天已经开好了,发到您的邮箱了。")
    assert session.close().check("no-chatting-before-hangup").status == "not_applicable"


def test_chatting_stands_when_the_customer_goes_on_but_the_agent_never_serves_it(scorer: csqa.Scorer) -> None:
    """The goodbye that counts is a later one only when the agent takes up what the customer raised after it;
    a call that ends on the customer's unanswered question keeps the chat after the goodbye."""
    session = scorer.live(call_id="c2")
    session.feed("agent", GREETING)
    session.feed("agent", "感谢您的来电,再见!")
    session.feed("agent", "小王,中午去哪吃饭?")
    session.feed("customer", "等一下,我还有个问题,我的发票开了没有?")
    report = session.close()
    assert report.check("no-chatting-before-hangup").status == "fail"
    assert any(e.rule == "no-chatting-before-hangup" and e.kind != "retracted" for e in session.closing_events)


def test_a_wrong_number_retracts_the_restatement_verdict(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="w1")
    session.feed("agent", GREETING)
    session.feed("customer", "我想问一下我订的树苗什么时候发货")
    raised = session.feed("agent", "明天发货。")
    alert = next(e for e in raised if e.rule == "restate-question")
    assert alert.kind == "alert" and alert.suggestion and "树苗" in alert.suggestion
    withdrawn = session.feed("customer", "啊?不是楠山农林吗?那我打错电话了")
    assert any(e.kind == "retracted" and e.retracts == alert.seq for e in withdrawn)
    assert session.close().check("restate-question").status == "not_applicable"


def test_the_greeting_deadline_falls_by_the_clock_and_by_the_first_words(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="d1")
    assert session.advance(3.0) == []
    late = session.advance(6.0)
    assert [(e.kind, e.rule, e.how) for e in late] == [("deadline", "standard-greeting", "clock")]
    assert late[0].suggestion == "您好!楠山农林客服部,请问有什么能帮您?"
    assert session.advance(20.0) == []  # once
    other = scorer.live(call_id="d2")
    first = other.feed("agent", "喂,什么事?")
    assert [(e.kind, e.rule) for e in first if e.kind == "deadline"] == [("deadline", "standard-greeting")]


def test_silence_and_hold_deadlines(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="d3")
    session.feed("agent", GREETING, start=0.0, end=3.0)
    session.feed("customer", "我想查一下我的订单", start=3.5, end=6.0)
    assert session.advance(15.0) == []
    silence = session.advance(17.0)
    assert [(e.kind, e.rule) for e in silence] == [("deadline", None)] and "silence" in silence[0].message
    hold = session.advance(27.0)
    assert [(e.kind, e.rule) for e in hold] == [("deadline", "apologise-after-hold")]
    assert hold[0].suggestion == "不好意思,让您久等了。"
    # a CTI hold: the deadline falls hold_gap_seconds into it, and the agent's return without an apology is an alert
    session.event("hold", start=30.0)
    assert session.advance(45.0) == []
    assert [e.rule for e in session.advance(51.0)] == ["apologise-after-hold"]
    assert session.event("hold", start=30.0, end=60.0) == []
    back = session.feed("agent", "好的,查到了,您的订单明天发货。", start=61.0, end=64.0)
    alert = next(e for e in back if e.rule == "apologise-after-hold")
    assert alert.kind == "alert" and [ev.field for ev in alert.evidence] == [None, "events[0]"]
    report = session.close(hangup_by="customer")
    assert report.check("apologise-after-hold").status == "fail"
    assert set(alert.evidence) <= set(report.check("apologise-after-hold").evidence)


def test_a_transfer_is_judged_when_it_happens(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="t1")
    session.feed("agent", GREETING, start=0.0, end=3.0)
    session.feed("customer", "我要投诉你们的快递员", start=4.0, end=6.0)
    raised = session.event("transfer", start=7.0)
    assert [(e.kind, e.rule, e.how) for e in raised] == [("alert", "no-transfer-without-consent", "event")]
    assert session.close().check("no-transfer-without-consent").status == "fail"


@pytest.mark.parametrize("handover", [
    ["好的,现在为您转接承保部,请别挂机"],  # the wait announces the transfer itself
    ["好的,请稍等", "好的,正在为您转接"],  # the agent's next words start with the announcement
])
def test_an_untimed_wait_that_leads_into_a_transfer_raises_no_hold_alert(scorer: csqa.Scorer, handover: list[str]) -> None:
    session = scorer.live(call_id="t2")
    said = session.feed("agent", GREETING)
    said += session.feed("customer", "我想问一下我的保单包不包括玻璃险")
    said += session.feed("agent", "您是想确认保单里有没有玻璃险,是吗?")
    said += session.feed("customer", "对")
    for line in handover:
        said += session.feed("agent", line)
    said += session.feed("agent", "您好,承保部小吴,您的保单包含玻璃险。")
    said += session.event("transfer", start=30.0)
    assert [e for e in said if e.rule == "apologise-after-hold" and e.kind == "alert"] == []
    assert session.close(hangup_by="customer").check("apologise-after-hold").status == "not_applicable"


def test_rules_that_wait_for_the_end_say_so(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="e1")
    assert "customer-hangs-up-first" in session.waiting
    assert "callback-closing" in session.waiting  # an inbound call has no callback closing
    session.feed("agent", GREETING)
    session.close(hangup_by="agent")
    ends = [e for e in session.closing_events if e.rule == "customer-hangs-up-first"]
    assert [(e.kind, e.how) for e in ends] == [("alert", "report")]
    assert set(csqa.LIVE_RULES) == set(csqa.RULE_IDS)


def test_site_rules_alert_live_where_their_kind_allows(root: Path) -> None:
    scorer = csqa.Scorer(root / "rules" / "examples" / "site.toml", company="顺达快运")
    session = scorer.live(call_id="s1")
    assert "verify-identity" in session.waiting and "no-competitor-mention" not in session.waiting
    session.feed("agent", "您好,顺达快运客服部,请问有什么能帮您?", start=0.0, end=3.0)
    session.feed("customer", "我的快递到哪了", start=3.5, end=5.0)
    raised = session.feed("agent", "您可以试试顺丰", start=25.0, end=27.0)
    assert {e.rule for e in raised if e.kind == "alert"} >= {"no-competitor-mention", "long-silence"}
    report = session.close(hangup_by="customer")
    assert_borne_out(raised, report)


# --- errors, sessions side by side, pickling ---------------------------------------------------------------


def test_bad_input_is_an_error_that_names_the_field_and_leaves_the_session_unchanged(scorer: csqa.Scorer) -> None:
    with pytest.raises(csqa.InputError, match="direction"):
        scorer.live(call_id="b1", direction="sideways")
    session = scorer.live(call_id="b2")
    session.feed("agent", GREETING)
    with pytest.raises(csqa.InputError, match=r"utterances\[1\]\.speaker") as caught:
        session.feed("robot", "hello")
    assert caught.value.code == "E101"
    with pytest.raises(csqa.InputError, match=r"events\[0\]"):
        session.event("hold", start=10.0, end=5.0)
    with pytest.raises(csqa.UsageError):
        session.advance(float("nan"))
    assert session.utterances == 1
    session.close()
    with pytest.raises(csqa.UsageError, match="closed"):
        session.feed("agent", "再见")


def test_sessions_are_independent_across_threads(scorer: csqa.Scorer) -> None:
    calls = CORPUS[:24]

    def run(call: Call) -> tuple[list[str], csqa.Report]:
        session = open_session(scorer, call)
        events = replay(session, call)
        return [e.model_dump_json() for e in events], session.close(hangup_by=call.hangup_by)

    alone = [run(c) for c in calls]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(run, calls))
    assert together == alone


def test_sessions_are_independent_across_asyncio_tasks(scorer: csqa.Scorer) -> None:
    calls = CORPUS[24:48]

    async def run(call: Call) -> tuple[list[str], csqa.Report]:
        session = open_session(scorer, call)
        said = []
        for u in call.utterances:  # one utterance at a time, letting the other sessions go in between
            said += [e.model_dump_json() for e in session.feed(u.speaker, u.text, start=u.start, end=u.end)]
            await asyncio.sleep(0)
        for e in call.events:
            said += [e.model_dump_json() for e in session.event(e.type, start=e.start, end=e.end)]
        return said, session.close(hangup_by=call.hangup_by)

    async def main() -> list[tuple[list[str], csqa.Report]]:
        return list(await asyncio.gather(*(run(c) for c in calls)))

    together = asyncio.run(main())
    alone = [asyncio.run(run(c)) for c in calls]
    assert together == alone
    assert [r for _, r in together] == [scorer.score(c) for c in calls]


def test_a_session_pickles_mid_call_and_goes_on_the_same(scorer: csqa.Scorer) -> None:
    call = next(c for c in CORPUS if len(c.utterances) >= 10 and c.timed)
    half = len(call.utterances) // 2
    session = open_session(scorer, call)
    for u in call.utterances[:half]:
        session.feed(u.speaker, u.text, start=u.start, end=u.end)
    clone = pickle.loads(pickle.dumps(session))
    rest = call.utterances[half:]
    a = [e for u in rest for e in session.feed(u.speaker, u.text, start=u.start, end=u.end)]
    b = [e for u in rest for e in clone.feed(u.speaker, u.text, start=u.start, end=u.end)]
    assert a == b
    assert session.close(hangup_by=call.hangup_by) == clone.close(hangup_by=call.hangup_by) == scorer.score(call)


def test_the_in_process_example_of_docs_live_md_prints_what_the_page_says(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = (root / "docs" / "live.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", page, re.S)[0]
    exec(compile(code, "docs/live.md", "exec"), {})
    printed = capsys.readouterr().out
    shown = re.search(r"It prints:\n\n```\n(.*?)```", page, re.S)
    assert shown is not None and printed == shown.group(1)


def test_the_live_chatting_alert_reads_the_rules_own_closing_lexicons(tmp_path: Path) -> None:
    # a centre whose agents end with a slogan: the slogan is closing talk in both the check and the live alert
    site = tmp_path / "site.toml"
    site.write_text(
        'extends = "default"\n'
        '[lexicon.slogan]\nlabel = "the centre\'s slogan"\nvariants = ["绿色农业从楠山开始"]\n'
        '[rules.no-chatting-before-hangup.params]\n'
        'lexicons = ["closing-talk"]\nwhole_lexicons = ["closing-courtesy", "slogan"]\n',
        encoding="utf-8",
    )
    for scorer, expected in ((csqa.Scorer(), "fail"), (csqa.Scorer(site), "pass")):
        session = scorer.live(call_id="c1")
        session.feed("agent", GREETING)
        session.feed("agent", "感谢您的来电,再见!")
        raised = session.feed("agent", "绿色农业从楠山开始,欢迎关注我们的公众号。")
        assert any(e.rule == "no-chatting-before-hangup" for e in raised) == (expected == "fail")
        assert session.close().check("no-chatting-before-hangup").status == expected


def test_the_customers_objection_raises_the_arguing_alert_found_from_context(scorer: csqa.Scorer) -> None:
    session = scorer.live(call_id="o1")
    session.feed("agent", GREETING)
    session.feed("customer", "燃气费怎么四百多")
    said = session.feed("agent", "那就是你们家用了,表又不会自己走")
    assert "no-arguing" not in {e.rule for e in said}  # no phrase of the scolding lists
    raised = [e for e in session.feed("customer", "你这什么态度啊") if e.rule == "no-arguing"]
    assert [(e.kind, e.how) for e in raised] == [("alert", "context")]
    assert [ev.utterance for ev in raised[0].evidence] == [2, 3]
    assert "no-arguing" not in {e.rule for e in session.feed("customer", "你这什么态度啊")}  # no agent turn before it
    assert session.close().check("no-arguing").evidence == raised[0].evidence
