"""Undo and correction in field words: "撤销", "undo", "不对，是60%", "sorry, I meant 2h not 4h", "A-3 是 80% not 90%" —
the sender's last write taken back or amended (commands/handlers/undo.py applies it)."""

from __future__ import annotations

import re
from decimal import Decimal

from commands import correction_words as c
from commands import field_words as w
from commands.errors import PARAM_MAX_CHARS, err
from commands.field_percent import HEDGE_WORDS
from commands.field_spoken import respell
from commands.keys import TASK_KEY_ANY
from commands.model import Command, Correct, ParseError, Undo
from commands.numbers import HOURS_MAX, Found, cn_number, find_hours, percent_forms
from commands.text import EDGE_PUNCT, clean

# The field a correction names, so that its bare figure has a unit ("wrong %, should read 45", "工时错了，应该 2").
_PERCENT_WRONG = re.compile(r"(?<![A-Za-z])(?:wrong|bad)\s*(?:%|percent(?:age)?)|(?:百分比|进度)(?:写|报|填|搞|弄|打)?错了?", re.IGNORECASE)
_PERCENT_NAMED = re.compile(rf"{_PERCENT_WRONG.pattern}|(?:进度|progress)\s*(?:is|是|应该是|应为|should be|改成|改为|改回|改到|(?:should be )?changed to)", re.IGNORECASE)
# Where the new value follows ("the 3h before should read 5h"): the figure after it is the one to write.
_NEW_VALUE = re.compile(r"should (?:read|be|have been)|should'?ve been|应该是|应为|改成|改为|改回|其实是|实际是|(?<![A-Za-z])i meant", re.IGNORECASE)
_SET_TO_BARE = re.compile(r"(?P<to>(?:should be|should read|should'?ve been|应该是?|改成|改回|were|was|is|are|it'?s)\s*)(?P<n>[0-9]{1,2}(?:\.[0-9]{1,2})?)(?![0-9.])"
                          r"(?!\s*(?:%|h|小时|个|半|分|钟|min|hour|hr))", re.IGNORECASE)
_HOURS_NAMED = re.compile(r"(?<![A-Za-z])(?:hours?|hrs)(?![A-Za-z])|工时", re.IGNORECASE)
# Said before the key, the apology or the field ("sorry, A-3 should be 35%", "hours on A-3 were 1.5"): the key leads.
# An apology or a heading before the key ("sorry, A-3 …", "Small correction on A-3: …", "Apologies — the figure I
# reported for A-3 …", "不好意思，A-3 …"): the correction is the key's.
_ZH_APOLOGY = r"不好意思|抱歉|对不起|(?i:paiseh|pai seh)"  # "sorry" and "oops" are words of a correction themselves (correction_words.py)
_SORRY_BEFORE_KEY = re.compile(rf"^(?:(?:so |my )?(?:sorry|apologies)(?:[\s,]+(?:wrong|my bad|my mistake))?|my bad|my mistake|oops|{_ZH_APOLOGY}|(?:a |one )?(?:small |quick )?correction(?: on| for| to)?)"
                               r"[\s,，!！:：—–-]*(?:the (?:figure|number|value) (?:i (?:reported|logged|gave|posted) )?(?:for|on) )?"
                               r"(?=(?:(?:the )?(?:hours|progress|percent) (?:i (?:reported|logged|gave|posted) )?(?:for|on) )?[A-Za-z][A-Za-z0-9]{0,9}-[0-9])",
                               re.IGNORECASE)
_APOLOGY = re.compile(rf"^(?:{_ZH_APOLOGY}|(?:no[\s,，!！]+)+(?=it'?s\s*[0-9]))[\s,，!！:：—–-]*(?=\S)", re.IGNORECASE)  # "no no it's 60% not 50"
_FIELD_ON_KEY = re.compile(r"^(?:the )?(?P<field>hours|progress|percent|%)\s+(?:i (?:reported|logged|gave|posted)\s+)?(?:on|for)\s+(?P<key>[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9})",
                           re.IGNORECASE)
