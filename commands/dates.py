"""Dates in chat words: `2026-12-01`, `12-01`, `12/1`, `12月1日`, and ranges of them (`12-01..12-05`,
`12月1日到5日`). A year-less date takes the year that puts it nearest ahead."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import NamedTuple

from commands.errors import err
from commands.model import ParseError
from commands.text import first_token

_YEAR_ROLLOVER = timedelta(days=60)

_DATE_FORMS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})(?![0-9])"),
    re.compile(r"(?:(?P<y>[0-9]{4})年)?(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})(?![0-9])[日号]?"),
    re.compile(r"(?P<m>[0-9]{1,2})[-/](?P<d>[0-9]{1,2})(?![0-9])"),
)
_DAY_ONLY = re.compile(r"(?P<d>[0-9]{1,2})[日号]")
_RANGE_SEP = re.compile(r" ?(?:\.{2,}|~|〜|—{1,2}|–|-|到|至) ?")


class DateHit(NamedTuple):
    value: date | None  # None: matched the shape but not a real date
    end: int
    explicit_year: bool


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _infer_year(month: int, day: int, today: date) -> date | None:
    """A year-less date more than 60 days in the past means next year ("01-02" typed in late December)."""
    this_year = _make_date(today.year, month, day)
    if this_year is not None and this_year >= today - _YEAR_ROLLOVER:
        return this_year
    next_year = _make_date(today.year + 1, month, day)
    return next_year if next_year is not None else this_year


def date_at(s: str, pos: int, today: date) -> DateHit | None:
    for pattern in _DATE_FORMS:
        m = pattern.match(s, pos)
        if m is None:
            continue
        month, day = int(m.group("m")), int(m.group("d"))
        year = m.groupdict().get("y")
        if year:
            return DateHit(_make_date(int(year), month, day), m.end(), True)
        return DateHit(_infer_year(month, day, today), m.end(), False)
    return None


def date_range_at(s: str, today: date, verb: str) -> tuple[date, date, int] | ParseError:
    """`12-01..12-05`, `12/01-12/05`, `12月1日到5日`, `2026-12-01` ... at the start of `s`."""
    first = date_at(s, 0, today)
    if first is None:
        return err("bad_date", verb, value=first_token(s))
    start, end = first.value, first.end
    stop = start
    sep = _RANGE_SEP.match(s, end)
    if sep is not None and start is not None:
        second = date_at(s, sep.end(), today)
        if second is not None:
            stop, end = second.value, second.end
            if stop is not None and first.explicit_year and not second.explicit_year:
                stop = _make_date(start.year, stop.month, stop.day)
                if stop is not None and stop < start:
                    stop = _make_date(start.year + 1, stop.month, stop.day)
        else:
            day = _DAY_ONLY.match(s, sep.end())
            if day is not None:
                stop, end = _make_date(start.year, start.month, int(day.group("d"))), day.end()
    if start is None or stop is None or stop < start:
        return err("bad_date", verb, value=s[:end])
    return start, stop, end
