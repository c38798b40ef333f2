"""The batch API of csqa.scale.frames: every layout gives exactly the reports and error records of Scorer.score_many,
in fixed Arrow schemas; bad rows are error rows; one scorer per process; and ``csqa lake`` on this machine."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import csqa
from csqa.cli import main as csqa_main
from csqa.input.loaders import RawCall
from csqa.outputs.summary import read_reports
from csqa.scale import frames
from csqa.scale.lake import run as lake
from tests.lakedata import (
    DEMO,
    assert_same,
    call_row,
    raw_items,
    raw_rows,
    read_output,
    structured_calls,
    utterance_rows,
    write_jsonl,
    write_parquet,
    write_unreadable,
)


def schema_of(df: pd.DataFrame) -> pa.Schema:
    return pa.Table.from_pandas(df, preserve_index=False).schema.remove_metadata()


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("calls") / "calls.jsonl")


def test_raw_layout_gives_the_records_of_score_many(scorer: csqa.Scorer, jsonl: Path) -> None:
    items = raw_items(jsonl, DEMO)  # JSON Lines with bad lines, the SCA export, a text call
    expected = list(scorer.score_many(items))
    assert sum(isinstance(r, csqa.CallError) for r in expected) >= 6
    calls, checks = frames.score_frame(pd.DataFrame(raw_rows(items)), layout="raw")
    assert schema_of(calls).equals(frames.CALLS_SCHEMA) and schema_of(checks).equals(frames.CHECKS_SCHEMA)
    assert_same(frames.results_from_frames(calls, checks), expected)
    assert_same(frames.to_results(frames.score_reports(pa.Table.from_pylist(raw_rows(items), schema=frames.RAW_INPUT_SCHEMA),
                                                       layout="raw", rules=scorer)), expected)
    broken = calls[calls.error_code == "E100"].iloc[0]
    assert broken.error and broken.source == str(jsonl) and broken.line == 10
    assert broken.error_message.startswith(f"[E100] {jsonl} line 10: <json>: not valid JSON")


def _without_provenance(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f for f in schema if f.name not in ("source", "line")])


def test_call_layout_columns_and_nulls(scorer: csqa.Scorer) -> None:
    calls_in = structured_calls()
    expected = list(scorer.score_many(calls_in))
    table = pa.Table.from_pylist([call_row(c) for c in calls_in], schema=_without_provenance(frames.CALL_INPUT_SCHEMA))
    for frame in (table, table.to_pandas(), table.to_pandas(types_mapper=pd.ArrowDtype)):
        assert_same(frames.to_results(frames.score_reports(frame, rules=scorer)), expected)
    by_id = {r.call_id: r for r in expected if isinstance(r, csqa.CallError)}
    assert "utterances[1].speaker" in by_id["bad-speaker"].message and "robot" in by_id["bad-speaker"].message
    assert "utterances[0].text: Field required" in by_id["no-text"].message


def test_provenance_columns_make_file_errors(scorer: csqa.Scorer) -> None:
    calls_in = structured_calls()
    rows = [call_row(c, source="calls.jsonl", line=n) for n, c in enumerate(calls_in, 1)]
    expected = list(scorer.score_many(RawCall(c, "calls.jsonl", n) for n, c in enumerate(calls_in, 1)))
    calls, checks = frames.score_frame(pd.DataFrame(rows), rules=scorer)
    assert_same(frames.results_from_frames(calls, checks), expected)
    error = calls[calls.call_id == "bad-speaker"].iloc[0]
    assert error.error_message.startswith(f"[E101] calls.jsonl line {error.line}, call 'bad-speaker': utterances[1].speaker")
    assert list(calls.line) == list(range(1, len(rows) + 1))  # every call row says where it came from
    assert set(checks.line) <= set(calls.line[~calls.error])


def test_text_in_list_columns_is_json(scorer: csqa.Scorer) -> None:
    rows = [
        {"call_id": "ok", "utterances": json.dumps([{"speaker": "agent", "text": "您好", "start": None}], ensure_ascii=False)},
        {"call_id": "not-a-list", "utterances": '"您好"'},
        {"call_id": "a-dict", "utterances": '{"speaker": "agent"}'},
        {"call_id": "broken", "utterances": '[{"speaker": "agent", "text": "您好"', "events": "[]"},
        {"call_id": "events", "utterances": "[]", "events": '[{"type": "hold", "start": 3}]'},
    ]
    decoded = [dict(r, utterances=json.loads(r["utterances"])) for r in rows if r["call_id"] != "broken"]
    for call in decoded:
        if "events" in call:
            call["events"] = json.loads(call["events"])
    calls, checks = frames.score_frame(pd.DataFrame(rows), rules=scorer)
    results = list(frames.results_from_frames(calls, checks))
    assert_same([r for r in results if r.call_id != "broken"], scorer.score_many(decoded))
    broken = results[3]
    assert isinstance(broken, csqa.CallError) and broken.code == "E100" and broken.call_id == "broken"
    assert broken.message.startswith("[E100] call 'broken': utterances: not valid JSON: ")
    assert [r.code for r in results if isinstance(r, csqa.CallError)] == ["E101", "E101", "E100", "E101"]


def test_hostile_cells_are_error_rows(scorer: csqa.Scorer) -> None:
    rows = [
        {"call_id": "deep", "utterances": "[" * 100_000, "source": "lake\udcff.parquet", "line": 2**70},
        {"call_id": "big", "utterances": "[" + "9" * 5000 + "]", "source": None, "line": None},
        {"call_id": "ok", "utterances": [{"speaker": "agent", "text": "您好"}], "source": "lake\udcff.parquet", "line": 3},
        {"call_id": ["not", "text"], "utterances": [], "source": None, "line": None},
        {"call_id": "sur\ud800", "utterances": [], "source": None, "line": None},
    ]
    calls, checks = frames.score_frame(pd.DataFrame(rows, dtype=object), rules=scorer)  # pandas' str dtype refuses surrogates
    assert list(calls.error) == [True, True, False, True, True]
    assert calls.error_message[0] == "[E100] lake\\udcff.parquet, call 'deep': utterances: not valid JSON: nested too deeply"
    assert calls.line[0] is pd.NA and calls.source[2] == "lake\\udcff.parquet" and calls.line[2] == 3
    assert "Exceeds the limit" in calls.error_message[1] and calls.error_code[1] == "E100"
    assert "lone surrogate" in calls.error_message[4]
    assert len(checks) == 16


def test_schemas_carry_every_field_of_the_models() -> None:
    from csqa.input.model import Utterance
    from csqa.outputs.report import CheckResult, Evidence

    calls = set(frames.CALLS_SCHEMA.names)
    # every field a report's JSON carries (its language is not in it: the rows are the same in both)
    exported = {name for name, field in csqa.Report.model_fields.items() if not field.exclude}
    assert exported - {"checks"} <= calls
    renamed = {"code": "error_code", "message": "error_message"}
    assert {renamed.get(f, f) for f in csqa.CallError.model_fields} <= calls
    check = frames.REPORTS_SCHEMA.field("checks").type.value_type
    assert [check.field(i).name for i in range(check.num_fields)] == list(CheckResult.model_fields)
    evidence = check.field("evidence").type.value_type
    assert [evidence.field(i).name for i in range(evidence.num_fields)] == list(Evidence.model_fields)
    utterance = frames.CALLS_SCHEMA.field("utterances").type.value_type
    assert [utterance.field(i).name for i in range(utterance.num_fields)] == list(Utterance.model_fields)
    assert frames.CHECKS_SCHEMA.names[6:] == list(CheckResult.model_fields)


def test_utterance_layout_equals_call_layout(scorer: csqa.Scorer) -> None:
    calls_in = structured_calls()
    expected = list(scorer.score_many(calls_in))
    rows = utterance_rows(calls_in)
    table = pa.Table.from_pylist(rows, schema=_without_provenance(frames.UTTERANCE_INPUT_SCHEMA))
    for frame in (table, table.to_pandas()):
        calls, checks = frames.score_frame(frame, layout="utterance", rules=scorer)
        assert_same(frames.results_from_frames(calls, checks), expected)
    # without seq, rows are taken in frame order
    ordered = [dict(r, seq=None) for call in calls_in for r in utterance_rows([call])[::-1]]
    no_seq = pd.DataFrame(ordered).drop(columns="seq")
    assert_same(frames.to_results(frames.score_reports(no_seq, layout="utterance", rules=scorer)), expected)


def test_utterance_rows_that_disagree_are_an_error_row(scorer: csqa.Scorer) -> None:
    rows = [
        {"call_id": "c1", "seq": 1, "speaker": "customer", "text": "喂", "agent_id": "A1"},
        {"call_id": "c1", "seq": 0, "speaker": "agent", "text": "您好", "agent_id": "A2"},
        {"call_id": "c2", "seq": 0, "speaker": "agent", "text": "您好"},
        {"call_id": "c2", "seq": 0, "speaker": "customer", "text": "喂"},
        {"call_id": "c3", "seq": 0, "speaker": "agent", "text": "您好", "rings": 2},
        {"call_id": "c3", "seq": 1, "speaker": "customer", "text": "喂", "rings": None},
    ]
    calls, _ = frames.score_frame(pd.DataFrame(rows), layout="utterance", rules=scorer)
    assert list(calls.call_id) == ["c1", "c2", "c3"] and list(calls.error) == [True, True, False]
    # in utterance order
    assert calls.error_message[0] == "[E101] call 'c1': agent_id: differs between the call's rows: 'A2', 'A1'"
    assert calls.error_message[1] == "[E101] call 'c2': seq: 0 given to more than one row"
    assert list(calls.utterances[2]) == [{"speaker": "agent", "text": "您好", "start": None, "end": None},
                                         {"speaker": "customer", "text": "喂", "start": None, "end": None}]


def test_pandas_types_do_not_change_the_call(scorer: csqa.Scorer) -> None:
    call = {"call_id": "t", "rings": 4, "hangup_by": "customer",
            "utterances": [{"speaker": "agent", "text": "您好!请问有什么能帮您?"}]}
    frame = pd.DataFrame([call_row(call), call_row({**call, "call_id": "u", "rings": None})])
    assert frame.rings.dtype == np.float64  # pandas holds integers with gaps as floats
    calls, checks = frames.score_frame(frame, rules=scorer)
    assert_same(frames.results_from_frames(calls, checks), scorer.score_many([call, {**call, "call_id": "u", "rings": None}]))
    assert checks[(checks.call_id == "t") & (checks.rule == "answer-within-three-rings")].status.item() == "fail"
    # a float in an integer field of a JSON call is still reported, as csqa score reports it
    raw = pd.DataFrame([{"json": json.dumps({**call, "rings": 2.5})}])
    assert frames.score_frame(raw, layout="raw", rules=scorer).calls.error[0]


def test_schemas_and_derived_columns(scorer: csqa.Scorer) -> None:
    reports = frames.score_reports(pd.DataFrame(raw_rows(raw_items(DEMO))), layout="raw", rules=scorer)
    assert schema_of(reports).equals(frames.REPORTS_SCHEMA)
    calls, checks = frames.split_reports(reports)
    assert list(calls.columns) == frames.CALLS_SCHEMA.names and list(checks.columns) == frames.CHECKS_SCHEMA.names
    assert len(checks) == 16 * len(calls)
    assert list(checks.check_index) == list(range(16)) * len(calls)
    fails = checks[checks.status == "fail"].groupby("call_id").size()
    assert {k: v for k, v in zip(calls.call_id, calls.fails) if v} == fails.to_dict()
    assert not calls.error.any() and calls.error_code.isna().all() and calls.problems.isna().all()
    no_transcript = frames.score_frame(pd.DataFrame(raw_rows(raw_items(DEMO))), layout="raw", include_transcript=False)
    assert all(len(u) == 0 for u in no_transcript.calls.utterances)
    assert frames.results_to_frames(scorer.score_many(raw_items(DEMO))).calls.drop(columns=["source", "line"]).equals(
        calls.drop(columns=["source", "line"]))


def test_columns_are_checked_before_scoring() -> None:
    with pytest.raises(ValueError, match="'hangupby' is not one of the call layout's; did you mean 'hangup_by'"):
        frames.score_frame(pd.DataFrame([{"call_id": "c", "utterances": [], "hangupby": "customer"}]))
    with pytest.raises(ValueError, match="does not know: dt"):
        frames.score_frame(pd.DataFrame([{"call_id": "c", "utterances": [], "dt": "x"}]), extra_columns="error")
    with pytest.raises(ValueError, match="needs the column utterances"):
        frames.score_frame(pd.DataFrame([{"call_id": "c"}]))
    with pytest.raises(ValueError, match="layout must be one of"):
        frames.score_frame(pd.DataFrame([{"call_id": "c"}]), layout="calls")  # type: ignore[arg-type]
    frame = pd.DataFrame([{"call_id": "c", "utterances": [], "dt": "2026-11-22"}])
    assert not frames.score_frame(frame, extra_columns="ignore").calls.error[0]
    kept = frames.score_frame(frame).calls  # by default another column is the call's metadata
    assert not kept.error[0] and json.loads(kept.metadata[0]) == {"dt": "2026-11-22"}
    empty = frames.score_frame(pd.DataFrame({"call_id": [], "utterances": []}))
    assert len(empty.calls) == 0 and schema_of(empty.calls).equals(frames.CALLS_SCHEMA)


def test_scorer_is_built_once_per_process_and_content(tmp_path: Path) -> None:
    frames.clear_scorer_cache()
    frame = pd.DataFrame([{"call_id": "c", "utterances": [{"speaker": "agent", "text": "您好"}]}])
    for _ in range(3):
        frames.score_frame(frame)
    assert frames.scorer_cache_info()["builds"] == 1
    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[scorecard]\ncompany = "顺达快运"\n', encoding="utf-8")
    spec = frames.scorer_spec(site)
    copy = tmp_path / "copy.toml"
    copy.write_bytes(site.read_bytes())
    assert frames.scorer_spec(copy).key == spec.key  # keyed by content, not path
    assert frames.scorer_spec(site, company="楠山农林").key != spec.key
    shipped = pickle.loads(pickle.dumps(spec))
    site.unlink()  # workers need no copy of the file
    copy.unlink()
    assert len(pickle.dumps(spec)) < 500_000  # the rules as data (the bundled file is some 130 kB), never jieba's tables
    list(frames.iter_score_frames([frame, frame, frame], rules=shipped))
    assert frames.scorer_cache_info()["builds"] == 2
    assert shipped.scorer().rules.scorecard.company == "顺达快运"
    frames.clear_scorer_cache()
    assert frames.scorer_cache_info()["builds"] == 0 and frames.scorer_cache_info()["keys"] == []


def test_iter_score_frames_is_lazy_and_in_order(scorer: csqa.Scorer) -> None:
    seen = []

    def source():
        for index in range(3):
            seen.append(index)
            yield pd.DataFrame([{"call_id": f"c{index}", "utterances": [{"speaker": "agent", "text": "您好"}]}])

    out = frames.iter_score_frames(source(), rules=scorer)
    assert seen == []
    first = next(out)
    assert seen == [0] and list(first.calls.call_id) == ["c0"]
    assert [f.calls.call_id[0] for f in out] == ["c1", "c2"]


# ------------------------------------------------------------------------------------- csqa lake, local


def test_lake_local_equals_csqa_score(jsonl: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unreadable = write_unreadable(tmp_path / "unreadable")
    reports = tmp_path / "reports.jsonl"
    assert csqa_main(["score", str(jsonl), str(DEMO), str(unreadable), "--format", "jsonl", "-o", str(reports)]) == 1
    expected = list(read_reports(reports))
    messages = [r.message for r in expected if isinstance(r, csqa.CallError)]
    assert any("<line>: not valid UTF-8" in m for m in messages) and any("broken.json: <json>" in m for m in messages)
    lake_dir = tmp_path / "lake"
    assert lake(["import", str(jsonl), str(DEMO), str(unreadable), "-o", str(lake_dir), "--rows-per-file", "7"]) == 1
    assert len(frames.parquet_files(lake_dir)) == -(-len(expected) // 7)
    capsys.readouterr()
    assert lake(["score", str(lake_dir), "-o", str(tmp_path / "qa"), "--layout", "raw", "--engine", "local"]) == 1
    out, err = capsys.readouterr()
    errors = sum(isinstance(r, csqa.CallError) for r in expected)
    assert out == (f"{len(expected)} calls ({errors} errors) → {tmp_path / 'qa'}/calls; "
                   f"{16 * (len(expected) - errors)} checks → {tmp_path / 'qa'}/checks\n")
    assert err.splitlines() == [f"csqa: {r.message}" for r in expected if isinstance(r, csqa.CallError)]
    calls, checks = read_output(tmp_path / "qa")
    assert calls.schema.equals(frames.CALLS_SCHEMA) and checks.schema.equals(frames.CHECKS_SCHEMA)
    assert_same(frames.results_from_frames(calls, checks), expected)


def test_lake_local_layouts_agree(tmp_path: Path, scorer: csqa.Scorer) -> None:
    calls_in = structured_calls()
    expected = list(scorer.score_many(calls_in))
    write_parquet([call_row(c) for c in calls_in], frames.CALL_INPUT_SCHEMA, tmp_path / "by-call", files=3)
    write_parquet(utterance_rows(calls_in), frames.UTTERANCE_INPUT_SCHEMA, tmp_path / "by-utterance", files=3)
    for layout, folder in (("call", "by-call"), ("utterance", "by-utterance")):
        argv = ["score", str(tmp_path / folder), "-o", str(tmp_path / f"qa-{layout}"), "--layout", layout, "--workers", "1"]
        assert lake(argv) == 1
        assert_same(frames.results_from_frames(*read_output(tmp_path / f"qa-{layout}")), expected)


def test_lake_import_layouts(tmp_path: Path, scorer: csqa.Scorer) -> None:
    good = [r for r in scorer.score_many(raw_items(DEMO))]
    for layout in ("call", "utterance"):
        assert lake(["import", str(DEMO), "-o", str(tmp_path / layout), "--layout", layout]) == 0
        assert lake(["score", str(tmp_path / layout), "-o", str(tmp_path / f"qa-{layout}"), "--layout", layout]) == 0
        assert_same(frames.results_from_frames(*read_output(tmp_path / f"qa-{layout}")), good)
    table = pq.read_table(tmp_path / "utterance")
    assert table.schema.equals(frames.UTTERANCE_INPUT_SCHEMA)


def test_lake_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake_dir = write_parquet([{"json": '{"call_id": "c", "utterances": []}'}], frames.RAW_INPUT_SCHEMA, tmp_path / "lake",
                             files=1)
    bad_rules = tmp_path / "bad.toml"
    bad_rules.write_text("[scorecard\n", encoding="utf-8")
    (tmp_path / "qa" / "calls").mkdir(parents=True)
    cases = [
        ["score", str(lake_dir), "-o", str(tmp_path / "x")],  # the call layout needs call_id, utterances
        ["score", str(lake_dir), "-o", str(tmp_path / "qa"), "--layout", "raw"],  # output exists
        ["score", str(tmp_path / "nowhere"), "-o", str(tmp_path / "x")],
        ["score", str(lake_dir), "-o", str(tmp_path / "x"), "--layout", "raw", "--rules", str(bad_rules)],
        ["score", str(lake_dir), "-o", str(tmp_path / "x"), "--engine", "flink"],
        ["score", str(lake_dir)],
        ["score", "s3a://bucket/calls", "-o", str(tmp_path / "x"), "--engine", "dask"],
        ["score", str(lake_dir), "-o", str(tmp_path / "x"), "--workers", "0"],
        ["import", str(DEMO), "-o", str(lake_dir)],
    ]
    for argv in cases:
        capsys.readouterr()
        assert lake(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1 and err.startswith("csqa lake: "), (argv, err)
    assert not (tmp_path / "x").exists()
    assert lake(["score", str(lake_dir), "-o", str(tmp_path / "qa"), "--layout", "raw", "--overwrite"]) == 0
    assert lake(["schema", "checks"]) == 0 and "check_index: int32" in capsys.readouterr().out
