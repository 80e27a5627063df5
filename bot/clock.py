"""The clock's work: what is due at an instant, done exactly once per person and local day.

`pmsbot clock --once --at ISO` runs one minute by hand; the `clock` role (ClockRunner) runs every minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calls import METER
from bot.changes import poll_redmine
from bot.config import Config, ProjectConfig, RiskAlertConfig, StandupConfig
from bot.constants import CLOCK_BEAT_S, CLOCK_CATCH_UP_S, PMS_SCAN_MAX_TASKS, PMS_SCAN_RETRY_S
from bot.hooks.files import poll_files
from bot.pms.base import PMSDown, PMSError
from bot.pms.redmine import RedmineClient
from bot.pms.registry import connector_for
from bot.records import Person, Project
from bot.runtime import Runtime
from bot.schedule.maths import due_day, next_run, parse_days
from bot.store import audit, schedules
from bot.store.clock_state import last_tick, save_tick
from bot.store.leader import Leader
from bot.store.metrics import BUDGET, BUDGET_SPENT, add_calls, latest_metrics, outcomes
from bot.store.workspace import SqlWorkspace
from commands.handlers import approval_buttons, approval_view, task_view
from commands.risk import Risk, budget_risk, find_risks, integration_risks, milestone_risks
from notifiers.links import KEY_RE
from notifiers.outbox import ClaimedMessage, Envelope

log = logging.getLogger("pmsbot.clock")
CALENDAR_WARNING_AT = (9, 0)
CALENDAR_WARNING_FROM_MONTH = 11  # the coming year's 调休 are asked for from November on
DEFAULT_POLICY = ProjectConfig(key="XX", name="defaults for projects not in the configuration")
_PMS_RETRY_AT: dict[str, float] = {}  # project -> when its scan may try its PMS again
PROMPT_BATCH = 200  # standup prompts written per transaction (its lock hold is what a web ack may wait for)
YIELD_EVERY = 50  # members whose schedule is computed between two turns of the event loop
BLOCKER_WORDS = ("阻塞", "卡住", "受阻", "blocked", "blocker", "stuck")
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
                  people: dict[str, Person] | None = None, standups: list[StandupConfig] | None = None) -> int:
    """Send every standup prompt, reminder and summary due in the minute of `at`; returns how many were new.

    `catching_up` marks a minute that passed while no clock ran: schedules with `missed: skip` sit it out.
    The standups are the stored schedules (the file's, with changes made in chat) unless given.
    """
    if at.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    standups = standups if standups is not None else await schedules.load(rt.db)
    people = people if people is not None else await _members(rt, standups)
    sent = 0
    for standup in standups:
        if (catching_up and standup.missed == "skip") or not rt.config.feature_on("standups", standup.project):
            continue
        sent += await _prompts(rt, standup, at, people)
        sent += await _reminders(rt, standup, at, people)
        sent += await _summary(rt, standup, at, people)
    for scan in rt.config.risk_alerts:
        if rt.config.feature_on("risk_alerts", scan.project):
            sent += await _risk_scan(rt, scan, at)
    sent += await _calendar_warning(rt, at)
    await _audit_anchor(rt, at)
    sent += await _weekly_dashboards(rt, at)
    sent += await _approval_followups(rt, at)
    if sent:
        log.info("clock at %s: %s standup messages", at.isoformat(), sent)
    return sent


def _due(rt: Runtime, standup: StandupConfig, at: datetime, when: time | None, tz: str) -> date | None:
    # Pure arithmetic: most minutes are due for nobody and cost no transaction.
    if when is None:
        return None
    return due_day(at, at=when, tz=ZoneInfo(tz), days=parse_days(standup.days),
                   calendar=rt.config.work_calendar(standup.calendar))


async def _send(rt: Runtime, ws: SqlWorkspace, s: AsyncSession, person: Person, kind: str,
                data: dict[str, Any], *, actions: list[dict[str, str]] | None = None,
                card_ref: str | None = None) -> list[ClaimedMessage]:
    envelopes = [Envelope(platform=platform, target=target, kind=kind, locale=person.locale, data=data,
                          actions=actions or [], card_ref=card_ref)
                 for platform, target in await ws.targets(person, rt.settings.enabled_platforms())]
    return await rt.outbox.enqueue(s, envelopes, source_event=None, now=rt.clock.now())


async def _prompts(rt: Runtime, standup: StandupConfig, at: datetime, people: dict[str, Person]) -> int:
    """Everyone whose prompt is due now, in batches: one transaction, a few statements per batch."""
    by_day: dict[date, list[Person]] = {}
    for i, member in enumerate(standup.members):
        if i % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)  # a big team's arithmetic must not hold up the web acks on this loop
        person = people.get(member)
        if person is None:
            continue
        day = _due(rt, standup, at, standup.at_time(), member_timezone(rt.config, standup, person.timezone))
        if day is not None:
            by_day.setdefault(day, []).append(person)
    sent = 0
    for day, due in sorted(by_day.items()):
        for start in range(0, len(due), PROMPT_BATCH):
            batch = due[start:start + PROMPT_BATCH]
            # Reading and building happen before the write transaction, so the write lock (which the web acks
            # of this process also need) is held only for the writes themselves.
            async with rt.db.read() as s:
                ws = SqlWorkspace(s, default_locale=rt.config.locale)
                away = await ws.away_among([p.id for p in batch], day)
                present = [p for p in batch if p.id not in away]
                targets = await ws.targets_of(present, rt.settings.enabled_platforms())
            prompts = {p.id: [
                Envelope(platform=platform, target=target, kind="standup_prompt", locale=p.locale, actions=[],
                         data={"standup": standup.name, "project": standup.project, "day": day.isoformat(),
                               "deadline": standup.deadline, "questions": list(standup.questions.get(p.locale) or ())})
                for platform, target in targets[p.id]] for p in present}
            now = rt.clock.now()
            async with rt.db.write() as s:
                ws = SqlWorkspace(s, default_locale=rt.config.locale)
                # Claimed per person and day: a second clock, a catch-up or a rerun finds them taken.
                fresh = await ws.claim_runs(schedule_name(standup), [p.id for p in present], day, now)
                chosen = [p for p in present if p.id in fresh]
                envelopes = [e for p in chosen for e in prompts[p.id]]
                # Not handed over in memory: a wave is for the delivery workers to drain in order.
                await rt.outbox.enqueue(s, envelopes, source_event=None, now=now, preclaim=False)
                if chosen:
                    await audit.append(s, actor="clock", action="standup.prompt", subject=standup.name,
                                       detail={"day": day.isoformat(), "people": [p.id for p in chosen]}, now=now)
            sent += len(chosen)
    if sent:
        rt.delivery.wake.set()
    return sent


async def _reminders(rt: Runtime, standup: StandupConfig, at: datetime, people: dict[str, Person]) -> int:
    """Those who were prompted and have neither answered nor skipped hear once more."""
    sent = 0
    for member in standup.members:
        person = people.get(member)
        day = person and _due(rt, standup, at, standup.reminder_time(),
                              member_timezone(rt.config, standup, person.timezone))
        if person is None or not day:
            continue
        async with rt.db.write() as s:
            ws = SqlWorkspace(s, default_locale=rt.config.locale)
            if not await ws.was_run(schedule_name(standup), member, day):
                continue  # never prompted (away, or joined later)
            if member in await ws.standup_status([member], day):
                continue
            if not await ws.claim_run(f"{schedule_name(standup)}:remind", member, day, rt.clock.now()):
                continue
            claimed = await _send(rt, ws, s, person, "standup_reminder", {
                "standup": standup.name, "project": standup.project, "day": day.isoformat(),
                "deadline": standup.deadline,
            })
        rt.outbox.hand_over(claimed)
        sent += 1
    return sent


async def _summary(rt: Runtime, standup: StandupConfig, at: datetime, people: dict[str, Person]) -> int:
    """At the deadline: who answered what (blockers first), who skipped, who is away, who is missing."""
    tz = standup.timezone or rt.config.timezone
    day = _due(rt, standup, at, standup.deadline_time(), tz)
    if not day:
        return 0
    async with rt.db.write() as s:
        ws = SqlWorkspace(s, default_locale=rt.config.locale)
        if not await ws.claim_run(f"{schedule_name(standup)}:summary", "*", day, rt.clock.now()):
            return 0
        status = await ws.standup_status(list(standup.members), day)
        entries = []
        for member in standup.members:
            kind, text = status.get(member, ("missing", ""))
            name = people[member].name if member in people else member
            blocked = kind == "answer" and any(word in text.casefold() for word in BLOCKER_WORDS)
            entries.append({"person": name, "kind": "blocked" if blocked else kind, "text": text})
        order = {"blocked": 0, "answer": 1, "skip": 2, "away": 3, "missing": 4}
        entries.sort(key=lambda e: order[e["kind"]])
        data = {"standup": standup.name, "project": standup.project, "day": day.isoformat(), "entries": entries,
                "answered": sum(e["kind"] in ("answer", "blocked") for e in entries), "total": len(entries),
                "links": _task_links(rt.config, standup.project, " ".join(e["text"] for e in entries))}
        channels = [(p, c) for p, c in (
            [(c.platform, c.id) for c in standup.report_to] or await ws.project_channels(standup.project)
        ) if p in rt.settings.enabled_platforms() and p != "console"]
        claimed: list[ClaimedMessage] = []
        if channels:
            envelopes = [Envelope(platform=p, target=c, kind="standup_summary", locale=rt.config.locale, data=data,
                                  actions=[]) for p, c in channels]
            claimed = await rt.outbox.enqueue(s, envelopes, source_event=None, now=rt.clock.now())
        else:  # no team channel reachable (the console has none): each member gets it directly
            for member in standup.members:
                if member in people:
                    claimed += await _send(rt, ws, s, people[member], "standup_summary", data)
        await audit.append(s, actor="clock", action="standup.summary", subject=standup.name,
                           detail={"day": day.isoformat(), "answered": data["answered"], "total": len(entries)},
                           now=rt.clock.now())
    rt.outbox.hand_over(claimed)
    return 1


def _task_links(config: Config, project_key: str, text: str) -> dict[str, str]:
    """The task keys in `text` with their URLs, when the project says where its tasks are seen (`task_url`)."""
    project = next((p for p in config.projects if p.key == project_key), None)
    if project is None or project.task_url is None:
        return {}
    return {key: project.task_url.replace("{key}", key) for key in KEY_RE.findall(text)}


async def _risk_scan(rt: Runtime, scan: RiskAlertConfig, at: datetime) -> int:
    """The project's risks, each sent once and then again only after its cooldown, unless acknowledged; as cards
    with Acknowledge / Snooze, or (digest) as one message listing them."""
    day = due_day(at, at=scan.at_time(), tz=ZoneInfo(rt.config.timezone), days="workdays",
                  calendar=rt.config.work_calendar(scan.calendar))
    if day is None:
        return 0
    now = rt.clock.now()
    limits = scan.thresholds()
    rules = set(scan.rules)
    claimed: list[ClaimedMessage] = []
    schedule = f"risks:{scan.project}"
    if rt.clock.monotonic() < _PMS_RETRY_AT.get(scan.project, 0.0):
        return 0
    # The PMS is read before the write transaction: a remote PMS may take seconds, and SQLite has one writer.
    async with rt.db.read() as rs:
        ws = SqlWorkspace(rs, default_locale=rt.config.locale)
        project = await ws.project(scan.project)
        if project is None or await ws.was_run(schedule, "*", day):
            return 0
        pms = connector_for(rs, rt.remotes, clock=rt.clock)(project)
        try:
            tasks = await pms.search_tasks(project=project.key, limit=PMS_SCAN_MAX_TASKS)
            risks = [r for r in find_risks(tasks, today=day, now=at, limits=limits) if r.kind in rules]
            if "milestone" in rules:
                risks += milestone_risks(await pms.list_milestones(project.key), tasks, today=day, limits=limits)
            if "budget" in rules:
                figures = await latest_metrics(rs, project.key, (BUDGET, BUDGET_SPENT))
                if figures:
                    progress = (await pms.project_summary(project.key, today=day)).percent
                    risks += budget_risk(budget=figures.get(BUDGET), spent=figures.get(BUDGET_SPENT),
                                         progress_percent=progress, limits=limits)
        except PMSDown as exc:
            log.warning("risk scan of %s waits for its PMS: %s", project.key, exc)
            _PMS_RETRY_AT[project.key] = rt.clock.monotonic() + PMS_SCAN_RETRY_S
            return 0
    async with rt.db.write() as s:
        ws = SqlWorkspace(s, default_locale=rt.config.locale)
        if not await ws.claim_run(schedule, "*", day, now):
            return 0
        if "integration" in rules:
            since = at.astimezone(UTC) - timedelta(hours=limits.integration_window_h)
            risks += integration_risks(await outcomes(s, since=since), limits=limits)
        by_key: dict[tuple[str, str], Risk] = {(r.kind, r.subject): r for r in risks}
        due = await ws.alerts_to_send(project.key, list(by_key), now=at.astimezone(UTC),
                                      cooldown=timedelta(hours=scan.cooldown_h))
        recipients = await _alert_recipients(rt, ws, project)
        views = [await _risk_view(ws, alert_id, by_key[(rule, subject)]) for alert_id, rule, subject in due]
        owners = await _accounts(rt, ws, {str(v["owner_id"]) for v in views if v["owner_id"]})

        def mentions(platform: str, *owner_ids: object) -> list[str]:
            """The owners' accounts on that platform, for it to @mention them its own way."""
            return [a for o in owner_ids if o for p, a in owners.get(str(o), []) if p == platform]
        envelopes: list[Envelope] = []
        if scan.digest and views:
            envelopes = [Envelope(platform=p, target=t, kind="risk_digest", locale=locale, actions=[],
                                  data={"project": project.key, "day": day.isoformat(), "alerts": views,
                                        "mentions": mentions(p, *dict.fromkeys(v["owner_id"] for v in views))})
                         for p, t, locale in recipients]
        elif not scan.digest:
            for data in views:
                actions = [{"id": "ack", "value": str(data["id"]), "style": "primary"},
                           {"id": "snooze", "value": str(data["id"]), "style": "default"}]
                envelopes += [Envelope(platform=p, target=t, kind="risk_alert", locale=locale,
                                       data={**data, "mentions": mentions(p, data["owner_id"])}, actions=actions,
                                       card_ref=f"alert:{data['id']}") for p, t, locale in recipients]
        claimed += await rt.outbox.enqueue(s, envelopes, source_event=None, now=now)
        await audit.append(s, actor="clock", action="risk.scan", subject=project.key,
                           detail={"day": day.isoformat(), "risks": len(risks), "sent": len(due)}, now=now)
    rt.outbox.hand_over(claimed)
    return len(due)


async def _risk_view(ws: SqlWorkspace, alert_id: int, risk: Risk) -> dict[str, Any]:
    """What a risk alert shows: the task (and its owner, named) or the project rule's figures."""
    data: dict[str, Any] = {"id": alert_id, "rule": risk.kind, "days": risk.days, "detail": risk.detail,
                            "task": None, "owner": None, "owner_id": None}
    if risk.task is not None:
        owner = await ws.person(risk.task.assignee) if risk.task.assignee else None
        data["task"] = task_view(risk.task, {owner.id: owner.name} if owner else {})
        data["owner"] = owner.name if owner else None
        data["owner_id"] = owner.id if owner else None
    return data


async def _accounts(rt: Runtime, ws: SqlWorkspace, person_ids: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Each person's accounts on the enabled platforms."""
    people = [p for p in [await ws.person(i) for i in sorted(person_ids)] if p is not None]
    return await ws.targets_of(people, rt.settings.enabled_platforms()) if people else {}


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def _weekly_dashboards(rt: Runtime, at: datetime) -> int:
    """Each project with `weekly_dashboard`, at its day and time (organisation's timezone): the dashboard's
    link and its PNG snapshot to the project's channels, once that day."""
    local = at.astimezone(ZoneInfo(rt.config.timezone))
    due = [p for p in rt.config.projects if p.weekly_dashboard
           == f"{_WEEKDAYS[local.weekday()]} {local.hour:02d}:{local.minute:02d}"]
    if not due:
        return 0
    from bot.web.dashboard import weekly_snapshot_message  # the web side, only when a post is due
    from bot.web.pages import Web

    pages = Web(rt)
    await pages.start()
    sent = 0
    claimed: list[ClaimedMessage] = []
    for project in due:
        links = await weekly_snapshot_message(pages, project.key)
        async with rt.db.write() as s:
            ws = SqlWorkspace(s, default_locale=rt.config.locale)
            if not await ws.claim_run(f"dashboard:{project.key}", "*", local.date(), rt.clock.now()):
                continue
            envelopes = [Envelope(platform=p, target=c, kind="dashboard_snapshot", locale=rt.config.locale,
                                  data={"project": project.key, "name": project.name, **links}, actions=[])
                         for p, c in await ws.project_channels(project.key)]
            claimed += await rt.outbox.enqueue(s, envelopes, source_event=None, now=rt.clock.now())
            sent += len(envelopes)
    rt.outbox.hand_over(claimed)
    return sent


async def _audit_anchor(rt: Runtime, at: datetime) -> None:
    """On the hour: the audit chain's head, to the log and (PMSBOT_AUDIT_ANCHOR) appended to a file, where a
    rewrite of the database cannot follow; `pmsbot audit verify` then also finds rows cut off or an emptied table."""
    if at.minute != 0:
        return
    head = await audit.anchor(rt.db, now=at)
    log.info("audit anchor %s", head.line())
    path = rt.settings.pmsbot_audit_anchor
    if path:
        def write() -> None:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(head.line() + "\n")
        try:
            await asyncio.to_thread(write)
        except OSError as exc:  # the log line above still holds the anchor
            log.warning("audit anchor not written to %s: %s", path, exc)


async def _calendar_warning(rt: Runtime, at: datetime) -> int:
    """From November, each day at 09:00 until it is fixed: tell the admins which calendars lack the coming
    year's 调休 (or this year's, still)."""
    local = at.astimezone(ZoneInfo(rt.config.timezone))
    if (local.hour, local.minute) != CALENDAR_WARNING_AT:
        return 0
    gaps = calendar_gaps(rt.config, local.date())
    if not gaps:
        return 0
    sent = 0
    async with rt.db.write() as s:
        ws = SqlWorkspace(s, default_locale=rt.config.locale)
        if not await ws.claim_run("calendar-warning", "*", local.date(), rt.clock.now()):
            return 0
        claimed: list[ClaimedMessage] = []
        for admin in await ws.people_with_role("admin"):
            for year in sorted({y for _, y in gaps}):
                claimed += await _send(rt, ws, s, admin, "calendar_warning",
                                       {"calendars": [c for c, y in gaps if y == year], "year": year})
            sent += 1
    rt.outbox.hand_over(claimed)
    if not sent:
        log.warning("calendars without adjusted workdays (%s) and no admin is configured to tell",
                    ", ".join(f"{c} {y}" for c, y in gaps))
    return sent


async def _approval_followups(rt: Runtime, at: datetime) -> int:
    """Pending requests: remind their approvers after remind_after_h; after escalate_after_h, ask the backups."""
    now = at.astimezone(UTC)
    sent = 0
    async with rt.db.read() as s:
        pending = await SqlWorkspace(s, default_locale=rt.config.locale).pending_approvals()
    for approval in pending:
        async with rt.db.write() as s:
            ws = SqlWorkspace(s, default_locale=rt.config.locale)
            project = await ws.project(approval.project)
            if project is None:
                continue
            age = now - approval.created_at
            policy = next((p for p in rt.config.projects if p.key == approval.project), None) or DEFAULT_POLICY
            claimed: list[ClaimedMessage] = []
            names = {p.id: p.name for p in (await ws.people([approval.requester, *approval.approvers])).values()}
            view = approval_view(approval, names)
            if (policy.remind_after_h is not None and age >= timedelta(hours=policy.remind_after_h)
                    and await ws.claim_run(f"approval:{approval.id}:remind", "*", approval.created_at.date(), now)):
                for approver in (await ws.people(list(approval.approvers))).values():
                    claimed += await _send(rt, ws, s, approver, "approval_reminder",
                                           {"approval": view, "hours": round(age.total_seconds() / 3600)})
                    sent += 1
            backups = tuple(b for b in project.backup_approvers
                            if b != approval.requester and b not in approval.approvers)
            if (policy.escalate_after_h is not None and backups and age >= timedelta(hours=policy.escalate_after_h)
                    and await ws.claim_run(f"approval:{approval.id}:escalate", "*", approval.created_at.date(), now)):
                escalated = await ws.add_approvers(approval.id, backups)
                if escalated is not None:
                    backup_people = await ws.people(list(backups))
                    names.update({p.id: p.name for p in backup_people.values()})
                    view = approval_view(escalated, names)
                    buttons = [asdict(a) for a in approval_buttons(approval.id)]
                    for backup in backup_people.values():
                        claimed += await _send(rt, ws, s, backup, "approval_card", {"approval": view, "escalated": True},
                                               actions=buttons, card_ref=f"approval:{approval.id}")
                        sent += 1
                    requester = await ws.person(approval.requester)
                    if requester is not None:
                        claimed += await _send(rt, ws, s, requester, "approval_escalated", {"approval": view})
                    await audit.append(s, actor="clock", action="approval.escalate", subject=f"approval:{approval.id}",
                                       detail={"to": list(backups)}, now=now)
        rt.outbox.hand_over(claimed)
    return sent


async def _alert_recipients(rt: Runtime, ws: SqlWorkspace, project: Project) -> list[tuple[str, str, str]]:
    """The project's channels on enabled platforms; without one, its PMs (else its members) directly."""
    enabled = rt.settings.enabled_platforms()
    channels: list[tuple[str, str, str]] = [
        (p, c, rt.config.locale) for p, c in await ws.project_channels(project.key) if p in enabled and p != "console"
    ]
    if channels:
        return channels
    people = [p for p in [await ws.person(pid) for pid in (*project.members, *project.approvers)] if p]
    leads = [p for p in people if "pm" in p.roles or "admin" in p.roles] or people
    return [(platform, target, person.locale) for person in leads
            for platform, target in await ws.targets(person, enabled)]


async def _members(rt: Runtime, standups: list[StandupConfig]) -> dict[str, Person]:
    wanted = {m for standup in standups for m in standup.members}
    async with rt.db.read() as s:
        return await SqlWorkspace(s, default_locale=rt.config.locale).people(sorted(wanted))


async def next_runs(rt: Runtime, after: datetime) -> list[NextRun]:
    out: list[NextRun] = []
    async with rt.db.read() as s:
        ws = SqlWorkspace(s, default_locale=rt.config.locale)
        for standup in await schedules.load(rt.db):
            calendar = rt.config.work_calendar(standup.calendar)
            days = parse_days(standup.days)
            for member in standup.members:
                person = await ws.person(member)
                tz = member_timezone(rt.config, standup, person.timezone if person else None)
                when = next_run(after, at=standup.at_time(), tz=ZoneInfo(tz), days=days, calendar=calendar)
                out.append(NextRun(schedule=schedule_name(standup), project=standup.project, person_id=member,
                                   timezone=tz, at=when.astimezone(ZoneInfo(tz)) if when else None))
    return out


def calendar_gaps(config: Config, today: date) -> list[tuple[str, int]]:
    """(calendar, year) of the calendars in use that do not know a year's adjusted workdays: this year's at any
    time, the coming year's from November (China publishes them around then)."""
    codes = sorted({s.calendar for s in config.standups} | {r.calendar for r in config.risk_alerts})
    years = [today.year] + ([today.year + 1] if today.month >= CALENDAR_WARNING_FROM_MONTH else [])
    return [(c, y) for y in years for c in codes if not config.work_calendar(c).knows_adjusted_workdays(y)]


class ClockRunner:
    """The `clock` role: APScheduler beats every few seconds; the one active clock (see bot/store/leader.py)
    handles each minute once, and after downtime each missed minute once (bounded by CLOCK_CATCH_UP_S)."""

    def __init__(self, rt: Runtime, leader: Leader) -> None:
        self.rt = rt
        self.leader = leader
        self.active = False
        self._standing_by = False
        self.became_active = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        # APScheduler only paces the beats (on the machine's clock); what is due is decided by our Clock.
        await self.beat()
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
            await self.tick(self.rt.clock.now())
        except Exception:  # the scheduler's job boundary: log, and try again at the next beat
            log.exception("clock beat failed")

    async def tick(self, now: datetime) -> int:
        """Handle every minute from the last one handled up to `now`'s; returns prompts sent."""
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        last = await last_tick(self.rt.db)
        if last is not None and last >= minute:
            return 0
        first = minute if last is None else max(last + ONE_MINUTE, minute - timedelta(seconds=CLOCK_CATCH_UP_S))
        standups = await schedules.load(self.rt.db)
        people = await _members(self.rt, standups)
        sent = 0
        at = first
        while at <= minute:
            # Nothing is repeated if this stops half-way: each prompt is claimed per person and day.
            sent += await run_due(self.rt, at, catching_up=at < minute, people=people, standups=standups)
            at += ONE_MINUTE
        await save_tick(self.rt.db, minute)
        # Calls this process made (a clock-only process has no delivery worker to count them in the SLA figures).
        await add_calls(self.rt.db, minute, METER.take())
        # Polls (Redmine, file folders) can take a while: beside the tick, never holding up standup prompts.
        if self._polling is None or self._polling.done():
            self._polling = asyncio.create_task(self.polls(minute), name="clock-polls")
        return sent

    async def polls(self, minute: datetime) -> None:
        try:
            await self._poll_pms(minute)
            await self._poll_files(minute)
        except Exception:  # a poll's boundary: log, the next minute tries again
            log.exception("poll at %s failed", minute.isoformat())

    async def _poll_files(self, minute: datetime) -> None:
        """File sources' folders, each at its own interval; a file already imported is skipped by its hash."""
        due = [(s, rules) for s, rules in self.rt.dispatcher.sources.values()
               if s.kind == "file" and not int(minute.timestamp() // 60) % s.poll_every_min]
        if due:
            await poll_files(self.rt.db, self.rt.inbox, due, now=self.rt.clock.now())

    async def _poll_pms(self, minute: datetime) -> None:
        """PMSs without webhooks (Redmine 5) are read for changes every few minutes; a poll that fails is
        logged and the next one reads from where this one would have (the cursor did not move)."""
        remote = self.rt.remotes.get("redmine")
        every = self.rt.config.connectors.redmine.poll_every_min
        if not isinstance(remote, RedmineClient) or int(minute.timestamp() // 60) % every:
            return
        async with self.rt.db.read() as s:
            projects = await SqlWorkspace(s, default_locale=self.rt.config.locale).projects_using("redmine")
        try:
            fed = await poll_redmine(self.rt.db, self.rt.inbox, remote, projects, now=minute)
        except (PMSDown, PMSError) as exc:
            log.warning("Redmine poll failed, next in %s min: %s", every, exc)
            return
        if fed:
            log.info("Redmine poll: %s changes", fed)
