"""Jira's edits of a task in chat (assignee, due date, priority) and its text search, beside bot/pms/jira.py.

One `PUT /issue/{key}` sets the fields and adds the comment naming who asked, as that person when they linked their
Jira (bot/pms/jira_people.py), so the edit and its note land together or not at all (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-put).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.pms.base import PMSError, TaskEdit
from bot.pms.jira_shapes import jql_string
from bot.pms.remote import edit_note
from bot.records import Attachment, Person, Task

if TYPE_CHECKING:
    from bot.pms.jira import JiraClient, JiraPMS

_ACCOUNT_ID_RE = re.compile(r"^[0-9a-f]{24}$|^[0-9]+:[0-9a-f-]{20,}$")  # Atlassian account ids, old and new

# The neutral priorities as Jira's default scheme names them.
PRIORITY_NAMES = {"low": "Low", "normal": "Medium", "high": "High", "urgent": "Highest"}
# Characters Jira's text search (Lucene) reads as syntax: dropped from the words, which are searched as text.
_LUCENE = re.compile(r'[+\-&|!(){}\[\]^"~*?\\/:]')


async def edit_task(pms: JiraPMS, key: str, edit: TaskEdit, *, by: Person) -> Task:
    await pms._task_or_fail(key)
    fields: dict[str, Any] = {}
    if edit.assignee is not None:
        user = await pms.c.user_id(edit.assignee.pms_user) if edit.assignee.pms_user else None
        if user is None:
            raise PMSError("assignee_not_linked", person=edit.assignee.name, pms="Jira")
        fields["assignee"] = {"accountId": user} if pms.c.cloud else {"name": user}
    if edit.due is not None:
        fields["duedate"] = edit.due.isoformat()
    if edit.priority is not None:
        fields["priority"] = {"name": PRIORITY_NAMES[edit.priority]}
    note = edit_note(by, edit, edit.assignee.name if edit.assignee else None)
    await pms.c.send("PUT", f"/issue/{pms._jira(key)}", missing=key, by=by, wrote=pms.wrote, json={
        "fields": fields, "update": {"comment": [{"add": {"body": pms._text(note)}}]}})
    return await pms._task_or_fail(key)


async def find_tasks(pms: JiraPMS, words: str, *, limit: int) -> list[Task]:
    text = " ".join(_LUCENE.sub(" ", words).split())
    if not text:
        return []
    jql = f'project = "{pms.jira_key}" AND summary ~ "{jql_string(text)}" ORDER BY duedate ASC, key ASC'
    people = await pms._people()
    tasks = [pms._task(i, people) for i in await pms.c.search(jql, pms.c.fields, limit)]
    return sorted(tasks, key=lambda t: t.status == "done")


async def attach(pms: JiraPMS, key: str, file: Attachment, *, by: Person) -> None:
    """POST /issue/{key}/attachments, multipart field `file` (spec: addAttachment): as the person when they
    linked their Jira, else by the bot's account."""
    await pms.c.send("POST", f"/issue/{pms._jira(key)}/attachments", missing=key, by=by, wrote=pms.wrote,
                     files={"file": (file.name, file.data, file.content_type)})


async def user_id(client: JiraClient, handle: str) -> str | None:
    if not client.cloud or _ACCOUNT_ID_RE.match(handle):
        return handle

    async def lookup() -> str | None:
        found = await client.get("/user/search", {"query": handle})
        for user in found if isinstance(found, list) else []:
            if str(user.get("emailAddress", "")).casefold() == handle.casefold() or len(found) == 1:
                return str(user.get("accountId"))
        return None
    return await client.users.get(handle.casefold(), lookup)
