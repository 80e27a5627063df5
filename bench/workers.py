"""Benchmark: write commands on PostgreSQL through one and through two worker processes (`pmsbot worker`), in
alternating rounds (1, 2, 1, 2 …) on the same database.

    python -m bench.workers [--events 300] [--rounds 4] [--postgres URL] [--results PATH]

Each round drains a backlog. The --events write commands are stored first, the way a web process stores them
(`Inbox.accept`, batched inserts), and held back (due in the far future) while the worker processes start
(each exactly what `pmsbot worker` runs) and say they are ready; then one statement makes the whole backlog due
and NOTIFYs the workers, and the round is timed from there until no command and no reply is pending. The intake is measured by
bench.acks / bench.slack; here its CPU would compete with the workers for the same two cores, so it is kept out
of the timed window (its CPU per event is still printed, as "storing (before the window)").

The commands report on four tasks, each event's task drawn by a seeded generator: with `i % 4`, two workers
claiming batches of WORKER_BATCH (a multiple of four) would update the same task row at the same moment for the
whole round, a lock-step the harness made, not the product.

Each worker runs in a session of its own, as `pmsbot worker` services do (systemd units, containers). Linux's
autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled) gives each session one share of a busy machine:
with both workers in this benchmark's session, two workers got the CPU time of one whenever anything else ran on
the cores (measured: /proc/<pid>/schedstat, two-thirds of each worker's round spent waiting on a run queue, total
worker run time the same with one or two).

Printed: events/s per round, the median ratio two / one, and the CPU per event of the workers, of PostgreSQL's
processes and of this process (polling) in the window, against the cores the round had (wall time x cores):
what limits the second worker. The goal of issue 21 is two >= 1.6x one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import child
from bench.pipeline import PG_DEFAULT, _reset_pg, runtime
from bench.slack import _cpu_s
from bench.table import Result, add_results
from bot.records import InboundEvent

MAX_ROUND_S = 300.0


async def serve_worker(url: str) -> None:
    from bot.cli.serve import serve_roles
    from bot.config import Settings
    from bot.demo.seed import demo_config
    from bot.runtime import Runtime

    rt = Runtime(Settings(database_url=url), demo_config(), console=True)
    await serve_roles(rt, ("worker",), host="127.0.0.1", port=0, web_role=False)


def writes(round_: int, events: int) -> list[InboundEvent]:
    """The round's write commands: `+0.1h` on PUMP-4..PUMP-7, the task of each drawn by a generator seeded with
    the round (the same mix in every run)."""
    tasks = random.Random(round_)
    return [InboundEvent(platform="console", event_id=f"w{round_}-{i}", kind="message", sender="bob",
                         conversation="bob", text=f"PUMP-{4 + tasks.randrange(4)} +0.1h round {round_} #{i}",
                         received_at=datetime.now(UTC)) for i in range(events)]


_HOLD = "UPDATE inbox SET available_at = now() + interval '1 day' WHERE state = 'pending'"
_RELEASE = "UPDATE inbox SET available_at = now() WHERE state = 'pending'"
# A round is over when every command is applied AND its reply delivered: counting the inbox alone stopped the clock
# with up to half the replies still unsent (measured 2026-12-04: 136-156 of 300 after 2-worker rounds), which
# flattered the pair.
_PENDING = ("SELECT (SELECT count(*) FROM inbox WHERE state = 'pending')"
            " + (SELECT count(*) FROM outbox WHERE state = 'pending')")


async def _sql(url: str, *statements: str) -> None:
    """Statements in one transaction, on a connection of the benchmark's own (the backlog held back or released)."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=5)
    try:
        async with conn.transaction():
            for statement in statements:
                await conn.execute(statement)
    finally:
        await conn.close()


def _postgres_cpu_s() -> float:
    """User + system CPU seconds of every PostgreSQL process on this machine (its backends do the SQL)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # a process gone meanwhile
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def one_round(url: str, round_: int, workers: int, events: int) -> tuple[float, dict[str, float]]:
    """(events per second, CPU ms per event: the workers, PostgreSQL, this process in the window, the storing
    before it; and the round's seconds)"""
    rt = await runtime(url) if round_ == 0 else None
    if rt is not None:
        await rt.close()
    import asyncpg

    from bot.config import Settings
    from bot.constants import INBOX_CHANNEL
    from bot.demo.seed import demo_config
    from bot.runtime import Runtime

    web = Runtime(Settings(database_url=url), demo_config(), console=True)  # a web process: stores, no worker
    await web.open()
    # The backlog, stored before any worker runs and held back until they all are ready.
    stored0 = time.process_time()
    await asyncio.gather(*(web.inbox.accept(e) for e in writes(round_, events)))
    storing = time.process_time() - stored0
    await _sql(url, _HOLD)
    with contextlib.ExitStack() as stack:
        pids = []
        for _ in range(workers):
            line, pid = stack.enter_context(child("bench.workers", "--serve-worker", url, own_session=True))
            if not line.endswith("ready"):
                raise RuntimeError(f"worker did not start: {line!r}")
            pids.append(pid)
        # Polled on a bare connection: through the Runtime's session each look cost ~2 ms of this process's CPU,
        # taken from the cores the workers share.
        poll = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=5)
        cpu0, pg0, here0 = sum(_cpu_s(p) for p in pids), _postgres_cpu_s(), time.process_time()
        start = time.perf_counter()
        await _sql(url, _RELEASE, f"SELECT pg_notify('{INBOX_CHANNEL}', '')")
        while await poll.fetchval(_PENDING) and time.perf_counter() - start < MAX_ROUND_S:  # noqa: ASYNC110 - another process's progress
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        await poll.close()
        cpu = sum(_cpu_s(p) for p in pids) - cpu0
        pg, here = _postgres_cpu_s() - pg0, time.process_time() - here0
        left = await web.inbox.pending_count()
        replies = await web.outbox.counts()
    failed = await web.inbox.failed_count()
    await web.close()
    if left or failed or replies.get("pending") or replies.get("dead"):
        raise RuntimeError(f"round {round_}: {left} events still pending, {failed} failed; replies {replies}")
    return events / elapsed, {"workers_ms": cpu * 1000 / events, "postgres_ms": pg * 1000 / events,
                              "polling_ms": here * 1000 / events, "storing_ms": storing * 1000 / events,
                              "seconds": elapsed}


