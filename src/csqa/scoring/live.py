"""Live sessions: alerts while the call is still going on.

A :class:`LiveSession` is opened from a :class:`~csqa.Scorer` for one call (``scorer.live(call_id=…)``) and fed
what happens as it happens: utterances as the speech recogniser gives them (partial ones may be fed and
replaced by the final text), CTI events (a hold, a transfer) and the time (a clock the caller moves). Each of
these returns the :class:`LiveEvent` records it causes at once:

* ``alert``: a rule has failed, with evidence at character offsets of the utterance's original text and the
  line to say instead;
* ``passed``: a rule has passed;
* ``retracted``: an earlier alert or pass no longer holds (a partial utterance's final text no longer bears
  it out, the customer went on after a goodbye, the call turned out to reach a wrong number…);
* ``deadline``: something due has not been said by now (no greeting in the agent's first words, a customer
  kept waiting on hold, a silence over N seconds). Deadlines are advice, not verdicts.

:meth:`LiveSession.close` returns the report of the whole call, the very report :meth:`~csqa.Scorer.score`
gives for it, and the events that close causes (:attr:`LiveSession.closing_events`): the verdicts of the
rules that wait for the end, and the retraction of any live verdict the report does not bear out.

**Work per utterance does not grow with the call.** Each utterance is normalised, tokenised and searched for
phrases once, on its own (:meth:`csqa.text.doc.CallDoc.prepare_one`), and every rule is judged on it with
the little state the rule needs (a running count, the agent's opening so far, the last goodbye, the customer
utterances still being spoken), never by scoring the call again from its start. Where a rule's own check can
judge a bounded window of the call (one utterance, the opening, the closing, the agent utterance and the
customer utterance it overlaps) the check itself is run on that window, so a live alert carries exactly the
evidence the report will; where it cannot (its check reads the whole call), the judgement is kept here step
by step with the same evidence, and a property test over the bundled corpora holds the two together.
:data:`LIVE_RULES` says when each rule of the manual is judged. Closing the session scores the prepared
utterances once.

**Partial utterances** (``final=False``) are judged only by the rules that read one utterance on its own
(banned phrases, arguing, absolute promises, fillers, and site rules that forbid a phrase anywhere in the
call); the call's structure (opening, matter, holds, goodbye) moves on final utterances only. A partial's
utterance index is the one it would take if it were final now. When the final text of the same utterance
``id`` comes, an alert it bears out exactly (same rule, same evidence) stands and is not raised again, and
the others are retracted. A partial never made final is dropped at close and its alerts retracted.

A session is used by one caller at a time (its methods hold a lock, so concurrent calls are serialised,
not corrupted); sessions are independent of each other, and one Scorer serves any number of them from
threads or asyncio tasks. A session pickles: its scorer pickles as a Scorer does (the rule set and options;
unpickling rebuilds the tokenizer, once per pickle), its state as plain records.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError

from csqa.checks.kinds import NothingBeyond, PhraseForbidden, Silence, SiteCheck, aside, in_brackets
from csqa.checks.restate import (
    RestateParams,
    answers_after,
    closes_call,
    context_of,
    core_tokens,
    has_substance,
    is_matter,
    is_restatement,
    is_waypoint,
    restates_statement,
    shares_content,
    spans_of,
    takes_correction,
    withdraws_matter,
)
from csqa.checks.taboos import (
    FillerSettings,
    HoldParams,
    InterruptParams,
    event_evidence,
    into_transfer,
    return_span,
    still_waiting,
    turn_length,
)
from csqa.errors import CsqaError, InputError, InputProblem, ScoringError, UsageError
from csqa.input.loaders import parse_call
from csqa.input.model import Call, Event, Record, Utterance
from csqa.outputs.report import CheckResult, Evidence, Report, Severity
from csqa.text.doc import CallDoc, UtteranceDoc
from csqa.text.phrases import PhraseHit

if TYPE_CHECKING:
    from csqa.checks.base import Context
    from csqa.scoring.scorer import Scorer

__all__ = ["DEFAULT_GREETING_SECONDS", "DEFAULT_SILENCE_SECONDS", "LIVE_RULES", "LiveEvent", "LiveSession"]

DEFAULT_GREETING_SECONDS = 5.0
"""How long after the answer the agent may stay silent before the greeting deadline falls (about one ring)."""
DEFAULT_SILENCE_SECONDS = 10.0
"""How long a customer may be left waiting in silence before the silence deadline falls, when the rule set has
no ``silence`` rule of its own (with one, its ``max_seconds``)."""

EventKind = Literal["alert", "passed", "retracted", "deadline"]
How = Literal["utterance", "context", "event", "clock", "report"]

LIVE_RULES: dict[str, str] = {
    "answer-within-three-rings": "at the agent's first utterance (the answer): passed or alert",
    "standard-greeting": "passed as soon as the opening has every part; alert when the opening ends without one; "
    "deadline when the agent's first words do not greet, or nothing is said greeting_seconds after the answer",
    "restate-question": "at the agent's first answer to the customer's matter (alert) or restatement (passed); "
    "retracted if the call turns out to reach a wrong number",
    "offer-further-help": "at each goodbye of the agent, an unsettled alert if the closing lacks the offer (retracted "
    "if the customer goes on, or replaced at the next goodbye); passed at the end",
    "thank-and-goodbye": "as offer-further-help, for the thanks and the goodbye",
    "customer-hangs-up-first": "at the end (who hangs up is known only then)",
    "callback-introduction": "as standard-greeting, for a callback",
    "callback-closing": "as offer-further-help, for the apology, thanks and goodbye of a callback",
    "no-forbidden-phrases": "at the utterance (partial or final) that says a banned phrase; passed at the end",
    "no-interrupting": "at the agent utterance that starts over a customer still speaking (or at the customer "
    "utterance, when it is finalised after the agent's); retracted if an utterance without times comes; passed at the end",
    "no-filler-words": "at the utterance that brings the count to the threshold, and at each one after it",
    "no-arguing": "at the utterance (partial or final) that scolds or argues, or at the customer's objection to the "
    "agent's turn before it (found from context); passed at the end",
    "no-chatting-before-hangup": "at an agent utterance after the goodbye that is not closing talk (unsettled: "
    "retracted if the customer goes on or the agent says goodbye again); passed at the end",
    "no-transfer-without-consent": "at the transfer event (passed or alert) when the utterances so far have times; "
    "otherwise at the end",
    "no-absolute-promises": "at the utterance (partial or final) that makes the promise; passed at the end",
    "apologise-after-hold": "at the agent's first words after each hold (alert when they do not apologise); deadline "
    "when a customer has waited hold_gap_seconds; passed at the end",
}
"""When each rule of the manual is judged in a live session (``docs/live.md`` has the whole table). Site rules:
``phrase-forbidden`` anywhere in the call at the utterance, ``silence`` at the utterance after the silence,
``first-response`` at the agent's first utterance; every other kind at the end."""


