"""The clock: it decides what is due and when, and owns no business state. The work is in bot/jobs/.

`pmsbot clock --once --at ISO` runs one minute by hand (`run_due`); the `clock` role (ClockRunner) runs every
minute, as the one active clock across instances (bot/store/leader.py), catching up missed minutes once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.calls import METER
from bot.clocks import Clock
from bot.constants import CLOCK_BEAT_S, CLOCK_CATCH_UP_S
from bot.jobs.base import Job
from bot.jobs.polls import Poll
from bot.store.clock_state import last_tick, save_tick
from bot.store.db import Database
from bot.store.leader import Leader
from bot.store.metrics import add_calls

log = logging.getLogger("pmsbot.clock")
ONE_MINUTE = timedelta(minutes=1)


async def run_due(jobs: Sequence[Job], at: datetime, *, catching_up: bool = False, prepared: bool = False) -> int:
    """Run every job for the minute of `at`; returns how many messages were new.

    `catching_up` marks a minute that passed while no clock ran (schedules with `missed: skip` sit it out);
    `prepared` says the jobs have loaded their schedules for this tick already."""
    if at.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    if not prepared:
        for job in jobs:
            await job.prepare()
    sent = 0
    for job in jobs:
        sent += await job.run(at, catching_up=catching_up)
    if sent:
        log.info("clock at %s: %s messages", at.isoformat(), sent)
    return sent


class ClockRunner:
    """The `clock` role: APScheduler beats every few seconds; the one active clock handles each minute once, and
    after downtime each missed minute once (bounded by CLOCK_CATCH_UP_S)."""

    def __init__(self, db: Database, clock: Clock, leader: Leader, jobs: Sequence[Job], polls: Sequence[Poll]
                 ) -> None:
        self.db = db
        self.clock = clock
        self.leader = leader
        self.jobs = jobs
        self.poll_jobs = polls
        self.active = False
        self._standing_by = False
        self.became_active = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        # APScheduler only paces the beats (on the machine's clock); what is due is decided by our Clock.
        await self.beat()
        # Loaded when a clock starts: `web` and `worker` processes build the runner but never start it.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(self.beat, IntervalTrigger(seconds=CLOCK_BEAT_S), max_instances=1, coalesce=True)
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            if self._polling is not None:
                self._polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._polling
            await self.leader.release()

    async def beat(self) -> None:
        try:
            if not self.active:
                self.active = await self.leader.try_acquire()
                if not self.active:
                    if not self._standing_by:
                        log.info("another clock is active; standing by")
                        self._standing_by = True
                    return
                log.info("this clock is now the active one")
                self.became_active.set()
            elif not await self.leader.still_held():
                self.active = False
                log.warning("lost the clock lock; standing by")
                return
            await self.tick(self.clock.now())
        except Exception:  # the scheduler's job boundary: log, and try again at the next beat
            log.exception("clock beat failed")

    async def tick(self, now: datetime) -> int:
        """Handle every minute from the last one handled up to `now`'s; returns messages sent."""
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        last = await last_tick(self.db)
        if last is not None and last >= minute:
            return 0
        first = minute if last is None else max(last + ONE_MINUTE, minute - timedelta(seconds=CLOCK_CATCH_UP_S))
        for job in self.jobs:
            await job.prepare()
        sent = 0
        at = first
        while at <= minute:
            # Nothing is repeated if this stops half-way: each run is claimed per person (or project) and day.
            sent += await run_due(self.jobs, at, catching_up=at < minute, prepared=True)
            at += ONE_MINUTE
        await save_tick(self.db, minute)
        # Calls this process made (a clock-only process has no delivery worker to count them in the SLA figures).
        await add_calls(self.db, minute, METER.take())
        # Polls (Redmine, file folders) can take a while: beside the tick, never holding up standup prompts.
        if self._polling is None or self._polling.done():
            self._polling = asyncio.create_task(self.polls(minute), name="clock-polls")
        return sent

    async def polls(self, minute: datetime) -> None:
        for poll in self.poll_jobs:
            try:
                await poll.poll(minute)
            except Exception:  # a poll's boundary: log, the next minute tries again
                log.exception("poll at %s failed", minute.isoformat())
