"""The daily history snapshot: at `portfolio.snapshot_at` (the organisation's timezone) every project's figures
of the day are kept, once (bot/jobs/snapshot_figures.py computes them, bot/store/history.py writes them as sets).

Each project's PMS is read before the one write transaction (a remote PMS may take seconds, SQLite has one
writer); a project whose PMS does not answer is left out of that day rather than holding the others back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clocks import Clock
from bot.config import Config
from bot.constants import PMS_SCAN_MAX_TASKS
from bot.jobs.base import Steady
from bot.jobs.snapshot_figures import day_figures, done_times
from bot.pms.base import PMSDown, PMSError
from bot.pms.registry import RemoteClient, connector_for
from bot.records import Thresholds
from bot.store import audit
from bot.store.dashboard import percent_history
from bot.store.db import Database
from bot.store.history import DaySnapshot, History
from bot.store.workspace import SqlWorkspace

log = logging.getLogger("pmsbot.clock")

SCHEDULE = "snapshot"


class DailySnapshots(Steady):
    def __init__(self, db: Database, clock: Clock, config: Config, remotes: dict[str, RemoteClient]) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.remotes = remotes

    def _thresholds(self, project: str) -> Thresholds:
        scan = next((s for s in self.config.risk_alerts if s.project == project), None)
        return scan.thresholds() if scan else Thresholds()

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        tz = ZoneInfo(self.config.timezone)
        local = at.astimezone(tz)
        if local.strftime("%H:%M") != self.config.portfolio.snapshot_at:
            return 0
        rows = await self.take(at)
        if rows:
            log.info("portfolio snapshot of %s: %s rows", local.date().isoformat(), rows)
        return 0  # the clock counts messages sent; a snapshot sends none

    async def take(self, at: datetime) -> int:
        """The day's snapshot of every project (unless it was taken already); the rows written."""
        tz = ZoneInfo(self.config.timezone)
        day = at.astimezone(tz).date()
        midnight = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        snap = DaySnapshot()
        async with self.db.read() as rs:
            ws = SqlWorkspace(rs, default_locale=self.config.locale)
            if await ws.was_run(SCHEDULE, "*", day):
                return 0
            history = History(rs)
            approvals = await history.approvals_waiting()
            standups = await history.standups_on(day)
            logged = await history.logged_between(midnight, midnight + timedelta(days=1))
            connect = connector_for(rs, self.remotes, clock=self.clock)
            for project in await ws.all_projects():
                try:
                    pms = connect(project)
                    tasks = await pms.search_tasks(project=project.key, open_only=False, limit=PMS_SCAN_MAX_TASKS)
                    milestones = await pms.list_milestones(project.key)
                except (PMSDown, PMSError) as exc:
                    log.warning("snapshot of %s leaves it out today: its PMS failed: %s", project.key, exc)
                    continue
                done_at = done_times(await percent_history(rs, project.key)) if project.pms == "local" else {}
                snap.add(day_figures(
                    project.key, tasks, milestones, day=day, now=at, tz=tz, limits=self._thresholds(project.key),
                    done_at=done_at, logged_min={p: m for (k, p), m in logged.items() if k == project.key},
                    approvals=approvals.get(project.key, 0), standups=standups.get(project.key, (0, 0))))
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.config.locale)
            if not await ws.claim_run(SCHEDULE, "*", day, at):
                return 0
            rows = await History(s).save(snap, at=at)
            await audit.append(s, actor="clock", action="portfolio.snapshot", subject=day.isoformat(),
                               detail={"projects": len({p.project for p in snap.projects}), "rows": rows}, now=at)
        return rows
