"""What an ack waits for in `pmsbot run` (one process: intake, worker, SQLite): its group commit, and nothing of the
work. A worker's write transaction holds SQLite's writer only for its own statements (they run on the loop once
the lock is taken), a commit never checkpoints inline, and a worker lets the acks in flight go first."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.clocks import FakeClock
from bot.inbox import Inbox
from bot.records import InboundEvent
from bot.store import db as db_module
from bot.store.db import Database
from bot.store.sqlite_loop import LoopConnection

NOW = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def event(i: int) -> InboundEvent:
    return InboundEvent(platform="console", event_id=f"ack-{i}", kind="message", sender="bob", conversation="bob",
                        text="help", received_at=NOW)


async def driver_of(session: object) -> LoopConnection:
    conn = await session.connection()  # type: ignore[attr-defined]
    driver = (await conn.get_raw_connection()).driver_connection
    assert isinstance(driver, LoopConnection)
    return driver


async def test_a_write_transaction_runs_on_the_loop_and_only_there(sqlite_db: Database) -> None:
    async with sqlite_db.write() as s:
        driver = await driver_of(s)
        assert driver.on_loop, "inside a write transaction the statements run on the loop"
        # The thread is not used: a statement answers without the loop turning.
        turned = asyncio.Event()
        asyncio.get_running_loop().call_soon(turned.set)
        await s.execute(text("SELECT 1"))
        assert not turned.is_set()
        assert (await s.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0, "a commit never checkpoints"
    assert not driver.on_loop, "back in the pool, the connection uses its thread again"
    async with sqlite_db.read() as s:
        assert not (await driver_of(s)).on_loop, "reads keep the thread"


async def test_a_writer_of_another_process_is_waited_for_off_the_loop(sqlite_db: Database) -> None:
    """BEGIN IMMEDIATE is tried on the loop without waiting; when another process holds the lock, the wait (the
    busy timeout) happens in the thread: the loop keeps turning, and the write goes through once the lock is free."""
    other = sqlite3.connect(make_url(sqlite_db.url).database or "", isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        released = threading.Event()
        turns = 0

        async def ticker() -> None:
            nonlocal turns
            while not released.is_set():
                turns += 1
                await asyncio.sleep(0.005)

        ticking = asyncio.create_task(ticker())

        async def write() -> None:
            async with sqlite_db.write() as s:
                await s.execute(text("CREATE TABLE probe (a INTEGER)"))

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.2)
        assert not writing.done(), "the writer waits for the other process"
        assert turns >= 5, f"the loop turned only {turns} times while the writer waited"
        other.execute("COMMIT")
        released.set()
        async with asyncio.timeout(10):
            await writing
        await ticking
        async with sqlite_db.read() as s:
            assert (await s.execute(text("SELECT count(*) FROM probe"))).scalar() == 0
    finally:
        other.close()


async def test_the_writers_commits_are_counted_for_the_checkpoint(sqlite_db: Database,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With no checkpoint inside a commit, the process's write transactions count towards the one that runs in a
    thread (as the inbox's commits do): a worker alone (a clock wave, say) does not grow the log without bound."""
    monkeypatch.setattr(db_module, "SQLITE_CHECKPOINT_EVERY", 5)
    async with sqlite_db.write() as s:
        await s.execute(text("CREATE TABLE probe (a INTEGER)"))
    for i in range(4):
        async with sqlite_db.write() as s:
            await s.execute(text("INSERT INTO probe VALUES (:a)"), {"a": i})
    assert sqlite_db._checkpointing is not None, "the fifth commit started a checkpoint"
    await sqlite_db._checkpointing
    async with sqlite_db.read() as s:  # the checkpoint moved the whole log: nothing left to copy
        _, log_pages, moved = tuple((await s.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))).one())
    assert log_pages == moved


async def test_a_worker_lets_the_acks_in_flight_go_first(sqlite_db: Database) -> None:
    inbox = Inbox(sqlite_db, clock=FakeClock(NOW))
    try:
        await inbox.after_acks(within_s=5)  # nothing in flight: no wait
        holding, release = asyncio.Event(), asyncio.Event()

        async def worker_transaction() -> None:  # holds SQLite's writer, so the commit of the acks waits
            async with sqlite_db.write():
                holding.set()
                await release.wait()

        held = asyncio.create_task(worker_transaction())
        await holding.wait()
        acks = [asyncio.create_task(inbox.accept(event(i))) for i in range(3)]
        await asyncio.sleep(0)
        # Bounded: with the commit held up, the worker goes on after within_s.
        async with asyncio.timeout(5):
            await inbox.after_acks(within_s=0.05)
        assert not any(a.done() for a in acks)
        release.set()
        async with asyncio.timeout(10):
            await inbox.after_acks(within_s=30)
        assert all(a.done() for a in acks), "the worker's turn came after the acks' commit"
        await held
        assert all(a.result().inbox_id for a in acks)
    finally:
        await inbox.close()
