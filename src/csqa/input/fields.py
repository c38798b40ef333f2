"""What the fields of an export are called, and what their values look like.

Exports name a call's fields in many ways (``录音编号``, ``通话ID``, ``callId``; ``班组``, ``team``, ``group``;
``日期``, ``通话时间``, ``start_time``) and write times in several forms. This module is the one place that knows
them, for every loader: JSON and JSON Lines, text headers (``# 班组: 一组``), the SCA and speech-platform
shapes, CSV and Excel tables and DataFrames (:mod:`csqa.input.tables`).

**Names.** A field name is compared without case, spaces, ``_``, ``-``, ``.`` and ``/`` (``Call ID``,
``call-id`` and ``callId`` are ``call_id``). :data:`CALL_NAMES` maps the names of every call field (and
:data:`META_NAMES` those of the metadata keys ``queue`` and ``channel``); :data:`UTTERANCE_NAMES` those of an
utterance's fields, for the columns of a table and the keys of a JSON utterance.

**Unknown fields.** A call-level field that has no known name is kept in the call's ``metadata`` under its own
name (a list or object as JSON text), never dropped and never fatal; with ``strict=True`` it is an error. But
a name that looks like a misspelling of a field csqa reads (``hangup_bi``, ``ring``, ``directon``) is an error
in both modes, saying which field it resembles: kept as metadata, a misspelt ``hangup_by`` would silently turn
``customer-hangs-up-first`` from ``fail`` into ``not_assessable``. To keep such a field as metadata anyway, put
it under ``"metadata"`` in JSON, or map it to ``metadata.<name>`` in a table's column map. An unknown field of
an utterance (a confidence, an emotion score) has no place in the call: it is left out and its name listed in
the call's metadata under ``ignored_utterance_fields`` (strict mode: an error). An utterance time whose unit
cannot be known (``begin``, ``start_time``, ``bg`` in JSON: seconds or milliseconds?) is an error naming the
two names that say it: ``start``/``end`` (seconds) or ``start_ms``/``end_ms``.

**Values.** :func:`parse_datetime` reads ISO 8601 and the forms exports write (``2026-12-01 09:30:00``,
``2026/12/01 09:30``, ``2026年12月1日 9:30``, an Excel date cell or serial number); :func:`parse_seconds` reads
seconds, ``hh:mm:ss(.ms)`` and ``mm:ss``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from csqa.errors import InputError, InputProblem, closest

__all__ = [
    "CALL_FIELDS",
    "CALL_NAMES",
    "IGNORED_UTTERANCE_FIELDS",
    "META_NAMES",
    "UTTERANCE_NAMES",
    "name_key",
    "normalise_call",
    "parse_datetime",
    "parse_seconds",
    "speaker_of",
]

CALL_FIELDS = ("call_id", "direction", "agent_id", "rings", "ring_seconds", "hangup_by", "started_at", "team",
               "events", "utterances", "metadata")
"""The fields of :class:`~csqa.input.model.Call`."""

IGNORED_UTTERANCE_FIELDS = "ignored_utterance_fields"
"""The metadata key that lists the unknown utterance fields (or table columns whose values differ between a
call's rows) that a lenient load left out."""


def name_key(name: str) -> str:
    """A field name as it is compared: without case, spaces, ``_ - . /`` or full-width spaces."""
    return re.sub(r"[\s_\-./\u3000]", "", name).casefold()


def _table(names: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for field, aliases in names.items():
        for alias in (field, *aliases):
            table[name_key(alias)] = field
    return table


CALL_NAMES: dict[str, str] = _table({
    "call_id": ("callid", "tid", "通话ID", "通话编号", "通话流水号", "录音编号", "录音ID", "录音流水号", "流水号", "呼叫ID",
                "呼叫编号", "会话ID", "recording_id", "record_id", "session_id", "conversation_id", "contact_id"),
    "direction": ("call_direction", "呼叫方向", "通话方向", "呼叫类型", "通话类型", "方向"),
    "agent_id": ("agent_no", "agent_code", "staff_id", "employee_id", "坐席工号", "座席工号", "客服工号", "工号", "坐席ID",
                 "座席ID", "客服ID", "坐席编号", "员工工号"),
    "rings": ("ring_count", "振铃次数", "响铃次数", "响铃声数"),
    "ring_seconds": ("ring_duration", "ring_time", "振铃时长", "响铃时长", "振铃时间"),
    "hangup_by": ("hangup", "hangup_party", "hangup_side", "hang_up_by", "挂机方", "挂断方", "挂机方向"),
    "started_at": ("start_time", "date", "datetime", "call_time", "call_date", "call_start", "call_start_time",
                   "日期", "通话时间", "通话开始时间", "开始通话时间", "通话日期", "呼叫时间", "来电时间", "接通时间"),
    "team": ("team_name", "group", "group_name", "班组", "班组名称", "所属班组", "团队", "组别", "小组", "坐席组", "座席组"),
    "events": (),
    "utterances": (),
    "metadata": (),
})
"""Call field names: every name csqa recognises (as :func:`name_key` gives it) → the field."""

META_NAMES: dict[str, str] = _table({
    "queue": ("skill_group", "skill", "技能组", "队列", "技能队列"),
    "channel": ("渠道", "来源渠道", "接入渠道"),
    # Common export fields that are not misspellings of call fields, though some look alike (caller_id and
    # call_id, agent and agent_id): kept as metadata under their own names, never taken for a misspelling.
    "caller_id": ("caller", "calling_number", "ani", "主叫号码", "主叫"),
    "callee_id": ("callee", "called_number", "dnis", "被叫号码", "被叫"),
    "agent_name": ("agent", "坐席", "坐席姓名", "座席姓名", "客服姓名", "坐席名称"),
    "customer_name": ("客户姓名", "客户名称"),
    "end_time": ("call_end", "结束时间", "通话结束时间", "挂机时间"),
    "duration": ("通话时长", "call_duration", "时长"),
})
"""Metadata names: recognised names → the metadata key they are kept under."""

_META_CANONICAL = frozenset(META_NAMES.values())

UTTERANCE_NAMES: dict[str, str] = _table({
    "speaker": ("role", "角色", "说话人", "说话方", "发言人", "发言方", "speaker_role", "身份", "角色名称"),
    "text": ("content", "words", "sentence", "utterance", "transcript", "内容", "文本", "通话内容", "对话内容", "话术",
             "识别文本", "识别结果", "识别内容", "语句", "句子", "final_sentence", "onebest"),
    "start_ms": ("begin_ms", "start_time_ms", "begin_time_ms", "startms"),
    "end_ms": ("end_time_ms", "endms"),
    "seq": ("序号", "顺序", "句序号", "sentence_index", "index"),
})
"""Utterance field names (a table's columns, a JSON utterance's keys) → the field; ``start_ms`` and
``end_ms`` are ``start`` and ``end`` in milliseconds."""

UTTERANCE_TIMES: dict[str, str] = _table({
    "start": ("begin", "start_time", "begin_time", "开始时间", "起始时间", "开始"),
    "end": ("end_time", "结束时间", "终止时间", "结束"),
})
"""Names of utterance times. In a table they are seconds (or ``hh:mm:ss``); in JSON only ``start``/``end``
are (seconds, as MANUAL.md says): the others do not say their unit and are an error there."""

CALL_CUTOFF = 0.85
"""How alike a call field's or column's name must be to a known one to be taken for its misspelling
(difflib's ratio, compared without case, spaces and ``_``): ``hangup_bi`` (0.88), ``ring`` (0.89) and ``teams``
(0.89) are; ``team_id`` (0.80), ``agent`` (0.83) and ``caller_id`` (0.86, but a known metadata name) are not.
Utterance keys, which have fewer harmless look-alikes, use 0.8 (``strat`` for ``start``)."""

_TIME_UNIT = re.compile(r"^(?P<name>.*?)\s*[(（\[【]\s*(?P<unit>s|sec|秒|ms|毫秒)\s*[)）\]】]$", re.IGNORECASE)

_MISSPELLABLE_CALL = {name: field for name, field in CALL_NAMES.items() if name.isascii()}
_MISSPELLABLE_UTTERANCE = {name: field for name, field in {**UTTERANCE_NAMES, **UTTERANCE_TIMES}.items()
                           if name.isascii()}


def misspelling(name: str, names: Mapping[str, str], *, cutoff: float = 0.8) -> str | None:
    """The field that ``name`` (not itself a known name) most likely misspells, or ``None``."""
    key = name_key(name)
    if not key or key in names or key in META_NAMES:
        return None
    found = closest(key, names, cutoff=cutoff)
    return None if found is None else names[found]


def column_target(header: str) -> str | None:
    """What a table column holds, from its header alone: an utterance field (``speaker``, ``text``, ``start``,
    ``end``, ``start_ms``, ``end_ms``, ``seq``), a call field, ``metadata.<key>`` for a recognised metadata
    name, or ``None`` when the name is not known. A unit in brackets after a time's name (``开始时间(ms)``,
    ``begin (s)``) says seconds or milliseconds."""
    unit = _TIME_UNIT.match(header)
    key = name_key(unit.group("name") if unit else header)
    if key in UTTERANCE_TIMES:
        field = UTTERANCE_TIMES[key]
        return f"{field}_ms" if unit and unit.group("unit").lower() in ("ms", "毫秒") else field
    if key in UTTERANCE_NAMES:
        return UTTERANCE_NAMES[key]
    if key in CALL_NAMES and CALL_NAMES[key] not in ("utterances", "events"):
        return CALL_NAMES[key]
    if key in META_NAMES:
        return "metadata." + META_NAMES[key]
    return None


# ----------------------------------------------------------------------------------------------- values


def meta_value(value: Any) -> Any:
    """A value as metadata holds it: JSON's scalars as they are (NaN as null), dates and times as ISO 8601
    text, lists and objects as JSON text. Anything else raises :func:`bad_value`'s error."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (list, tuple, dict)):
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError, RecursionError):
            raise bad_value("a list or object that is not JSON (nested too deeply, or holding other kinds of "
                            "values)") from None
    raise bad_value(f"a {type(value).__name__} is not a value metadata holds (text, a number, true or false, a date)")


def _meta(key: str, value: Any, problems: list[InputProblem]) -> Any:
    try:
        return meta_value(value)
    except InputError as exc:
        problems.append(InputProblem(key, value_problem(exc)))
        return None


_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*日\s*)(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})\s*(?:[:：分]\s*(?P<S>\d{1,2})(?:[.,](?P<f>\d{1,6}))?\s*秒?)?分?)?$"
)
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_SERIALS = (20_000, 80_000)  # 1954-10-03 to 2119-01-10: an Excel serial date, not an epoch time


def bad_value(message: str) -> InputError:
    """The error :func:`parse_datetime` and :func:`parse_seconds` raise: one problem whose message the caller
    reports under the field or cell the value came from (see :func:`value_problem`)."""
    return InputError([InputProblem("<value>", message)])


def value_problem(exc: InputError) -> str:
    """The message of an error raised by :func:`bad_value`."""
    return exc.problems[0].message if exc.problems else str(exc)


def parse_datetime(value: Any) -> datetime:
    """When a call began, from what an export wrote; raises :func:`bad_value`'s error saying which forms are read.

    ISO 8601 (with a time zone when it has one), ``2026-12-01 09:30:00``, ``2026/12/01 09:30``, ``2026.12.01``,
    ``2026年12月1日 9时30分``, a date alone (midnight), a ``datetime`` or ``date`` (an Excel date cell), and an
    Excel serial day number (20000 to 80000: 1954 to 2119). A Unix time is not read: its time zone is not
    known, and the day a call is counted in depends on it.
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _EXCEL_SERIALS[0] <= value < _EXCEL_SERIALS[1]:
            return _EXCEL_EPOCH + timedelta(days=float(value))
        raise bad_value(f"{value!r} is a number, not a date and time (an Excel serial date is 20000–80000; "
                         "a Unix time is not read: write the date, e.g. 2026-12-01 09:30:00)")
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            pass
        found = _DATE.match(text)
        if found is not None:
            parts = found.groupdict()
            try:
                return datetime(int(parts["y"]), int(parts["m"]), int(parts["d"]), int(parts["H"] or 0),
                                int(parts["M"] or 0), int(parts["S"] or 0), int((parts["f"] or "0").ljust(6, "0")))
            except ValueError as exc:
                raise bad_value(f"{value!r} is not a valid date and time: {exc}") from None
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:60] + "…"
    raise bad_value(f"{shown} is not a date and time; write ISO 8601 (2026-12-01T09:30:00), 2026-12-01 09:30:00 "
                     "or 2026/12/01 09:30")


_CLOCK = re.compile(r"^(?:(?P<h>\d{1,3}):)?(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:[.,]\d+)?)$")


def parse_seconds(value: Any, *, milliseconds: bool = False) -> float:
    """An utterance time in seconds from what a table or transcript wrote: a number (seconds, or milliseconds
    with ``milliseconds=True``), ``hh:mm:ss(.ms)``, ``mm:ss``, ``hh:mm:ss,mmm``, or a time or duration cell.
    Raises :func:`bad_value` for anything else, and for a date and time, which is when a call began, not a
    time within it."""
    if isinstance(value, bool):
        raise bad_value(f"{value!r} is not a time")
    if isinstance(value, (int, float)):
        seconds = float(value) / (1000 if milliseconds else 1)
    elif isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, datetime):
        raise bad_value(f"{value.isoformat(sep=' ')} is a date and time, not seconds from the answer "
                         "(is this column when the call began? name it started_at)")
    elif isinstance(value, time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    elif isinstance(value, str):
        text = value.strip()
        clock = _CLOCK.match(text)
        if clock is not None:
            seconds = int(clock.group("h") or 0) * 3600 + int(clock.group("m")) * 60 + float(
                clock.group("s").replace(",", "."))
        else:
            try:
                seconds = float(text) / (1000 if milliseconds else 1)
            except ValueError:
                try:
                    parse_datetime(text)
                except InputError:
                    pass
                else:
                    raise bad_value(f"{text!r} is a date and time, not seconds from the answer "
                                     "(is this column when the call began? name it started_at)") from None
                shown = repr(value) if len(value) <= 40 else repr(value[:40]) + "…"
                raise bad_value(f"{shown} is not a time; write seconds (3.5), mm:ss or hh:mm:ss(.ms)") from None
    else:
        raise bad_value(f"{value!r} is not a time")
    if not math.isfinite(seconds) or seconds < 0:
        raise bad_value(f"{value!r} is not a time from the answer (it must be a finite number ≥ 0)")
    return seconds


def speaker_of(value: Any, speakers: Mapping[str, str] | None) -> Any:
    """A speaker value through the caller's ``speakers`` map (``{"0": "agent", "张三": "agent"}``: channel or
    speaker ids, names), compared as text; values it does not name are passed on for the model's aliases."""
    if speakers and isinstance(value, (str, int)) and not isinstance(value, bool):
        found = speakers.get(str(value).strip())
        if found is not None:
            return found
    return value


def _integer(value: Any) -> Any:
    """A whole number from text or a float (``"2"``, ``2.0`` from a spreadsheet); anything else as it is,
    for validation to report with its field."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,9}(?:\.0*)?\s*", value):
        return int(float(value))
    return value


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _identifier(value: Any) -> Any:
    """An id as text: a spreadsheet's ``1017.0`` is ``"1017"``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool) and -(10**100) < value < 10**100:
        return str(value)
    return value


def call_value(field: str, value: Any, problems: list[InputProblem], shown: str) -> Any:
    """A call field's value as the model takes it; a value that cannot be read is reported under ``shown``
    (the field, with the name the export gave it)."""
    if field == "started_at" and value is not None:
        try:
            return parse_datetime(value)
        except InputError as exc:
            problems.append(InputProblem(shown, value_problem(exc)))
            return None
    if field == "rings":
        return _integer(value)
    if field == "ring_seconds":
        return _number(value)
    if field in ("call_id", "agent_id", "team"):
        return _identifier(value)
    return value


def _shown(name: str, field: str) -> str:
    return field if name == field else f"{field} ({name})"


def normalise_utterance(
    item: Any, index: int, *, strict: bool, speakers: Mapping[str, str] | None,
    problems: list[InputProblem], ignored: set[str],
) -> Any:
    """One JSON utterance with its keys recognised (``role`` → ``speaker``, ``内容`` → ``text``,
    ``start_ms`` → ``start`` in seconds); see the module documentation for unknown keys."""
    if not isinstance(item, Mapping):
        return item
    out: dict[str, Any] = {}
    for key, value in item.items():
        if not isinstance(key, str):
            out[key] = value
            continue
        if key in ("speaker", "text", "start", "end"):
            field = key
        else:
            nk = name_key(key)
            field = UTTERANCE_NAMES.get(nk) or ""
            if not field and nk in UTTERANCE_TIMES and nk not in ("start", "end"):
                problems.append(InputProblem(
                    f"utterances[{index}].{key}",
                    "a time without a unit: name it start / end (seconds) or start_ms / end_ms (milliseconds)",
                    utterance=index))
                continue
            if field == "seq":
                field = ""
        if field in ("start_ms", "end_ms"):
            if value is not None:
                try:
                    out[field[:-3]] = parse_seconds(value, milliseconds=True)
                except InputError as exc:
                    problems.append(InputProblem(f"utterances[{index}].{key}", value_problem(exc), utterance=index))
            continue
        if field:
            if field in out:
                problems.append(InputProblem(f"utterances[{index}].{key}", f"{field} is given twice", utterance=index))
                continue
            out[field] = speaker_of(value, speakers) if field == "speaker" else value
            continue
        typo = misspelling(key, _MISSPELLABLE_UTTERANCE)
        if typo is not None:
            problems.append(InputProblem(f"utterances[{index}].{key}",
                                         f"unknown field; did you mean {typo!r}?", utterance=index))
        elif strict:
            out[key] = value  # the model rejects it: "unknown field"
        else:
            ignored.add(key)
    for field in ("start", "end"):  # "00:01:02" in a JSON utterance, as in a table
        if isinstance(out.get(field), str) and ":" in out[field]:
            try:
                out[field] = parse_seconds(out[field])
            except InputError as exc:
                problems.append(InputProblem(f"utterances[{index}].{field}", value_problem(exc), utterance=index))
                del out[field]
    return out


def normalise_call(
    data: Mapping[str, Any], *, strict: bool = False, speakers: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], list[InputProblem]]:
    """A call object with its field names recognised and unknown fields kept as metadata (or, with
    ``strict``, left for the model to reject); the problems found on the way (a misspelt field, a date that
    cannot be read, a field given twice under two names). See the module documentation."""
    problems: list[InputProblem] = []
    out: dict[str, Any] = {}
    named: dict[str, str] = {}
    metadata: dict[str, Any] = {}
    explicit = data.get("metadata")
    for key, value in data.items():
        if not isinstance(key, str):
            problems.append(InputProblem(repr(key), "a field name must be text"))
            continue
        if key == "metadata":
            continue
        nk = name_key(key)
        field = key if key in CALL_FIELDS else CALL_NAMES.get(nk)
        if field is not None:
            if field in named:
                problems.append(InputProblem(_shown(key, field), f"given twice: as {named[field]!r} and as {key!r}"))
                continue
            named[field] = key
            out[field] = call_value(field, value, problems, _shown(key, field))
            continue
        meta = META_NAMES.get(nk)
        if meta is not None:
            if meta in metadata:
                problems.append(InputProblem(key, f"metadata {meta!r} is given twice"))
            metadata[meta] = _meta(key, value, problems)
            continue
        typo = misspelling(key, _MISSPELLABLE_CALL, cutoff=CALL_CUTOFF)
        if typo is not None:
            problems.append(InputProblem(key, f"unknown field; did you mean {typo!r}? (to keep it as metadata, put it "
                                              "under \"metadata\")"))
        elif strict:
            out[key] = value  # the model rejects it: "unknown field"
        else:
            metadata[key] = _meta(key, value, problems)
    if explicit is not None:
        if isinstance(explicit, Mapping):
            for key, value in explicit.items():
                if key in metadata and metadata[key] != value:
                    problems.append(InputProblem(f"metadata.{key}", "given twice, with different values"))
                metadata[key] = value
        else:
            out["metadata"] = explicit  # the model says what is wrong with it
    utterances = out.get("utterances")
    ignored: set[str] = set()
    if isinstance(utterances, (list, tuple)):
        out["utterances"] = [
            normalise_utterance(u, i, strict=strict, speakers=speakers, problems=problems, ignored=ignored)
            for i, u in enumerate(utterances)
        ]
    if ignored:
        metadata[IGNORED_UTTERANCE_FIELDS] = ", ".join(sorted(ignored))
    if metadata and "metadata" not in out:
        out["metadata"] = metadata
    return out, problems


def merge_ignored(metadata: dict[str, Any], names: Iterable[str]) -> None:
    """Add ``names`` to the ``ignored_utterance_fields`` entry of ``metadata``."""
    found = set(filter(None, str(metadata.get(IGNORED_UTTERANCE_FIELDS) or "").split(", "))) | set(names)
    if found:
        metadata[IGNORED_UTTERANCE_FIELDS] = ", ".join(sorted(found))