async def main(args: argparse.Namespace) -> None:
    if args.postgres:
        await _reset_pg(args.postgres)
        await compare(args, args.postgres)
        return
    import asyncpg

    # A database of its own, dropped afterwards: others may be using the server's `test` database meanwhile.
    name = f"pmsbot_bench_workers_{os.getpid()}"
    admin = PG_DEFAULT.replace("+asyncpg", "")
    try:
        conn = await asyncpg.connect(admin, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"== worker processes on PostgreSQL skipped: {admin} unreachable ({type(exc).__name__})")
        return
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        await compare(args, f"{PG_DEFAULT.rsplit('/', 1)[0]}/{name}")
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def compare(args: argparse.Namespace, url: str) -> None:
    rates: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    load_before = os.getloadavg()[0]
    ratios = []
    for round_ in range(args.rounds):
        order = (1, 2) if round_ % 2 == 0 else (2, 1)
        now: dict[int, float] = {}
        for i, workers in enumerate(order):
            rate, ms = await one_round(url, round_ * 2 + i, workers, args.events)
            rates[workers].append(rate)
            cpu[workers].append(ms)
            now[workers] = rate
        ratios.append(now[2] / now[1])
    load_after = os.getloadavg()[0]
    print(f"== PostgreSQL write commands ({args.events} per round, `PUMP-n +0.1h`, a stored backlog drained), "
          f"worker processes on {os.cpu_count()} cores, {args.rounds} alternating rounds")
    for workers in (1, 2):
        r = rates[workers]
        print(f"  {workers} worker process{'es' if workers > 1 else ''}: median {statistics.median(r):.1f} events/s "
              f"(rounds {min(r):.1f}..{max(r):.1f}); {_cpu_line(cpu[workers], args.events)}")
    ordered = sorted(ratios)
    print(f"  two / one: median {statistics.median(ratios):.2f} ({ordered[0]:.2f}..{ordered[-1]:.2f}), "
          f"target >= 1.6; machine load (1 min) {load_before:.1f} before, {load_after:.1f} after; "
          f"autogroup {_autogroup()}")
    add_results(args.results, [Result(
        row="PostgreSQL, 1 -> 2 worker processes, write commands",
        measured=f"a stored backlog drained: 2 workers {statistics.median(rates[2]):.1f} events/s ({min(rates[2]):.1f}..{max(rates[2]):.1f}); "
                 f"{_cpu_line(cpu[2], args.events)}",
        peer=f"1 worker {statistics.median(rates[1]):.1f} events/s ({min(rates[1]):.1f}..{max(rates[1]):.1f}); "
             f"{_cpu_line(cpu[1], args.events)}",
        ratio=statistics.median(ratios), goal=">= 1.6x one worker", met=statistics.median(ratios) >= 1.6,
        figures={"rates": rates, "cpu_per_event": cpu, "ratios": ratios, "load_1m": [load_before, load_after], "autogroup": _autogroup(),
                 "cores": os.cpu_count()})])


def _autogroup() -> str:
    """Whether the kernel shares CPU time by session (each worker has a session of its own here)."""
    try:
        return "on" if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1" else "off"
    except OSError:
        return "unknown"


def _cpu_line(rounds: list[dict[str, float]], events: int) -> str:
    """Median CPU per event by whom, and the share of the machine's cores the round used."""
    def med(key: str) -> float:
        return statistics.median(r[key] for r in rounds)
    window = ("workers_ms", "postgres_ms", "polling_ms")
    used = sum(med(k) for k in window)
    # CPU ms per event x events per second: how many of the machine's cores this benchmark kept busy
    busy = statistics.median(sum(r[k] for k in window) / r["seconds"] for r in rounds) * 1e-3 * events
    return (f"CPU per event: workers {med('workers_ms'):.1f} ms, PostgreSQL {med('postgres_ms'):.1f} ms, "
            f"polling {med('polling_ms'):.1f} ms (= {used:.1f} ms; {busy:.2f} of {os.cpu_count()} cores busy); "
            f"storing (before the window) {med('storing_ms'):.1f} ms")


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=300)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--postgres", default=os.environ.get("PMSBOT_BENCH_PG", ""),
                   help="a database the benchmark may wipe (default: a fresh one on 127.0.0.1:5432, dropped after)")
    p.add_argument("--results", help="append this module's row of `make bench`'s table to this JSON file")
    p.add_argument("--serve-worker", metavar="URL", help=argparse.SUPPRESS)
    args = p.parse_args()
    os.environ.setdefault("PMSBOT_LOG_LEVEL", "WARNING")
    if args.serve_worker:
        asyncio.run(serve_worker(args.serve_worker))
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
