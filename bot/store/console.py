"""The console platform's message feed (the web chat and `pmsbot say` read it), and the people the web chat
offers to speak as."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import col

from bot.constants import CONSOLE_FEED_LIMIT
from bot.store.db import Database
from bot.store.models import ConsoleMessageRow, PersonRow


@dataclass(frozen=True, kw_only=True)
class ConsolePerson:
    id: str
    name: str
    locale: str | None  # None: the deployment's
    roles: list[str]


async def people(db: Database) -> list[ConsolePerson]:
    """Everyone, by id."""
    async with db.read() as s:
        rows = (await s.execute(select(PersonRow).order_by(col(PersonRow.id)))).scalars().all()
        return [ConsolePerson(id=r.id, name=r.name, locale=r.locale, roles=r.roles) for r in rows]


async def person_exists(db: Database, person_id: str) -> bool:
    async with db.read() as s:
        return await s.get(PersonRow, person_id) is not None


# Built once: every reply on the console is one (bot/store/outbox.py says why it matters).
_APPEND = insert(ConsoleMessageRow.__table__).returning(ConsoleMessageRow.__table__.c.id)  # type: ignore[attr-defined]


async def append(db: Database, *, person_id: str, direction: str, body: dict[str, Any], now: datetime) -> int:
    rows = await db.write_one(_APPEND, {"person_id": person_id, "direction": direction, "body": body, "revision": 0,
                                        "at": now})
    return int(rows[0][0])


async def remove(db: Database, message_id: int) -> None:
    async with db.write() as s:
        row = await s.get(ConsoleMessageRow, message_id)
        if row is not None:
            await s.delete(row)


async def replace(db: Database, message_id: int, body: dict[str, Any], *, now: datetime) -> bool:
    async with db.write() as s:
        row = await s.get(ConsoleMessageRow, message_id)
        if row is None:
            return False
        row.body = body
        row.revision += 1
        row.at = now
        return True


async def feed(db: Database, person_id: str, *, after_id: int = 0, limit: int = CONSOLE_FEED_LIMIT
               ) -> list[dict[str, Any]]:
    async with db.read() as s:
        rows = (await s.execute(
            select(ConsoleMessageRow).where(col(ConsoleMessageRow.person_id) == person_id,
                                            col(ConsoleMessageRow.id) > after_id)
            .order_by(col(ConsoleMessageRow.id).desc()).limit(limit)
        )).scalars().all()
        return [{"id": r.id, "direction": r.direction, "revision": r.revision, "at": r.at.isoformat(), **r.body}
                for r in reversed(rows)]


async def get(db: Database, message_id: int) -> dict[str, Any] | None:
    async with db.read() as s:
        row = await s.get(ConsoleMessageRow, message_id)
        return {"id": row.id, "revision": row.revision, **row.body} if row else None
