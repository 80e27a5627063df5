"""Undo and correction of a person's last write through chat ("撤销", "undo", "不对，是60%", "I meant 3h not 5h").

Every write a task verb makes is remembered (`remember`) with the task as it was before and after, the hours it
logged and the time entry it created. Only the person's own newest write can be undone or corrected, once, within
UNDO_WINDOW_S, and only while the task still stands as that write left it: a change someone made since is theirs,
and is refused rather than overwritten. An undo is not itself undoable. Notes and comments stay in the PMS.

A retry after a remote PMS stopped answering half-way replays the calls the first attempt made from the journal
(bot/pms/journal.py), so a time entry is deleted once; one found gone already counts as deleted.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bot.constants import UNDO_WINDOW_S
from bot.pms.base import PMS
from bot.pms.remote import reopen_or_start
from bot.records import PersonWrite, Reply, Task
from commands import model
from commands.handlers.access import audit, names_of, writable_task
from commands.ports import CommandError, Context
from commands.views import task_view


async def remember(ctx: Context, pms_name: str, before: Task, after: Task, kind: str, worklog: str | None,
                   *, hours: Decimal | None = None) -> None:
    """Keep a write the person just made (kind: report, done, block, unblock, start) for undo and correction."""
    await ctx.workspace.remember_write(PersonWrite(
        person=ctx.person.id, task=before.key, pms=pms_name, kind=kind, at=ctx.now,
        before_status=before.status, before_percent=before.percent, before_reason=before.blocked_reason,
        after_status=after.status, after_percent=after.percent, after_reason=after.blocked_reason,
        hours=hours, worklog=worklog))


async def _last(ctx: Context) -> tuple[PersonWrite, PMS, Task]:
    """The person's newest write, if it may still be undone or corrected, with its PMS and the task as it is."""
    write = await ctx.workspace.last_write(ctx.person.id)
    if write is None:
        raise CommandError("nothing_to_undo")
    if write.undone_at is not None:
        raise CommandError("undo_already_undone", task=write.task)
    if (ctx.now - write.at).total_seconds() > UNDO_WINDOW_S:
        raise CommandError("undo_window_passed", task=write.task, minutes=UNDO_WINDOW_S // 60)
    pms, task = await writable_task(ctx, write.task)
    if pms.name != write.pms or (task.status, task.percent, task.blocked_reason) != (
            write.after_status, write.after_percent, write.after_reason):
        raise CommandError("undo_changed_since", task=task.key, status=task.status, percent=task.percent)
    return write, pms, task


async def _settled(ctx: Context, write: PersonWrite) -> None:
    if not await ctx.workspace.settle_write(write):
        raise CommandError("undo_already_undone", task=write.task)


async def undo(ctx: Context, cmd: model.Undo) -> list[Reply]:
    write, pms, task = await _last(ctx)
    if cmd.task is not None and cmd.task != write.task:  # naming a task, the person means that task's write
        raise CommandError("undo_other_task", task=cmd.task, last=write.task)
    status_moves = write.before_status != write.after_status
    if status_moves:  # a move the workflow refuses is refused before anything is written
        await pms.check_move(task.key, write.before_status, by=ctx.person)
    removed = kept = None
    if write.hours is not None and write.worklog is None:
        kept = str(write.hours)  # the PMS's API names no entry to delete (Zentao): the reply says it stays
    elif write.hours is not None and write.worklog is not None:
        await pms.delete_worklog(task.key, write.worklog, by=ctx.person)
        removed = str(write.hours)
    now = await _restore(ctx, pms, task, write)
    await _settled(ctx, replace(write, undone_at=ctx.now))
    await audit(ctx, "pms.undo", task.key, pms=pms.name, write=write.id, kind=write.kind,
                percent=write.before_percent, status=write.before_status, hours_removed=removed, hours_kept=kept)
    names = await names_of(ctx, [now.assignee])
    return [Reply(kind="write_undone", data={
        "task": task_view(now, names), "kind": write.kind,
        "percent": now.percent if now.percent != write.after_percent else None, "from_percent": write.after_percent,
        # a PMS that derives progress from hours (Zentao, with the effort row kept) may not take the old value
        "percent_wanted": write.before_percent if now.percent != write.before_percent else None,
        "status": write.before_status if status_moves else None, "from_status": write.after_status,
        "reason": write.before_reason if status_moves and write.before_status == "blocked" else None,
        "hours_removed": removed, "hours_kept": kept, "pms": pms.name.capitalize(),
    })]


async def _restore(ctx: Context, pms: PMS, task: Task, write: PersonWrite) -> Task:
    """Put the task's status and percent back as they were before the write. The status moves first (so setting
    the percent does not reopen or start it again), except back to blocked: a percent set on a blocked task
    would start it, so there the percent goes first."""
    now = task

    async def percent() -> None:
        nonlocal now
        if now.percent != write.before_percent:
            now = await pms.report_progress(task.key, percent=write.before_percent, note="", hours=None,
                                            by=ctx.person)

    if write.before_status == "blocked":
        await percent()
    if now.status != write.before_status or now.blocked_reason != write.before_reason:
        now = await pms.transition(task.key, write.before_status, reason=write.before_reason or "", by=ctx.person)
    await percent()
    return now


async def correct(ctx: Context, cmd: model.Correct) -> list[Reply]:
    if cmd.percent is None and cmd.hours is None:
        raise CommandError("nothing_to_correct")
    write, pms, task = await _last(ctx)
    if cmd.task is not None and cmd.task != write.task:  # the hours of another task are not the last write's
        raise CommandError("correct_other_task", task=cmd.task, last=write.task)
    worklog, hours = write.worklog, write.hours
    moves_to = reopen_or_start(task.status, cmd.percent) if cmd.percent != task.percent else None
    if moves_to is not None:  # the percent reopens or finishes the task: asked before the hours are touched
        await pms.check_move(task.key, moves_to, by=ctx.person)
    if cmd.hours is not None:
        if write.hours is None:
            raise CommandError("correct_no_hours", task=task.key)
        if write.worklog is None:  # the old entry could not be deleted: a second one would count twice
            raise CommandError("worklog_not_deletable", pms=pms.name.capitalize(), task=task.key)
        await pms.delete_worklog(task.key, write.worklog, by=ctx.person)
        worklog, hours = await pms.log_work(task.key, cmd.hours, note="", by=ctx.person), cmd.hours
    now: Task = task
    if cmd.percent is not None and cmd.percent != task.percent:
        now = await pms.report_progress(task.key, percent=cmd.percent, note="", hours=None, by=ctx.person)
    elif cmd.hours is not None:
        now = await pms.get_task(task.key) or task
    await _settled(ctx, replace(write, at=ctx.now, after_status=now.status, after_percent=now.percent,
                                after_reason=now.blocked_reason, hours=hours, worklog=worklog))
    await audit(ctx, "pms.correct", task.key, pms=pms.name, write=write.id, percent=cmd.percent,
                before_percent=task.percent, hours=str(cmd.hours) if cmd.hours is not None else None,
                before_hours=str(write.hours) if write.hours is not None else None)
    names = await names_of(ctx, [now.assignee])
    return [Reply(kind="write_corrected", data={
        "task": task_view(now, names), "percent": cmd.percent, "from_percent": task.percent,
        "hours": str(cmd.hours) if cmd.hours is not None else None,
        "from_hours": str(write.hours) if cmd.hours is not None and write.hours is not None else None,
    })]
