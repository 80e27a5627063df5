"""Schema migrations with Alembic, driven from our async engine.

Alembic (and Mako, with it 6 MB) is loaded only when there is something to migrate: a server starting on a
schema at head reads the revision it is at with one query and the head from the revision files, and goes on.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.memory import collector_paused
from bot.store.db import Database

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_)?revision\s*(?::[^=]*)?=(.*)$", re.MULTILINE)  # `down_revision = ('a', 'b')` too
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and await current_revision(db) == head_revision():
        return  # nothing to do, and no need to load Alembic to be told so
    # Alembic's import and a new database's every migration at once: no full collection walks them midway.
    with collector_paused():
        from alembic import command

        cfg = _alembic_config()

        def run(connection: Any) -> None:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)

        async with db.engine.begin() as conn:
            await conn.run_sync(run)


async def current_revision(db: Database) -> str | None:
    """The revision the database is at (Alembic's own table), None before the first migration."""
    async with db.engine.connect() as conn:
        try:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        except SQLAlchemyError:  # no such table: never migrated
            return None
    if len(rows) > 1:
        raise RuntimeError(f"the schema has several heads {sorted(rows)}: run `pmsbot db upgrade` to merge them")
    return str(rows[0]) if rows else None


@functools.cache
def head_revision() -> str | None:
    """The one revision of migrations/versions no other revises (Alembic's "head"; a test holds the two equal)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for down, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revised if down else revisions).update(a or b for a, b in _QUOTED.findall(value))
    heads = sorted(revisions - revised - {""})
    if len(heads) > 1:
        raise RuntimeError(f"migrations have several heads {heads}: merge them (alembic merge)")
    return heads[0] if heads else None


async def autogenerate(db: Database, message: str) -> None:
    """Developer tool: write a new revision from the difference between models and the database."""
    from alembic import command

    cfg = _alembic_config()

    def run(connection: Any) -> None:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


async def _new_revision(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'schema.db'}")
        try:
            await upgrade(db)
            await autogenerate(db, message)
        finally:
            await db.dispose()


if __name__ == "__main__":
    # Developers: `python -m bot.store.migrate "what changed"` writes the next revision from the models.
    if len(sys.argv) != 2:
        sys.exit('usage: python -m bot.store.migrate "what changed"')
    asyncio.run(_new_revision(sys.argv[1]))
