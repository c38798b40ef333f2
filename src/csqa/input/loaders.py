"""Reading calls: native JSON / JSON Lines, the SCA and speech-platform shapes, plain text lines, and (through
:mod:`csqa.input.tables`) CSV and Excel tables.

Loading is lazy and streamed: a JSON Lines file is read one line at a time, so a file of a million calls is
never held in memory. Each bad call becomes an :class:`~csqa.outputs.report.CallError` record naming the file, the
line, the call id when it could be read, and every problem with its utterance index and field, and loading
goes on with the next call. ``errors="raise"`` raises :class:`~csqa.errors.InputError` instead.

Formats:

* **native** (MANUAL.md): ``{"call_id": …, "utterances": [{"speaker", "text", "start", "end"}], …}``; a
  ``.jsonl`` file holds one call a line, a ``.json`` file one call or a list of calls.
* **SCA**: ``{"tid": …, "dialogue": [{"role": "客服"|"客户", "words": …, "begin": ms, "end": ms,
  "identity": …}]}``, alone, in a list, or under ``{"tickets": […]}``; keys in either case.
* **speech platforms** (one recording's result, a ``.json`` file; the call id is the file's name unless the
  object has a ``call_id``; which channel or speaker id is the agent is the caller's ``speakers`` map):
  Alibaba Cloud file transcription (录音文件识别: ``{"Result": {"Sentences": [{"ChannelId", "BeginTime",
  "EndTime", "Text", …}]}}``, milliseconds; keys in either case; ``SpeakerId`` when it diarised a single
  track) and Tencent Cloud recording recognition (录音文件识别: ``{"Data": {"ResultDetail": [{"FinalSentence",
  "StartMs", "EndMs", "SpeakerId", …}]}}``, also under ``Response``). Their other per-sentence figures
  (speech rate, emotion, silence, word timings) are not call data and are left out.
* **annotated**: ``{"call": {…native or SCA…}, "gold": {…}, "note": …}`` records of ``corpora/annotated``
  load as their call, so a labelled corpus can be scored like any other.
* **text**: one utterance a line (:func:`parse_text`): ``坐席：您好…``, ``[00:03] 客户: …``,
  ``00:00:01-00:00:04 坐席：…``, ``坐席（张三）：…``, ``客服[李四] 00:00:03: …``; optional header lines
  ``# key: value`` before the first utterance. A ``.txt`` file is one call; its id defaults to the file name.
* **tables**: ``.csv``, ``.tsv``, ``.xlsx`` and ``.xlsm``, one row per utterance (:mod:`csqa.input.tables`).

Field names are recognised in Chinese and English, and fields csqa does not read are kept as the call's
metadata (:mod:`csqa.input.fields`); ``strict=True`` rejects them instead.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from csqa.errors import InputError, InputProblem, UsageError
from csqa.input.fields import normalise_call, parse_seconds, speaker_of
from csqa.input.model import SPEAKER_ALIASES, Call, CallError
from csqa.input.records import LoadOptions, error_record, validation_problems

__all__ = [
    "CALL_SUFFIXES", "TABLE_SUFFIXES", "LoadOptions", "RawCall", "error_record", "input_files", "iter_raw", "load_calls",
    "loads_json", "parse_call", "parse_text",
]

TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm")
CALL_SUFFIXES = (".jsonl", ".json", ".txt", *TABLE_SUFFIXES, ".ndjson")
"""The files a folder is searched for (``.jsonl`` and ``.json`` first: :mod:`csqa.outputs.evaluate` reads those)."""
ErrorMode = Literal["record", "raise"]


_TIME = r"[0-9]{1,3}(?::[0-9]{1,2}){1,2}(?:[.,][0-9]{1,3})?"
_BRACKETED = r"[0-9][0-9:.,]*"
_OPEN, _CLOSE = r"[\[【(（]", r"[\]】)）]"
_DASH = r"\s*[-–~～]\s*"


def _stamp(tag: str) -> str:
    """A time or time range, bracketed (``[00:03]``, ``【00:00:01-00:00:04】``, ``(12.5)``) or bare
    (``00:00:01``, ``00:00:01-00:00:04``); groups ``<tag>s`` and ``<tag>e``."""
    bracketed = rf"{_OPEN}\s*(?P<{tag}bs>{_BRACKETED})(?:{_DASH}(?P<{tag}be>{_BRACKETED}))?\s*{_CLOSE}"
    bare = rf"(?P<{tag}s>{_TIME})(?:{_DASH}(?P<{tag}e>{_TIME}))?"
    return rf"(?:{bracketed}|{bare})"


# speaker (not starting with a digit), an optional name in brackets that is not a time, a time before or after
_TEXT_LINE = re.compile(
    rf"^\s*(?:{_stamp('a')}\s*)?"
    r"(?P<speaker>[^\s\d:：\[\]【】()（）][^\s:：\[\]【】()（）]{0,11})"
    rf"(?:\s*{_OPEN}(?!\s*[0-9:.,\s\-–~～]+{_CLOSE})\s*(?P<name>[^\]】)）:：]{{1,20}}?)\s*{_CLOSE})?"
    rf"(?:\s*{_stamp('b')})?"
    r"\s*[:：]\s?(?P<text>.*)$"
)
# The value is stripped afterwards: a lazy ``.*?`` before ``\s*$`` backtracks over every trailing space and
# made a header line of 50,000 spaces take seconds.
_HEADER = re.compile(r"^\s*#\s*(?P<key>[^\s:：=#][^:：=#]{0,39}?)\s*[:：=](?P<value>.*)$")


def _is_sca(obj: Mapping[str, Any]) -> bool:
    return any(k in obj for k in ("dialogue", "Dialogue"))


def _get(item: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        for key in (name, name[:1].upper() + name[1:]):
            if key in item:
                return item[key]
    return None


def _from_sca(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Translate one SCA dialogue into the native shape (milliseconds become seconds). The dialogue's
    other keys are passed on, for the field names to be recognised (and unknown ones kept as metadata)."""
    dialogue = _get(obj, "dialogue")
    call: dict[str, Any] = {k: v for k, v in obj.items() if k not in ("dialogue", "Dialogue", "tid", "Tid")}
    if not any(k in call for k in ("call_id", "callId", "CallId")):
        call["call_id"] = _get(obj, "tid")
    call["utterances"] = []
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
    if agent_id is not None and _get(obj, "agent_id", "agentId") is None:
        call["agent_id"] = agent_id
    return call


