"""What every check is given and how it answers.

A check is a plain function from a :class:`Context` to a :class:`~csqa.outputs.report.CheckResult`, registered with
its id, the script parts and lexicons it reads, and the pydantic model of its tunable parameters. The
context carries the prepared call, the rule's configuration and helpers that keep every result in the same
shape (the rule id, code, severity and weight are filled in here, never by the check).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from csqa.outputs.i18n import Lang, data_text, join, say
from csqa.outputs.report import CheckResult, Evidence, How, Status
from csqa.text.doc import CallDoc, UtteranceDoc
from csqa.text.phrases import PhraseHit

if TYPE_CHECKING:
    from csqa.checks.rulefile import RuleConfig, RuleSet

__all__ = ["Check", "Context", "NoParams"]

_PHRASE_WAYS = ("exact", "variant", "homophone", "pattern")


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Check:
    """A rule's one declaration: its id, fixed code and title, what it checks (one line), the directions it
    applies to, its parameters (a pydantic model whose defaults are the defaults), the script parts and
    lexicons it reads, and the function that judges a call. Its documentation is ``doc``.

    Everything else follows from the declarations: the registry's order (by code), ``csqa rules``, the
    README's rule table, the validation of rule files (a rule file tunes weight, severity, whether the rule
    is on, parameters and phrases; it cannot change a code). A site rule written in a rule file becomes a
    ``Check`` too (:mod:`csqa.checks.kinds`), with ``site`` true and its kind in ``kind``; a built-in rule made of
    a generic kind has that kind, and its settings are its parameters.
    """

    id: str
    code: str
    title: str
    summary: str
    run: Callable[[Context], CheckResult]
    directions: tuple[str, ...] = ("inbound", "outbound")
    params: type[BaseModel] = NoParams
    step_parts: tuple[str, ...] = ()
    lexicons: tuple[str, ...] = ()
    other_parts: tuple[str, ...] = ()
    """Parts of other rules' script steps that this rule reads, as ``"step.part"`` (restate-question reads
    ``further-help.offer``: an answer that ends in the offer of further help has answered)."""
    kind: str = "dedicated"
    manual: str = ""
    """What the manual says, in its words (the README's rule table shows it)."""
    site: bool = False
    """A rule of a call centre's own, declared by its table in a rule file (its examples are there too)."""
    title_zh: str = ""
    """The title in Chinese: a built-in rule's is the message catalogue's (:data:`csqa.outputs.i18n.RULES_ZH`,
    filled in by the registry), a site rule's is its table's ``title_zh``."""
    summary_zh: str = ""

    def title_in(self, lang: Lang) -> str:
        """The title in ``lang`` (a site rule with no ``title_zh`` keeps its own title in Chinese too)."""
        return (self.title_zh or self.title) if lang == "zh" else self.title

    def summary_in(self, lang: Lang) -> str:
        """What the rule checks, in ``lang``."""
        return (self.summary_zh or self.summary) if lang == "zh" else self.summary

    @property
    def doc(self) -> str:
        """Where the rule's documentation is, in the repository (``csqa rules RULE`` prints it)."""
        return f"rules/docs/{self.id}.md"


@dataclass
class Context:
    """One rule applied to one prepared call."""

    doc: CallDoc
    rules: RuleSet
    rule_id: str
    config: RuleConfig
    params: BaseModel
    stopwords: frozenset[str]
    lang: Lang = "en"
    """The language of the findings (:mod:`csqa.outputs.i18n`); nothing else depends on it."""
    synonyms: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Each word of the rule file's synonym groups, with the other words of its groups (normalised)."""

    def say(self, message: str, /, **params: object) -> str:
        """A message of the catalogue (:data:`csqa.outputs.i18n.MESSAGES`) in this context's language."""
        return say(self.lang, message, **params)

    def join(self, how: Literal["list", "and", "also"], items: Iterable[str]) -> str:
        """Items joined in this context's language (:func:`csqa.outputs.i18n.join`)."""
        return join(self.lang, how, items)

    def who(self, speaker: str) -> str:
        """The agent or the customer, as a finding names them."""
        return self.say(f"who.{speaker}")

    def result(
        self,
        status: Status,
        message: str,
        evidence: Sequence[Evidence] = (),
        *,
        suggestion: str | None = None,
    ) -> CheckResult:
        how: How | None = None
        confidence: float | None = None
        if status == "fail":
            if suggestion is None:
                suggestion = self.suggestion()
            how, confidence = self._certainty(evidence)
        review = confidence is not None and confidence < self.rules.model.review.below
        return CheckResult(
            rule=self.rule_id,
            code=self.rules.checks[self.rule_id].code,
            status=status,
            severity=self.config.severity,
            weight=self.config.weight,
            message=message,
            suggestion=suggestion if status == "fail" else None,
            evidence=tuple(evidence),
            how=how,
            confidence=confidence,
            review=review,
        )

    def _certainty(self, evidence: Sequence[Evidence]) -> tuple[How | None, float | None]:
        """How a fail was found and how sure it is: the way of its first evidence (what the rule found); where
        that is a phrase, the surest of its phrase hits (any one of them fails the rule). A missing phrase
        judged on raw ASR text (no punctuation) is less sure: the recogniser may have garbled it."""
        config = self.rules.model.review
        first = next((e for e in evidence if e.how is not None), None)
        if first is None or first.how is None:
            return None, None
        if first.how in _PHRASE_WAYS:
            hits = [e for e in evidence if e.how in _PHRASE_WAYS]
            best = max(hits, key=lambda e: config.confidence.get(e.how or "context", 0.0))
            return best.how, config.confidence.get(best.how or "context")
        if first.how == "absence" and first.utterance is not None:
            # by index, not position: a live session judges a window of the call (its utterances keep their index)
            utterances = self.doc.utterances
            u = next((v for v in utterances if v.index == first.utterance), None)
            if u is not None and len(u.key) >= 8 and not any(mark in u.norm for mark in ",.!?;:"):
                return "absence", config.unpunctuated_absence
        return first.how, config.confidence.get(first.how)

    def not_applicable(self, message: str) -> CheckResult:
        return self.result("not_applicable", message)

    def not_assessable(self, message: str) -> CheckResult:
        return self.result("not_assessable", message)

    def suggestion(self, **slots: str) -> str | None:
        """The script line for this rule, rendered for this company, or the rule's ``fix`` text."""
        step = self.rules.step_for(self.rule_id)
        if step is None:
            return self.config.fix or None
        return self.render(step.line, **slots)

    def render(self, line: str, **slots: str) -> str:
        """A script line with its placeholders filled: the company, ``**`` for what the call does not say."""
        return self.rules.render(line, **slots)

    def instead(self, text: str) -> str:
        """What to say instead: a literal line, or ``script.<step>`` for that step's line."""
        if text.startswith("script."):
            return self.render(self.rules.script[text.removeprefix("script.")].line)
        return self.render(text)

    # --- phrase helpers -------------------------------------------------------------------------------

    def family(self, part: str) -> str:
        """The phrase-family name of a part of this rule's script step."""
        step_name = next(name for name, step in self.rules.script.items() if step.rule == self.rule_id)
        return f"script.{step_name}.{part}"

    def part_label(self, part: str) -> str:
        """What a part of this rule's script step is, as a finding names it, in this context's language."""
        step = self.rules.step_for(self.rule_id)
        assert step is not None
        config = step.parts[part]
        return data_text(self.lang, config.label, config.label_zh)

    def find_part(self, utterances: Sequence[UtteranceDoc], part: str) -> tuple[UtteranceDoc, PhraseHit] | None:
        family = self.family(part)
        for u in utterances:
            hit = self.doc.first_hit(u, family)
            if hit is not None:
                return u, hit
        return None

    def lexicon_hit(self, u: UtteranceDoc, name: str) -> PhraseHit | None:
        return self.doc.first_hit(u, f"lexicon.{name}")

    # --- call structure -------------------------------------------------------------------------------

    def says_beyond(self, u: UtteranceDoc, family: str, start: int = 0, *, stopwords: bool = True) -> bool:
        """Whether ``u`` (from content-key offset ``start`` on) says anything beyond the phrases of ``family``
        (and stop words, unless ``stopwords`` is false): a word that no hit of the family covers."""
        return self.says_beyond_covered(u, self.covered(u, family), start, stopwords=stopwords)

    def covered(self, u: UtteranceDoc, *families: str) -> set[int]:
        """The content-key offsets of ``u`` inside a hit of one of ``families``."""
        return {i for family in families for hit in self.doc.hits(u, family) for i in range(hit.start, hit.end)}

    def says_beyond_covered(self, u: UtteranceDoc, covered: set[int] | None, start: int = 0, *,
                            stopwords: bool = True) -> bool:
        """Whether ``u`` (from content-key offset ``start`` on) has a word not wholly inside ``covered``
        (content-key offsets) that is not a stop word (unless ``stopwords`` is false)."""
        key, sizes = u.key, u.sizes
        for position in range(bisect_left(sizes, start), len(sizes) - 1):
            key_start, key_end = sizes[position], sizes[position + 1]
            if covered and covered.issuperset(range(key_start, key_end)):
                continue
            if not (stopwords and key[key_start:key_end] in self.stopwords):
                return True
        return False

    def is_backchannel(self, u: UtteranceDoc) -> bool:
        """An agent utterance that only acknowledges (嗯 / 好的 / 对对 / 您继续讲): every content character is
        covered by the back-channel lexicon."""
        return len(self.covered(u, "lexicon.backchannel")) == len(u.key)

    def is_interjection(self, u: UtteranceDoc) -> bool:
        """True for a customer utterance with no substance: 喂? / 你好 / 好 再见 (the non-matter lexicon)."""
        return not self.says_beyond(u, "lexicon.non-matter")

    def reopens(self, u: UtteranceDoc) -> bool:
        """Whether a customer utterance after the agent's goodbye goes on with the call: something of substance
        (not 好 再见), and more than an objection to the agent (你什么态度!我要投诉你), which raises no matter."""
        return not self.is_interjection(u) and self.doc.first_hit(u, "lexicon.objection") is None

    def first_words(self) -> UtteranceDoc | None:
        """The customer's first utterance of substance: not a greeting, acknowledgement or check of the line
        (the non-matter lexicon). What the agent says before it answers nothing the customer raised."""
        return next((u for u in self.doc.utterances if u.speaker == "customer" and not self.is_interjection(u)), None)

    def opening(self) -> list[UtteranceDoc]:
        """The agent's opening: its first turn, continued across a customer's greeting or check of the line
        (喂? / 你好 / 听不清), but not past an answer or a question (是我 / 哪位?);
        ``timing.opening_window`` utterances at most."""
        turn: list[UtteranceDoc] = []
        for u in self.doc.utterances:
            if u.speaker == "agent":
                turn.append(u)
                if len(turn) == self.rules.timing.opening_window:
                    break
            elif turn and self.says_beyond(u, "lexicon.line-check", stopwords=False):
                break
        return turn

    def last_goodbye(self) -> UtteranceDoc | None:
        """The agent's final goodbye, unless the customer raised something of substance after it and the agent
        went on to serve it (then the goodbye that counts is a later one). A customer who raises something
        after the goodbye that the agent never takes up (哎等一下,我还想问…, and the call ends) leaves that
        goodbye the last, and so does one who only objects to the agent after it (你什么态度!我要投诉你,
        ``[lexicon.objection]``): that raises no matter, and what the agent says next is no service of one. Words
        the agent then turns to a colleague with (小王,帮我把这单派给城南的师傅, ``[lexicon.colleague-aside]``) serve
        nothing the customer raised."""
        served = False
        for u in reversed(self.doc.utterances):
            if u.speaker == "customer" and served and self.reopens(u):
                return None
            if u.speaker == "agent":
                if self.doc.first_hit(u, "lexicon.goodbye") is not None:
                    return u
                served = served or self.doc.first_hit(u, "lexicon.colleague-aside") is None
        return None

    def closing(self) -> list[UtteranceDoc]:
        """The agent's last ``timing.closing_window`` utterances (three by default), ending at its final goodbye:
        whatever the agent says after the goodbye is judged by ``no-chatting-before-hangup``, not here."""
        agent = self.doc.agent
        goodbye = self.last_goodbye()
        end = len(agent) if goodbye is None else agent.index(goodbye) + 1
        return agent[max(0, end - self.rules.timing.closing_window) : end]

    def handed_off(self) -> bool | None:
        """Whether the call ended in a transfer, the agent not speaking after it; ``None`` when a transfer
        happened but neither times nor words place it. A call with no transfer event ends in one when the agent's
        last words make it (正在为您转接, 好,转紧过去): not when they offer it (我帮您转过去可以吗?).

        Without utterance times the transfer is placed from the text: a call whose agent's last words announce
        the transfer or ask the customer to hold on (正在为您转接, 您别挂机), back-channels after them aside, ends
        in it; one in which an agent speaks after the announcement (the colleague who took the call, or the
        agent after a failed transfer) does not."""
        transfers = [e.start for e in self.doc.call.events if e.type == "transfer"]
        agent = self.doc.agent
        last = len(agent) - 1
        while last > 0 and self.is_backchannel(agent[last]):
            last -= 1  # 我给您转一下好吗? — 好 — 好的: an acknowledgement before the transfer is not speaking after it
        if not transfers:
            # no event: the agent's last words make the transfer (好,转紧过去,你唔好收线) — neither offer it (…可以吗?)
            # nor close the call themselves (马上为您转接,感谢您的来电,再见!: that closing is the agent's own)
            words = agent[last] if last >= 0 else None
            return (words is not None and not words.is_question and self.lexicon_hit(words, "transfer-announce") is not None
                    and self.lexicon_hit(words, "goodbye") is None)
        if any(u.utterance.start is None for u in agent):
            if any(self.lexicon_hit(agent[last], family) is not None for family in ("transfer-announce", "wait-request")):
                return True
            if any(self.lexicon_hit(u, "transfer-announce") is not None for u in agent):
                return False
            return None
        # the last transfer ends the call: one that bounced back (the agent speaks again, then transfers once more)
        # did not
        return self._agent_silent_from(max(transfers))

    def ended_on_hold(self) -> bool:
        """Whether the call ended during a hold: a timed call whose agent says nothing from a hold's start on (the
        customer hung up while waiting), so the agent never had the chance to close it."""
        holds = [e.start for e in self.doc.call.events if e.type == "hold"]
        return bool(holds) and self._agent_silent_from(max(holds))

    def _agent_silent_from(self, moment: float) -> bool:
        """Whether the agent spoke, every utterance of theirs timed, and none starting at ``moment`` or later."""
        agent = self.doc.agent
        return bool(agent) and all(u.utterance.start is not None and u.utterance.start < moment for u in agent)
