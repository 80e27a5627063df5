"""Weekly dashboards: each project with `weekly_dashboard` ("mon 09:00", the organisation's timezone) gets its
dashboard's link and PNG snapshot in its channels, once that day."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.jobs.base import Mail, Steady
from bot.store.db import Database
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import ClaimedMessage, Envelope

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# project key -> the links the message carries (page, snapshot image); the web side makes them.
Snapshot = Callable[[str], Awaitable[dict[str, str]]]


class WeeklyDashboards(Steady):
    def __init__(self, db: Database, mail: Mail, config: Config, snapshot: Snapshot) -> None:
        self.db = db
        self.mail = mail
        self.config = config
        self.snapshot = snapshot

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        local = at.astimezone(ZoneInfo(self.config.timezone))
        due = [p for p in self.config.projects
               if p.weekly_dashboard == f"{WEEKDAYS[local.weekday()]} {local.hour:02d}:{local.minute:02d}"]
        sent = 0
        claimed: list[ClaimedMessage] = []
        for project in due:
            links = await self.snapshot(project.key)
            async with self.db.write() as s:
                ws = SqlWorkspace(s, default_locale=self.config.locale)
                if not await ws.claim_run(f"dashboard:{project.key}", "*", local.date(), self.mail.clock.now()):
                    continue
                chats = await ws.project_channels(project.key)
                locales = await ws.chat_locales(chats, self.config.locale)
                envelopes = [Envelope(platform=p, target=c, kind="dashboard_snapshot", locale=locales[(p, c)],
                                      data={"project": project.key, "name": project.name, **links}, actions=[])
                             for p, c in chats]
                claimed += await self.mail.enqueue(s, envelopes)
                sent += len(envelopes)
        self.mail.hand_over(claimed)
        return sent
