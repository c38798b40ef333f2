"""HTML reports: one page per call, showing every finding in place, and an index over a batch.

Why: JSON Lines are for pipelines, but a reviewer coaching an agent needs to see *which characters* broke a
rule, with the line the manual wanted next to them, and a team lead needs fail rates and the spread of each
agent's scores at a glance. Each page is one self-contained file — inline CSS, inline SVG charts, no
JavaScript, nothing fetched from the network — so it opens from a file share, a mail attachment or an
offline archive exactly as it was written.

``render_call`` gives a call's page, ``render_fragment`` the same view for embedding (``Report._repr_html_``
uses it, so Jupyter shows it), ``render_index`` the batch index and ``write_site`` writes a whole site from a
stream of reports, keeping only one small row per call for the index.
"""

from __future__ import annotations

import hashlib
import html as _html
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from csqa.report import CallError, CheckResult, Evidence, Report
from csqa.summary import AgentSummary, RuleSummary, Summary, summarize

__all__ = ["CallLink", "PageNames", "render_call", "render_fragment", "render_index", "write_site"]

RuleHref = Callable[[str], str]

_FONTS = ('"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
          '"WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif')
_SPEAKERS = {"agent": "客服", "customer": "客户"}
_DIRECTIONS = {"inbound": "inbound 呼入", "outbound": "outbound 外呼"}
_STATUS_TEXT = {"pass": "pass", "fail": "fail", "not_applicable": "not applicable", "not_assessable": "not assessable"}

# Status colours: a badge is solid, a highlight is a translucent fill with a solid underline, so that nested
# highlights (two rules on the same characters) darken where they overlap and each stays visible.
_COMMON_CSS = f"""
.csqa {{ font-family: {_FONTS}; color: #1f2328; line-height: 1.55; font-size: 15px; }}
.csqa h1 {{ font-size: 1.5em; margin: 0 0 .4em; }}
.csqa h2 {{ font-size: 1.15em; margin: 1.6em 0 .5em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }}
.csqa table {{ border-collapse: collapse; width: 100%; }}
.csqa th, .csqa td {{ border-bottom: 1px solid #e5e8eb; padding: .35em .55em; text-align: left; vertical-align: top; }}
.csqa th {{ background: #f3f5f7; font-weight: 600; white-space: nowrap; }}
.csqa td.num, .csqa th.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.csqa code {{ font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }}
.csqa a {{ color: #0b5cad; }}
.csqa .badge {{ display: inline-block; padding: 0 .5em; border-radius: .8em; color: #fff; font-size: .85em;
  font-weight: 600; white-space: nowrap; }}
.csqa .s-pass {{ --c: #2e7d32; --bg: rgba(46, 125, 50, .14); }}
.csqa .s-fail {{ --c: #c62828; --bg: rgba(229, 57, 53, .22); }}
.csqa .s-not_applicable {{ --c: #6e7781; --bg: rgba(110, 119, 129, .16); }}
.csqa .s-not_assessable {{ --c: #b26a00; --bg: rgba(245, 166, 35, .24); }}
.csqa .s-none {{ --c: #6e7781; --bg: rgba(110, 119, 129, .16); }}
.csqa .badge {{ background: var(--c); }}
.csqa .muted {{ color: #6e7781; }}
.csqa .rules tr:target td {{ background: #fff8c5; }}
"""

