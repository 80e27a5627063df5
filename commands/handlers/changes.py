"""Verbs that change a task without reporting progress: assign, comment, due, priority, close, reopen. Each is
for the project's members, names the person in the PMS, and leaves an audit row."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.pms.base import PMS, PRIORITIES, PMSError, TaskEdit
from bot.records import Person, Project, Reply, Task
from commands import model
from commands.handlers.access import assignee_for, audit, find_task, is_member, names_of
from commands.handlers.undo import remember
from commands.natural_dates import natural_date
from commands.ports import CommandError, Context
from commands.views import task_view


async def _member_task(ctx: Context, key: str) -> tuple[Project, Task]:
    project, _, task = await find_task(ctx, key)
    if not is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    return project, task


async def _changed(ctx: Context, task: Task, what: str, **data: object) -> list[Reply]:
    names = await names_of(ctx, [task.assignee])
    return [Reply(kind="task_changed", data={"task": task_view(task, names), "what": what, **data})]


async def assign(ctx: Context, cmd: model.Assign) -> list[Reply]:
    project, task = await _member_task(ctx, cmd.task)
    person = await assignee_for(ctx, cmd.to, project)
    if task.assignee == person.id:
        raise CommandError("already_assigned", task=task.key, person=person.name)
    pms = ctx.pms_for(project)
    updated = await pms.edit_task(task.key, TaskEdit(assignee=person), by=ctx.person)
    await audit(ctx, "pms.assign", task.key, pms=pms.name, to=person.id, before=task.assignee)
    before = (await names_of(ctx, [task.assignee])).get(task.assignee or "", None)
    replies = await _changed(ctx, updated, "assignee", before=before)
    if person.id != ctx.person.id:
        replies.append(Reply(kind="task_assigned", to_person=person.id,
                             data={"task": replies[0].data["task"], "by": ctx.person.name}))
    return replies


async def comment(ctx: Context, cmd: model.Comment) -> list[Reply]:
    project, task = await _member_task(ctx, cmd.task)
    pms = ctx.pms_for(project)
    await pms.comment(task.key, cmd.text, by=ctx.person)
    await audit(ctx, "pms.comment", task.key, pms=pms.name, text=cmd.text)
    return await _changed(ctx, task, "comment", text=cmd.text)


def _due(ctx: Context, cmd: model.SetDue) -> tuple[date, date]:
    """(the due date, the person's today): read on their own day (their timezone), where they have one."""
    if not ctx.person.timezone:
        return cmd.due, ctx.today
    try:
        today = ctx.now.astimezone(ZoneInfo(ctx.person.timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return cmd.due, ctx.today
    return natural_date(cmd.when, today) or cmd.due, today


async def set_due(ctx: Context, cmd: model.SetDue) -> list[Reply]:
    project, task = await _member_task(ctx, cmd.task)
    due, today = _due(ctx, cmd)
    if due < today:
        raise CommandError("due_in_past", due=due.isoformat())
    pms = ctx.pms_for(project)
    updated = await pms.edit_task(task.key, TaskEdit(due=due), by=ctx.person)
    before = task.due.isoformat() if task.due else None
    await audit(ctx, "pms.due", task.key, pms=pms.name, due=due.isoformat(), before=before)
    return await _changed(ctx, updated, "due", before=before, weekday=due.weekday())


def _priority(cmd: model.SetPriority, task: Task) -> str:
    """The priority to set: the one named, or one step from the task's ("优先级调高"), never past either end."""
    if cmd.priority not in ("higher", "lower"):
        return cmd.priority
    now = PRIORITIES.index(task.priority) if task.priority in PRIORITIES else PRIORITIES.index("normal")
    step = now + (1 if cmd.priority == "higher" else -1)
    if not 0 <= step < len(PRIORITIES):
        raise CommandError("priority_at_top" if step > now else "priority_at_bottom", task=task.key)
    return PRIORITIES[step]


async def set_priority(ctx: Context, cmd: model.SetPriority) -> list[Reply]:
    project, task = await _member_task(ctx, cmd.task)
    priority = _priority(cmd, task)
    pms = ctx.pms_for(project)
    updated = await pms.edit_task(task.key, TaskEdit(priority=priority), by=ctx.person)
    await audit(ctx, "pms.priority", task.key, pms=pms.name, priority=priority, before=task.priority)
    return await _changed(ctx, updated, "priority", priority=priority, before=task.priority)


async def close(ctx: Context, cmd: model.Close) -> list[Reply]:
    project, task = await _member_task(ctx, cmd.task)
    if task.status == "done":
        raise CommandError("already_done", task=task.key)
    pms = ctx.pms_for(project)
    updated = await pms.transition(task.key, "done", reason=cmd.note, by=ctx.person)
    await remember(ctx, pms.name, task, updated, "done", None)
    await audit(ctx, "pms.close", task.key, pms=pms.name, note=cmd.note)
    return await _changed(ctx, updated, "closed", text=cmd.note)


async def _reopen_to(pms: PMS, key: str, by: Person) -> str:
    """Back to in progress, or to do where the workflow reopens only to that (Jira's "Reopen" → To Do)."""
    try:
        await pms.check_move(key, "in_progress", by=by)
    except PMSError as exc:
        if exc.code != "transition_not_allowed":
            raise
        await pms.check_move(key, "todo", by=by)
        return "todo"
    return "in_progress"


async def reopen(ctx: Context, cmd: model.Reopen) -> list[Reply]:
    project, task = await _member_task(ctx, cmd.task)
    if task.status != "done":
        raise CommandError("not_closed", task=task.key)
    pms = ctx.pms_for(project)
    target = await _reopen_to(pms, task.key, ctx.person)
    updated = await pms.transition(task.key, target, reason=cmd.note, by=ctx.person)
    await remember(ctx, pms.name, task, updated, "start", None)
    await audit(ctx, "pms.reopen", task.key, pms=pms.name, note=cmd.note)
    return await _changed(ctx, updated, "reopened", text=cmd.note)
