"""The tables of the portfolio's history: one row per project (and milestone) per day, per person per day, risk
counts by kind per day, and each task's finish once. Written by the daily snapshot (bot/jobs/snapshots.py) in a
few set-based statements; read by the portfolio and trend pages. Re-exported by bot/store/models.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime


class ProjectDayRow(SQLModel, table=True):
    """A project's figures on one local day; `milestone` "" is the whole project (health, risks, approvals and
    standups are counted on that row only)."""

    __tablename__ = "project_day"
    project_key: str = Field(primary_key=True, max_length=10)
    milestone: str = Field(primary_key=True, max_length=200, default="")
    day: date = Field(primary_key=True)
    total: int = 0  # tasks (the scope)
    done: int = 0
    blocked: int = 0
    overdue: int = 0
    percent: int = 0
    plan_percent: int | None = None  # the linear plan of the tasks with a start and a due date
    due: date | None = None  # the milestone's due date; the project's row: its last milestone's
    remaining_min: int = 0  # estimate - spent of the open tasks
    health: str = Field(default="ok", max_length=8)  # ok | risk | late
    risks: int = 0
    approvals: int = 0  # waiting for a decision
    standup_expected: int = 0  # prompts the project's standups sent that day
    standup_answered: int = 0
    at: datetime = Field(sa_type=UTCDateTime)


class PersonDayRow(SQLModel, table=True):
    """One person's load in one project on one day ("" : unassigned work)."""

    __tablename__ = "person_day"
    project_key: str = Field(primary_key=True, max_length=10)
    person_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    open_tasks: int = 0
    remaining_min: int = 0
    logged_min: int = 0  # logged that day (the built-in PMS's work logs)


class RiskDayRow(SQLModel, table=True):
    __tablename__ = "risk_day"
    project_key: str = Field(primary_key=True, max_length=10)
    day: date = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=16)
    count: int = 0


class TaskDoneRow(SQLModel, table=True):
    """A task seen done by a snapshot: when it finished and its cycle time (calendar days created → done)."""

    __tablename__ = "task_done"
    __table_args__ = (Index("ix_task_done_project_day", "project_key", "done_day"),)
    task_key: str = Field(primary_key=True, max_length=64)
    project_key: str = Field(max_length=10)
    person_id: str | None = Field(default=None, max_length=64)
    done_day: date
    cycle_days: int | None = None  # None: its creation is not known
