"""What became of a claimed inbox event: done, failed, parked to wait for its PMS, or its lease extended.

Each write is fenced by the attempt number where the event may have been claimed again: if this worker's lease
ran out and another worker claimed the event, the statement matches nothing and the caller's transaction is
rolled back instead of applying the event twice (LeaseLost)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.store.models import InboxRow


class LeaseLost(Exception):
    """Another worker owns the event now; this attempt must not commit."""


async def _fenced(s: AsyncSession, inbox_id: int, attempts: int, *, pending: bool = True, **values: Any) -> bool:
    where = [col(InboxRow.id) == inbox_id, col(InboxRow.attempts) == attempts]
    if pending:
        where.append(col(InboxRow.state) == "pending")
    result = await s.execute(update(InboxRow).where(*where).values(**values))
    return cast(CursorResult[Any], result).rowcount == 1


async def done(s: AsyncSession, inbox_id: int, attempts: int, *, now: datetime) -> None:
    if not await _fenced(s, inbox_id, attempts, state="done", done_at=now, error=None):
        raise LeaseLost(f"inbox event {inbox_id} was claimed again by another worker")


async def park(s: AsyncSession, inbox_id: int, attempts: int, *, until: datetime, error: str) -> None:
    """Back to pending, not before `until` (waiting for its PMS)."""
    if not await _fenced(s, inbox_id, attempts, available_at=until, error=error[:2000]):
        raise LeaseLost(f"inbox event {inbox_id} was claimed again by another worker")


async def give_up(s: AsyncSession, inbox_id: int, attempts: int, *, error: str) -> None:
    """Failed while still this worker's claim."""
    if not await _fenced(s, inbox_id, attempts, state="failed", error=error[:2000]):
        raise LeaseLost(f"inbox event {inbox_id} was claimed again by another worker")


async def reject(s: AsyncSession, inbox_id: int, attempts: int, *, error: str) -> None:
    """Failed with the reason, whatever its state (a rejected source delivery stays on record)."""
    await _fenced(s, inbox_id, attempts, pending=False, state="failed", error=error[:2000])


async def fail(s: AsyncSession, inbox_id: int, *, error: str) -> None:
    """Failed after its last attempt."""
    await s.execute(update(InboxRow).where(col(InboxRow.id) == inbox_id).values(state="failed", error=error[:2000]))


async def note(s: AsyncSession, inbox_id: int, error: str) -> None:
    """A remark kept with the event (why nothing was done)."""
    await s.execute(update(InboxRow).where(col(InboxRow.id) == inbox_id).values(error=error[:2000]))


async def extend_lease(s: AsyncSession, inbox_id: int, attempts: int, *, until: datetime) -> None:
    await _fenced(s, inbox_id, attempts, available_at=until)
