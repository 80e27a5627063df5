"""Writes for `pmsbot demo --history`: whole projects with a past (their rows, people, milestones, tasks in their
final state and each finish in the progress history), as sets. Nothing else writes this way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.store.models import MembershipRow, MilestoneRow, ProgressRow, ProjectRow, TaskRow


@dataclass(frozen=True, kw_only=True)
class SeedTask:
    number: int
    title: str
    status: str
    percent: int
    assignee: str | None
    due: date | None
    estimate_min: int | None
    spent_min: int
    milestone: str | None
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class SeedProject:
    key: str
    name: str
    department: str | None
    tags: tuple[str, ...]
    members: tuple[str, ...]
    read: str = "members"
    milestones: tuple[tuple[str, date | None], ...] = ()
    tasks: tuple[SeedTask, ...] = ()


async def existing_projects(s: AsyncSession, keys: list[str]) -> set[str]:
    rows = await s.execute(select(col(ProjectRow.key)).where(col(ProjectRow.key).in_(keys)))
    return {str(k) for k in rows.scalars()}


async def add_projects(s: AsyncSession, projects: list[SeedProject]) -> int:
    """The projects and everything in them; returns the tasks written."""
    if not projects:
        return 0
    await s.execute(insert(ProjectRow), [
        {"key": p.key, "name": p.name, "pms": "local", "next_task_no": len(p.tasks) + 1, "read_access": p.read,
         "department": p.department, "tags": list(p.tags)} for p in projects])
    await s.execute(insert(MembershipRow), [{"project_key": p.key, "person_id": m, "role": "member"}
                                            for p in projects for m in p.members])
    milestone_ids: dict[tuple[str, str], int] = {}
    for p in projects:
        rows = [MilestoneRow(project_key=p.key, name=name, due=due) for name, due in p.milestones]
        s.add_all(rows)
        await s.flush()
        milestone_ids.update({(p.key, r.name): int(r.id or 0) for r in rows})
    tasks = [{"key": f"{p.key}-{t.number}", "project_key": p.key, "number": t.number, "title": t.title,
              "status": t.status, "percent": t.percent, "assignee": t.assignee, "due": t.due,
              "estimate_min": t.estimate_min, "spent_min": t.spent_min,
              "milestone_id": milestone_ids.get((p.key, t.milestone)) if t.milestone else None,
              "blocked_reason": "waiting for parts" if t.status == "blocked" else None,
              "created_at": t.created_at, "updated_at": t.updated_at} for p in projects for t in p.tasks]
    for start in range(0, len(tasks), 500):
        await s.execute(insert(TaskRow), tasks[start:start + 500])
    done = [{"task_key": f"{p.key}-{t.number}", "person_id": t.assignee, "kind": "done", "percent": None,
             "minutes": None, "note": "", "at": t.done_at} for p in projects for t in p.tasks if t.done_at]
    for start in range(0, len(done), 500):
        await s.execute(insert(ProgressRow), done[start:start + 500])
    return len(tasks)
