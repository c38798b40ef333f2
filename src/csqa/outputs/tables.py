"""Plain-text tables for the terminal, padded by display width so Chinese text lines up."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = ["table", "terminal_safe"]

# Control characters (ESC starts terminal escape sequences, a newline or CR forges a row), bidi controls
# (they reorder what follows on the line) and surrogates: shown as escapes, never sent to the terminal.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    """``text`` with every character that could move the cursor, forge a line or reorder the display shown as
    its escape (``\\x1b``, ``\\n``)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns separated by two spaces, a rule under the headers."""
    body = [[terminal_safe(cell) for cell in r] for r in rows]
    widths = [max([_width(h), *(_width(r[i]) for r in body)]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths)).rstrip() for r in body]
    return "\n".join(lines)
