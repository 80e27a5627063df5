"""The standup verb's arguments: an answer (whole, or one question's), `skip`, `away <dates>` (and `请假
<dates>` alone), `stats [days]`, and a PM's `time|deadline|remind HH:MM|default [standup]`."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from commands.dates import date_range_at
from commands.errors import PARAM_MAX_CHARS, err, missing
from commands.grammar import Args
from commands.model import Command, ParseError, Standup, StandupSchedule
from commands.text import EDGE_PUNCT, clean, first_token

AWAY_WORD = "请假"  # on its own, shorthand for "standup away"

_SKIP_AT = re.compile(r"(?:skip|跳过)(?![A-Za-z])", re.IGNORECASE)
_AWAY_AT = re.compile(r"(?:away|请假)(?![A-Za-z])", re.IGNORECASE)
_AFTER_DATE_OK = re.compile(r"$|[ ,;:]|[^\x00-\x7f]")
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
    rest = rest.strip(EDGE_PUNCT)
    if not rest:
        return missing("standup", "dates")
    found = date_range_at(rest, today, "standup")
    if isinstance(found, ParseError):
        return found
    start, stop, end = found
    if not _AFTER_DATE_OK.match(rest, end):
        return err("bad_date", "standup", value=first_token(rest))
    return Standup(action="away", away_from=start, away_to=stop, text=clean(rest[end:]))


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
    m = _SKIP_AT.match(rest)
    if m is not None:
        return Standup(action="skip", text=clean(rest[m.end() :]))
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
