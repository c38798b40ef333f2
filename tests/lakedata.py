"""Calls for the batch-API and engine tests (test_frames, test_spark, test_dask): the demo corpus plus bad calls,
in every input layout, each with what ``Scorer.score_many`` gives for the same calls."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import csqa
from csqa.input.loaders import RawCall, iter_raw
from csqa.scale import frames

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpora" / "demo"

BAD_LINES = [
    json.dumps({"call_id": "bad-speaker",
                "utterances": [{"speaker": "agent", "text": "您好"}, {"speaker": "robot", "text": "嗯"}]}),
    json.dumps({"call_id": "no-text", "utterances": [{"speaker": "agent"}]}),
    json.dumps({"call_id": "not-a-list", "utterances": "您好"}),
    json.dumps({"call_id": "a-dict", "utterances": {"speaker": "agent", "text": "您好"}}),
    '{"call_id": "broken", "utterances": [',
    json.dumps({"utterances": [{"speaker": "agent", "text": "您好"}]}),
    json.dumps({"call_id": "bad-fields", "rings": -1, "direction": "sideways", "hangup_by": "robot",
                "utterances": [{"speaker": "客服", "text": "您好", "start": 5.0, "end": 1.0}]}),
    json.dumps({"call_id": "unknown-field", "utterances": [], "moods": ["happy"]}),
    json.dumps({"call_id": 4711, "utterances": [{"speaker": "customer", "text": "喂?"}]}),
]
"""JSON Lines of bad calls (and two odd good ones: an integer call_id and no utterances at all)."""


def write_jsonl(path: Path) -> Path:
    """The demo corpus's JSON Lines calls with :data:`BAD_LINES` mixed in: what ``csqa score`` reads."""
    lines = (DEMO / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    mixed: list[str] = []
    for index, line in enumerate(lines):
        mixed.append(line)
        if index < len(BAD_LINES):
            mixed.append(BAD_LINES[index])
    mixed += BAD_LINES[len(lines):]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(mixed) + "\n", encoding="utf-8")
    return path


def write_unreadable(folder: Path) -> Path:
    """Files whose calls the loader cannot read: a JSON Lines line that is not UTF-8, a .json file that is not JSON."""
    folder.mkdir(parents=True, exist_ok=True)
    good = json.dumps({"call_id": "after-bad-bytes", "utterances": [{"speaker": "agent", "text": "您好"}]}, ensure_ascii=False)
    (folder / "bytes.jsonl").write_bytes(b'{"call_id": "x\xff"}\n' + good.encode() + b"\n")
    (folder / "broken.json").write_text('{"call_id": "b", "utterances": [}', encoding="utf-8")
    return folder


def raw_items(*paths: Path) -> list[RawCall]:
    items = list(iter_raw(*paths))
    assert all(isinstance(i, RawCall) for i in items)
    return items  # type: ignore[return-value]


def raw_rows(items: Iterable[RawCall]) -> list[dict[str, Any]]:
    """The raw layout of file items: what ``csqa lake import`` writes."""
    rows = []
    for item in items:
        if item.text_id is not None:
            rows.append({"text": item.payload, "text_id": item.text_id, "source": item.source, "line": item.line})
        else:
            payload = item.payload if isinstance(item.payload, str) else json.dumps(item.payload, ensure_ascii=False)
            rows.append({"json": payload, "source": item.source, "line": item.line})
    return rows


def _full(items: Any, keys: Sequence[str]) -> Any:
    if isinstance(items, list):
        return [{k: i.get(k) for k in keys} if isinstance(i, dict) else i for i in items]
    return items


