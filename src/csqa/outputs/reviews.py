"""Reviewers' verdicts on csqa's verdicts: the files the call pages save, and what csqa makes of them.

Why: a console shows a rule's verdict; what it lacks is the loop in which the people who check those verdicts
every day become the labels that measure the rules. On a call page (``csqa report``) a reviewer marks each
verdict right or wrong, with the status it should have and a comment; the page keeps the reviews in the
browser and saves them to a JSON file the reviewer keeps (``docs/reviews.md``). This module reads those files
(:func:`load_reviews`), resolves them into one reviewed status per verdict (a reviewer's later review replaces
their earlier one; two reviewers who disagree are a *conflict*, reported and never merged), turns them with the
calls they review into annotated calls that ``csqa eval`` measures the rules against (:class:`ReviewedCalls`),
and counts agreement between csqa and reviewers per rule (:class:`AgreementCounter`, used by ``summarize``).

A review file::

    {"format": "csqa-reviews/1", "reviewer": "王芳", "saved_at": "2026-12-05T02:31:02.120Z",
     "reviews": [{"call_id": "demo-0003", "rule": "restate-question", "code": "ST03",
                  "csqa_status": "fail", "status": "pass", "comment": "she restated it as 您是问发货时间对吧",
                  "reviewer": "王芳", "time": "2026-12-05T02:30:11.004Z",
                  "csqa_version": "0.1.0", "scorecard": "default"}]}

``status`` is the reviewer's: equal to ``csqa_status`` when the verdict is right.
"""

from __future__ import annotations

import codecs
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from csqa.errors import InputError, InputProblem
from csqa.input.model import Call, CallError
from csqa.outputs.evaluate import AnnotatedCall
from csqa.outputs.report import Status

__all__ = [
    "FORMAT",
    "AgreementCounter",
    "Review",
    "ReviewFile",
    "ReviewSet",
    "ReviewedCalls",
    "ReviewedVerdict",
    "RuleAgreement",
    "load_reviews",
]

FORMAT = "csqa-reviews/1"
"""The ``format`` of a review file; a file without it is not one (in a folder it is skipped and named)."""

_FROZEN = ConfigDict(extra="forbid", frozen=True)
_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Review(BaseModel):
    """One reviewer's judgement of one verdict: the status csqa gave, the status the reviewer gives (the same
    when csqa was right), and why."""

    model_config = _FROZEN

    call_id: Annotated[str, Field(min_length=1)]
    rule: Annotated[str, Field(min_length=1)]
    code: str = ""
    csqa_status: Status = Field(description="the status csqa gave, as the reviewer saw it")
    status: Status = Field(description="the status the reviewer gives: csqa_status when csqa was right")
    comment: Annotated[str, Field(max_length=10_000)] = ""
    reviewer: _Name
    time: datetime = Field(description="when the reviewer gave this review (ISO 8601)")
    csqa_version: str = Field(description="the csqa version that wrote the page reviewed")
    scorecard: str = Field(description="the scorecard that scored the call")

    @property
    def right(self) -> bool:
        """Whether the reviewer agrees with csqa."""
        return self.status == self.csqa_status


class ReviewFile(BaseModel):
    """What a call page saves: every review this browser holds for one folder of pages."""

    model_config = _FROZEN

    format: Literal["csqa-reviews/1"]
    reviewer: _Name
    saved_at: datetime
    reviews: tuple[Review, ...]


class ReviewedVerdict(BaseModel):
    """One verdict (a call's rule) with the latest review of each reviewer who reviewed it.

    ``status`` is the status they give it, or ``None`` when they disagree: a conflict, which is reported and
    left out of annotations and agreement rather than settled by a vote nobody asked for.
    """

    model_config = _FROZEN

    call_id: str
    rule: str
    status: Status | None
    reviews: tuple[Review, ...]

    @property
    def conflict(self) -> bool:
        return self.status is None

    def describe(self) -> str:
        """The conflict (or agreement) in one line: who said what."""
        said = "; ".join(f"{r.reviewer}: {r.status}" + (f" ({r.comment})" if r.comment else "") for r in self.reviews)
        return f"call {self.call_id!r} rule {self.rule}: {said}"


