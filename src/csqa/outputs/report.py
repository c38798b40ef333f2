"""What scoring returns: immutable, JSON-serialisable reports with evidence at original character offsets."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from csqa.errors import UnknownRuleError
from csqa.input.model import MetaValue, Record, Utterance
from csqa.outputs.callview import render_fragment
from csqa.outputs.i18n import Lang

__all__ = ["CheckResult", "Evidence", "How", "Report", "Severity", "Status"]

Status = Literal["pass", "fail", "not_applicable", "not_assessable"]
Severity = Literal["critical", "major", "minor", "warning"]
How = Literal["exact", "variant", "homophone", "pattern", "absence", "context", "timing", "data"]
"""How a finding was made: a phrase found as written (``exact``), after folding Traditional characters, width,
punctuation or hesitations (``variant``), by sound (``homophone``), by a gapped or regular-expression pattern
(``pattern``); a required phrase not found where it was due (``absence``); a judgement from the call's
structure, such as who spoke when or what an utterance says beyond a lexicon (``context``); from timestamps
(``timing``); or from a field of the call's data (``data``)."""

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class Evidence(Record):
    """Where a finding is: ``call.utterances[utterance].text[start:end] == quote``.

    Findings about the call rather than its words (``rings``, ``hangup_by``, an event) name the input
    ``field`` as well; when there is no utterance to point at, ``utterance`` is ``None`` and the quote is
    empty. ``note`` says what the span is; ``suggestion``, where a rule has one per finding (each banned
    phrase has its own), is what the agent should have said instead.
    """

    model_config = _FROZEN

    utterance: int | None
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str
    field: str | None = None
    note: str = ""
    suggestion: str | None = None
    how: How | None = None

    @model_validator(mode="after")
    def _span(self) -> Evidence:
        if self.end < self.start:
            raise ValueError("evidence end before start")
        if len(self.quote) != self.end - self.start:
            raise ValueError("quote length differs from its span")
        return self


class CheckResult(Record):
    """One rule's verdict on one call."""

    model_config = _FROZEN

    rule: str
    code: str
    status: Status
    severity: Severity
    weight: float
    message: str
    suggestion: str | None = None
    evidence: tuple[Evidence, ...] = ()
    how: How | None = Field(default=None, description="how a fail was found: its decisive evidence's way")
    confidence: float | None = Field(default=None, ge=0, le=1, description="how sure a fail is (the rule file's [review])")
    review: bool = Field(default=False, description="a fail below the rule file's review threshold: a human should look")

    @model_validator(mode="after")
    def _fail_has_evidence(self) -> CheckResult:
        if self.status == "fail" and not self.evidence:
            raise ValueError(f"{self.rule}: a fail must carry evidence")
        return self


class Report(Record):
    """The scored call: every rule's status, the score, and whether the call reaches the pass mark.

    ``score`` is ``None`` when the call cannot be scored, and ``unscored`` says why: no rule could be judged,
    or the agent never speaks (a transcript that is empty or holds only the customer says nothing about the
    agent's service, so the rings and hang-up rules alone do not make a score of 100); ``vetoed`` names the
    critical rules that failed and set the score to 0. ``utterances`` carries the transcript so that a report
    is self-contained: an HTML page or a reviewer can show every evidence span in place.
    """

    model_config = _FROZEN

    call_id: str
    agent_id: str | None
    direction: Literal["inbound", "outbound"]
    started_at: datetime | None = None
    team: str | None = None
    metadata: dict[str, MetaValue] = Field(default_factory=dict, description="the call's metadata, as it came in")
    score: float | None
    passed: bool | None
    unscored: str | None = Field(default=None, description="why the call has no score, when it has none")
    pass_mark: float
    vetoed: tuple[str, ...] = ()
    scorecard: str
    checks: tuple[CheckResult, ...]
    utterances: tuple[Utterance, ...] = Field(
        default=(), description="the transcript the evidence points into (left out with include_transcript=False)"
    )
    lang: Lang = Field(default="en", exclude=True, repr=False,
                       description="the language of the findings, for the Jupyter view's words (not in the JSON)")

    def check(self, rule: str) -> CheckResult:
        """The result of one rule, by its id or its short code, in any case (``"ST03"``, ``"st03"``);
        :class:`~csqa.errors.UnknownRuleError` (a ``KeyError``) names the rules the report has, and the one a
        misspelt id most likely means, when there is no such rule."""
        wanted = rule.casefold() if isinstance(rule, str) else rule
        for result in self.checks:
            if wanted in (result.rule.casefold(), result.code.casefold()):
                return result
        raise UnknownRuleError(rule, [c.rule for c in self.checks])

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def to_review(self) -> tuple[CheckResult, ...]:
        """The fails a human should look at before they count against the agent (low confidence)."""
        return tuple(c for c in self.checks if c.review)

    def _repr_html_(self) -> str:
        """The call view (transcript with highlighted evidence, one row per rule), for Jupyter, in the
        language the findings were written in."""
        return render_fragment(self, lang=self.lang)
