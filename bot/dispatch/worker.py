"""The worker's loop: take what this process was handed and what is due in the inbox, and run each event as what
it is (a chat command, a PMS change, a source's delivery, a directory change), with one catch-all at this
boundary."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.clocks import Clock
from bot.config import Config, SourceConfig
from bot.constants import ATTACHMENT_MAX_BYTES, WORKER_ACKS_FIRST_MAX_S, WORKER_BATCH, WORKER_POLL_S
from bot.dispatch.directory import DirectoryEvents
from bot.dispatch.engine_events import EngineEvents
from bot.dispatch.files import Downloads
from bot.dispatch.hooks import HookRuns
from bot.dispatch.outcomes import Outcomes
from bot.dispatch.pms_changes import ChangeNotes
from bot.dispatch.pms_waits import PmsWaits
from bot.dispatch.replies import Addressing
from bot.inbox import Inbox
from bot.mapping.rules import RuleSet
from bot.metrics import COMMANDS, DISPATCH_SECONDS
from bot.pms.base import PMSDown
from bot.pms.journal import JOURNAL, Journal
from bot.pms.registry import RemoteClient
from bot.store import people, pms_writes
from bot.store.db import Database
from bot.store.inbox import Claimed, LeaseLost
from commands.chains import approval_policy
from commands.ports import CommandError, Links
from notifiers.outbox import ClaimedMessage, Outbox

if TYPE_CHECKING:
    from bot.dispatch.chat import ChatCommands
    from bot.language_model import Suggester

log = logging.getLogger("pmsbot.dispatcher")



class Dispatcher:
    def __init__(self, db: Database, inbox: Inbox, outbox: Outbox, *, default_locale: str, timezone: str,
                 platforms: tuple[str, ...], clock: Clock,
                 on_done: Callable[[], None] | None = None, remotes: dict[str, RemoteClient] | None = None,
                 config: Config | None = None, suggester: Suggester | None = None,
                 downloads: Downloads | None = None) -> None:
        config = config or Config()
        self.db = db
        self.inbox = inbox
        self.outbox = outbox
        self.clock = clock
        self.remotes = remotes or {}
        self._on_done = on_done
        self.downloads = downloads or Downloads({}, max_bytes=ATTACHMENT_MAX_BYTES)
        self.poll_s = WORKER_POLL_S  # for work nobody announced (a lease run out, a retry fallen due, no NOTIFY)
        self.waits = PmsWaits(db, outbox, clock=clock, remotes=self.remotes, platforms=platforms,
                              default_locale=default_locale)
        self.outcomes = Outcomes(db, inbox, outbox, clock=clock, default_locale=default_locale, waits=self.waits,
                                 journaled=bool(self.remotes))
        addressing = Addressing(platforms=platforms, default_locale=default_locale)
        self._chat: ChatCommands | None = None
        self._links: Links | None = None

        def chat() -> ChatCommands:
            # The language (commands/: parsers, handlers, the field words' patterns) is loaded by the first
            # command, or by a worker's start (Runtime.start): a web or clock process never loads it.
            from bot.dispatch.chat import ChatCommands

            return ChatCommands(db, clock=clock, timezone=timezone, default_locale=default_locale, waits=self.waits,
                                outcomes=self.outcomes, addressing=addressing, suggester=suggester,
                                feature_on=config.feature_on,
                                approvals=approval_policy(config, functools.partial(people.manager_of, db)))
        self._build_chat = chat
        self.changes = ChangeNotes(db, clock=clock, config=config, remotes=self.remotes, platforms=platforms,
                                   default_locale=default_locale, outcomes=self.outcomes)
        self.hooks = HookRuns(db, clock=clock, timezone=timezone, config=config, default_locale=default_locale,
                              waits=self.waits, outcomes=self.outcomes, addressing=addressing)
        self.directory = DirectoryEvents(db, clock=clock, outcomes=self.outcomes)
        self.engine = EngineEvents(db, clock=clock)

    @property
    def chat(self) -> ChatCommands:
        if self._chat is None:
            self._chat = self._build_chat()
            self._chat.links = self._links
        return self._chat

    @property
    def links(self) -> Links | None:
        return self._links

    @links.setter
    def links(self, links: Links | None) -> None:
        self._links = links
        if self._chat is not None:
            self._chat.links = links

    @property
    def sources(self) -> dict[str, tuple[SourceConfig, RuleSet]]:
        return self.hooks.sources

    async def run_once(self, *, table: bool = True) -> int:
        """Handle what this process was handed, then (`table`) what is due in the table; returns how many."""
        handled = 0
        while True:
            await self.inbox.after_acks(within_s=WORKER_ACKS_FIRST_MAX_S)  # the acks in flight go first
            if (local := self.inbox.take_local()) is None:
                break
            await self.process(local)
            handled += 1
            self._done()
        if not table:
            return handled
        claimed = await self.inbox.claim(limit=WORKER_BATCH, now=self.clock.now())
        if len(claimed) == WORKER_BATCH:
            self.inbox.wake()  # there may be more
        for item in claimed:
            await self.inbox.after_acks(within_s=WORKER_ACKS_FIRST_MAX_S)
            await self.process(item)
            self._done()
        return handled + len(claimed)

    def _done(self) -> None:
        if self._on_done:
            self._on_done()

    async def run_forever(self, stop: asyncio.Event) -> None:
        # The table is looked at when work was stored there unclaimed (Inbox.wake), else every poll_s (a lease run
        # out, a retry fallen due, another process's events without NOTIFY): an event handed over in memory costs
        # no empty claim transaction besides its own.
        table_due_s = self.clock.monotonic()
        while not stop.is_set():
            # Cleared before looking, so work stored while we look is not slept through.
            self.inbox.new_work.clear()
            now_s = self.clock.monotonic()
            table = self.inbox.take_table_work() or now_s >= table_due_s
            if table:
                table_due_s = now_s + self.poll_s
            if await self.run_once(table=table):
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.inbox.new_work.wait(), timeout=max(0.0, table_due_s - now_s))

    async def process(self, item: Claimed) -> None:
        started = time.perf_counter()
        event = item.event
        staged: list[ClaimedMessage] = []  # replies claimed for this process's delivery, once committed
        # The PMS calls an earlier attempt made before its PMS went away are replayed, not made again (a first
        # attempt has none: no read for it).
        journal = Journal(await pms_writes.load(self.db, item.inbox_id) if self.remotes and item.attempts > 1
                          else None)
        token = JOURNAL.set(journal)
        heartbeat = asyncio.create_task(self.outcomes.heartbeat(item)) if self.remotes else None
        try:
            try:
                outcome = await self._run(item, staged, journal)
            except CommandError as exc:
                # The handler's partial work was rolled back with its transaction: answer and finish the event.
                staged.clear()
                async with self.db.write() as s:
                    await self.chat.refuse(s, item, exc, staged)
                outcome = "refused"
            self.outbox.hand_over(staged)
            COMMANDS.labels(outcome).inc()
            self.waits.settled(item.inbox_id)
        except PMSDown as exc:
            log.warning("event %s/%s waits for its PMS: %s", event.platform, event.event_id, exc)
            staged.clear()
            try:
                await self.waits.park(item, exc, journal, staged)
                self.outbox.hand_over(staged)
            except Exception:  # LeaseLost or a database error: the lease runs out and the event comes back
                log.exception("event %s/%s: could not queue it for its PMS", event.platform, event.event_id)
            COMMANDS.labels("pms_down").inc()
        except LeaseLost as exc:
            log.warning("%s; dropped this attempt", exc)
            COMMANDS.labels("lease_lost").inc()
        except Exception as exc:  # the dispatcher boundary: one bad event must not stop the worker
            log.exception("event %s/%s failed (attempt %s)", event.platform, event.event_id, item.attempts)
            await self.outcomes.failed(item, exc, journal)
            COMMANDS.labels("error").inc()
        finally:
            JOURNAL.reset(token)
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
        DISPATCH_SECONDS.observe(time.perf_counter() - started)

    async def _run(self, item: Claimed, staged: list[ClaimedMessage], journal: Journal) -> str:
        if item.event.kind == "change":
            return await self.changes.apply(item, staged)
        if item.event.kind == "hook":
            return await self.hooks.apply(item, staged, journal)
        if item.event.kind == "directory":
            return await self.directory.apply(item)
        if item.event.kind == "engine":
            return await self.engine.apply(item)
        journal.on_write = self.outcomes.saver(item.inbox_id)  # no transaction open: keep each write at once
        # A report's photos are fetched here, outside any transaction (and never while the platform waits an ack).
        fetched = await self.downloads.fetch(item.event) \
            if item.event.files and await self.chat.takes_files(item) else ()
        outcome = await self.chat.run_read_first(item, staged, fetched) if self.remotes else None
        if outcome is None:
            suggested = await self.chat.suggestion(item)  # the optional model, outside any transaction
            journal.restart()
            async with self.db.write() as s:
                outcome = await self.chat.run(s, item, staged, suggested, fetched)
        return outcome
