"""Statements whose SQL differs between SQLite and PostgreSQL, picked by the session's database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignore(session: AsyncSession, table: Any) -> Any:
    """INSERT that does nothing on a unique conflict, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    return (pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)).on_conflict_do_nothing()
