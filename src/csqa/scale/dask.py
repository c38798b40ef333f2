"""Scoring calls on Dask: a Dask DataFrame or bag of calls in, Dask DataFrames of reports out.

    >>> from distributed import Client
    >>> from csqa.scale import dask as csqa_dask
    >>> client = csqa_dask.local_client(workers=2)                     # or Client("tcp://scheduler:8786")
    >>> ddf = dask.dataframe.read_parquet("s3://lake/calls/", dtype_backend="pyarrow")
    >>> reports = csqa_dask.score(ddf, rules="site.toml")               # one row per call, checks nested
    >>> calls, checks = csqa_dask.split(reports)                       # CALLS_SCHEMA, CHECKS_SCHEMA
    >>> csqa_dask.score_parquet("lake/", "qa/")                         # both written, one pass of scoring

Each partition is scored by :mod:`csqa.scale.frames` in a worker, whose scorer is built once per worker process
(the cache of :mod:`csqa.scale.frames`, keyed by the rule file's content); the rule file is read and validated
here and its content travels in the task graph. Partitions keep their order, so the reports come out in
input order. In the utterance layout the rows are first shuffled by ``call_id`` and grouped, and the calls
put back in the order of their first row before they are scored (this computes each call's first row when
:func:`score` is called: one pass over the input, without scoring). A bag holds what
:meth:`csqa.Scorer.score_many` takes (dicts, JSON text, :class:`~csqa.Call`, :class:`~csqa.input.loaders.RawCall`).

This module is ``csqa.scale.dask``; inside it ``import dask`` is the Dask package (imports are absolute). Import
it as ``from csqa.scale import dask as csqa_dask`` so that it does not hide ``dask`` in your own namespace.

Needs ``dask[dataframe,distributed]`` with pandas and pyarrow (``pip install 'csqa[dask]'``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

try:
    import dask.bag as db
    import dask.dataframe as dd
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from dask.base import compute
    from dask.delayed import delayed
    from distributed import Client
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("csqa.scale.dask needs dask[dataframe,distributed], pandas and pyarrow: pip install 'csqa[dask]'") from exc

from csqa.scale import frames
from csqa.scale.frames import CALLS_SCHEMA, CHECKS_SCHEMA, POS, ROWS, ExtraColumns, Layout

if TYPE_CHECKING:
    from csqa.checks.rulefile import RuleSet
    from csqa.text.tokenizer import Backend

__all__ = ["local_client", "read_parquet", "score", "score_bag", "score_frames", "score_parquet", "split"]

_SHUFFLE = "tasks"  # the utterance rows travel as Python objects; the Arrow-based p2p shuffle wants flat columns


def local_client(workers: int = 2, **cluster: Any) -> Client:
    """A client of a new local cluster: ``workers`` processes of one thread each, on 127.0.0.1, no
    dashboard. ``client.close()`` shuts the cluster down too."""
    options = {"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None,
               "host": "127.0.0.1", **cluster}
    return Client(**options)


def _default_partitions() -> int:
    """Four partitions per worker thread of the current client (one when there is none)."""
    try:
        from distributed import default_client

        threads: int = sum(default_client().nthreads().values())
        return 4 * max(1, threads)
    except ValueError:  # no client: Dask's own scheduler on this machine
        return 4 * (os.cpu_count() or 1)


def _with_pos(frame: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    number = 0 if partition_info is None else int(partition_info["number"])
    out = frame.copy()
    out[POS] = pd.Series(range(len(frame)), index=frame.index, dtype="int64") + (number << 32)
    return out


def score(
    ddf: dd.DataFrame,
    *,
    rules: str | os.PathLike[str] | RuleSet | frames.ScorerSpec | None = None,
    layout: Layout = "call",
    extra_columns: ExtraColumns = "metadata",
    partitions: int | None = None,
    company: str | None = None,
    include_transcript: bool = True,
    tokenizer_backend: Backend = "auto",
) -> dd.DataFrame:
    """Score the calls of ``ddf`` (in ``layout``, see :mod:`csqa.scale.frames`): a Dask DataFrame of
    :data:`~csqa.scale.frames.REPORTS_SCHEMA`, one row per call, checks nested, in input order (partitions in turn).
    ``partitions`` repartitions the input first, order kept (default: as read, but at least four partitions
    per worker thread of the current client). The rule file is read and checked here; a column the layout
    does not know raises :class:`ValueError` here."""
    spec = frames.scorer_spec(rules, company=company, include_transcript=include_transcript, tokenizer_backend=tokenizer_backend)
    layout = frames._layout(layout)
    used = [c for c in frames.check_columns([str(c) for c in ddf.columns], layout, extra_columns) if c not in (POS, ROWS)]
    data = ddf[used]
    wanted = partitions or _default_partitions()
    if partitions or data.npartitions < wanted:  # a few big files would leave workers idle
        data = data.repartition(npartitions=wanted)
    run = functools.partial(frames._engine_frame, spec=spec, extra_columns="metadata", keep_pos=False)
    reports: dd.DataFrame
    if layout != "utterance":
        reports = data.map_partitions(run, layout=layout, meta=frames.reports_meta(), enforce_metadata=False)
        return reports
    placed = data.map_partitions(_with_pos, meta=data._meta.assign(**{POS: pd.Series([], dtype="int64")}))
    grouped = placed.shuffle("call_id", shuffle_method=_SHUFFLE).map_partitions(frames._group_utterances,
                                                                                 meta=frames.grouped_meta())
    # Put the calls back in the order of their first row. The places are computed here (one pass, no scoring)
    # and given to set_index as divisions: sort_values would compute them lazily, inside a cached_property
    # whose lock (Python < 3.12) the in-process scheduler then waits for, and the two deadlock.
    places = np.sort(grouped[POS].compute().to_numpy())
    if len(places) == 0:
        reports = grouped.map_partitions(run, layout=layout, meta=frames.reports_meta(), enforce_metadata=False)
        return reports
    cuts = np.linspace(0, len(places) - 1, grouped.npartitions + 1).round().astype(int)
    divisions = sorted({int(v) for v in places[cuts]})
    if len(divisions) == 1:
        divisions = divisions * 2
    ordered = grouped.set_index(POS, divisions=divisions, shuffle_method=_SHUFFLE)
    reports = ordered.map_partitions(_scored_in_place, run=run, layout=layout, meta=frames.reports_meta(),
                                     enforce_metadata=False)
    return reports


def _scored_in_place(frame: pd.DataFrame, run: Callable[..., pd.DataFrame], layout: Layout) -> pd.DataFrame:
    return run(frame.sort_index().reset_index(), layout=layout)


def score_bag(
    bag: db.Bag,
    *,
    rules: str | os.PathLike[str] | RuleSet | frames.ScorerSpec | None = None,
    company: str | None = None,
    include_transcript: bool = True,
    tokenizer_backend: Backend = "auto",
) -> dd.DataFrame:
    """Score a bag of calls (anything :meth:`csqa.Scorer.score_many` takes): a Dask DataFrame of
    :data:`~csqa.scale.frames.REPORTS_SCHEMA`, one partition per bag partition, in the bag's order. A
    :class:`~csqa.input.loaders.RawCall` item (``csqa.input.loaders.iter_raw``) keeps its file and line in the error record."""
    spec = frames.scorer_spec(rules, company=company, include_transcript=include_transcript, tokenizer_backend=tokenizer_backend)
    parts = [delayed(frames._engine_items)(part, spec) for part in bag.to_delayed()]
    reports: dd.DataFrame = dd.from_delayed(parts, meta=frames.reports_meta(), verify_meta=False)
    return reports


def split(reports: dd.DataFrame) -> tuple[dd.DataFrame, dd.DataFrame]:
    """The calls and checks tables of a reports DataFrame, in its order. Computed together (``dask.compute``
    of both), the reports are scored once."""
    calls = reports.map_partitions(frames._calls_pandas, meta=frames._pandas(CALLS_SCHEMA.empty_table()), enforce_metadata=False)
    checks = reports.map_partitions(frames._checks_pandas, meta=frames._pandas(CHECKS_SCHEMA.empty_table()),
                                    enforce_metadata=False)
    return calls, checks


def score_frames(ddf: dd.DataFrame, **options: Any) -> tuple[dd.DataFrame, dd.DataFrame]:
    """``split(score(ddf, **options))``."""
    return split(score(ddf, **options))


def read_parquet(*paths: str | os.PathLike[str]) -> dd.DataFrame:
    """Parquet files or folders of calls as a Dask DataFrame of Arrow-typed columns, files in path order
    (:func:`csqa.scale.frames.parquet_files`), each file's rows in order."""
    ddf: dd.DataFrame = dd.read_parquet(frames.parquet_files(*paths), dtype_backend="pyarrow")
    return ddf