_CALL_CSS = _COMMON_CSS + """
.csqa .facts { display: flex; flex-wrap: wrap; gap: .3em 1.6em; margin: 0 0 .6em; }
.csqa .facts div { display: flex; gap: .4em; align-items: baseline; }
.csqa .facts dt { color: #6e7781; }
.csqa .facts dd { margin: 0; font-weight: 600; }
.csqa .legend { font-size: .85em; color: #57606a; }
.csqa .legend mark { padding: 0 .3em; }
.csqa .transcript td.idx, .csqa .transcript td.time { color: #6e7781; white-space: nowrap; width: 1%;
  font-variant-numeric: tabular-nums; font-size: .85em; padding-top: .6em; }
.csqa .transcript td.who { white-space: nowrap; font-weight: 600; width: 1%; }
.csqa .transcript tr.agent td.who { color: #0b5cad; }
.csqa .transcript tr.customer td.who { color: #8250df; }
.csqa .transcript tr.customer td.text { color: #3d444d; }
.csqa .transcript td.text { line-height: 2.1; }
.csqa mark { background: var(--bg); color: inherit; box-shadow: inset 0 -2px 0 var(--c);
  padding: .15em 0; border-radius: 2px; }
.csqa mark.point::before { content: "\\25B4"; color: var(--c); }
.csqa a.ref { text-decoration: none; }
.csqa a.ref::after { content: attr(data-code); font-size: .62em; vertical-align: super; line-height: 0;
  color: var(--c); font-weight: 700; margin: 0 .1em; }
.csqa .rules td.rule { white-space: nowrap; }
.csqa .rules ul { margin: 0; padding-left: 1.1em; }
.csqa .say { color: #1a7f37; }
.csqa .field { font-size: .9em; }
"""

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

_PAGE_CSS = "body { margin: 0; background: #fff; } main.csqa { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }"

# Characters HTML forbids or that a browser would show as nothing (NUL, ESC, other C0 and C1 controls,
# surrogates): each is shown as U+FFFD, so an id or utterance holding one can neither break the page nor
# hide inside it.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def escape(text: str) -> str:
    """:func:`html.escape`, with the characters a page cannot hold replaced by U+FFFD."""
    return _UNSHOWABLE.sub("\ufffd", _html.escape(text))


def _page(title: str, css: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_PAGE_CSS}{css}</style>\n</head>\n"
        f'<body>\n<main class="csqa">\n{body}\n</main>\n</body>\n</html>\n'
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _data(value: float) -> str:
    """A number for a ``data-`` attribute: six significant digits, no exponent in the 0–100 range."""
    return f"{value:.6g}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _verdict(passed: bool | None) -> str:
    if passed is None:
        return '<span class="badge s-none">not scored</span>'
    return '<span class="badge s-pass">PASS 合格</span>' if passed else '<span class="badge s-fail">FAIL 不合格</span>'


def _badge(status: str) -> str:
    return f'<span class="badge s-{escape(status)}">{escape(_STATUS_TEXT.get(status, status))}</span>'


# --- one call -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    """One evidence span placed in the transcript; ``key`` ("check-evidence" indices) names its marks."""

    key: str
    check: CheckResult
    evidence: Evidence

    @property
    def start(self) -> int:
        return self.evidence.start

    @property
    def end(self) -> int:
        return self.evidence.end


def _in_transcript(report: Report, ev: Evidence) -> bool:
    """Whether the evidence can be shown in place: its utterance is in the report and quotes the same text."""
    if ev.utterance is None or not 0 <= ev.utterance < len(report.utterances):
        return False
    return report.utterances[ev.utterance].text[ev.start:ev.end] == ev.quote


def _spans(report: Report) -> dict[int, list[_Span]]:
    placed: dict[int, list[_Span]] = defaultdict(list)
    for i, check in enumerate(report.checks):
        for j, ev in enumerate(check.evidence):
            if ev.utterance is not None and _in_transcript(report, ev):
                placed[ev.utterance].append(_Span(f"{i}-{j}", check, ev))
    return placed


def _mark_open(span: _Span, prefix: str, *, first: bool) -> str:
    check, ev = span.check, span.evidence
    classes = f"s-{check.status}" + ("" if first else " cont") + (" point" if ev.start == ev.end else "")
    title = f"{check.code} {check.rule} ({_STATUS_TEXT.get(check.status, check.status)})"
    if ev.note:
        title += f": {ev.note}"
    ident = f' id="{escape(prefix)}ev-{span.key}"' if first else ""
    return (f'<mark{ident} class="{classes}" data-rule="{escape(check.rule)}" data-ev="{span.key}" '
            f'data-status="{escape(check.status)}" title="{escape(title)}">')


