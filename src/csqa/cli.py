"""The ``csqa`` command: score calls, summarise stored reports or render them as HTML, list the rules, print
the agent script.

Exit status: 0 when every call was scored, 1 when any call could not be read or scored (its error record
is still written), 2 for a usage or rule-file error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from importlib import resources
from typing import IO

from csqa import __version__
from csqa.checks import REGISTRY
from csqa.docs import rule_doc
from csqa.errors import CsqaError, InputError, InputProblem, RuleFileError
from csqa.html import write_site
from csqa.loaders import iter_raw
from csqa.report import CallError, Report
from csqa.rulefile import load_rules
from csqa.scorer import Scorer
from csqa.summary import read_reports, summarize
from csqa.tables import table
from csqa.script import render_script

__all__ = ["main"]


def _demo_paths() -> list[str]:
    return [str(resources.files("csqa.corpora").joinpath("demo"))]


def _score(args: argparse.Namespace) -> int:
    scorer = Scorer(args.rules, company=args.company, cache_dir=args.cache_dir,
                    include_transcript=not args.no_transcript, tokenizer_backend=args.tokenizer)
    paths = args.paths or _demo_paths()
    progress = not args.quiet and sys.stderr.isatty()
    results = scorer.score_many(iter_raw(*paths), workers=args.workers, progress=progress)
    with ExitStack() as stack:
        out: IO[str] = stack.enter_context(open(args.output, "w", encoding="utf-8")) if args.output else sys.stdout
        if args.format == "jsonl":
            errors = _write_jsonl(results, out)
        else:
            errors = _write_table(results, out, scorer)
    return 1 if errors else 0


def _write_jsonl(results: Iterable[Report | CallError], out: IO[str]) -> int:
    errors = 0
    for result in results:
        if isinstance(result, CallError):
            errors += 1
            print(f"csqa: {result.message}", file=sys.stderr)
        out.write(result.model_dump_json() + "\n")
    return errors


def _write_table(results: Iterable[Report | CallError], out: IO[str], scorer: Scorer) -> int:
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
        verdict = "-" if result.passed is None else ("PASS" if result.passed else "FAIL")
        score = "-" if result.score is None else f"{result.score:.1f}"
        rows.append([result.call_id, result.agent_id or "-", result.direction, score, verdict, failed])
    out.write(table(["call", "agent", "direction", "score", "verdict", "failed rules"], rows) + "\n\n")
    scored = len(rows)
    mean = f"{sum(scores) / len(scores):.1f}" if scores else "-"
    out.write(f"{scored} calls scored, {len(errors)} errors; mean score {mean}; {passed} of {len(scores)} at or above the pass mark {scorer.rules.scorecard.pass_mark:g}\n")
    if judged:
        out.write("\n" + table(
            ["rule", "code", "fails", "judged", "fail rate"],
            [
                [rule_id, cfg.code, str(fails[rule_id]), str(judged[rule_id]), f"{fails[rule_id] / judged[rule_id]:.0%}"]
                for rule_id, cfg in scorer.rules.rules.items()
                if judged[rule_id]
            ],
        ) + "\n")
    for error in errors:
        print(f"csqa: {error.message}", file=sys.stderr)
    return len(errors)


def _stored_reports(paths: Sequence[str]) -> Iterator[Report | CallError]:
    """Reports and error records from ``csqa score --format jsonl`` files, streamed; an unreadable file is an
    input error (E102), a line that is not a report one too (E103)."""
    for path in paths:
        try:
            yield from read_reports(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([InputProblem("<file>", f"cannot read: {exc}")], code="E102", source=path) from None


def _summary(args: argparse.Namespace) -> int:
    summary = summarize(_stored_reports(args.paths))
    sys.stdout.write(summary.model_dump_json(indent=2) + "\n" if args.format == "json" else summary.table())
    return 0


def _report(args: argparse.Namespace) -> int:
    try:
        index = write_site(_stored_reports(args.paths), args.output)
    except OSError as exc:  # reading problems are InputErrors: this is the output folder
        print(f"csqa: cannot write the site to {args.output}: {exc}", file=sys.stderr)
        return 1
    print(index)
    return 0


def _rules(args: argparse.Namespace) -> int:
    rules = load_rules(args.rules)
    if args.rule:
        wanted = next((rid for rid, cfg in rules.model.rules.items() if args.rule in (rid, cfg.code)), None)
        if wanted is None:
            print(f"csqa: no rule {args.rule!r}; see 'csqa rules'", file=sys.stderr)
            return 2
        sys.stdout.write(rule_doc(wanted))
        return 0
    rows = []
    for rule_id, cfg in rules.model.rules.items():
        check = REGISTRY[rule_id]
        severity = cfg.severity + (" (veto)" if cfg.vetoes else "")
        calls = "both" if len(check.directions) == 2 else check.directions[0]
        rows.append([cfg.code, rule_id, f"{cfg.weight:g}", severity, "on" if cfg.enabled else "off", calls, check.summary])
    if args.format == "json":
        payload = [
            {"code": r[0], "rule": r[1], "weight": float(r[2]), "severity": rules.model.rules[r[1]].severity,
             "veto": rules.model.rules[r[1]].vetoes, "enabled": rules.model.rules[r[1]].enabled,
             "directions": list(REGISTRY[r[1]].directions), "checks": r[6]}
            for r in rows
        ]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(table(["code", "rule", "weight", "severity", "enabled", "calls", "what it checks"], rows) + "\n")
        sys.stdout.write("\n'csqa rules RULE' shows a rule's documentation: why, what counts, what does not, examples.\n")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from csqa.evaluate import evaluate, render_table

    paths = args.paths or [str(resources.files("csqa.corpora").joinpath("annotated"))]
    result = evaluate(paths, rules=args.rules, examples=not args.no_examples)
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(render_table(result))
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csqa",
        description="Score Chinese call-centre calls against the customer-service manual.",
        epilog="Input formats, rule ids and statuses: see the README and MANUAL.md.",
    )
    parser.add_argument("--version", action="version", version=f"csqa {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    rules_help = "rule file (TOML) to use instead of the bundled default scorecard"
    score = commands.add_parser(
        "score",
        help="score calls and print a table or JSON Lines reports",
        description="Score calls from files and folders (.jsonl, .json, .txt; folders are read recursively). "
        "With no PATH, scores the bundled demo corpus.",
    )
    score.add_argument("paths", nargs="*", metavar="PATH", help="call files or folders")
    score.add_argument("--rules", metavar="FILE", help=rules_help)
    score.add_argument("--company", help="company name the script expects (overrides the rule file)")
    score.add_argument("--format", choices=("table", "jsonl"), default="table", help="output format (default: table)")
    score.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    score.add_argument("--cache-dir", metavar="DIR", help="folder for jieba's dictionary cache (default: no cache)")
    score.add_argument("--tokenizer", choices=("auto", "jieba", "rjieba"), default="auto",
                       help="tokenizer backend; the tokens are the same (default auto: rjieba if csqa[fast] is installed)")
    score.add_argument("--workers", type=int, default=1, metavar="N",
                       help="score in N processes (input order is kept; default 1)")
    score.add_argument("--quiet", action="store_true", help="no progress bar (it is shown only on a terminal anyway)")
    score.add_argument("--no-transcript", action="store_true", help="leave the utterances out of JSON reports")
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
    summary.set_defaults(run=_summary)

    report = commands.add_parser(
        "report",
        help="write HTML pages: one per call with its evidence highlighted, and an index",
        description="Write a self-contained HTML site from reports written by 'csqa score --format jsonl': "
        "OUT_DIR/calls/<call>.html for each call (the transcript with every evidence span highlighted and linked "
        "to its rule) and OUT_DIR/index.html (overall figures, fail rate per rule, scores per agent, every call, "
        "the error records). Prints the index path.",
    )
    report.add_argument("paths", nargs="+", metavar="REPORTS.jsonl", help=reports_help)
    report.add_argument("-o", "--output", metavar="OUT_DIR", required=True, help="folder to write the site to")
    report.set_defaults(run=_report)

    rules = commands.add_parser(
        "rules",
        help="list every rule: id, code, weight, severity, what it checks",
        description="List the scorecard's rules, or show one rule's documentation.",
    )
    rules.add_argument("rule", nargs="?", metavar="RULE", help="a rule id or code: show its documentation")
    rules.add_argument("--rules", metavar="FILE", help=rules_help)
    rules.add_argument("--format", choices=("table", "json"), default="table")
    rules.set_defaults(run=_rules)

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
    evaluation.set_defaults(run=_eval)

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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except RuleFileError as exc:
        print(f"csqa: {exc}", file=sys.stderr)
        return 2
    except CsqaError as exc:
        print(f"csqa: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
