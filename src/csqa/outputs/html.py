"""HTML pages over a batch: the index (fail rates, the spread of each agent's scores, every call) and whole sites.

Why: JSON Lines are for pipelines, but a reviewer coaching an agent needs to see *which characters* broke a
rule, with the line the manual wanted next to them, and a team lead needs fail rates and the spread of each
agent's scores at a glance. Each page is one self-contained file — inline CSS, inline SVG charts, no
JavaScript, nothing fetched from the network — so it opens from a file share, a mail attachment or an
offline archive exactly as it was written.

``render_index`` gives the batch index and ``write_site`` writes a whole site from a stream of reports, keeping
only one small row per call for the index; the call pages are :mod:`csqa.outputs.callview`'s.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from csqa.input.model import CallError
from csqa.outputs.callview import _COMMON_CSS, _data, _num, _page, _pct, _verdict, escape, render_call
from csqa.outputs.report import Report
from csqa.outputs.summary import AgentSummary, RuleSummary, Summary, summarize

__all__ = ["CallLink", "PageNames", "render_index", "write_site"]

_INDEX_CSS = _COMMON_CSS + """
.csqa .figures { display: flex; flex-wrap: wrap; gap: .8em; margin: .6em 0 1em; }
.csqa .figures div { border: 1px solid #d0d7de; border-radius: 6px; padding: .4em .9em; min-width: 7em; }
.csqa .figures dt { color: #6e7781; font-size: .85em; }
.csqa .figures dd { margin: 0; font-size: 1.5em; font-weight: 600; }
.csqa .charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
.csqa figure { margin: 0; }
.csqa figure p { font-size: .85em; max-width: 700px; margin: .2em 0 0; }
.csqa figcaption { font-weight: 600; margin-bottom: .3em; }
.csqa svg { font-family: inherit; font-size: 12px; }
.csqa svg .label { fill: #1f2328; }
.csqa svg .tick { fill: #6e7781; font-size: 11px; }
.csqa svg .grid { stroke: #e5e8eb; }
.csqa svg .bar { fill: #d9534f; }
.csqa svg .dot { stroke: #fff; stroke-width: 1; }
.csqa svg .dot.pass { fill: #2e7d32; }
.csqa svg .dot.fail { fill: #c62828; }
.csqa svg .dot.plain { fill: #0b5cad; }
.csqa svg .mean { stroke: #1f2328; stroke-width: 2; }
.csqa svg .passmark { stroke: #6e7781; stroke-dasharray: 4 3; }
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

    @classmethod
    def of(cls, report: Report, href: str) -> CallLink:
        return cls(report.call_id, href, report.agent_id, report.direction, report.score, report.passed,
                   tuple(c.code for c in report.failed), report.vetoed)


def _svg(width: int, height: int, label: str, body: Iterable[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(label)}</title>' + "".join(body) + "</svg>")


def _fail_rate_chart(rules: Sequence[RuleSummary]) -> str:
    """Horizontal bars, one per rule, of the share of judged calls that failed it (0–100 %)."""
    left, plot, row, top = 250, 400, 22, 22
    width, height = left + plot + 60, top + row * len(rules) + 8
    body = []
    for tick in (0, .25, .5, .75, 1):
        x = left + plot * tick
        body.append(f'<line class="grid" x1="{x:g}" y1="{top - 4}" x2="{x:g}" y2="{height - 4}"/>'
                    f'<text class="tick" x="{x:g}" y="{top - 8}" text-anchor="middle">{tick:.0%}</text>')
    for i, r in enumerate(rules):
        y = top + i * row
        body.append(f'<text class="label" x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(r.code)} {escape(r.rule)}</text>')
        if r.fail_rate is None:
            body.append(f'<text class="tick" x="{left + 4}" y="{y + 15}">not judged</text>')
            continue
        tip = f"{r.code} {r.rule}: {r.fails} of {r.judged} judged calls failed ({_pct(r.fail_rate)})"
        body.append(
            f'<rect class="bar" x="{left}" y="{y + 4}" width="{plot * r.fail_rate:.1f}" height="{row - 8}" '
            f'data-rule="{escape(r.rule)}" data-code="{escape(r.code)}" data-fail-rate="{_data(r.fail_rate)}" '
            f'data-fails="{r.fails}" data-judged="{r.judged}"><title>{escape(tip)}</title></rect>'
            f'<text class="label" x="{left + plot * r.fail_rate + 6:.1f}" y="{y + 15}">{_pct(r.fail_rate)}</text>'
        )
    return _svg(width, height, "Fail rate per rule: the share of judged calls that failed each rule", body)


def _swarm(xs: Sequence[float], radius: float, levels: int) -> list[int]:
    """A vertical level for each x (sorted ascending) so that dots closer than a diameter do not overlap:
    0, -1, 1, -2, 2 … up to ``levels`` either side, then back to 0."""
    order = [0] + [s * k for k in range(1, levels + 1) for s in (-1, 1)]
    last: dict[int, float] = {}
    chosen = []
    for x in xs:
        level = next((lv for lv in order if x - last.get(lv, -1e9) >= 2 * radius), 0)
        last[level] = x
        chosen.append(level)
    return chosen


def _score_chart(agents: Sequence[AgentSummary], pass_mark: float | None) -> str:
    """One row per agent: each scored call a dot on a 0–100 axis, the agent's mean a tick, the pass mark a
    dashed line."""
    left, plot, row, top, radius = 150, 520, 50, 22, 5.0
    width, height = left + plot + 30, top + row * len(agents) + 36
    bottom = top + row * len(agents)

    def x_of(score: float) -> float:
        return left + plot * max(0.0, min(score, 100.0)) / 100

    body = []
    for tick in range(0, 101, 10):
        x = x_of(tick)
        body.append(f'<line class="grid" x1="{x:g}" y1="{top}" x2="{x:g}" y2="{bottom}"/>')
        if tick % 20 == 0:
            body.append(f'<text class="tick" x="{x:g}" y="{bottom + 16}" text-anchor="middle">{tick}</text>')
    body.append(f'<text class="tick" x="{left + plot / 2:g}" y="{bottom + 31}" text-anchor="middle">score</text>')
    if pass_mark is not None:
        x = x_of(pass_mark)
        body.append(f'<line class="passmark" x1="{x:g}" y1="{top - 6}" x2="{x:g}" y2="{bottom}" data-pass-mark="{pass_mark:g}">'
                    f'<title>pass mark {pass_mark:g}</title></line><text class="tick" x="{x:g}" y="{top - 10}" '
                    f'text-anchor="middle">pass mark {pass_mark:g}</text>')
    for i, agent in enumerate(agents):
        mid = top + i * row + row / 2
        body.append(f'<text class="label" x="{left - 10}" y="{mid + 4:g}" text-anchor="end">{escape(agent.agent_id)}'
                    f' <tspan class="tick">({agent.scored}/{agent.calls})</tspan></text>')
        if not agent.scores:
            body.append(f'<text class="tick" x="{left + 4}" y="{mid + 4:g}">no scored calls</text>')
            continue
        if agent.mean_score is not None:  # drawn first: the dots stay on top
            x = x_of(agent.mean_score)
            body.append(f'<line class="mean" x1="{x:.1f}" y1="{mid - row / 2 + 4:g}" x2="{x:.1f}" y2="{mid + row / 2 - 4:g}" '
                        f'data-agent="{escape(agent.agent_id)}" data-mean="{_data(agent.mean_score)}">'
                        f"<title>{escape(agent.agent_id)} mean {agent.mean_score:.1f}</title></line>")
        scores = sorted(agent.scores)
        for score, level in zip(scores, _swarm([x_of(s) for s in scores], radius, 2)):
            kind = "plain" if pass_mark is None else ("pass" if score >= pass_mark else "fail")
            body.append(f'<circle class="dot {kind}" cx="{x_of(score):.1f}" cy="{mid + level * (2 * radius - 1):.1f}" '
                        f'r="{radius:g}" data-agent="{escape(agent.agent_id)}" data-score="{_data(score)}">'
                        f"<title>{escape(agent.agent_id)}: {score:g}</title></circle>")
    label = "Scores per agent: one dot per scored call on a 0–100 axis, the mean as a vertical tick"
    return _svg(width, height, label, body)


def _figures(summary: Summary, pass_mark: float | None) -> str:
    figures = [("calls", str(summary.calls)), ("scored", str(summary.scored)), ("errors", str(summary.errors)),
               ("mean score", _num(summary.mean_score)), ("pass rate", _pct(summary.pass_rate))]
    if pass_mark is not None:
        figures.append(("pass mark", f"{pass_mark:g}"))
    return '<dl class="figures">' + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in figures) + "</dl>"


_NUM = ' class="num"'


def _table(headers: Sequence[str], rows: Iterable[str], css: str = "") -> str:
    head = "".join(f"<th{_NUM if h.startswith('#') else ''}>{escape(h.lstrip('#'))}</th>" for h in headers)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody></table>"


def _rule_rows(summary: Summary) -> Iterator[str]:
    for r in summary.rules:
        rule = escape(r.rule)
        yield (f'<tr id="rule-{rule}"><td><code>{escape(r.code)}</code></td><td>{rule}</td><td class="num">{r.fails}</td>'
               f'<td class="num">{r.judged}</td><td class="num">{_pct(r.fail_rate)}</td>'
               f'<td class="num">{r.not_applicable}</td><td class="num">{r.not_assessable}</td></tr>')


def _agent_rows(summary: Summary) -> Iterator[str]:
    for a in summary.agents:
        most = ", ".join(f'<a href="#rule-{escape(rule)}">{escape(rule)}</a> ×{n}' for rule, n in a.top_fails) or "–"
        yield (f"<tr><td>{escape(a.agent_id)}</td><td class=\"num\">{a.calls}</td><td class=\"num\">{_num(a.mean_score)}</td>"
               f'<td class="num">{_pct(a.pass_rate)}</td><td>{most}</td></tr>')


def _call_rows(calls: Sequence[CallLink]) -> Iterator[str]:
    for c in calls:
        failed = escape(" ".join(c.failed)) or "–"
        if c.vetoed:
            failed += f' <span class="badge s-fail">veto {escape(", ".join(c.vetoed))}</span>'
        yield (f'<tr><td><a href="{escape(c.href)}">{escape(c.call_id)}</a></td><td>{escape(c.agent_id or "–")}</td>'
               f"<td>{escape(c.direction)}</td><td class=\"num\">{_num(c.score)}</td><td>{_verdict(c.passed)}</td>"
               f"<td>{failed}</td></tr>")


def _error_rows(errors: Sequence[CallError]) -> Iterator[str]:
    for e in errors:
        where = escape(e.source or "–") + ("" if e.line is None else f" line {e.line}")
        yield (f"<tr><td><code>{escape(e.code)}</code></td><td>{where}</td><td>{escape(e.call_id or '–')}</td>"
               f"<td>{escape(e.message)}</td></tr>")


_SCORE_LEGEND = "One dot per scored call; the black tick is the agent's mean; (scored/calls) after each agent."
_SCORE_LEGEND_PASS = _SCORE_LEGEND.replace("call;", "call (green: at or above the pass mark, red: below);")


def render_index(summary: Summary, calls: Sequence[CallLink], *, errors: Sequence[CallError] = (),
                 pass_mark: float | None = None, title: str = "csqa report") -> str:
    """The index page: overall figures, the two charts, fail rate per rule, scores per agent, every call
    linking to its page, and the calls that could not be scored."""
    parts = [
        f"<h1>{escape(title)}</h1>",
        _figures(summary, pass_mark),
        '<div class="charts">'
        f"<figure><figcaption>Fail rate per rule</figcaption>{_fail_rate_chart(summary.rules)}</figure>"
        f"<figure><figcaption>Scores per agent</figcaption>{_score_chart(summary.agents, pass_mark)}"
        f'<p class="muted">{_SCORE_LEGEND if pass_mark is None else _SCORE_LEGEND_PASS}</p></figure></div>',
        "<h2>Rules</h2>",
        _table(["code", "rule", "#fails", "#judged", "#fail rate", "#n/a", "#not assessable"], _rule_rows(summary), "rules"),
        "<h2>Agents</h2>",
        _table(["agent", "#calls", "#mean score", "#pass rate", "fails most"], _agent_rows(summary)),
        f"<h2>Calls ({len(calls)})</h2>",
        _table(["call", "agent", "direction", "#score", "verdict", "failed rules"], _call_rows(calls)),
    ]
    if errors:
        parts += [f"<h2>Errors ({len(errors)})</h2>", '<p class="muted">Calls that could not be read or scored.</p>',
                  _table(["code", "where", "call", "message"], _error_rows(errors))]
    return _page(title, _INDEX_CSS, "\n".join(parts))


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


def write_site(results: Iterable[Report | CallError], out_dir: str | Path) -> Path:
    """Write ``calls/<name>.html`` for each report and ``index.html`` over all of them; return the index path.

    Reports are streamed: each page is written as its report arrives and only a :class:`CallLink` row (and
    the error records) is kept for the index. Call pages link their rules to the index's rule table.
    """
    out = Path(out_dir)
    pages = out / "calls"
    pages.mkdir(parents=True, exist_ok=True)
    links: list[CallLink] = []
    errors: list[CallError] = []
    pass_marks: set[float] = set()
    page_name = PageNames()

    def written() -> Iterator[Report | CallError]:
        for result in results:
            if isinstance(result, CallError):
                errors.append(result)
            else:
                name = page_name(result.call_id)
                page = render_call(result, rule_href=_index_rule, index_href="../index.html")
                (pages / name).write_text(page, encoding="utf-8")
                links.append(CallLink.of(result, f"calls/{name}"))
                pass_marks.add(result.pass_mark)
            yield result

    summary = summarize(written())
    index = out / "index.html"
    pass_mark = next(iter(pass_marks)) if len(pass_marks) == 1 else None
    index.write_text(render_index(summary, links, errors=errors, pass_mark=pass_mark), encoding="utf-8")
    return index
