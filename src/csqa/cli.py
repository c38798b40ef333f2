"""The ``csqa`` command: score calls, summarise stored reports or render them as HTML, list the rules, print
the agent script.

Exit status: 0 when every call was scored, 1 when any call could not be read or scored (its error record
is still written), 2 for a usage or rule-file error. A folder with no call files is not an error: it is
said on standard error (one line) and the run scores nothing and exits 0, like a day with no calls.

Unlike the library, which writes nothing it is not asked to, the command line keeps jieba's parsed
dictionary in the user's cache folder (``$XDG_CACHE_HOME/csqa`` or ``~/.cache/csqa``; ``~/Library/Caches/csqa``
on macOS; ``%LOCALAPPDATA%\\csqa\\Cache`` on Windows), as pip and ruff keep theirs, so that a second run
starts faster: ``--cache-dir DIR`` or ``CSQA_CACHE_DIR`` moves it, ``--no-cache`` or ``CSQA_NO_CACHE=1`` turns
it off. The cache file is named after the dictionary's content, the user words of the rule file, the
tokenizer backend and csqa's version, so a changed dictionary or rule file never reads a stale one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import IO, NoReturn

from csqa.checks.docs import rule_table, rule_text
from csqa.checks.rulefile import load_rules
from csqa.checks.script import render_script
from csqa.errors import CsqaError, InputError, InputProblem, RuleFileError, UsageError, closest, did_you_mean
from csqa.input.loaders import CALL_SUFFIXES, LoadOptions, input_files, iter_raw
from csqa.input.model import CallError
from csqa.outputs.html import write_site
from csqa.outputs.i18n import LANGS, Lang, check_lang, labels, say
from csqa.outputs.report import Report
from csqa.outputs.reviews import ReviewSet, load_reviews
from csqa.outputs.sheets import checks_path, write_sheets
from csqa.outputs.summary import GROUPINGS, ReportFile, summarize
from csqa.outputs.tables import table, terminal_safe
from csqa.scoring.scorer import Scorer
from csqa.version import __version__

__all__ = ["main"]


def _demo_paths() -> list[str]:
    return [str(resources.files("csqa.corpora").joinpath("demo"))]


def _say(message: str) -> None:
    """A message on standard error, with control characters from call ids or paths made visible (a rule-file
    error lists its problems one a line)."""
    print("csqa: " + "\n".join(terminal_safe(line) for line in message.split("\n")), file=sys.stderr)


def _inputs(paths: Sequence[str]) -> list[str]:
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise UsageError(f"no such file or folder: {missing[0]}" + more)
    return list(paths)


def _warn_empty_folders(paths: Sequence[str]) -> None:
    """One line on standard error for each folder with no call files in it (scoring nothing is not an error)."""
    for entry in paths:
        folder = Path(entry)
        if not folder.is_dir() or next(input_files([folder]), None) is not None:
            continue
        others = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
        kinds = ", ".join(sorted({p.suffix.lower() or "no suffix" for p in others}))
        what = f"; its {len(others)} files are {kinds}" if others else ""
        _say(f"warning: no call files in {entry} (csqa reads {', '.join(CALL_SUFFIXES)}){what}")


def user_cache_dir() -> Path:
    """The user's cache folder for csqa, where pip and ruff keep theirs: ``$XDG_CACHE_HOME/csqa`` (when set
    to an absolute path) or ``~/.cache/csqa``; ``~/Library/Caches/csqa`` on macOS; ``%LOCALAPPDATA%\\csqa\\Cache``
    on Windows."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "csqa" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "csqa"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "csqa"


def _cache_folder(args: argparse.Namespace) -> str | None:
    """Where this run keeps jieba's parsed dictionary (see the module documentation); ``None`` for nowhere.
    A folder the user named must be writable (exit 2 otherwise); the default folder is used when it can be,
    and a run goes on without a cache when it cannot."""
    if args.no_cache:
        return None
    if args.cache_dir:
        _writable_folder(args.cache_dir, "--cache-dir")
        return str(args.cache_dir)
    if os.environ.get("CSQA_NO_CACHE", "").strip() not in ("", "0"):
        return None
    named = os.environ.get("CSQA_CACHE_DIR", "")
    if named:
        _writable_folder(named, "CSQA_CACHE_DIR")
        return named
    try:
        return str(user_cache_dir())
    except RuntimeError:  # no home folder to be found
        return None


