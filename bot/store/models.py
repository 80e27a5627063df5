"""Tables. The storage layer (bot/store) is the only code that writes SQL against them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.config_tables import ConfigAppliedRow as ConfigAppliedRow
from bot.store.config_tables import ConfigFileRow as ConfigFileRow
from bot.store.history_tables import PersonDayRow as PersonDayRow
from bot.store.history_tables import ProjectDayRow as ProjectDayRow
from bot.store.history_tables import RiskDayRow as RiskDayRow
from bot.store.history_tables import TaskDoneRow as TaskDoneRow
from bot.store.task_tables import MilestoneRow as MilestoneRow
from bot.store.task_tables import PersonWriteRow as PersonWriteRow
from bot.store.task_tables import ProgressRow as ProgressRow
from bot.store.task_tables import TaskFileRow as TaskFileRow
from bot.store.task_tables import TaskRow as TaskRow
from bot.store.types import UTCDateTime


class PersonRow(SQLModel, table=True):
    __tablename__ = "person"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    locale: str | None = Field(default=None, max_length=8)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    pms_user: str | None = Field(default=None, max_length=100)
    pms_user_linked: bool = False  # set by a proven `link` in chat, which then wins over the configuration's pms_user
    # A `link` asked in chat and not proven yet (an admin's confirmation): no write is attributed to it.
    pms_user_claim: str | None = Field(default=None, max_length=100)
    pms_user_claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    timezone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=100)
    # From a directory (bot/directory/): a leaver is deactivated, never deleted; the manager takes their approvals.
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    employee_id: str | None = Field(default=None, max_length=64, index=True)
    manager_id: str | None = Field(default=None, max_length=64)


class IdentityRow(SQLModel, table=True):
    """A person's account on one platform."""

    __tablename__ = "identity"
    platform: str = Field(primary_key=True, max_length=32)
    external_id: str = Field(primary_key=True, max_length=128)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    # "config" rows follow the file; "link" (a code confirmed in chat) and "email" (matched from the platform's
    # profile) are learned, and survive a restart that reapplies the file.
    source: str = Field(default="config", max_length=16, sa_column_kwargs={"server_default": "config"})


class LinkCodeRow(SQLModel, table=True):
    """A pending `link`: an unknown platform account asked to act as a person, who got a one-time code."""

    __tablename__ = "link_code"
    platform: str = Field(primary_key=True, max_length=32)
    external_id: str = Field(primary_key=True, max_length=128)
    person_id: str = Field(foreign_key="person.id", max_length=64)
    code_sha256: str = Field(max_length=64)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class ProjectRow(SQLModel, table=True):
    __tablename__ = "project"
    key: str = Field(primary_key=True, max_length=10)
    name: str = Field(max_length=200)
    pms: str = Field(default="local", max_length=16)
    pms_project: str | None = Field(default=None, max_length=100)
    next_task_no: int = Field(default=1)
    read_access: str = Field(default="members", max_length=16, sa_column_kwargs={"server_default": "members"})
    department: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class MembershipRow(SQLModel, table=True):
    __tablename__ = "membership"
    project_key: str = Field(foreign_key="project.key", primary_key=True, max_length=10)
    person_id: str = Field(foreign_key="person.id", primary_key=True, max_length=64)
    role: str = Field(primary_key=True, max_length=16)  # "member" | "approver"


class ChannelRow(SQLModel, table=True):
    __tablename__ = "channel"
    project_key: str = Field(foreign_key="project.key", primary_key=True, max_length=10)
    platform: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=128)


class ApprovalRow(SQLModel, table=True):
    __tablename__ = "approval"
    id: int | None = Field(default=None, primary_key=True)
    project_key: str = Field(foreign_key="project.key", index=True, max_length=10)
    requester: str = Field(max_length=64)
    approvers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str = Field(max_length=200)
    amount_cents: int | None = Field(default=None, sa_type=BigInteger)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="pending", max_length=16, index=True)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str | None = Field(default=None, max_length=1000)
    origin: str = Field(default="chat", max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SubscriptionRow(SQLModel, table=True):
    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("project_key", "platform", "conversation", "filter"),)
    id: int | None = Field(default=None, primary_key=True)
    project_key: str = Field(foreign_key="project.key", index=True, max_length=10)
    platform: str = Field(max_length=32)
    conversation: str = Field(max_length=128)
    filter: str = Field(default="", max_length=200)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    muted_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # `mute PUMP 2h`: quiet until then