_LAST_ONE = re.compile(r"^(?:上一?条|上面|刚才|刚刚|之前|(?:the )?last one)(?:的|(?:周报|日报|消息|汇报)?(?:中|里)的?)?\s*(?=[A-Za-z][A-Za-z0-9]{0,9}-[0-9])", re.IGNORECASE)
_ROUGH = re.compile(r"[0-9]\s*(?:%|h|个?小时)?\s*(?:以上|以下|多|左右|出头|不到|\+|or (?:so|more|less)|ish(?![A-Za-z]))"
                    rf"|(?:{HEDGE_WORDS}|(?<![A-Za-z])(?:over|under))\s*[0-9]", re.IGNORECASE)
_THAT_LAST_ONE = re.compile(r"(?:刚才|刚刚|上一?条)(?:那个|那条|的|发的)?|(?:that|my) last (?:one|update|message)", re.IGNORECASE)
_CN_NEW_VALUE = re.compile(r"(?P<to>应该是|应为|改成|改为)\s*(?P<n>[一二三四五六七八九]?十[一二三四五六七八九]?|一百)(?![成%％])")
_CORRECTION_LEAD = re.compile(r"^\s*(?:【更正】|\[correction\]|更正\s*[:：])\s*(?=(?:上一?条[^A-Za-z]{0,8})?[A-Za-z][A-Za-z0-9]{0,9}-[0-9])", re.IGNORECASE)
_BARE_CANCEL = re.compile(r"\s*(?:取消|cancel)\s*[.。!！]*\s*", re.IGNORECASE)
_POLITE = re.compile(r"^(?:please|pls|plz|kindly)\s+", re.IGNORECASE)
_WRONG_TASK = re.compile(r"(?<![A-Za-z])wrong (?:task|ticket|key|job)|发错任务|填错任务|报错任务|不是这个任务", re.IGNORECASE)
# A figure, then only that something was wrong ("60% 刚才写错了"): is the figure the wrong one or the right one? Asked.
_SAID_WRONG = re.compile(r"(?:写|报|记|填|打|输|发|弄|搞)?错了?|(?:is|was) wrong|(?:刚发的|刚才的?|上一?条的?)?不对|typo|wrong|mistake|my bad|oops|ignore (?:my |the )?(?:last|previous) (?:msg|message|one|update)", re.IGNORECASE)
_CANNOT_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:can'?t|cannot|couldn'?t|won'?t|unable to|no way to)|没法|不能|无法)\s*$", re.IGNORECASE)
_PROGRESS_WORD = re.compile(r"(?:进度|(?:the )?progress)\s*", re.IGNORECASE)


def _inside_a_percent(rest: str, hours: Found) -> bool:
    return any(f.start < hours.end and hours.start < f.end for f in percent_forms(rest))


