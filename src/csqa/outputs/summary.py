"""Summaries over many reports: which rules fail, which agents and teams need coaching, how days compare.

``summarize`` reads reports as they stream (a list, a generator, or ``read_reports`` over a JSON Lines file)
and keeps only counters: per rule, per agent, and per group of ``by`` (agent, team, day, week, direction or a
metadata field), so its memory grows with the number of rules and groups, not of calls (``scores=True``, the
default, also keeps each agent's scores for the index's chart). Given reviews (:mod:`csqa.outputs.reviews`) it
also counts, per rule, how often the reviewers agree with csqa. ``to_dataframe`` gives pandas users one row per
call, check, agent, team, day or week (pandas is an optional extra: ``pip install csqa[pandas]``).
"""

from __future__ import annotations

import heapq
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from csqa.errors import InputError, InputProblem, UsageError
from csqa.input.model import CallError
from csqa.outputs.i18n import Lang, check_lang, group_name, say, ui_text
from csqa.outputs.report import Report
from csqa.outputs.reviews import AgreementCounter, ReviewSet, RuleAgreement

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "GROUPINGS",
    "AgentSummary",
    "GroupSummary",
    "ReportFile",
    "ReviewItem",
    "RuleSummary",
    "Summary",
    "group_key",
    "read_reports",
    "summarize",
    "to_dataframe",
]

_FROZEN = ConfigDict(extra="forbid", frozen=True)
UNKNOWN_AGENT = "(no agent_id)"
GROUPINGS = ("agent", "team", "day", "week", "direction")
"""What ``summarize(by=…)`` and ``csqa summary --by`` group by; ``metadata.KEY`` groups by a metadata field."""


class RuleSummary(BaseModel):
    model_config = _FROZEN

    rule: str
    code: str
    judged: int
    fails: int
    fail_rate: float | None
    not_applicable: int
    not_assessable: int
    to_review: int = 0
    """Fails below the rule file's review threshold: a human should look before they count."""


class ReviewItem(BaseModel):
    """A call whose fails need a human look: the unsure fails' codes and the least confidence among them."""

    model_config = _FROZEN

    call_id: str
    agent_id: str | None
    rules: tuple[str, ...]
    confidence: float


class AgentSummary(BaseModel):
    model_config = _FROZEN

    agent_id: str
    calls: int
    scored: int
    mean_score: float | None
    pass_rate: float | None
    top_fails: tuple[tuple[str, int], ...]
    scores: tuple[float, ...] = ()


class GroupSummary(BaseModel):
    """The calls of one group (one team, one day …): how many, their mean score and pass rate, and per rule
    the calls that failed it of those it judged."""

    model_config = _FROZEN

    by: str
    key: str
    calls: int
    scored: int
    mean_score: float | None
    pass_rate: float | None
    below_pass_mark: int
    top_fails: tuple[tuple[str, int], ...]
    fails: dict[str, int]
    judged: dict[str, int]

    def fail_rate(self, rule: str) -> float | None:
        judged = self.judged.get(rule, 0)
        return self.fails.get(rule, 0) / judged if judged else None


