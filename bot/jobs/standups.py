"""Standups: each member's prompt at their own local time, one reminder to those who have not answered, and the
summary to the team at the deadline; each exactly once per person and local day. Also the next runs
(`pmsbot schedules`, the admin overview)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config, StandupConfig
from bot.jobs.base import Mail
from bot.records import Person
from bot.schedule.maths import due_day, local_instant, next_run, parse_days, runs_on
from bot.store import audit, schedules
from bot.store.db import Database
from bot.store.workspace import SqlWorkspace
from notifiers.links import KEY_RE
from notifiers.outbox import ClaimedMessage, Envelope

WAVE_BATCH = 500  # prompts or reminders written per transaction (its lock hold is what a web ack may wait for)
YIELD_EVERY = 50  # members whose schedule is computed between two turns of the event loop
BLOCKER_WORDS = ("阻塞", "卡住", "受阻", "blocked", "blocker", "stuck")
SUMMARY_ORDER = {"blocked": 0, "answer": 1, "skip": 2, "away": 3, "missing": 4}


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


class Standups:
    """The stored schedules (the file's, with changes made in chat), loaded once per tick by `prepare`."""

    def __init__(self, db: Database, mail: Mail, config: Config) -> None:
        self.db = db
        self.mail = mail
        self.config = config
        self._standups: list[StandupConfig] = []
        self._people: dict[str, Person] = {}

    async def prepare(self) -> None:
        self._standups = await schedules.load(self.db)
        self._people = await members(self.db, self.config, self._standups)

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        sent = 0
        for standup in self._standups:
            if (catching_up and standup.missed == "skip") or not self.config.feature_on("standups", standup.project):
                continue
            sent += await self._prompts(standup, at)
            sent += await self._reminders(standup, at)
            sent += await self._summary(standup, at)
        return sent

    def _due(self, standup: StandupConfig, at: datetime, when: time | None, tz: str) -> date | None:
        # Pure arithmetic: most minutes are due for nobody and cost no transaction.
        if when is None:
            return None
        return due_day(at, at=when, tz=ZoneInfo(tz), days=parse_days(standup.days),
                       calendar=self.config.work_calendar(standup.calendar))

    async def _due_members(self, standup: StandupConfig, at: datetime, when: time | None
                           ) -> dict[date, list[Person]]:
        """The members for whom `when` is due at `at`, by their local day: worked out once per timezone."""
        if when is None:
            return {}
        by_tz: dict[str, date | None] = {}
        by_day: dict[date, list[Person]] = {}
        for i, member in enumerate(standup.members):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # a big team's arithmetic must not hold up the web acks on this loop
            person = self._people.get(member)
            if person is None:
                continue
            tz = member_timezone(self.config, standup, person.timezone)
            if tz not in by_tz:
                by_tz[tz] = self._due(standup, at, when, tz)
            day = by_tz[tz]
            if day is not None:
                by_day.setdefault(day, []).append(person)
        return by_day

    async def _prompts(self, standup: StandupConfig, at: datetime) -> int:
        """Everyone whose prompt is due now, in batches: one transaction, a few statements per batch."""
        sent = 0
        for day, due in sorted((await self._due_members(standup, at, standup.at_time())).items()):
            # Read once for the day's wave, outside the write transactions (whose lock the web acks of this
            # process also need): who is away, and where each of the others is reached.
            async with self.db.read() as s:
                ws = SqlWorkspace(s, default_locale=self.config.locale)
                away = await ws.away_among([p.id for p in due], day)
                present = [p for p in due if p.id not in away]
                targets = await ws.targets_of(present, self.mail.platforms)
            base = {"standup": standup.name, "project": standup.project, "day": day.isoformat(),
                    "deadline": standup.deadline}
            # One message per language, shared by everyone who reads it (stored once per batch, not per person).
            data = {locale: {**base, "questions": list(standup.questions.get(locale) or ())}
                    for locale in {p.locale for p in present}}
            for start in range(0, len(present), WAVE_BATCH):
                batch = present[start:start + WAVE_BATCH]
                sent += await self._prompt_batch(standup, day, batch, {p.id: [
                    Envelope(platform=platform, target=target, kind="standup_prompt", locale=p.locale, actions=[],
                             data=data[p.locale]) for platform, target in targets[p.id]] for p in batch})
        if sent:
            self.mail.wake()
        return sent

    async def _prompt_batch(self, standup: StandupConfig, day: date, batch: list[Person],
                            prompts: dict[str, list[Envelope]]) -> int:
        now = self.mail.clock.now()
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.config.locale)
            # Claimed per person and day: a second clock, a catch-up or a rerun finds them taken.
            fresh = await ws.claim_runs(schedule_name(standup), [p.id for p in batch], day, now)
            chosen = [p for p in batch if p.id in fresh]
            # Not handed over in memory: a wave is for the delivery workers to drain in order.
            await self.mail.enqueue(s, [e for p in chosen for e in prompts[p.id]], preclaim=False)
            if chosen:
                await audit.append(s, actor="clock", action="standup.prompt", subject=standup.name,
                                   detail={"day": day.isoformat(), "people": [p.id for p in chosen]}, now=now)
        return len(chosen)

    async def _reminders(self, standup: StandupConfig, at: datetime) -> int:
        """Those who were prompted and have neither answered nor skipped hear once more."""
        sent = 0
        for day, due in sorted((await self._due_members(standup, at, standup.reminder_time())).items()):
            async with self.db.read() as s:  # prompted at the prompt's minute, before this one
                ws = SqlWorkspace(s, default_locale=self.config.locale)
                prompted = await ws.ran_for(schedule_name(standup), day)
                due = [p for p in due if p.id in prompted]  # not: away, or joined later
                targets = await ws.targets_of(due, self.mail.platforms)
            for start in range(0, len(due), WAVE_BATCH):
                sent += await self._reminder_batch(standup, day, due[start:start + WAVE_BATCH], targets)
        if sent:
            self.mail.wake()
        return sent

    async def _reminder_batch(self, standup: StandupConfig, day: date, batch: list[Person],
                              targets: dict[str, list[tuple[str, str]]]) -> int:
        """One transaction and a few statements for a batch of those prompted: who is still to answer is read
        under the write lock, so an answer that came in just before is seen."""
        data = {"standup": standup.name, "project": standup.project, "day": day.isoformat(),
                "deadline": standup.deadline}
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.config.locale)
            said = await ws.standup_status([p.id for p in batch], day)
            silent = [p for p in batch if p.id not in said]
            fresh = await ws.claim_runs(f"{schedule_name(standup)}:remind", [p.id for p in silent], day,
                                        self.mail.clock.now())
            chosen = [p for p in silent if p.id in fresh]
            await self.mail.enqueue(s, [
                Envelope(platform=platform, target=target, kind="standup_reminder", locale=p.locale, data=data,
                         actions=[]) for p in chosen for platform, target in targets[p.id]], preclaim=False)
        return len(chosen)

    def _summary_day(self, standup: StandupConfig, at: datetime) -> date | None:
        """The day whose summary falls in the minute at `at`: the latest of the members' own prompt times that
        day (each in their timezone) plus the answer window (deadline - start). A team across Shanghai and New
        York hears it once New York's window has closed too, not at Shanghai's deadline."""
        deadline = standup.deadline_time()
        if deadline is None:
            return None
        start = standup.at_time()
        window = datetime.combine(date.min, deadline) - datetime.combine(date.min, start)
        minute = at.astimezone(UTC).replace(second=0, microsecond=0)
        zones = [ZoneInfo(z) for z in sorted({member_timezone(self.config, standup, p.timezone)
                                               for p in map(self._people.get, standup.members) if p is not None}
                                              or {standup.timezone or self.config.timezone})]
        days, calendar = parse_days(standup.days), self.config.work_calendar(standup.calendar)
        for tz in zones:
            local = (minute - window).astimezone(tz).date()
            for day in (local - timedelta(days=1), local):  # the latest zone may be a day behind this one
                if runs_on(day, days, calendar) and \
                        max(local_instant(day, start, z) for z in zones) + window == minute:
                    return day
        return None

    async def _summary(self, standup: StandupConfig, at: datetime) -> int:
        """At the deadline: who answered what (blockers first), who skipped, who is away, who is missing."""
        day = self._summary_day(standup, at)
        if not day:
            return 0
        now = self.mail.clock.now()
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.config.locale)
            if not await ws.claim_run(f"{schedule_name(standup)}:summary", "*", day, now):
                return 0
            status = await ws.standup_status(list(standup.members), day)
            entries = []
            for member in standup.members:
                kind, text = status.get(member, ("missing", ""))
                name = self._people[member].name if member in self._people else member
                blocked = kind == "answer" and any(word in text.casefold() for word in BLOCKER_WORDS)
                entries.append({"person": name, "kind": "blocked" if blocked else kind, "text": text})
            entries.sort(key=lambda e: SUMMARY_ORDER[e["kind"]])
            data = {"standup": standup.name, "project": standup.project, "day": day.isoformat(), "entries": entries,
                    "answered": sum(e["kind"] in ("answer", "blocked") for e in entries), "total": len(entries),
                    "links": task_links(self.config, standup.project, " ".join(e["text"] for e in entries))}
            channels = [(p, c) for p, c in (
                [(c.platform, c.id) for c in standup.report_to] or await ws.project_channels(standup.project)
            ) if p in self.mail.platforms and p != "console"]
            claimed: list[ClaimedMessage] = []
            if channels:
                locales = await ws.chat_locales(channels, self.config.locale)
                claimed = await self.mail.enqueue(s, [
                    Envelope(platform=p, target=c, kind="standup_summary", locale=locales[(p, c)], data=data,
                             actions=[]) for p, c in channels])
            else:  # no team channel reachable (the console has none): each member gets it directly
                people = [self._people[m] for m in standup.members if m in self._people]
                targets = await ws.targets_of(people, self.mail.platforms)
                claimed = await self.mail.enqueue(s, [
                    Envelope(platform=platform, target=target, kind="standup_summary", locale=p.locale, data=data,
                             actions=[]) for p in people for platform, target in targets[p.id]])
            await audit.append(s, actor="clock", action="standup.summary", subject=standup.name,
                               detail={"day": day.isoformat(), "answered": data["answered"], "total": len(entries)},
                               now=now)
        self.mail.hand_over(claimed)
        return 1