def structured_calls() -> list[dict[str, Any]]:
    """Native call dicts that columns can hold (no text where a list belongs): the demo's JSON Lines calls, and
    bad ones."""
    calls = [json.loads(line) for line in (DEMO / "calls.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    calls += [json.loads(line) for line in BAD_LINES[:2] + BAD_LINES[5:7] + BAD_LINES[8:]]
    calls.append({"call_id": "empty", "utterances": []})
    calls.append({"call_id": "with-metadata", "team": "一组", "started_at": "2026-12-01T09:30:00",
                  "metadata": {"queue": "售后", "channel": "电话"},
                  "utterances": [{"speaker": "agent", "text": "您好!楠山农林客服部,请问有什么能帮您?"}]})
    return calls


def call_row(call: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A call dict as a row of the call layout: every column present, absent fields null."""
    row = {name: call.get(name) for name in frames.CALL_INPUT_SCHEMA.names if name not in ("source", "line")}
    row["utterances"] = _full(row["utterances"], ("speaker", "text", "start", "end"))
    row["events"] = _full(row["events"], ("type", "start", "end"))
    if row.get("metadata") is not None:
        row["metadata"] = json.dumps(row["metadata"], ensure_ascii=False)  # a JSON object as text
    if isinstance(row["call_id"], int):
        row["call_id"] = str(row["call_id"])  # a string column; Call turns an integer id into text anyway
    return {**row, **extra}


def utterance_rows(calls: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The utterance layout of call dicts: each call's rows in reverse order, ``seq`` giving the true one."""
    rows = []
    for call in calls:
        head = {k: call.get(k) for k in ("call_id", "direction", "agent_id", "rings", "ring_seconds", "hangup_by", "events",
                                         "started_at", "team", "metadata")}
        head["events"] = _full(head["events"], ("type", "start", "end"))
        if head["metadata"] is not None:
            head["metadata"] = json.dumps(head["metadata"], ensure_ascii=False)
        if isinstance(head["call_id"], int):
            head["call_id"] = str(head["call_id"])
        utterances = call.get("utterances") or []
        mine = [{**head, "seq": seq, **{k: u.get(k) for k in ("speaker", "text", "start", "end")}}
                for seq, u in enumerate(utterances)]
        rows += mine[::-1] or [{**head, "seq": None}]
    return rows


def write_parquet(rows: list[dict[str, Any]], schema: pa.Schema, folder: Path, files: int = 2) -> Path:
    """Rows as ``files`` Parquet files, in order (part-00000, part-00001, …)."""
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(rows) // files)
    for index in range(files):
        chunk = rows[index * size:(index + 1) * size]
        pq.write_table(pa.Table.from_pylist(chunk, schema=schema), folder / f"part-{index:05d}.parquet")
    return folder


def dumps(results: Iterable[csqa.Report | csqa.CallError]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in results]


def assert_same(got: Iterable[csqa.Report | csqa.CallError], expected: Iterable[csqa.Report | csqa.CallError]) -> None:
    """Every field of every report and error record, in order."""
    got_, expected_ = dumps(got), dumps(expected)
    assert len(got_) == len(expected_), (len(got_), len(expected_))
    for index, (a, b) in enumerate(zip(got_, expected_)):
        assert a == b, f"result {index} differs: {[k for k in b if a.get(k) != b.get(k)]}\n got {a}\nwant {b}"


def read_output(folder: Path) -> tuple[pa.Table, pa.Table]:
    """A ``csqa lake score`` output folder's calls and checks tables, files in order."""
    calls = pa.concat_tables(pq.read_table(f) for f in frames.parquet_files(folder / "calls"))
    checks = pa.concat_tables(pq.read_table(f) for f in frames.parquet_files(folder / "checks"))
    return calls, checks


def layout_folders(calls: list[dict[str, Any]], tmp_path: Path) -> list[tuple[str, Path]]:
    """The same calls written as Parquet in the call layout and in the utterance layout, three files each."""
    by_call = write_parquet([call_row(c) for c in calls], frames.CALL_INPUT_SCHEMA, tmp_path / "by-call", files=3)
    by_utterance = write_parquet(utterance_rows(calls), frames.UTTERANCE_INPUT_SCHEMA, tmp_path / "by-utterance", files=3)
    return [("call", by_call), ("utterance", by_utterance)]


def assert_engine_output(status: int, out: str, err: str, qa: Path, expected: list[csqa.Report | csqa.CallError],
                         local: tuple[pa.Table, pa.Table]) -> None:
    """What ``csqa lake score`` on an engine must have done: exit 1 with one stderr line per error record,
    write tables of the fixed schemas that hold ``expected``, and the same rows in the same order as the
    local engine's ``local`` tables."""
    assert status == 1, err
    errors = [r for r in expected if isinstance(r, csqa.CallError)]
    assert out.startswith(f"{len(expected)} calls ({len(errors)} errors) → ")
    assert err.splitlines() == [f"csqa: {r.message}" for r in errors]
    calls, checks = read_output(qa)
    assert calls.schema.equals(frames.CALLS_SCHEMA) and checks.schema.equals(frames.CHECKS_SCHEMA)
    assert_same(frames.results_from_frames(calls, checks), expected)
    assert calls.to_pylist() == local[0].to_pylist() and checks.to_pylist() == local[1].to_pylist()
