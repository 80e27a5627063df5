"""Leave taken with `请假` / `standup away`: listed, moved to other days, cancelled (`销假`)."""

from __future__ import annotations

from datetime import timedelta

from bot.records import Leave, Reply
from commands import model
from commands.handlers.access import audit
from commands.ports import CommandError, Context

MAX_LEAVE_DAYS = 366


def _view(leave: Leave) -> dict[str, object]:
    return {"id": leave.id, "from": leave.day_from.isoformat(), "to": leave.day_to.isoformat(), "note": leave.note}


def _listed(leaves: list[Leave]) -> str:
    return ", ".join(f"#{x.id} {x.day_from}..{x.day_to}" for x in leaves[:5])


async def leave(ctx: Context, cmd: model.LeaveAction) -> list[Reply]:
    ahead = await ctx.workspace.leaves(ctx.person.id, since=ctx.today)
    if cmd.action == "list":
        return [Reply(kind="leaves", data={"items": [_view(x) for x in ahead]})]
    leave_id = cmd.leave_id
    if leave_id is None:  # only `销假` alone: the one current or coming leave, never a guess among several
        if not ahead:
            raise CommandError("no_leave")
        if len(ahead) > 1:
            raise CommandError("which_leave", leaves=_listed(ahead))
        leave_id = ahead[0].id
    if leave_id not in {x.id for x in ahead}:
        # Theirs but over, or not theirs at all: the same answer, which names nobody else's leave.
        raise CommandError("unknown_leave", id=leave_id, leaves=_listed(ahead) or "-")
    if cmd.action == "cancel":
        gone = await ctx.workspace.cancel_leave(leave_id, person_id=ctx.person.id)
        if gone is None:
            raise CommandError("unknown_leave", id=leave_id, leaves=_listed(ahead) or "-")
        await audit(ctx, "leave.cancel", ctx.person.id, leave=leave_id, day_from=gone.day_from.isoformat(),
                    day_to=gone.day_to.isoformat())
        return [Reply(kind="leave_changed", data={"action": "cancel", **_view(gone)})]
    assert cmd.day_from is not None and cmd.day_to is not None
    if cmd.day_to < cmd.day_from or cmd.day_to - cmd.day_from > timedelta(days=MAX_LEAVE_DAYS):
        raise CommandError("bad_date", value=f"{cmd.day_from}..{cmd.day_to}")
    if cmd.day_to < ctx.today:
        raise CommandError("leave_in_past", to=cmd.day_to.isoformat())
    moved = await ctx.workspace.change_leave(leave_id, person_id=ctx.person.id, day_from=cmd.day_from,
                                             day_to=cmd.day_to)
    if moved is None:
        raise CommandError("unknown_leave", id=leave_id, leaves=_listed(ahead) or "-")
    await audit(ctx, "leave.change", ctx.person.id, leave=leave_id, day_from=moved.day_from.isoformat(),
                day_to=moved.day_to.isoformat())
    return [Reply(kind="leave_changed", data={"action": "change", **_view(moved)})]
