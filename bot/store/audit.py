"""Append-only, hash-chained audit log. `verify` names the first row that does not fit the chain.

With PMSBOT_AUDIT_KEY each row's hash is an HMAC under that key, which lives outside the database: whoever can
rewrite rows cannot recompute the chain. Anchors (the row count and the head's hash at an instant, MAC'd with the
key) are written where the database cannot reach them (a file, the log, or kept by the admin); `verify` with the
anchors also finds rows cut off the end, or an emptied table.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.constants import AUDIT_GENESIS_HASH, AUDIT_PG_LOCK_KEY
from bot.store.db import AUDIT_KEY_INFO, Database
from bot.store.models import AuditRow

VERIFY_BATCH = 1000
_TAIL_KEY = "pmsbot.audit_tail"  # SQLite: the chain's tail, for the rest of this transaction
_PENDING_KEY = "pmsbot.audit_pending"  # PostgreSQL: rows to chain when this transaction commits


def _canonical(detail: dict[str, Any]) -> dict[str, Any]:
    # Whatever goes in must come back out of the JSON column identical, or the hash would not verify.
    clean: dict[str, Any] = json.loads(json.dumps(detail, default=str, ensure_ascii=False))
    return clean


def row_hash(*, row_id: int, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any],
             prev_hash: str, key: bytes | None = None) -> str:
    body = json.dumps(
        {"id": row_id, "at": at.astimezone(UTC).isoformat(), "actor": actor, "action": action,
         "subject": subject, "detail": detail, "prev": prev_hash},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    ).encode("utf-8")
    return hmac.new(key, body, hashlib.sha256).hexdigest() if key else hashlib.sha256(body).hexdigest()


def tombstone_mac(row: AuditRow, *, key: bytes | None) -> str:
    """What an erased row carries: a MAC over the row as it reads after the erasure and over the hash it kept
    (which the next row's previous-hash still names). Only the key's holder can write one, as for the row."""
    assert row.id is not None
    body = "tombstone:" + row_hash(row_id=row.id, at=row.at, actor=row.actor, action=row.action,
                                   subject=row.subject, detail=row.detail, prev_hash=row.prev_hash) + ":" + row.hash
    return (hmac.new(key, body.encode(), hashlib.sha256) if key else hashlib.sha256(body.encode())).hexdigest()


@dataclass(frozen=True, kw_only=True)
class _Entry:
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    at: datetime


# Built once (every command writes a row): SQLAlchemy would otherwise build each statement and its cache key anew,
# and an ORM INSERT adds its own bookkeeping, costing more CPU than SQLite's work (bench/acks.py's worker drain).
_AUDIT = AuditRow.__table__  # type: ignore[attr-defined]
_TAIL = select(_AUDIT.c.id, _AUDIT.c.hash).order_by(_AUDIT.c.id.desc()).limit(1)
_INSERT = insert(_AUDIT)
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


async def append(session: AsyncSession, *, actor: str, action: str, subject: str, detail: dict[str, Any],
                 now: datetime) -> None:
    """Add one row inside the caller's write transaction.

    On PostgreSQL the row is chained as the transaction commits (_chain_at_commit): the chain's lock, which
    serialises every writer, is held for the stamping and the commit only, not for the rest of a command's
    transaction, so workers in several processes do their work side by side. SQLite has one writer anyway."""
    entry = _Entry(actor=actor, action=action, subject=subject[:200], detail=_canonical(detail),
                   at=now.astimezone(UTC))
    if session.get_bind().dialect.name == "postgresql":
        session.info.setdefault(_PENDING_KEY, []).append(entry)
        return
    tail: tuple[int, str] | None = session.info.get(_TAIL_KEY)
    if tail is None:
        last = (await session.execute(_TAIL)).first()
        tail = (int(last[0] or 0), str(last[1])) if last else (0, AUDIT_GENESIS_HASH)
    rows, session.info[_TAIL_KEY] = _chained([entry], tail, session.info.get(AUDIT_KEY_INFO))
    await session.execute(_INSERT, rows)


def _chained(entries: list[_Entry], tail: tuple[int, str], key: bytes | None
             ) -> tuple[list[dict[str, Any]], tuple[int, str]]:
    """The rows of `entries` chained onto `tail` (id, hash), and the new tail."""
    prev_id, prev_hash = tail
    rows = []
    for e in entries:
        prev_id += 1
        digest = row_hash(row_id=prev_id, at=e.at, actor=e.actor, action=e.action, subject=e.subject,
                          detail=e.detail, prev_hash=prev_hash, key=key)
        rows.append({"id": prev_id, "at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject,
                     "detail": e.detail, "prev_hash": prev_hash, "hash": digest, "keyed": key is not None})
        prev_hash = digest
    return rows, (prev_id, prev_hash)


@event.listens_for(Session, "before_commit")
def _chain_at_commit(session: Session) -> None:
    """PostgreSQL: the transaction's audit rows, chained onto the tail under the chain's lock (two transactions
    must not both chain onto the same row), which is held from here to the commit that follows."""
    entries: list[_Entry] | None = session.info.pop(_PENDING_KEY, None)
    if not entries:
        return
    session.execute(_LOCK, {"k": AUDIT_PG_LOCK_KEY})
    last = session.execute(_TAIL).first()
    tail = (int(last[0] or 0), str(last[1])) if last else (0, AUDIT_GENESIS_HASH)
    rows, _ = _chained(entries, tail, session.info.get(AUDIT_KEY_INFO))
    session.execute(_INSERT, rows[0] if len(rows) == 1 else rows)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


@dataclass(frozen=True, kw_only=True)
class VerifyResult:
    ok: bool
    rows: int
    bad_row: int | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Anchor:
    """Where the chain stood at an instant: `rows` rows, the last one's hash `head`; `mac` binds them to the key."""

    rows: int
    head: str
    at: str
    mac: str

    def line(self) -> str:
        return json.dumps({"rows": self.rows, "head": self.head, "at": self.at, "mac": self.mac},
                          separators=(",", ":"))

    @staticmethod
    def parse(line: str) -> Anchor:
        data = json.loads(line)
        if not (isinstance(data, dict) and isinstance(data.get("rows"), int) and isinstance(data.get("head"), str)):
            raise ValueError("not an audit anchor")
        return Anchor(rows=data["rows"], head=data["head"], at=str(data.get("at", "")), mac=str(data.get("mac", "")))


def _anchor_mac(key: bytes | None, rows: int, head: str, at: str) -> str:
    return hmac.new(key, f"{rows}:{head}:{at}".encode(), hashlib.sha256).hexdigest() if key else ""


async def anchor(db: Database, *, now: datetime) -> Anchor:
    """The chain's head now, to be kept where the database cannot rewrite it."""
    async with db.read() as s:
        last = (await s.execute(select(col(AuditRow.id), col(AuditRow.hash)).order_by(col(AuditRow.id).desc())
                                .limit(1))).first()
    rows, head = (int(last[0] or 0), str(last[1])) if last else (0, AUDIT_GENESIS_HASH)
    at = now.astimezone(UTC).isoformat()
    return Anchor(rows=rows, head=head, at=at, mac=_anchor_mac(db.audit_key, rows, head, at))


async def verify(db: Database, *, anchors: list[Anchor] | None = None) -> VerifyResult:
    """The whole chain: ids without gaps, each row's hash over its content and the previous hash (an HMAC for
    keyed rows, which needs the key; once keyed, never unkeyed again), and each anchor found in it."""
    prev_hash = AUDIT_GENESIS_HASH
    expected_id = 1
    count = 0
    keyed_seen = False
    wanted = {}
    for a in anchors or []:
        if db.audit_key is not None and not hmac.compare_digest(a.mac, _anchor_mac(db.audit_key, a.rows, a.head, a.at)):
            return VerifyResult(ok=False, rows=0, reason=f"the anchor of {a.at} does not carry this key's MAC")
        wanted[a.rows] = a
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
                if row.keyed and db.audit_key is None:
                    return VerifyResult(ok=False, rows=count, bad_row=row.id,
                                        reason="it is keyed: set PMSBOT_AUDIT_KEY to verify it")
                if keyed_seen and not row.keyed:
                    return VerifyResult(ok=False, rows=count, bad_row=row.id,
                                        reason="an unkeyed row after keyed ones (rewritten without the key)")
                keyed_seen = keyed_seen or row.keyed
                if row.tombstone is not None:  # erased personal data: the tombstone vouches for the row instead
                    expected, got = tombstone_mac(row, key=db.audit_key if row.keyed else None), row.tombstone
                else:
                    expected, got = row_hash(row_id=row.id, at=row.at, actor=row.actor, action=row.action,
                                             subject=row.subject, detail=row.detail, prev_hash=row.prev_hash,
                                             key=db.audit_key if row.keyed else None), row.hash
                if not hmac.compare_digest(got, expected):
                    return VerifyResult(ok=False, rows=count, bad_row=row.id,
                                        reason="its content does not match its hash (altered)")
                anchored = wanted.pop(row.id, None)
                if anchored is not None and not hmac.compare_digest(anchored.head, row.hash):
                    return VerifyResult(ok=False, rows=count, bad_row=row.id,
                                        reason=f"it is not the row anchored at {anchored.at} (rewritten)")
                prev_hash = row.hash
                expected_id += 1
                count += 1
                last_id = row.id
    wanted.pop(0, None)  # an anchor of the empty chain
    if wanted:
        first = min(wanted.values(), key=lambda a: a.rows)
        return VerifyResult(ok=False, rows=count, bad_row=count + 1,
                            reason=f"the chain has {count} rows, but {first.rows} were anchored at {first.at} "
                                   "(rows cut off the end, or the table emptied)")
    return VerifyResult(ok=True, rows=count)
