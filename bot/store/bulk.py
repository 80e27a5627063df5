"""Many rows in one statement: on PostgreSQL each column is sent as one array and the rows are read back with
unnest, so a statement is as short for 1,000 rows as for one (nothing for SQLAlchemy to expand row by row, and
one parse for the server); on SQLite, executemany.

Why not one statement per row (executemany) on PostgreSQL: every statement on the tables the configuration is
applied to fires migration 0028's generation trigger, which updates config_applied's one row again and again in
the same transaction, each time a longer chain of its versions to walk. A fresh start with 10,000 people took
18 s that way, a restart after renaming them all 3.6 s."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from bot.store.dialect import is_postgres

CHUNK = 1000  # keys per IN list / rows per statement: well below both databases' parameter limits
T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


async def insert_rows(s: AsyncSession, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT the rows (dicts with the same keys) into the model's table."""
    if not rows:
        return
    core = table.__table__  # the table itself: the ORM's bulk insert inspects every row first (half the time)
    if not is_postgres(s):
        for part in chunks(rows):
            await s.execute(insert(core), list(part))
        return
    names = list(rows[0])
    arrays = _Arrays(core, names)
    sql = text(f"INSERT INTO {core.name} ({', '.join(arrays.quoted.values())}) "
               f"SELECT {', '.join(arrays.value(n) for n in names)} FROM {arrays.unnest}").bindparams(*arrays.params)
    for part in chunks(rows):
        await s.execute(sql, arrays.values(part))


async def update_rows(s: AsyncSession, table: Any, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE the model's table's rows found by `key` (a column each row has) with the rows' other values."""
    if not rows:
        return
    if not is_postgres(s):  # SQLite's triggers run per row whatever the statement; executemany runs in C
        for part in chunks(rows):
            await s.execute(update(table), list(part))  # by primary key
        return
    core = table.__table__
    names = [key, *(n for n in rows[0] if n != key)]
    arrays = _Arrays(core, names)
    sql = text(f"UPDATE {core.name} AS t SET "
               + ", ".join(f"{arrays.quoted[n]} = {arrays.value(n)}" for n in names[1:])
               + f" FROM {arrays.unnest} WHERE t.{arrays.quoted[key]} = u.{arrays.quoted[key]}"
               ).bindparams(*arrays.params)
    for part in chunks(rows):
        await s.execute(sql, arrays.values(part))


class _Arrays:
    """The columns `names` of `core` as arrays named like the columns: `unnest(:a, :b) AS u("a", "b")`."""

    def __init__(self, core: Any, names: list[str]) -> None:
        # Imported here: a process on SQLite never loads PostgreSQL's dialect (2 MB).
        from sqlalchemy.dialects.postgresql import ARRAY

        self.names = names
        self.quoted = {n: f'"{n}"' for n in names}
        self.json = {n for n in names if isinstance(core.c[n].type, JSON)}  # sent as text, as SQLAlchemy sends it
        self.params = [bindparam(n, type_=ARRAY(_element(core, n))) for n in names]
        self.unnest = f"unnest({', '.join(f':{n}' for n in names)}) AS u({', '.join(self.quoted.values())})"

    def value(self, name: str) -> str:
        return f"u.{self.quoted[name]}" + ("::json" if name in self.json else "")

    def values(self, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
        return {n: [json.dumps(r[n]) if n in self.json else r[n] for r in rows] for n in self.names}


def _element(core: Any, name: str) -> TypeEngine[Any]:
    kind = core.c[name].type
    kind = getattr(kind, "impl_instance", kind)  # SQLModel's AutoString is a String underneath
    if isinstance(kind, JSON | String):
        return String()
    if isinstance(kind, Boolean):
        return Boolean()
    if isinstance(kind, Integer):
        return BigInteger()
    raise TypeError(f"{core.name}.{name}: bot/store/bulk.py sends text, JSON, booleans and integers only")
