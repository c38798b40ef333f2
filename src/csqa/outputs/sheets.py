"""Reports as spreadsheets: a table of calls and a table of checks (every rule's verdict, evidence included),
as CSV or as an Excel workbook.

Why: a QA team works in Excel — filters by agent, sorts by score, pastes a verdict into a coaching note — and
its Chinese supervisors want Chinese column names (``headers="zh"``). Two tables because a call has one row
of facts and sixteen or more verdicts: ``calls`` (one row per call or error record) and ``checks`` (one row
per call and rule, with the finding, the line to say instead and the evidence quoted with its utterance and
speaker; the customer's words are labelled as context).

Both formats stream: rows are written as reports arrive (openpyxl's write-only mode keeps nothing in memory
but the row being written), so a day of calls takes no more memory than one call. The call's metadata fields
get a column each, named by the fields of the first report (the fields of one export are the same on every
call); a field another call adds goes into the ``metadata`` column as JSON, so nothing is dropped.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` would be taken for a formula by a spreadsheet (CSV
injection: a transcript line ``=HYPERLINK(…)`` must stay text): in a CSV file it is written with a leading
``'``, as OWASP recommends; in a workbook it is a text cell with Excel's quote prefix, so it shows exactly as
it was said and is never evaluated. CSV files are UTF-8 with a byte-order mark, which Excel needs to read
Chinese. Workbook dates are the call's own wall-clock time (Excel has no time zones); CSV keeps the offset.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from csqa.errors import UsageError
from csqa.input.model import CallError
from csqa.outputs.i18n import ui_text
from csqa.outputs.report import CheckResult, Report

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["SheetFormat", "SheetResult", "checks_path", "write_sheets"]

SheetFormat = Literal["csv", "xlsx"]
Cell = str | float | int | bool | datetime | None

_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_EXCEL_MAX_CHARS = 32_767
_EXCEL_MAX_ROWS = 1_048_576
_LOOKAHEAD = 1000  # error records read ahead while waiting for the first report, whose metadata names the columns

_CALL_COLUMNS = ("call_id", "agent_id", "team", "started_at", "direction", "score", "passed", "pass_mark", "vetoed",
                 "failed", "fails", "unscored", "scorecard")
_CHECK_COLUMNS = ("call_id", "agent_id", "team", "started_at", "rule", "code", "status", "severity", "weight", "message",
                  "suggestion", "evidence", "evidence_count")


def checks_path(path: str | os.PathLike[str]) -> Path:
    """Where the checks table of a CSV export goes: ``calls.csv`` → ``calls.checks.csv``."""
    p = Path(path)
    return p.with_name(p.stem + ".checks" + (p.suffix or ".csv"))


@dataclass(frozen=True, slots=True)
class SheetResult:
    """What was written: the files, and how many calls and error records."""

    paths: tuple[Path, ...]
    calls: int
    errors: int


def _evidence(report: Report, check: CheckResult, t: Mapping[str, str]) -> str:
    """Each piece of evidence on its own line: the utterance, who said it (the customer's words as context),
    the quote and the note; a finding about a field names the field."""
    lines = []
    for ev in check.evidence:
        if ev.utterance is None:
            lines.append(f"{ev.field or '-'}: {ev.note}".rstrip())
            continue
        who = ""
        if 0 <= ev.utterance < len(report.utterances):
            speaker = report.utterances[ev.utterance].speaker
            who = " " + t.get(f"ev.{speaker}", speaker) + (f" ({t['ev.context']})" if speaker == "customer" else "")
        lines.append(f"#{ev.utterance}{who}: 「{ev.quote}」 {ev.note}".rstrip())
    return "\n".join(lines)


class _Rows:
    """The two tables' rows, from reports and error records; the calls table's columns are fixed by the first
    report (its metadata fields), read ahead past leading error records."""

    def __init__(self, results: Iterable[Report | CallError], t: Mapping[str, str]) -> None:
        self.t = t
        self.calls = self.errors = 0
        items = iter(results)
        self._ahead: list[Report | CallError] = []
        for item in items:
            self._ahead.append(item)
            if isinstance(item, Report) or len(self._ahead) >= _LOOKAHEAD:
                break
        first = next((r for r in self._ahead if isinstance(r, Report)), None)
        self.meta_keys = tuple(first.metadata) if first is not None else ()
        self._rest = items

    def call_headers(self) -> list[str]:
        t = self.t
        return ([t[f"col.{c}"] for c in _CALL_COLUMNS] + list(self.meta_keys)
                + [t["col.metadata"], t["col.error"], t["col.source"]])

    def check_headers(self) -> list[str]:
        return [self.t[f"col.{c}"] for c in _CHECK_COLUMNS]

    def __iter__(self) -> Iterator[tuple[list[Cell], list[list[Cell]]]]:
        """For each result, its row of the calls table and its rows of the checks table."""
        for item in _chain(self._ahead, self._rest):
            self.calls += 1
            if isinstance(item, CallError):
                self.errors += 1
                where = (item.source or "") + ("" if item.line is None else f" line {item.line}")
                empty: list[Cell] = [None] * (len(_CALL_COLUMNS) + len(self.meta_keys) + 1)
                empty[0] = item.call_id
                yield [*empty, item.message, where or None], []
                continue
            r = item
            other = {k: v for k, v in r.metadata.items() if k not in self.meta_keys}
            row: list[Cell] = [
                r.call_id, r.agent_id, r.team, r.started_at, r.direction, r.score, r.passed, r.pass_mark,
                " ".join(r.vetoed) or None, " ".join(c.code for c in r.failed) or None, len(r.failed), r.unscored,
                r.scorecard, *(r.metadata.get(k) for k in self.meta_keys),
                json.dumps(other, ensure_ascii=False) if other else None, None, None,
            ]
            checks: list[list[Cell]] = [
                [r.call_id, r.agent_id, r.team, r.started_at, c.rule, c.code, c.status, c.severity, c.weight, c.message,
                 c.suggestion, _evidence(r, c, self.t) or None, len(c.evidence)]
                for c in r.checks
            ]
            yield row, checks


def _chain(first: list[Report | CallError], rest: Iterator[Report | CallError]) -> Iterator[Report | CallError]:
    yield from first
    first.clear()
    yield from rest


# --- CSV ------------------------------------------------------------------------------------------------


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}" if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    text = _CONTROL.sub("\ufffd", value)
    return "'" + text if text.startswith(_FORMULA) else text


def _write_csv(rows: _Rows, calls: IO[str], checks: IO[str]) -> None:
    call_writer, check_writer = csv.writer(calls), csv.writer(checks)
    call_writer.writerow(rows.call_headers())
    check_writer.writerow(rows.check_headers())
    for row, check_rows in rows:
        call_writer.writerow([_csv_cell(v) for v in row])
        check_writer.writerows([_csv_cell(v) for v in r] for r in check_rows)


# --- Excel ----------------------------------------------------------------------------------------------


class _Sheet:
    """One table in a write-only workbook, continued on a new sheet (``checks 2`` …) when it reaches Excel's
    row limit."""

    def __init__(self, book: Workbook, title: str, headers: Sequence[str], widths: Sequence[float]) -> None:
        self.book, self.title, self.headers, self.widths = book, title, headers, widths
        self.part = 0
        self._new()

    def _new(self) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.part += 1
        self.sheet: WriteOnlyWorksheet = self.book.create_sheet(self.title if self.part == 1 else f"{self.title} {self.part}")
        for i, width in enumerate(self.widths, 1):
            self.sheet.column_dimensions[get_column_letter(i)].width = width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for name in self.headers:
            cell = WriteOnlyCell(self.sheet, value=_xlsx_text(name))
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)
        self.rows = 1

    def append(self, values: Sequence[Cell]) -> None:
        if self.rows >= _EXCEL_MAX_ROWS:
            self._close_filter()
            self._new()
        self.sheet.append([_xlsx_cell(self.sheet, v) for v in values])
        self.rows += 1

    def _close_filter(self) -> None:
        from openpyxl.utils import get_column_letter

        # write-only sheets write their filter when the book is saved (the stubs do not know the attribute)
        self.sheet.auto_filter.ref = f"A1:{get_column_letter(len(self.headers))}{self.rows}"  # type: ignore[attr-defined]

    def close(self) -> None:
        self._close_filter()


def _xlsx_text(value: str) -> str:
    text = _CONTROL.sub("\ufffd", value)
    if len(text) > _EXCEL_MAX_CHARS:
        cut = f"… ({len(text)} characters; cut at Excel's limit)"
        text = text[:_EXCEL_MAX_CHARS - len(cut)] + cut
    return text


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if not isinstance(value, str):
        return value
    text = _xlsx_text(value)
    if not text.startswith(_FORMULA) and "\n" not in text:
        return text
    cell = WriteOnlyCell(sheet, value=text)
    if text.startswith(_FORMULA):
        cell.data_type = "s"  # text, never a formula
        cell.quotePrefix = True
    if "\n" in text:
        from openpyxl.styles import Alignment

        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _write_xlsx(rows: _Rows, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    t = rows.t
    call_widths = [18, 12, 10, 20, 10, 8, 8, 8, 16, 28, 6, 24, 16, *(12 for _ in rows.meta_keys), 20, 30, 20]
    check_widths = [18, 12, 10, 20, 26, 7, 14, 9, 7, 50, 40, 60, 8]
    calls = _Sheet(book, t["sheet.calls"], rows.call_headers(), call_widths)
    checks = _Sheet(book, t["sheet.checks"], rows.check_headers(), check_widths)
    try:
        for row, check_rows in rows:
            calls.append(row)
            for check_row in check_rows:
                checks.append(check_row)
    except BaseException:
        for sheet in book.worksheets:  # finish each sheet's temporary file, so nothing is left open
            with contextlib.suppress(Exception):
                sheet.close()
        raise
    calls.close()
    checks.close()
    book.save(path)


# --- both -----------------------------------------------------------------------------------------------


def _format_of(path: Path, format: str | None) -> SheetFormat:
    chosen = format or path.suffix.lower().lstrip(".")
    if chosen not in ("csv", "xlsx"):
        raise UsageError(f"cannot tell the format of {path}: name a .csv or .xlsx file, or give format='csv' or 'xlsx'")
    return chosen  # type: ignore[return-value]


def write_sheets(
    results: Iterable[Report | CallError],
    path: str | os.PathLike[str],
    *,
    format: SheetFormat | None = None,
    headers: str = "en",
) -> SheetResult:
    """Write reports as a calls table and a checks table: ``path`` and :func:`checks_path` of it for CSV, two
    sheets (``calls``, ``checks``) of one workbook for ``xlsx``. ``format`` defaults to ``path``'s suffix;
    ``headers="zh"`` gives Chinese column and sheet names.

    Each file is written as ``NAME.partial`` and renamed when complete, so a file under its own name is
    always whole; when writing fails, the partial files are removed.
    """
    target = Path(path)
    chosen = _format_of(target, format)
    t = ui_text(headers)
    rows = _Rows(results, t)
    final = [target, checks_path(target)] if chosen == "csv" else [target]
    partial = [p.with_name(p.name + ".partial") for p in final]
    try:
        if chosen == "csv":
            with open(partial[0], "w", encoding="utf-8-sig", newline="") as calls, \
                    open(partial[1], "w", encoding="utf-8-sig", newline="") as checks:
                _write_csv(rows, calls, checks)
        else:
            _write_xlsx(rows, partial[0])
    except BaseException:
        for p in partial:
            p.unlink(missing_ok=True)
        raise
    for done, name in zip(partial, final):
        os.replace(done, name)
    return SheetResult(tuple(final), rows.calls, rows.errors)
