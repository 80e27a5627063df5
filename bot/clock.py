"""The clock's work: what is due at an instant, done exactly once per person and local day.

`pmsbot clock --once --at ISO` runs one minute by hand; the `clock` role (ClockRunner) runs every minute.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import audit
from bot.config import Config, StandupConfig
from bot.constants import CLOCK_BEAT_S, CLOCK_CATCH_UP_S
from bot.records import Person
from bot.runtime import Runtime
from bot.schedule.maths import due_day, next_run, parse_days
from bot.store.clock_state import last_tick, save_tick
from bot.store.leader import Leader
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import Envelope

log = logging.getLogger("pmsbot.clock")
ONE_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class NextRun:
    schedule: str
    project: str
    person_id: str
    timezone: str
    at: datetime | None  # aware, in the person's timezone; None when nothing runs within a year


def schedule_name(standup: StandupConfig) -> str:
    return f"standup:{standup.name}"


def member_timezone(config: Config, standup: StandupConfig, person_tz: str | None) -> str:
    """Each member's own timezone where set, else the standup's, else the deployment's."""
    return person_tz or standup.timezone or config.timezone


async def run_due(rt: Runtime, at: datetime, *, catching_up: bool = False,
                  people: dict[str, Person] | None = None) -> int:
    """Enqueue every standup prompt due in the minute of `at`; returns how many were new.

    `catching_up` marks a minute that passed while no clock ran: schedules with `missed: skip` sit it out.
    """
    if at.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    people = people if people is not None else await _members(rt)
    sent = 0
    for standup in rt.config.standups:
        if catching_up and standup.missed == "skip":
            continue
        calendar = rt.config.work_calendar(standup.calendar)
        days = parse_days(standup.days)
        for member in standup.members:
            person = people.get(member)
            if person is None:
                continue
            tz = member_timezone(rt.config, standup, person.timezone)
            # Pure arithmetic first: most minutes are due for nobody and cost no transaction.
            day = due_day(at, at=standup.at_time(), tz=ZoneInfo(tz), days=days, calendar=calendar)
            if day is None:
                continue
            async with rt.db.write() as s:
                ws = SqlWorkspace(s, default_locale=rt.config.locale)
                if await ws.away_on(member, day):
                    continue
                if not await ws.claim_run(schedule_name(standup), member, day, datetime.now(UTC)):
                    continue  # already done for this day: a second clock, a catch-up or a rerun
                questions = standup.questions.get(person.locale)
                envelopes = [
                    Envelope(platform=platform, target=target, kind="standup_prompt", locale=person.locale,
                             data={"standup": standup.name, "project": standup.project, "day": day.isoformat(),
                                   "deadline": standup.deadline, "questions": list(questions or ())},
                             actions=[])
                    for platform, target in await ws.targets(person, rt.settings.enabled_platforms())
                ]
                claimed = await rt.outbox.enqueue(s, envelopes, source_event=None, now=datetime.now(UTC))
                await audit.append(s, actor="clock", action="standup.prompt", subject=member,
                                   detail={"standup": standup.name, "day": day.isoformat()}, now=datetime.now(UTC))
            rt.outbox.hand_over(claimed)  # only once committed
            sent += 1
    if sent:
        log.info("clock at %s: %s standup prompts", at.isoformat(), sent)
    return sent


async def _members(rt: Runtime) -> dict[str, Person]:
    wanted = {m for standup in rt.config.standups for m in standup.members}
    async with rt.db.read() as s:
        ws = SqlWorkspace(s, default_locale=rt.config.locale)
        found = {pid: await ws.person(pid) for pid in sorted(wanted)}
    return {pid: person for pid, person in found.items() if person is not None}


async def next_runs(rt: Runtime, after: datetime) -> list[NextRun]:
    out: list[NextRun] = []
    async with rt.db.read() as s:
        ws = SqlWorkspace(s, default_locale=rt.config.locale)
        for standup in rt.config.standups:
            calendar = rt.config.work_calendar(standup.calendar)
            days = parse_days(standup.days)
            for member in standup.members:
                person = await ws.person(member)
                tz = member_timezone(rt.config, standup, person.timezone if person else None)
                when = next_run(after, at=standup.at_time(), tz=ZoneInfo(tz), days=days, calendar=calendar)
                out.append(NextRun(schedule=schedule_name(standup), project=standup.project, person_id=member,
                                   timezone=tz, at=when.astimezone(ZoneInfo(tz)) if when else None))
    return out


def coming_years_without_adjusted_days(config: Config, today: date) -> list[str]:
    """Calendars whose next year's adjusted workdays are unknown (worth a warning in December)."""
    codes = sorted({s.calendar for s in config.standups})
    return [c for c in codes if not config.work_calendar(c).knows_adjusted_workdays(today.year + 1)]


class ClockRunner:
    """The `clock` role: APScheduler beats every few seconds; the one active clock (see bot/store/leader.py)
    handles each minute once, and after downtime each missed minute once (bounded by CLOCK_CATCH_UP_S)."""

    def __init__(self, rt: Runtime, leader: Leader) -> None:
        self.rt = rt
        self.leader = leader
        self.active = False
        self._standing_by = False
        self.became_active = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(self.beat, IntervalTrigger(seconds=CLOCK_BEAT_S), max_instances=1, coalesce=True,
                          next_run_time=datetime.now(UTC))
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
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
            await self.tick(datetime.now(UTC))
        except Exception:  # the scheduler's job boundary: log, and try again at the next beat
            log.exception("clock beat failed")

    async def tick(self, now: datetime) -> int:
        """Handle every minute from the last one handled up to `now`'s; returns prompts sent."""
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        last = await last_tick(self.rt.db)
        if last is not None and last >= minute:
            return 0
        first = minute if last is None else max(last + ONE_MINUTE, minute - timedelta(seconds=CLOCK_CATCH_UP_S))
        people = await _members(self.rt)
        sent = 0
        at = first
        while at <= minute:
            # Nothing is repeated if this stops half-way: each prompt is claimed per person and day.
            sent += await run_due(self.rt, at, catching_up=at < minute, people=people)
            at += ONE_MINUTE
        await save_tick(self.rt.db, minute)
        return sent