def correction(s: str, *, anywhere: bool = True) -> Command | ParseError | None:
    """"撤销", "undo", "不对，是60%", "sorry, I meant 2h not 4h": the sender's last write undone or amended."""
    head = _POLITE.sub("", respell(s).lstrip(EDGE_PUNCT), count=1)  # "please disregard my previous update"
    if c.NOT_UNDO.search(head):
        return None  # "别撤销", "don't undo": the last write stands
    flagged = _CORRECTION_LEAD.match(head)  # "【更正】A-3 进度 75%": the heading makes it a correction of A-3's last write
    head = head[flagged.end() :] if flagged is not None else head
    if _BARE_CANCEL.fullmatch(head):
        return err("unclear_correction", None, value=clean(s)[:PARAM_MAX_CHARS])  # "取消" alone: cancel what?
    head = _FIELD_ON_KEY.sub(r"\g<key> \g<field>", _SORRY_BEFORE_KEY.sub("", head, count=1), count=1)  # "hours on A-3 should read 2.75": A-3's hours
    head = _APOLOGY.sub("", head, count=1) if not TASK_KEY_ANY.search(head) else head  # "不好意思 改回 45%"
    unreferred = _LAST_ONE.sub("", head, count=1)  # "上条 A-3 进度发成 90 了": the key after the reference
    key = TASK_KEY_ANY.match(unreferred)
    if key is not None:
        head = unreferred
    named = key.group(1).upper() if key is not None else None
    if key is not None:
        head = re.sub(r"^的\s*(?=进度|工时|用时)|^(?:呃|嗯|额)?\s*(?:上一?条|刚才|刚刚)(?:那条|发|写|报|填|说)?的?\s*(?=工时|进度|不对|错|delete|撤|改回)|^(?:sorry|oops|抱歉|不好意思|对不起|呃|嗯|额|uh|um)[\s,，!！]*(?=\S)", "",
                      head[key.end() :].lstrip(EDGE_PUNCT), flags=re.IGNORECASE)  # "A-3 上一条的工时多写了": that write's hours
    if _PERCENT_NAMED.search(head):  # "wrong %, should read 45": the bare figure is that percent
        head = _CN_NEW_VALUE.sub(lambda m: f"{m['to']}{cn_number(m['n'])}%", head)  # "进度写错了 应该是八十"
        head = re.sub(r"(?<![0-9.])([0-9]{1,3})(?![0-9.%])(?=\s*(?:[.。!！]|not |而?不是|才对|才是|$))", r"\1%", head)
    elif _HOURS_NAMED.search(head):  # "the hours should be 3 not 4", "hours 写错了，should be 1.25": hours
        head = _SET_TO_BARE.sub(r"\g<to>\g<n>h", head)
    field = c.CORRECTED_FIELD.match(head) or _PROGRESS_WORD.match(head)
    if field is not None and (c.CORRECTION.match(head[field.end() :].lstrip("我 ")) or c.UNDO.match(head[field.end() :].lstrip("我 "))
                              or (key is not None and c.CORRECT_AFTER_KEY.match(head, field.end()))):
        head = head[field.end() :].lstrip("我 ")  # "进度写错了，改成 40%", "A-3 工时写错了": the field, then the correction
    set_anew = c.FIELD_SET_ANEW.match(head, field.end()) if field is not None and key is not None else None
    undo, fix = c.UNDO.match(head), c.CORRECTION.match(head) or (c.CORRECT_AFTER_KEY.match(head) if key is not None else None) or set_anew
    if undo is None and fix is not None and not re.search(r"[0-9]", head):
        undo = c.UNDO.search(head, fix.end())  # "A-3 进度填错了 pls undo": no new value, the write taken back
    if fix is None and undo is None and key is not None:
        fix = c.FIGURE_CONTRAST.search(head) or c.WRONG_FIGURE.search(head) or c.OLD_THEN_NEW.search(head) \
            or (re.match("", head) if flagged is not None else None)  # "A-3 刚才报错了，是 80% not 90%"
        taken_back = c.UNDO.search(head) if fix is None else None
        if taken_back is not None and re.search(r"(?<![0-9.])(?<!那个)(?<!这个)(?<!(?i:that) )(?<!刚才的)[0-9]", head[: taken_back.start()]):
            return err("unclear_correction", None, value=clean(s)[:PARAM_MAX_CHARS])  # "A-3 40%, ignore my last msg": which stands?
        if taken_back is not None and _THAT_LAST_ONE.match(head):
            undo = taken_back  # "A-3 刚才那个 done 发错了，撤销": the last write on A-3 taken back
    if undo is None and fix is None and anywhere and key is None and not TASK_KEY_ANY.search(head):
        fix = c.CORRECTION_ANYWHERE.search(head) or c.WRONG_FIGURE.search(head) or (
            c.FIGURE_CONTRAST.search(head) if c.UNDO.search(head) else None) or _PERCENT_WRONG.search(head)  # "3h not 6h, my bad"
        undo = c.UNDO.search(head) if not re.search(r"[0-9]|百分之|小时|成", head) else None

    if (undo is None and fix is None) or w.QUESTION_WORDS.search(head) or (fix is not None and w.NOT_NOW.search(head)):
        return None
    if len({k.upper() for k in TASK_KEY_ANY.findall(head)} | ({named} if named else set())) > 1 or (
            _WRONG_TASK.search(head) and TASK_KEY_ANY.search(head)):
        # "that 80% was for A-11 not A-8", "wrong task, that 70% was for A-9": moved how?
        return err("unclear_correction", None, value=clean(s)[:PARAM_MAX_CHARS])
    rest = c.WRONG_FIGURE.sub(" ", c.CORRECTION_NOT.sub(" ", head))  # the figures said to be wrong are not the new one
    new = _NEW_VALUE.search(rest)  # "the 3h before should read 5h": the value after "should read" is the new one
    if new is not None and (percent_forms(rest[new.end() :]) or find_hours(rest[new.end() :])):
        rest = rest[new.end() :]
    cue = c.UNDO.match(rest) or c.CORRECTION.match(rest) or c.CORRECTION_ANYWHERE.search(rest)
    if cue is not None:  # the value after "应该是"/"改成"/"meant" is the new one; the one before, the old
        after = rest[cue.end() :]
        if not (percent_forms(after) or find_hours(after)) and _SAID_WRONG.fullmatch(cue.group(0).strip()) and re.search(r"[0-9]", rest[: cue.start()]):
            return err("unclear_correction", None, value=clean(s)[:PARAM_MAX_CHARS])  # "60% 刚才写错了": the 60, or the one before?
        rest = after if percent_forms(after) or find_hours(after) else rest[: cue.start()] + " " + after
    if c.CORRECTION_NOT.search(head) and percent_forms(head) and find_hours(head):
        return err("unclear_correction", None, value=clean(s)[:PARAM_MAX_CHARS])  # "that was 3h not 3%": which field, and what of the other?
    if _ROUGH.search(rest):
        return err("unclear_correction", None, value=clean(s)[:PARAM_MAX_CHARS])  # "should be 60%以上": to what exactly?
    keys = {k.upper() for k in TASK_KEY_ANY.findall(head)} | ({named} if named else set())
    rest = TASK_KEY_ANY.sub(" ", rest)  # "撤销 A-3 刚才那个完成": the key's digits are no figure
    percents = {int(f.value) for f in percent_forms(rest) if f.value is not None and 0 <= f.value <= 100}
    hours = find_hours(rest)
    if len(percents) == 1 and hours is not None and hours.value is not None and Decimal(0) < hours.value <= HOURS_MAX \
            and not _inside_a_percent(rest, hours):
        return Correct(percent=percents.pop(), hours=hours.value, task=named)  # "不对，是 80%，工时 2h"
    if len(percents) == 1 and hours is None:
        return Correct(percent=percents.pop(), task=named)
    if hours is not None and not percents and hours.value is not None and Decimal(0) < hours.value <= HOURS_MAX:
        return Correct(hours=hours.value, task=named)
    if percents or hours is not None or re.search(r"[0-9]|是\s*[零一二两三四五六七八九十百]+\s*$", rest):  # "搞错了 是七十": seventy what?
        return err("unclear_correction", None, value=clean(s)[:PARAM_MAX_CHARS])
    if undo is not None and not c.AMEND.search(head) and not _CANNOT_BEFORE.search(head[: undo.start()]):
        return Undo(task=next(iter(keys), None))  # "forget that last one, revert it" undoes; "I can't undo this mess" does not
    if fix is not None or undo is not None:
        return err("unclear_correction", None, value=clean(s)[:PARAM_MAX_CHARS])  # "不对": not right how?
    return None
