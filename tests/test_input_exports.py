"""Real exports in: metadata that travels, CSV / Excel / DataFrames of utterances, more transcript layouts and the
speech platforms' results, help for mistakes, and the command line's dictionary cache."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import csqa
from csqa.cli import main
from csqa.errors import InputError, RuleFileError, UnknownRuleError, UsageError
from csqa.input.fields import parse_datetime, parse_seconds
from csqa.input.tables import read_table
from csqa.scale import frames
from csqa.text import tokenizer

GREETING = "您好!楠山农林客服部,请问有什么能帮您?"


def native(**fields: object) -> dict[str, object]:
    call: dict[str, object] = {"call_id": "m1", "utterances": [{"speaker": "agent", "text": GREETING}]}
    call.update(fields)
    return call


# ------------------------------------------------------------------------------------------- 1. metadata


def test_export_fields_become_the_calls_fields_and_metadata(scorer: csqa.Scorer) -> None:
    call = native(班组="一组", date="2026-12-01 09:30:00", queue="售后", 渠道="电话", 客户等级="VIP", tags=["a", "b"],
                  CallDirection="呼出", 坐席工号=1017)
    parsed = csqa.parse_call(call)
    assert parsed.team == "一组" and parsed.started_at == dt.datetime(2026, 12, 1, 9, 30)
    assert parsed.direction == "outbound" and parsed.agent_id == "1017"
    assert parsed.metadata == {"queue": "售后", "channel": "电话", "客户等级": "VIP", "tags": '["a", "b"]'}
    report = scorer.score(call)
    assert (report.team, report.started_at, report.metadata) == (parsed.team, parsed.started_at, parsed.metadata)


def test_strict_mode_rejects_what_lenient_mode_keeps() -> None:
    call = native(客户等级="VIP", team="一组")
    assert csqa.parse_call(call).metadata == {"客户等级": "VIP"}
    with pytest.raises(InputError) as info:
        csqa.parse_call(call, strict=True)
    assert "客户等级: unknown field" in str(info.value)
    assert csqa.parse_call(native(班组="一组"), strict=True).team == "一组"  # recognised names are not unknown


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(("name", "field"), [("hangup_bi", "hangup_by"), ("ring", "rings"), ("directon", "direction"),
                                             ("teams", "team")])
def test_a_misspelt_field_is_an_error_in_both_modes(name: str, field: str, strict: bool) -> None:
    with pytest.raises(InputError) as info:
        csqa.parse_call(native(**{name: "customer"}), strict=strict)
    assert f"{name}: unknown field; did you mean {field!r}?" in str(info.value)
    kept = csqa.parse_call(native(metadata={name: "customer"}))  # the way to keep it anyway
    assert kept.metadata == {name: "customer"}


def test_common_names_that_look_like_fields_are_metadata_not_misspellings() -> None:
    parsed = csqa.parse_call(native(caller_id="13800000000", agent="张三", end_time="2026-12-01 09:35", team_id=7))
    assert parsed.metadata == {"caller_id": "13800000000", "agent_name": "张三", "end_time": "2026-12-01 09:35",
                               "team_id": 7}


def test_utterance_fields_unknown_ignored_and_listed_times_without_units_refused() -> None:
    call = native(utterances=[{"role": "坐席", "content": GREETING, "confidence": 0.9, "emotion": 3},
                              {"speaker": "客户", "text": "嗯", "start_ms": 1500, "end_ms": 2000}])
    parsed = csqa.parse_call(call)
    assert parsed.utterances[0].text == GREETING and parsed.utterances[1].start == 1.5
    assert parsed.metadata == {"ignored_utterance_fields": "confidence, emotion"}
    with pytest.raises(InputError) as info:
        csqa.parse_call(native(utterances=[{"speaker": "agent", "text": "x", "begin": 1200}]))
    assert "utterances[0].begin: a time without a unit" in str(info.value)
    with pytest.raises(InputError, match="did you mean 'speaker'"):
        csqa.parse_call(native(utterances=[{"spekaer": "agent", "text": "x"}]))


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01T09:30:00+08:00", dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))),
    ("2026-12-01 09:30:00", dt.datetime(2026, 12, 1, 9, 30)),
    ("2026/12/01 09:30", dt.datetime(2026, 12, 1, 9, 30)),
    ("2026/12/1 9:05:07", dt.datetime(2026, 12, 1, 9, 5, 7)),
    ("2026年12月1日 9时30分", dt.datetime(2026, 12, 1, 9, 30)),
    ("2026.12.01", dt.datetime(2026, 12, 1)),
    ("2026-12-01T01:30:00Z", dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)),
    (46357.5, dt.datetime(2026, 12, 1, 12, 0)),  # an Excel serial date
    (dt.date(2026, 12, 1), dt.datetime(2026, 12, 1)),
])
def test_dates_in_the_forms_exports_write(text: object, expected: dt.datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01 09:00", 1733000000, "12/01/2026"])
def test_a_date_that_cannot_be_read_names_the_field(bad: object) -> None:
    with pytest.raises(InputError) as info:
        csqa.parse_call(native(通话时间=bad))
    assert "started_at (通话时间)" in str(info.value) and "not a" in str(info.value)


def test_text_headers_take_any_recognised_name_and_keep_others() -> None:
    text = "# 班组: 一组\n# date: 2026-12-01 09:30\n# 技能组: 售后\n# 备注: 回访\n# rings: 2\n坐席: 您好\n"
    call = csqa.parse_text(text, call_id="t")
    assert (call.team, call.started_at, call.rings) == ("一组", dt.datetime(2026, 12, 1, 9, 30), 2)
    assert call.metadata == {"queue": "售后", "备注": "回访"}
    with pytest.raises(InputError, match="备注: unknown field"):
        csqa.parse_text(text, call_id="t", strict=True)
    with pytest.raises(InputError, match="did you mean 'hangup_by'"):
        csqa.parse_text("# hangup_bi: customer\n坐席: 您好\n", call_id="t")


def test_sca_keys_beyond_the_dialogue_are_metadata() -> None:
    call = csqa.parse_call({"tid": "s1", "taskName": "十二月抽检", "Dialogue": [{"Role": "客服", "Words": "您好", "Begin": 0,
                                                                              "End": 900, "EmotionValue": 5}]})
    assert call.call_id == "s1" and call.metadata == {"taskName": "十二月抽检"} and call.utterances[0].end == 0.9


def test_frames_read_started_at_team_and_other_columns_as_metadata(scorer: csqa.Scorer) -> None:
    rows = [
        {"call_id": "f1", "speaker": "agent", "text": GREETING, "team": "一组", "started_at": "2026-12-01 09:30",
         "queue": "售后", "confidence": 0.9},
        {"call_id": "f1", "speaker": "customer", "text": "好的", "team": "一组", "started_at": "2026-12-01 09:30",
         "queue": "售后", "confidence": 0.7},
    ]
    calls, _ = frames.score_frame(pd.DataFrame(rows), layout="utterance", rules=scorer)
    row = calls.iloc[0]
    assert not row.error and row.team == "一组" and row.started_at == "2026-12-01T09:30:00"
    assert json.loads(row.metadata) == {"queue": "售后", "ignored_utterance_fields": "confidence"}
    with pytest.raises(ValueError, match="did you mean 'speaker'"):
        frames.score_frame(pd.DataFrame([{**rows[0], "spekaer": "x"}]), layout="utterance", rules=scorer)


# ------------------------------------------------------------------------------------------- 2. tables

HEADER = ["通话ID", "角色", "内容", "开始时间", "结束时间", "坐席工号", "班组", "日期", "技能组", "挂机方", "振铃次数",
          "客户等级"]
ROWS = [
    ["c1", "坐席", GREETING, "0", "3.1", "A017", "一组", "2026-12-01 09:30:00", "售后", "客户", "2", "VIP"],
    ["c1", "客户", "我想问一下, 树苗什么时候发货", "00:00:04", "00:00:06.5", "A017", "一组", "2026-12-01 09:30:00", "售后",
     "客户", "2", "VIP"],
    ["c2", "客服", "您好", "0:01", "0:02", "A018", "二组", "2026/12/02 10:30", "售前", "坐席挂机", "1", ""],
]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    import csv

    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def check_demo_calls(calls: list[csqa.Call | csqa.CallError]) -> None:
    assert [c.call_id for c in calls] == ["c1", "c2"], calls
    c1, c2 = calls
    assert isinstance(c1, csqa.Call) and isinstance(c2, csqa.Call)
    assert [u.text for u in c1.utterances] == [GREETING, "我想问一下, 树苗什么时候发货"]
    assert [(u.start, u.end) for u in c1.utterances] == [(0.0, 3.1), (4.0, 6.5)]
    assert (c1.agent_id, c1.team, c1.rings, c1.hangup_by) == ("A017", "一组", 2, "customer")
    assert c1.started_at == dt.datetime(2026, 12, 1, 9, 30)
    assert c1.metadata == {"queue": "售后", "客户等级": "VIP"}
    assert (c2.hangup_by, c2.utterances[0].start, c2.started_at) == ("agent", 1.0, dt.datetime(2026, 12, 2, 10, 30))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_every_encoding_chinese_exports_use(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "calls.csv", [HEADER, *ROWS], encoding=encoding)
    if encoding == "gb18030":
        assert not path.read_bytes().startswith(codecs.BOM_UTF8)
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    check_demo_calls(list(csqa.load_calls(path)))


def test_tsv_and_tab_separated_csv(tmp_path: Path) -> None:
    check_demo_calls(list(csqa.load_calls(write_csv(tmp_path / "calls.tsv", [HEADER, *ROWS], delimiter="\t"))))
    check_demo_calls(list(csqa.load_calls(write_csv(tmp_path / "tabs.csv", [HEADER, *ROWS], delimiter="\t"))))


def test_xlsx_with_typed_cells_merged_ids_and_a_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["这一页不是通话"])
    sheet = book.create_sheet("明细")
    sheet.append(HEADER)
    sheet.append(["c1", "坐席", GREETING, dt.time(0, 0, 0), 3.1, "A017", "一组", dt.datetime(2026, 12, 1, 9, 30), "售后", "客户",
                  2, "VIP"])
    sheet.append([None, "客户", "我想问一下, 树苗什么时候发货", dt.time(0, 0, 4), "00:00:06.5", None, None, None, None, None,
                  None, None])
    sheet.append([])
    sheet.append(["c2", "客服", "您好", 1, 2, "A018", "二组", "2026/12/02 10:30", "售前", "坐席挂机", 1, None])
    path = tmp_path / "calls.xlsx"
    book.save(path)
    check_demo_calls(list(csqa.load_calls(path, sheet="明细")))
    wrong = list(csqa.load_calls(path, sheet="明 细"))
    assert len(wrong) == 1 and isinstance(wrong[0], csqa.CallError) and "did you mean '明细'" in wrong[0].message
    first = list(csqa.load_calls(path))  # the first sheet has no speaker or text column
    assert len(first) == 1 and first[0].code == "E104"  # type: ignore[union-attr]


def test_rows_of_a_call_need_not_be_together_and_blank_ids_continue(tmp_path: Path) -> None:
    interleaved = [HEADER, ROWS[0], ROWS[2], ROWS[1]]
    check_demo_calls(list(csqa.load_calls(write_csv(tmp_path / "a.csv", interleaved))))
    merged = [HEADER, ROWS[0], ["", *ROWS[1][1:]], ROWS[2]]
    check_demo_calls(list(csqa.load_calls(write_csv(tmp_path / "b.csv", merged))))
    one_call = [[h for h in HEADER if h != "通话ID"], *[r[1:] for r in ROWS[:2]]]
    (call,) = csqa.load_calls(write_csv(tmp_path / "call-77.csv", one_call))
    assert isinstance(call, csqa.Call) and call.call_id == "call-77" and len(call.utterances) == 2


def test_a_bad_row_fails_its_call_with_file_row_and_column(tmp_path: Path) -> None:
    rows = [HEADER, ROWS[0], ["c1", "机器人", "好", "x", "", "A017", "一组", "", "", "", "", ""],
            ["c1", "客户", "嗯", "5", "4", "A099", "", "", "", "", "", ""], *[ROWS[2]]]
    path = write_csv(tmp_path / "calls.csv", rows)
    bad, good = csqa.load_calls(path)
    assert isinstance(bad, csqa.CallError) and isinstance(good, csqa.Call) and good.call_id == "c2"
    assert bad.message.startswith(f"[E101] {path} row 2, call 'c1': ")
    assert "row 3, column '角色': '机器人' is not a speaker" in bad.message
    assert "row 3, column '开始时间': 'x' is not a time" in bad.message
    assert "column '坐席工号' (agent_id): differs between the call's rows: 'A017' (row 2), 'A099' (row 4)" in bad.message
    fixed = [HEADER, ROWS[0], ["c1", "客户", "嗯", "5", "4", "", "", "", "", "", "", ""]]
    (reversed_times,) = csqa.load_calls(write_csv(tmp_path / "times.csv", fixed))
    assert isinstance(reversed_times, csqa.CallError)
    assert "row 3" in reversed_times.message and "end (4.0) is before start (5.0)" in reversed_times.message


def test_an_unquoted_comma_is_pointed_at(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("通话ID,角色,内容,开始时间\nc1,坐席,您好,请问有什么能帮您,0\n", encoding="utf-8")
    (bad,) = csqa.load_calls(path)
    assert isinstance(bad, csqa.CallError) and "row 2: 5 cells under a header of 4 columns" in bad.message


@pytest.mark.parametrize(("header", "message"), [
    (["通话ID", "角色", "内容", "hangup_bi"], "column 'hangup_bi': looks like a misspelling of 'hangup_by'"),
    (["通话ID", "角色", "正文"], "no text column"),
    (["通话ID", "角色", "内容", "文本"], "columns '内容' and '文本' both give text"),
])
def test_a_header_that_cannot_be_read_fails_the_file(tmp_path: Path, header: list[str], message: str) -> None:
    path = write_csv(tmp_path / "calls.csv", [header, ["c1", "坐席", "您好", "x"][: len(header)]])
    (error,) = csqa.load_calls(path)
    assert isinstance(error, csqa.CallError) and error.code == "E104" and message in error.message


def test_column_map_drop_strict_and_milliseconds(tmp_path: Path) -> None:
    header = ["流水号", "说话方", "识别文本", "开始时间(ms)", "end_ms", "客户电话", "技能组名称"]
    rows = [header, ["r1", "0", GREETING, "0", "3100", "138", "售后"], ["r1", "1", "好的", "3500", "4000", "138", "售后"]]
    path = write_csv(tmp_path / "export.csv", rows)
    (call,) = csqa.load_calls(path, column_map={"call_id": "流水号", "queue": "技能组名称"}, drop_columns=["客户电话"],
                              speakers={"0": "agent", "1": "customer"})
    assert isinstance(call, csqa.Call) and call.call_id == "r1" and call.metadata == {"queue": "售后"}
    assert [(u.speaker, u.start, u.end) for u in call.utterances] == [("agent", 0.0, 3.1), ("customer", 3.5, 4.0)]
    (strict,) = csqa.load_calls(path, column_map={"call_id": "流水号"}, speakers={"0": "agent", "1": "customer"}, strict=True)
    assert isinstance(strict, csqa.CallError) and "column '客户电话': not a field csqa reads" in strict.message
    (missing,) = csqa.load_calls(path, column_map={"call_id": "流水 号"})
    assert isinstance(missing, csqa.CallError) and "did you mean '流水号'" in missing.message
    with pytest.raises(UsageError, match="did you mean 'text'"):
        list(csqa.load_calls(path, column_map={"txet": "识别文本"}))


def test_a_dataframe_of_utterances_loads_as_a_csv_does() -> None:
    frame = pd.DataFrame([dict(zip(HEADER, row)) for row in ROWS])
    frame["振铃次数"] = frame["振铃次数"].astype(float)  # pandas holds whole numbers with gaps as floats
    check_demo_calls(list(csqa.load_calls(frame)))
    check_demo_calls(list(csqa.calls_from_frame(frame)))
    frame.loc[1, "角色"] = "robot"
    bad = next(iter(csqa.calls_from_frame(frame)))
    assert isinstance(bad, csqa.CallError) and "<DataFrame> row 0" in bad.message and "row 1, column '角色'" in bad.message
    with pytest.raises(UsageError, match="needs a call id column"):
        list(csqa.calls_from_frame(frame.drop(columns=["通话ID"])))


def test_csv_and_xlsx_score_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = write_csv(tmp_path / "calls.csv", [HEADER, *ROWS])
    book = openpyxl.Workbook()
    for row in [HEADER, *ROWS]:
        book.active.append(row)
    book.save(tmp_path / "calls.xlsx")
    out = tmp_path / "reports.jsonl"
    assert main(["score", str(csv_path), str(tmp_path / "calls.xlsx"), "--format", "jsonl", "-o", str(out)]) == 0
    reports = [csqa.Report.model_validate_json(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r.call_id for r in reports] == ["c1", "c2", "c1", "c2"]
    assert reports[0].team == "一组" and reports[0].metadata["客户等级"] == "VIP"
    mapping = tmp_path / "export.toml"
    mapping.write_text('drop = ["客户等级"]\n[columns]\nqueue = "技能组"\n', encoding="utf-8")
    assert main(["score", str(csv_path), "--columns", str(mapping), "--format", "jsonl", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["metadata"] == {"queue": "售后"}
    assert main(["score", str(csv_path), "--strict", "--format", "jsonl", "-o", str(out)]) == 1
    assert "column '客户等级': not a field csqa reads" in capsys.readouterr().err
    assert main(["score", str(csv_path), "--columns", "txet=内容"]) == 2
    assert "did you mean 'text'" in capsys.readouterr().err


def test_an_old_excel_file_is_an_error_record(tmp_path: Path) -> None:
    path = tmp_path / "calls.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    (error,) = csqa.load_calls(path)
    assert isinstance(error, csqa.CallError) and "save it as .xlsx" in error.message


def test_a_grouped_table_is_streamed_one_call_at_a_time(tmp_path: Path) -> None:
    rows = [HEADER] + [[f"c{n}", "坐席", "您好", "", "", "", "", "", "", "", "", ""] for n in range(50)]
    path = write_csv(tmp_path / "calls.csv", rows)
    stream = read_table(path)
    first = next(stream)
    assert not isinstance(first, csqa.CallError) and first[0].call_id == "c0"
    stream.close()


# ------------------------------------------------------------------------------------ 3. transcript layouts


@pytest.mark.parametrize(("line", "speaker", "start", "end", "name"), [
    ("坐席：您好，请问有什么能帮您？", "agent", None, None, None),
    ("坐席（张三）：您好，请问有什么能帮您？", "agent", None, None, "张三"),
    ("客服[李四]: 您好，请问有什么能帮您？", "agent", None, None, "李四"),
    ("坐席【王五】：您好，请问有什么能帮您？", "agent", None, None, "王五"),
    ("00:00:01 坐席：您好，请问有什么能帮您？", "agent", 1.0, None, None),
    ("[00:00:01] 客户: 您好，请问有什么能帮您？", "customer", 1.0, None, None),
    ("00:00:01-00:00:04 坐席：您好，请问有什么能帮您？", "agent", 1.0, 4.0, None),
    ("[00:01-00:04.5] 坐席：您好，请问有什么能帮您？", "agent", 1.0, 4.5, None),
    ("坐席 00:00:01：您好，请问有什么能帮您？", "agent", 1.0, None, None),
    ("坐席 00:00:01-00:00:04：您好，请问有什么能帮您？", "agent", 1.0, 4.0, None),
    ("客服（张三） [00:00:02]: 您好，请问有什么能帮您？", "agent", 2.0, None, "张三"),
    ("01:02:03,500 客户: 您好，请问有什么能帮您？", "customer", 3723.5, None, None),
])
def test_transcript_layouts(line: str, speaker: str, start: float | None, end: float | None, name: str | None) -> None:
    call = csqa.parse_text(line + "\n", call_id="t")
    (utterance,) = call.utterances
    assert (utterance.speaker, utterance.start, utterance.end) == (speaker, start, end)
    assert utterance.text == "您好，请问有什么能帮您？" and line.endswith(utterance.text)  # the text as it stands
    key = "agent_name" if speaker == "agent" else "customer_name"
    assert call.metadata == ({key: name} if name else {})


def test_layout_text_keeps_colons_and_brackets_of_its_own() -> None:
    call = csqa.parse_text("00:00:01 坐席：您好（楠山农林）：请讲 [1]\n", call_id="t")
    assert call.utterances[0].text == "您好（楠山农林）：请讲 [1]"


def test_names_of_speakers_come_from_a_speakers_map() -> None:
    call = csqa.parse_text("张三：您好\n客户甲：在吗\n", call_id="t", speakers={"张三": "agent", "客户甲": "customer"})
    assert [u.speaker for u in call.utterances] == ["agent", "customer"]
    with pytest.raises(InputError, match="line 1"):
        csqa.parse_text("张三：您好\n", call_id="t")


ALIBABA = {"TaskId": "4b56f0c4", "StatusText": "SUCCESS", "Result": {"Sentences": [
    {"EndTime": 3100, "SilenceDuration": 0, "BeginTime": 0, "Text": GREETING, "ChannelId": 0, "SpeechRate": 177,
     "EmotionValue": 5.0},
    {"EndTime": 5200, "SilenceDuration": 0, "BeginTime": 3500, "Text": "我想问一下发货", "ChannelId": 1},
]}}
TENCENT = {"Response": {"Data": {"TaskId": 1234, "Status": 2, "ResultDetail": [
    {"FinalSentence": GREETING, "StartMs": 0, "EndMs": 3100, "SpeakerId": 0, "SpeechSpeed": 4.1},
    {"FinalSentence": "我想问一下发货", "StartMs": 3500, "EndMs": 5200, "SpeakerId": 1},
]}}}


@pytest.mark.parametrize("result", [ALIBABA, TENCENT], ids=["alibaba", "tencent"])
def test_speech_platform_results(tmp_path: Path, result: dict[str, object]) -> None:
    path = tmp_path / "rec-0001.json"
    path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    (call,) = csqa.load_calls(path, speakers={"0": "agent", "1": "customer"})
    assert isinstance(call, csqa.Call) and call.call_id == "rec-0001"
    assert [(u.speaker, u.text, u.start, u.end) for u in call.utterances] == [
        ("agent", GREETING, 0.0, 3.1), ("customer", "我想问一下发货", 3.5, 5.2)]
    assert call.metadata["task_id"] in ("4b56f0c4", "1234")
    (unmapped,) = csqa.load_calls(path)
    assert isinstance(unmapped, csqa.CallError) and "is not a speaker: say which" in unmapped.message
    assert "--speakers 0=agent,1=customer" in unmapped.message


# ----------------------------------------------------------------------------------------- 8. mistakes


def test_did_you_mean_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["scroe"])
    assert exit_info.value.code == 2 and "did you mean 'score'?" in capsys.readouterr().err
    assert main(["rules", "restate-qustion"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'restate-question'?" in err and err.count("\n") == 1
    assert main(["rules", "st03"]) == 0 and main(["rules", "Restate-Question"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["score", "--stirct"])
    assert "did you mean '--strict'?" in capsys.readouterr().err


def test_codes_in_any_case_and_misspelt_ids_in_reports(scorer: csqa.Scorer) -> None:
    report = scorer.score(native())
    assert report.check("st03") is report.check("ST03") is report.check("Restate-Question")
    with pytest.raises(UnknownRuleError, match="did you mean 'restate-question'"):
        report.check("restate-qustion")


def test_did_you_mean_for_rule_file_keys(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[scorecard]\npass_mak = 85\n[rules.restate-question]\nwieght = 2\n'
                    '[rules.long-silence]\nkind = "silence"\ncode = "SD04"\ntitle = "x"\nweight = 3\nseverity = "minor"\n'
                    'max_secnds = 15.0\n[scriptt]\n', encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        csqa.load_rules(site)
    message = str(info.value)
    for wrong, right in (("pass_mak", "pass_mark"), ("wieght", "weight"), ("max_secnds", "max_seconds"),
                         ("scriptt", "script")):
        assert f"{wrong}: unknown key" in message and f"did you mean {right!r}" in message


@pytest.mark.parametrize("given", ["calls.jsonl", "corpora/demo", Path("calls.jsonl"), "今天的通话.xlsx"])
def test_a_path_given_to_score_says_where_paths_go(given: object, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"is a path, not a call: read files with csqa.load_calls"):
        csqa.score(given)  # type: ignore[arg-type]
    lines = tmp_path / "calls.jsonl"
    lines.write_text("calls.jsonl\n", encoding="utf-8")  # in a file it is a line that is not JSON: an error record
    (error,) = csqa.load_calls(lines)
    assert isinstance(error, csqa.CallError) and error.code == "E100"


@pytest.mark.parametrize("command", [["score"], ["eval"], ["summary"], ["report", "-o", "site"]])
def test_a_missing_path_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    assert main([*command, str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file or folder" in err


def test_an_empty_folder_warns_and_scores_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.docx").write_bytes(b"x")
    assert main(["score", str(empty), "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "warning: no call files in" in captured.err and ".docx" in captured.err


# -------------------------------------------------------------------------------------------- 9. cache


@pytest.fixture
def cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user whose cache folder is tmp_path/xdg, with no csqa cache variables set."""
    monkeypatch.delenv("CSQA_CACHE_DIR", raising=False)
    monkeypatch.delenv("CSQA_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "xdg" / "csqa"


def _score_demo(root: Path, *extra: str) -> int:
    return main(["score", str(root / "corpora" / "demo"), "--format", "jsonl", "--quiet", *extra])


def test_the_command_line_caches_in_the_users_cache_folder(cache_env: Path, root: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert _score_demo(root) == 0
    first = sorted(p.name for p in cache_env.iterdir())
    assert len(first) == 1 and first[0].startswith("csqa-") and first[0].endswith(".marshal")
    site = cache_env.parent.parent / "site.toml"
    site.write_text('extends = "default"\n[matching]\nuser_words = ["树苗发货"]\n', encoding="utf-8")
    assert _score_demo(root, "--rules", str(site)) == 0  # another word list: another cache file, never the old one
    second = sorted(p.name for p in cache_env.iterdir())
    assert len(second) == 2 and set(first) < set(second)
    assert not (cache_env.parent.parent / "home").exists()


@pytest.mark.parametrize("how", ["--no-cache", "CSQA_NO_CACHE"])
def test_the_cache_can_be_turned_off(cache_env: Path, root: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "CSQA_NO_CACHE":
        monkeypatch.setenv("CSQA_NO_CACHE", "1")
        assert _score_demo(root) == 0
    else:
        assert _score_demo(root, "--no-cache") == 0
    assert not cache_env.exists()


def test_the_cache_can_be_moved(cache_env: Path, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSQA_CACHE_DIR", str(tmp_path / "moved"))
    assert _score_demo(root) == 0
    assert len(list((tmp_path / "moved").iterdir())) == 1 and not cache_env.exists()
    assert _score_demo(root, "--cache-dir", str(tmp_path / "flag")) == 0
    assert len(list((tmp_path / "flag").iterdir())) == 1


def test_the_library_alone_writes_no_cache(cache_env: Path) -> None:
    csqa.Scorer(tokenizer_backend="jieba").score(native())
    csqa.score(native())
    assert not cache_env.exists() and not cache_env.parent.exists()


def test_the_cache_key_follows_the_dictionarys_content_and_the_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = ("楠山农林",)
    key = tokenizer.cache_file(tmp_path, "jieba", words)
    assert key == tokenizer.cache_file(tmp_path, "jieba", words)
    assert key != tokenizer.cache_file(tmp_path, "jieba", (*words, "树苗"))
    assert key != tokenizer.cache_file(tmp_path, "rjieba", words)
    changed = tmp_path / "dict.txt"
    shutil.copyfile(tokenizer._dictionary_path(), changed)
    with changed.open("a", encoding="utf-8") as handle:
        handle.write("楠山农林 100 nz\n")
    monkeypatch.setattr(tokenizer, "_dictionary_path", lambda: changed)
    assert tokenizer.cache_file(tmp_path, "jieba", words) != key


def test_a_broken_cache_file_is_rebuilt(tmp_path: Path) -> None:
    words = ("楠山农林客服部",)
    target = tokenizer.cache_file(tmp_path, "jieba", words)
    target.write_bytes(b"\x00not marshal")
    tokens = tokenizer.Tokenizer(words, cache_dir=tmp_path, backend="jieba").tokenize("楠山农林客服部您好")
    assert tokens[0] == ("楠山农林客服部", 0, 7)
    assert target.read_bytes() != b"\x00not marshal" and os.path.getsize(target) > 1_000_000


def test_parse_seconds_forms() -> None:
    assert [parse_seconds(v) for v in ("3.5", "01:02", "1:02:03.25", "00:00:01,5", dt.time(0, 1, 2), 7)] == [
        3.5, 62.0, 3723.25, 1.5, 62.0, 7.0]
    assert parse_seconds("3100", milliseconds=True) == 3.1
    with pytest.raises(InputError, match="is a date and time, not seconds from the answer"):
        parse_seconds("2026-12-01 09:30:00")