def _platform_sentences(obj: Mapping[str, Any]) -> tuple[str, list[Any]] | None:
    """The sentences of a speech platform's result (see the module documentation), with the platform's name."""
    result = _get(obj, "result")
    for holder in (result, obj):
        if isinstance(holder, Mapping) and isinstance(_get(holder, "sentences"), list):
            return "alibaba", _get(holder, "sentences")
    data = _get(obj, "data")
    response = _get(obj, "response")
    if isinstance(response, Mapping):
        data = _get(response, "data")
    for holder in (data, obj):
        if isinstance(holder, Mapping) and isinstance(_get(holder, "resultDetail"), list):
            return "tencent", _get(holder, "resultDetail")
    return None


_PLATFORM_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "alibaba": {"text": ("text",), "start": ("beginTime",), "end": ("endTime",), "speaker": ("speakerId", "channelId")},
    "tencent": {"text": ("finalSentence",), "start": ("startMs",), "end": ("endMs",), "speaker": ("speakerId",)},
}


def _from_platform(obj: Mapping[str, Any], platform: str, sentences: list[Any], *, source: str | None,
                   speakers: Mapping[str, str] | None, problems: list[InputProblem]) -> dict[str, Any]:
    """One recording's result as a native call: milliseconds as seconds, each channel or speaker id through
    ``speakers``. The response around the result (status, request id) is not call data and is left out; the
    task id is kept as metadata ``task_id``."""
    keys = _PLATFORM_KEYS[platform]
    holder = _get(obj, "response") if isinstance(_get(obj, "response"), Mapping) else obj
    data = _get(holder, "data") if isinstance(_get(holder, "data"), Mapping) else holder
    task = _get(data, "taskId") or _get(obj, "taskId")
    call_id = obj.get("call_id") or (Path(source).stem if source and not source.startswith("<") else None) or task
    call: dict[str, Any] = {"call_id": call_id, "utterances": []}
    if task is not None:
        call["metadata"] = {"task_id": str(task)}
    unmapped: set[str] = set()
    for index, item in enumerate(sentences):
        if not isinstance(item, Mapping):
            call["utterances"].append(item)
            continue
        ident = next((v for v in (_get(item, k) for k in keys["speaker"]) if v is not None), None)
        speaker = speaker_of(ident, speakers)
        if speaker is ident and str(ident) not in unmapped:
            unmapped.add(str(ident))
            which = "speaker" if _get(item, "speakerId") is not None else "channel"
            problems.append(InputProblem(
                f"utterances[{index}].speaker",
                f"{which} {ident!r} is not a speaker: say which {which} is the agent with speakers={{'0': 'agent', "
                "'1': 'customer'} (csqa score --speakers 0=agent,1=customer)", utterance=index))
        utterance: dict[str, Any] = {"speaker": speaker, "text": _get(item, *keys["text"])}
        for field_name in ("start", "end"):
            value = _get(item, *keys[field_name])
            if value is not None:
                utterance[field_name] = _seconds_of_ms(value)
        call["utterances"].append(utterance)
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


