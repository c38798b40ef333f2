"""The call view: one call's page, its findings shown in place, and the same view as a fragment for Jupyter.

Why: JSON Lines are for pipelines, but a reviewer coaching an agent needs to see *which characters* broke a
rule, with the line the manual wanted next to them, and a team lead needs fail rates and the spread of each
agent's scores at a glance. Each page is one self-contained file — inline CSS, inline SVG charts, inline
script, nothing fetched from the network — so it opens from a file share, a mail attachment or an offline
archive exactly as it was written, and it reads the same with JavaScript off.

The customer's words are never painted as the agent's fault: evidence that points into a customer's
utterance (the matter a restatement must echo, the words an agent talked over) is marked as *context*, in
its own neutral style, whatever the status of the rule it belongs to.

With ``review=True`` (``write_site`` sets it) a call page is also where a reviewer marks each verdict right or
wrong: the script (``assets/call.js``) adds the controls to the rule table from the page's data, keeps the
reviews in the browser and saves them to a file (see :mod:`csqa.outputs.reviews` and ``docs/reviews.md``).
Without JavaScript there are no controls and the page is the plain report.

``render_call`` gives a call's page and ``render_fragment`` the same view for embedding (``Report._repr_html_``
uses it, so Jupyter shows it); :mod:`csqa.outputs.html` builds the index and whole sites from these. This module
reads reports but does not import their module at run time, so that the report can render itself without an
import cycle.
"""

from __future__ import annotations

import functools
import hashlib
import html as _html
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from csqa.outputs.i18n import Lang, check_lang, html_lang, ui_text
from csqa.version import __version__

if TYPE_CHECKING:
    from csqa.outputs.report import CheckResult, Evidence, Report
    from csqa.outputs.reviews import ReviewedVerdict

__all__ = [
    "COMMON_CSS", "RuleHref", "asset", "data_attr", "escape", "num", "page", "pct", "render_call", "render_fragment",
    "review_bar", "review_strings", "script_json",
]

RuleHref = Callable[[str], str]

_FONTS = ('"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
          '"WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif')
_STATUSES = ("pass", "fail", "not_applicable", "not_assessable")

# Status colours: a badge is solid, a highlight is a translucent fill with a solid underline, so that nested
# highlights (two rules on the same characters) darken where they overlap and each stays visible.
COMMON_CSS = f"""
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
.csqa .ctx {{ --c: #8250df; --bg: rgba(130, 80, 223, .08); }}
.csqa [hidden] {{ display: none !important; }}
.csqa:not(.js) .js-only {{ display: none; }}
.csqa.js .no-js {{ display: none; }}
.csqa .review-bar {{ display: flex; flex-wrap: wrap; gap: .4em 1em; align-items: center; padding: .5em .8em;
  margin: .4em 0 1em; border: 1px solid #d0d7de; border-radius: 6px; background: #f6f8fa; font-size: .9em; }}
.csqa .review-bar .msg {{ color: #57606a; }}
.csqa .review-bar .help {{ flex-basis: 100%; font-size: .9em; }}
.csqa button {{ font: inherit; padding: .15em .7em; border: 1px solid #d0d7de; border-radius: 5px; background: #fff;
  cursor: pointer; }}
.csqa button:hover {{ background: #f3f5f7; }}
.csqa button.primary {{ background: #0b5cad; border-color: #0b5cad; color: #fff; font-weight: 600; }}
.csqa input, .csqa select, .csqa textarea {{ font: inherit; }}
"""

