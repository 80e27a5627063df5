"""Verbs that find tasks: `tasks` with filters and `search <words>`, a page at a time, over the projects the
person may read."""

from __future__ import annotations

from datetime import timedelta

from bot.constants import PMS_SUMMARY_MAX_TASKS
from bot.records import Project, Reply, Task
from commands import model
from commands.handlers.access import names_of, readable_project
from commands.ports import Context
from commands.views import task_buttons, task_view

PAGE_SIZE = 10  # tasks on one page of a list: a compact card on every platform
SEARCH_PAGES = 10  # a search reads this many pages' worth per project at once (one PMS request of 100)


async def _projects(ctx: Context, key: str | None) -> list[Project]:
    if key is not None:
        return [await readable_project(ctx, key)]
    return await ctx.workspace.projects_of(ctx.person.id)


def _keep(task: Task, filters: tuple[model.TaskFilter, ...], ctx: Context) -> bool:
    week_end = ctx.today + timedelta(days=6 - ctx.today.weekday())
    checks = {
        "mine": task.assignee == ctx.person.id,
        "overdue": task.status != "done" and task.due is not None and task.due < ctx.today,
        "blocked": task.status == "blocked",
        "week": task.status != "done" and task.due is not None and ctx.today <= task.due <= week_end,
        "todo": task.status == "todo", "in_progress": task.status == "in_progress", "done": task.status == "done",
    }
    return all(checks[f] for f in filters)


async def _page(ctx: Context, tasks: list[Task], page: int, **data: object) -> list[Reply]:
    pages = max(1, -(-len(tasks) // PAGE_SIZE))
    shown = tasks[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    names = await names_of(ctx, [t.assignee for t in shown])
    return [Reply(kind="task_list", data={
        "tasks": [task_view(t, names) for t in shown], "total": len(tasks), "page": page, "pages": pages, **data},
        actions=task_buttons([t.key for t in shown]))]


async def list_tasks(ctx: Context, cmd: model.Tasks) -> list[Reply]:
    found: list[Task] = []
    capped = False
    assignee = ctx.person if "mine" in cmd.filters else None
    for project in await _projects(ctx, cmd.project):
        some = await ctx.pms_for(project).search_tasks(project=project.key, assignee=assignee,
                                                       open_only="done" not in cmd.filters, limit=PMS_SUMMARY_MAX_TASKS)
        capped = capped or len(some) >= PMS_SUMMARY_MAX_TASKS
        found += [t for t in some if _keep(t, cmd.filters, ctx)]
    words = " ".join([*cmd.filters, *([cmd.project] if cmd.project else [])])
    return await _page(ctx, found, cmd.page, search=None, project=cmd.project, filters=list(cmd.filters),
                       capped=capped, next=" ".join(["tasks", *([words] if words else []), f"page {cmd.page + 1}"]))


async def search_tasks(ctx: Context, cmd: model.Search) -> list[Reply]:
    found: list[Task] = []
    capped = False
    limit = PAGE_SIZE * max(cmd.page, SEARCH_PAGES)
    for project in await ctx.workspace.projects_of(ctx.person.id):
        some = await ctx.pms_for(project).find_tasks(project.key, cmd.words, limit=limit)
        capped = capped or len(some) >= limit
        found += some
    return await _page(ctx, found, cmd.page, search=cmd.words, project=None, filters=[], capped=capped,
                       next=f"search {cmd.words} page {cmd.page + 1}")
