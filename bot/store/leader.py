"""Which clock is the active one: a PostgreSQL session advisory lock, or a file lock beside a SQLite file.

Both are released by the operating system or the server the moment the holding process dies, so a standby
clock takes over at its next try.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.db import Database

CLOCK_LOCK_KEY = 0x706D73636C6B  # "pmsclk"


class Leader(Protocol):
    async def try_acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


class PgAdvisoryLeader:
    def __init__(self, db: Database, key: int = CLOCK_LOCK_KEY) -> None:
        self._db = db
        self._key = key
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._conn is None:
            # A session lock lives as long as this one connection; autocommit keeps it out of any transaction.
            conn = await self._db.engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = (await self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})).scalar()
        return bool(got)

    async def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
        except Exception:  # the connection (and with it the lock) is gone
            await self.release()
            return False
        return True

    async def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                # Closing would only return the session to the pool, lock and all: end the session instead.
                await self._conn.invalidate()
            self._conn = None


class FileLeader:
    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o644)  # a local file: instant, never blocks
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def leader_for(db: Database) -> Leader:
    if db.is_postgres:
        return PgAdvisoryLeader(db)
    database = make_url(db.url).database or "pmsbot.db"
    return FileLeader(os.path.abspath(database) + ".clock-lock")
