"""The active clock's progress mark."""

from __future__ import annotations

from datetime import datetime

from bot.store.db import Database
from bot.store.models import ClockStateRow

MAIN = "main"


async def last_tick(db: Database) -> datetime | None:
    async with db.read() as s:
        row = await s.get(ClockStateRow, MAIN)
        return row.last_tick if row else None


async def save_tick(db: Database, minute: datetime) -> None:
    async with db.write() as s:
        row = await s.get(ClockStateRow, MAIN)
        if row is None:
            s.add(ClockStateRow(name=MAIN, last_tick=minute))
        elif row.last_tick < minute:
            row.last_tick = minute
