"""A call prepared once for every check: normalised, tokenised, keyed for phrase search.

Each utterance is normalised and tokenised exactly once per call, however many rules look at it; phrase
search results are computed on first request and kept for the other rules. The *content key* of an
utterance is its content tokens (no punctuation, spaces or hesitation sounds) joined together, with
``key_map[i]`` the offset in the original text of key character ``i``. Because normalisation is one-to-one,
that offset is directly an offset into ``Utterance.text``, and evidence built from it quotes the original
characters. Match boundaries are the token boundaries, plus the point before a *clitic* (您, 了, 吗…) that
jieba glued to the word before it (感谢您 → 感谢|您), so a phrase still ends where a person would say the word
ends.

This is the hot path of scoring (it runs for every utterance of every call), so tokens stay the plain
``(text, start, end)`` tuples jieba yields and the common case, a token of letters only, takes a fast path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from csqa.model import Call, Utterance
from csqa.phrases import KeySpans, PhraseHit, PhraseIndex, SoundTable
from csqa.report import Evidence
from csqa.text import Normalizer
from csqa.tokenizer import Token, Tokenizer

__all__ = ["CallDoc", "ContentWord", "UtteranceDoc"]

_CONTENT = re.compile(r"[^\W_]")
ContentWord = tuple[str, int, int]
"""A content token and its span in the content key: ``(text, key_start, key_end)``."""


@dataclass(slots=True)
class UtteranceDoc:
    """One utterance with its normalised text, tokens and content key.

    ``content`` (the content words with their key spans) and ``key_map`` are built on first use from the
    indexes of the tokens that made the key: most utterances are only searched, never quoted.
    """

    index: int
    utterance: Utterance
    norm: str
    tokens: list[Token]
    key: str
    spans: KeySpans
    kept: list[int]
    _sound: str | None = None
    _hits: list[PhraseHit] | None = field(default=None)
    _content: list[ContentWord] | None = None
    _key_map: list[int] | None = None

    @property
    def content(self) -> list[ContentWord]:
        if self._content is None:
            content: list[ContentWord] = []
            size = 0
            for position in self.kept:
                word = self.tokens[position][0]
                width = len(word) if word.isalnum() else sum(1 for ch in word if ch.isalnum())
                content.append((word, size, size + width))
                size += width
            self._content = content
        return self._content

    @property
    def key_map(self) -> list[int]:
        """``key_map[i]``: the offset in the original text of content-key character ``i``."""
        if self._key_map is None:
            key_map: list[int] = []
            for position in self.kept:
                word, start, end = self.tokens[position]
                if word.isalnum():
                    key_map.extend(range(start, end))
                else:
                    key_map.extend(start + offset for offset, ch in enumerate(word) if ch.isalnum())
            self._key_map = key_map
        return self._key_map

    @property
    def is_question(self) -> bool:
        """Asked as a question: ends with ?, or (raw ASR has no punctuation) with 吗 / 呢."""
        return self.norm.rstrip().endswith("?") or self.key.endswith(("吗", "呢"))

    @property
    def speaker(self) -> str:
        return self.utterance.speaker

    @property
    def text(self) -> str:
        return self.utterance.text

    def original_span(self, key_start: int, key_end: int) -> tuple[int, int]:
        """Original-text offsets of the content-key span ``[key_start, key_end)``."""
        return self.key_map[key_start], self.key_map[key_end - 1] + 1

    def evidence(self, key_start: int, key_end: int, note: str = "", suggestion: str | None = None) -> Evidence:
        start, end = self.original_span(key_start, key_end)
        return Evidence(
            utterance=self.index, start=start, end=end, quote=self.text[start:end], note=note, suggestion=suggestion
        )

    def whole(self, note: str = "") -> Evidence:
        """Evidence pointing at the utterance's text from its first to its last content character."""
        if not self.key:
            return Evidence(utterance=self.index, start=0, end=len(self.text), quote=self.text, note=note)
        return self.evidence(0, len(self.key), note)

    def hit_evidence(self, hit: PhraseHit, note: str = "", suggestion: str | None = None) -> Evidence:
        return self.evidence(hit.start, hit.end, note, suggestion)


class CallDoc:
    """The prepared form of one call, shared by every check of one scoring run."""

    def __init__(
        self,
        call: Call,
        *,
        tokenizer: Tokenizer,
        normalizer: Normalizer,
        phrases: PhraseIndex,
        sounds: SoundTable,
        hesitations: str,
        clitics: frozenset[str],
    ) -> None:
        self.call = call
        self.pos = tokenizer.pos
        self._phrases = phrases
        self._sounds = sounds
        self.utterances = [
            self._prepare(i, u, tokenizer, normalizer, hesitations, clitics) for i, u in enumerate(call.utterances)
        ]

    @staticmethod
    def _prepare(
        index: int,
        utterance: Utterance,
        tokenizer: Tokenizer,
        normalizer: Normalizer,
        hesitations: str,
        clitics: frozenset[str],
    ) -> UtteranceDoc:
        norm = normalizer(utterance.text)
        tokens = tokenizer.tokenize(norm)
        key_parts: list[str] = []
        kept: list[int] = []
        bounds = {0}
        breaks: set[int] = set()
        size = 0
        for position, (word, _, _) in enumerate(tokens):
            if word.isalnum():
                if not word.strip(hesitations):
                    continue
                if len(word) > 1 and not clitics.isdisjoint(word[1:]):
                    bounds.update(size + offset for offset, ch in enumerate(word) if offset and ch in clitics)
            elif _CONTENT.search(word):
                word = "".join(ch for ch in word if ch.isalnum())
            else:
                if size:
                    breaks.add(size)
                continue
            key_parts.append(word)
            kept.append(position)
            size += len(word)
            bounds.add(size)
        breaks.add(size)
        return UtteranceDoc(
            index=index,
            utterance=utterance,
            norm=norm,
            tokens=tokens,
            key="".join(key_parts),
            spans=KeySpans(bounds, breaks),
            kept=kept,
        )

    def sound_key(self, u: UtteranceDoc) -> str:
        if u._sound is None:
            u._sound = self._sounds.key(u.key)
        return u._sound

    def hits(self, u: UtteranceDoc, family: str | None = None) -> list[PhraseHit]:
        """Phrase hits in one utterance, all families or one."""
        if u._hits is None:
            sound = self.sound_key(u) if self._phrases.needs_sound else None
            u._hits = self._phrases.search(u.key, sound, u.spans)
        if family is None:
            return u._hits
        return [hit for hit in u._hits if hit.family == family]

    def first_hit(self, u: UtteranceDoc, family: str) -> PhraseHit | None:
        for hit in self.hits(u, family):
            return hit
        return None

    def by(self, speaker: str) -> Iterator[UtteranceDoc]:
        return (u for u in self.utterances if u.speaker == speaker)

    @property
    def agent(self) -> list[UtteranceDoc]:
        return [u for u in self.utterances if u.speaker == "agent"]
