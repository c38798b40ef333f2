"""HTML reports: every evidence span is a <mark> quoting exactly its characters and linking to its rule's
row, text is escaped, Jupyter gets the fragment, the site and its file names, and the summary/report CLI."""

from __future__ import annotations

import gc
import json
import re
import weakref
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

import csqa
from csqa.cli import main
from csqa.outputs.callview import render_call, render_fragment
from csqa.outputs.html import PageNames, render_index, write_site
from csqa.outputs.report import CheckResult, Evidence
from csqa.outputs.summary import Summary, read_reports, summarize
from tests.conftest import make_call


class Page(HTMLParser):
    """What the tests read from a page: marks (grouped by ``data-ev``) with their text, the row each is in
    and the links inside them; every id; the text of each table row with an id; svg elements."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.marks: dict[str, list[dict[str, str | None]]] = defaultdict(list)
        self.text: dict[str, str] = defaultdict(str)
        self.links: dict[str, list[str]] = defaultdict(list)
        self.ids: list[str] = []
        self.rows: dict[str, str] = defaultdict(str)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[str | None] = []
        self._row: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "tr":
            self._row = a.get("id")
        if tag == "mark":
            key = a.get("data-ev")
            self._open.append(key)
            if key:
                self.marks[key].append({**a, "row": self._row})
        if tag == "a" and self._open and self._open[-1]:
            self.links[self._open[-1] or ""].append(a.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._open.pop()
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        for key in set(self._open):
            if key:
                self.text[key] += data
        if self._row:
            self.rows[self._row] += data

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def demo(scorer: csqa.Scorer, root: Path) -> list[csqa.Report]:
    return [r for r in scorer.score_many(csqa.load_calls(root / "corpora" / "demo")) if isinstance(r, csqa.Report)]


def overlaps(report: csqa.Report) -> int:
    spans = [(e.utterance, e.start, e.end) for c in report.checks for e in c.evidence if e.utterance is not None]
    return sum(a[0] == b[0] and a[1] < b[2] and b[1] < a[2] for i, a in enumerate(spans) for b in spans[i + 1:])


def assert_every_span_marked(report: csqa.Report, page: Page, prefix: str = "") -> None:
    """Each evidence span is one group of marks, in its utterance's row, naming its rule, whose text is the
    quote, with one link to the rule's row (which exists)."""
    expected = 0
    for i, check in enumerate(report.checks):
        for j, ev in enumerate(check.evidence):
            if ev.utterance is None:
                continue
            expected += 1
            key = f"{i}-{j}"
            assert page.marks[key], f"{check.rule} evidence {j} has no mark"
            assert {m["data-rule"] for m in page.marks[key]} == {check.rule}
            assert {m["row"] for m in page.marks[key]} == {f"{prefix}u-{ev.utterance}"}
            customers = report.utterances[ev.utterance].speaker == "customer"  # context, never the agent's fault
            assert {m["class"].split()[0] for m in page.marks[key]} == {"ctx" if customers else f"s-{check.status}"}  # type: ignore[union-attr]
            assert {m["data-status"] for m in page.marks[key]} == {check.status}
            assert page.text[key] == ev.quote
            assert page.links[key] == [f"#{prefix}rule-{check.rule}"]
    assert len(page.marks) == expected
    for check in report.checks:
        assert page.ids.count(f"{prefix}rule-{check.rule}") == 1
    assert len(page.ids) == len(set(page.ids))


def test_every_evidence_span_is_a_mark_that_quotes_it(demo: list[csqa.Report]) -> None:
    busy = [r for r in demo if r.failed and overlaps(r)]
    assert len(busy) >= 3  # the demo corpus has calls where two rules mark the same characters
    for report in busy:
        assert_every_span_marked(report, Page(render_call(report)))


def test_the_page_is_complete_and_self_contained(demo: list[csqa.Report]) -> None:
    report = next(r for r in demo if r.vetoed)
    html = render_call(report)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html and '<meta charset="utf-8">' in html
    assert '<table class="transcript" lang="zh-CN">' in html  # the page's words are English, the call's Chinese
    assert "Noto Sans CJK SC" in html and "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from the network
    page = Page(html)
    assert "FAIL 不合格" in html and "一票否决" in html
    for rule in report.vetoed:
        assert page.all("a", href=f"#rule-{rule}")
    speakers = re.findall(r'<td class="who">(.*?)</td>', html)
    assert len(speakers) == len(report.utterances) and set(speakers) == {"客服", "客户"}