class ReviewSet:
    """Reviews resolved to one :class:`ReviewedVerdict` per (call, rule).

    The same reviewer's reviews of one verdict collapse to their latest (a file saved twice holds the same
    review twice; a reviewer who changes their mind revises it): ``duplicates`` and ``revised`` count what
    was collapsed. ``files`` are the review files read, ``skipped`` the files in folders that were not review
    files (path, reason).
    """

    def __init__(self, reviews: Iterable[Review], *, files: Iterable[str] = (),
                 skipped: Iterable[tuple[str, str]] = ()) -> None:
        latest: dict[tuple[str, str, str], Review] = {}
        self.duplicates = self.revised = 0
        for review in reviews:
            key = (review.call_id, review.rule, review.reviewer)
            before = latest.get(key)
            if before is not None:
                if before == review:
                    self.duplicates += 1
                    continue
                self.revised += 1
                if review.time < before.time:
                    continue
            latest[key] = review
        grouped: dict[tuple[str, str], list[Review]] = defaultdict(list)
        for (call_id, rule, _), review in latest.items():
            grouped[call_id, rule].append(review)
        self.verdicts: dict[tuple[str, str], ReviewedVerdict] = {}
        for (call_id, rule), given in grouped.items():
            statuses = {r.status for r in given}
            self.verdicts[call_id, rule] = ReviewedVerdict(
                call_id=call_id, rule=rule, status=next(iter(statuses)) if len(statuses) == 1 else None,
                reviews=tuple(sorted(given, key=lambda r: (r.reviewer, r.time))))
        self.files = tuple(files)
        self.skipped = tuple(skipped)
        self._by_call: dict[str, list[ReviewedVerdict]] = defaultdict(list)
        for (call_id, _), verdict in self.verdicts.items():
            self._by_call[call_id].append(verdict)

    def __len__(self) -> int:
        return len(self.verdicts)

    def __iter__(self) -> Iterator[ReviewedVerdict]:
        return iter(self.verdicts.values())

    def __repr__(self) -> str:
        return f"ReviewSet({len(self)} verdicts, {len(self.conflicts())} conflicts, {len(self.files)} files)"

    def get(self, call_id: str, rule: str) -> ReviewedVerdict | None:
        return self.verdicts.get((call_id, rule))

    def has_call(self, call_id: str) -> bool:
        return call_id in self._by_call

    def of_call(self, call_id: str) -> list[ReviewedVerdict]:
        """The reviewed verdicts of one call."""
        return list(self._by_call.get(call_id, ()))

    def conflicts(self) -> list[ReviewedVerdict]:
        return [v for v in self.verdicts.values() if v.conflict]

    @property
    def reviewers(self) -> tuple[str, ...]:
        return tuple(sorted({r.reviewer for v in self.verdicts.values() for r in v.reviews}))


def _review_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, bool]]:
    """Each file to read, and whether it was named (True) or found in a folder (False)."""
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*.json") if p.is_file() and not p.name.startswith(".")):
                yield found, False
        else:
            yield path, True


def load_reviews(*paths: str | os.PathLike[str]) -> ReviewSet:
    """The reviews in review files and folders of them (``*.json``, recursively), resolved.

    A JSON file in a folder that is not a review file (no ``"format": "csqa-reviews/1"``) is skipped and
    listed in ``skipped``; a file named directly must be one. Every problem of every file is reported at once
    as one :class:`~csqa.errors.InputError` (code ``E110``) naming the file, the review's index and the field.
    """
    reviews: list[Review] = []
    files: list[str] = []
    skipped: list[tuple[str, str]] = []
    problems: list[InputProblem] = []
    for path, named in _review_files(paths):
        where = str(path)
        try:
            data = json.loads(path.read_bytes().removeprefix(codecs.BOM_UTF8))
        except (OSError, ValueError, RecursionError) as exc:
            reason = f"cannot read: {exc.strerror or exc}" if isinstance(exc, OSError) else "not JSON"
            if named:
                problems.append(InputProblem(where, reason))
            else:
                skipped.append((where, reason))
            continue
        if not (isinstance(data, dict) and data.get("format") == FORMAT):
            reason = f"not a csqa review file (no \"format\": \"{FORMAT}\")"
            if named:
                problems.append(InputProblem(where, reason))
            else:
                skipped.append((where, reason))
            continue
        try:
            parsed = ReviewFile.model_validate(data)
        except ValidationError as exc:
            problems += [InputProblem(f"{where}: {'.'.join(str(p) for p in err['loc'])}", err["msg"]) for err in exc.errors()]
            continue
        files.append(where)
        reviews += parsed.reviews
    if problems:
        raise InputError(problems, code="E110", source="review files")
    return ReviewSet(reviews, files=files, skipped=skipped)


