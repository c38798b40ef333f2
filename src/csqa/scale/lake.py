"""``csqa lake``: score a folder of Parquet calls on this machine, on Spark or on Dask, into Parquet reports.

    csqa lake import corpora/demo -o lake/                     # JSON Lines / JSON / text calls → Parquet (raw layout)
    csqa lake score lake/ -o qa/ --layout raw --engine spark   # → qa/calls/*.parquet, qa/checks/*.parquet
    csqa lake score lake/ -o qa/ --layout raw --engine dask --workers 2
    csqa lake score lake/ -o qa/ --layout raw --engine local --workers 2
    csqa lake schema calls                                     # the Arrow schema of an output or input table

Every engine reads the same files in the same order (folders recursively, hidden and ``_`` names left out,
sorted by path) and writes the same rows in that order: the reports and error records that
:meth:`csqa.Scorer.score_many` (``csqa score``) gives for the same calls, as :mod:`csqa.scale.frames` tables.

Exit status: 0 when every call was scored, 1 when any call could not be (its error row is still written;
the first error messages are printed on standard error), 2 for a usage or rule-file error (one line).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["run"]

ENGINES = ("local", "spark", "dask")
SHOWN_ERRORS = 20


class _UsageError(Exception):
    pass


def _lang(text: str) -> str:
    """``--lang``: ``en`` or ``zh`` (``zh-CN`` and the like), as the library takes them."""
    from csqa.errors import UsageError
    from csqa.outputs.i18n import check_lang

    try:
        return check_lang(text, what="--lang")
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="csqa lake", description="Score Parquet folders of calls on this machine, Spark or Dask.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    score = commands.add_parser(
        "score",
        help="score Parquet calls into Parquet reports",
        description="Score the calls in Parquet files and folders and write OUT_DIR/calls and OUT_DIR/checks "
        "(Parquet, one row per call and one per check, in input order). See docs/scale.md.",
    )
    score.add_argument("paths", nargs="+", metavar="PARQUET", help="Parquet files or folders (or URIs, with --engine spark)")
    score.add_argument("-o", "--output", metavar="OUT_DIR", required=True, help="folder to write calls/ and checks/ to")
    score.add_argument("--engine", choices=ENGINES, default="local", help="where to score (default: local, this machine)")
    score.add_argument("--layout", choices=("call", "utterance", "raw"), default="call",
                       help="one row per call, per utterance, or per call as JSON text (default: call)")
    score.add_argument("--rules", metavar="FILE", help="rule file (TOML) instead of the bundled default scorecard")
    score.add_argument("--company", help="company name the script expects (overrides the rule file)")
    score.add_argument("--workers", type=int, default=2, metavar="N",
                       help="processes (local), cores of local Spark, or workers of a local Dask cluster (default 2)")
    score.add_argument("--partitions", type=int, metavar="N", help="tasks to score in (Spark and Dask; default: four per core)")
    score.add_argument("--extra-columns", choices=("metadata", "error", "ignore"), default="metadata",
                       help="columns the layout does not read: each call's metadata (default; the raw layout has none), "
                       "a usage error, or ignored")
    score.add_argument("--no-transcript", action="store_true", help="leave the utterances out of the call rows")
    score.add_argument("--lang", type=_lang, default="en",
                       help="language of the findings: en (English, the default) or zh (Simplified Chinese)")
    score.add_argument("--tokenizer", choices=("auto", "jieba", "rjieba"), default="auto",
                       help="tokenizer backend (default auto)")
    score.add_argument("--master", metavar="URL", help="Spark master (default: local[WORKERS], no UI, on 127.0.0.1)")
    score.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler to use (default: a local cluster of WORKERS processes)")
    score.add_argument("--overwrite", action="store_true", help="replace OUT_DIR/calls and OUT_DIR/checks if they exist")
    score.set_defaults(run=_score)

    imp = commands.add_parser(
        "import",
        help="turn call files (.jsonl, .json, .txt) into a Parquet folder",
        description="Write the calls of files and folders (as 'csqa score' reads them) as Parquet: by default the raw "
        "layout (each call's JSON text or plain text with its file and line, so that error records are those of "
        "'csqa score'); --layout call or utterance writes validated calls as columns (a bad call is reported and left out).",
    )
    imp.add_argument("paths", nargs="+", metavar="PATH", help="call files or folders")
    imp.add_argument("-o", "--output", metavar="PARQUET_DIR", required=True, help="folder to write part-NNNNN.parquet files to")
    imp.add_argument("--layout", choices=("raw", "call", "utterance"), default="raw")
    imp.add_argument("--rows-per-file", type=int, default=10_000, metavar="N", help="rows per Parquet file (default 10000)")
    imp.add_argument("--overwrite", action="store_true", help="replace PARQUET_DIR if it exists")
    imp.set_defaults(run=_import)

    schema = commands.add_parser("schema", help="print the Arrow schema of a table", description="Print an Arrow schema.")
    schema.add_argument("table", choices=("calls", "checks", "reports", "call", "utterance", "raw"),
                        help="an output table (calls, checks, reports) or an input layout (call, utterance, raw)")
    schema.set_defaults(run=_schema)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """``csqa lake`` with ``argv`` (the arguments after ``lake``); returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(f"csqa lake: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    from csqa.errors import CsqaError, RuleFileError

    try:
        from csqa.scale.frames import ColumnsError
    except ImportError as exc:  # no pandas or pyarrow
        print(f"csqa lake: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.run(args))
    except ImportError as exc:  # an engine that is not installed: "csqa.scale.spark needs pyspark …: pip install 'csqa[spark]'"
        print(f"csqa lake: {exc}", file=sys.stderr)
        return 2
    except _UsageError as exc:
        print(f"csqa lake: {exc}", file=sys.stderr)
        return 2
    except RuleFileError as exc:
        print(f"csqa lake: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except ColumnsError as exc:  # a column the layout does not know, a missing column (read by an engine)
        print(f"csqa lake: {exc}", file=sys.stderr)
        return 2
    except CsqaError as exc:
        print(f"csqa lake: {exc}", file=sys.stderr)
        return 1


# ------------------------------------------------------------------------------------------------- score


def _prepare_output(out: str, overwrite: bool) -> None:
    if "://" in out:
        return  # a cluster's filesystem: Spark checks (and --overwrite sets its save mode)
    for name in ("calls", "checks"):
        target = Path(out) / name
        if target.exists():
            if not overwrite:
                raise _UsageError(f"{target} exists (use --overwrite to replace it)")
            shutil.rmtree(target) if target.is_dir() else target.unlink()


def _score(args: argparse.Namespace) -> int:
    from csqa.scale import frames

    if args.workers < 1:
        raise _UsageError("--workers must be at least 1")
    if args.partitions is not None and args.partitions < 1:
        raise _UsageError("--partitions must be at least 1")
    remote = any("://" in p for p in args.paths)
    if remote and args.engine != "spark":
        raise _UsageError("URIs are read by --engine spark only; give local paths")
    if not remote:
        missing = [p for p in args.paths if not os.path.exists(p)]
        if missing:
            raise _UsageError(f"no such file or folder: {missing[0]}")
        if not frames.parquet_files(*args.paths):
            raise _UsageError(f"no Parquet files in {' '.join(args.paths)}")
    if args.master and args.engine != "spark":
        raise _UsageError("--master goes with --engine spark")
    if args.scheduler and args.engine != "dask":
        raise _UsageError("--scheduler goes with --engine dask")
    spec = frames.scorer_spec(args.rules, company=args.company, include_transcript=not args.no_transcript,
                              tokenizer_backend=args.tokenizer, lang=args.lang)  # a bad rule file stops here
    options: dict[str, Any] = {"rules": spec, "layout": args.layout, "extra_columns": args.extra_columns}
    _prepare_output(args.output, args.overwrite)
    if args.engine == "local":
        counts = _score_local(args, spec)
    elif args.engine == "spark":
        counts = _score_spark(args, options)
    else:
        counts = _score_dask(args, options)
    out = args.output.rstrip("/")
    print(f"{counts['calls']} calls ({counts['errors']} errors) → {out}/calls; {counts['checks']} checks → {out}/checks")
    if counts["errors"] and "://" not in out:
        _print_errors(Path(out) / "calls", counts["errors"])
    return 1 if counts["errors"] else 0


def _print_errors(calls: Path, total: int) -> None:
    import pyarrow.dataset as ds

    from csqa.scale import frames

    table = ds.dataset(frames.parquet_files(calls), format="parquet").to_table(
        columns=["error_message"], filter=ds.field("error") == True  # noqa: E712 - an Arrow expression
    )
    for message in table.column("error_message").to_pylist()[:SHOWN_ERRORS]:
        print(f"csqa: {message}", file=sys.stderr)
    if total > SHOWN_ERRORS:
        print(f"csqa: … and {total - SHOWN_ERRORS} more error rows in {calls}", file=sys.stderr)


def _check_schemas(files: list[str], layout: str, extra_columns: str) -> None:
    import pyarrow.parquet as pq

    from csqa.scale import frames

    for path in files:
        try:
            names = pq.read_schema(path).names
        except Exception as exc:  # any kind: pyarrow raises several kinds for a file that is not Parquet
            raise _UsageError(f"{path}: not a Parquet file ({type(exc).__name__}: {exc})") from None
        try:
            frames.check_columns(names, layout, extra_columns)  # type: ignore[arg-type]
        except ValueError as exc:
            raise _UsageError(f"{path}: {exc}") from None


def _local_tables(files: list[str], layout: str, batch_rows: int = 1024) -> Iterator[Any]:
    """Batches of the files, in order, each with the ``_pos`` column (file ordinal << 32 | row)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from csqa.scale.frames import POS

    for ordinal, path in enumerate(files):
        row = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            positions = pa.array(range((ordinal << 32) + row, (ordinal << 32) + row + batch.num_rows), pa.int64())
            row += batch.num_rows
            yield pa.Table.from_batches([batch]).append_column(POS, positions)


def _score_local(args: argparse.Namespace, spec: Any) -> dict[str, int]:
    """This machine: the rows as batch items, scored by ``Scorer.score_many(workers=N)`` as ``csqa score``
    does, written as the same tables the engines write."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from csqa.scale import frames

    files = frames.parquet_files(*args.paths)
    _check_schemas(files, args.layout, args.extra_columns)
    tables = _local_tables(files, args.layout)
    if args.layout == "utterance":  # a call's rows may be anywhere: group them all, calls in order of their first row
        tables = iter([pa.concat_tables(list(tables), promote_options="permissive")])
    provenance: deque[tuple[str | None, int | None]] = deque()

    def items() -> Iterator[Any]:
        for table in tables:
            for item, _ in frames._items(table, args.layout, args.extra_columns):
                provenance.append((item.source, item.line))
                yield item

    scorer = spec.scorer()
    results = scorer.score_many(items(), workers=args.workers)
    out = Path(args.output)
    (out / "calls").mkdir(parents=True, exist_ok=True)
    (out / "checks").mkdir(parents=True, exist_ok=True)
    counts = {"calls": 0, "errors": 0, "checks": 0}
    with pq.ParquetWriter(out / "calls" / "part-00000.parquet", frames.CALLS_SCHEMA) as calls_writer, \
            pq.ParquetWriter(out / "checks" / "part-00000.parquet", frames.CHECKS_SCHEMA) as checks_writer:
        rows: list[dict[str, Any]] = []

        def flush() -> None:
            table = frames._reports_table(rows)
            calls, checks = frames._calls(table), frames._explode(table)
            calls_writer.write_table(calls)
            checks_writer.write_table(checks)
            counts["calls"] += calls.num_rows
            counts["errors"] += sum(1 for e in calls.column("error").to_pylist() if e)
            counts["checks"] += checks.num_rows
            rows.clear()

        for result in results:
            rows.append(frames._report_row(result, *provenance.popleft()))
            if len(rows) >= 1024:
                flush()
        flush()
    return counts


def _score_spark(args: argparse.Namespace, options: dict[str, Any]) -> dict[str, int]:
    from csqa.scale import frames

    if not any("://" in p for p in args.paths):
        _check_schemas(frames.parquet_files(*args.paths), args.layout, args.extra_columns)
    from csqa.scale import spark as engine  # first: without pyspark its ImportError names the extra to install

    # isort: split
    from pyspark.sql import SparkSession

    created = SparkSession.getActiveSession() is None  # a session the caller started is left running
    if args.master:
        session = SparkSession.builder.master(args.master).appName("csqa lake").getOrCreate()
    else:
        try:
            session = engine.local_session(args.workers, app_name="csqa lake")
        except Exception as exc:  # any kind: PySpark raises its own kinds when the JVM does not start
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise _UsageError(f"cannot start Spark ({first}); it needs Java 17 or 21 (JAVA_HOME or java on PATH)") from None
    try:
        return engine.score_parquet(session, args.paths, args.output, mode="overwrite" if args.overwrite else "errorifexists",
                                    partitions=args.partitions, **options)
    finally:
        if created:
            session.stop()


def _score_dask(args: argparse.Namespace, options: dict[str, Any]) -> dict[str, int]:
    from csqa.scale import frames

    _check_schemas(frames.parquet_files(*args.paths), args.layout, args.extra_columns)
    from csqa.scale import dask as engine  # first: without the extra, its ImportError says what to install

    # isort: split
    from distributed import Client

    client = Client(args.scheduler) if args.scheduler else engine.local_client(args.workers)
    try:
        return engine.score_parquet(args.paths, args.output, partitions=args.partitions, **options)
    finally:
        client.close()


# ------------------------------------------------------------------------------------------------ import


def _import(args: argparse.Namespace) -> int:
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from csqa.errors import InputError
    from csqa.input.loaders import RawCall, error_record, iter_raw
    from csqa.input.model import Call, CallError
    from csqa.scale import frames

    if args.rows_per_file < 1:
        raise _UsageError("--rows-per-file must be at least 1")
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        raise _UsageError(f"no such file or folder: {missing[0]}")
    out = Path(args.output)
    if out.exists():
        if not args.overwrite:
            raise _UsageError(f"{out} exists (use --overwrite to replace it)")
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    out.mkdir(parents=True)
    schema = {"raw": frames.RAW_INPUT_SCHEMA, "call": frames.CALL_INPUT_SCHEMA,
              "utterance": frames.UTTERANCE_INPUT_SCHEMA}[args.layout]
    rows: list[dict[str, Any]] = []
    written = {"files": 0, "calls": 0, "rows": 0}
    errors = 0

    def flush() -> None:
        if rows:
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), out / f"part-{written['files']:05d}.parquet")
            written["files"] += 1
            written["rows"] += len(rows)
            rows.clear()

    for raw in iter_raw(*args.paths):
        if isinstance(raw, CallError):  # a line that is not UTF-8, a .json file that is not JSON, an unreadable file
            errors += 1
            print(f"csqa: {raw.message}", file=sys.stderr)
            if args.layout == "raw":  # kept as the error record csqa score gives, so nothing is lost on the way
                rows.append({"error_code": raw.code, "error_message": raw.message, "problems": list(raw.problems),
                             "source": raw.source, "line": raw.line})
                written["calls"] += 1
                if len(rows) >= args.rows_per_file:
                    flush()
            continue
        assert isinstance(raw, RawCall)
        if args.layout == "raw":
            if raw.text_id is not None:
                rows.append({"text": raw.payload, "text_id": raw.text_id, "source": raw.source, "line": raw.line})
            else:
                if isinstance(raw.payload, Call):  # read from a table's rows
                    payload = raw.payload.model_dump_json()
                else:
                    payload = raw.payload if isinstance(raw.payload, str) else json.dumps(raw.payload, ensure_ascii=False)
                rows.append({"json": payload, "source": raw.source, "line": raw.line})
        else:
            try:
                call = raw.parse()
            except InputError as exc:
                errors += 1
                print(f"csqa: {error_record(exc).message} (left out)", file=sys.stderr)
                continue
            data = call.model_dump()
            head = {k: data[k] for k in ("call_id", "direction", "agent_id", "rings", "ring_seconds", "hangup_by", "team")}
            head["started_at"] = None if call.started_at is None else call.started_at.isoformat()
            head["metadata"] = json.dumps(call.metadata, ensure_ascii=False) if call.metadata else None
            head.update(events=list(data["events"]), source=raw.source, line=raw.line)
            if args.layout == "call":
                rows.append({**head, "utterances": list(data["utterances"])})
            else:
                utterances = data["utterances"] or [{}]
                rows.extend({**head, "seq": seq if u else None, **u} for seq, u in enumerate(utterances))
        written["calls"] += 1
        if len(rows) >= args.rows_per_file:
            flush()
    flush()
    print(f"{written['calls']} calls → {written['rows']} rows in {written['files']} files in {out} ({args.layout} layout)")
    return 1 if errors else 0


def _schema(args: argparse.Namespace) -> int:
    from csqa.scale import frames

    schema = {
        "calls": frames.CALLS_SCHEMA, "checks": frames.CHECKS_SCHEMA, "reports": frames.REPORTS_SCHEMA,
        "call": frames.CALL_INPUT_SCHEMA, "utterance": frames.UTTERANCE_INPUT_SCHEMA, "raw": frames.RAW_INPUT_SCHEMA,
    }[args.table]
    sys.stdout.write("".join(f"{field.name}: {field.type}\n" for field in schema))
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
