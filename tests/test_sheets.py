"""Reports as spreadsheets: a calls table and a checks table (evidence included), as CSV or a workbook; Chinese
headers; metadata columns; formula-looking text kept as text; whole files or none."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

import csqa
from csqa.cli import main
from csqa.outputs import sheets
from csqa.outputs.sheets import checks_path, write_sheets
from tests.conftest import make_call

TZ = dt.timezone(dt.timedelta(hours=8))
EVIL = ["=HYPERLINK(\"http://x\",\"点我\")", "+86 138", "-1+2", "@SUM(A1)"]


@pytest.fixture(scope="module")
def reports(scorer: csqa.Scorer) -> list[csqa.Report | csqa.CallError]:
    calls = [
        make_call(("agent", "您好!楠山农林客服部,请问有什么能帮您?"), ("customer", "我想问一下我订的树苗什么时候发货"),
                  ("agent", "这跟我们没关系"), call_id=EVIL[0], agent_id=EVIL[1], rings=2, hangup_by="customer",
                  team="一组", started_at="2026-12-01T23:30:00+08:00", metadata={"queue": EVIL[3], "priority": 2}),
        make_call(("agent", "您好!楠山农林客服部,请问有什么能帮您?"), ("customer", "发货了吗"), ("agent", "感谢您的来电,再见!"),
                  call_id="c2", agent_id="A2", rings=1, hangup_by="customer", team="二组",
                  started_at="2026-12-02T09:00:00+08:00", metadata={"queue": "售后", "channel": "app"}),
    ]
    error = csqa.CallError(code="E101", message="[E101] bad.jsonl line 3: utterances: required", source="bad.jsonl", line=3)
    return [error, *scorer.score_many(calls)]


def test_csv_calls_and_checks(tmp_path: Path, reports: list[csqa.Report | csqa.CallError]) -> None:
    out = tmp_path / "day.csv"
    result = write_sheets(reports, out)
    assert result.paths == (out, tmp_path / "day.checks.csv") and (result.calls, result.errors) == (3, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.checks.csv", "day.csv"]  # no .partial left
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 Chinese only with the byte-order mark
    calls = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [c["call_id"] for c in calls] == ["", "'" + EVIL[0], "c2"]
    error, first, second = calls
    assert error["error"].startswith("[E101]") and error["source"] == "bad.jsonl line 3"
    # the first report's metadata fields are columns; a field only a later call has goes to `metadata` as JSON
    assert (first["queue"], first["priority"], first["metadata"]) == ("'" + EVIL[3], "2", "")
    assert (second["queue"], json.loads(second["metadata"])) == ("售后", {"channel": "app"})
    assert first["agent_id"] == "'" + EVIL[1] and first["started_at"] == "2026-12-01T23:30:00+08:00"
    report = reports[1]
    assert isinstance(report, csqa.Report)
    assert first["passed"] == "false" and float(first["score"]) == report.score and first["team"] == "一组"
    assert first["failed_rules"] == " ".join(c.code for c in report.failed) and first["vetoed"] == "no-forbidden-phrases"
    checks = list(csv.DictReader(checks_path(out).open(encoding="utf-8-sig")))
    assert len(checks) == sum(len(r.checks) for r in reports if isinstance(r, csqa.Report))
    banned = next(c for c in checks if c["rule"] == "no-forbidden-phrases" and c["status"] == "fail")
    assert "#2 agent: 「这跟我们没关系」" in banned["evidence"] and banned["suggestion"]
    restate = next(c for c in checks if c["rule"] == "restate-question" and c["status"] == "fail")
    assert "#1 customer (context): 「我想问一下我订的树苗什么时候发货」" in restate["evidence"]  # context, not a fault
    assert int(restate["evidence_count"]) == restate["evidence"].count("\n") + 1


def test_xlsx_two_sheets_chinese_headers_and_text_that_stays_text(tmp_path: Path,
                                                                   reports: list[csqa.Report | csqa.CallError]) -> None:
    out = tmp_path / "day.xlsx"
    write_sheets(reports, out, headers="zh")
    book = load_workbook(out)
    assert book.sheetnames == ["通话", "质检项"]
    calls, checks = book["通话"], book["质检项"]
    header = [c.value for c in calls[1]]
    assert header[:3] == ["通话ID", "坐席工号", "班组"] and "queue" in header and header[-3:] == ["其他信息", "错误", "来源"]
    first = {h: c for h, c in zip(header, calls[3])}
    for name, value in (("通话ID", EVIL[0]), ("坐席工号", EVIL[1]), ("queue", EVIL[3])):
        cell = first[name]
        assert cell.value == value and cell.data_type == "s" and cell.quotePrefix  # shown as said, never a formula
    assert first["开始时间"].value == dt.datetime(2026, 12, 1, 23, 30)  # the call's own clock
    assert first["得分"].data_type == "n" and first["是否合格"].value is False
    assert calls.freeze_panes == "A2" and calls.auto_filter.ref == f"A1:{calls.cell(1, len(header)).column_letter}4"
    assert [c.value for c in checks[1]][:5] == ["通话ID", "坐席工号", "班组", "开始时间", "规则"]
    evidence = [row[11] for row in checks.iter_rows(min_row=2, values_only=True) if row[11]]
    assert any("客户 (仅作参考)" in text for text in evidence)


def test_a_full_sheet_continues_on_the_next(tmp_path: Path, reports: list[csqa.Report | csqa.CallError],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "_EXCEL_MAX_ROWS", 10)
    out = tmp_path / "small.xlsx"
    write_sheets(reports, out)
    book = load_workbook(out)
    names = book.sheetnames
    assert names[:2] == ["calls", "checks"] and names[2:] == [f"checks {i}" for i in range(2, len(names))]
    assert all(book[name].max_row <= 10 and book[name]["A1"].value == "call_id" for name in names[1:])
    rows = sum(book[name].max_row - 1 for name in names[1:])
    assert rows == sum(len(r.checks) for r in reports if isinstance(r, csqa.Report))


def test_a_failed_write_leaves_no_file(tmp_path: Path, reports: list[csqa.Report | csqa.CallError]) -> None:
    def broken() -> object:
        yield from reports
        raise RuntimeError("disk gone")

    for name in ("x.csv", "x.xlsx"):
        with pytest.raises(RuntimeError):
            write_sheets(broken(), tmp_path / name)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(csqa.UsageError, match="cannot tell the format"):
        write_sheets(reports, tmp_path / "x.txt")


def test_cli_score_to_csv_and_xlsx(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = str(root / "corpora" / "demo")
    assert main(["score", demo, "--format", "xlsx", "-o", str(tmp_path / "d.xlsx"), "--headers", "zh"]) == 0
    assert "written to" in capsys.readouterr().err
    assert load_workbook(tmp_path / "d.xlsx").sheetnames == ["通话", "质检项"]
    assert main(["score", demo, "--format", "csv", "-o", str(tmp_path / "d.csv")]) == 0
    assert checks_path(tmp_path / "d.csv").is_file()
    capsys.readouterr()
    for argv, message in (
        (["--format", "csv"], "name one with -o"),
        (["--format", "jsonl", "--headers", "zh"], "--headers names the columns"),
        (["--format", "csv", "-o", str(tmp_path)], "is a folder"),
    ):
        assert main(["score", demo, *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    calls = tmp_path / "in.checks.csv"
    calls.write_text(json.dumps(make_call(("agent", "您好"), call_id="x")) + "\n", encoding="utf-8")
    calls.rename(tmp_path / "in.jsonl")
    # -o in.csv would write in.checks.csv beside it: an input of that name is refused
    (tmp_path / "in.checks.csv").write_text("", encoding="utf-8")
    assert main(["score", str(tmp_path / "in.jsonl"), str(tmp_path / "in.checks.csv"), "--format", "csv",
                 "-o", str(tmp_path / "in.csv")]) == 2
    assert "is also an input" in capsys.readouterr().err
