"""Phrase patterns from the rule files, and one multi-pattern pass that finds them all.

A rule file writes a family of phrases compactly: ``有什么{可以|能}帮{您|你}`` expands to four strings,
``{|请问}`` makes a part optional, and ``{company}`` stands for every configured name of the company. Every
expanded phrase is normalised the same way as call text and reduced to its content characters (punctuation
and spaces dropped), so ``请问,有什么能帮您?`` and ``请问有什么能帮您`` are one phrase.

Matching runs once per utterance over its *content key* (see :mod:`csqa.doc`): the utterance's tokens with
punctuation, spaces and hesitation sounds (嗯, 呃) left out, so a filler inside a phrase does not hide it. An
Aho-Corasick automaton finds every candidate in one pass; a candidate counts only where it starts and ends
on jieba token boundaries, so a phrase never matches half a word. Families that allow homophones are also
matched on the utterance's *sound key*: each character replaced by its toneless pinyin syllable, which is
how ASR substitutions such as 在见 for 再见 or 南山 for 楠山 are caught.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

import ahocorasick_rs

from csqa.text import Normalizer

__all__ = ["PhraseFamily", "PhraseHit", "PhraseIndex", "SoundTable", "expand_pattern", "PatternError"]

MAX_EXPANSIONS = 512
_GROUP = re.compile(r"\{([^{}]*)\}")


class PatternError(ValueError):
    """A phrase pattern is malformed (unbalanced braces, unknown placeholder, too many expansions)."""


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

    __slots__ = ("fold_retroflex", "fold_nasal", "_table")

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


@dataclass(frozen=True, slots=True)
class PhraseFamily:
    """A named set of patterns and how to match them.

    ``boundary`` is ``"token"`` (a hit starts and ends on jieba token boundaries), ``"start"`` (it starts on
    one; its end may fall inside a word jieba glued to the next) or ``"char"`` (anywhere).

    ``unless_before`` / ``unless_after`` cancel a hit when one of their phrases stands within ``window``
    content characters before / after it (我们**不能**保证, 您不明白**的话**); ``clause_end`` keeps only hits that end
    a clause (followed by punctuation, a space, or the end of the utterance: 不能查。 but not 不能查到).
    """

    name: str
    patterns: tuple[str, ...]
    homophones: bool = False
    boundary: str = "token"
    unless_before: tuple[str, ...] = ()
    unless_after: tuple[str, ...] = ()
    window: int = 4
    clause_end: bool = False


class PhraseHit(NamedTuple):
    """A phrase found in an utterance's content key (``start``/``end`` are content-key offsets)."""

    family: str
    phrase: str
    pattern: str
    start: int
    end: int
    by_sound: bool


Owner = tuple[str, str, str]
"""Who a key of an automaton stands for: ``(family, phrase, pattern)``."""

Candidate = tuple[int, int, Owner, bool]
"""A raw automaton match not yet checked against its family's boundaries and context:
``(start, end, owner, by_sound)``."""


def content_key(normalizer: Normalizer, text: str) -> str:
    """A phrase reduced to what matching compares: normalised, letters and digits only."""
    return "".join(ch for ch in normalizer(text) if ch.isalnum())


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
    ) -> None:
        self.families = {family.name: family for family in families}
        self._clitics = frozenset(clitics)
        self._sounds = sounds
        self._unless = {
            family.name: (
                self._keys(family.unless_before, placeholders, normalizer),
                self._keys(family.unless_after, placeholders, normalizer),
            )
            for family in self.families.values()
        }
        exact: dict[str, list[tuple[Owner, None]]] = {}
        by_sound: dict[str, list[tuple[Owner, str]]] = {}
        for family in self.families.values():
            for pattern in family.patterns:
                for phrase in expand_pattern(pattern, placeholders):
                    key = content_key(normalizer, phrase)
                    if not key:
                        continue
                    exact.setdefault(key, []).append(((family.name, phrase, pattern), None))
                    if family.homophones and len(key) >= homophone_min_chars:
                        by_sound.setdefault(sounds.key(key), []).append(((family.name, phrase, pattern), key))
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
    ) -> re.Pattern[str] | None:
        """One regular expression for a family's context phrases (searched inside a few characters)."""
        keys = (content_key(normalizer, phrase) for pattern in patterns for phrase in expand_pattern(pattern, placeholders))
        unique = sorted(dict.fromkeys(k for k in keys if k), key=lambda k: (-len(k), k))
        return re.compile("|".join(map(re.escape, unique))) if unique else None

    def bound(self, key: str, sizes: Sequence[int], offset: int) -> bool:
        """Whether a match may start or end at ``offset`` of ``key``: on a token boundary (``sizes``, sorted),
        or before a *clitic* (您, 了, 吗…) that jieba glued to the word before it (感谢您 → 感谢|您)."""
        return sizes[bisect_left(sizes, offset)] == offset or key[offset : offset + 1] in self._clitics

    def _allowed(
        self, family: PhraseFamily, key: str, start: int, end: int, sizes: Sequence[int], breaks: set[int]
    ) -> bool:
        if family.boundary != "char" and not self.bound(key, sizes, start):
            return False
        if family.boundary == "token" and not self.bound(key, sizes, end):
            return False
        if family.clause_end and end not in breaks:
            return False
        before, after = self._unless[family.name]
        if before is not None and before.search(key, max(0, start - family.window), start):
            return False
        return not (after is not None and after.search(key, end, end + family.window))

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
        passes = [(self._exact, joined, self._exact_owners, self._exact_bounded, False)]
        if self._sound is not None:
            passes.append((self._sound, self._sounds.key(joined), self._sound_owners, self._sound_bounded, True))
        for automaton, haystack, owners, bounded, by_sound in passes:
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
        return found

    def select(
        self, name: str, candidates: Iterable[Candidate], key: str, sizes: Sequence[int], breaks: set[int]
    ) -> list[PhraseHit]:
        """The candidates of family ``name`` that pass its boundary and context filters, in position order;
        a sound hit is kept only where no exact hit covers the same span."""
        family = self.families[name]
        hits: list[PhraseHit] = []
        seen: set[tuple[int, int]] = set()
        for start, end, (_, phrase, pattern), by_sound in candidates:
            if (start, end) in seen or not self._allowed(family, key, start, end, sizes, breaks):
                continue
            seen.add((start, end))
            hits.append(PhraseHit(name, phrase, pattern, start, end, by_sound))
        if len(hits) > 1:
            hits.sort(key=self.order)
        return hits

    @staticmethod
    def order(hit: PhraseHit) -> tuple[int, int, bool, str]:
        """Hits sort by position, the longest first where they start together, exact before sound."""
        return hit.start, -hit.end, hit.by_sound, hit.family
