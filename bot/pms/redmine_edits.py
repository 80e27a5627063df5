"""Redmine's edits of a task in chat (assignee, due date, priority), its attachments and its text search, beside
bot/pms/redmine.py.

One `PUT /issues/{id}.json` sets the fields with the note, as the person where switch_user allows
(https://www.redmine.org/projects/redmine/wiki/Rest_Issues#Updating-an-issue); Redmine answers 422 with its
reason for an assignee the project cannot take, and the issue is read back after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.pms.base import PMSError, TaskEdit
from bot.pms.remote import edit_note
from bot.records import Attachment, Person, Task

if TYPE_CHECKING:
    from bot.pms.redmine import RedminePMS

# The neutral priorities as Redmine's default data names them (IssuePriority: Low, Normal, High, Urgent, Immediate).
PRIORITY_NAMES = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"}


async def edit_task(pms: RedminePMS, key: str, edit: TaskEdit, *, by: Person) -> Task:
    as_user = await pms._as(by)
    issue = await pms._issue(key, as_user=as_user)
    change: dict[str, Any] = {}
    if edit.assignee is not None:
        user_id = await pms._user_id(edit.assignee.pms_user)
        if user_id is None:
            raise PMSError("assignee_not_linked", person=edit.assignee.name, pms="Redmine")
        change["assigned_to_id"] = user_id
    if edit.due is not None:
        change["due_date"] = edit.due.isoformat()
    if edit.priority is not None:
        priorities = await pms.c.named("/enumerations/issue_priorities.json", "issue_priorities")
        wanted = PRIORITY_NAMES[edit.priority]
        if wanted not in priorities:
            raise PMSError("pms_refused", pms="Redmine", reason=f"no issue priority '{wanted}'")
        change["priority_id"] = priorities[wanted]
    change["notes"] = edit_note(by, edit, edit.assignee.name if edit.assignee else None)
    await pms.c.send("PUT", f"/issues/{issue['id']}.json", json={"issue": change}, missing=key, as_user=as_user)
    return await pms._checked(key, None, None)


async def find_tasks(pms: RedminePMS, words: str, *, limit: int) -> list[Task]:
    text = " ".join(words.split())
    if not text:
        return []
    await pms._ready()
    issues = await pms.c.pages("/issues.json", "issues", {"project_id": pms.identifier, "status_id": "*",
                                                          "subject": f"~{text}", "sort": "due_date,id"}, limit)
    people, logins = await pms._people(), await pms.c.users()
    tasks = [pms._task(i, people, logins) for i in issues]
    return sorted(tasks, key=lambda t: t.status == "done")


async def attach(pms: RedminePMS, key: str, file: Attachment, *, by: Person) -> None:
    """The file uploaded (POST /uploads.json, raw body), then named in an issue update by its token:
    https://www.redmine.org/projects/redmine/wiki/Rest_api#Attaching-files"""
    as_user = await pms._as(by)
    issue = await pms._issue(key, as_user=as_user)
    body = await pms.c.send("POST", "/uploads.json", params={"filename": file.name}, content=file.data,
                            as_user=as_user)
    change: dict[str, Any] = {"uploads": [{"token": str(body["upload"]["token"]), "filename": file.name,
                                           "content_type": file.content_type}]}
    if as_user is None:
        change["notes"] = f"{by.name}: {file.name}"
    await pms.c.send("PUT", f"/issues/{issue['id']}.json", json={"issue": change}, missing=key, as_user=as_user)
