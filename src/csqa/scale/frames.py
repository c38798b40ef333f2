"""Scoring tables of calls: pandas DataFrames (or Arrow tables) in, DataFrames of reports out.

This is the batch API that Spark (:mod:`csqa.scale.spark`), Dask (:mod:`csqa.scale.dask`) and ``csqa lake`` call. It
takes calls in one of three layouts and returns, for every input call, the report or the error record that
:meth:`csqa.Scorer.score_many` gives for the same call, as rows of fixed Arrow schemas:

* :data:`CALLS_SCHEMA`, one row per input call: the report's fields, or ``error`` true and the error
  record's fields;
* :data:`CHECKS_SCHEMA`, one row per check of every scored call, with its evidence as a list;
* :data:`REPORTS_SCHEMA`, the two in one: a call row with its checks nested. It is what the engines pass
  around (one pass of scoring gives both tables) and it converts back to the very :class:`~csqa.Report` and
  :class:`~csqa.CallError` objects (:func:`to_results`).

Input layouts (the schemas say the types; another integer or float width does too):

``"call"`` (:data:`CALL_INPUT_SCHEMA`), one row per call
    ``call_id`` and ``utterances`` (a list of ``{speaker, text, start, end}`` structs), and optionally
    ``direction``, ``agent_id``, ``rings``, ``ring_seconds``, ``hangup_by`` and ``events`` (a list of
    ``{type, start, end}``). ``utterances`` and ``events`` may instead be strings, read as JSON text.
``"utterance"`` (:data:`UTTERANCE_INPUT_SCHEMA`), one row per utterance
    ``call_id``, ``speaker``, ``text``, optionally ``start``, ``end``, and ``seq`` (the utterance's place in
    its call; without it, rows keep the frame's order); the call's own fields as in ``"call"``, repeated on
    its rows (a field whose non-null values differ between the rows makes the call an error record). A row
    whose four utterance columns are all null adds no utterance, so a call with no utterances is one row.
``"raw"`` (:data:`RAW_INPUT_SCHEMA`), one row per call as it was read from a file
    ``json``, the call as JSON text exactly as in a ``.jsonl`` line (native, SCA or annotated), or for a
    plain-text call ``text`` and ``text_id`` (the id a ``.txt`` file's name gives). ``csqa lake import``
    writes this layout, and for what it could not read (a line that is not UTF-8, a ``.json`` file that is not
    JSON, an unreadable file) a row of ``error_code``, ``error_message`` and ``problems``: the error record
    ``csqa score`` gives, which scoring passes on as it is.

Every layout may have ``source`` and ``line`` columns: where the call came from. They are put in the error
record, as the file loaders do, so a row made from line 7 of ``calls.jsonl`` gives exactly the record that
``csqa score calls.jsonl`` gives for it, and they are carried on the call's rows of the output.

The call and utterance layouts also read ``started_at`` (ISO 8601 text or a timestamp), ``team`` and
``metadata`` (a JSON object as text), and every other column as a metadata key of the call (in the
utterance layout: a column whose values differ between a call's rows is utterance-level data csqa does not
read, and is named under ``ignored_utterance_fields``). A column that looks like a misspelt column of the
layout (``hangup_bi``) is an error, since as metadata it would silently make a rule ``not_assessable``;
``extra_columns="error"`` makes every other column an error and ``"ignore"`` leaves them out.

Nulls: a null cell is an absent field (Parquet and pandas cannot say "absent" otherwise), and a float NaN is a
null (pandas cannot tell them apart). So a null ``text`` is reported as ``Field required``, as a JSON object
without ``text`` is. In a ``rings`` column of pandas float type (how pandas holds integers with gaps),
whole numbers are integers (likewise ``line`` and ``seq``). Strings read as JSON keep JSON's own nulls.

Scorers are expensive to build (the tokenizer's dictionary: about a second), so they are cached, once per
process, keyed by a digest of the rule file's content and the scorer options (:class:`ScorerSpec`). This
cache, of at most four scorers, is the module's only state; :func:`scorer_cache_info` shows it and
:func:`clear_scorer_cache` empties it.

Needs pandas and pyarrow (``pip install 'csqa[pandas]'``).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeAlias

try:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("csqa.scale.frames needs pandas and pyarrow: pip install 'csqa[pandas]'") from exc

from csqa.checks.rulefile import RuleSet, load_rules
from csqa.errors import InputError, InputProblem, UsageError, closest
from csqa.input.fields import CALL_CUTOFF, IGNORED_UTTERANCE_FIELDS, META_NAMES, meta_value, name_key
from csqa.input.loaders import RawCall, error_record, loads_json
from csqa.input.model import CallError
from csqa.outputs.i18n import Lang, check_lang
from csqa.outputs.report import Report
from csqa.scoring.scorer import Scorer
from csqa.version import __version__

if TYPE_CHECKING:
    from csqa.text.tokenizer import Backend

__all__ = [
    "CALLS_SCHEMA",
    "CALL_INPUT_SCHEMA",
    "CHECKS_SCHEMA",
    "LAYOUTS",
    "RAW_INPUT_SCHEMA",
    "REPORTS_SCHEMA",
    "UTTERANCE_INPUT_SCHEMA",
    "ColumnsError",
    "Frames",
    "Layout",
    "ScorerSpec",
    "clear_scorer_cache",
    "input_columns",
    "iter_score_frames",
    "iter_score_reports",
    "parquet_files",
    "results_from_frames",
    "results_to_frames",
    "score_frame",
    "score_reports",
    "scorer_cache_info",
    "scorer_spec",
    "split_reports",
    "to_results",
]

Layout = Literal["call", "utterance", "raw"]
LAYOUTS: tuple[str, ...] = ("call", "utterance", "raw")
ExtraColumns = Literal["metadata", "error", "ignore"]

# ----------------------------------------------------------------------------------------------- schemas

_UTTERANCE = pa.struct([("speaker", pa.string()), ("text", pa.string()), ("start", pa.float64()), ("end", pa.float64())])
_EVENT = pa.struct([("type", pa.string()), ("start", pa.float64()), ("end", pa.float64())])
_EVIDENCE = pa.struct([
    ("utterance", pa.int32()),
    ("start", pa.int32()),
    ("end", pa.int32()),
    ("quote", pa.string()),
    ("field", pa.string()),
    ("note", pa.string()),
    ("suggestion", pa.string()),
    ("how", pa.string()),
])
_CHECK_FIELDS = [
    ("rule", pa.string()),
    ("code", pa.string()),
    ("status", pa.string()),
    ("severity", pa.string()),
    ("weight", pa.float64()),
    ("message", pa.string()),
    ("suggestion", pa.string()),
    ("evidence", pa.list_(_EVIDENCE)),
    ("how", pa.string()),
    ("confidence", pa.float64()),
    ("review", pa.bool_()),
]
_CHECK = pa.struct(_CHECK_FIELDS)

CALLS_SCHEMA = pa.schema([
    ("call_id", pa.string()),
    ("agent_id", pa.string()),
    ("direction", pa.string()),
    ("started_at", pa.string()),
    ("team", pa.string()),
    ("metadata", pa.string()),
    ("score", pa.float64()),
    ("passed", pa.bool_()),
    ("unscored", pa.string()),
    ("pass_mark", pa.float64()),
    ("vetoed", pa.list_(pa.string())),
    ("scorecard", pa.string()),
    ("fails", pa.int32()),
    ("utterances", pa.list_(_UTTERANCE)),
    ("error", pa.bool_()),
    ("error_code", pa.string()),
    ("error_message", pa.string()),
    ("problems", pa.list_(pa.string())),
    ("source", pa.string()),
    ("line", pa.int64()),
])
"""One row per input call. For a report: its fields (``fails`` counts its failed checks; ``utterances`` is
empty without the transcript), ``error`` false and the error columns null. For an error record: ``error``
true, ``call_id`` (when it could be read), ``error_code``, ``error_message``, ``problems``, and the report
columns null. ``started_at`` is the call's start as ISO 8601 text, as it came in (a time zone only when it had
one); ``metadata`` is the call's metadata as a JSON object. ``source`` and ``line`` are where the call came
from (the input's columns of those names, null without them); an error record's are its own."""

CHECKS_SCHEMA = pa.schema([
    ("call_id", pa.string()),
    ("agent_id", pa.string()),
    ("direction", pa.string()),
    ("source", pa.string()),
    ("line", pa.int64()),
    ("check_index", pa.int32()),
    *_CHECK_FIELDS,
])
"""One row per check of every scored call (error records have none), in the call's order and then the rule
file's: ``check_index`` is the check's place in ``Report.checks``. ``call_id`` (with ``source`` and
``line`` when the input had them) joins it to its call row."""

REPORTS_SCHEMA = pa.schema([*CALLS_SCHEMA, pa.field("checks", pa.list_(_CHECK))])
""":data:`CALLS_SCHEMA` with each call's checks nested: lossless, one pass of scoring gives both tables."""

_CALL_COLUMNS = [
    ("direction", pa.string()),
    ("agent_id", pa.string()),
    ("rings", pa.int64()),
    ("ring_seconds", pa.float64()),
    ("hangup_by", pa.string()),
    ("started_at", pa.string()),
    ("team", pa.string()),
    ("metadata", pa.string()),
]
_PROVENANCE = [("source", pa.string()), ("line", pa.int64())]

CALL_INPUT_SCHEMA = pa.schema([
    ("call_id", pa.string()),
    *_CALL_COLUMNS,
    ("utterances", pa.list_(_UTTERANCE)),
    ("events", pa.list_(_EVENT)),
    *_PROVENANCE,
])
UTTERANCE_INPUT_SCHEMA = pa.schema([
    ("call_id", pa.string()),
    ("seq", pa.int32()),
    ("speaker", pa.string()),
    ("text", pa.string()),
    ("start", pa.float64()),
    ("end", pa.float64()),
    *_CALL_COLUMNS,
    ("events", pa.list_(_EVENT)),
    *_PROVENANCE,
])
RAW_INPUT_SCHEMA = pa.schema([
    ("json", pa.string()),
    ("text", pa.string()),
    ("text_id", pa.string()),
    ("error_code", pa.string()),
    ("error_message", pa.string()),
    ("problems", pa.list_(pa.string())),
    *_PROVENANCE,
])

_INPUT_SCHEMAS = {"call": CALL_INPUT_SCHEMA, "utterance": UTTERANCE_INPUT_SCHEMA, "raw": RAW_INPUT_SCHEMA}
_REQUIRED = {"call": ("call_id", "utterances"), "utterance": ("call_id", "speaker", "text"), "raw": ()}
_CALL_FIELDS = ("call_id", "direction", "agent_id", "rings", "ring_seconds", "hangup_by", "started_at", "team", "metadata",
                "utterances", "events")
_CALL_LEVEL = ("direction", "agent_id", "rings", "ring_seconds", "hangup_by", "started_at", "team", "metadata", "events")
_NOT_METADATA = frozenset({"source", "line", "seq", "speaker", "text", "start", "end", "call_id", "utterances",
                           *_CALL_LEVEL})
_UTTERANCE_FIELDS = ("speaker", "text", "start", "end")
_REPORT_FIELDS = ("call_id", "agent_id", "direction", "started_at", "team", "metadata", "score", "passed", "unscored",
                  "pass_mark", "vetoed", "scorecard", "checks", "utterances")
POS = "_pos"
"""The column engines add to carry each input row's place, so that their output is in input order."""
ROWS = "_rows"
"""The column of a call's utterance rows, once an engine has grouped the utterance layout by ``call_id``."""


class ColumnsError(UsageError):
    """A frame's columns do not fit its layout (or the layout is not one): a usage error, raised before scoring."""

    code = "E402"


def input_columns(layout: Layout) -> tuple[str, ...]:
    """The columns a layout reads (see the module documentation)."""
    return tuple(_INPUT_SCHEMAS[_layout(layout)].names)


def _layout(layout: str) -> Layout:
    if layout not in LAYOUTS:
        raise ColumnsError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    return layout  # type: ignore[return-value]


def check_columns(columns: Sequence[str], layout: Layout, extra_columns: ExtraColumns = "metadata") -> list[str]:
    """The input columns that ``layout`` reads, in order; raises :class:`ColumnsError` (a :class:`ValueError`)
    for a missing required column, a duplicate, a column that looks like a misspelt column of the layout
    (``hangup_bi``: kept as metadata, it would silently make a rule ``not_assessable``), or (with
    ``extra_columns="error"``) any column that is not the layout's. With ``"metadata"`` (the default) the
    other columns of the call and utterance layouts are read as metadata keys; with ``"ignore"`` they are
    left out. The raw layout has no metadata columns: its rows' JSON carries the call's own."""
    layout = _layout(layout)
    if extra_columns not in ("metadata", "error", "ignore"):
        raise ColumnsError(f"extra_columns must be 'metadata', 'error' or 'ignore', not {extra_columns!r}")
    names = [str(c) for c in columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ColumnsError(f"duplicate columns: {', '.join(duplicates)}")
    known = set(_INPUT_SCHEMAS[layout].names)
    grouped = layout == "utterance" and ROWS in names  # an engine grouped the rows: call_id, _rows, _pos
    missing = [c for c in (("call_id",) if grouped else _REQUIRED[layout]) if c not in names]
    if layout == "raw" and not {"json", "text", "error_code"} & set(names):
        missing.append("json (or text)")
    if missing:
        raise ColumnsError(f"the {layout} layout needs the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    unknown = [n for n in names if n not in known and n not in (POS, ROWS)]
    for name in unknown:
        typo = None if name_key(name) in META_NAMES else closest(name, known, cutoff=CALL_CUTOFF)
        if typo is not None and extra_columns != "ignore":
            raise ColumnsError(f"column {name!r} is not one of the {layout} layout's; did you mean {typo!r}? "
                               "(rename it, or pass extra_columns='ignore' to leave it out)")
    if unknown and (extra_columns == "error" or (layout == "raw" and extra_columns == "metadata")):
        raise ColumnsError(
            f"columns the {layout} layout does not know: {', '.join(unknown)} "
            f"(it reads {', '.join(sorted(known))}; pass extra_columns='ignore' to leave the others out"
            + (", or 'metadata' to keep them as each call's metadata)" if layout != "raw" else ")")
        )
    if extra_columns == "metadata":
        return list(names)
    return [n for n in names if n in known or n in (POS, ROWS)]


# ------------------------------------------------------------------------------------------ scorer cache


@dataclass(frozen=True, slots=True)
class ScorerSpec:
    """What a worker process needs to build (once) the scorer: a digest of the rule file's content and the
    options, and the validated rule set with the options, pickled. Small, picklable, cheap to ship with
    every task; :meth:`scorer` unpickles and builds only on the first use in a process."""

    key: str
    blob: bytes

    def scorer(self) -> Scorer:
        """This process's scorer for this spec: built and warmed up on first use, then cached."""
        global _builds
        with _cache_lock:
            found = _cache.get(self.key)
            if found is not None:
                _cache.move_to_end(self.key)
                return found
            ruleset, options = pickle.loads(self.blob)
            scorer = Scorer(ruleset, **options)
            scorer.warm_up()
            _cache[self.key] = scorer
            _builds += 1
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
            return scorer


_CACHE_SIZE = 4
_cache: OrderedDict[str, Scorer] = OrderedDict()
_cache_lock = threading.Lock()
_builds = 0


def scorer_cache_info() -> dict[str, Any]:
    """This process's scorer cache: ``pid``, ``builds`` (scorers built since the process started or the
    cache was cleared) and ``keys`` (the cached specs' keys, least recently used first)."""
    with _cache_lock:
        return {"pid": os.getpid(), "builds": _builds, "keys": list(_cache)}


def clear_scorer_cache() -> None:
    """Forget this process's cached scorers (and reset the build count)."""
    global _builds
    with _cache_lock:
        _cache.clear()
        _builds = 0


def _rules_content(rules: str | os.PathLike[str] | RuleSet | None, ruleset: RuleSet) -> bytes:
    default = resources.files("csqa.rules").joinpath("default.toml").read_bytes()
    if rules is None or (isinstance(rules, str) and rules == "default"):
        return b"default\0" + default
    if isinstance(rules, RuleSet):
        return b"ruleset\0" + pickle.dumps(ruleset)
    return b"file\0" + Path(rules).read_bytes() + b"\0" + default


def scorer_spec(
    rules: str | os.PathLike[str] | RuleSet | ScorerSpec | None = None,
    *,
    company: str | None = None,
    departments: Sequence[str] | None = None,
    include_transcript: bool = True,
    tokenizer_backend: Backend = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    lang: Lang = "en",
) -> ScorerSpec:
    """The spec of a :class:`~csqa.Scorer` with these arguments. The rule file is read and validated here
    (a bad one raises :class:`~csqa.RuleFileError` in the caller, not in every task), and its content is
    what workers receive: they need no copy of the file."""
    if isinstance(rules, ScorerSpec):
        return rules
    ruleset = load_rules(rules).with_company(company, departments)
    options = {
        "include_transcript": include_transcript,
        "tokenizer_backend": tokenizer_backend,
        "cache_dir": None if cache_dir is None else str(cache_dir),
        "lang": check_lang(lang),
    }
    digest = hashlib.sha256(_rules_content(rules, ruleset))
    digest.update(json.dumps([__version__, company, list(departments or ()), options], sort_keys=True).encode())
    return ScorerSpec(digest.hexdigest(), pickle.dumps((ruleset, options), protocol=pickle.HIGHEST_PROTOCOL))


ScorerLike = str | os.PathLike[str] | RuleSet | Scorer | ScorerSpec | None


def _resolve(rules: ScorerLike, options: Mapping[str, Any]) -> Scorer:
    if isinstance(rules, (Scorer, ScorerSpec)):
        if any(value is not None for value in options.values()):
            raise UsageError("scorer options (company, include_transcript, …) go with a rule file, "
                             "not with a Scorer or ScorerSpec")
        return rules if isinstance(rules, Scorer) else rules.scorer()
    return scorer_spec(rules, **{k: v for k, v in options.items() if v is not None}).scorer()


# ------------------------------------------------------------------------------------- reading the input

_NA_TYPES: tuple[type, ...] = (type(pd.NA), type(pd.NaT))
_INTEGER_COLUMNS = frozenset({"rings", "line", "seq"})


def _clean(value: Any) -> Any:
    """A cell as plain Python: numpy arrays and scalars converted, NaN / NA / NaT as ``None``."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return None if value != value else value
    if kind is dict:
        return {k: _clean(v) for k, v in value.items()}
    if kind is list or kind is tuple or kind is np.ndarray:
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, _NA_TYPES):
        return None
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items()}
    return value  # anything else is left to validation to judge


def _series(series: pd.Series, name: str) -> list[Any]:
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype):
        arrow: list[Any] = series.array.__arrow_array__().to_pylist()
        return arrow
    values = [_clean(v) for v in series.tolist()]
    if name in _INTEGER_COLUMNS and getattr(dtype, "kind", "") == "f":
        values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
    return values


Tabular: TypeAlias = pd.DataFrame | pa.Table | pa.RecordBatch


def _columns(frame: Tabular, layout: Layout, extra_columns: ExtraColumns) -> tuple[dict[str, list[Any]], int]:
    if isinstance(frame, (pa.Table, pa.RecordBatch)):
        wanted = check_columns(frame.schema.names, layout, extra_columns)
        return {name: frame.column(name).to_pylist() for name in wanted}, frame.num_rows
    if isinstance(frame, pd.DataFrame):
        wanted = check_columns([str(c) for c in frame.columns], layout, extra_columns)
        by_name = {str(c): c for c in frame.columns}
        return {name: _series(frame[by_name[name]], name) for name in wanted}, len(frame)
    raise UsageError(f"expected a pandas DataFrame or a pyarrow Table, not {type(frame).__name__}")


def _shown(call_id: Any) -> str | None:
    return str(call_id) if isinstance(call_id, (str, int)) and not isinstance(call_id, bool) else None


def _fail(problems: list[InputProblem], call_id: Any, source: Any, line: Any, code: str = "E101") -> CallError:
    return error_record(InputError(problems, code=code, call_id=_shown(call_id), source=_text(source), line=_int(line)))


def _text(value: Any) -> str | None:
    """Provenance as text that Arrow can hold (a lone surrogate kept as its escape, as error records do)."""
    if value is None:
        return None
    text = str(value)
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


_INT64 = range(-(2**63), 2**63)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value in _INT64 else None


def _present(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Null is absent: the keys whose value is not ``None``."""
    return {k: v for k, v in mapping.items() if v is not None}


def _nested(call: dict[str, Any], key: str) -> InputProblem | None:
    """Read a JSON text ``utterances``/``events`` cell; drop null struct fields of a structured one."""
    value = call.get(key)
    if isinstance(value, (str, bytes, bytearray)):
        try:
            call[key] = loads_json(value)
        except InputError as exc:  # not JSON, nested too deeply, an integer past Python's limit, not UTF-8
            return InputProblem(key, exc.problems[0].message)
    elif isinstance(value, list):
        call[key] = [_present(v) if isinstance(v, dict) else v for v in value]
    return None


def _metadata(call: dict[str, Any], extra: Mapping[str, Any]) -> InputProblem | None:
    """The call's ``metadata``: its ``metadata`` column (a JSON object, as text or a struct) and the values of
    the other columns (``extra``), which ``call`` is given as one object."""
    found: dict[str, Any] = {}
    given = call.get("metadata")
    if isinstance(given, (str, bytes, bytearray)):
        try:
            given = loads_json(given)
        except InputError as exc:
            return InputProblem("metadata", exc.problems[0].message)
    if isinstance(given, Mapping):
        found.update(given)
    elif given is not None:
        return InputProblem("metadata", f"must be a JSON object, not {type(given).__name__}")
    for key, value in extra.items():
        if value is not None:
            try:
                found[key] = meta_value(value)
            except InputError as exc:
                return InputProblem(key, exc.problems[0].message)
    if found:
        call["metadata"] = found
    else:
        call.pop("metadata", None)
    return None


def _call_item(row: dict[str, Any]) -> RawCall | CallError:
    source, line = row.pop("source", None), row.pop("line", None)
    call = _present({k: row[k] for k in _CALL_FIELDS if k in row})
    for key in ("utterances", "events"):
        problem = _nested(call, key)
        if problem is not None:
            return _fail([problem], call.get("call_id"), source, line, code="E100")
    problem = _metadata(call, {k: v for k, v in row.items() if k not in _CALL_FIELDS and k not in (POS, ROWS)})
    if problem is not None:
        return _fail([problem], call.get("call_id"), source, line, code="E100")
    return RawCall(call, _text(source), _int(line))  # type: ignore[arg-type]


def _raw_item(row: dict[str, Any]) -> RawCall | CallError:
    source, line = _text(row.get("source")), _int(row.get("line"))
    if row.get("error_code") is not None:  # what the file loader could not read, recorded by csqa lake import
        return CallError(code=str(row["error_code"]), message=str(row.get("error_message") or ""), source=source, line=line,
                         problems=tuple(str(p) for p in row.get("problems") or ()))
    if row.get("json") is not None:
        return RawCall(row["json"], source, line)  # type: ignore[arg-type]
    if row.get("text") is not None:
        text_id = row.get("text_id")
        return RawCall(str(row["text"]), source, line, None if text_id is None else str(text_id))  # type: ignore[arg-type]
    return _fail([InputProblem("json", "missing: a raw row needs its call's JSON text (or plain text in 'text')")],
                 None, source, line, code="E100")


def _same(values: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr), value)
    return list(seen.values())


def _utterance_item(call_id: Any, rows: list[dict[str, Any]]) -> RawCall | CallError:
    """One call from its utterance rows (each with ``_pos``, its place in the input)."""
    problems: list[InputProblem] = []
    if any(r.get("seq") is not None for r in rows):
        missing = sum(1 for r in rows if r.get("seq") is None)
        if missing:
            problems.append(InputProblem("seq", f"missing on {missing} of the call's {len(rows)} rows"))
        seqs = [r["seq"] for r in rows if r.get("seq") is not None]
        counts: dict[Any, int] = {}
        for value in seqs:
            counts[value] = counts.get(value, 0) + 1
        repeated = [value for value, count in counts.items() if count > 1]
        if repeated:
            problems.append(InputProblem("seq", f"{', '.join(map(repr, repeated))} given to more than one row"))
        if not problems:
            try:
                rows = sorted(rows, key=lambda r: r["seq"])
            except TypeError:
                problems.append(InputProblem("seq", "not all numbers"))
    else:
        rows = sorted(rows, key=lambda r: r[POS])
    first = min(rows, key=lambda r: r[POS]) if rows else {}
    source, line = first.get("source"), first.get("line")
    call: dict[str, Any] = {} if call_id is None else {"call_id": call_id}
    for key in _CALL_LEVEL:
        values = _same([r[key] for r in rows if r.get(key) is not None])
        if len(values) > 1:
            shown = ", ".join(repr(v) for v in values[:3]) + (", …" if len(values) > 3 else "")
            problems.append(InputProblem(key, f"differs between the call's rows: {shown}"))
        elif values:
            call[key] = values[0]
    if problems:
        return _fail(problems, call_id, source, line)
    call["utterances"] = [
        _present({k: r.get(k) for k in _UTTERANCE_FIELDS}) for r in rows if any(r.get(k) is not None for k in _UTTERANCE_FIELDS)
    ]
    problem = _nested(call, "events")
    if problem is not None:
        return _fail([problem], call_id, source, line, code="E100")
    extra: dict[str, Any] = {}
    varying: list[str] = []
    for key in sorted({k for r in rows for k in r if k not in _NOT_METADATA and k not in (POS, ROWS)}):
        values = _same([r[key] for r in rows if r.get(key) is not None])
        if len(values) > 1:
            varying.append(key)  # an utterance-level column csqa does not read: named, not kept
        elif values:
            extra[key] = values[0]
    if varying:
        extra[IGNORED_UTTERANCE_FIELDS] = ", ".join(varying)
    problem = _metadata(call, extra)
    if problem is not None:
        return _fail([problem], call_id, source, line, code="E100")
    return RawCall(call, _text(source), _int(line))  # type: ignore[arg-type]


def _rows(columns: dict[str, list[Any]], count: int) -> Iterator[dict[str, Any]]:
    names = list(columns)
    values = [columns[n] for n in names]
    for index in range(count):
        yield {name: column[index] for name, column in zip(names, values)}


def _group(rows: Iterable[dict[str, Any]]) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Utterance rows by call, calls in the order of their first row; rows without a call_id form one group."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        call_id = row.get("call_id")
        key = ("id", call_id) if call_id is not None else ("none",)
        try:
            groups.setdefault(key, []).append(row)
        except TypeError:  # an unhashable id (a list in an object column): its own call, reported by validation
            groups[("row", row[POS])] = [row]
    return [(rows_[0].get("call_id"), rows_) for rows_ in groups.values()]


def _items(frame: Tabular, layout: Layout, extra_columns: ExtraColumns) -> list[tuple[RawCall | CallError, int]]:
    """Every call of ``frame`` as an unparsed batch item, with its place in the input."""
    columns, count = _columns(frame, layout, extra_columns)
    if POS not in columns:
        columns[POS] = list(range(count))
    if layout == "call":
        return [(_call_item(row), row[POS]) for row in _rows(columns, count)]
    if layout == "raw":
        return [(_raw_item(row), row[POS]) for row in _rows(columns, count)]
    if ROWS in columns:  # already grouped by an engine: call_id, _rows (the call's rows), _pos (its first row)
        out = []
        for call_id, rows, pos in zip(columns["call_id"], columns[ROWS], columns[POS]):
            out.append((_utterance_item(call_id, [dict(r) for r in rows or ()]), pos))
        return out
    return [(_utterance_item(call_id, rows), min(r[POS] for r in rows)) for call_id, rows in _group(_rows(columns, count))]


# ------------------------------------------------------------------------------------ writing the output


def _provenance(item: RawCall | CallError) -> tuple[str | None, int | None]:
    return (item.source, item.line)


def _report_row(result: Report | CallError, source: str | None, line: int | None) -> dict[str, Any]:
    if isinstance(result, CallError):
        return {
            "call_id": result.call_id,
            "error": True,
            "error_code": result.code,
            "error_message": result.message,
            "problems": list(result.problems),
            "source": result.source,
            "line": result.line,
        }
    data = result.model_dump()
    data["started_at"] = None if result.started_at is None else result.started_at.isoformat()
    data["metadata"] = json.dumps(result.metadata, ensure_ascii=False, sort_keys=True)
    data["fails"] = sum(1 for c in result.checks if c.status == "fail")
    data["error"] = False
    data["source"] = source
    data["line"] = line
    return data


def _reports_table(rows: list[dict[str, Any]], positions: list[int] | None = None) -> pa.Table:
    table = pa.Table.from_pylist(rows, schema=REPORTS_SCHEMA)
    if positions is not None:
        table = table.append_column(POS, pa.array(positions, pa.int64()))
    return table


def _score_table(frame: Tabular, layout: Layout, scorer: Scorer, extra_columns: ExtraColumns, *, keep_pos: bool) -> pa.Table:
    items = _items(frame, layout, extra_columns)
    rows = [_report_row(scorer.score_item(item), *_provenance(item)) for item, _ in items]
    return _reports_table(rows, [pos for _, pos in items] if keep_pos else None)


def _pandas(table: pa.Table) -> pd.DataFrame:
    frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return frame


def _arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


def _explode(reports: pa.Table) -> pa.Table:
    """The checks table of a reports table: one row per nested check."""
    lists = reports.column("checks").combine_chunks()
    parents = pc.list_parent_indices(lists)
    flat = pc.list_flatten(lists)
    owner = parents.to_numpy(zero_copy_only=False).astype(np.int64)
    place = np.arange(len(owner), dtype=np.int64)
    starts = np.where(np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.array([], bool), place, 0)
    index = place - np.maximum.accumulate(starts) if len(owner) else place
    columns = [reports.column(name).take(parents) for name in ("call_id", "agent_id", "direction", "source", "line")]
    columns.append(pa.array(index.astype(np.int32), pa.int32()))
    columns += [flat.field(name) for name, _ in _CHECK_FIELDS]
    return pa.Table.from_arrays(columns, schema=CHECKS_SCHEMA)


def _calls(reports: pa.Table) -> pa.Table:
    return reports.select(CALLS_SCHEMA.names).cast(CALLS_SCHEMA)


# ------------------------------------------------------------------------------------------- public API


class Frames(NamedTuple):
    """The two report tables of a batch: ``calls`` (:data:`CALLS_SCHEMA`) and ``checks``
    (:data:`CHECKS_SCHEMA`), pandas DataFrames whose columns are ``pd.ArrowDtype`` of those schemas' types, so
    nulls stay null, integers stay integers and lists stay lists."""

    calls: pd.DataFrame
    checks: pd.DataFrame


def score_reports(
    frame: Tabular,
    *,
    rules: ScorerLike = None,
    layout: Layout = "call",
    extra_columns: ExtraColumns = "metadata",
    company: str | None = None,
    include_transcript: bool | None = None,
    tokenizer_backend: Backend | None = None,
) -> pd.DataFrame:
    """Score every call of ``frame`` (a pandas DataFrame or a pyarrow Table / RecordBatch in ``layout``):
    one row of :data:`REPORTS_SCHEMA` per call, in input order (the utterance layout: in the order of each
    call's first row).

    ``rules`` is what :class:`~csqa.Scorer` takes (a rule file path, ``"default"``, a
    :class:`~csqa.RuleSet`), or a built :class:`~csqa.Scorer`, or a :class:`ScorerSpec`; scorers built here
    are cached per process. A bad call is an error row, never an exception; a column the layout does not
    know, or a missing required column, raises :class:`ValueError`.
    """
    options = {"company": company, "include_transcript": include_transcript, "tokenizer_backend": tokenizer_backend}
    scorer = _resolve(rules, options)
    return _pandas(_score_table(frame, _layout(layout), scorer, extra_columns, keep_pos=False))


def iter_score_reports(
    frames: Iterable[Tabular],
    *,
    rules: ScorerLike = None,
    layout: Layout = "call",
    extra_columns: ExtraColumns = "metadata",
    company: str | None = None,
    include_transcript: bool | None = None,
    tokenizer_backend: Backend | None = None,
    keep_pos: bool = False,
) -> Iterator[pd.DataFrame]:
    """:func:`score_reports` for each frame of an iterator (the shape of Spark's ``mapInPandas``), with one
    scorer for all. With ``keep_pos`` each output also has the ``_pos`` column of its input (or the row's
    place in its frame): what engines sort by."""
    options = {"company": company, "include_transcript": include_transcript, "tokenizer_backend": tokenizer_backend}
    layout = _layout(layout)
    scorer: Scorer | None = None
    for frame in frames:
        if scorer is None:
            scorer = _resolve(rules, options)
        yield _pandas(_score_table(frame, layout, scorer, extra_columns, keep_pos=keep_pos))


def split_reports(reports: pd.DataFrame | pa.Table) -> Frames:
    """The calls and checks tables of a :data:`REPORTS_SCHEMA` frame."""
    table = _arrow(reports)
    return Frames(_pandas(_calls(table)), _pandas(_explode(table)))


def score_frame(
    frame: Tabular,
    *,
    rules: ScorerLike = None,
    layout: Layout = "call",
    extra_columns: ExtraColumns = "metadata",
    company: str | None = None,
    include_transcript: bool | None = None,
    tokenizer_backend: Backend | None = None,
) -> Frames:
    """Score every call of ``frame``: ``Frames(calls, checks)``, one row per call and one per check (see
    :func:`score_reports` for the arguments).

    >>> calls, checks = score_frame(df, rules="site.toml")                          # one row per call
    >>> calls, checks = score_frame(utterances_df, layout="utterance")              # one row per utterance
    """
    options = {"company": company, "include_transcript": include_transcript, "tokenizer_backend": tokenizer_backend}
    table = _score_table(frame, _layout(layout), _resolve(rules, options), extra_columns, keep_pos=False)
    return Frames(_pandas(_calls(table)), _pandas(_explode(table)))


def iter_score_frames(
    frames: Iterable[Tabular],
    *,
    rules: ScorerLike = None,
    layout: Layout = "call",
    extra_columns: ExtraColumns = "metadata",
    company: str | None = None,
    include_transcript: bool | None = None,
    tokenizer_backend: Backend | None = None,
) -> Iterator[Frames]:
    """:func:`score_frame` for each frame of an iterator, lazily, with one scorer for all. In the utterance
    layout, each frame must hold all the rows of its calls."""
    for reports in iter_score_reports(frames, rules=rules, layout=layout, extra_columns=extra_columns, company=company,
                                      include_transcript=include_transcript, tokenizer_backend=tokenizer_backend):
        yield split_reports(reports)


def results_to_frames(results: Iterable[Report | CallError]) -> Frames:
    """The frames of results from :meth:`csqa.Scorer.score_many` (``source`` and ``line`` of report rows are
    null: a :class:`~csqa.Report` does not say where its call came from)."""
    table = _reports_table([_report_row(r, None, None) for r in results])
    return Frames(_pandas(_calls(table)), _pandas(_explode(table)))


def _result(row: Mapping[str, Any]) -> Report | CallError:
    if row["error"]:
        return CallError(code=row["error_code"], message=row["error_message"], call_id=row["call_id"],
                         source=row["source"], line=row["line"], problems=tuple(row["problems"] or ()))
    data = {name: row[name] for name in _REPORT_FIELDS}
    data["metadata"] = json.loads(data["metadata"]) if data["metadata"] else {}
    data["vetoed"] = tuple(data["vetoed"] or ())
    data["utterances"] = tuple(_present(u) for u in data["utterances"] or ())
    data["checks"] = tuple(data["checks"] or ())
    return Report.model_validate(data)


def to_results(reports: pd.DataFrame | pa.Table) -> Iterator[Report | CallError]:
    """The :class:`~csqa.Report` and :class:`~csqa.CallError` objects of a :data:`REPORTS_SCHEMA` table,
    equal to those :meth:`csqa.Scorer.score_many` gives for the same calls."""
    for row in _arrow(reports).to_pylist():
        yield _result(row)


def results_from_frames(calls: pd.DataFrame | pa.Table, checks: pd.DataFrame | pa.Table) -> Iterator[Report | CallError]:
    """The report objects of a calls table and its checks table, joined on ``(source, line, call_id)``
    (which must be unique among scored calls), in the calls table's order."""
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for check in _arrow(checks).to_pylist():
        by_key.setdefault((check["source"], check["line"], check["call_id"]), []).append(check)
    seen: set[tuple[Any, ...]] = set()
    for row in _arrow(calls).to_pylist():
        if not row["error"]:
            key = (row["source"], row["line"], row["call_id"])
            if key in seen:
                raise UsageError(f"two scored calls share source, line and call_id {key!r}: join them on a unique key")
            seen.add(key)
            found = sorted(by_key.get(key, ()), key=lambda c: c["check_index"])
            row = {**row, "checks": [{name: c[name] for name, _ in _CHECK_FIELDS} for c in found]}
        yield _result(row)


# for the engines ---------------------------------------------------------------------------------------


def reports_meta() -> pd.DataFrame:
    """An empty :data:`REPORTS_SCHEMA` frame (Dask's ``meta``)."""
    return _pandas(REPORTS_SCHEMA.empty_table())


def _engine_batches(
    frames: Iterable[Tabular], spec: ScorerSpec, layout: Layout, extra_columns: ExtraColumns, keep_pos: bool
) -> Iterator[pd.DataFrame]:
    """What a Spark worker runs on its stream of batches (``mapInPandas``): reports frames with plain numpy and
    object columns, which Spark converts to Arrow by the schema it was given (its converter does not take
    ``pd.NA`` inside nested list columns)."""
    scorer: Scorer | None = None
    for frame in frames:
        if scorer is None:
            scorer = spec.scorer()
        yield _score_table(frame, layout, scorer, extra_columns, keep_pos=keep_pos).to_pandas()


def _engine_frame(
    frame: pd.DataFrame, spec: ScorerSpec, layout: Layout, extra_columns: ExtraColumns, keep_pos: bool
) -> pd.DataFrame:
    return _pandas(_score_table(frame, layout, spec.scorer(), extra_columns, keep_pos=keep_pos))


def _engine_items(items: Iterable[Any], spec: ScorerSpec) -> pd.DataFrame:
    """Score batch items (what :meth:`csqa.Scorer.score_many` takes) into a reports frame."""
    scorer = spec.scorer()
    rows = []
    for item in items:
        result = scorer.score_item(item)
        source, line = (item.source, item.line) if isinstance(item, RawCall) else (None, None)
        rows.append(_report_row(result, source, line))
    return _pandas(_reports_table(rows))


def _group_utterances(frame: pd.DataFrame) -> pd.DataFrame:
    """An engine's step before scoring the utterance layout: one row per call (``call_id``, ``_rows`` its rows,
    ``_pos`` its first row's place), from a frame that holds all the rows of its calls."""
    columns, count = _columns(frame, "utterance", "metadata")  # the columns were checked before grouping
    groups = _group(_rows(columns, count))
    return pd.DataFrame({
        "call_id": pd.Series([call_id for call_id, _ in groups], dtype=object),
        ROWS: pd.Series([rows for _, rows in groups], dtype=object),
        POS: pd.Series([min(r[POS] for r in rows) for _, rows in groups], dtype="int64"),
    })


def grouped_meta() -> pd.DataFrame:
    return pd.DataFrame(
        {"call_id": pd.Series([], dtype=object), ROWS: pd.Series([], dtype=object), POS: pd.Series([], dtype="int64")}
    )


def parquet_files(*paths: str | os.PathLike[str]) -> list[str]:
    """The files of Parquet files and folders in the order every ``csqa lake`` engine reads them: folders
    recursively, leaving out names that start with ``.`` or ``_`` (as Spark does), sorted by absolute path."""
    found: set[str] = set()
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            for item in path.rglob("*"):
                if item.is_file() and not any(part.startswith((".", "_")) for part in item.relative_to(path).parts):
                    found.add(os.path.abspath(item))
        else:
            found.add(os.path.abspath(path))
    return sorted(found)


def _calls_pandas(reports: pd.DataFrame) -> pd.DataFrame:
    return _pandas(_calls(_arrow(reports)))


def _checks_pandas(reports: pd.DataFrame) -> pd.DataFrame:
    return _pandas(_explode(_arrow(reports)))
