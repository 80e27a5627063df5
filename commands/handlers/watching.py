"""Watching projects: their risks, a risk alert acknowledged or snoozed, a channel subscribed to changes."""

from __future__ import annotations

from datetime import timedelta

from bot.constants import PMS_SCAN_MAX_TASKS
from bot.records import Reply
from commands import model
from commands.filters import FilterError, parse_filter
from commands.handlers.access import MAX_LIST, audit, find_project, is_member, names_of, readable_project
from commands.ports import CommandError, Context
from commands.risk import find_risks
from commands.views import task_view


async def risks(ctx: Context, cmd: model.Risks) -> list[Reply]:
    projects = [await readable_project(ctx, cmd.project)] if cmd.project else await ctx.workspace.projects_of(ctx.person.id)
    found = []
    for project in projects:
        tasks = await ctx.pms_for(project).search_tasks(project=project.key, limit=PMS_SCAN_MAX_TASKS)
        found.extend(find_risks(tasks, today=ctx.today, now=ctx.now))
    names = await names_of(ctx, [r.task.assignee for r in found if r.task is not None])
    return [Reply(kind="risks", data={
        "projects": [p.key for p in projects],
        "risks": [{"kind": r.kind, "days": r.days, "task": task_view(r.task, names)} for r in found[:MAX_LIST]
                  if r.task is not None],
        "more": max(0, len(found) - MAX_LIST),
    })]


async def subscribe(ctx: Context, cmd: model.Subscribe) -> list[Reply]:
    project = await find_project(ctx, cmd.project)
    if not is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    try:
        parsed = parse_filter(cmd.filter, me=ctx.person.id)
    except FilterError as exc:
        raise CommandError("bad_filter", filter=cmd.filter, reason=str(exc)) from None
    if parsed.jql is not None and project.pms != "jira":
        raise CommandError("bad_filter", filter=cmd.filter, reason=f"jql works for Jira projects; {project.key} "
                                                                   f"uses {project.pms}")
    created = await ctx.workspace.subscribe(project=project.key, platform=ctx.platform,
                                            conversation=ctx.conversation, filter=cmd.filter, by=ctx.person.id,
                                            now=ctx.now)
    if created:
        await audit(ctx, "subscribe", project.key, platform=ctx.platform, conversation=ctx.conversation,
                     filter=cmd.filter)
    # A project the gray rollout leaves out gets no notices: said now, not found out after a silent week.
    return [Reply(kind="subscribed", data={"project": project.key, "filter": cmd.filter, "created": created,
                                           "rollout_off": not ctx.feature_on("subscriptions", project.key)})]


ALERT_SNOOZE = timedelta(hours=24)


async def alert_action(ctx: Context, cmd: model.AlertAction) -> list[Reply]:
    until = ctx.now + ALERT_SNOOZE if cmd.action == "snooze" else None
    decided = await ctx.workspace.decide_alert(cmd.alert_id, by=ctx.person.id, action=cmd.action, until=until)
    if decided is None:
        raise CommandError("unknown_alert", id=cmd.alert_id)
    project_key, rule, subject = decided
    project = await find_project(ctx, project_key)
    if not is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)  # rolls the decision back
    await audit(ctx, f"alert.{cmd.action}", f"alert:{cmd.alert_id}", rule=rule, subject=subject)
    data = {"id": cmd.alert_id, "action": cmd.action, "rule": rule, "task": subject, "by": ctx.person.name,
            "until": until.isoformat(timespec="minutes") if until else None}
    return [Reply(kind="alert_decided", data=data, card_ref=f"alert:{cmd.alert_id}", update=True)]
