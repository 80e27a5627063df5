"""The inbox table: every inbound event, stored once per (platform, event id), leased to one worker at a time."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import CursorResult, Select, Update, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.constants import INBOX_CHANNEL, INBOX_MAX_ATTEMPTS, PMS_WAIT_PREFIX
from bot.records import ChatFile, InboundEvent
from bot.store.db import Database
from bot.store.models import InboxRow
from bot.store.notify import announce
from bot.store.types import UTCDateTime


@dataclass(frozen=True, kw_only=True)
class Claimed:
    inbox_id: int
    attempts: int
    event: InboundEvent


def event_to_payload(event: InboundEvent) -> dict[str, Any]:
    # Spelled out rather than dataclasses.asdict(), which deep-copies: this runs for every acked event.
    payload: dict[str, Any] = {
        "platform": event.platform, "event_id": event.event_id, "kind": event.kind, "sender": event.sender,
        "conversation": event.conversation, "text": event.text, "action": dict(event.action),
        "origin": dict(event.origin), "received_at": event.received_at.isoformat()}
    if event.files:
        payload["files"] = [{"ref": f.ref, "name": f.name, "size_bytes": f.size_bytes} for f in event.files]
    return payload


def _files_of(payload: dict[str, Any]) -> tuple[ChatFile, ...]:
    files = payload.get("files")
    return tuple(ChatFile(ref=str(f.get("ref", "")), name=str(f.get("name", "")),
                          size_bytes=f["size_bytes"] if isinstance(f.get("size_bytes"), int) else None)
                 for f in files if isinstance(f, dict)) if isinstance(files, list) else ()


def event_from_payload(payload: dict[str, Any]) -> InboundEvent:
    return InboundEvent(
        platform=str(payload["platform"]), event_id=str(payload["event_id"]), kind=payload["kind"],
        sender=str(payload["sender"]), conversation=str(payload["conversation"]), text=str(payload.get("text", "")),
        action={str(k): str(v) for k, v in dict(payload.get("action") or {}).items()},
        origin={str(k): str(v) for k, v in dict(payload.get("origin") or {}).items()},
        received_at=datetime.fromisoformat(payload["received_at"]), files=_files_of(payload),
    )


_SQLITE_INSERT = (
    "INSERT INTO inbox (platform, event_id, payload, state, attempts, available_at, received_at) VALUES {rows} "
    "ON CONFLICT (platform, event_id) DO NOTHING RETURNING id, platform, event_id"
)
_PG_INSERT = (
    "INSERT INTO inbox (platform, event_id, payload, state, attempts, available_at, received_at) "
    "SELECT p, e, j::json, s, a, t1, t2 FROM unnest($1::varchar[], $2::varchar[], $3::text[], $4::varchar[], "
    "$5::int[], $6::timestamptz[], $7::timestamptz[]) AS b(p, e, j, s, a, t1, t2) "
    "ON CONFLICT (platform, event_id) DO NOTHING RETURNING id, platform, event_id"
)
# The same, waking the listening workers at its commit (the events are stored unclaimed, for any worker).
_PG_INSERT_ANNOUNCED = (
    f"WITH stored AS ({_PG_INSERT}) SELECT stored.id, stored.platform, stored.event_id "
    f"FROM stored, (SELECT pg_notify('{INBOX_CHANNEL}', '')) AS woken"
)


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's storage format for DateTime on SQLite (naive UTC, microseconds); isoformat is the fast way."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(sep=" ", timespec="microseconds")[:26]  # without the "+00:00"


@functools.cache
def _sqlite_insert(rows: int) -> str:
    return _SQLITE_INSERT.format(rows=",".join(["(?,?,?,?,?,?,?)"] * rows))


async def add_new(db: Database, events: list[InboundEvent], *, attempts: int, available_at: datetime,
                  announced: bool = False) -> dict[tuple[str, str], int]:
    """Store the events not stored before, in one atomic statement; the new ids by (platform, event id). An event
    missing from the answer was there already (a redelivery). `events` holds each key once. `announced`: wake
    the workers of other processes (PostgreSQL's NOTIFY, in the same statement)."""
    # orjson: a fifth of the standard encoder's time, on every acknowledged event (bench/slack.py)
    payloads = [orjson.dumps(event_to_payload(e)).decode() for e in events]
    rows: list[Any]
    if db.is_sqlite:
        # The ack path's hot spot: one multi-row statement, atomic by itself, on the database's dedicated
        # connection (measured, bench/slack.py: SQLAlchemy's session around it cost more CPU per event than
        # bolt's whole request handling).
        stamp = _sqlite_datetime(available_at)
        params: list[Any] = []
        for e, payload in zip(events, payloads, strict=True):
            params += [e.platform, e.event_id, payload, "pending", attempts, stamp, _sqlite_datetime(e.received_at)]
        rows = await db.sqlite_statement(_sqlite_insert(len(events)), tuple(params))
    else:
        # The same on PostgreSQL: the batch as arrays, one round trip, atomic as one statement.
        rows = await db.pg_fetch(
            _PG_INSERT_ANNOUNCED if announced else _PG_INSERT, [e.platform for e in events], [e.event_id for e in events], payloads,
            ["pending"] * len(events), [attempts] * len(events), [available_at] * len(events),
            [e.received_at for e in events])
    return {(str(p), str(e)): int(i) for i, p, e in rows}


# The worker's statements, built once: SQLAlchemy builds a statement and its cache key anew on every call
# otherwise, and an ORM statement adds its own bookkeeping; measured (bench/acks.py's worker drain), that cost more
# CPU than the database's work. Core statements on the table, with bound parameters.
_INBOX = InboxRow.__table__  # type: ignore[attr-defined]


@functools.cache
def _due(limit: int, *, skip_locked: bool) -> Select[Any]:
    q = (select(_INBOX.c.id, _INBOX.c.attempts, _INBOX.c.error, _INBOX.c.payload)
         .where(_INBOX.c.state == "pending", _INBOX.c.available_at <= bindparam("now", type_=UTCDateTime()))
         .order_by(_INBOX.c.id).limit(limit))
    return q.with_for_update(skip_locked=True) if skip_locked else q


_LEASE = (update(_INBOX).where(_INBOX.c.id.in_(bindparam("ids", expanding=True)))
          .values(available_at=bindparam("lease_until", type_=UTCDateTime()), attempts=_INBOX.c.attempts + 1))
_PARK_POISON = update(_INBOX).where(_INBOX.c.id == bindparam("inbox_id")).values(state="failed",
                                                                                 error=bindparam("why"))


async def claim(db: Database, *, limit: int, now: datetime, lease_until: datetime) -> list[Claimed]:
    """Lease up to `limit` due events until `lease_until`, oldest first (SKIP LOCKED on PostgreSQL: two workers
    never take the same one)."""
    async with db.write() as s:
        rows = (await s.execute(_due(limit, skip_locked=db.is_postgres), {"now": now})).all()
        claimed = []
        for inbox_id, attempts, error, payload in rows:
            if attempts >= INBOX_MAX_ATTEMPTS and not (error or "").startswith(PMS_WAIT_PREFIX):
                # Every try died without an outcome (a poison event that kills its worker): park it.
                await s.execute(_PARK_POISON, {"inbox_id": inbox_id,
                                               "why": (error or f"no outcome after {attempts} attempts")[:2000]})
                continue
            claimed.append(Claimed(inbox_id=int(inbox_id), attempts=int(attempts) + 1,
                                   event=event_from_payload(payload)))
        if claimed:
            await s.execute(_LEASE, {"ids": [c.inbox_id for c in claimed], "lease_until": lease_until})
        return claimed


async def make_due(db: Database, leased: list[Claimed], *, now: datetime) -> None:
    """Leases given up unused: each event (if still pending under that lease) is due again at `now`."""
    async with db.write() as s:
        for item in leased:
            await s.execute(update(InboxRow).where(
                col(InboxRow.id) == item.inbox_id, col(InboxRow.attempts) == item.attempts,
                col(InboxRow.state) == "pending").values(available_at=now))


async def state_of(db: Database, inbox_id: int) -> str | None:
    async with db.read() as s:
        row = await s.get(InboxRow, inbox_id)
        return row.state if row else None


async def find(db: Database, platform: str, event_id: str) -> int | None:
    async with db.read() as s:
        q = select(col(InboxRow.id)).where(col(InboxRow.platform) == platform, col(InboxRow.event_id) == event_id)
        return (await s.execute(q)).scalar_one_or_none()


async def requeue_failed(db: Database, event: InboundEvent, *, now: datetime) -> bool:
    """Replace a failed event's content with `event`'s (same key) and make it due; False when it had not failed."""
    async with db.write() as s:
        result = await s.execute(update(InboxRow).where(
            col(InboxRow.platform) == event.platform, col(InboxRow.event_id) == event.event_id,
            col(InboxRow.state) == "failed").values(payload=event_to_payload(event), state="pending", attempts=0, error=None,
                                                     available_at=now))
        requeued = bool(cast(CursorResult[Any], result).rowcount)
        if requeued:
            await announce(s, INBOX_CHANNEL)
        return requeued


async def count_in(db: Database, state: str) -> int:
    """Events in `state`: "pending" (waiting or leased) or "failed" (rejected deliveries and poison events)."""
    async with db.read() as s:
        q = select(func.count()).select_from(InboxRow).where(col(InboxRow.state) == state)
        return int((await s.execute(q)).scalar_one())


async def retry_at(db: Database, inbox_id: int, *, at: datetime, error: str) -> None:
    async with db.write() as s:
        await s.execute(update(InboxRow).where(col(InboxRow.id) == inbox_id).values(
            available_at=at, error=error[:2000]))


# -- what became of a claimed event: done, failed, parked for its PMS, its lease extended. Each write is fenced by
# the attempt number where the event may have been claimed again: if this worker's lease ran out and another
# worker claimed it, the statement matches nothing and the caller's transaction is rolled back (LeaseLost).

class LeaseLost(Exception):
    """Another worker owns the event now; this attempt must not commit."""


@functools.cache
def _fenced_update(pending: bool, columns: tuple[str, ...]) -> Update:
    """The fenced UPDATE of these columns, built once per shape (the values are bound parameters)."""
    where = [_INBOX.c.id == bindparam("fence_id"), _INBOX.c.attempts == bindparam("fence_attempts")]
    if pending:
        where.append(_INBOX.c.state == "pending")
    return update(_INBOX).where(*where).values({c: bindparam(f"new_{c}", type_=_INBOX.c[c].type) for c in columns})


async def _fenced(s: AsyncSession, inbox_id: int, attempts: int, *, pending: bool = True, **values: Any) -> bool:
    result = await s.execute(_fenced_update(pending, tuple(sorted(values))),
                             {"fence_id": inbox_id, "fence_attempts": attempts,
                              **{f"new_{c}": v for c, v in values.items()}})
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
