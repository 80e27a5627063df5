"""Command records: what a parsed chat message asks for. Pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Literal


@dataclass(frozen=True, kw_only=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True, kw_only=True)
class Status:
    """`status PUMP`, `status PUMP-3`, `status PUMP <milestone name>`."""

    target: str  # a project key ("PUMP") or a task key ("PUMP-3"), upper-cased
    milestone: str | None = None


@dataclass(frozen=True, kw_only=True)
class MyTasks:
    pass


@dataclass(frozen=True, kw_only=True)
class Report:
    task: str  # "PUMP-12"
    percent: int | None = None  # 0..100
    note: str = ""
    hours: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Done:
    task: str
    note: str = ""
    hours: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Block:
    task: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Unblock:
    """The blocker is gone ("配件到了", "unblocked"): the task goes back to in progress."""

    task: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Start:
    """Work on the task has begun ("A-4 开始了", "started A-4")."""

    task: str
    note: str = ""


FieldWrite = Report | Done | Block | Unblock | Start


@dataclass(frozen=True, kw_only=True)
class Several:
    """One message about several tasks ("P-1 到 70%，P-2 开始了，P-3 缺料"): each write on its own task."""

    items: tuple[FieldWrite | Approve | Reject, ...]  # a decision may come with a report ("approve 12, A-3 done")


ConfirmReason = Literal["approximate", "bare_number", "not_progress", "unplaced_key", "several_unclear", "suggested",
                        "model"]  # model: a language model's reading (bot/language_model.py)


@dataclass(frozen=True, kw_only=True)
class Confirm:
    """Writes the words suggest but do not make certain: shown to the person with the likely reading preselected,
    and written only when they confirm. `text` is what the reading rests on."""

    items: tuple[FieldWrite, ...]
    reason: ConfirmReason
    text: str


@dataclass(frozen=True, kw_only=True)
class Undo:
    """Revert the person's last write ("撤销", "undo", "上一条写错了"), within the undo window."""

    task: str | None = None  # the task the person names ("撤销 PUMP-4 刚才那个完成"): their last write must be on it


@dataclass(frozen=True, kw_only=True)
class Correct:
    """Amend the person's last write ("不对，是60%", "sorry, I meant 2h not 4h"): the new value replaces it."""

    percent: int | None = None
    hours: Decimal | None = None
    task: str | None = None  # the task the person names ("correct PUMP-4 2h"): their last write must be on it


@dataclass(frozen=True, kw_only=True)
class Approve:
    approval_id: int
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class Reject:
    approval_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class Delegate:
    approval_id: int
    to: str  # a person's id or name


@dataclass(frozen=True, kw_only=True)
class Approvals:
    pass


@dataclass(frozen=True, kw_only=True)
class AlertAction:
    """A click on a risk alert's Acknowledge or Snooze button, or the same typed (`ack 4`, `snooze 4`)."""

    alert_id: int
    action: Literal["ack", "snooze"]


@dataclass(frozen=True, kw_only=True)
class FieldLink:
    """A signed link (and QR code) to the phone page for reporting on one task."""

    task: str


@dataclass(frozen=True, kw_only=True)
class DashboardLink:
    project: str


@dataclass(frozen=True)
class AdminLink:
    """A one-time login link to /admin, sent to the admin's direct messages."""


@dataclass(frozen=True, kw_only=True)
class Risks:
    project: str | None = None


@dataclass(frozen=True, kw_only=True)
class Standup:
    action: Literal["show", "answer", "skip", "away", "stats", "late", "mine"]
    text: str = ""
    day: date | None = None  # late: the day answered for; skip: the day skipped (None: today)
    away_from: date | None = None
    away_to: date | None = None
    question: int | None = None  # an answer to one question of the prompt (`standup 2: …`)
    days: int = 30  # stats: over this many days


@dataclass(frozen=True, kw_only=True)
class StandupSchedule:
    """Change a standup's time, deadline or reminder in chat (`standup time 09:15 [name]`); None: the file's."""

    setting: Literal["at", "deadline", "remind_at"]
    value: str | None
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class Apply:
    """Confirm the task updates pmsbot read in a standup answer."""

    proposal_id: int


@dataclass(frozen=True, kw_only=True)
class Link:
    pms_user: str


@dataclass(frozen=True, kw_only=True)
class LinkJira:
    """`link jira`: a signed link to a page where the person lets pmsbot write in Jira as them (OAuth or a PAT)."""


@dataclass(frozen=True, kw_only=True)
class LinkDecision:
    """An admin confirms (or refuses) the PMS user a person asked to be linked to."""

    person: str
    accept: bool


@dataclass(frozen=True, kw_only=True)
class LinkSecret:
    """`link` followed by what looks like a token: nothing of it is kept, echoed or audited."""


@dataclass(frozen=True, kw_only=True)
class Subscribe:
    project: str
    filter: str = ""


@dataclass(frozen=True, kw_only=True)
class Subscriptions:
    """What this chat follows (`subscriptions`, `订阅列表`)."""


