"""Links to the web pages: a task's phone page, a project's dashboard, the admin pages."""

from __future__ import annotations

from bot.records import Reply
from commands import model
from commands.handlers.access import audit, find_project, is_member, names_of, writable_task
from commands.ports import CommandError, Context, Links
from commands.views import task_view


def _links(ctx: Context) -> Links:
    if ctx.links is None:
        raise CommandError("web_off")
    return ctx.links


async def field_link(ctx: Context, cmd: model.FieldLink) -> list[Reply]:
    """A link for reporting on the task from a phone (and its QR code, to print on a work order); it acts as
    the person who asked for it, with their permissions."""
    _, task = await writable_task(ctx, cmd.task)
    url = _links(ctx).field(task.key, ctx.person.id)
    await audit(ctx, "web.field_link", task.key)
    # It acts as the person: to their own conversations, never a group chat.
    return [Reply(kind="field_link", to_person=ctx.person.id, data={
                "task": task_view(task, await names_of(ctx, [task.assignee])), "url": url, "qr": f"{url}/qr.svg"}),
            Reply(kind="sent_privately", data={"field": True})]


async def dashboard_link(ctx: Context, cmd: model.DashboardLink) -> list[Reply]:
    project = await find_project(ctx, cmd.project)
    if not is_member(ctx.person, project):
        raise CommandError("dashboard_not_member", project=project.key)  # a view, not a change of its tasks
    return [Reply(kind="dashboard_link", data={"project": project.key, "name": project.name,
                                               "url": _links(ctx).dashboard(project.key)})]


async def jira_link(ctx: Context, cmd: model.LinkJira) -> list[Reply]:
    """A link to the page that lets pmsbot write in Jira as this person; to their own conversations only."""
    url = _links(ctx).jira(ctx.person.id)
    await audit(ctx, "web.jira_link", ctx.person.id)
    return [Reply(kind="jira_link", to_person=ctx.person.id, data={"url": url}),
            Reply(kind="sent_privately", data={})]


async def admin_link(ctx: Context, cmd: model.AdminLink) -> list[Reply]:
    if "admin" not in ctx.person.roles:
        raise CommandError("not_admin")
    url = _links(ctx).admin(ctx.person.id, locale=ctx.person.locale)
    await audit(ctx, "web.admin_link", ctx.person.id)
    # A login link never goes to a group chat: to the admin's own conversations, and a note here.
    return [Reply(kind="admin_link", to_person=ctx.person.id, data={"url": url}),
            Reply(kind="sent_privately", data={})]
