"""Batch scoring: several processes, input order, bounded read-ahead, error records in place, summaries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import csqa
from csqa.input.loaders import RawCall, iter_raw
from csqa.outputs.summary import read_reports, summarize, to_dataframe


def demo_calls(root: Path) -> list[csqa.Call]:
    return [c for c in csqa.load_calls(root / "corpora" / "demo") if isinstance(c, csqa.Call)]


def test_workers_give_the_same_reports_in_the_same_order(scorer: csqa.Scorer, root: Path) -> None:
    calls = demo_calls(root) * 3
    items: list[object] = [*calls[:5], {"call_id": "bad", "utterances": [{"speaker": "?", "text": ""}]}, *calls[5:]]
    serial_records = list(scorer.score_many(items))
    parallel_records = list(scorer.score_many(items, workers=2, chunk_size=4))
    serial = [r.model_dump() for r in serial_records]
    assert [r.model_dump() for r in parallel_records] == serial
    assert parallel_records == serial_records  # the same model types and field types, not only equal dumps
    assert serial[5]["error"] is True and serial[5]["call_id"] == "bad"
    assert [r.get("call_id") for r in serial] == [getattr(c, "call_id", "bad") for c in items]  # type: ignore[union-attr]


def test_raw_records_are_parsed_by_the_workers(scorer: csqa.Scorer, tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    lines = [json.dumps({"call_id": f"c{i}", "utterances": [{"speaker": "agent", "text": "您好"}]}) for i in range(10)]
    lines.insert(3, "{broken")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = list(iter_raw(path))
    assert all(isinstance(r, RawCall) for r in raw)
    out = list(scorer.score_many(raw, workers=2, chunk_size=3))
    assert [getattr(o, "call_id", None) for o in out][:5] == ["c0", "c1", "c2", None, "c3"]
    assert isinstance(out[3], csqa.CallError) and out[3].line == 4


def test_parallel_scoring_reads_ahead_only_a_bounded_amount(scorer: csqa.Scorer) -> None:
    consumed = 0

    def calls() -> Iterator[dict[str, object]]:
        nonlocal consumed
        for i in range(400):
            consumed += 1
            yield {"call_id": f"c{i}", "utterances": [{"speaker": "agent", "text": "您好,请问有什么可以帮您"}]}

    results = scorer.score_many(calls(), workers=2, chunk_size=5)
    for produced, _ in enumerate(results, 1):
        # at most workers * 4 chunks of 5 are out at any time
        assert consumed - produced <= 2 * 4 * 5 + 5
    assert consumed == 400


def test_workers_must_be_positive(scorer: csqa.Scorer) -> None:
    with pytest.raises(ValueError):
        list(scorer.score_many([], workers=0))


def test_cli_workers_and_summary(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from csqa.cli import main

    out = tmp_path / "reports.jsonl"
    assert main(["score", str(root / "corpora" / "demo"), "--format", "jsonl", "-o", str(out), "--workers", "2"]) == 0
    results = list(read_reports(out))
    assert [r.call_id for r in results] == [c.call_id for c in demo_calls(root)]
    summary = summarize(results)
    assert summary.calls == len(results) and summary.errors == 0
    by_rule = {r.rule: r for r in summary.rules}
    restate = by_rule["restate-question"]
    fails = sum(1 for r in results if isinstance(r, csqa.Report) and r.check("restate-question").status == "fail")
    assert restate.fails == fails and restate.fail_rate == pytest.approx(fails / restate.judged)
    agents = {a.agent_id: a for a in summary.agents}
    a033 = [r for r in results if isinstance(r, csqa.Report) and r.agent_id == "A033"]
    assert agents["A033"].calls == len(a033)
    assert agents["A033"].mean_score == pytest.approx(sum(r.score for r in a033 if r.score is not None) / len(a033))
    assert "restate-question" in summary.table()


def test_dataframes(scorer: csqa.Scorer, root: Path) -> None:
    results = list(scorer.score_many(demo_calls(root)))
    checks = to_dataframe(results)
    calls = to_dataframe(results, per="call")
    assert len(checks) == len(results) * 16 and set(checks["status"]) <= {"pass", "fail", "not_applicable", "not_assessable"}
    assert list(calls["call_id"]) == [r.call_id for r in results]
    assert calls["score"].mean() == pytest.approx(sum(r.score for r in results) / len(results))
