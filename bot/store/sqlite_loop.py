"""SQLite connections whose write transactions run on the event loop, not in aiosqlite's thread.

Measured (bench/acks.py --trace, `pmsbot run` at 200 acks/s): an ack's time was its group commit waiting for
SQLite's one writer, held by a worker's transaction for 15 ms at the median and 100 ms at p99, although the
statements inside took a fraction of that. Each statement went to aiosqlite's thread and back, and every return
waited for its turn on a loop busy with requests, all with the lock held. A transaction that holds the write lock
has nothing left to wait for, so its statements run right here: the lock is held for their CPU time, and an ack
waits for at most one such transaction. The BEGIN IMMEDIATE too is tried here, without waiting; only when another
process holds the lock does it go to the thread, to wait there (a busy wait must not stop the loop). Reads and
everything outside a write transaction keep the thread.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


class LoopConnection(aiosqlite.Connection):
    """aiosqlite's connection; while `on_loop` is set its calls run on the event loop thread (a write transaction
    holding the lock, see Database.write)."""

    on_loop = False

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.on_loop and self._running and self._connection is not None:
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call, no-any-return]


def creator(path: str) -> Callable[[], Any]:
    """SQLAlchemy's async_creator for the file: LoopConnections (usable from the loop's thread too)."""
    async def connect() -> LoopConnection:
        conn = LoopConnection(lambda: sqlite3.connect(path, check_same_thread=False), 64)
        conn._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own: never holds the process open
        await conn
        return conn
    return connect


def begin_immediate(dbapi_connection: Any, in_thread: Callable[[], Any], *, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE on the loop if the lock is free now, else `in_thread()` (which waits for it in the thread);
    from then on the transaction's calls run on the loop."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if not isinstance(driver, LoopConnection) or driver._connection is None:
        in_thread()
        return
    raw = driver._connection
    began = False
    with contextlib.suppress(sqlite3.Error):
        raw.execute("PRAGMA busy_timeout=0")
        try:
            raw.execute("BEGIN IMMEDIATE")
            began = True
        finally:
            raw.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    if not began:
        # Another process is writing: wait for it off the loop. (Any other error: the thread's attempt raises it
        # as SQLAlchemy reports database errors.)
        in_thread()
    driver.on_loop = True


def on_loop(dbapi_connection: Any, value: bool) -> None:
    """Run this pooled connection's calls on the loop (True) or in its thread (False)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if isinstance(driver, LoopConnection):
        driver.on_loop = value
