"""Parse one chat message (zh or en) into a `Command` or a `ParseError`. Pure: no I/O, never raises.

The verbs are data (commands/verbs.py); a message without one may be a field report (commands/progress.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from commands.corrections import correction
from commands.errors import PARAM_MAX_CHARS, err
from commands.field_doubts import JOKING, REMARK
from commands.field_spoken import decision_in_digits, known_typo, mandarin, spelled_keys
from commands.field_words import DAY_END, DONE, QUESTION_END
from commands.grammar import Args
from commands.keys import TASK_KEY_AT, tags_as_words
from commands.model import (
    Approve,
    Block,
    Command,
    Confirm,
    Done,
    New,
    ParseError,
    Reject,
    Report,
    Several,
    Start,
    Unblock,
)
from commands.progress import field_report
from commands.said_changes import said_change
from commands.script import as_typed, simplified
from commands.task_arguments import without_verb
from commands.text import first_token, normalize
from commands.verbs import match_verb, suggest

MAX_TEXT_CHARS = 2000
_CASUAL_WORDS = frozenset({"ok", "okay"})  # verbs that are also just "ok" before a report
TYPO_CUTOFF = 0.8  # "repotr PUMP-3" is a misspelt verb; "Handing PUMP-3 over" is a report

# An approval's number, then the decision ("#7 同意, go", "#7 approved, thanks"): the "#" makes it a number.
# "#12 同意", "12 我看过了，没问题，同意": a bare number only with words of having looked ("50 approved" is a count).
_NUMBER_THEN_YES = re.compile(r"(?:#|(?=[0-9]{1,9} ?[,:：]? ?(?:我看|看过|没问题|没毛病))|(?=[0-9]{3,9} ?[,:：]? ?我?(?:同意|批准|ok|lgtm)(?![A-Za-z])))([0-9]{1,9}) ?[,:：]? ?(?:(?:ok|好的|我看(?:过)?了?|看过了|没问题|没毛病|可以|我)[ ,，]*){0,3}(?:同意|批准|approved?|ok|lgtm)(?![A-Za-z])"
                              r"(?: ?[,;.:!，；。！]? ?(?P<why>.*))?", re.IGNORECASE)
# A decision said number first ("31 驳回，太贵", "#31 我不同意", "31 crane 租赁 我 approve 了，price 合理"): the verb's
# form, so that a rejection without its reason is asked for one.
_NUMBER_FIRST = re.compile(r"(?P<id>#[0-9]{1,9}|[0-9]{3,9})(?! ?(?:年|月|日|号|个|块|元|台|套|米|万|千|%|(?i:pcs|units?|m)(?![a-z])))"
                             r" ?[,:：]? ?(?P<verb>(?P<mid>[^0-9,，;；。?？]{1,16}? ?我|我)? ?(?:驳回|退回|不同意|不批|否决|拒绝|not approved|"
                             r"(?i:reject(?:ed)?|declined?)|(?P<yes>同意|批准|(?i:approved?|lgtm))))(?![A-Za-z]) ?(?:了|掉|一下)?"
                             r" ?(?:(?:[,，:：;；.。—–]| - |\s) ?(?P<why>.*)|(?P<polite>(?i:pls|please|thanks|thx)?))")
_POLITE_LEAD = re.compile(r"^(?:kindly|please|pls|plz|麻烦|请)\s*", re.IGNORECASE)
# A report's heading ("Status update:", "Update on A-3:", "进展汇报："): not the status verb, nor anything to read.
_REPORT_HEADING = re.compile(r"^(?:(?:status|progress|quick|daily|eod|weekly|site|shift)\s+update|update|summary|进展汇报|进度汇报|汇报|日报|周报|简报)"
                             r"\s*[:：\-–—]\s*|^(?:(?:status\s+)?update|progress|status)\s+(?:on|for)\s+(?=[A-Za-z][A-Za-z0-9]{0,9}-[0-9])"
                             r"|^re\s*[:：]?\s+(?=[A-Za-z][A-Za-z0-9]{0,9}-[0-9])"  # "Re HPC-22, …": regarding
                             # a bracketed heading as weekly reports put it ("【周报】", "[Update]"); "【更正】" is a correction's
                             r"|^status\s*[:：]\s*(?=;)"  # "Status:" over a list of tasks, no look-up of one
                             r"|^[【\[]\s*(?:本周进展|今日进展|进展|进度|周报|日报|简报|汇报|更新|审批|本周|今日|update|weekly|daily|progress)\s*[】\]][\s;]*",
                             re.IGNORECASE)
# An acknowledgement before the message's own words ("收到。9607 同意", "已阅，同意 #9608"): nothing to read in it.
_ACK_LEAD = re.compile(r"^(?:收到|已阅|好的|(?i:noted|roger))\s*[。.,，!！;；]\s*(?=\S)")
_CHANNEL_REF = re.compile(r"#([0-9]{1,9})(?![0-9A-Za-z])")
# An approval said as its own clause among chatter ("辛苦，同意 12，周一见"): the verb aimed at a number,
# with nothing around it that asks, negates or sets a condition.
_APPROVE_CLAUSE = re.compile(r"(?:^|[,，;；。.!！]|\s)\s*(?:approve|批准|同意|lgtm|sign off(?: on)?)(?:一下)?\s*#?([0-9]{1,9})\s*(?:吧|哈|啊|呀)?\s*"
                             r"(?=$|[,，;；。.!！\U0001f64f\U0001f44d\u2705—–]| - |(?:pls|plz|please|thanks|thx|cheers|谢谢|辛苦)(?![A-Za-z])|and (?!#?[0-9]))", re.IGNORECASE)
_NOT_A_DECISION = re.compile(r"[?？]|吗|(?<![A-Za-z])(?:don'?t|do not|not|if|when|after|before|once|how|what|why|should|can|could|"
                             r"wait|pending|tomorrow|later|will|gonna|going to)(?![A-Za-z])|不要|别|先不|如果|的话|等|之后|以后|再|"
                             r"怎么|流程|能不能|可以吗|明天|后天|回头|待会|晚点", re.IGNORECASE)


# After a decision, a clause of its own that starts with a task key ("approve 12, and A-3 is at 100%", "驳回 #15，A-6
# 先停，等批复"): a report besides the decision.
_THEN_A_TASK = re.compile(r"(?:^|[,，;；。]|\.\s|\s(?:and|also|plus)\s|另外|还有|然后|顺便(?:说|讲|提)?(?:一)?下?|btw)\s*(?:and |also |另外|还有)?\s*(?=[A-Za-z][A-Za-z0-9]{0,9}-[0-9])",
                          re.IGNORECASE)


# After an approval's number, words that ask someone else to decide it ("approve 33 at the earliest"): no decision; nor is
# an approval asked for politely ("please approve 51 asap", "pls approve 4533 today").
_ASKED_OF_ANOTHER = re.compile(r"(?<![A-Za-z])at (?:the|your) earliest", re.IGNORECASE)
_QUOTE_LINE = re.compile(r"\s*(?:>|》|&gt;)")


# After a decision, another ("同意 #4，驳回 #5 …", "approve 4 and 5"): each its own, all or none.
# Another decision's number alone goes with an approval when nothing follows it but a courtesy ("and 6352 pls").
_THEN_A_DECISION = re.compile(r"(?:^\s*|\s*[,，;；、+＋]\s*|\s+(?:and|also|plus|&)\s+|\s*(?:然后|另外|和|跟|及)\s*)(?:(?:and|also)\s+|&\s*)?"
                              r"(?P<rest>(?P<verb>(?!和|跟|及|&|(?:and|also|plus)\s)[^\s#0-9,，;；+＋]{1,12}\s*)?(?P<id>#?[0-9]{1,9})(?![0-9]).*)$", re.IGNORECASE | re.DOTALL)
# A short number with its own decision right after it ("approve 71, 72 reject"): that number's decision, not a courtesy.
_DECIDED_RIGHT_AFTER = re.compile(r"\s*(?:(reject|approve|驳回|不同意|同意|批准)(?:d|ed)?|(?:is )?(?:a )?no(?: from me)?)(?![A-Za-z])", re.IGNORECASE)
_ONLY_A_COURTESY = re.compile(r"\s*(?:pls|please|plz|too|as well|also|也|都|thanks|thx)?\s*(?:[,，;；.。!！].*|[^\w\s#]{1,3})?", re.IGNORECASE | re.DOTALL)


def _with_others(decision: Approve | Reject, said: str, today: date) -> Command | ParseError | None:
    """The decision and the ones its words go on to make, all or none; None when they make no other decision."""
    found = _next_decision(decision, said, today)
    if found is None:
        return None
    more, other, same_verb = found
    if isinstance(other, ParseError) and other.verb in ("approve", "reject"):
        return other  # "approve 61 and reject 62": the second asks for its reason, and nothing is decided yet
    others = other.items if isinstance(other, Several) else (other,)
    if not isinstance(others[0], (Approve, Reject)):
        return None
    if isinstance(decision, Reject):  # "reject 5 and 6 too pricey": both, for that reason
        reason = said[: more.start()].strip() or (others[0].reason if same_verb and isinstance(others[0], Reject) else "")
        return Several(items=(replace(decision, reason=reason), *others)) if reason else err("missing_argument", "reject", arg="reason")
    return Several(items=(replace(decision, comment=said[: more.start()].strip()), *others))


def _next_decision(decision: Approve | Reject, said: str, today: date
                   ) -> tuple[re.Match[str], Command | ParseError, bool] | None:
    """The next decision in the words after one (where it is said, what it reads as, and whether it takes the first
    one's verb): with its own verb ("…，驳回 #5 太贵了"), said number first ("；9561 驳回，…"), or a number alone."""
    for m in _THEN_A_DECISION.finditer(said):
        if m["verb"]:
            return m, _parse(m["rest"], today=today, channel_project=None), False
        decided = _DECIDED_RIGHT_AFTER.match(said, m.end("id"))
        if _NUMBER_FIRST.fullmatch(m["rest"]) or decided is not None:
            # "35 reject - too dear" is read as the verb's own form ("reject 35 too dear"), whatever the number's length
            words = m["rest"] if decided is None else \
                f"{decided.group(1) or 'reject'} {m['id'].lstrip('#')} {said[decided.end() :].lstrip(' -–—:：,，')}"
            read = _parse(words, today=today, channel_project=None)
            if isinstance(read, (Approve, Reject)) or (isinstance(read, ParseError) and read.verb in ("approve", "reject")):
                return m, read, False  # "4 approve, 5 reject": the second's reason is asked for, nothing decided yet
        # A number with words of its own goes with a rejection only as one more of the same ("reject 5 and 6 too
        # pricey"): not after the first one's own reason, nor as a list's next item ("驳回 #3，缺图 ; #4 待补资料后再议").
        shared = isinstance(decision, Reject) and not said[: m.start()].strip() and ";" not in said[m.start() : m.start("rest")]
        if len(m["id"].lstrip("#")) == len(str(decision.approval_id)) and (shared or _ONLY_A_COURTESY.fullmatch(said, m.end("id"))):
            verb = "approve" if isinstance(decision, Approve) else "reject"
            return m, _parse(f"{verb} {m['rest']}", today=today, channel_project=None), True
    return None


def _with_report(decision: Approve | Reject, said: str, today: date) -> Command | ParseError:
    """The decision, and the report its words go on to make on a task, if they make a definite one (a question, an
    unclear or a bare-note reading leaves the words as the decision's comment only)."""
    others = _with_others(decision, said, today)
    if others is not None:
        return others
    then = _THEN_A_TASK.search(said)
    report = field_report(said[then.end() :]) if then is not None else None
    items = report.items if isinstance(report, Several) else (report,)
    writes = [x for x in items if isinstance(x, (Done, Block, Unblock, Start)) or (
        isinstance(x, Report) and (x.percent is not None or x.hours is not None))]
    if not writes or len(writes) != len(items):
        return decision
    assert then is not None
    if isinstance(decision, Approve):  # the comment is what came before the report (a reason keeps all its words)
        decision = replace(decision, comment=said[: then.start()].strip(" ,，;；。–—-"))
    return Several(items=(decision, *writes))


def parse(text: str, *, today: date, channel_project: str | None = None, projects: frozenset[str] | None = None
          ) -> Command | ParseError:
    """Parse one message. `today` anchors year-less dates. In a project's channel (`channel_project`), `#12`
    where a task key goes means that project's task 12. With the deployment's project keys (`projects`), a tag
    beside a task key that is no project's ("TK-7", "PT-2031") is read as a word. Always returns, never raises."""
    if len(text) > MAX_TEXT_CHARS:
        return err("too_long", None, max=str(MAX_TEXT_CHARS))
    typed = normalize(_unquoted(text))
    if not typed:
        return err("empty", None)
    if len(typed) > MAX_TEXT_CHARS:  # NFKC can expand a few characters ("㌀" -> 4 chars)
        return err("too_long", None, max=str(MAX_TEXT_CHARS))
    read, tags = tags_as_words(mandarin(simplified(typed)), projects)  # "核准 8203", "做咗 2 個鐘": in the rules' words
    return as_typed(_parse(read, today=today, channel_project=channel_project), read, typed, words=tags)


_SPELLED_LEAD = re.compile(r"\s*(?:[A-Z](?: [A-Z]){1,5}\s*(?:-|杠|dash)?|[A-Za-z]{1,6}\s*(?:杠|横杠))\s*[0-9]")


def _unquoted(text: str) -> str:
    """A reply's own words: the lines quoted before them ("> A-5 80%" then "收到 辛苦") are someone's earlier message,
    not this one's. A quoted question stays: the answer under it is about the quote's task (commands/field.py)."""
    lines = text.strip().splitlines()
    quoted = next((i for i, line in enumerate(lines) if not _QUOTE_LINE.match(line)), len(lines))
    if quoted == 0 or quoted == len(lines) or QUESTION_END.search(lines[quoted - 1]):
        return text
    return "\n".join(lines[quoted:])


def _parse(s: str, *, today: date, channel_project: str | None) -> Command | ParseError:
    """One message, normalized and read in simplified Mandarin (parse)."""
    heading = _REPORT_HEADING.match(s) or _ACK_LEAD.match(s)
    s = s[heading.end() :] if heading is not None and s[heading.end() :].strip() else s
    if _SPELLED_LEAD.match(s):
        s = spelled_keys(s)  # "E L V 3 进度五十": a key spelled out by voice, not the verb "h"
    s = decision_in_digits(s)  # "approve twenty eight", as voice input writes it
    lead = _POLITE_LEAD.match(s)  # "Kindly reopen A-3": the verb after the courtesy
    matched = match_verb(s) or (match_verb(s[lead.end() :]) if lead is not None and lead.end() else None)
    change = said_change(s, today=today) if matched is None else None
    if change is not None:
        return change
    first = _NUMBER_FIRST.fullmatch(s) if matched is None and channel_project is None and not QUESTION_END.search(s) else None
    if first is not None and not _NOT_A_DECISION.search(first["mid"] or "") and not re.search(r"先不|先别|别", first["verb"]):
        # "#17 我先不批" decides nothing; the rest is the verb's own form, read (and refused) by the verb
        decided = "approve" if first["yes"] else "reject"
        matched = match_verb(f"{decided} {first['id'].lstrip('#')} {first['why'] or first['polite']}")
    fix = correction(s, anywhere=matched is None)
    if fix is not None:
        return fix
    if channel_project is not None:
        if matched is None:
            s = _CHANNEL_REF.sub(rf"{channel_project}-\1", s, count=1) if s.startswith("#") else s
        elif matched[0].task_first and matched[2].startswith("#"):
            matched = (matched[0], matched[1], _CHANNEL_REF.sub(rf"{channel_project}-\1", matched[2], count=1))
    if matched is None:
        word = first_token(s)
        # The cheap test first: the fuzzy match of the verbs is most of a report's parse (bench/workers.py).
        if TASK_KEY_AT.match(s[len(word) :].lstrip()) and not known_typo(word) and suggest(word[:PARAM_MAX_CHARS], cutoff=TYPO_CUTOFF):
            return err("unknown_command", None, word=word, suggestion=suggest(word[:PARAM_MAX_CHARS]))  # "repotr A-3"
        said = without_verb(s)  # `A-3 给 王波` hands the task over; it is not a report with that note
        if said is not None:
            return said
        report = field_report(s)
        if isinstance(report, Confirm) and report.reason == "unplaced_key" and suggest(word[:PARAM_MAX_CHARS],
                                                                                        cutoff=TYPO_CUTOFF):
            report = None  # "repotr PUMP-3 50%": a mistyped verb, said as such
        if report is not None:
            return report
        yes = _NUMBER_THEN_YES.fullmatch(s) if channel_project is None else None
        if yes is not None and not QUESTION_END.search(s):
            return Approve(approval_id=int(yes.group(1)), comment=(yes.group("why") or "").strip())
        approvals = _APPROVE_CLAUSE.findall(s)
        if len(approvals) == 1 and not _NOT_A_DECISION.search(s) and not TASK_KEY_AT.search(s):
            return Approve(approval_id=int(approvals[0]))
        return err("unknown_command", None, word=word, suggestion=suggest(word[:PARAM_MAX_CHARS]))

    verb, word, rest = matched
    result = verb.parse(Args(rest=rest, word=word, today=today))
    if isinstance(result, ParseError) and not isinstance(change := said_change(s, today=today), (ParseError, type(None))):
        return change  # "add a note to A-3: …" is no new task ("add"), but a comment said in words
    if isinstance(result, Approve) and (_ASKED_OF_ANOTHER.search(result.comment) or (lead is not None and lead.group(0).isascii() and lead.end() > 0)):
        return err("unknown_command", None, word=word[:PARAM_MAX_CHARS], suggestion="")  # "kindly approve 33 at the earliest": a request
    if isinstance(result, (Approve, Reject)) and JOKING.search(s):
        return err("unknown_command", None, word=word[:PARAM_MAX_CHARS], suggestion="")  # "approve 12 lol jk": not meant
    if isinstance(result, New) and (REMARK.search(result.title) or QUESTION_END.search(result.title)):
        return err("unknown_command", None, word=word[:PARAM_MAX_CHARS], suggestion="")  # a remark that starts "new …"
    if isinstance(result, Approve) and result.comment:
        return _with_report(result, result.comment, today)
    if isinstance(result, Reject):
        return _with_report(result, result.reason, today)
    if isinstance(result, ParseError) and result.code == "unknown_command":
        fix = correction(s) if not TASK_KEY_AT.search(s) else None
        if fix is not None:
            return fix  # "my bad, ignore the last one": the verb's word began a correction
        report = field_report(rest)  # "ok so A-12 is at 45%": a casual word, then a report
        keyless = isinstance(report, ParseError) and report.code == "unclear_task" and not (
            word.lower() in _CASUAL_WORDS and (DAY_END.search(rest) or DONE.search(rest)))
        return result if report is None or keyless else report  # "approve 3 floors" is no report; "ok done for today" is
    return result
