"""Standup schedules in the database: the configuration's definitions, with what was changed in chat on top."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.config import StandupConfig
from bot.store.db import Database
from bot.store.models import StandupScheduleRow

log = logging.getLogger("pmsbot.schedules")

CHANGEABLE = ("at", "deadline", "remind_at")  # what chat may change; the rest is the file's


def effective(row: StandupScheduleRow) -> StandupConfig | None:
    """The schedule as the clock runs it; None (logged) if a chat change no longer fits a changed definition."""
    try:
        return StandupConfig.model_validate({**row.spec, **row.overrides})
    except ValidationError as exc:
        log.warning("standup %s: its chat changes %s do not fit its definition (%s); using the definition",
                    row.name, row.overrides, exc.errors()[0]["msg"])
        try:
            return StandupConfig.model_validate(row.spec)
        except ValidationError:
            return None


async def load(db: Database) -> list[StandupConfig]:
    async with db.read() as s:
        rows = (await s.execute(select(StandupScheduleRow).order_by(col(StandupScheduleRow.name)))).scalars().all()
    return [c for c in map(effective, rows) if c is not None]


async def sync(s: AsyncSession, standups: tuple[StandupConfig, ...], *, now: datetime) -> None:
    """The file's definitions replace the stored ones (chat changes stay); definitions gone from the file go."""
    wanted = {st.name: st for st in standups}
    rows = {r.name: r for r in (await s.execute(select(StandupScheduleRow))).scalars()}
    for name, row in rows.items():
        if name not in wanted:
            await s.delete(row)
    for name, st in wanted.items():
        row = rows.get(name) or StandupScheduleRow(name=name, project_key=st.project, spec={}, updated_at=now)
        row.project_key, row.spec = st.project, st.model_dump(mode="json")
        s.add(row)


async def change(s: AsyncSession, name: str, key: str, value: str | None, *, by: str, now: datetime) -> StandupConfig:
    """Change one of CHANGEABLE for `name` (None: back to the file's value); raises ValueError with the reason."""
    assert key in CHANGEABLE
    row = await s.get(StandupScheduleRow, name, with_for_update=True)
    if row is None:
        raise LookupError(name)
    overrides: dict[str, Any] = dict(row.overrides)
    if value is None:
        overrides.pop(key, None)
    else:
        overrides[key] = value
    try:
        updated = StandupConfig.model_validate({**row.spec, **overrides})
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    row.overrides, row.updated_at, row.updated_by = overrides, now, by
    return updated
