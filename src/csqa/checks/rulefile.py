"""Rule files: the scorecard, the company, timings, matching lexicons and the agent script, as TOML.

Everything a call centre tunes lives here, not in code. A rule file is read with :mod:`tomllib`, validated
by pydantic, and then checked for what a schema cannot see: rule ids the library does not know, script
steps a check needs but the file lacks, patterns with unknown placeholders, and script lines that would not
pass their own check. Every problem is collected and raised together as one :class:`RuleFileError`, each
with the file and the dotted path inside it.

A site file usually starts with ``extends = "default"`` and overrides a few keys of the bundled scorecard;
tables merge key by key, lists and values replace.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import tomllib
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csqa.checks.kinds import (
    KINDS,
    Condition,
    SiteCheck,
    condition_families,
    condition_reads,
    judge_settings,
    parse_condition,
)
from csqa.checks.registry import REGISTRY, Check
from csqa.errors import InputError, RuleFileError, RuleProblem, did_you_mean
from csqa.input.loaders import parse_text
from csqa.outputs.report import How, Severity, Status
from csqa.text.normalize import Normalizer
from csqa.text.phrases import CompiledPattern, PatternError, check_pattern, compile_pattern, content_key, expand_pattern

__all__ = ["DEFAULT_RULES", "RuleSet", "load_rules"]

DEFAULT_RULES = "default"
MAX_RULE_FILE_BYTES = 2 * 2**20
"""Rule files are read up to this size (the bundled one is a few tens of KiB): ``--rules /dev/zero`` or a
file written by mistake is refused instead of filling memory."""
_STRICT = ConfigDict(extra="forbid", frozen=True)

NonEmpty = Annotated[str, Field(min_length=1)]


class ScorecardConfig(BaseModel):
    model_config = _STRICT

    name: NonEmpty = "default"
    pass_mark: Annotated[float, Field(ge=0, le=100)] = 80.0
    company: NonEmpty
    company_aliases: tuple[NonEmpty, ...] = ()
    departments: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]


class TimingConfig(BaseModel):
    model_config = _STRICT

    ring_cycle_seconds: Annotated[float, Field(gt=0)] = 5.0
    max_rings: Annotated[int, Field(ge=1)] = 3
    opening_window: Annotated[int, Field(ge=1)] = 3
    closing_window: Annotated[int, Field(ge=1)] = 3
    wrap_up_window: Annotated[int, Field(ge=0)] = 12
    """At most how many of the agent's utterances before the closing, after the customer's last matter, the
    closing reaches back over, one for each closing courtesy inside it (a chat's closing runs over several short
    messages): a bound, so that judging a closing live at each goodbye costs no more than the closing itself."""


class MatchingConfig(BaseModel):
    model_config = _STRICT

    hesitations: tuple[NonEmpty, ...] = ()
    clitics: tuple[Annotated[str, Field(min_length=1, max_length=1)], ...] = ()
    loose: tuple[Annotated[str, Field(min_length=1, max_length=1)], ...] = ()
    fold_retroflex: bool = True
    fold_nasal: bool = True
    homophone_min_chars: Annotated[int, Field(ge=1)] = 2
    user_words: tuple[NonEmpty, ...] = ()
    stopwords: tuple[NonEmpty, ...] = ()
    equivalents: dict[NonEmpty, tuple[NonEmpty, ...]] = {}
    """Words that stand for a written word in speech, in every phrase of the file (什么: 啥)."""
    synonyms: tuple[Annotated[tuple[NonEmpty, ...], Field(min_length=2)], ...] = ()
    """Groups of words that name the same thing when a restatement is compared with what the customer said
    (电话, 号码, 联系方式): a restatement in the agent's own words shares content with the customer's."""


class PartConfig(BaseModel):
    """A family of phrases: one part of a script step, or a lexicon a check uses."""

    model_config = _STRICT

    label: NonEmpty
    label_zh: NonEmpty | None = None
    """The label in Chinese, for findings in Chinese (the bundled file's labels are translated by the message
    catalogue, :data:`csqa.outputs.i18n.DATA_ZH`; a file that renames a part gives its own)."""
    variants: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    homophones: bool = False
    boundary: Literal["token", "start", "char"] = "token"
    unless_before: tuple[NonEmpty, ...] = ()
    unless_after: tuple[NonEmpty, ...] = ()
    window: Annotated[int, Field(ge=1, le=20)] = 4
    clause_end: bool = False
    clause_start: bool = False
    """Only hits that start a clause count (喂! but not 混着喂)."""
    one_clause: bool = False
    """Only hits with no punctuation or space inside them count (好麻烦 objects; 好,麻烦快一点 agrees)."""
    negatable: bool = False
    """Cancelled by a word of the ``negation`` lexicon shortly before it in its clause (不保证, 没有办法保证)."""
    needs_nearby: tuple[NonEmpty, ...] = ()
    """Words one of which must stand within four words of the hit (我们包活, 给您包退; not 死苗包换)."""
    unless_next_pos: tuple[NonEmpty, ...] = ()
    """Part-of-speech tags of the next word (``end``: the utterance ends) that give the hit another sense
    (保证苗木的品质, 正品保证的: not promises)."""


class BannedConfig(PartConfig):
    """One banned phrase of 八、服务禁语: the manual's wording, its variants, and what to say instead.

    ``instead`` is a line of text, or ``script.<step>`` for the line of a script step.
    """

    phrase: NonEmpty
    instead: NonEmpty


class StepConfig(BaseModel):
    """One line of the agent script: the words to say and the parts a check looks for."""

    model_config = _STRICT

    direction: Literal["inbound", "outbound", "both"]
    title: NonEmpty
    line: NonEmpty
    rule: str | None = None
    parts: dict[str, PartConfig] = {}


class ExampleConfig(BaseModel):
    """An example that travels with a rule: a call in the plain-text transcript form (``客服: …`` lines, with
    optional ``# rings: 2`` headers) and the status the rule must give it."""

    model_config = _STRICT

    expect: Status
    call: NonEmpty
    why: str = ""


class RuleConfig(BaseModel):
    """One rule's table: what a call centre tunes (weight, severity, on or off, parameters, the line to say
    instead) and, for a site rule of its own, its ``kind``, fixed ``code``, ``title``, ``summary`` (and their
    Chinese, ``title_zh`` and ``summary_zh``, for findings in Chinese), the directions it applies to, and the
    kind's settings (kept as the table's other keys and validated against the kind, see
    :mod:`csqa.checks.kinds`). A built-in rule's code and titles are its declaration's and the catalogue's."""

    model_config = ConfigDict(extra="allow", frozen=True)

    code: Annotated[str, Field(pattern=r"^[A-Z]{2,4}[0-9]{2,4}$")] | None = None
    title: NonEmpty | None = None
    title_zh: NonEmpty | None = None
    weight: Annotated[float, Field(ge=0)]
    severity: Severity
    veto: bool | None = None
    enabled: bool = True
    fix: str = ""
    params: dict[str, Any] = {}
    kind: str | None = None
    summary: str = ""
    summary_zh: str = ""
    directions: Annotated[tuple[Literal["inbound", "outbound"], ...], Field(min_length=1)] = ("inbound", "outbound")
    examples: tuple[ExampleConfig, ...] = ()

    @property
    def settings(self) -> dict[str, Any]:
        """The keys of the table that belong to its kind."""
        return dict(self.__pydantic_extra__ or {})

    @property
    def vetoes(self) -> bool:
        return self.severity == "critical" if self.veto is None else self.veto


class ReviewConfig(BaseModel):
    """How sure a fail is, by how it was found, and below which a human should look before it counts: the
    commercial engines route low-confidence verdicts to reviewers, and so does csqa (``Report.to_review``)."""

    model_config = _STRICT

    below: Annotated[float, Field(ge=0, le=1)] = 0.8
    confidence: dict[How, Annotated[float, Field(ge=0, le=1)]] = {
        "exact": 0.95, "variant": 0.9, "pattern": 0.85, "homophone": 0.7, "absence": 0.8, "context": 0.75,
        "timing": 0.95, "data": 0.99,
    }
    unpunctuated_absence: Annotated[float, Field(ge=0, le=1)] = 0.6
    """A required phrase missing from raw ASR text (no punctuation): the recogniser may have garbled it."""


class RuleFileModel(BaseModel):
    model_config = _STRICT

    extends: str | None = None
    scorecard: ScorecardConfig
    timing: TimingConfig = TimingConfig()
    matching: MatchingConfig = MatchingConfig()
    review: ReviewConfig = ReviewConfig()
    rules: dict[str, RuleConfig]
    script: dict[str, StepConfig] = {}
    lexicon: dict[str, PartConfig] = {}
    banned: dict[str, BannedConfig] = {}
    patterns: dict[str, NonEmpty | Annotated[tuple[NonEmpty, ...], Field(min_length=1)]] = {}
    """Patterns several families share, by name: a ``variants`` entry ``"{pattern.NAME}"`` stands for one pattern,
    or for every pattern of a list (the goodbyes of the three closings)."""


@dataclass(frozen=True)
class RuleSet:
    """A validated rule file, ready for a :class:`~csqa.Scorer`."""

    model: RuleFileModel
    sources: tuple[str, ...]
    params: Mapping[str, BaseModel] = field(default_factory=dict)
    checks: Mapping[str, Check] = field(default_factory=dict)
    """Every rule of the file with its declaration: the built-in ones and the site rules."""
    site_parts: Mapping[str, PartConfig] = field(default_factory=dict)
    """The phrase families of the site rules' conditions, by family name."""

    @property
    def scorecard(self) -> ScorecardConfig:
        return self.model.scorecard

    @property
    def timing(self) -> TimingConfig:
        return self.model.timing

    @property
    def matching(self) -> MatchingConfig:
        return self.model.matching

    @functools.cached_property
    def rules(self) -> dict[str, RuleConfig]:
        """Enabled rules in file order (computed once: scoring looks them up for every call)."""
        return {rid: cfg for rid, cfg in self.model.rules.items() if cfg.enabled}

    @property
    def script(self) -> dict[str, StepConfig]:
        return self.model.script

    @property
    def placeholders(self) -> dict[str, tuple[str, ...]]:
        return placeholders_of(self.model.scorecard)

    @functools.cached_property
    def site_words(self) -> tuple[str, ...]:
        """The site rules' literal phrases (no gap, no regular expression), which the tokenizer keeps whole:
        a rule that names 中通 or 韵达 would otherwise never match them, since jieba, not knowing the
        names, cuts 比中|通快 and 韵|达."""
        words: dict[str, None] = {}
        for part in self.site_parts.values():
            for pattern in part.variants:
                if "{~" in pattern or pattern.startswith("re:"):
                    continue
                words.update(dict.fromkeys(p for p in expand_pattern(pattern, self.placeholders) if len(p) >= 2))
        return tuple(words)

    def render(self, line: str, **slots: str) -> str:
        """A script line with the company, department and ``slots`` filled in (see :func:`render_line`)."""
        return render_line(line, self.placeholders, **slots)

    def step_for(self, rule_id: str) -> StepConfig | None:
        for step in self.model.script.values():
            if step.rule == rule_id:
                return step
        return None

    def with_company(self, company: str | None = None, departments: Sequence[str] | None = None) -> RuleSet:
        """The same rules for another company (its aliases are dropped) or other departments."""
        if company is None and departments is None:
            return self
        raw = self.model.model_dump()
        if company is not None:
            raw["scorecard"]["company"] = company
            raw["scorecard"]["company_aliases"] = ()
        if departments is not None:
            raw["scorecard"]["departments"] = tuple(departments)
        label = f"{self.sources[-1]} (company={company!r})" if company else self.sources[-1]
        return _validate(raw, {}, (*self.sources[:-1], label), label)


LINE_SLOTS = {"topic": "**", "title": "**先生/女士", "days": "*"}
"""What the call-specific placeholders of a script line show when the call does not supply them (the manual's **)."""


def render_line(line: str, placeholders: Mapping[str, Sequence[str]], **slots: str) -> str:
    """``line`` with each configured placeholder's first value and each call-specific slot filled in."""
    values = {name: tuple(values[:1]) for name, values in placeholders.items()}
    values.update({name: (value,) for name, value in {**LINE_SLOTS, **slots}.items()})
    return expand_pattern(line, values)[0]


def placeholders_of(scorecard: ScorecardConfig) -> dict[str, tuple[str, ...]]:
    companies = (scorecard.company, *scorecard.company_aliases)
    return {"company": companies, "department": scorecard.departments}


def _bundled_text(name: str) -> tuple[str, str]:
    resource = resources.files("csqa.rules").joinpath(f"{name}.toml")
    return resource.read_text(encoding="utf-8"), f"<csqa>/rules/{name}.toml"


def _read(source: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    if isinstance(source, str) and source == DEFAULT_RULES:
        text, label = _bundled_text(DEFAULT_RULES)
    else:
        path = Path(source)
        label = str(source)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_RULE_FILE_BYTES + 1)
            if len(data) > MAX_RULE_FILE_BYTES:
                raise RuleFileError([RuleProblem(label, "", f"larger than {MAX_RULE_FILE_BYTES // 2**20} MiB: not a rule file")])
            text = data.decode("utf-8")
        except FileNotFoundError:
            raise RuleFileError([RuleProblem(label, "", "no such file")]) from None
        except IsADirectoryError:
            raise RuleFileError([RuleProblem(label, "", "is a folder, not a rule file")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleFileError([RuleProblem(label, "", f"cannot read: {exc}")]) from None
    try:
        return tomllib.loads(text), label
    except RecursionError:
        raise RuleFileError([RuleProblem(label, "", "not valid TOML: nested too deeply")]) from None
    except (tomllib.TOMLDecodeError, ValueError) as exc:  # ValueError: an integer beyond 4,300 digits
        raise RuleFileError([RuleProblem(label, "", f"not valid TOML: {exc}")]) from None


def _merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _owner(loc: Sequence[int | str], overlay: Mapping[str, Any], merged: Mapping[str, Any], overlay_label: str,
           base_label: str) -> str:
    """Which file a problem at ``loc`` is in: the overlay when it says what is there, the base file when
    the value comes from the base. A key missing from both (a required field an entry lacks) belongs to the
    file that has the entry, the overlay when it has it."""
    node: Any = overlay
    whole: Any = merged
    for part in loc:
        if _has(node, part):
            node, whole = node[part], whole[part] if _has(whole, part) else None
        elif node is overlay or _has(whole, part):
            return overlay_label if node is overlay else base_label
        else:
            return overlay_label
    return overlay_label


def _has(node: Any, part: int | str) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def load_rules(source: str | os.PathLike[str] | RuleSet | None = None) -> RuleSet:
    """Load and validate a rule file (``"default"`` or ``None`` for the bundled scorecard).

    Raises :class:`RuleFileError` listing every problem found, each with file and path.
    """
    if isinstance(source, RuleSet):
        return source
    raw, label = _read(DEFAULT_RULES if source is None else source)
    extends = raw.get("extends")
    if extends is None:
        return _validate(raw, raw, (label,), label)
    if extends != DEFAULT_RULES:
        raise RuleFileError([RuleProblem(label, "extends", f"only {DEFAULT_RULES!r} can be extended, not {extends!r}")])
    base, base_label = _read(DEFAULT_RULES)
    merged = _merge(base, {k: v for k, v in raw.items() if k != "extends"})
    return _validate(merged, raw, (base_label, label), label, base_label)


_SHARED_PATTERN = re.compile(r"\{pattern\.([^{}|~]+)\}")


def _is_pattern_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, str) and v for v in value)


def _share_patterns(raw: dict[str, Any], problem: Any) -> None:
    """Put each ``[patterns]`` entry in place of the ``"{pattern.NAME}"`` entries of ``variants`` lists, in place:
    a pattern two families need (the organisation names of the greeting and the callback introduction) is written
    once, so the two cannot drift apart; a list of patterns stands in with all of them. An unknown name is a
    problem at the entry that uses it."""
    shared = raw.get("patterns", {})
    if not isinstance(shared, dict):
        return  # the model reports a [patterns] that is not a table
    broken = {name for name, value in shared.items() if not (isinstance(value, str) and value) and not _is_pattern_list(value)}
    for name in sorted(broken):
        problem(("patterns", name), "a shared pattern is a non-empty string or a non-empty list of strings")
        del shared[name]  # reported once here, not again by the model

    def walk(node: Any, loc: tuple[int | str, ...]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "variants" and isinstance(value, list):
                    node[key] = list(filled(value, (*loc, key)))
                elif key != "patterns" or loc:
                    walk(value, (*loc, key))

    def filled(variants: list[Any], loc: tuple[int | str, ...]) -> Iterator[Any]:
        for i, entry in enumerate(variants):
            match = _SHARED_PATTERN.fullmatch(entry) if isinstance(entry, str) else None
            if match is None:
                yield entry
            elif isinstance(shared.get(match.group(1)), str):
                yield shared[match.group(1)]
            elif _is_pattern_list(shared.get(match.group(1))):
                yield from shared[match.group(1)]
            else:  # a stand-in that parses keeps the rest of the family checked; the file is refused for this problem
                if match.group(1) in broken:
                    problem((*loc, i), f"the pattern {match.group(1)!r} is not usable (see patterns.{match.group(1)})")
                else:
                    known = ", ".join(sorted(shared)) or "none"
                    problem((*loc, i), f"no pattern {match.group(1)!r} in [patterns] (known: {known})")
                yield match.group(1)

    walk(raw, ())


def _validate(
    raw: dict[str, Any],
    overlay: Mapping[str, Any],
    sources: tuple[str, ...],
    label: str,
    base_label: str | None = None,
) -> RuleSet:
    def owner(loc: Sequence[int | str]) -> str:
        return label if base_label is None else _owner(loc, overlay, raw, label, base_label)

    problems: list[RuleProblem] = []

    def problem(loc: Sequence[int | str], message: str) -> None:
        problems.append(RuleProblem(owner(loc), _path(loc), message))

    _share_patterns(raw, problem)
    model, scorecard_valid = _salvage(raw, problem)
    params: dict[str, BaseModel] = {}
    normalizer = Normalizer()
    placeholders = placeholders_of(model.scorecard)
    codes: dict[str, str] = {}

    checks: dict[str, Check] = {}
    site_parts: dict[str, PartConfig] = {}
    filled: dict[str, RuleConfig] = {}
    for rule_id, cfg in model.rules.items():
        check = _declared(rule_id, cfg, problem)
        if check is None:
            continue
        if isinstance(check.run, SiteCheck):
            for family, (part, field) in _site_parts(rule_id, check).items():
                site_parts[family] = part

                def located(loc: Sequence[int | str], message: str, field: str = field, rule_id: str = rule_id) -> None:
                    # a part's "variants" are the condition's phrases, first or then: name the key the file has
                    problem(["rules", rule_id, *(field if p == "variants" else p for p in loc[2:])], message)

                _part_keys(part, placeholders, normalizer, ("rules", rule_id), located)
        for index, example in enumerate(cfg.examples):
            try:
                parse_text(example.call, call_id=f"{rule_id}#{index + 1}")
            except InputError as exc:
                problem(("rules", rule_id, "examples", index, "call"), "; ".join(str(p) for p in exc.problems))
        if check.code in codes:
            problem(("rules", rule_id, "code"), f"code {check.code} is already used by {codes[check.code]}")
        codes[check.code] = rule_id
        checks[rule_id] = check
        filled[rule_id] = cfg.model_copy(update={"code": check.code, "title": check.title})
        step_parts, lexicons = check.step_parts, check.lexicons
        try:
            params[rule_id] = check.params.model_validate(cfg.params)
        except ValidationError as exc:
            for err in exc.errors():
                problem(("rules", rule_id, "params", *err["loc"]), err["msg"])
        else:
            if check.run is judge_settings:  # a built-in rule made of a kind reads what its tuned settings name
                step_parts, lexicons, _ = condition_reads(params[rule_id])
                if getattr(params[rule_id], "phrases", ()):
                    problem(("rules", rule_id, "params", "phrases"),
                            "a built-in rule reads its phrases from the file's script, lexicon and banned tables; "
                            "add variants there")
        if not cfg.enabled:
            continue
        if step_parts:
            step = next((s for s in model.script.values() if s.rule == rule_id), None)
            if step is None:
                problem(("script",), f"no script step has rule = {rule_id!r}, which {rule_id} needs")
                continue
            for part_name in step_parts:
                if part_name not in step.parts:
                    step_name = next(n for n, s in model.script.items() if s is step)
                    problem(("script", step_name, "parts"), f"{rule_id} needs a part named {part_name!r}")
        for lexicon in lexicons:
            if lexicon not in model.lexicon:
                problem(("lexicon",), f"{rule_id} needs a lexicon named {lexicon!r}")
        for reference in check.other_parts:
            step_name, _, part_name = reference.partition(".")
            if step_name not in model.script or part_name not in model.script[step_name].parts:
                problem(("script", step_name, "parts"), f"{rule_id} needs a part named {part_name!r} of step {step_name!r}")

    for step_name, step in model.script.items():
        if step.rule is not None and step.rule not in (raw.get("rules") or {}):  # an invalid entry is reported already
            problem(("script", step_name, "rule"), f"names rule {step.rule!r}, which the scorecard does not list")
        try:
            rendered = render_line(step.line, placeholders)
        except PatternError as exc:
            problem(("script", step_name, "line"), str(exc))
            rendered = ""
        for part_name, part in step.parts.items():
            keys = _part_keys(part, placeholders, normalizer, ("script", step_name, "parts", part_name), problem)
            line_key = content_key(normalizer, rendered)
            if scorecard_valid and rendered and keys and not any(k.found_in(line_key) for k in keys):
                problem(
                    ("script", step_name, "parts", part_name),
                    f"the script line {step.line!r} does not contain any variant of {part.label!r}",
                )
    for table, parts in (("lexicon", model.lexicon), ("banned", model.banned)):
        for name, part in parts.items():
            loc = (table, name)
            _part_keys(part, placeholders, normalizer, loc, problem)
    negatable = [(table, name) for table, parts in (("lexicon", model.lexicon), ("banned", model.banned))
                 for name, part in parts.items() if part.negatable]
    negatable += [("script", f"{step}.parts.{name}") for step, s in model.script.items() for name, part in s.parts.items()
                  if part.negatable]
    if "negation" not in model.lexicon:
        for table, name in negatable:  # every family that asks for it, at once
            problem((table, *name.split("."), "negatable"), "negatable needs a lexicon named 'negation' (the negating words)")
    for name, banned in model.banned.items():
        if banned.instead.startswith("script.") and banned.instead.removeprefix("script.") not in model.script:
            step_id = banned.instead.removeprefix("script.")
            problem(("banned", name, "instead"), f"names script step {step_id!r}, which the file does not have")
    if model.rules.get("no-forbidden-phrases") is not None and model.rules["no-forbidden-phrases"].enabled and not model.banned:
        problem(("banned",), "no-forbidden-phrases is enabled but the file lists no banned phrases")

    if problems:
        raise RuleFileError(problems)
    model = model.model_copy(update={"rules": {**model.rules, **filled}})
    return RuleSet(model=model, sources=sources, params=params, checks=checks, site_parts=site_parts)


def _declared(rule_id: str, cfg: RuleConfig, problem: Any) -> Check | None:
    """The declaration of a rule of the file: the built-in one for a rule id of MANUAL.md, or a site rule's
    own, made from its table. Reports what a table may not say (a code for a built-in rule, settings of a
    kind for a rule that has none) and what a site rule lacks."""
    builtin = REGISTRY.get(rule_id)
    own_keys = ("kind", "summary", "summary_zh", "title_zh", "directions")
    site_keys = {key for key in own_keys if getattr(cfg, key) != RuleConfig.model_fields[key].default}
    if builtin is not None:
        if cfg.code is not None and cfg.code != builtin.code:
            problem(("rules", rule_id, "code"),
                    f"the codes of built-in rules are fixed ({builtin.code}); a site rule gets its own code")
        if cfg.title is not None and cfg.title != builtin.title:
            problem(("rules", rule_id, "title"), f"the titles of built-in rules are fixed ({builtin.title!r})")
        for key in [*sorted(site_keys), *cfg.settings]:
            fields = [f for f in RuleConfig.model_fields if f not in (*own_keys, "code", "title")]
            problem(("rules", rule_id, key), f"unknown key for the built-in rule {rule_id}{did_you_mean(key, fields)}")
        return builtin
    if cfg.kind is None:
        problem(("rules", rule_id),
                f"unknown rule id; a site rule needs a kind ({', '.join(KINDS)}); built-in ids: {', '.join(REGISTRY)}")
        return None
    missing = [key for key in ("code", "title") if getattr(cfg, key) is None]
    for key in missing:
        problem(("rules", rule_id, key), f"a site rule needs a {key}")
    if cfg.code is not None and any(c.code == cfg.code for c in REGISTRY.values()):
        problem(("rules", rule_id, "code"), f"{cfg.code} is the code of a built-in rule; choose another")
    try:
        condition = parse_condition({"kind": cfg.kind, **cfg.settings})
    except ValidationError as exc:
        for err in exc.errors():
            # pydantic names the union members it tried (the kind, literal[…], function-after[…]): not keys of the file
            loc = [p for p in err["loc"][1:] if not (isinstance(p, str) and (p in KINDS or "[" in p or "(" in p))]
            message = err["msg"]
            if err["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
                message = "unknown key" + did_you_mean(loc[-1], [*_KIND_FIELDS.get(str(cfg.kind), ()), *RuleConfig.model_fields])
            problem(("rules", rule_id, *loc), message)
        return None
    if missing or any(c.code == cfg.code for c in REGISTRY.values()):
        return None
    assert cfg.code is not None and cfg.title is not None
    step_parts, lexicons, _ = condition_reads(condition)
    return Check(
        rule_id, cfg.code, cfg.title, cfg.summary or cfg.title, SiteCheck(rule_id, condition, cfg.directions),
        directions=cfg.directions, step_parts=step_parts, lexicons=lexicons, kind=cfg.kind, site=True,
        title_zh=cfg.title_zh or "", summary_zh=cfg.summary_zh or cfg.title_zh or "",
    )


def _site_parts(rule_id: str, check: Check) -> dict[str, tuple[PartConfig, str]]:
    """The phrase families of a site rule's conditions, as parts the phrase index searches, each with the
    key of the rule's table its patterns come from."""
    assert isinstance(check.run, SiteCheck)
    parts = {}
    for family, node in condition_families(rule_id, check.run.condition):
        if family.endswith((".first", ".then")):
            field = family.rsplit(".", 1)[1]
            variants = node.first if field == "first" else node.then
            parts[family] = (PartConfig(label=family, variants=variants, homophones=node.homophones), field)
        else:
            parts[family] = (PartConfig(label=family, variants=node.phrases, homophones=node.homophones,
                                        unless_before=node.unless_before, unless_after=node.unless_after,
                                        window=node.context_chars), "phrases")
    return parts


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through Annotated, unions, dicts' values and tuples' items)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is dict and len(args) == 2:
        args = (args[1],)
    for arg in args:
        found += _models(arg)
    return found


def _fields_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys a table at ``loc`` (the path of a key inside ``model``) may have: the fields of the model there."""
    current = [model]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        following: list[type[BaseModel]] = []
        for node in current:
            field = node.model_fields.get(part)
            following += _models(field.annotation) if field is not None else []
        current = following or current  # a dict's key (a rule id, a step name) keeps the models of its values
    return [name for node in current for name in node.model_fields]


def _message(err: Any, model: type[BaseModel]) -> str:
    """pydantic's message, with "did you mean" for an unknown key."""
    if err["type"] != "extra_forbidden" or not err["loc"] or not isinstance(err["loc"][-1], str):
        return str(err["msg"])
    return "unknown key" + did_you_mean(err["loc"][-1], _fields_at(model, err["loc"]))


_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(node.model_fields)
    for node in _models(typing.get_args(Condition)[0])
    for kind in typing.get_args(node.model_fields["kind"].annotation)
}
"""Each kind of site rule's keys, for "did you mean" (:mod:`csqa.checks.kinds`)."""

_ENTRY_TABLES: dict[str, type[BaseModel]] = {
    "rules": RuleConfig, "script": StepConfig, "lexicon": PartConfig, "banned": BannedConfig
}
_PLACEHOLDER_SCORECARD = ScorecardConfig(company="company", departments=("department",))


def _salvage(raw: Mapping[str, Any], problem: Any) -> tuple[RuleFileModel, bool]:
    """The file's model built from the parts that are valid, with every schema problem reported.

    Each section, and each entry of the tables of rules, script steps, lexicons and banned phrases, is
    validated on its own and an invalid one is left out, so that the checks after the schema (unknown rule
    ids, patterns, script lines) still run on the rest: a file's problems are all reported at once, not the
    schema's first and the others after those are fixed. The second value is whether the scorecard was
    valid (the script-line checks need its company names).
    """
    parts: dict[str, Any] = {}
    for key in raw:
        if key not in RuleFileModel.model_fields:
            problem((key,), f"unknown key{did_you_mean(key, RuleFileModel.model_fields)}; "
                            f"known: {', '.join(RuleFileModel.model_fields)}")
    for name, info in RuleFileModel.model_fields.items():
        if name not in raw:
            if info.is_required():
                problem((name,), "Field required")
            continue
        value = raw[name]
        entry_model = _ENTRY_TABLES.get(name)
        if entry_model is not None and isinstance(value, Mapping):
            entries = {}
            for entry, data in value.items():
                try:
                    entries[entry] = entry_model.model_validate(data)
                except ValidationError as exc:
                    for err in exc.errors():
                        problem((name, entry, *err["loc"]), _message(err, entry_model))
            parts[name] = entries
            continue
        try:
            parts[name] = RuleFileModel.__pydantic_validator__.validate_assignment(
                RuleFileModel.model_construct(), name, value
            ).__dict__[name]
        except ValidationError as exc:
            for err in exc.errors():
                problem(tuple(err["loc"]), _message(err, RuleFileModel))
    scorecard_valid = "scorecard" in parts
    parts.setdefault("scorecard", _PLACEHOLDER_SCORECARD)
    parts.setdefault("rules", {})
    return RuleFileModel.model_construct(**parts), scorecard_valid


def _part_keys(
    part: PartConfig, placeholders: Mapping[str, Sequence[str]], normalizer: Normalizer, loc: tuple[str, ...], problem: Any
) -> list[CompiledPattern]:
    """The part's variants checked and compiled (:func:`csqa.text.phrases.compile_pattern`, which
    :func:`~csqa.text.phrases.check_pattern` runs): a bad one is reported and left out. Its context phrases
    (``unless_before`` / ``unless_after``, plain patterns) are checked too, whatever table the part is in."""
    keys: list[CompiledPattern] = []
    for index, variant in enumerate(part.variants):
        try:
            keys.append(compile_pattern(variant, placeholders, normalizer=normalizer))
        except PatternError as exc:
            problem((*loc, "variants", index), str(exc))
    for context in ("unless_before", "unless_after"):
        for index, variant in enumerate(getattr(part, context)):
            try:
                check_pattern(variant, placeholders, normalizer=normalizer, context=True)
            except PatternError as exc:
                problem((*loc, context, index), str(exc))
    return keys
