"""Reading calls: native JSON / JSON Lines, the Alibaba Cloud SCA dialogue shape, and plain text lines.

Loading is lazy and streamed: a JSON Lines file is read one line at a time, so a file of a million calls is
never held in memory. Each bad call becomes an :class:`~csqa.outputs.report.CallError` record naming the file, the
line, the call id when it could be read, and every problem with its utterance index and field, and loading
goes on with the next call. ``errors="raise"`` raises :class:`~csqa.errors.InputError` instead.

Formats:

* **native** (MANUAL.md): ``{"call_id": …, "utterances": [{"speaker", "text", "start", "end"}], …}``; a
  ``.jsonl`` file holds one call a line, a ``.json`` file one call or a list of calls.
* **SCA**: ``{"tid": …, "dialogue": [{"role": "客服"|"客户", "words": …, "begin": ms, "end": ms,
  "identity": …}]}``, alone, in a list, or under ``{"tickets": […]}``; keys in either case.
* **annotated**: ``{"call": {…native or SCA…}, "gold": {…}, "note": …}`` records of ``corpora/annotated``
  load as their call, so a labelled corpus can be scored like any other.
* **text**: one utterance a line, ``坐席：您好…``, ``[00:03] 客户: …`` or ``[00:03-00:06] 客户: …``;
  optional header lines ``# call_id: …`` (also ``direction``, ``agent_id``, ``rings``, ``ring_seconds``,
  ``hangup_by``, and ``events`` as a JSON list) before the first utterance. A ``.txt`` file is one call; its
  id defaults to the file name.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from csqa.errors import InputError, InputProblem
from csqa.input.model import SPEAKER_ALIASES, Call, CallError

__all__ = ["CALL_SUFFIXES", "RawCall", "input_files", "iter_raw", "load_calls", "loads_json", "parse_call", "parse_text"]

CALL_SUFFIXES = (".jsonl", ".json", ".txt")
ErrorMode = Literal["record", "raise"]

_TEXT_LINE = re.compile(
    r"^\s*(?:[\[【(（]\s*(?P<start>[0-9:.]+)\s*(?:[-–~～]\s*(?P<end>[0-9:.]+)\s*)?[\]】)）]\s*)?"
    r"(?P<speaker>[^\s:：\[\]【】]{1,12})\s*[:：]\s?(?P<text>.*)$"
)
# The value is stripped afterwards: a lazy ``.*?`` before ``\s*$`` backtracks over every trailing space and
# made a header line of 50,000 spaces take seconds.
_HEADER = re.compile(r"^\s*#\s*(?P<key>[A-Za-z_]+)\s*[:：=](?P<value>.*)$")
_HEADER_KEYS = {"call_id", "direction", "agent_id", "rings", "ring_seconds", "hangup_by", "events"}


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


def _problems(exc: ValidationError) -> list[InputProblem]:
    problems = []
    for err in exc.errors():
        field, utterance = _loc(tuple(err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (check its spelling against MANUAL.md)"
        problems.append(InputProblem(field=field, message=message, utterance=utterance))
    return problems


def _is_sca(obj: Mapping[str, Any]) -> bool:
    return any(k in obj for k in ("dialogue", "Dialogue"))


def _get(item: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        for key in (name, name[:1].upper() + name[1:]):
            if key in item:
                return item[key]
    return None


def _from_sca(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Translate one SCA dialogue into the native shape (milliseconds become seconds)."""
    dialogue = _get(obj, "dialogue")
    call: dict[str, Any] = {"call_id": _get(obj, "tid", "callId", "call_id"), "utterances": []}
    if not isinstance(dialogue, list):
        call["utterances"] = dialogue
        return call
    agent_id = None
    for item in dialogue:
        if not isinstance(item, Mapping):
            call["utterances"].append(item)
            continue
        role = _get(item, "role")
        utterance: dict[str, Any] = {"speaker": role, "text": _get(item, "words")}
        for field, key in (("start", "begin"), ("end", "end")):
            value = _get(item, key)
            if value is not None:
                utterance[field] = _seconds_of_ms(value)
        identity = _get(item, "identity")
        is_agent = isinstance(role, str) and SPEAKER_ALIASES.get(role.strip()) == "agent"
        if agent_id is None and is_agent and isinstance(identity, (str, int)) and not isinstance(identity, bool):
            agent_id = _shown(identity)
        call["utterances"].append(utterance)
    for key in ("direction", "rings", "ring_seconds", "hangup_by", "events", "agent_id"):
        value = _get(obj, key)
        if value is not None:
            call[key] = value
    if agent_id is not None and "agent_id" not in call:
        call["agent_id"] = agent_id
    return call


