"""The schema at head, built once per test process by the real migrations and then laid into each empty test
database in one go.

Alembic takes ~0.3 s of CPU per database (and ~2 s of PostgreSQL's time); a suite of ~1,000 database tests on two
backends paid that per test. Here each worker runs the real migrations once per backend (so every test still
starts from exactly what `pmsbot db upgrade` makes), dumps the result (SQLite's own dump, `pg_dump` for
PostgreSQL), and `upgrade(db)` of an empty database at head replays that dump. Any other call — a named
revision, a database already part-way — goes through Alembic as before, as do `pmsbot` subprocesses."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import make_url

from bot.store import migrate
from bot.store.db import Database

Upgrade = Callable[..., Awaitable[None]]

_scripts: dict[str, list[str] | str] = {}
_locks: dict[str, asyncio.Lock] = {}


def patch(real: Upgrade, pg_admin: Callable[[str], Awaitable[None]], pg_admin_dsn: str) -> Upgrade:
    async def upgrade(db: Database, revision: str = "head") -> None:
        if revision != "head" or db.dialect not in ("sqlite", "postgresql"):
            return await real(db, revision)
        if await migrate.current_revision(db) is not None:
            return await real(db, revision)  # part-way or at head: Alembic decides
        lock = _locks.setdefault(db.dialect, asyncio.Lock())
        async with lock:
            if db.dialect not in _scripts:
                if db.dialect == "sqlite":
                    _scripts["sqlite"] = await _sqlite_script(real)
                else:
                    _scripts["postgresql"] = await _pg_script(real, pg_admin, pg_admin_dsn)
        if db.dialect == "sqlite":
            statements = _scripts["sqlite"]
            assert isinstance(statements, list)
            async with db.engine.begin() as conn:
                for statement in statements:
                    await conn.exec_driver_sql(statement)
        else:
            await _pg_replay(db, str(_scripts["postgresql"]))
    return upgrade


async def _sqlite_script(real: Upgrade) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "head.db"
        scratch = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await real(scratch)
        finally:
            await scratch.dispose()
        conn = sqlite3.connect(path)
        try:
            # iterdump yields one statement per item; the transaction is the caller's.
            return [s for s in conn.iterdump() if s not in ("BEGIN TRANSACTION;", "COMMIT;")]
        finally:
            conn.close()


async def _pg_script(real: Upgrade, pg_admin: Callable[[str], Awaitable[None]], pg_admin_dsn: str) -> str:
    name = f"pmsbot_head_{uuid.uuid4().hex[:8]}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    base = pg_admin_dsn.rsplit("/", 1)[0]
    try:
        scratch = Database(f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1))
        try:
            await real(scratch)
        finally:
            await scratch.dispose()
        dump = await asyncio.to_thread(
            subprocess.run, ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", f"{base}/{name}"],
            check=True, capture_output=True, text=True)
        version = migrate.head_revision()
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    # psql meta-commands (\restrict, since 15.14) are not SQL; the search_path pg_dump clears is this connection's.
    lines = [line for line in dump.stdout.splitlines() if not line.startswith("\\")]
    return "\n".join(lines) + f"\nINSERT INTO public.alembic_version (version_num) VALUES ('{version}');\n"


async def _pg_replay(db: Database, script: str) -> None:
    import asyncpg

    url = make_url(db.url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False), timeout=5)
    try:
        async with conn.transaction():
            await conn.execute(script)
    finally:
        await conn.close()
