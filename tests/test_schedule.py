"""Schedule maths and work calendars: tables of dates and instants, no clock reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.calendar import WorkCalendar
from bot.schedule.maths import due_day, local_instant, next_run, parse_days, runs_on

CN = WorkCalendar(country="CN")
SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("day", "workday", "why"),
    [
        (date(2026, 12, 1), True, "a Tuesday"),
        (date(2026, 12, 5), False, "a Saturday"),
        (date(2026, 10, 1), False, "National Day"),
        (date(2026, 10, 7), False, "National Day week"),
        (date(2026, 10, 10), True, "调休: a working Saturday"),
        (date(2026, 2, 14), True, "调休 before Spring Festival"),
        (date(2026, 2, 28), True, "调休 after Spring Festival"),
        (date(2026, 2, 17), False, "Spring Festival"),
        (date(2026, 5, 1), False, "Labour Day"),
        (date(2026, 5, 9), True, "调休 for Labour Day"),
    ],
)
def test_china_workdays(day: date, workday: bool, why: str) -> None:
    assert CN.is_workday(day) is workday, why


def test_extra_days_override_the_library() -> None:
    cal = WorkCalendar(country="CN", extra_workdays=frozenset({date(2027, 2, 20)}),
                       extra_holidays=frozenset({date(2026, 12, 31)}))
    assert cal.is_workday(date(2027, 2, 20)) and not cal.is_workday(date(2026, 12, 31))
    assert WorkCalendar(country="none").is_workday(date(2026, 10, 1)), "no calendar: only weekends are off"
    assert not WorkCalendar(country="US").is_workday(date(2026, 7, 3)), "Independence Day observed"


def test_knows_whether_next_years_adjusted_days_are_published() -> None:
    assert CN.knows_adjusted_workdays(2026)
    assert not CN.knows_adjusted_workdays(2027)
    assert WorkCalendar(country="CN", extra_workdays=frozenset({date(2027, 2, 6)})).knows_adjusted_workdays(2027)
    assert WorkCalendar(country="US").knows_adjusted_workdays(2027)


@pytest.mark.parametrize(
    ("days", "day", "expected"),
    [
        ("workdays", date(2026, 10, 10), True),
        ("mon-fri", date(2026, 10, 10), False),
        ("mon-fri", date(2026, 10, 1), True),
        ("daily", date(2026, 10, 3), True),
        (("mon", "Wednesday"), date(2026, 12, 2), True),
        (("mon", "wed"), date(2026, 12, 1), False),
    ],
)
def test_day_policies(days: str | tuple[str, ...], day: date, expected: bool) -> None:
    assert runs_on(day, parse_days(days), CN) is expected


@pytest.mark.parametrize("bad", ["weekdays", "", ("mon", "funday"), ()])
def test_bad_day_policies_are_refused(bad: str | tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="days must be"):
        parse_days(bad)


@pytest.mark.parametrize(
    ("after", "tz", "at", "expected"),
    [
        # Before 09:30 on a workday: today.
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), SH, time(9, 30), datetime(2026, 12, 1, 1, 30, tzinfo=UTC)),
        # Exactly at the run: the next one (strictly after).
        (datetime(2026, 12, 1, 1, 30, tzinfo=UTC), SH, time(9, 30), datetime(2026, 12, 2, 1, 30, tzinfo=UTC)),
        # Friday evening: Monday.
        (datetime(2026, 12, 4, 12, 0, tzinfo=UTC), SH, time(9, 30), datetime(2026, 12, 7, 1, 30, tzinfo=UTC)),
        # The National Day holiday (10-01..10-07), then the working Saturday 10-10 (调休).
        (datetime(2026, 9, 30, 12, 0, tzinfo=UTC), SH, time(9, 30), datetime(2026, 10, 8, 1, 30, tzinfo=UTC)),
        (datetime(2026, 10, 9, 12, 0, tzinfo=UTC), SH, time(9, 30), datetime(2026, 10, 10, 1, 30, tzinfo=UTC)),
    ],
)
def test_next_run_across_weekends_and_holidays(after: datetime, tz: ZoneInfo, at: time, expected: datetime) -> None:
    assert next_run(after, at=at, tz=tz, days="workdays", calendar=CN) == expected


@pytest.mark.parametrize(
    ("day", "at", "expected_local"),
    [
        (date(2026, 3, 6), time(9, 30), "2026-03-06T09:30:00-05:00"),  # the Friday before: EST
        (date(2026, 3, 9), time(9, 30), "2026-03-09T09:30:00-04:00"),  # the Monday after: EDT
        (date(2026, 3, 8), time(2, 30), "2026-03-08T03:30:00-04:00"),  # skipped wall time: after the jump
        (date(2026, 11, 1), time(1, 30), "2026-11-01T01:30:00-04:00"),  # repeated wall time: the first one
        (date(2026, 11, 2), time(9, 30), "2026-11-02T09:30:00-05:00"),
    ],
)
def test_local_time_across_dst_in_new_york(day: date, at: time, expected_local: str) -> None:
    assert local_instant(day, at, NY).astimezone(NY).isoformat() == expected_local


def test_next_run_keeps_local_time_across_dst() -> None:
    us = WorkCalendar(country="US")
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # after the Friday run
    monday = next_run(friday, at=time(9, 30), tz=NY, days="workdays", calendar=us)
    assert monday == datetime(2026, 3, 9, 13, 30, tzinfo=UTC), "09:30 EDT, an hour earlier in UTC than on Friday"


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2026, 12, 1, 9, 30, tzinfo=SH), date(2026, 12, 1)),
        (datetime(2026, 12, 1, 9, 30, 59, tzinfo=SH), date(2026, 12, 1)),  # anywhere in that minute
        (datetime(2026, 12, 1, 9, 31, tzinfo=SH), None),
        (datetime(2026, 12, 5, 9, 30, tzinfo=SH), None),  # Saturday
        (datetime(2026, 10, 10, 9, 30, tzinfo=SH), date(2026, 10, 10)),  # working Saturday
        (datetime(2026, 12, 1, 1, 30, tzinfo=UTC), date(2026, 12, 1)),  # the same minute given in UTC
    ],
)
def test_due_day(instant: datetime, expected: date | None) -> None:
    assert due_day(instant, at=time(9, 30), tz=SH, days="workdays", calendar=CN) == expected


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_day(datetime(2026, 12, 1, 9, 30), at=time(9, 30), tz=SH, days="workdays", calendar=CN)  # noqa: DTZ001


class _Unasked(WorkCalendar):
    def is_workday(self, day: date) -> bool:
        raise AssertionError(f"the calendar was asked about {day} in a minute when nothing is due")


def test_a_minute_that_is_nobodys_does_not_ask_the_calendar() -> None:
    # The holidays library loads in about half a second: a quiet minute (as `clock --once` at start) never needs it.
    quiet = datetime(2026, 3, 1, 3, 17, tzinfo=SH)
    assert due_day(quiet, at=time(9, 0), tz=SH, days="workdays", calendar=_Unasked(country="CN")) is None
    assert due_day(quiet.replace(hour=9, minute=0), at=time(9, 0), tz=SH, days="workdays", calendar=CN) is None, \
        "a Sunday: asked, and not a workday"