def _plain_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its Arrow list columns as Python objects, for writing. The Parquet schema is the same
    (``to_parquet`` is given it), but the pandas metadata then records them as ``object``: pandas 3.1 writes
    an Arrow list column's type as ``list<item: string>[pyarrow]`` and cannot read that name back, so the
    reports of the Dask engine could not be opened with ``pandas.read_parquet``, as the other engines' can."""
    lists = [name for name, dtype in frame.dtypes.items()
             if isinstance(dtype, pd.ArrowDtype) and pa.types.is_list(dtype.pyarrow_dtype)]
    return frame.astype(dict.fromkeys(lists, object)) if lists else frame


def _name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def score_parquet(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], output: str | os.PathLike[str], **options: Any
) -> dict[str, int]:
    """Score the calls in Parquet ``source`` (files or folders) and write ``output/calls`` and
    ``output/checks`` (``part-00000.parquet``, … in order), scoring once, on the current Dask client (or
    Dask's default scheduler). ``options`` are :func:`score`'s. Returns the number of ``calls``, ``errors``
    and ``checks`` written."""
    paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    calls, checks = split(score(read_parquet(*paths), **options))
    out = os.fspath(output).rstrip("/")
    calls, checks = (frame.map_partitions(_plain_lists, enforce_metadata=False) for frame in (calls, checks))
    writes = [
        calls.to_parquet(f"{out}/calls", schema=CALLS_SCHEMA, write_index=False, name_function=_name, compute=False),
        checks.to_parquet(f"{out}/checks", schema=CHECKS_SCHEMA, write_index=False, name_function=_name, compute=False),
    ]
    _, _, n_calls, n_errors, n_checks = compute(
        *writes, calls.shape[0], calls["error"].astype("int64").sum(), checks.shape[0]
    )
    return {"calls": int(n_calls), "errors": int(n_errors), "checks": int(n_checks)}
