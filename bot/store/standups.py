"""What people said to their standups (answers, skips, leave), and the standups they are in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import col

from bot.records import Leave, StandupAnswer
from bot.store import schedules
from bot.store.dialect import among
from bot.store.models import ScheduleRunRow, StandupEntryRow, StandupScheduleRow
from bot.store.projects import Projects
from bot.store.repository import InTransaction


class Standups(InTransaction):
    async def standup_entry(
        self, *, person_id: str, kind: str, day_from: date, day_to: date, text: str, now: datetime
    ) -> None:
        self._s.add(StandupEntryRow(person_id=person_id, kind=kind, day_from=day_from, day_to=day_to, text=text,
                                    at=now))
        await self._s.flush()

    async def standup_status(self, person_ids: list[str], day: date) -> dict[str, tuple[str, str]]:
        """Each person's latest standup entry for `day`: ("answer", text) | ("skip", "") | ("away", "")."""
        rows = (await self._s.execute(
            select(StandupEntryRow).where(
                among(self._s, col(StandupEntryRow.person_id), person_ids),
                col(StandupEntryRow.day_from) <= day, col(StandupEntryRow.day_to) >= day,
            ).order_by(col(StandupEntryRow.id))
        )).scalars().all()
        out: dict[str, tuple[str, str]] = {}
        for row in rows:  # later entries win: an answer can be corrected until the summary goes out
            out[row.person_id] = (row.kind, row.text)
        return out

    async def leaves(self, person_id: str, *, since: date) -> list[Leave]:
        """The person's leave that has not ended before `since`, soonest first."""
        rows = (await self._s.execute(select(StandupEntryRow).where(
            col(StandupEntryRow.person_id) == person_id, col(StandupEntryRow.kind) == "away",
            col(StandupEntryRow.day_to) >= since).order_by(col(StandupEntryRow.day_from), col(StandupEntryRow.id))
        )).scalars().all()
        return [Leave(id=int(r.id or 0), day_from=r.day_from, day_to=r.day_to, note=r.text) for r in rows]

    async def change_leave(self, leave_id: int, *, person_id: str, day_from: date, day_to: date) -> Leave | None:
        """Move one of the person's leaves to other days; None when it is not theirs (or not leave)."""
        row = await self._s.get(StandupEntryRow, leave_id)
        if row is None or row.person_id != person_id or row.kind != "away":
            return None
        row.day_from, row.day_to = day_from, day_to
        await self._s.flush()
        return Leave(id=leave_id, day_from=day_from, day_to=day_to, note=row.text)

    async def cancel_leave(self, leave_id: int, *, person_id: str) -> Leave | None:
        """Drop one of the person's leaves (the audit keeps what it was); None when it is not theirs."""
        row = await self._s.get(StandupEntryRow, leave_id)
        if row is None or row.person_id != person_id or row.kind != "away":
            return None
        gone = Leave(id=leave_id, day_from=row.day_from, day_to=row.day_to, note=row.text)
        await self._s.execute(delete(StandupEntryRow).where(col(StandupEntryRow.id) == leave_id))
        return gone

    async def standup_answers(self, person_ids: list[str], *, since: date, until: date, limit: int
                              ) -> list[StandupAnswer]:
        """Answers and skips for days since..until, newest day first; a day's later entry replaces its earlier
        one."""
        rows = (await self._s.execute(select(StandupEntryRow).where(
            col(StandupEntryRow.person_id).in_(person_ids), col(StandupEntryRow.kind).in_(("answer", "skip")),
            col(StandupEntryRow.day_from) >= since, col(StandupEntryRow.day_from) <= until)
            .order_by(col(StandupEntryRow.id)))).scalars().all()
        latest: dict[tuple[str, date], StandupAnswer] = {}
        for r in rows:
            latest[(r.person_id, r.day_from)] = StandupAnswer(person=r.person_id, day=r.day_from, kind=r.kind,
                                                              text=r.text, at=r.at)
        return sorted(latest.values(), key=lambda a: (a.day, a.person), reverse=True)[:limit]

    async def project_standups(self, project: str) -> list[tuple[str, tuple[str, ...]]]:
        """(name, members) of the project's standups."""
        rows = (await self._s.execute(select(StandupScheduleRow).where(col(StandupScheduleRow.project_key) == project)
                                      .order_by(col(StandupScheduleRow.name)))).scalars()
        return [(row.name, tuple(str(m) for m in row.spec.get("members", ()))) for row in rows]

    async def away_among(self, person_ids: list[str], day: date) -> set[str]:
        """Those of `person_ids` on leave that day (`standup away` / `请假`)."""
        rows = await self._s.execute(select(col(StandupEntryRow.person_id)).distinct().where(
            among(self._s, col(StandupEntryRow.person_id), person_ids), col(StandupEntryRow.kind) == "away",
            col(StandupEntryRow.day_from) <= day, col(StandupEntryRow.day_to) >= day))
        return {str(pid) for pid in rows.scalars()}

    async def standup_participation(self, person_id: str, *, since: date, until: date
                                    ) -> list[tuple[str, str, int, int, int]]:
        mine = select(col(ScheduleRunRow.schedule)).where(
            col(ScheduleRunRow.person_id) == person_id, col(ScheduleRunRow.schedule).like("standup:%"),
            ~col(ScheduleRunRow.schedule).like("%:%:%")).distinct()
        runs = (await self._s.execute(select(ScheduleRunRow).where(
            col(ScheduleRunRow.schedule).in_(mine), col(ScheduleRunRow.day) >= since,
            col(ScheduleRunRow.day) <= until))).scalars().all()
        entries = (await self._s.execute(select(StandupEntryRow).where(
            col(StandupEntryRow.person_id).in_({r.person_id for r in runs}),
            col(StandupEntryRow.day_to) >= since, col(StandupEntryRow.day_from) <= until,
            col(StandupEntryRow.kind).in_(("answer", "skip"))).order_by(col(StandupEntryRow.id)))).scalars().all()
        said: dict[tuple[str, date], str] = {}
        for e in entries:  # answers and skips are for one day; the latest of the day counts
            said[(e.person_id, e.day_from)] = e.kind
        counts: dict[tuple[str, str], list[int]] = {}
        for r in runs:
            c = counts.setdefault((r.schedule.removeprefix("standup:"), r.person_id), [0, 0, 0])
            c[0] += 1
            kind = said.get((r.person_id, r.day))
            c[1] += kind == "answer"
            c[2] += kind == "skip"
        return sorted((name, person, *c) for (name, person), c in counts.items())  # type: ignore[misc]

    async def standups_of(self, person_id: str) -> list[tuple[str, str, tuple[str, ...]]]:
        projects = {p.key for p in await Projects(self._s).projects_of(person_id)}
        rows = (await self._s.execute(select(StandupScheduleRow).order_by(col(StandupScheduleRow.name)))).scalars()
        out = []
        for row in rows:
            members = tuple(str(m) for m in row.spec.get("members", ()))
            if person_id in members or row.project_key in projects:
                out.append((row.name, row.project_key, members))
        return out

    async def change_standup(self, name: str, setting: str, value: str | None, *, by: str, now: datetime
                             ) -> dict[str, Any]:
        updated = await schedules.change(self._s, name, setting, value, by=by, now=now)
        return {"name": updated.name, "project": updated.project, "at": updated.at, "deadline": updated.deadline,
                "remind_at": updated.remind_at or "", "timezone": updated.timezone or ""}
