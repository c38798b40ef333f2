"""Loading calls: native JSON / JSON Lines, SCA, plain text; aliases; errors that name call, utterance, field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import csqa
from csqa import CallError, InputError, load_calls, parse_call, parse_text


def test_native_call_with_every_field() -> None:
    call = parse_call(
        {
            "call_id": "demo-0001",
            "direction": "inbound",
            "agent_id": "A017",
            "rings": 2,
            "ring_seconds": None,
            "hangup_by": "customer",
            "utterances": [{"speaker": "agent", "text": "您好", "start": 0.0, "end": 1.0}],
            "events": [{"type": "hold", "start": 40.0, "end": 75.0}, {"type": "transfer", "start": 120.0}],
        }
    )
    assert call.rings == 2 and call.hangup_by == "customer"
    assert [e.type for e in call.events] == ["hold", "transfer"]
    assert call.timed


def test_json_text_and_bytes_are_accepted() -> None:
    text = json.dumps({"call_id": "x", "utterances": [{"speaker": "客服", "text": "您好"}]}, ensure_ascii=False)
    assert parse_call(text).utterances[0].speaker == "agent"
    assert parse_call(text.encode()).call_id == "x"


@pytest.mark.parametrize(
    ("alias", "speaker"),
    [("坐席", "agent"), ("座席", "agent"), ("客服", "agent"), ("agent", "agent"), ("Agent", "agent"),
     ("客户", "customer"), ("顾客", "customer"), ("用户", "customer"), ("customer", "customer")],
)
def test_speaker_aliases(alias: str, speaker: str) -> None:
    call = parse_call({"call_id": "x", "utterances": [{"speaker": alias, "text": "好"}]})
    assert call.utterances[0].speaker == speaker


def test_unknown_utterance_field_is_listed_leniently_and_rejected_strictly_with_its_path() -> None:
    call = {"call_id": "c9", "utterances": [{"speaker": "agent", "text": "x", "confidence": 0.9}]}
    assert parse_call(call).metadata == {"ignored_utterance_fields": "confidence"}
    with pytest.raises(InputError) as info:
        parse_call(call, strict=True)
    err = info.value
    assert err.call_id == "c9"
    assert err.problems[0].field == "utterances[0].confidence"
    assert err.problems[0].utterance == 0
    assert "unknown field" in str(err)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InputError) as info:
        parse_call(
            {
                "call_id": "c1",
                "rings": -1,
                "utterances": [
                    {"speaker": "robot", "text": "x"},
                    {"speaker": "agent", "text": "y", "start": 5, "end": 2},
                ],
            }
        )
    fields = {p.field for p in info.value.problems}
    assert {"rings", "utterances[0].speaker", "utterances[1]"} <= fields
    assert {p.utterance for p in info.value.problems} >= {0, 1}
    assert "'robot' is not a speaker" in str(info.value)


def test_missing_call_id_and_utterances() -> None:
    with pytest.raises(InputError) as info:
        parse_call({"direction": "inbound"})
    assert {p.field for p in info.value.problems} == {"call_id", "utterances"}


def test_bad_json_names_source_and_line(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    first = json.dumps({"call_id": "a", "utterances": []})
    third = json.dumps({"call_id": "b", "utterances": []})
    path.write_text(f"{first}\n{{not json\n{third}\n", encoding="utf-8")
    out = list(load_calls(path))
    assert [type(o).__name__ for o in out] == ["Call", "CallError", "Call"]
    error = out[1]
    assert isinstance(error, CallError)
    assert error.line == 2 and error.source == str(path) and error.code == "E100"
    with pytest.raises(InputError):
        list(load_calls(path, errors="raise"))


def test_jsonl_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(3):
            handle.write(json.dumps({"call_id": f"c{i}", "utterances": []}) + "\n")
    stream = load_calls(path)
    first = next(stream)
    assert isinstance(first, csqa.Call) and first.call_id == "c0"
    with path.open("a", encoding="utf-8") as handle:  # lines appended after the first read are still seen
        handle.write(json.dumps({"call_id": "late", "utterances": []}) + "\n")
    assert [c.call_id for c in stream if isinstance(c, csqa.Call)] == ["c1", "c2", "late"]


def test_sca_dialogue_shape(tmp_path: Path) -> None:
    data = {
        "tickets": [
            {
                "tid": "sca-1",
                "dialogue": [
                    {"role": "客服", "identity": "A9", "words": "您好", "begin": 0, "end": 1500},
                    {"role": "客户", "words": "你好", "begin": 1600, "end": 2500},
                ],
            }
        ]
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (call,) = list(load_calls(path))
    assert isinstance(call, csqa.Call)
    assert call.call_id == "sca-1" and call.agent_id == "A9"
    assert call.utterances[1].start == 1.6 and call.utterances[0].end == 1.5
    assert call.utterances[1].speaker == "customer"


def test_sca_with_capitalised_keys() -> None:
    call = parse_call({"Tid": "T", "Dialogue": [{"Role": "坐席", "Words": "您好", "Begin": 1000, "End": 2000}]})
    assert call.call_id == "T" and call.utterances[0].start == 1.0


def test_sca_bad_role_names_the_utterance() -> None:
    with pytest.raises(InputError) as info:
        parse_call({"tid": "T", "dialogue": [{"role": "客服", "words": "a"}, {"role": "机器人", "words": "b"}]})
    assert info.value.problems[0].utterance == 1
    assert info.value.call_id == "T"


def test_text_lines_with_headers_and_times() -> None:
    call = parse_text(
        "# direction: outbound\n# rings: 2\n# hangup_by: 客户\n"
        "[00:01] 坐席：王女士您好，这里是楠山农林客服部。\n"
        "[00:04-00:06] 客户: 你好\n"
        "客服:好的\n",
        call_id="file-stem",
    )
    assert call.call_id == "file-stem" and call.direction == "outbound" and call.rings == 2
    assert call.hangup_by == "customer"
    assert [u.start for u in call.utterances] == [1.0, 4.0, None]
    assert call.utterances[1].end == 6.0
    assert call.utterances[0].text == "王女士您好，这里是楠山农林客服部。"


def test_text_line_without_speaker_is_an_error_with_line_number() -> None:
    with pytest.raises(InputError) as info:
        parse_text("客服: 您好\n这一行没有说话人\n", call_id="t")
    assert info.value.problems[0].field == "line 2"
    assert info.value.problems[0].utterance == 1


def test_folder_loading_is_sorted_and_mixed(root: Path) -> None:
    out = list(load_calls(root / "corpora" / "demo"))
    assert all(isinstance(c, csqa.Call) for c in out)
    ids = [c.call_id for c in out if isinstance(c, csqa.Call)]
    assert len(ids) >= 12 and len(set(ids)) == len(ids)
    assert "demo-txt-01" in ids and any(i.startswith("demo-sca") for i in ids)


def test_missing_file_becomes_an_error_record(tmp_path: Path) -> None:
    (record,) = list(load_calls(tmp_path / "nope.jsonl"))
    assert isinstance(record, CallError) and record.code == "E102"


def test_batch_keeps_going_and_keeps_order(scorer: csqa.Scorer) -> None:
    calls = [
        {"call_id": "ok-1", "utterances": [{"speaker": "agent", "text": "您好"}]},
        {"call_id": "bad", "utterances": [{"speaker": "nobody", "text": "x"}]},
        "not json",
        {"call_id": "ok-2", "utterances": []},
    ]
    out = list(scorer.score_many(calls))
    assert [getattr(o, "call_id", None) for o in out] == ["ok-1", "bad", None, "ok-2"]
    assert [type(o).__name__ for o in out] == ["Report", "CallError", "CallError", "Report"]
    assert "utterances[0].speaker" in out[1].message


def test_a_metadata_header_that_is_not_a_json_object_is_an_input_error() -> None:
    for value in ("x", '["a"]', "{not json"):
        with pytest.raises(csqa.InputError, match="metadata header is not a JSON object"):
            csqa.parse_text(f"# metadata: {value}\n坐席：您好", call_id="m")
    assert csqa.parse_text('# metadata: {"queue": "售后"}\n坐席：您好', call_id="m").metadata == {"queue": "售后"}