class ReviewedCalls:
    """The reviewed calls as annotated calls (``{"call": …, "gold": {rule: status}, "note": …}``), streamed in
    the calls' order: what ``csqa eval`` measures the rules against.

    ``calls`` are the calls that were scored (the reports do not carry rings, hang-up or events, so they
    cannot stand in for them). Each call with reviews gives one annotated call whose gold labels are its
    reviewed statuses; conflicting verdicts are left out (``reviews.conflicts()`` lists them). After
    iterating, :meth:`unmatched` lists the verdicts whose call never came, ``repeated`` the call ids that came
    more than once (only the first is annotated), ``errors`` the calls that could not be read.
    """

    def __init__(self, reviews: ReviewSet, calls: Iterable[Call | CallError]) -> None:
        self.reviews = reviews
        self.calls = calls
        self.repeated: list[str] = []
        self.errors: list[CallError] = []
        self._seen: set[str] = set()

    def __iter__(self) -> Iterator[AnnotatedCall]:
        self.repeated, self.errors, self._seen = [], [], set()
        for call in self.calls:
            if isinstance(call, CallError):
                self.errors.append(call)
                continue
            if not self.reviews.has_call(call.call_id):
                continue
            if call.call_id in self._seen:
                self.repeated.append(call.call_id)
                continue
            self._seen.add(call.call_id)
            verdicts = sorted(self.reviews.of_call(call.call_id), key=lambda v: v.rule)
            gold = {v.rule: v.status for v in verdicts if v.status is not None}
            if not gold:
                continue
            notes = [f"{v.rule}: {r.reviewer}: {r.comment}" for v in verdicts if v.status is not None
                     for r in v.reviews if r.comment]
            yield AnnotatedCall(call=call, gold=gold, note="; ".join(notes))

    def unmatched(self) -> list[ReviewedVerdict]:
        """The reviewed verdicts whose call was not among the calls (after iterating)."""
        return [v for v in self.reviews if v.call_id not in self._seen]


def annotated_json(item: AnnotatedCall) -> str:
    """One line of an annotated file: the call as the loaders read it, its gold labels and the note."""
    record: dict[str, object] = {"call": item.call.model_dump(mode="json", exclude_defaults=True), "gold": item.gold}
    if item.note:
        record["note"] = item.note
    return json.dumps(record, ensure_ascii=False)


class RuleAgreement(BaseModel):
    """How csqa's verdicts on one rule compare with the reviewers' (reviewed verdicts only)."""

    model_config = _FROZEN

    rule: str
    code: str
    reviewed: int = Field(description="verdicts with a review (conflicting ones not counted)")
    agreed: int
    false_alarms: int = Field(description="csqa said fail, the reviewers did not")
    missed: int = Field(description="the reviewers said fail, csqa did not")
    other: int = Field(description="other disagreements (e.g. not_applicable against pass)")
    agreement: float | None
    conflicts: int = Field(description="verdicts whose reviewers disagree with each other: left out")


class AgreementCounter:
    """Counts, as reports stream by, how each reviewed verdict compares with the report's status for it."""

    def __init__(self, reviews: ReviewSet) -> None:
        self.reviews = reviews
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.codes: dict[str, str] = {}
        self._matched: set[tuple[str, str]] = set()

    def add(self, call_id: str, rule: str, code: str, status: str) -> ReviewedVerdict | None:
        verdict = self.reviews.get(call_id, rule)
        if verdict is None:
            return None
        self._matched.add((call_id, rule))
        self.codes.setdefault(rule, code)
        counts = self.counts[rule]
        if verdict.status is None:
            counts["conflicts"] += 1
            return verdict
        counts["reviewed"] += 1
        if verdict.status == status:
            counts["agreed"] += 1
        elif status == "fail":
            counts["false_alarms"] += 1
        elif verdict.status == "fail":
            counts["missed"] += 1
        else:
            counts["other"] += 1
        return verdict

    @property
    def unmatched(self) -> int:
        """Reviewed verdicts that no report had."""
        return len(self.reviews) - len(self._matched)

    def rules(self, order: Iterable[str]) -> tuple[RuleAgreement, ...]:
        """One row per rule that has a review, in ``order`` (the rules' order), then any others."""
        ordered = [rule for rule in dict.fromkeys([*order, *self.counts]) if rule in self.counts]
        return tuple(
            RuleAgreement(
                rule=rule, code=self.codes[rule], reviewed=c["reviewed"], agreed=c["agreed"],
                false_alarms=c["false_alarms"], missed=c["missed"], other=c["other"],
                agreement=c["agreed"] / c["reviewed"] if c["reviewed"] else None, conflicts=c["conflicts"])
            for rule in ordered for c in (self.counts[rule],)
        )