def _lang(args: argparse.Namespace) -> Lang:
    """The language of the findings: ``--lang``, else ``CSQA_LANG``, else English; anything else is a usage
    mistake (exit 2, one line)."""
    if args.lang is not None:
        return check_lang(args.lang, what="--lang")
    named = os.environ.get("CSQA_LANG", "").strip()
    return check_lang(named, what="CSQA_LANG") if named else "en"


def _pairs(text: str, what: str) -> dict[str, str]:
    """``a=b,c=d`` as a dict (for ``--columns`` and ``--speakers``)."""
    found: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"{what}: {part!r} is not NAME=VALUE (e.g. {what} text=内容,speaker=角色)")
        found[key.strip()] = value.strip()
    return found


_MAP_FILE_KEYS = ("columns", "drop", "encoding", "sheet", "speakers", "strict")


def _load_options(args: argparse.Namespace) -> LoadOptions:
    """The reading options of ``csqa score``: ``--columns`` is ``field=column,…`` or a TOML file of them
    (a ``[columns]`` table, and optionally ``drop``, ``encoding``, ``sheet``, ``[speakers]``, ``strict``:
    how one platform's export reads, kept beside it)."""
    import tomllib

    column_map: dict[str, str] = {}
    drop: list[str] = list(args.drop_columns or ())
    speakers: dict[str, str] = {}
    encoding, sheet, strict = args.encoding, args.sheet, args.strict
    if args.columns and "=" not in args.columns:
        try:
            with open(args.columns, "rb") as handle:
                spec = tomllib.load(handle)
        except OSError as exc:
            raise UsageError(f"--columns {args.columns}: {exc.strerror or exc} "
                             "(give field=column pairs or a TOML file)") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"--columns {args.columns}: not valid TOML: {exc}") from None
        for key in spec:
            if key not in _MAP_FILE_KEYS:
                raise UsageError(f"--columns {args.columns}: unknown key {key!r}{did_you_mean(key, _MAP_FILE_KEYS)} "
                                 f"(known: {', '.join(_MAP_FILE_KEYS)})")
        column_map = {str(k): str(v) for k, v in dict(spec.get("columns", {})).items()}
        drop += [str(c) for c in spec.get("drop", [])]
        speakers = {str(k): str(v) for k, v in dict(spec.get("speakers", {})).items()}
        encoding = encoding or spec.get("encoding")
        sheet = sheet or spec.get("sheet")
        strict = strict or bool(spec.get("strict", False))
    elif args.columns:
        column_map = _pairs(args.columns, "--columns")
    if args.speakers:
        speakers.update(_pairs(args.speakers, "--speakers"))
    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"--encoding {encoding}: not an encoding Python knows (e.g. utf-8, gb18030)") from None
    from csqa.input.tables import check_column_map

    check_column_map(column_map)
    return LoadOptions(strict=strict, speakers=speakers, column_map=column_map, drop_columns=tuple(drop),
                       encoding=encoding, sheet=sheet)


def _writable_folder(path: str, what: str) -> None:
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".csqa-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{what} {path} cannot be written: {exc.strerror or exc}") from None


class _Sink:
    """Where a command writes: standard output, or ``-o FILE``.

    A file is written as ``FILE.partial`` beside it and renamed to ``FILE`` only when the run completes, so
    ``FILE`` is always whole: a run that is interrupted leaves its complete lines in ``FILE.partial`` and
    says so, and one that is killed outright leaves at most a cut last line there, which the readers of
    report files skip and count.
    """

    def __init__(self, target: str | None, inputs: Sequence[str] = ()) -> None:
        self.target = target
        self.lines = 0
        self._partial: Path | None = None
        if target is None:
            return
        _check_output(target, inputs)
        self._partial = Path(target).with_name(Path(target).name + ".partial")

    def __enter__(self) -> _Sink:
        if self._partial is not None:
            self._handle: IO[str] = open(self._partial, "w", encoding="utf-8")
        else:
            self._handle = sys.stdout
        return self

    def write(self, text: str) -> None:
        self._handle.write(text)
        self.lines += text.count("\n")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self._partial is None:
            return
        assert self.target is not None
        try:
            self._handle.close()
        except OSError:
            if kind is None:
                raise
        if kind is None:
            os.replace(self._partial, self.target)
        elif self.lines == 0:
            self._partial.unlink(missing_ok=True)
        else:
            _say(f"{self.target} was not written; the {self.lines} complete lines written so far are in {self._partial}")


