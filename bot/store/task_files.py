"""Files attached to the built-in PMS's tasks: the bytes in the database beside the task (one backup holds both,
and a web process on another host serves what a worker stored), each with its checked type and size."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from bot.records import Attachment
from bot.store.db import Database
from bot.store.models import TaskFileRow
from bot.store.repository import InTransaction


@dataclass(frozen=True, kw_only=True)
class TaskFile:
    id: int
    task_key: str
    name: str
    content_type: str
    size_bytes: int
    created_at: datetime


def _file(row: TaskFileRow) -> TaskFile:
    return TaskFile(id=int(row.id or 0), task_key=row.task_key, name=row.name, content_type=row.content_type,
                    size_bytes=row.size_bytes, created_at=row.created_at)


class TaskFiles(InTransaction):
    """In the caller's transaction: a file attached with its command's report commits with it, or not at all."""

    async def add(self, task_key: str, file: Attachment, *, person_id: str, now: datetime) -> int:
        row = TaskFileRow(task_key=task_key, person_id=person_id, name=file.name, content_type=file.content_type,
                          size_bytes=len(file.data), sha256=hashlib.sha256(file.data).hexdigest(), data=file.data,
                          created_at=now)
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id


async def files_of(db: Database, task_key: str, *, limit: int = 24) -> list[TaskFile]:
    """The task's files, newest first, without their bytes."""
    async with db.read() as s:
        rows = await s.execute(
            select(col(TaskFileRow.id), col(TaskFileRow.task_key), col(TaskFileRow.name),
                   col(TaskFileRow.content_type), col(TaskFileRow.size_bytes), col(TaskFileRow.created_at))
            .where(col(TaskFileRow.task_key) == task_key).order_by(col(TaskFileRow.id).desc()).limit(limit))
        return [TaskFile(id=int(i or 0), task_key=k, name=n, content_type=t, size_bytes=b, created_at=c)
                for i, k, n, t, b, c in rows.all()]


async def file_with_data(db: Database, file_id: int) -> tuple[TaskFile, bytes] | None:
    async with db.read() as s:
        row = await s.get(TaskFileRow, file_id)
        return (_file(row), bytes(row.data)) if row is not None else None
