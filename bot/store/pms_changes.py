"""PMS changes waiting for their chats (see bot/changes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.store.db import Database
from bot.store.models import PmsChangeRow, PmsCursorRow


async def add(s: AsyncSession, changes: Sequence[tuple[str, str, str, dict[str, Any]]], *, now: datetime) -> None:
    """Changes to tell chats about: (platform, conversation, project, what the message shows)."""
    s.add_all([PmsChangeRow(platform=platform, conversation=conversation, project_key=project, data=data,
                            created_at=now) for platform, conversation, project, data in changes])
    await s.flush()


async def take_due(s: AsyncSession, *, now: datetime, quiet_s: float, max_wait_s: float
                   ) -> dict[tuple[str, str], list[PmsChangeRow]]:
    """The waiting changes of every chat whose burst is over (quiet for quiet_s) or has waited max_wait_s;
    taken (deleted) in the caller's transaction, oldest first."""
    due = (await s.execute(
        select(col(PmsChangeRow.platform), col(PmsChangeRow.conversation))
        .group_by(col(PmsChangeRow.platform), col(PmsChangeRow.conversation))
        .having(or_(func.max(col(PmsChangeRow.created_at)) <= now - timedelta(seconds=quiet_s),
                    func.min(col(PmsChangeRow.created_at)) <= now - timedelta(seconds=max_wait_s)))
    )).all()
    out: dict[tuple[str, str], list[PmsChangeRow]] = {}
    for platform, conversation in due:
        q = (select(PmsChangeRow).where(col(PmsChangeRow.platform) == platform,
                                        col(PmsChangeRow.conversation) == conversation)
             .order_by(col(PmsChangeRow.id)))
        if s.get_bind().dialect.name == "postgresql":
            # Not SKIP LOCKED: a second flusher waits for the first and then finds only later changes, so one
            # chat's burst is never split between two flushers and sent out of order.
            q = q.with_for_update()
        rows = list((await s.execute(q)).scalars().all())
        if rows:
            await s.execute(delete(PmsChangeRow).where(col(PmsChangeRow.id).in_([r.id for r in rows])))
            out[(str(platform), str(conversation))] = rows
    return out


async def waiting(db: Database) -> int:
    async with db.read() as s:
        return int((await s.execute(select(func.count()).select_from(PmsChangeRow))).scalar_one())


async def cursor(db: Database, name: str) -> str | None:
    """Where the poll of one PMS project stands (its own notion of time, as text)."""
    async with db.read() as s:
        row = await s.get(PmsCursorRow, name)
        return row.value if row else None


async def set_cursor(db: Database, name: str, value: str, now: datetime) -> None:
    async with db.write() as s:
        row = await s.get(PmsCursorRow, name)
        if row is None:
            s.add(PmsCursorRow(name=name, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now
