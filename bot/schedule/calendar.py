"""Work calendars: weekends, public holidays and adjusted working days (调休) from the `holidays` library,
plus the extra workdays and holidays an admin configures before the library knows next year's."""

from __future__ import annotations

import functools
import importlib.util
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
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
    entity = _country_entity(country)
    if entity is None:
        import holidays

        return holidays.country_holidays(country, years=year)
    return entity(years=year)  # what country_holidays(country, years=year) makes, its other arguments defaults


@functools.cache
def _country_entity(country: str) -> type[holidays.HolidayBase] | None:
    """The class `holidays.country_holidays` would use, from its own module only: importing it the library's way
    runs the package holidays.countries, which imports all 250 countries (a fifth of a second of a start that
    uses one). None when the registry does not name it (the library's way then says what is wrong)."""
    from holidays import registry

    module = next((m for m, names in registry.COUNTRIES.items() if country in names), None)
    name = f"holidays.countries.{module}"
    if module is None:
        return None
    if name not in sys.modules:
        path = Path(registry.__file__).parent / "countries" / f"{module}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            return None
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded  # the package, if ever imported, finds it there and does not run it twice
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            del sys.modules[name]
            raise
    entity: type[holidays.HolidayBase] = getattr(sys.modules[name], country)
    return entity


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