@dataclass(frozen=True, kw_only=True)
class Unsubscribe:
    project: str
    filter: str | None = None  # None: every subscription of this chat to the project


@dataclass(frozen=True, kw_only=True)
class Mute:
    """Quiet this chat's subscription to a project for a while (`mute PUMP 2h`, `静音 PUMP 到明天`), or
    (`off`) let it speak again. The end is worked out in the person's own timezone by the handler."""

    project: str
    off: bool = False
    for_minutes: int | None = None
    until_day: date | None = None  # with until_time, or at constants.MUTE_DAY_ENDS_AT
    until_time: time | None = None  # alone: the next time it is that o'clock


@dataclass(frozen=True, kw_only=True)
class LeaveAction:
    """See, move or cancel leave taken with `请假` / `standup away` (`leave`, `销假 3`, `leave move 3 12-20`)."""

    action: Literal["list", "cancel", "change"]
    leave_id: int | None = None  # cancel without one: the only current or coming leave
    day_from: date | None = None
    day_to: date | None = None


@dataclass(frozen=True, kw_only=True)
class New:
    project: str
    title: str
    due: date | None = None
    assignee: str | None = None  # a person id or name as typed after "@"


@dataclass(frozen=True, kw_only=True)
class Request:
    project: str
    subject: str
    amount: Decimal | None = None
    currency: str | None = None  # "USD" when the amount says "$"; None: the deployment's currency


TaskFilter = Literal["mine", "overdue", "blocked", "week", "todo", "in_progress", "done"]


@dataclass(frozen=True, kw_only=True)
class Tasks:
    """`tasks [mine] [PROJECT] [overdue|blocked|week|todo|in_progress|done] [page N]`: a page of tasks."""

    project: str | None = None
    filters: tuple[TaskFilter, ...] = ()
    page: int = 1


@dataclass(frozen=True, kw_only=True)
class Search:
    """`search <words> [page N]`: tasks whose title or notes hold every word."""

    words: str
    page: int = 1


@dataclass(frozen=True, kw_only=True)
class Assign:
    """`assign A-3 to bob`, `A-3 给 王波`: a person's id or name as typed, resolved (or asked about) by the handler."""

    task: str
    to: str


@dataclass(frozen=True, kw_only=True)
class Comment:
    """A note on a task that reports no progress (`comment A-3 …`, `A-3 备注 …`)."""

    task: str
    text: str


@dataclass(frozen=True, kw_only=True)
class SetDue:
    """`due A-3 next Friday`: `when` as typed (the handler reads it again in the person's own timezone), `due` as
    read on the deployment's day."""

    task: str
    when: str
    due: date


Priority = Literal["low", "normal", "high", "urgent"]  # bot.pms.base.PRIORITIES
PriorityStep = Literal["higher", "lower"]  # one step from the task's priority now ("优先级调高")


@dataclass(frozen=True, kw_only=True)
class SetPriority:
    task: str
    priority: Priority | PriorityStep


@dataclass(frozen=True, kw_only=True)
class Close:
    task: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Reopen:
    task: str
    note: str = ""


Command = (
    Help | Status | MyTasks | Report | Done | Block | Unblock | Start | Several | Confirm | Undo | Correct
    | Approve | Reject | Delegate | Approvals | Risks | Standup | Link | LinkDecision | LinkSecret | LinkJira
    | Subscribe | New | Request | AlertAction | Apply | StandupSchedule | FieldLink | DashboardLink | AdminLink
    | Subscriptions | Unsubscribe | Mute | LeaveAction
    | Tasks | Search | Assign | Comment | SetDue | SetPriority | Close | Reopen
)

ParseErrorCode = Literal[
    "empty",
    "too_long",
    "unknown_command",
    "missing_argument",
    "bad_task_key",
    "bad_percent",
    "measured_percent",
    "conditional_approval",
    "percent_out_of_range",
    "bad_hours",
    "bad_date",
    "bad_priority",
    "bad_page",
    "bad_approval_id",
    "bad_proposal_id",
    "bad_alert_id",
    "bad_duration",  # a mute's length or end that is not one
    "bad_leave_id",
    "bad_amount",
    "unclear_hours",  # a frequency, a range, or time still to come: not time spent
    "question",  # the message asks; nothing is written
    "unclear_done",  # "done for today": the day ends, not the task
    "unclear_percent",  # a percent that may be a share of something else ("80%的设备到货了")
    "unclear_count",  # a count of work or a lone figure, no percent ("装了12个", "A-3 2.5"): how far is that?
    "unclear_correction",  # a correction whose new value is not clear
    "unclear_task",  # progress reported without saying on which task
    "not_spent",  # only hours that are not time spent ("every 4 hours"): nothing to write
]


@dataclass(frozen=True, kw_only=True)
class ParseError:
    """Why a message is not a command. `params` feed the localized message catalog."""

    code: ParseErrorCode
    verb: str | None = None  # canonical English verb the error concerns, when known
    params: dict[str, str] = field(default_factory=dict)
