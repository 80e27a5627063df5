"""The clock's work: what is due at an instant, done exactly once per person and local day.

This release runs it on demand (`pmsbot clock --once --at ISO`); the scheduler loop with one active clock
across instances arrives with issue 6 and calls the same `run_due`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot import audit
from bot.config import Config, StandupConfig
from bot.runtime import Runtime
from bot.schedule.maths import due_day, next_run, parse_days
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import Envelope

log = logging.getLogger("pmsbot.clock")


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


async def run_due(rt: Runtime, at: datetime) -> int:
    """Enqueue every standup prompt due in the minute of `at`; returns how many were new."""
    if at.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    sent = 0
    for standup in rt.config.standups:
        calendar = rt.config.work_calendar(standup.calendar)
        days = parse_days(standup.days)
        for member in standup.members:
            async with rt.db.write() as s:
                ws = SqlWorkspace(s, default_locale=rt.config.locale)
                person = await ws.person(member)
                if person is None:
                    continue
                tz = member_timezone(rt.config, standup, person.timezone)
                day = due_day(at, at=standup.at_time(), tz=ZoneInfo(tz), days=days, calendar=calendar)
                if day is None or await ws.away_on(member, day):
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
    log.info("clock at %s: %s standup prompts", at.isoformat(), sent)
    return sent


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
