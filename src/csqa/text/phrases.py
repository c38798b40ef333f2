"""Phrase patterns from the rule files, and one multi-pattern pass that finds them all.

A rule file writes a family of phrases compactly: ``有什么{可以|能}帮{您|你}`` expands to four strings,
``{|请问}`` makes a part optional, and ``{company}`` stands for every configured name of the company. Every
expanded phrase is normalised the same way as call text and reduced to its content characters (punctuation
and spaces dropped), so ``请问,有什么能帮您?`` and ``请问有什么能帮您`` are one phrase.

Matching runs once per utterance over its *content key* (see :mod:`csqa.text.doc`): the utterance's tokens with
punctuation, spaces and hesitation sounds (嗯, 呃) left out, so a filler inside a phrase does not hide it. An
Aho-Corasick automaton finds every candidate in one pass; a candidate counts only where it starts and ends
on jieba token boundaries, so a phrase never matches half a word. Families that allow homophones are also
matched on the utterance's *sound key*: each character replaced by its toneless pinyin syllable, which is
how ASR substitutions such as 在见 for 再见 or 南山 for 楠山 are caught.

Two constructs reach past a fixed phrase (the whole language, with examples, is ``docs/phrases.md``):

* A *gap* ``{~N}`` (up to N content characters) or ``{~Nw}`` (up to N jieba words) between the parts of a
  pattern: ``还有{~7}帮{|到}{您|你}``. Each part is expanded and searched in the same automaton as every
  phrase; after the pass the parts' hits are joined in order within their gaps (:func:`_chain`, a sliding
  window over hits sorted by position, so joining costs about what finding the parts did).
* A *regular expression* ``re:工号\\d{3,6}``, run by RE2 (``google-re2``), whose time is linear in the text
  whatever the expression: no rule file can make scoring hang. It is searched on the same content key, so
  its offsets map back to the original text like any other hit's; it is never matched by sound.

:func:`check_pattern` validates a pattern and says what is wrong with it; a rule file runs it on every
pattern when it is loaded.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, islice
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick_rs
import re2

from csqa.errors import CsqaError
from csqa.text.normalize import Normalizer

__all__ = [
    "CompiledPattern",
    "Gap",
    "PatternError",
    "PhraseFamily",
    "PhraseHit",
    "PhraseIndex",
    "SoundTable",
    "check_pattern",
    "clause_start",
    "compile_pattern",
    "ends_clause",
    "expand_pattern",
]

MAX_EXPANSIONS = 512
MAX_GAP = 20
"""The largest N of a gap ``{~N}`` / ``{~Nw}``."""
MAX_REGEX_MATCHES = 64
"""How many matches of one regular expression are looked at in one utterance. RE2 finds each in time linear
in the utterance, but finding all of them can take one scan per match (``a.*b|a`` over ``aaaa…``); the cap
keeps the whole search linear. No check needs more hits of one pattern in one utterance."""
REGEX_PREFIX = "re:"
_GROUP = re.compile(r"\{([^{}]*)\}")
_GAP = re.compile(r"\{~([^{}]*)\}")
_GAP_SIZE = re.compile(r"([0-9]+)(w?)")


class PatternError(CsqaError, ValueError):
    """A phrase pattern is malformed (unbalanced braces, unknown placeholder, too many expansions)."""

    code = "E201"


def expand_pattern(pattern: str, placeholders: Mapping[str, Sequence[str]]) -> list[str]:
    """Every string a pattern stands for, in a stable order.

    ``{a|b}`` is a choice (an empty choice makes the group optional); ``{name}`` is a choice among the
    values of the placeholder ``name``.
    """
    stripped = _GROUP.sub("", pattern)
    if "{" in stripped or "}" in stripped:
        raise PatternError(f"unbalanced or nested braces in {pattern!r}")
    results = [""]
    position = 0
    for group in _GROUP.finditer(pattern):
        literal = pattern[position : group.start()]
        inner = group.group(1)
        if "|" in inner:
            options = inner.split("|")
        elif inner in placeholders:
            options = list(placeholders[inner])
            if not options:
                raise PatternError(f"placeholder {{{inner}}} has no values")
        else:
            known = ", ".join(sorted(placeholders)) or "none"
            raise PatternError(f"unknown placeholder {{{inner}}} in {pattern!r} (known: {known})")
        results = [prefix + literal + option for prefix in results for option in options]
        if len(results) > MAX_EXPANSIONS:
            raise PatternError(f"{pattern!r} expands to more than {MAX_EXPANSIONS} phrases")
        position = group.end()
    tail = pattern[position:]
    return list(dict.fromkeys(prefix + tail for prefix in results))


class Gap(NamedTuple):
    """Up to ``size`` content characters (``words=False``) or jieba words (``words=True``) between two parts."""

    size: int
    words: bool


@dataclass(frozen=True, slots=True, eq=False)
class CompiledPattern:
    """A pattern made ready to search: its parts, each as ``(phrase, content key)`` pairs, the gaps between
    them, or for ``re:`` its RE2 expression (and no parts). A pattern without gaps has one part."""

    pattern: str
    parts: tuple[tuple[tuple[str, str], ...], ...]
    gaps: tuple[Gap, ...] = ()
    regex: Any = None

    def found_in(self, key: str) -> bool:
        """Whether the pattern occurs in the content key ``key``, compared character by character.

        This is the load-time test that a script line holds one of its parts' variants: there is no tokenizer
        then, so token boundaries are not looked at and a word gap ``{~Nw}`` only needs its parts in order
        (a line is one sentence); a character gap is held to its N.
        """
        if self.regex is not None:
            return any(m.start() < m.end() for m in islice(self.regex.finditer(key), MAX_REGEX_MATCHES))
        found: list[dict[tuple[int, int], bool]] = []
        for part in self.parts:
            spans: dict[tuple[int, int], bool] = {}
            for _, word in part:
                at = key.find(word) if word else -1
                while at != -1:
                    spans[at, at + len(word)] = True
                    at = key.find(word, at + 1)
            found.append(spans)
        return bool(found[0]) if len(found) == 1 else bool(_chain(found, self.gaps, None))


_DEFAULT_NORMALIZER = Normalizer()


def _regex_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every syntax error to stderr; ours is raised instead
    options.never_capture = True  # only the whole match is used: RE2 can find its span with its DFAs alone
    options.case_sensitive = False  # content keys hold lower-case Latin letters; a pattern may write VIP
    return options


_REGEX_OPTIONS = _regex_options()
_EMPTY_PROBES = ("", "a", "中", "aa", "a中")
"""Texts holding every context a position can have (start or end of the text or neither, between word
characters or not): an expression that matches the empty string matches it at one of their positions."""


def _regex_error(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return str(detail)


def _compile_regex(pattern: str, normalizer: Normalizer) -> Any:
    source = pattern[len(REGEX_PREFIX) :]
    if not source:
        raise PatternError(f"{pattern!r}: empty regular expression after 're:'")
    # content keys are Simplified: fold Traditional characters the way call text is (電話 → 电话), and touch
    # nothing ASCII, which is the expression's syntax (\D, [A-Z], the full-width folds to (, ?…)
    folded = normalizer(source)
    source = "".join(n if not c.isascii() and not n.isascii() else c for c, n in zip(source, folded))
    try:
        regex = re2.compile(source, _REGEX_OPTIONS)
    except re2.error as exc:
        raise PatternError(
            f"{pattern!r} is not a valid regular expression: {_regex_error(exc)} "
            "(RE2 syntax: no look-around, no back-references)"
        ) from None
    for probe in _EMPTY_PROBES:
        for at in range(len(probe) + 1):
            if regex.fullmatch(probe, at, at) is not None:
                raise PatternError(
                    f"{pattern!r} can match the empty string: a regular expression must match at least one "
                    "character (write x+ rather than x*, drop an empty alternative)"
                )
    return regex


def _split_gaps(pattern: str) -> tuple[list[str], list[Gap]]:
    parts: list[str] = []
    gaps: list[Gap] = []
    position = 0
    for found in _GAP.finditer(pattern):
        size = _GAP_SIZE.fullmatch(found.group(1))
        if size is None or not 1 <= int(size.group(1)) <= MAX_GAP:
            raise PatternError(
                f"{found.group(0)!r} in {pattern!r} is not a gap: write {{~N}} for up to N characters or "
                f"{{~Nw}} for up to N words, N from 1 to {MAX_GAP}"
            )
        part = pattern[position : found.start()]
        if not part:
            where = "starts with a gap" if not parts else f"has two gaps in a row ({pattern[:found.end()][-12:]!r})"
            raise PatternError(f"{pattern!r} {where}: a gap stands between two parts of a pattern")
        parts.append(part)
        gaps.append(Gap(int(size.group(1)), size.group(2) == "w"))
        position = found.end()
    tail = pattern[position:]
    if gaps and not tail:
        raise PatternError(f"{pattern!r} ends with a gap: a gap stands between two parts of a pattern")
    parts.append(tail)
    return parts, gaps


def _spoken(key: str, equivalents: Mapping[str, Sequence[str]]) -> list[str]:
    """``key`` and its spoken forms: each written word of ``equivalents`` in it replaced by each word that
    stands for it in speech (什么 by 啥: 有什么可以帮您 is also 有啥可以帮您, and a Cantonese 咩, folded to 啥,
    then matches too). One word at a time is replaced, everywhere it occurs, so the forms stay few."""
    forms = [key]
    for written, spoken in equivalents.items():
        if written in key:
            forms.extend(key.replace(written, word) for word in spoken)
    return forms


def _compile(pattern: str, placeholders: Mapping[str, Sequence[str]], normalizer: Normalizer,
             equivalents: Mapping[str, Sequence[str]] | None = None) -> CompiledPattern:
    """The pattern parsed and expanded (with the spoken forms of its phrases when ``equivalents`` are
    given); a part's phrase whose content key is empty is kept (see :func:`compile_pattern` for the check
    that refuses it)."""
    if pattern.startswith(REGEX_PREFIX):
        return CompiledPattern(pattern, (), (), _compile_regex(pattern, normalizer))
    texts, gaps = _split_gaps(pattern)
    parts = []
    for text in texts:
        try:
            phrases = expand_pattern(text, placeholders)
        except PatternError as exc:
            if not gaps:
                raise
            raise PatternError(f"{exc} (a part of {pattern!r})") from None
        keyed = [(phrase, content_key(normalizer, phrase)) for phrase in phrases]
        if equivalents:
            keyed = [(phrase, form) for phrase, key in keyed for form in _spoken(key, equivalents)]
        parts.append(tuple(dict.fromkeys(keyed)))
    return CompiledPattern(pattern, tuple(parts), tuple(gaps))


def compile_pattern(
    pattern: str,
    placeholders: Mapping[str, Sequence[str]],
    *,
    normalizer: Normalizer | None = None,
    context: bool = False,
) -> CompiledPattern:
    """A pattern checked and made ready to search; :class:`PatternError` says what is wrong with a bad one.

    Checked: braces, placeholders and the number of expansions (:func:`expand_pattern`), that every phrase
    a pattern (or each part of a gapped pattern) stands for has a letter or digit to match, the gaps (N from
    1 to :data:`MAX_GAP`, between two parts), and a regular expression's RE2 syntax and that it cannot match
    the empty string. ``context=True`` is for the phrases of ``unless_before`` / ``unless_after``, which are
    plain patterns: a gap or a regular expression there is refused.
    """
    if context and (pattern.startswith(REGEX_PREFIX) or _GAP.search(pattern)):
        raise PatternError(
            f"{pattern!r}: the phrases of unless_before / unless_after take no gaps and no regular expressions"
        )
    compiled = _compile(pattern, placeholders, normalizer or _DEFAULT_NORMALIZER)
    for index, part in enumerate(compiled.parts):
        for phrase, key in part:
            if key:
                continue
            if len(compiled.parts) == 1:
                raise PatternError(f"{phrase!r} has no letters or characters to match")
            raise PatternError(
                f"part {index + 1} of {pattern!r} can be {phrase!r}, with no letters or characters to match: "
                "each part between gaps must match something (make the gap larger instead of the part optional)"
            )
    return compiled


def check_pattern(
    pattern: str,
    placeholders: Mapping[str, Sequence[str]],
    *,
    normalizer: Normalizer | None = None,
    context: bool = False,
) -> None:
    """Raise :class:`PatternError` with a message naming the pattern if it is not a valid pattern (see
    :func:`compile_pattern`, which also returns it ready to search)."""
    compile_pattern(pattern, placeholders, normalizer=normalizer, context=context)


def _floor(gap: Gap, start: int, sizes: Sequence[int] | None) -> int:
    """The earliest offset where the part before a gap may end for the part after it to start at ``start``.

    A character gap: ``start - N``. A word gap counts the words that hold a character of the gap (the rest
    of a word the part before ends inside counts as one): at most N, so the part before must end in or
    after the N-th word before ``start``. ``sizes`` are the key's word boundaries; without them (the
    load-time check, no tokenizer) a word gap has no bound.
    """
    if not gap.words:
        return start - gap.size
    if sizes is None or start == 0:
        return 0
    first = bisect_right(sizes, start - 1) - gap.size  # the word holding start-1, less N-1
    return sizes[first] if first > 0 else 0


def _chain(
    parts: Sequence[Mapping[tuple[int, int], bool]], gaps: Sequence[Gap], sizes: Sequence[int] | None
) -> list[tuple[int, int, bool]]:
    """The hits of a gapped pattern from its parts' hits: ``parts[i]`` maps each span where part ``i`` was
    found to whether it was found exactly (not by sound). Returns ``(start, end, exact)``: one hit for each
    hit of the last part that a chain of the parts reaches, each part starting at or after the end of the
    one before and within its gap of it; of those chains, the one that starts latest (the shortest hit),
    exact before by sound.

    Each part's hits are swept in order of start, with the chains that reach the part before in order of
    end, through a window of the chains that may precede (ended, and within the gap) kept as a monotonic
    queue of the best start: every hit enters and leaves the window once, so joining costs a sort of the
    parts' hits, however many there are within a gap.
    """
    chains = sorted((end, start, exact) for (start, end), exact in parts[0].items())
    for gap, part in zip(gaps, parts[1:]):
        if not chains or not part:
            return []
        following: list[tuple[int, int, bool]] = []
        window: deque[tuple[int, tuple[int, bool]]] = deque()  # (end, (first start, exact)), best first
        taken = 0
        for (start, end), exact in sorted(part.items()):
            while taken < len(chains) and chains[taken][0] <= start:
                chain_end, first, chain_exact = chains[taken]
                value = (first, chain_exact)
                while window and window[-1][1] <= value:
                    window.pop()
                window.append((chain_end, value))
                taken += 1
            floor = _floor(gap, start, sizes)
            while window and window[0][0] < floor:
                window.popleft()
            if window:
                first, chain_exact = window[0][1]
                following.append((end, first, chain_exact and exact))
        following.sort()
        chains = following
    return [(start, end, exact) for end, start, exact in chains]


def _readings() -> dict[int, str]:
    """pypinyin's table of character readings (code point → "lǜ,lù"), without its phrase dictionary.

    ``import pypinyin`` loads both its character and its phrase dictionaries (about 55 MB); per-character
    readings are all csqa needs, so the character table is read from the package's data file directly, and
    the package is imported only if that file is not where pypinyin keeps it.
    """
    spec = importlib.util.find_spec("pypinyin")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / "pinyin_dict.json"
        if path.is_file():
            return {int(code): value for code, value in json.loads(path.read_text(encoding="utf-8")).items()}
    from pypinyin.pinyin_dict import pinyin_dict

    return dict(pinyin_dict)


def _toneless(reading: str) -> str:
    """lǜ → lv, zhōng → zhong: pypinyin's ``Style.NORMAL``."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_SOUND_RANGE = range(0x3400, 0xA000)  # CJK Extension A and the Unified Ideographs: the characters ASR writes


