"""The summary drawn: figures, charts (trend, fail rate per rule, scores per agent) and tables, as HTML.

Why: a team lead reads a batch at a glance — which rules fail most and how often, whether scores rise or fall
from day to day, which agents spread low — and a reviewer checks whether csqa agrees with them. The charts
are inline SVG with their numbers in ``data-`` attributes and ``<title>`` tooltips, so a page needs nothing
from the network, a screen reader gets each chart's label, and a test can read the values back.

The index page (:mod:`csqa.outputs.html`) and ``Summary._repr_html_`` (Jupyter) are both built from these
parts. Their words come from the catalogue (:func:`csqa.outputs.i18n.ui_text`), in English or Simplified
Chinese; the ``data-`` attributes and group keys are the same in both.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from csqa.outputs.callview import COMMON_CSS, data_attr, escape, num, pct
from csqa.outputs.i18n import Lang, check_lang, group_name, html_lang, ui_text

if TYPE_CHECKING:
    from csqa.outputs.reviews import RuleAgreement
    from csqa.outputs.summary import AgentSummary, GroupSummary, RuleSummary, Summary

__all__ = ["SUMMARY_CSS", "fail_rate_chart", "render_summary", "score_chart", "trend_chart", "trend_groups"]

SUMMARY_CSS = COMMON_CSS + """
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
.csqa svg .trend-bar { fill: rgba(217, 83, 79, .35); }
.csqa svg .trend-line { fill: none; stroke: #0b5cad; stroke-width: 2; }
.csqa svg .trend-dot { fill: #0b5cad; stroke: #fff; stroke-width: 1; }
"""

_NUM = ' class="num"'


def _svg(width: float, height: float, label: str, body: Iterable[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" width="{width:g}" '
            f'height="{height:g}" viewBox="0 0 {width:g} {height:g}"><title>{escape(label)}</title>' + "".join(body) + "</svg>")


def _sorted_rules(rules: Sequence[RuleSummary]) -> list[RuleSummary]:
    """Highest fail rate first (ties: more fails first), rules no call was judged on last."""
    return sorted(rules, key=lambda r: (r.fail_rate is None, -(r.fail_rate or 0.0), -r.fails, r.code))


def fail_rate_chart(rules: Sequence[RuleSummary], text: Mapping[str, str] | None = None) -> str:
    """Horizontal bars, one per rule, highest fail rate first: the share of judged calls that failed the rule
    (0–100 %), with the counts (failed / judged) after each bar."""
    t = text or ui_text()
    left, plot, row, top = 250, 400, 22, 22
    ordered = _sorted_rules(rules)
    width, height = left + plot + 110, top + row * len(ordered) + 8
    body = []
    for tick in (0, .25, .5, .75, 1):
        x = left + plot * tick
        body.append(f'<line class="grid" x1="{x:g}" y1="{top - 4}" x2="{x:g}" y2="{height - 4}"/>'
                    f'<text class="tick" x="{x:g}" y="{top - 8}" text-anchor="middle">{tick:.0%}</text>')
    for i, r in enumerate(ordered):
        y = top + i * row
        body.append(f'<text class="label" x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(r.code)} {escape(r.rule)}</text>')
        if r.fail_rate is None:
            body.append(f'<text class="tick" x="{left + 4}" y="{y + 15}">{escape(t["chart.fail_rate.none"])}</text>')
            continue
        tip = t["chart.fail_rate.tip"].format(code=r.code, rule=r.rule, fails=r.fails, judged=r.judged, rate=pct(r.fail_rate))
        body.append(
            f'<rect class="bar" x="{left}" y="{y + 4}" width="{plot * r.fail_rate:.1f}" height="{row - 8}" '
            f'data-rule="{escape(r.rule)}" data-code="{escape(r.code)}" data-fail-rate="{data_attr(r.fail_rate)}" '
            f'data-fails="{r.fails}" data-judged="{r.judged}"><title>{escape(tip)}</title></rect>'
            f'<text class="label" x="{left + plot * r.fail_rate + 6:.1f}" y="{y + 15}">{pct(r.fail_rate)} '
            f'<tspan class="tick">({r.fails}/{r.judged})</tspan></text>'
        )
    return _svg(width, height, t["chart.fail_rate.label"], body)


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


def score_chart(agents: Sequence[AgentSummary], pass_mark: float | None, text: Mapping[str, str] | None = None) -> str:
    """One row per agent: each scored call a dot on a 0–100 axis, the agent's mean a tick, the pass mark a
    dashed line."""
    t = text or ui_text()
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
    body.append(f'<text class="tick" x="{left + plot / 2:g}" y="{bottom + 31}" text-anchor="middle">'
                f'{escape(t["chart.scores.axis"])}</text>')
    if pass_mark is not None:
        x = x_of(pass_mark)
        mark = escape(t["chart.pass_mark"].format(mark=f"{pass_mark:g}"))
        body.append(f'<line class="passmark" x1="{x:g}" y1="{top - 6}" x2="{x:g}" y2="{bottom}" data-pass-mark="{pass_mark:g}">'
                    f'<title>{mark}</title></line><text class="tick" x="{x:g}" y="{top - 10}" '
                    f'text-anchor="middle">{mark}</text>')
    for i, agent in enumerate(agents):
        mid = top + i * row + row / 2
        name = group_name(t, "agent", agent.agent_id)
        body.append(f'<text class="label" x="{left - 10}" y="{mid + 4:g}" text-anchor="end">{escape(name)}'
                    f' <tspan class="tick">({agent.scored}/{agent.calls})</tspan></text>')
        if not agent.scores:
            body.append(f'<text class="tick" x="{left + 4}" y="{mid + 4:g}">{escape(t["chart.scores.none"])}</text>')
            continue
        if agent.mean_score is not None:  # drawn first: the dots stay on top
            x = x_of(agent.mean_score)
            body.append(f'<line class="mean" x1="{x:.1f}" y1="{mid - row / 2 + 4:g}" x2="{x:.1f}" y2="{mid + row / 2 - 4:g}" '
                        f'data-agent="{escape(agent.agent_id)}" data-mean="{data_attr(agent.mean_score)}">'
                        f"<title>{escape(t['chart.scores.mean_tip'].format(agent=name, mean=f'{agent.mean_score:.1f}'))}"
                        "</title></line>")
        # One dot per call; an agent with many calls gets one dot per score, sized by how many calls have it
        # (10,000 calls would otherwise be 10,000 dots, most of them on top of each other).
        many = len(agent.scores) > _DOTS_PER_AGENT
        counts = sorted(Counter(round(s, 1) for s in agent.scores).items()) if many else [(s, 1) for s in sorted(agent.scores)]
        for (score, n), level in zip(counts, _swarm([x_of(s) for s, _ in counts], radius * (3 if many else 1), 2)):
            kind = "plain" if pass_mark is None else ("pass" if score >= pass_mark else "fail")
            size = radius * min(3.0, 1 + math.log10(n)) if many else radius
            count = f' data-count="{n}"' if many else ""
            tip = f"{name}: {score:g}" + (f" × {n}" if many else "")
            body.append(f'<circle class="dot {kind}" cx="{x_of(score):.1f}" cy="{mid + level * (2 * radius - 1):.1f}" '
                        f'r="{size:.3g}" data-agent="{escape(agent.agent_id)}" data-score="{data_attr(score)}"{count}>'
                        f"<title>{escape(tip)}</title></circle>")
    return _svg(width, height, t["chart.scores.label"], body)


_MAX_DAYS = 62
_DOTS_PER_AGENT = 60


def trend_groups(summary: Summary) -> tuple[str, tuple[GroupSummary, ...]]:
    """The periods of the trend: days when the calls span at most two months of days, else ISO weeks; the
    calls without a start time are left out. ``("", ())`` when the summary has neither grouping."""
    days = tuple(g for g in summary.grouped("day") if not g.key.startswith("("))
    weeks = tuple(g for g in summary.grouped("week") if not g.key.startswith("("))
    if days and (len(days) <= _MAX_DAYS or not weeks):
        return "day", days
    if weeks:
        return "week", weeks
    return "", ()


def trend_chart(period: str, groups: Sequence[GroupSummary], pass_mark: float | None,
                text: Mapping[str, str] | None = None) -> str:
    """Mean score per period as a line (left axis, 0–100), and the share of scored calls below the pass mark
    as bars (right axis, 0–100 %), each with its counts in its tooltip and ``data-`` attributes."""
    t = text or ui_text()
    left, right, top, plot_h = 44, 52, 16, 170
    n = len(groups)
    step = max(8.0, min(48.0, 720 / max(n, 1)))
    plot_w = step * n
    width, height = left + plot_w + right, top + plot_h + 44
    bottom = top + plot_h
    name = t.get(f"period.{period}", period)
    body = []
    for tick in (0, 25, 50, 75, 100):
        y = bottom - plot_h * tick / 100
        body.append(f'<line class="grid" x1="{left}" y1="{y:g}" x2="{left + plot_w:g}" y2="{y:g}"/>'
                    f'<text class="tick" x="{left - 6}" y="{y + 4:g}" text-anchor="end">{tick}</text>'
                    f'<text class="tick" x="{left + plot_w + 6:g}" y="{y + 4:g}">{tick}%</text>')
    if pass_mark is not None:
        y = bottom - plot_h * max(0.0, min(pass_mark, 100.0)) / 100
        body.append(f'<line class="passmark" x1="{left}" y1="{y:g}" x2="{left + plot_w:g}" y2="{y:g}" '
                    f'data-pass-mark="{pass_mark:g}"><title>{escape(t["chart.pass_mark"].format(mark=f"{pass_mark:g}"))}</title></line>')
    every = max(1, math.ceil(80 / step))
    points = []
    for i, g in enumerate(groups):
        x = left + step * i + step / 2
        if i % every == 0:
            body.append(f'<text class="tick" x="{x:g}" y="{bottom + 16}" text-anchor="middle">{escape(g.key)}</text>')
        rate = g.below_pass_mark / g.scored if g.scored else None
        tip = t["chart.trend.tip"].format(period=g.key, calls=g.calls, scored=g.scored, mean=num(g.mean_score),
                                          failing=g.below_pass_mark, rate=pct(rate))
        if rate is not None:
            h = plot_h * rate
            body.append(f'<rect class="trend-bar" x="{x - step * .35:.1f}" y="{bottom - h:.1f}" width="{step * .7:.1f}" '
                        f'height="{h:.1f}" data-period="{escape(g.key)}" data-calls="{g.calls}" data-scored="{g.scored}" '
                        f'data-below="{g.below_pass_mark}" data-rate="{data_attr(rate)}"><title>{escape(tip)}</title></rect>')
        if g.mean_score is not None:
            points.append((x, bottom - plot_h * max(0.0, min(g.mean_score, 100.0)) / 100, g, tip))
    if len(points) > 1:
        body.append('<polyline class="trend-line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points) + '"/>')
    for x, y, g, tip in points:
        body.append(f'<circle class="trend-dot" cx="{x:.1f}" cy="{y:.1f}" r="3.5" data-period="{escape(g.key)}" '
                    f'data-mean="{data_attr(g.mean_score or 0.0)}"><title>{escape(tip)}</title></circle>')
    body.append(f'<text class="tick" x="{left + plot_w / 2:g}" y="{bottom + 34}" text-anchor="middle">{escape(name)}</text>')
    return _svg(width, height, t["chart.trend.label"].format(period=name), body)


def pass_mark_of(summary: Summary) -> float | None:
    """The pass mark when every report has the same one."""
    return summary.pass_marks[0] if len(summary.pass_marks) == 1 else None


def figures(summary: Summary, text: Mapping[str, str] | None = None) -> str:
    t = text or ui_text()
    pass_mark = pass_mark_of(summary)
    items = [(t["fig.calls"], str(summary.calls)), (t["fig.scored"], str(summary.scored)),
             (t["fig.errors"], str(summary.errors)), (t["fig.mean"], num(summary.mean_score)),
             (t["fig.pass_rate"], pct(summary.pass_rate))]
    if pass_mark is not None:
        items.append((t["fig.pass_mark"], f"{pass_mark:g}"))
    days = [g.key for g in summary.grouped("day") if not g.key.startswith("(")]
    if days:
        items.append((t["fig.dates"], days[0] if len(days) == 1 else f"{days[0]} – {days[-1]}"))
    if summary.agreement:
        reviewed = sum(a.reviewed for a in summary.agreement)
        agreed = sum(a.agreed for a in summary.agreement)
        items += [(t["fig.reviewed"], str(reviewed)), (t["fig.agreement"], pct(agreed / reviewed if reviewed else None))]
    return '<dl class="figures">' + "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in items) + "</dl>"


def table(headers: Sequence[str], rows: Iterable[str], css: str = "", ident: str = "") -> str:
    """A table; a header starting with ``#`` is a number column (right-aligned)."""
    head = "".join(f"<th{_NUM if h.startswith('#') else ''}>{escape(h.lstrip('#'))}</th>" for h in headers)
    attrs = (f' class="{css}"' if css else "") + (f' id="{ident}"' if ident else "")
    return f"<table{attrs}><thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


def _rule_rows(summary: Summary, prefix: str, filter_links: bool, t: Mapping[str, str]) -> Iterator[str]:
    for r in summary.rules:
        rule = escape(r.rule)
        fails = str(r.fails)
        if filter_links and r.fails:
            tip = escape(t["calls.fail_link"].format(rule=r.rule))
            fails = f'<a href="#calls:rule={rule}" data-filter-rule="{rule}" title="{tip}">{r.fails}</a>'
        yield (f'<tr id="{prefix}rule-{rule}"><td><code>{escape(r.code)}</code></td><td>{rule}</td><td class="num">{fails}</td>'
               f'<td class="num">{r.judged}</td><td class="num">{pct(r.fail_rate)}</td>'
               f'<td class="num">{r.not_applicable}</td><td class="num">{r.not_assessable}</td></tr>')


def rule_table(summary: Summary, *, prefix: str = "", filter_links: bool = False,
               text: Mapping[str, str] | None = None) -> str:
    t = text or ui_text()
    headers = [t["th.code"], t["th.rule"], "#" + t["th.fails"], "#" + t["th.judged"], "#" + t["th.fail_rate"],
               "#" + t["th.na"], "#" + t["th.not_assessable"]]
    return table(headers, _rule_rows(summary, prefix, filter_links, t), "rules")


def _most(top: Iterable[tuple[str, int]], prefix: str, t: Mapping[str, str]) -> str:
    return t["sep.comma"].join(f'<a href="#{prefix}rule-{escape(rule)}">{escape(rule)}</a> ×{n}' for rule, n in top) or "–"


def agent_table(agents: Sequence[AgentSummary], *, prefix: str = "", text: Mapping[str, str] | None = None) -> str:
    t = text or ui_text()
    rows = (f"<tr><td>{escape(group_name(t, 'agent', a.agent_id))}</td><td class=\"num\">{a.calls}</td>"
            f'<td class="num">{num(a.mean_score)}</td><td class="num">{pct(a.pass_rate)}</td>'
            f"<td>{_most(a.top_fails, prefix, t)}</td></tr>" for a in agents)
    return table([t["th.agent"], "#" + t["th.calls"], "#" + t["th.mean"], "#" + t["th.pass_rate"], t["th.fails_most"]], rows)


def group_table(by: str, groups: Sequence[GroupSummary], *, prefix: str = "", text: Mapping[str, str] | None = None) -> str:
    t = text or ui_text()
    rows = (f'<tr data-group="{escape(g.key)}"><td>{escape(group_name(t, by, g.key))}</td><td class="num">{g.calls}</td>'
            f'<td class="num">{g.scored}</td><td class="num">{num(g.mean_score)}</td><td class="num">{pct(g.pass_rate)}</td>'
            f'<td class="num">{g.below_pass_mark}</td><td>{_most(g.top_fails, prefix, t)}</td></tr>' for g in groups)
    return table([t.get(f"th.{by}", by), "#" + t["th.calls"], "#" + t["th.scored"], "#" + t["th.mean"],
                  "#" + t["th.pass_rate"], "#" + t["chart.trend.failing"], t["th.fails_most"]], rows, "groups")


def agreement_table(agreement: Sequence[RuleAgreement], unmatched: int, *, text: Mapping[str, str] | None = None) -> str:
    t = text or ui_text()
    rows = (f'<tr data-rule="{escape(a.rule)}"><td><code>{escape(a.code)}</code></td><td>{escape(a.rule)}</td>'
            f'<td class="num">{a.reviewed}</td><td class="num">{a.agreed}</td><td class="num">{pct(a.agreement)}</td>'
            f'<td class="num">{a.false_alarms}</td><td class="num">{a.missed}</td><td class="num">{a.other}</td>'
            f'<td class="num">{a.conflicts}</td></tr>' for a in agreement)
    note = f'<p class="muted">{escape(t["agreement.note"])}'
    if unmatched:
        note += " " + escape(t["agreement.unmatched"].format(n=unmatched))
    headers = [t["th.code"], t["th.rule"], "#" + t["th.reviewed"], "#" + t["th.agreed"], "#" + t["th.agreement"],
               "#" + t["th.false_alarms"], "#" + t["th.missed"], "#" + t["th.other"], "#" + t["th.conflicts"]]
    return note + "</p>\n" + table(headers, rows, "agreement")


def charts(summary: Summary, text: Mapping[str, str] | None = None) -> str:
    """The trend (when calls have start times), the fail rate per rule, and the scores per agent (when the
    summary kept them)."""
    t = text or ui_text()
    pass_mark = pass_mark_of(summary)
    parts = []
    period, groups = trend_groups(summary)
    if groups:
        parts.append(f'<figure class="trend"><figcaption>{escape(t["chart.trend"])}</figcaption>'
                     f'{trend_chart(period, groups, pass_mark, t)}'
                     f'<p class="muted">{escape(t["chart.trend.legend"])}</p></figure>')
    elif summary.grouped("day") or summary.grouped("week"):
        parts.append(f'<p class="muted">{escape(t["chart.trend.none"])}</p>')
    parts.append(f'<figure><figcaption>{escape(t["chart.fail_rate"])}</figcaption>{fail_rate_chart(summary.rules, t)}'
                 f'<p class="muted">{escape(t["chart.fail_rate.legend"])}</p></figure>')
    if any(a.scores for a in summary.agents):
        legend = t["chart.scores.legend"] if pass_mark is None else t["chart.scores.legend_pass"]
        parts.append(f'<figure><figcaption>{escape(t["chart.scores"])}</figcaption>{score_chart(summary.agents, pass_mark, t)}'
                     f'<p class="muted">{escape(legend)}</p></figure>')
    return '<div class="charts">' + "".join(parts) + "</div>"


def render_summary(summary: Summary, *, lang: Lang | None = None, text: Mapping[str, str] | None = None) -> str:
    """The summary as an embeddable ``<div>`` with its own style (Jupyter): figures, charts, then the rule,
    agreement and agent (or group) tables, in ``lang`` (default: the summary's own)."""
    chosen = summary.lang if lang is None else check_lang(lang)
    t = text or ui_text(chosen)
    parts = [figures(summary, t), charts(summary, t), f"<h2>{escape(t['h.rules'])}</h2>", rule_table(summary, text=t)]
    if summary.agreement:
        parts += [f"<h2>{escape(t['h.agreement'])}</h2>", agreement_table(summary.agreement, summary.reviews_unmatched, text=t)]
    if not summary.by:
        parts += [f"<h2>{escape(t['h.agents'])}</h2>", agent_table(summary.agents, text=t)]
    for by in summary.by:
        parts += [f"<h2>{escape(t['h.groups'].format(by=t.get(f'th.{by}', by)))}</h2>",
                  group_table(by, summary.grouped(by), text=t)]
    return (f'<div class="csqa" lang="{html_lang(chosen)}"><style>{SUMMARY_CSS}</style>\n' + "\n".join(parts)
            + "\n</div>")
