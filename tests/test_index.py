"""The pages a team works from, as written (tests/test_review_browser.py drives them in Chromium): the index lists
every call in the page with what its script sorts and filters by, carries its data and script inline and
fetches nothing; call pages carry the review controls, their data escaped so that no call id can end a script."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

import csqa
from csqa.outputs.callview import escape, render_call, script_json
from csqa.outputs.html import write_site
from tests.test_html import Page

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, scorer: csqa.Scorer, root: Path) -> tuple[Path, list[csqa.Report]]:
    demo = [r for r in scorer.score_many(csqa.load_calls(root / "corpora" / "demo")) if isinstance(r, csqa.Report)]
    reports = [r.model_copy(update={"team": ["一组", "二组"][i % 2], "metadata": {"queue": "售后"},
                                    "started_at": dt.datetime(2026, 12, 1 + i % 5, 9, i, tzinfo=TZ)})
               for i, r in enumerate(demo)]
    reports[-1] = reports[-1].model_copy(update={"call_id": '</script><script>alert("x")</script>', "started_at": None})
    out = tmp_path_factory.mktemp("site")
    write_site(reports, out)
    return out, reports


def data_of(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="csqa-data">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_the_index_lists_every_call_with_what_it_is_sorted_and_filtered_by(site: tuple[Path, list[csqa.Report]]) -> None:
    out, reports = site
    html = (out / "index.html").read_text(encoding="utf-8")
    page = Page(html)
    keys = [a["data-key"] for a in page.all("th") if a.get("data-key")]
    assert keys == 2 * ["call", "agent", "team", "started", "direction", "score", "verdict", "failed"]  # script's, plain
    keys = keys[:8]
    calls = json.loads(re.search(r'<script type="application/json" id="csqa-calls">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert calls["columns"] == keys
    assert [row[0] for row in calls["rows"]] == [r.call_id for r in reports]  # what the script draws the rows from
    assert [(row[6], row[8]) for row in calls["rows"]] == [
        (r.score, "none" if r.passed is None else "pass" if r.passed else "fail") for r in reports]
    body = html[html.index('<noscript>'):]  # without JavaScript: every call in a plain table
    rows = re.findall(r'<tr><td><a href="calls/[^"]+">(.*?)</a></td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>'
                      r'<td>\w+</td><td class="num">(.*?)</td><td class="v-(\w+)">', body)
    assert len(rows) == len(reports)  # every call is in the page: it reads without JavaScript
    assert all(row[11] == "queue=售后" for row in calls["rows"])  # metadata, searched by the script
    for (call, agent, team, started, score, verdict), report in zip(rows, reports):
        assert call == escape(report.call_id)
        assert verdict == ("none" if report.passed is None else "pass" if report.passed else "fail")
        assert agent == report.agent_id and team == report.team
        assert started == (report.started_at.strftime("%Y-%m-%d %H:%M") if report.started_at else "–")
        assert score == ("–" if report.score is None else f"{report.score:.1f}")
    assert "&lt;/script&gt;&lt;script&gt;" in rows[-1][0]
    options = {a["value"] for a in page.all("option")}
    assert {r.agent_id for r in reports} | {"一组", "二组", "pass", "fail", "none"} <= options
    failed = {c.code for r in reports for c in r.failed}
    assert failed <= options
    for ident in ("f-q", "f-rule", "f-agent", "f-team", "f-verdict", "f-from", "f-to", "calls-count", "p-prev", "p-next"):
        assert ident in page.ids, ident
    data = data_of(html)
    assert data["root"] == "." and data["page"] == 100
    assert "shown" in data["text"] and "need_name" in data["text"]  # type: ignore[operator]
    assert len(page.all("script")) == 3  # the calls, the labels and the inline script, nothing else
    assert all(a.get("src") is None for a in page.all("script"))
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html) and "fetch(" not in html and "XMLHttpRequest" not in html
    assert 'data-filter-rule="' in html and "By team" in html and 'class="trend-bar"' in html


def test_call_pages_carry_the_review_controls(site: tuple[Path, list[csqa.Report]]) -> None:
    out, reports = site
    index = Page((out / "index.html").read_text(encoding="utf-8"))
    links = [a["href"] for a in index.all("a") if (a["href"] or "").startswith("calls/") and a.get("class") != "to-review"]
    for href, report in zip(links, reports):
        html = (out / str(href)).read_text(encoding="utf-8")
        page = Page(html)
        rows = [a for t, a in page.tags if t == "tr" and a.get("data-rule")]
        assert [r["data-rule"] for r in rows] == [c.rule for c in report.checks]  # where the script adds the controls
        data = data_of(html)
        assert data["call_id"] == report.call_id and data["root"] == ".." and data["csqa_version"] == csqa.__version__
        assert data["checks"] == [{"rule": c.rule, "code": c.code, "status": c.status} for c in report.checks]
        assert {"right", "wrong", "should_be", "comment", "status.pass"} <= set(data["text"])  # type: ignore[arg-type]
        assert html.count("<script") == 2 and "csqaReviews" in html and "<textarea" not in html  # no dead controls
    assert "</script><script>" not in (out / str(links[-1])).read_text(encoding="utf-8")


def test_script_json_cannot_end_its_element() -> None:
    given = {"id": "</script><!-- & \u2028 \x00 \x85 \ud800"}
    text = script_json(given)
    assert not re.search("[<>&\u2028\x00\x85\ud800]", text)
    assert json.loads(text) == given  # read back exactly


def test_the_customers_words_are_context_not_a_fault(scorer: csqa.Scorer) -> None:
    from tests.conftest import make_call

    report = scorer.score(make_call(("agent", "您好!楠山农林客服部,请问有什么能帮您?"),
                                    ("customer", "我想问一下我订的树苗什么时候发货"), ("agent", "明天发货。"),
                                    rings=2, hangup_by="customer"))
    assert report.check("restate-question").status == "fail"
    page = Page(render_call(report))
    marks = [m for group in page.marks.values() for m in group]
    on_customer = [m for m in marks if m["row"] == "u-1"]
    assert on_customer and all(m["class"] == "ctx" and m["data-status"] == "fail" for m in on_customer)
    assert "not as a fault" in (on_customer[0]["title"] or "")
    assert all((m["class"] or "").startswith("s-") for m in marks if m["row"] != "u-1")
    assert "(customer's words, context)" in page.rows["rule-restate-question"]