def _path_like(text: str) -> bool:
    """Whether text given as a call is a path: it names a file or folder, or ends like a call file."""
    stripped = text.strip()
    if not stripped or stripped[0] in "{[" or "\n" in stripped or len(stripped) > 4096:
        return False
    if stripped.lower().endswith((*CALL_SUFFIXES, ".xls")):
        return True
    try:
        return os.path.exists(stripped)
    except (OSError, ValueError):
        return False


def _not_a_path(obj: object) -> None:
    """A path given where a call is expected is a usage mistake, said as one (not 'not valid JSON')."""
    if isinstance(obj, os.PathLike) or (isinstance(obj, str) and _path_like(obj)):
        shown = os.fspath(obj) if isinstance(obj, os.PathLike) else obj.strip()
        raise UsageError(f"{shown!r} is a path, not a call: read files with csqa.load_calls({shown!r}) and score them "
                         "with csqa.Scorer().score_many(...); csqa.score takes one call (a dict, JSON text or csqa.Call)")


def parse_call(
    obj: Call | Mapping[str, Any] | str | bytes,
    *,
    source: str | None = None,
    line: int | None = None,
    strict: bool = False,
    speakers: Mapping[str, str] | None = None,
) -> Call:
    """One call from a :class:`Call`, a dict (native, SCA or speech-platform shape) or JSON text.

    Field names are recognised in Chinese and English and fields csqa does not read are kept as metadata
    (:mod:`csqa.input.fields`); with ``strict`` they are rejected. ``speakers`` maps speaker values (channel
    or speaker ids, names) to ``agent`` / ``customer``. Raises :class:`InputError` naming the call,
    utterance index and field of every problem, and :class:`~csqa.errors.UsageError` for a path (read files
    with :func:`load_calls`).
    """
    if isinstance(obj, Call):
        return obj
    if source is None:  # given by a caller, not read from a file (a .jsonl line reading "a.json" is bad input)
        _not_a_path(obj)
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
    problems: list[InputProblem] = []
    platform = None if _is_sca(obj) or "utterances" in obj else _platform_sentences(obj)
    if platform is not None:
        data: Mapping[str, Any] = _from_platform(obj, *platform, source=source, speakers=speakers, problems=problems)
    else:
        data = _from_sca(obj) if _is_sca(obj) else obj
    call_id = data.get("call_id", _get(obj, "tid"))
    normalised, found = normalise_call(data, strict=strict, speakers=speakers)
    problems += found
    call_id = normalised.get("call_id", call_id)
    shown = _shown(call_id) if isinstance(call_id, (str, int)) and not isinstance(call_id, bool) else None
    try:
        call = Call.model_validate(normalised)
    except ValidationError as exc:
        said = {p.field for p in problems}  # a field reported on the way is not reported again by the model
        problems += [p for p in validation_problems(exc) if p.field not in said]
        if not problems:
            problems = [InputProblem("<call>", "invalid call")]
    if problems:
        raise InputError(problems, call_id=shown, source=source, line=line)
    return call


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


