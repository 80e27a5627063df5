"""From an inbound event to a command: a message is parsed; a button click is checked field by field, since its
payload is untrusted; the field page's form is checked there and again here."""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal

from bot.constants import BUTTON_ACTIONS, MAX_REASON_CHARS, TASK_BUTTON_VALUE, TASK_BUTTONS
from bot.records import InboundEvent
from bot.store.workspace import SqlWorkspace
from commands import model
from commands.parse import parse

_APPROVAL_ID_RE = re.compile(r"[0-9]{1,9}")  # ASCII only (isdigit() accepts "²"); fits a 32-bit id
_TASK_KEY_RE = re.compile(TASK_BUTTON_VALUE)
# Commands that may talk to a remote PMS and otherwise only read and audit: tried outside the write lock.
PMS_COMMANDS = (model.Status, model.MyTasks, model.Report, model.Done, model.Block, model.Unblock, model.Start,
                model.Several, model.New, model.Risks,
                model.FieldLink, model.Tasks, model.Search, model.Assign, model.Comment, model.SetDue,
                model.SetPriority, model.Close, model.Reopen)


async def channel_project(ws: SqlWorkspace, event: InboundEvent) -> str | None:
    """The project of the channel a message came from, when it may refer to a task as `#12`."""
    if event.kind != "message" or ("#" not in event.text and "＃" not in event.text):
        return None
    return await ws.project_of_channel(event.platform, event.conversation)


# Two task keys or more: one may be an equipment tag ("PUMP-3 TK-7 清罐 60%"), read as a word if it is no project's.
_KEYS_TWICE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,9}-[0-9].*[A-Za-z][A-Za-z0-9]{0,9}-[0-9]", re.DOTALL)


class CommandReader:
    """The command an event asks for, with what a message's words need from the store: the project of its chat
    (`#12`) and, when it names several keys, the projects there are. A worker asks up to four times for the event it
    handles (the files, the language model's turn, the read-first and the write pass): the store is read once per
    event. One reader per dispatcher, which handles one event at a time."""

    def __init__(self) -> None:
        self._last: tuple[tuple[str, str], tuple[str | None, frozenset[str] | None]] | None = None

    async def command(self, ws: SqlWorkspace, event: InboundEvent, today: date) -> model.Command | model.ParseError:
        if event.kind != "message":
            return command_of(event, today)
        key = (event.platform, event.event_id)
        if self._last is None or self._last[0] != key:
            projects = await ws.project_keys() if _KEYS_TWICE.search(event.text) else None
            self._last = (key, (await channel_project(ws, event), projects))
        return command_of(event, today, *self._last[1])


@functools.lru_cache(maxsize=512)
def _parsed(text: str, today: date, channel_project: str | None, projects: frozenset[str] | None
            ) -> model.Command | model.ParseError:
    """One message read once: a worker asks for it up to four times while it handles the event (the language
    model's turn, the files, the read-first and the write pass); the reading is a pure function of these."""
    return parse(text, today=today, channel_project=channel_project, projects=projects)


def command_of(event: InboundEvent, today: date, channel_project: str | None = None,
               projects: frozenset[str] | None = None) -> model.Command | model.ParseError:
    if event.kind == "message":
        return _parsed(event.text, today, channel_project, projects)
    verb = event.action.get("id", "")
    value = event.action.get("value", "")
    if verb == "field" and event.platform == "console" and event.origin.get("via") == "field":
        return field_report(event.action)
    if verb in TASK_BUTTONS and _TASK_KEY_RE.fullmatch(value):
        return model.Status(target=value) if verb == "open" else model.FieldLink(task=value)
    if verb not in BUTTON_ACTIONS or not _APPROVAL_ID_RE.fullmatch(value):
        return model.ParseError(code="bad_approval_id", verb=verb[:20] or None, params={"value": value[:40]})
    if verb in ("ack", "snooze"):
        return model.AlertAction(alert_id=int(value), action="ack" if verb == "ack" else "snooze")
    if verb == "apply":
        return model.Apply(proposal_id=int(value))
    if verb == "approve":
        return model.Approve(approval_id=int(value), comment=event.action.get("comment", "")[:MAX_REASON_CHARS])
    reason = event.action.get("reason", "").strip()[:MAX_REASON_CHARS]
    if not reason:
        return model.ParseError(code="missing_argument", verb="reject", params={"arg": "reason"})
    return model.Reject(approval_id=int(value), reason=reason)


def field_report(action: dict[str, str]) -> model.Command | model.ParseError:
    task = action.get("task", "")
    note = action.get("note", "")[:MAX_REASON_CHARS]
    if action.get("blocked") == "1":
        return model.Block(task=task, reason=note or "⛔")
    try:
        percent = int(action["percent"]) if action.get("percent") else None
        hours = Decimal(action["hours"]) if action.get("hours") else None
    except (ValueError, ArithmeticError):
        return model.ParseError(code="bad_percent", verb="report", params={"value": action.get("percent", "")[:10]})
    if percent is not None and not 0 <= percent <= 100:
        return model.ParseError(code="bad_percent", verb="report", params={"value": str(percent)})
    if percent is None and hours is None and not note:
        note = "📷" if action.get("photo") else ""
    return model.Report(task=task, percent=percent, note=note, hours=hours)
