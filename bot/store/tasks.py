"""The built-in PMS's tables: tasks, milestones and progress history (bot/pms/local.py speaks the PMS protocol
over them). Everything happens in the caller's transaction, so a task's change commits with its command."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from bot.clocks import Clock
from bot.records import Milestone, ProjectSummary, Task
from bot.store.models import MilestoneRow, ProgressRow, ProjectRow, TaskRow
from bot.store.repository import InTransaction

_OPEN = ("todo", "in_progress", "blocked")

# The statements of every report (read the task locked, change it, add a history row), built once: SQLAlchemy
# builds a statement and its cache key anew on every call otherwise, and an ORM UPDATE adds its own bookkeeping
# (bot/store/outbox.py has the measurement). Core on the tables, values bound as parameters.
_TASK = TaskRow.__table__  # type: ignore[attr-defined]
_PROGRESS = ProgressRow.__table__  # type: ignore[attr-defined]
_LOCKED = (select(TaskRow, col(MilestoneRow.name))
           .outerjoin(MilestoneRow, col(MilestoneRow.id) == col(TaskRow.milestone_id))
           .where(col(TaskRow.key) == bindparam("key"))
           .with_for_update(of=TaskRow))
_CHANGE = update(_TASK).where(_TASK.c.id == bindparam("task_id"))  # SET: the parameters' columns
_ADD_HISTORY = insert(_PROGRESS).returning(_PROGRESS.c.id)


def min_to_hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()


def _task(row: TaskRow, milestone: str | None) -> Task:
    return Task(
        key=row.key, project=row.project_key, title=row.title, status=row.status, percent=row.percent,
        assignee=row.assignee, due=row.due,
        estimate_h=min_to_hours(row.estimate_min) if row.estimate_min is not None else None,
        spent_h=min_to_hours(row.spent_min), milestone=milestone, blocked_reason=row.blocked_reason,
        updated_at=row.updated_at, created_at=row.created_at, priority=row.priority,
    )


class Tasks(InTransaction):
    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        super().__init__(session)
        self._clock = clock
        self._loaded: dict[str, tuple[TaskRow, str | None]] = {}  # rows read in this transaction, by key

    def _at(self) -> datetime:
        return self._clock.now()

    async def locked(self, key: str) -> Task | None:
        """The task, locked for the rest of the transaction (PostgreSQL; SQLite's writer lock already
        serialises): two workers adding hours to one task must not both start from the same old value."""
        loaded = await self._load(key)
        return _task(*loaded) if loaded is not None else None

    async def search(self, *, project: str | None, assignee: str | None, open_only: bool, limit: int) -> list[Task]:
        q = select(TaskRow)
        if project:
            q = q.where(col(TaskRow.project_key) == project)
        if assignee:
            q = q.where(col(TaskRow.assignee) == assignee)
        if open_only:
            q = q.where(col(TaskRow.status).in_(_OPEN))
        q = q.order_by(col(TaskRow.due).is_(None), col(TaskRow.due), col(TaskRow.id)).limit(limit)
        rows = (await self._s.execute(q)).scalars().all()
        names = await self._milestone_names([r.milestone_id for r in rows if r.milestone_id])
        return [_task(r, names.get(r.milestone_id or 0)) for r in rows]

    async def create(self, project: str, title: str, *, assignee: str | None, due: date | None) -> Task | None:
        """A new task numbered in its project; None when there is no such project."""
        # Numbering is a counter on the project row, bumped atomically so two creators never share a key.
        result = await self._s.execute(
            update(ProjectRow)
            .where(col(ProjectRow.key) == project)
            .values(next_task_no=col(ProjectRow.next_task_no) + 1)
            .returning(col(ProjectRow.next_task_no))
        )
        next_no = result.scalar_one_or_none()
        if next_no is None:
            return None
        number = next_no - 1
        row = TaskRow(
            key=f"{project}-{number}",
            project_key=project,
            number=number,
            title=title,
            assignee=assignee,
            due=due,
            created_at=self._at(),
            updated_at=self._at(),
        )
        self._s.add(row)
        await self._s.flush()  # the task row first: progress rows refer to it
        return _task(row, None)

    async def change(self, key: str, *, status: str, blocked_reason: str | None, percent: int, add_min: int = 0
                     ) -> Task:
        """Set a locked() task's state and add to its time spent; the task as it is now."""
        loaded = await self._load(key)
        if loaded is None:
            raise LookupError(key)
        row, milestone = loaded
        values = {"status": status, "blocked_reason": blocked_reason, "percent": percent,
                  "spent_min": row.spent_min + add_min, "updated_at": self._at()}
        # One UPDATE; the loaded row is brought up to date without the ORM's unit of work (it is cheaper).
        await self._s.execute(_CHANGE, {"task_id": row.id, **values})
        for name, value in values.items():
            set_committed_value(row, name, value)
        return _task(row, milestone)

    async def edit(self, key: str, *, assignee: str | None, due: date | None, priority: str | None) -> Task:
        """Set a locked() task's assignee, due date or priority (None: keep); the task as it is now."""
        loaded = await self._load(key)
        if loaded is None:
            raise LookupError(key)
        row, milestone = loaded
        values: dict[str, object] = {name: value for name, value in
                                     (("assignee", assignee), ("due", due), ("priority", priority)) if value is not None}
        values["updated_at"] = self._at()
        await self._s.execute(update(TaskRow).where(col(TaskRow.id) == row.id).values(**values)
                              .execution_options(synchronize_session=False))
        for name, value in values.items():
            set_committed_value(row, name, value)
        return _task(row, milestone)

    async def find(self, project: str, words: list[str], *, limit: int) -> list[Task]:
        """Tasks of the project whose title or history notes hold every word (case-insensitive), open first."""
        q = select(TaskRow).where(col(TaskRow.project_key) == project)
        for word in words:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            in_notes = select(col(ProgressRow.task_key)).where(col(ProgressRow.note).ilike(pattern, escape="\\"))
            q = q.where(or_(col(TaskRow.title).ilike(pattern, escape="\\"), col(TaskRow.key).in_(in_notes)))
        q = q.order_by(col(TaskRow.status) == "done", col(TaskRow.due).is_(None), col(TaskRow.due),
                       col(TaskRow.id)).limit(limit)
        rows = (await self._s.execute(q)).scalars().all()
        names = await self._milestone_names([r.milestone_id for r in rows if r.milestone_id])
        return [_task(r, names.get(r.milestone_id or 0)) for r in rows]

    async def add_history(self, key: str, *, by: str, kind: str, percent: int | None = None,
                          minutes: int | None = None, note: str = "") -> int:
        """A row of the task's history; its id (the id of the time entry, when it logs minutes)."""
        result = await self._s.execute(_ADD_HISTORY, {"task_key": key, "person_id": by, "kind": kind,
                                                      "percent": percent, "minutes": minutes, "note": note,
                                                      "at": self._at()})
        return int(result.scalar_one() or 0)

    async def take_minutes(self, key: str, history_id: int) -> int:
        """Remove the time a history row of the task logged: a work-log row goes, a report keeps its percent and
        note; the minutes taken (0 when already taken or not the task's)."""
        row = (await self._s.execute(select(ProgressRow).where(
            col(ProgressRow.id) == history_id, col(ProgressRow.task_key) == key).with_for_update())).scalar_one_or_none()
        if row is None or not row.minutes:
            return 0
        minutes = row.minutes
        if row.kind == "worklog":
            await self._s.execute(delete(ProgressRow).where(col(ProgressRow.id) == history_id))
        else:
            await self._s.execute(update(ProgressRow).where(col(ProgressRow.id) == history_id).values(minutes=None))
        return minutes

    async def milestones(self, project: str) -> list[Milestone]:
        rows = (
            await self._s.execute(
                select(MilestoneRow).where(col(MilestoneRow.project_key) == project).order_by(
                    col(MilestoneRow.due).is_(None), col(MilestoneRow.due), col(MilestoneRow.id)
                )
            )
        ).scalars().all()
        stats = await self._s.execute(
            select(
                col(TaskRow.milestone_id),
                func.count(),
                func.sum(col(TaskRow.percent)),
                func.count().filter(col(TaskRow.status) == "done"),
            )
            .where(col(TaskRow.project_key) == project)
            .group_by(col(TaskRow.milestone_id))
        )
        by_id = {mid: (int(n), int(pct or 0), int(done)) for mid, n, pct, done in stats.all()}
        out = []
        for m in rows:
            n, pct, done = by_id.get(m.id, (0, 0, 0))
            assert m.id is not None
            out.append(Milestone(id=m.id, project=project, name=m.name, due=m.due, tasks_total=n, tasks_done=done,
                                 percent=round(pct / n) if n else 0))
        return out

    async def summary(self, project: str, *, today: date) -> ProjectSummary | None:
        """The project's task counts and milestones; None when there is no such project."""
        proj = await self._s.get(ProjectRow, project)
        if proj is None:
            return None
        row = (
            await self._s.execute(
                select(
                    func.count(),
                    func.count().filter(col(TaskRow.status) == "done"),
                    func.count().filter(col(TaskRow.status) == "blocked"),
                    func.count().filter(col(TaskRow.status) != "done", col(TaskRow.due) < today),
                    func.sum(col(TaskRow.percent)),
                ).where(col(TaskRow.project_key) == project)
            )
        ).one()
        total, done, blocked, overdue, pct = (int(v or 0) for v in row)
        return ProjectSummary(
            project=project, name=proj.name, tasks_total=total, tasks_done=done, tasks_blocked=blocked,
            tasks_overdue=overdue, percent=round(pct / total) if total else 0,
            milestones=tuple(await self.milestones(project)),
        )

    async def any_in(self, project: str) -> bool:
        return (await self._s.execute(
            select(col(TaskRow.id)).where(col(TaskRow.project_key) == project).limit(1))).first() is not None

    async def add_milestones(self, project: str, milestones: list[tuple[str, date | None]]) -> list[int]:
        """New milestones (name, due) of a project; their ids."""
        rows = [MilestoneRow(project_key=project, name=name, due=due) for name, due in milestones]
        self._s.add_all(rows)
        await self._s.flush()
        ids = []
        for row in rows:
            assert row.id is not None
            ids.append(row.id)
        return ids

    async def backfill(self, key: str, *, milestone_id: int | None, status: str, percent: int,
                       estimate_min: int | None, spent_min: int, blocked_reason: str | None, created_at: datetime,
                       updated_at: datetime) -> None:
        """Write a task's state as if it had a past (the demo's seeded project), with no history rows."""
        await self._s.execute(update(TaskRow).where(col(TaskRow.key) == key).values(
            milestone_id=milestone_id, status=status, percent=percent, estimate_min=estimate_min,
            spent_min=spent_min, blocked_reason=blocked_reason, updated_at=updated_at, created_at=created_at))

    async def _load(self, key: str) -> tuple[TaskRow, str | None] | None:
        if key not in self._loaded:
            found = (await self._s.execute(_LOCKED, {"key": key})).first()
            if found is None:
                return None
            self._loaded[key] = (found[0], found[1])
        return self._loaded[key]

    async def _milestone_names(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await self._s.execute(
            select(col(MilestoneRow.id), col(MilestoneRow.name)).where(col(MilestoneRow.id).in_(set(ids)))
        )
        return {int(i or 0): str(n) for i, n in rows.all()}
