"""Calls from tables: CSV and Excel files, and pandas DataFrames, one row per utterance.

A row holds one utterance (speaker, text, and optionally its start and end) and the call it belongs to (a
call id); the call's own fields (agent id, direction, rings, who hung up, when it began, the team) and any
other columns are repeated on its rows, or given on one of them. Columns are recognised by their names in
Chinese and English (``通话ID``/``录音编号``, ``角色``/``说话人``, ``内容``/``文本``, ``开始时间``/``结束时间``,
``坐席工号``, ``班组``, …; :mod:`csqa.input.fields` has them all), and ``column_map`` names the rest
(``{"text": "识别内容", "call_id": "流水号"}``: field → column). A column that is no field becomes a
metadata key (under its own name, or the name the column map gives it), unless it looks like a misspelt
field (``hangup_bi``), which is an error; with ``strict`` every such column is one.

* Times are seconds (``3.5``), ``hh:mm:ss(.ms)``, ``mm:ss``, or Excel time cells; a column in milliseconds says
  so in its header (``开始时间(ms)``, ``begin (毫秒)``) or is mapped to ``start_ms`` / ``end_ms``.
* A blank call id continues the call above it (Excel exports often merge a call's id cells), and a table
  without a call id column is one call, named after the file.
* The rows of a call need not be next to each other. A file is read twice: first its call ids, to see
  whether each call's rows are contiguous (exports are sorted by call); if they are, calls are then streamed
  one at a time, in memory that does not grow with the file; if not, the rows are grouped by call in memory
  (linear in the file) and the calls come in the order of their first rows.
* Every problem names the file, the row (as a spreadsheet numbers it: the header is row 1) and the column;
  a bad row fails its call, not the file. A header that cannot be read (no speaker or text column, a
  misspelt column name) fails the file (``E104``).
* CSV encodings: UTF-8 with or without a byte-order mark, UTF-16 with one, and GB18030 (which Chinese Excel
  writes as "CSV"), detected unless ``encoding`` is given; bytes that are not text fail the row they are in.
  The delimiter is a comma, or a tab for ``.tsv`` files and headers with more tabs than commas.
* Excel (``.xlsx``, ``.xlsm``) is read with openpyxl in read-only mode, a row at a time: the first sheet, or
  ``sheet``. ``.xls`` (Excel 97–2003) is not read.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from csqa.errors import InputError, InputProblem, UsageError, closest
from csqa.input.fields import (
    CALL_CUTOFF,
    CALL_NAMES,
    IGNORED_UTTERANCE_FIELDS,
    UTTERANCE_NAMES,
    UTTERANCE_TIMES,
    call_value,
    column_target,
    meta_value,
    misspelling,
    name_key,
    parse_seconds,
    speaker_of,
    value_problem,
)
from csqa.input.model import SPEAKER_ALIASES, Call, CallError
from csqa.input.records import LoadOptions, error_record, validation_problems

__all__ = ["calls_from_frame", "read_table"]

_UTTERANCE_TARGETS = ("speaker", "text", "start", "end", "start_ms", "end_ms", "seq")
_CALL_TARGETS = ("call_id", "direction", "agent_id", "rings", "ring_seconds", "hangup_by", "started_at", "team")
_MISSPELLABLE = {name: field for name, field in {**CALL_NAMES, **UTTERANCE_NAMES, **UTTERANCE_TIMES}.items()
                 if name.isascii() and field not in ("utterances", "events", "metadata")}

Row = tuple[int, Sequence[Any]]


@dataclass(frozen=True)
class _Columns:
    """A table's header read: which column gives which target (a field or ``metadata.<key>``)."""

    targets: tuple[tuple[int, str], ...]
    names: tuple[str, ...]

    def column(self, target: str) -> int | None:
        return next((i for i, t in self.targets if t == target), None)

    def name_of(self, target: str) -> str:
        index = self.column(target)
        return self.names[index] if index is not None else target


def _header_error(problems: list[InputProblem], source: str) -> InputError:
    return InputError(problems, code="E104", source=source, row=1)


