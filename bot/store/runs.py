"""Which scheduled work ran for whom on which day: each runs exactly once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import literal, select
from sqlmodel import col

from bot.store.dialect import insert_ignore, json_rows
from bot.store.models import ScheduleRunRow
from bot.store.repository import InTransaction


class Runs(InTransaction):
    async def claim_runs(self, schedule: str, person_ids: list[str], day: date, now: datetime) -> set[str]:
        """claim_run for many people in one statement; returns those claimed now."""
        if not person_ids:
            return set()
        # One statement and one parameter for the whole set (INSERT ... SELECT from a JSON array), so that
        # claiming a wave costs a tenth of what one row of parameters per person did.
        table = ScheduleRunRow.__table__  # type: ignore[attr-defined]
        chosen = json_rows(self._s, [(pid,) for pid in person_ids], [("person_id", table.c.person_id.type)])
        chosen = chosen.add_columns(literal(schedule, table.c.schedule.type).label("schedule"),
                                    literal(day, table.c.day.type).label("day"),
                                    literal(now, table.c.at.type).label("at"))
        stmt = insert_ignore(self._s, table).from_select(["person_id", "schedule", "day", "at"], chosen)
        return {str(pid) for pid in (await self._s.execute(stmt.returning(table.c.person_id))).scalars()}

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
