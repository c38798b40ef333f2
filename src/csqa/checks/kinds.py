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
* ``nothing-beyond``: within a window (after the goodbye), nothing but the phrases of some lexicons.
* ``fillers``: fewer than ``threshold`` filler words and impolite particles.
* ``silence``, ``speech-rate``, ``overlap``, ``first-response``: timing conditions read from utterance
  times; a call without times is ``not_assessable``, never ``pass``.
* ``all`` / ``any`` / ``not``: logic over ``conditions``.

A phrase condition reads its own ``phrases`` (patterns of the phrase language, ``docs/phrases.md``; each
condition's become a phrase family ``site.<rule id>.<n>`` searched in the same single pass as the manual's),
or the rule file's ``lexicons``, ``banned`` phrases or script ``parts``. The manual's script lines and
phrase taboos are built-in rules made of these kinds (:func:`kind_check`): their settings are their
parameters, and the windows (where an opening ends, whose closing it is) are decided here once for all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from csqa.checks.base import Check, Context
from csqa.outputs.i18n import data_text
from csqa.outputs.report import CheckResult, Evidence, Status
from csqa.text.doc import CallDoc, UtteranceDoc
from csqa.text.phrases import PhraseHit
from csqa.text.tokenizer import Token

__all__ = [
    "KINDS", "Condition", "Count", "Fillers", "NothingBeyond", "PhraseForbidden", "PhraseRequired", "SiteCheck", "Within",
    "aside", "condition_families", "condition_reads", "in_brackets", "judge_settings", "kind_check", "parse_condition",
]

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


Within = Literal["call", "opening", "closing", "wrap-up", "before-answer", "after-goodbye"] | Window


class _Phrased(BaseModel):
    """What a phrase condition looks for: its own ``phrases``, or phrase families of the rule file: ``parts``
    of the script step whose ``rule`` is this rule (each must be said), ``lexicons`` by name, or every
    ``banned`` phrase (each hit carries its own line to say instead). ``note`` says what a hit is (``note_zh``
    in Chinese, for findings in Chinese)."""

    model_config = _SPEC

    # An empty list given is an error of its own (reported with the file's other problems); absent is ().
    phrases: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)] = ()
    parts: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)] = ()
    lexicons: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)] = ()
    banned: bool = False
    note: str = ""
    note_zh: str = ""
    speaker: Speaker = "agent"
    homophones: bool = False
    unless_before: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    unless_after: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    context_chars: Annotated[int, Field(ge=1, le=20)] = 4

    @model_validator(mode="after")
    def _one_source(self) -> _Phrased:
        given = [name for name in ("phrases", "parts", "lexicons", "banned") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("say what to look for with one of phrases = [...], parts = [...], lexicons = [...] "
                             f"or banned = true{' (not ' + ' and '.join(given) + ')' if given else ''}")
        if self.parts and isinstance(self, (PhraseForbidden, Count)):
            raise ValueError("parts (each of which must be said) are for phrase-required")
        if isinstance(self, PhraseForbidden) and self.objections and self.speaker != "agent":
            raise ValueError("objections are the customer's to the agent's manner: they need speaker = \"agent\"")
        return self


class PhraseRequired(_Phrased):
    kind: Literal["phrase-required"]
    within: Within = "call"


class PhraseForbidden(_Phrased):
    kind: Literal["phrase-forbidden"]
    within: Within = "call"
    unless_reported: Annotated[str, Field(min_length=1)] | None = None
    """A lexicon of reporting frames (跟您说, 告诉您, 您是说): a hit right after one of them, within
    ``context_chars`` content characters, is somebody else's words the agent reports (工作人员跟您讲这跟我们
    没关系), not the agent's own, unless the frame's speaker is the agent (我跟您说,…)."""
    objections: Annotated[str, Field(min_length=1)] | None = None
    """A lexicon of the other party's objections to the speaker's manner (你这什么态度, 你这是什么话, 我要投诉你):
    the speaker's turn right before an objection (since the other party last spoke) is what they heard as a
    forbidden thing, found from context (``how = "context"``, so the fail asks for a human look). A turn that
    holds a hit already, or a banned phrase (the objection is to that phrase, which the banned-phrase rule
    judges), adds nothing."""


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


class NothingBeyond(BaseModel):
    """Within a window, the speaker says nothing but the given phrases (and stop words): after the goodbye,
    only the closing. An utterance holding a phrase of ``whole_lexicons`` belongs to the window's talk as a
    whole (a closing courtesy in the agent's own words: 遇到像您这样宽容的客户真是我们的荣幸), and one with no
    word outside square brackets (a chat's emoticon code, #E-s[微笑]) says nothing."""

    model_config = _SPEC

    kind: Literal["nothing-beyond"]
    lexicons: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)]
    whole_lexicons: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    within: Within = "after-goodbye"
    speaker: Speaker = "agent"


