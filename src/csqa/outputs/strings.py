"""The words of csqa's pages and sheets, one table per language.

Why one table: supervisors read Chinese, pipelines read English column names, and a page whose labels are
scattered through the code cannot be switched from one to the other. Every label a page, a chart, a sheet or
the pages' scripts show is looked up here by key; a language is a dict of key → text, and a language that
lacks a key falls back to English (so a half-done translation shows English words, never a missing label).

``zh`` holds the sheet headers today (``csqa score --format xlsx --headers zh``); the page labels are
English until their Chinese table is added here — nothing else has to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from csqa.errors import UsageError

__all__ = ["LANGUAGES", "STRINGS", "labels"]

_EN: dict[str, str] = {
    # sheets: the two tables' names and every column of both
    "sheet.calls": "calls",
    "sheet.checks": "checks",
    "col.call_id": "call_id",
    "col.agent_id": "agent_id",
    "col.team": "team",
    "col.started_at": "started_at",
    "col.direction": "direction",
    "col.score": "score",
    "col.passed": "passed",
    "col.pass_mark": "pass_mark",
    "col.vetoed": "vetoed",
    "col.failed": "failed_rules",
    "col.fails": "fails",
    "col.unscored": "unscored",
    "col.scorecard": "scorecard",
    "col.metadata": "metadata",
    "col.error": "error",
    "col.source": "source",
    "col.rule": "rule",
    "col.code": "code",
    "col.status": "status",
    "col.severity": "severity",
    "col.weight": "weight",
    "col.message": "message",
    "col.suggestion": "suggestion",
    "col.evidence": "evidence",
    "col.evidence_count": "evidence_count",
    "ev.context": "context",
    "ev.agent": "agent",
    "ev.customer": "customer",
    # pages: shared
    "status.pass": "pass",
    "status.fail": "fail",
    "status.not_applicable": "not applicable",
    "status.not_assessable": "not assessable",
    "verdict.pass": "PASS 合格",
    "verdict.fail": "FAIL 不合格",
    "verdict.none": "not scored",
    "speaker.agent": "客服",
    "speaker.customer": "客户",
    "direction.inbound": "inbound 呼入",
    "direction.outbound": "outbound 外呼",
    "none": "–",
    # the index and the summary
    "index.title": "csqa report",
    "fig.calls": "calls",
    "fig.scored": "scored",
    "fig.errors": "errors",
    "fig.mean": "mean score",
    "fig.pass_rate": "pass rate",
    "fig.pass_mark": "pass mark",
    "fig.dates": "dates",
    "fig.reviewed": "reviewed verdicts",
    "fig.agreement": "agreement with reviewers",
    "chart.trend": "Trend",
    "chart.trend.label": "Mean score and the share of calls below the pass mark, by {period}",
    "chart.trend.mean": "mean score",
    "chart.trend.failing": "below the pass mark",
    "chart.trend.tip": "{period}: {calls} calls, {scored} scored, mean {mean}, "
                       "{failing} of {scored} below the pass mark ({rate})",
    "chart.trend.none": "No call has a start time (started_at): there is no trend to draw.",
    "chart.trend.legend": "Line: mean score (0–100, left). Bars: share of scored calls below the pass mark (right). "
                          "Hover for the counts.",
    "period.day": "day",
    "period.week": "week",
    "chart.fail_rate": "Fail rate per rule",
    "chart.fail_rate.label": "Fail rate per rule, highest first: the share of judged calls that failed each rule",
    "chart.fail_rate.tip": "{code} {rule}: {fails} of {judged} judged calls failed ({rate})",
    "chart.fail_rate.none": "not judged",
    "chart.fail_rate.legend": "Highest fail rate first; after each bar, failed / judged calls.",
    "chart.scores": "Scores per agent",
    "chart.scores.label": "Scores per agent: one dot per scored call on a 0–100 axis, the mean as a vertical tick",
    "chart.scores.axis": "score",
    "chart.scores.none": "no scored calls",
    "chart.scores.legend": "One dot per scored call (for an agent with many calls, one dot per score, larger the "
                           "more calls have it); the black tick is the agent's mean; (scored/calls) after each agent.",
    "chart.scores.legend_pass": "One dot per scored call (for an agent with many calls, one dot per score, larger the "
                                "more calls have it; green: at or above the pass mark, red: below); the black tick "
                                "is the agent's mean; (scored/calls) after each agent.",
    "chart.pass_mark": "pass mark {mark}",
    "h.rules": "Rules",
    "h.agents": "Agents",
    "h.groups": "By {by}",
    "h.calls": "Calls ({n})",
    "h.errors": "Errors ({n})",
    "h.agreement": "Agreement with reviewers",
    "h.to_review": "Needs a human look ({n} calls)",
    "review.note": "Fails csqa is unsure of (a phrase heard by sound, a script line missing from raw ASR text, a "
                   "judgement from the call's structure): look at these before they count against an agent.",
    "review.more": " The {n} least sure are listed.",
    "th.unsure": "unsure fails",
    "th.confidence": "confidence",
    "errors.note": "Calls that could not be read or scored.",
    "th.code": "code",
    "th.rule": "rule",
    "th.fails": "fails",
    "th.judged": "judged",
    "th.fail_rate": "fail rate",
    "th.na": "n/a",
    "th.not_assessable": "not assessable",
    "th.agent": "agent",
    "th.team": "team",
    "th.calls": "calls",
    "th.scored": "scored",
    "th.mean": "mean score",
    "th.pass_rate": "pass rate",
    "th.fails_most": "fails most",
    "th.call": "call",
    "th.started": "started",
    "th.direction": "direction",
    "th.score": "score",
    "th.verdict": "verdict",
    "th.failed": "failed rules",
    "th.reviews": "reviews",
    "th.where": "where",
    "th.message": "message",
    "th.reviewed": "reviewed",
    "th.agreed": "agreed",
    "th.agreement": "agreement",
    "th.false_alarms": "csqa fail, reviewer not",
    "th.missed": "reviewer fail, csqa not",
    "th.other": "other",
    "th.conflicts": "conflicting reviews",
    "agreement.note": "Each reviewed verdict compared with these reports' status for it. Conflicting reviews (two "
                      "reviewers giving one verdict different statuses) are counted apart and left out.",
    "agreement.unmatched": "{n} reviews name a call or rule that is not in these reports.",
    "group.none.agent": "(no agent_id)",
    "group.none.team": "(no team)",
    "group.none.day": "(no date)",
    "group.none.week": "(no date)",
    "group.none": "(none)",
    "calls.search": "Search",
    "calls.search.hint": "call, agent, team, rule, metadata…",
    "calls.rule": "Failed rule",
    "calls.agent": "Agent",
    "calls.team": "Team",
    "calls.verdict": "Verdict",
    "calls.from": "From",
    "calls.to": "To",
    "calls.any": "any",
    "calls.clear": "Clear",
    "calls.shown": "{first}–{last} of {n} matching calls ({total} in all)",
    "calls.none": "No call matches ({total} in all).",
    "calls.prev": "← previous",
    "calls.next": "next →",
    "calls.sort": "Sort by {column}",
    "calls.nojs": "Sorting, filtering and paging need JavaScript; without it every call is listed below.",
    "calls.fail_link": "show the calls that failed {rule}",
    "calls.reviewed": "{n} reviewed",
    "calls.disagreed": "{n} disagree",
    # one call
    "call.title": "Call",
    "call.back": "← all calls",
    "call.agent": "agent 客服",
    "call.team": "team",
    "call.started": "started",
    "call.direction": "direction",
    "call.score": "score",
    "call.pass_mark": "pass mark",
    "call.verdict": "verdict",
    "call.vetoed": "vetoed 一票否决",
    "call.no_score": "no score",
    "call.rules": "rules",
    "call.scorecard": "scorecard",
    "call.metadata": "metadata",
    "h.transcript": "Transcript",
    "transcript.missing": "This report was stored without its transcript; the evidence is listed with each rule below.",
    "transcript.legend": "Highlights: {fail} {pass} {na} {ctx} — the small code after a highlight links to its rule "
                         "below; hover for the finding. The customer's words are marked as context only: they are "
                         "never the agent's fault.",
    "transcript.ctx": "customer's words (context)",
    "transcript.ctx_title": "the customer's words, shown as context for the agent's verdict, not as a fault",
    "th.index": "#",
    "th.speaker": "speaker",
    "th.time": "time",
    "th.text": "text",
    "th.status": "status",
    "th.finding": "finding",
    "th.say": "say instead",
    "th.evidence": "evidence",
    "th.review": "review",
    "ev.context_item": "customer's words, context",
    # the review loop (call pages; labels the script shows are in the page's data)
    "review.reviewer": "Reviewer",
    "review.reviewer.hint": "your name",
    "review.right": "right",
    "review.wrong": "wrong",
    "review.should_be": "should be",
    "review.comment": "comment",
    "review.save": "Save reviews",
    "review.help": "Mark each verdict right or wrong; for a wrong one choose the status it should have. Your reviews "
                   "are kept in this browser for this folder of pages and go into a file when you press Save: keep "
                   "the files and give them to 'csqa reviews'.",
    "review.count": "{n} reviews kept in this browser for these pages",
    "review.saved": "saved {file}",
    "review.need_name": "Enter your name first: every review carries its reviewer.",
    "review.no_storage": "This browser keeps nothing for local files: save before you leave the page.",
    "review.nothing": "No review to save yet.",
    "review.clear": "clear this review",
    "review.given": "reviewed by {reviewer}: {verdict}",
    "review.given_wrong": "should be {status}",
    "review.nojs": "Reviewing verdicts needs JavaScript.",
}

_ZH: dict[str, str] = {
    "sheet.calls": "通话",
    "sheet.checks": "质检项",
    "col.call_id": "通话ID",
    "col.agent_id": "坐席工号",
    "col.team": "班组",
    "col.started_at": "开始时间",
    "col.direction": "呼叫方向",
    "col.score": "得分",
    "col.passed": "是否合格",
    "col.pass_mark": "合格线",
    "col.vetoed": "一票否决",
    "col.failed": "未通过项",
    "col.fails": "未通过数",
    "col.unscored": "未评分原因",
    "col.scorecard": "评分表",
    "col.metadata": "其他信息",
    "col.error": "错误",
    "col.source": "来源",
    "col.rule": "规则",
    "col.code": "编号",
    "col.status": "结果",
    "col.severity": "严重程度",
    "col.weight": "权重",
    "col.message": "说明",
    "col.suggestion": "建议话术",
    "col.evidence": "证据",
    "col.evidence_count": "证据数",
    "ev.context": "仅作参考",
    "ev.agent": "客服",
    "ev.customer": "客户",
}

STRINGS: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
"""Every language's labels: ``STRINGS[lang][key]``. English is complete; other languages may be partial."""

LANGUAGES = tuple(STRINGS)


def labels(lang: str = "en") -> Mapping[str, str]:
    """The labels of ``lang``, English where it has none; :class:`~csqa.errors.UsageError` for an unknown
    language."""
    if lang not in STRINGS:
        raise UsageError(f"no labels for language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return MappingProxyType(_EN if lang == "en" else {**_EN, **STRINGS[lang]})
