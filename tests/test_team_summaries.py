"""Summaries a team reads: by agent, team, day, week or a metadata field, streamed in memory that grows with the
groups only; DataFrames per call, check, agent, team, day and week; the summary drawn in Jupyter; the command."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import csqa
from csqa.cli import main
from csqa.outputs.summary import Summary, read_reports, summarize, to_dataframe

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def team_reports(scorer: csqa.Scorer, root: Path) -> list[csqa.Report]:
    """The demo reports, each given a team, a start time (two weeks of days, some just after midnight local
    time, when it is still the day before in UTC) and a queue; the last has none of them."""
    demo = [r for r in scorer.score_many(csqa.load_calls(root / "corpora" / "demo")) if isinstance(r, csqa.Report)]
    out = []
    for i in range(42):
        base = demo[i % len(demo)]
        start = dt.datetime(2026, 11, 28, 0, 30, tzinfo=TZ) + dt.timedelta(days=i % 9, hours=(i % 3) * 8)
        out.append(base.model_copy(update={"call_id": f"{base.call_id}-{i}", "team": ["一组", "二组"][i % 2],
                                           "started_at": start, "metadata": {"queue": ["售后", "咨询", "投诉"][i % 3]}}))
    out.append(demo[0].model_copy(update={"call_id": "bare"}))
    return out


def expected(reports: list[csqa.Report], key: object) -> dict[str, tuple[int, float | None, int]]:
    groups: dict[str, list[csqa.Report]] = {}
    for r in reports:
        groups.setdefault(key(r), []).append(r)  # type: ignore[operator]
    out = {}
    for name, members in groups.items():
        scores = [r.score for r in members if r.score is not None]
        out[name] = (len(members), sum(scores) / len(scores) if scores else None,
                     sum(1 for r in members if r.passed is False))
    return out


def test_groups_by_team_day_week_and_metadata(team_reports: list[csqa.Report]) -> None:
    summary = summarize(team_reports, by=("team", "day", "week", "metadata.queue"))
    keys = {
        "team": lambda r: r.team or "(no team)",
        "day": lambda r: r.started_at.date().isoformat() if r.started_at else "(no date)",  # the call's own date
        "week": lambda r: "{}-W{:02d}".format(*r.started_at.isocalendar()[:2]) if r.started_at else "(no date)",
        "metadata.queue": lambda r: r.metadata.get("queue") or "(none)",
    }
    for by, key in keys.items():
        groups = summary.grouped(by)
        want = expected(team_reports, key)
        got = {g.key: (g.calls, g.mean_score, g.below_pass_mark) for g in groups}
        assert got.keys() == want.keys()
        for name, (calls, mean, below) in want.items():
            assert got[name][0] == calls and got[name][2] == below and got[name][1] == pytest.approx(mean)
        assert groups[-1].key.startswith("(")  # the calls without the value come last
        assert [g.key for g in groups[:-1]] == sorted(g.key for g in groups[:-1])
    first_day = summary.grouped("day")[0]
    assert first_day.key == "2026-11-28"  # 00:30 in UTC+8 is 2026-11-27 in UTC: the call's own day counts
    rule = "restate-question"
    in_team = [r for r in team_reports if r.team == "一组"]
    team = summary.grouped("team")[0]
    assert team.key == "一组"
    assert team.fails.get(rule, 0) == sum(r.check(rule).status == "fail" for r in in_team)
    assert team.fail_rate(rule) == pytest.approx(team.fails.get(rule, 0) / team.judged[rule])
    with pytest.raises(csqa.UsageError, match="cannot group by 'tema'"):
        summarize(team_reports, by="tema")


def test_memory_grows_with_the_groups_not_the_calls(team_reports: list[csqa.Report]) -> None:
    def stream(n: int) -> Iterator[csqa.Report]:
        for i in range(n):
            yield team_reports[i % len(team_reports)]

    small = summarize(stream(50), by=("team", "day"), scores=False)
    large = summarize(stream(5000), by=("team", "day"), scores=False)
    assert large.calls == 5000 and all(a.scores == () for a in large.agents)
    shape = [(g.by, g.key, sorted(g.fails)) for g in small.groups]
    assert [(g.by, g.key, sorted(g.fails)) for g in large.groups] == shape
    # only counters grew, and the list of calls to review is bounded (review_top)
    assert len(large.model_dump_json(exclude={"to_review"})) < 1.2 * len(small.model_dump_json(exclude={"to_review"}))
    assert len(large.to_review) == 200 < large.to_review_calls


def test_dataframes_per_call_check_agent_team_day_and_week(team_reports: list[csqa.Report]) -> None:
    calls = to_dataframe(team_reports, per="call")
    assert list(calls["call_id"]) == [r.call_id for r in team_reports]
    assert list(calls["queue"][:3]) == ["售后", "咨询", "投诉"] and calls["team"].iloc[0] == "一组"
    checks = to_dataframe(team_reports)
    assert len(checks) == sum(len(r.checks) for r in team_reports) and "queue" in checks and "started_at" in checks
    for per, column in (("agent", "agent_id"), ("team", "team"), ("day", "day"), ("week", "week")):
        frame = to_dataframe(team_reports, per=per)
        assert frame.columns[0] == column and frame["calls"].sum() == len(team_reports)
        assert "fail_rate.restate-question" in frame
    days = to_dataframe(team_reports, per="day").set_index("day")
    on_day = [r for r in team_reports if r.started_at and r.started_at.date().isoformat() == "2026-11-30"]
    assert days.loc["2026-11-30", "calls"] == len(on_day)
    fails = sum(r.check("restate-question").status == "fail" for r in on_day)
    judged = sum(r.check("restate-question").status in ("pass", "fail") for r in on_day)
    assert days.loc["2026-11-30", "fail_rate.restate-question"] == pytest.approx(fails / judged)
    with pytest.raises(csqa.UsageError, match="per must be one of"):
        to_dataframe(team_reports, per="month")


def test_summary_renders_in_jupyter(team_reports: list[csqa.Report]) -> None:
    summary = summarize(team_reports, by=("team", "day"))
    html = summary._repr_html_()
    assert html.startswith('<div class="csqa"') and "<script" not in html
    rates = [float(x) for x in re.findall(r'class="bar"[^>]*data-fail-rate="([\d.e-]+)"', html)]
    assert rates == sorted(rates, reverse=True) and len(rates) == sum(r.fail_rate is not None for r in summary.rules)
    counts = dict(re.findall(r'data-rule="([^"]+)" data-code="[^"]*" data-fail-rate="[^"]*" data-fails="(\d+)"', html))
    assert counts == {r.rule: str(r.fails) for r in summary.rules if r.fail_rate is not None}
    bars = re.findall(r'class="trend-bar"[^>]*data-period="([^"]+)" data-calls="(\d+)"', html)
    days = [g for g in summary.grouped("day") if not g.key.startswith("(")]
    assert [(p, int(n)) for p, n in bars] == [(g.key, g.calls) for g in days if g.scored]
    means = re.findall(r'class="trend-dot"[^>]*data-period="([^"]+)" data-mean="([\d.]+)"', html)
    assert [(p, pytest.approx(float(m), abs=1e-3)) for p, m in means] == [(g.key, g.mean_score) for g in days]
    assert "By team" in html and "一组" in html


def test_cli_summary_by(tmp_path: Path, team_reports: list[csqa.Report], capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(r.model_dump_json() + "\n" for r in team_reports), encoding="utf-8")
    assert main(["summary", str(path), "--by", "team", "--by", "week"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("team "))
    assert "below pass mark" in header and re.search(r"^一组\s+21\s", out, re.M)
    assert re.search(r"^2026-W48\s+\d+", out, re.M) and "(no date)" in out
    assert main(["summary", str(path), "--by", "metadata.queue", "--format", "json"]) == 0
    summary = Summary.model_validate(json.loads(capsys.readouterr().out))
    assert Counter(g.key for g in summary.groups) == Counter(["售后", "咨询", "投诉", "(none)"])
    assert all(a.scores == () for a in summary.agents)  # the command keeps no list of scores
    with pytest.raises(SystemExit) as exit_:
        main(["summary", str(path), "--by", "tema"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "cannot group by 'tema'" in err and len(err.strip().splitlines()) == 1
    assert len(list(read_reports(path))) == len(team_reports)


def test_progress_bar_goes_through_tqdm_auto(scorer: csqa.Scorer, root: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """tqdm.auto picks the notebook widget in Jupyter and the text bar elsewhere."""
    import tqdm.auto

    calls = list(csqa.load_calls(root / "corpora" / "demo"))
    with_bar = list(scorer.score_many(calls, progress=True))
    assert with_bar == list(scorer.score_many(calls))
    assert f"{len(calls)} calls" in capsys.readouterr().err  # outside a notebook: the text bar on stderr
    used = []

    class Recording(tqdm.auto.tqdm):  # type: ignore[misc, name-defined]
        def __init__(self, *args: object, **kwargs: object) -> None:
            used.append(kwargs.get("unit"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    assert len(list(scorer.score_many(calls[:2], progress=True))) == 2 and used == [" calls"]


def test_an_agent_with_many_calls_gets_one_dot_per_score() -> None:
    from csqa.outputs.summary import AgentSummary
    from csqa.outputs.summaryview import score_chart

    scores = (100.0,) * 70 + (87.18,) * 25 + (0.0,) * 5
    many = AgentSummary(agent_id="A1", calls=100, scored=100, mean_score=sum(scores) / 100, pass_rate=0.95,
                        top_fails=(), scores=scores)
    few = many.model_copy(update={"agent_id": "A2", "scores": scores[:3] + scores[-2:], "calls": 5, "scored": 5})
    svg = score_chart([many, few], 80)
    dots = re.findall(r'<circle class="dot (\w+)"[^>]*data-agent="(\w+)" data-score="([\d.]+)"( data-count="(\d+)")?', svg)
    assert sorted((float(s), int(n)) for _, a, s, _, n in dots if a == "A1") == [(0.0, 5), (87.2, 25), (100.0, 70)]
    assert sorted(float(s) for _, a, s, c, _ in dots if a == "A2" and not c) == [0.0, 0.0, 100.0, 100.0, 100.0]
    assert {k for k, a, s, _, _ in dots if float(s) == 0.0} == {"fail"}
