"""A call prepared once for every check: normalised, tokenised, keyed for phrase search.

Each utterance is normalised and tokenised exactly once per call, however many rules look at it; phrase
search results are computed on first request and kept for the other rules. The *content key* of an
utterance is its content tokens (no punctuation, spaces or hesitation sounds) joined together, with
``key_map[i]`` the offset in the original text of key character ``i``. Because normalisation is one-to-one,
that offset is directly an offset into ``Utterance.text``, and evidence built from it quotes the original
characters. Match boundaries are the token boundaries, plus the point before a *clitic* (您, 了, 吗…) that
jieba glued to the word before it (感谢您 → 感谢|您), so a phrase still ends where a person would say the word
ends.

This is the hot path of scoring (it runs for every utterance of every call), and what an utterance keeps is
small on purpose. The token list jieba returns (a tuple and a string per token, about 170 KB for a call)
is reduced to lists of offsets and dropped, and token boundaries stay a sorted list rather than a set.
Tokenisation is bound by jieba's lookups in its 600,000-word dictionary: a call's worth of live tokens and
sets pushes that dictionary out of the processor's cache and slows jieba itself (see ``benchmarks/``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from csqa.input.model import Call, Utterance
from csqa.outputs.report import Evidence, How
from csqa.text.normalize import Normalizer
from csqa.text.phrases import Candidate, PhraseHit, PhraseIndex, clause_start, ends_clause
from csqa.text.tokenizer import Token, Tokenizer

__all__ = ["CallDoc", "ContentWord", "UtteranceDoc"]

_CONTENT = re.compile(r"[^\W_]")  # exactly the characters str.isalnum() accepts
_CONTENT_RUN = re.compile(r"[^\W_]+")
_LAST_CLAUSE = re.compile(r"[^\W_]+(?=[\W_]*\Z)")
_ASSERTS_WITH_NE = re.compile(r"着(?:(?!什么|怎么|哪|谁|几|多少)\w){0,6}呢$")  # 记着呢, 戴着伊丽莎白圈呢: a state, not a question
_ASKS_BY_FORM = re.compile(r"((?<![看查管论道])(?<!一下)(\w)[不没]\2|是\w{1,12}还是\w)\w{0,8}$|了没有?[啊呀呢]?$")
_ASKS_BY_WH = re.compile(
    r"(?:哪个|哪里|哪儿|哪一|哪天|哪位|哪家|几号|几点|几时|几多|多少钱|什么时候|啥时候)(?:(?![都也就才了])\w){0,4}$"
)
_EMBEDS = re.compile(r"知道|清楚|记得|确定|不管|无论|不论|随便")  # 不知道是哪个: the question is embedded, not asked
_SEE_WHETHER = ("看看", "查查", "看一下", "查一下", "看下", "查下")  # 看看原来有没有: "to see whether", not asked
_HAS_NOT = re.compile(r"有没(?!有)\w{0,8}$")  # Hong Kong 有冇 (有没有) folded to 有没
ContentWord = tuple[str, int, int]
"""A content token and its span in the content key: ``(text, key_start, key_end)``."""


@dataclass(slots=True)
class UtteranceDoc:
    """One utterance with its normalised text, token boundaries and content key.

    ``ends[i]`` is where token ``i`` ends in the text; ``sizes`` are the content key's word boundaries (0 and
    the end of each content token), where a phrase match may start or end (so may it before a clitic, see
    :meth:`csqa.text.phrases.PhraseIndex.bound`); ``breaks`` are the key offsets where a clause ends (punctuation,
    a space, the end); ``silent`` are the text spans of hesitation tokens, which the key leaves out.
    ``tokens``, ``content`` and ``key_map`` are rebuilt from these on request: most utterances are only
    searched, never quoted.
    """

    index: int
    utterance: Utterance
    speaker: str
    norm: str
    key: str
    ends: list[int]
    sizes: list[int]
    breaks: set[int]
    silent: tuple[tuple[int, int], ...]
    _candidates: dict[str, list[Candidate]] | None = None
    _hits: dict[str, list[PhraseHit]] = field(default_factory=dict)
    _content: list[ContentWord] | None = None
    _key_map: list[int] | None = None

    @property
    def tokens(self) -> list[Token]:
        """The tokens as jieba gave them: ``(text, start, end)``, covering the text end to end."""
        norm = self.norm
        return [(norm[start:end], start, end) for start, end in zip((0, *self.ends), self.ends)]

    def token_at(self, offset: int) -> Token:
        """The token that holds text offset ``offset``."""
        position = bisect_right(self.ends, offset)
        start = self.ends[position - 1] if position else 0
        end = self.ends[position]
        return self.norm[start:end], start, end

    @property
    def content(self) -> list[ContentWord]:
        """The content words (letters and digits of each kept token) with their spans in the content key."""
        if self._content is None:
            key = self.key
            self._content = [(key[start:end], start, end) for start, end in zip(self.sizes, self.sizes[1:])]
        return self._content

    @property
    def key_map(self) -> list[int]:
        """``key_map[i]``: the offset in the original text of content-key character ``i``."""
        if self._key_map is None:
            key_map: list[int] = []
            for run in _CONTENT_RUN.finditer(self.norm):
                key_map.extend(range(*run.span()))
            if self.silent:
                key_map = [offset for offset in key_map if not any(a <= offset < b for a, b in self.silent)]
            self._key_map = key_map
        return self._key_map

    @property
    def is_question(self) -> bool:
        """Asked as a question: ends with ?, or (raw ASR has no punctuation) with 吗 / 呢 (not the 着…呢
        that asserts: 记着呢, 按时吃着药呢; 忙着什么呢 still asks), or its last clause asks by its form: a verb
        and its negation (要不要违约金, 有没有到账) or alternatives (您是用无线测的还是网线测的) with at most eight
        characters after it, or an ending in 了没(有) (查清楚了没有). A long unpunctuated ASR turn asks at its
        end, and a 是不是 earlier in it (你们是不是虚假宣传我要求退掉) is part of a statement. A form after 看 / 查 /
        不管 / 无论 / 知道 is embedded, not asked (您看一下是不是插好了), and so is one in a clause that opens
        with 看看 / 查查 (我先调一下照片 看看原来有没有: to see whether). So does a last clause with a question word
        of place, time or amount near its end (哈尔滨哪个区的, 几点能到, Hong Kong's 月费几多钱), unless it is
        embedded (不知道是哪个), universal (哪个都行) or said of the past (前几天就亮了, 几点就到了), and Hong Kong's
        有冇 (有冇张单), which folding writes 有没."""
        if self.norm.rstrip().endswith("?") or self.key.endswith("吗") or (self.key.endswith("呢")
                                                                          and not _ASSERTS_WITH_NE.search(self.key)):
            return True
        last = _LAST_CLAUSE.search(self.norm)
        if last is None:
            return False
        clause = last.group()
        if (_ASKS_BY_FORM.search(clause) and not clause.startswith(_SEE_WHETHER)) or (
                _ASKS_BY_WH.search(clause) and not _EMBEDS.search(clause)):
            return True
        has_not = _HAS_NOT.search(clause)
        return has_not is not None and self.text[last.start() + has_not.start() + 1] == "冇"

    @property
    def text(self) -> str:
        return self.utterance.text

    def clause_start(self, key_offset: int) -> int:
        """Where the clause holding content-key offset ``key_offset`` starts in the content key."""
        return clause_start(self.breaks, key_offset)

    def clause_end(self, key_offset: int) -> int:
        """Where the clause holding content-key offset ``key_offset`` ends in the content key: the first clause
        break after it, or the key's end."""
        return min((b for b in self.breaks if b > key_offset), default=len(self.key))

    def ends_clause(self, key_end: int) -> bool:
        """Whether content-key offset ``key_end`` ends a clause (at most two final particles before the break)."""
        return ends_clause(self.key, key_end, self.breaks)

    def original_span(self, key_start: int, key_end: int) -> tuple[int, int]:
        """Original-text offsets of the content-key span ``[key_start, key_end)``."""
        return self.key_map[key_start], self.key_map[key_end - 1] + 1

    def evidence(self, key_start: int, key_end: int, note: str = "", suggestion: str | None = None,
                 how: How | None = "context") -> Evidence:
        start, end = self.original_span(key_start, key_end)
        return Evidence(
            utterance=self.index, start=start, end=end, quote=self.text[start:end], note=note, suggestion=suggestion,
            how=how,
        )

    def whole(self, note: str = "", how: How = "context") -> Evidence:
        """Evidence pointing at the utterance's text from its first to its last content character; ``how``
        says what the utterance shows (a judgement from context by default, ``absence`` where a phrase was
        due, ``timing`` where its times are the finding)."""
        if not self.key:
            return Evidence(utterance=self.index, start=0, end=len(self.text), quote=self.text, note=note, how=how)
        return self.evidence(0, len(self.key), note, how=how)

    def hit_evidence(self, hit: PhraseHit, note: str = "", suggestion: str | None = None) -> Evidence:
        """Evidence of a phrase hit, saying how it matched: by sound, by a gapped or regular-expression
        pattern, as written, or after folding (Traditional characters, width, punctuation, hesitations)."""
        start, end = self.original_span(hit.start, hit.end)
        if hit.by_sound:
            how: How = "homophone"
        elif hit.pattern.startswith("re:") or "{~" in hit.pattern:
            how = "pattern"
        else:
            how = "exact" if self.text[start:end] == hit.phrase else "variant"
        return self.evidence(hit.start, hit.end, note, suggestion, how)


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
    ) -> None:
        self.call = call
        self.pos = tokenizer.pos
        self._phrases = phrases
        self._tokenizer, self._normalizer, self._hesitations = tokenizer, normalizer, hesitations
        norms = normalizer.many([u.text for u in call.utterances])
        self.utterances = [
            self._prepare(i, u, norm, tokenizer, hesitations)
            for i, (u, norm) in enumerate(zip(call.utterances, norms))
        ]
        self.agent = [u for u in self.utterances if u.speaker == "agent"]
        """The agent's utterances, in order."""

    # --- one utterance at a time (a live session, csqa.scoring.live) ------------------------------------

    def prepare_one(self, index: int, utterance: Utterance) -> UtteranceDoc:
        """One utterance prepared on its own, exactly as a whole call prepares it (the same normalised text,
        tokens, key and phrase candidates), but neither added to this doc nor searched with the others.

        A live session prepares each utterance as it comes, so the work per utterance does not grow with
        the call; the candidates are found at once (one automaton pass over this utterance's key alone),
        since no later pass over the call will find them.
        """
        u = self._prepare(index, utterance, self._normalizer(utterance.text), self._tokenizer, self._hesitations)
        u._candidates = self._phrases.candidates([u.key], [u.sizes])[0]
        return u

    def append(self, u: UtteranceDoc) -> None:
        """Add an utterance made by :meth:`prepare_one` as the call's next one (its index must be the next)."""
        assert u.index == len(self.utterances) and u._candidates is not None
        self.utterances.append(u)
        if u.speaker == "agent":
            self.agent.append(u)

    def window(self, utterances: list[UtteranceDoc], call: Call | None = None) -> CallDoc:
        """A doc over some prepared utterances of this one (their indices, and so their evidence, unchanged)
        and ``call`` (this doc's call by default): a rule judged on a bounded window of a live call.

        Only the utterances given are read; a check that slices ``utterances`` by index needs them all.
        """
        view = object.__new__(CallDoc)
        view.call = self.call if call is None else call
        view.pos, view._phrases = self.pos, self._phrases
        view._tokenizer, view._normalizer, view._hesitations = self._tokenizer, self._normalizer, self._hesitations
        view.utterances = utterances
        view.agent = [u for u in utterances if u.speaker == "agent"]
        return view

    @staticmethod
    def _prepare(index: int, utterance: Utterance, norm: str, tokenizer: Tokenizer, hesitations: str) -> UtteranceDoc:
        """Tokenise and key one utterance, in one loop over its tokens.

        A token of letters and digits is a content word unless it is a hesitation sound (嗯, 嗯嗯); a token
        with no letter or digit (punctuation, a space) ends a clause; a token with both (jieba keeps ``3.5``
        and ``A-1`` whole) gives its letters and digits.
        """
        tokens = tokenizer.tokenize(norm)
        if not any(map(norm.__contains__, hesitations)):
            hesitations = ""  # spares the test below on every token, the costliest step of the loop
        parts: list[str] = []
        ends: list[int] = []
        sizes = [0]
        breaks: set[int] = set()
        silent: list[tuple[int, int]] = []
        size = 0
        for word, start, end in tokens:
            ends.append(end)
            if word.isalnum():
                if hesitations and word[-1] in hesitations and not word.strip(hesitations):
                    silent.append((start, end))
                    continue
            elif _CONTENT.search(word):
                word = "".join(ch for ch in word if ch.isalnum())
            else:
                if size:
                    breaks.add(size)
                continue
            parts.append(word)
            size += len(word)
            sizes.append(size)
        breaks.add(size)
        return UtteranceDoc(
            index=index,
            utterance=utterance,
            speaker=utterance.speaker,
            norm=norm,
            key="".join(parts),
            ends=ends,
            sizes=sizes,
            breaks=breaks,
            silent=tuple(silent),
        )

    def hits(self, u: UtteranceDoc, family: str) -> list[PhraseHit]:
        """The hits of one phrase family in one utterance, in order of position.

        The automata run once per call and their candidates are grouped by utterance and family; a
        family's boundary and context filters run only when some rule asks for that family.
        """
        found = u._hits.get(family)
        if found is None:
            candidates = self._candidates(u).get(family)
            found = self._phrases.select(family, candidates, u.key, u.sizes, u.breaks, self.pos) if candidates else []
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
            for each, found in zip(self.utterances, self._phrases.candidates(keys, [v.sizes for v in self.utterances])):
                each._candidates = found
        assert u._candidates is not None
        return u._candidates

    def first_hit(self, u: UtteranceDoc, family: str) -> PhraseHit | None:
        found = self.hits(u, family)
        return found[0] if found else None

    def by(self, speaker: str) -> Iterator[UtteranceDoc]:
        return (u for u in self.utterances if u.speaker == speaker)