def _check_output(target: str, inputs: Sequence[str], *also: Path) -> None:
    """``-o`` must name a file in a folder that exists, and neither it nor the files written beside it
    (``also``) may be an input."""
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"-o {target} is a folder; name a file")
    if not path.parent.is_dir():
        raise UsageError(f"-o {target}: there is no folder {path.parent}")
    for written in (path, *also):
        if written.exists() and any(_same(written, f) for f in input_files(inputs)):
            raise UsageError(f"-o {target}: {written} is also an input; write the output to another file")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _score(args: argparse.Namespace) -> int:
    lang = _lang(args)
    paths = _inputs(args.paths) if args.paths else _demo_paths()
    options = _load_options(args)
    cache = _cache_folder(args)
    sheets = args.format in ("csv", "xlsx")
    if args.headers and not sheets:
        raise UsageError("--headers names the columns of --format csv or xlsx")
    if sheets:
        if not args.output:
            raise UsageError(f"--format {args.format} writes files: name one with -o (e.g. -o calls.{args.format})")
        _check_output(args.output, paths, *([checks_path(args.output)] if args.format == "csv" else []))
    sink = None if sheets else _Sink(args.output, paths)
    _warn_empty_folders(paths)
    scorer = Scorer(args.rules, company=args.company, cache_dir=cache,
                    include_transcript=not args.no_transcript, tokenizer_backend=args.tokenizer, lang=lang)
    progress = not args.quiet and sys.stderr.isatty()
    results = scorer.score_many(iter_raw(*paths, options=options), workers=args.workers, progress=progress)
    if sink is None:
        said = _SaidErrors(results)
        written = write_sheets(said, args.output, format=args.format, headers=args.headers or "en")
        _say(f"{written.calls - written.errors} calls and {written.errors} error records written to "
             + " and ".join(str(p) for p in written.paths))
        return 1 if written.errors else 0
    with sink:
        errors = _write_jsonl(results, sink) if args.format == "jsonl" else _write_table(results, sink, scorer)
    return 1 if errors else 0


class _SaidErrors:
    """Results passed through, each error record's message said on standard error as it goes by."""

    def __init__(self, results: Iterable[Report | CallError]) -> None:
        self.results = results

    def __iter__(self) -> Iterator[Report | CallError]:
        for result in self.results:
            if isinstance(result, CallError):
                _say(result.message)
            yield result


def _write_jsonl(results: Iterable[Report | CallError], out: _Sink) -> int:
    errors = 0
    for result in results:
        if isinstance(result, CallError):
            errors += 1
            _say(result.message)
        out.write(result.model_dump_json() + "\n")
    return errors


def _write_table(results: Iterable[Report | CallError], out: _Sink, scorer: Scorer) -> int:
    lang = scorer.lang
    words = labels(lang)
    rows: list[list[str]] = []
    errors: list[CallError] = []
    fails: Counter[str] = Counter()
    judged: Counter[str] = Counter()
    scores: list[float] = []
    passed = 0
    for result in results:
        if isinstance(result, CallError):
            errors.append(result)
            continue
        for check in result.checks:
            if check.status in ("pass", "fail"):
                judged[check.rule] += 1
            if check.status == "fail":
                fails[check.rule] += 1
        if result.score is not None:
            scores.append(result.score)
            passed += bool(result.passed)
        failed = ", ".join(f"{c.code} {c.rule}" for c in result.failed) or "-"
        verdict = "-" if result.passed is None else words["verdict.pass" if result.passed else "verdict.fail"]
        score = "-" if result.score is None else f"{result.score:.1f}"
        direction = result.direction if lang == "en" else words[result.direction]
        rows.append([result.call_id, result.agent_id or "-", direction, score, verdict, failed])
    headers = ["call", "agent_id", "direction", "score", "verdict", "failed_rules"]
    out.write(table([words[h] for h in headers], rows) + "\n\n")
    scored = len(rows)
    mean = f"{sum(scores) / len(scores):.1f}" if scores else "-"
    out.write(say(lang, "cli.scored", scored=scored, errors=len(errors), mean=mean, passed=passed, judged=len(scores),
                  mark=scorer.rules.scorecard.pass_mark) + "\n")
    unjudged = scored - len(scores)
    if unjudged:
        out.write(say(lang, "cli.unjudged", count=unjudged) + "\n")
    if judged:
        out.write("\n" + table(
            [words[h] for h in ("rule", "code", "fails", "judged", "fail_rate")],
            [
                [rule_id, scorer.rules.checks[rule_id].code, str(fails[rule_id]), str(judged[rule_id]),
                 f"{fails[rule_id] / judged[rule_id]:.0%}"]
                for rule_id in scorer.rules.rules
                if judged[rule_id]
            ],
        ) + "\n")
    for error in errors:
        _say(error.message)
    return len(errors)


