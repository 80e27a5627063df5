"""Exactly-once writes to a remote PMS across retries of one command.

A command such as `done PUMP-12 2h fixed` makes several writes (work log, comment, transition). When the PMS
stops answering half-way, the command is retried later; the writes that already succeeded are recorded here
(and kept with the inbox event) so the retry returns their results instead of making them again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.pms.base import PMS
from bot.records import Milestone, Person, ProjectSummary, Task

NOTICE = "notice"  # the step that records "the person was told their command is queued"


def task_to_json(task: Task) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in asdict(task).items():
        out[name] = value.isoformat() if isinstance(value, (date, datetime)) else (
            str(value) if isinstance(value, Decimal) else value)
    return out


def task_from_json(data: dict[str, Any]) -> Task:
    def day(v: Any) -> date | None:
        return date.fromisoformat(v) if v else None

    def when(v: Any) -> datetime | None:
        return datetime.fromisoformat(v) if v else None

    updated = when(data["updated_at"])
    assert updated is not None
    return Task(key=data["key"], project=data["project"], title=data["title"], status=data["status"],
                percent=int(data["percent"]), assignee=data["assignee"], due=day(data["due"]),
                estimate_h=Decimal(data["estimate_h"]) if data["estimate_h"] is not None else None,
                spent_h=Decimal(data["spent_h"]), milestone=data["milestone"], blocked_reason=data["blocked_reason"],
                updated_at=updated, created_at=when(data.get("created_at")))


class Journal:
    """The steps of one inbox event: `done` loaded from earlier attempts, `new` made in this one."""

    def __init__(self, done: dict[str, Any] | None = None) -> None:
        self.done = dict(done or {})
        self.new: dict[str, Any] = {}
        self._seen: Counter[str] = Counter()

    def step(self, pms: str, method: str, key: str) -> str:
        base = f"{pms}:{method}:{key}"
        self._seen[base] += 1
        return f"{base}#{self._seen[base]}"

    def result(self, step: str) -> tuple[bool, Any]:
        if step in self.new:
            return True, self.new[step]
        if step in self.done:
            return True, self.done[step]
        return False, None

    def record(self, step: str, value: Any) -> None:
        self.new[step] = value

    def restart(self) -> None:
        """The command runs again from the top in this attempt (it needed the write transaction)."""
        self._seen.clear()

    def wrap(self, pms: PMS) -> PMS:
        return JournaledPMS(pms, self)


class JournaledPMS:
    """A remote PMS whose writes are looked up in the journal before they are made."""

    def __init__(self, pms: PMS, journal: Journal) -> None:
        self.inner = pms
        self.journal = journal
        self.name = pms.name

    async def get_task(self, key: str) -> Task | None:
        return await self.inner.get_task(key)

    async def search_tasks(self, *, project: str | None = None, assignee: Person | None = None,
                           open_only: bool = True, limit: int = 50) -> list[Task]:
        return await self.inner.search_tasks(project=project, assignee=assignee, open_only=open_only, limit=limit)

    async def list_milestones(self, project: str) -> list[Milestone]:
        return await self.inner.list_milestones(project)

    async def project_summary(self, project: str, *, today: date) -> ProjectSummary:
        return await self.inner.project_summary(project, today=today)

    async def create_task(self, project: str, title: str, *, assignee: Person | None, due: date | None,
                          by: Person) -> Task:
        step = self.journal.step(self.name, "create", f"{project}:{title}")
        found, value = self.journal.result(step)
        if found:
            return task_from_json(value)
        task = await self.inner.create_task(project, title, assignee=assignee, due=due, by=by)
        self.journal.record(step, task_to_json(task))
        return task

    async def report_progress(self, key: str, *, percent: int | None, note: str, hours: Decimal | None,
                              by: Person) -> Task:
        step = self.journal.step(self.name, "report", key)
        found, value = self.journal.result(step)
        if found:
            return task_from_json(value)
        task = await self.inner.report_progress(key, percent=percent, note=note, hours=hours, by=by)
        self.journal.record(step, task_to_json(task))
        return task

    async def transition(self, key: str, status: str, *, reason: str, by: Person) -> Task:
        step = self.journal.step(self.name, f"transition:{status}", key)
        found, value = self.journal.result(step)
        if found:
            return task_from_json(value)
        task = await self.inner.transition(key, status, reason=reason, by=by)
        self.journal.record(step, task_to_json(task))
        return task

    async def comment(self, key: str, body: str, *, by: Person) -> None:
        step = self.journal.step(self.name, "comment", key)
        if self.journal.result(step)[0]:
            return
        await self.inner.comment(key, body, by=by)
        self.journal.record(step, None)

    async def log_work(self, key: str, hours: Decimal, *, note: str, by: Person) -> None:
        step = self.journal.step(self.name, "worklog", key)
        if self.journal.result(step)[0]:
            return
        await self.inner.log_work(key, hours, note=note, by=by)
        self.journal.record(step, None)
