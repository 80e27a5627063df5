"""Benchmark: messages per second through the whole pipeline, and the latency pmsbot adds beyond the PMS.

    python -m bench.pipeline [--messages 400] [--samples 200] [--postgres URL]

Prints figures for SQLite and, when reachable, PostgreSQL. Figures on shared machines are noisy, so each
run also measures a peer in the same run: the inbox written one transaction per event, against group commit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from bot.clocks import SYSTEM_CLOCK
from bot.config import Settings
from bot.demo.seed import demo_config, seed
from bot.pms import registry
from bot.pms.local import LocalPMS
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.store import migrate
from bot.store.db import Database
from bot.store.dialect import insert_ignore
from bot.store.models import InboxRow
from notifiers.base import Outgoing

PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class TimedPMS:
    """Wraps the built-in PMS and adds up the time spent inside it."""

    spent_s = 0.0

    def __init__(self, inner: LocalPMS) -> None:
        self._inner = inner
        self.name = inner.name

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._inner, attr)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await target(*args, **kwargs)
            finally:
                TimedPMS.spent_s += time.perf_counter() - start

        return timed


def event(i: int, text: str) -> InboundEvent:
    return InboundEvent(platform="console", event_id=f"bench-{i}", kind="message", sender="bob", conversation="bob",
                        text=text, received_at=datetime.now(UTC))


async def runtime(url: str) -> Runtime:
    rt = Runtime(Settings(database_url=url), demo_config(), console=True)
    await migrate.upgrade(rt.db)
    await rt.open()
    await seed(rt)
    return rt


async def until_idle(rt: Runtime) -> None:
    """Wait for the running workers to handle everything accepted so far."""
    while True:
        rt.delivery.delivered.clear()
        if await rt.inbox.pending_count() == 0 and (await rt.outbox.counts()).get("pending", 0) == 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(rt.delivery.delivered.wait(), timeout=1.0)


async def throughput(url: str, n: int) -> tuple[float, int]:
    rt = await runtime(url)
    rt.start(("worker",))
    try:
        start = time.perf_counter()
        await asyncio.gather(*(rt.inbox.accept(event(i, f"PUMP-{4 + i % 4} +0.1h t{i}")) for i in range(n)))
        await until_idle(rt)
        return n / (time.perf_counter() - start), rt.inbox.commits
    finally:
        await rt.close()


class Latency(NamedTuple):
    delivered: list[float]  # event received -> reply delivered (the console's send is a database write)
    handed: list[float]  # event received -> reply handed to the platform's sender, less the PMS's own time


async def latency(url: str, samples: int) -> Latency:
    """One command at a time through running workers, as in `pmsbot run`."""
    rt = await runtime(url)
    original = registry.CONNECTORS["local"]
    registry.CONNECTORS["local"] = lambda s, p, c: TimedPMS(LocalPMS(s, clock=c))  # type: ignore[assignment, return-value]
    sender = rt.delivery.senders["console"]
    send = sender.send
    handed_at: list[float] = []

    async def timed_send(message: Outgoing) -> str:
        handed_at.append(time.perf_counter())
        return await send(message)

    sender.send = timed_send  # type: ignore[method-assign]
    rt.start(("worker",))
    out = Latency(delivered=[], handed=[])
    try:
        for i in range(samples):
            TimedPMS.spent_s = 0.0
            handed_at.clear()
            rt.delivery.delivered.clear()
            start = time.perf_counter()
            await rt.inbox.accept(event(10_000 + i, f"report PUMP-4 {i % 100}% bench"))
            await asyncio.wait_for(rt.delivery.delivered.wait(), timeout=10)
            out.delivered.append(time.perf_counter() - start)
            out.handed.append(handed_at[0] - start - TimedPMS.spent_s)
        await until_idle(rt)
    finally:
        registry.CONNECTORS["local"] = original
        await rt.close()
    return out


async def inbox_peer(url: str, n: int) -> tuple[float, float]:
    """Events per second into the inbox: one transaction each (the peer) against group commit."""
    db = Database(url)
    await migrate.upgrade(db)
    start = time.perf_counter()
    for i in range(n):
        now = SYSTEM_CLOCK.now()
        async with db.write() as s:
            await s.execute(insert_ignore(s, InboxRow).values(
                platform="peer", event_id=str(i), payload={}, state="done", received_at=now, available_at=now))
    single = n / (time.perf_counter() - start)
    from bot.inbox import Inbox

    inbox = Inbox(db, clock=SYSTEM_CLOCK)
    start = time.perf_counter()
    await asyncio.gather(*(inbox.accept(event(50_000 + i, "help")) for i in range(n)))
    grouped = n / (time.perf_counter() - start)
    await inbox.close()
    await db.dispose()
    return single, grouped


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) >= 2 else values[0] * 1000


async def one_backend(name: str, make_url: Callable[[], str] | Callable[[], Awaitable[str]],
                      args: argparse.Namespace) -> None:
    async def url() -> str:
        made = make_url()
        return made if isinstance(made, str) else await made

    rate, commits = await throughput(await url(), args.messages)
    lat = await latency(await url(), args.samples)
    single, grouped = await inbox_peer(await url(), args.messages)
    print(f"[{name}] pipeline: {rate:,.0f} messages/s end to end ({args.messages} messages, {commits} inbox commits)")
    print(f"[{name}] received -> reply delivered: p50 {pct(lat.delivered, 50):.2f} ms, "
          f"p99 {pct(lat.delivered, 99):.2f} ms ({args.samples} sequential commands)")
    print(f"[{name}] added by pmsbot (received -> handed to the sender, less the PMS's time): "
          f"p50 {pct(lat.handed, 50):.2f} ms, p99 {pct(lat.handed, 99):.2f} ms")
    print(f"[{name}] inbox writes: {single:,.0f}/s one transaction each vs {grouped:,.0f}/s group commit "
          f"(ratio {grouped / single:.1f}x)")


async def _reset_pg(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=5)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("PMSBOT_BENCH_PG", ""),
                        help=f"a database the benchmark may wipe, e.g. {PG_DEFAULT}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = (f"sqlite+aiosqlite:///{Path(tmp) / f'bench{i}.db'}" for i in range(100))
        await one_backend("sqlite", lambda: next(files), args)
    if not args.postgres:
        print("[postgresql] skipped: pass --postgres URL (a database it may wipe) or set PMSBOT_BENCH_PG")
        return
    url = args.postgres

    async def fresh() -> str:
        await _reset_pg(url)
        return url

    await one_backend("postgresql", fresh, args)


if __name__ == "__main__":
    asyncio.run(main())