class _StoredReports:
    """The reports of several ``csqa score --format jsonl`` files, streamed; lines that are not reports are
    skipped, counted and named on standard error."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = _inputs(paths)
        self.skipped = 0

    def __iter__(self) -> Iterator[Report | CallError]:
        for path in self.paths:
            if os.path.isdir(path):
                raise UsageError(f"{path} is a folder; give the reports file written by 'csqa score --format jsonl'")
            reader = ReportFile(path)
            try:
                yield from reader
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError([InputProblem("<file>", f"cannot read: {exc}")], code="E102", source=path) from None
            for line, reason in reader.skipped[:5]:
                _say(f"{path} line {line} skipped: {reason}")
            if len(reader.skipped) > 5:
                _say(f"{path}: {len(reader.skipped) - 5} more lines skipped")
            self.skipped += len(reader.skipped)


def _reviews_of(paths: Sequence[str] | None) -> ReviewSet | None:
    """The reviews of ``--reviews``, with every folder's file that was not a review file named."""
    if not paths:
        return None
    reviews = load_reviews(*_inputs(paths))
    for path, reason in reviews.skipped:
        _say(f"{path} skipped: {reason}")
    if not reviews.files:
        raise UsageError(f"no review files in {', '.join(paths)} (the files a call page's 'Save reviews' downloads)")
    return reviews


def _summary(args: argparse.Namespace) -> int:
    lang = _lang(args)
    reviews = _reviews_of(args.reviews)
    stored = _StoredReports(args.paths)
    # no per-agent list of scores: memory grows with the agents and groups, not with the calls
    summary = summarize(stored, by=args.by or (), scores=False, reviews=reviews, lang=lang)
    summary = summary.model_copy(update={"unreadable": stored.skipped})
    sys.stdout.write(summary.model_dump_json(indent=2) + "\n" if args.format == "json" else summary.table())
    return 0


def _report(args: argparse.Namespace) -> int:
    lang = _lang(args)
    reviews = _reviews_of(args.reviews)
    stored = _StoredReports(args.paths)
    _writable_folder(args.output, "-o")
    index = write_site(stored, args.output, reviews=reviews, lang=lang)
    print(index)
    return 0


def _reviews(args: argparse.Namespace) -> int:
    from csqa.input.loaders import load_calls
    from csqa.outputs.reviews import ReviewedCalls, annotated_json

    reviews = _reviews_of(args.paths)
    assert reviews is not None
    calls_paths = _inputs(args.calls)
    _not_reports(calls_paths)
    sink = _Sink(args.output, [*args.paths, *calls_paths])
    annotated = ReviewedCalls(reviews, load_calls(*calls_paths))
    written = 0
    with sink:
        for item in annotated:
            sink.write(annotated_json(item) + "\n")
            written += 1
    conflicts, unmatched = reviews.conflicts(), annotated.unmatched()
    where = f" to {args.output}" if args.output else ""
    _say(f"{len(reviews)} reviewed verdicts from {len(reviews.files)} files ({', '.join(reviews.reviewers)}): "
         f"{written} annotated calls written{where}"
         + (f"; {reviews.revised} earlier reviews replaced by their reviewer's later one" if reviews.revised else ""))
    for verdict in conflicts:
        _say(f"conflict, left out: {verdict.describe()}")
    for verdict in unmatched[:20]:
        _say(f"no such call among the calls given: {verdict.describe()}")
    if len(unmatched) > 20:
        _say(f"… and {len(unmatched) - 20} more reviewed verdicts of calls that were not given")
    for call_id in annotated.repeated:
        _say(f"call {call_id!r} is in the calls more than once: its first occurrence was annotated")
    for error in annotated.errors[:20]:
        _say(error.message)
    return 1 if conflicts or unmatched or annotated.repeated or annotated.errors else 0


def _not_reports(paths: Sequence[str]) -> None:
    """A reports file given as the calls is a usage mistake: reports lack the rings, the hang-up and the
    events, so the rules could not be judged again on them."""
    for path in input_files(paths):
        if path.suffix.lower() != ".jsonl":
            continue
        try:
            with path.open("rb") as handle:
                first = next((line for line in handle if line.strip()), b"")
            keys = set(json.loads(first)) if first.lstrip().startswith(b"{") else set()
        except (OSError, ValueError, RecursionError):
            continue
        if {"checks", "scorecard"} <= keys:
            raise UsageError(f"{path} is a reports file; give the calls that were scored (reports lack the rings, "
                             "hang-up and events the rules are judged on)")


