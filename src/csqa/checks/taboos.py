"""The taboos and banned phrases (七、服务的禁忌, 八、服务禁语, and 3.5 凡事留有余地 of the second seed).

Every check here reads only the agent's speech: a customer who says 我怎么知道 or scolds never costs the agent
anything. Banned phrases, scolding, absolute promises, fillers and chatting after the goodbye are made of
the generic kinds (:mod:`csqa.checks.kinds`), declared by their settings; interruption, transfer consent
and the hold apology keep logic of their own. Phrase checks use the one multi-pattern pass of
:mod:`csqa.text.phrases` (token boundaries, hesitations skipped inside phrases, homophones where a family
allows them, and the ``unless_before`` / ``unless_after`` context that tells a polite sentence from a
rebuff). Timing checks read timestamps and events when the call
has them and report ``not_assessable`` rather than guess when it does not.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from csqa.checks.base import Check, Context
from csqa.checks.kinds import Fillers, NothingBeyond, PhraseForbidden, kind_check
from csqa.input.model import Event
from csqa.outputs.report import CheckResult, Evidence
from csqa.text.doc import UtteranceDoc

__all__ = ["TABOO_CHECKS", "event_evidence", "into_transfer", "return_span", "still_waiting", "turn_length"]

_PARAMS = ConfigDict(extra="forbid", frozen=True)
Char = Annotated[str, Field(min_length=1, max_length=1)]


def _no_agent(ctx: Context) -> CheckResult | None:
    return None if ctx.doc.agent else ctx.not_assessable(ctx.say("party.silent", who=ctx.who("agent")))


# --- the phrase taboos and fillers: generic kinds ----------------------------------------------------------
# Banned phrases, scolding and absolute promises are forbidden phrases (the rule file's banned table and
# lexicons); fillers are the fillers kind; chatting after the goodbye is nothing beyond the closing talk.


class BannedSettings(PhraseForbidden):
    kind: Literal["phrase-forbidden"] = "phrase-forbidden"
    banned: bool = True
    unless_reported: str | None = "reporting"


class ArguingSettings(PhraseForbidden):
    kind: Literal["phrase-forbidden"] = "phrase-forbidden"
    lexicons: tuple[str, ...] = ("scolding", "scolding-exact", "scolding-curt", "scolding-judgement", "scolding-rhetorical",
                                 "scolding-blame")
    note: str = "scolded or argued with the customer"
    objections: str | None = "objection"
    unless_reported: str | None = "quoting"


class PromiseSettings(PhraseForbidden):
    kind: Literal["phrase-forbidden"] = "phrase-forbidden"
    lexicons: tuple[str, ...] = ("absolute-promise", "absolute-promise-guarantee", "absolute-promise-char",
                                 "absolute-promise-cover", "absolute-promise-vouch")
    note: str = "made an absolute promise"
    unless_reported: str | None = "quoting"


class FillerSettings(Fillers):
    kind: Literal["fillers"] = "fillers"


class ChattingSettings(NothingBeyond):
    kind: Literal["nothing-beyond"] = "nothing-beyond"
    lexicons: tuple[str, ...] = ("closing-talk",)
    whole_lexicons: tuple[str, ...] = ("closing-courtesy",)


def event_evidence(index: int, note: str) -> Evidence:
    """Evidence that points at the call's ``events[index]`` (a hold or a transfer) rather than at words."""
    return Evidence(utterance=None, start=0, end=0, quote="", field=f"events[{index}]", note=note, how="data")


# --- no-interrupting ------------------------------------------------------------------------------------


class InterruptParams(BaseModel):
    model_config = _PARAMS

    tolerance_seconds: Annotated[float, Field(ge=0)] = 1.0


