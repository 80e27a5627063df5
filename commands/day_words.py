"""Days said relative to today (`昨天`, `明天`, `yesterday`, `tomorrow`) or as a date (`12-20`, `12月20日`), at a
position in a message; and clock times (`18:00`)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from commands.dates import date_at

_RELATIVE: dict[str, int] = {"前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "明天": 1, "明日": 1,
                             "后天": 2, "yesterday": -1, "today": 0, "tomorrow": 1}
_RELATIVE_AT = re.compile("(" + "|".join(sorted(_RELATIVE, key=len, reverse=True)) + r")(?![A-Za-z])",
                          re.IGNORECASE)
_CLOCK_AT = re.compile(r"([01]?[0-9]|2[0-3])[:：]([0-5][0-9])(?![0-9])|([01]?[0-9]|2[0-3]) ?(?:点|时)")


def day_at(s: str, pos: int, today: date) -> tuple[date | None, int] | None:
    """(the day, where its words end) at `pos`; (None, end) for a date-shaped word that is no date ("13-45");
    None when no day is said there."""
    m = _RELATIVE_AT.match(s, pos)
    if m is not None:
        return today + timedelta(days=_RELATIVE[m.group(1).lower()]), m.end()
    hit = date_at(s, pos, today)
    if hit is None:
        return None
    return hit.value, hit.end


def clock_at(s: str, pos: int) -> tuple[time, int] | None:
    """A time of day at `pos` (`18:00`, `6点`)."""
    m = _CLOCK_AT.match(s, pos)
    if m is None:
        return None
    if m.group(3) is not None:
        return time(int(m.group(3))), m.end()
    return time(int(m.group(1)), int(m.group(2))), m.end()
