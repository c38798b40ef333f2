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
from itertools import accumulate

from csqa.model import Call, Utterance
from csqa.phrases import Candidate, KeySpans, PhraseHit, PhraseIndex
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
    speaker: str
    norm: str
    tokens: list[Token]
    key: str
    spans: KeySpans
    kept: list[int]
    parts: list[str]
    sizes: list[int]
    _candidates: dict[str, list[Candidate]] | None = None
    _hits: dict[str, list[PhraseHit]] = field(default_factory=dict)
    _content: list[ContentWord] | None = None
    _key_map: list[int] | None = None

    @property
    def content(self) -> list[ContentWord]:
        """The content words (letters and digits of each kept token) with their spans in the content key."""
        if self._content is None:
            self._content = list(zip(self.parts, self.sizes, self.sizes[1:]))
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
        hesitations: str,
        clitics: re.Pattern[str] | None,
    ) -> None:
        self.call = call
        self.pos = tokenizer.pos
        self._phrases = phrases
        norms = normalizer.many([u.text for u in call.utterances])
        self.utterances = [
            self._prepare(i, u, norm, tokenizer, hesitations, clitics)
            for i, (u, norm) in enumerate(zip(call.utterances, norms))
        ]
        self.agent = [u for u in self.utterances if u.speaker == "agent"]
        """The agent's utterances, in order."""

    @staticmethod
    def _prepare(
        index: int,
        utterance: Utterance,
        norm: str,
        tokenizer: Tokenizer,
        hesitations: str,
        clitics: re.Pattern[str] | None,
    ) -> UtteranceDoc:
        tokens = tokenizer.tokenize(norm)
        parts: list[str] = []
        kept: list[int] = []
        cuts: list[int] = []  # len(parts) at each punctuation or space token
        for position, token in enumerate(tokens):
            word = token[0]
            if word.isalnum():
                if word[-1] in hesitations and not word.strip(hesitations):
                    continue
            elif _CONTENT.search(word):
                word = "".join(ch for ch in word if ch.isalnum())
            else:
                cuts.append(len(parts))
                continue
            parts.append(word)
            kept.append(position)
        sizes = list(accumulate(map(len, parts), initial=0))
        key = "".join(parts)
        bounds = set(sizes)
        if clitics is not None:
            bounds.update(match.start() for match in clitics.finditer(key))
        breaks = {sizes[cut] for cut in cuts if cut}
        breaks.add(len(key))
        return UtteranceDoc(
            index=index,
            utterance=utterance,
            speaker=utterance.speaker,
            norm=norm,
            tokens=tokens,
            key=key,
            spans=KeySpans(bounds, breaks),
            kept=kept,
            parts=parts,
            sizes=sizes,
        )

    def hits(self, u: UtteranceDoc, family: str) -> list[PhraseHit]:
        """The hits of one phrase family in one utterance, in order of position.

        The automata run once per call and their candidates are grouped by utterance and family; a
        family's boundary and context filters run only when some rule asks for that family.
        """
        found = u._hits.get(family)
        if found is None:
            candidates = self._candidates(u).get(family)
            found = self._phrases.select(family, candidates, u.key, u.spans) if candidates else []
            u._hits[family] = found
        return found

    def hits_in(self, u: UtteranceDoc, prefix: str) -> list[PhraseHit]:
        """The hits of every family whose name starts with ``prefix`` (``banned.``), in order of position."""
        found = [hit for family in self._candidates(u) if family.startswith(prefix) for hit in self.hits(u, family)]
        found.sort(key=PhraseIndex.order)
        return found

    def _candidates(self, u: UtteranceDoc) -> dict[str, list[Candidate]]:
        if u._candidates is None:  # the first phrase query of the call searches every utterance
            keys = [v.key for v in self.utterances]
            for each, found in zip(self.utterances, self._phrases.candidates(keys, [v.spans for v in self.utterances])):
                each._candidates = found
        assert u._candidates is not None
        return u._candidates

    def first_hit(self, u: UtteranceDoc, family: str) -> PhraseHit | None:
        found = self.hits(u, family)
        return found[0] if found else None

    def by(self, speaker: str) -> Iterator[UtteranceDoc]:
        return (u for u in self.utterances if u.speaker == speaker)