def _grouping(text: str) -> str:
    if text in GROUPINGS or (text.startswith("metadata.") and len(text) > len("metadata.")):
        return text
    raise argparse.ArgumentTypeError(f"cannot group by {text!r}; use {', '.join(GROUPINGS)} or metadata.KEY")


def _rules(args: argparse.Namespace) -> int:
    lang = _lang(args)  # a rule's documentation is in English; the table is in either language
    rules = load_rules(args.rules)
    if args.rule:
        wanted = next((rid for rid, check in rules.checks.items()
                       if args.rule.lower() in (rid.lower(), check.code.lower())), None)
        if wanted is None:
            names = [*rules.checks, *(c.code for c in rules.checks.values())]
            raise UsageError(f"no rule {args.rule!r}{did_you_mean(args.rule, names)}; see 'csqa rules'"
                             + (f" --rules {args.rules}" if args.rules else ""))
        sys.stdout.write(rule_text(rules, wanted))
        return 0
    words = labels(lang)

    def word(key: str) -> str:  # a value of the table: the word itself in English, its label in another language
        return key if lang == "en" else words[key]

    rows = []
    for rule_id, check in rules.checks.items():
        cfg = rules.model.rules[rule_id]
        severity = word(cfg.severity) + (say(lang, "cli.veto") if cfg.vetoes else "")
        calls = word("both" if len(check.directions) == 2 else check.directions[0])
        rows.append([check.code, rule_id, f"{cfg.weight:g}", severity, word("on" if cfg.enabled else "off"), calls,
                     check.kind, check.summary_in(lang)])
    if args.format == "json":
        payload = [
            {"code": r[0], "rule": r[1], "weight": float(r[2]), "severity": rules.model.rules[r[1]].severity,
             "veto": rules.model.rules[r[1]].vetoes, "enabled": rules.model.rules[r[1]].enabled,
             "directions": list(rules.checks[r[1]].directions), "kind": r[6], "checks": r[7]}
            for r in rows
        ]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(rule_table(rules) + "\n")
    else:
        headers = ["code", "rule", "weight", "severity", "enabled", "applies_to", "kind", "what_it_checks"]
        sys.stdout.write(table([words[h] for h in headers], rows) + "\n")
        sys.stdout.write("\n" + say(lang, "cli.rule-docs") + "\n")
    return 0


def _examples(args: argparse.Namespace) -> int:
    from csqa.outputs.evaluate import rule_set_examples

    lang = _lang(args)
    rules = load_rules(args.rules)
    scorer = Scorer(rules, cache_dir=_cache_folder(args), lang=lang)
    failed = 0
    total = 0
    for example in rule_set_examples(rules):
        total += 1
        rule = next(iter(example.gold))
        got = scorer.score(example.call).check(rule)
        if got.status != example.gold[rule]:
            failed += 1
            print(say(lang, "cli.example-failed", source=example.source, expected=example.gold[rule], got=got.status,
                      message=got.message))
            if example.note:
                print(say(lang, "cli.example-why", why=example.note))
    print(say(lang, "cli.examples", passed=total - failed, failed=failed))
    return 1 if failed else 0


def _eval(args: argparse.Namespace) -> int:
    from csqa.outputs.evaluate import evaluate, render_table

    lang = _lang(args)
    paths = _inputs(args.paths) if args.paths else [str(resources.files("csqa.corpora").joinpath("annotated"))]
    result = evaluate(paths, rules=args.rules, examples=not args.no_examples, lang=lang)
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(render_table(result, lang=lang))
    if args.gate:
        misses = result.below(precision=args.min_precision, recall=args.min_recall, accuracy=args.min_accuracy)
        for miss in misses:
            print(f"csqa: below the gate: {miss}", file=sys.stderr)
        return 1 if misses else 0
    return 0


