"""The injected clock: a fake that tests set, and the rule that keeps product code on it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clocks import SYSTEM_CLOCK, FakeClock

ROOT = Path(__file__).resolve().parent.parent
AT = datetime(2028, 2, 29, 15, 59, 30, tzinfo=UTC)  # 23:59:30 on a leap day in Shanghai


def test_a_fake_clock_stands_still_until_moved() -> None:
    clock = FakeClock(AT)
    assert clock.now() == AT and clock.now().tzinfo is UTC
    assert clock.today(ZoneInfo("Asia/Shanghai")) == date(2028, 2, 29)
    before = clock.monotonic()
    clock.advance(timedelta(seconds=45))
    assert clock.today(ZoneInfo("Asia/Shanghai")) == date(2028, 3, 1)
    assert clock.timestamp() == (AT + timedelta(seconds=45)).timestamp()
    assert clock.monotonic() - before == 45.0
    clock.set(AT - timedelta(days=400))  # an operator sets the wall clock back: durations do not go back
    assert clock.now() == AT - timedelta(days=400) and clock.monotonic() - before == 45.0
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        FakeClock(datetime(2028, 2, 29))  # noqa: DTZ001 (a naive instant is refused)


def test_a_ticking_fake_clock_runs_on_from_its_instant() -> None:
    clock = FakeClock(AT, ticking=True)
    first = clock.now()
    deadline = SYSTEM_CLOCK.monotonic() + 5
    while clock.now() == first and SYSTEM_CLOCK.monotonic() < deadline:
        pass
    assert first < clock.now() < AT + timedelta(seconds=5)


@pytest.mark.parametrize("call", ["datetime.now(UTC)", "date.today()", "time.time()", "datetime.utcnow()"])
def test_ruff_rejects_reading_the_wall_clock_in_product_code(call: str) -> None:
    source = f"import time\nfrom datetime import UTC, date, datetime\n\nx = {call}\n"
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run([str(ruff), "check", "--select", "TID251", "--stdin-filename", "bot/somewhere.py", "-"],
                          input=source, capture_output=True, text=True, cwd=ROOT, check=False, timeout=60)
    assert done.returncode == 1 and "TID251" in done.stdout, done.stdout + done.stderr
    allowed = subprocess.run([str(ruff), "check", "--select", "TID251", "--stdin-filename", "bot/clocks.py", "-"],
                             input=source, capture_output=True, text=True, cwd=ROOT, check=False, timeout=60)
    assert allowed.returncode == 0, "the clock module is the one exception"
