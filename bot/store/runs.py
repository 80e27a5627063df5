"""Which scheduled work ran for whom on which day: each runs exactly once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import col

from bot.store.dialect import insert_ignore
from bot.store.models import ScheduleRunRow
from bot.store.repository import InTransaction


class Runs(InTransaction):
    async def claim_runs(self, schedule: str, person_ids: list[str], day: date, now: datetime) -> set[str]:
        """claim_run for many people in one statement; returns those claimed now."""
        if not person_ids:
            return set()
        # Executed for many rows at once ("insertmanyvalues"): one INSERT per page of rows, compiled once.
        stmt = insert_ignore(self._s, ScheduleRunRow).returning(col(ScheduleRunRow.person_id))
        rows = [{"schedule": schedule, "person_id": pid, "day": day, "at": now} for pid in person_ids]
        return {str(pid) for pid in (await self._s.execute(stmt, rows)).scalars()}

    async def claim_run(self, schedule: str, person_id: str, day: date, now: datetime) -> bool:
        """Record that `schedule` ran for this person and day; False if it already had (exactly once)."""
        return person_id in await self.claim_runs(schedule, [person_id], day, now)

    async def was_run(self, schedule: str, person_id: str, day: date) -> bool:
        return await self._s.get(ScheduleRunRow, (schedule, person_id, day)) is not None

    async def ran_for(self, schedule: str, day: date) -> set[str]:
        """Everyone `schedule` ran for on `day`, in one query (an IN list of a batch's people would be checked
        against each of the day's rows by PostgreSQL's plan: seconds for a wave)."""
        rows = await self._s.execute(select(col(ScheduleRunRow.person_id)).where(
            col(ScheduleRunRow.schedule) == schedule, col(ScheduleRunRow.day) == day))
        return {str(pid) for pid in rows.scalars()}