class StandupEntryRow(SQLModel, table=True):
    """A person's standup answer, skip or leave for a day."""

    __tablename__ = "standup_entry"
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    kind: str = Field(max_length=8)  # answer | skip | away
    day_from: date
    day_to: date
    text: str = Field(default="", max_length=1000)
    at: datetime = Field(sa_type=UTCDateTime)


class ScheduleRunRow(SQLModel, table=True):
    """One scheduled piece of work done for one person on one local day: the clock's exactly-once record."""

    __tablename__ = "schedule_run"
    schedule: str = Field(primary_key=True, max_length=120)  # "standup:<name>"
    person_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)


class AlertRow(SQLModel, table=True):
    """One risk per (project, rule, subject): deduplicated, with cooldown, acknowledge and snooze."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("project_key", "rule", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    project_key: str = Field(max_length=10, index=True)
    rule: str = Field(max_length=32)
    subject: str = Field(max_length=100)  # a task key
    state: str = Field(default="open", max_length=16)  # open | acked | snoozed
    first_at: datetime = Field(sa_type=UTCDateTime)
    last_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=64)


class ClockStateRow(SQLModel, table=True):
    """The last minute the active clock finished, so a restarted clock catches up from there."""

    __tablename__ = "clock_state"
    name: str = Field(primary_key=True, max_length=32)
    last_tick: datetime = Field(sa_type=UTCDateTime)


class InboxRow(SQLModel, table=True):
    """Every inbound event, durable before it is acknowledged. (platform, event_id) dedupes redeliveries."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "event_id", name="uq_inbox_platform_event"),
        Index("ix_inbox_claim", "state", "available_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    event_id: str = Field(max_length=200)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(default="pending", max_length=16)  # pending | done | failed
    attempts: int = 0
    available_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=2000)


class OutboxRow(SQLModel, table=True):
    """Messages to send, in order per conversation; `state="dead"` rows are the dead letters."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_claim", "state", "conversation", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    conversation: str = Field(max_length=200)  # "<platform>:<channel or user id>"
    target: str = Field(max_length=128)  # the platform's channel / user id
    kind: str = Field(max_length=64)
    locale: str = Field(max_length=8)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    card_ref: str | None = Field(default=None, max_length=100, index=True)
    update: bool = False
    state: str = Field(default="pending", max_length=16)  # pending | sent | dead
    attempts: int = 0
    available_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    source_event: int | None = Field(default=None, index=True)  # the inbox row that caused it


class CardRow(SQLModel, table=True):
    """Where a card that changes later was delivered, so it can be updated in place."""

    __tablename__ = "card"
    platform: str = Field(primary_key=True, max_length=32)
    target: str = Field(primary_key=True, max_length=128)
    card_ref: str = Field(primary_key=True, max_length=100)
    message_id: str = Field(max_length=200)


class ConsoleMessageRow(SQLModel, table=True):
    """What the console platform delivered: the web chat reads its feed from here."""

    __tablename__ = "console_message"
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    direction: str = Field(max_length=4)  # "in" | "out"
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int = 0
    at: datetime = Field(sa_type=UTCDateTime)


class AuditRow(SQLModel, table=True):
    """Append-only, hash-chained: each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    detail: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    # HMAC-SHA256 with PMSBOT_AUDIT_KEY (a rewrite cannot recompute it); False: plain SHA-256 (no key configured).
    keyed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Set when personal data in the row was erased (bot/store/audit_erase.py): the MAC, under the same key, of the
    # row as it reads now and of the hash it keeps, so the chain still verifies without the erased words.
    tombstone: str | None = Field(default=None, max_length=64)


class MetricRow(SQLModel, table=True):
    """A figure about a project that other systems report (budget, budget spent…): the budget-burn rule reads the
    latest of each. Fed by the integration sources; kept as a history."""

    __tablename__ = "metric"
    id: int | None = Field(default=None, primary_key=True)
    project_key: str = Field(max_length=10, index=True)
    name: str = Field(max_length=64)
    value: Decimal = Field(sa_type=Numeric(20, 4))
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    source: str = Field(max_length=64)


