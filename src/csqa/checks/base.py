"""What every check is given and how it answers.

A check is a plain function from a :class:`Context` to a :class:`~csqa.report.CheckResult`, registered with
its id, the script parts and lexicons it reads, and the pydantic model of its tunable parameters. The
context carries the prepared call, the rule's configuration and helpers that keep every result in the same
shape (the rule id, code, severity and weight are filled in here, never by the check).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from csqa.doc import CallDoc, UtteranceDoc
from csqa.phrases import PhraseHit, expand_pattern
from csqa.report import CheckResult, Evidence, Status

if TYPE_CHECKING:
    from csqa.rulefile import RuleConfig, RuleSet

__all__ = ["Check", "Context", "NoParams"]


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Check:
    """A registered rule: its id, what it reads, and the function that judges a call."""

    id: str
    summary: str
    run: Callable[[Context], CheckResult]
    directions: tuple[str, ...] = ("inbound", "outbound")
    params: type[BaseModel] = NoParams
    step_parts: tuple[str, ...] = ()
    lexicons: tuple[str, ...] = ()
    implemented: bool = True


@dataclass
class Context:
    """One rule applied to one prepared call."""

    doc: CallDoc
    rules: RuleSet
    rule_id: str
    config: RuleConfig
    params: BaseModel
    stopwords: frozenset[str]

    def result(
        self,
        status: Status,
        message: str,
        evidence: Sequence[Evidence] = (),
        *,
        suggestion: str | None = None,
    ) -> CheckResult:
        if status == "fail" and suggestion is None:
            suggestion = self.suggestion()
        return CheckResult(
            rule=self.rule_id,
            code=self.config.code,
            status=status,
            severity=self.config.severity,
            weight=self.config.weight,
            message=message,
            suggestion=suggestion if status == "fail" else None,
            evidence=tuple(evidence),
        )

    def not_applicable(self, message: str) -> CheckResult:
        return self.result("not_applicable", message)

    def not_assessable(self, message: str) -> CheckResult:
        return self.result("not_assessable", message)

    def suggestion(self, **slots: str) -> str | None:
        """The script line for this rule, rendered for this company, or the rule's ``fix`` text."""
        step = self.rules.step_for(self.rule_id)
        if step is None:
            return self.config.fix or None
        values = {name: values[:1] for name, values in self.rules.placeholders.items()}
        values.update({"topic": ("**",), "title": ("**先生/女士",), "days": ("*",)})
        values.update({name: (value,) for name, value in slots.items()})
        return expand_pattern(step.line, values)[0]

    # --- phrase helpers -------------------------------------------------------------------------------

    def family(self, part: str) -> str:
        """The phrase-family name of a part of this rule's script step."""
        step_name = next(name for name, step in self.rules.script.items() if step.rule == self.rule_id)
        return f"script.{step_name}.{part}"

    def part_label(self, part: str) -> str:
        step = self.rules.step_for(self.rule_id)
        assert step is not None
        return step.parts[part].label

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

    def opening(self) -> list[UtteranceDoc]:
        """The agent's first turn: its first utterance and any that follow before the customer speaks."""
        turn: list[UtteranceDoc] = []
        for u in self.doc.utterances:
            if u.speaker == "agent":
                turn.append(u)
            elif turn:
                break
        return turn

    def closing(self) -> list[UtteranceDoc]:
        """The agent's last ``timing.closing_window`` utterances (three by default)."""
        return self.doc.agent[-self.rules.timing.closing_window :]

    def handed_off(self) -> bool:
        """True when a transfer happened and no agent utterance is timed after it: the closing is not ours."""
        transfers = [e.start for e in self.doc.call.events if e.type == "transfer"]
        if not transfers:
            return False
        first = min(transfers)
        agent = self.doc.agent
        return bool(agent) and all(u.utterance.start is not None and u.utterance.start < first for u in agent)
