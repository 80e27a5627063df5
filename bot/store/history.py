"""The portfolio's history: the daily snapshot's rows written as sets (one statement per table and page of
rows), what the snapshot reads besides the PMS (approvals waiting, standup prompts and answers, hours logged),
and what the trend pages read back. Every value is a bound parameter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from bot.store.dialect import insert_ignore
from bot.store.models import (
    ApprovalRow,
    PersonDayRow,
    ProgressRow,
    ProjectDayRow,
    RiskDayRow,
    ScheduleRunRow,
    StandupEntryRow,
    StandupScheduleRow,
    TaskDoneRow,
    TaskRow,
)
from bot.store.repository import InTransaction

WHOLE = ""  # the milestone column of a project's own row
PAGE_ROWS = 500  # rows per INSERT (below SQLite's and PostgreSQL's parameter limits)


@dataclass(frozen=True, kw_only=True)
class ProjectDay:
    project: str
    day: date
    milestone: str = WHOLE
    total: int = 0
    done: int = 0
    blocked: int = 0
    overdue: int = 0
    percent: int = 0
    plan_percent: int | None = None
    due: date | None = None
    remaining_min: int = 0
    health: str = "ok"  # ok | risk | late
    risks: int = 0
    approvals: int = 0
    standup_expected: int = 0
    standup_answered: int = 0


@dataclass(frozen=True, kw_only=True)
class PersonDay:
    project: str
    person: str  # "": unassigned
    day: date
    open_tasks: int = 0
    remaining_min: int = 0
    logged_min: int = 0


@dataclass(frozen=True, kw_only=True)
class RiskCount:
    project: str
    day: date
    kind: str
    count: int


@dataclass(frozen=True, kw_only=True)
class DoneTask:
    project: str
    task: str
    person: str | None
    done_day: date
    cycle_days: int | None


@dataclass(kw_only=True)
class DaySnapshot:
    """Everything one snapshot writes (one day of all projects, or of one)."""

    projects: list[ProjectDay] = field(default_factory=list)
    people: list[PersonDay] = field(default_factory=list)
    risks: list[RiskCount] = field(default_factory=list)
    done: list[DoneTask] = field(default_factory=list)

    def add(self, other: DaySnapshot) -> None:
        self.projects += other.projects
        self.people += other.people
        self.risks += other.risks
        self.done += other.done


def _pages(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), PAGE_ROWS):
        yield rows[start:start + PAGE_ROWS]


def _project_row(p: ProjectDay, at: datetime) -> dict[str, Any]:
    values = dict(vars(p))  # flat: vars, not asdict's deep copy (thousands of rows)
    return {"project_key": values.pop("project"), **values, "at": at}


class History(InTransaction):
    # -- writing ------------------------------------------------------------------------------------------------

    async def save(self, snap: DaySnapshot, *, at: datetime) -> int:
        """The snapshot's rows; a row already kept for its day (a rerun) stays as it was. Returns the rows
        offered. A handful of statements whatever the number of projects and people."""
        tables: list[tuple[Any, list[dict[str, Any]]]] = [
            (ProjectDayRow, [_project_row(p, at) for p in snap.projects]),
            (PersonDayRow, [{"project_key": p.project, "person_id": p.person, "day": p.day,
                             "open_tasks": p.open_tasks, "remaining_min": p.remaining_min,
                             "logged_min": p.logged_min} for p in snap.people]),
            (RiskDayRow, [{"project_key": r.project, "day": r.day, "kind": r.kind, "count": r.count}
                          for r in snap.risks]),
            (TaskDoneRow, [{"task_key": d.task, "project_key": d.project, "person_id": d.person,
                            "done_day": d.done_day, "cycle_days": d.cycle_days} for d in snap.done]),
        ]
        offered = 0
        for table, rows in tables:
            for page in _pages(rows):  # the Core table: one multi-row INSERT per page, no ORM bookkeeping
                await self._s.execute(insert_ignore(self._s, table.__table__), page)
                offered += len(page)
        return offered

    # -- what the snapshot reads besides the PMS ----------------------------------------------------------------

    async def approvals_waiting(self) -> dict[str, int]:
        rows = await self._s.execute(select(col(ApprovalRow.project_key), func.count())
                                     .where(col(ApprovalRow.state) == "pending")
                                     .group_by(col(ApprovalRow.project_key)))
        return {str(k): int(n) for k, n in rows.all()}

    async def standups_on(self, day: date) -> dict[str, tuple[int, int]]:
        """Per project: the standup prompts sent that day and how many were answered (the latest entry of the
        day is an answer)."""
        owners = dict((await self._s.execute(
            select(col(StandupScheduleRow.name), col(StandupScheduleRow.project_key)))).all())
        runs = (await self._s.execute(select(col(ScheduleRunRow.schedule), col(ScheduleRunRow.person_id)).where(
            col(ScheduleRunRow.day) == day, col(ScheduleRunRow.schedule).like("standup:%"),
            ~col(ScheduleRunRow.schedule).like("%:%:%")))).all()
        people = sorted({pid for _, pid in runs})
        said: dict[str, str] = {}
        for start in range(0, len(people), PAGE_ROWS):
            entries = await self._s.execute(
                select(col(StandupEntryRow.person_id), col(StandupEntryRow.kind)).where(
                    col(StandupEntryRow.person_id).in_(people[start:start + PAGE_ROWS]),
                    col(StandupEntryRow.day_from) <= day, col(StandupEntryRow.day_to) >= day)
                .order_by(col(StandupEntryRow.id)))
            said.update(dict(entries.all()))  # the latest entry wins
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for schedule, pid in runs:
            project = owners.get(schedule.removeprefix("standup:"))
            if project is not None:
                out[project][0] += 1
                out[project][1] += said.get(pid) == "answer"
        return {k: (v[0], v[1]) for k, v in out.items()}

    async def logged_between(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        """Minutes logged on built-in tasks in [since, until), per (project, person)."""
        rows = await self._s.execute(
            select(col(TaskRow.project_key), col(ProgressRow.person_id), func.sum(col(ProgressRow.minutes)))
            .join(TaskRow, col(TaskRow.key) == col(ProgressRow.task_key))
            .where(col(ProgressRow.minutes).is_not(None), col(ProgressRow.at) >= since, col(ProgressRow.at) < until)
            .group_by(col(TaskRow.project_key), col(ProgressRow.person_id)))
        return {(str(k), str(p or "")): int(m or 0) for k, p, m in rows.all() if m}

    # -- what the pages read ------------------------------------------------------------------------------------

    async def latest(self, projects: Sequence[str] | None = None, *, on_or_before: date | None = None
                     ) -> dict[str, ProjectDay]:
        """Each project's own row of its latest snapshot (up to a day)."""
        newest = select(col(ProjectDayRow.project_key), func.max(col(ProjectDayRow.day)).label("day")).where(
            col(ProjectDayRow.milestone) == WHOLE)
        if on_or_before is not None:
            newest = newest.where(col(ProjectDayRow.day) <= on_or_before)
        if projects is not None:
            newest = newest.where(col(ProjectDayRow.project_key).in_(list(projects)))
        sub = newest.group_by(col(ProjectDayRow.project_key)).subquery()
        rows = (await self._s.execute(select(ProjectDayRow).join(
            sub, (col(ProjectDayRow.project_key) == sub.c.project_key) & (col(ProjectDayRow.day) == sub.c.day))
            .where(col(ProjectDayRow.milestone) == WHOLE))).scalars().all()
        return {r.project_key: _project_day(r) for r in rows}

    async def last_standups(self, projects: Sequence[str] | None = None) -> dict[str, ProjectDay]:
        """Each project's latest snapshot of a day its standups ran."""
        newest = select(col(ProjectDayRow.project_key), func.max(col(ProjectDayRow.day)).label("day")).where(
            col(ProjectDayRow.milestone) == WHOLE, col(ProjectDayRow.standup_expected) > 0)
        if projects is not None:
            newest = newest.where(col(ProjectDayRow.project_key).in_(list(projects)))
        sub = newest.group_by(col(ProjectDayRow.project_key)).subquery()
        rows = (await self._s.execute(select(ProjectDayRow).join(
            sub, (col(ProjectDayRow.project_key) == sub.c.project_key) & (col(ProjectDayRow.day) == sub.c.day))
            .where(col(ProjectDayRow.milestone) == WHOLE))).scalars().all()
        return {r.project_key: _project_day(r) for r in rows}

    async def project_days(self, project: str, *, milestone: str = WHOLE, since: date, until: date
                           ) -> list[ProjectDay]:
        rows = (await self._s.execute(select(ProjectDayRow).where(
            col(ProjectDayRow.project_key) == project, col(ProjectDayRow.milestone) == milestone,
            col(ProjectDayRow.day) >= since, col(ProjectDayRow.day) <= until).order_by(col(ProjectDayRow.day))
        )).scalars().all()
        return [_project_day(r) for r in rows]

    async def milestones_kept(self, project: str) -> list[str]:
        rows = await self._s.execute(select(col(ProjectDayRow.milestone)).distinct().where(
            col(ProjectDayRow.project_key) == project, col(ProjectDayRow.milestone) != WHOLE)
            .order_by(col(ProjectDayRow.milestone)))
        return [str(m) for m in rows.scalars()]

    async def person_days(self, project: str, *, since: date, until: date) -> list[PersonDay]:
        rows = (await self._s.execute(select(PersonDayRow).where(
            col(PersonDayRow.project_key) == project, col(PersonDayRow.day) >= since,
            col(PersonDayRow.day) <= until).order_by(col(PersonDayRow.day), col(PersonDayRow.person_id))
        )).scalars().all()
        return [PersonDay(project=r.project_key, person=r.person_id, day=r.day, open_tasks=r.open_tasks,
                          remaining_min=r.remaining_min, logged_min=r.logged_min) for r in rows]

    async def risk_days(self, project: str, *, since: date, until: date) -> list[RiskCount]:
        rows = (await self._s.execute(select(RiskDayRow).where(
            col(RiskDayRow.project_key) == project, col(RiskDayRow.day) >= since, col(RiskDayRow.day) <= until)
            .order_by(col(RiskDayRow.day), col(RiskDayRow.kind)))).scalars().all()
        return [RiskCount(project=r.project_key, day=r.day, kind=r.kind, count=r.count) for r in rows]

    async def done_between(self, projects: Sequence[str], *, since: date, until: date) -> list[DoneTask]:
        rows = (await self._s.execute(select(TaskDoneRow).where(
            col(TaskDoneRow.project_key).in_(list(projects)), col(TaskDoneRow.done_day) >= since,
            col(TaskDoneRow.done_day) <= until).order_by(col(TaskDoneRow.done_day), col(TaskDoneRow.task_key))
        )).scalars().all()
        return [DoneTask(project=r.project_key, task=r.task_key, person=r.person_id, done_day=r.done_day,
                         cycle_days=r.cycle_days) for r in rows]


def _project_day(r: ProjectDayRow) -> ProjectDay:
    return ProjectDay(project=r.project_key, day=r.day, milestone=r.milestone, total=r.total, done=r.done,
                      blocked=r.blocked, overdue=r.overdue, percent=r.percent, plan_percent=r.plan_percent, due=r.due,
                      remaining_min=r.remaining_min, health=r.health, risks=r.risks, approvals=r.approvals,
                      standup_expected=r.standup_expected, standup_answered=r.standup_answered)
