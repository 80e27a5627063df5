"""The built-in PMS: tasks, milestones and progress history in our own database (bot/store/tasks.py).

It works inside the caller's transaction, so a command's PMS write, its audit row and its replies
commit together or not at all.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bot.clocks import Clock
from bot.pms.base import STATUSES, PMSError, TaskEdit, Written
from bot.pms.capabilities import conformance
from bot.pms.remote import edit_note
from bot.records import Attachment, Milestone, Person, ProjectSummary, Task
from bot.store.db import StoreSession
from bot.store.task_files import TaskFiles
from bot.store.tasks import Tasks


def hours_to_min(hours: Decimal) -> int:
    return int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))

CAPABILITIES = conformance(
    "local", attachments="tests/test_attachments.py::test_on_the_built_in_store_the_photo_shows_on_the_task_page")


class LocalPMS:
    name = "local"

    def __init__(self, session: StoreSession, *, clock: Clock) -> None:
        self._tasks = Tasks(session, clock=clock)
        self._files = TaskFiles(session)
        self._clock = clock

    async def get_task(self, key: str) -> Task | None:
        return await self._tasks.locked(key)

    async def search_tasks(
        self, *, project: str | None = None, assignee: Person | None = None, open_only: bool = True, limit: int = 50
    ) -> list[Task]:
        return await self._tasks.search(project=project, assignee=assignee.id if assignee else None,
                                        open_only=open_only, limit=limit)

    async def create_task(
        self, project: str, title: str, *, assignee: Person | None, due: date | None, by: Person
    ) -> Task:
        task = await self._tasks.create(project, title, assignee=assignee.id if assignee else None, due=due)
        if task is None:
            raise PMSError("unknown_project", project=project)
        await self._tasks.add_history(task.key, by=by.id, kind="create", note=title)
        return task

    async def report_progress(
        self, key: str, *, percent: int | None, note: str, hours: Decimal | None, by: Person
    ) -> Written:
        task = await self._task(key)
        status, blocked_reason = task.status, task.blocked_reason
        if status == "done" and percent is not None and percent < 100:
            status = "in_progress"
        if percent is not None:
            if percent == 100:
                status = "done"
            elif status == "todo" and percent > 0:  # as remote.reopen_or_start: 0% starts nothing, a blocker stays
                status, blocked_reason = "in_progress", None
        minutes = hours_to_min(hours) if hours is not None else None
        changed = await self._tasks.change(key, status=status, blocked_reason=blocked_reason,
                                           percent=task.percent if percent is None else percent, add_min=minutes or 0)
        entry = await self._tasks.add_history(key, by=by.id, kind="report", percent=percent, minutes=minutes,
                                              note=note)
        return Written.of(changed, str(entry) if minutes else None)

    async def transition(self, key: str, status: str, *, reason: str, by: Person) -> Task:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        task = await self._task(key)
        changed = await self._tasks.change(key, status=status, blocked_reason=reason if status == "blocked" else None,
                                           percent=100 if status == "done" else task.percent)
        await self._tasks.add_history(key, by=by.id, kind=status, note=reason)
        return changed

    async def check_move(self, key: str, status: str, *, by: Person) -> None:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        await self._task(key)  # every move is allowed here

    async def comment(self, key: str, body: str, *, by: Person) -> None:
        await self._task(key)
        await self._tasks.add_history(key, by=by.id, kind="comment", note=body)

    async def log_work(self, key: str, hours: Decimal, *, note: str, by: Person) -> str:
        task = await self._task(key)
        minutes = hours_to_min(hours)
        await self._tasks.change(key, status=task.status, blocked_reason=task.blocked_reason, percent=task.percent,
                                 add_min=minutes)
        return str(await self._tasks.add_history(key, by=by.id, kind="worklog", minutes=minutes, note=note))

    async def delete_worklog(self, key: str, worklog: str, *, by: Person) -> None:
        task = await self._task(key)
        taken = await self._tasks.take_minutes(key, int(worklog)) if worklog.isdigit() else 0
        if taken:
            await self._tasks.change(key, status=task.status, blocked_reason=task.blocked_reason,
                                     percent=task.percent, add_min=-taken)

    async def attach(self, key: str, file: Attachment, *, by: Person) -> None:
        await self._task(key)
        file_id = await self._files.add(key, file, person_id=by.id, now=self._clock.now())
        await self._tasks.add_history(key, by=by.id, kind="attach", note=f"{file.name} (#{file_id})")

    async def edit_task(self, key: str, edit: TaskEdit, *, by: Person) -> Task:
        await self._task(key)
        changed = await self._tasks.edit(key, assignee=edit.assignee.id if edit.assignee else None, due=edit.due,
                                         priority=edit.priority)
        await self._tasks.add_history(key, by=by.id, kind="edit",
                                      note=edit_note(by, edit, edit.assignee.name if edit.assignee else None))
        return changed

    async def find_tasks(self, project: str, words: str, *, limit: int) -> list[Task]:
        return await self._tasks.find(project, words.split(), limit=limit)

    async def list_milestones(self, project: str) -> list[Milestone]:
        return await self._tasks.milestones(project)

    async def project_summary(self, project: str, *, today: date) -> ProjectSummary:
        summary = await self._tasks.summary(project, today=today)
        if summary is None:
            raise PMSError("unknown_project", project=project)
        return summary

    async def _task(self, key: str) -> Task:
        task = await self._tasks.locked(key)
        if task is None:
            raise PMSError("unknown_task", task=key)
        return task