def _seconds_of_ms(value: Any) -> Any:
    """SCA milliseconds as seconds; anything else (text, or a number too large for a float) is passed on
    for validation to report with its field."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return value / 1000
        except OverflowError:
            return value
    return value


def _shown(value: str | int) -> str | None:
    """An id as text, or ``None`` for one that cannot be shown (an integer beyond Python's 4,300 digits)."""
    if isinstance(value, str):
        return value
    return str(value) if -(10**100) < value < 10**100 else None


def parse_call(obj: Call | Mapping[str, Any] | str | bytes, *, source: str | None = None, line: int | None = None) -> Call:
    """One call from a :class:`Call`, a dict (native or SCA shape) or JSON text.

    Raises :class:`InputError` naming the call, utterance index and field of every problem.
    """
    if isinstance(obj, Call):
        return obj
    if isinstance(obj, (str, bytes, bytearray)):
        obj = loads_json(obj, source=source, line=line)
    if not isinstance(obj, Mapping):
        raise InputError(
            [InputProblem("<call>", f"a call must be a JSON object, not {type(obj).__name__}")],
            code="E100",
            source=source,
            line=line,
        )
    if "call" in obj and "gold" in obj and isinstance(obj["call"], Mapping):
        obj = obj["call"]  # an annotated record (corpora/annotated): score its call
    call_id = obj.get("call_id", _get(obj, "tid"))
    data = _from_sca(obj) if _is_sca(obj) else obj
    try:
        return Call.model_validate(data)
    except ValidationError as exc:
        shown = _shown(call_id) if isinstance(call_id, (str, int)) and not isinstance(call_id, bool) else None
        raise InputError(_problems(exc), call_id=shown, source=source, line=line) from None


def loads_json(text: str | bytes | bytearray, *, source: str | None = None, line: int | None = None) -> Any:
    """Decode JSON text, raising :class:`InputError` (E100) for anything that is not JSON a call can be read from.

    Besides syntax errors that covers what :func:`json.loads` raises of its own for hostile input: a
    ``RecursionError`` for deep nesting (100,000 ``[``), a ``ValueError`` for an integer over Python's
    4,300-digit limit, and a ``UnicodeDecodeError`` for bytes that are not UTF-8.
    """
    try:
        return json.loads(text)
    except RecursionError:
        message = "not valid JSON: nested too deeply"
    except UnicodeDecodeError as exc:
        message = f"not valid UTF-8: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
    except ValueError as exc:  # json.JSONDecodeError, and int() beyond the digit limit
        message = f"not valid JSON: {exc}"
    raise InputError([InputProblem("<json>", message)], code="E100", source=source, line=line)


def _seconds(stamp: str) -> float:
    value = 0.0
    for part in stamp.split(":"):
        value = value * 60 + float(part)
    return value


def parse_text(text: str, *, call_id: str | None = None, source: str | None = None) -> Call:
    """One call from plain text lines (``坐席：…``, ``[00:03] 客户: …``) with optional ``# key: value`` headers."""
    header: dict[str, Any] = {}
    utterances: list[dict[str, Any]] = []
    problems: list[InputProblem] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        head = _HEADER.match(raw)
        if head and not utterances:
            key = head.group("key").lower()
            if key not in _HEADER_KEYS:
                known = ", ".join(sorted(_HEADER_KEYS))
                problems.append(InputProblem(f"line {number}", f"unknown header {key!r}; known: {known}"))
            else:
                header[key] = head.group("value").strip()
            continue
        match = _TEXT_LINE.match(raw)
        if match is None or match.group("speaker").strip() not in SPEAKER_ALIASES:
            problems.append(
                InputProblem(
                    f"line {number}",
                    "expected 'speaker: text' with speaker 坐席/座席/客服/agent or 客户/顾客/用户/customer",
                    utterance=len(utterances),
                )
            )
            continue
        utterance: dict[str, Any] = {"speaker": match.group("speaker"), "text": match.group("text")}
        try:
            if match.group("start"):
                utterance["start"] = _seconds(match.group("start"))
            if match.group("end"):
                utterance["end"] = _seconds(match.group("end"))
        except ValueError:
            problems.append(InputProblem(f"line {number}", "the timestamp is not [mm:ss] or [hh:mm:ss]",
                                         utterance=len(utterances)))
        utterances.append(utterance)
    resolved_id = header.pop("call_id", None) or call_id
    if problems:
        raise InputError(problems, call_id=resolved_id, source=source)
    if "rings" in header and re.fullmatch(r"[0-9]{1,9}", header["rings"].strip()):  # else validation names it
        header["rings"] = int(header["rings"])
    if "ring_seconds" in header:
        with contextlib.suppress(ValueError):  # else left as text: validation reports it with the field name
            header["ring_seconds"] = float(header["ring_seconds"])
    if "events" in header:
        try:
            header["events"] = loads_json(header["events"], source=source)
        except InputError:
            raise InputError([InputProblem("events", "the events header is not a JSON list")],
                             call_id=resolved_id, source=source) from None
    data = {"call_id": resolved_id, **header, "utterances": utterances}
    return parse_call(data, source=source)


def _jsonl_lines(path: Path) -> Iterator[tuple[str, int] | CallError]:
    """The non-blank lines of a JSON Lines file with their numbers; a line that is not UTF-8 becomes an error
    record for that line alone (the file is read as bytes and each line decoded by itself)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                message = f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
                yield error_record(InputError([InputProblem("<line>", message)], code="E100", source=str(path), line=number))
                continue
            if text.strip():
                yield text, number


def _records(path: Path) -> Iterator[RawCall | CallError]:
    suffix = path.suffix.lower()
    source = str(path)
    if suffix == ".jsonl":
        for item in _jsonl_lines(path):
            yield item if isinstance(item, CallError) else RawCall(item[0], source, item[1])
        return
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".txt":
        yield RawCall(text, source, None, path.stem)
        return
    try:
        data = loads_json(text, source=source)
    except InputError as exc:
        yield error_record(exc)
        return
    if isinstance(data, Mapping) and isinstance(_get(data, "tickets"), list):
        data = _get(data, "tickets")
    for item in data if isinstance(data, list) else [data]:
        yield RawCall(item, source)


def input_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The files that :func:`iter_raw` reads for ``paths``: files as given, folders' call files in path order."""
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in CALL_SUFFIXES and not p.name.startswith("."))
            yield from found
        else:
            yield path


