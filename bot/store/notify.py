"""Wake-ups between processes (PostgreSQL): a transaction that stores work for other processes NOTIFYs, and the
workers LISTEN. Polling stays the fallback: a notification missed while a listener reconnects delays the work
by one poll interval, it never loses it (the rows are the truth, a notification only says "look now")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.constants import LISTEN_RETRY_S
from bot.store.db import Database

log = logging.getLogger("pmsbot.notify")


def _broken() -> tuple[type[BaseException], ...]:
    """What a lost or refused connection raises; asyncpg is loaded only where PostgreSQL is used."""
    import asyncpg

    return (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


async def announce(s: AsyncSession, channel: str) -> None:
    """Wake the workers listening on `channel` once this transaction commits (PostgreSQL; SQLite has no such
    thing: its workers share the process, or poll)."""
    if s.get_bind().dialect.name == "postgresql":
        await s.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class Listener:
    """Holds one LISTEN connection for a worker process: each notification on a channel calls its wake-up."""

    def __init__(self, db: Database, wakes: Mapping[str, Callable[[], None]]) -> None:
        assert db.is_postgres, "LISTEN/NOTIFY is PostgreSQL's"
        self._db = db
        self._wakes = dict(wakes)
        self.listening = asyncio.Event()  # set while the connection listens (tests wait on it)

    def _notified(self, _conn: Any, _pid: int, channel: str, _payload: str) -> None:
        wake = self._wakes.get(channel)
        if wake is not None:
            wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop`; a broken connection is opened again after LISTEN_RETRY_S (the workers poll
        meanwhile)."""
        while not stop.is_set():
            try:
                await self._listen(stop)
            except _broken() as exc:
                log.warning("LISTEN connection to PostgreSQL failed (%s); polling until it is back",
                            type(exc).__name__)
            finally:
                self.listening.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=LISTEN_RETRY_S)

    async def _listen(self, stop: asyncio.Event) -> None:
        conn = await self._db.pg_connect()
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            for channel in self._wakes:
                await conn.add_listener(channel, self._notified)
            self.listening.set()
            for wake in self._wakes.values():  # what was stored while nobody listened
                wake()
            stopping = asyncio.ensure_future(stop.wait())
            broken = asyncio.ensure_future(lost.wait())
            try:
                await asyncio.wait((stopping, broken), return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                broken.cancel()
            if lost.is_set() and not stop.is_set():
                raise ConnectionResetError("the LISTEN connection closed")
        finally:
            if not conn.is_closed():
                with contextlib.suppress(*_broken()):  # closing: a broken connection has nothing left to say
                    await conn.close(timeout=LISTEN_RETRY_S)
