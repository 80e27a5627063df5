"""Append-only, hash-chained audit log. `verify` names the first row that does not fit the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.constants import AUDIT_GENESIS_HASH, AUDIT_PG_LOCK_KEY
from bot.store.db import Database
from bot.store.models import AuditRow

VERIFY_BATCH = 1000
_TAIL_KEY = "pmsbot.audit_tail"


def _canonical(detail: dict[str, Any]) -> dict[str, Any]:
    # Whatever goes in must come back out of the JSON column identical, or the hash would not verify.
    clean: dict[str, Any] = json.loads(json.dumps(detail, default=str, ensure_ascii=False))
    return clean


def row_hash(*, row_id: int, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any],
             prev_hash: str) -> str:
    body = json.dumps(
        {"id": row_id, "at": at.astimezone(UTC).isoformat(), "actor": actor, "action": action,
         "subject": subject, "detail": detail, "prev": prev_hash},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


async def append(session: AsyncSession, *, actor: str, action: str, subject: str, detail: dict[str, Any],
                 now: datetime) -> None:
    """Add one row inside the caller's write transaction."""
    tail: tuple[int, str] | None = session.info.get(_TAIL_KEY)
    if tail is None:
        if session.get_bind().dialect.name == "postgresql":
            # Two transactions must not both chain onto the same previous row.
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_PG_LOCK_KEY})
        last = (await session.execute(
            select(col(AuditRow.id), col(AuditRow.hash)).order_by(col(AuditRow.id).desc()).limit(1)
        )).first()
        tail = (int(last[0] or 0), str(last[1])) if last else (0, AUDIT_GENESIS_HASH)
    prev_id, prev_hash = tail
    row_id = prev_id + 1
    clean = _canonical(detail)
    at = now.astimezone(UTC)
    digest = row_hash(row_id=row_id, at=at, actor=actor, action=action, subject=subject[:200], detail=clean,
                      prev_hash=prev_hash)
    await session.execute(insert(AuditRow).values(id=row_id, at=at, actor=actor, action=action,
                                                  subject=subject[:200], detail=clean, prev_hash=prev_hash,
                                                  hash=digest))
    # The chain's tail stays known for the rest of this transaction (the lock above is held until its end).
    session.info[_TAIL_KEY] = (row_id, digest)


@dataclass(frozen=True, kw_only=True)
class VerifyResult:
    ok: bool
    rows: int
    bad_row: int | None = None
    reason: str | None = None


async def verify(db: Database) -> VerifyResult:
    prev_hash = AUDIT_GENESIS_HASH
    expected_id = 1
    count = 0
    async with db.read() as session:
        last_id = 0
        while True:
            rows = (await session.execute(
                select(AuditRow).where(col(AuditRow.id) > last_id).order_by(col(AuditRow.id)).limit(VERIFY_BATCH)
            )).scalars().all()
            if not rows:
                break
            for row in rows:
                assert row.id is not None
                if row.id != expected_id:
                    return VerifyResult(ok=False, rows=count, bad_row=row.id,
                                        reason=f"row {expected_id} is missing before row {row.id}")
                if row.prev_hash != prev_hash:
                    return VerifyResult(ok=False, rows=count, bad_row=row.id,
                                        reason="its previous-hash does not match the row before it")
                expected = row_hash(row_id=row.id, at=row.at, actor=row.actor, action=row.action,
                                    subject=row.subject, detail=row.detail, prev_hash=row.prev_hash)
                if row.hash != expected:
                    return VerifyResult(ok=False, rows=count, bad_row=row.id,
                                        reason="its content does not match its hash (altered)")
                prev_hash = row.hash
                expected_id += 1
                count += 1
                last_id = row.id
    return VerifyResult(ok=True, rows=count)