class LiveEvent(Record):
    """What a live session says when something happens (see ``docs/live.md`` for the schema).

    ``seq`` numbers the session's events from 1; a ``retracted`` event names the ``seq`` it withdraws in
    ``retracts``. ``utterance`` is the index of the utterance that caused the event in the call as it will be
    closed (``utterance_id`` is the caller's id for it, ``final`` whether it was final), ``None`` for one
    caused by a CTI event, the clock or the close. ``settled`` is false for an alert that later speech can
    still undo by design (one on a partial, a closing judged at a goodbye the customer may talk past).
    ``how`` says how it was found: ``utterance`` (that utterance alone), ``context`` (that utterance with the
    bounded context the rule reads: the opening, the closing, the customer's matter, the utterance it
    overlaps, the hold before it), ``event`` (a CTI event), ``clock`` (a deadline), ``report`` (the report at close).
    """

    kind: EventKind
    seq: int = Field(ge=1)
    rule: str | None
    code: str | None
    severity: Severity | None = None
    message: str
    evidence: tuple[Evidence, ...] = ()
    suggestion: str | None = None
    utterance: int | None = None
    utterance_id: str | None = None
    final: bool = True
    settled: bool = True
    how: How
    at: float = Field(ge=0, description="the session's clock when the event was made: seconds from the answer")
    retracts: int | None = None


# --- what the rules keep between utterances ---------------------------------------------------------------


@dataclass
class _Partial:
    """The alerts in force on a partial utterance, by the caller's id of the utterance."""

    alerts: dict[tuple[str, tuple[Evidence, ...]], int] = field(default_factory=dict)


@dataclass
class _Finding:
    rule: str
    result: CheckResult
    evidence: tuple[Evidence, ...]
    message: str
    how: How = "utterance"


class _Tracker:
    """One rule's (or a few related rules') live judgement. The session calls ``utterance`` for each final
    utterance, ``transfer``/``hold`` for CTI events and ``clock`` when time moves; a tracker raises events
    through the session."""

    rules: tuple[str, ...] = ()

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        pass

    def transfer(self, s: LiveSession, index: int, start: float) -> None:
        pass

    def hold(self, s: LiveSession, index: int) -> None:
        pass

    def clock(self, s: LiveSession) -> None:
        pass


class _Timed(_Tracker):
    """A tracker of a rule judged from utterance times: the first utterance without times ends it for the call
    (the rule is then not assessable), and every alert it raised is retracted."""

    dead = False

    def untimed(self, s: LiveSession, u: UtteranceDoc, alerts: Iterable[int], what: str) -> bool:
        """Whether this tracker is done with the call: ended already, or ended now by ``u``'s missing times."""
        if self.dead:
            return True
        if u.utterance.start is not None and u.utterance.end is not None:
            return False
        self.dead = True
        for seq in list(alerts):
            s.retract(seq, f"an utterance without times came: {what} cannot be judged on this call")
        s.waiting[self.rules[0]] = "the call has utterances without times: not assessable"
        return True


class _Local(_Tracker):
    """Rules judged on one utterance alone, partial or final: banned phrases, arguing, absolute promises, and a
    site rule that forbids a phrase anywhere in the call. The rule's own check judges a one-utterance window,
    whose evidence is exactly this utterance's part of the report's.

    A rule that reads the customer's objections (``PhraseForbidden.objections``: no-arguing) also judges each
    customer utterance that objects together with the agent's turn before it, and alerts when that finds the
    turn from context; the turn's own phrases were alerted at their utterances."""

    def __init__(self, rule: str, node: PhraseForbidden | None = None) -> None:
        self.rules = (rule,)
        self.objections = f"lexicon.{node.objections}" if node is not None and node.objections else None
        self.turn_from = 0  # where the agent's turn that the next customer utterance answers began

    def findings(self, s: LiveSession, u: UtteranceDoc) -> list[_Finding]:
        if self.objections is not None and u.speaker != "agent":
            if not s.doc.hits(u, self.objections):
                return []
            turn = s.doc.utterances[self.turn_from :]
            if not turn:
                return []
            result = s.judge(self.rules[0], [*turn, u])
            if result.status != "fail" or result.how != "context":
                return []
            return [_Finding(self.rules[0], result, result.evidence, result.message, "context")]
        result = s.judge(self.rules[0], [u])
        if result.status != "fail":
            return []
        return [_Finding(self.rules[0], result, result.evidence, result.message)]

    def commit(self, s: LiveSession, u: UtteranceDoc) -> None:
        if u.speaker != "agent":
            self.turn_from = u.index + 1


