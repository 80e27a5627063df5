"""Teambition's answers to the chat's task edits and searches, beside bot/pms/teambition.py: its task API as this
connector speaks it takes no files (those go through Teambition's separate upload service) and no edits of
assignee, due date or priority are wired yet, so each is refused with the reason, never half-done; the search
reads the project's tasks (its query language has no title search) and keeps those with every word. Deleting a
work-time entry (an undo) is here too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.constants import PMS_SUMMARY_MAX_TASKS
from bot.pms.base import PMSError, TaskEdit
from bot.pms.remote import having_words
from bot.pms.teambition_wire import is_object_id
from bot.records import Attachment, Person, Task

if TYPE_CHECKING:
    from bot.pms.teambition import TeambitionPMS


def refuse_attach(key: str, file: Attachment, *, by: Person) -> None:
    raise PMSError("attach_not_supported", pms="Teambition", task=key)


def refuse_edit(key: str, edit: TaskEdit, *, by: Person) -> None:
    what = "assignee" if edit.assignee is not None else "due date" if edit.due is not None else "priority"
    raise PMSError("pms_cannot", pms="Teambition", what=what)


async def find_tasks(pms: TeambitionPMS, words: str, *, limit: int) -> list[Task]:
    return having_words(await pms.search_tasks(open_only=False, limit=PMS_SUMMARY_MAX_TASKS), words)[:limit]


async def delete_worklog(pms: TeambitionPMS, key: str, worklog: str, *, by: Person) -> None:
    if not is_object_id(worklog):
        raise PMSError("unknown_task", task=key)
    operator, _ = await pms._operator(by)
    try:
        await pms.c.send("DELETE", f"/worktime/{worklog}", operator=operator, missing=key)
    except PMSError as exc:
        if exc.code != "unknown_task" or await pms.get_task(key) is None:
            raise
        # the task is there and the entry is not: an earlier attempt of this undo deleted it