@dataclass(frozen=True, slots=True)
class RawCall:
    """One call as read from a file, not yet parsed: what a worker process parses and scores.

    ``payload`` is a JSON line, a decoded JSON value, or the text of a ``.txt`` call.
    """

    payload: Any
    source: str
    line: int | None = None
    text_id: str | None = None

    def parse(self) -> Call:
        """The validated call; raises :class:`InputError` naming source, line and field."""
        if self.text_id is not None:
            return parse_text(self.payload, call_id=self.text_id, source=self.source)
        return parse_call(self.payload, source=self.source, line=self.line)


def iter_raw(*paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> Iterator[RawCall | CallError]:
    """Unparsed calls from files and folders, lazily, in order; an unreadable file yields an error record."""
    flat: list[str | os.PathLike[str]] = []
    for entry in paths:
        if isinstance(entry, (str, os.PathLike)):
            flat.append(entry)
        else:
            flat.extend(entry)
    for path in input_files(flat):
        try:
            yield from _records(path)
        except (OSError, UnicodeDecodeError) as exc:
            yield error_record(InputError([InputProblem("<file>", f"cannot read: {exc}")], code="E102", source=str(path)))


def load_calls(
    *paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    errors: ErrorMode = "record",
) -> Iterator[Call | CallError]:
    """Calls from files and folders, lazily, in order (folders sorted by path).

    A bad call yields a :class:`CallError` (or raises :class:`InputError` with ``errors="raise"``); a
    missing file yields one error record for that file.
    """
    for raw in iter_raw(*paths):
        if isinstance(raw, CallError):
            if errors == "raise":
                raise InputError([InputProblem("<file>", raw.message)], code=raw.code, source=raw.source)
            yield raw
            continue
        try:
            yield raw.parse()
        except InputError as exc:
            if errors == "raise":
                raise
            yield error_record(exc)


def error_record(exc: InputError) -> CallError:
    """The batch record of an input error."""
    return CallError(
        code=exc.code,
        message=str(exc),
        call_id=exc.call_id,
        source=exc.source,
        line=exc.line,
        problems=tuple(
            f"utterances[{p.utterance}]: {p}" if p.utterance is not None and not p.field.startswith("utterances") else str(p)
            for p in exc.problems
        ),
    )