class _Fillers(_Local):
    """``no-filler-words``: a running count of the agent's fillers. The alert comes at the utterance that brings
    the count to the threshold (with every filler so far) and at each later one with fillers (with its own)."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.count = 0
        self.before: list[Evidence] = []

    def _found(self, s: LiveSession, u: UtteranceDoc) -> tuple[Evidence, ...]:
        return s.judge(self.rules[0], [u]).evidence if u.speaker == "agent" else ()

    def findings(self, s: LiveSession, u: UtteranceDoc) -> list[_Finding]:
        found = self._found(s, u)
        params = s.ctx(self.rules[0]).params
        assert isinstance(params, FillerSettings)
        count = self.count + len(found)
        if not found or count < params.threshold:
            return []
        crossing = self.count < params.threshold  # this utterance brings the count to the threshold: all so far
        evidence = (*self.before, *found) if crossing else found
        message = f"the agent has used {count} fillers or impolite particles so far (threshold {params.threshold})"
        result = s.ctx(self.rules[0]).result("fail", message, evidence)
        return [_Finding(self.rules[0], result, evidence, message, "context" if crossing else "utterance")]

    def commit(self, s: LiveSession, u: UtteranceDoc) -> None:
        found = self._found(s, u)
        params = s.ctx(self.rules[0]).params
        assert isinstance(params, FillerSettings)
        if self.count < params.threshold:
            self.before.extend(found)
        self.count += len(found)
        if self.count >= params.threshold:
            self.before = []


class _FirstAgent(_Tracker):
    """Rules decided by the agent's first utterance: ``answer-within-three-rings`` (the answer) and a site
    ``first-response`` rule. The check judges a window of that one utterance."""

    def __init__(self, rules: Sequence[str]) -> None:
        self.rules = tuple(rules)
        self.done = False

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        if self.done or u.speaker != "agent":
            return
        self.done = True
        for rule in self.rules:
            s.verdict(s.judge(rule, [u]), how="context")


class _Opening(_Tracker):
    """``standard-greeting`` / ``callback-introduction``: the agent's opening turn as :meth:`Context.opening`
    reads it (continued across a customer's 喂?, ended by anything else or by the window), judged by the
    check on the opening so far: passed once every part is said, an alert when it ends without one."""

    def __init__(self, rule: str) -> None:
        self.rules = (rule,)
        self.turn: list[UtteranceDoc] = []
        self.open = True
        self.done = False
        self.warned = False

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        rule = self.rules[0]
        ctx = s.ctx(rule)
        if u.speaker == "agent" and not self.turn and not self.warned:
            self.warned = True
            step = ctx.rules.step_for(rule)
            if step is not None and "greet" in step.parts and ctx.find_part([u], "greet") is None:
                s.deadline(rule, "the agent's first words do not greet the caller", suggestion=ctx.suggestion(),
                           evidence=(u.whole("the agent's first words"),))
        if self.done or not self.open:
            return
        if u.speaker == "agent":
            self.turn.append(u)
            result = s.judge(rule, self.turn)
            self.open = len(self.turn) < ctx.rules.timing.opening_window
            if result.status == "pass" or not self.open:
                self.done = True
                s.verdict(result, how="context")
        elif self.turn and ctx.says_beyond(u, "lexicon.line-check", stopwords=False):
            self.open, self.done = False, True
            s.verdict(s.judge(rule, self.turn), how="context")

    def clock(self, s: LiveSession) -> None:
        if self.warned or self.turn or s.clock < s.greeting_seconds:
            return
        self.warned = True
        rule = self.rules[0]
        s.deadline(rule, f"the agent has not greeted the caller {s.clock:g} s after the answer",
                   suggestion=s.ctx(rule).suggestion())


class _Closing(_Tracker):
    """``offer-further-help``, ``thank-and-goodbye``, ``callback-closing``: at each goodbye of the agent the
    closing (its last ``closing_window`` utterances, ending at the goodbye, with up to ``wrap_up_window`` more
    that the agent said since the customer's last matter, as the batch check's wrap-up reads it) is judged by
    the checks. A missing part is an unsettled alert: the customer may go on (retracted), the agent may say
    goodbye again (judged anew). After a transfer the closing may not be the agent's at all, so these rules wait
    for the end."""

    def __init__(self, rules: Sequence[str], window: int, wrap_up: int) -> None:
        self.rules = tuple(rules)
        self.recent: deque[UtteranceDoc] = deque(maxlen=window)
        self.since_matter: deque[UtteranceDoc] = deque(maxlen=window + wrap_up)
        self.goodbye = False
        self.alerts: list[int] = []
        self.dead = False

    def _withdraw(self, s: LiveSession, why: str) -> None:
        for seq in self.alerts:
            s.retract(seq, why)
        self.alerts = []

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        if self.dead:
            return
        ctx = s.ctx(self.rules[0])
        if u.speaker == "customer":
            if not ctx.is_interjection(u):
                self.since_matter.clear()
            if self.goodbye and ctx.reopens(u):
                self.goodbye = False
                self._withdraw(s, "the customer went on after the goodbye; the closing is judged again at the next one")
            return
        self.recent.append(u)
        self.since_matter.append(u)
        if s.doc.first_hit(u, "lexicon.goodbye") is None:
            return
        self.goodbye = True
        self._withdraw(s, "the agent said goodbye again; the closing ends at the last goodbye")
        earlier = [v for v in self.recent if v.index < self.since_matter[0].index]
        for rule in self.rules:
            result = s.judge(rule, [*earlier, *self.since_matter])
            if result.status == "fail":
                self.alerts.append(s.verdict(result, how="context", settled=False))

    def transfer(self, s: LiveSession, index: int, start: float) -> None:
        if not self.dead:
            self.dead = True
            self._withdraw(s, "the call was transferred; whether the closing was this agent's is known at the end")
            for rule in self.rules:
                s.waiting[rule] = "the call was transferred: judged at the end"


class _Interrupting(_Timed):
    """``no-interrupting``: which customer utterance (not an interjection) is still being spoken when each agent
    utterance (not a back-channel) starts, as the check's ``_Speaking`` finds it, kept up to date as utterances
    come in any order: customer utterances sorted by start with a running maximum of their ends, and the agent
    utterances sorted by start, so that a customer utterance finalised after the agent's is found too. The
    check judges the window of the two utterances."""

    def __init__(self, rule: str) -> None:
        self.rules = (rule,)
        self.keys: list[tuple[float, int]] = []
        self.starts: list[float] = []
        self.own: list[UtteranceDoc] = []
        self.longest: list[tuple[float, UtteranceDoc]] = []
        self.agents: list[tuple[float, int, UtteranceDoc]] = []
        self.current: dict[int, tuple[int, int]] = {}
        """agent utterance index → (customer utterance index, seq of the alert)"""

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        if self.untimed(s, u, (seq for _, seq in self.current.values()), "interruptions"):
            self.current = {}
            return
        rule = self.rules[0]
        start, end = u.utterance.start, u.utterance.end
        assert start is not None and end is not None
        ctx = s.ctx(rule)
        params = ctx.params
        assert isinstance(params, InterruptParams)
        if u.speaker == "customer":
            if ctx.is_interjection(u):
                return
            position = bisect.bisect_right(self.keys, (start, u.index))
            self.keys.insert(position, (start, u.index))
            self.starts.insert(position, start)
            self.own.insert(position, u)
            self.longest.insert(position, (0.0, u))
            for i in range(position, len(self.own)):  # the running maximum from here on: one step when in order
                c = self.own[i]
                until = (c.utterance.end or 0.0) - params.tolerance_seconds
                self.longest[i] = self.longest[i - 1] if i and self.longest[i - 1][0] >= until else (until, c)
            low = bisect.bisect_left(self.agents, (start, -1))
            for a_start, _, a in self.agents[low:]:
                if a_start >= end - params.tolerance_seconds:
                    break
                self._judge(s, a)
        elif not ctx.is_backchannel(u):
            bisect.insort(self.agents, (start, u.index, u))
            self._judge(s, u)

    def _speaking(self, moment: float) -> UtteranceDoc | None:
        started = bisect.bisect_right(self.starts, moment)
        if started == 0:
            return None
        until, c = self.longest[started - 1]
        return c if until > moment else None

    def _judge(self, s: LiveSession, a: UtteranceDoc) -> None:
        c = self._speaking(a.utterance.start or 0.0)
        held = self.current.get(a.index)
        if held is not None and c is not None and held[0] == c.index:
            return
        if held is not None:
            s.retract(held[1], "a customer utterance that goes on longer came; the interruption is judged again")
            del self.current[a.index]
        if c is None:
            return
        call = s.doc.call.model_copy(update={"utterances": (c.utterance, a.utterance)})
        result = s.judge(self.rules[0], [c, a] if c.index < a.index else [a, c], call=call)
        if result.status == "fail":
            self.current[a.index] = (c.index, s.verdict(result, how="context"))


class _Restate(_Tracker):
    """``restate-question``, step by step as its check reads the call: the customer's first matter, then the
    customer utterances since it, until the agent restates it (passed) or answers without restating (alert).
    A restatement is passed at once and the pass retracted if the customer's next words correct it (不是,…);
    the agent's words in between are then judged as the check judges them. A wrong number anywhere in the
    call makes the rule not applicable: a verdict given is retracted."""

    def __init__(self, rule: str) -> None:
        self.rules = (rule,)
        self.phase: Literal["matter", "after", "confirming", "done", "none"] = "matter"
        self.matter: UtteranceDoc | None = None
        self.said: list[UtteranceDoc] = []
        self.mismatched: UtteranceDoc | None = None
        self.restated: UtteranceDoc | None = None
        self.pending: list[UtteranceDoc] = []
        """Agent utterances after a restatement, before the customer confirms or corrects it."""
        self.heard: list[UtteranceDoc] = []
        """Before a matter: the customer's words of substance since the agent last spoke, which a restatement
        makes the matter (a callback complaint the agent restates)."""
        self.inferred = False
        self.given: int | None = None
        self.correction: UtteranceDoc | None = None
        """The customer's correction of a restatement, until the agent's next words take it up or not."""
        self.block: list[UtteranceDoc] = []
        """The customer's words of substance since the agent last spoke, in any phase."""
        self.stated = False
        """Whether an agent restatement of the block before it has been seen: as the check does, the first one
        moves the matter back to the statement it restates when that came before the matter."""

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        if self.phase == "none":
            return
        ctx = s.ctx(self.rules[0])
        params = ctx.params
        assert isinstance(params, RestateParams)
        block = self.block
        if u.speaker == "customer":
            if has_substance(ctx, u):
                block.append(u)
        else:
            self.block = []
            if (not self.stated and block and is_restatement(ctx, u, params, block)
                    and restates_statement(ctx, u, block, params)):
                self.stated = True
                stated = next((c for c in block if shares_content(ctx, u, [c], params)), block[0])
                if self.phase == "after" and self.matter is not None and stated.index < self.matter.index:
                    # the check's matter is the restated statement when it came first (我号被封了 — 说我用外挂)
                    self.said = [*context_of(ctx, stated), *(c for c in block if c.index >= stated.index),
                                 *(c for c in self.said if c.index > block[-1].index)]
                    self.matter = stated
        if ctx.lexicon_hit(u, "wrong-number") is not None:
            self.phase = "none"
            if self.given is not None:
                s.retract(self.given, "the call reached a wrong number; there is no matter to restate")
            return
        if self.phase == "matter":
            if u.speaker == "agent":
                heard, self.heard = self.heard, []
                if heard and is_restatement(ctx, u, params, heard) and restates_statement(ctx, u, heard, params):
                    # the statement restated, as the check picks it, and what it answers counts as said
                    matter = next((c for c in heard if shares_content(ctx, u, [c], params)), heard[0])
                    self.matter, self.phase, self.inferred = matter, "after", True
                    self.said = [*context_of(ctx, matter), *(c for c in heard if c.index >= matter.index)]
                    self._agent(s, ctx, params, u)
                return
            if has_substance(ctx, u):
                self.heard.append(u)
            if not is_matter(ctx, u, params):
                return
            self.matter, self.phase = u, "after"
            self.said = context_of(ctx, u)
        if self.phase == "confirming":
            if u.speaker == "agent":
                self.pending.append(u)
                return
            correction = ctx.lexicon_hit(u, "correction")
            if correction is None or correction.start != 0:
                self.phase, self.pending = "done", []
                return
            if self.given is not None:
                s.retract(self.given, "the customer corrected the restatement")
            if self.inferred:  # the restated statement was a matter only because it was restated
                self.given, self.phase, self.matter, self.inferred = None, "matter", None, False
                self.said, self.pending, self.heard = [], [], [u]
                return
            self.given, self.phase, self.correction = None, "after", u
            self.mismatched = self.mismatched or self.restated
            if self.restated is not None and answers_after(ctx, self.restated, params):
                # the corrected restatement had gone on to answer: that was the first answer, as in the check
                self.pending = []
                self._fail(s, ctx, params, self.restated)
                return
            pending, self.pending = self.pending, []
            for agent in pending:
                self._agent(s, ctx, params, agent)
                if self.restated is agent:  # a newer restatement, passed: the correction answers it too
                    self.pending.extend(a for a in pending if a.index > agent.index)
                    self.utterance(s, u)
                    return
        if self.phase != "after":
            return
        if u.speaker == "customer":
            if withdraws_matter(ctx, u):  # the customer put the matter off: nothing to judge, as in the check
                self.phase = "done"
                return
            self.said.append(u)
            return
        self._agent(s, ctx, params, u)

    def _agent(self, s: LiveSession, ctx: Context, params: RestateParams, u: UtteranceDoc) -> None:
        """An agent utterance after the matter: a restatement (passed, until corrected), a waypoint, or an
        answer without a restatement (alert)."""
        if self.phase != "after":
            return
        matter = self.matter
        assert matter is not None
        if is_restatement(ctx, u, params, self.said):
            if shares_content(ctx, u, self.said, params):
                self.phase, self.restated = "confirming", u
                message = "the agent restated the customer's matter and asked for confirmation before answering"
                result = ctx.result("pass", message, [u.whole("restatement"), matter.whole("the customer's matter")])
                self.given = s.verdict(result, how="context")
                return
            self.mismatched = self.mismatched or u
            if not answers_after(ctx, u, params):
                return
        else:
            correction, self.correction = self.correction, None
            if correction is not None and self.restated is not None and takes_correction(
                    ctx, u, correction, [*self.said, self.restated], params):
                self.phase = "done"
                message = "the agent restated the customer's matter and asked for confirmation before answering"
                result = ctx.result("pass", message, [u.whole("restatement"), matter.whole("the customer's matter")])
                self.given = s.verdict(result, how="context")
                return
            if is_waypoint(ctx, u, self.said) or closes_call(ctx, u, self.said):
                return
        self._fail(s, ctx, params, u)

    def _fail(self, s: LiveSession, ctx: Context, params: RestateParams, u: UtteranceDoc) -> None:
        """The alert: ``u`` answered the matter without a restatement that counts."""
        matter = self.matter
        assert matter is not None
        self.phase = "done"
        topic = "".join(core_tokens(ctx, matter, spans_of(ctx, matter, "lexicon.non-matter")))[: params.topic_chars]
        evidence = [u.whole("the agent answered here without restating", "absence"), matter.whole("the customer's matter")]
        if self.mismatched is not None:
            if self.mismatched is not u:
                evidence.append(self.mismatched.whole("a confirmation that does not restate what the customer said"))
            message = "the agent's confirmation does not restate what the customer said, and the agent went on to answer"
        else:
            message = "the agent answered without first restating the customer's matter and asking for confirmation"
        result = ctx.result("fail", message, evidence, suggestion=ctx.suggestion(topic=topic or "**"))
        self.given = s.verdict(result, how="context")


class _Chatting(_Tracker):
    """``no-chatting-before-hangup``: after the agent's latest goodbye (with nothing of substance from the
    customer since), each agent utterance that is not closing talk is an unsettled alert; the customer going
    on, or another goodbye, retracts them (only what follows the last goodbye counts)."""

    def __init__(self, rule: str) -> None:
        self.rules = (rule,)
        self.goodbye: tuple[UtteranceDoc, PhraseHit] | None = None
        self.alerts: list[int] = []

    def _withdraw(self, s: LiveSession, why: str) -> None:
        for seq in self.alerts:
            s.retract(seq, why)
        self.alerts = []

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        ctx = s.ctx(self.rules[0])
        if u.speaker == "customer":
            if self.goodbye is not None and ctx.reopens(u):
                self.goodbye = None
                self._withdraw(s, "the customer went on after the goodbye")
            return
        message = "after saying goodbye the agent kept talking about something else before the call ended"
        settings = ctx.params
        assert isinstance(settings, NothingBeyond)
        # closing talk, closing courtesies and emoticons as the rule's own settings name them, as the check reads them
        talk = aside(ctx.doc, u, [f"lexicon.{name}" for name in settings.whole_lexicons])
        closing = [f"lexicon.{name}" for name in settings.lexicons]
        covered = ctx.covered(u, *closing) | in_brackets(u)  # an emoticon code (拜拜~[玫瑰]) says nothing
        hits = ctx.doc.hits(u, "lexicon.goodbye")
        if hits:
            self._withdraw(s, "the agent said goodbye again; only what follows the last goodbye counts")
            last = hits[-1]
            self.goodbye = (u, last)
            if not talk and ctx.says_beyond_covered(u, covered, last.end):
                evidence = [u.evidence(last.end, len(u.key), "said after the goodbye"), u.hit_evidence(last, "the goodbye")]
                self.alerts.append(s.verdict(ctx.result("fail", message, evidence), how="context", settled=False))
            return
        if self.goodbye is not None and u.key and not talk and ctx.says_beyond_covered(u, covered):
            g, last = self.goodbye
            evidence = [u.whole("said after the goodbye, with the customer still on the line"),
                        g.hit_evidence(last, "the goodbye")]
            self.alerts.append(s.verdict(ctx.result("fail", message, evidence), how="context", settled=False))


class _Transfer(_Tracker):
    """``no-transfer-without-consent``: judged by its check when the first transfer event comes, on the call so
    far (one pass at the event, not per utterance), when every utterance so far has a start time. An utterance
    that starts before the transfer but comes after it, or has no time, or an earlier transfer, retracts the
    verdict: the rule then waits for the end."""

    def __init__(self, rule: str) -> None:
        self.rules = (rule,)
        self.at: float | None = None
        self.given: int | None = None
        self.dead = False

    def _give_up(self, s: LiveSession, why: str) -> None:
        self.dead = True
        if self.given is not None:
            s.retract(self.given, why)
            self.given = None
        s.waiting[self.rules[0]] = "judged at the end: " + why

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        if self.dead or self.at is None:
            return
        start = u.utterance.start
        if start is None or start < self.at:
            self._give_up(s, "an utterance without a time, or from before the transfer, came after it")

    def transfer(self, s: LiveSession, index: int, start: float) -> None:
        if self.dead:
            return
        if self.at is not None:
            if start < self.at:
                self._give_up(s, "an earlier transfer came after a later one")
            return
        self.at = start
        if any(u.utterance.start is None for u in s.doc.utterances):
            self._give_up(s, "the utterances have no times to place the transfer")
            return
        call = s.doc.call.model_copy(update={"utterances": tuple(u.utterance for u in s.doc.utterances),
                                             "events": s.events_so_far()})
        result = s.judge(self.rules[0], list(s.doc.utterances), call=call)
        self.given = s.verdict(result, how="event", utterance=None)


@dataclass
class _Hold:
    """One hold as ``apologise-after-hold`` reads it: the agent utterance (position among the agent's) that
    should apologise, the evidence of where the hold is, and the alert raised for it."""

    where: Evidence
    after: int | None = None
    failed: CheckResult | None = None
    seq: int | None = None
    end: float | None = None
    asked: UtteranceDoc | None = None
    """The agent's request to wait, for a hold placed from the text (whether it leads into a transfer)."""


class _Holds(_Tracker):
    """``apologise-after-hold`` in the three ways its check finds holds, each kept up to date as the call goes
    on: from hold events (the agent's first utterance starting at their end), from silences of
    ``hold_gap_seconds`` in a timed call, and from the agent's requests to wait in an untimed one. The check
    uses the first that applies to the whole call; the session alerts on the one that applies to the call so
    far and, when that changes (the first hold event comes, an utterance without times comes), retracts the
    other's alerts and raises this one's."""

    def __init__(self, rule: str) -> None:
        self.rules = (rule,)
        self.holds: dict[str, list[_Hold]] = {"events": [], "gaps": [], "lexicon": []}
        self.pending: list[tuple[str, _Hold]] = []
        """The holds not judged yet (their agent utterance, or its next segment, is still to come): a few at a time,
        whatever the length of the call."""
        self.reached: list[float] = []  # running maximum of the agent's start times
        self.agent_untimed = False
        self.timed = True
        self.last_end: float | None = None
        self.customer_waits = False
        self.mode: Literal["events", "gaps", "lexicon"] = "lexicon"
        self.warned_stretch: float | None = None
        self.warned_holds: set[int] = set()
        self.heard = False
        """Whether the customer has said something beyond a greeting (a wait before that holds nothing)."""

    def _mode(self, s: LiveSession) -> Literal["events", "gaps", "lexicon"]:
        if self.holds["events"]:
            return "events"
        return "gaps" if self.timed and s.doc.utterances else "lexicon"

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        ctx = s.ctx(self.rules[0])
        params = ctx.params
        assert isinstance(params, HoldParams)
        start, end = u.utterance.start, u.utterance.end
        agent = s.doc.agent
        if u.speaker == "agent":
            position = len(agent) - 1
            if start is None:
                self.agent_untimed = True
            self.reached.append(max(self.reached[-1], start or 0.0) if self.reached else (start or 0.0))
            waiting = still_waiting(ctx, u)  # 稍等哦, 我帮您查一下: the customer still waits (as the check reads it)
            open_wait = returned = False
            handed_on: list[_Hold] = []
            for mode, hold in self.pending:
                if hold.after is not None:
                    continue
                if mode == "lexicon":
                    if waiting:
                        open_wait = True
                    elif hold.asked is agent[position - 1] and into_transfer(ctx, hold.asked, u):
                        handed_on.append(hold)  # 请稍等 — 好的,正在为您转接: the wait led into a transfer, no hold
                    else:
                        hold.after = position  # the agent's return: its first words with something more to say
                        returned = True
                elif hold.end is not None and self.reached[-1] >= hold.end - 0.5:
                    hold.after = position  # the agent's first utterance after the hold
            for hold in handed_on:
                self.holds["lexicon"].remove(hold)
                self.pending.remove(("lexicon", hold))
            hit = ctx.lexicon_hit(u, "wait-request")
            # nothing asked yet, or already waiting: no new hold; nor a wait that announces the transfer itself
            # (现在为您转接,请别挂机), as the check reads it
            # nor a renewed wait that apologises (对不起啊,回复有点慢您等等): the wait goes on, apologised for
            renewed = returned and ctx.find_part([u], "apology") is not None
            if (hit is not None and self.heard and not open_wait and not renewed
                    and ctx.lexicon_hit(u, "transfer-announce") is None):
                self._add("lexicon", _Hold(u.hit_evidence(hit, "the agent asks the customer to wait"), asked=u))
        else:
            if not self.heard and not ctx.is_interjection(u):
                self.heard = True
            if ctx.lexicon_hit(u, "wait-released") is not None:
                # 不要看了: the customer calls the wait off, and no hold is left to come back from
                for mode, hold in [(m, h) for m, h in self.pending if m == "lexicon" and h.after is None]:
                    self.holds["lexicon"].remove(hold)
                    self.pending.remove((mode, hold))
        if self.timed and (start is None or end is None):
            self.timed = False
        # a customer's 喂?还在吗? during a hold does not end the agent's silence
        line_check = u.speaker == "customer" and not ctx.says_beyond(u, "lexicon.line-check", stopwords=False)
        if self.timed and start is not None and end is not None and not line_check:
            gap = None if self.last_end is None else start - self.last_end
            if u.speaker == "agent" and gap is not None and gap >= params.hold_gap_seconds and not self.customer_waits:
                where = u.whole(f"the agent speaks again after {gap:.0f} s of silence", "timing")
                self._add("gaps", _Hold(where, after=len(agent) - 1))
            self.customer_waits = u.speaker == "customer" and ctx.lexicon_hit(u, "wait-request") is not None
            self.last_end = end if self.last_end is None else max(self.last_end, end)
        self.warned_stretch = None
        self._update(s)

    def hold(self, s: LiveSession, index: int) -> None:
        start, end = s.event_times(index)
        hold = next((h for h in self.holds["events"] if h.where.field == f"events[{index}]"), None)
        if hold is None:
            hold = _Hold(event_evidence(index, ""))
            self._add("events", hold)
        if end is not None:
            hold.where = event_evidence(index, f"hold from {start:g} s to {end:g} s")
            hold.end = end
            position = bisect.bisect_left(self.reached, end - 0.5)
            if position < len(self.reached):
                hold.after = position
        self._update(s)

    def _add(self, mode: str, hold: _Hold) -> None:
        self.holds[mode].append(hold)
        self.pending.append((mode, hold))

    def _update(self, s: LiveSession) -> None:
        rule = self.rules[0]
        ctx = s.ctx(rule)
        params = ctx.params
        assert isinstance(params, HoldParams)
        agent = s.doc.agent
        waiting: list[tuple[str, _Hold]] = []
        for mode, hold in self.pending:
            if hold.after is None:
                waiting.append((mode, hold))
                continue
            after = agent[hold.after]
            # a chat agent's return is its turn: judged once the customer writes again or the turn is full
            if (not self.timed and s.doc.utterances[-1].speaker == "agent"
                    and turn_length(agent, hold.after, params.return_turn_messages) < params.return_turn_messages):
                waiting.append((mode, hold))
                continue
            span = return_span(agent, hold.after, params, untimed=not self.timed)
            if hold.after + span > len(agent):
                waiting.append((mode, hold))
                continue  # the next segment is still to come (or the end decides)
            if ctx.find_part(agent[hold.after : hold.after + span], "apology") is None:
                note = "the agent's first words after the hold, without an apology for the wait"
                evidence = [after.whole(note, "absence"), hold.where]
                hold.failed = ctx.result("fail", "after a hold the agent did not apologise for the wait", evidence)
                if mode == self.mode and self._alive(mode):
                    hold.seq = s.verdict(hold.failed, how="context")
        self.pending = waiting
        mode = self._mode(s)
        if mode != self.mode:
            for hold in self.holds[self.mode]:
                if hold.seq is not None:
                    s.retract(hold.seq, f"the call now places its holds {_HOW_HOLDS[mode]}")
                    hold.seq = None
            self.mode = mode
            if self._alive(mode):
                for hold in self.holds[mode]:
                    if hold.failed is not None and hold.seq is None:
                        hold.seq = s.verdict(hold.failed, how="context")
        if mode == "events" and self.agent_untimed:
            for hold in self.holds["events"]:
                if hold.seq is not None:
                    s.retract(hold.seq, "the call has hold events but utterances without times to place them")
                    hold.seq = None

    def _alive(self, mode: str) -> bool:
        return not (mode == "events" and self.agent_untimed)

    def clock(self, s: LiveSession) -> None:
        rule = self.rules[0]
        params = s.ctx(rule).params
        assert isinstance(params, HoldParams)
        waited: float | None = None
        for index, (start, _) in s.holds_open():
            if index not in self.warned_holds and s.clock - start >= params.hold_gap_seconds:
                self.warned_holds.add(index)
                waited = s.clock - start
        if waited is None and not s.in_hold() and not self.customer_waits:
            since = s.stretch_start
            if since is not None and self.warned_stretch != since and s.clock - since >= params.hold_gap_seconds:
                self.warned_stretch = since
                waited = s.clock - since
        if waited is not None:
            s.deadline(rule, f"the customer has waited {waited:.0f} s; apologise for the wait when you come back",
                       suggestion=s.ctx(rule).suggestion())


_HOW_HOLDS = {"events": "from its hold events", "gaps": "from silences in its times",
              "lexicon": "from the agent's requests to wait (its utterances are not all timed)"}


class _SiteSilence(_Timed):
    """A site ``silence`` rule: the gap before each utterance, as its check measures it, while every utterance
    has times (an utterance without them makes the rule not assessable, and retracts its alerts)."""

    def __init__(self, rule: str, node: Silence) -> None:
        self.rules = (rule,)
        self.node = node
        self.last_end: float | None = None
        self.last_speaker: str | None = None
        self.alerts: list[int] = []

    def utterance(self, s: LiveSession, u: UtteranceDoc) -> None:
        if self.untimed(s, u, self.alerts, "silences"):
            return
        rule = self.rules[0]
        start, end = u.utterance.start, u.utterance.end
        assert start is not None and end is not None
        node = self.node
        if self.last_end is not None:
            gap = start - self.last_end
            waits = node.waiting == "anyone" or (self.last_speaker == "customer" and u.speaker == "agent")
            if waits and gap > node.max_seconds:
                evidence = [u.whole(f"{gap:.1f} s of silence before this (limit {node.max_seconds:g} s)", "timing")]
                result = s.ctx(rule).result("fail", f"a silence of {gap:.1f} s (limit {node.max_seconds:g} s)", evidence)
                self.alerts.append(s.verdict(result, how="context"))
        self.last_end = end if self.last_end is None else max(self.last_end, end)
        self.last_speaker = u.speaker


# --- the session --------------------------------------------------------------------------------------------


class LiveSession:
    """One call, judged as it goes on. Open it with :meth:`csqa.Scorer.live`; see the module's documentation.

    ``feed``, ``event``, ``advance`` and ``close`` each return what they cause, as :class:`LiveEvent` records
    in the order they happened. :attr:`clock` is the session's time in seconds from the answer: the latest of
    the times given to :meth:`advance`, the utterances' ends and the CTI events' starts. :attr:`waiting`
    names the rules this session judges only at the end, and why.
    """

    def __init__(
        self, scorer: Scorer, call: Call, *, silence_seconds: float | None = None, greeting_seconds: float | None = None
    ) -> None:
        self._scorer = scorer
        self.call_id = call.call_id
        self.greeting_seconds = _seconds(greeting_seconds, "greeting_seconds", DEFAULT_GREETING_SECONDS)
        self.clock = 0.0
        self.report: Report | None = None
        self.closing_events: tuple[LiveEvent, ...] = ()
        self.waiting: dict[str, str] = {}
        self._fields = call
        self._events: list[dict[str, Any]] = []
        self._holds_live: list[int] = []
        self._partials: dict[str, _Partial] = {}
        self._in_force: dict[int, LiveEvent] = {}
        self._seq = 0
        self._out: list[LiveEvent] = []
        self._cause: tuple[int | None, str | None, bool] = (None, None, True)
        self.stretch_start: float | None = None
        self._last_speaker: str | None = None
        self._silence_warned: float | None = None
        self._rebuild()
        self._trackers, self._local = self._plan()
        rule, limit, waiting = self._silence_rule()
        self._silence: tuple[str | None, float, str] = (rule, _seconds(silence_seconds, "silence_seconds", limit), waiting)

    # --- set-up and pickling ---------------------------------------------------------------------------

    def _rebuild(self) -> None:
        self.doc: CallDoc = self._scorer.open_doc(self._fields)
        self._contexts: dict[str, Context] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("doc", "_contexts", "_lock")}
        state["_utterance_docs"] = self.doc.utterances
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        docs = state.pop("_utterance_docs")
        self.__dict__.update(state)
        self._rebuild()
        for u in docs:
            self.doc.append(u)

    def __repr__(self) -> str:
        state = "closed" if self.report is not None else "open"
        return f"LiveSession(call_id={self.call_id!r}, utterances={len(self.doc.utterances)}, {state})"

    def _plan(self) -> tuple[list[_Tracker], list[_Local]]:
        rules = self._scorer.rules
        direction = self._fields.direction
        enabled = [r for r in rules.rules if direction in rules.checks[r].directions]
        for r in rules.rules:
            if r not in enabled:
                self.waiting[r] = f"does not apply to {direction} calls"
        local: list[_Local] = []
        trackers: list[_Tracker] = []
        first: list[str] = []
        closing: list[str] = []
        for r in enabled:
            check = rules.checks[r]
            if isinstance(check.run, SiteCheck):
                node = check.run.condition
                if isinstance(node, PhraseForbidden) and node.within == "call":
                    local.append(_Local(r, node))
                elif isinstance(node, Silence):
                    trackers.append(_SiteSilence(r, node))
                elif node.kind == "first-response":
                    first.append(r)
                else:
                    self.waiting[r] = f"a {node.kind} rule is judged on the whole call, at the end"
                continue
            if r in ("no-forbidden-phrases", "no-arguing", "no-absolute-promises"):
                params = self.ctx(r).params
                local.append(_Local(r, params if isinstance(params, PhraseForbidden) else None))
            elif r == "no-filler-words":
                local.append(_Fillers(r))
            elif r == "answer-within-three-rings":
                first.append(r)
            elif r in ("standard-greeting", "callback-introduction"):
                trackers.append(_Opening(r))
            elif r in ("offer-further-help", "thank-and-goodbye", "callback-closing"):
                closing.append(r)
            elif r == "restate-question":
                trackers.append(_Restate(r))
            elif r == "no-interrupting":
                trackers.append(_Interrupting(r))
            elif r == "no-chatting-before-hangup":
                trackers.append(_Chatting(r))
            elif r == "no-transfer-without-consent":
                trackers.append(_Transfer(r))
            elif r == "apologise-after-hold":
                trackers.append(_Holds(r))
            else:
                self.waiting[r] = LIVE_RULES.get(r, "judged on the whole call, at the end")
        if first:
            trackers.insert(0, _FirstAgent(first))
        if closing:
            trackers.append(_Closing(closing, rules.timing.closing_window, rules.timing.wrap_up_window))
        return trackers, local

    def _silence_rule(self) -> tuple[str | None, float, str]:
        found = [t for t in self._trackers if isinstance(t, _SiteSilence)]
        if not found:
            return None, DEFAULT_SILENCE_SECONDS, "customer"
        tightest = min(found, key=lambda t: t.node.max_seconds)
        return tightest.rules[0], tightest.node.max_seconds, tightest.node.waiting

    # --- what trackers use -----------------------------------------------------------------------------

    def ctx(self, rule: str) -> Context:
        """The context of ``rule`` over the call so far (its utterances are read one at a time)."""
        found = self._contexts.get(rule)
        if found is None:
            found = self._contexts[rule] = self._scorer.context(self.doc, rule)
        return found

    def judge(self, rule: str, utterances: list[UtteranceDoc], *, call: Call | None = None) -> CheckResult:
        """``rule``'s own check, run on a window of the call: ``utterances`` (and ``call`` for its fields)."""
        view = self.doc.window(utterances, call)
        return self._scorer.rules.checks[rule].run(self._scorer.context(view, rule))

    def verdict(
        self, result: CheckResult, *, how: How, settled: bool = True, utterance: int | Literal[False] | None = False
    ) -> int:
        """Raise ``passed`` or ``alert`` for a check's result (nothing for the other statuses); its seq, or 0."""
        if result.status not in ("pass", "fail"):
            return 0
        kind: EventKind = "passed" if result.status == "pass" else "alert"
        event = self._emit(kind, result.rule, result.message, evidence=result.evidence, suggestion=result.suggestion,
                           how=how, settled=settled, utterance=utterance)
        self._in_force[event.seq] = event
        return event.seq

    def retract(self, seq: int, why: str, *, how: How | None = None) -> None:
        """Withdraw the alert or pass ``seq`` (nothing when it is not in force)."""
        withdrawn = self._in_force.pop(seq, None)
        if withdrawn is None:
            return
        self._emit("retracted", withdrawn.rule, why, how=how or ("utterance" if self._cause[0] is not None else "event"),
                   retracts=seq, evidence=withdrawn.evidence)

    def deadline(self, rule: str | None, message: str, *, suggestion: str | None = None,
                 evidence: tuple[Evidence, ...] = ()) -> None:
        """Say that something due has not been said: from the clock, or (with evidence) from an utterance."""
        self._emit("deadline", rule, message, suggestion=suggestion, evidence=evidence,
                   how="clock" if not evidence else "utterance")

    def events_so_far(self) -> tuple[Event, ...]:
        return tuple(self._event_record(e, open_end=self.clock) for e in self._events)

    def event_times(self, index: int) -> tuple[float, float | None]:
        e = self._events[index]
        return e["start"], e["end"]

    def holds_open(self) -> list[tuple[int, tuple[float, float | None]]]:
        """The holds going on at the clock: started, and not ended before it (those ended are let go of, so this
        stays as short as the holds under way)."""
        events = self._events
        self._holds_live = [i for i in self._holds_live if events[i]["end"] is None or self.clock <= events[i]["end"]]
        return [(i, (events[i]["start"], events[i]["end"])) for i in self._holds_live if events[i]["start"] <= self.clock]

    def in_hold(self) -> bool:
        return bool(self.holds_open())

    def _emit(self, kind: EventKind, rule: str | None, message: str, *, how: How, evidence: Sequence[Evidence] = (),
              suggestion: str | None = None, settled: bool = True, retracts: int | None = None,
              utterance: int | Literal[False] | None = False) -> LiveEvent:
        self._seq += 1
        index, uid, final = self._cause
        rules = self._scorer.rules
        check = rules.checks.get(rule) if rule is not None else None
        config = rules.rules.get(rule) if rule is not None else None
        event = LiveEvent(
            kind=kind, seq=self._seq, rule=rule, code=check.code if check else None,
            severity=config.severity if config else None, message=message, evidence=tuple(evidence),
            suggestion=suggestion, utterance=index if utterance is False else utterance,
            utterance_id=uid if utterance is False else None, final=final, settled=settled and final,
            how=how, at=self.clock, retracts=retracts,
        )
        self._out.append(event)
        return event

    def _guarded(self, rule: str, step: Callable[..., Any], *args: Any) -> Any:
        try:
            return step(*args)
        except CsqaError:
            raise
        except Exception as exc:  # a bug in a check must name the call and the rule, as scoring does
            raise ScoringError(self.call_id, rule, exc) from exc

    # --- the caller's side --------------------------------------------------------------------------------

    @property
    def utterances(self) -> int:
        """How many final utterances the session has."""
        return len(self.doc.utterances)

    @property
    def in_force(self) -> tuple[LiveEvent, ...]:
        """The alerts and passes raised and not retracted, in order: the call's standing so far."""
        return tuple(self._in_force.values())

    def feed(
        self,
        speaker: str,
        text: str,
        *,
        start: float | None = None,
        end: float | None = None,
        final: bool = True,
        id: str | None = None,
    ) -> list[LiveEvent]:
        """An utterance as the recogniser gives it; the events it causes.

        ``speaker`` is ``agent`` or ``customer`` (or an alias, 坐席 / 客户…); ``start`` and ``end`` are seconds
        from the answer. ``final=False`` feeds a partial result, which a later feed with the same ``id``
        replaces (partial or final); ``id`` defaults to the speaker, which suits a recogniser with one channel
        per party. Raises :class:`~csqa.InputError` for a bad utterance (the session is unchanged).
        """
        with self._lock:
            self._open()
            index = len(self.doc.utterances)
            utterance = self._utterance(index, speaker, text, start, end)
            key = id if id is not None else utterance.speaker
            self._out = []
            self._cause = (index, key, final)
            previous = self._partials.pop(key, None)
            u = self.doc.prepare_one(index, utterance)
            findings = [f for t in self._local for f in self._guarded(t.rules[0], t.findings, self, u)]
            seqs = self._reconcile_partial(previous, findings, final)
            if not final:
                self._partials[key] = _Partial({(f.rule, f.evidence): seq for f, seq in zip(findings, seqs)})
                return self._take()
            self.doc.append(u)
            now = end if end is not None else self.clock
            self.clock = max(self.clock, now)  # events this utterance causes are made at its end
            for local in self._local:
                self._guarded(local.rules[0], local.commit, self, u)
            for tracker in self._trackers:
                self._guarded(tracker.rules[0], tracker.utterance, self, u)
            self.stretch_start, self._last_speaker, self._silence_warned = self.clock, utterance.speaker, None
            self._tick(now)
            return self._take()

    def event(self, type: str, *, start: float, end: float | None = None) -> list[LiveEvent]:
        """A CTI event as it happens: a ``hold`` (its ``end`` may come later: feed the hold again with the same
        ``start`` and its ``end``) or a ``transfer``; the events it causes. Raises :class:`~csqa.InputError`
        for a bad event."""
        with self._lock:
            self._open()
            self._out = []
            self._cause = (None, None, True)
            opened = next((i for i, e in enumerate(self._events)
                           if type == "hold" and e["type"] == "hold" and e["start"] == start and e["end"] is None), None)
            try:
                record = Event.model_validate({"type": type, "start": start, "end": end if end is not None else (
                    start if type == "hold" else None)})
            except ValidationError as exc:
                where = len(self._events) if opened is None else opened
                raise InputError(_problems(exc, f"events[{where}]"), call_id=self.call_id) from None
            if opened is not None:
                if end is None:
                    return self._take()
                self._events[opened]["end"] = record.end
                index = opened
            else:
                index = len(self._events)
                self._events.append({"type": record.type, "start": record.start, "end": end})
                if record.type == "hold":
                    self._holds_live.append(index)
            for tracker in self._trackers:
                if record.type == "transfer":
                    self._guarded(tracker.rules[0], tracker.transfer, self, index, record.start)
                else:
                    self._guarded(tracker.rules[0], tracker.hold, self, index)
            self._tick(record.start)
            return self._take()

    def advance(self, now: float) -> list[LiveEvent]:
        """Move the clock to ``now`` (seconds from the answer; a time before the clock leaves it where it is);
        the deadlines that fall by then."""
        with self._lock:
            self._open()
            if isinstance(now, bool) or not isinstance(now, (int, float)) or not math.isfinite(now) or now < 0:
                raise UsageError(f"advance(now): now must be a finite number of seconds ≥ 0, not {now!r}")
            self._out = []
            self._cause = (None, None, True)
            self._tick(float(now))
            return self._take()

    def close(self, *, hangup_by: str | None = None) -> Report:
        """End the call: its report, the very one :meth:`csqa.Scorer.score` gives for the call made of what was
        fed (final utterances in order, the events, ``hangup_by``). :attr:`closing_events` then holds what the
        close caused: the verdicts of the rules that wait for the end and of those still open, and the
        retraction of any live alert or pass the report does not bear out (and of the alerts of partials
        never made final). A hold still open ends at the clock."""
        with self._lock:
            self._open()
            self._out = []
            self._cause = (None, None, True)
            for partial in self._partials.values():
                for seq in partial.alerts.values():
                    self.retract(seq, "the utterance was never made final", how="report")
            self._partials = {}
            fields = self._fields.model_dump(exclude={"utterances", "events", "hangup_by"}, exclude_unset=True)
            fields.update(utterances=[u.utterance for u in self.doc.utterances], events=list(self.events_so_far()),
                          hangup_by=hangup_by)
            call = parse_call(fields)
            report = self._scorer.score_prepared(self.doc.window(self.doc.utterances, call))
            self._settle(report)
            self.report = report
            self.closing_events = tuple(self._take())
            return report

    # --- inside -----------------------------------------------------------------------------------------

    def _open(self) -> None:
        if self.report is not None:
            raise UsageError(f"live session {self.call_id!r} is closed")

    def _take(self) -> list[LiveEvent]:
        out, self._out = self._out, []
        return out

    def _utterance(self, index: int, speaker: str, text: str, start: float | None, end: float | None) -> Utterance:
        try:
            return Utterance.model_validate({"speaker": speaker, "text": text, "start": start, "end": end})
        except ValidationError as exc:
            raise InputError(_problems(exc, f"utterances[{index}]", index), call_id=self.call_id) from None

    def _reconcile_partial(self, previous: _Partial | None, findings: list[_Finding], final: bool) -> list[int]:
        """Keep the alerts of the previous partial of this utterance that ``findings`` bear out exactly, retract
        the others, raise the new ones; the seq in force for each finding."""
        kept = previous.alerts if previous is not None else {}
        seqs: list[int] = []
        wanted = {(f.rule, f.evidence) for f in findings}
        for key, seq in kept.items():
            if key not in wanted:
                self.retract(seq, "the final text no longer says it" if final else "the recogniser changed the text")
        for finding in findings:
            held = kept.get((finding.rule, finding.evidence))
            if held is not None and held in self._in_force:
                seq = held
            else:
                shown = finding.result.model_copy(update={"evidence": finding.evidence, "message": finding.message})
                seq = self.verdict(shown, how=finding.how)
            seqs.append(seq)
        return seqs

    def _tick(self, now: float) -> None:
        """Move the clock forward and let the deadlines that fall by then be said."""
        self.clock = max(self.clock, now)
        for tracker in self._trackers:
            self._guarded(tracker.rules[0], tracker.clock, self)
        rule, limit, waiting = self._silence
        since = self.stretch_start
        if (since is None or self._silence_warned == since or self.in_hold()
                or (waiting == "customer" and self._last_speaker != "customer")):
            return
        if self.clock - since > limit:
            self._silence_warned = since
            self.deadline(rule, f"{self.clock - since:.0f} s of silence while the customer waits (limit {limit:g} s)")

    def _event_record(self, e: dict[str, Any], *, open_end: float) -> Event:
        end = e["end"]
        if e["type"] == "hold" and end is None:
            end = max(open_end, e["start"])
        return Event(type=e["type"], start=e["start"], end=end)

    def _settle(self, report: Report) -> None:
        """Bring the live verdicts in line with the report: retract what it does not bear out, and say the
        verdict of each rule that had none in force."""
        by_rule: dict[str, list[LiveEvent]] = {}
        for event in self._in_force.values():
            by_rule.setdefault(event.rule or "", []).append(event)
        for check in report.checks:
            standing = by_rule.get(check.rule, [])
            found = set(check.evidence)
            kept = []
            for event in standing:
                if (check.status == "fail" and event.kind == "alert" and found.issuperset(event.evidence)) or (
                        check.status == "pass" and event.kind == "passed"):
                    kept.append(event)
                else:
                    self.retract(event.seq, f"the call as a whole: {check.status} ({check.message})", how="report")
            if check.status in ("pass", "fail") and not kept:
                self.verdict(check, how="report", utterance=None)


def _seconds(value: float | None, name: str, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value <= 0:
        raise UsageError(f"{name} must be a number of seconds > 0, not {value!r}")
    return float(value)


def _problems(exc: ValidationError, prefix: str, utterance: int | None = None) -> list[InputProblem]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        problems.append(InputProblem(field=f"{prefix}.{where}" if where else prefix, message=message, utterance=utterance))
    return problems