def task_links(config: Config, project_key: str, text: str) -> dict[str, str]:
    """The task keys in `text` with their URLs, when the project says where its tasks are seen (`task_url`)."""
    project = next((p for p in config.projects if p.key == project_key), None)
    if project is None or project.task_url is None:
        return {}
    return {key: project.task_url.replace("{key}", key) for key in KEY_RE.findall(text)}


async def members(db: Database, config: Config, standups: list[StandupConfig]) -> dict[str, Person]:
    wanted = {m for standup in standups for m in standup.members}
    async with db.read() as s:
        return await SqlWorkspace(s, default_locale=config.locale).people(sorted(wanted))


async def next_runs(db: Database, config: Config, after: datetime) -> list[NextRun]:
    """Each member's next prompt of each stored standup, in the member's timezone."""
    out: list[NextRun] = []
    async with db.read() as s:
        ws = SqlWorkspace(s, default_locale=config.locale)
        standups = await schedules.load(db)
        people = await ws.people(sorted({m for standup in standups for m in standup.members}))
        for standup in standups:
            calendar = config.work_calendar(standup.calendar)
            days = parse_days(standup.days)
            for member in standup.members:
                person = people.get(member)
                tz = member_timezone(config, standup, person.timezone if person else None)
                when = next_run(after, at=standup.at_time(), tz=ZoneInfo(tz), days=days, calendar=calendar)
                out.append(NextRun(schedule=schedule_name(standup), project=standup.project, person_id=member,
                                   timezone=tz, at=when.astimezone(ZoneInfo(tz)) if when else None))
    return out