def check_column_map(column_map: Mapping[str, str]) -> None:
    """Raise :class:`UsageError` for a column map whose field looks misspelt (``txet``, ``hangup_bi``): a
    target that is no field would otherwise quietly become a metadata key. ``metadata.<name>`` is always a
    metadata key."""
    for target, column in column_map.items():
        if not isinstance(target, str) or not isinstance(column, str) or not column.strip():
            raise UsageError(f"a column map maps field names to column names, not {target!r} to {column!r}")
        if target.startswith("metadata.") or target in _UTTERANCE_TARGETS or target in _CALL_TARGETS:
            continue
        typo = misspelling(target, _MISSPELLABLE, cutoff=0.7)
        if typo is not None:
            raise UsageError(f"column map: {target!r} is no field; did you mean {typo!r}? (a metadata key is "
                             f"written metadata.{target})")


def _resolve(header: Sequence[Any], options: LoadOptions, source: str) -> _Columns:
    names = tuple("" if h is None else str(h).strip() for h in header)
    problems: list[InputProblem] = []
    by_column: dict[int, str] = {}
    for target, column in options.column_map.items():
        if column not in names:
            found = closest(column, [n for n in names if n])
            hint = f"; did you mean {found!r}?" if found else ""
            problems.append(InputProblem("<columns>", f"the column map names column {column!r}, which the table does not "
                                                      f"have{hint} (its columns: {', '.join(n for n in names if n)})"))
            continue
        field = target if target in _UTTERANCE_TARGETS or target in _CALL_TARGETS or target.startswith("metadata.") \
            else CALL_NAMES.get(name_key(target)) or f"metadata.{target}"
        by_column[names.index(column)] = field if field not in ("utterances", "events", "metadata") else f"metadata.{target}"
    dropped = set(options.drop_columns)
    for index, name in enumerate(names):
        if index in by_column or name in dropped:
            continue
        if not name:
            by_column[index] = f"metadata.column {index + 1}"
            continue
        known = column_target(name)
        if known is None:
            typo = misspelling(name, _MISSPELLABLE, cutoff=CALL_CUTOFF)
            if typo is not None:
                problems.append(InputProblem(f"column {name!r}", f"looks like a misspelling of {typo!r}: rename it, map it "
                                             f"(column_map / --columns {typo}={name}), or map it to metadata.{name}"))
                continue
            if options.strict:
                problems.append(InputProblem(f"column {name!r}", "not a field csqa reads (strict: no metadata columns; "
                                             "map or drop it)"))
                continue
            known = f"metadata.{name}"
        by_column[index] = known
    seen: dict[str, int] = {}
    for index, target in sorted(by_column.items()):
        if target in seen:
            problems.append(InputProblem("<columns>", f"columns {names[seen[target]]!r} and {names[index]!r} both give "
                                                      f"{target}; map one (column_map) or drop one"))
        seen[target] = index
    problems += [
        InputProblem("<columns>", f"columns {names[seen[a]]!r} and {names[seen[b]]!r} both give the {a} time")
        for a, b in (("start", "start_ms"), ("end", "end_ms")) if a in seen and b in seen
    ]
    missing = [t for t in ("speaker", "text") if t not in seen]
    if missing:
        problems.append(InputProblem("<columns>", f"no {' or '.join(missing)} column (columns: "
                                                  f"{', '.join(n for n in names if n) or 'none'}); name it with column_map "
                                                  f"(--columns {missing[0]}=COLUMN)"))
    if problems:
        raise _header_error(problems, source)
    return _Columns(tuple(sorted(by_column.items())), names)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _call_key(cells: Sequence[Any], index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _with_ids(rows: Iterable[Row], columns: _Columns, default_id: str | None) -> Iterator[tuple[Any, Row]]:
    """Each non-blank row with its call id (a blank id continues the call above)."""
    index = columns.column("call_id")
    current = default_id
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        key = _call_key(cells, index)
        if key is not None:
            current = key
        yield current, (number, cells)


def _close(rows: Iterable[Any]) -> None:
    """Close a generator of rows read part of the way (an Excel workbook stays open until its reader ends)."""
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _grouped(ids: Iterable[Any]) -> bool:
    """Whether each call's rows are contiguous."""
    done: set[Any] = set()
    previous: Any = object()
    try:
        for key in ids:
            if key != previous:
                if key in done:
                    return False
                done.add(previous)
                previous = key
        return True
    finally:
        _close(ids)


def _ids(rows: Iterator[tuple[Any, Row]]) -> Iterator[Any]:
    try:
        for key, _ in rows:
            yield key
    finally:
        _close(rows)


def _calls(
    rows: Callable[[], Iterable[Row]], columns: _Columns, options: LoadOptions, source: str, default_id: str | None,
    *, in_memory: bool = False,
) -> Iterator[TableCall | CallError]:
    """The calls of a table's rows (``rows`` is called once or twice: see the module documentation)."""
    if in_memory or not _grouped(_ids(_with_ids(rows(), columns, default_id))):
        groups: dict[Any, list[Row]] = {}
        for key, row in _with_ids(rows(), columns, default_id):
            groups.setdefault(key, []).append(row)
        for key, group in groups.items():
            yield _call(key, group, columns, options, source)
        return
    current: list[Row] = []
    current_key: Any = None
    for key, row in _with_ids(rows(), columns, default_id):
        if current and key != current_key:
            yield _call(current_key, current, columns, options, source)
            current = []
        current_key = key
        current.append(row)
    if current:
        yield _call(current_key, current, columns, options, source)


def _where(number: int, column: str) -> str:
    return f"row {number}, column {column!r}"


def _text_of(value: Any) -> str:
    """A text cell as text (a number typed in a text column is its digits)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


TableCall = tuple[Call, int]
"""A call read from a table, with the row it starts on."""


def _call(call_id: Any, rows: list[Row], columns: _Columns, options: LoadOptions, source: str) -> TableCall | CallError:
    """One call from its rows: each row an utterance, the call's fields and metadata from any of them."""
    names = columns.names
    problems: list[InputProblem] = []
    utterances: list[dict[str, Any]] = []
    utterance_rows: list[int] = []
    fields: dict[str, tuple[Any, int]] = {}
    metadata: dict[str, tuple[Any, int]] = {}
    varying: set[str] = set()
    differing: dict[str, list[tuple[Any, int]]] = {}
    seqs: list[Any] = []
    speakers = options.speakers or None
    for number, cells in rows:
        before = len(problems)
        utterance: dict[str, Any] = {}
        seq: Any = None
        for index, target in columns.targets:
            value = cells[index] if index < len(cells) else None
            if target == "text":
                if value is not None:
                    utterance["text"] = _text_of(value)
                continue
            if _blank(value):
                continue
            if isinstance(value, str):
                value = value.strip()
            where = _where(number, names[index])
            if target == "speaker":
                speaker = speaker_of(value, speakers)
                if not isinstance(speaker, str) or (speaker.strip() not in SPEAKER_ALIASES and speaker.strip().lower() \
                        not in SPEAKER_ALIASES):
                    hint = " or one the speakers map names" if speakers else "; map other values with speakers=/--speakers"
                    problems.append(InputProblem(where, f"{value!r} is not a speaker: use 坐席/客服/agent or "
                                                        f"客户/用户/customer{hint}"))
                utterance["speaker"] = speaker
            elif target in ("start", "end", "start_ms", "end_ms"):
                try:
                    utterance[target[:-3] if target.endswith("_ms") else target] = parse_seconds(
                        value, milliseconds=target.endswith("_ms"))
                except InputError as exc:
                    problems.append(InputProblem(where, value_problem(exc)))
            elif target == "seq":
                seq = value
            elif target == "call_id":
                continue
            elif target.startswith("metadata."):
                key = target.removeprefix("metadata.")
                try:
                    shown = meta_value(value)
                except InputError as exc:
                    problems.append(InputProblem(where, value_problem(exc)))
                    continue
                if key in varying:
                    continue
                if key in metadata and metadata[key][0] != shown:
                    varying.add(key)
                    del metadata[key]
                    continue
                metadata.setdefault(key, (shown, number))
            else:
                read = call_value(target, value, problems, f"{where} ({target})")
                if read is None:
                    continue
                if target in fields and fields[target][0] != read:
                    differing.setdefault(target, [fields[target]]).append((read, number))
                    continue
                fields.setdefault(target, (read, number))
        if len(cells) > len(names) and (len(problems) > before or any(not _blank(c) for c in cells[len(names):])):
            problems.append(InputProblem(f"row {number}", f"{len(cells)} cells under a header of {len(names)} columns "
                                                          "(a comma or tab inside a text that is not in quotes?)"))
        if utterance or any(not _blank(cells[i]) for i, t in columns.targets if t in _UTTERANCE_TARGETS and i < len(cells)):
            utterance.setdefault("text", "")
            if "speaker" not in utterance:
                problems.append(InputProblem(_where(number, columns.name_of("speaker")), "no speaker"))
            utterances.append(utterance)
            utterance_rows.append(number)
            seqs.append(seq)
    for target, values in differing.items():
        shown = ", ".join(f"{v!r} (row {n})" for v, n in values[:3]) + (", …" if len(values) > 3 else "")
        problems.append(InputProblem(f"column {columns.name_of(target)!r} ({target})",
                                     f"differs between the call's rows: {shown}"))
    if any(s is not None for s in seqs):
        try:
            order = sorted(range(len(seqs)), key=lambda i: float(seqs[i]))
        except (TypeError, ValueError):
            problems.append(InputProblem(f"column {columns.name_of('seq')!r}", "every row of a call needs a number here"))
        else:
            utterances = [utterances[i] for i in order]
            utterance_rows = [utterance_rows[i] for i in order]
    first = rows[0][0] if rows else None
    shown_id = None if call_id is None else str(call_id)
    if problems:
        return error_record(InputError(problems, call_id=shown_id, source=source, row=first))
    data: dict[str, Any] = {"call_id": call_id, **{k: v for k, (v, _) in fields.items()}, "utterances": utterances}
    meta = {k: v for k, (v, _) in metadata.items()}
    if varying:
        if options.strict:
            problems = [InputProblem(f"column {k!r}", "differs between the call's rows (strict: an utterance-level column "
                                                      "csqa does not read)") for k in sorted(varying)]
            return error_record(InputError(problems, call_id=shown_id, source=source, row=first))
        meta[IGNORED_UTTERANCE_FIELDS] = ", ".join(sorted(varying))
    if meta:
        data["metadata"] = meta
    try:
        call = Call.model_validate(data)
    except ValidationError as exc:
        located = []
        for problem in validation_problems(exc):
            if problem.utterance is not None and problem.utterance < len(utterance_rows):
                field = problem.field.split(".")[-1] if "." in problem.field else ""
                column = columns.name_of(field) if field else "?"
                where = _where(utterance_rows[problem.utterance], column) if field else f"row {utterance_rows[problem.utterance]}"
                located.append(InputProblem(where, problem.message))
            else:
                field = problem.field.split(".")[0].split("[")[0]
                located.append(InputProblem(f"column {columns.name_of(field)!r} ({field})" if columns.column(field) is not None
                                            else problem.field, problem.message))
        return error_record(InputError(located, call_id=shown_id, source=source, row=first))
    return call, first if first is not None else 0


# ------------------------------------------------------------------------------------------------ files


def _encoding(path: Path) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, or else GB18030: the encodings of Chinese exports."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def _csv_rows(path: Path, encoding: str, suffix: str) -> Iterator[Row]:
    """The rows of a CSV file, numbered as a spreadsheet numbers them. Bytes that are not text in the
    encoding are kept as lone surrogates, which validation reports in their row and column."""
    with path.open("r", encoding=encoding, errors="surrogateescape", newline="") as handle:
        first = handle.readline()
        delimiter = "\t" if suffix == ".tsv" or first.count("\t") > first.count(",") else ","
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, 1):
                yield number, cells
        except csv.Error as exc:
            raise _RowsError(number + 1, str(exc)) from None


