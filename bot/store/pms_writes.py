"""The journal of remote PMS writes per inbox event (see bot/pms/journal.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.store.db import Database
from bot.store.models import PmsWriteRow


async def load(db: Database, inbox_id: int) -> dict[str, Any]:
    async with db.read() as s:
        rows = await s.execute(select(col(PmsWriteRow.step), col(PmsWriteRow.result))
                               .where(col(PmsWriteRow.inbox_id) == inbox_id))
        return {str(step): result for step, result in rows.all()}


async def save(s: AsyncSession, inbox_id: int, steps: dict[str, Any], *, now: datetime) -> None:
    for step, result in steps.items():
        await s.execute(delete(PmsWriteRow).where(col(PmsWriteRow.inbox_id) == inbox_id,
                                                  col(PmsWriteRow.step) == step))
        s.add(PmsWriteRow(inbox_id=inbox_id, step=step[:200], result=result, at=now))
    await s.flush()


async def forget(s: AsyncSession, inbox_id: int) -> None:
    """The event is done: its steps are no longer needed."""
    await s.execute(delete(PmsWriteRow).where(col(PmsWriteRow.inbox_id) == inbox_id))