@functools.lru_cache(maxsize=4)
def _sound_table(fold_retroflex: bool, fold_nasal: bool) -> list[str | int]:
    """Code point → private-use character of its folded toneless syllable, or the code point itself outside
    :data:`_SOUND_RANGE` and where pypinyin has no reading. Built once per process and folding; read-only.

    A list rather than a dict because ``str.translate`` looks a list up by index, without hashing (and
    leaves characters past its end as they are).
    """
    toneless = functools.lru_cache(maxsize=None)(_toneless)
    codes: dict[str, str] = {}
    table: list[str | int] = list(range(_SOUND_RANGE.stop))
    for code, readings in sorted(_readings().items()):
        if code not in _SOUND_RANGE or not readings:
            continue
        syllable = toneless(readings.split(",")[0])
        if fold_retroflex and syllable[:2] in ("zh", "ch", "sh"):
            syllable = syllable[0] + syllable[2:]
        if fold_nasal and syllable.endswith("ng") and len(syllable) > 2:
            syllable = syllable[:-1]
        table[code] = codes.setdefault(syllable, chr(0xF0000 + len(codes)))
    return table


class SoundTable:
    """Characters → toneless pinyin syllables, each encoded as one private-use character.

    The sound key of a text has exactly the length of the text, so an offset found in it is an offset in
    the content key. ``fold_retroflex`` merges zh/ch/sh with z/c/s and ``fold_nasal`` merges -ng with -n,
    the two confusions ASR and southern accents make most. Each character takes the first reading pypinyin
    lists; the table is built on first use, once per process.
    """

    __slots__ = ("_table", "fold_nasal", "fold_retroflex")

    def __init__(self, *, fold_retroflex: bool = True, fold_nasal: bool = True) -> None:
        self.fold_retroflex = fold_retroflex
        self.fold_nasal = fold_nasal
        self._table: list[str | int] | None = None

    def __getstate__(self) -> dict[str, bool]:
        return {"fold_retroflex": self.fold_retroflex, "fold_nasal": self.fold_nasal}

    def __setstate__(self, state: dict[str, bool]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def key(self, text: str) -> str:
        """The sound key of ``text``: one character per character."""
        if self._table is None:
            self._table = _sound_table(self.fold_retroflex, self.fold_nasal)
        return text.translate(self._table)


_TRANSPARENT = frozenset({"跟", "给", "向", "对", "为", "和", "同", "替", "您", "你", "你们", "您们",
                          "保证", "确保", "承诺", "担保"})
"""Words that do not count in the reach of a negation: a coverb and the customer it names stand between a
negation and its verb (没办法跟您保证, 不能给您保证), and a negated verb of guaranteeing reaches what it would
guarantee (没办法保证今天一定送达)."""

_CONDITIONS = frozenset({"的话", "也"})
"""Words that close a condition or a concession: a negation before one of them belongs to it (吊牌没拆的话, 没保价也…)
and negates nothing after it (没保价也肯定能赔 promises)."""

_FINAL_PARTICLES = "的啊呀了吧哦呢嘛啦哈喔欸诶㗎喇亲"
"""Particles that may end a clause after a phrase that must end it (不能查的, 随便您啦; Taiwan's 喔, 欸 and Hong Kong's
㗎, 喇), and chat's vocative 亲 (不能查的亲,没办法), which closes a clause as 啦 does."""


def clause_start(breaks: set[int], offset: int) -> int:
    """The content-key offset where the clause holding ``offset`` starts: the last clause break at or before
    it (0 for the first clause)."""
    return max((b for b in breaks if b <= offset), default=0)


def ends_clause(key: str, end: int, breaks: set[int]) -> bool:
    """Whether content-key offset ``end`` ends a clause: a clause break there, or after at most two
    sentence-final particles."""
    for position in range(end, min(end + 2, len(key)) + 1):
        if position in breaks:
            return True
        if position < len(key) and key[position] not in _FINAL_PARTICLES:
            return False
    return False


@dataclass(frozen=True, slots=True)
class PhraseFamily:
    """A named set of patterns and how to match them.

    ``boundary`` is ``"token"`` (a hit starts and ends on jieba token boundaries), ``"start"`` (it starts on
    one; its end may fall inside a word jieba glued to the next) or ``"char"`` (anywhere).

    ``unless_before`` / ``unless_after`` cancel a hit when one of their phrases ends within ``window`` content
    characters before it / starts within ``window`` after it (我们**不能**保证, 您不明白**的话**); ``clause_end``
    keeps only hits that end a clause (followed by punctuation, a space, or the end of the utterance,
    sentence-final particles aside: 不能查。 and 不能查的 but not 不能查到); ``clause_start`` keeps only hits that
    start one (喂! called into the line, but not 混着喂 feeding a cat); ``one_clause`` keeps only hits with no
    clause break inside them (好麻烦, but not 好,麻烦快一点), and reads their ``unless_before`` / ``unless_after``
    context in their clause only (记得还,再见 says goodbye; 还再见, heard for 还在建, does not).

    ``negators`` are words that cancel a hit when one of the ``negation_words`` words before it, in its clause, is
    one of them (这边也是**没有**办法保证的, 具体的**不**保证): negation read on word boundaries, so 不用担心 or
    没问题 do not negate; a coverb and the customer it names do not count among those words (没办法跟您保证). The
    sense of a word is read from the words around it: ``needs_nearby`` keeps a hit only when one of the
    ``nearby_words`` words before or after it is one of them (or one of them glued to the word before it, 给您:
    我们包活 and 给您包退 promise, 死苗包换 states a policy); ``unless_next_pos`` cancels a hit whose next word
    (across punctuation: raw ASR puts spaces anywhere) has one of these part-of-speech tags, ``end`` standing for
    the end of the utterance (保证**商品**的新鲜度 and 正品保证**的** ensure or describe; 保证**不用**排队
    promises).
    """

    name: str
    patterns: tuple[str, ...]
    homophones: bool = False
    boundary: str = "token"
    unless_before: tuple[str, ...] = ()
    unless_after: tuple[str, ...] = ()
    window: int = 4
    clause_end: bool = False
    clause_start: bool = False
    one_clause: bool = False
    negators: frozenset[str] = frozenset()
    negation_words: int = 3
    needs_nearby: frozenset[str] = frozenset()
    nearby_words: int = 4
    unless_next_pos: frozenset[str] = frozenset()


class PhraseHit(NamedTuple):
    """A phrase found in an utterance's content key (``start``/``end`` are content-key offsets).

    ``phrase`` is the expanded phrase that matched, or for a gapped pattern or a regular expression the
    content-key text of the hit (from the first part's start to the last part's end).
    """

    family: str
    phrase: str
    pattern: str
    start: int
    end: int
    by_sound: bool


Owner = tuple[str, str, str] | tuple[str, str, str, int]
"""Who a key of an automaton stands for: ``(family, phrase, pattern)``, or ``(family, phrase, pattern, i)``
for part ``i`` of a gapped pattern."""

Candidate = tuple[int, int, Owner, bool]
"""A raw automaton match not yet checked against its family's boundaries and context:
``(start, end, owner, by_sound)``."""


def content_key(normalizer: Normalizer, text: str) -> str:
    """A phrase reduced to what matching compares: normalised, letters and digits only."""
    return "".join(ch for ch in normalizer(text) if ch.isalnum())


def _ends_near(context: re.Pattern[str], longest: int, key: str, low: int, start: int, floor: int) -> bool:
    """Whether a phrase of ``context`` (none longer than ``longest``) ends inside ``key[low:start]`` (its last
    character at ``low`` or after, so that a window of N characters means the same for a phrase of any length)
    and starts at ``floor`` or later: tried from each position a phrase could start at, so the cost is the
    window's and the longest phrase's, never the key's. Alternatives are longest first, so the match found at a
    position ends as late as any phrase starting there can (the phrases are never empty)."""
    for position in range(max(floor, low - longest + 1), start):
        found = context.match(key, position, start)
        if found is not None and found.end() > low:
            return True
    return False


class PhraseIndex:
    """Every family of a rule set in two automata (characters and sounds), searched once per utterance."""

    def __init__(
        self,
        families: Iterable[PhraseFamily],
        *,
        placeholders: Mapping[str, Sequence[str]],
        normalizer: Normalizer,
        sounds: SoundTable,
        homophone_min_chars: int = 2,
        clitics: Iterable[str] = (),
        loose: Iterable[str] = (),
        equivalents: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.families = {family.name: family for family in families}
        self._clitics = frozenset(clitics)
        self._loose = frozenset(loose)
        self._sounds = sounds
        self._unless = {
            family.name: (
                self._keys(family.unless_before, placeholders, normalizer),
                self._keys(family.unless_after, placeholders, normalizer),
            )
            for family in self.families.values()
        }
        """family → its ``unless_before`` and ``unless_after`` phrases: each one expression and the length of its
        longest phrase (how far back a phrase ending near a hit may start)."""
        exact: dict[str, list[tuple[Owner, None]]] = {}
        by_sound: dict[str, list[tuple[Owner, str]]] = {}
        self._gapped: dict[str, dict[str, tuple[Gap, ...]]] = {}
        """family → gapped pattern → its gaps; their parts are keys of the automata like any phrase."""
        self._regexes: list[tuple[str, str, Any]] = []
        """``(family, pattern, RE2 expression)`` of every ``re:`` pattern, searched on each content key."""
        for family in self.families.values():
            for pattern in family.patterns:
                compiled = _compile(pattern, placeholders, normalizer, equivalents)
                if compiled.regex is not None:
                    self._regexes.append((family.name, pattern, compiled.regex))
                    continue
                gapped = len(compiled.parts) > 1
                if gapped:
                    self._gapped.setdefault(family.name, {})[pattern] = compiled.gaps
                for index, part in enumerate(compiled.parts):
                    for phrase, key in part:
                        if not key:
                            continue
                        owner: Owner = (family.name, phrase, pattern, index) if gapped else (family.name, phrase, pattern)
                        exact.setdefault(key, []).append((owner, None))
                        if family.homophones and len(key) >= homophone_min_chars:
                            by_sound.setdefault(sounds.key(key), []).append((owner, key))
        self._exact_keys = list(exact)
        self._exact_owners = [tuple(exact[k]) for k in self._exact_keys]
        self._sound_keys = list(by_sound)
        self._sound_owners = [tuple(by_sound[k]) for k in self._sound_keys]
        self._exact_bounded = [self._bounded(owners) for owners in self._exact_owners]
        self._sound_bounded = [self._bounded(owners) for owners in self._sound_owners]
        self._exact = ahocorasick_rs.AhoCorasick(self._exact_keys) if self._exact_keys else None
        self._sound = ahocorasick_rs.AhoCorasick(self._sound_keys) if self._sound_keys else None

    def _bounded(self, owners: Sequence[tuple[Owner, str | None]]) -> bool:
        """Whether every family a key stands for needs a match to start on a token boundary, so a match that
        does not can be dropped before anything else is looked at (是 inside 但是, 好 inside 好像)."""
        return all(self.families[owner[0]].boundary != "char" for owner, _ in owners)

    @staticmethod
    def _keys(
        patterns: Sequence[str], placeholders: Mapping[str, Sequence[str]], normalizer: Normalizer
    ) -> tuple[re.Pattern[str], int] | None:
        """One regular expression for a family's context phrases (searched inside a few characters), longest
        first, with the length of the longest."""
        keys = (content_key(normalizer, phrase) for pattern in patterns for phrase in expand_pattern(pattern, placeholders))
        unique = sorted(dict.fromkeys(k for k in keys if k), key=lambda k: (-len(k), k))
        return (re.compile("|".join(map(re.escape, unique))), len(unique[0])) if unique else None

    def bound(self, key: str, sizes: Sequence[int], offset: int) -> bool:
        """Whether a match may start or end at ``offset`` of ``key``: on a token boundary (``sizes``, sorted),
        before a *clitic* (您, 了, 吗…) that jieba glued to the word before it (感谢您 → 感谢|您), or beside a
        *loose* character (事) at the edge of a word jieba glued it into (关我们啥事 in 事关|我们|啥事)."""
        at = bisect_left(sizes, offset)
        if sizes[at] == offset or key[offset : offset + 1] in self._clitics:
            return True
        if not self._loose:
            return False
        # a loose character that opens the word before ``offset`` or closes the word after it
        return (key[offset - 1 : offset] in self._loose and sizes[at - 1] == offset - 1) or (
            key[offset : offset + 1] in self._loose and sizes[at] == offset + 1)

    def _allowed(
        self, family: PhraseFamily, key: str, start: int, end: int, sizes: Sequence[int], breaks: set[int],
        pos: Callable[[str], str] | None = None,
    ) -> bool:
        if family.boundary != "char" and not self.bound(key, sizes, start):
            return False
        if family.boundary == "token" and not self.bound(key, sizes, end):
            return False
        if family.clause_end and not ends_clause(key, end, breaks):
            return False
        if family.clause_start and clause_start(breaks, start) != start:
            return False
        if family.one_clause and any(start < b < end for b in breaks):
            return False
        before, after = self._unless[family.name]
        floor, ceiling = 0, len(key)
        if family.one_clause:  # the context that cancels a hit must stand in its clause too
            floor = clause_start(breaks, start)
            ceiling = min([ceiling, *(b for b in breaks if b >= end)])
        if before is not None and _ends_near(*before, key, max(floor, start - family.window), start, floor):
            return False
        if after is not None and any(after[0].match(key, p, ceiling) for p in range(end, min(end + family.window, ceiling))):
            return False
        if family.negators or family.needs_nearby or family.unless_next_pos:
            return self._in_sense(family, key, start, end, sizes, breaks, pos)
        return True

    @staticmethod
    def _in_sense(family: PhraseFamily, key: str, start: int, end: int, sizes: Sequence[int], breaks: set[int],
                  pos: Callable[[str], str] | None) -> bool:
        """The word-level context of a hit (see :class:`PhraseFamily`): not negated, near a word that gives
        the sense it needs, not followed by a word that gives it another."""
        first = bisect_left(sizes, start)  # the word the hit starts at (or the first after a clitic start)
        after = bisect_left(sizes, end)  # the word after the hit (its index in sizes)
        if family.negators:
            opens = clause_start(breaks, start)
            counted = 0
            for position in range(first - 1, -1, -1):
                if sizes[position] < opens or counted == family.negation_words:
                    break
                word = key[sizes[position] : sizes[position + 1]]
                if word in _CONDITIONS:
                    break  # 吊牌没拆的话肯定能换: the negation is the condition's, not the promise's
                if word in family.negators:
                    return False
                counted += word not in _TRANSPARENT
        if family.unless_next_pos:
            if after >= len(sizes) - 1:
                if "end" in family.unless_next_pos:
                    return False
            elif pos is not None and pos(key[sizes[after] : sizes[after + 1]]) in family.unless_next_pos:
                return False
        if family.needs_nearby:
            low = max(0, first - family.nearby_words)
            high = min(len(sizes) - 1, after + family.nearby_words)
            for position in range(low, high):
                word = key[sizes[position] : sizes[position + 1]]
                if word in family.needs_nearby or (len(word) > 1 and word[-1:] in family.needs_nearby):
                    return True
            return False
        return True

    def candidates(self, keys: Sequence[str], sizes: Sequence[Sequence[int]]) -> list[dict[str, list[Candidate]]]:
        """Every automaton match in each of ``keys`` (the content keys of one call, ``sizes`` their token
        boundaries), grouped by family, exact matches before sound matches.

        The keys are searched as one text joined by line breaks (content keys and phrases hold letters and
        digits only, so no match crosses a join): two automaton passes per call rather than two per
        utterance, and one sound key for the whole call.
        """
        found: list[dict[str, list[Candidate]]] = [{} for _ in keys]
        if not keys:
            return found
        joined = "\n".join(keys)
        ends = list(accumulate(len(k) + 1 for k in keys))  # where each key's successor starts
        bases = [end - len(k) - 1 for end, k in zip(ends, keys)]
        passes: list[
            tuple[ahocorasick_rs.AhoCorasick | None, str, Sequence[tuple[tuple[Owner, str | None], ...]], list[bool], bool]
        ] = [(self._exact, joined, self._exact_owners, self._exact_bounded, False)]
        if self._sound is not None:
            passes.append((self._sound, self._sounds.key(joined), self._sound_owners, self._sound_bounded, True))
        for automaton, haystack, owners, bounded, by_sound in passes:
            if by_sound and self._regexes:
                self._regex_candidates(keys, sizes, found)  # exact hits: after the exact pass's, before the sound pass's
            if automaton is None:
                continue
            for index, start, end in automaton.find_matches_as_indexes(haystack, overlapping=True):
                position = bisect_right(ends, start)
                base = bases[position]
                if bounded[index] and not self.bound(keys[position], sizes[position], start - base):
                    continue
                groups = found[position]
                text = joined[start:end] if by_sound else None
                for owner, exact_key in owners[index]:
                    if by_sound and text == exact_key:
                        continue  # a sound match where the words are the phrase itself: the exact pass has it
                    candidate = (start - base, end - base, owner, by_sound)
                    group = groups.get(owner[0])
                    if group is None:
                        groups[owner[0]] = [candidate]
                    else:
                        group.append(candidate)
        if self._regexes and self._sound is None:  # no sound pass: the regular expressions go last
            self._regex_candidates(keys, sizes, found)
        return found

    def _regex_candidates(
        self, keys: Sequence[str], sizes: Sequence[Sequence[int]], found: list[dict[str, list[Candidate]]]
    ) -> None:
        """The matches of every ``re:`` pattern in each content key (one RE2 search per match, at most
        :data:`MAX_REGEX_MATCHES` searches per key), added to ``found`` as exact candidates.

        A regular expression finds its leftmost match; one that starts inside a word (the 好 of 您好) cannot be
        a hit, so the search is tried again from the next word boundary after its start rather than after
        its end, where a match starting on a word may still be found (您好仁和医院 → 仁和医院…)."""
        for name, pattern, regex in self._regexes:
            anywhere = self.families[name].boundary == "char"
            for key, bounds, groups in zip(keys, sizes, found):
                if not key:
                    continue
                position = 0
                for _ in range(MAX_REGEX_MATCHES):
                    match = regex.search(key, position)
                    if match is None:
                        break
                    start, end = match.span()
                    if start < end and (anywhere or self.bound(key, bounds, start)):
                        groups.setdefault(name, []).append((start, end, (name, key[start:end], pattern), False))
                        position = end
                    else:
                        following = bisect_right(bounds, start)
                        position = bounds[following] if following < len(bounds) else len(key)
                    if position >= len(key):
                        break

    def select(
        self, name: str, candidates: Iterable[Candidate], key: str, sizes: Sequence[int], breaks: set[int],
        pos: Callable[[str], str] | None = None,
    ) -> list[PhraseHit]:
        """The candidates of family ``name`` that pass its boundary and context filters, in position order;
        a sound hit is kept only where no exact hit covers the same span."""
        family = self.families[name]
        gapped = self._gapped.get(name)
        if gapped is not None:
            candidates = self._joined(family, gapped, candidates, key, sizes)
        hits: list[PhraseHit] = []
        seen: set[tuple[int, int]] = set()
        for start, end, (_, phrase, pattern), by_sound in candidates:  # type: ignore[misc]
            if (start, end) in seen or not self._allowed(family, key, start, end, sizes, breaks, pos):
                continue
            seen.add((start, end))
            hits.append(PhraseHit(name, phrase, pattern, start, end, by_sound))
        if len(hits) > 1:
            hits.sort(key=self.order)
        return hits

    def _joined(
        self,
        family: PhraseFamily,
        gapped: Mapping[str, tuple[Gap, ...]],
        candidates: Iterable[Candidate],
        key: str,
        sizes: Sequence[int],
    ) -> list[Candidate]:
        """A family's candidates with the hits of its gapped patterns joined from their parts' matches:
        exact phrase matches, joined exact hits, sound phrase matches, joined sound hits, in this order (the
        first of a span is kept). A part must start where a phrase may (a token boundary unless the family's
        boundary is ``"char"``); where it ends is free (帮 of 帮助), except that the joined hit's end is then
        held to the family's boundary like any phrase's."""
        plain: list[Candidate] = []
        found: dict[str, list[dict[tuple[int, int], bool]]] = {}
        check_start = family.boundary != "char"
        for candidate in candidates:
            owner = candidate[2]
            if len(owner) == 3:
                plain.append(candidate)
                continue
            start, end, (_, _, pattern, index), by_sound = candidate  # type: ignore[misc]
            if check_start and not self.bound(key, sizes, start):
                continue
            parts = found.get(pattern)
            if parts is None:
                parts = found[pattern] = [{} for _ in range(len(gapped[pattern]) + 1)]
            spans = parts[index]
            spans[start, end] = spans.get((start, end), False) or not by_sound
        joined: list[Candidate] = []
        for pattern, parts in found.items():
            for start, end, exact in _chain(parts, gapped[pattern], sizes):
                joined.append((start, end, (family.name, key[start:end], pattern), not exact))
        return [
            *(c for c in plain if not c[3]), *(c for c in joined if not c[3]),
            *(c for c in plain if c[3]), *(c for c in joined if c[3]),
        ]

    @staticmethod
    def order(hit: PhraseHit) -> tuple[int, int, bool, str]:
        """Hits sort by position, the longest first where they start together, exact before sound."""
        return hit.start, -hit.end, hit.by_sound, hit.family
