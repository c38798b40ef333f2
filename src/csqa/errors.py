"""One exception hierarchy, with stable, greppable error codes.

Every error csqa raises is a :class:`CsqaError`. Each carries a ``code`` (``E1xx`` for input, ``E2xx`` for
rule files, ``E3xx`` for scoring, ``E4xx`` for a library or command used the wrong way) that stays the same
across releases, so a pipeline can branch on it and a person can search for
it. Errors that can have several causes at once (a call with three bad utterances, a rule file with five
mistakes) carry all of them in ``problems`` rather than stopping at the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CODES",
    "CsqaError",
    "InputError",
    "InputProblem",
    "RuleFileError",
    "RuleProblem",
    "ScoringError",
    "UnknownRuleError",
    "UsageError",
    "closest",
    "did_you_mean",
]


CODES: dict[str, str] = {
    "E000": "an error of csqa's (the base class, CsqaError)",
    "E100": "an input is not JSON, or not UTF-8, or nested too deeply (InputError)",
    "E101": "a call is invalid: every problem with its utterance and field (InputError)",
    "E102": "an input file cannot be read (InputError)",
    "E103": "a file given as reports is not one written by csqa score --format jsonl (InputError)",
    "E104": "a table's header cannot be read as calls: no speaker or text column, a column that looks like a "
            "misspelt field, a column named in the column map that is not there (InputError)",
    "E110": "a review file (saved by a call page) is invalid: every problem with file, review and field (InputError)",
    "E200": "a rule file is missing, unreadable or invalid: every problem with file and path (RuleFileError)",
    "E201": "a phrase pattern is malformed (PatternError; in a rule file it is reported as E200)",
    "E300": "a check broke on a call: a bug in csqa or a rule file, reported with call and rule (ScoringError)",
    "E301": "csqa serve failed on a request: a bug, answered without details (the server's log has them) (ServiceError)",
    "E400": "the library or the command line was used the wrong way (UsageError)",
    "E401": "a rule asked for by id or code that the report does not have (UnknownRuleError)",
    "E402": "a table's columns do not fit its layout (csqa.scale.frames.ColumnsError)",
    "E410": "csqa serve: a request body, stream line or WebSocket message is larger than the limit (ServiceError)",
    "E411": "csqa serve: a call or live session has more utterances than the limit (ServiceError)",
    "E412": "csqa serve: as many live sessions are open as the limit allows (ServiceError)",
    "E413": "csqa serve: a request or message it does not understand: not JSON, an unknown type or field (ServiceError)",
    "E414": "csqa serve: no such endpoint or method (ServiceError)",
}
"""Every error code csqa uses, with what it means: the one catalogue (a test checks that every error class's
code is here and that every ``raise`` in the library raises a csqa error)."""


def closest(word: str, choices: Iterable[str], *, cutoff: float = 0.8) -> str | None:
    """The choice that ``word`` most likely misspells, or ``None``: compared without case, spaces, ``-`` or
    ``_`` (difflib's ratio, at least ``cutoff``), so that ``hangup_bi``, ``Restate-Qustion`` and ``scroe`` find
    ``hangup_by``, ``restate-question`` and ``score``."""
    def key(text: str) -> str:
        return "".join(ch for ch in text.casefold() if ch not in " -_")

    wanted = key(word)
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(key(choice), choice)
    if not wanted or (wanted in by_key and by_key[wanted] == word):
        return None
    if wanted in by_key:
        return by_key[wanted]
    found = difflib.get_close_matches(wanted, list(by_key), n=1, cutoff=cutoff)
    return by_key[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = 0.8) -> str:
    """``"; did you mean 'x'?"`` for the choice ``word`` most likely misspells (see :func:`closest`), or ``""``."""
    found = closest(word, choices, cutoff=cutoff)
    return f"; did you mean {found!r}?" if found is not None else ""


class CsqaError(Exception):
    """Base class of every error csqa raises."""

    code = "E000"


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with one call: where (utterance index, field path) and what."""

    field: str
    message: str
    utterance: int | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InputError(CsqaError, ValueError):
    """A call could not be read or validated.

    ``source`` is the file (or ``"<input>"``), ``line`` the 1-based line of the call in that file where it
    has one, ``call_id`` the call's id when it could be read, ``problems`` every problem found.
    """

    def __init__(
        self,
        problems: list[InputProblem],
        *,
        code: str = "E101",
        call_id: str | None = None,
        source: str | None = None,
        line: int | None = None,
        row: int | None = None,
    ) -> None:
        self.problems = list(problems)
        self.code = code
        self.call_id = call_id
        self.source = source
        self.line = line
        self.row = row
        super().__init__(self._render())

    def where(self) -> str:
        """Where the bad call is, as a person would look for it: ``file line 7, call 'x'`` (``file row 7`` in a
        CSV or Excel table, where the header is row 1, as a spreadsheet numbers it)."""
        parts = []
        if self.source:
            if self.row is not None:
                parts.append(f"{self.source} row {self.row}")
            else:
                parts.append(self.source if self.line is None else f"{self.source} line {self.line}")
        if self.call_id is not None:
            parts.append(f"call {self.call_id!r}")
        return ", ".join(parts) or "<input>"

    def _render(self) -> str:
        body = "; ".join(str(p) for p in self.problems) or "invalid call"
        return f"[{self.code}] {self.where()}: {body}"


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One mistake in a rule file: the file, the dotted path inside it, and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '<root>'}: {self.message}"


class RuleFileError(CsqaError, ValueError):
    """A rule file is missing, unreadable or invalid; ``problems`` lists every mistake found at once."""

    code = "E200"

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"[{self.code}] {count} problem{'s' if count != 1 else ''} in rule files:\n{lines}")


class ScoringError(CsqaError, RuntimeError):
    """A check raised while judging a call: a bug in csqa or in a rule file, reported with call and rule."""

    code = "E300"

    def __init__(self, call_id: str, rule: str | None, cause: BaseException) -> None:
        self.call_id, self.rule = call_id, rule
        where = f"rule {rule} failed" if rule else "preparing the call failed"
        super().__init__(f"[{self.code}] call {call_id!r}: {where}: {type(cause).__name__}: {str(cause)[:300]}")


class UsageError(CsqaError, ValueError):
    """The library or the command line was used the wrong way: an option out of range, an output that would
    overwrite an input, a path that does not exist. The command line exits 2 with the message."""

    code = "E400"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")


class UnknownRuleError(CsqaError, KeyError):
    """A rule asked for by id or code that the report or rule set does not have; the message lists what it has."""

    code = "E401"

    def __init__(self, rule: str, known: list[str]) -> None:
        self.rule = rule
        super().__init__(f"[{self.code}] no rule {rule!r}{did_you_mean(rule, known)}; known: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])