class Fillers(BaseModel):
    """Filler words and impolite modal particles, counted over the speaker's utterances, back-channels
    aside: a token made only of fillers (嗯, 嗯嗯, 呃), a particle token of one of ``particle_pos`` (嘛 as
    a modal particle, not in 干嘛), and a filler or particle at the edge of a word jieba's HMM made up (分嘛,
    呃我), never inside a dictionary word (额度). Adjacent fillers are one hesitation."""

    model_config = _SPEC

    kind: Literal["fillers"]
    speaker: Speaker = "agent"
    threshold: Annotated[int, Field(ge=1)] = 3
    fillers: tuple[Annotated[str, Field(min_length=1, max_length=1)], ...] = ("嗯", "恩", "呃", "额", "唔")
    particles: tuple[Annotated[str, Field(min_length=1, max_length=1)], ...] = ("喽", "啰", "嘛", "呗", "咯")
    particle_pos: tuple[str, ...] = ("y", "e", "o", "zg", "x")
    name_pos: tuple[str, ...] = ("n", "nz", "nr", "ns", "nt", "vn")
    """A particle followed in its clause by a word of these parts of speech is part of a name, not a modal particle
    (游呗旅行: a brand; a sentence-final 呗 or 嘛 ends its clause or comes before another clause's words)."""
    responses: tuple[Annotated[str, Field(min_length=1, max_length=1)], ...] = ("嗯", "恩")
    """Fillers that also answer or soften: doubled (嗯嗯) or with 呢/哪 (嗯呢) they say yes at the start of a
    reply, and after the last word of a written message (登记好了嗯) they soften it; there they are not
    counted. A single 嗯 starting a sentence is still a hesitation."""
    question_particles: tuple[Annotated[str, Field(min_length=1, max_length=1)], ...] = ("嘛",)
    """Particles that stand for 吗 ending a yes-or-no question (您是要退这一单是嘛, 这样可以嘛, 还有嘛?): not counted
    where the clause asks and holds none of ``emphatic`` (不是跟您说过了嘛 scolds)."""
    asking_words: tuple[str, ...] = ("是", "可以", "行", "对", "好", "有", "能", "会", "要", "需要")
    """Words right before the particle that make the clause a yes-or-no question (是嘛, 可以嘛, 有嘛)."""
    wh_words: tuple[str, ...] = ("几", "多少", "怎么", "为什么", "哪", "谁")
    """Question words after which the particle softens a question rather than standing for 吗 (打几分嘛)."""
    emphatic: tuple[str, ...] = ("不是", "就", "本来", "都", "也", "早", "反正", "当然", "别", "放心")
    question_openers: tuple[str, ...] = ("是", "您是", "请问", "就是说", "也就是说", "意思是", "您的意思是")
    """Words opening a clause that asks for confirmation (那就是说周末还有四百兆流量嘛): its final particle stands
    for 吗."""


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
    PhraseRequired | PhraseForbidden | Order | Count | NothingBeyond | Fillers | Silence | SpeechRate | Overlap
    | FirstResponse | Logic,
    Field(discriminator="kind"),
]
Logic.model_rebuild()