class Summary(BaseModel):
    """Per rule, the fail rate over the calls that rule judged; per agent, calls, mean score, pass rate and the
    rules they fail most; per group of ``by``, the same; with reviews, the agreement per rule."""

    model_config = _FROZEN

    calls: int
    errors: int
    scored: int
    mean_score: float | None
    pass_rate: float | None
    rules: tuple[RuleSummary, ...]
    agents: tuple[AgentSummary, ...]
    unreadable: int = 0
    by: tuple[str, ...] = ()
    groups: tuple[GroupSummary, ...] = ()
    agreement: tuple[RuleAgreement, ...] = ()
    reviews_unmatched: int = 0
    pass_marks: tuple[float, ...] = ()
    to_review_calls: int = 0
    to_review: tuple[ReviewItem, ...] = ()
    """The calls whose fails need a human look, the least sure first (at most ``review_top`` of them)."""
    lang: Lang = Field(default="en", exclude=True)
    """The language :meth:`table` and Jupyter show the summary in; not part of its data (left out of its
    JSON): the counts are the same in every language."""

    def in_lang(self, lang: Lang) -> Summary:
        """This summary shown in ``lang`` (``"en"`` or ``"zh"``): the same counts, other words."""
        chosen = check_lang(lang)
        return self if chosen == self.lang else self.model_copy(update={"lang": chosen})

    def grouped(self, by: str) -> tuple[GroupSummary, ...]:
        """The groups of one grouping (``"team"``, ``"day"`` …), in key order, the group without a key last."""
        return tuple(g for g in self.groups if g.by == by)

    def table(self, *, lang: Lang | None = None) -> str:
        """The summary as terminal tables, in ``lang`` (default: the summary's own)."""
        from csqa.outputs.tables import table

        chosen = self.lang if lang is None else check_lang(lang)
        t = ui_text(chosen)
        comma = t["sep.comma"]

        def pct(value: float | None) -> str:
            return "-" if value is None else f"{value:.0%}"

        def num(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        def most(top: Iterable[tuple[str, int]]) -> str:
            return comma.join(f"{rule} ×{count}" for rule, count in top) or "-"

        def headers(*keys: str) -> list[str]:
            return [t[f"th.{key}"] for key in keys]

        skipped = say(chosen, "summary.skipped", count=self.unreadable) if self.unreadable else ""
        head = say(chosen, "summary.head", calls=self.calls, errors=self.errors, skipped=skipped,
                   mean=num(self.mean_score), rate=pct(self.pass_rate)) + "\n\n"
        parts = [head + table(
            headers("code", "rule", "fails", "judged", "fail_rate", "na", "not_assessable"),
            [[r.code, r.rule, str(r.fails), str(r.judged), pct(r.fail_rate), str(r.not_applicable), str(r.not_assessable)]
             for r in self.rules],
        )]
        if not self.by:
            parts.append(table(
                headers("agent", "calls", "mean", "pass_rate", "fails_most"),
                [[group_name(t, "agent", a.agent_id), str(a.calls), num(a.mean_score), pct(a.pass_rate),
                  most(a.top_fails)] for a in self.agents],
            ))
        if self.to_review:
            more = (say(chosen, "summary.to-review-more", count=len(self.to_review))
                    if self.to_review_calls > len(self.to_review) else "")
            parts.append(say(chosen, "summary.to-review", count=self.to_review_calls, more=more) + "\n\n" + table(
                headers("call", "agent", "unsure", "confidence"),
                [[r.call_id, r.agent_id or "-", comma.join(r.rules), f"{r.confidence:.2f}"] for r in self.to_review],
            ))
        parts.extend(table(
            [t.get(f"th.{by}", by), *headers("calls", "scored", "mean", "pass_rate", "below", "fails_most")],
            [[group_name(t, by, g.key), str(g.calls), str(g.scored), num(g.mean_score), pct(g.pass_rate),
              str(g.below_pass_mark), most(g.top_fails)] for g in self.grouped(by)],
        ) for by in self.by)
        if self.agreement or self.reviews_unmatched:
            rows = [[a.code, a.rule, str(a.reviewed), str(a.agreed), pct(a.agreement), str(a.false_alarms),
                     str(a.missed), str(a.other), str(a.conflicts)] for a in self.agreement]
            reviewed = sum(a.reviewed for a in self.agreement)
            agreed = sum(a.agreed for a in self.agreement)
            unmatched = say(chosen, "summary.unmatched", count=self.reviews_unmatched) if self.reviews_unmatched else ""
            overall = say(chosen, "summary.agreement", agreed=agreed, reviewed=reviewed,
                          rate=pct(agreed / reviewed if reviewed else None), unmatched=unmatched)
            parts.append(overall + "\n" + table(
                headers("code", "rule", "reviewed", "agreed", "agreement", "false_alarms", "missed", "other", "conflicting"),
                rows))
        return "\n\n".join(parts) + "\n"

    def _repr_html_(self) -> str:
        """Figures, the charts and the tables, for Jupyter (the index page's summary, without the calls), in the
        summary's language."""
        from csqa.outputs.summaryview import render_summary

        return render_summary(self)


_CALL_KEYS = frozenset({"utterances", "dialogue", "Dialogue", "tid", "gold"})


class ReportFile:
    """Reports and error records from a ``csqa score --format jsonl`` file, streamed.

    A run that was killed can leave a cut last line, and files joined with ``cat`` can have one in the
    middle: lines that are not a report are skipped and listed in ``skipped`` (line number, reason) rather
    than making the whole file unreadable. A file whose *first* line is not a report is not a reports file
    at all (most often a file of calls given where reports were meant): that raises
    :class:`~csqa.errors.InputError` (E103) saying so.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.skipped: list[tuple[int, str]] = []

    def __iter__(self) -> Iterator[Report | CallError]:
        self.skipped = []
        first = True
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    data = json.loads(raw)
                    result: Report | CallError = (
                        CallError.model_validate(data) if data.get("error") else Report.model_validate(data)
                    )
                except (ValueError, AttributeError, RecursionError) as exc:
                    if first:
                        raise InputError([InputProblem("<report>", self._not_reports(raw, exc))], code="E103",
                                         source=str(self.path), line=number) from None
                    cut = "" if raw.endswith(b"\n") else " (a cut last line: was the run that wrote it killed?)"
                    self.skipped.append((number, f"not a csqa report{cut}"))
                    continue
                first = False
                yield result

    @staticmethod
    def _not_reports(raw: bytes, exc: Exception) -> str:
        try:
            keys = set(json.loads(raw))
        except (ValueError, TypeError, RecursionError):
            keys = set()
        if keys & _CALL_KEYS:
            return ("this is a file of calls, not of reports: score it first with "
                    "'csqa score FILE --format jsonl -o reports.jsonl' and give that file")
        reason = str(exc).splitlines()[0][:200]
        return f"not a csqa report ({reason}); give a file written by 'csqa score --format jsonl'"


def read_reports(path: str | os.PathLike[str]) -> ReportFile:
    """Reports and error records from a ``csqa score --format jsonl`` file, streamed (see :class:`ReportFile`)."""
    return ReportFile(path)




def _week(report: Report) -> str | None:
    if report.started_at is None:
        return None
    year, week, _ = report.started_at.isocalendar()
    return f"{year}-W{week:02d}"


_KEYS: dict[str, Callable[[Report], str | None]] = {
    "agent": lambda r: r.agent_id,
    "team": lambda r: r.team,
    "day": lambda r: None if r.started_at is None else r.started_at.date().isoformat(),
    "week": _week,
    "direction": lambda r: r.direction,
}


def _metadata_key(name: str) -> Callable[[Report], str | None]:
    def key(report: Report) -> str | None:
        value = report.metadata.get(name)
        return None if value is None else json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return key


def group_key(by: str) -> Callable[[Report], str]:
    """The function that puts a report in its group of ``by``: ``agent``, ``team``, ``day`` (the call's own
    date, in the time zone its start time was given in), ``week`` (ISO, ``2026-W49``), ``direction`` or
    ``metadata.KEY``. A report without the value is in the group ``(no team)``, ``(no date)`` …"""
    if by.startswith("metadata.") and len(by) > len("metadata."):
        raw = _metadata_key(by.removeprefix("metadata."))
    elif by in _KEYS:
        raw = _KEYS[by]
    else:
        raise UsageError(f"cannot group by {by!r}; use {', '.join(GROUPINGS)} or metadata.KEY")
    text = ui_text()
    missing = text.get(f"group.none.{by}", text["group.none"])
    return lambda report: raw(report) or missing


def _top(fails: Counter[str], top: int) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(fails.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


class _Tally:
    """Counters of one agent or group: everything its summary needs, nothing per call (``scores`` aside)."""

    __slots__ = ("below", "calls", "fails", "judged", "passed", "scored", "scores", "total")

    def __init__(self) -> None:
        self.calls = self.scored = self.passed = self.below = 0
        self.total = 0.0
        self.fails: Counter[str] = Counter()
        self.judged: Counter[str] = Counter()
        self.scores: list[float] = []

    def add(self, report: Report, *, keep: bool) -> None:
        self.calls += 1
        for check in report.checks:
            if check.status in ("pass", "fail"):
                self.judged[check.rule] += 1
            if check.status == "fail":
                self.fails[check.rule] += 1
        if report.score is not None:
            self.scored += 1
            self.total += report.score
            self.passed += bool(report.passed)
            self.below += not report.passed
            if keep:
                self.scores.append(report.score)

    @property
    def mean(self) -> float | None:
        return self.total / self.scored if self.scored else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.scored if self.scored else None


def _group_order(key: str) -> tuple[bool, str]:
    return key.startswith("(") and key.endswith(")"), key


def summarize(
    results: Iterable[Report | CallError],
    *,
    top: int = 3,
    by: str | Sequence[str] = (),
    scores: bool = True,
    reviews: ReviewSet | None = None,
    review_top: int = 200,
    lang: Lang = "en",
) -> Summary:
    """Summarise reports (error records are counted, not scored).

    ``by`` groups the calls too (one or several of :data:`GROUPINGS`, or ``metadata.KEY``); ``scores=False``
    leaves out each agent's list of scores, so that memory no longer grows with the calls; ``reviews`` adds
    the agreement of each rule's verdicts with the reviewers'. The calls whose fails are unsure (``review``)
    are counted, and the ``review_top`` least sure listed, so a reviewer knows where to look first. ``lang``
    is the language the summary is shown in (:meth:`Summary.table`, Jupyter); its counts do not depend on it.
    """
    chosen = check_lang(lang)
    groupings = (by,) if isinstance(by, str) else tuple(by)
    keys = {name: group_key(name) for name in groupings}
    calls = errors = 0
    codes: dict[str, str] = {}
    skipped: dict[str, Counter[str]] = defaultdict(Counter)
    overall = _Tally()
    per_agent: dict[str, _Tally] = {}
    per_group: dict[str, dict[str, _Tally]] = {name: {} for name in groupings}
    agreement = AgreementCounter(reviews) if reviews is not None else None
    pass_marks: set[float] = set()
    unsure: Counter[str] = Counter()
    queue: list[tuple[float, int, ReviewItem]] = []  # a heap of the least sure, kept at review_top
    queued = 0
    for result in results:
        calls += 1
        if isinstance(result, CallError):
            errors += 1
            continue
        pass_marks.add(result.pass_mark)
        overall.add(result, keep=False)
        per_agent.setdefault(result.agent_id or UNKNOWN_AGENT, _Tally()).add(result, keep=scores)
        for name, key in keys.items():
            per_group[name].setdefault(key(result), _Tally()).add(result, keep=False)
        doubtful = [c for c in result.checks if c.review]
        if doubtful:
            queued += 1
            least = min(c.confidence if c.confidence is not None else 1.0 for c in doubtful)
            item = ReviewItem(call_id=result.call_id, agent_id=result.agent_id, rules=tuple(c.code for c in doubtful),
                              confidence=least)
            entry = (-least, -queued, item)  # a max-heap on confidence: the surest is dropped first
            if len(queue) < review_top:
                heapq.heappush(queue, entry)
            elif review_top and entry > queue[0]:
                heapq.heapreplace(queue, entry)
            unsure.update(c.rule for c in doubtful)
        for check in result.checks:
            codes.setdefault(check.rule, check.code)
            if check.status not in ("pass", "fail"):
                skipped[check.rule][check.status] += 1
            if agreement is not None:
                agreement.add(result.call_id, check.rule, check.code, check.status)
    rules = tuple(
        RuleSummary(
            rule=rule,
            code=code,
            judged=overall.judged[rule],
            fails=overall.fails[rule],
            fail_rate=overall.fails[rule] / overall.judged[rule] if overall.judged[rule] else None,
            not_applicable=skipped[rule]["not_applicable"],
            not_assessable=skipped[rule]["not_assessable"],
            to_review=unsure[rule],
        )
        for rule, code in codes.items()
    )
    agents = tuple(
        AgentSummary(agent_id=agent_id, calls=t.calls, scored=t.scored, mean_score=t.mean, pass_rate=t.pass_rate,
                     top_fails=_top(t.fails, top), scores=tuple(t.scores))
        for agent_id, t in sorted(per_agent.items())
    )
    groups = tuple(
        GroupSummary(by=name, key=key, calls=t.calls, scored=t.scored, mean_score=t.mean, pass_rate=t.pass_rate,
                     below_pass_mark=t.below, top_fails=_top(t.fails, top), fails=dict(t.fails), judged=dict(t.judged))
        for name in groupings
        for key, t in sorted(per_group[name].items(), key=lambda kv: _group_order(kv[0]))
    )
    return Summary(
        calls=calls,
        errors=errors,
        scored=overall.scored,
        mean_score=overall.mean,
        pass_rate=overall.pass_rate,
        rules=rules,
        agents=agents,
        by=groupings,
        groups=groups,
        agreement=agreement.rules(codes) if agreement is not None else (),
        reviews_unmatched=agreement.unmatched if agreement is not None else 0,
        pass_marks=tuple(sorted(pass_marks)),
        to_review_calls=queued,
        to_review=tuple(item for _, _, item in sorted(queue, key=lambda e: (-e[0], -e[1]))),
        lang=chosen,
    )


_PER = ("call", "check", "agent", "team", "day", "week")


def _metadata_columns(rows: list[dict[str, Any]], taken: set[str]) -> None:
    """Each metadata field its own column, named by its key (``metadata.KEY`` where the key is a column already)."""
    for row in rows:
        for key, value in row.pop("metadata", {}).items():
            row[f"metadata.{key}" if key in taken else key] = value


def to_dataframe(results: Iterable[Report | CallError], *, per: str = "check") -> pd.DataFrame:
    """A pandas DataFrame with one row per check (``per="check"``), per call (``"call"``), or per agent, team,
    day or week (``"agent"`` …: calls, scored, mean score, pass rate, calls below the pass mark, then one
    ``fail_rate.RULE`` column per rule).

    Call and check rows carry the call's ``started_at``, ``team`` and metadata (each field its own column).
    Error records become call rows with ``error`` set. Needs pandas (``pip install csqa[pandas]``).
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("to_dataframe needs pandas: pip install 'csqa[pandas]'") from exc
    if per not in _PER:
        raise UsageError(f"per must be one of {', '.join(repr(p) for p in _PER)}, not {per!r}")
    if per not in ("check", "call"):
        summary = summarize(results, by=per, scores=False)
        column = "agent_id" if per == "agent" else per
        rules = [r.rule for r in summary.rules]
        groups = [{column: g.key, "calls": g.calls, "scored": g.scored, "mean_score": g.mean_score, "pass_rate": g.pass_rate,
                 "below_pass_mark": g.below_pass_mark, **{f"fail_rate.{rule}": g.fail_rate(rule) for rule in rules}}
                  for g in summary.groups]
        return pd.DataFrame(groups, columns=[column, "calls", "scored", "mean_score", "pass_rate", "below_pass_mark",
                                           *(f"fail_rate.{rule}" for rule in rules)])
    rows: list[dict[str, Any]] = []
    for result in results:
        if isinstance(result, CallError):
            if per == "call":
                rows.append({"call_id": result.call_id, "error": result.message})
            continue
        base: dict[str, Any] = {"call_id": result.call_id, "agent_id": result.agent_id, "team": result.team,
                "started_at": result.started_at, "direction": result.direction}
        if per == "call":
            rows.append({**base, "score": result.score, "passed": result.passed, "vetoed": ",".join(result.vetoed),
                         "fails": len(result.failed), "error": None, "metadata": result.metadata})
            continue
        rows.extend({**base, "rule": check.rule, "code": check.code, "status": check.status, "severity": check.severity,
                     "weight": check.weight, "message": check.message, "suggestion": check.suggestion,
                     "evidence": len(check.evidence), "score": result.score, "metadata": result.metadata}
                    for check in result.checks)
    taken = {key for row in rows for key in row} - {"metadata"}
    _metadata_columns(rows, taken)
    return pd.DataFrame(rows)
