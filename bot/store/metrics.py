"""Figures the risk rules read: project metrics other systems report, and outbound calls per connector (SLA)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.calls import Calls
from bot.store.db import Database
from bot.store.models import MetricRow, SlaMinuteRow

BUDGET = "budget"  # the project's budget, in its currency
BUDGET_SPENT = "budget_spent"  # spent so far


async def record_metric(s: AsyncSession, *, project: str, name: str, value: Decimal, at: datetime,
                        source: str) -> None:
    s.add(MetricRow(project_key=project, name=name, value=value, at=at, source=source))


async def latest_metrics(s: AsyncSession, project: str, names: tuple[str, ...]) -> dict[str, Decimal]:
    """The most recent value of each named figure of the project (absent names are left out)."""
    latest = (select(col(MetricRow.name), func.max(col(MetricRow.id)).label("id"))
              .where(col(MetricRow.project_key) == project, col(MetricRow.name).in_(names))
              .group_by(col(MetricRow.name)).subquery())
    rows = await s.execute(select(MetricRow).join(latest, col(MetricRow.id) == latest.c.id))
    return {r.name: Decimal(r.value) for r in rows.scalars()}


async def add_calls(db: Database, minute: datetime, calls: dict[str, Calls]) -> None:
    """Add this minute's counts per connector (one upsert per connector)."""
    if not calls:
        return
    async with db.write() as s:
        await count_calls(s, minute, calls)


async def count_calls(s: AsyncSession, minute: datetime, calls: dict[str, Calls]) -> None:
    """add_calls in the caller's transaction (the delivery's, with the messages it marks sent)."""
    if calls:
        await s.execute(_add_to_minute(s.get_bind().dialect.name), [
            {"connector": connector[:64], "minute": minute, "ok": c.ok, "failed": c.failed,
             "latency_ms": c.latency_ms} for connector, c in calls.items()])


@functools.cache
def _add_to_minute(dialect: str) -> Any:
    """The upsert, built once per database kind (every delivery batch runs it)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    table = SlaMinuteRow.__table__  # type: ignore[attr-defined]
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["connector", "minute"],
        set_={"ok": table.c.ok + stmt.excluded.ok, "failed": table.c.failed + stmt.excluded.failed,
              "latency_ms": table.c.latency_ms + stmt.excluded.latency_ms})


@dataclass(frozen=True, kw_only=True)
class ConnectorFigures:
    connector: str
    ok: int
    failed: int
    latency_ms_total: int

    @property
    def calls(self) -> int:
        return self.ok + self.failed

    @property
    def success_rate(self) -> float:
        return self.ok / self.calls if self.calls else 1.0


async def figures(s: AsyncSession, *, since: datetime) -> list[ConnectorFigures]:
    """Every connector's calls since `since`, by name."""
    rows = await s.execute(
        select(col(SlaMinuteRow.connector), func.sum(col(SlaMinuteRow.ok)), func.sum(col(SlaMinuteRow.failed)),
               func.sum(col(SlaMinuteRow.latency_ms)))
        .where(col(SlaMinuteRow.minute) >= since).group_by(col(SlaMinuteRow.connector))
        .order_by(col(SlaMinuteRow.connector)))
    return [ConnectorFigures(connector=str(c), ok=int(ok or 0), failed=int(failed or 0), latency_ms_total=int(ms or 0))
            for c, ok, failed, ms in rows.all()]


async def outcomes(s: AsyncSession, *, since: datetime) -> dict[str, tuple[int, int]]:
    """connector -> (successful calls, all calls) since `since`."""
    rows = await s.execute(
        select(col(SlaMinuteRow.connector), func.sum(col(SlaMinuteRow.ok)), func.sum(col(SlaMinuteRow.failed)))
        .where(col(SlaMinuteRow.minute) >= since).group_by(col(SlaMinuteRow.connector)))
    return {str(c): (int(ok or 0), int(ok or 0) + int(failed or 0)) for c, ok, failed in rows.all()}
