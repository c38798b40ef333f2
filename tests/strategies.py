"""Hypothesis strategies for hostile input: what a call centre's exports, a broken pipe or a careless editor
can put in front of csqa.

* **text**: lone surrogates (U+D800–U+DFFF), C0 and C1 control characters (NUL, ESC, newline, CR, NEL),
  U+2028/U+2029, private-use characters, noncharacters, bidirectional marks, zero-width characters,
  full-width forms, CJK (BMP and astral), combining marks, call-centre phrases and long runs of any of them;
* **JSON text**: nesting far beyond Python's recursion limit (built as text, never as objects), integers of
  thousands of digits, floats that overflow or underflow, ``NaN``/``Infinity``, duplicate keys, bad escapes,
  and call-shaped objects (native, SCA, annotated) whose fields hold those values;
* **call objects**: dicts of the right shape with hostile values, wrong types, non-string keys, huge ints
  and nesting (as objects: :class:`Deep`, whose repr stays short so a failing example can be printed);
* **files**: JSON Lines, JSON, ``.txt`` and TOML files as bytes, with invalid UTF-8 between good lines, a
  BOM, CRLF, a cut last line and lines that are only whitespace; each file strategy says which result it
  expects where it can (:class:`JsonlFile` knows its good and hostile lines and their numbers).

Strategies that write bytes keep line structure under their own control: hostile text meant for one line
never contains ``\\n`` or ``\\r`` unless a strategy says so.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "BOM",
    "Blob",
    "Deep",
    "DeepDict",
    "HugeInt",
    "JsonlFile",
    "JsonlLine",
    "Text",
    "deep_dict",
    "deep_list",
    "deep_nesting_text",
    "good_call_dicts",
    "hostile_call_dicts",
    "hostile_call_json",
    "hostile_characters",
    "hostile_json_scalars",
    "hostile_json_values",
    "hostile_jsonl_line",
    "hostile_python_values",
    "hostile_text",
    "huge_int_text",
    "invalid_utf8",
    "json_files",
    "jsonl_files",
    "long_runs",
    "report_lines",
    "toml_files",
    "toml_values",
    "txt_files",
]

BOM = b"\xef\xbb\xbf"
SHOWN = 300  # a failing example longer than this prints as its head, its tail and its length


class Blob(bytes):
    """Bytes that print short: a failing example of 100,000 ``[`` shows as its ends and its length (runs are
    derandomised, so the test reproduces it in full)."""

    def __repr__(self) -> str:
        raw = bytes(self)
        return repr(raw) if len(raw) <= SHOWN else f"Blob({raw[:SHOWN - 60]!r} … {raw[-40:]!r}, {len(raw)} bytes)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # what hypothesis prints
        printer.text(repr(self))


class Text(str):
    """A string that prints short, like :class:`Blob`."""

    def __repr__(self) -> str:
        text = str(self)
        return repr(text) if len(text) <= SHOWN else f"Text({text[:SHOWN - 60]!r} … {text[-40:]!r}, {len(text)} chars)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

# ---------------------------------------------------------------------------------------------- characters

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
C0 = [chr(code) for code in range(0x20)] + ["\x7f"]
C1 = [chr(code) for code in range(0x80, 0xA0)]
LINE_BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
CONTROLS = st.sampled_from(C0 + C1 + ["\u2028", "\u2029"])
PRIVATE_USE = st.one_of(
    st.integers(0xE000, 0xF8FF), st.integers(0xF0000, 0xFFFFD), st.integers(0x100000, 0x10FFFD)
).map(chr)
NONCHARACTERS = st.sampled_from(
    [chr(code) for code in range(0xFDD0, 0xFDF0)]
    + [chr(plane * 0x10000 + low) for plane in range(17) for low in (0xFFFE, 0xFFFF)]
)
BIDI = st.sampled_from(
    ["\u200e", "\u200f", "\u061c", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
)
INVISIBLE = st.sampled_from(
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f", "\u180e", "\u3164", "\ufffc", "\ufffd"]
)
FULL_WIDTH = st.one_of(st.integers(0xFF01, 0xFF5E).map(chr), st.sampled_from(["\u3000", "\uff5f", "\uff60", "\uffe5"]))
CJK = st.one_of(
    st.integers(0x4E00, 0x9FFF), st.integers(0x3400, 0x4DBF), st.integers(0x20000, 0x2A6DF), st.integers(0xF900, 0xFAFF)
).map(chr)
COMBINING = st.integers(0x0300, 0x036F).map(chr)
# Unicode digits that str.isdigit() accepts but int() may not (superscripts, circled, other scripts).
ODD_DIGITS = st.sampled_from(["²", "³", "¹", "①", "⑴", "⒈", "٣", "۴", "१", "𝟙", "１", "〇", "一", "Ⅻ", "½"])

# Words a call, a script or a rule file really contains, and the syntax csqa itself reads.
CALL_PHRASES = [
    "您好", "楠山农林", "楠山農林", "客服部", "请问有什么能帮您", "您是咨询有关", "的问题,是吗",
    "请问还需要其它的帮助吗", "感谢您的来电,再见!", "非常抱歉打搅您了", "不好意思,让您久等了", "我怎么知道",
    "肯定", "保证", "绝对", "嗯", "呃", "喂",
    "坐席：", "客户:", "[00:03]", "[00:03-00:06]", "# rings: 2", "{company}", "{a|b}", "{|}", "{", "}", "|",
    "\\", '"', "'", "\\ud800", "\\u0000", "%s", "{0}", "${x}", "<mark>", "</script>", "&amp;",
]


def hostile_characters(*, surrogates: bool = True, line_breaks: bool = True) -> st.SearchStrategy[str]:
    """One character of the hostile kinds (and, now and then, an ordinary printable one)."""
    controls = CONTROLS if line_breaks else st.sampled_from([c for c in C0 + C1 if c not in "".join(LINE_BREAKS)])
    kinds = [
        controls, PRIVATE_USE, NONCHARACTERS, BIDI, INVISIBLE, FULL_WIDTH, CJK, COMBINING, ODD_DIGITS,
        st.characters(codec="utf-8", exclude_characters="".join(LINE_BREAKS) if not line_breaks else None),
    ]
    if surrogates:
        kinds.append(SURROGATES)
    return st.one_of(kinds)


def long_runs(
    *, min_size: int = 2, max_size: int = 2_000, surrogates: bool = True, line_breaks: bool = True
) -> st.SearchStrategy[str]:
    """One character or phrase repeated ``min_size``..``max_size`` times (by unit count)."""
    unit = hostile_characters(surrogates=surrogates, line_breaks=line_breaks) | st.sampled_from(CALL_PHRASES).filter(
        lambda phrase: line_breaks or not any(ch in phrase for ch in LINE_BREAKS)
    )
    return st.builds(lambda u, n: u * n, unit, st.integers(min_size, max_size))


def hostile_text(
    *, max_size: int = 24, surrogates: bool = True, line_breaks: bool = True, max_run: int = 300
) -> st.SearchStrategy[str]:
    """Text made of hostile characters, call-centre phrases and (with ``max_run`` > 1) runs of them.

    ``line_breaks=False`` leaves out every character ``str.splitlines`` breaks at, for text that must stay on
    one line of a file. ``surrogates=False`` keeps the text encodable as UTF-8.
    """
    phrases = st.sampled_from([p for p in CALL_PHRASES if line_breaks or not any(ch in p for ch in LINE_BREAKS)])
    pieces = [hostile_characters(surrogates=surrogates, line_breaks=line_breaks), phrases]
    if max_run > 1:
        pieces.append(long_runs(max_size=max_run, surrogates=surrogates, line_breaks=line_breaks))
    return st.lists(st.one_of(pieces), max_size=max_size).map("".join)


def invalid_utf8() -> st.SearchStrategy[bytes]:
    """Byte strings that are not UTF-8: stray continuation bytes, cut sequences, overlong forms, encoded
    surrogates (CESU-8), code points past U+10FFFF, and bytes that never occur in UTF-8."""
    fixed = st.sampled_from(
        [b"\xff", b"\xfe", b"\xff\xfe", b"\xfe\xff", b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf",
         b"\xc3", b"\xe6\xa5", b"\xf0\x9f\x98", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0\xbd\xed\xb8\x80",
         b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xc2\x41", b"\xe4\xbd\x41"]
    )
    # any bytes with at least one byte that can never start or continue a valid sequence here
    random = st.builds(
        lambda head, bad, tail: head + bad + tail,
        st.binary(max_size=6), st.sampled_from([b"\xff", b"\xc0", b"\xf5"]), st.binary(max_size=6),
    )
    return st.lists(fixed | random, min_size=1, max_size=4).map(b"".join)


# ------------------------------------------------------------------------------------------------ JSON text


def huge_int_text(*, min_digits: int = 20, max_digits: int = 6_000) -> st.SearchStrategy[str]:
    """An integer literal of many digits (past 4,300 digits Python's int() refuses it; past 309 no float
    holds it)."""
    edges = [n for n in (310, 400, 4_300, 4_301, 5_001) if min_digits <= n <= max_digits]
    digits = st.one_of(st.integers(min_digits, max_digits), st.sampled_from(edges or [min_digits]))
    return st.builds(lambda sign, n: sign + "1" + "0" * (n - 1), st.sampled_from(["", "-"]), digits)


HUGE_FLOATS = [
    "1e400", "-1e400", "1E+99999", "1e-400", "4.9e-325", "1" + "0" * 400 + ".5", "0." + "0" * 400 + "1",
    "1.7976931348623159e308", "-0.0", "123456789" * 40 + "e-5000", "9" * 5000 + ".0", "1e" + "9" * 5000,
]
NON_FINITE = ["NaN", "Infinity", "-Infinity"]
NOT_JSON_NUMBERS = ["+1", "01", "1.", ".5", "0x10", "1_000", "-", "1e", "--1", "nan", "inf", "+Infinity", "-NaN"]
BAD_STRINGS = [
    '"\\ud800"', '"\\udc00\\ud800"', '"\\udbff\\udfff"', '"\\u0000"', '"\\x41"', '"\\u12"', '"\\', '"unterminated',
    '"\\uD800\\u0041"', '"\t"', '"\u2028"', '"\\/"', "'single'",
]


def deep_nesting_text(*, min_depth: int = 1_100, max_depth: int = 100_000) -> st.SearchStrategy[str]:
    """Arrays or objects nested ``min_depth``..``max_depth`` deep, as JSON *text* (never built as objects),
    closed or left open; the default goes well past Python's recursion limit."""
    depth = st.one_of(st.integers(min_depth, max_depth), st.just(max_depth))

    def build(kind: str, n: int, closed: bool) -> str:
        if kind == "array":
            return "[" * n + ("]" * n if closed else "")
        if kind == "object":
            return '{"a":' * n + ("1" + "}" * n if closed else "")
        if kind == "mixed":
            return '[{"x":' * n + ("0" + "}]" * n if closed else "")
        return '{"call_id":"deep","utterances":' + "[" * n + ("]" * n + "}" if closed else "")  # call-shaped

    return st.builds(build, st.sampled_from(["array", "object", "mixed", "call"]), depth, st.booleans())


def hostile_json_scalars(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    """A JSON (or nearly JSON) scalar literal that hurts: huge numbers, non-finite literals, hostile strings."""
    text = hostile_text(max_size=8, surrogates=surrogates, max_run=50)
    return st.one_of(
        huge_int_text(),
        st.sampled_from(HUGE_FLOATS + NON_FINITE + NOT_JSON_NUMBERS + BAD_STRINGS + ["true", "false", "null", "0", "[]", "{}"]),
        text.map(lambda t: json.dumps(t, ensure_ascii=True)),
        text.map(lambda t: json.dumps(t, ensure_ascii=False)),
    )


def duplicate_keys_text(value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """An object naming ``call_id`` and ``utterances`` twice; the second ``utterances`` is never valid."""
    return st.builds(
        lambda v: '{"call_id":"dup","utterances":[],"call_id":' + v + ',"utterances":"twice","utterances":' + v + "}", value
    )


def hostile_json_values(*, surrogates: bool = True, max_depth: int = 100_000) -> st.SearchStrategy[str]:
    """Any hostile JSON value as text: a scalar, deep nesting, duplicate keys, or a small container of them."""
    scalar = hostile_json_scalars(surrogates=surrogates)
    container = st.lists(scalar, max_size=3).map(lambda items: "[" + ",".join(items) + "]") | st.lists(
        st.tuples(hostile_text(max_size=4, surrogates=surrogates, max_run=0), scalar), max_size=3
    ).map(lambda pairs: "{" + ",".join(json.dumps(k) + ":" + v for k, v in pairs) + "}")
    return st.one_of(scalar, scalar, container, deep_nesting_text(max_depth=max_depth), duplicate_keys_text(scalar))


CALL_FIELDS = ["call_id", "direction", "agent_id", "rings", "ring_seconds", "hangup_by", "events"]
SCA_FIELDS = ["tid", "rings", "hangup_by", "events", "direction", "agent_id"]


def _object(fields: dict[str, str]) -> str:
    """A JSON object from keys and the JSON *text* of their values."""
    return "{" + ",".join(json.dumps(key) + ":" + value for key, value in fields.items()) + "}"


@st.composite
def hostile_call_json(draw: st.DrawFn, *, surrogates: bool = True, max_depth: int = 100_000) -> str:
    """A call-shaped JSON text with hostile values that is never a valid call.

    Native calls always carry an utterance spoken by ``"robot"``, SCA dialogues an item with role
    ``"robot"``, duplicate keys a last ``utterances`` that is not a list; everything else (deep nesting,
    scalars, containers) is not a call object at all. A file line made of it must yield an error record.
    """
    value = hostile_json_values(surrogates=surrogates, max_depth=max_depth)
    kind = draw(st.sampled_from(["native", "native", "sca", "annotated", "value", "duplicate"]))
    if kind == "value":
        return draw(value)  # never a call: a scalar, an array, or an object without utterances or with bad ones
    if kind == "duplicate":
        return draw(duplicate_keys_text(value))
    if kind == "sca":
        item = {k: draw(value) for k in draw(st.sets(st.sampled_from(["role", "words", "begin", "end", "identity"])))}
        item.setdefault("identity", '"A017"')
        fields = {k: draw(value) for k in draw(st.sets(st.sampled_from(SCA_FIELDS)))}
        first = _object(item)
        return _object({**fields, "dialogue": "[" + first + ',{"role":"robot","words":"x"}]'})
    fields = {k: draw(value) for k in draw(st.sets(st.sampled_from(CALL_FIELDS)))}
    utterance = {k: draw(value) for k in draw(st.sets(st.sampled_from(["text", "start", "end"])))}
    native = _object({**fields, "utterances": "[" + _object({"speaker": '"robot"', **utterance}) + "]"})
    if kind == "annotated":
        return '{"call":' + native + ',"gold":' + draw(value) + "}"
    return native


# -------------------------------------------------------------------------------------------- call objects


class Deep(list):  # type: ignore[type-arg]
    """A list nested ``depth`` levels deep (``[[[…]]]``), built without recursion. ``str()`` recurses as on
    any list (that is the hostile part); only ``repr`` is short, so that a failing example prints as
    ``Deep(100000)``. Build them with :func:`deep_list`, which keeps one per depth (they are never changed)."""

    __str__ = list.__repr__

    def __init__(self, depth: int) -> None:
        inner: list[Any] = []
        for _ in range(depth - 1):
            inner = [inner]
        super().__init__([inner])
        self.depth = depth

    def __repr__(self) -> str:
        return f"Deep({self.depth})"


class DeepDict(dict):  # type: ignore[type-arg]
    """``{"a": {"a": …}}`` nested ``depth`` levels deep; like :class:`Deep`, only its repr is short."""

    __str__ = dict.__repr__

    def __init__(self, depth: int) -> None:
        inner: dict[str, Any] = {}
        for _ in range(depth - 1):
            inner = {"a": inner}
        super().__init__(a=inner)
        self.depth = depth

    def __repr__(self) -> str:
        return f"DeepDict({self.depth})"


@functools.cache
def deep_list(depth: int) -> Deep:
    return Deep(depth)


@functools.cache
def deep_dict(depth: int) -> DeepDict:
    return DeepDict(depth)


class HugeInt(int):
    """An int past 4,300 digits. ``str()`` and formatting refuse it as they refuse any such int (that is the
    hostile part); only ``repr`` is short, so that a failing example can still be printed."""

    __str__ = int.__repr__

    def __repr__(self) -> str:
        return f"HugeInt(<{self.bit_length()} bits>)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis prints ints in its own way
        printer.text(repr(self))


OBJECT_DEPTHS = [1_100, 3_000, 100_000]
HUGE_INTS = [10**309, -(10**400), 2**1100, HugeInt(10**4_301), HugeInt(-(10**5_000)), HugeInt(10**20_000)]


def hostile_python_values(*, surrogates: bool = True) -> st.SearchStrategy[Any]:
    """A hostile field value as a Python object, one of: plain wrong types, hostile text, huge ints (past a
    float's range, past 4,300 digits), non-finite floats, bytes (invalid UTF-8 too), lists and dicts nested
    past the recursion limit, and small containers of them."""
    text = hostile_text(max_size=10, surrogates=surrogates, max_run=100)
    plain = st.sampled_from([None, True, False, 0, -1, 2**63, "", " ", [], {}, ()])
    huge = st.sampled_from(HUGE_INTS)
    non_finite = st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324])
    raw = st.binary(max_size=8) | invalid_utf8()
    scalar = st.one_of(plain, text, huge, non_finite, raw)
    return st.one_of(
        plain, text, huge, non_finite, raw,
        st.sampled_from(OBJECT_DEPTHS).map(deep_list),
        st.sampled_from(OBJECT_DEPTHS).map(deep_dict),
        st.lists(scalar, max_size=3),
        st.lists(scalar, max_size=3).map(tuple),
        st.dictionaries(text, scalar, max_size=3),
    )


def _maybe(good: st.SearchStrategy[Any], value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value: a good one or a hostile one, about evenly."""
    return st.one_of(good, value)


def hostile_key(surrogates: bool = True) -> st.SearchStrategy[Any]:
    return st.one_of(
        hostile_text(max_size=4, surrogates=surrogates, max_run=0),
        st.sampled_from(["call_id ", "Call_id", "utterances\x00", "speaker", 1, None, (1, 2), 1.5, b"call_id"]),
    )


@st.composite
def hostile_call_dicts(draw: st.DrawFn, *, surrogates: bool = True) -> Any:
    """A call as a Python object: usually a dict of the right shape (native, SCA or annotated) whose fields
    are each good or hostile, with now and then an unknown or non-string key; sometimes the wrong type
    altogether. Valid or not, ``parse_call`` must only ever return a :class:`~csqa.Call` or raise
    :class:`~csqa.InputError`."""
    value = hostile_python_values(surrogates=surrogates)
    text = hostile_text(surrogates=surrogates)
    kind = draw(st.sampled_from(["native", "native", "sca", "sca", "annotated", "other"]))
    if kind == "other":
        return draw(value)
    extra = st.dictionaries(hostile_key(surrogates), value, max_size=1)
    if kind == "sca":
        item = st.fixed_dictionaries(
            {
                "role": _maybe(st.sampled_from(["客服", "客户", "坐席", "Agent", "robot"]), value),
                "words": _maybe(text, value),
                "begin": _maybe(st.integers(0, 10**6), value),
                "end": _maybe(st.integers(0, 10**6), value),
                "identity": _maybe(st.just("A017"), value),
            },
        )
        return draw(
            st.fixed_dictionaries(
                {
                    "tid": _maybe(st.just("sca-1"), value),
                    "dialogue": _maybe(st.lists(_maybe(item, value), min_size=1, max_size=3), value),
                },
                optional={"rings": value, "events": value, "agent_id": value, "Dialogue": value},
            )
        ) | draw(extra)
    utterance = st.builds(
        lambda u, e: {**u, **e},
        st.fixed_dictionaries(
            {
                "speaker": _maybe(st.sampled_from(["agent", "customer", "坐席", "客户", " agent ", "AGENT", "robot", "客服\x00"]),
                                  value),
                "text": _maybe(text, value),
            },
            optional={"start": _maybe(st.floats(0, 1e6), value), "end": _maybe(st.floats(0, 1e6), value)},
        ),
        extra,
    )
    event = st.fixed_dictionaries(
        {"type": _maybe(st.sampled_from(["hold", "transfer", "robot"]), value), "start": _maybe(st.floats(0, 100), value)},
        optional={"end": value},
    )
    call = draw(
        st.fixed_dictionaries(
            {
                "call_id": _maybe(st.just("hostile") | hostile_text(max_size=6, surrogates=surrogates), value),
                "utterances": _maybe(st.lists(_maybe(utterance, value), max_size=3), value),
            },
            optional={
                "direction": _maybe(st.sampled_from(["inbound", "outbound", "呼入", "回访", "sideways"]), value),
                "agent_id": value,
                "rings": _maybe(st.integers(0, 9), value),
                "ring_seconds": _maybe(st.floats(0, 60), value),
                "hangup_by": _maybe(st.sampled_from(["customer", "agent", "顾客"]), value),
                "events": _maybe(st.lists(_maybe(event, value), max_size=2), value),
            },
        )
    ) | draw(extra)
    if kind == "annotated":
        return {"call": call, "gold": draw(value), "note": draw(value)}
    return call


def good_call_dicts(
    *, max_utterances: int = 3, surrogates: bool = False, max_run: int = 50
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid native call whose utterance texts, agent id and speakers' spelling are hostile.

    Without surrogates every string is valid Unicode, so the call survives a UTF-8 file and
    ``parse_call`` accepts it; the call id is plain so that error messages stay readable.
    """
    text = hostile_text(surrogates=surrogates, max_run=max_run, max_size=12)
    utterance = st.fixed_dictionaries(
        {"speaker": st.sampled_from(["agent", "customer", "坐席", "客户", "Customer"]), "text": text},
        optional={"start": st.floats(0, 100, allow_subnormal=False)},
    )
    return st.fixed_dictionaries(
        {"call_id": st.from_regex(r"\Agood-[a-z0-9]{1,6}\Z"), "utterances": st.lists(utterance, max_size=max_utterances)},
        optional={
            "agent_id": hostile_text(max_size=4, surrogates=surrogates, max_run=0),
            "rings": st.integers(0, 12),
            "hangup_by": st.sampled_from(["agent", "customer"]),
            "direction": st.sampled_from(["inbound", "outbound"]),
        },
    )


# -------------------------------------------------------------------------------------------------- files


def _encode_json(call: Any, ascii_only: bool, spaced: bool) -> bytes:
    separators = (", ", ": ") if spaced else (",", ":")
    return json.dumps(call, ensure_ascii=ascii_only, separators=separators).encode("utf-8")


def _short(raw: bytes) -> str:
    return repr(Blob(raw))


@dataclass(frozen=True)
class JsonlLine:
    """One non-blank line of a :class:`JsonlFile`: its 1-based number (lines end at ``\\n``), its bytes
    without the line ending, and the call written on it when it is a good call (``None`` when hostile)."""

    number: int
    raw: bytes
    good: dict[str, Any] | None

    def __repr__(self) -> str:
        return f"JsonlLine({self.number}, {'good' if self.good is not None else 'hostile'}, {_short(self.raw)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@dataclass(frozen=True)
class JsonlFile:
    """The bytes of a JSON Lines file and its non-blank lines, each good or hostile."""

    data: bytes
    lines: tuple[JsonlLine, ...]

    def __repr__(self) -> str:
        crlf = b"\r\n" in self.data
        head = f"JsonlFile({len(self.data)} bytes, bom={self.data.startswith(BOM)}, crlf={crlf})"
        return head + "".join(f"\n    {line!r}" for line in self.lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @classmethod
    def build(
        cls,
        pieces: list[bytes | dict[str, Any] | tuple[bytes, dict[str, Any]]],
        *,
        newlines: list[bytes] | None = None,
        bom: bool = False,
        final_newline: bool = True,
    ) -> JsonlFile:
        """A file of one line per piece: a dict is a good call (written as compact JSON), ``(bytes, dict)`` a
        good call written as those bytes, bytes a line as they are (hostile, or blank when only spaces and
        tabs). ``newlines`` gives each line's ending."""
        data = BOM if bom else b""
        lines = []
        for index, piece in enumerate(pieces, 1):
            if isinstance(piece, dict):
                raw, call = _encode_json(piece, False, False), piece
            elif isinstance(piece, tuple):
                raw, call = piece
            else:
                raw, call = piece, None
            data += raw
            if index < len(pieces) or final_newline:
                data += newlines[index - 1] if newlines else b"\n"
            if raw.strip(b" \t"):
                lines.append(JsonlLine(index, raw, call))
        return cls(data, tuple(lines))


def hostile_jsonl_line(*, max_depth: int = 100_000) -> st.SearchStrategy[bytes]:
    """The bytes of one hostile, non-blank JSON Lines line (no ``\\n`` or ``\\r`` in it) that is never a
    valid call: hostile call JSON, raw hostile text, invalid UTF-8 before anything, or a call cut short."""

    def one_line(raw: bytes) -> bytes:
        raw = raw.replace(b"\n", b"\\n").replace(b"\r", b"\\r")
        return raw if raw.decode("utf-8", "replace").strip() else b"?" + raw

    text_line = hostile_text(surrogates=True, max_run=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
    good = good_call_dicts().map(lambda c: _encode_json(c, False, False))
    cut = st.builds(lambda raw, at: raw[: max(1, int(len(raw) * at))], good, st.floats(0, 0.999))
    prefixed = st.builds(lambda bad, rest: bad + rest, invalid_utf8(), good | text_line)
    call_json = hostile_call_json(max_depth=max_depth).map(lambda t: t.encode("utf-8", "surrogatepass"))
    return st.one_of(call_json, call_json, text_line, prefixed, cut).map(one_line)


@st.composite
def jsonl_files(draw: st.DrawFn, *, max_lines: int = 6, max_depth: int = 100_000) -> JsonlFile:
    """A JSON Lines file mixing good calls, hostile lines and whitespace-only lines, with LF or CRLF
    endings, maybe a BOM, maybe no final newline, maybe a last line cut short mid-call (mid-character too)."""
    kinds = draw(st.lists(st.sampled_from(["good", "good", "hostile", "hostile", "blank"]), max_size=max_lines))
    pieces: list[bytes | dict[str, Any] | tuple[bytes, dict[str, Any]]] = []
    for kind in kinds:
        if kind == "good":
            call = draw(good_call_dicts())
            raw = _encode_json(call, draw(st.booleans()), draw(st.booleans()))
            before, after = draw(st.sampled_from([(b"", b""), (b" ", b""), (b"\t", b" \t")]))
            pieces.append((before + raw + after, call))
        elif kind == "hostile":
            pieces.append(draw(hostile_jsonl_line(max_depth=max_depth)))
        else:
            pieces.append(draw(st.sampled_from([b"", b" ", b"\t", b" \t  "])))
    if draw(st.booleans()):  # the last line cut short, as by a writer that died mid-line
        raw = _encode_json(draw(good_call_dicts()), False, False)
        pieces.append(raw[: draw(st.integers(1, len(raw) - 1))])
        final_newline = False
    else:
        final_newline = draw(st.booleans())
    newlines = [draw(st.sampled_from([b"\n", b"\r\n"])) for _ in pieces]
    return JsonlFile.build(pieces, newlines=newlines, bom=draw(st.booleans()), final_newline=final_newline)


@st.composite
def txt_files(draw: st.DrawFn) -> bytes:
    """A ``.txt`` call as bytes. Half are well formed (known header keys before well-formed utterance lines,
    so that the hostile header values and texts reach the code that converts them: ``# rings: ²``,
    ``# events: [[[…``, a 5,000-digit ring count); the rest add unknown headers, lines that are not
    utterances, invalid UTF-8, every line break ``str.splitlines`` knows and a last line cut short."""
    wellformed = draw(st.integers(0, 2)) > 0
    line_text = hostile_text(line_breaks=False, surrogates=False, max_run=300)
    digits = st.lists(st.sampled_from("0123456789") | ODD_DIGITS, min_size=1, max_size=6).map("".join)
    values = {
        "rings": st.one_of(digits, huge_int_text(), st.sampled_from(["-1", " 2 ", "1_0", "0x10", "2.0", ""])),
        "ring_seconds": st.one_of(
            digits, huge_int_text(), st.sampled_from(["nan", "inf", "-inf", "1e400", "1_0", "1e-400", "-0"])
        ),
        "events": st.one_of(
            hostile_json_values(surrogates=False),
            st.sampled_from(
                ['[{"type":"hold","start":NaN,"end":Infinity}]', '[{"type": "transfer", "start": 1e400}]', "[]", "{}"]
            ),
        ),
        "call_id": hostile_text(max_size=6, line_breaks=False, surrogates=False, max_run=50),
        "agent_id": hostile_text(max_size=6, line_breaks=False, surrogates=False, max_run=50),
        "direction": st.sampled_from(["inbound", "outbound", "呼出", "sideways", ""]),
        "hangup_by": st.sampled_from(["customer", "agent", "顾客", "robot", ""]),
    }
    keys = list(values) + ([] if wellformed else ["Rings", "bogus"])
    header = st.sampled_from(keys).flatmap(
        lambda key: values.get(key, line_text).map(lambda value: f"# {key}: {value}")
    )
    stamp = st.one_of(
        st.just(""),
        st.builds(
            lambda a, b: f"[{a}]" if b is None else f"[{a}-{b}]",
            st.sampled_from(
                ["00:03", "1:2:3", "99999", "9" * 400, "9:" * 300 + "9", "00:00.5"] + ([] if wellformed else [".", "::", "1..2"])
            ),
            st.none() | st.sampled_from(["00:01", "9" * 5000, "1:2:3:4"]),
        ),
    )
    speakers = ["坐席", "客户", "客服", "顾客", "agent", "Customer"]
    if not wellformed:
        speakers += ["robot", "坐\u200b席", "ＡＧＥＮＴ"]
    utterance = st.builds(
        lambda at, who, colon, text: f"{at} {who}{colon}{text}",
        stamp, st.sampled_from(speakers), st.sampled_from(["：", ":", " : "]), line_text,
    )
    if wellformed:
        lines = draw(st.lists(header, min_size=1, max_size=3)) + draw(st.lists(utterance, min_size=1, max_size=4))
        separators = st.sampled_from([b"\n", b"\r\n"])
    else:
        other = st.one_of(hostile_text(surrogates=False, max_run=100), st.sampled_from(["", " ", "\t", "\u3000", "#"]))
        lines = draw(st.lists(st.one_of(header, utterance, utterance, other), max_size=8))
        separators = st.sampled_from([b"\n", b"\r\n", b"\r", "\u2028".encode(), b"\x85", "\x85".encode(), b"\x0c"])
    data = BOM if draw(st.booleans()) else b""
    for line in lines:
        raw = line.encode("utf-8")
        if not wellformed and draw(st.integers(0, 7)) == 0:
            raw = draw(invalid_utf8()) + raw
        data += raw + draw(separators)
    if not wellformed and lines and draw(st.booleans()):  # the last line cut short, mid-character maybe
        data = data[: draw(st.integers(max(0, len(data) - 12), len(data)))]
    return Blob(data)


@st.composite
def json_files(draw: st.DrawFn) -> bytes:
    """A ``.json`` file: a list of good and hostile calls, ``{"tickets": […]}``, one hostile value or call,
    or bytes that are not UTF-8 at all."""
    item = st.one_of(good_call_dicts().map(lambda c: json.dumps(c, ensure_ascii=False)), hostile_call_json())
    kind = draw(st.sampled_from(["list", "tickets", "one", "bytes"]))
    if kind == "bytes":
        return Blob(draw(invalid_utf8()) + draw(st.binary(max_size=40)))
    if kind == "one":
        text = draw(item | hostile_json_values())
    else:
        items = "[" + ",\n".join(draw(st.lists(item, max_size=4))) + "]"
        text = items if kind == "list" else '{"tickets": ' + items + "}"
    raw = text.encode("utf-8", "surrogatepass")
    return Blob((BOM if draw(st.booleans()) else b"") + raw)


# ------------------------------------------------------------------------------------------- report files


def report_lines() -> st.SearchStrategy[bytes]:
    """One hostile line of a reports file (never a valid report or error record, no ``\\n``/``\\r``)."""
    near_report = st.sampled_from(
        [b'{"error": true}', b'{"error": [1]}', b'{"call_id": "x"}', b"[1]", b'"x"', b"null", b"1", b"{}", b"NaN",
         b'{"error": true, "code": 1, "message": null}', b'{"call_id": "x", "checks": "none"}']
    )
    return st.one_of(
        near_report,
        hostile_json_values().map(lambda t: t.encode("utf-8", "surrogatepass")),
        hostile_text(surrogates=True, max_run=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.builds(lambda bad, rest: bad + rest, invalid_utf8(), near_report),
    ).map(lambda raw: raw.replace(b"\n", b" ").replace(b"\r", b" ")).map(
        lambda raw: Blob(raw if raw.decode("utf-8", "replace").strip() else b"?" + raw)
    )


# --------------------------------------------------------------------------------------------- rule files


def _toml_string(text: str) -> str:
    """A TOML basic string; every character TOML does not allow raw is escaped (surrogates too, which
    makes the string invalid TOML: a hostile case of its own)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


RULE_TABLES = [
    "scorecard", "timing", "matching", "rules.restate-question", "rules.restate-question.params",
    "rules.no-absolute-promises", "rules.no-interrupting.params", "rules.apologise-after-hold.params",
    "script.greeting", "script.greeting.parts.offer", "script.goodbye.parts.goodbye", "lexicon.absolute-promise",
    "lexicon.new-one", "banned.wei-hei", "banned.new-one", "rules.unknown-rule", "script.new-step",
]
RULE_KEYS = [
    "company", "company_aliases", "departments", "pass_mark", "name", "ring_cycle_seconds", "max_rings",
    "closing_window", "wrap_up_window", "hesitations", "clitics", "loose", "user_words", "stopwords", "homophone_min_chars",
    "code", "title",
    "weight", "severity", "veto", "enabled", "fix", "fuzzy_threshold", "label", "variants", "homophones",
    "boundary", "unless_before", "unless_after", "window", "phrase", "instead", "line", "direction", "rule",
    "parts", "extends",
]
PATTERNS = ["{", "}", "{company", "{|}", "{a|b}" * 25, "{unknown}", "{{company}}", "{company}{department}" * 8,
            "{|a|b|c|d|e|f|g|h}" * 8, "script.nothing", "script.greeting", "", " ", "嗯", "，。！", "{ | }", "{company|}"]


def toml_values(*, max_depth: int = 100_000) -> st.SearchStrategy[str]:
    """A TOML value as text: hostile strings, patterns, huge numbers, non-finite floats, dates, arrays,
    inline tables, and nesting far past the recursion limit."""
    depth = st.one_of(st.integers(1_100, max_depth), st.just(max_depth), st.integers(1, 50))
    string = st.one_of(
        hostile_text(max_size=10, max_run=200).map(_toml_string),
        st.sampled_from(PATTERNS).map(_toml_string),
        st.builds(
            lambda ch, n: _toml_string(ch * n),
            st.sampled_from(["楠", "a", "{a|b}", "\ue000", "嗯"]),
            st.sampled_from([10_000, 200_000]),
        ),
        hostile_text(max_size=6, surrogates=False, max_run=0).map(lambda t: "'" + t.replace("'", "") + "'"),
        hostile_text(max_size=6, max_run=0).map(lambda t: '"' + t + '"'),  # raw: control characters are not TOML
        hostile_text(max_size=6, surrogates=False, max_run=0).map(lambda t: '"""' + t.replace('"', "") + '"""'),
    )
    number = st.one_of(
        huge_int_text(max_digits=6_000),
        st.sampled_from(["nan", "+nan", "-nan", "inf", "-inf", "1e400", "-1e400", "1e-400", "0x7FFFFFFFFFFFFFFFFFFF",
                         "0o777", "0b1", "1_000", "-0", "+0.0", "9" * 5000 + ".0", "00", "1__0"]),
        st.integers(-(2**70), 2**70).map(str), st.floats(allow_nan=False, allow_infinity=False).map(repr),
    )
    other = st.sampled_from(["true", "false", "1979-05-27T07:32:00Z", "07:32:00", "1979-05-27"])
    scalar = st.one_of(string, string, number, other)
    nested = st.builds(
        lambda kind, n, closed, leaf: (
            "[" * n + leaf + ("]" * n if closed else "") if kind == "array" else "{a=" * n + leaf + ("}" * n if closed else "")
        ),
        st.sampled_from(["array", "table"]), depth, st.booleans(), scalar,
    )
    array = st.lists(scalar, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    inline = st.lists(st.tuples(st.sampled_from(RULE_KEYS), scalar), max_size=3).map(
        lambda pairs: "{" + ", ".join(f"{k} = {v}" for k, v in pairs) + "}"
    )
    return st.one_of(scalar, scalar, array, inline, nested)


@st.composite
def toml_files(draw: st.DrawFn, *, max_depth: int = 100_000) -> bytes:
    """A rule file as bytes: random bytes, or TOML that extends (or imitates) the default scorecard with
    hostile tables, keys and values; sometimes cut short or with invalid UTF-8 spliced in."""
    if draw(st.integers(0, 5)) == 0:
        return Blob(draw(st.binary(max_size=300)))
    value = toml_values(max_depth=max_depth)
    lines = []
    first = draw(st.sampled_from(['extends = "default"', 'extends = "default"', "", "extends = " + draw(value)]))
    lines.append(first)
    for _ in range(draw(st.integers(0, 4))):
        table = draw(st.sampled_from(RULE_TABLES) | hostile_text(max_size=4, max_run=0).map(_toml_string))
        lines.append(draw(st.sampled_from(["[{}]", "[[{}]]", "[ {} ]"])).format(table))
        for _ in range(draw(st.integers(0, 3))):
            key = draw(st.sampled_from(RULE_KEYS) | hostile_text(max_size=4, max_run=0).map(_toml_string))
            lines.append(f"{key} = {draw(value)}")
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(invalid_utf8()) + data[at:]
    if draw(st.integers(0, 5)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return Blob((BOM if draw(st.integers(0, 7)) == 0 else b"") + data)