def _mark_close(span: _Span, prefix: str) -> str:
    """The end of a span's last mark: a link to its rule's row (its text is the rule code, drawn by CSS so
    that the mark's text stays exactly the quote)."""
    rule = escape(span.check.rule)
    return (f'<a class="ref" href="#{escape(prefix)}rule-{rule}" data-code="{escape(span.check.code)}" '
            f'aria-label="{escape(span.check.code)} {rule}"></a></mark>')


def _highlight(text: str, spans: Sequence[_Span], prefix: str) -> str:
    """The text with one ``<mark>`` per evidence span, nested where spans nest.

    The text is cut at every span boundary; at each cut, marks that end there close. A mark that was open
    inside a closing one (the two spans cross) is closed with it and reopened right after, so the markup
    always nests and a crossing span is drawn as several marks sharing one ``data-ev``.
    """
    starting: dict[int, list[_Span]] = defaultdict(list)
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):  # longer spans open first: they are outer
        starting[span.start].append(span)
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    out: list[str] = []
    stack: list[_Span] = []
    for here, after in zip(cuts, [*cuts[1:], len(text)]):
        ending = [depth for depth, span in enumerate(stack) if span.end == here]
        if ending:
            reopen = []
            for span in reversed(stack[min(ending):]):
                if span.end == here:
                    out.append(_mark_close(span, prefix))
                else:
                    out.append("</mark>")
                    reopen.append(span)
            del stack[min(ending):]
            for span in reversed(reopen):
                out.append(_mark_open(span, prefix, first=False))
                stack.append(span)
        for span in starting.get(here, ()):
            out.append(_mark_open(span, prefix, first=True))
            if span.start == span.end:
                out.append(_mark_close(span, prefix))
            else:
                stack.append(span)
        out.append(escape(text[here:after]))
    return "".join(out)


def _header(report: Report, prefix: str, index_href: str | None) -> str:
    counts: Counter[str] = Counter(check.status for check in report.checks)
    tally = " · ".join(f"{counts[s]} {_STATUS_TEXT[s]}" for s in _STATUS_TEXT if counts[s])
    vetoed = ", ".join(f'<a href="#{escape(prefix)}rule-{escape(r)}">{escape(r)}</a>' for r in report.vetoed)
    facts = [
        ("agent 客服", escape(report.agent_id or "–")),
        ("direction", escape(_DIRECTIONS.get(report.direction, report.direction))),
        ("score", f"{_num(report.score)} <span class=\"muted\">/ pass mark {report.pass_mark:g}</span>"),
        ("verdict", _verdict(report.passed)),
    ]
    if vetoed:
        facts.append(("vetoed 一票否决", vetoed))
    if report.unscored:
        facts.append(("no score", escape(report.unscored)))
    facts += [("rules", escape(tally)), ("scorecard", escape(report.scorecard))]
    back = f'<p><a href="{escape(index_href)}">← all calls</a></p>' if index_href else ""
    items = "".join(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in facts)
    return f"{back}<h1>Call <code>{escape(report.call_id)}</code></h1>\n<dl class=\"facts\">{items}</dl>"


def _times(start: float | None, end: float | None) -> str:
    if start is None and end is None:
        return ""
    return "–".join(_clock(t) for t in (start, end) if t is not None)


