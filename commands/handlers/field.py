"""The field language's own verbs: unblock, start, and the confirmation asked for a write the words did not make
certain. `several` and the confirmed `apply` run each write through its own handler (commands/handlers/__init__.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.records import Action, Reply
from commands import model
from commands.handlers.access import audit, names_of, writable_task
from commands.handlers.undo import remember
from commands.ports import CommandError, Context
from commands.views import task_view


async def unblock(ctx: Context, cmd: model.Unblock) -> list[Reply]:
    pms, task = await writable_task(ctx, cmd.task)
    if task.status != "blocked":
        raise CommandError("not_blocked", task=task.key)
    updated = await pms.transition(task.key, "in_progress", reason=cmd.note, by=ctx.person)
    await audit(ctx, "pms.unblock", task.key, pms=pms.name, note=cmd.note, reason=task.blocked_reason)
    await remember(ctx, pms.name, task, updated, "unblock", None)
    names = await names_of(ctx, [updated.assignee])
    return [Reply(kind="task_unblocked", data={"task": task_view(updated, names), "reason": task.blocked_reason})]


async def start(ctx: Context, cmd: model.Start) -> list[Reply]:
    pms, task = await writable_task(ctx, cmd.task)
    if task.status == "done":
        raise CommandError("already_done", task=task.key)
    if task.status == "blocked":
        raise CommandError("still_blocked", task=task.key, reason=task.blocked_reason or "-")
    names = await names_of(ctx, [task.assignee])
    if task.status == "in_progress":
        return [Reply(kind="task_started", data={"task": task_view(task, names), "already": True})]
    updated = await pms.transition(task.key, "in_progress", reason=cmd.note, by=ctx.person)
    await audit(ctx, "pms.start", task.key, pms=pms.name, note=cmd.note)
    await remember(ctx, pms.name, task, updated, "start", None)
    return [Reply(kind="task_started", data={"task": task_view(updated, names), "already": False})]


def as_payload(write: model.FieldWrite) -> dict[str, Any]:
    """A write kept in a proposal until the person confirms it."""
    hours = getattr(write, "hours", None)
    return {"verb": type(write).__name__.lower(), "task": write.task, "percent": getattr(write, "percent", None),
            "hours": str(hours) if hours is not None else None, "note": getattr(write, "note", ""),
            "reason": getattr(write, "reason", "")}


def from_payload(item: dict[str, Any]) -> model.FieldWrite:
    """The write a confirmed proposal holds; a standup's proposal (no "verb") is a progress report."""
    task, note = str(item["task"]), str(item.get("note", ""))
    hours = Decimal(str(item["hours"])) if item.get("hours") is not None else None
    verb = item.get("verb", "report")
    if verb == "done":
        return model.Done(task=task, note=note, hours=hours)
    if verb == "block":
        return model.Block(task=task, reason=str(item.get("reason", "")))
    if verb == "unblock":
        return model.Unblock(task=task, note=note)
    if verb == "start":
        return model.Start(task=task, note=note)
    percent = item.get("percent")
    return model.Report(task=task, percent=int(percent) if percent is not None else None, note=note, hours=hours)


async def confirm(ctx: Context, cmd: model.Confirm) -> list[Reply]:
    """Nothing is written: the reading is shown with a button (or `apply N`) to write it as shown."""
    for write in cmd.items:
        await writable_task(ctx, write.task)  # refuse now what could never be applied
    payload = [as_payload(write) for write in cmd.items]
    proposal = await ctx.workspace.create_proposal(person_id=ctx.person.id, kind="confirm", payload=payload,
                                                   now=ctx.now)
    return [Reply(kind="confirm", data={"reason": cmd.reason, "text": cmd.text, "items": payload,
                                        "proposal": proposal},
                  actions=(Action(id="apply", value=str(proposal), style="primary"),))]
