"""The undo log: each write a person makes through chat, what it changed, and whether it was undone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlmodel import col

from bot.records import PersonWrite
from bot.store.models import PersonWriteRow
from bot.store.repository import InTransaction


def _write(row: PersonWriteRow) -> PersonWrite:
    return PersonWrite(
        id=row.id, person=row.person_id, task=row.task_key, pms=row.pms, kind=row.kind, at=row.at,
        before_status=row.before_status, before_percent=row.before_percent, before_reason=row.before_reason,
        after_status=row.after_status, after_percent=row.after_percent, after_reason=row.after_reason,
        hours=Decimal(row.hours) if row.hours is not None else None, worklog=row.worklog, undone_at=row.undone_at)


_PERSON_WRITE = PersonWriteRow.__table__  # type: ignore[attr-defined]
_REMEMBER = insert(_PERSON_WRITE).returning(_PERSON_WRITE.c.id)


class Writes(InTransaction):
    async def remember_write(self, write: PersonWrite) -> int:
        # One INSERT … RETURNING built once, not an ORM row and a flush: every write a person makes is one.
        result = await self._s.execute(_REMEMBER, {
            "person_id": write.person, "task_key": write.task, "pms": write.pms, "kind": write.kind, "at": write.at,
            "before_status": write.before_status, "before_percent": write.before_percent,
            "before_reason": write.before_reason, "after_status": write.after_status,
            "after_percent": write.after_percent, "after_reason": write.after_reason,
            "hours": str(write.hours) if write.hours is not None else None, "worklog": write.worklog,
            "undone_at": write.undone_at})
        return int(result.scalar_one())

    async def last_write(self, person_id: str) -> PersonWrite | None:
        """The person's newest write (undone or not), locked for the rest of the transaction."""
        row = (await self._s.execute(
            select(PersonWriteRow).where(col(PersonWriteRow.person_id) == person_id)
            .order_by(col(PersonWriteRow.id).desc()).limit(1).with_for_update()
            .execution_options(populate_existing=True))).scalar_one_or_none()
        return _write(row) if row is not None else None

    async def settle_write(self, write: PersonWrite) -> bool:
        """Store an undo (undone_at) or a correction (after, hours, worklog, at) of a write not undone yet;
        False when it was undone meanwhile (nothing changed)."""
        result = await self._s.execute(
            update(PersonWriteRow)
            .where(col(PersonWriteRow.id) == write.id, col(PersonWriteRow.undone_at).is_(None))
            .values(at=write.at, after_status=write.after_status, after_percent=write.after_percent,
                    after_reason=write.after_reason, hours=str(write.hours) if write.hours is not None else None,
                    worklog=write.worklog, undone_at=write.undone_at)
            .execution_options(synchronize_session=False))
        return cast(CursorResult[Any], result).rowcount == 1
