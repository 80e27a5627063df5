"""What the web pages keep: the server's signing key (when not configured) and field-report photos."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from bot.store.db import Database
from bot.store.dialect import insert_ignore
from bot.store.models import AppSecretRow, PhotoRow

WEB_KEY = "web_key"


class KeyUnavailable(Exception):
    """The signing key could not be read or made: the database has no schema yet (or refused)."""


async def server_key(db: Database) -> bytes:
    """The key every web process signs with: made once, by whichever process asks first. Raises KeyUnavailable."""
    try:
        async with db.read() as s:
            row = await s.get(AppSecretRow, WEB_KEY)
            if row is not None:
                return bytes.fromhex(row.value)
        async with db.write() as s:
            await s.execute(insert_ignore(s, AppSecretRow).values(name=WEB_KEY, value=secrets.token_hex(32)))
            row = await s.get(AppSecretRow, WEB_KEY)
            assert row is not None
            return bytes.fromhex(row.value)
    except SQLAlchemyError as exc:
        raise KeyUnavailable(f"the web signing key: {type(exc).__name__}") from exc


async def add_photo(db: Database, *, task_key: str, person_id: str, content_type: str, data: bytes,
                    now: datetime) -> int:
    async with db.write() as s:
        row = PhotoRow(task_key=task_key, person_id=person_id, content_type=content_type, data=data,
                       sha256=hashlib.sha256(data).hexdigest(), created_at=now)
        s.add(row)
        await s.flush()
        assert row.id is not None
        return row.id


async def photo(db: Database, photo_id: int) -> PhotoRow | None:
    async with db.read() as s:
        return await s.get(PhotoRow, photo_id)


async def photos_of(db: Database, task_key: str, *, limit: int = 12) -> list[tuple[int, str, datetime]]:
    async with db.read() as s:
        rows = await s.execute(select(col(PhotoRow.id), col(PhotoRow.person_id), col(PhotoRow.created_at))
                               .where(col(PhotoRow.task_key) == task_key)
                               .order_by(col(PhotoRow.id).desc()).limit(limit))
        return [(int(i or 0), str(p), t) for i, p, t in rows.all()]
