"""When a schedule runs. Pure functions of their arguments: the instant is always passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.schedule.calendar import WorkCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DayPolicy = Literal["workdays", "mon-fri", "daily"] | tuple[str, ...]
SEARCH_DAYS = 400  # far enough to step over any run of holidays


def parse_days(value: str | tuple[str, ...]) -> DayPolicy:
    """`workdays` | `mon-fri` | `daily` | a list of weekday names; raises ValueError with the allowed values."""
    if isinstance(value, str):
        if value in ("workdays", "mon-fri", "daily"):
            return value  # type: ignore[return-value]
        raise ValueError(f"days must be workdays, mon-fri, daily or a list of {', '.join(WEEKDAYS)}; got '{value}'")
    days = tuple(v.lower()[:3] for v in value)
    bad = [v for v, d in zip(value, days, strict=True) if d not in WEEKDAYS]
    if bad or not days:
        raise ValueError(f"days must be weekday names ({', '.join(WEEKDAYS)}); got {', '.join(bad) or 'none'}")
    return days


def runs_on(day: date, days: DayPolicy, calendar: WorkCalendar) -> bool:
    if days == "workdays":
        return calendar.is_workday(day)
    if days == "mon-fri":
        return day.weekday() < 5
    if days == "daily":
        return True
    return WEEKDAYS[day.weekday()] in days


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` on `day` in `tz`, as UTC. A wall time skipped by a DST change runs that much later (02:30 on a
    spring-forward day runs at 03:30); a repeated one runs at its first occurrence. Both follow from PEP 495's
    fold=0, which reads the offset in force before the transition."""
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def next_run(after: datetime, *, at: time, tz: ZoneInfo, days: DayPolicy, calendar: WorkCalendar) -> datetime | None:
    """The first run strictly after `after` (aware), or None if none within SEARCH_DAYS."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    start = after.astimezone(tz).date()
    for offset in range(SEARCH_DAYS):
        day = start + timedelta(days=offset)
        if not runs_on(day, days, calendar):
            continue
        instant = local_instant(day, at, tz)
        if instant > after:
            return instant
    return None


def due_day(instant: datetime, *, at: time, tz: ZoneInfo, days: DayPolicy, calendar: WorkCalendar) -> date | None:
    """The local day whose run falls in the minute starting at `instant`, or None."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    minute = instant.astimezone(UTC).replace(second=0, microsecond=0)
    local_day = minute.astimezone(tz).date()
    for day in (local_day - timedelta(days=1), local_day):  # a skipped time may land after midnight
        # The time first: most minutes are nobody's, and the calendar (the holidays library, 0.5 s to load) is
        # then not asked at all.
        if local_instant(day, at, tz) == minute and runs_on(day, days, calendar):
            return day
    return None
