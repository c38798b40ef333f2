"""Summaries over many reports: which rules fail, which agents need coaching.

``summarize`` reads reports as they stream (a list, a generator, or ``read_reports`` over a JSON Lines file)
and keeps only counters and one score per call, so a day of calls fits in little memory. ``to_dataframe``
gives pandas users one row per call and per check (pandas is an optional extra: ``pip install csqa[pandas]``).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from csqa.errors import InputError, InputProblem, UsageError
from csqa.input.model import CallError
from csqa.outputs.report import Report

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AgentSummary", "ReportFile", "RuleSummary", "Summary", "read_reports", "summarize", "to_dataframe"]

_FROZEN = ConfigDict(extra="forbid", frozen=True)
UNKNOWN_AGENT = "(no agent_id)"


class RuleSummary(BaseModel):
    model_config = _FROZEN

    rule: str
    code: str
    judged: int
    fails: int
    fail_rate: float | None
    not_applicable: int
    not_assessable: int


class AgentSummary(BaseModel):
    model_config = _FROZEN

    agent_id: str
    calls: int
    scored: int
    mean_score: float | None
    pass_rate: float | None
    top_fails: tuple[tuple[str, int], ...]
    scores: tuple[float, ...]


class Summary(BaseModel):
    """Per rule, the fail rate over the calls that rule judged; per agent, calls, mean score, pass rate and the
    rules they fail most."""

    model_config = _FROZEN

    calls: int
    errors: int
    scored: int
    mean_score: float | None
    pass_rate: float | None
    rules: tuple[RuleSummary, ...]
    agents: tuple[AgentSummary, ...]
    unreadable: int = 0

    def table(self) -> str:
        """The summary as terminal tables."""
        from csqa.outputs.tables import table

        def pct(value: float | None) -> str:
            return "-" if value is None else f"{value:.0%}"

        mean = "-" if self.mean_score is None else f"{self.mean_score:.1f}"
        skipped = f"; {self.unreadable} unreadable lines skipped" if self.unreadable else ""
        head = f"{self.calls} calls ({self.errors} errors{skipped}), mean score {mean}, pass rate {pct(self.pass_rate)}\n\n"
        rules = table(
            ["code", "rule", "fails", "judged", "fail rate", "n/a", "not assessable"],
            [[r.code, r.rule, str(r.fails), str(r.judged), pct(r.fail_rate), str(r.not_applicable), str(r.not_assessable)]
             for r in self.rules],
        )
        agents = table(
            ["agent", "calls", "mean score", "pass rate", "fails most"],
            [[a.agent_id, str(a.calls), "-" if a.mean_score is None else f"{a.mean_score:.1f}", pct(a.pass_rate),
              ", ".join(f"{rule} ×{count}" for rule, count in a.top_fails) or "-"] for a in self.agents],
        )
        return head + rules + "\n\n" + agents + "\n"


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


def summarize(results: Iterable[Report | CallError], *, top: int = 3) -> Summary:
    """Summarise reports (error records are counted, not scored)."""
    calls = errors = 0
    codes: dict[str, str] = {}
    judged: Counter[str] = Counter()
    fails: Counter[str] = Counter()
    skipped: dict[str, Counter[str]] = defaultdict(Counter)
    per_agent: dict[str, dict[str, Any]] = {}
    scores: list[float] = []
    passed = 0
    for result in results:
        calls += 1
        if isinstance(result, CallError):
            errors += 1
            continue
        agent = per_agent.setdefault(result.agent_id or UNKNOWN_AGENT,
                                     {"calls": 0, "scores": [], "passed": 0, "fails": Counter()})
        agent["calls"] += 1
        for check in result.checks:
            codes.setdefault(check.rule, check.code)
            if check.status in ("pass", "fail"):
                judged[check.rule] += 1
            else:
                skipped[check.rule][check.status] += 1
            if check.status == "fail":
                fails[check.rule] += 1
                agent["fails"][check.rule] += 1
        if result.score is not None:
            scores.append(result.score)
            agent["scores"].append(result.score)
            passed += bool(result.passed)
            agent["passed"] += bool(result.passed)
    rules = tuple(
        RuleSummary(
            rule=rule,
            code=code,
            judged=judged[rule],
            fails=fails[rule],
            fail_rate=fails[rule] / judged[rule] if judged[rule] else None,
            not_applicable=skipped[rule]["not_applicable"],
            not_assessable=skipped[rule]["not_assessable"],
        )
        for rule, code in codes.items()
    )
    agents = tuple(
        AgentSummary(
            agent_id=agent_id,
            calls=data["calls"],
            scored=len(data["scores"]),
            mean_score=sum(data["scores"]) / len(data["scores"]) if data["scores"] else None,
            pass_rate=data["passed"] / len(data["scores"]) if data["scores"] else None,
            top_fails=tuple(sorted(data["fails"].items(), key=lambda kv: (-kv[1], kv[0]))[:top]),
            scores=tuple(data["scores"]),
        )
        for agent_id, data in sorted(per_agent.items())
    )
    return Summary(
        calls=calls,
        errors=errors,
        scored=len(scores),
        mean_score=sum(scores) / len(scores) if scores else None,
        pass_rate=passed / len(scores) if scores else None,
        rules=rules,
        agents=agents,
    )


def to_dataframe(results: Iterable[Report | CallError], *, per: str = "check") -> pd.DataFrame:
    """A pandas DataFrame: one row per check (``per="check"``) or per call (``per="call"``).

    Error records become call rows with ``error`` set. Needs pandas (``pip install csqa[pandas]``).
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("to_dataframe needs pandas: pip install 'csqa[pandas]'") from exc
    if per not in ("check", "call"):
        raise UsageError(f"per must be 'check' or 'call', not {per!r}")
    rows: list[dict[str, Any]] = []
    for result in results:
        if isinstance(result, CallError):
            if per == "call":
                rows.append({"call_id": result.call_id, "error": result.message})
            continue
        base = {"call_id": result.call_id, "agent_id": result.agent_id, "direction": result.direction}
        if per == "call":
            rows.append({**base, "score": result.score, "passed": result.passed, "vetoed": ",".join(result.vetoed),
                         "fails": len(result.failed), "error": None})
            continue
        rows.extend({**base, "rule": check.rule, "code": check.code, "status": check.status, "severity": check.severity,
                     "weight": check.weight, "message": check.message, "suggestion": check.suggestion,
                     "evidence": len(check.evidence), "score": result.score} for check in result.checks)
    return pd.DataFrame(rows)
