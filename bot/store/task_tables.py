"""The tables of tasks: the built-in PMS's milestones, tasks and progress history, and the undo log of the writes
people make through chat (whichever PMS holds the task). Re-exported by bot/store/models.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime


class MilestoneRow(SQLModel, table=True):
    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("project_key", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    project_key: str = Field(foreign_key="project.key", index=True, max_length=10)
    name: str = Field(max_length=200)
    due: date | None = None


class TaskRow(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("project_key", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=24)
    project_key: str = Field(foreign_key="project.key", index=True, max_length=10)
    number: int
    title: str = Field(max_length=200)
    status: str = Field(default="todo", max_length=16)
    percent: int = 0
    assignee: str | None = Field(default=None, foreign_key="person.id", index=True, max_length=64)
    due: date | None = None
    estimate_min: int | None = None
    spent_min: int = 0
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id")
    blocked_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    priority: str | None = Field(default=None, max_length=16)  # one of bot.pms.base.PRIORITIES


class ProgressRow(SQLModel, table=True):
    """Progress history: every report, done, block, comment and work log on a task."""

    __tablename__ = "progress"
    id: int | None = Field(default=None, primary_key=True)
    task_key: str = Field(foreign_key="task.key", index=True, max_length=24)
    person_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=16)  # report | done | block | comment | worklog | transition
    percent: int | None = None
    minutes: int | None = None
    note: str = Field(default="", max_length=1000)
    at: datetime = Field(sa_type=UTCDateTime)


class PersonWriteRow(SQLModel, table=True):
    """A write a person made through chat and what it changed: the undo log (bot/store/writes.py)."""

    __tablename__ = "person_write"
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    task_key: str = Field(max_length=24)
    pms: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    at: datetime = Field(sa_type=UTCDateTime)
    before_status: str = Field(max_length=16)
    before_percent: int
    before_reason: str | None = Field(default=None, max_length=1000)
    after_status: str = Field(max_length=16)
    after_percent: int
    after_reason: str | None = Field(default=None, max_length=1000)
    hours: str | None = Field(default=None, max_length=16)  # a Decimal's text, exact
    worklog: str | None = Field(default=None, max_length=64)  # the time entry's id in the PMS
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TaskFileRow(SQLModel, table=True):
    """A file attached to a task of the built-in PMS (a photo sent in chat with a report): kept in the database,
    so every process and every backup has it (bot/store/task_files.py)."""

    __tablename__ = "task_file"
    id: int | None = Field(default=None, primary_key=True)
    task_key: str = Field(index=True, max_length=24)
    person_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    content_type: str = Field(max_length=32)
    size_bytes: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime)
