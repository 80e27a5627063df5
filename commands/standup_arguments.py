"""The standup verb's arguments: an answer (whole, or one question's), `skip [day]`, `late [day] <answer>`,
`mine`, `away <dates>` (and `请假 <dates>` alone; `请假 取消`, `站会 销假` are the leave verb's), `stats [days]`,
and a PM's `time|deadline|remind HH:MM|default [standup]`."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from commands.day_words import day_at
from commands.errors import PARAM_MAX_CHARS, err, missing
from commands.grammar import Args
from commands.model import Command, LeaveAction, ParseError, Standup, StandupSchedule
from commands.reach_arguments import AFTER_DATE_OK, away_dates, leave
from commands.text import EDGE_PUNCT, clean, first_token

AWAY_WORD = "请假"  # on its own, shorthand for "standup away"

_SKIP_AT = re.compile(r"(?:skip|跳过)(?![A-Za-z])", re.IGNORECASE)
_AWAY_AT = re.compile(r"(?:away|请假)(?![A-Za-z])", re.IGNORECASE)
_LATE_AT = re.compile(r"(?:late|补交|补写|补)(?![A-Za-z])", re.IGNORECASE)
_MINE_AT = re.compile(r"(?:mine|history|my answers|我的|历史|记录)$", re.IGNORECASE)
# Leave is the leave verb's (commands/reach_arguments.py): `站会 销假` was once stored as an answer.
_LEAVE_CANCEL_AT = re.compile(r"(?:销假|(?:cancel|取消|撤销) ?(?:leave|away|请假)|(?:leave|away|请假) ?(?:cancel|取消|撤销))"
                              r"(?![A-Za-z])(?: ?#?([0-9]{1,9}))?$", re.IGNORECASE)
_AWAY_ACTION_AT = re.compile(r"(?:cancel|取消|撤销|list|列表|查看|change|move|修改|更改|改)(?![A-Za-z])",
                             re.IGNORECASE)
_SETTINGS: dict[str, Literal["at", "deadline", "remind_at"]] = {
    "time": "at", "时间": "at", "deadline": "deadline", "截止": "deadline", "remind": "remind_at",
    "reminder": "remind_at", "提醒": "remind_at"}
_SETTING_AT = re.compile(r"(time|时间|deadline|截止|reminder|remind|提醒)(?![A-Za-z]) ?", re.IGNORECASE)
_HHMM_AT = re.compile(r"([01]?[0-9]|2[0-3])[:：]([0-5][0-9])")
_LOOKS_LIKE_TIME = re.compile(r"[0-9]{1,4}[:：][0-9]{1,4}")
_STATS_AT = re.compile(r"(?:stats|统计|参与)(?: ([0-9]{1,4}) ?(?:d|days|天)?)?$", re.IGNORECASE)
# One question's answer: "2: …", "Q2 …", "问题2 …", "第2题 …" (a bare "2 …" stays a whole answer).
_QUESTION_AT = re.compile(r"(?:(?:q|问题|第) ?([1-9])题?(?: ?[:：])?|([1-9]) ?[:：]) ?", re.IGNORECASE)


def _away(rest: str, today: date) -> Command | ParseError:
    """After `请假` / `standup away`: dates, or what to do with leave already taken (`请假 取消 3`)."""
    rest = rest.strip(EDGE_PUNCT)
    if _AWAY_ACTION_AT.match(rest):
        return leave(Args(rest=rest, word="leave", today=today))  # the leave verb's own words
    return away_dates(rest, today, "standup")


def _day_then(rest: str, today: date) -> tuple[date | None, str] | ParseError:
    """An optional day at the start of `rest` (`昨天`, `12-01`), and the words after it."""
    found = day_at(rest, 0, today)
    if found is None:
        return None, rest
    day, end = found
    if day is None or not AFTER_DATE_OK.match(rest, end):
        return err("bad_date", "standup", value=first_token(rest))
    return day, clean(rest[end:])


def _schedule(setting_word: str, value_words: str) -> Command | ParseError | None:
    """`time 09:15 [name]`: only with a time (or "default") after it; "standup time to fix the pump" is an
    answer like any other (None)."""
    setting = _SETTINGS[setting_word.lower()]
    value_text, _, name = clean(value_words).partition(" ")
    if value_text.lower() in ("default", "默认", "reset", "恢复"):
        return StandupSchedule(setting=setting, value=None, name=name.strip())
    hhmm = _HHMM_AT.fullmatch(value_text)
    if hhmm is not None:
        return StandupSchedule(setting=setting, value=f"{int(hhmm.group(1)):02d}:{hhmm.group(2)}",
                               name=name.strip())
    if _LOOKS_LIKE_TIME.fullmatch(value_text):
        return err("bad_date", "standup", value=value_text[:PARAM_MAX_CHARS])
    return None


def standup(args: Args) -> Command | ParseError:
    rest = args.rest
    if args.word == AWAY_WORD:
        return _away(rest, args.today)
    if not rest:
        return Standup(action="show")
    m = _LEAVE_CANCEL_AT.match(rest)
    if m is not None:
        return LeaveAction(action="cancel", leave_id=int(m.group(1)) if m.group(1) else None)
    if _MINE_AT.match(rest):
        return Standup(action="mine")
    m = _SKIP_AT.match(rest)
    if m is not None:
        found = _day_then(clean(rest[m.end() :]), today=args.today)
        if isinstance(found, ParseError):
            return found
        return Standup(action="skip", day=found[0], text=found[1])
    m = _LATE_AT.match(rest)
    if m is not None:
        found = _day_then(clean(rest[m.end() :]), today=args.today)
        if isinstance(found, ParseError):
            return found
        if found[0] is None:  # "standup late start, traffic": today's answer, not another day's
            return Standup(action="answer", text=rest)
        if not found[1]:
            return missing("standup", "text")
        return Standup(action="late", day=found[0], text=found[1])
    m = _AWAY_AT.match(rest)
    if m is not None:
        return _away(rest[m.end() :], args.today)
    m = _SETTING_AT.match(rest)
    if m is not None:
        schedule = _schedule(m.group(1), rest[m.end() :])
        if schedule is not None:
            return schedule
    m = _STATS_AT.match(rest)
    if m is not None:
        days = m.group(1)
        if days is not None and not 1 <= int(days) <= 366:
            return err("bad_date", "standup", value=days)
        return Standup(action="stats", days=int(days) if days else 30)
    m = _QUESTION_AT.match(rest)
    if m is not None and clean(rest[m.end() :]):
        return Standup(action="answer", text=clean(rest[m.end() :]), question=int(m.group(1) or m.group(2)))
    return Standup(action="answer", text=rest)
