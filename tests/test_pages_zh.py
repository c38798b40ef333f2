"""Pages and summaries in Simplified Chinese: ``lang="zh"`` (``--lang zh``) changes the words of the index, the
call pages, the charts, the review controls, the Jupyter views and the text summary, and nothing else: the
evidence, codes, ids, ``data-`` attributes and the data the pages' scripts and review files use are those of
the English pages, so a review saved from a Chinese page reads like one saved from an English page."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import csqa
from csqa.cli import main
from csqa.input.model import CallError
from csqa.outputs.callview import render_call, render_fragment
from csqa.outputs.html import write_site
from csqa.outputs.i18n import LANGS, MESSAGES, template_fields, ui_text
from csqa.outputs.reviews import ReviewFile
from csqa.outputs.summary import Summary, summarize
from csqa.outputs.summaryview import render_summary
from tests.test_i18n import english_in

EN, ZH = ui_text("en"), ui_text("zh")
SHEET_KEYS = ("sheet.", "col.", "ev.context", "ev.agent", "ev.customer")  # the sheets' headers, not on pages
PAGE_KEYS = [key for key in EN if not key.startswith(SHEET_KEYS)]
_HUMAN_ATTRS = ("title", "placeholder", "aria-label")  # words a reader sees
_LANG_ATTRS = (*_HUMAN_ATTRS, "lang")


class Page(HTMLParser):
    """What a reader sees of a page (text outside scripts, styles and the transcript's utterances, tooltips,
    placeholders, labels) and what its scripts and tests read (every attribute but those and ``lang``, the JSON
    data blocks, the text of each mark)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = ""
        self.seen: list[str] = []
        self.attrs: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []
        self.data: dict[str, Any] = {}
        self.marks: dict[str, str] = {}
        self._skip: str | None = None
        self._json: str | None = None
        self._open: list[str | None] = []
        self._utterance = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        self.seen += [v for k, v in attrs if k in _HUMAN_ATTRS and v]
        self.attrs.append((tag, tuple((k, v) for k, v in attrs if k not in _LANG_ATTRS)))
        if tag in ("script", "style"):
            self._skip = tag
            self._json = a.get("id") if a.get("type") == "application/json" else None
        if tag == "td" and a.get("class") == "text":
            self._utterance = True
        if tag == "mark":
            self._open.append(a.get("data-ev"))
            if a.get("data-ev") and "cont" not in (a.get("class") or ""):
                self.marks.setdefault(a["data-ev"] or "", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skip:
            self._skip = self._json = None
        if tag == "td":
            self._utterance = False
        if tag == "mark":
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._json:
            self.data[self._json] = json.loads(data)
        elif not self._skip and not self._utterance and data.strip():
            self.seen.append(data.strip())
        for key in set(self._open):
            if key:
                self.marks[key] = self.marks.get(key, "") + data

    def text(self) -> str:
        return "\n".join(self.seen)


def english_labels_in(text: str) -> dict[str, str]:
    """The English words of the pages' catalogue found in ``text``: each English label (its literal pieces,
    a template's fields aside) whose Chinese is different, found as a whole word or phrase."""
    found = {}
    for key in PAGE_KEYS:
        if EN[key] == ZH[key]:
            continue
        for piece in re.split(r"\{[^}]*\}", EN[key]):
            piece = piece.strip(" .,:;()←→–—·")
            if len(re.findall("[A-Za-z]", piece)) >= 2 and re.search(rf"(?<![A-Za-z]){re.escape(piece)}(?![A-Za-z])", text):
                found[key] = piece
    return found


# The data a Chinese page shows as it is: rule ids, codes, call ids, ISO weeks, the source file, the scorecard's
# name, and the call's own words (quoted in 「」). A Latin word next to a Chinese one has no \b between them.
_DATA = re.compile(r"(?<![\w-])(?:[a-z]+(?:-[a-z]+)+|(?:demo|bad)-[\w-]+|[A-Z]{1,3}\d{2,4}|\d{4}-W\d{2}|day\.jsonl|default)"
                   r"(?![\w-])|「[^」]*」", re.ASCII)


def without_data(text: str) -> str:
    return _DATA.sub(" ", text)


# --- the catalogue ---------------------------------------------------------------------------------------


def test_every_word_of_the_pages_has_both_languages_with_the_same_fields() -> None:
    assert set(EN) == set(ZH) and len(EN) > 180
    for key in EN:
        assert EN[key] and ZH[key], key
        assert template_fields(EN[key]) == template_fields(ZH[key]), key
    leftovers = {key: english_in(re.sub(r"\{[^}]*\}", "", ZH[key])) for key in PAGE_KEYS}
    assert not {key: words for key, words in leftovers.items() if words}
    for message, texts in MESSAGES.items():
        if message.startswith("summary."):
            assert not english_in(re.sub(r"\{[^}]*\}", "", texts["zh"])), message
    assert ui_text("zh-CN") is ZH
    with pytest.raises(csqa.UsageError):
        ui_text("fr")


# --- the pages ------------------------------------------------------------------------------------------


def _calls(root: Path) -> list[csqa.Call]:
    """The demo calls, in two teams, most of them with a start time over a week (the trend)."""
    start = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    demo = [c for c in csqa.load_calls(root / "corpora" / "demo") if isinstance(c, csqa.Call)]
    return [c.model_copy(update={"team": ["一组", None][i % 2],
                                 "started_at": None if i % 5 == 4 else start + dt.timedelta(days=i // 3, minutes=i)})
            for i, c in enumerate(demo)]


def _review(report: csqa.Report, rule: str, status: str, reviewer: str = "王芳") -> dict[str, Any]:
    return {"call_id": report.call_id, "rule": rule, "code": report.check(rule).code,
            "csqa_status": report.check(rule).status, "status": status, "comment": "", "reviewer": reviewer,
            "time": "2026-03-09T02:30:11.004Z", "csqa_version": csqa.__version__, "scorecard": report.scorecard}


@pytest.fixture(scope="module")
def sites(scorer: csqa.Scorer, root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same batch (an error record and reviews included) as an English site and a Chinese one, each from
    reports scored in its language."""
    out = tmp_path_factory.mktemp("sites")
    calls = _calls(root)
    reviews_file = out / "reviews.json"
    reports = list(scorer.score_many(calls))
    first = next(r for r in reports if isinstance(r, csqa.Report) and r.failed)
    right = next(c for c in first.checks if c.status != "fail")
    reviews_file.write_text(json.dumps({
        "format": "csqa-reviews/1", "reviewer": "王芳", "saved_at": "2026-03-09T02:31:02Z",
        "reviews": [_review(first, first.failed[0].rule, "pass"), _review(first, right.rule, right.status)],
    }, ensure_ascii=False), encoding="utf-8")
    reviews = csqa.load_reviews(reviews_file)
    error = CallError(call_id="bad-1", source="day.jsonl", line=3, code="E101", message=ERROR)
    for lang in LANGS:
        results = [*scorer.in_lang(lang).score_many(calls), error]
        write_site(results, out / lang, reviews=reviews, lang=lang)
    return {lang: out / lang for lang in LANGS}


ERROR = "[E101] day.jsonl line 3: not a call"  # error messages are English in every language (data here)


def _pages(site: Path) -> Iterator[tuple[str, Page]]:
    yield "index.html", Page((site / "index.html").read_text(encoding="utf-8"))
    for path in sorted((site / "calls").glob("*.html")):
        yield f"calls/{path.name}", Page(path.read_text(encoding="utf-8"))


def _data(page: Page) -> dict[str, Any]:
    """The pages' data their scripts read, without the words they show."""
    return {name: {k: v for k, v in block.items() if k != "text"} for name, block in page.data.items()}


def test_a_chinese_site_has_the_english_sites_pages_evidence_codes_and_data(sites: dict[str, Path]) -> None:
    english, chinese = dict(_pages(sites["en"])), dict(_pages(sites["zh"]))
    assert english.keys() == chinese.keys() and len(chinese) > 10
    for name, zh in chinese.items():
        en = english[name]
        assert (en.lang, zh.lang) == ("en", "zh-CN"), name
        assert zh.attrs == en.attrs, name  # every element, id, class, href and data- attribute
        assert zh.marks == en.marks and (zh.marks or name == "index.html"), name  # the evidence, quote for quote
        assert _data(zh) == _data(en), name  # the calls' rows, the checks a review names
        for block in zh.data.values():
            if "text" in block:
                assert set(block["text"].values()) <= set(ZH.values()), name  # what the scripts show: Chinese
                assert block["text"].keys() == next(b["text"].keys() for b in en.data.values() if "text" in b), name


def test_chinese_pages_carry_the_chinese_words(sites: dict[str, Path]) -> None:
    index = (sites["zh"] / "index.html").read_text(encoding="utf-8")
    for key in ("index.title", "fig.mean", "chart.trend", "chart.fail_rate", "chart.scores", "h.rules", "h.agents",
                "h.agreement", "calls.search", "calls.rule", "calls.verdict", "calls.clear", "calls.prev", "review.save",
                "review.reviewer", "review.help", "errors.note", "agreement.note", "review.note", "chart.trend.legend",
                "group.none.team", "th.fails_most"):
        assert ZH[key] in index, key
    page = Page(index)
    assert ZH["h.to_review"].split("{")[0] in page.text() and ZH["h.calls"].split("{")[0] in page.text()
    assert ZH["errors.line"].format(line=3).strip() in index and ERROR in index
    assert "按班组" in index and "按周统计的平均分" not in index  # trend by day: a week of calls
    assert "按日期统计的平均分，以及低于合格线的通话占比" in index
    assert "呼入" in index and "回访" in index and ZH["verdict.pass"] in index
    call = next(p for p in (sites["zh"] / "calls").glob("*.html") if "一票否决" in p.read_text(encoding="utf-8"))
    text = call.read_text(encoding="utf-8")
    for key in ("h.transcript", "th.finding", "th.say", "th.evidence", "call.back", "transcript.ctx", "review.nojs",
                "status.fail", "verdict.fail", "call.vetoed", "speaker.agent", "speaker.customer"):
        assert ZH[key] in text, key
    assert re.search(r'<div class="muted">(严重|重要|轻微|提示) · ', text)  # severities in Chinese
    reviewed = (sites["zh"] / "calls").glob("*.html")
    assert any("王芳的复核：有误，应为通过" in p.read_text(encoding="utf-8") for p in reviewed)


def test_no_english_label_leaks_into_a_chinese_page(sites: dict[str, Path], scorer: csqa.Scorer) -> None:
    """Everything a reader sees of a Chinese page (text, tooltips, placeholders, labels): no English word of
    the catalogue, and no English word at all but the ids, codes and names of the data."""
    for name, page in _pages(sites["zh"]):
        seen = without_data(page.text().replace(ERROR, ""))
        assert not english_labels_in(seen), name
        leftovers = set(re.findall(r"[A-Za-z][A-Za-z_]+", seen)) - {"csqa", "started_at", "hangup_by", "ring_seconds",
                                                                       "rings", "events", "ID"}
        assert not leftovers, name
    english = next(page for name, page in _pages(sites["en"]) if name == "index.html")
    assert len(english_labels_in(english.text())) > 40  # the check finds the English where it is


def test_a_review_saved_from_a_chinese_page_goes_through_csqa_reviews(sites: dict[str, Path], root: Path,
                                                                         tmp_path: Path) -> None:
    """A review made as the call page's script makes it, from the Chinese page's data only, is read by
    ``csqa reviews`` into the same labels as one from the English page."""
    calls = tmp_path / "calls.jsonl"
    calls.write_text("".join(c.model_dump_json() + "\n" for c in _calls(root)), encoding="utf-8")
    labels = {}
    for lang in LANGS:
        data = next(p.data["csqa-data"] for name, p in _pages(sites[lang])
                    if name != "index.html" and any(c["status"] == "fail" for c in p.data["csqa-data"]["checks"]))
        check = next(c for c in data["checks"] if c["status"] == "fail")
        review = {"call_id": data["call_id"], "rule": check["rule"], "code": check["code"], "csqa_status": check["status"],
                  "status": "pass", "comment": "坐席其实说了", "reviewer": "李雷", "time": "2026-03-09T03:00:00.000Z",
                  "csqa_version": data["csqa_version"], "scorecard": data["scorecard"]}
        folder = tmp_path / lang
        folder.mkdir()
        (folder / "csqa-reviews-李雷.json").write_text(json.dumps(
            {"format": "csqa-reviews/1", "reviewer": "李雷", "saved_at": "2026-03-09T03:00:01.000Z", "reviews": [review]},
            ensure_ascii=False), encoding="utf-8")
        ReviewFile.model_validate_json((folder / "csqa-reviews-李雷.json").read_text(encoding="utf-8"))
        out = tmp_path / f"{lang}.jsonl"
        assert main(["reviews", str(folder), "--calls", str(calls), "-o", str(out)]) == 0
        record = json.loads(out.read_text(encoding="utf-8"))
        labels[lang] = (record["call"]["call_id"], record["gold"])
    assert labels["zh"] == labels["en"] and labels["zh"][1] == {check["rule"]: "pass"}


# --- Jupyter and the text summary -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(scorer: csqa.Scorer, root: Path) -> dict[str, list[csqa.Report | CallError]]:
    error = CallError(call_id="bad-1", code="E101", message="[E101] x")
    return {lang: [*scorer.in_lang(lang).score_many(_calls(root)), error] for lang in LANGS}


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"\d+(?:\.\d+)?%?", text))


def test_the_text_summary_in_chinese_has_the_same_counts(reports: dict[str, list[Any]]) -> None:
    for by in ((), ("team", "day", "week", "direction")):
        english = summarize(reports["en"], by=by)
        chinese = summarize(reports["en"], by=by, lang="zh")
        assert chinese.model_dump_json() == english.model_dump_json()  # the data does not depend on the language
        assert chinese.lang == "zh" and english.in_lang("zh") == chinese and chinese.in_lang("zh") is chinese
        table = chinese.table()
        assert table == english.table(lang="zh") and english.table() == chinese.table(lang="en")
        assert _numbers(table) == _numbers(english.table())
        assert "个通话（1个错误），平均分" in table and "不通过率" in table and "需要人工复核" in table
        assert ("最常不通过" in table) and ("（无班组）" in table) == bool(by) and ("呼入" in table) == bool(by)
        stripped = without_data(table)
        assert not english_in(stripped) and not english_labels_in(stripped)
    with pytest.raises(csqa.UsageError):
        summarize(reports["en"], lang="fr")


def test_jupyter_views_in_chinese(reports: dict[str, list[Any]]) -> None:
    summary = summarize(reports["zh"], by=("team",), lang="zh")
    html = summary._repr_html_()
    assert html.startswith('<div class="csqa" lang="zh-CN">') and ZH["chart.fail_rate"] in html and "按班组" in html
    assert render_summary(summary, lang="en").startswith('<div class="csqa" lang="en">')
    assert not english_labels_in(Page(html).text())
    english = Page(render_summary(summary.in_lang("en")))
    assert Page(html).attrs == english.attrs  # the charts' data- attributes, the same
    report = next(r for r in reports["zh"] if isinstance(r, csqa.Report) and r.failed)
    fragment = render_fragment(report, lang="zh")
    assert fragment.startswith('<div class="csqa" lang="zh-CN">') and ZH["th.finding"] in fragment
    assert Page(fragment).marks == Page(render_fragment(report)).marks
    page = render_call(report, lang="zh-CN")
    assert '<html lang="zh-CN">' in page and "<script" not in page


# --- the command line -------------------------------------------------------------------------------------


def test_summary_and_report_take_lang(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text("".join(c.model_dump_json() + "\n" for c in _calls(root)), encoding="utf-8")
    reports = tmp_path / "reports.jsonl"
    assert main(["score", str(calls), "--format", "jsonl", "-o", str(reports), "--lang", "zh"]) == 0
    capsys.readouterr()
    outputs = {}
    for lang in ("en", "zh-CN"):
        assert main(["summary", str(reports), "--by", "team", "--lang", lang]) == 0
        outputs[lang] = capsys.readouterr().out
    assert "个通话" in outputs["zh-CN"] and "不通过率" in outputs["zh-CN"] and "fail rate" in outputs["en"]
    assert _numbers(outputs["zh-CN"]) == _numbers(outputs["en"])
    jsons = []
    for lang in LANGS:
        assert main(["summary", str(reports), "--format", "json", "--lang", lang]) == 0
        jsons.append(capsys.readouterr().out)
    assert jsons[0] == jsons[1] and Summary.model_validate_json(jsons[0]).lang == "en"
    assert main(["report", str(reports), "-o", str(tmp_path / "site"), "--lang", "zh"]) == 0
    index = Path(capsys.readouterr().out.strip())
    assert '<html lang="zh-CN">' in index.read_text(encoding="utf-8")
    assert all('<html lang="zh-CN">' in p.read_text(encoding="utf-8") for p in (tmp_path / "site" / "calls").iterdir())
    monkeypatch.setenv("CSQA_LANG", "zh")
    assert main(["report", str(reports), "-o", str(tmp_path / "site-env")]) == 0
    assert ZH["index.title"] in (tmp_path / "site-env" / "index.html").read_text(encoding="utf-8")
    assert main(["report", str(reports), "-o", str(tmp_path / "site-en"), "--lang", "en"]) == 0  # the option wins
    assert '<html lang="en">' in (tmp_path / "site-en" / "index.html").read_text(encoding="utf-8")
    capsys.readouterr()


@pytest.mark.parametrize("command", [["summary"], ["summary", "--format", "json"], ["report", "-o", "OUT"]])
def test_an_unknown_language_for_summary_or_report_exits_2_with_one_line(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports.jsonl"
    reports.write_text("", encoding="utf-8")
    argv = [command[0], str(reports), *(str(tmp_path / "out") if a == "OUT" else a for a in command[1:])]
    for lang in ("fr", "zh-TW"):
        assert main([*argv, "--lang", lang]) == 2
        out = capsys.readouterr()
        assert out.err.count("\n") == 1 and f"[E400] --lang '{lang}'" in out.err and not out.out
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_report_scored_in_chinese_shows_its_jupyter_view_in_chinese() -> None:
    call = {"call_id": "z1", "utterances": [{"speaker": "agent", "text": "您好"}]}
    chinese, english = csqa.score(call, lang="zh"), csqa.score(call)
    assert chinese.lang == "zh" and english.lang == "en"
    assert chinese._repr_html_().startswith('<div class="csqa" lang="zh-CN">')
    assert chinese._repr_html_() != english._repr_html_()
    assert "lang" not in json.loads(chinese.model_dump_json())  # the JSON is the same shape in both languages
    parallel = list(csqa.Scorer(lang="zh").score_many([call, {**call, "call_id": "z2"}], workers=2))
    assert [r.lang for r in parallel] == ["zh", "zh"]
