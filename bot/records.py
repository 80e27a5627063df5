"""Platform-neutral records that cross module boundaries. Frozen, keyword-only, timezone-aware."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

# change: a PMS webhook or poll; hook: a source; directory: a person changed in a directory (Feishu, DingTalk);
# engine: the platform's approval engine ended an instance (DingTalk OA, Feishu Approval)
EventKind = Literal["message", "action", "change", "hook", "directory", "engine"]
SYSTEM_KINDS: tuple[EventKind, ...] = ("change", "hook", "directory", "engine")  # a system's delivery: nobody to answer


@dataclass(frozen=True, kw_only=True)
class InboundEvent:
    """One thing a person did on a platform: typed a message or clicked a button."""

    platform: str  # "console", "slack", ...
    event_id: str  # the platform's delivery id: the dedupe key with `platform`
    kind: EventKind
    sender: str  # the sender's id on that platform
    conversation: str  # where replies go on that platform (a DM or channel id)
    text: str = ""
    action: dict[str, str] = field(default_factory=dict)  # button payload for kind="action"
    # How to answer this one event on its platform (Slack's response_url, the clicked message's ts...).
    # Carried to the replies; never interpreted outside the platform's own adapter and sender.
    origin: dict[str, str] = field(default_factory=dict)
    received_at: datetime
    files: tuple[ChatFile, ...] = ()  # photos and files sent with a message: fetched by the worker, never on the ack


@dataclass(frozen=True, kw_only=True)
class ChatFile:
    """A file a message carries, as its platform names it; its bytes are fetched later, with the platform's auth."""

    ref: str  # the platform's handle: Slack's url_private_download, Feishu's "<message_id>/<file_key>/<type>",
    #           DingTalk's downloadCode. Only the platform's own downloader reads it.
    name: str = ""  # as the sender's client named it (untrusted: cleaned before it is stored or sent on)
    size_bytes: int | None = None  # as the platform declares it (checked again on the bytes)


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """A fetched file that passed the checks: its type read from its bytes, its size within the limit."""

    name: str  # cleaned (bot/files.py): no path, no control characters, its extension matching its type
    content_type: str  # one of bot.constants.ATTACHMENT_TYPES
    data: bytes


@dataclass(frozen=True, kw_only=True)
class FileRefused:
    """A file of a message that is not attached, and why: a catalog key under `attach.` and its parameters."""

    name: str
    code: str  # "too_big" | "empty" | "wrong_type" | "download_failed" | "too_many"
    params: dict[str, str] = field(default_factory=dict)


Fetched = Attachment | FileRefused


@dataclass(frozen=True, kw_only=True)
class Action:
    """A button on a reply card. `value` is what the button sends back."""

    id: str  # "approve" | "reject" | ...
    value: str
    style: Literal["primary", "danger", "default"] = "default"


@dataclass(frozen=True, kw_only=True)
class Reply:
    """What a handler wants said: a message kind rendered later per platform and locale."""

    kind: str  # template name, e.g. "task_status"
    data: dict[str, Any] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()
    to_person: str | None = None  # None: answer in the conversation the command came from
    card_ref: str | None = None  # cards that change later ("approval:12") carry a stable ref
    update: bool = False  # True: replace the earlier card with the same card_ref
    not_via: tuple[tuple[str, str], ...] = ()  # (platform, id) accounts of to_person this must not go to
    to_project: str | None = None  # set: to that project's chat channels (not back where the command came from)
    to_channel: tuple[str, str] | None = None  # set: to this (platform, channel id)
    to_source: str | None = None  # set: to that source's callback URL (decisions of its approval requests)


@dataclass(frozen=True, kw_only=True)
class Person:
    id: str
    name: str
    locale: str
    roles: tuple[str, ...] = ()
    pms_user: str | None = None
    timezone: str | None = None
    department: str | None = None


@dataclass(frozen=True, kw_only=True)
class Project:
    key: str
    name: str
    pms: str
    pms_project: str | None
    members: tuple[str, ...]
    approvers: tuple[str, ...]
    backup_approvers: tuple[str, ...] = ()
    read: str = "members"  # "members" | "department" | "everyone": who may read its status, risks and dashboard
    department: str | None = None
    tags: tuple[str, ...] = ()  # the portfolio's filter words


