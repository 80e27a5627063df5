"""Statements whose SQL differs between SQLite and PostgreSQL, picked by the session's database.

`among` and `json_rows` pass a whole set as ONE bound parameter (a JSON array on SQLite, an array or a JSON
document on PostgreSQL): a wave's 10,000 people are one statement, compiled once, with no per-value bind
processing in SQLAlchemy, which costs as much as the database's own work for rows this small (bench/clock.py).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import JSON, Integer, String, bindparam, cast, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.types import TypeEngine


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """The session's dialect's INSERT (with its ON CONFLICT). Each dialect's module is imported by its first use:
    a SQLite process never loads PostgreSQL's (2 MB)."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_ignore(session: AsyncSession, table: Any) -> Any:
    """INSERT that does nothing on a unique conflict, in the session's dialect."""
    return dialect_insert(session, table).on_conflict_do_nothing()


def among(session: AsyncSession, column: Any, values: Collection[str]) -> ColumnElement[bool]:
    """`column IN values` with the values as one parameter, however many (PostgreSQL: the array's elements;
    SQLite: a JSON array's)."""
    if is_postgres(session):  # IN (unnest): a hashed semi-join; `= ANY(array)` would scan the array per row
        from sqlalchemy.dialects.postgresql import ARRAY

        return column.in_(select(func.unnest(bindparam(None, list(values), type_=ARRAY(String)))))  # type: ignore[no-any-return]
    each = func.json_each(bindparam(None, json.dumps(list(values)), type_=String)).table_valued("value")
    return column.in_(select(each.c.value))  # type: ignore[no-any-return]


def has_role(session: AsyncSession, column: Any, role: str) -> ColumnElement[bool]:
    """A JSON array column (people's roles) holds `role`."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import JSONB

        return cast(column, JSONB).op("@>")(cast(bindparam(None, json.dumps([role]), type_=String), JSONB))
    each = func.json_each(column).table_valued("value")
    return select(each.c.value).where(each.c.value == role).exists()


def json_rows(session: AsyncSession, rows: Sequence[Sequence[Any]], columns: Sequence[tuple[str, TypeEngine[Any]]],
              *, json_documents: Sequence[str] = (), documents: Sequence[str] = ()) -> Select[Any]:
    """A SELECT of `rows` (lists of JSON values, in the order of `columns`), typed as `columns`, from one JSON
    parameter: what `insert().from_select` writes as one statement.

    A column named in `json_documents` holds, in each row, the index of a JSON document in `documents`; the
    document (JSON text) is passed once, however many rows use it (a wave's message: one per language, not one
    per person)."""
    docs = "[" + ",".join(documents) + "]"
    picked = []
    if is_postgres(session):
        table = func.json_array_elements(cast(bindparam(None, json.dumps(list(rows)), type_=String), JSON)
                                         ).table_valued("value", with_ordinality="n").render_derived()
        element = table.c.value
        shared = cast(bindparam(None, docs, type_=String), JSON)
        for i, (name, type_) in enumerate(columns):
            if name in json_documents:
                picked.append(shared.op("->")(cast(element.op("->>")(i), Integer)).label(name))
            else:
                picked.append(cast(element.op("->>")(i), type_).label(name))
        # In the rows' order: ids grow as they are given, which is the delivery order within a conversation.
        return select(*picked).select_from(table).order_by(table.c.n)
    each = func.json_each(bindparam(None, json.dumps(list(rows)), type_=String)).table_valued("key", "value")
    for i, (name, _) in enumerate(columns):
        value = func.json_extract(each.c.value, f"$[{i}]")
        if name in json_documents:
            value = func.json_extract(bindparam(None, docs, type_=String), func.printf("$[%d]", value))
        picked.append(value.label(name))
    # WHERE true: SQLite's rule for an INSERT ... SELECT followed by ON CONFLICT (else ON may read as a join's).
    return select(*picked).select_from(each).where(true()).order_by(each.c.key)
