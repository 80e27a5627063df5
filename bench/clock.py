"""Benchmark: the clock's waves with 10,000 people, each against a peer measured in the same run.

    python -m bench.clock [--people 10000] [--rounds 5] [--postgres URL]
                          [--json PATH] [--results PATH] [--quick]

Rows, per backend (SQLite, and PostgreSQL with --postgres or PMSBOT_BENCH_PG):
- 10,000 people, one 09:00 standup; 2,500 people x 4 standups at 09:00; 10,000 reminders at 09:30 (all
  prompted, nobody answered). Each is timed as `run_due` of that minute with nothing else running. Peer: one
  batch insert of as many outbox rows (the rows the wave writes, built beforehand) in one transaction, the
  floor for enqueueing them. Wave and peer alternate round by round (A, B, A, B...); between rounds the
  wave's runs and messages are deleted (not timed).
Prints medians, spreads (min-max), the ratio of medians and the goal; then, apart from the timed rows, the
inbox ack latency while one more wave runs, and the peak memory. Start-up with 10,000 people: bench/startup.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert
from sqlmodel import col

from bench.table import Result, add_results
from bot.clock import run_due
from bot.config import Config, Settings
from bot.memory import tune_for_serving
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.schedule.calendar import WorkCalendar
from bot.store import migrate
from bot.store.db import Database
from bot.store.models import OutboxRow, ScheduleRunRow

SH = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, kw_only=True)
class Row:
    backend: str
    what: str
    runs_s: list[float]
    peer: str
    peer_runs_s: list[float]
    goal_s: float
    goal_ratio: float | None = None

    @property
    def median_s(self) -> float:
        return statistics.median(self.runs_s)

    @property
    def ratio(self) -> float:
        return self.median_s / statistics.median(self.peer_runs_s)

    def met(self) -> bool:
        return self.median_s < self.goal_s and (self.goal_ratio is None or self.ratio <= self.goal_ratio)

    def line(self) -> str:
        goal = f"< {self.goal_s:g} s" + (f", <= {self.goal_ratio:g}x" if self.goal_ratio else "")
        return (f"[{self.backend}] {self.what:<44} {self.median_s:7.2f} s ({min(self.runs_s):.2f}-{max(self.runs_s):.2f})"
                f" | {self.peer}: {statistics.median(self.peer_runs_s):6.2f} s ({min(self.peer_runs_s):.2f}-"
                f"{max(self.peer_runs_s):.2f}) | {self.ratio:5.1f}x | goal {goal}: {'met' if self.met() else 'MISSED'}")


def people_config(people: int, standups: int = 1) -> dict[str, Any]:
    ids = [f"p{i:05d}" for i in range(people)]
    return {
        "people": [{"id": pid, "name": f"Person {pid}", "locale": "zh" if i % 2 else "en"}
                   for i, pid in enumerate(ids)],
        "projects": [{"key": "WAVE", "name": "wave", "members": ids}],
        "standups": [{"name": f"wave{n}", "project": "WAVE", "members": ids, "at": "09:00", "deadline": "10:00"}
                     for n in range(standups)],
    }


def config(people: int, standups: int = 1) -> Config:
    return Config.model_validate(people_config(people, standups))


def next_workday() -> date:
    day, cal = datetime.now(SH).date() + timedelta(days=1), WorkCalendar(country="CN")
    while not cal.is_workday(day):
        day += timedelta(days=1)
    return day


async def forget(db: Database, *, only_reminders: bool = False) -> None:
    """Undo a wave (untimed): its runs and every message, so the next round finds the same work."""
    async with db.write() as s:
        runs = delete(ScheduleRunRow)
        if only_reminders:
            runs = runs.where(col(ScheduleRunRow.schedule).like("%:remind"))
        await s.execute(runs)
        await s.execute(delete(OutboxRow))


def outbox_rows(n: int, kind: str) -> list[dict[str, Any]]:
    """n rows shaped like a wave's (a console message each, a prompt's data)."""
    now = datetime.now(SH)
    data = {"standup": "wave0", "project": "WAVE", "day": "2026-03-02", "deadline": "10:00", "questions": []}
    return [{"platform": "console", "conversation": f"console:p{i:05d}", "target": f"p{i:05d}", "kind": kind,
             "locale": "zh" if i % 2 else "en", "payload": {"data": data, "actions": [], "origin": {}},
             "card_ref": None, "update": False, "state": "pending", "attempts": 0, "available_at": now,
             "created_at": now, "source_event": None} for i in range(n)]


async def batch_insert(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.write() as s:
        await s.execute(insert(OutboxRow.__table__), rows)  # type: ignore[attr-defined]


async def timed(step: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await step()
    return time.perf_counter() - start


async def alternate(rounds: int, a: Callable[[], Awaitable[object]], b: Callable[[], Awaitable[object]],
                    reset: Callable[[], Awaitable[None]]) -> tuple[list[float], list[float]]:
    runs_a: list[float] = []
    runs_b: list[float] = []
    for _ in range(rounds):
        await reset()
        runs_a.append(await timed(a))
        await reset()
        runs_b.append(await timed(b))
    return runs_a, runs_b


async def open_runtime(url: str, people: int, standups: int) -> Runtime:
    rt = Runtime(Settings(database_url=url), config(people, standups))
    await migrate.upgrade(rt.db)
    await rt.open()
    return rt


async def waves(backend: str, url: str, reset_db: Callable[[], Awaitable[None]], people: int, rounds: int
                ) -> list[Row]:
    nine = datetime.combine(next_workday(), clock_time(9, 0), tzinfo=SH)
    peer = f"batch insert of {people:,} rows"
    rows: list[Row] = []
    await reset_db()
    rt = await open_runtime(url, people, 1)
    try:
        baseline = outbox_rows(people, "standup_prompt")
        a, b = await alternate(rounds, lambda: run_due(rt.jobs, nine), lambda: batch_insert(rt.db, baseline),
                               lambda: forget(rt.db))
        rows.append(Row(backend=backend, what=f"{people:,} people, one 09:00 standup", runs_s=a, peer=peer,
                        peer_runs_s=b, goal_s=2.0, goal_ratio=3.0))
        await forget(rt.db)
        await run_due(rt.jobs, nine)  # everyone prompted, nobody answers
        half_past = nine + timedelta(minutes=30)
        reminders = outbox_rows(people, "standup_reminder")
        a, b = await alternate(rounds, lambda: run_due(rt.jobs, half_past), lambda: batch_insert(rt.db, reminders),
                               lambda: forget(rt.db, only_reminders=True))
        rows.append(Row(backend=backend, what=f"{people:,} reminders", runs_s=a, peer=peer, peer_runs_s=b,
                        goal_s=5.0))
        await forget(rt.db)
        await acks_during_a_wave(backend, rt, nine)
    finally:
        await rt.close()
    await reset_db()
    rt = await open_runtime(url, people // 4, 4)
    try:
        a, b = await alternate(rounds, lambda: run_due(rt.jobs, nine), lambda: batch_insert(rt.db, baseline),
                               lambda: forget(rt.db))
        rows.append(Row(backend=backend, what=f"{people // 4:,} people x 4 standups", runs_s=a, peer=peer,
                        peer_runs_s=b, goal_s=8.0))
    finally:
        await rt.close()
    return rows


async def ack_latencies(rt: Runtime, n: int, tag: str) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        await rt.inbox.accept(InboundEvent(platform="console", event_id=f"{tag}-{i}", kind="message", sender="p00000",
                                           conversation="p00000", text="help", received_at=datetime.now(SH)))
        out.append(time.perf_counter() - start)
    return out


def p99_ms(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] * 1000 if len(values) > 1 else values[0] * 1000


async def acks_during_a_wave(backend: str, rt: Runtime, nine: datetime) -> None:
    """Not a timed row: what a wave does to the acks of a process that also takes events (closed loop)."""
    tune_for_serving()  # as `pmsbot clock` / `run` do once started
    rest = await ack_latencies(rt, 200, "rest")
    wave = asyncio.create_task(run_due(rt.jobs, nine))
    during: list[float] = []
    while not wave.done():
        during += await ack_latencies(rt, 5, f"wave{len(during)}")
    await wave
    print(f"[{backend}] inbox ack p99 {p99_ms(rest):.1f} ms at rest, {p99_ms(during or rest):.1f} ms during a wave "
          f"({len(during)} acks during it; closed loop, not a timed row)")


async def reset_pg(url: str) -> None:
    from bench.pipeline import _reset_pg

    await _reset_pg(url)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("PMSBOT_BENCH_PG", ""),
                        help="a database the benchmark may wipe")
    parser.add_argument("--json", default="", help="also write the rows here")
    parser.add_argument("--results", help="append the rows of `make bench`'s table here (bench/table.py)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1,000 people, 2 rounds")
    args = parser.parse_args()
    if args.quick:
        args.people, args.rounds = 1000, 2
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sqlite_url = f"sqlite+aiosqlite:///{tmp / 'clock.db'}"

        async def reset_sqlite() -> None:
            remove_sqlite(tmp / "clock.db")

        rows += await waves("sqlite", sqlite_url, reset_sqlite, args.people, args.rounds)
        if args.postgres:
            pg: str = args.postgres
            rows += await waves("postgresql", pg, lambda: reset_pg(pg), args.people, args.rounds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{args.rounds} alternating rounds per wave row; median (min-max); machine: {platform.platform()}, "
          f"{os.cpu_count()} cores; peak memory of this process {peak_mb:.0f} MB")
    for row in rows:
        print(row.line())
    if args.json:
        write_json(Path(args.json), rows)
    add_results(args.results, [table_row(row, args.rounds) for row in rows if not row.what.startswith("start-up")])


def table_row(row: Row, rounds: int) -> Result:
    """The row of issue 21's table (`make bench`): the wave's median against the batch insert's, same backend."""
    spread = f"({min(row.runs_s):.2f}-{max(row.runs_s):.2f})"
    peer_s = statistics.median(row.peer_runs_s)
    goal = f"< {row.goal_s:g} s" + (f" and <= {row.goal_ratio:g}x the batch insert" if row.goal_ratio else "")
    return Result(row=f"clock: {row.what} [{row.backend}]",
                  measured=f"{row.median_s:.2f} s {spread}, median of {rounds} alternating rounds",
                  peer=f"{row.peer} {peer_s:.2f} s ({min(row.peer_runs_s):.2f}-{max(row.peer_runs_s):.2f})",
                  ratio=round(row.ratio, 2), goal=goal, met=row.met(),
                  figures={"runs_s": row.runs_s, "peer_runs_s": row.peer_runs_s, "backend": row.backend})


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def write_json(path: Path, rows: list[Row]) -> None:
    path.write_text(json.dumps({"machine": {"platform": platform.platform(), "cores": os.cpu_count()}, "rows": [
        {**asdict(r), "median_s": r.median_s, "ratio": r.ratio, "met": r.met()} for r in rows]}, indent=1),
        encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
