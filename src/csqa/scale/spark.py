"""Scoring calls on Spark: a Spark DataFrame of calls in, Spark DataFrames of reports out.

    >>> from csqa.scale import spark as csqa_spark
    >>> spark = csqa_spark.local_session(cores=2)                    # or your cluster's session
    >>> calls_df = spark.read.parquet("s3a://lake/calls/")
    >>> reports = csqa_spark.score(calls_df, rules="site.toml")       # one row per call, checks nested
    >>> calls, checks = csqa_spark.split(reports)                    # CALLS_SCHEMA, CHECKS_SCHEMA
    >>> csqa_spark.score_parquet(spark, "s3a://lake/calls/", "s3a://lake/qa/2026-11-22/")   # both, one pass

Scoring runs in ``mapInPandas`` over batches of rows: each Python worker builds the scorer once (the cache of
:mod:`csqa.scale.frames`, keyed by the rule file's content) and scores its batches with :mod:`csqa.scale.frames`, so a
row gives exactly the report or error record that :meth:`csqa.Scorer.score_many` gives for the same call.
The rule file is read and validated on the driver and travels, as its validated content, with the tasks:
executors need csqa installed, not the file. The input is sorted by its place (see ``order``) before scoring
and scoring keeps that order, so the reports come out in input order, the same in every run and on every
engine, and the sort moves the input, not the reports: scoring runs once.

Needs pyspark with pandas and pyarrow (``pip install 'csqa[spark]'``) and Java 17 or 21.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

try:
    import pyarrow as pa
    from pyspark import StorageLevel
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema
    from pyspark.sql.types import StructType
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("csqa.scale.spark needs pyspark, pandas and pyarrow: pip install 'csqa[spark]'") from exc

from csqa.scale import frames
from csqa.scale.frames import CALLS_SCHEMA, CHECKS_SCHEMA, POS, REPORTS_SCHEMA, ROWS, ExtraColumns, Layout

if TYPE_CHECKING:
    import os as _os

    from csqa.checks.rulefile import RuleSet
    from csqa.text.tokenizer import Backend

__all__ = ["LOCAL_CONFIG", "local_session", "read_parquet", "score", "score_frames", "score_parquet", "spark_schema", "split"]

LOCAL_CONFIG: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
}
"""What :func:`local_session` sets: no web UI, no progress bar, everything on the loopback address."""


def spark_schema(schema: pa.Schema) -> StructType:
    """A Spark schema from one of :mod:`csqa.scale.frames`' Arrow schemas (no inference needed)."""
    return from_arrow_schema(schema)