def parse_text(
    text: str,
    *,
    call_id: str | None = None,
    source: str | None = None,
    strict: bool = False,
    speakers: Mapping[str, str] | None = None,
) -> Call:
    """One call from plain text, one utterance a line, with optional ``# key: value`` header lines first.

    A line is a speaker, a colon (``:`` or ``：``) and the text, which is kept exactly as it follows the colon
    (less one space): evidence offsets are offsets in it. Around the speaker may stand a name in brackets
    (``坐席（张三）：``, ``客服[李四]:``; kept as metadata ``agent_name`` / ``customer_name``) and a time or
    time range, bracketed or bare, before the speaker (``[00:03] 客户:``, ``00:00:01 坐席：``,
    ``00:00:01-00:00:04 坐席：``) or after it (``坐席 00:00:01：``, ``客服[李四] [00:03-00:06]:``). Times are
    ``hh:mm:ss(.ms)``, ``mm:ss`` or (in brackets) seconds. Headers take any field name csqa recognises
    (``# rings: 2``, ``# 班组: 一组``, ``# date: 2026-12-01 09:30``, ``# events: [...]`` as JSON); others are
    kept as metadata, or rejected with ``strict``.
    """
    header: dict[str, Any] = {}
    utterances: list[dict[str, Any]] = []
    problems: list[InputProblem] = []
    names: dict[str, list[str]] = {"agent": [], "customer": []}
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        head = _HEADER.match(raw)
        if head and not utterances:
            key = head.group("key").strip()
            if key in header:
                problems.append(InputProblem(f"line {number}", f"header {key!r} is given twice"))
            header[key] = head.group("value").strip()
            continue
        match = _TEXT_LINE.match(raw)
        speaker = None if match is None else speaker_of(match.group("speaker").strip(), speakers)
        if isinstance(speaker, str) and speaker not in SPEAKER_ALIASES:
            speaker = speaker.lower()  # Agent:, CUSTOMER:
        if match is None or not isinstance(speaker, str) or speaker not in SPEAKER_ALIASES:
            problems.append(
                InputProblem(
                    f"line {number}",
                    "expected 'speaker: text' with speaker 坐席/座席/客服/agent or 客户/顾客/用户/customer"
                    + (" (or one the speakers map names)" if speakers else ""),
                    utterance=len(utterances),
                )
            )
            continue
        utterance: dict[str, Any] = {"speaker": speaker, "text": match.group("text")}
        stamps = [match.group(g) for g in ("abs", "abe", "as", "ae", "bbs", "bbe", "bs", "be")]
        start, end = next(((stamps[i], stamps[i + 1]) for i in range(0, 8, 2) if stamps[i]), (None, None))
        try:
            if start:
                utterance["start"] = parse_seconds(start)
            if end:
                utterance["end"] = parse_seconds(end)
        except InputError:
            problems.append(InputProblem(f"line {number}", "the timestamp is not [mm:ss] or [hh:mm:ss]",
                                         utterance=len(utterances)))
        name = match.group("name")
        party = SPEAKER_ALIASES[speaker]
        if name and name.strip() not in names[party]:
            names[party].append(name.strip())
        utterances.append(utterance)
    if "events" in header:
        try:
            header["events"] = loads_json(header["events"], source=source)
        except InputError:
            problems.append(InputProblem("events", "the events header is not a JSON list"))
            del header["events"]
    normalised, found = normalise_call(header, strict=strict, speakers=speakers)
    problems += found
    metadata_header = normalised.pop("metadata", None) or {}
    if isinstance(metadata_header, str):  # a `# metadata: {...}` header carries a JSON object
        try:
            metadata_header = loads_json(metadata_header, source=source)
        except InputError:
            metadata_header = None
    if not isinstance(metadata_header, Mapping):
        problems.append(InputProblem("metadata", "the metadata header is not a JSON object"))
        metadata_header = {}
    resolved_id = normalised.pop("call_id", None) or call_id
    if problems:
        raise InputError(problems, call_id=_shown(resolved_id) if isinstance(resolved_id, (str, int)) else None,
                         source=source)
    metadata = dict(metadata_header)
    for party, key in (("agent", "agent_name"), ("customer", "customer_name")):
        if names[party] and key not in metadata:
            metadata[key] = ", ".join(names[party])
    data = {"call_id": resolved_id, **normalised, "utterances": utterances}
    if metadata:
        data["metadata"] = metadata
    return parse_call(data, source=source, strict=strict)


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


def _records(path: Path, options: LoadOptions) -> Iterator[RawCall | CallError]:
    suffix = path.suffix.lower()
    source = str(path)
    strict, speakers = options.strict, tuple(options.speakers.items())
    if suffix in (".jsonl", ".ndjson"):
        for item in _jsonl_lines(path):
            yield item if isinstance(item, CallError) else RawCall(item[0], source, item[1], strict=strict, speakers=speakers)
        return
    if suffix in TABLE_SUFFIXES:
        from csqa.input.tables import read_table

        for found in read_table(path, options):
            yield found if isinstance(found, CallError) else RawCall(found[0], source, found[1], strict=strict,
                                                                     speakers=speakers)
        return
    if suffix == ".xls":
        message = "an Excel 97–2003 workbook (.xls) is not read: save it as .xlsx (or CSV) and score that"
        yield error_record(InputError([InputProblem("<file>", message)], code="E102", source=source))
        return
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".txt":
        yield RawCall(text, source, None, path.stem, strict=strict, speakers=speakers)
        return
    try:
        data = loads_json(text, source=source)
    except InputError as exc:
        yield error_record(exc)
        return
    if isinstance(data, Mapping) and isinstance(_get(data, "tickets"), list):
        data = _get(data, "tickets")
    for item in data if isinstance(data, list) else [data]:
        yield RawCall(item, source, strict=strict, speakers=speakers)


