"""Generic check kinds: a call centre's own rules, written in a rule file with no Python.

A site rule is a table ``[rules.<id>]`` with a ``kind`` and the settings of that kind::

    [rules.verify-identity]
    kind = "phrase-required"
    code = "SD01"
    title = "Verify the caller's identity"
    weight = 5
    severity = "major"
    phrases = ["{核实|验证|确认}{~4}身份", "身份证{号|号码}{~4}后{四|4}位"]
    within = "before-answer"

Each kind is a *condition* on the call that comes out ``pass``, ``fail``, ``not_applicable`` or
``not_assessable`` with evidence, and the rule's status is its condition's. Conditions nest with
``all`` / ``any`` / ``not``, as the condition expressions of the commercial inspection engines do:

* ``phrase-required`` / ``phrase-forbidden``: a phrase that must (must not) be said by ``speaker`` within a
  window (``within``): the whole call, the agent's opening or closing turn, before the agent first answers
  the customer's matter, the first N utterances or seconds, or the N utterances after a hold or transfer.
  A forbidden phrase takes the context that cancels a hit (``unless_before`` / ``unless_after``).
* ``order``: phrases ``first`` are said before phrases ``then`` (``then`` never said: not applicable).
* ``count``: phrases said at least ``at_least`` and at most ``at_most`` times.
* ``silence``, ``speech-rate``, ``overlap``, ``first-response``: timing conditions read from utterance
  times; a call without times is ``not_assessable``, never ``pass``.
* ``all`` / ``any`` / ``not``: logic over ``conditions``.

Phrases are patterns of the phrase language (see ``docs/phrases.md``); each condition's phrases become a
phrase family ``site.<rule id>.<n>`` searched in the same single pass as the manual's phrases.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from csqa.checks.base import Context
from csqa.outputs.report import CheckResult, Evidence, Status
from csqa.text.doc import UtteranceDoc

__all__ = ["KINDS", "Condition", "SiteCheck", "condition_families", "parse_condition"]

_SPEC = ConfigDict(extra="forbid", frozen=True)
Phrases = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)]
Speaker = Literal["agent", "customer"]


class Window(BaseModel):
    """Where a phrase is looked for. One of: ``first_utterances``, ``first_seconds``, or ``after`` (an event
    type) with ``utterances``."""

    model_config = _SPEC

    first_utterances: Annotated[int, Field(ge=1)] | None = None
    first_seconds: Annotated[float, Field(gt=0)] | None = None
    after: Literal["hold", "transfer"] | None = None
    utterances: Annotated[int, Field(ge=1)] = 3

    @model_validator(mode="after")
    def _one(self) -> Window:
        given = [n for n in ("first_utterances", "first_seconds", "after") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("a window is one of first_utterances = N, first_seconds = N, or after = \"hold\"|\"transfer\"")
        return self


Within = Literal["call", "opening", "closing", "before-answer"] | Window


class _Phrased(BaseModel):
    model_config = _SPEC

    phrases: Phrases
    speaker: Speaker = "agent"
    homophones: bool = False
    unless_before: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    unless_after: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    context_chars: Annotated[int, Field(ge=1, le=20)] = 4


class PhraseRequired(_Phrased):
    kind: Literal["phrase-required"]
    within: Within = "call"


class PhraseForbidden(_Phrased):
    kind: Literal["phrase-forbidden"]
    within: Within = "call"


class Order(BaseModel):
    model_config = _SPEC

    kind: Literal["order"]
    first: Phrases
    then: Phrases
    speaker: Speaker = "agent"
    homophones: bool = False


class Count(_Phrased):
    kind: Literal["count"]
    at_least: Annotated[int, Field(ge=0)] = 0
    at_most: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Count:
        if self.at_most is None and self.at_least == 0:
            raise ValueError("a count needs at_least or at_most")
        if self.at_most is not None and self.at_most < self.at_least:
            raise ValueError(f"at_most ({self.at_most}) is below at_least ({self.at_least})")
        return self


class Silence(BaseModel):
    model_config = _SPEC

    kind: Literal["silence"]
    max_seconds: Annotated[float, Field(gt=0)]
    waiting: Literal["customer", "anyone"] = "customer"


class SpeechRate(BaseModel):
    model_config = _SPEC

    kind: Literal["speech-rate"]
    speaker: Speaker = "agent"
    max_per_minute: Annotated[float, Field(gt=0)] | None = None
    min_per_minute: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> SpeechRate:
        if self.max_per_minute is None and self.min_per_minute is None:
            raise ValueError("a speech rate needs max_per_minute or min_per_minute")
        return self


class Overlap(BaseModel):
    model_config = _SPEC

    kind: Literal["overlap"]
    max_seconds: Annotated[float, Field(ge=0)]


class FirstResponse(BaseModel):
    model_config = _SPEC

    kind: Literal["first-response"]
    max_seconds: Annotated[float, Field(gt=0)]


class Logic(BaseModel):
    model_config = _SPEC

    kind: Literal["all", "any", "not"]
    conditions: Annotated[tuple[Condition, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _arity(self) -> Logic:
        if self.kind == "not" and len(self.conditions) != 1:
            raise ValueError("'not' takes exactly one condition")
        return self


Condition = Annotated[
    PhraseRequired | PhraseForbidden | Order | Count | Silence | SpeechRate | Overlap | FirstResponse | Logic,
    Field(discriminator="kind"),
]
Logic.model_rebuild()

KINDS: tuple[str, ...] = (
    "phrase-required", "phrase-forbidden", "order", "count", "silence", "speech-rate", "overlap", "first-response",
    "all", "any", "not",
)


class _Holder(BaseModel):
    model_config = _SPEC

    condition: Condition


def parse_condition(data: dict[str, Any]) -> Condition:
    """Validate one condition (raises pydantic's ValidationError, located under ``condition``)."""
    return _Holder.model_validate({"condition": data}).condition


def condition_families(rule_id: str, condition: Condition) -> Iterator[tuple[str, Any]]:
    """``(family name, condition)`` for every phrase list of a condition tree, in pre-order; ``order``
    gives two (``….first``, ``….then``)."""
    counter = iter(range(10_000))

    def walk(node: Condition) -> Iterator[tuple[str, Any]]:
        number = next(counter)
        if isinstance(node, Logic):
            for child in node.conditions:
                yield from walk(child)
        elif isinstance(node, Order):
            yield f"site.{rule_id}.{number}.first", node
            yield f"site.{rule_id}.{number}.then", node
        elif isinstance(node, _Phrased):
            yield f"site.{rule_id}.{number}", node

    return walk(condition)


# --- judging --------------------------------------------------------------------------------------------


class _Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Status
    message: str
    evidence: tuple[Evidence, ...] = ()


def _call_evidence(note: str) -> Evidence:
    return Evidence(utterance=None, start=0, end=0, quote="", field="utterances", note=note)


class SiteCheck:
    """The judging function of a site rule: its condition tree evaluated on a prepared call.

    A plain object rather than a closure, so that a rule set holding it pickles for worker processes.
    """

    def __init__(self, rule_id: str, condition: Condition, directions: Sequence[str] = ("inbound", "outbound")) -> None:
        self.rule_id = rule_id
        self.condition = condition
        self.directions = tuple(directions)

    def __call__(self, ctx: Context) -> CheckResult:
        if ctx.doc.call.direction not in self.directions:
            return ctx.not_applicable(f"the rule applies to {' and '.join(self.directions)} calls only")
        families = iter(name for name, _ in condition_families(self.rule_id, self.condition))
        outcome = _Judge(ctx, families).judge(self.condition)
        evidence = outcome.evidence
        if outcome.status == "fail" and not evidence:
            evidence = (_call_evidence(outcome.message),)
        return ctx.result(outcome.status, outcome.message, evidence)


class _Judge:
    """Evaluates one condition tree on one call; ``families`` yields the tree's family names in the order
    :func:`condition_families` gives them."""

    def __init__(self, ctx: Context, families: Iterator[str]) -> None:
        self.ctx = ctx
        self.doc = ctx.doc
        self.families = families

    def judge(self, node: Condition) -> _Outcome:
        if isinstance(node, Logic):
            return self._logic(node)
        if isinstance(node, Order):
            return self._order(node, next(self.families), next(self.families))
        if isinstance(node, (PhraseRequired, PhraseForbidden, Count)):
            return self._phrased(node, next(self.families))
        if isinstance(node, Silence):
            return self._silence(node)
        if isinstance(node, SpeechRate):
            return self._speech_rate(node)
        if isinstance(node, Overlap):
            return self._overlap(node)
        assert isinstance(node, FirstResponse)
        return self._first_response(node)

    # --- logic ----------------------------------------------------------------------------------------

    def _logic(self, node: Logic) -> _Outcome:
        outcomes = [self.judge(child) for child in node.conditions]
        if node.kind == "not":
            inner = outcomes[0]
            flipped: dict[str, Status] = {"pass": "fail", "fail": "pass"}
            status = flipped.get(inner.status, inner.status)
            return _Outcome(status=status, message=f"not ({inner.message})", evidence=inner.evidence)
        # all and any are duals: one fail decides all, one pass decides any; otherwise a condition that could
        # not be judged leaves the whole unjudged, and with nothing judged at all it does not apply.
        decisive: Status = "fail" if node.kind == "all" else "pass"
        other: Status = "pass" if node.kind == "all" else "fail"
        for status in (decisive, "not_assessable"):
            found = [o for o in outcomes if o.status == status]
            if found:
                return _merge(status, found)
        judged = [o for o in outcomes if o.status == other]
        return _merge(other, judged) if judged else _merge("not_applicable", outcomes)

    # --- phrases --------------------------------------------------------------------------------------

    def _window(self, within: Any, speaker: str) -> tuple[list[UtteranceDoc] | None, str, Status]:
        """The speaker's utterances inside the window, and where that is; ``None`` when the window cannot
        be placed, with the status that gives (a window after a hold in a call with no hold does not apply;
        one in seconds in an untimed call cannot be judged)."""
        ctx, doc = self.ctx, self.doc
        mine = [u for u in doc.utterances if u.speaker == speaker]
        if within == "call":
            return mine, "in the call", "pass"
        if within == "opening":
            return (ctx.opening() if speaker == "agent" else mine[:1]), "in the agent's opening", "pass"
        if within == "closing":
            return (ctx.closing() if speaker == "agent" else mine[-1:]), "in the agent's closing", "pass"
        if within == "before-answer":
            answer = self._first_answer()
            if answer is None:
                return None, "the customer raised no matter that the agent answered", "not_applicable"
            return [u for u in mine if u.index <= answer.index], "by the agent's first answer to the customer's matter", "pass"
        assert isinstance(within, Window)
        if within.first_utterances is not None:
            first = [u for u in doc.utterances[: within.first_utterances] if u.speaker == speaker]
            return first, f"in the first {within.first_utterances} utterances", "pass"
        if within.first_seconds is not None:
            if any(u.utterance.start is None for u in doc.utterances):
                return None, "the window is in seconds and the utterances have no times", "not_assessable"
            early = [u for u in mine if (u.utterance.start or 0.0) < within.first_seconds]
            return early, f"in the first {within.first_seconds:g} s", "pass"
        events = [e for e in doc.call.events if e.type == within.after]
        if not events:
            return None, f"there is no {within.after} in the call", "not_applicable"
        if any(u.utterance.start is None for u in doc.utterances):
            return None, f"the call has a {within.after} but its utterances have no times to place it", "not_assessable"
        moment = events[0].end if events[0].end is not None else events[0].start
        after = [u for u in mine if (u.utterance.start or 0.0) >= moment - 0.5]
        return after[: within.utterances], f"in the {within.utterances} utterances after the {within.after}", "pass"

    def _first_answer(self) -> UtteranceDoc | None:
        """The agent's first substantive reply to the customer's first matter: after the first customer
        utterance with substance, the first agent utterance that is not a back-channel or a question for
        details (the same waypoints ``restate-question`` passes over). The window ``before-answer`` runs up
        to this reply and includes it: an agent whose first words after the matter ask for the last four
        digits has verified before answering, whether or not the request ends in a question mark."""
        ctx = self.ctx
        matter = next((u for u in self.doc.utterances if u.speaker == "customer" and not ctx.is_interjection(u)), None)
        if matter is None:
            return None
        for u in self.doc.utterances[matter.index + 1 :]:
            if u.speaker != "agent" or ctx.is_backchannel(u) or u.is_question:
                continue
            if ctx.lexicon_hit(u, "clarifying-question") is None:
                return u
        return None

    def _hits(self, utterances: Sequence[UtteranceDoc], family: str) -> list[Evidence]:
        return [u.hit_evidence(hit, "said") for u in utterances for hit in self.doc.hits(u, family)]

    def _phrased(self, node: PhraseRequired | PhraseForbidden | Count, family: str) -> _Outcome:
        who = "the agent" if node.speaker == "agent" else "the customer"
        within = node.within if not isinstance(node, Count) else "call"
        if not any(u.speaker == node.speaker for u in self.doc.utterances):
            return _Outcome(status="not_assessable", message=f"{who} never speaks in this transcript")
        window, where, unplaced = self._window(within, node.speaker)
        if window is None:
            return _Outcome(status=unplaced, message=where)
        found = self._hits(window, family)
        shown = "、".join(dict.fromkeys(f"「{e.quote}」" for e in found))
        if isinstance(node, PhraseRequired):
            if found:
                return _Outcome(status="pass", message=f"{who} said {shown} {where}", evidence=tuple(found[:1]))
            if not window:
                return _Outcome(status="fail", message=f"{who} says nothing {where}, so not the required phrase")
            return _Outcome(status="fail", message=f"{who} did not say the required phrase {where}",
                            evidence=(window[0].whole(f"{where}: the required phrase is missing"),))
        if isinstance(node, PhraseForbidden):
            if found:
                return _Outcome(status="fail", message=f"{who} said {shown} {where}", evidence=tuple(found))
            return _Outcome(status="pass", message=f"{who} said none of the phrases {where}")
        count = len(found)
        low, high = node.at_least, node.at_most
        if count < low:
            evidence = (tuple(found) if found
                        else tuple(u.whole(f"said {count} time(s), at least {low} wanted") for u in window[:1]))
            return _Outcome(status="fail", message=f"{who} said the phrases {count} time(s), fewer than {low}", evidence=evidence)
        if high is not None and count > high:
            return _Outcome(status="fail", message=f"{who} said {shown} {count} times, more than {high}", evidence=tuple(found))
        return _Outcome(status="pass", message=f"{who} said the phrases {count} time(s)", evidence=tuple(found))

    def _order(self, node: Order, first: str, then: str) -> _Outcome:
        mine = [u for u in self.doc.utterances if u.speaker == node.speaker]
        firsts = self._positions(mine, first)
        thens = self._positions(mine, then)
        if not thens:
            return _Outcome(status="not_applicable", message="the later phrase is never said")
        (t_index, t_start, t_ev) = thens[0]
        before = [f for f in firsts if (f[0], f[1]) < (t_index, t_start)]
        if before:
            return _Outcome(status="pass", message=f"「{before[0][2].quote}」 came before 「{t_ev.quote}」",
                            evidence=(before[0][2], t_ev))
        message = f"「{t_ev.quote}」 was said before (or without) the phrase that must come first"
        return _Outcome(status="fail", message=message, evidence=(t_ev, *(f[2] for f in firsts[:1])))

    def _positions(self, utterances: Sequence[UtteranceDoc], family: str) -> list[tuple[int, int, Evidence]]:
        return [(u.index, hit.start, u.hit_evidence(hit, "said")) for u in utterances for hit in self.doc.hits(u, family)]

    # --- timing ---------------------------------------------------------------------------------------

    def _timed(self) -> bool:
        return self.doc.call.timed

    def _silence(self, node: Silence) -> _Outcome:
        if not self._timed():
            return _Outcome(status="not_assessable", message="silences need start and end times on every utterance")
        evidence: list[Evidence] = []
        last_end: float | None = None
        last: UtteranceDoc | None = None
        for u in self.doc.utterances:
            start, end = u.utterance.start or 0.0, u.utterance.end or 0.0
            if last is not None and last_end is not None:
                gap = start - last_end
                waits = node.waiting == "anyone" or (last.speaker == "customer" and u.speaker == "agent")
                if waits and gap > node.max_seconds:
                    evidence.append(u.whole(f"{gap:.1f} s of silence before this (limit {node.max_seconds:g} s)"))
            last_end = end if last_end is None else max(last_end, end)
            last = u
        return _over_limit("silence", len(evidence), node.max_seconds, evidence)

    def _speech_rate(self, node: SpeechRate) -> _Outcome:
        if not self._timed():
            return _Outcome(status="not_assessable", message="a speech rate needs start and end times on every utterance")
        mine = [u for u in self.doc.utterances if u.speaker == node.speaker]
        seconds = sum((u.utterance.end or 0.0) - (u.utterance.start or 0.0) for u in mine)
        if not mine or seconds <= 0:
            return _Outcome(status="not_assessable", message=f"the {node.speaker} has no timed speech")
        chars = sum(len(u.key) for u in mine)
        rate = chars / seconds * 60
        who = f"the {node.speaker}"
        if node.max_per_minute is not None and rate > node.max_per_minute:
            fastest = max(mine, key=lambda u: len(u.key) / max((u.utterance.end or 0) - (u.utterance.start or 0), 0.1))
            return _Outcome(status="fail", message=f"{who} speaks {rate:.0f} characters a minute (limit {node.max_per_minute:g})",
                            evidence=(fastest.whole(f"the fastest utterance; {rate:.0f} characters a minute overall"),))
        if node.min_per_minute is not None and rate < node.min_per_minute:
            return _Outcome(status="fail",
                            message=f"{who} speaks {rate:.0f} characters a minute (at least {node.min_per_minute:g})",
                            evidence=(mine[0].whole(f"{rate:.0f} characters a minute overall"),))
        return _Outcome(status="pass", message=f"{who} speaks {rate:.0f} characters a minute")

    def _overlap(self, node: Overlap) -> _Outcome:
        if not self._timed():
            return _Outcome(status="not_assessable", message="overlaps need start and end times on every utterance")
        evidence: list[Evidence] = []
        previous: UtteranceDoc | None = None
        for u in sorted(self.doc.utterances, key=lambda v: (v.utterance.start or 0.0, v.index)):
            if previous is not None and previous.speaker != u.speaker:
                overlap = min(previous.utterance.end or 0.0, u.utterance.end or 0.0) - (u.utterance.start or 0.0)
                if overlap > node.max_seconds:
                    evidence += [u.whole(f"overlaps the other party by {overlap:.1f} s (limit {node.max_seconds:g} s)"),
                                 previous.whole("still speaking")]
            if previous is None or (u.utterance.end or 0.0) >= (previous.utterance.end or 0.0):
                previous = u
        return _over_limit("overlap", len(evidence) // 2, node.max_seconds, evidence)

    def _first_response(self, node: FirstResponse) -> _Outcome:
        agent = self.doc.agent
        if not agent:
            return _Outcome(status="not_assessable", message="the agent never speaks in this transcript")
        start = agent[0].utterance.start
        if start is None:
            return _Outcome(status="not_assessable", message="the agent's first utterance has no time")
        if start > node.max_seconds:
            return _Outcome(status="fail",
                            message=f"the agent first spoke {start:g} s after the answer (limit {node.max_seconds:g} s)",
                            evidence=(agent[0].whole(f"first words, {start:g} s in"),))
        return _Outcome(status="pass", message=f"the agent first spoke {start:g} s after the answer")


def _over_limit(what: str, found: int, limit: float, evidence: Sequence[Evidence]) -> _Outcome:
    """The outcome of a timing condition that fails on each stretch over ``limit`` seconds."""
    if found:
        return _Outcome(status="fail", message=f"{found} {what}(s) over {limit:g} s", evidence=tuple(evidence))
    return _Outcome(status="pass", message=f"no {what} over {limit:g} s")


def _merge(status: Status, outcomes: Sequence[_Outcome]) -> _Outcome:
    message = "; ".join(o.message for o in outcomes) if len(outcomes) > 1 else (outcomes[0].message if outcomes else status)
    evidence = tuple(e for o in outcomes for e in o.evidence)
    return _Outcome(status=status, message=message, evidence=evidence)
