"""The built-in PMS: tasks, milestones and progress history in our own database.

It works inside the caller's transaction, so a command's PMS write, its audit row and its replies
commit together or not at all.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from bot.clocks import Clock
from bot.pms.base import STATUSES, PMSError
from bot.records import Milestone, Person, ProjectSummary, Task
from bot.store.models import MilestoneRow, ProgressRow, ProjectRow, TaskRow

_OPEN = ("todo", "in_progress", "blocked")


def hours_to_min(hours: Decimal) -> int:
    return int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))


def min_to_hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()


class LocalPMS:
    name = "local"

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self._s = session
        self._clock = clock
        self._loaded: dict[str, tuple[TaskRow, str | None]] = {}  # rows read in this transaction, by key

    def _at(self) -> datetime:
        return self._clock.now()

    async def get_task(self, key: str) -> Task | None:
        try:
            row, milestone = await self._load(key)
        except PMSError:
            return None
        return self._task(row, milestone)

    async def search_tasks(
        self, *, project: str | None = None, assignee: Person | None = None, open_only: bool = True, limit: int = 50
    ) -> list[Task]:
        q = select(TaskRow)
        if project:
            q = q.where(col(TaskRow.project_key) == project)
        if assignee:
            q = q.where(col(TaskRow.assignee) == assignee.id)
        if open_only:
            q = q.where(col(TaskRow.status).in_(_OPEN))
        q = q.order_by(col(TaskRow.due).is_(None), col(TaskRow.due), col(TaskRow.id)).limit(limit)
        rows = (await self._s.execute(q)).scalars().all()
        names = await self._milestone_names([r.milestone_id for r in rows if r.milestone_id])
        return [self._task(r, names.get(r.milestone_id or 0)) for r in rows]

    async def create_task(
        self, project: str, title: str, *, assignee: Person | None, due: date | None, by: Person
    ) -> Task:
        # Numbering is a counter on the project row, bumped atomically so two creators never share a key.
        result = await self._s.execute(
            update(ProjectRow)
            .where(col(ProjectRow.key) == project)
            .values(next_task_no=col(ProjectRow.next_task_no) + 1)
            .returning(col(ProjectRow.next_task_no))
        )
        next_no = result.scalar_one_or_none()
        if next_no is None:
            raise PMSError("unknown_project", project=project)
        number = next_no - 1
        row = TaskRow(
            key=f"{project}-{number}",
            project_key=project,
            number=number,
            title=title,
            assignee=assignee.id if assignee else None,
            due=due,
            created_at=self._at(),
            updated_at=self._at(),
        )
        self._s.add(row)
        await self._s.flush()  # the task row first: progress rows refer to it
        await self._history(row.key, by, "create", note=title)
        return self._task(row, None)

    async def report_progress(
        self, key: str, *, percent: int | None, note: str, hours: Decimal | None, by: Person
    ) -> Task:
        row = await self._row(key)
        status, blocked_reason = row.status, row.blocked_reason
        if status == "done" and percent is not None and percent < 100:
            status = "in_progress"
        if percent is not None:
            if percent == 100:
                status = "done"
            elif status == "todo" or (status == "blocked" and percent > 0):
                status, blocked_reason = "in_progress", None
        minutes = hours_to_min(hours) if hours is not None else None
        await self._change(row, status=status, blocked_reason=blocked_reason,
                           percent=row.percent if percent is None else percent,
                           spent_min=row.spent_min + (minutes or 0))
        await self._history(key, by, "report", percent=percent, minutes=minutes, note=note)
        return await self._to_task(row)

    async def transition(self, key: str, status: str, *, reason: str, by: Person) -> Task:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        row = await self._row(key)
        await self._change(row, status=status, blocked_reason=reason if status == "blocked" else None,
                           percent=100 if status == "done" else row.percent)
        await self._history(key, by, status, note=reason)
        return await self._to_task(row)

    async def check_move(self, key: str, status: str, *, by: Person) -> None:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        await self._row(key)  # every move is allowed here

    async def comment(self, key: str, body: str, *, by: Person) -> None:
        await self._row(key)
        await self._history(key, by, "comment", note=body)

    async def log_work(self, key: str, hours: Decimal, *, note: str, by: Person) -> None:
        row = await self._row(key)
        minutes = hours_to_min(hours)
        await self._change(row, spent_min=row.spent_min + minutes)
        await self._history(key, by, "worklog", minutes=minutes, note=note)

    async def _change(self, row: TaskRow, **values: object) -> None:
        """One UPDATE; the loaded row is brought up to date without the ORM's unit of work (it is cheaper)."""
        values["updated_at"] = self._at()
        await self._s.execute(update(TaskRow).where(col(TaskRow.id) == row.id).values(**values)
                              .execution_options(synchronize_session=False))
        for name, value in values.items():
            set_committed_value(row, name, value)

    async def _history(self, key: str, by: Person, kind: str, *, percent: int | None = None,
                       minutes: int | None = None, note: str = "") -> None:
        await self._s.execute(insert(ProgressRow).values(task_key=key, person_id=by.id, kind=kind, percent=percent,
                                                         minutes=minutes, note=note, at=self._at()))

    async def list_milestones(self, project: str) -> list[Milestone]:
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

    async def project_summary(self, project: str, *, today: date) -> ProjectSummary:
        proj = await self._s.get(ProjectRow, project)
        if proj is None:
            raise PMSError("unknown_project", project=project)
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
            milestones=tuple(await self.list_milestones(project)),
        )

    async def _load(self, key: str) -> tuple[TaskRow, str | None]:
        if key not in self._loaded:
            # Locked for the rest of the command (PostgreSQL; SQLite's writer lock already serialises): two
            # workers adding hours to one task must not both start from the same old value.
            found = (await self._s.execute(
                select(TaskRow, col(MilestoneRow.name))
                .outerjoin(MilestoneRow, col(MilestoneRow.id) == col(TaskRow.milestone_id))
                .where(col(TaskRow.key) == key)
                .with_for_update(of=TaskRow)
            )).first()
            if found is None:
                raise PMSError("unknown_task", task=key)
            self._loaded[key] = (found[0], found[1])
        return self._loaded[key]

    async def _row(self, key: str) -> TaskRow:
        return (await self._load(key))[0]

    async def _milestone_names(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await self._s.execute(
            select(col(MilestoneRow.id), col(MilestoneRow.name)).where(col(MilestoneRow.id).in_(set(ids)))
        )
        return {int(i or 0): str(n) for i, n in rows.all()}

    async def _to_task(self, row: TaskRow) -> Task:
        if row.key in self._loaded:
            return self._task(row, self._loaded[row.key][1])
        names = await self._milestone_names([row.milestone_id] if row.milestone_id else [])
        return self._task(row, names.get(row.milestone_id or 0))

    @staticmethod
    def _task(row: TaskRow, milestone: str | None) -> Task:
        return Task(
            key=row.key, project=row.project_key, title=row.title, status=row.status, percent=row.percent,
            assignee=row.assignee, due=row.due,
            estimate_h=min_to_hours(row.estimate_min) if row.estimate_min is not None else None,
            spent_h=min_to_hours(row.spent_min), milestone=milestone, blocked_reason=row.blocked_reason,
            updated_at=row.updated_at, created_at=row.created_at,
        )
