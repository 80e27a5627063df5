"""The durable inbox: events are committed before they are acknowledged; redeliveries are dropped.

Writes under load are group-committed: every accept() that arrives while a transaction is being written
joins the next one, so N concurrent events cost one commit, not N.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.clocks import Clock
from bot.constants import (
    INBOX_BATCH_MAX,
    INBOX_GATHER_MAX_S,
    INBOX_GATHER_TURNS,
    INBOX_HANDOFF_MAX,
    INBOX_LEASE_S,
    WORKER_ACKS_QUIET_S,
)
from bot.records import InboundEvent
from bot.store import inbox as store
from bot.store.db import Database
from bot.store.inbox import Claimed
from bot.text import is_storable, storable


@dataclass(frozen=True, kw_only=True)
class Accepted:
    inbox_id: int | None  # None when this was a redelivery of an event already stored
    duplicate: bool


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
        self._acks_done = asyncio.Event()  # set while no accept() waits for its commit
        self._acks_done.set()
        self._last_accept = 0.0  # the loop's time of the last accept()
        self._table_work = True  # something may be due in the table that was not handed over (see wake())

    def wake(self) -> None:
        """Work may be due in the table (stored unclaimed, by this process or another): the worker looks there
        next, not only at what it was handed."""
        self._table_work = True
        self.new_work.set()

    def take_table_work(self) -> bool:
        """Whether wake() was called since the last time this was asked."""
        told, self._table_work = self._table_work, False
        return told

    def take_local(self) -> Claimed | None:
        return self._handoff.popleft() if self._handoff else None

    async def accept(self, event: InboundEvent) -> Accepted:
        """Returns once the event is durable (or known to be a duplicate)."""
        event = _storable_event(event)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="inbox-writer")
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        self._last_accept = asyncio.get_running_loop().time()
        self._acks_done.clear()
        self._wake.set()
        return await future

    async def after_acks(self, *, within_s: float) -> None:
        """A worker of this process, before each event: the accept() calls waiting for their commit go first. The
        worker shares the event loop with the intake, and each of its events holds the loop (and SQLite's writer)
        for milliseconds that every ack in flight would wait on. Bounded by `within_s`."""
        await asyncio.sleep(0)  # requests read from their sockets by now reach accept() first
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while (left := deadline - loop.time()) > 0:
            if not self._acks_done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._acks_done.wait(), timeout=left)
                continue
            quiet_for = loop.time() - self._last_accept
            if quiet_for >= WORKER_ACKS_QUIET_S:
                return
            # Clients sending back to back: the next request is on its way. A wait on the clock, bounded above.
            await asyncio.sleep(min(WORKER_ACKS_QUIET_S - quiet_for, left))

    async def close(self) -> None:
        self._acks_done.set()
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
            # Bounded in time too: with a busy worker in this process a turn can take milliseconds, and an ack
            # waits on every one of them.
            seen, turns = -1, 0
            loop = asyncio.get_running_loop()
            until = loop.time() + INBOX_GATHER_MAX_S
            while seen != len(self._pending) < INBOX_BATCH_MAX and turns < INBOX_GATHER_TURNS and loop.time() < until:
                seen, turns = len(self._pending), turns + 1
                await asyncio.sleep(0)
            self._wake.clear()
            while self._pending:
                # The turn first, then the batch: events that arrive while a worker's transaction ends join it.
                async with self._db.write_turn():
                    batch, self._pending = self._pending[:INBOX_BATCH_MAX], self._pending[INBOX_BATCH_MAX:]
                    handed = len(self._handoff)
                    await self._write_or_split(batch)
                if len(self._handoff) - handed < len(batch):
                    self.wake()  # some were stored unclaimed (no local worker, its hand-over full, or redeliveries)
                else:
                    self.new_work.set()
            self._acks_done.set()

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
        stored = await store.add_new(self._db, list(unique.values()), attempts=1 if preclaim else 0,
                                     available_at=now + timedelta(seconds=INBOX_LEASE_S) if preclaim else now,
                                     announced=not preclaim)
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
        return await store.claim(self._db, limit=limit, now=now, lease_until=now + timedelta(seconds=INBOX_LEASE_S))

    async def release_local(self) -> None:
        """Shutting down: events handed to this process but not started become due for any worker now."""
        items, self._handoff = list(self._handoff), collections.deque()
        if not items:
            return
        await store.make_due(self._db, items, now=self._clock.now())

    async def state(self, inbox_id: int) -> str | None:
        return await store.state_of(self._db, inbox_id)

    async def find(self, platform: str, event_id: str) -> int | None:
        """The inbox id of an event already received, if it was."""
        return await store.find(self._db, platform, event_id)

    async def requeue_failed(self, event: InboundEvent) -> bool:
        """A delivery sent again under the key of one that was rejected: its (corrected) content replaces the
        rejected one and is handled anew. False when the earlier one was not rejected (a plain duplicate)."""
        event = _storable_event(event)  # as it was stored: the key is found, and the content can be written
        requeued = await store.requeue_failed(self._db, event, now=self._clock.now())
        if requeued:
            self.wake()
        return requeued

    async def failed_count(self) -> int:
        """Events parked as failed: rejected deliveries of sources (with their reason) and poison events."""
        return await store.count_in(self._db, "failed")

    async def pending_count(self) -> int:
        return await store.count_in(self._db, "pending")

    async def release(self, inbox_id: int, *, retry_at: datetime, error: str) -> None:
        await store.retry_at(self._db, inbox_id, at=retry_at, error=error)


def _storable_event(event: InboundEvent) -> InboundEvent:
    """The event as every database takes it (no lone surrogates, no NUL), whatever a sender put in it."""
    if is_storable(event.event_id, event.sender, event.conversation, event.text, *event.action.keys(),
                   *event.action.values(), *event.origin.keys(), *event.origin.values(),
                   *(part for f in event.files for part in (f.ref, f.name))):
        return event  # the usual case: one scan instead of a copy of every event on the ack path
    return replace(
        event, event_id=storable(event.event_id), sender=storable(event.sender),
        conversation=storable(event.conversation), text=storable(event.text),
        action={storable(k): storable(v) for k, v in event.action.items()},
        origin={storable(k): storable(v) for k, v in event.origin.items()},
        files=tuple(replace(f, ref=storable(f.ref), name=storable(f.name)) for f in event.files),
    )
