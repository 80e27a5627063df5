"""Retention: rows older than their kind's limit go, in set-based statements (one per table), and the count per
table is the report. Audit rows are not deleted — the chain needs every row — but past their limit their personal
data is replaced by a pseudonym and a keyed tombstone (as an erasure does), so `audit verify` still passes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.store import models as m
from bot.store.audit import tombstone_mac
from bot.store.db import AUDIT_KEY_INFO
from bot.store.privacy import pseudonym

AUDIT_BATCH = 1000
KINDS = ("chat_text", "photos", "inbox", "audit")


def _count(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def purge(s: AsyncSession, cutoffs: dict[str, datetime]) -> dict[str, int]:
    """Delete (or, for audit, pseudonymise) what is older than each kind's cutoff; rows per table."""
    report: dict[str, int] = {}
    if "chat_text" in cutoffs:
        before = cutoffs["chat_text"]
        report["console_message"] = _count(await s.execute(
            delete(m.ConsoleMessageRow).where(col(m.ConsoleMessageRow.at) < before)))
        report["outbox"] = _count(await s.execute(delete(m.OutboxRow).where(
            col(m.OutboxRow.state).in_(("sent", "dead")), col(m.OutboxRow.created_at) < before)))
        report["standup_entry"] = _count(await s.execute(
            delete(m.StandupEntryRow).where(col(m.StandupEntryRow.at) < before)))
    if "photos" in cutoffs:
        report["photo"] = _count(await s.execute(delete(m.PhotoRow).where(col(m.PhotoRow.created_at) < cutoffs["photos"])))
    if "inbox" in cutoffs:
        old = select(col(m.InboxRow.id)).where(col(m.InboxRow.state).in_(("done", "failed")),
                                               col(m.InboxRow.received_at) < cutoffs["inbox"])
        report["pms_write"] = _count(await s.execute(delete(m.PmsWriteRow).where(col(m.PmsWriteRow.inbox_id).in_(old))))
        report["inbox"] = _count(await s.execute(delete(m.InboxRow).where(
            col(m.InboxRow.state).in_(("done", "failed")), col(m.InboxRow.received_at) < cutoffs["inbox"])))
    if "audit" in cutoffs:
        report["audit"] = await _expire_audit(s, cutoffs["audit"])
    return {table: n for table, n in report.items() if n}


async def _expire_audit(s: AsyncSession, before: datetime) -> int:
    key: bytes | None = s.info.get(AUDIT_KEY_INFO)
    done = 0
    while True:
        rows = (await s.execute(select(m.AuditRow).where(col(m.AuditRow.at) < before,
                                                          col(m.AuditRow.tombstone).is_(None))
                                .order_by(col(m.AuditRow.id)).limit(AUDIT_BATCH))).scalars().all()
        if not rows:
            return done
        for row in rows:  # each tombstone is a MAC of its own row: computed here, not in SQL
            row.actor = row.actor if row.actor in ("clock", "system") else pseudonym(row.actor, key)
            row.detail = {"expired": True}
            row.tombstone = tombstone_mac(row, key=key if row.keyed else None)
        await s.flush()
        done += len(rows)