def test_field_evidence_and_suggestions_are_in_the_rule_row(demo: list[csqa.Report]) -> None:
    report, check = next((r, c) for r in demo for c in r.failed if any(e.utterance is None for e in c.evidence))
    page = Page(render_call(report, rule_href=lambda rule: f"docs/{rule}.html"))
    row = page.rows[f"rule-{check.rule}"]
    for ev in check.evidence:
        if ev.utterance is None:
            assert ev.note in row and (ev.field or "") in row
    assert check.suggestion and check.suggestion in row
    assert page.all("a", href=f"docs/{check.rule}.html")


def crossing_report() -> csqa.Report:
    text = '<script>alert("x")</script> & 您好请讲'
    a, b = text.index("script"), text.index("您好")
    ev = [Evidence(utterance=0, start=a, end=b + 2, quote=text[a:b + 2], note="one <b>"),
          Evidence(utterance=0, start=b, end=len(text), quote=text[b:], note="two"),
          Evidence(utterance=0, start=b + 1, end=b + 1, quote="", note="a point"),
          Evidence(utterance=None, start=0, end=0, quote="", field="rings", note="rang <5> times")]
    checks = (
        CheckResult(rule="rule-a", code="A1", status="fail", severity="major", weight=5, message="m <i>",
                    suggestion="say <this>", evidence=(ev[0], ev[3])),
        CheckResult(rule="rule-b", code="B1", status="pass", severity="minor", weight=5, message="ok",
                    evidence=(ev[1], ev[2])),
    )
    return csqa.Report(call_id="x<1>/电话", agent_id="<A>", direction="inbound", score=50.0, passed=False,
                       pass_mark=80, scorecard="t", checks=checks,
                       utterances=(csqa.Utterance(speaker="agent", text=text, start=0.0, end=61.5),))


def test_crossing_spans_are_split_into_nested_marks_and_text_is_escaped() -> None:
    report = crossing_report()
    html = render_call(report)
    assert "<script" not in html and "&lt;/script&gt;" in html and "<b>" not in html and "<A>" not in html
    page = Page(html)
    assert not page.all("script") and not page.all("b") and not page.all("i")
    assert_every_span_marked(report, page)
    assert len(page.marks["0-0"]) == 1 and len(page.marks["1-0"]) == 2  # the later span is cut where the first ends
    assert "cont" in (page.marks["1-0"][1]["class"] or "") and page.marks["1-1"][0]["class"] == "s-pass point"
    assert "rang <5> times" in page.rows["rule-rule-a"] and "say <this>" in page.rows["rule-rule-a"]
    assert "0:00.0–1:01.5" in page.rows["u-0"]


def test_scored_call_with_markup_in_its_text_renders_it_as_text(scorer: csqa.Scorer) -> None:
    call = make_call(("agent", "您好!楠山农林客服部,请问有什么能帮您?"), ("customer", "<script>alert(1)</script>我的树苗呢"),
                     ("agent", "这跟我们没关系</td>"), call_id="<img src=x>", rings=2, hangup_by="customer")
    report = scorer.score(call)
    html = render_call(report)
    page = Page(html)
    assert not page.all("script") and not page.all("img")
    assert "<script>alert(1)</script>我的树苗呢" in page.rows["u-1"]
    assert_every_span_marked(report, page)


def test_repr_html_is_the_fragment(demo: list[csqa.Report]) -> None:
    report = next(r for r in demo if r.failed and overlaps(r))
    fragment = report._repr_html_()
    assert fragment == render_fragment(report)
    assert fragment.startswith('<div class="csqa"') and "<style>" in fragment and "<html" not in fragment
    page = Page(fragment)
    prefix = next(i for i in page.ids if i.endswith("u-0"))[:-3]
    assert prefix.startswith("csqa-")
    assert_every_span_marked(report, page, prefix)


def test_page_names_are_safe_and_unique() -> None:
    page_name = PageNames()
    ids = ["demo-01", "a/b", "a:b", "../../etc/passwd", "电话/001", "电话/002", "CON", "Demo-01", "demo-01", ".", "x" * 300,
           "demo-01-3", "demo-01", "demo-01"]
    names = [page_name(i) for i in ids]
    assert names[0] == "demo-01.html"
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.html", n) for n in names), names
    assert len({n.lower() for n in names}) == len(ids)
    assert names[6].lower() != "con.html"


def reports_file(tmp_path: Path, root: Path, *extra: str) -> Path:
    path = tmp_path / "reports.jsonl"
    assert main(["score", str(root / "corpora" / "demo"), "--format", "jsonl", "-o", str(path)]) == 0
    with path.open("a", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in extra)
    return path