class _RowsError(Exception):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[Row]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            found = closest(sheet, workbook.sheetnames)
            hint = f"; did you mean {found!r}?" if found else ""
            raise _RowsError(0, f"no sheet {sheet!r}{hint} (sheets: {', '.join(workbook.sheetnames)})")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        reset = getattr(worksheet, "reset_dimensions", None)
        if reset is not None:  # a workbook whose stored size is wrong would otherwise be cut short
            reset()
        yield from enumerate(worksheet.iter_rows(values_only=True), 1)
    finally:
        workbook.close()


def _header_and_rows(rows: Iterator[Row]) -> tuple[Row | None, Iterator[Row]]:
    for number, cells in rows:
        if any(not _blank(c) for c in cells):
            return (number, cells), rows
    return None, rows


def read_table(path: str | os.PathLike[str], options: LoadOptions | None = None) -> Iterator[TableCall | CallError]:
    """The calls of a CSV or Excel file (see the module documentation): each a validated :class:`Call` with
    the row it starts on, or the :class:`CallError` of a call that could not be read."""
    options = options or LoadOptions()
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    check_column_map(options.column_map)

    def rows() -> Iterator[Row]:
        if suffix in (".xlsx", ".xlsm"):
            return _xlsx_rows(path, options.sheet)
        return _csv_rows(path, options.encoding or _encoding(path), suffix)

    def failed(message: str, row: int | None = None) -> CallError:
        code = "E102" if row in (None, 0) else "E100"
        return error_record(InputError([InputProblem("<file>" if not row else f"row {row}", message)], code=code,
                                       source=source, row=row or None))

    try:
        first = rows()
        try:
            head, _ = _header_and_rows(first)
        finally:
            _close(first)
        if head is None:
            yield failed("no header row: the table is empty")
            return
        header_row, header = head
        try:
            columns = _resolve(header, options, source)
        except InputError as exc:
            exc.row = header_row
            yield error_record(InputError(exc.problems, code=exc.code, source=source, row=header_row))
            return
        default_id = None if columns.column("call_id") is not None else path.stem

        def body() -> Iterator[Row]:
            return _header_and_rows(rows())[1]

        yield from _calls(body, columns, options, source, default_id)
    except _RowsError as exc:
        yield failed(f"{exc}; the rows after it were not read" if exc.row else str(exc), exc.row)
    except (LookupError, UnicodeError) as exc:  # an encoding= that Python does not know, a UTF-16 file cut short
        yield failed(f"cannot read: {exc}")
    except OSError:
        raise
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook (BadZipFile, KeyError…)
        yield failed(f"cannot read as an Excel workbook: {type(exc).__name__}: {exc}")