def local_session(cores: int = 2, *, app_name: str = "csqa", config: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session in local mode on ``cores`` cores (:data:`LOCAL_CONFIG` and ``config``), whose Python
    workers run this interpreter unless ``PYSPARK_PYTHON`` says otherwise. An already active session is
    returned as it is. Stop it with ``session.stop()``."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.master(f"local[{cores}]").appName(app_name)
    for key, value in {**LOCAL_CONFIG, **(config or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if "PYSPARK_PYTHON" not in os.environ:  # else Spark starts "python3" from PATH, which may lack csqa
        session.sparkContext.pythonExec = sys.executable
    session.sparkContext.setLogLevel("ERROR")
    return session


def _session(df: DataFrame) -> SparkSession:
    return df.sparkSession


def score(
    df: DataFrame,
    *,
    rules: str | _os.PathLike[str] | RuleSet | frames.ScorerSpec | None = None,
    layout: Layout = "call",
    extra_columns: ExtraColumns = "metadata",
    order: str | Column | None = None,
    partitions: int | None = None,
    company: str | None = None,
    include_transcript: bool = True,
    tokenizer_backend: Backend = "auto",
) -> DataFrame:
    """Score the calls of ``df`` (in ``layout``, see :mod:`csqa.scale.frames`): a DataFrame of
    :data:`~csqa.scale.frames.REPORTS_SCHEMA`, one row per call, checks nested, in input order.

    ``order`` gives each input row's place: a column name or expression of unique sortable values. Without
    it, the ``_pos`` column that :func:`read_parquet` adds, or else ``monotonically_increasing_id()`` (the
    DataFrame's partitions in turn). In the utterance layout a call's place is that of its first row.
    ``partitions`` is how many tasks score (default: four per core of the cluster). The rule file is read
    and checked here; a column the layout does not know raises :class:`ValueError` here, not in a task.
    """
    spec = frames.scorer_spec(rules, company=company, include_transcript=include_transcript, tokenizer_backend=tokenizer_backend)
    layout = frames._layout(layout)
    named = order if isinstance(order, str) else None
    if named is not None and named not in df.columns:
        raise frames.ColumnsError(f"no column {named!r} to order by")
    used = [c for c in frames.check_columns([c for c in df.columns if c != named], layout, extra_columns) if c not in (POS, ROWS)]
    if isinstance(order, Column):
        place = order
    elif named is not None:
        place = F.col(named)
    elif POS in df.columns:
        place = F.col(POS)
    else:
        place = F.monotonically_increasing_id()
    data = df.select(*[F.col(c) for c in used], place.cast("long").alias(POS))
    if layout == "utterance":
        rest = [c for c in used if c != "call_id"]
        data = data.groupBy("call_id").agg(F.collect_list(F.struct(*rest, POS)).alias(ROWS), F.min(POS).alias(POS))
    count = partitions or _session(df).sparkContext.defaultParallelism * 4
    data = data.repartitionByRange(count, POS).sortWithinPartitions(POS)
    batches = functools.partial(frames._engine_batches, spec=spec, layout=layout, extra_columns="metadata", keep_pos=True)
    schema = spark_schema(pa.schema([*REPORTS_SCHEMA, pa.field(POS, pa.int64())]))
    return data.mapInPandas(batches, schema).drop(POS)


def split(reports: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The calls (:data:`~csqa.scale.frames.CALLS_SCHEMA`) and checks (:data:`~csqa.scale.frames.CHECKS_SCHEMA`) of a
    reports DataFrame, in its order. Each is computed from ``reports``: persist it to score only once."""
    calls = reports.select(*CALLS_SCHEMA.names).to(spark_schema(CALLS_SCHEMA))
    keys = ["call_id", "agent_id", "direction", "source", "line"]
    checks = reports.select(*keys, F.posexplode("checks").alias("check_index", "check")).select(
        *keys, F.expr("nullif(CAST(check_index AS INT), -1)").alias("check_index"), "check.*"  # nullable, as in the schema
    )
    return calls, checks.to(spark_schema(CHECKS_SCHEMA))


def score_frames(df: DataFrame, **options: Any) -> tuple[DataFrame, DataFrame]:
    """``split(score(df, **options))``: the calls and checks tables (two queries unless persisted)."""
    return split(score(df, **options))


def _path_key(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme in ("", "file") else uri


def read_parquet(spark: SparkSession, *paths: str) -> DataFrame:
    """Parquet files or folders of calls, with a ``_pos`` column: each row's place when the files are taken in
    path order and each file in row order (the order ``csqa lake`` uses on every engine)."""
    df = spark.read.parquet(*paths)
    files = [row[0] for row in df.select(F.col("_metadata.file_path")).distinct().collect()]
    ordinal = {uri: index for index, uri in enumerate(sorted(files, key=_path_key))}
    mapping = F.create_map(*[F.lit(x) for uri, index in ordinal.items() for x in (uri, index)]) if ordinal else None
    if mapping is None:
        return df.withColumn(POS, F.lit(0).cast("long"))
    place = mapping[F.col("_metadata.file_path")].cast("long") * F.lit(1 << 32) + F.col("_metadata.row_index")
    return df.withColumn(POS, place)


def score_parquet(
    spark: SparkSession,
    source: str | Sequence[str],
    output: str,
    *,
    mode: str = "errorifexists",
    **options: Any,
) -> dict[str, int]:
    """Score the calls in Parquet ``source`` (files or folders) and write ``output/calls`` and
    ``output/checks`` as Parquet, in input order; scoring runs once (the reports are persisted while both
    are written). ``options`` are :func:`score`'s; ``mode`` is Spark's save mode. Returns the number of
    ``calls``, ``errors`` and ``checks`` written."""
    paths = [source] if isinstance(source, str) else list(source)
    if all("://" not in p and os.path.exists(p) for p in paths):
        paths = frames.parquet_files(*paths)  # the same files, in the same order, as the other engines
    reports = score(read_parquet(spark, *paths), **options).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        calls, checks = split(reports)
        calls.write.mode(mode).parquet(f"{output.rstrip('/')}/calls")
        checks.write.mode(mode).parquet(f"{output.rstrip('/')}/checks")
        totals = reports.agg(
            F.count(F.lit(1)).alias("calls"),
            F.sum(F.col("error").cast("long")).alias("errors"),
            F.sum(F.when(F.col("checks").isNull(), 0).otherwise(F.size("checks"))).alias("checks"),
        ).first()
    finally:
        reports.unpersist()
    assert totals is not None
    return {name: int(totals[name] or 0) for name in ("calls", "errors", "checks")}
