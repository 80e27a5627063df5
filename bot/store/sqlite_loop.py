"""SQLite for two event loops of one process (`pmsbot run`: the intake's and the worker thread's): connections that
run their statements on the worker thread's own loop, and the queue by which the intake's inserts go first."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from typing import Any

import aiosqlite


class _OnTheLoop(aiosqlite.Connection):
    """aiosqlite's connection without its thread: each call runs at once on the calling thread. For the worker
    thread of `pmsbot run`, whose loop has nothing else to do while a statement runs: a statement costs
    microseconds, a round trip to aiosqlite's thread (two handoffs of the GIL, with the intake's thread in the
    race) costs milliseconds when the machine is busy (profiled: most of a worker's time per event)."""

    def __init__(self, connector: Any, iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _AtOnce()  # type: ignore[assignment]  # SQLAlchemy's adapter queues a few calls there itself

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> aiosqlite.Connection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _AtOnce:
    """In place of aiosqlite's queue to its thread: runs what is put in it, now."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any] | None, Any]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as exc:  # handed to the caller, as aiosqlite's thread does
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


def connect_on_the_loop(database: str, **kwargs: Any) -> aiosqlite.Connection:
    return _OnTheLoop(functools.partial(sqlite3.connect, database, **kwargs), 64)


class WriterQueue:
    """SQLite's writer shared by two Databases of one process on two threads (`pmsbot run`: the intake's loop and
    the worker's): how many intake inserts wait for the other thread's transaction to end. While one does, the
    other thread begins no new transaction, so an ack waits at most for the transaction under way."""

    def __init__(self) -> None:
        self.intake_waiting = 0  # changed by the intake's thread only; read by the other
