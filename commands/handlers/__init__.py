"""One handler per verb. Each checks permission, talks to the PMS and the workspace, and returns replies.

A handler raises CommandError to refuse; the dispatcher then rolls back everything the handler did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.constants import MAX_NAME_CHARS, MAX_NOTE_CHARS, MAX_TITLE_CHARS
from bot.pms.base import PMSError
from bot.records import Reply
from commands import model
from commands.handlers.accounts import link, link_decision, link_secret
from commands.handlers.approvals import approvals, approve, delegate, reject, request
from commands.handlers.changes import assign, close, comment, reopen, set_due, set_priority
from commands.handlers.field import confirm, from_payload, start, unblock
from commands.handlers.finding import list_tasks, search_tasks
from commands.handlers.leave import leave
from commands.handlers.standups import standup, standup_schedule
from commands.handlers.subscriptions import mute, subscriptions, unsubscribe
from commands.handlers.tasks import block, done, my_tasks, new, report, status
from commands.handlers.undo import correct, undo
from commands.handlers.watching import alert_action, risks, subscribe
from commands.handlers.web_links import admin_link, dashboard_link, field_link, jira_link
from commands.ports import CommandError, Context


async def help_(ctx: Context, cmd: model.Help) -> list[Reply]:
    return [Reply(kind="help", data={"topic": cmd.topic})]


async def several(ctx: Context, cmd: model.Several) -> list[Reply]:
    """Each task's write by its own handler, in the order written, in one command: all or nothing."""
    replies: list[Reply] = []
    for item in cmd.items:
        replies += await handle(ctx, item)
    return replies


async def apply(ctx: Context, cmd: model.Apply) -> list[Reply]:
    """Write what the person confirmed (a reading of theirs, or the progress read in a standup answer), once."""
    taken = await ctx.workspace.take_proposal(cmd.proposal_id, person_id=ctx.person.id, now=ctx.now)
    if taken is None:
        raise CommandError("unknown_proposal", id=cmd.proposal_id)
    if taken is False:
        raise CommandError("proposal_applied", id=cmd.proposal_id)
    assert isinstance(taken, list)
    return await several(ctx, model.Several(items=tuple(from_payload(item) for item in taken)))


Handler = Callable[[Context, Any], Awaitable[list[Reply]]]

HANDLERS: dict[type, Handler] = {
    model.Help: help_,
    model.Status: status,
    model.MyTasks: my_tasks,
    model.Report: report,
    model.Done: done,
    model.Block: block,
    model.Unblock: unblock,
    model.Start: start,
    model.Several: several,
    model.Confirm: confirm,
    model.Undo: undo,
    model.Correct: correct,
    model.Approve: approve,
    model.Reject: reject,
    model.Delegate: delegate,
    model.Approvals: approvals,
    model.Risks: risks,
    model.Standup: standup,
    model.Link: link,
    model.LinkDecision: link_decision,
    model.LinkSecret: link_secret,
    model.LinkJira: jira_link,
    model.Subscribe: subscribe,
    model.New: new,
    model.Request: request,
    model.AlertAction: alert_action,
    model.Apply: apply,
    model.StandupSchedule: standup_schedule,
    model.FieldLink: field_link,
    model.DashboardLink: dashboard_link,
    model.AdminLink: admin_link,
    model.Subscriptions: subscriptions,
    model.Unsubscribe: unsubscribe,
    model.Mute: mute,
    model.LeaveAction: leave,
    model.Tasks: list_tasks,
    model.Search: search_tasks,
    model.Assign: assign,
    model.Comment: comment,
    model.SetDue: set_due,
    model.SetPriority: set_priority,
    model.Close: close,
    model.Reopen: reopen,
}


# Free text that is stored: refused with a clear message when longer than its column, never cut silently.
TEXT_LIMITS: dict[type, tuple[tuple[str, str, int], ...]] = {
    model.Report: (("note", "note", MAX_NOTE_CHARS),),
    model.Done: (("note", "note", MAX_NOTE_CHARS),),
    model.Block: (("reason", "reason", MAX_NOTE_CHARS),),
    model.Unblock: (("note", "note", MAX_NOTE_CHARS),),
    model.Start: (("note", "note", MAX_NOTE_CHARS),),
    model.Approve: (("comment", "comment", MAX_NOTE_CHARS),),
    model.Reject: (("reason", "reason", MAX_NOTE_CHARS),),
    model.Standup: (("text", "text", MAX_NOTE_CHARS),),
    model.New: (("title", "title", MAX_TITLE_CHARS),),
    model.Request: (("subject", "subject", MAX_TITLE_CHARS),),
    model.Subscribe: (("filter", "filter", MAX_TITLE_CHARS),),
    model.Unsubscribe: (("filter", "filter", MAX_TITLE_CHARS),),
    model.Link: (("pms_user", "user", MAX_NAME_CHARS),),
    model.Comment: (("text", "text", MAX_NOTE_CHARS),),
    model.Close: (("note", "note", MAX_NOTE_CHARS),),
    model.Reopen: (("note", "note", MAX_NOTE_CHARS),),
    model.Assign: (("to", "user", MAX_NAME_CHARS),),
}


async def handle(ctx: Context, command: model.Command) -> list[Reply]:
    """Run the handler for `command`; a PMS refusal becomes a CommandError with the same code."""
    for field, label, limit in TEXT_LIMITS.get(type(command), ()):
        value = getattr(command, field) or ""
        if len(value) > limit:
            raise CommandError("text_too_long", field=label, length=len(value), max=limit)
    try:
        return await HANDLERS[type(command)](ctx, command)
    except PMSError as exc:
        raise CommandError(exc.code, **exc.params) from exc
