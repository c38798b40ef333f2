"""The records loading shares: its options, and the error record of a call that could not be read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from csqa.errors import InputError, InputProblem
from csqa.input.model import CallError

__all__ = ["LoadOptions", "error_record", "validation_problems"]


@dataclass(frozen=True)
class LoadOptions:
    """How files are read: ``strict`` rejects fields csqa does not know instead of keeping them as metadata;
    ``speakers`` maps speaker values (channel or speaker ids, names) to ``agent`` / ``customer``; the others
    are for tables (:func:`csqa.input.tables.read_table`): ``column_map`` (field → column), ``drop_columns``,
    ``encoding`` (of a CSV file; detected when ``None``) and ``sheet`` (of an Excel workbook; the first when
    ``None``)."""

    strict: bool = False
    speakers: Mapping[str, str] = field(default_factory=dict)
    column_map: Mapping[str, str] = field(default_factory=dict)
    drop_columns: tuple[str, ...] = ()
    encoding: str | None = None
    sheet: str | None = None


def _loc(loc: tuple[int | str, ...]) -> tuple[str, int | None]:
    text = ""
    utterance = None
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            if index and loc[index - 1] == "utterances":
                utterance = part
        else:
            text += f".{part}" if text else str(part)
    return text or "<call>", utterance


def validation_problems(exc: ValidationError) -> list[InputProblem]:
    problems = []
    for err in exc.errors():
        field, utterance = _loc(tuple(err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (check its spelling against MANUAL.md)"
        problems.append(InputProblem(field=field, message=message, utterance=utterance))
    return problems


def error_record(exc: InputError) -> CallError:
    """The batch record of an input error (``line`` is the row of a table's call)."""
    return CallError(
        code=exc.code,
        message=str(exc),
        call_id=exc.call_id,
        source=exc.source,
        line=exc.line if exc.line is not None else exc.row,
        problems=tuple(
            f"utterances[{p.utterance}]: {p}" if p.utterance is not None and not p.field.startswith("utterances") else str(p)
            for p in exc.problems
        ),
    )
