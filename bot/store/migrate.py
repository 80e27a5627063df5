"""Schema migrations with Alembic, driven from our async engine."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.store.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    cfg = _alembic_config()

    def run(connection: Any) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


async def current_revision(db: Database) -> str | None:
    def read(connection: Any) -> str | None:
        rev: str | None = MigrationContext.configure(connection).get_current_revision()
        return rev

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


def head_revision() -> str | None:
    head: str | None = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    return head


async def autogenerate(db: Database, message: str) -> None:
    """Developer tool: write a new revision from the difference between models and the database."""
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
