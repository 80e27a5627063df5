"""The durable inbox: events are committed before they are acknowledged; redeliveries are dropped.

Writes under load are group-committed: every accept() that arrives while a transaction is being written
joins the next one, so N concurrent events cost one commit, not N.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import CursorResult, func, select, update
from sqlmodel import col

from bot.clocks import Clock
from bot.constants import (
    INBOX_BATCH_MAX,
    INBOX_GATHER_TURNS,
    INBOX_HANDOFF_MAX,
    INBOX_LEASE_S,
    INBOX_MAX_ATTEMPTS,
    PMS_WAIT_PREFIX,
)
from bot.records import InboundEvent
from bot.store.db import Database
from bot.store.models import InboxRow
from bot.text import is_storable, storable


def event_to_payload(event: InboundEvent) -> dict[str, Any]:
    # Spelled out rather than dataclasses.asdict(), which deep-copies: this runs for every acked event.
    return {"platform": event.platform, "event_id": event.event_id, "kind": event.kind, "sender": event.sender,
            "conversation": event.conversation, "text": event.text, "action": dict(event.action),
            "origin": dict(event.origin), "received_at": event.received_at.isoformat()}


def event_from_payload(payload: dict[str, Any]) -> InboundEvent:
    return InboundEvent(
        platform=str(payload["platform"]), event_id=str(payload["event_id"]), kind=payload["kind"],
        sender=str(payload["sender"]), conversation=str(payload["conversation"]), text=str(payload.get("text", "")),
        action={str(k): str(v) for k, v in dict(payload.get("action") or {}).items()},
        origin={str(k): str(v) for k, v in dict(payload.get("origin") or {}).items()},
        received_at=datetime.fromisoformat(payload["received_at"]),
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
def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's storage format for DateTime on SQLite (naive UTC, microseconds); isoformat is the fast way."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(sep=" ", timespec="microseconds")[:26]  # without the "+00:00"


@functools.cache
def _sqlite_insert(rows: int) -> str:
    return _SQLITE_INSERT.format(rows=",".join(["(?,?,?,?,?,?,?)"] * rows))


@dataclass(frozen=True, kw_only=True)
class Accepted:
    inbox_id: int | None  # None when this was a redelivery of an event already stored
    duplicate: bool


@dataclass(frozen=True, kw_only=True)
class Claimed:
    inbox_id: int
    attempts: int
    event: InboundEvent


class Inbox:
    def __init__(self, db: Database, *, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._pending: list[tuple[InboundEvent, asyncio.Future[Accepted]]] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.new_work = asyncio.Event()  # set when this process stored something a local worker may claim
        self.commits = 0  # transactions written, for the group-commit benchmark
        # With a worker in this process, new events are stored already claimed and handed over in memory:
        # no claim query, no polling delay. If this process dies, the lease runs out and any worker takes them.
        self.local_worker = False
        self._handoff: collections.deque[Claimed] = collections.deque()

    def take_local(self) -> Claimed | None:
        return self._handoff.popleft() if self._handoff else None

    async def accept(self, event: InboundEvent) -> Accepted:
        """Returns once the event is durable (or known to be a duplicate)."""
        event = _storable_event(event)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="inbox-writer")
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        self._wake.set()
        return await future

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            # Turns of the loop first, as long as each brings more events: requests already read from their
            # sockets reach accept() and join this transaction instead of the next. A commit costs far more than
            # a turn, and a turn that brings nothing means nobody else is on the way.
            seen, turns = -1, 0
            while seen != len(self._pending) < INBOX_BATCH_MAX and turns < INBOX_GATHER_TURNS:
                seen, turns = len(self._pending), turns + 1
                await asyncio.sleep(0)
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:INBOX_BATCH_MAX], self._pending[INBOX_BATCH_MAX:]
                await self._write_or_split(batch)
                self.new_work.set()

    async def _write_or_split(self, batch: list[tuple[InboundEvent, asyncio.Future[Accepted]]]) -> None:
        try:
            results = await self._write(batch)
        except Exception as exc:  # every waiter must hear of the failure, or its request hangs
            if len(batch) > 1:
                # One bad event must not fail the others that happened to share its transaction.
                for one in batch:
                    await self._write_or_split([one])
                return
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), res in zip(batch, results, strict=True):
            if not fut.done():
                fut.set_result(res)

    async def _write(self, batch: list[tuple[InboundEvent, asyncio.Future[Accepted]]]) -> list[Accepted]:
        now = self._clock.now()  # our clock, not the platform's: a skewed sender must not delay its event
        preclaim = self.local_worker and len(self._handoff) < INBOX_HANDOFF_MAX
        unique: dict[tuple[str, str], InboundEvent] = {}
        for event, _ in batch:
            unique.setdefault((event.platform, event.event_id), event)
        # INSERT … ON CONFLICT DO NOTHING RETURNING for the batch: a key that comes back with no id was stored
        # before (a redelivery).
        events = list(unique.values())
        attempts = 1 if preclaim else 0
        available = now + timedelta(seconds=INBOX_LEASE_S) if preclaim else now
        # orjson: a fifth of the standard encoder's time, on every acknowledged event (bench/slack.py)
        payloads = [orjson.dumps(event_to_payload(e)).decode() for e in events]
        rows: list[Any]
        if self._db.is_sqlite:
            # The ack path's hot spot: one multi-row statement, atomic by itself, on the database's dedicated
            # connection (measured, bench/slack.py: SQLAlchemy's session around it cost more CPU per event than
            # bolt's whole request handling).
            stamp = _sqlite_datetime(available)
            params: list[Any] = []
            for e, payload in zip(events, payloads, strict=True):
                params += [e.platform, e.event_id, payload, "pending", attempts, stamp, _sqlite_datetime(e.received_at)]
            rows = await self._db.sqlite_statement(_sqlite_insert(len(events)), tuple(params))
        else:
            # The same on PostgreSQL: the batch as arrays, one round trip, atomic as one statement.
            rows = await self._db.pg_fetch(
                _PG_INSERT, [e.platform for e in events], [e.event_id for e in events], payloads,
                ["pending"] * len(events), [attempts] * len(events), [available] * len(events),
                [e.received_at for e in events])
        stored = {(str(p), str(e)): int(i) for i, p, e in rows}
        self.commits += 1
        out: list[Accepted] = []
        first = set()
        for event, _ in batch:
            key = (event.platform, event.event_id)
            new_id = stored.get(key)
            if new_id is not None and key not in first:
                first.add(key)
                out.append(Accepted(inbox_id=new_id, duplicate=False))
                if preclaim:
                    self._handoff.append(Claimed(inbox_id=new_id, attempts=1, event=event))
            else:
                out.append(Accepted(inbox_id=new_id, duplicate=True))
        return out

    async def claim(self, *, limit: int, now: datetime | None = None) -> list[Claimed]:
        """Lease up to `limit` due events. A lease that runs out (worker killed) makes the event due again."""
        now = now or self._clock.now()
        lease_until = now + timedelta(seconds=INBOX_LEASE_S)
        async with self._db.write() as s:
            q = (
                select(InboxRow)
                .where(col(InboxRow.state) == "pending", col(InboxRow.available_at) <= now)
                .order_by(col(InboxRow.id))
                .limit(limit)
            )
            if self._db.is_postgres:
                q = q.with_for_update(skip_locked=True)
            rows = (await s.execute(q)).scalars().all()
            claimed = []
            for row in rows:
                assert row.id is not None
                if row.attempts >= INBOX_MAX_ATTEMPTS and not (row.error or "").startswith(PMS_WAIT_PREFIX):
                    # Every try died without an outcome (a poison event that kills its worker): park it.
                    row.state = "failed"
                    row.error = (row.error or f"no outcome after {row.attempts} attempts")[:2000]
                    continue
                row.available_at = lease_until
                row.attempts += 1
                claimed.append(Claimed(inbox_id=row.id, attempts=row.attempts, event=event_from_payload(row.payload)))
            return claimed

    async def release_local(self) -> None:
        """Shutting down: events handed to this process but not started become due for any worker now."""
        items, self._handoff = list(self._handoff), collections.deque()
        if not items:
            return
        async with self._db.write() as s:
            for item in items:
                await s.execute(update(InboxRow).where(
                    col(InboxRow.id) == item.inbox_id, col(InboxRow.attempts) == item.attempts,
                    col(InboxRow.state) == "pending").values(available_at=self._clock.now()))

    async def state(self, inbox_id: int) -> str | None:
        async with self._db.read() as s:
            row = await s.get(InboxRow, inbox_id)
            return row.state if row else None

    async def find(self, platform: str, event_id: str) -> int | None:
        """The inbox id of an event already received, if it was."""
        async with self._db.read() as s:
            q = select(col(InboxRow.id)).where(col(InboxRow.platform) == platform, col(InboxRow.event_id) == event_id)
            return (await s.execute(q)).scalar_one_or_none()

    async def requeue_failed(self, event: InboundEvent) -> bool:
        """A delivery sent again under the key of one that was rejected: its (corrected) content replaces the
        rejected one and is handled anew. False when the earlier one was not rejected (a plain duplicate)."""
        event = _storable_event(event)  # as it was stored: the key is found, and the content can be written
        async with self._db.write() as s:
            result = await s.execute(update(InboxRow).where(
                col(InboxRow.platform) == event.platform, col(InboxRow.event_id) == event.event_id,
                col(InboxRow.state) == "failed").values(payload=event_to_payload(event), state="pending", attempts=0, error=None,
                                                         available_at=self._clock.now()))
            requeued = bool(cast(CursorResult[Any], result).rowcount)
        if requeued:
            self.new_work.set()
        return requeued

    async def failed_count(self) -> int:
        """Events parked as failed: rejected deliveries of sources (with their reason) and poison events."""
        async with self._db.read() as s:
            q = select(func.count()).select_from(InboxRow).where(col(InboxRow.state) == "failed")
            return int((await s.execute(q)).scalar_one())

    async def pending_count(self) -> int:
        async with self._db.read() as s:
            q = select(func.count()).select_from(InboxRow).where(col(InboxRow.state) == "pending")
            return int((await s.execute(q)).scalar_one())

    async def release(self, inbox_id: int, *, retry_at: datetime, error: str) -> None:
        async with self._db.write() as s:
            await s.execute(update(InboxRow).where(col(InboxRow.id) == inbox_id).values(
                available_at=retry_at, error=error[:2000]))


def _storable_event(event: InboundEvent) -> InboundEvent:
    """The event as every database takes it (no lone surrogates, no NUL), whatever a sender put in it."""
    if is_storable(event.event_id, event.sender, event.conversation, event.text, *event.action.keys(),
                   *event.action.values(), *event.origin.keys(), *event.origin.values()):
        return event  # the usual case: one scan instead of a copy of every event on the ack path
    return replace(
        event, event_id=storable(event.event_id), sender=storable(event.sender),
        conversation=storable(event.conversation), text=storable(event.text),
        action={storable(k): storable(v) for k, v in event.action.items()},
        origin={storable(k): storable(v) for k, v in event.origin.items()},
    )