# -------------------------------------------------------------------------------------------- DataFrame


def _cell(value: Any) -> Any:
    """A DataFrame cell as plain Python: numpy scalars unwrapped, NaN / NA / NaT as ``None``, pandas
    timestamps and durations as ``datetime`` and ``timedelta``."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):
        pass
    convert = getattr(value, "to_pydatetime", None) or getattr(value, "to_pytimedelta", None)
    if convert is not None:
        return convert()
    if isinstance(value, (int, float, datetime, date, time, timedelta)):
        return value
    item = getattr(value, "item", None)
    if item is not None:
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def calls_from_frame(
    frame: Any,
    *,
    column_map: Mapping[str, str] | None = None,
    drop_columns: Iterable[str] = (),
    strict: bool = False,
    speakers: Mapping[str, str] | None = None,
    options: LoadOptions | None = None,
) -> Iterator[Call | CallError]:
    """The calls of a pandas DataFrame of utterances, read as a CSV file's rows are (see the module
    documentation): ``Call`` objects, and a :class:`CallError` for a call that could not be read, whose
    problems name the row (its position, 0-based, as ``frame.iloc`` counts) and the column.

    >>> for call in csqa.calls_from_frame(df, column_map={"text": "识别内容"}): ...
    """
    if options is None:
        options = LoadOptions(strict=strict, speakers=dict(speakers or {}), column_map=dict(column_map or {}),
                              drop_columns=tuple(drop_columns))
    check_column_map(options.column_map)
    if not (hasattr(frame, "columns") and hasattr(frame, "itertuples")):
        raise UsageError(f"expected a pandas DataFrame of utterances, not {type(frame).__name__}")
    source = "<DataFrame>"
    try:
        columns = _resolve([str(c) for c in frame.columns], options, source)
    except InputError as exc:
        raise UsageError(str(exc).replace(f"{source} row 1", source)) from None
    if columns.column("call_id") is None:
        raise UsageError(f"a DataFrame of utterances needs a call id column (columns: {', '.join(map(str, frame.columns))}); "
                         "name it with column_map={'call_id': COLUMN}")

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(frame.itertuples(index=False, name=None)):
            yield number, [_cell(c) for c in cells]

    for item in _calls(rows, columns, options, source, None, in_memory=True):
        yield item if isinstance(item, CallError) else item[0]