class SlaMinuteRow(SQLModel, table=True):
    """Outbound calls per connector (an IM platform, a PMS, a callback URL) per minute: success, failure, time."""

    __tablename__ = "sla_minute"
    connector: str = Field(primary_key=True, max_length=64)
    minute: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    ok: int = 0
    failed: int = 0
    latency_ms: int = Field(default=0, sa_type=BigInteger)  # summed over the calls


class ProposalRow(SQLModel, table=True):
    """Changes pmsbot read in what someone wrote (task progress in a standup answer), applied only when they confirm."""

    __tablename__ = "proposal"
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    kind: str = Field(max_length=16)  # "progress"
    payload: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="pending", max_length=16)  # pending | applied
    created_at: datetime = Field(sa_type=UTCDateTime)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SeenNonceRow(SQLModel, table=True):
    """A request signature already accepted, until its window has passed: a second use is a replay. Shared by
    every web process, so a replay sent to another process is refused too."""

    __tablename__ = "seen_nonce"
    platform: str = Field(primary_key=True, max_length=32)
    nonce: str = Field(primary_key=True, max_length=128)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class StandupScheduleRow(SQLModel, table=True):
    """A standup's schedule: the configuration's definition (`spec`) and what was changed in chat (`overrides`,
    e.g. a new time), which outlives restarts; the clock reads the two merged."""

    __tablename__ = "standup_schedule"
    name: str = Field(primary_key=True, max_length=100)
    project_key: str = Field(max_length=10, index=True)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    overrides: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str | None = Field(default=None, max_length=64)


class PmsWriteRow(SQLModel, table=True):
    """A write a command made to a remote PMS before the PMS stopped answering: the retry skips it."""

    __tablename__ = "pms_write"
    inbox_id: int = Field(primary_key=True, sa_type=BigInteger)
    step: str = Field(primary_key=True, max_length=200)
    result: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: datetime = Field(sa_type=UTCDateTime)


class PmsCursorRow(SQLModel, table=True):
    """How far a poller has read a PMS (Redmine has no webhooks before 7.0)."""

    __tablename__ = "pms_cursor"
    name: str = Field(primary_key=True, max_length=100)
    value: str = Field(max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PmsChangeRow(SQLModel, table=True):
    """A PMS change waiting to be told to one subscribed chat, so a burst becomes one digest."""

    __tablename__ = "pms_change"
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    conversation: str = Field(max_length=128)
    project_key: str = Field(max_length=10)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ImportFileRow(SQLModel, table=True):
    """A file a file source imported, by content: dropping it again changes nothing. Holds its report."""

    __tablename__ = "import_file"
    source: str = Field(primary_key=True, max_length=32)
    sha256: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    imported_at: datetime = Field(sa_type=UTCDateTime, index=True)


class AppSecretRow(SQLModel, table=True):
    """A secret the server generated for itself (the web signing key when PMSBOT_SECRET_KEY is not set)."""

    __tablename__ = "app_secret"
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class PhotoRow(SQLModel, table=True):
    """A photo sent with a field report: checked to be an image, size-limited, kept with its task."""

    __tablename__ = "photo"
    id: int | None = Field(default=None, primary_key=True)
    task_key: str = Field(max_length=24, index=True)
    person_id: str = Field(max_length=64)
    content_type: str = Field(max_length=32)
    data: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ProjectPlanRow(SQLModel, table=True):
    """A project's Microsoft Project plan (bot/mapping/plans.py): the tasks as the file had them, each with the key
    of the task it became, so an import again updates instead of adding and an export writes the same plan back."""

    __tablename__ = "project_plan"
    project: str = Field(primary_key=True, max_length=10)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    imported_at: datetime = Field(sa_type=UTCDateTime)


class PmsCredentialRow(SQLModel, table=True):
    """A person's own PMS credential (bot/store/credentials.py): sealed with AES-GCM under a key derived from the
    server's key, so a copy of the database alone holds no usable token."""

    __tablename__ = "pms_credential"
    person_id: str = Field(primary_key=True, max_length=64)
    pms: str = Field(primary_key=True, max_length=16)
    sealed: str = Field(max_length=8000)
    updated_at: datetime = Field(sa_type=UTCDateTime)
