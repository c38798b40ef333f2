"""Spark in local mode (two cores, no UI, 127.0.0.1): the reports equal those of ``csqa score`` on the same calls,
bad rows included, in every layout; the rule file reaches the executors without the file; one scorer per
Python worker process.

Needs pyspark (``pip install 'csqa[spark]'``) and Java 17 or 21 (``apt-get install openjdk-17-jre-headless``).
Without them the tests are skipped, except under CI (the ``CI`` environment variable set), where they fail.
Slow (a JVM and Python workers start): marked ``slow``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import csqa
from csqa.cli import main as csqa_main
from csqa.outputs.summary import read_reports
from csqa.scale import frames
from csqa.scale.lake import run as lake
from tests.lakedata import (
    DEMO,
    assert_engine_output,
    assert_same,
    layout_folders,
    raw_items,
    raw_rows,
    read_output,
    structured_calls,
    write_jsonl,
    write_parquet,
    write_unreadable,
)

pytestmark = [
    pytest.mark.slow,
    # PySpark 4.3 warns on every pandas UDF that it "does not yet fully support pandas >= 3.0.0"; these tests
    # are what checks that csqa's use of it gives every field exactly.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


def _missing() -> str | None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return f"pyspark is not installed ({exc}): pip install 'csqa[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        return "no Java: apt-get install openjdk-17-jre-headless"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"Spark is needed under CI: {missing}")
        pytest.skip(missing)
    from csqa.scale import spark as csqa_spark

    session = csqa_spark.local_session(cores=2)
    yield session
    session.stop()


def test_lake_score_on_spark_equals_csqa_score(spark: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls_dir = tmp_path / "calls"
    jsonl = write_jsonl(calls_dir / "calls.jsonl")
    unreadable = write_unreadable(calls_dir / "unreadable")
    reports = tmp_path / "reports.jsonl"
    assert csqa_main(["score", str(jsonl), str(DEMO), str(unreadable), "--format", "jsonl", "-o", str(reports)]) == 1
    expected = list(read_reports(reports))
    assert lake(["import", str(jsonl), str(DEMO), str(unreadable), "-o", str(tmp_path / "lake"), "--rows-per-file", "5"]) == 1
    capsys.readouterr()
    status = lake(["score", str(tmp_path / "lake"), "-o", str(tmp_path / "qa"), "--layout", "raw", "--engine", "spark"])
    out, err = capsys.readouterr()
    assert lake(["score", str(tmp_path / "lake"), "-o", str(tmp_path / "qa-local"), "--layout", "raw"]) == 1
    assert_engine_output(status, out, err, tmp_path / "qa", expected, read_output(tmp_path / "qa-local"))


def test_spark_layouts_and_bad_rows(spark: object, tmp_path: Path, scorer: csqa.Scorer) -> None:
    from csqa.scale import spark as csqa_spark

    calls_in = structured_calls()
    expected = list(scorer.score_many(calls_in))
    for layout, folder in layout_folders(calls_in, tmp_path):
        df = csqa_spark.read_parquet(spark, *frames.parquet_files(folder))
        reports = csqa_spark.score(df, layout=layout, partitions=3).toPandas()
        assert_same(frames.to_results(frames.pa.Table.from_pandas(reports, schema=frames.REPORTS_SCHEMA, preserve_index=False)),
                    expected)
    # JSON text in a list column: non-list utterances and broken JSON are error rows with the codes of csqa score
    rows = [{"call_id": "not-a-list", "utterances": '"您好"'}, {"call_id": "broken", "utterances": "[{"},
            {"call_id": "ok", "utterances": '[{"speaker": "agent", "text": "您好"}]'}]
    df = spark.createDataFrame(rows, "call_id string, utterances string")  # type: ignore[attr-defined]
    calls, checks = csqa_spark.split(csqa_spark.score(df))
    got = [(r.call_id, r.error, r.error_code) for r in calls.collect()]
    assert got == [("not-a-list", True, "E101"), ("broken", True, "E100"), ("ok", False, None)]
    assert checks.count() == 16
    with pytest.raises(ValueError, match="did you mean 'hangup_by'"):
        csqa_spark.score(spark.createDataFrame([("c", "[]", "x")], "call_id string, utterances string, hangupby string"))  # type: ignore[attr-defined]


def test_rule_file_is_shipped_and_scorer_built_once_per_worker(spark: object, tmp_path: Path, scorer: csqa.Scorer) -> None:
    from csqa.scale import spark as csqa_spark

    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[scorecard]\ncompany = "顺达快运"\npass_mark = 95\n', encoding="utf-8")
    local = csqa.Scorer(site)
    items = raw_items(DEMO) * 8
    lake_dir = write_parquet(raw_rows(items), frames.RAW_INPUT_SCHEMA, tmp_path / "lake", files=4)
    reports = csqa_spark.score(csqa_spark.read_parquet(spark, str(lake_dir)), layout="raw", rules=site, partitions=16)
    site.unlink()  # the executors have the rule file's content, not the file
    got = reports.toPandas()
    assert set(got.pass_mark) == {95.0}
    assert_same(frames.to_results(frames.pa.Table.from_pandas(got, schema=frames.REPORTS_SCHEMA, preserve_index=False)),
                local.score_many(items))

    def cache(batches: Iterator[object]) -> Iterator[object]:
        import pandas as pd

        for _ in batches:
            info = frames.scorer_cache_info()
            yield pd.DataFrame([{"pid": info["pid"], "builds": info["builds"], "scorers": len(info["keys"]),
                                 "site": spec.key in info["keys"]}])

    spec = frames.scorer_spec(tmp_path / "copy.toml") if (tmp_path / "copy.toml").write_text(
        'extends = "default"\n[scorecard]\ncompany = "顺达快运"\npass_mark = 95\n', encoding="utf-8") else None
    seen = spark.range(16).repartition(16).mapInPandas(cache, "pid long, builds long, scorers long, site boolean").collect()  # type: ignore[attr-defined]
    assert all(row.builds == row.scorers for row in seen)  # each scorer built once in its process, for all its tasks
    assert any(row.site for row in seen)  # the same content (another path) is the same cached scorer
    assert len({row.pid for row in seen}) <= 2  # two Python workers, reused across the 16 tasks
