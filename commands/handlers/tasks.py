"""Task verbs: status, my, report, done, block, new."""

from __future__ import annotations

from bot.records import Person, Reply, Task
from commands import model
from commands.handlers.access import (
    MAX_LIST,
    assignee_for,
    audit,
    find_project,
    find_task,
    is_member,
    names_of,
    readable_project,
    writable_task,
)
from commands.handlers.undo import remember
from commands.ports import CommandError, Context
from commands.views import task_view


async def status(ctx: Context, cmd: model.Status) -> list[Reply]:
    if "-" in cmd.target:
        await readable_project(ctx, cmd.target.rsplit("-", 1)[0])
        _, _, task = await find_task(ctx, cmd.target)
        names = await names_of(ctx, [task.assignee])
        return [Reply(kind="task_status", data={"task": task_view(task, names)})]
    project = await readable_project(ctx, cmd.target)
    pms = ctx.pms_for(project)
    if cmd.milestone:
        wanted = cmd.milestone.casefold()
        milestones = [m for m in await pms.list_milestones(project.key) if m.name.casefold() == wanted]
        if not milestones:
            raise CommandError("unknown_milestone", project=project.key, milestone=cmd.milestone)
        m = milestones[0]
        return [Reply(kind="milestone_status", data={
            "project": project.key, "name": m.name, "due": m.due.isoformat() if m.due else None,
            "percent": m.percent, "tasks_total": m.tasks_total, "tasks_done": m.tasks_done,
        })]
    summary = await pms.project_summary(project.key, today=ctx.today)
    return [Reply(kind="project_status", data={
        "key": project.key, "name": summary.name, "percent": summary.percent,
        "tasks_total": summary.tasks_total, "tasks_done": summary.tasks_done,
        "tasks_blocked": summary.tasks_blocked, "tasks_overdue": summary.tasks_overdue,
        "milestones": [
            {"name": m.name, "due": m.due.isoformat() if m.due else None, "percent": m.percent,
             "tasks_total": m.tasks_total, "tasks_done": m.tasks_done}
            for m in summary.milestones
        ],
    })]


async def my_tasks(ctx: Context, cmd: model.MyTasks) -> list[Reply]:
    tasks: list[Task] = []
    for project in await ctx.workspace.projects_of(ctx.person.id):
        tasks.extend(await ctx.pms_for(project).search_tasks(project=project.key, assignee=ctx.person))
    names = await names_of(ctx, [t.assignee for t in tasks])
    return [Reply(kind="my_tasks", data={
        "tasks": [task_view(t, names) for t in tasks[:MAX_LIST]], "more": max(0, len(tasks) - MAX_LIST),
    })]


async def report(ctx: Context, cmd: model.Report) -> list[Reply]:
    pms, task = await writable_task(ctx, cmd.task)
    if cmd.percent is None and not cmd.note and cmd.hours is None:
        raise CommandError("nothing_to_report", task=cmd.task)
    before = task.percent
    updated = await pms.report_progress(task.key, percent=cmd.percent, note=cmd.note, hours=cmd.hours, by=ctx.person)
    await remember(ctx, pms.name, task, updated, "report", updated.worklog, hours=cmd.hours)
    await audit(ctx, "pms.report", task.key, pms=pms.name, percent=cmd.percent, before=before,
                 hours=str(cmd.hours) if cmd.hours is not None else None, note=cmd.note)
    names = await names_of(ctx, [updated.assignee])
    return [Reply(kind="progress_reported", data={
        "task": task_view(updated, names), "before": before, "hours": str(cmd.hours) if cmd.hours else None,
        "note": cmd.note,
    })]


async def done(ctx: Context, cmd: model.Done) -> list[Reply]:
    pms, task = await writable_task(ctx, cmd.task)
    if task.status == "done":
        raise CommandError("already_done", task=task.key)
    worklog = None
    if cmd.hours is not None:
        await pms.check_move(task.key, "done", by=ctx.person)  # a refused move must not leave hours logged
        worklog = await pms.log_work(task.key, cmd.hours, note=cmd.note, by=ctx.person)
    # The note rides on the transition (a comment on it, in every PMS), not as a comment of its own as well.
    updated = await pms.transition(task.key, "done", reason=cmd.note, by=ctx.person)
    await remember(ctx, pms.name, task, updated, "done", worklog, hours=cmd.hours)
    await audit(ctx, "pms.done", task.key, pms=pms.name, note=cmd.note,
                 hours=str(cmd.hours) if cmd.hours is not None else None)
    names = await names_of(ctx, [updated.assignee])
    return [Reply(kind="task_done", data={"task": task_view(updated, names)})]


async def block(ctx: Context, cmd: model.Block) -> list[Reply]:
    pms, task = await writable_task(ctx, cmd.task)
    if task.status == "done":
        raise CommandError("already_done", task=task.key)
    updated = await pms.transition(task.key, "blocked", reason=cmd.reason, by=ctx.person)
    await remember(ctx, pms.name, task, updated, "block", None)
    await audit(ctx, "pms.block", task.key, pms=pms.name, reason=cmd.reason)
    names = await names_of(ctx, [updated.assignee])
    return [Reply(kind="task_blocked", data={"task": task_view(updated, names), "reason": cmd.reason})]


async def new(ctx: Context, cmd: model.New) -> list[Reply]:
    project = await find_project(ctx, cmd.project)
    if not is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    assignee: Person | None = None
    if cmd.assignee:  # a name several people share is asked about, never guessed
        assignee = await assignee_for(ctx, cmd.assignee, project)
    if cmd.due is not None and cmd.due < ctx.today:
        raise CommandError("due_in_past", due=cmd.due.isoformat())
    pms = ctx.pms_for(project)
    task = await pms.create_task(project.key, cmd.title, assignee=assignee, due=cmd.due, by=ctx.person)
    await audit(ctx, "pms.create", task.key, pms=pms.name, title=cmd.title,
                 assignee=assignee.id if assignee else None, due=cmd.due.isoformat() if cmd.due else None)
    names = await names_of(ctx, [task.assignee])
    replies = [Reply(kind="task_created", data={"task": task_view(task, names)})]
    if assignee is not None and assignee.id != ctx.person.id:
        replies.append(Reply(kind="task_assigned", to_person=assignee.id,
                             data={"task": task_view(task, names), "by": ctx.person.name}))
    return replies