def _transcript(report: Report, prefix: str) -> str:
    if not report.utterances:
        return ("<h2>Transcript</h2>\n<p class=\"muted\">This report was stored without its transcript; the "
                "evidence is listed with each rule below.</p>")
    spans = _spans(report)
    rows = []
    for i, utt in enumerate(report.utterances):
        speaker = escape(utt.speaker)
        rows.append(
            f'<tr id="{escape(prefix)}u-{i}" class="{speaker}"><td class="idx">{i}</td>'
            f'<td class="who">{escape(_SPEAKERS.get(utt.speaker, utt.speaker))}</td>'
            f'<td class="time">{_times(utt.start, utt.end)}</td>'
            f'<td class="text">{_highlight(utt.text, spans.get(i, []), prefix)}</td></tr>'
        )
    legend = ('<p class="legend">Highlights: <mark class="s-fail">fail</mark> <mark class="s-pass">pass</mark> '
              '<mark class="s-not_assessable">not assessable</mark> — the small code after a highlight links to '
              "its rule below; hover for the finding.</p>")
    return (f"<h2>Transcript</h2>\n{legend}\n<table class=\"transcript\"><thead><tr><th>#</th><th>speaker</th>"
            f"<th>time</th><th>text</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>")


def _say_instead(check: CheckResult) -> str:
    if check.status != "fail":
        return ""
    lines = list(dict.fromkeys(s for s in (check.suggestion, *(ev.suggestion for ev in check.evidence)) if s))
    return "".join(f'<div class="say">{escape(line)}</div>' for line in lines)


def _evidence_list(report: Report, check_index: int, check: CheckResult, prefix: str) -> str:
    """Field findings, and findings that could not be placed in the transcript, with links to the ones that were."""
    items = []
    for j, ev in enumerate(check.evidence):
        note = escape(ev.note)
        if ev.utterance is None:
            field = f"<code>{escape(ev.field)}</code> " if ev.field else ""
            items.append(f'<li class="field">{field}{note}</li>')
        elif _in_transcript(report, ev):
            items.append(f'<li><a href="#{escape(prefix)}ev-{check_index}-{j}">#{ev.utterance}</a> {note}</li>')
        else:
            items.append(f"<li>#{ev.utterance} 「{escape(ev.quote)}」 {note}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _rule_table(report: Report, prefix: str, rule_href: RuleHref | None) -> str:
    rows = []
    for i, check in enumerate(report.checks):
        rule = escape(check.rule)
        name = f'<a href="{escape(rule_href(check.rule))}">{rule}</a>' if rule_href else rule
        rows.append(
            f'<tr id="{escape(prefix)}rule-{rule}" class="s-{escape(check.status)}"><td><code>{escape(check.code)}</code></td>'
            f'<td class="rule">{name}<div class="muted">{escape(check.severity)} · {check.weight:g}</div></td>'
            f"<td>{_badge(check.status)}</td><td>{escape(check.message)}</td><td>{_say_instead(check)}</td>"
            f"<td>{_evidence_list(report, i, check, prefix)}</td></tr>"
        )
    return ("<h2>Rules</h2>\n<table class=\"rules\"><thead><tr><th>code</th><th>rule</th><th>status</th>"
            "<th>finding</th><th>say instead</th><th>evidence</th></tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody></table>")


def _call_view(report: Report, prefix: str, rule_href: RuleHref | None, index_href: str | None) -> str:
    return "\n".join((_header(report, prefix, index_href), _transcript(report, prefix),
                      _rule_table(report, prefix, rule_href)))


def render_call(report: Report, *, rule_href: RuleHref | None = None, index_href: str | None = None) -> str:
    """A complete HTML page for one call: its facts, the transcript with every evidence span highlighted and
    linked to its rule, and one row per rule. ``rule_href(rule_id)`` links each rule id (to its docs, say);
    ``index_href`` adds a link back to an index page."""
    return _page(f"{report.call_id} — csqa", _CALL_CSS, _call_view(report, "", rule_href, index_href))


def render_fragment(report: Report, *, rule_href: RuleHref | None = None) -> str:
    """The call view as an embeddable ``<div>`` with its own scoped style; ids carry a prefix derived from the
    call id, so that several reports on one page (a notebook) keep their links apart."""
    prefix = f"csqa-{hashlib.sha1(report.call_id.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}-"
    return (f'<div class="csqa" lang="zh-CN"><style>{_CALL_CSS}</style>\n'
            f"{_call_view(report, prefix, rule_href, None)}\n</div>")


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
