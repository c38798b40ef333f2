"""Accuracy against labelled calls: per-rule confusion, precision / recall / F1 on ``fail``, status accuracy.

An annotated call is ``{"call": {…}, "gold": {rule id: status, …}, "note": "…", "company": "…"}`` (one per
line of a ``.jsonl`` file, or one or a list per ``.json`` file). ``company``, when present, configures the
scorer for that call centre. A violation is the positive class: precision is the share of predicted fails
that are gold fails (how often csqa accuses rightly), recall the share of gold fails csqa found.

The documented examples of every rule (``rules/docs/``) are fixtures of the evaluation too: each is an
annotated call with a gold label for its own rule only.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csqa.checks.docs import rule_examples
from csqa.checks.registry import REGISTRY
from csqa.checks.rulefile import RuleSet, load_rules
from csqa.errors import InputError, InputProblem
from csqa.input.loaders import CALL_SUFFIXES, loads_json, parse_call, parse_text
from csqa.input.model import Call
from csqa.outputs.i18n import Lang, check_lang, labels, say
from csqa.outputs.report import Evidence, Status
from csqa.outputs.tables import table
from csqa.scoring.scorer import Scorer

__all__ = ["AnnotatedCall", "Disagreement", "Evaluation", "RuleMetrics", "evaluate", "load_annotated", "rule_set_examples"]

STATUSES: tuple[Status, ...] = ("pass", "fail", "not_applicable", "not_assessable")
_FROZEN = ConfigDict(extra="forbid", frozen=True)


class AnnotatedCall(BaseModel):
    """A call with the statuses a careful reviewer gives it."""

    model_config = _FROZEN

    call: Call
    gold: dict[str, Status]
    note: str = ""
    company: str | None = None
    source: str = ""


class Disagreement(BaseModel):
    model_config = _FROZEN

    call_id: str
    rule: str
    gold: Status
    predicted: Status
    message: str
    evidence: tuple[Evidence, ...] = ()
    note: str = ""
    source: str = ""


class RuleMetrics(BaseModel):
    """One rule's figures. ``confusion[gold][predicted]`` counts calls."""

    model_config = _FROZEN

    rule: str
    code: str
    support: int
    confusion: dict[str, dict[str, int]]
    precision: float | None = Field(
        description="of predicted fails, the share that are gold fails; None when nothing was predicted to fail"
    )
    recall: float | None = Field(description="of gold fails, the share predicted; None when no call fails in gold")
    f1: float | None
    accuracy: float

    @property
    def gold_fails(self) -> int:
        return sum(self.confusion["fail"].values())

    @property
    def predicted_fails(self) -> int:
        return sum(row["fail"] for row in self.confusion.values())


class Evaluation(BaseModel):
    """The figures of one evaluation run, per rule, with every disagreement."""

    model_config = _FROZEN

    calls: int
    rules: dict[str, RuleMetrics]
    disagreements: tuple[Disagreement, ...]
    sources: tuple[str, ...]

    def below(self, *, precision: float = 0.95, recall: float = 0.90, accuracy: float = 0.95) -> list[str]:
        """The rules that miss the gate, each with the figure it misses."""
        misses = []
        for rule, m in self.rules.items():
            if m.precision is not None and m.precision < precision:
                misses.append(f"{rule}: precision {m.precision:.3f} < {precision}")
            if m.recall is not None and m.recall < recall:
                misses.append(f"{rule}: recall {m.recall:.3f} < {recall}")
            if m.accuracy < accuracy:
                misses.append(f"{rule}: accuracy {m.accuracy:.3f} < {accuracy}")
        return misses


def _records(path: Path) -> Iterator[tuple[Any, str]]:
    """Each record of an annotated file with where it is (``file:line`` or ``file[index]``); a record that is
    not JSON comes as the :class:`InputError` saying so."""
    if path.suffix.lower() == ".jsonl":
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                if raw.strip():
                    where = f"{path}:{number}"
                    try:
                        yield loads_json(raw.removeprefix(codecs.BOM_UTF8), source=where), where
                    except InputError as exc:
                        yield exc, where
        return
    try:
        data = loads_json(path.read_bytes().removeprefix(codecs.BOM_UTF8), source=str(path))
    except InputError as exc:
        yield exc, str(path)
        return
    for index, item in enumerate(data if isinstance(data, list) else [data]):
        yield item, f"{path}[{index}]"


