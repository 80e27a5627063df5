"""Benchmark: the 09:00 standup wave of 10,000 people in one clock.

    python -m bench.clock [--people 10000] [--postgres URL]

Prints how long the wave takes to enqueue (target: under 2 s), the process's peak memory (target: under
300 MB), and the inbox ack latency at rest and while the wave runs, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import run_due
from bot.config import Config, Settings
from bot.memory import tune_for_serving
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.schedule.calendar import WorkCalendar
from bot.store import migrate

SH = ZoneInfo("Asia/Shanghai")


def config(people: int) -> Config:
    ids = [f"p{i:05d}" for i in range(people)]
    return Config.model_validate({
        "people": [{"id": pid, "name": f"Person {pid}", "locale": "zh" if i % 2 else "en"}
                   for i, pid in enumerate(ids)],
        "projects": [{"key": "WAVE", "name": "wave", "members": ids}],
        "standups": [{"name": "wave", "project": "WAVE", "members": ids, "at": "09:00", "deadline": "10:00"}],
    })


def next_workday() -> date:
    day, cal = datetime.now(SH).date() + timedelta(days=1), WorkCalendar(country="CN")
    while not cal.is_workday(day):
        day += timedelta(days=1)
    return day


async def ack_latencies(rt: Runtime, n: int, tag: str) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        await rt.inbox.accept(InboundEvent(platform="console", event_id=f"{tag}-{i}", kind="message", sender="p00000",
                                           conversation="p00000", text="help", received_at=datetime.now(SH)))
        out.append(time.perf_counter() - start)
    return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] * 1000


async def one(name: str, url: str, people: int) -> None:
    rt = Runtime(Settings(database_url=url), config(people))
    await migrate.upgrade(rt.db)
    setup = time.perf_counter()
    await rt.open()
    tune_for_serving()  # as `pmsbot clock` / `run` do once started
    print(f"[{name}] setup: {people:,} people applied in {time.perf_counter() - setup:.1f} s")
    try:
        rest = await ack_latencies(rt, 200, "rest")
        at = datetime.combine(next_workday(), clock_time(9, 0), tzinfo=SH)
        wave = asyncio.create_task(run_due(rt.jobs, at))
        start = time.perf_counter()
        during: list[float] = []
        while not wave.done():
            during += await ack_latencies(rt, 5, f"wave{len(during)}")
        sent = await wave
        elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"[{name}] 09:00 wave: {sent:,} prompts enqueued in {elapsed:.2f} s (target < 2 s)")
        print(f"[{name}] peak memory of this process: {peak_mb:.0f} MB (target < 300 MB)")
        print(f"[{name}] inbox ack p99: {p99(rest):.1f} ms at rest vs {p99(during or rest):.1f} ms during the wave "
              f"({len(during)} acks during it)")
    finally:
        await rt.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--postgres", default="", help="a database the benchmark may wipe")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await one("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'clock.db'}", args.people)
    if args.postgres:
        from bench.pipeline import _reset_pg

        await _reset_pg(args.postgres)
        await one("postgresql", args.postgres, args.people)


if __name__ == "__main__":
    asyncio.run(main())
