"""The configuration as last applied, so that a start with the same file on a database nobody changed since
skips the apply, and the parsed file, so that a start with the same file skips the YAML parse.

Never wrong, by construction:
- Triggers (migration 0028) add one to `generation` on every insert, delete, and update of a compared column in
  the tables the file is applied to (people, accounts, projects, members, channels, standup schedules), whoever
  writes: a directory sync, an admin page, a `link` in chat, a hand-written SQL statement. The apply records the
  digest of what it applied (the file's people, projects and standups, the apply's version and the schema) and
  the generation after its own writes; a start skips only when both are equal. A database whose triggers are
  not all there (a migration that rebuilt a table) never skips.
- The apply holds the row's lock from its first read to its commit (PostgreSQL: FOR UPDATE; SQLite: the write
  transaction), and the triggers take the same lock before any row is written: a writer either committed before
  the apply read the tables, or its generation comes after the one recorded.
- The parsed file is found by the sha256 of the file's bytes, and is used only when the stored text still has
  its own sha256 and reads as a JSON mapping; anything else (another file, damage, no table yet) means the YAML
  is parsed as before. It is the file's data before ${ENV} references are filled in, so nothing of the
  environment is stored. It is kept in the database, which already holds the people and roles it describes.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.config import Config
from bot.config.load import ParsedFile
from bot.memory import collector_paused
from bot.store import migrate
from bot.store.db import Database, normalize_url, sqlite_file
from bot.store.dialect import insert_ignore
from bot.store.models import ConfigAppliedRow, ConfigFileRow
from bot.store.sync import APPLY_VERSION, apply_in

ROW_ID = 1
PG_CONNECT_TIMEOUT_S = 2.0  # a cache: a slow server is not waited for (the start then reports it as before)
# table -> the columns whose update counts (None: any), as migration 0028 made the triggers (a test holds them equal).
WATCHED: dict[str, tuple[str, ...] | None] = {
    "person": ("id", "name", "locale", "roles", "timezone", "email", "department", "pms_user", "pms_user_linked"),
    "identity": None,
    "project": ("key", "name", "pms", "pms_project", "read_access", "department", "tags"),
    "membership": None,
    "channel": None,
    "standup_schedule": ("name", "project_key", "spec"),
}
TRIGGERS = {"sqlite": {f"config_generation_{t}_{op}" for t in WATCHED for op in ("ins", "del", "upd")},
            "postgresql": {f"config_generation_{t}" for t in WATCHED}}


def digest(config: Config) -> str:
    """What the apply writes depends on: the file's people, projects and standups, the apply's code, the schema."""
    h = hashlib.sha256(f"{APPLY_VERSION}\n{migrate.head_revision()}\n".encode())
    h.update(config.model_dump_json(include={"people", "projects", "standups"}).encode())
    return h.hexdigest()


async def apply_once(db: Database, config: Config, *, now: datetime, parsed: ParsedFile | None = None) -> bool:
    """Apply the configuration's people, projects and standups unless this very configuration was applied and
    nothing changed those tables since (True when it applied). Also keeps the parsed file for the next start."""
    wanted = digest(config)
    mark = (col(ConfigAppliedRow.generation), col(ConfigAppliedRow.applied_generation),
            col(ConfigAppliedRow.applied_digest))
    locked = select(*mark).where(col(ConfigAppliedRow.id) == ROW_ID).with_for_update()
    async with db.write() as s:
        row = (await s.execute(locked)).first()
        if row is None:  # its row gone (or a schema copied without rows): made again, and the file applied
            await s.execute(insert_ignore(s, ConfigAppliedRow).values(id=ROW_ID, generation=0))
            row = (await s.execute(locked)).one()
        watched = await triggers_in_place(s)
        skip = watched and row.applied_digest == wanted and row.applied_generation == row.generation
        if not skip:
            with collector_paused():  # 10,000 people's rows at once: no full collection walks them midway
                await apply_in(s, config, now=now)
        values: dict[str, Any] = {}
        if watched and not skip:  # the generation after this apply's own writes, which the triggers counted
            generation = (await s.execute(select(col(ConfigAppliedRow.generation))
                                          .where(col(ConfigAppliedRow.id) == ROW_ID))).scalar_one()
            values.update(applied_digest=wanted, applied_generation=generation)
        if values:
            await s.execute(update(ConfigAppliedRow).where(col(ConfigAppliedRow.id) == ROW_ID).values(**values))
        if parsed is not None and parsed.data is not None:  # parsed from YAML (not stored, or stored damaged)
            await s.execute(delete(ConfigFileRow))
            await s.execute(insert(ConfigFileRow).values(id=ROW_ID, sha256=parsed.sha256, data=parsed.data,
                                                         data_sha256=hashlib.sha256(parsed.data.encode()).hexdigest()))
    return not skip


async def triggers_in_place(s: AsyncSession) -> bool:
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'config_generation_%' AND tgenabled <> 'D'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'config_generation_%'"
    found = {str(name) for name in (await s.execute(text(sql))).scalars()}
    return TRIGGERS.get(dialect, {""}) <= found


def cached_file(database_url: str, sha256: str) -> str | None:
    """The JSON text of the data an earlier start parsed from a file with these bytes, else None (none stored,
    another file, no such table yet, a database that cannot be read, a damaged entry): then the YAML is parsed."""
    try:
        url = normalize_url(database_url)
        path = sqlite_file(url)
        found = _sqlite_entry(path, sha256) if path else _pg_entry(url, sha256)
    except Exception:  # whatever the reason, the file is parsed instead
        return None
    if found is None:
        return None
    data, data_sha256 = found
    if not isinstance(data, str) or hashlib.sha256(data.encode()).hexdigest() != data_sha256:
        return None
    return data


_SELECT = "SELECT data, data_sha256 FROM config_file WHERE id = {} AND sha256 = {}"


def _sqlite_entry(path: str, sha256: str) -> tuple[Any, Any] | None:
    if not Path(path).is_file():
        return None
    conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=1.0)
    try:
        row = conn.execute(_SELECT.format(ROW_ID, "?"), (sha256,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return (row[0], row[1]) if row else None


def _pg_entry(url: str, sha256: str) -> tuple[Any, Any] | None:
    try:
        asyncio.get_running_loop()
        return None  # called inside a loop (not the CLI's way): no second loop for a cache
    except RuntimeError:
        pass
    import asyncpg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def fetch() -> tuple[Any, Any] | None:
        conn = await asyncpg.connect(plain, timeout=PG_CONNECT_TIMEOUT_S)
        try:
            row = await conn.fetchrow(_SELECT.format(ROW_ID, "$1"), sha256)
        finally:
            await conn.close()
        return (row[0], row[1]) if row else None

    return asyncio.run(fetch())
