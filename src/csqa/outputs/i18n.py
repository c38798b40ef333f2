"""Every text csqa writes into a report, in English and Simplified Chinese side by side: the one catalogue.

A rule's finding (``CheckResult.message``), each evidence ``note`` and a report's ``unscored`` reason are
written in the language a :class:`~csqa.Scorer` is given (``lang="en"`` or ``"zh"``). The checks never hold
a sentence of their own: they name a message of :data:`MESSAGES` and give its parameters
(``ctx.say("rings.fail", rings=5, max=3)``), and the text is made here from the template of that language.
Nothing else changes with the language (statuses, evidence offsets, codes, scores, suggestions), so a
report in Chinese and one in English differ only in those text fields.

Besides the messages, the catalogue holds the Chinese of what the bundled rule file and the built-in rules
carry as English data: each built-in rule's title and summary (:data:`RULES_ZH`, by rule id; their English is
the rule's declaration), and the labels of the bundled script parts and notes of the built-in settings
(:data:`DATA_ZH`, by their English text, so that a rule file that renames a part never shows a stale
translation; such a file gives ``label_zh`` itself). :func:`labels` gives the words of the command line's
tables (column headers, statuses, severities) for a language, and :func:`ui_text` every fixed word of the
HTML pages (the index, call pages, charts, the review controls and what their scripts show), of the text
summary and of the sheets' headers. A page in Chinese differs from the English one only in those words and
its ``<html lang>``: evidence, codes, ids and the data its scripts and review files use are the same.

``tests/test_i18n.py`` fails when a message lacks a language, when the two templates of a message take
different parameters, when a Chinese text holds an English word, and when a check names a message that is not
here or writes a sentence of its own.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal

from csqa.errors import UsageError, did_you_mean

__all__ = [
    "DATA_ZH",
    "LANGS",
    "MESSAGES",
    "RULES_ZH",
    "Lang",
    "check_lang",
    "data_text",
    "group_name",
    "html_lang",
    "join",
    "labels",
    "say",
    "template_fields",
    "ui_text",
]

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
"""The languages of findings: English and Simplified Chinese."""

_ALIASES: dict[str, Lang] = {
    "en": "en", "english": "en", "en-us": "en", "en-gb": "en",
    "zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "zh-hans-cn": "zh", "zh-sg": "zh", "cn": "zh", "chinese": "zh", "中文": "zh",
    "简体中文": "zh",
}


def check_lang(lang: object, *, what: str = "lang") -> Lang:
    """``lang`` as one of :data:`LANGS` (``zh-CN``, ``zh-Hans`` and ``cn`` are ``zh``; case and ``_`` do not
    matter); anything else is a :class:`~csqa.errors.UsageError` (E400) naming ``what`` was given. Traditional
    Chinese is not offered: the findings are in Simplified Chinese, the transcripts keep their own characters."""
    if isinstance(lang, str):
        key = lang.strip().lower().replace("_", "-")
        found = _ALIASES.get(key)
        if found is not None:
            return found
        if key.startswith(("zh-tw", "zh-hk", "zh-mo", "zh-hant")):
            raise UsageError(f"{what} {lang[:40]!r}: findings in Traditional Chinese are not offered; use 'zh' "
                             "(Simplified Chinese) or 'en'")
        raise UsageError(f"{what} {lang[:40]!r} is not a language of csqa's findings; use 'en' (English) or 'zh' "
                         f"(Simplified Chinese){did_you_mean(lang, LANGS, cutoff=0.6)}")
    raise UsageError(f"{what} must be 'en' or 'zh', not {type(lang).__name__} {lang!r:.40}")


M = dict[Lang, str]

MESSAGES: Mapping[str, M] = {
    # --- words that messages are made of ---------------------------------------------------------------
    "who.agent": {"en": "the agent", "zh": "坐席"},
    "who.customer": {"en": "the customer", "zh": "客户"},
    "direction.inbound": {"en": "inbound", "zh": "呼入"},
    "direction.outbound": {"en": "outbound", "zh": "回访"},
    "event.hold": {"en": "hold", "zh": "保持等待"},
    "event.transfer": {"en": "transfer", "zh": "转接"},
    "join.list": {"en": "; ", "zh": "；"},
    "join.and": {"en": " and ", "zh": "和"},
    "join.also": {"en": " and ", "zh": "，且"},
    "said": {"en": "said", "zh": "说到"},
    "homophone": {"en": " (heard as {phrase!r}, a homophone)", "zh": "（听作「{phrase}」，同音）"},
    "party.silent": {"en": "{who} never speaks in this transcript", "zh": "本通话记录中{who}没有说话"},
    # --- answer-within-three-rings -------------------------------------------------------------------------
    "rings.callback": {"en": "a callback is not answered, so it has no ring count",
                       "zh": "回访电话由坐席拨出，没有响铃次数"},
    "rings.pass": {"en": "answered after {rings} ring(s)", "zh": "响铃{rings}声后接听"},
    "rings.rang": {"en": "rang {rings} times before the answer", "zh": "接听前响铃{rings}声"},
    "rings.answer": {"en": "the answer came here", "zh": "在此接听"},
    "rings.fail": {"en": "answered after {rings} rings (more than {max})", "zh": "响铃{rings}声后才接听（超过{max}声）"},
    "rings.seconds-pass": {"en": "answered after {seconds:g} s of ringing (under {limit:g} s)",
                           "zh": "响铃{seconds:g}秒后接听（不足{limit:g}秒）"},
    "rings.seconds": {"en": "{seconds:g} s of ringing, {max} rings take {limit:g} s",
                      "zh": "响铃{seconds:g}秒，响铃{max}声约需{limit:g}秒"},
    "rings.seconds-fail": {"en": "answered after {seconds:g} s of ringing (limit {limit:g} s)",
                           "zh": "响铃{seconds:g}秒后才接听（上限{limit:g}秒）"},
    "rings.unknown": {"en": "the call has neither rings nor ring_seconds",
                      "zh": "通话数据没有响铃次数（rings）或响铃时长（ring_seconds）"},
    # --- customer-hangs-up-first ---------------------------------------------------------------------------
    "hangup.unknown": {"en": "the call does not say who hung up (hangup_by)",
                       "zh": "通话数据没有说明谁先挂机（hangup_by）"},
    "hangup.pass": {"en": "the customer hung up first", "zh": "客户先挂机"},
    "hangup.by-agent": {"en": "the agent ended the call", "zh": "坐席挂断了电话"},
    "hangup.last-words": {"en": "the agent's last words before hanging up", "zh": "坐席挂机前的最后一句话"},
    "hangup.fail": {"en": "the agent hung up before the customer", "zh": "坐席先于客户挂机"},
    # --- restate-question ----------------------------------------------------------------------------------
    "restate.wrong-number": {"en": "the call reached a wrong number; there is no matter to restate",
                             "zh": "客户打错了电话，没有需要复述的问题"},
    "restate.no-matter": {"en": "the customer raised no matter of their own", "zh": "客户没有提出自己的问题"},
    "restate.pass": {"en": "the agent restated the customer's matter and asked for confirmation before answering",
                     "zh": "坐席在解答之前复述了客户的问题并请客户确认"},
    "restate.restatement": {"en": "restatement", "zh": "复述"},
    "restate.matter": {"en": "the customer's matter", "zh": "客户的问题"},
    "restate.answered-here": {"en": "the agent answered here without restating", "zh": "坐席在此直接作答，没有先复述"},
    "restate.mismatch-note": {"en": "a confirmation that does not restate what the customer said",
                              "zh": "这句确认没有复述客户所说的内容"},
    "restate.mismatch": {"en": "the agent's confirmation does not restate what the customer said, and the agent went "
                               "on to answer",
                         "zh": "坐席的确认没有复述客户所说的内容，随后就直接作答"},
    "restate.fail": {"en": "the agent answered without first restating the customer's matter and asking for "
                           "confirmation",
                     "zh": "坐席没有先复述客户的问题并请客户确认，就直接作答"},
    "restate.no-answer": {"en": "the call ends before the agent answers the customer's matter",
                          "zh": "通话在坐席解答客户的问题之前就结束了"},
    "restate.withdrawn": {"en": "the customer put the matter off before the agent answered it, so the "
                                "restatement cannot be judged",
                          "zh": "客户在坐席解答之前就暂缓了问题,无法判断是否复述"},
    # --- no-interrupting -----------------------------------------------------------------------------------
    "interrupt.untimed": {"en": "judging interruptions needs start and end times on every utterance",
                          "zh": "判断是否打断客户，需要每句话都有开始和结束时间"},
    "interrupt.starts": {"en": "starts {overlap:.1f} s before the customer finishes",
                         "zh": "在客户说完前{overlap:.1f}秒开口"},
    "interrupt.speaking": {"en": "the customer was still speaking", "zh": "客户仍在说话"},
    "interrupt.pass": {"en": "the agent never started speaking over the customer (back-channels aside)",
                       "zh": "坐席从未在客户说话时开口（简短回应除外）"},
    "interrupt.fail": {"en": "the agent interrupted the customer {count} time(s)", "zh": "坐席打断客户{count}次"},
    # --- apologise-after-hold ------------------------------------------------------------------------------
    "hold.unplaceable": {"en": "the call has hold events but its utterances have no times to place them",
                         "zh": "通话有保持等待的事件，但语句没有时间，无法确定等待的位置"},
    "hold.event": {"en": "hold from {start:g} s to {end:g} s", "zh": "保持等待，从第{start:g}秒到第{end:g}秒"},
    "hold.gap": {"en": "the agent speaks again after {gap:.0f} s of silence", "zh": "坐席沉默{gap:.0f}秒后再次说话"},
    "hold.asks": {"en": "the agent asks the customer to wait", "zh": "坐席请客户稍等"},
    "hold.none": {"en": "the customer was never put on hold", "zh": "客户没有被要求等待"},
    "hold.never-back": {"en": "the call ends during the hold; the agent never comes back",
                        "zh": "通话在等待中结束，坐席没有回来"},
    "hold.no-apology": {"en": "the agent's first words after the hold, without an apology for the wait",
                        "zh": "坐席等待之后的第一句话，没有为久等致歉"},
    "hold.apology": {"en": "apology for the wait", "zh": "为久等致歉"},
    "hold.fail": {"en": "after a hold the agent did not apologise for the wait", "zh": "等待之后坐席没有为久等致歉"},
    "hold.pass": {"en": "the agent apologised after each of {count} hold(s)", "zh": "{count}次等待之后坐席都致了歉"},
    # --- no-transfer-without-consent -----------------------------------------------------------------------
    "transfer.none": {"en": "the call was not transferred", "zh": "通话没有转接"},
    "transfer.at": {"en": "transfer at {start:g} s", "zh": "在第{start:g}秒转接"},
    "transfer.raised": {"en": "the agent raises the transfer", "zh": "坐席提出转接"},
    "transfer.last-words": {"en": "the agent's last words before the transfer", "zh": "坐席转接前的最后一句话"},
    "transfer.requested": {"en": "the customer asked to be transferred", "zh": "客户要求转接"},
    "transfer.request": {"en": "the customer asks for the transfer", "zh": "客户要求转接"},
    "transfer.declined": {"en": "the agent offered a transfer, the customer declined, and no transfer happened",
                          "zh": "坐席提议转接，客户拒绝，之后没有转接"},
    "transfer.unexplained": {"en": "no explanation of who is responsible", "zh": "没有说明由谁负责"},
    "transfer.objected": {"en": "the customer objected", "zh": "客户表示反对"},
    "transfer.unagreed": {"en": "no agreement from the customer", "zh": "没有征得客户同意"},
    "transfer.fail": {"en": "the call was transferred with {lacking}", "zh": "转接时{lacking}"},
    "transfer.pass": {"en": "the agent explained the transfer and the customer agreed",
                      "zh": "坐席说明了转接的原因，客户表示同意"},
    "transfer.explanation": {"en": "explanation", "zh": "说明转接原因"},
    "transfer.agrees": {"en": "the customer agrees", "zh": "客户表示同意"},
    # --- the generic kinds: directions, logic ----------------------------------------------------------
    "kind.directions": {"en": "only {directions} calls have this rule ({title})",
                        "zh": "只有{directions}通话适用本规则（{title}）"},
    "site.directions": {"en": "the rule applies to {directions} calls only", "zh": "本规则只适用于{directions}通话"},
    "logic.not": {"en": "not ({message})", "zh": "并非（{message}）"},
    # --- windows: where a phrase is looked for, and why it cannot be placed --------------------------------
    "where.call": {"en": "in the call", "zh": "在通话中"},
    "where.opening": {"en": "in the agent's opening", "zh": "在开场白中"},
    "where.closing": {"en": "in the agent's closing", "zh": "在结束语中"},
    "where.after-goodbye": {"en": "after the goodbye", "zh": "在告别之后"},
    "where.before-answer": {"en": "by the agent's first answer to the customer's matter",
                            "zh": "在首次解答客户的问题时及之前"},
    "where.first-utterances": {"en": "in the first {count} utterances", "zh": "在前{count}句话中"},
    "where.first-seconds": {"en": "in the first {seconds:g} s", "zh": "在前{seconds:g}秒内"},
    "where.after-event": {"en": "in the {count} utterances after the {event}", "zh": "在{event}之后的{count}句话中"},
    "window.transfer-untimed": {"en": "the call was transferred, and neither utterance times nor the agent's words "
                                      "(no announcement of the transfer) tell whether the agent spoke again",
                                "zh": "通话已转接，语句没有时间，坐席也没有说明转接，无法判断坐席是否再次说话"},
    "window.handed-off": {"en": "the call was transferred and the agent did not speak again; the closing was not theirs",
                          "zh": "通话已转接，坐席之后没有再说话，结束语不由该坐席负责"},
    "window.ended-on-hold": {"en": "the call ended during a hold, before the agent spoke again; the closing cannot be judged",
                             "zh": "通话在保持等待中结束，坐席未能再说话，无法评判结束语"},
    "window.no-goodbye": {"en": "the agent never ends the call with a goodbye, so there is no 'after the goodbye'",
                          "zh": "坐席没有以告别语结束通话，因此不存在「告别之后」"},
    "window.no-answer": {"en": "the customer raised no matter that the agent answered",
                         "zh": "客户没有提出需要坐席解答的问题"},
    "window.seconds-untimed": {"en": "the window is in seconds and the utterances have no times",
                               "zh": "检查范围以秒计，而语句没有时间"},
    "window.no-event": {"en": "there is no {event} in the call", "zh": "通话中没有{event}"},
    "window.event-untimed": {"en": "the call has a {event} but its utterances have no times to place it",
                             "zh": "通话中有{event}，但语句没有时间，无法确定其位置"},
    # --- script lines (phrase-required with parts) -----------------------------------------------------------
    "parts.opening": {"en": "the agent's opening", "zh": "坐席的开场白"},
    "parts.closing": {"en": "the agent's closing", "zh": "坐席的结束语"},
    "parts.after-goodbye": {"en": "after the goodbye", "zh": "告别之后"},
    "parts.other": {"en": "what {who} says {within}", "zh": "{who}在「{within}」范围内说的话"},
    "parts.words": {"en": "{who}'s words", "zh": "{who}说的话"},
    "parts.titled": {"en": "{place} ({title})", "zh": "{place}（{title}）"},
    "parts.silent": {"en": "{who} says nothing {place}, so not the script line",
                     "zh": "{who}没有说话（{place}），因此没有说标准话术"},
    "parts.pass": {"en": "{place} has every part of the script line", "zh": "{place}包含标准话术的每个部分"},
    "parts.fail": {"en": "{place} lacks: {labels}", "zh": "{place}缺少：{labels}"},
    "parts.missing": {"en": "{place}: missing {labels}", "zh": "{place}：缺少{labels}"},
    # --- phrases --------------------------------------------------------------------------------------------
    "phrase.banned-note": {"en": "banned phrase 「{phrase}」{how}", "zh": "服务禁语「{phrase}」{how}"},
    "required.pass": {"en": "{who} said {shown} {where}", "zh": "{who}{where}说了{shown}"},
    "required.silent": {"en": "{who} says nothing {where}, so not the required phrase",
                        "zh": "{who}{where}没有说话，因此没有说规定的话"},
    "required.fail": {"en": "{who} did not say the required phrase {where}", "zh": "{who}{where}没有说规定的话"},
    "required.missing": {"en": "{where}: the required phrase is missing", "zh": "{where}：缺少规定的话"},
    "forbidden.said": {"en": "said {count} forbidden phrase(s) {where}", "zh": "{where}说了{count}个禁止的说法"},
    "forbidden.said-banned": {"en": "said {count} banned phrase(s)", "zh": "说了{count}个服务禁语"},
    "objected.note": {"en": "what the customer objected to right after (「{objection}」): judged from context",
                      "zh": "客户随即对这句话提出异议（「{objection}」）：据上下文判断"},
    "objected.objection": {"en": "the customer's objection to the agent's manner", "zh": "客户对坐席态度的异议"},
    "forbidden.fail": {"en": "{who} {said}: {shown}", "zh": "{who}{said}：{shown}"},
    "forbidden.never": {"en": "{who} never {note} {where}", "zh": "{who}{where}从未{note}"},
    "forbidden.pass": {"en": "{who} said none of the phrases {where}", "zh": "{who}{where}没有说任何禁止的说法"},
    "forbidden.pass-banned": {"en": "{who} said none of the banned phrases {where}", "zh": "{who}{where}没有说任何服务禁语"},
    "count.note": {"en": "said {count} time(s), at least {low} wanted", "zh": "说了{count}次，至少应说{low}次"},
    "count.few": {"en": "{who} said the phrases {count} time(s), fewer than {low}", "zh": "{who}说这些话{count}次，少于{low}次"},
    "count.many": {"en": "{who} said {shown} {count} times, more than {high}", "zh": "{who}说{shown}共{count}次，多于{high}次"},
    "count.pass": {"en": "{who} said the phrases {count} time(s)", "zh": "{who}说这些话{count}次"},
    # --- order ----------------------------------------------------------------------------------------------
    "order.unsaid": {"en": "the later phrase is never said", "zh": "后说的话从未说过"},
    "order.pass": {"en": "「{first}」 came before 「{then}」", "zh": "「{first}」在「{then}」之前"},
    "order.fail": {"en": "「{then}」 was said before (or without) the phrase that must come first",
                   "zh": "「{then}」说在了必须先说的话之前（或根本没有先说）"},
    # --- nothing-beyond ---------------------------------------------------------------------------------
    "beyond.pass": {"en": "nothing but the allowed phrases {where}", "zh": "{where}只说了允许说的话"},
    "beyond.goodbye": {"en": "the goodbye", "zh": "告别语"},
    "beyond.fail": {"en": "{who} said something else {where}", "zh": "{who}{where}说了别的话"},
    "beyond.said": {"en": "said {where}", "zh": "{where}所说"},
    "beyond.on-line": {"en": "said {where}, with {other} still on the line", "zh": "{where}所说，{other}仍在线上"},
    # --- fillers --------------------------------------------------------------------------------------------
    "fillers.filler": {"en": "filler", "zh": "口头禅"},
    "fillers.particle": {"en": "impolite modal particle", "zh": "非礼貌性语气助词"},
    "fillers.pass": {"en": "fewer than {threshold} fillers or impolite particles",
                     "zh": "口头禅和非礼貌性语气助词少于{threshold}个"},
    "fillers.pass-found": {"en": "fewer than {threshold} fillers or impolite particles ({count} found)",
                           "zh": "口头禅和非礼貌性语气助词少于{threshold}个（发现{count}个）"},
    "fillers.fail": {"en": "{who} used {count} fillers or impolite particles (threshold {threshold})",
                     "zh": "{who}使用了{count}个口头禅或非礼貌性语气助词（阈值为{threshold}个）"},
    # --- timing kinds ---------------------------------------------------------------------------------------
    "silence.untimed": {"en": "silences need start and end times on every utterance",
                        "zh": "判断沉默，需要每句话都有开始和结束时间"},
    "silence.note": {"en": "{gap:.1f} s of silence before this (limit {limit:g} s)",
                     "zh": "此前沉默{gap:.1f}秒（上限{limit:g}秒）"},
    "silence.fail": {"en": "{count} silence(s) over {limit:g} s", "zh": "{count}次沉默超过{limit:g}秒"},
    "silence.pass": {"en": "no silence over {limit:g} s", "zh": "没有超过{limit:g}秒的沉默"},
    "rate.untimed": {"en": "a speech rate needs start and end times on every utterance",
                     "zh": "计算语速，需要每句话都有开始和结束时间"},
    "rate.no-speech": {"en": "{who} has no timed speech", "zh": "{who}没有带时间的语句"},
    "rate.fast": {"en": "{who} speaks {rate:.0f} characters a minute (limit {limit:g})",
                  "zh": "{who}语速为每分钟{rate:.0f}字（上限{limit:g}字）"},
    "rate.fastest": {"en": "the fastest utterance; {rate:.0f} characters a minute overall",
                     "zh": "语速最快的一句；全程每分钟{rate:.0f}字"},
    "rate.slow": {"en": "{who} speaks {rate:.0f} characters a minute (at least {limit:g})",
                  "zh": "{who}语速为每分钟{rate:.0f}字（下限{limit:g}字）"},
    "rate.overall": {"en": "{rate:.0f} characters a minute overall", "zh": "全程每分钟{rate:.0f}字"},
    "rate.pass": {"en": "{who} speaks {rate:.0f} characters a minute", "zh": "{who}语速为每分钟{rate:.0f}字"},
    "overlap.untimed": {"en": "overlaps need start and end times on every utterance",
                        "zh": "判断抢话，需要每句话都有开始和结束时间"},
    "overlap.note": {"en": "overlaps the other party by {overlap:.1f} s (limit {limit:g} s)",
                     "zh": "与对方重叠{overlap:.1f}秒（上限{limit:g}秒）"},
    "overlap.speaking": {"en": "still speaking", "zh": "仍在说话"},
    "overlap.fail": {"en": "{count} overlap(s) over {limit:g} s", "zh": "{count}次抢话超过{limit:g}秒"},
    "overlap.pass": {"en": "no overlap over {limit:g} s", "zh": "没有超过{limit:g}秒的抢话"},
    "response.untimed": {"en": "the agent's first utterance has no time", "zh": "坐席的第一句话没有时间"},
    "response.fail": {"en": "the agent first spoke {start:g} s after the answer (limit {limit:g} s)",
                      "zh": "接通{start:g}秒后坐席才首次说话（上限{limit:g}秒）"},
    "response.note": {"en": "first words, {start:g} s in", "zh": "第一句话，在第{start:g}秒"},
    "response.pass": {"en": "the agent first spoke {start:g} s after the answer", "zh": "接通{start:g}秒后坐席首次说话"},
    # --- the report ---------------------------------------------------------------------------------------
    "unscored.silent-agent": {"en": "the agent never speaks in this transcript, so its service cannot be scored; "
                                    "{count} rule(s) judged from the call's data are still reported",
                              "zh": "本通话记录中坐席没有说话，无法为其服务评分；根据通话数据判断的{count}条规则仍照常报告"},
    "unscored.nothing-judged": {"en": "no rule could be judged on this call", "zh": "本通话没有一条规则可以判断"},
    # --- the text summary (csqa summary, Summary.table) ------------------------------------------------------
    "summary.head": {"en": "{calls} calls ({errors} errors{skipped}), mean score {mean}, pass rate {rate}",
                     "zh": "{calls}个通话（{errors}个错误{skipped}），平均分{mean}，合格率{rate}"},
    "summary.skipped": {"en": "; {count} unreadable lines skipped", "zh": "；跳过了{count}行无法读取的内容"},
    "summary.to-review": {"en": "{count} calls have fails that need a human look{more}:",
                          "zh": "{count}个通话有需要人工复核的不通过项{more}："},
    "summary.to-review-more": {"en": " (the {count} least sure)", "zh": "（列出最没有把握的{count}个）"},
    "summary.agreement": {"en": "agreement with reviewers: {agreed} of {reviewed} reviewed verdicts agree ({rate}){unmatched}",
                          "zh": "与复核人的一致情况：{reviewed}个已复核的判定中{agreed}个一致（{rate}）{unmatched}"},
    "summary.unmatched": {"en": "; {count} reviewed verdicts are not in these reports",
                          "zh": "；有{count}个已复核的判定不在这些报告中"},
    # --- the command line's tables (csqa score, rules, examples, eval) ------------------------------------
    "cli.scored": {"en": "{scored} calls scored, {errors} errors; mean score {mean}; {passed} of {judged} at or above "
                         "the pass mark {mark:g}",
                   "zh": "已评分{scored}个通话，{errors}个错误；平均分{mean}；"
                         "{judged}个有分数的通话中{passed}个达到合格线{mark:g}"},
    "cli.unjudged": {"en": "{count} calls have no score (the agent never speaks, or no rule could be judged): their "
                           "reports say why",
                     "zh": "{count}个通话没有分数（坐席没有说话，或没有可判断的规则）：原因见各自的报告"},
    "cli.rule-docs": {"en": "'csqa rules RULE' shows a rule's documentation: why, what counts, what does not, examples.",
                      "zh": "「csqa rules 规则」显示一条规则的说明（英文）：为什么、什么算、什么不算，以及示例。"},
    "cli.veto": {"en": " (veto)", "zh": "（一票否决）"},
    "cli.example-failed": {"en": "FAIL {source}: expected {expected}, got {got}: {message}",
                           "zh": "未通过 {source}：应为 {expected}，实为 {got}：{message}"},
    "cli.example-why": {"en": "     why: {why}", "zh": "     原因：{why}"},
    "cli.examples": {"en": "{passed} passed, {failed} failed", "zh": "{passed}个通过，{failed}个未通过"},
    "eval.calls": {"en": "{calls} annotated calls ({sources})", "zh": "{calls}个标注通话（{sources}）"},
    "eval.examples": {"en": "the rules' examples", "zh": "各规则的示例"},
    "eval.disagreements": {"en": "{count} disagreements:", "zh": "{count}处不一致："},
    "eval.disagreement": {"en": "- {call} {rule}: gold {gold}, predicted {predicted} — {message} [{source}]",
                          "zh": "- {call} {rule}：标注 {gold}，判定 {predicted} — {message} [{source}]"},
    "eval.utterance": {"en": "utterance {index} [{start}:{end}] 「{quote}」", "zh": "第{index}句 [{start}:{end}] 「{quote}」"},
    "eval.evidence": {"en": "    {where}: {note}", "zh": "    {where}：{note}"},
}
"""Every message of a report, by id: its template in each language (:meth:`str.format` fields, the same
ones in every language)."""

_FORMATTER = string.Formatter()


def say(lang: Lang, message: str, /, **params: object) -> str:
    """The text of ``message`` in ``lang``, its fields filled from ``params`` (a ``KeyError`` names an
    unknown message: a bug in a check, which the tests catch)."""
    return MESSAGES[message][lang].format(**params)


def join(lang: Lang, how: Literal["list", "and", "also"], items: Iterable[str]) -> str:
    """``items`` joined as a list (``; `` / ``；``), with "and" (``inbound and outbound`` / ``呼入和呼出``), or with
    "and also" between clauses (``…，且…``)."""
    return MESSAGES[f"join.{how}"][lang].join(items)


RULES_ZH: Mapping[str, tuple[str, str]] = {
    "answer-within-three-rings": ("响铃三声内接听", "呼入电话在响铃三声之内接起（按 ring_seconds 计时则为三个响铃周期之内）。"),
    "standard-greeting": ("标准问候", "坐席的开场白包含问候、报出公司或部门名称，并询问能提供什么帮助。"),
    "restate-question": ("复述客户的问题", "解答之前，坐席复述客户的问题并请客户确认（您是咨询…的问题，是吗？）。"),
    "offer-further-help": ("询问是否还需要帮助", "在坐席最后三句话中，坐席询问客户是否还需要其他帮助。"),
    "thank-and-goodbye": ("感谢来电并告别", "坐席的结束语感谢客户来电并说再见。"),
    "customer-hangs-up-first": ("让客户先挂机", "由客户而不是坐席先挂机（看通话数据的 hangup_by）。"),
    "callback-introduction": ("回访开场", "回访电话以问候开场，并说明是谁打来的（这里是…客服部）。"),
    "callback-closing": ("回访结束语", "回访电话结束时为打扰致歉、感谢客户的支持并说再见。"),
    "no-forbidden-phrases": ("不说服务禁语", "坐席从不说「八、服务禁语」中的十四句话或与之相近的说法。"),
    "no-interrupting": ("不打断客户", "客户说话时坐席不插话（简短回应除外）。"),
    "no-filler-words": ("不频繁使用口头禅", "坐席不频繁使用口头禅或非礼貌性语气助词（嗯、喽、嘛、呗）。"),
    "no-arguing": ("不与客户争执或训斥客户", "坐席不训斥、不辱骂客户，不与客户争执。"),
    "no-chatting-before-hangup": ("客户挂机前不闲聊", "告别之后客户仍在线时，坐席除结束语外不说别的话。"),
    "no-transfer-without-consent": ("未经同意不转接", "转接之前先向客户说明并征得客户同意。"),
    "no-absolute-promises": ("不作绝对承诺（凡事留有余地）", "坐席不作绝对的承诺（肯定、保证、绝对）。"),
    "apologise-after-hold": ("等待之后致歉", "让客户等待之后，坐席的下一句话为久等致歉。"),
}
"""Each built-in rule's title and summary in Chinese, by rule id (the English ones are its declaration's)."""

DATA_ZH: Mapping[str, str] = {
    # the labels of the bundled script's parts (rules/default.toml), which findings name
    "a greeting (您好)": "问候语（您好）",
    "the company or department (…客服部)": "公司或部门名称（…客服部）",
    "an offer of help (请问有什么能帮您)": "询问能提供什么帮助（请问有什么能帮您）",
    "a greeting (…先生/女士您好)": "问候语（…先生/女士您好）",
    "who is calling (这里是…公司客服部)": "说明是谁打来的（这里是…公司客服部）",
    "a restatement lead (您是咨询… / 您的意思是… / 我跟您确认一下…)": "复述的引导语（您是咨询… / 您的意思是… / 我跟您确认一下…）",
    "a request for confirmation (是吗 / 对吗)": "请客户确认（是吗 / 对吗）",
    "an apology for the wait (不好意思,让您久等了)": "为久等致歉（不好意思，让您久等了）",
    "an offer of further help (还需要其它的帮助吗)": "询问是否还需要帮助（还需要其它的帮助吗）",
    "thanks (感谢您的来电)": "感谢语（感谢您的来电）",
    "goodbye (再见)": "告别语（再见）",
    "an apology for the disturbance (抱歉打搅您了)": "为打扰致歉（抱歉打搅您了）",
    "thanks for the support (感谢您对我们工作的支持)": "感谢客户的支持（感谢您对我们工作的支持）",
    # the notes of the built-in rules' settings (csqa.checks.taboos)
    "scolded or argued with the customer": "训斥客户或与客户争执",
    "made an absolute promise": "作出绝对承诺",
}
"""The Chinese of the English texts that the bundled rule file and the built-in settings carry, by their
English (a rule file's own ``label_zh`` / ``note_zh`` comes first)."""


def data_text(lang: Lang, english: str, zh: str | None = None) -> str:
    """A text of a rule file or a rule's settings in ``lang``: the English as given; in Chinese, the file's
    own Chinese (``zh``), else the catalogue's translation of the English, else the English itself (a site
    file that names parts or notes in English and gives no ``label_zh`` / ``note_zh``)."""
    if lang == "en":
        return english
    return zh or DATA_ZH.get(english, english)


_LABELS: Mapping[str, M] = {
    # statuses, severities and verdicts
    "pass": {"en": "pass", "zh": "通过"},
    "fail": {"en": "fail", "zh": "不通过"},
    "not_applicable": {"en": "not applicable", "zh": "不适用"},
    "not_assessable": {"en": "not assessable", "zh": "无法判断"},
    "critical": {"en": "critical", "zh": "严重"},
    "major": {"en": "major", "zh": "重要"},
    "minor": {"en": "minor", "zh": "轻微"},
    "warning": {"en": "warning", "zh": "提示"},
    "veto": {"en": "veto", "zh": "一票否决"},
    "vetoed": {"en": "vetoed", "zh": "一票否决"},
    "verdict.pass": {"en": "PASS", "zh": "合格"},
    "verdict.fail": {"en": "FAIL", "zh": "不合格"},
    "not_scored": {"en": "not scored", "zh": "未评分"},
    "no_score": {"en": "no score", "zh": "无分数"},
    # how a finding was made (Evidence.how, CheckResult.how)
    "how.exact": {"en": "as written", "zh": "原文匹配"},
    "how.variant": {"en": "variant", "zh": "变体匹配"},
    "how.homophone": {"en": "homophone", "zh": "同音匹配"},
    "how.pattern": {"en": "pattern", "zh": "模式匹配"},
    "how.absence": {"en": "missing", "zh": "缺失"},
    "how.context": {"en": "from context", "zh": "根据上下文"},
    "how.timing": {"en": "from times", "zh": "根据时间"},
    "how.data": {"en": "from call data", "zh": "根据通话数据"},
    # speakers and directions
    "agent": {"en": "agent", "zh": "坐席"},
    "customer": {"en": "customer", "zh": "客户"},
    "inbound": {"en": "inbound", "zh": "呼入"},
    "outbound": {"en": "outbound", "zh": "回访"},
    "both": {"en": "both", "zh": "呼入和回访"},
    "applies_to": {"en": "calls", "zh": "适用通话"},
    # columns and headings of tables and pages
    "call": {"en": "call", "zh": "通话"},
    "calls": {"en": "calls", "zh": "通话数"},
    "call_id": {"en": "call id", "zh": "通话ID"},
    "agent_id": {"en": "agent", "zh": "坐席工号"},
    "team": {"en": "team", "zh": "班组"},
    "date": {"en": "date", "zh": "日期"},
    "week": {"en": "week", "zh": "周"},
    "time": {"en": "time", "zh": "时间"},
    "started_at": {"en": "started", "zh": "通话时间"},
    "direction": {"en": "direction", "zh": "呼叫方向"},
    "speaker": {"en": "speaker", "zh": "角色"},
    "text": {"en": "text", "zh": "内容"},
    "transcript": {"en": "transcript", "zh": "通话记录"},
    "score": {"en": "score", "zh": "得分"},
    "scored": {"en": "scored", "zh": "已评分"},
    "mean_score": {"en": "mean score", "zh": "平均分"},
    "pass_mark": {"en": "pass mark", "zh": "合格线"},
    "pass_rate": {"en": "pass rate", "zh": "合格率"},
    "verdict": {"en": "verdict", "zh": "结论"},
    "errors": {"en": "errors", "zh": "错误"},
    "rule": {"en": "rule", "zh": "规则"},
    "rules": {"en": "rules", "zh": "规则"},
    "code": {"en": "code", "zh": "编号"},
    "title": {"en": "title", "zh": "名称"},
    "weight": {"en": "weight", "zh": "权重"},
    "severity": {"en": "severity", "zh": "严重程度"},
    "enabled": {"en": "enabled", "zh": "启用"},
    "on": {"en": "on", "zh": "启用"},
    "off": {"en": "off", "zh": "停用"},
    "kind": {"en": "kind", "zh": "类型"},
    "what_it_checks": {"en": "what it checks", "zh": "检查内容"},
    "status": {"en": "status", "zh": "状态"},
    "finding": {"en": "finding", "zh": "检查结果"},
    "evidence": {"en": "evidence", "zh": "证据"},
    "say_instead": {"en": "say instead", "zh": "建议话术"},
    "confidence": {"en": "confidence", "zh": "置信度"},
    "review": {"en": "to review", "zh": "待复核"},
    "fails": {"en": "fails", "zh": "不通过数"},
    "judged": {"en": "judged", "zh": "已判断"},
    "fail_rate": {"en": "fail rate", "zh": "不通过率"},
    "failed_rules": {"en": "failed rules", "zh": "未通过的规则"},
    "fails_most": {"en": "fails most", "zh": "最常不通过"},
    "n_a": {"en": "n/a", "zh": "不适用"},
    "scorecard": {"en": "scorecard", "zh": "评分表"},
    "metadata": {"en": "metadata", "zh": "元数据"},
    "queue": {"en": "queue", "zh": "技能组"},
    "channel": {"en": "channel", "zh": "渠道"},
    # the evaluation table
    "labels": {"en": "labels", "zh": "标注数"},
    "gold_fail": {"en": "gold fail", "zh": "标注不通过"},
    "pred_fail": {"en": "pred fail", "zh": "判定不通过"},
    "both_fail": {"en": "both", "zh": "两者皆不通过"},
    "precision": {"en": "precision", "zh": "精确率"},
    "recall": {"en": "recall", "zh": "召回率"},
    "f1": {"en": "F1", "zh": "F1"},
    "accuracy": {"en": "accuracy", "zh": "准确率"},
    "gold": {"en": "gold", "zh": "标注"},
    "predicted": {"en": "predicted", "zh": "判定"},
    "disagreements": {"en": "disagreements", "zh": "不一致"},
    # pages: headings, charts, working with the list
    "all_calls": {"en": "all calls", "zh": "全部通话"},
    "agents": {"en": "agents", "zh": "坐席"},
    "teams": {"en": "teams", "zh": "班组"},
    "fail_rate_per_rule": {"en": "Fail rate per rule", "zh": "各规则不通过率"},
    "scores_per_agent": {"en": "Scores per agent", "zh": "各坐席得分"},
    "trend": {"en": "trend", "zh": "趋势"},
    "search": {"en": "search", "zh": "搜索"},
    "filter": {"en": "filter", "zh": "筛选"},
    "sort": {"en": "sort", "zh": "排序"},
    "all": {"en": "all", "zh": "全部"},
    "highlights": {"en": "highlights", "zh": "标注"},
    "no_transcript": {"en": "This report was stored without its transcript; the evidence is listed with each rule "
                            "below.",
                      "zh": "本报告保存时没有附带通话记录；证据列在下方各条规则中。"},
    # the review loop
    "reviewer": {"en": "reviewer", "zh": "复核人"},
    "mark_wrong": {"en": "verdict is wrong", "zh": "判定有误"},
    "mark_right": {"en": "verdict is right", "zh": "判定正确"},
    "comment": {"en": "comment", "zh": "备注"},
    "save_reviews": {"en": "save reviews", "zh": "保存复核结果"},
    "agreement": {"en": "agreement", "zh": "一致率"},
}


def labels(lang: Lang | str = "en") -> Mapping[str, str]:
    """The words of tables and pages in ``lang``, by key: statuses (``pass``, ``fail``, ``not_applicable``,
    ``not_assessable``), severities, verdicts (``verdict.pass``), ways of finding (``how.exact`` …), speakers,
    directions, and column headers and headings (``call``, ``agent_id``, ``team``, ``score``, ``fail_rate``,
    ``say_instead`` …). Every key has every language (a test checks). A read-only mapping."""
    chosen = check_lang(lang)
    return MappingProxyType({key: texts[chosen] for key, texts in _LABELS.items()})


_UI: Mapping[str, M] = {
    # sheets (csqa score --format csv|xlsx --headers): the two tables' names and every column of both
    "sheet.calls": {"en": "calls", "zh": "通话"},
    "sheet.checks": {"en": "checks", "zh": "质检项"},
    "col.call_id": {"en": "call_id", "zh": "通话ID"},
    "col.agent_id": {"en": "agent_id", "zh": "坐席工号"},
    "col.team": {"en": "team", "zh": "班组"},
    "col.started_at": {"en": "started_at", "zh": "开始时间"},
    "col.direction": {"en": "direction", "zh": "呼叫方向"},
    "col.score": {"en": "score", "zh": "得分"},
    "col.passed": {"en": "passed", "zh": "是否合格"},
    "col.pass_mark": {"en": "pass_mark", "zh": "合格线"},
    "col.vetoed": {"en": "vetoed", "zh": "一票否决"},
    "col.failed": {"en": "failed_rules", "zh": "未通过项"},
    "col.fails": {"en": "fails", "zh": "未通过数"},
    "col.unscored": {"en": "unscored", "zh": "未评分原因"},
    "col.scorecard": {"en": "scorecard", "zh": "评分表"},
    "col.metadata": {"en": "metadata", "zh": "其他信息"},
    "col.error": {"en": "error", "zh": "错误"},
    "col.source": {"en": "source", "zh": "来源"},
    "col.rule": {"en": "rule", "zh": "规则"},
    "col.code": {"en": "code", "zh": "编号"},
    "col.status": {"en": "status", "zh": "结果"},
    "col.severity": {"en": "severity", "zh": "严重程度"},
    "col.weight": {"en": "weight", "zh": "权重"},
    "col.message": {"en": "message", "zh": "说明"},
    "col.suggestion": {"en": "suggestion", "zh": "建议话术"},
    "col.evidence": {"en": "evidence", "zh": "证据"},
    "col.evidence_count": {"en": "evidence_count", "zh": "证据数"},
    "ev.context": {"en": "context", "zh": "仅作参考"},
    "ev.agent": {"en": "agent", "zh": "客服"},
    "ev.customer": {"en": "customer", "zh": "客户"},
    # pages: shared
    "status.pass": {"en": "pass", "zh": "通过"},
    "status.fail": {"en": "fail", "zh": "不通过"},
    "status.not_applicable": {"en": "not applicable", "zh": "不适用"},
    "status.not_assessable": {"en": "not assessable", "zh": "无法判断"},
    "verdict.pass": {"en": "PASS 合格", "zh": "合格"},
    "verdict.fail": {"en": "FAIL 不合格", "zh": "不合格"},
    "verdict.none": {"en": "not scored", "zh": "未评分"},
    "speaker.agent": {"en": "客服", "zh": "坐席"},
    "speaker.customer": {"en": "客户", "zh": "客户"},
    "direction.inbound": {"en": "inbound 呼入", "zh": "呼入"},
    "direction.outbound": {"en": "outbound 外呼", "zh": "回访"},
    "none": {"en": "–", "zh": "–"},
    # the index and the summary (pages and the text summary)
    "index.title": {"en": "csqa report", "zh": "csqa 质检报告"},
    "fig.calls": {"en": "calls", "zh": "通话数"},
    "fig.scored": {"en": "scored", "zh": "已评分"},
    "fig.errors": {"en": "errors", "zh": "错误"},
    "fig.mean": {"en": "mean score", "zh": "平均分"},
    "fig.pass_rate": {"en": "pass rate", "zh": "合格率"},
    "fig.pass_mark": {"en": "pass mark", "zh": "合格线"},
    "fig.dates": {"en": "dates", "zh": "日期"},
    "fig.reviewed": {"en": "reviewed verdicts", "zh": "已复核的判定"},
    "fig.agreement": {"en": "agreement with reviewers", "zh": "与复核人一致率"},
    "chart.trend": {"en": "Trend", "zh": "趋势"},
    "chart.trend.label": {"en": "Mean score and the share of calls below the pass mark, by {period}",
                          "zh": "按{period}统计的平均分，以及低于合格线的通话占比"},
    "chart.trend.mean": {"en": "mean score", "zh": "平均分"},
    "chart.trend.failing": {"en": "below the pass mark", "zh": "低于合格线"},
    "chart.trend.tip": {"en": "{period}: {calls} calls, {scored} scored, mean {mean}, {failing} of {scored} below the "
                              "pass mark ({rate})",
                        "zh": "{period}：{calls}个通话，{scored}个已评分，平均分{mean}，"
                              "{scored}个中{failing}个低于合格线（{rate}）"},
    "chart.trend.none": {"en": "No call has a start time (started_at): there is no trend to draw.",
                         "zh": "没有通话带开始时间（started_at）：无法绘制趋势。"},
    "chart.trend.legend": {"en": "Line: mean score (0–100, left). Bars: share of scored calls below the pass mark (right). "
                                 "Hover for the counts.",
                           "zh": "折线：平均分（0–100，左轴）。柱：已评分通话中低于合格线的占比（右轴）。鼠标悬停可查看数量。"},
    "period.day": {"en": "day", "zh": "日期"},
    "period.week": {"en": "week", "zh": "周"},
    "chart.fail_rate": {"en": "Fail rate per rule", "zh": "各规则不通过率"},
    "chart.fail_rate.label": {"en": "Fail rate per rule, highest first: the share of judged calls that failed each rule",
                              "zh": "各规则不通过率，从高到低：每条规则已判断的通话中不通过的占比"},
    "chart.fail_rate.tip": {"en": "{code} {rule}: {fails} of {judged} judged calls failed ({rate})",
                            "zh": "{code} {rule}：已判断的{judged}个通话中{fails}个不通过（{rate}）"},
    "chart.fail_rate.none": {"en": "not judged", "zh": "未判断"},
    "chart.fail_rate.legend": {"en": "Highest fail rate first; after each bar, failed / judged calls.",
                               "zh": "不通过率从高到低；每个柱后为不通过数/已判断数。"},
    "chart.scores": {"en": "Scores per agent", "zh": "各坐席得分"},
    "chart.scores.label": {"en": "Scores per agent: one dot per scored call on a 0–100 axis, the mean as a vertical tick",
                           "zh": "各坐席得分：每个已评分的通话是0–100轴上的一个点，平均分为一条竖线"},
    "chart.scores.axis": {"en": "score", "zh": "得分"},
    "chart.scores.none": {"en": "no scored calls", "zh": "没有已评分的通话"},
    "chart.scores.legend": {"en": "One dot per scored call (for an agent with many calls, one dot per score, larger the "
                                  "more calls have it); the black tick is the agent's mean; (scored/calls) after each "
                                  "agent.",
                            "zh": "每个已评分的通话一个点（通话多的坐席每个分数一个点，得这个分数的通话越多，点越大）"
                                  "；黑色竖线为该坐席的平均分；坐席后为（已评分/通话数）。"},
    "chart.scores.legend_pass": {"en": "One dot per scored call (for an agent with many calls, one dot per score, larger "
                                       "the more calls have it; green: at or above the pass mark, red: below); the black "
                                       "tick is the agent's mean; (scored/calls) after each agent.",
                                 "zh": "每个已评分的通话一个点（通话多的坐席每个分数一个点，得这个分数的通话越多，"
                                       "点越大；绿色：达到合格线，红色：低于合格线）；黑色竖线为该坐席的平均分；"
                                       "坐席后为（已评分/通话数）。"},
    "chart.scores.mean_tip": {"en": "{agent} mean {mean}", "zh": "{agent} 平均分{mean}"},
    "chart.pass_mark": {"en": "pass mark {mark}", "zh": "合格线{mark}"},
    "h.rules": {"en": "Rules", "zh": "规则"},
    "h.agents": {"en": "Agents", "zh": "坐席"},
    "h.groups": {"en": "By {by}", "zh": "按{by}"},
    "h.calls": {"en": "Calls ({n})", "zh": "通话（{n}）"},
    "h.errors": {"en": "Errors ({n})", "zh": "错误（{n}）"},
    "h.agreement": {"en": "Agreement with reviewers", "zh": "与复核人的一致情况"},
    "h.to_review": {"en": "Needs a human look ({n} calls)", "zh": "需要人工复核（{n}个通话）"},
    "review.note": {"en": "Fails csqa is unsure of (a phrase heard by sound, a script line missing from raw ASR text, "
                          "a judgement from the call's structure): look at these before they count against an agent.",
                    "zh": "csqa 没有把握的不通过项（按读音听出的说法、原始语音识别文本中缺少的标准话术、根据通话结构作出的判断）"
                          "：计入坐席成绩之前，请先复核。"},
    "review.more": {"en": " The {n} least sure are listed.", "zh": "下面列出最没有把握的{n}个。"},
    "th.unsure": {"en": "unsure fails", "zh": "没有把握的不通过项"},
    "th.confidence": {"en": "confidence", "zh": "置信度"},
    "errors.note": {"en": "Calls that could not be read or scored.", "zh": "无法读取或评分的通话。"},
    "errors.line": {"en": " line {line}", "zh": " 第{line}行"},
    "th.code": {"en": "code", "zh": "编号"},
    "th.rule": {"en": "rule", "zh": "规则"},
    "th.fails": {"en": "fails", "zh": "不通过数"},
    "th.judged": {"en": "judged", "zh": "已判断"},
    "th.fail_rate": {"en": "fail rate", "zh": "不通过率"},
    "th.na": {"en": "n/a", "zh": "不适用"},
    "th.not_assessable": {"en": "not assessable", "zh": "无法判断"},
    "th.agent": {"en": "agent", "zh": "坐席"},
    "th.team": {"en": "team", "zh": "班组"},
    "th.calls": {"en": "calls", "zh": "通话数"},
    "th.scored": {"en": "scored", "zh": "已评分"},
    "th.mean": {"en": "mean score", "zh": "平均分"},
    "th.pass_rate": {"en": "pass rate", "zh": "合格率"},
    "th.fails_most": {"en": "fails most", "zh": "最常不通过"},
    "th.day": {"en": "day", "zh": "日期"},
    "th.week": {"en": "week", "zh": "周"},
    "th.below": {"en": "below pass mark", "zh": "低于合格线"},
    "th.call": {"en": "call", "zh": "通话"},
    "th.started": {"en": "started", "zh": "开始时间"},
    "th.direction": {"en": "direction", "zh": "呼叫方向"},
    "th.score": {"en": "score", "zh": "得分"},
    "th.verdict": {"en": "verdict", "zh": "结论"},
    "th.failed": {"en": "failed rules", "zh": "未通过的规则"},
    "th.reviews": {"en": "reviews", "zh": "复核"},
    "th.where": {"en": "where", "zh": "位置"},
    "th.message": {"en": "message", "zh": "说明"},
    "th.reviewed": {"en": "reviewed", "zh": "已复核"},
    "th.agreed": {"en": "agreed", "zh": "一致"},
    "th.agreement": {"en": "agreement", "zh": "一致率"},
    "th.false_alarms": {"en": "csqa fail, reviewer not", "zh": "csqa 判不通过、复核人未判"},
    "th.missed": {"en": "reviewer fail, csqa not", "zh": "复核人判不通过、csqa 未判"},
    "th.other": {"en": "other", "zh": "其他"},
    "th.conflicts": {"en": "conflicting reviews", "zh": "有冲突的复核"},
    "th.conflicting": {"en": "conflicting", "zh": "有冲突"},
    "agreement.note": {"en": "Each reviewed verdict compared with these reports' status for it. Conflicting reviews (two "
                             "reviewers giving one verdict different statuses) are counted apart and left out.",
                       "zh": "每个已复核的判定都与这些报告给出的状态相比较。有冲突的复核（两位复核人对同一判定给出不同的状态）"
                             "单独计数，不计入一致率。"},
    "agreement.unmatched": {"en": "{n} reviews name a call or rule that is not in these reports.",
                            "zh": "有{n}条复核所指的通话或规则不在这些报告中。"},
    "group.none.agent": {"en": "(no agent_id)", "zh": "（无坐席工号）"},
    "group.none.team": {"en": "(no team)", "zh": "（无班组）"},
    "group.none.day": {"en": "(no date)", "zh": "（无日期）"},
    "group.none.week": {"en": "(no date)", "zh": "（无日期）"},
    "group.none": {"en": "(none)", "zh": "（无）"},
    "calls.search": {"en": "Search", "zh": "搜索"},
    "calls.search.hint": {"en": "call, agent, team, rule, metadata…", "zh": "通话、坐席、班组、规则、元数据…"},
    "calls.rule": {"en": "Failed rule", "zh": "未通过的规则"},
    "calls.agent": {"en": "Agent", "zh": "坐席"},
    "calls.team": {"en": "Team", "zh": "班组"},
    "calls.verdict": {"en": "Verdict", "zh": "结论"},
    "calls.from": {"en": "From", "zh": "从"},
    "calls.to": {"en": "To", "zh": "到"},
    "calls.any": {"en": "any", "zh": "全部"},
    "calls.clear": {"en": "Clear", "zh": "清除"},
    "calls.shown": {"en": "{first}–{last} of {n} matching calls ({total} in all)",
                    "zh": "第{first}–{last}个，共{n}个符合条件的通话（总计{total}个）"},
    "calls.none": {"en": "No call matches ({total} in all).", "zh": "没有符合条件的通话（总计{total}个）。"},
    "calls.prev": {"en": "← previous", "zh": "← 上一页"},
    "calls.next": {"en": "next →", "zh": "下一页 →"},
    "calls.sort": {"en": "Sort by {column}", "zh": "按{column}排序"},
    "calls.nojs": {"en": "Sorting, filtering and paging need JavaScript; without it every call is listed below.",
                   "zh": "排序、筛选和翻页需要浏览器启用脚本；未启用时，下方列出全部通话。"},
    "calls.fail_link": {"en": "show the calls that failed {rule}", "zh": "显示{rule}不通过的通话"},
    "calls.reviewed": {"en": "{n} reviewed", "zh": "已复核{n}项"},
    "calls.disagreed": {"en": "{n} disagree", "zh": "{n}项不一致"},
    "calls.veto": {"en": "veto", "zh": "一票否决"},
    "calls.dir.inbound": {"en": "inbound", "zh": "呼入"},
    "calls.dir.outbound": {"en": "outbound", "zh": "回访"},
    # one call
    "call.title": {"en": "Call", "zh": "通话"},
    "call.back": {"en": "← all calls", "zh": "← 全部通话"},
    "call.agent": {"en": "agent 客服", "zh": "坐席"},
    "call.team": {"en": "team", "zh": "班组"},
    "call.started": {"en": "started", "zh": "开始时间"},
    "call.direction": {"en": "direction", "zh": "呼叫方向"},
    "call.score": {"en": "score", "zh": "得分"},
    "call.pass_mark": {"en": "pass mark", "zh": "合格线"},
    "call.verdict": {"en": "verdict", "zh": "结论"},
    "call.vetoed": {"en": "vetoed 一票否决", "zh": "一票否决"},
    "call.no_score": {"en": "no score", "zh": "无分数"},
    "call.rules": {"en": "rules", "zh": "规则"},
    "call.scorecard": {"en": "scorecard", "zh": "评分表"},
    "call.metadata": {"en": "metadata", "zh": "元数据"},
    "h.transcript": {"en": "Transcript", "zh": "通话记录"},
    "transcript.missing": {"en": "This report was stored without its transcript; the evidence is listed with each rule "
                                 "below.",
                           "zh": "本报告保存时没有附带通话记录；证据列在下方各条规则中。"},
    "transcript.legend": {"en": "Highlights: {fail} {pass} {na} {ctx} — the small code after a highlight links to its "
                                "rule below; hover for the finding. The customer's words are marked as context only: "
                                "they are never the agent's fault.",
                          "zh": "标注：{fail} {pass} {na} {ctx} —— 标注后的小编号链接到下方对应的规则；鼠标悬停可查看检查结果。"
                                "客户的话只作为参考标出，绝不算作坐席的过错。"},
    "transcript.ctx": {"en": "customer's words (context)", "zh": "客户的话（参考）"},
    "transcript.ctx_title": {"en": "the customer's words, shown as context for the agent's verdict, not as a fault",
                             "zh": "客户的话：作为判定坐席的参考显示，并非过错"},
    "th.index": {"en": "#", "zh": "#"},
    "th.speaker": {"en": "speaker", "zh": "角色"},
    "th.time": {"en": "time", "zh": "时间"},
    "th.text": {"en": "text", "zh": "内容"},
    "th.status": {"en": "status", "zh": "状态"},
    "th.finding": {"en": "finding", "zh": "检查结果"},
    "th.say": {"en": "say instead", "zh": "建议话术"},
    "th.evidence": {"en": "evidence", "zh": "证据"},
    "th.review": {"en": "review", "zh": "复核"},
    "ev.context_item": {"en": "customer's words, context", "zh": "客户的话，仅作参考"},
    "severity.critical": {"en": "critical", "zh": "严重"},
    "severity.major": {"en": "major", "zh": "重要"},
    "severity.minor": {"en": "minor", "zh": "轻微"},
    "severity.warning": {"en": "warning", "zh": "提示"},
    "sep.comma": {"en": ", ", "zh": "，"},
    # the review loop (call pages and the index; the labels the pages' script shows go into the page's data)
    "review.reviewer": {"en": "Reviewer", "zh": "复核人"},
    "review.reviewer.hint": {"en": "your name", "zh": "您的姓名"},
    "review.right": {"en": "right", "zh": "正确"},
    "review.wrong": {"en": "wrong", "zh": "有误"},
    "review.should_be": {"en": "should be", "zh": "应为"},
    "review.comment": {"en": "comment", "zh": "备注"},
    "review.save": {"en": "Save reviews", "zh": "保存复核结果"},
    "review.help": {"en": "Mark each verdict right or wrong; for a wrong one choose the status it should have. Your reviews "
                          "are kept in this browser for this folder of pages and go into a file when you press Save: "
                          "keep the files and give them to 'csqa reviews'.",
                    "zh": "逐条标记判定正确或有误；判定有误时，选择它应有的状态。复核结果保存在本浏览器中（按这一文件夹的页面）"
                          "，按「保存复核结果」时写入文件：请保留这些文件，并交给「csqa reviews」命令处理。"},
    "review.count": {"en": "{n} reviews kept in this browser for these pages",
                     "zh": "本浏览器为这些页面保存了{n}条复核"},
    "review.saved": {"en": "saved {file}", "zh": "已保存 {file}"},
    "review.need_name": {"en": "Enter your name first: every review carries its reviewer.",
                         "zh": "请先填写您的姓名：每条复核都要注明复核人。"},
    "review.no_storage": {"en": "This browser keeps nothing for local files: save before you leave the page.",
                          "zh": "本浏览器不为本地文件保存任何内容：离开页面之前请先保存。"},
    "review.nothing": {"en": "No review to save yet.", "zh": "还没有可保存的复核。"},
    "review.clear": {"en": "clear this review", "zh": "清除这条复核"},
    "review.given": {"en": "reviewed by {reviewer}: {verdict}", "zh": "{reviewer}的复核：{verdict}"},
    "review.given_wrong": {"en": "should be {status}", "zh": "应为{status}"},
    "review.nojs": {"en": "Reviewing verdicts needs JavaScript.", "zh": "复核判定需要浏览器启用脚本。"},
}
"""The fixed words of the pages (index, call pages, charts, the review controls and the labels their scripts
show), of the text summary and of the sheets' headers, by key: English and Simplified Chinese. The English
pages keep the few Chinese words they always had (``PASS 合格``, ``客服``), the Chinese pages are Chinese
throughout."""

_UI_TEXT: Mapping[Lang, Mapping[str, str]] = {
    lang: MappingProxyType({key: texts[lang] for key, texts in _UI.items()}) for lang in LANGS}

_HTML_LANG: Mapping[Lang, str] = {"en": "en", "zh": "zh-CN"}


def ui_text(lang: Lang | str = "en") -> Mapping[str, str]:
    """The words of the pages, the text summary and the sheets' headers in ``lang``, by key (``th.call``,
    ``status.fail``, ``review.save`` …; every key has every language, a test checks). A read-only mapping;
    an unknown language is a :class:`~csqa.errors.UsageError` (E400)."""
    return _UI_TEXT[check_lang(lang)]


_NO_KEY = {_UI[key]["en"]: key for key in ("group.none", "group.none.agent", "group.none.team", "group.none.day")}


def group_name(text: Mapping[str, str], by: str, key: str) -> str:
    """A group's key as a page or the text summary shows it in the words of ``text`` (:func:`ui_text`): the
    group of the calls without a value (``(no team)``, keyed in English in every summary) in those words, a
    direction as the language names it, and any other key (an agent id, a team, a date) as it is."""
    if key in _NO_KEY:
        return text.get(_NO_KEY[key], key)
    if by == "direction":
        return text.get(f"calls.dir.{key}", key)
    return key


def html_lang(lang: Lang) -> str:
    """The ``lang`` attribute of a page in ``lang`` (``zh-CN`` for Simplified Chinese): it tells browsers
    and screen readers the language of the page's words."""
    return _HTML_LANG[lang]


def template_fields(template: str) -> set[str]:
    """The names of the fields of a :meth:`str.format` template."""
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name is not None}
