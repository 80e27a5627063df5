"""What the project dashboard reads besides the PMS: logged work and percent history of the built-in PMS, and the
budget figures' history. Read-only; every value is a bound parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.store.models import MetricRow, ProgressRow, TaskRow

METRIC_HISTORY_MAX = 500  # the most recent figures a burn chart draws


@dataclass(frozen=True, kw_only=True)
class LoggedWork:
    person_id: str | None
    minutes: int
    at: datetime


@dataclass(frozen=True, kw_only=True)
class PercentChange:
    task_key: str
    percent: int  # the task's percent from this instant on (a `done` counts as 100)
    at: datetime


@dataclass(frozen=True, kw_only=True)
class MetricPoint:
    name: str
    value: Decimal
    at: datetime


async def logged_work(s: AsyncSession, project: str, *, since: datetime, until: datetime) -> list[LoggedWork]:
    """Hours logged on the project's built-in tasks in [since, until), as recorded (reports and work logs)."""
    rows = await s.execute(
        select(col(ProgressRow.person_id), col(ProgressRow.minutes), col(ProgressRow.at))
        .join(TaskRow, col(TaskRow.key) == col(ProgressRow.task_key))
        .where(col(TaskRow.project_key) == project, col(ProgressRow.minutes).is_not(None),
               col(ProgressRow.minutes) != 0, col(ProgressRow.at) >= since, col(ProgressRow.at) < until)
        .order_by(col(ProgressRow.at), col(ProgressRow.id)))
    return [LoggedWork(person_id=p, minutes=int(m or 0), at=at) for p, m, at in rows.all()]


async def percent_history(s: AsyncSession, project: str) -> list[PercentChange]:
    """Every change of a built-in task's percent, oldest first: reports with a percent, and `done`."""
    rows = await s.execute(
        select(col(ProgressRow.task_key), col(ProgressRow.kind), col(ProgressRow.percent), col(ProgressRow.at))
        .join(TaskRow, col(TaskRow.key) == col(ProgressRow.task_key))
        .where(col(TaskRow.project_key) == project,
               or_(col(ProgressRow.percent).is_not(None), col(ProgressRow.kind) == "done"))
        .order_by(col(ProgressRow.at), col(ProgressRow.id)))
    return [PercentChange(task_key=k, percent=100 if kind == "done" else int(pct or 0), at=at)
            for k, kind, pct, at in rows.all()]


async def metric_history(s: AsyncSession, project: str, names: tuple[str, ...],
                         *, limit: int = METRIC_HISTORY_MAX) -> list[MetricPoint]:
    """The project's most recent figures of those names, oldest first."""
    rows = await s.execute(
        select(col(MetricRow.name), col(MetricRow.value), col(MetricRow.at))
        .where(col(MetricRow.project_key) == project, col(MetricRow.name).in_(names))
        .order_by(col(MetricRow.at).desc(), col(MetricRow.id).desc()).limit(limit))
    return [MetricPoint(name=n, value=Decimal(v), at=at) for n, v, at in reversed(rows.all())]
