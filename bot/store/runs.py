"""Which scheduled work ran for whom on which day: each runs exactly once."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col

from bot.store.dialect import insert_ignore
from bot.store.models import ScheduleRunRow
from bot.store.repository import InTransaction


class Runs(InTransaction):
    async def claim_runs(self, schedule: str, person_ids: list[str], day: date, now: datetime) -> set[str]:
        """claim_run for many people in one statement; returns those claimed now."""
        if not person_ids:
            return set()
        stmt = insert_ignore(self._s, ScheduleRunRow).values(
            [{"schedule": schedule, "person_id": pid, "day": day, "at": now} for pid in person_ids]
        ).returning(col(ScheduleRunRow.person_id))
        return {str(pid) for pid in (await self._s.execute(stmt)).scalars()}

    async def claim_run(self, schedule: str, person_id: str, day: date, now: datetime) -> bool:
        """Record that `schedule` ran for this person and day; False if it already had (exactly once)."""
        return person_id in await self.claim_runs(schedule, [person_id], day, now)

    async def was_run(self, schedule: str, person_id: str, day: date) -> bool:
        return await self._s.get(ScheduleRunRow, (schedule, person_id, day)) is not None
