"""How a claimed event ends: done with its replies queued (one transaction), released for a retry, failed after
its last attempt with an answer to its sender; and the lease kept while remote calls take their time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.clocks import Clock
from bot.constants import INBOX_LEASE_S, INBOX_MAX_ATTEMPTS
from bot.dispatch.pms_waits import PmsWaits
from bot.dispatch.replies import answer, error
from bot.inbox import Inbox
from bot.pms.journal import Journal
from bot.records import SYSTEM_KINDS
from bot.store import inbox as inbox_rows
from bot.store import pms_writes
from bot.store.db import Database, StoreSession
from bot.store.inbox import Claimed
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import ClaimedMessage, Envelope, Outbox, backoff_s


class Outcomes:
    def __init__(self, db: Database, inbox: Inbox, outbox: Outbox, *, clock: Clock, default_locale: str,
                 waits: PmsWaits, journaled: bool) -> None:
        self.db = db
        self.inbox = inbox
        self.outbox = outbox
        self.clock = clock
        self.default_locale = default_locale
        self.waits = waits
        self.journaled = journaled  # a remote PMS is configured: its writes are journaled per event

    async def finish(self, s: StoreSession, item: Claimed, staged: list[ClaimedMessage],
                     envelopes: list[Envelope]) -> None:
        """Queue the replies and mark the event done, in the caller's transaction (LeaseLost rolls it back)."""
        staged.extend(await self.outbox.enqueue(s, envelopes, source_event=item.inbox_id, now=self.clock.now()))
        await inbox_rows.done(s, item.inbox_id, item.attempts, now=self.clock.now())
        if self.journaled:
            await pms_writes.forget(s, item.inbox_id)
            self.waits.finished(item.inbox_id)

    def saver(self, inbox_id: int) -> Callable[[str, Any], Awaitable[None]]:
        """Keeps each remote PMS write of an attempt at once (no transaction is open around remote calls)."""
        async def save(step: str, value: Any) -> None:
            async with self.db.write() as s:
                await pms_writes.save(s, inbox_id, {step: value}, now=self.clock.now())
        return save

    async def heartbeat(self, item: Claimed) -> None:
        """Keep the lease while remote calls take their time, so no other worker takes the event meanwhile."""
        while True:
            await asyncio.sleep(INBOX_LEASE_S / 3)
            async with self.db.write() as s:
                await inbox_rows.extend_lease(s, item.inbox_id, item.attempts,
                                                  until=self.clock.now() + timedelta(seconds=INBOX_LEASE_S))

    async def failed(self, item: Claimed, exc: Exception, journal: Journal | None = None) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        if journal is not None and journal.writes():
            async with self.db.write() as s:  # the retry must not repeat what this attempt wrote
                await pms_writes.save(s, item.inbox_id, journal.to_save(), now=self.clock.now())
        if item.attempts < INBOX_MAX_ATTEMPTS:
            await self.inbox.release(item.inbox_id, error=reason,
                                     retry_at=self.clock.now() + timedelta(seconds=backoff_s(item.attempts)))
            return
        event = item.event
        async with self.db.write() as s:
            if event.kind not in SYSTEM_KINDS:  # a system's delivery has nobody to answer; it stays failed
                person = await SqlWorkspace(s, default_locale=self.default_locale).person_by_identity(
                    event.platform, event.sender)
                locale = person.locale if person else self.default_locale
                await self.outbox.enqueue(s, [answer(event, locale, error("internal", {"ref": str(item.inbox_id)}))],
                                          source_event=item.inbox_id, now=self.clock.now(), preclaim=False)
            await inbox_rows.fail(s, item.inbox_id, error=reason)
