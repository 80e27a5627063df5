"""Arguments of the verbs that say what reaches whom: a chat's subscriptions (`subscriptions`, `unsubscribe`,
`mute`, `unmute`) and a person's leave (`leave`, `销假`)."""

from __future__ import annotations

import re
from datetime import date

from commands.dates import date_range_at
from commands.day_words import clock_at, day_at
from commands.errors import PARAM_MAX_CHARS, err, missing
from commands.grammar import Args
from commands.keys import number_at, project_arg
from commands.model import Command, LeaveAction, Mute, ParseError, Standup, Subscriptions, Unsubscribe
from commands.text import EDGE_PUNCT, clean, first_token

# "2h", "30 min", "1天", "3个小时", "半小时"
_DURATION = re.compile(
    r"([0-9]{1,5}) ?(minutes|minute|mins|min|m|分钟|hours|hour|hrs|hr|h|个小时|小时|days|day|d|天)(?![A-Za-z])"
    r"|(半小时|半天)", re.IGNORECASE)
_MINUTES = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "分钟": 1, "h": 60, "hr": 60, "hrs": 60,
            "hour": 60, "hours": 60, "小时": 60, "个小时": 60, "d": 1440, "day": 1440, "days": 1440, "天": 1440}
_HALVES = {"半小时": 30, "半天": 720}
_UNTIL = re.compile(r"(?:到|至|直到|until|till|to) ?", re.IGNORECASE)
_FOR = re.compile(r"for ", re.IGNORECASE)

_CANCEL = re.compile(r"(?:cancel|delete|remove|取消|撤销|删除|销假)(?![A-Za-z])", re.IGNORECASE)
_CHANGE = re.compile(r"(?:change|move|改为|改到|修改|更改|改)(?![A-Za-z])", re.IGNORECASE)
_LIST = re.compile(r"(?:list|show|mine|列表|查看|我的)(?![A-Za-z])", re.IGNORECASE)
CANCEL_LEAVE_WORD = "销假"
AFTER_DATE_OK = re.compile(r"$|[ ,;:]|[^\x00-\x7f]")


def away_dates(rest: str, today: date, verb: str) -> Command | ParseError:
    """Leave for the dates at the start of `rest` (a note may follow them)."""
    rest = rest.strip(EDGE_PUNCT)
    if not rest:
        return missing(verb, "dates")
    found = date_range_at(rest, today, verb)
    if isinstance(found, ParseError):
        return found
    start, stop, end = found
    if not AFTER_DATE_OK.match(rest, end):
        return err("bad_date", verb, value=first_token(rest))
    return Standup(action="away", away_from=start, away_to=stop, text=clean(rest[end:]))


def subscriptions(args: Args) -> Command | ParseError:
    return Subscriptions()


def unsubscribe(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("unsubscribe", "project")
    found = project_arg(args.rest, "unsubscribe")
    if isinstance(found, ParseError):
        return found
    return Unsubscribe(project=found[0], filter=found[1] or None)


def unmute(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("unmute", "project")
    found = project_arg(args.rest, "unmute")
    return found if isinstance(found, ParseError) else Mute(project=found[0], off=True)


def mute(args: Args) -> Command | ParseError:
    """`mute PUMP 2h`, `mute PUMP until tomorrow`, `静音 PUMP 到明天`, `静音 PUMP 到 18:00`, `mute PUMP until 12-20`."""
    if not args.rest:
        return missing("mute", "project")
    found = project_arg(args.rest, "mute")
    if isinstance(found, ParseError):
        return found
    project, rest = found
    rest = rest.strip(EDGE_PUNCT)
    if not rest:
        return missing("mute", "duration")
    lead = _FOR.match(rest)
    m = _DURATION.match(rest, lead.end() if lead else 0)
    if m is not None and not clean(rest[m.end():]):
        minutes = _HALVES[m.group(3)] if m.group(3) else int(m.group(1)) * _MINUTES[m.group(2).lower()]
        if minutes <= 0:
            return err("bad_duration", "mute", value=rest[:PARAM_MAX_CHARS])
        return Mute(project=project, for_minutes=minutes)
    u = _UNTIL.match(rest)
    pos = u.end() if u else 0
    day = day_at(rest, pos, args.today)
    if day is not None:
        when, end = day
        if when is None:
            return err("bad_duration", "mute", value=rest[:PARAM_MAX_CHARS])
        tail = rest[end:].strip(EDGE_PUNCT)
        clock = clock_at(tail, 0)
        if clock is not None and not clean(tail[clock[1]:]):
            return Mute(project=project, until_day=when, until_time=clock[0])
        if tail:
            return err("bad_duration", "mute", value=rest[:PARAM_MAX_CHARS])
        return Mute(project=project, until_day=when)
    clock = clock_at(rest, pos)
    if clock is not None and not clean(rest[clock[1]:]):
        return Mute(project=project, until_time=clock[0])
    return err("bad_duration", "mute", value=first_token(rest))


def leave(args: Args) -> Command | ParseError:
    """`leave` (list), `leave cancel [n]` / `销假 [n]`, `leave change <n> <dates>`, `leave <dates>` (take leave)."""
    rest = args.rest
    if args.word == CANCEL_LEAVE_WORD:
        return _cancel(rest)
    if not rest or _LIST.fullmatch(rest):
        return LeaveAction(action="list")
    m = _CANCEL.match(rest)
    if m is not None:
        return _cancel(rest[m.end():].strip(EDGE_PUNCT))
    m = _CHANGE.match(rest)
    if m is not None:
        return change(rest[m.end():].strip(EDGE_PUNCT), args)
    return away_dates(rest, args.today, "leave")


def _cancel(rest: str) -> Command | ParseError:
    if not rest:
        return LeaveAction(action="cancel")
    found = number_at(rest, "leave", "bad_leave_id")
    if isinstance(found, ParseError):
        return found
    return LeaveAction(action="cancel", leave_id=found[0])


def change(rest: str, args: Args) -> Command | ParseError:
    """`<n> <dates>`: leave number n moves to the dates."""
    if not rest:
        return missing("leave", "leave_id")
    found = number_at(rest, "leave", "bad_leave_id")
    if isinstance(found, ParseError):
        return found
    number, dates = found
    dates = _UNTIL.sub("", dates, count=1) if dates.startswith(("to ", "到")) else dates
    if not dates:
        return missing("leave", "dates")
    away = away_dates(dates, args.today, "leave")
    if isinstance(away, ParseError):
        return away
    assert isinstance(away, Standup)
    return LeaveAction(action="change", leave_id=number, day_from=away.away_from, day_to=away.away_to)
