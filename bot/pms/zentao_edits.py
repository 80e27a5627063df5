"""Zentao's edits of a task in chat, beside bot/pms/zentao.py: the assignee by the `assignto` action (with the
note naming the person: Zentao has no comment route), the deadline by `PUT /tasks/:id`, read back after, since
Zentao answers 200 with the task even when it refused the edit (api/v1/entries/task.php put(), see
tests/fakes/zentao.py). The priority is not among the fields that call copies: refused, not faked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.constants import PMS_SUMMARY_MAX_TASKS
from bot.pms.base import PMSError, TaskEdit
from bot.pms.remote import edit_note, having_words
from bot.records import Person, Task

if TYPE_CHECKING:
    from bot.pms.zentao import ZentaoPMS


async def edit_task(pms: ZentaoPMS, key: str, edit: TaskEdit, *, by: Person) -> Task:
    if edit.priority is not None:
        raise PMSError("pms_cannot", pms="Zentao", what="priority")
    raw = await pms._raw(key)
    if edit.assignee is not None:
        if not edit.assignee.pms_user:
            raise PMSError("assignee_not_linked", person=edit.assignee.name, pms="Zentao")
        left = float(raw.get("left") or 0)
        if left <= 0:  # Zentao's assign form requires the hours left; inventing some would be a wrong write
            raise PMSError("pms_refused", pms="Zentao", reason=f"{key} has no hours left to hand over: set them first")
        await pms._act(raw, "assignto", {"assignedTo": edit.assignee.pms_user, "left": left,
                                         "comment": edit_note(by, edit, edit.assignee.name)}, key)
    if edit.due is not None:
        await pms.c.send("PUT", f"/tasks/{raw['id']}", json={"deadline": edit.due.isoformat()}, missing=key)
    task = await pms._task_or_fail(key)
    if edit.due is not None and task.due != edit.due:
        raise PMSError("pms_refused", pms="Zentao", reason=f"the deadline {edit.due.isoformat()} was not taken")
    return task


async def find_tasks(pms: ZentaoPMS, words: str, *, limit: int) -> list[Task]:
    """Zentao's REST API v1 has no search: the titles of the project's tasks, read in pages, are searched here."""
    return having_words(await pms.search_tasks(open_only=False, limit=PMS_SUMMARY_MAX_TASKS), words)[:limit]
