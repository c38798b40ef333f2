"""The Scorer: rule files in, reports out.

A Scorer is built once from a rule set and then scores any number of calls. It holds no per-call state, so
one Scorer can be shared by threads; the jieba dictionary loads once, under a lock, on first use. Pickling
keeps only the rule set and options; a worker process rebuilds the tokenizer and automata from them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from csqa.checks.base import Context
from csqa.checks.rulefile import PartConfig, RuleSet, load_rules
from csqa.errors import InputError, ScoringError, UsageError
from csqa.input.loaders import RawCall, error_record, parse_call
from csqa.input.model import Call, CallError, MetaValue
from csqa.outputs.i18n import Lang, check_lang, say
from csqa.outputs.report import CheckResult, Report
from csqa.scoring.live import LiveSession
from csqa.text.doc import CallDoc
from csqa.text.normalize import Normalizer
from csqa.text.phrases import PhraseFamily, PhraseIndex, SoundTable, expand_pattern
from csqa.text.tokenizer import Backend, Tokenizer

__all__ = ["CallInput", "Scorer", "ScoringError"]

CallInput = Call | Mapping[str, Any] | str | bytes


class Scorer:
    """Scores calls against one rule set.

    ``rules`` is a rule file path, ``"default"`` (the bundled scorecard) or a loaded :class:`RuleSet`;
    ``company`` and ``departments`` override the scorecard's; ``cache_dir`` is where jieba's dictionary
    cache may be written (nowhere when ``None``); ``include_transcript`` puts the call's utterances in each
    report (turn it off to keep stored reports small); ``tokenizer_backend`` is ``"auto"`` (rjieba when
    ``csqa[fast]`` is installed, else jieba: the tokens are the same, see :mod:`csqa.text.tokenizer`), ``"jieba"``
    or ``"rjieba"``; ``lang`` is the language of the findings (each rule's ``message``, each evidence ``note``
    and the ``unscored`` reason): ``"en"`` or ``"zh"`` (Simplified Chinese). The language changes those texts
    and nothing else: statuses, evidence, codes, suggestions and scores are the same (:mod:`csqa.outputs.i18n`).
    """

    def __init__(
        self,
        rules: str | os.PathLike[str] | RuleSet | None = None,
        *,
        company: str | None = None,
        departments: Sequence[str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        include_transcript: bool = True,
        tokenizer_backend: Backend = "auto",
        lang: Lang = "en",
    ) -> None:
        self.lang: Lang = check_lang(lang)
        self._options = {
            "cache_dir": cache_dir,
            "include_transcript": include_transcript,
            "tokenizer_backend": tokenizer_backend,
            "lang": self.lang,
        }
        self.include_transcript = include_transcript
        self.rules: RuleSet = load_rules(rules).with_company(company, departments)
        matching = self.rules.matching
        scorecard = self.rules.scorecard
        self._normalizer = Normalizer()
        words = (scorecard.company, *scorecard.company_aliases, *scorecard.departments, *matching.user_words,
                 *self.rules.site_words)
        self._tokenizer = Tokenizer((self._normalizer(w) for w in words), cache_dir=cache_dir, backend=tokenizer_backend)
        self._hesitations = "".join(sorted({ch for h in matching.hesitations for ch in self._normalizer(h)}))
        self._stopwords = frozenset(self._normalizer(w) for w in matching.stopwords)
        synonyms: dict[str, set[str]] = {}
        for group in matching.synonyms:
            members = {self._normalizer(w) for w in group}
            for word in members:
                synonyms.setdefault(word, set()).update(members - {word})
        self._synonyms = {word: frozenset(others) for word, others in synonyms.items()}
        self._phrases = PhraseIndex(
            self._families(),
            placeholders=self.rules.placeholders,
            normalizer=self._normalizer,
            sounds=SoundTable(fold_retroflex=matching.fold_retroflex, fold_nasal=matching.fold_nasal),
            homophone_min_chars=matching.homophone_min_chars,
            clitics="".join(self._normalizer(c) for c in matching.clitics),
            loose="".join(self._normalizer(c) for c in matching.loose),
            equivalents={self._normalizer(written): tuple(self._normalizer(w) for w in spoken)
                         for written, spoken in matching.equivalents.items()},
        )

    def __getstate__(self) -> dict[str, Any]:
        return {"rules": self.rules, "options": self._options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["rules"], **state["options"])  # type: ignore[misc]

    def __repr__(self) -> str:
        card = self.rules.scorecard
        lang = f", lang={self.lang!r}" if self.lang != "en" else ""
        return f"Scorer(scorecard={card.name!r}, company={card.company!r}, rules={len(self.rules.rules)}{lang})"

    def in_lang(self, lang: Lang) -> Scorer:
        """This scorer writing its findings in ``lang``: a copy that shares the rule set, the tokenizer (its
        dictionary loaded once) and the phrase index, so it costs nothing to make (``self`` when ``lang`` is
        already this scorer's)."""
        chosen = check_lang(lang)
        if chosen == self.lang:
            return self
        other = object.__new__(Scorer)  # not copy.copy: pickling's __getstate__ would rebuild the tokenizer
        other.__dict__.update(self.__dict__)
        other.lang = chosen
        other._options = {**self._options, "lang": chosen}
        return other

    def _families(self) -> Iterator[PhraseFamily]:
        model = self.rules.model
        parts: list[tuple[str, PartConfig]] = [
            (f"script.{step_name}.{part_name}", part)
            for step_name, step in model.script.items()
            for part_name, part in step.parts.items()
        ]
        parts += [(f"lexicon.{name}", part) for name, part in model.lexicon.items()]
        parts += [(f"banned.{name}", part) for name, part in model.banned.items()]
        parts += list(self.rules.site_parts.items())
        negation = model.lexicon.get("negation")
        negators = frozenset(w for v in negation.variants for w in expand_pattern(v, {})) if negation else frozenset()
        for name, part in parts:
            yield PhraseFamily(
                name,
                part.variants,
                homophones=part.homophones,
                boundary=part.boundary,
                unless_before=part.unless_before,
                unless_after=part.unless_after,
                window=part.window,
                clause_end=part.clause_end,
                clause_start=part.clause_start,
                one_clause=part.one_clause,
                negators=negators if part.negatable else frozenset(),
                needs_nearby=frozenset(part.needs_nearby),
                unless_next_pos=frozenset(part.unless_next_pos),
            )

    @property
    def tokenizer_backend(self) -> str:
        """The tokenizer backend in use: ``jieba`` or ``rjieba``."""
        return self._tokenizer.backend

    def warm_up(self) -> None:
        """Load the tokenizer's dictionary now instead of on the first call."""
        self._tokenizer.warm_up()

    def prepare(self, call: CallInput) -> CallDoc:
        """The normalised, tokenised form of a call that the checks read (useful for debugging a rule)."""
        return CallDoc(
            parse_call(call),
            tokenizer=self._tokenizer,
            normalizer=self._normalizer,
            phrases=self._phrases,
            hesitations=self._hesitations,
        )

    def score(self, call: CallInput) -> Report:
        """Score one call. Raises :class:`InputError` for a bad call, :class:`ScoringError` if a check breaks."""
        parsed = parse_call(call)
        try:
            doc = self.prepare(parsed)
        except Exception as exc:  # a bug on odd text must cost one call, not the batch
            raise ScoringError(parsed.call_id, None, exc) from exc
        return self.score_prepared(doc)

    def score_prepared(self, doc: CallDoc) -> Report:
        """The report of a call already prepared (by :meth:`prepare`, or utterance by utterance by a live
        session): every rule run on it once."""
        results = [self._run(doc, rule_id) for rule_id in self.rules.rules]
        return self._report(doc.call, results, agent_speaks=bool(doc.agent))

    def open_doc(self, call: Call) -> CallDoc:
        """A prepared call with no utterances yet, for a live session to add them one at a time
        (:meth:`CallDoc.prepare_one`, :meth:`CallDoc.append`); ``call`` gives its fields."""
        return CallDoc(
            call.model_copy(update={"utterances": ()}),
            tokenizer=self._tokenizer,
            normalizer=self._normalizer,
            phrases=self._phrases,
            hesitations=self._hesitations,
        )

    def live(
        self,
        *,
        call_id: str,
        direction: str = "inbound",
        agent_id: str | None = None,
        rings: int | None = None,
        ring_seconds: float | None = None,
        started_at: str | datetime | None = None,
        team: str | None = None,
        metadata: Mapping[str, MetaValue] | None = None,
        silence_seconds: float | None = None,
        greeting_seconds: float | None = None,
    ) -> LiveSession:
        """Open a live session for a call that is still going on: feed it utterances as the recogniser
        finalises them and get alerts back at once; :meth:`LiveSession.close` returns the report that
        :meth:`score` gives for the whole call. See :mod:`csqa.scoring.live` and ``docs/live.md``.

        The call's fields are those of :class:`Call` (validated now: :class:`InputError` for a bad one);
        ``silence_seconds`` and ``greeting_seconds`` set when the clock's deadlines fall (see
        :class:`LiveSession`). Sessions are independent: one Scorer serves any number at once, from threads
        or from asyncio tasks.
        """
        fields: dict[str, Any] = {
            "call_id": call_id, "direction": direction, "agent_id": agent_id, "rings": rings,
            "ring_seconds": ring_seconds, "started_at": started_at, "team": team,
            "metadata": dict(metadata or {}), "utterances": [],
        }
        return LiveSession(self, parse_call(fields), silence_seconds=silence_seconds, greeting_seconds=greeting_seconds)

    def score_many(
        self,
        calls: Iterable[CallInput | RawCall | CallError],
        *,
        workers: int = 1,
        chunk_size: int = 32,
        progress: bool = False,
    ) -> Iterator[Report | CallError]:
        """Score calls in input order; every input yields a :class:`Report` or a :class:`CallError`.

        ``workers`` > 1 scores in that many processes (see :mod:`csqa.scoring.batch`), streaming with bounded memory;
        ``progress`` shows a progress bar: tqdm's widget in a notebook (``tqdm.auto``), on standard error elsewhere.
        """
        if workers < 1:
            raise UsageError(f"workers must be at least 1, not {workers}")
        if workers == 1:
            results: Iterator[Report | CallError] = (self.score_item(item) for item in calls)
        else:
            from csqa.scoring.batch import score_parallel

            results = score_parallel(self, calls, workers=workers, chunk_size=chunk_size)
        if progress:
            from tqdm.auto import tqdm

            results = iter(tqdm(results, unit=" calls", desc="csqa", dynamic_ncols=True, mininterval=0.5))
        return results

    def score_item(self, item: CallInput | RawCall | CallError) -> Report | CallError:
        """One batch item scored, or the error record that stands for it; never raises for bad input."""
        if isinstance(item, CallError):
            return item
        try:
            return self.score(item.parse() if isinstance(item, RawCall) else item)
        except InputError as exc:
            return error_record(exc)
        except ScoringError as exc:
            raw = item if isinstance(item, RawCall) else None
            return CallError(code=exc.code, message=str(exc), call_id=exc.call_id,
                             source=raw.source if raw is not None else None, line=raw.line if raw is not None else None,
                             problems=(f"rule {exc.rule}",) if exc.rule else ())

    def context(self, doc: CallDoc, rule_id: str) -> Context:
        """What a check of rule ``rule_id`` is given to judge ``doc``."""
        config = self.rules.rules[rule_id]
        return Context(doc, self.rules, rule_id, config, self.rules.params[rule_id], self._stopwords, self.lang,
                       self._synonyms)

    def _run(self, doc: CallDoc, rule_id: str) -> CheckResult:
        context = self.context(doc, rule_id)
        try:
            return self.rules.checks[rule_id].run(context)
        except Exception as exc:  # a check must never take a batch down; the error names call and rule
            raise ScoringError(doc.call.call_id, rule_id, exc) from exc

    def _report(self, call: Call, results: list[CheckResult], *, agent_speaks: bool) -> Report:
        scorecard = self.rules.scorecard
        judged = [r for r in results if r.status in ("pass", "fail")]
        total = sum(r.weight for r in judged)
        vetoed = tuple(r.rule for r in results if r.status == "fail" and self.rules.rules[r.rule].vetoes)
        unscored: str | None = None
        if not agent_speaks:
            score: float | None = None
            unscored = say(self.lang, "unscored.silent-agent", count=len(judged))
        elif vetoed:
            score = 0.0
        elif total > 0:
            score = round(100 * sum(r.weight for r in judged if r.status == "pass") / total, 2)
        else:
            score = None
            unscored = say(self.lang, "unscored.nothing-judged")
        return Report(
            call_id=call.call_id,
            agent_id=call.agent_id,
            direction=call.direction,
            started_at=call.started_at,
            team=call.team,
            metadata=call.metadata,
            score=score,
            passed=None if score is None else score >= scorecard.pass_mark,
            unscored=unscored,
            pass_mark=scorecard.pass_mark,
            vetoed=vetoed,
            scorecard=scorecard.name,
            checks=tuple(results),
            utterances=call.utterances if self.include_transcript else (),
            lang=self.lang,
        )

    def script(self, direction: str = "inbound") -> str:
        """The agent script for one direction, rendered for this scorecard's company."""
        from csqa.checks.script import render_script

        return render_script(self.rules, direction=direction)