def _script(args: argparse.Namespace) -> int:
    rules = load_rules(args.rules).with_company(args.company)
    sys.stdout.write(render_script(rules, direction=args.direction))
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        from csqa.serve import Limits, serve
    except ImportError:
        raise UsageError("csqa serve needs the serve extra: pip install 'csqa[serve]'") from None
    if args.cache_dir:
        _writable_folder(args.cache_dir, "--cache-dir")
    scorer = Scorer(args.rules, company=args.company, cache_dir=args.cache_dir, tokenizer_backend=args.tokenizer)
    scorer.warm_up()  # the dictionary loads now, not on the first request
    limits = Limits(max_body_bytes=args.max_body_bytes, max_utterances=args.max_utterances, max_sessions=args.max_sessions)
    serve(scorer, host=args.host, port=args.port, limits=limits, log_level=args.log_level)
    return 0


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, not {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _cache_options(command: argparse.ArgumentParser) -> None:
    cache = command.add_mutually_exclusive_group()
    cache.add_argument("--cache-dir", metavar="DIR", help="folder for jieba's parsed dictionary "
                       "(default: the user's cache folder, or CSQA_CACHE_DIR)")
    cache.add_argument("--no-cache", action="store_true", help="keep no dictionary cache (also CSQA_NO_CACHE=1)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="csqa",
        description="Score Chinese call-centre calls against the customer-service manual.",
        epilog="Input formats, rule ids and statuses: see the README and MANUAL.md.",
    )
    parser.add_argument("--version", action="version", version=f"csqa {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    rules_help = "rule file (TOML) to use instead of the bundled default scorecard"
    lang_help = ("language of the findings and tables: en (English) or zh (Simplified Chinese); "
                 "default: $CSQA_LANG, else en")
    score = commands.add_parser(
        "score",
        help="score calls: a table, JSON Lines reports, or CSV / Excel sheets",
        description="Score calls from files and folders (.jsonl, .json, .txt; folders are read recursively). "
        "With no PATH, scores the bundled demo corpus.",
    )
    score.add_argument("paths", nargs="*", metavar="PATH", help="call files or folders")
    score.add_argument("--rules", metavar="FILE", help=rules_help)
    score.add_argument("--company", help="company name the script expects (overrides the rule file)")
    score.add_argument("--format", choices=("table", "jsonl", "csv", "xlsx"), default="table",
                       help="output format (default: table); csv writes FILE and FILE.checks.csv, xlsx a workbook "
                       "with a calls and a checks sheet")
    score.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    _cache_options(score)
    reading = score.add_argument_group("reading exports (CSV, Excel, speech platforms)")
    reading.add_argument("--columns", metavar="MAP", help="which column holds which field: field=column,… "
                         "(e.g. text=识别内容,call_id=流水号; a name that is no field is a metadata key), or a TOML file of them")
    reading.add_argument("--drop-columns", metavar="COLUMN", nargs="+", help="columns to leave out (e.g. 客户电话)")
    reading.add_argument("--encoding", help="a CSV file's encoding (default: detected; UTF-8 with or without BOM, GB18030)")
    reading.add_argument("--sheet", help="an Excel workbook's sheet (default: the first)")
    reading.add_argument("--speakers", metavar="MAP", help="speaker values → agent/customer, e.g. 0=agent,1=customer "
                         "(channel or speaker ids of speech platforms, names)")
    reading.add_argument("--strict", action="store_true",
                         help="reject fields and columns csqa does not read instead of keeping them as metadata")
    score.add_argument("--headers", choices=LANGS, help="column names of csv and xlsx: en (default) or zh (中文)")
    score.add_argument("--tokenizer", choices=("auto", "jieba", "rjieba"), default="auto",
                       help="tokenizer backend; the tokens are the same (default auto: rjieba if csqa[fast] is installed)")
    score.add_argument("--workers", type=_positive, default=1, metavar="N",
                       help="score in N processes (input order is kept; default 1)")
    score.add_argument("--quiet", action="store_true", help="no progress bar (it is shown only on a terminal anyway)")
    score.add_argument("--no-transcript", action="store_true", help="leave the utterances out of JSON reports")
    score.add_argument("--lang", metavar="LANG", help=lang_help)
    score.set_defaults(run=_score)

    reports_help = "a JSON Lines file written by 'csqa score --format jsonl'"
    summary = commands.add_parser(
        "summary",
        help="summarise stored reports: fail rate per rule, score and pass rate per agent",
        description="Summarise reports written by 'csqa score --format jsonl': per rule the fail rate over the calls "
        "it judged, per agent the calls, mean score, pass rate and the rules failed most. Error records are counted.",
    )
    summary.add_argument("paths", nargs="+", metavar="REPORTS.jsonl", help=reports_help)
    summary.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    summary.add_argument("--by", type=_grouping, action="append", metavar="KEY",
                         help=f"also group the calls by {', '.join(GROUPINGS)} or metadata.KEY (may be repeated)")
    summary.add_argument("--reviews", nargs="+", metavar="PATH",
                         help="review files or folders: add the agreement of csqa with the reviewers per rule")
    summary.add_argument("--lang", metavar="LANG", help="language of the table: en (English) or zh (Simplified Chinese); "
                         "default: $CSQA_LANG, else en (--format json is the same in both)")
    summary.set_defaults(run=_summary)

    report = commands.add_parser(
        "report",
        help="write HTML pages: one per call with its evidence highlighted, and an index",
        description="Write a self-contained HTML site from reports written by 'csqa score --format jsonl': "
        "OUT_DIR/calls/<call>.html for each call (the transcript with every evidence span highlighted and linked "
        "to its rule, and controls to review each verdict) and OUT_DIR/index.html (overall figures, the trend by "
        "day or week, fail rate per rule, scores per agent, every call to sort, filter and search, the error "
        "records). Prints the index path.",
    )
    report.add_argument("paths", nargs="+", metavar="REPORTS.jsonl", help=reports_help)
    report.add_argument("-o", "--output", metavar="OUT_DIR", required=True, help="folder to write the site to")
    report.add_argument("--reviews", nargs="+", metavar="PATH",
                        help="review files or folders: show the agreement with reviewers and the reviews given")
    report.add_argument("--lang", metavar="LANG", help="language of the pages' words: en (English) or zh (Simplified "
                        "Chinese); default: $CSQA_LANG, else en (findings stay in the language they were scored in)")
    report.set_defaults(run=_report)

    reviewed = commands.add_parser(
        "reviews",
        help="turn review files into annotated calls for 'csqa eval'",
        description="Read the review files that call pages save (folders are searched for *.json) and write, for "
        "each reviewed call, an annotated call {\"call\": …, \"gold\": {rule: status}, \"note\": …} whose gold "
        "labels are the reviewers' statuses, as JSON Lines: 'csqa eval FILE' then measures the rules against the "
        "reviewers. A reviewer's later review of a verdict replaces their earlier one; two reviewers who disagree "
        "on a verdict are a conflict, listed and left out. Exit 1 when there are conflicts or reviews of calls "
        "not given.",
    )
    reviewed.add_argument("paths", nargs="+", metavar="REVIEWS", help="review files or folders of them")
    reviewed.add_argument("--calls", nargs="+", required=True, metavar="PATH",
                          help="the calls that were scored (the files given to 'csqa score')")
    reviewed.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    reviewed.set_defaults(run=_reviews)

    rules = commands.add_parser(
        "rules",
        help="list every rule: id, code, weight, severity, what it checks",
        description="List the scorecard's rules, or show one rule's documentation.",
    )
    rules.add_argument("rule", nargs="?", metavar="RULE", help="a rule id or code: show its documentation")
    rules.add_argument("--rules", metavar="FILE", help=rules_help)
    rules.add_argument("--format", choices=("table", "json", "markdown"), default="table",
                       help="markdown: the rule table of the README")
    rules.add_argument("--lang", metavar="LANG", help=lang_help)
    rules.set_defaults(run=_rules)

    examples = commands.add_parser(
        "examples",
        help="run every rule's examples (built-in and site rules) and report each that does not get its status",
        description="Score the examples that travel with each rule of a rule file (rules/docs for the built-in "
        "rules, the examples of each site rule's table) and report every one whose status differs from the "
        "expected one. Exit 1 when any does: test a rule file before trusting it.",
    )
    examples.add_argument("--rules", metavar="FILE", help=rules_help)
    examples.add_argument("--lang", metavar="LANG", help=lang_help)
    _cache_options(examples)
    examples.set_defaults(run=_examples)

    evaluation = commands.add_parser(
        "eval",
        help="score annotated calls and report precision, recall, F1 and accuracy per rule",
        description="Compare csqa with gold labels: per rule the confusion of gold vs predicted status, precision, "
        "recall and F1 for 'fail' (a violation is the positive class) and accuracy over the four statuses, then "
        "every disagreement. Annotated calls are {\"call\": …, \"gold\": {rule: status}, \"note\": …} records "
        "(.jsonl/.json); every rule's documented examples are included too. With no PATH, evaluates the annotated "
        "corpus bundled with csqa.",
    )
    evaluation.add_argument("paths", nargs="*", metavar="PATH", help="annotated files or folders")
    evaluation.add_argument("--rules", metavar="FILE", help="rule file to evaluate instead of the bundled one")
    evaluation.add_argument("--format", choices=("table", "json"), default="table")
    evaluation.add_argument("--no-examples", action="store_true", help="leave out the rules' documented examples")
    evaluation.add_argument("--gate", action="store_true", help="exit 1 when any rule is below the thresholds")
    evaluation.add_argument("--min-precision", type=float, default=0.95, metavar="P")
    evaluation.add_argument("--min-recall", type=float, default=0.90, metavar="R")
    evaluation.add_argument("--min-accuracy", type=float, default=0.95, metavar="A")
    evaluation.add_argument("--lang", metavar="LANG", help=lang_help)
    evaluation.set_defaults(run=_eval)

    lake = commands.add_parser(
        "lake",
        help="score a Parquet folder of calls here, on Spark or on Dask (csqa lake --help)",
        description="See 'csqa lake --help' and docs/scale.md.",
        add_help=False,
    )
    lake.add_argument("rest", nargs=argparse.REMAINDER)  # main() hands everything after 'lake' to csqa.scale.lake

    serve = commands.add_parser(
        "serve",
        help="serve scoring and live sessions over HTTP and WebSocket on this machine (pip install 'csqa[serve]')",
        description="Serve one rule set over HTTP and WebSocket: GET /health, /version, /rules; POST /score (a call → "
        "its report), POST /score/stream (JSON Lines calls → JSON Lines reports); WebSocket /live (a live session's "
        "events, then the report). Binds to 127.0.0.1 unless --host says otherwise. See docs/live.md.",
    )
    serve.add_argument("--rules", metavar="FILE", help=rules_help)
    serve.add_argument("--company", help="company name the script expects (overrides the rule file)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_port, default=8720, help="port to listen on (default 8720)")
    serve.add_argument("--max-body-bytes", type=_positive, default=4 * 1024 * 1024, metavar="N",
                       help="largest request body, stream line or WebSocket message (default 4 MiB)")
    serve.add_argument("--max-utterances", type=_positive, default=5000, metavar="N",
                       help="most utterances in a call or live session (default 5000)")
    serve.add_argument("--max-sessions", type=_positive, default=200, metavar="N",
                       help="most live sessions open at once (default 200)")
    serve.add_argument("--tokenizer", choices=("auto", "jieba", "rjieba"), default="auto",
                       help="tokenizer backend (default auto: rjieba if csqa[fast] is installed)")
    serve.add_argument("--cache-dir", metavar="DIR", help="folder for jieba's dictionary cache (default: no cache)")
    serve.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"), default="info",
                       help="the server's log on standard error (default info: one line per request)")
    serve.set_defaults(run=_serve)

    script = commands.add_parser(
        "script",
        help="print the agent script for inbound calls or callbacks",
        description="Print the agent script, rendered from the rule file for the company.",
    )
    script.add_argument("--direction", choices=("inbound", "outbound"), default="inbound")
    script.add_argument("--company", help="company name to fill in")
    script.add_argument("--rules", metavar="FILE", help=rules_help)
    script.set_defaults(run=_script)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake said in one line (and where to look) instead of the usage block, and
    "did you mean" for a misspelt command, choice or option."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}{self._suggestion(message)} (see '{self.prog} --help')\n")

    def _options(self) -> list[str]:
        found = [o for action in self._actions for o in action.option_strings]
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found += [o for a in sub._actions for o in a.option_strings]
        return found

    def _suggestion(self, message: str) -> str:
        choice = re.search(r"invalid choice: '?(.*?)'? \(choose from (.*)\)$", message)
        if choice:
            options = [c.strip(" '\"") for c in choice.group(2).split(",")]
            return did_you_mean(choice.group(1), options, cutoff=0.6)
        unknown = re.match(r"unrecognized arguments: (\S+)", message)
        if unknown and unknown.group(1).startswith("-"):
            given = unknown.group(1).split("=")[0]
            found = closest(given, self._options(), cutoff=0.7)
            return f"; did you mean {found!r}?" if found else ""
        return ""


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so that outputs are closed and worker processes stopped; a
    BaseException, like KeyboardInterrupt, so that no handler of a single call's failure takes it for one."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lake"]:  # its own command line (csqa.scale.lake), options and --help included
        from csqa.scale.lake import run

        return run(argv[1:])
    args = _parser().parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return int(args.run(args))
    except (RuleFileError, UsageError) as exc:
        _say(str(exc))
        return 2
    except CsqaError as exc:
        _say(str(exc))
        # E103: not a reports file (most often a file of calls); E110: not a valid review file
        return 2 if exc.code in ("E103", "E110") else 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except _Terminated:
        _say("terminated")
        return 143
    except BrokenPipeError:
        # the reader went away (csqa score | head): not an error; keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a full disk, an output that cannot be written
        where = f"{exc.filename}: " if exc.filename else ""
        _say(f"cannot write: {where}{exc.strerror or exc}")
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
