"""Time is an input: the one module that reads the machine's clock.

Product code receives a `Clock` where its process is wired and asks it for the time; nothing else calls
`datetime.now()`, `date.today()` or `time.time()` (ruff's TID251 bans them outside this module). Tests hand
in a `FakeClock` set to the instant they are about, so they pass on any day.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from datetime import UTC, date, datetime, timedelta, tzinfo


class Clock(ABC):
    """Wall time (aware, UTC) for what is dated or compared with other systems; monotonic time for durations."""

    @abstractmethod
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""

    @abstractmethod
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: for timeouts, caches and rate limits, never for dates."""

    def timestamp(self) -> float:
        """Seconds since the Unix epoch (what signature timestamps are compared with)."""
        return self.now().timestamp()

    def today(self, tz: tzinfo) -> date:
        """The calendar day it is now in `tz`."""
        return self.now().astimezone(tz).date()


class SystemClock(Clock):
    """The machine's clock: what every process is wired with."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def timestamp(self) -> float:
        return time.time()


SYSTEM_CLOCK = SystemClock()


class FakeClock(Clock):
    """A clock a test sets. Frozen by default; `ticking=True` lets it run on from the set instant at real speed
    (for tests of whole processes whose waits and leases must elapse), while the date stays the test's."""

    def __init__(self, at: datetime, *, ticking: bool = False) -> None:
        self._ticking = ticking
        self._real0 = time.monotonic()
        self._advanced_s = 0.0
        self.set(at)

    def set(self, at: datetime) -> None:
        """Put the wall clock at `at` (as an operator would); the monotonic clock is not moved by that."""
        if at.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._at = at.astimezone(UTC)
        self._set_real = time.monotonic()

    def advance(self, by: timedelta | float) -> None:
        """Let time pass: both clocks move on by `by`."""
        seconds = by.total_seconds() if isinstance(by, timedelta) else float(by)
        if seconds < 0:
            raise ValueError("time does not go back")
        self._at += timedelta(seconds=seconds)
        self._advanced_s += seconds

    def now(self) -> datetime:
        if not self._ticking:
            return self._at
        return self._at + timedelta(seconds=time.monotonic() - self._set_real)

    def monotonic(self) -> float:
        # Starts where the machine's does, so a reading taken before the fake was made still compares.
        real = time.monotonic() - self._real0 if self._ticking else 0.0
        return self._real0 + self._advanced_s + real