@dataclass(frozen=True, kw_only=True)
class Task:
    key: str
    project: str
    title: str
    status: str  # "todo" | "in_progress" | "blocked" | "done"
    percent: int
    assignee: str | None
    due: date | None
    estimate_h: Decimal | None
    spent_h: Decimal
    milestone: str | None
    blocked_reason: str | None
    updated_at: datetime
    created_at: datetime | None = None  # the start of its linear plan, where the PMS says
    priority: str | None = None  # the PMS's own name for it, where it has one


@dataclass(frozen=True, kw_only=True)
class PersonWrite:
    """One write a person made through chat (report, log hours, done, block, unblock, start): what it changed on
    the task, so that its author can undo or correct it within the undo window (bot/constants.UNDO_WINDOW_S)."""

    id: int | None = None  # set once stored
    person: str
    task: str  # "PUMP-12"
    pms: str  # the connector's name: "local", "jira", "redmine", "zentao"
    kind: str  # "report" | "done" | "block" | "unblock" | "start" (what the person did)
    at: datetime
    before_status: str
    before_percent: int
    before_reason: str | None  # the blocked reason, where the PMS keeps one
    after_status: str
    after_percent: int
    after_reason: str | None
    hours: Decimal | None = None  # the hours it logged
    worklog: str | None = None  # the id of the time entry it created in the PMS (None: none, or none known)
    undone_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Milestone:
    id: int
    project: str
    name: str
    due: date | None
    tasks_total: int
    tasks_done: int
    percent: int


@dataclass(frozen=True, kw_only=True)
class ProjectSummary:
    project: str
    name: str
    tasks_total: int
    tasks_done: int
    tasks_blocked: int
    tasks_overdue: int
    percent: int
    milestones: tuple[Milestone, ...]


@dataclass(frozen=True, kw_only=True)
class Approval:
    id: int
    project: str
    requester: str
    approvers: tuple[str, ...]
    subject: str
    amount: Decimal | None
    state: Literal["pending", "approved", "rejected"]
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    origin: str  # "chat" platforms, or "source:<name>" for a request from another system
    created_at: datetime
    ref: str | None = None  # the source's own id for the request, when it came from one
    currency: str | None = None  # of `amount` (ISO 4217); None: the deployment's default
    chain: dict[str, Any] | None = None  # its approval chain's state (bot/chains.py), when a chain rule matched
    # Its instance in the platform's approval engine (kind, code, state new|running|failed|done, instance, url…)
    engine: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Each rule's knobs, with the defaults a team gets without configuring them."""

    behind_days: int = 3  # behind: due within this many days...
    behind_margin_percent: int = 10  # ...and this far below the linear plan
    behind_min_percent: int = 50  # ...or, for a task whose start is unknown, below this
    stale_days: int = 3
    milestone_days: int = 7
    milestone_margin_percent: int = 10
    budget_share: Decimal = Decimal("0.8")  # budget: spent at least this share of the budget...
    budget_margin_percent: int = 10  # ...while progress is this far below the share spent
    integration_min_rate: float = 0.99
    integration_window_h: float = 24.0
    integration_min_calls: int = 20  # fewer calls in the window say nothing either way


@dataclass(frozen=True, kw_only=True)
class PendingLink:
    person_id: str
    code_sha256: str
    attempts: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class ChatSubscription:
    """One chat's subscription to a project's changes (`subscriptions` lists them)."""

    project: str
    filter: str
    by: str  # the person who subscribed the chat
    since: datetime
    muted_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Leave:
    """A person's leave (`请假 12-20..12-22`): no standup prompts those days."""

    id: int
    day_from: date
    day_to: date
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class StandupAnswer:
    """What a person said to a standup for a day: an answer (late or not) or a skip; the latest of the day."""

    person: str
    day: date
    kind: str  # "answer" | "skip"
    text: str
    at: datetime  # when it was said
