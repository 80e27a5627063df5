"""Risk scans: a project's risks at its scan time on workdays, each alert sent once and again only after its
cooldown unless acknowledged; as cards with Acknowledge / Snooze, or (digest) as one message listing them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config, RiskAlertConfig
from bot.constants import PMS_SCAN_MAX_TASKS, PMS_SCAN_RETRY_S
from bot.jobs.base import Mail, Steady
from bot.pms.base import PMSDown
from bot.pms.registry import RemoteClient, connector_for
from bot.records import Project
from bot.schedule.maths import due_day
from bot.store import audit
from bot.store.db import Database
from bot.store.metrics import BUDGET, BUDGET_SPENT, latest_metrics, outcomes
from bot.store.workspace import SqlWorkspace
from commands.risk import Risk, budget_risk, find_risks, integration_risks, milestone_risks
from commands.views import task_view
from notifiers.outbox import Envelope

log = logging.getLogger("pmsbot.clock")


class RiskScans(Steady):
    def __init__(self, db: Database, mail: Mail, config: Config, remotes: dict[str, RemoteClient]) -> None:
        self.db = db
        self.mail = mail
        self.config = config
        self.remotes = remotes
        self._retry_at: dict[str, float] = {}  # project -> when its scan may try its PMS again

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        sent = 0
        for scan in self.config.risk_alerts:
            if self.config.feature_on("risk_alerts", scan.project):
                sent += await self.scan(scan, at)
        return sent

    async def scan(self, scan: RiskAlertConfig, at: datetime) -> int:
        day = due_day(at, at=scan.at_time(), tz=ZoneInfo(self.config.timezone), days="workdays",
                      calendar=self.config.work_calendar(scan.calendar))
        if day is None:
            return 0
        clock = self.mail.clock
        now = clock.now()
        limits = scan.thresholds()
        rules = set(scan.rules)
        schedule = f"risks:{scan.project}"
        if clock.monotonic() < self._retry_at.get(scan.project, 0.0):
            return 0
        # The PMS is read before the write transaction: a remote PMS may take seconds, and SQLite has one writer.
        async with self.db.read() as rs:
            ws = SqlWorkspace(rs, default_locale=self.config.locale)
            project = await ws.project(scan.project)
            if project is None or await ws.was_run(schedule, "*", day):
                return 0
            pms = connector_for(rs, self.remotes, clock=clock)(project)
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
                self._retry_at[project.key] = clock.monotonic() + PMS_SCAN_RETRY_S
                return 0
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.config.locale)
            if not await ws.claim_run(schedule, "*", day, now):
                return 0
            if "integration" in rules:
                since = at.astimezone(UTC) - timedelta(hours=limits.integration_window_h)
                risks += integration_risks(await outcomes(s, since=since), limits=limits)
            by_key: dict[tuple[str, str], Risk] = {(r.kind, r.subject): r for r in risks}
            due = await ws.alerts_to_send(project.key, list(by_key), now=at.astimezone(UTC),
                                          cooldown=timedelta(hours=scan.cooldown_h))
            recipients = await self._recipients(ws, project)
            views = [await _risk_view(ws, alert_id, by_key[(rule, subject)]) for alert_id, rule, subject in due]
            owners = await self._accounts(ws, {str(v["owner_id"]) for v in views if v["owner_id"]})

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
            claimed = await self.mail.enqueue(s, envelopes)
            await audit.append(s, actor="clock", action="risk.scan", subject=project.key,
                               detail={"day": day.isoformat(), "risks": len(risks), "sent": len(due)}, now=now)
        self.mail.hand_over(claimed)
        return len(due)

    async def _accounts(self, ws: SqlWorkspace, person_ids: set[str]) -> dict[str, list[tuple[str, str]]]:
        """Each person's accounts on the enabled platforms."""
        people = [p for p in [await ws.person(i) for i in sorted(person_ids)] if p is not None]
        return await ws.targets_of(people, self.mail.platforms) if people else {}

    async def _recipients(self, ws: SqlWorkspace, project: Project) -> list[tuple[str, str, str]]:
        """The project's channels on enabled platforms; without one, its PMs (else its members) directly."""
        enabled = self.mail.platforms
        chats = [(p, c) for p, c in await ws.project_channels(project.key) if p in enabled and p != "console"]
        locales = await ws.chat_locales(chats, self.config.locale)  # the team's language, not the deployment's
        channels: list[tuple[str, str, str]] = [(p, c, locales[(p, c)]) for p, c in chats]
        if channels:
            return channels
        people = [p for p in [await ws.person(pid) for pid in (*project.members, *project.approvers)] if p]
        leads = [p for p in people if "pm" in p.roles or "admin" in p.roles] or people
        return [(platform, target, person.locale) for person in leads
                for platform, target in await ws.targets(person, enabled)]


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
