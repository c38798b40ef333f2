"""HTML pages over a batch: the index a team works from (figures, trend, fail rates, agents, every call) and
whole sites.

Why: JSON Lines are for pipelines, but a team lead needs fail rates and trends at a glance, and a reviewer
needs to find the calls that matter — the lowest scores, one agent's week, every call that failed one rule —
among thousands. The index carries every call as data, and a small inline script (``assets/index.js``) sorts
by any column, filters by failed rule, agent, team, verdict and date, searches, and draws one page of 100 rows
at a time, so 10,000 calls stay quick (``benchmarks/pages.py`` measures it); with JavaScript off, the page
lists every call in a plain table instead. Every page is one self-contained file — inline CSS, SVG and
script, nothing fetched — so a site opens from a file share, a mail attachment or an offline archive.

``render_index`` gives the index and ``write_site`` writes a whole site from a stream of reports, keeping only
one small row per call for the index; the call pages are :mod:`csqa.outputs.callview`'s, with the review
controls of :mod:`csqa.outputs.reviews`' loop.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from csqa.input.model import CallError
from csqa.outputs.callview import (
    asset,
    escape,
    page,
    render_call,
    review_bar,
    review_strings,
    script_json,
)
from csqa.outputs.i18n import Lang, check_lang, ui_text
from csqa.outputs.report import Report
from csqa.outputs.reviews import ReviewSet
from csqa.outputs.summary import Summary, summarize
from csqa.outputs.summaryview import (
    SUMMARY_CSS,
    agent_table,
    agreement_table,
    charts,
    figures,
    group_table,
    rule_table,
    table,
)

__all__ = ["CallLink", "PageNames", "render_index", "write_site"]

_INDEX_CSS = SUMMARY_CSS + """
.csqa .filters { display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: end; margin: .4em 0 .6em; font-size: .9em; }
.csqa .filters label { display: flex; flex-direction: column; gap: .15em; color: #57606a; }
.csqa .filters input[type=search] { min-width: 16em; }
.csqa #calls-count { color: #57606a; font-size: .9em; margin: .3em 0; }
.csqa .calls th button.sort { all: unset; cursor: pointer; }
.csqa .calls th button.sort:focus-visible { outline: 2px solid #0b5cad; }
.csqa .calls th button.sort::after { content: " \\2195"; color: #8c959f; font-size: .85em; }
.csqa .calls th[aria-sort=ascending] button.sort::after { content: " \\25B2"; color: #1f2328; }
.csqa .calls th[aria-sort=descending] button.sort::after { content: " \\25BC"; color: #1f2328; }
.csqa .calls td { white-space: nowrap; }
.csqa .calls td:last-child { white-space: normal; }
.csqa .pager { display: flex; gap: 1em; align-items: center; margin: .6em 0; }
.csqa .disagree { color: #c62828; font-weight: 600; }
.csqa td.v-pass { color: #2e7d32; font-weight: 600; }
.csqa td.v-fail { color: #c62828; font-weight: 600; }
.csqa td.v-none { color: #6e7781; }
"""

# --- the index ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallLink:
    """What the index keeps of one call: its row in the list of calls, not the report."""

    call_id: str
    href: str
    agent_id: str | None
    direction: str
    score: float | None
    passed: bool | None
    failed: tuple[str, ...]
    vetoed: tuple[str, ...]
    team: str | None = None
    started: str | None = None
    meta: str = ""
    reviewed: int = 0
    disagreed: int = 0

    @classmethod
    def of(cls, report: Report, href: str, reviews: ReviewSet | None = None) -> CallLink:
        reviewed = disagreed = 0
        if reviews is not None and reviews.has_call(report.call_id):
            for check in report.checks:
                verdict = reviews.get(report.call_id, check.rule)
                if verdict is not None:
                    reviewed += 1
                    disagreed += verdict.status != check.status
        started = None if report.started_at is None else report.started_at.strftime("%Y-%m-%d %H:%M")
        meta = " ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in report.metadata.items())
        vetoed = tuple(c.code for c in report.checks if c.rule in report.vetoed)
        return cls(report.call_id, href, report.agent_id, report.direction, report.score, report.passed,
                   tuple(c.code for c in report.failed), vetoed, report.team, started, meta, reviewed, disagreed)


def _verdict_key(passed: bool | None) -> str:
    return "none" if passed is None else "pass" if passed else "fail"


def _call_rows(calls: Sequence[CallLink], t: Mapping[str, str], *, teams: bool, dates: bool, reviews: bool) -> Iterator[str]:
    """The plain table's rows (pages read without JavaScript): the same cells as the script draws, kept lean."""
    none, veto = escape(t["none"]), escape(t["calls.veto"])
    verdicts = {key: f'<td class="v-{key}">{escape(t["verdict." + key])}</td>' for key in ("pass", "fail", "none")}
    for c in calls:
        failed = escape(" ".join(c.failed)) or none
        if c.vetoed:
            failed += f' <span class="badge s-fail">{veto} {escape(" ".join(c.vetoed))}</span>'
        cells = [f'<td><a href="{escape(c.href)}">{escape(c.call_id)}</a></td><td>{escape(c.agent_id or t["none"])}</td>']
        if teams:
            cells.append(f"<td>{escape(c.team or t['none'])}</td>")
        if dates:
            cells.append(f"<td>{escape(c.started or t['none'])}</td>")
        direction = escape(t.get(f"calls.dir.{c.direction}", c.direction))
        cells.append(f'<td>{direction}</td><td class="num">{"–" if c.score is None else f"{c.score:.1f}"}</td>'
                     + verdicts[_verdict_key(c.passed)])
        if reviews:
            text = escape(t["calls.reviewed"].format(n=c.reviewed)) if c.reviewed else none
            if c.disagreed:
                text += f' <span class="disagree">{escape(t["calls.disagreed"].format(n=c.disagreed))}</span>'
            cells.append(f"<td>{text}</td>")
        cells.append(f"<td>{failed}</td>")  # last: the one cell that wraps
        yield "<tr>" + "".join(cells) + "</tr>"


def _options(values: Iterable[tuple[str, str]], t: Mapping[str, str]) -> str:
    return f'<option value="">{escape(t["calls.any"])}</option>' + "".join(
        f'<option value="{escape(v)}">{escape(label)}</option>' for v, label in values)


def _calls_section(summary: Summary, calls: Sequence[CallLink], t: Mapping[str, str]) -> str:
    teams = any(c.team for c in calls)
    dates = any(c.started for c in calls)
    reviews = any(c.reviewed for c in calls)
    none = t["none"]
    keys = [("call", "th.call"), ("agent", "th.agent")] + ([("team", "th.team")] if teams else []) + (
        [("started", "th.started")] if dates else []) + [("direction", "th.direction"), ("score", "th.score"),
                                                           ("verdict", "th.verdict")] + (
        [("reviews", "th.reviews")] if reviews else []) + [("failed", "th.failed")]
    num = ' class="num"'
    head = "".join(f'<th data-key="{key}"{num if key == "score" else ""}>{escape(t[label])}</th>' for key, label in keys)
    rule_options = _options(((r.code, f"{r.code} {r.rule}") for r in summary.rules if r.fails), t)
    agents = sorted({c.agent_id or none for c in calls})
    filters = [
        f'<label>{escape(t["calls.search"])}<input type="search" id="f-q" '
        f'placeholder="{escape(t["calls.search.hint"])}"></label>',
        f'<label>{escape(t["calls.rule"])}<select id="f-rule">{rule_options}</select></label>',
        f'<label>{escape(t["calls.agent"])}<select id="f-agent">{_options(((a, a) for a in agents), t)}</select></label>',
    ]
    if teams:
        filters.append(f'<label>{escape(t["calls.team"])}<select id="f-team">'
                       f'{_options(((x, x) for x in sorted({c.team or none for c in calls})), t)}</select></label>')
    verdicts = [("pass", t["verdict.pass"]), ("fail", t["verdict.fail"]), ("none", t["verdict.none"])]
    filters.append(f'<label>{escape(t["calls.verdict"])}<select id="f-verdict">{_options(verdicts, t)}</select></label>')
    if dates:
        filters += [f'<label>{escape(t["calls.from"])}<input type="date" id="f-from"></label>',
                    f'<label>{escape(t["calls.to"])}<input type="date" id="f-to"></label>']
    filters.append(f'<button type="button" id="f-clear">{escape(t["calls.clear"])}</button>')
    rows = "\n".join(_call_rows(calls, t, teams=teams, dates=dates, reviews=reviews))
    data = [[c.call_id, c.href, c.agent_id or "", c.team or "", c.started or "", c.direction,
             c.score, "" if c.score is None else f"{c.score:.1f}", _verdict_key(c.passed), " ".join(c.failed),
             " ".join(c.vetoed), c.meta, c.reviewed, c.disagreed] for c in calls]
    columns = [key for key, _ in keys]
    # With JavaScript the rows are drawn from the data, one page at a time; the table of every call is in a
    # <noscript>, which a browser running scripts reads as plain text, without building 10,000 rows.
    return (f'<section id="calls">\n<h2>{escape(t["h.calls"].format(n=len(calls)))}</h2>\n'
            f'<form class="filters js-only" id="csqa-filters" role="search">{"".join(filters)}</form>\n'
            f'<p class="js-only" id="calls-count" role="status"></p>\n'
            f'<table class="calls js-only" id="calls-table"><thead><tr>{head}</tr></thead><tbody></tbody></table>\n'
            f'<nav class="pager js-only"><button type="button" id="p-prev">{escape(t["calls.prev"])}</button>'
            f'<span id="p-info"></span><button type="button" id="p-next">{escape(t["calls.next"])}</button></nav>\n'
            f'<script type="application/json" id="csqa-calls">{script_json({"columns": columns, "rows": data})}</script>\n'
            f'<noscript><p class="muted">{escape(t["calls.nojs"])}</p>\n'
            f'<table class="calls" id="calls-static"><thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>'
            "</noscript>\n</section>")


def _error_rows(errors: Sequence[CallError], t: Mapping[str, str]) -> Iterator[str]:
    for e in errors:
        where = escape(e.source or "–") + ("" if e.line is None else escape(t["errors.line"].format(line=e.line)))
        yield (f"<tr><td><code>{escape(e.code)}</code></td><td>{where}</td><td>{escape(e.call_id or '–')}</td>"
               f"<td>{escape(e.message)}</td></tr>")


def _index_data(t: Mapping[str, str]) -> dict[str, object]:
    text = {key.removeprefix("calls."): value for key, value in t.items() if key.startswith("calls.")}
    verdicts = {f"verdict.{v}": t[f"verdict.{v}"] for v in ("pass", "fail", "none")}
    return {"root": ".", "page": 100, "text": {**text, **verdicts, "dash": t["none"], **review_strings(t)}}


def _review_section(summary: Summary, calls: Sequence[CallLink], t: Mapping[str, str]) -> str:
    """The calls whose fails are unsure (below the rule file's review threshold), the least sure first, each
    linked to its page: where a reviewer should look before those fails count against an agent."""
    href = {c.call_id: c.href for c in calls}
    rows = []
    for item in summary.to_review:
        link = href.get(item.call_id)
        name = escape(item.call_id)
        cell = f'<a class="to-review" href="{escape(link)}">{name}</a>' if link else name
        rows.append(f"<tr><td>{cell}</td><td>{escape(item.agent_id or t['none'])}</td>"
                    f"<td>{escape(t['sep.comma'].join(item.rules))}</td><td class=\"num\">{item.confidence:.2f}</td></tr>")
    shown = t["review.more"].format(n=len(summary.to_review)) if summary.to_review_calls > len(summary.to_review) else ""
    return (f'<h2 id="to-review">{escape(t["h.to_review"].format(n=summary.to_review_calls))}</h2>'
            f'<p class="muted">{escape(t["review.note"])}{escape(shown)}</p>'
            + table([t["th.call"], t["th.agent"], t["th.unsure"], t["th.confidence"]], rows))


def render_index(summary: Summary, calls: Sequence[CallLink], *, errors: Sequence[CallError] = (),
                 pass_mark: float | None = None, title: str | None = None, review: bool = True,
                 text: Mapping[str, str] | None = None, lang: Lang = "en") -> str:
    """The index page: overall figures, the trend (by day or week, when calls have start times), fail rate
    per rule, scores per agent, the agreement with reviewers (when the summary has reviews), the rule, agent
    and team tables, every call (sortable, filterable, searchable, paged), and the calls that could not be
    scored. ``pass_mark`` overrides the summary's own; ``review`` adds the reviewer's bar (name, save).
    ``lang`` is the language of the page's words (``"en"`` or ``"zh"``); ``text`` replaces the catalogue's."""
    chosen = check_lang(lang)
    t = text or ui_text(chosen)
    if pass_mark is not None and summary.pass_marks != (pass_mark,):
        summary = summary.model_copy(update={"pass_marks": (pass_mark,)})
    parts = [f"<h1>{escape(title or t['index.title'])}</h1>", figures(summary, t)]
    if review:
        parts.append(review_bar(t))
    parts += [charts(summary, t), f"<h2>{escape(t['h.rules'])}</h2>", rule_table(summary, filter_links=True, text=t)]
    if summary.agreement or summary.reviews_unmatched:
        parts += [f'<h2 id="agreement">{escape(t["h.agreement"])}</h2>',
                  agreement_table(summary.agreement, summary.reviews_unmatched, text=t)]
    parts += [f"<h2>{escape(t['h.agents'])}</h2>", agent_table(summary.agents, text=t)]
    for by in summary.by:
        groups = summary.grouped(by)
        if by in ("agent", "day", "week") or not any(not g.key.startswith("(") for g in groups):
            continue  # agents have their table, days and weeks the trend; a grouping nobody has is not shown
        parts += [f"<h2>{escape(t['h.groups'].format(by=t.get(f'th.{by}', by)))}</h2>", group_table(by, groups, text=t)]
    if summary.to_review:
        parts.append(_review_section(summary, calls, t))
    parts.append(_calls_section(summary, calls, t))
    if errors:
        parts += [f"<h2>{escape(t['h.errors'].format(n=len(errors)))}</h2>", f'<p class="muted">{escape(t["errors.note"])}</p>',
                  table([t["th.code"], t["th.where"], t["th.call"], t["th.message"]], _error_rows(errors, t))]
    parts.append(f'<script type="application/json" id="csqa-data">{script_json(_index_data(t))}</script>')
    script = (asset("reviews.js") + "\n" if review else "") + asset("index.js")
    return page(title or t["index.title"], _INDEX_CSS, "\n".join(parts), script=script, lang=chosen)


# --- a site ---------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class PageNames:
    """File names for call pages, unique within one site.

    Only ASCII letters, digits, ``.``, ``_`` and ``-`` are kept, so a name is safe in a URL and on every file
    system; an id that had to change (slashes, Chinese, a reserved Windows name, too long) gets eight hex
    digits of its SHA-1, so that ``a/b`` and ``a:b`` stay apart; a repeated id gets ``-2``, ``-3`` …. Names
    are compared lower-cased (case-insensitive file systems). Each slug remembers the last suffix it gave,
    so that 20,000 reports with one id cost 20,000 steps, not 20,000²/2.
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}

    def __call__(self, call_id: str) -> str:
        slug = _UNSAFE.sub("_", call_id).strip("._-")[:60] or "call"
        if slug != call_id or slug.split(".")[0].lower() in _RESERVED:
            slug += "-" + hashlib.sha1(call_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        key = slug.lower()
        name, n = slug, self._next.get(key, 1)
        if n > 1:
            name = f"{slug}-{n}"
        while name.lower() in self._taken:
            n += 1
            name = f"{slug}-{n}"
        self._next[key] = n + 1
        self._taken.add(name.lower())
        return f"{name}.html"


def _index_rule(rule: str) -> str:
    return f"../index.html#rule-{rule}"


def write_site(results: Iterable[Report | CallError], out_dir: str | Path, *, reviews: ReviewSet | None = None,
               lang: Lang = "en") -> Path:
    """Write ``calls/<name>.html`` for each report and ``index.html`` over all of them; return the index path.

    Reports are streamed: each page is written as its report arrives and only a :class:`CallLink` row (and
    the error records) is kept for the index. Call pages link their rules to the index's rule table and
    carry the review controls. ``reviews`` (:func:`~csqa.outputs.reviews.load_reviews`) adds the agreement of
    csqa with the reviewers to the index and shows the reviews given under each verdict of the call pages.
    ``lang`` is the language of every page's words (``"en"``, or ``"zh"`` for Simplified Chinese; a report's
    findings are in the language it was scored in); ids, evidence and the pages' data are the same in both, so
    a review file saved from a Chinese page is read like one saved from an English page.
    """
    chosen = check_lang(lang)
    out = Path(out_dir)
    pages = out / "calls"
    pages.mkdir(parents=True, exist_ok=True)
    links: list[CallLink] = []
    errors: list[CallError] = []
    page_name = PageNames()

    def written() -> Iterator[Report | CallError]:
        for result in results:
            if isinstance(result, CallError):
                errors.append(result)
            else:
                name = page_name(result.call_id)
                given = reviews.of_call(result.call_id) if reviews is not None else []
                html = render_call(result, rule_href=_index_rule, index_href="../index.html", review=True, reviews=given,
                                   lang=chosen)
                (pages / name).write_text(html, encoding="utf-8")
                links.append(CallLink.of(result, f"calls/{name}", reviews))
            yield result

    summary = summarize(written(), by=("team", "day", "week"), reviews=reviews, lang=chosen)
    index = out / "index.html"
    index.write_text(render_index(summary, links, errors=errors, lang=chosen), encoding="utf-8")
    return index