def input_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The files that :func:`iter_raw` reads for ``paths``: files as given, folders' call files in path order."""
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in CALL_SUFFIXES and not p.name.startswith((".", "~$")))
            yield from found
        else:
            yield path


@dataclass(frozen=True, slots=True)
class RawCall:
    """One call as read from a file, not yet parsed: what a worker process parses and scores.

    ``payload`` is a JSON line, a decoded JSON value, the text of a ``.txt`` call, or a :class:`Call` already
    read from a table's rows. ``strict`` and ``speakers`` are the load's options (see :class:`LoadOptions`).
    """

    payload: Any
    source: str
    line: int | None = None
    text_id: str | None = None
    strict: bool = False
    speakers: tuple[tuple[str, str], ...] = ()

    def parse(self) -> Call:
        """The validated call; raises :class:`InputError` naming source, line and field."""
        speakers = dict(self.speakers) or None
        if self.text_id is not None:
            return parse_text(self.payload, call_id=self.text_id, source=self.source, strict=self.strict,
                              speakers=speakers)
        return parse_call(self.payload, source=self.source, line=self.line, strict=self.strict, speakers=speakers)


PathsArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


def _options(options: LoadOptions | None, **given: Any) -> LoadOptions:
    if options is not None and any(v for v in given.values()):
        raise UsageError("give either options= or the loading keywords (strict, speakers, column_map, …), not both")
    if options is not None:
        return options
    return LoadOptions(
        strict=bool(given.get("strict")),
        speakers=dict(given.get("speakers") or {}),
        column_map=dict(given.get("column_map") or {}),
        drop_columns=tuple(given.get("drop_columns") or ()),
        encoding=given.get("encoding"),
        sheet=given.get("sheet"),
    )


def iter_raw(
    *paths: PathsArg,
    strict: bool = False,
    speakers: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
    drop_columns: Iterable[str] = (),
    encoding: str | None = None,
    sheet: str | None = None,
    options: LoadOptions | None = None,
) -> Iterator[RawCall | CallError]:
    """Unparsed calls from files and folders, lazily, in order; an unreadable file yields an error record.
    The keywords are those of :func:`load_calls` (or one :class:`LoadOptions`)."""
    opts = _options(options, strict=strict, speakers=speakers, column_map=column_map, drop_columns=tuple(drop_columns),
                    encoding=encoding, sheet=sheet)
    flat: list[str | os.PathLike[str]] = []
    for entry in paths:
        if isinstance(entry, (str, os.PathLike)):
            flat.append(entry)
        else:
            flat.extend(entry)
    for path in input_files(flat):
        try:
            yield from _records(path, opts)
        except (OSError, UnicodeDecodeError) as exc:
            yield error_record(InputError([InputProblem("<file>", f"cannot read: {exc}")], code="E102", source=str(path)))


def _is_frame(obj: object) -> bool:
    """A pandas DataFrame, told without importing pandas (an optional extra)."""
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "itertuples") and hasattr(obj, "columns")


def load_calls(
    *paths: PathsArg | Any,
    errors: ErrorMode = "record",
    strict: bool = False,
    speakers: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
    drop_columns: Iterable[str] = (),
    encoding: str | None = None,
    sheet: str | None = None,
) -> Iterator[Call | CallError]:
    """Calls from files and folders, lazily, in order (folders sorted by path), or from a pandas DataFrame of
    utterances (:func:`csqa.input.tables.calls_from_frame`).

    A bad call yields a :class:`CallError` (or raises :class:`InputError` with ``errors="raise"``); a
    missing file yields one error record for that file. ``strict`` rejects fields csqa does not know instead
    of keeping them as the call's metadata; ``speakers`` maps speaker values (``{"0": "agent", "1":
    "customer"}``: channel or speaker ids, names) to the two parties. For CSV and Excel tables:
    ``column_map`` says which column holds a field (``{"text": "识别内容", "queue": "技能组名称"}``; a name
    that is not a field is a metadata key), ``drop_columns`` names columns to leave out, ``encoding`` is a
    CSV file's (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030 are detected) and ``sheet`` an Excel
    workbook's sheet (the first by default).
    """
    options = _options(None, strict=strict, speakers=speakers, column_map=column_map, drop_columns=tuple(drop_columns),
                       encoding=encoding, sheet=sheet)
    if len(paths) == 1 and _is_frame(paths[0]):
        from csqa.input.tables import calls_from_frame

        items: Iterator[RawCall | CallError] = (
            item if isinstance(item, CallError) else RawCall(item, "<DataFrame>")
            for item in calls_from_frame(paths[0], options=options))
    else:
        items = iter_raw(*paths, options=options)
    for raw in items:
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