def test_write_site_streams_and_links_every_call(tmp_path: Path, demo: list[csqa.Report]) -> None:
    odd = [demo[0].model_copy(update={"call_id": cid}) for cid in ("a/b", "电话/001", "demo-01")]
    error = csqa.CallError(code="E101", message="[E101] bad.jsonl line 3: <nope>", source="bad.jsonl", line=3)
    refs: list[weakref.ref[csqa.Report]] = []

    def stream() -> Iterator[csqa.Report | csqa.CallError]:
        for result in [*demo, *odd, error]:  # noqa: F821 - bound above; ruff takes the later 'del odd' for unbound
            if isinstance(result, csqa.Report):
                refs.append(weakref.ref(result))
            yield result

    kept = [*demo, *odd]
    index = write_site(stream(), tmp_path / "site")
    assert index == tmp_path / "site" / "index.html"
    pages = sorted((tmp_path / "site" / "calls").iterdir())
    assert len(pages) == len(kept) and all(re.fullmatch(r"[A-Za-z0-9._-]+\.html", p.name) for p in pages)
    page = Page(index.read_text(encoding="utf-8"))
    hrefs = [a["href"] for a in page.all("a") if (a["href"] or "").startswith("calls/") and a.get("class") != "to-review"]
    assert sorted(hrefs) == sorted(f"calls/{p.name}" for p in pages)
    assert "Errors (1)" in index.read_text(encoding="utf-8") and "&lt;nope&gt;" in index.read_text(encoding="utf-8")
    call_page = Page((tmp_path / "site" / "calls" / "demo-01.html").read_text(encoding="utf-8"))
    assert call_page.all("a", href="../index.html")
    assert call_page.all("a", href="../index.html#rule-restate-question")
    del kept, odd
    gc.collect()
    assert sum(ref() is not None for ref in refs) == len(demo)  # only the test's own list holds reports


def test_index_charts_carry_their_values(demo: list[csqa.Report]) -> None:
    summary = summarize(demo)
    page = Page(render_index(summary, [], pass_mark=80))
    charts = page.all("svg", role="img")
    assert len(charts) == 2 and all(c["aria-label"] for c in charts)
    assert page.all("title")
    bars = {b["data-rule"]: float(b["data-fail-rate"] or "nan") for b in page.all("rect") if b.get("data-fail-rate")}
    assert bars == pytest.approx({r.rule: r.fail_rate for r in summary.rules if r.fail_rate is not None}, abs=1e-5)
    dots = sorted((d["data-agent"], float(d["data-score"] or "nan")) for d in page.all("circle"))
    assert dots == sorted((a.agent_id, s) for a in summary.agents for s in a.scores)  # scores have 2 decimals
    assert page.all("line", data_pass_mark="80")
    assert page.ids.count("rule-restate-question") == 1


def test_cli_summary_and_report(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = csqa.CallError(code="E101", message="[E101] bad.jsonl line 1: x", call_id="b1").model_dump_json()
    reports = reports_file(tmp_path, root, error)
    capsys.readouterr()
    assert main(["summary", str(reports)]) == 0
    table = capsys.readouterr().out
    assert "(1 errors)" in table and "restate-question" in table and "fails most" in table
    assert main(["summary", str(reports), str(reports), "--format", "json"]) == 0
    summary = Summary.model_validate(json.loads(capsys.readouterr().out))
    assert summary.errors == 2 and summary.calls == 2 * len(list(read_reports(reports)))
    assert main(["report", str(reports), "-o", str(tmp_path / "site")]) == 0
    index = Path(capsys.readouterr().out.strip())
    assert index == tmp_path / "site" / "index.html" and index.is_file()
    assert "b1" in index.read_text(encoding="utf-8")
    assert main(["report", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "x")]) == 2  # a usage mistake
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert main(["report", str(reports), "-o", str(tmp_path / "file")]) == 2
    assert "cannot be written" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", str(reports)])  # -o is required


def test_without_a_transcript_evidence_is_listed_per_rule(demo: list[csqa.Report]) -> None:
    report = next(r for r in demo if r.failed).model_copy(update={"utterances": ()})
    page = Page(render_call(report))
    assert not page.marks and "without its transcript" in render_call(report)
    check = next(c for c in report.failed if any(e.utterance is not None and e.quote for e in c.evidence))
    quote = next(e.quote for e in check.evidence if e.utterance is not None and e.quote)
    assert f"「{quote}」" in page.rows[f"rule-{check.rule}"]


def test_cli_help_for_the_new_commands(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("summary", "report"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0 and f"usage: csqa {command}" in capsys.readouterr().out