KINDS: tuple[str, ...] = (
    "phrase-required", "phrase-forbidden", "order", "count", "nothing-beyond", "fillers", "silence", "speech-rate",
    "overlap", "first-response", "all", "any", "not",
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
        elif isinstance(node, _Phrased) and node.phrases:
            yield f"site.{rule_id}.{number}", node

    return walk(condition)


# The lexicons each window and kind reads to find its place in the call (the opening ends at an answer,
# not at a check of the line; the closing ends at the goodbye; a back-channel is not speech to judge).
_WINDOW_LEXICONS: dict[str, tuple[str, ...]] = {
    "opening": ("line-check",),
    "closing": ("goodbye", "non-matter", "transfer-announce", "wait-request", "backchannel", "objection", "colleague-aside"),
    "wrap-up": ("goodbye", "non-matter", "transfer-announce", "wait-request", "backchannel", "closing-talk",
                "closing-courtesy", "objection", "colleague-aside"),
    "after-goodbye": ("goodbye", "non-matter", "objection", "colleague-aside"),
    "before-answer": ("non-matter", "backchannel", "clarifying-question"),
}


def condition_reads(condition: Any) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """The rule file's families a condition tree reads: script parts, lexicons (its own and its windows'),
    and whether the banned phrases. They are the rule's declaration of what it reads; a rule file that
    lacks one is reported on load."""
    parts: list[str] = []
    lexicons: list[str] = []
    banned = False

    def walk(node: Any) -> None:
        nonlocal banned
        if isinstance(node, Logic):
            for child in node.conditions:
                walk(child)
            return
        if isinstance(node, _Phrased):
            parts.extend(node.parts)
            banned = banned or node.banned
        if isinstance(node, (_Phrased, NothingBeyond)):
            lexicons.extend(node.lexicons)
        if isinstance(node, NothingBeyond):
            lexicons.extend(node.whole_lexicons)
        if isinstance(node, PhraseForbidden) and node.unless_reported:
            lexicons.append(node.unless_reported)
        if isinstance(node, PhraseForbidden) and node.objections:
            lexicons.append(node.objections)
            banned = True
        within = getattr(node, "within", None)
        if isinstance(within, str):
            lexicons.extend(_WINDOW_LEXICONS.get(within, ()))
        if isinstance(node, Fillers) and node.speaker == "agent":
            lexicons.append("backchannel")

    walk(condition)
    return tuple(dict.fromkeys(parts)), tuple(dict.fromkeys(lexicons)), banned


# --- judging --------------------------------------------------------------------------------------------


class _Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Status
    message: str
    evidence: tuple[Evidence, ...] = ()
    suggestion: str | None = None


def _call_evidence(note: str) -> Evidence:
    return Evidence(utterance=None, start=0, end=0, quote="", field="utterances", note=note, how="absence")


def _conclude(ctx: Context, outcome: _Outcome) -> CheckResult:
    evidence = outcome.evidence
    if outcome.status == "fail" and not evidence:
        evidence = (_call_evidence(outcome.message),)
    return ctx.result(outcome.status, outcome.message, evidence, suggestion=outcome.suggestion)


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
            return ctx.not_applicable(ctx.say("site.directions", directions=_directions(ctx, self.directions)))
        families: dict[int, list[str]] = {}
        for name, node in condition_families(self.rule_id, self.condition):
            families.setdefault(id(node), []).append(name)
        return _conclude(ctx, _Judge(ctx, families).judge(self.condition))


def judge_settings(ctx: Context) -> CheckResult:
    """The judging function of a built-in rule made of a kind: its parameters are the kind's settings (with
    the declaration's defaults, tuned by the rule file), judged as a site rule's condition is. Its phrases
    come from the rule file's script parts, lexicons and banned phrases, never a list of its own."""
    check = ctx.rules.checks[ctx.rule_id]
    if ctx.doc.call.direction not in check.directions:
        return ctx.not_applicable(ctx.say("kind.directions", directions=_directions(ctx, check.directions),
                                          title=_title(ctx)))
    condition = ctx.params
    assert isinstance(condition, Settings)
    return _conclude(ctx, _Judge(ctx, {}).judge(condition))


Settings = PhraseRequired | PhraseForbidden | Count | NothingBeyond | Fillers
"""The kinds a built-in rule is made of: one condition, its settings the rule's parameters."""


def kind_check(rule_id: str, code: str, title: str, summary: str, settings: type[Settings], *,
               directions: tuple[str, ...] = ("inbound", "outbound"), manual: str = "") -> Check:
    """The declaration of a built-in rule made of a kind: ``settings`` is the kind's settings model with
    the rule's defaults (its parameters, which a rule file may tune); the script parts and lexicons it reads
    follow from them."""
    default = settings.model_validate({})
    parts, lexicons, _ = condition_reads(default)
    return Check(rule_id, code, title, summary, judge_settings, directions=directions, params=settings,
                 step_parts=parts, lexicons=lexicons, kind=default.kind, manual=manual)


_PLACES = {"opening": "parts.opening", "closing": "parts.closing", "wrap-up": "parts.closing",
           "after-goodbye": "parts.after-goodbye"}
"""Where the parts of a script line are looked for, as a finding names the place (a message id)."""

Span = tuple[UtteranceDoc, int]
"""An utterance of a window, and the content-key offset the window starts at in it (after a goodbye said
in the middle of an utterance, the rest of that utterance)."""


class _Judge:
    """Evaluates one condition tree on one call; ``families`` gives the phrase-family names of each node
    that has phrases of its own (by ``id``), as :func:`condition_families` names them."""

    def __init__(self, ctx: Context, families: dict[int, list[str]]) -> None:
        self.ctx = ctx
        self.doc = ctx.doc
        self.families = families

    def judge(self, node: Condition) -> _Outcome:
        if isinstance(node, Logic):
            return self._logic(node)
        if isinstance(node, Order):
            first, then = self.families[id(node)]
            return self._order(node, first, then)
        if isinstance(node, (PhraseRequired, PhraseForbidden, Count)):
            return self._phrased(node)
        if isinstance(node, NothingBeyond):
            return self._nothing_beyond(node)
        if isinstance(node, Fillers):
            return self._fillers(node)
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
            return _Outcome(status=status, message=self.ctx.say("logic.not", message=inner.message), evidence=inner.evidence)
        # all and any are duals: one fail decides all, one pass decides any; otherwise a condition that could
        # not be judged leaves the whole unjudged, and with nothing judged at all it does not apply.
        decisive: Status = "fail" if node.kind == "all" else "pass"
        other: Status = "pass" if node.kind == "all" else "fail"
        for status in (decisive, "not_assessable"):
            found = [o for o in outcomes if o.status == status]
            if found:
                return _merge(self.ctx, status, found)
        judged = [o for o in outcomes if o.status == other]
        return _merge(self.ctx, other, judged) if judged else _merge(self.ctx, "not_applicable", outcomes)

    # --- windows --------------------------------------------------------------------------------------

    def _window(self, within: Any, speaker: str) -> tuple[list[Span] | None, str, Status]:
        """The speaker's utterances inside the window, and where that is; ``None`` when the window cannot
        be placed, with the status that gives (a window after a hold in a call with no hold does not apply;
        one in seconds in an untimed call cannot be judged; the closing of a call the agent handed off to a
        colleague was not theirs, and that of a call the customer left during a hold cannot be judged)."""
        ctx, doc = self.ctx, self.doc
        mine = [u for u in doc.utterances if u.speaker == speaker]
        if within == "call":
            return _whole(mine), ctx.say("where.call"), "pass"
        if within == "opening":
            return _whole(ctx.opening() if speaker == "agent" else mine[:1]), ctx.say("where.opening"), "pass"
        if within in ("closing", "wrap-up"):
            handed_off = ctx.handed_off()
            if handed_off is None:
                return None, ctx.say("window.transfer-untimed"), "not_assessable"
            if handed_off:
                return None, ctx.say("window.handed-off"), "not_applicable"
            if ctx.ended_on_hold():
                return None, ctx.say("window.ended-on-hold"), "not_assessable"
            if within == "wrap-up" and speaker == "agent":
                return _whole(self._wrap_up()), ctx.say("where.closing"), "pass"
            return _whole(ctx.closing() if speaker == "agent" else mine[-1:]), ctx.say("where.closing"), "pass"
        if within == "after-goodbye":
            goodbye = ctx.last_goodbye()
            if goodbye is None:
                return None, ctx.say("window.no-goodbye"), "not_applicable"
            rest = doc.utterances[goodbye.index + 1 :]
            said = doc.hits(goodbye, "lexicon.goodbye")[-1].end
            spans = [(goodbye, said)] if speaker == "agent" else []
            return spans + _whole(u for u in rest if u.speaker == speaker), ctx.say("where.after-goodbye"), "pass"
        if within == "before-answer":
            answer = self._first_answer()
            if answer is None:
                return None, ctx.say("window.no-answer"), "not_applicable"
            return _whole(u for u in mine if u.index <= answer.index), ctx.say("where.before-answer"), "pass"
        assert isinstance(within, Window)
        if within.first_utterances is not None:
            first = [u for u in doc.utterances[: within.first_utterances] if u.speaker == speaker]
            return _whole(first), ctx.say("where.first-utterances", count=within.first_utterances), "pass"
        if within.first_seconds is not None:
            if any(u.utterance.start is None for u in doc.utterances):
                return None, ctx.say("window.seconds-untimed"), "not_assessable"
            early = [u for u in mine if (u.utterance.start or 0.0) < within.first_seconds]
            return _whole(early), ctx.say("where.first-seconds", seconds=within.first_seconds), "pass"
        events = [e for e in doc.call.events if e.type == within.after]
        event = ctx.say(f"event.{within.after}")
        if not events:
            return None, ctx.say("window.no-event", event=event), "not_applicable"
        if any(u.utterance.start is None for u in doc.utterances):
            return None, ctx.say("window.event-untimed", event=event), "not_assessable"
        moment = events[0].end if events[0].end is not None else events[0].start
        after = [u for u in mine if (u.utterance.start or 0.0) >= moment - 0.5]
        return _whole(after[: within.utterances]), ctx.say("where.after-event", count=within.utterances, event=event), "pass"

    def _wrap_up(self) -> list[UtteranceDoc]:
        """The agent's closing (its last ``timing.closing_window`` utterances up to the final goodbye), counted
        as a reviewer counts it: a closing courtesy before the goodbye (不客气, 祝您生活愉快, a request to rate the
        service) is part of the goodbye and does not use up one of the three, so the window reaches one
        utterance further back for each, over what the agent said after the customer's last matter (at most
        ``timing.wrap_up_window`` more). In a chat the offer, the customer's 没有了谢谢, thanks, a request for a
        rating and the goodbye run over many short messages, and an offer made there is made at the close;
        words of substance after the offer (a delivery promise, a promotion) do use up the three."""
        ctx = self.ctx
        closing = ctx.closing()
        if not closing:
            return closing
        agent = self.doc.agent
        first = agent.index(closing[0])
        last_matter = max((u.index for u in self.doc.utterances[: closing[-1].index]
                           if u.speaker == "customer" and not ctx.is_interjection(u)), default=-1)
        spare = sum(1 for u in closing[:-1] if self._courtesy(u))
        earlier: list[UtteranceDoc] = []
        for u in reversed(agent[max(0, first - ctx.rules.timing.wrap_up_window) : first]):
            if spare == 0 or u.index <= last_matter:
                break
            earlier.append(u)
            if not self._courtesy(u):
                spare -= 1
        return earlier[::-1] + closing

    def _courtesy(self, u: UtteranceDoc) -> bool:
        """Whether an agent utterance is only closing courtesy: a chat's emoticon codes alone ([微笑], #E-s01), or
        nothing beyond closing talk, or a closing courtesy in the agent's own words (the lexicons
        ``no-chatting-before-hangup`` reads)."""
        ctx = self.ctx
        if _EMOTICONS.fullmatch(u.text):
            return True
        return ctx.lexicon_hit(u, "closing-courtesy") is not None or not ctx.says_beyond(u, "lexicon.closing-talk")

    def _first_answer(self) -> UtteranceDoc | None:
        """The agent's first substantive reply to the customer's first matter: after the first customer
        utterance with substance, the first agent utterance that is not a back-channel or a question for
        details (the same waypoints ``restate-question`` passes over). The window ``before-answer`` runs up
        to this reply and includes it: an agent whose first words after the matter ask for the last four
        digits has verified before answering, whether or not the request ends in a question mark."""
        ctx = self.ctx
        matter = ctx.first_words()
        if matter is None:
            return None
        for u in self.doc.utterances[matter.index + 1 :]:
            if u.speaker != "agent" or ctx.is_backchannel(u) or u.is_question:
                continue
            if ctx.lexicon_hit(u, "clarifying-question") is None:
                return u
        return None

    # --- phrases --------------------------------------------------------------------------------------

    def _sources(self, node: _Phrased) -> list[str]:
        """The phrase families a phrase condition reads (its own, or the rule file's it names)."""
        if node.phrases:
            return self.families[id(node)]
        if node.lexicons:
            return [f"lexicon.{name}" for name in node.lexicons]
        if node.banned:
            return [f"banned.{name}" for name in self.ctx.rules.model.banned]
        return [self.ctx.family(part) for part in node.parts]

    def _found(self, window: Sequence[Span], families: Sequence[str]) -> list[tuple[UtteranceDoc, PhraseHit]]:
        """Every hit of ``families`` in the window, one per stretch of speech (the longest of overlapping
        hits), in order."""
        hits = [(u, hit) for u, offset in window for family in families for hit in self.doc.hits(u, family)
                if hit.start >= offset]
        return _distinct(hits)

    def _reported(self, u: UtteranceDoc, hit: PhraseHit, frames: str, within: int) -> bool:
        """Whether ``hit`` is reported speech: it stands inside a quotation (回复您“不行就是不行”, 他们的原话是“这跟
        我们分拣没关系,…”: an opening mark before it in the utterance, not closed before it), or a reporting frame
        of the lexicon ``frames`` ends at most ``within`` content characters before it and the frame's speaker
        is not the agent (no 我 in the three characters before it: 我跟您说 introduces the agent's own words)."""
        start = u.key_map[hit.start]
        opened = max(u.text.rfind(mark, 0, start) for mark in _QUOTES_OPEN)
        if opened >= 0 and not any(mark in u.text[opened + 1 : start] for mark in _QUOTES_CLOSE):
            return True
        if start and u.text[start - 1] in _OPENING_QUOTES:
            return True
        return any(
            frame.end <= hit.start and hit.start - frame.end <= within
            and not any(word in u.key[max(0, frame.start - 3) : frame.start] for word in ("我", "咱"))
            for frame in self.doc.hits(u, f"lexicon.{frames}")
        )

    def _evidence(self, node: _Phrased, u: UtteranceDoc, hit: PhraseHit) -> Evidence:
        ctx = self.ctx
        how = ctx.say("homophone", phrase=hit.phrase) if hit.by_sound else ""
        if hit.family.startswith("banned."):
            banned = ctx.rules.model.banned[hit.family.removeprefix("banned.")]
            return u.hit_evidence(hit, ctx.say("phrase.banned-note", phrase=banned.phrase, how=how), ctx.instead(banned.instead))
        return u.hit_evidence(hit, f"{_note(ctx, node) or ctx.say('said')}{how}")

    def _phrased(self, node: PhraseRequired | PhraseForbidden | Count) -> _Outcome:
        ctx = self.ctx
        who = ctx.who(node.speaker)
        within = node.within if not isinstance(node, Count) else "call"
        if not any(u.speaker == node.speaker for u in self.doc.utterances):
            return _Outcome(status="not_assessable", message=ctx.say("party.silent", who=who))
        window, where, unplaced = self._window(within, node.speaker)
        if window is None:
            return _Outcome(status=unplaced, message=where)
        if isinstance(node, PhraseRequired) and node.parts:
            return self._parts(node, window, who, within)
        hits = self._found(window, self._sources(node))
        if isinstance(node, PhraseForbidden) and node.unless_reported:
            hits = [(u, hit) for u, hit in hits if not self._reported(u, hit, node.unless_reported, node.context_chars)]
        found = [self._evidence(node, u, hit) for u, hit in hits]
        if isinstance(node, PhraseForbidden) and node.objections:
            found.extend(self._objected(node, window, {u.index for u, _ in hits}))
        shown = "、".join(dict.fromkeys(f"「{e.quote}」" for e in found))
        if isinstance(node, PhraseRequired):
            if found:
                return _Outcome(status="pass", message=ctx.say("required.pass", who=who, shown=shown, where=where),
                                evidence=tuple(found[:1]))
            if not window:
                return _Outcome(status="fail", message=ctx.say("required.silent", who=who, where=where))
            return _Outcome(status="fail", message=ctx.say("required.fail", who=who, where=where),
                            evidence=(window[0][0].whole(ctx.say("required.missing", where=where), "absence"),))
        note = _note(ctx, node)
        if isinstance(node, PhraseForbidden):
            if found:
                said = note or ctx.say("forbidden.said", count=len(found), where=where)
                if node.banned and not note:
                    said = ctx.say("forbidden.said-banned", count=len(found))
                return _Outcome(status="fail", message=ctx.say("forbidden.fail", who=who, said=said, shown=shown),
                                evidence=tuple(found), suggestion=found[0].suggestion)
            if note:
                return _Outcome(status="pass", message=ctx.say("forbidden.never", who=who, note=note, where=where))
            return _Outcome(status="pass",
                            message=ctx.say("forbidden.pass-banned" if node.banned else "forbidden.pass", who=who, where=where))
        count = len(found)
        low, high = node.at_least, node.at_most
        if count < low:
            evidence = (tuple(found) if found
                        else tuple(u.whole(ctx.say("count.note", count=count, low=low), "absence") for u, _ in window[:1]))
            return _Outcome(status="fail", message=ctx.say("count.few", who=who, count=count, low=low), evidence=evidence)
        if high is not None and count > high:
            return _Outcome(status="fail", message=ctx.say("count.many", who=who, shown=shown, count=count, high=high),
                            evidence=tuple(found))
        return _Outcome(status="pass", message=ctx.say("count.pass", who=who, count=count), evidence=tuple(found))

    def _objected(self, node: PhraseForbidden, window: Sequence[Span], said: set[int]) -> list[Evidence]:
        """Evidence of the speaker's turns the other party objected to right after (see
        ``PhraseForbidden.objections``): each turn's last utterance, then the objection. A turn ends where the
        other party speaks; one in ``said`` (a hit already) or holding a banned
        phrase adds nothing, and neither does an objection with no turn of the speaker before it, nor one to the
        opening turn (the greeting the speaker said before the other party spoke: 你态度能不能好一点 as the
        customer's first words carries over from before the call, not from the script)."""
        ctx, doc = self.ctx, self.doc
        assert node.objections is not None
        family = f"lexicon.{node.objections}"
        inside = {u.index for u, _ in window}
        found: list[Evidence] = []
        turn: list[UtteranceDoc] = []
        # Whether the speaker's turn so far opens the call: the doc holds every utterance from the call's first (a
        # live window that starts after the other party's last words does not) and the other party has not spoken.
        opening = True
        for position, u in enumerate(doc.utterances):
            opening = opening and u.index == position
            if u.speaker == node.speaker:
                if u.key:
                    turn.append(u)
                continue
            objection = doc.first_hit(u, family) if turn and not opening else None
            opening = False
            if (objection is not None and inside.intersection(t.index for t in turn)
                    and not said.intersection(t.index for t in turn)
                    and not any(doc.hits_in(t, "banned.") for t in turn)):
                last = turn[-1]
                heard = u.hit_evidence(objection, ctx.say("objected.objection"))
                found.append(last.whole(ctx.say("objected.note", objection=heard.quote), "context"))
                found.append(heard)
            turn = []
        return found

    def _parts(self, node: PhraseRequired, window: list[Span], who: str, within: Any) -> _Outcome:
        """Every part of a script line, each anywhere in the window (in any order, over several utterances);
        a fail names the missing parts and points at the utterance where the line was due (the first of an
        opening, the last of a closing)."""
        ctx = self.ctx
        if not isinstance(within, str):
            place = ctx.say("parts.words", who=who)
        elif within in _PLACES:
            place = ctx.say(_PLACES[within])
        else:
            place = ctx.say("parts.other", who=who, within=within)
        place = ctx.say("parts.titled", place=place, title=_title(ctx))
        if not window:
            return _Outcome(status="fail", message=ctx.say("parts.silent", who=who, place=place))
        utterances = [u for u, _ in window]
        missing: list[str] = []
        found: list[Evidence] = []
        for part in node.parts:
            located = ctx.find_part(utterances, part)
            if located is None:
                missing.append(part)
            else:
                u, hit = located
                found.append(u.hit_evidence(hit, ctx.part_label(part)))
        if not missing:
            return _Outcome(status="pass", message=ctx.say("parts.pass", place=place), evidence=tuple(found))
        labels = ctx.join("list", (ctx.part_label(p) for p in missing))
        due = utterances[-1] if within in ("closing", "wrap-up") else utterances[0]
        return _Outcome(status="fail", message=ctx.say("parts.fail", place=place, labels=labels),
                        evidence=(due.whole(ctx.say("parts.missing", place=place, labels=labels), "absence"), *found))

    def _order(self, node: Order, first: str, then: str) -> _Outcome:
        mine = [u for u in self.doc.utterances if u.speaker == node.speaker]
        firsts = self._positions(mine, first)
        thens = self._positions(mine, then)
        if not thens:
            return _Outcome(status="not_applicable", message=self.ctx.say("order.unsaid"))
        (t_index, t_start, t_ev) = thens[0]
        before = [f for f in firsts if (f[0], f[1]) < (t_index, t_start)]
        if before:
            return _Outcome(status="pass", message=self.ctx.say("order.pass", first=before[0][2].quote, then=t_ev.quote),
                            evidence=(before[0][2], t_ev))
        message = self.ctx.say("order.fail", then=t_ev.quote)
        return _Outcome(status="fail", message=message, evidence=(t_ev, *(f[2] for f in firsts[:1])))

    def _positions(self, utterances: Sequence[UtteranceDoc], family: str) -> list[tuple[int, int, Evidence]]:
        said = self.ctx.say("said")
        return [(u.index, hit.start, u.hit_evidence(hit, said)) for u in utterances for hit in self.doc.hits(u, family)]

    def _nothing_beyond(self, node: NothingBeyond) -> _Outcome:
        ctx = self.ctx
        who = ctx.who(node.speaker)
        if not any(u.speaker == node.speaker for u in self.doc.utterances):
            return _Outcome(status="not_assessable", message=ctx.say("party.silent", who=who))
        window, where, unplaced = self._window(node.within, node.speaker)
        if window is None:
            return _Outcome(status=unplaced, message=where)
        families = [f"lexicon.{name}" for name in node.lexicons]
        whole = [f"lexicon.{name}" for name in node.whole_lexicons]
        other = ctx.who("customer" if node.speaker == "agent" else "agent")
        evidence = [self._beyond(u, offset, families, where, other) for u, offset in window if not aside(self.doc, u, whole)]
        said = [e for e in evidence if e is not None]
        if not said:
            return _Outcome(status="pass", message=ctx.say("beyond.pass", where=where))
        context: list[Evidence] = []
        goodbye = ctx.last_goodbye() if node.within == "after-goodbye" else None
        if goodbye is not None:
            context.append(goodbye.hit_evidence(self.doc.hits(goodbye, "lexicon.goodbye")[-1], ctx.say("beyond.goodbye")))
        return _Outcome(status="fail", message=ctx.say("beyond.fail", who=who, where=where), evidence=(*said, *context))

    def _beyond(self, u: UtteranceDoc, offset: int, families: Sequence[str], where: str, other: str) -> Evidence | None:
        """The part of ``u`` from ``offset`` on, when it says a word that no hit of ``families`` covers."""
        if not u.key[offset:]:
            return None
        if not self.ctx.says_beyond_covered(u, self.ctx.covered(u, *families) | in_brackets(u), offset):
            return None
        if offset:
            return u.evidence(offset, len(u.key), self.ctx.say("beyond.said", where=where))
        return u.whole(self.ctx.say("beyond.on-line", where=where, other=other))

    def _fillers(self, node: Fillers) -> _Outcome:
        ctx = self.ctx
        who = ctx.who(node.speaker)
        speech = [u for u in self.doc.utterances if u.speaker == node.speaker]
        if not speech:
            return _Outcome(status="not_assessable", message=ctx.say("party.silent", who=who))
        fillers = "".join(node.fillers)
        edges = frozenset(node.fillers + node.particles)
        evidence: list[Evidence] = []
        for u in speech:
            if edges.isdisjoint(u.norm) or (node.speaker == "agent" and self.ctx.is_backchannel(u)):
                continue
            found = [f for token in _tokens_with(u, edges) for f in _fillers_in(token, self.doc.pos, fillers, edges, node)]
            for start, end, note in _runs(found):
                if _as_spoken(u, start, end, node) and not (note == "impolite modal particle"
                                                            and _names(u, end, self.doc.pos, node)):
                    evidence.append(Evidence(utterance=u.index, start=start, end=end, quote=u.text[start:end],
                                             note=ctx.say(_FILLER_NOTES[note]), how="exact"))
        count = len(evidence)
        if count < node.threshold:
            passed = ctx.say("fillers.pass-found" if count else "fillers.pass", threshold=node.threshold, count=count)
            return _Outcome(status="pass", message=passed, evidence=tuple(evidence))
        return _Outcome(status="fail", message=ctx.say("fillers.fail", who=who, count=count, threshold=node.threshold),
                        evidence=tuple(evidence))

    # --- timing ---------------------------------------------------------------------------------------

    def _timed(self) -> bool:
        return self.doc.call.timed

    def _silence(self, node: Silence) -> _Outcome:
        if not self._timed():
            return _Outcome(status="not_assessable", message=self.ctx.say("silence.untimed"))
        evidence: list[Evidence] = []
        last_end: float | None = None
        last: UtteranceDoc | None = None
        for u in self.doc.utterances:
            start, end = u.utterance.start or 0.0, u.utterance.end or 0.0
            if last is not None and last_end is not None:
                gap = start - last_end
                waits = node.waiting == "anyone" or (last.speaker == "customer" and u.speaker == "agent")
                if waits and gap > node.max_seconds:
                    evidence.append(u.whole(self.ctx.say("silence.note", gap=gap, limit=node.max_seconds), "timing"))
            last_end = end if last_end is None else max(last_end, end)
            last = u
        return _over_limit(self.ctx, "silence", len(evidence), node.max_seconds, evidence)

    def _speech_rate(self, node: SpeechRate) -> _Outcome:
        ctx = self.ctx
        if not self._timed():
            return _Outcome(status="not_assessable", message=ctx.say("rate.untimed"))
        who = ctx.who(node.speaker)
        mine = [u for u in self.doc.utterances if u.speaker == node.speaker]
        seconds = sum((u.utterance.end or 0.0) - (u.utterance.start or 0.0) for u in mine)
        if not mine or seconds <= 0:
            return _Outcome(status="not_assessable", message=ctx.say("rate.no-speech", who=who))
        chars = sum(len(u.key) for u in mine)
        rate = chars / seconds * 60
        if node.max_per_minute is not None and rate > node.max_per_minute:
            fastest = max(mine, key=lambda u: len(u.key) / max((u.utterance.end or 0) - (u.utterance.start or 0), 0.1))
            return _Outcome(status="fail", message=ctx.say("rate.fast", who=who, rate=rate, limit=node.max_per_minute),
                            evidence=(fastest.whole(ctx.say("rate.fastest", rate=rate), "timing"),))
        if node.min_per_minute is not None and rate < node.min_per_minute:
            return _Outcome(status="fail", message=ctx.say("rate.slow", who=who, rate=rate, limit=node.min_per_minute),
                            evidence=(mine[0].whole(ctx.say("rate.overall", rate=rate), "timing"),))
        return _Outcome(status="pass", message=ctx.say("rate.pass", who=who, rate=rate))

    def _overlap(self, node: Overlap) -> _Outcome:
        if not self._timed():
            return _Outcome(status="not_assessable", message=self.ctx.say("overlap.untimed"))
        evidence: list[Evidence] = []
        previous: UtteranceDoc | None = None
        for u in sorted(self.doc.utterances, key=lambda v: (v.utterance.start or 0.0, v.index)):
            if previous is not None and previous.speaker != u.speaker:
                overlap = min(previous.utterance.end or 0.0, u.utterance.end or 0.0) - (u.utterance.start or 0.0)
                if overlap > node.max_seconds:
                    evidence += [u.whole(self.ctx.say("overlap.note", overlap=overlap, limit=node.max_seconds), "timing"),
                                 previous.whole(self.ctx.say("overlap.speaking"), "timing")]
            if previous is None or (u.utterance.end or 0.0) >= (previous.utterance.end or 0.0):
                previous = u
        return _over_limit(self.ctx, "overlap", len(evidence) // 2, node.max_seconds, evidence)

    def _first_response(self, node: FirstResponse) -> _Outcome:
        ctx = self.ctx
        agent = self.doc.agent
        if not agent:
            return _Outcome(status="not_assessable", message=ctx.say("party.silent", who=ctx.who("agent")))
        start = agent[0].utterance.start
        if start is None:
            return _Outcome(status="not_assessable", message=ctx.say("response.untimed"))
        if start > node.max_seconds:
            return _Outcome(status="fail", message=ctx.say("response.fail", start=start, limit=node.max_seconds),
                            evidence=(agent[0].whole(ctx.say("response.note", start=start), "timing"),))
        return _Outcome(status="pass", message=ctx.say("response.pass", start=start))


def _over_limit(ctx: Context, what: Literal["silence", "overlap"], found: int, limit: float,
                evidence: Sequence[Evidence]) -> _Outcome:
    """The outcome of a timing condition that fails on each stretch over ``limit`` seconds."""
    if found:
        return _Outcome(status="fail", message=ctx.say(f"{what}.fail", count=found, limit=limit), evidence=tuple(evidence))
    return _Outcome(status="pass", message=ctx.say(f"{what}.pass", limit=limit))


def _merge(ctx: Context, status: Status, outcomes: Sequence[_Outcome]) -> _Outcome:
    message = (ctx.join("list", (o.message for o in outcomes)) if len(outcomes) > 1
               else (outcomes[0].message if outcomes else status))
    evidence = tuple(e for o in outcomes for e in o.evidence)
    return _Outcome(status=status, message=message, evidence=evidence)


def _lower(title: str) -> str:
    """A title inside a sentence: Standard greeting → standard greeting."""
    return title[:1].lower() + title[1:]


def _title(ctx: Context) -> str:
    """The rule's title inside a finding, in the context's language."""
    title = ctx.rules.checks[ctx.rule_id].title_in(ctx.lang)
    return _lower(title) if ctx.lang == "en" else title


def _directions(ctx: Context, directions: Iterable[str]) -> str:
    """``inbound and outbound`` / ``呼入和呼出``."""
    return ctx.join("and", (ctx.say(f"direction.{d}") for d in directions))


_EMOTICONS = re.compile(r"(?:\s|\[[^\[\]]{1,8}\]|#E-[A-Za-z]+\d*|[^\w])*")
"""A chat message of emoticon codes alone ([微笑][玫瑰], JD's #E-s01), with any punctuation: it says nothing."""
_OPENING_QUOTES = "“「『‘\"'"
"""Marks that open a quotation: a banned phrase right after one is quoted, not said."""
_QUOTES_OPEN = "“「『"
_QUOTES_CLOSE = "”」』"
"""Paired quotation marks (the straight " and ' open and close alike): a phrase between them is quoted."""


def _note(ctx: Context, node: _Phrased) -> str:
    """What a hit of a phrase condition is (its ``note``), in the context's language; empty when none is set."""
    return data_text(ctx.lang, node.note, node.note_zh) if node.note else ""


_FILLER_NOTES = {"filler": "fillers.filler", "impolite modal particle": "fillers.particle"}
"""The message of each kind of filler :func:`_fillers_in` finds (its own names are compared, not shown)."""


def _whole(utterances: Iterable[UtteranceDoc]) -> list[Span]:
    return [(u, 0) for u in utterances]


def _distinct(hits: list[tuple[UtteranceDoc, PhraseHit]]) -> list[tuple[UtteranceDoc, PhraseHit]]:
    """One hit per stretch of speech: the longest of overlapping hits in the same utterance."""
    chosen: list[tuple[UtteranceDoc, PhraseHit]] = []
    here: list[PhraseHit] = []  # the hits chosen in the utterance being read: only they can overlap
    for u, hit in sorted(hits, key=lambda p: (p[0].index, p[1].start, -(p[1].end - p[1].start), p[1].by_sound)):
        if chosen and chosen[-1][0].index != u.index:
            here = []
        if any(c_hit.start < hit.end and hit.start < c_hit.end for c_hit in here):
            continue
        chosen.append((u, hit))
        here.append(hit)
    return chosen


def _fillers_in(
    token: Token, pos: Callable[[str], str], fillers: str, edges: frozenset[str], node: Fillers
) -> list[tuple[int, int, str]]:
    """Fillers in one token: the whole token (嗯, 嗯嗯, 嘛), or — in a word jieba's HMM made up (分嘛, 呃我),
    never in a dictionary word (干嘛, 额度) — a filler or particle at its edge."""
    text, start, end = token
    if not text or (text[0] not in edges and text[-1] not in edges):
        return []
    if not text.strip(fillers):
        return [(start, end, "filler")]
    if text in node.particles:
        return [(start, end, "impolite modal particle")] if pos(text) in node.particle_pos else []
    ends = text[0] + text[-1]
    if len(text) == 1 or ends.strip(fillers + "".join(node.particles)) == ends or pos(text) != "x":
        return []
    found: list[tuple[int, int, str]] = []
    if text[0] in fillers:
        found.append((start, start + 1, "filler"))
    if text[-1] in fillers:
        found.append((end - 1, end, "filler"))
    elif text[-1] in node.particles:
        found.append((end - 1, end, "impolite modal particle"))
    return found


def _tokens_with(u: UtteranceDoc, chars: frozenset[str]) -> list[Token]:
    """The tokens of ``u`` that hold one of ``chars``, in order."""
    found: list[Token] = []
    for offset, ch in enumerate(u.norm):
        if ch in chars and not (found and offset < found[-1][2]):
            found.append(u.token_at(offset))
    return found


def _runs(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Adjacent hesitations (呃呃呃 split into three tokens) are one hesitation."""
    runs: list[tuple[int, int, str]] = []
    for start, end, note in found:
        if runs and runs[-1][1] == start and runs[-1][2] == note == "filler":
            runs[-1] = (runs[-1][0], end, note)
        else:
            runs.append((start, end, note))
    return runs


def _names(u: UtteranceDoc, end: int, pos: Callable[[str], str], node: Fillers) -> bool:
    """Whether the particle ending at ``end`` of ``u`` is followed, with nothing between, by a word of
    ``node.name_pos``: part of a name (游呗旅行), since a modal particle ends its clause."""
    if end >= len(u.norm) or u.norm[end] in _CLAUSE_MARKS or u.norm[end] == " ":
        return False
    text, _, _ = u.token_at(end)
    return pos(text) in node.name_pos


def _as_spoken(u: UtteranceDoc, start: int, end: int, node: Fillers) -> bool:
    """Whether a filler or particle found at ``[start, end)`` of ``u`` is one (see :class:`Fillers`): a
    response sound saying yes or softening a message, and a particle standing for 吗, are not."""
    text = u.norm
    found = text[start:end]
    if not found.strip("".join(node.responses)):
        before = _content(text[:start], node)
        after = _content(text[end:], node)
        answers = len(found) > 1 or text[end : end + 1] in ("呢", "哪")
        return not ((answers and not before) or (before and not after))
    if found in node.question_particles:
        clause_start = max(text.rfind(mark, 0, start) for mark in _CLAUSE_MARKS) + 1
        clause = text[clause_start:start]
        rest = text[end:].strip(" ")
        for vocative in _VOCATIVES:  # 是嘛亲: the chat's term of address after the question
            rest = rest.removeprefix(vocative)
        if rest and rest[0] not in _CLAUSE_MARKS:
            return True  # inside its clause: a topic 嘛 (这个提额嘛是系统评估的)
        opening = clause.lstrip(" " + "".join(node.fillers) + "哦噢啊那")
        opens_at = clause_start + len(clause) - len(opening)
        # an opener is a word of its own: 是因为 (because) opens no confirmation question
        opener = next(
            (word for word in sorted(node.question_openers, key=len, reverse=True)
             if opening.startswith(word) and u.token_at(opens_at + len(word) - 1)[2] == opens_at + len(word)),
            "",
        )
        if any(word in opening[len(opener):] for word in node.emphatic):
            return True
        if rest.startswith("?"):
            return any(word in clause for word in node.wh_words)
        return not (clause.endswith(tuple(node.asking_words)) or opener)
    return True


_BRACKETED = re.compile(r"[\[【][^\]】]*[\]】]")
"""Square-bracketed text: a chat export's emoticon names ([微笑]) and the placeholders of anonymised text."""
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def in_brackets(u: UtteranceDoc) -> set[int]:
    """The content-key offsets of ``u`` inside square brackets: an emoticon code after the goodbye (拜拜~[玫瑰]) says
    nothing."""
    inside = {i for m in _BRACKETED.finditer(u.text) for i in range(*m.span())}
    return {k for k, offset in enumerate(u.key_map) if offset in inside} if inside else set()


def aside(doc: CallDoc, u: UtteranceDoc, whole: Sequence[str]) -> bool:
    """Whether ``u`` is set aside by a ``nothing-beyond`` window as a whole: it holds a phrase of one of the
    families ``whole`` (a closing courtesy), or no Chinese word outside square brackets (an emoticon code such
    as #E-s[微笑], a link)."""
    return _HAN.search(_BRACKETED.sub("", u.text)) is None or any(doc.hits(u, family) for family in whole)


# Punctuation that ends a clause in normalised text (spaces are not: raw ASR puts them anywhere).
_CLAUSE_MARKS = ",.!?;:~"
_VOCATIVES = ("亲亲", "亲爱的", "亲")


def _content(text: str, node: Fillers) -> str:
    """The letters and digits of ``text`` that are not fillers or particles."""
    skip = set(node.fillers) | set(node.particles)
    return "".join(ch for ch in text if ch.isalnum() and ch not in skip)