_CALL_CSS = COMMON_CSS + """
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
.csqa mark.ctx { background: var(--bg); box-shadow: inset 0 -1px 0 var(--c); border-bottom: 1px dotted var(--c); }
.csqa li.ctx { color: #57606a; }
.csqa .given { font-size: .85em; margin-top: .3em; }
.csqa td.review { white-space: nowrap; font-size: .9em; min-width: 13em; }
.csqa td.review label { margin-right: .5em; cursor: pointer; }
.csqa td.review .should { display: block; margin-top: .2em; }
.csqa td.review textarea { display: block; width: 100%; min-width: 12em; margin-top: .3em; resize: vertical; }
.csqa tr.reviewed-right td.review { background: rgba(46, 125, 50, .08); }
.csqa tr.reviewed-wrong td.review { background: rgba(229, 57, 53, .10); }
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


_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029\x7f-\x9f\ud800-\udfff]")


def script_json(data: Any) -> str:
    """JSON that can sit inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` written as
    ``\\u`` escapes, so no text in it (a call id of ``</script>``) can end the element, and so are the
    characters a page cannot hold; the script reads back exactly the text that was written (a call id in a
    review must be the report's, character for character)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_COMMENT = re.compile(r"/\*.*?\*/", re.S)


@functools.cache
def asset(name: str) -> str:
    """A script shipped with csqa (``csqa/outputs/assets/``), read once, without its comments and indentation
    (every call page inlines it: 10,000 pages, 10,000 copies)."""
    text = resources.files("csqa.outputs").joinpath("assets", name).read_text(encoding="utf-8")
    return "\n".join(line.strip() for line in _COMMENT.sub("", text).splitlines() if line.strip())


def page(title: str, css: str, body: str, *, script: str = "", lang: Lang = "en") -> str:
    tail = f"<script>\n{script}\n</script>\n" if script else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_PAGE_CSS}{css}</style>\n</head>\n"
        f'<body>\n<main class="csqa">\n{body}\n</main>\n{tail}</body>\n</html>\n'
    )


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def data_attr(value: float) -> str:
    """A number for a ``data-`` attribute: six significant digits, no exponent in the 0–100 range."""
    return f"{value:.6g}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _verdict(passed: bool | None, text: Mapping[str, str] | None = None) -> str:
    t = text or ui_text()
    if passed is None:
        return f'<span class="badge s-none">{escape(t["verdict.none"])}</span>'
    if passed:
        return f'<span class="badge s-pass">{escape(t["verdict.pass"])}</span>'
    return f'<span class="badge s-fail">{escape(t["verdict.fail"])}</span>'


def _status(status: str, t: Mapping[str, str]) -> str:
    return t.get(f"status.{status}", status)


def _badge(status: str, t: Mapping[str, str]) -> str:
    return f'<span class="badge s-{escape(status)}">{escape(_status(status, t))}</span>'


# --- one call -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _View:
    """What rendering one call needs besides the report: id prefix, labels, links, the review controls."""

    report: Report
    prefix: str
    text: Mapping[str, str]
    rule_href: RuleHref | None = None
    index_href: str | None = None
    review: bool = False
    given: Mapping[str, ReviewedVerdict] | None = None


@dataclass(frozen=True, slots=True)
class _Span:
    """One evidence span placed in the transcript; ``key`` ("check-evidence" indices) names its marks;
    ``context`` when it is in a customer's utterance."""

    key: str
    check: CheckResult
    evidence: Evidence
    context: bool

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


def _customers(report: Report, ev: Evidence) -> bool:
    """Whether the evidence quotes the customer: context for the agent's verdict, never the agent's fault."""
    return (ev.utterance is not None and 0 <= ev.utterance < len(report.utterances)
            and report.utterances[ev.utterance].speaker == "customer")


def _spans(report: Report) -> dict[int, list[_Span]]:
    placed: dict[int, list[_Span]] = defaultdict(list)
    for i, check in enumerate(report.checks):
        for j, ev in enumerate(check.evidence):
            if ev.utterance is not None and _in_transcript(report, ev):
                placed[ev.utterance].append(_Span(f"{i}-{j}", check, ev, _customers(report, ev)))
    return placed


def _mark_open(span: _Span, view: _View, *, first: bool) -> str:
    check, ev, t = span.check, span.evidence, view.text
    classes = ("ctx" if span.context else f"s-{check.status}") + ("" if first else " cont") + (
        " point" if ev.start == ev.end else "")
    title = f"{check.code} {check.rule} ({_status(check.status, t)})"
    if ev.note:
        title += f": {ev.note}"
    if span.context:
        title += f" — {t['transcript.ctx_title']}"
    ident = f' id="{escape(view.prefix)}ev-{span.key}"' if first else ""
    return (f'<mark{ident} class="{classes}" data-rule="{escape(check.rule)}" data-ev="{span.key}" '
            f'data-status="{escape(check.status)}" title="{escape(title)}">')


def _mark_close(span: _Span, view: _View) -> str:
    """The end of a span's last mark: a link to its rule's row (its text is the rule code, drawn by CSS so
    that the mark's text stays exactly the quote)."""
    rule = escape(span.check.rule)
    return (f'<a class="ref" href="#{escape(view.prefix)}rule-{rule}" data-code="{escape(span.check.code)}" '
            f'aria-label="{escape(span.check.code)} {rule}"></a></mark>')


def _highlight(text: str, spans: Sequence[_Span], view: _View) -> str:
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
                    out.append(_mark_close(span, view))
                else:
                    out.append("</mark>")
                    reopen.append(span)
            del stack[min(ending):]
            for span in reversed(reopen):
                out.append(_mark_open(span, view, first=False))
                stack.append(span)
        for span in starting.get(here, ()):
            out.append(_mark_open(span, view, first=True))
            if span.start == span.end:
                out.append(_mark_close(span, view))
            else:
                stack.append(span)
        out.append(escape(text[here:after]))
    return "".join(out)


def _meta_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _header(view: _View) -> str:
    report, prefix, t = view.report, view.prefix, view.text
    counts: Counter[str] = Counter(check.status for check in report.checks)
    tally = " · ".join(f"{counts[s]} {_status(s, t)}" for s in _STATUSES if counts[s])
    vetoed = ", ".join(f'<a href="#{escape(prefix)}rule-{escape(r)}">{escape(r)}</a>' for r in report.vetoed)
    facts = [(t["call.agent"], escape(report.agent_id or t["none"]))]
    if report.team:
        facts.append((t["call.team"], escape(report.team)))
    if report.started_at is not None:
        facts.append((t["call.started"], escape(report.started_at.isoformat(sep=" "))))
    facts += [
        (t["call.direction"], escape(t.get(f"direction.{report.direction}", report.direction))),
        (t["call.score"],
         f'{num(report.score)} <span class="muted">/ {escape(t["call.pass_mark"])} {report.pass_mark:g}</span>'),
        (t["call.verdict"], _verdict(report.passed, t)),
    ]
    if vetoed:
        facts.append((t["call.vetoed"], vetoed))
    if report.unscored:
        facts.append((t["call.no_score"], escape(report.unscored)))
    facts += [(t["call.rules"], escape(tally)), (t["call.scorecard"], escape(report.scorecard))]
    if report.metadata:
        facts.append((t["call.metadata"], escape(", ".join(f"{k}: {_meta_value(v)}" for k, v in report.metadata.items()))))
    back = f'<p><a href="{escape(view.index_href)}">{escape(t["call.back"])}</a></p>' if view.index_href else ""
    items = "".join(f"<div><dt>{escape(name)}</dt><dd>{value}</dd></div>" for name, value in facts)
    head = f"{back}<h1>{escape(t['call.title'])} <code>{escape(report.call_id)}</code></h1>\n<dl class=\"facts\">{items}</dl>"
    if view.review:
        head += "\n" + review_bar(t)
    return head


def review_bar(t: Mapping[str, str]) -> str:
    """The reviewer's name, the save button and the count of reviews kept (shown by the pages' script only)."""
    return (f'<div class="review-bar js-only" id="csqa-review-bar"><label>{escape(t["review.reviewer"])} '
            f'<input id="csqa-reviewer" type="text" size="14" autocomplete="name" '
            f'placeholder="{escape(t["review.reviewer.hint"])}"></label>'
            f'<button type="button" class="primary" id="csqa-save">{escape(t["review.save"])}</button>'
            f'<span class="msg" id="csqa-review-msg" role="status"></span>'
            f'<span class="muted help">{escape(t["review.help"])}</span></div>'
            f'<p class="muted no-js">{escape(t["review.nojs"])}</p>')


def _times(start: float | None, end: float | None) -> str:
    if start is None and end is None:
        return ""
    return "–".join(_clock(t) for t in (start, end) if t is not None)


def _transcript(view: _View) -> str:
    report, prefix, t = view.report, view.prefix, view.text
    if not report.utterances:
        return f"<h2>{escape(t['h.transcript'])}</h2>\n<p class=\"muted\">{escape(t['transcript.missing'])}</p>"
    spans = _spans(report)
    rows = []
    for i, utt in enumerate(report.utterances):
        speaker = escape(utt.speaker)
        rows.append(
            f'<tr id="{escape(prefix)}u-{i}" class="{speaker}"><td class="idx">{i}</td>'
            f'<td class="who">{escape(t.get(f"speaker.{utt.speaker}", utt.speaker))}</td>'
            f'<td class="time">{_times(utt.start, utt.end)}</td>'
            f'<td class="text">{_highlight(utt.text, spans.get(i, []), view)}</td></tr>'
        )
    legend = _legend(t)
    # The transcript's words are Chinese whatever the language of the page's own words.
    return (f"<h2>{escape(t['h.transcript'])}</h2>\n<p class=\"legend\">{legend}</p>\n"
            "<table class=\"transcript\" lang=\"zh-CN\"><thead><tr>"
            f"<th>{escape(t['th.index'])}</th><th>{escape(t['th.speaker'])}</th><th>{escape(t['th.time'])}</th>"
            f"<th>{escape(t['th.text'])}</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>")


def _legend(t: Mapping[str, str]) -> str:
    marks = {"fail": f'<mark class="s-fail">{escape(_status("fail", t))}</mark>',
             "pass": f'<mark class="s-pass">{escape(_status("pass", t))}</mark>',
             "na": f'<mark class="s-not_assessable">{escape(_status("not_assessable", t))}</mark>',
             "ctx": f'<mark class="ctx">{escape(t["transcript.ctx"])}</mark>'}
    return re.sub(r"\{(\w+)\}", lambda m: marks.get(m.group(1), m.group()), escape(t["transcript.legend"]))


def _say_instead(check: CheckResult) -> str:
    if check.status != "fail":
        return ""
    lines = list(dict.fromkeys(s for s in (check.suggestion, *(ev.suggestion for ev in check.evidence)) if s))
    return "".join(f'<div class="say">{escape(line)}</div>' for line in lines)


def _evidence_list(view: _View, check_index: int, check: CheckResult) -> str:
    """Field findings, and findings that could not be placed in the transcript, with links to the ones that
    were; the customer's words are labelled as context."""
    report, prefix, t = view.report, view.prefix, view.text
    items = []
    for j, ev in enumerate(check.evidence):
        note = escape(ev.note)
        context = _customers(report, ev)
        css = ' class="ctx"' if context else ""
        tag = f' <span class="muted">({escape(t["ev.context_item"])})</span>' if context else ""
        if ev.utterance is None:
            field = f"<code>{escape(ev.field)}</code> " if ev.field else ""
            items.append(f'<li class="field">{field}{note}</li>')
        elif _in_transcript(report, ev):
            items.append(f'<li{css}><a href="#{escape(prefix)}ev-{check_index}-{j}">#{ev.utterance}</a> {note}{tag}</li>')
        else:
            items.append(f"<li{css}>#{ev.utterance} 「{escape(ev.quote)}」 {note}{tag}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _given(verdict: ReviewedVerdict | None, t: Mapping[str, str]) -> str:
    """The reviews already given for a verdict (``csqa report --reviews``), under its status."""
    if verdict is None:
        return ""
    lines = []
    for review in verdict.reviews:
        said = t["review.right"] if review.right else t["review.wrong"] + t["sep.comma"] + t["review.given_wrong"].format(
            status=_status(review.status, t))
        line = escape(t["review.given"].format(reviewer=review.reviewer, verdict=said))
        if review.comment:
            line += f" — {escape(review.comment)}"
        lines.append(f'<div class="given{" conflict" if verdict.conflict else ""}">{line}</div>')
    return "".join(lines)


def _rule_table(view: _View) -> str:
    report, prefix, t = view.report, view.prefix, view.text
    rows = []
    for i, check in enumerate(report.checks):
        rule = escape(check.rule)
        name = f'<a href="{escape(view.rule_href(check.rule))}">{rule}</a>' if view.rule_href else rule
        given = _given(view.given.get(check.rule), t) if view.given else ""
        severity = escape(t.get(f"severity.{check.severity}", check.severity))
        rows.append(
            f'<tr id="{escape(prefix)}rule-{rule}" class="s-{escape(check.status)}" data-rule="{rule}">'
            f"<td><code>{escape(check.code)}</code></td>"
            f'<td class="rule">{name}<div class="muted">{severity} · {check.weight:g}</div></td>'
            f"<td>{_badge(check.status, t)}{given}</td><td>{escape(check.message)}</td><td>{_say_instead(check)}</td>"
            f"<td>{_evidence_list(view, i, check)}</td></tr>"
        )
    return (f"<h2>{escape(t['h.rules'])}</h2>\n<table class=\"rules\"><thead><tr><th>{escape(t['th.code'])}</th>"
            f"<th>{escape(t['th.rule'])}</th><th>{escape(t['th.status'])}</th><th>{escape(t['th.finding'])}</th>"
            f"<th>{escape(t['th.say'])}</th><th>{escape(t['th.evidence'])}</th></tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody></table>")


def _call_view(view: _View) -> str:
    return "\n".join((_header(view), _transcript(view), _rule_table(view)))


def review_strings(t: Mapping[str, str]) -> dict[str, str]:
    """The labels the pages' script shows, handed to it in the page's data."""
    strings = {key.removeprefix("review."): value for key, value in t.items() if key.startswith("review.")}
    strings.update({key: t[key] for key in _STATUS_KEYS}, column=t["th.review"])
    return strings


_STATUS_KEYS = tuple(f"status.{s}" for s in _STATUSES)


def _call_data(report: Report, t: Mapping[str, str], root: str) -> dict[str, Any]:
    return {"call_id": report.call_id, "scorecard": report.scorecard, "csqa_version": __version__, "root": root,
            "checks": [{"rule": c.rule, "code": c.code, "status": c.status} for c in report.checks],
            "text": review_strings(t)}


def render_call(
    report: Report,
    *,
    rule_href: RuleHref | None = None,
    index_href: str | None = None,
    review: bool = False,
    reviews: Sequence[ReviewedVerdict] = (),
    text: Mapping[str, str] | None = None,
    lang: Lang = "en",
) -> str:
    """A complete HTML page for one call: its facts, the transcript with every evidence span highlighted and
    linked to its rule, and one row per rule. ``rule_href(rule_id)`` links each rule id (to its docs, say);
    ``index_href`` adds a link back to an index page. ``review`` adds the controls with which a reviewer marks
    each verdict right or wrong (the page then carries its script; the site root is taken to be the folder
    above the page's, as ``write_site`` lays it out); ``reviews`` are reviews already given, shown under each
    verdict's status. ``lang`` is the language of the page's words (``"en"`` or ``"zh"``, Simplified Chinese):
    the evidence, ids and the page's data are the same in both, so a review saved from either reads alike;
    ``text`` replaces the catalogue's words."""
    chosen = check_lang(lang)
    t = text or ui_text(chosen)
    given = {v.rule: v for v in reviews}
    view = _View(report, "", t, rule_href, index_href, review, given)
    script = ""
    body = _call_view(view)
    if review:
        body += f'\n<script type="application/json" id="csqa-data">{script_json(_call_data(report, t, ".."))}</script>'
        script = asset("reviews.js") + "\n" + asset("call.js")
    return page(f"{report.call_id} — csqa", _CALL_CSS, body, script=script, lang=chosen)


def render_fragment(report: Report, *, rule_href: RuleHref | None = None, lang: Lang = "en") -> str:
    """The call view as an embeddable ``<div>`` with its own scoped style, its words in ``lang``; ids carry a
    prefix derived from the call id, so that several reports on one page (a notebook) keep their links apart."""
    chosen = check_lang(lang)
    prefix = f"csqa-{hashlib.sha1(report.call_id.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}-"
    view = _View(report, prefix, ui_text(chosen), rule_href)
    return (f'<div class="csqa" lang="{html_lang(chosen)}"><style>{_CALL_CSS}</style>\n'
            f"{_call_view(view)}\n</div>")
