"""Statements whose SQL differs between SQLite and PostgreSQL, picked by the session's database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """The session's dialect's INSERT (with its ON CONFLICT). Each dialect's module is imported by its first use:
    a SQLite process never loads PostgreSQL's (2 MB)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_ignore(session: AsyncSession, table: Any) -> Any:
    """INSERT that does nothing on a unique conflict, in the session's dialect."""
    return dialect_insert(session, table).on_conflict_do_nothing()
