"""What every handler asks first: the project or task, whether the person may read or write it, people's
names; and the audit row it leaves."""

from __future__ import annotations

from typing import Any

from bot.pms.base import PMS
from bot.records import Person, Project, Task
from commands.ports import CommandError, Context
from commands.readers import is_member as is_member
from commands.readers import may_read

MAX_LIST = 20  # rows in a chat list; longer lists say how many more there are
MAX_CANDIDATES = 5  # people named in an "ambiguous name" answer


async def find_project(ctx: Context, key: str) -> Project:
    project = await ctx.workspace.project(key)
    if project is None:
        raise CommandError("unknown_project", project=key)
    return project


async def readable_project(ctx: Context, key: str) -> Project:
    """A project the person may read: its members, approvers and admins, or everyone if it says so."""
    project = await find_project(ctx, key)
    if not may_read(ctx.person, project):
        admins = [a.name for a in await ctx.workspace.people_with_role("admin")]
        raise CommandError("not_reader", project=project.key, grant=", ".join(admins[:3]) or "-")
    return project


async def find_task(ctx: Context, key: str) -> tuple[Project, PMS, Task]:
    project = await find_project(ctx, key.rsplit("-", 1)[0])
    pms = ctx.pms_for(project)
    task = await pms.get_task(key)
    if task is None:
        raise CommandError("unknown_task", task=key)
    return project, pms, task


async def writable_task(ctx: Context, key: str) -> tuple[PMS, Task]:
    project, pms, task = await find_task(ctx, key)
    if not is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    return pms, task


async def assignee_for(ctx: Context, ref: str, project: Project) -> Person:
    """The one person `ref` names; asked about, never guessed, when it names several."""
    people = await ctx.workspace.find_people(ref)
    if not people:
        raise CommandError("unknown_person", person=ref)
    if len(people) > 1:
        members = [p for p in people if is_member(p, project)]
        if len(members) != 1:
            shown = ", ".join(f"{p.name} ({p.id})" for p in people[:MAX_CANDIDATES])
            raise CommandError("ambiguous_person", person=ref, candidates=shown)
        people = members
    if not is_member(people[0], project):
        raise CommandError("assignee_not_member", person=people[0].name, project=project.key)
    return people[0]


async def names_of(ctx: Context, ids: list[str | None]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pid in {i for i in ids if i}:
        person = await ctx.workspace.person(pid)
        out[pid] = person.name if person else pid
    return out


async def audit(ctx: Context, action: str, subject: str, /, **detail: Any) -> None:
    await ctx.workspace.audit(actor=ctx.person.id, action=action, subject=subject, detail=detail, now=ctx.now)
