"""Dask on a local cluster of two worker processes (one thread each, 127.0.0.1, no dashboard): the reports equal
those of ``csqa score`` on the same calls, bad rows included, for DataFrames in every layout and for bags; the
rule file reaches the workers without the file; one scorer per worker process.

Needs ``pip install 'csqa[dask]'``. Without it the tests are skipped, except under CI (the ``CI`` environment
variable set), where they fail. Slow (worker processes start): marked ``slow``.
"""

from __future__ import annotations

import os
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
    read_output,
    structured_calls,
    write_jsonl,
    write_unreadable,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    try:
        from csqa.scale import dask as csqa_dask
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Dask is needed under CI: {exc}")
        pytest.skip(str(exc))
    client = csqa_dask.local_client(workers=2)
    yield client
    client.close()


def test_lake_score_on_dask_equals_csqa_score(client: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls_dir = tmp_path / "calls"
    jsonl = write_jsonl(calls_dir / "calls.jsonl")
    unreadable = write_unreadable(calls_dir / "unreadable")
    reports = tmp_path / "reports.jsonl"
    assert csqa_main(["score", str(jsonl), str(DEMO), str(unreadable), "--format", "jsonl", "-o", str(reports)]) == 1
    expected = list(read_reports(reports))
    assert lake(["import", str(jsonl), str(DEMO), str(unreadable), "-o", str(tmp_path / "lake"), "--rows-per-file", "5"]) == 1
    capsys.readouterr()
    status = lake(["score", str(tmp_path / "lake"), "-o", str(tmp_path / "qa"), "--layout", "raw", "--engine", "dask",
                   "--scheduler", client.scheduler.address])  # type: ignore[attr-defined]
    out, err = capsys.readouterr()
    assert lake(["score", str(tmp_path / "lake"), "-o", str(tmp_path / "qa-local"), "--layout", "raw"]) == 1
    assert_engine_output(status, out, err, tmp_path / "qa", expected, read_output(tmp_path / "qa-local"))


def test_dask_layouts_and_bags(client: object, tmp_path: Path, scorer: csqa.Scorer) -> None:
    import dask.bag as db

    from csqa.scale import dask as csqa_dask

    calls_in = structured_calls()
    expected = list(scorer.score_many(calls_in))
    for layout, folder in layout_folders(calls_in, tmp_path):
        reports = csqa_dask.score(csqa_dask.read_parquet(folder), layout=layout).compute()
        assert_same(frames.to_results(reports), expected)
        calls, checks = csqa_dask.score_frames(csqa_dask.read_parquet(folder), layout=layout)
        assert_same(frames.results_from_frames(calls.compute(), checks.compute()), expected)
    items = raw_items(DEMO)
    bag = db.from_sequence([*calls_in, *items], npartitions=4)
    assert_same(frames.to_results(csqa_dask.score_bag(bag).compute()), scorer.score_many([*calls_in, *items]))
    with pytest.raises(ValueError, match="did you mean 'hangup_by'"):
        import dask.dataframe as dd
        import pandas as pd

        csqa_dask.score(dd.from_pandas(pd.DataFrame([{"call_id": "c", "utterances": "[]", "hangupby": "x"}]), npartitions=1))


def test_rule_file_is_shipped_and_scorer_built_once_per_worker(client: object, tmp_path: Path) -> None:
    import dask.bag as db

    from csqa.scale import dask as csqa_dask

    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[scorecard]\ncompany = "顺达快运"\npass_mark = 95\n', encoding="utf-8")
    local = csqa.Scorer(site)
    items = raw_items(DEMO) * 8
    reports = csqa_dask.score_bag(db.from_sequence(items, npartitions=16), rules=site)
    site.unlink()  # the workers have the rule file's content, not the file
    got = reports.compute()
    assert set(got.pass_mark) == {95.0}
    assert_same(frames.to_results(got), local.score_many(items))
    seen = client.run(frames.scorer_cache_info)  # type: ignore[attr-defined]
    assert len(seen) == 2 and all(info["builds"] == len(info["keys"]) for info in seen.values())
