"""Work calendars: weekends, public holidays and adjusted working days (调休) from the `holidays` library,
plus the extra workdays and holidays an admin configures before the library knows next year's."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays

NO_CALENDAR = "none"  # weekends only


@functools.cache
def supported_countries() -> frozenset[str]:
    # The library's registry of codes, not `list_supported_countries()`, which imports all 250 country modules
    # (half a second of every start-up, for a check of one code).
    from holidays.registry import EntityLoader

    return frozenset(EntityLoader.get_country_codes())


@functools.lru_cache(maxsize=64)
def _country_year(country: str, year: int) -> holidays.HolidayBase:
    import holidays

    return holidays.country_holidays(country, years=year)


@dataclass(frozen=True, kw_only=True)
class WorkCalendar:
    country: str  # an ISO country code the holidays library knows, or "none"
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    def is_workday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        if self.country == NO_CALENDAR:
            return day.weekday() < 5
        return bool(_country_year(self.country, day.year).is_working_day(day))

    def knows_adjusted_workdays(self, year: int) -> bool:
        """China publishes next year's 调休 late in the year; until the library has it, say so."""
        if self.country != "CN":
            return True
        if any(d.year == year for d in self.extra_workdays):
            return True
        known: set[date] = getattr(_country_year("CN", year), "weekend_workdays", set())
        return any(d.year == year for d in known)
