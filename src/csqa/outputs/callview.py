"""The call view: one call's page, its findings shown in place, and the same view as a fragment for Jupyter.

Why: JSON Lines are for pipelines, but a reviewer coaching an agent needs to see *which characters* broke a
rule, with the line the manual wanted next to them, and a team lead needs fail rates and the spread of each
agent's scores at a glance. Each page is one self-contained file — inline CSS, inline SVG charts, no
JavaScript, nothing fetched from the network — so it opens from a file share, a mail attachment or an
offline archive exactly as it was written.

``render_call`` gives a call's page and ``render_fragment`` the same view for embedding (``Report._repr_html_``
uses it, so Jupyter shows it); :mod:`csqa.outputs.html` builds the index and whole sites from these. This module
reads reports but does not import their module at run time, so that the report can render itself without an
import cycle.
"""

from __future__ import annotations

import hashlib
import html as _html
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csqa.outputs.report import CheckResult, Evidence, Report

__all__ = ["RuleHref", "render_call", "render_fragment"]

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