class _Speaking:
    """Which customer utterance, if any, is still going on at a moment: one that started at or before it and
    ends more than ``tolerance`` seconds after it.

    Utterances are sorted by start once, with a running maximum of their (end − tolerance), so each question
    is a binary search (O(log n)) rather than a scan of every customer utterance, which made a call of
    10,000 utterances take seconds. Of several such utterances, the one that goes on longest is named.
    """

    def __init__(self, utterances: list[UtteranceDoc], tolerance: float) -> None:
        ordered = sorted(utterances, key=lambda u: u.utterance.start or 0.0)
        self._starts = [u.utterance.start or 0.0 for u in ordered]
        self._longest: list[tuple[float, UtteranceDoc]] = []
        for u in ordered:
            until = (u.utterance.end or 0.0) - tolerance
            if not self._longest or until > self._longest[-1][0]:
                self._longest.append((until, u))
            else:
                self._longest.append(self._longest[-1])

    def at(self, moment: float) -> UtteranceDoc | None:
        started = bisect.bisect_right(self._starts, moment)
        if started == 0:
            return None
        until, utterance = self._longest[started - 1]
        return utterance if until > moment else None


def no_interrupting(ctx: Context) -> CheckResult:
    params = ctx.params
    assert isinstance(params, InterruptParams)
    if (missing := _no_agent(ctx)) is not None:
        return missing
    if not ctx.doc.call.timed:
        return ctx.not_assessable(ctx.say("interrupt.untimed"))
    speaking = _Speaking(
        [u for u in ctx.doc.utterances if u.speaker == "customer" and not ctx.is_interjection(u)],
        params.tolerance_seconds,
    )
    evidence: list[Evidence] = []
    for a in ctx.doc.agent:
        if ctx.is_backchannel(a):
            continue
        start = a.utterance.start
        assert start is not None
        c = speaking.at(start)
        if c is not None:
            overlap = (c.utterance.end or 0.0) - start
            evidence.append(a.whole(ctx.say("interrupt.starts", overlap=overlap), "timing"))
            evidence.append(c.whole(ctx.say("interrupt.speaking"), "timing"))
    if not evidence:
        return ctx.result("pass", ctx.say("interrupt.pass"))
    return ctx.result("fail", ctx.say("interrupt.fail", count=len(evidence) // 2), evidence)


# --- apologise-after-hold -------------------------------------------------------------------------------


class HoldParams(BaseModel):
    model_config = _PARAMS

    hold_gap_seconds: Annotated[float, Field(gt=0)] = 20.0
    short_segment_chars: Annotated[int, Field(ge=0)] = 6
    return_turn_messages: Annotated[int, Field(ge=1)] = 3


def _holds(ctx: Context, params: HoldParams) -> tuple[list[tuple[UtteranceDoc | None, Evidence]], str | None]:
    """Each hold with the agent utterance that should apologise for it (``None`` when the call ends first).

    A timed call's holds are its hold events and, besides them, every silence of ``hold_gap_seconds`` or more
    before the agent speaks again that no event covers. An untimed call's holds are placed from the text, as
    MANUAL.md says, whether or not it has hold events: each agent utterance asking the customer to wait, once
    the customer has said something to look into, the hold ending when the agent comes back with something to
    say. Words that only keep the customer waiting (稍等哦, 我这边帮您查询一下, 好的亲亲) are not the return, and
    a request to wait said while the customer already waits does not start a second hold. A wait that leads
    into a transfer (请稍等,我帮您转接) is not a hold: the customer is handed on, not kept waiting for this
    agent, and a wait the customer calls off (不要看了) leaves no hold to come back from. The second value is a
    reason the holds cannot be placed, when that is so.
    """
    call = ctx.doc.call
    agent = ctx.doc.agent
    events = [(index, e) for index, e in enumerate(call.events) if e.type == "hold"]
    if not call.timed:
        if events and not any(u.utterance.start is None for u in agent):
            return _event_holds(ctx, events), None  # the agent's speech is timed, the customer's is not
        holds: list[tuple[UtteranceDoc | None, Evidence]] = []
        first = ctx.first_words()
        spoke = len(ctx.doc.utterances) if first is None else first.index
        waiting: Evidence | None = None
        for position, u in enumerate(agent):
            if waiting is not None and position > 0 and _released(ctx, agent[position - 1].index, u.index):
                waiting = None
            returned = False
            if waiting is not None:
                if still_waiting(ctx, u):
                    continue
                holds.append((u, waiting))
                waiting = None
                returned = True
            hit = ctx.lexicon_hit(u, "wait-request")
            if hit is None or u.index < spoke:
                continue  # a chat desk's standing 请您稍等,马上为您查询 before the customer has asked anything holds nothing
            if returned and ctx.find_part([u], "apology") is not None:
                continue  # 对不起啊,咨询高峰回复有点慢您等等: the wait goes on, apologised for already
            after = agent[position + 1] if position + 1 < len(agent) else None
            if not into_transfer(ctx, u, after):
                waiting = u.hit_evidence(hit, ctx.say("hold.asks"))
        if waiting is not None:
            holds.append((None, waiting))
        if events and not holds:
            return [], ctx.say("hold.unplaceable")
        return holds, None
    holds = _event_holds(ctx, events)
    # Whether a silence [last_end, start) overlaps a hold event, or a transfer falls in it: binary searches over
    # the events sorted once (starts, and the running maximum of ends), not a scan of them per utterance.
    spans = sorted((e.start, e.end or e.start) for _, e in events)
    starts = [s for s, _ in spans]
    reach = list(itertools.accumulate((e for _, e in spans), max))
    transfers = sorted(e.start for e in call.events if e.type == "transfer")

    def logged(lo: float, hi: float) -> bool:
        before = bisect.bisect_left(starts, hi)
        return before > 0 and reach[before - 1] > lo

    def transferred(lo: float, hi: float) -> bool:
        first = bisect.bisect_left(transfers, lo - 0.5)
        return first < len(transfers) and transfers[first] <= hi

    last_end: float | None = None
    previous: UtteranceDoc | None = None
    customer_waits = False
    for u in ctx.doc.utterances:
        start, end = u.utterance.start, u.utterance.end
        assert start is not None and end is not None
        if u.speaker == "customer" and not ctx.says_beyond(u, "lexicon.line-check", stopwords=False):
            continue  # 喂?还在吗? during a hold does not end the agent's silence
        gap = None if last_end is None else start - last_end
        if (u.speaker == "agent" and gap is not None and last_end is not None and gap >= params.hold_gap_seconds
                and not customer_waits
                and not logged(last_end, start) and not transferred(last_end, start)
                and not (previous is not None and ctx.lexicon_hit(previous, "transfer-announce") is not None)):
            holds.append((u, u.whole(ctx.say("hold.gap", gap=gap), "timing")))
        customer_waits = u.speaker == "customer" and ctx.lexicon_hit(u, "wait-request") is not None
        if u.speaker == "agent":
            previous = u
        last_end = end if last_end is None else max(last_end, end)
    return holds, None


def _event_holds(ctx: Context, events: list[tuple[int, Event]]) -> list[tuple[UtteranceDoc | None, Evidence]]:
    """Each hold event with the first agent utterance starting at or after its end (the agent's speech is
    timed). The first agent utterance (in call order) starting at or after a moment is the first whose running
    maximum of starts reaches it: a binary search per hold instead of a scan of the agent's speech."""
    agent = ctx.doc.agent
    reached = list(itertools.accumulate((u.utterance.start or 0.0 for u in agent), max))
    holds: list[tuple[UtteranceDoc | None, Evidence]] = []
    for index, event in events:
        assert event.end is not None
        position = bisect.bisect_left(reached, event.end - 0.5)
        after = agent[position] if position < len(agent) else None
        holds.append((after, event_evidence(index, ctx.say("hold.event", start=event.start, end=event.end))))
    return holds


def _released(ctx: Context, after: int, before: int) -> bool:
    """Whether the customer, between two agent utterances (call indices), called the wait off (不要看了)."""
    return any(ctx.lexicon_hit(ctx.doc.utterances[index], "wait-released") is not None
               for index in range(after + 1, before))


def still_waiting(ctx: Context, u: UtteranceDoc) -> bool:
    """Whether an agent utterance during an untimed hold only keeps the customer waiting: nothing but requests to
    wait, talk of looking something up and back-channels (稍等哦, 我这边帮您查询一下, 好的亲亲), and no apology
    for the wait (which is the return: 不好意思久等了,还在帮您查)."""
    covered = ctx.covered(u, "lexicon.wait-request", "lexicon.holding-talk", "lexicon.backchannel")
    return not ctx.says_beyond_covered(u, covered) and ctx.find_part([u], "apology") is None


def into_transfer(ctx: Context, wait: UtteranceDoc, after: UtteranceDoc | None) -> bool:
    """Whether an untimed call's request to wait leads into a transfer: it announces one itself (请稍等,我帮您
    转接), the agent's next words start with the announcement (好的,正在为您转接), or the agent never speaks
    again in a call that is transferred. An agent who comes back with something it found out first (事故理赔
    归我们保险理赔部管,我直接给您转过去了) kept the customer waiting for it: that wait was a hold."""
    if ctx.lexicon_hit(wait, "transfer-announce") is not None:
        return True
    if after is not None:
        hit = ctx.lexicon_hit(after, "transfer-announce")
        if hit is None:
            return False
        # the clause holding the announcement's verb, with only courtesies (好的, 不好意思) in the clauses before it:
        # 这个得门店那边处理,转过去了 names the desk first, what the agent came back with
        first = after.clause_start(hit.end - 1)
        courtesy = ctx.covered(after, "lexicon.closing-talk")
        return not ctx.says_beyond_covered(after, courtesy | set(range(first, len(after.key))))
    return any(e.type == "transfer" for e in ctx.doc.call.events)


def turn_length(agent: Sequence[UtteranceDoc], position: int, limit: int) -> int:
    """How many agent utterances from ``agent[position]`` follow one another with nobody else between, up to
    ``limit``."""
    length = 1
    while (length < limit and position + length < len(agent)
           and agent[position + length].index == agent[position + length - 1].index + 1):
        length += 1
    return length


def return_span(agent: Sequence[UtteranceDoc], position: int, params: HoldParams, *, untimed: bool) -> int:
    """How many agent utterances from ``agent[position]`` (the first words back from a hold) may hold the apology.
    ASR may split one sentence (不好意思 / 让您久等了): a short first segment is read with the next one, unless it is
    a question of its own (还在吗? — then 不好意思让您久等了 comes second, not first). In an untimed call (chat) the
    return is the agent's turn, sent as several messages before the customer writes again (京东商城供应商-电话 /
    上午九点到晚上六点 / 耽误您时间了): up to ``return_turn_messages`` of them. The check and the live session both
    read it here."""
    after = agent[position]
    span = 2 if len(after.key) <= params.short_segment_chars and not after.is_question else 1
    return max(span, turn_length(agent, position, params.return_turn_messages)) if untimed else span


def apologise_after_hold(ctx: Context) -> CheckResult:
    params = ctx.params
    assert isinstance(params, HoldParams)
    if (missing := _no_agent(ctx)) is not None:
        return missing
    holds, unplaceable = _holds(ctx, params)
    if unplaceable:
        return ctx.not_assessable(unplaceable)
    if not holds:
        return ctx.not_applicable(ctx.say("hold.none"))
    judged = [(after, where) for after, where in holds if after is not None]
    if not judged:
        return ctx.not_assessable(ctx.say("hold.never-back"))
    evidence: list[Evidence] = []
    found: list[Evidence] = []
    agent = ctx.doc.agent
    positions = {u.index: position for position, u in enumerate(agent)}
    untimed = not ctx.doc.call.timed
    for after, where in judged:
        position = positions[after.index]
        span = return_span(agent, position, params, untimed=untimed)
        located = ctx.find_part(agent[position : position + span], "apology")
        if located is None:
            evidence += [after.whole(ctx.say("hold.no-apology"), "absence"), where]
        else:
            said, hit = located
            found.append(said.hit_evidence(hit, ctx.say("hold.apology")))
    if evidence:
        return ctx.result("fail", ctx.say("hold.fail"), evidence)
    return ctx.result("pass", ctx.say("hold.pass", count=len(judged)), found)


# --- no-transfer-without-consent ------------------------------------------------------------------------


def _all_failed(ctx: Context, announced: list[UtteranceDoc]) -> bool:
    """Whether no transfer announced in words went through: none was announced, or the agent reported each one
    failed afterwards (这边帮您转接换绑 — 实在是不好意思,由于转接线路繁忙未能转接成功; 转接人数过多系统繁忙,需要帮您升级
    专员处理). Without a transfer event, such a call was never handed to anyone."""
    failed = max((u.index for u in ctx.doc.agent if ctx.lexicon_hit(u, "transfer-failed") is not None), default=-1)
    return all(u.index < failed for u in announced)


def no_transfer_without_consent(ctx: Context) -> CheckResult:
    if (missing := _no_agent(ctx)) is not None:
        return missing
    doc = ctx.doc
    call = doc.call
    events = [(index, e) for index, e in enumerate(call.events) if e.type == "transfer"]
    # An explanation or announcement answers the customer: said before the customer has raised anything (我是专门
    # 负责回访的, or a chat desk's standing notice 这边是自营客服,三方问题需要帮您转接专员), it transfers nothing.
    first = ctx.first_words()
    spoke = len(doc.utterances) if first is None else first.index
    announced = [u for u in doc.agent if u.index > spoke and ctx.lexicon_hit(u, "transfer-announce") is not None
                 and ctx.lexicon_hit(u, "transfer-failed") is None]
    if not events and _all_failed(ctx, announced):
        return ctx.not_applicable(ctx.say("transfer.none"))
    evidence: list[Evidence] = []
    # What was said before the transfer: by the clock when the call and its transfer event are timed, otherwise
    # placed from the words (with or without an event): a 行吧 said to the colleague who took the call is no consent.
    if events:
        index, event = min(events, key=lambda pair: pair[1].start)
        evidence.append(event_evidence(index, ctx.say("transfer.at", start=event.start)))
    if events and all(u.utterance.start is not None for u in doc.utterances):
        before = [u for u in doc.utterances if (u.utterance.start or 0.0) < event.start]
    else:
        before = _before_untimed_transfer(ctx, [u for u in announced if not _is_offer(ctx, u)])
    # Where the agent raised the transfer: said it was transferring, or explained and asked.
    raised = next(
        (
            u
            for u in before
            if u.speaker == "agent"
            and (
                ctx.lexicon_hit(u, "transfer-announce") is not None
                # explained and asked; a callback offered so (让表务部的同事给您回个电话,您看可以吗?) raises no transfer
                or (ctx.lexicon_hit(u, "transfer-reason") is not None and ctx.lexicon_hit(u, "transfer-ask") is not None
                    and ctx.lexicon_hit(u, "callback-offer") is None)
            )
        ),
        None,
    )
    if raised is not None:
        evidence.insert(0, raised.whole(ctx.say("transfer.raised")))
    elif any(u.speaker == "agent" for u in before):
        evidence.insert(0, [u for u in before if u.speaker == "agent"][-1].whole(ctx.say("transfer.last-words")))
    # Up to a transfer event, the customer's last word on the transfer decides: 还要转啊?要等多久? — 那行吧,直接转吧
    # agrees in the end, and a transfer the customer asked for is refused when the agent sends them elsewhere (我要你们
    # 领导 — 我给你转回访组 — 我不要回访组). Without an event nothing marks where the talk of the transfer ended (the
    # 没有了,谢谢 that closes the call is no answer to it), and any objection stands.
    answers = [(u, stance) for u in before if u.speaker == "customer" and raised is not None and u.index > raised.index
               and (stance := _stance(ctx, u)) is not None]
    if events:
        answers = answers[-1:]
    refused = next((u for u, stance in answers if stance == "refused"), None)
    agreed = next((u for u, stance in answers if stance == "agreed"), None)
    # A demand, not a question asked back about the transfer the agent raised (转人工啊?又要排队吧)
    requested = next((u for u in before if u.speaker == "customer" and ctx.lexicon_hit(u, "transfer-request") is not None
                      and not (raised is not None and u.index > raised.index and u.is_question)), None)
    if requested is not None and raised is not None and _sent_elsewhere(ctx, requested, raised):
        requested = None  # 我要找你们领导 — 我给您转到门店前厅部吧: the customer asked for someone else
    if requested is not None and refused is None:
        return ctx.result("pass", ctx.say("transfer.requested"),
                          [requested.whole(ctx.say("transfer.request")), *evidence])
    explained = next(
        (u for u in before if u.speaker == "agent" and u.index > spoke and ctx.lexicon_hit(u, "transfer-reason") is not None),
        None,
    )
    if refused is not None and not events and all(_is_offer(ctx, u) for u in announced):
        return ctx.not_applicable(ctx.say("transfer.declined"))
    lacking: list[str] = []
    if explained is None:
        lacking.append(ctx.say("transfer.unexplained"))
    if refused is not None:
        evidence.append(refused.whole(ctx.say("transfer.objected")))
        lacking.append(ctx.say("transfer.objected"))
    elif agreed is None:
        lacking.append(ctx.say("transfer.unagreed"))
    if lacking:
        return ctx.result("fail", ctx.say("transfer.fail", lacking=ctx.join("also", lacking)), evidence)
    assert agreed is not None and explained is not None
    return ctx.result(
        "pass",
        ctx.say("transfer.pass"),
        [explained.whole(ctx.say("transfer.explanation")), agreed.whole(ctx.say("transfer.agrees")), *evidence],
    )


def _before_untimed_transfer(ctx: Context, announcements: list[UtteranceDoc]) -> list[UtteranceDoc]:
    """What was said before an untimed call's transfer, placed from the words: up to the agent's first
    announcement that it is transferring (我给您转过去), and the customer's reply to it, but not past the agent's
    next words; a 好 said to the colleague who took the call is not consent. Without an announcement the whole
    call."""
    utterances = ctx.doc.utterances
    if not announcements:
        return list(utterances)
    first = announcements[0].index
    end = next((u.index for u in utterances[first + 1 :] if u.speaker == "agent"), len(utterances))
    return list(utterances[:end])


def _stance(ctx: Context, u: UtteranceDoc) -> str | None:
    """What a customer's answer says of the transfer: ``"refused"``, ``"agreed"`` or nothing. Within one answer
    the last word decides (还要转啊?那……行吧,你转吧 agrees; 好的,不用转了 refuses; 不用钱的话,好,转吧 agrees), but
    thanks after a refusal is politeness, not consent (不用了,谢谢)."""
    refusals = ctx.doc.hits(u, "lexicon.refusal")
    # Consent words that only finish the refusal (不用转吧), accept the customer's own alternative (你直接告诉我
    # 就行, 我自己打也行) or ask whether the agent can do it instead (不要再转了,你可以直接帮我开案吗?) do not answer it.
    consents = [hit for hit in ctx.doc.hits(u, "lexicon.consent")
                if hit.phrase not in _THANKS and u.key[hit.start - 1 : hit.start] not in ("就", "也")
                and not (u.is_question and u.key[hit.start - 1 : hit.start] in ("你", "您"))
                and not any(r.start <= hit.start <= r.end and r.end not in u.breaks for r in refusals)]
    if refusals and max(hit.end for hit in refusals) >= max((hit.end for hit in consents), default=-1):
        return "refused"
    return "agreed" if _assents(ctx, u) else None


_THANKS = frozenset({"谢谢", "麻烦你了", "麻烦您了", "麻烦了", "麻烦你啦", "麻烦您啦", "麻烦啦"})
"""Consent words that are only thanks after a refusal (不用了,谢谢)."""


def _assents(ctx: Context, u: UtteranceDoc) -> bool:
    """好 / 可以 / 行 (the consent lexicon), or a bare 嗯, which the content key leaves out as a hesitation; a bare
    嗯? asked back is puzzlement, not consent."""
    if u.key:
        return ctx.lexicon_hit(u, "consent") is not None
    return any(ch in "嗯恩" for ch in u.norm) and not u.is_question


def _sent_elsewhere(ctx: Context, requested: UtteranceDoc, raised: UtteranceDoc) -> bool:
    """Whether the customer asked to be put through to someone above the agent (投诉部门, 领导: a
    ``[lexicon.transfer-escalation]`` word) and the agent's announcement, said after, names a destination that
    is none of them (我给您转到门店前厅部吧): the request is no consent to that transfer."""
    if raised.index < requested.index or ctx.lexicon_hit(requested, "transfer-escalation") is None:
        return False
    hit = ctx.lexicon_hit(raised, "transfer-announce")
    if hit is None:
        return False
    ends = raised.clause_end(hit.end)
    named = [word for word, start, _ in raised.content if hit.end <= start < ends and len(word) >= 2
             and word not in ctx.stopwords]
    escalation = ctx.covered(raised, "lexicon.transfer-escalation")
    return bool(named) and not any(hit.end <= i < ends for i in escalation)


def _is_offer(ctx: Context, u: UtteranceDoc) -> bool:
    """An agent utterance that asks whether to transfer (需要帮您转过去吗?) rather than announcing it."""
    return u.is_question or ctx.lexicon_hit(u, "transfer-ask") is not None


TABOO_CHECKS = (
    kind_check(
        "no-forbidden-phrases",
        "TB01",
        "No banned phrases (服务禁语)",
        "The agent never says one of the 14 banned phrases of 八、服务禁语 or a close variant.",
        BannedSettings,
        manual="八、服务禁语 (14 phrases)",
    ),
    Check(
        "no-interrupting",
        "TB02",
        "Do not interrupt the customer",
        "The agent does not start speaking over the customer (back-channels excepted).",
        no_interrupting,
        params=InterruptParams,
        lexicons=("backchannel", "non-matter"),
        manual="客户讲话时轻易打断客户",
    ),
    kind_check(
        "no-filler-words",
        "TB03",
        "No frequent filler words",
        "The agent does not use filler words or impolite particles (嗯, 喽, 嘛, 呗) frequently.",
        FillerSettings,
        manual="频繁使用口头禅,非礼貌性语气助语",
    ),
    kind_check(
        "no-arguing",
        "TB04",
        "Never argue with or scold the customer",
        "The agent does not scold, insult or argue with the customer.",
        ArguingSettings,
        manual="与客户发生争执,训斥或谩骂客户",
    ),
    kind_check(
        "no-chatting-before-hangup",
        "TB05",
        "No chatting before the customer hangs up",
        "After the goodbye, the agent says nothing outside the closing while the customer is on the line.",
        ChattingSettings,
        manual="客户尚未挂机便与同事交谈",
    ),
    Check(
        "no-transfer-without-consent",
        "TB06",
        "No transfer without consent",
        "A transfer is explained and agreed to before it happens.",
        no_transfer_without_consent,
        lexicons=("transfer-announce", "transfer-reason", "transfer-ask", "transfer-request", "callback-offer", "consent",
                  "refusal", "non-matter", "transfer-failed", "transfer-escalation"),
        manual="未经允许直接将电话交给其他工作人员受理",
    ),
    kind_check(
        "no-absolute-promises",
        "TB07",
        "No absolute promises (凡事留有余地)",
        "The agent makes no absolute promise (肯定, 保证, 绝对).",
        PromiseSettings,
        manual="凡事留有余地: 不要用\"肯定,保证,绝对\"",
    ),
    Check(
        "apologise-after-hold",
        "TB08",
        "Apologise after a hold",
        "After a hold, the agent's next words apologise for the wait.",
        apologise_after_hold,
        params=HoldParams,
        step_parts=("apology",),
        lexicons=("wait-request", "line-check", "transfer-announce", "closing-talk", "holding-talk", "backchannel",
                  "non-matter", "wait-released"),
        manual="不好意思,让您久等了。",
    ),
)