def load_annotated(*paths: str | os.PathLike[str], rules: RuleSet | None = None) -> Iterator[AnnotatedCall]:
    """Annotated calls from files and folders (``.jsonl`` / ``.json``), in path order.

    The records are checked before any is returned, and every bad one is reported at once: one
    :class:`InputError` lists each malformed record, invalid call and unknown rule id or status in
    ``gold``, with its file and line, so that a labelled set is fixed in one pass rather than one mistake
    per run. Gold labels may name the rules of ``rules`` (its site rules too) or of MANUAL.md.
    """
    known = set(REGISTRY) | set(rules.checks if rules is not None else ())
    files: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in CALL_SUFFIXES[:2] and p.is_file())
        else:
            files.append(path)
    good: list[AnnotatedCall] = []
    problems: list[InputProblem] = []

    def bad(where: str, found: Sequence[InputProblem]) -> None:
        problems.extend(InputProblem(f"{where}: {p.field}", p.message) for p in found)

    for path in files:
        try:
            records = list(_records(path))
        except (OSError, UnicodeDecodeError) as exc:
            bad(str(path), [InputProblem("<file>", f"cannot read: {exc}")])
            continue
        for record, where in records:
            if isinstance(record, InputError):
                bad(where, record.problems)
                continue
            if not isinstance(record, dict) or "call" not in record:
                bad(where, [InputProblem("<record>", "an annotated call needs 'call' and 'gold'")])
                continue
            found: list[InputProblem] = []
            call: Call | None = None
            try:
                call = parse_call(record["call"], source=where)
            except InputError as exc:
                found += [InputProblem(f"call.{p.field}", p.message) for p in exc.problems]
            gold = record.get("gold")
            if isinstance(gold, dict):
                found += [InputProblem(f"gold.{rule}", "not a rule id of MANUAL.md or of the rule file")
                          for rule in gold if rule not in known]
                found += [InputProblem(f"gold.{rule}", f"{status!r} is not a status; use {', '.join(STATUSES)}")
                          for rule, status in gold.items() if status not in STATUSES]
            if call is not None and not found:
                try:
                    good.append(AnnotatedCall.model_validate({**record, "call": call, "source": where}))
                except ValidationError as exc:
                    found += [InputProblem(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]
            bad(where, found)
    if problems:
        raise InputError(problems, source="annotated calls")
    yield from good


def documented_examples(rules: RuleSet) -> Iterator[AnnotatedCall]:
    """Every built-in rule's documented examples, as annotated calls with a gold label for their own rule."""
    for rule_id, check in rules.checks.items():
        if check.site or not rules.model.rules[rule_id].enabled:
            continue
        for example in rule_examples(rule_id):
            yield AnnotatedCall(
                call=example.call,
                gold={rule_id: example.expect},
                note=example.why,
                source=f"rules/docs/{rule_id}.md example {example.number}",
            )


def site_examples(rules: RuleSet) -> Iterator[AnnotatedCall]:
    """The examples in the rule file's site rules, as annotated calls with a gold label for their own rule."""
    for rule_id, check in rules.checks.items():
        cfg = rules.model.rules[rule_id]
        if not check.site or not cfg.enabled:
            continue
        for number, example in enumerate(cfg.examples, 1):
            yield AnnotatedCall(
                call=parse_text(example.call, call_id=f"{rule_id}#{number}", source=rules.sources[-1]),
                gold={rule_id: example.expect},
                note=example.why,
                source=f"{rules.sources[-1]} rules.{rule_id}.examples[{number - 1}]",
            )


def rule_set_examples(rules: RuleSet) -> Iterator[AnnotatedCall]:
    """Every example that travels with a rule of ``rules``: the built-in rules' documentation, then the site
    rules' own."""
    yield from documented_examples(rules)
    yield from site_examples(rules)


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def evaluate(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    rules: str | os.PathLike[str] | RuleSet | None = None,
    examples: bool = True,
    annotated: Iterable[AnnotatedCall] = (),
    lang: Lang = "en",
) -> Evaluation:
    """Score annotated calls and compare with their gold labels.

    ``paths`` are annotated files or folders; ``annotated`` adds calls already loaded; ``examples`` adds
    every rule's documented examples. ``rules`` is the rule file to evaluate (the bundled one by default).
    ``lang`` is the language of the disagreements' messages and notes; the figures do not depend on it.
    """
    lang = check_lang(lang)
    ruleset = load_rules(rules)
    items = [*load_annotated(*paths, rules=ruleset), *annotated, *(rule_set_examples(ruleset) if examples else ())]
    scorers: dict[str | None, Scorer] = {None: Scorer(ruleset, lang=lang)}
    confusion: dict[str, dict[str, dict[str, int]]] = {
        rule: {g: dict.fromkeys(STATUSES, 0) for g in STATUSES} for rule in ruleset.rules
    }
    disagreements: list[Disagreement] = []
    for item in items:
        if item.company not in scorers:
            scorers[item.company] = Scorer(ruleset, company=item.company, lang=lang)
        report = scorers[item.company].score(item.call)
        for rule, gold in item.gold.items():
            if rule not in confusion:
                continue
            result = report.check(rule)
            confusion[rule][gold][result.status] += 1
            if result.status != gold:
                disagreements.append(
                    Disagreement(
                        call_id=item.call.call_id,
                        rule=rule,
                        gold=gold,
                        predicted=result.status,
                        message=result.message,
                        evidence=result.evidence,
                        note=item.note,
                        source=item.source,
                    )
                )
    metrics = {}
    for rule, matrix in confusion.items():
        support = sum(sum(row.values()) for row in matrix.values())
        true_fail = matrix["fail"]["fail"]
        predicted = sum(row["fail"] for row in matrix.values())
        gold_fails = sum(matrix["fail"].values())
        precision, recall = _ratio(true_fail, predicted), _ratio(true_fail, gold_fails)
        f1 = (None if precision is None or recall is None or precision + recall == 0
              else 2 * precision * recall / (precision + recall))
        correct = sum(matrix[s][s] for s in STATUSES)
        metrics[rule] = RuleMetrics(
            rule=rule,
            code=ruleset.checks[rule].code,
            support=support,
            confusion=matrix,
            precision=precision,
            recall=recall,
            f1=f1,
            accuracy=correct / support if support else 1.0,
        )
    sources = tuple(dict.fromkeys(str(p) for p in paths)) + ((say(lang, "eval.examples"),) if examples else ())
    return Evaluation(calls=len(items), rules=metrics, disagreements=tuple(disagreements), sources=sources)


def render_table(evaluation: Evaluation, *, lang: Lang = "en") -> str:
    """The evaluation as a terminal table, then every disagreement (headers and framing in ``lang``; the
    messages are in the language the evaluation was run in)."""
    lang = check_lang(lang)
    words = labels(lang)

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    def status(value: str) -> str:
        return words[value] if lang != "en" else value

    rows = []
    for m in evaluation.rules.values():
        c = m.confusion
        rows.append([m.code, m.rule, str(m.support), str(m.gold_fails), str(m.predicted_fails), str(c["fail"]["fail"]),
                     pct(m.precision), pct(m.recall), pct(m.f1), pct(m.accuracy)])
    lines = [say(lang, "eval.calls", calls=evaluation.calls, sources=", ".join(evaluation.sources)), ""]
    headers = [words[key] for key in ("code", "rule", "labels", "gold_fail", "pred_fail", "both_fail", "precision", "recall",
                                      "f1", "accuracy")]
    lines.append(table(headers, rows))
    if evaluation.disagreements:
        lines += ["", say(lang, "eval.disagreements", count=len(evaluation.disagreements))]
        for d in evaluation.disagreements:
            lines.append(say(lang, "eval.disagreement", call=d.call_id, rule=d.rule, gold=status(d.gold),
                             predicted=status(d.predicted), message=d.message, source=d.source))
            for ev in d.evidence:
                where = (say(lang, "eval.utterance", index=ev.utterance, start=ev.start, end=ev.end, quote=ev.quote)
                         if ev.utterance is not None else ev.field)
                lines.append(say(lang, "eval.evidence", where=where, note=ev.note))
    return "\n".join(lines) + "\n"
