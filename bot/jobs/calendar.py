"""Calendar warnings: from November, each day at 09:00 until it is fixed, the admins hear which work calendars
lack the coming year's adjusted workdays (调休), or this year's still."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.constants import CALENDAR_WARNING_AT, CALENDAR_WARNING_FROM_MONTH
from bot.jobs.base import Mail, Steady
from bot.store.db import Database
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import ClaimedMessage

log = logging.getLogger("pmsbot.clock")


def calendar_gaps(config: Config, today: date) -> list[tuple[str, int]]:
    """(calendar, year) of the calendars in use that do not know a year's adjusted workdays: this year's at any
    time, the coming year's from November (China publishes them around then)."""
    codes = sorted({s.calendar for s in config.standups} | {r.calendar for r in config.risk_alerts})
    years = [today.year] + ([today.year + 1] if today.month >= CALENDAR_WARNING_FROM_MONTH else [])
    return [(c, y) for y in years for c in codes if not config.work_calendar(c).knows_adjusted_workdays(y)]


class CalendarWarnings(Steady):
    def __init__(self, db: Database, mail: Mail, config: Config) -> None:
        self.db = db
        self.mail = mail
        self.config = config

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        local = at.astimezone(ZoneInfo(self.config.timezone))
        if (local.hour, local.minute) != CALENDAR_WARNING_AT:
            return 0
        gaps = calendar_gaps(self.config, local.date())
        if not gaps:
            return 0
        sent = 0
        claimed: list[ClaimedMessage] = []
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.config.locale)
            if not await ws.claim_run("calendar-warning", "*", local.date(), self.mail.clock.now()):
                return 0
            for admin in await ws.people_with_role("admin"):
                for year in sorted({y for _, y in gaps}):
                    claimed += await self.mail.to_person(ws, s, admin, "calendar_warning",
                                                         {"calendars": [c for c, y in gaps if y == year], "year": year})
                sent += 1
        self.mail.hand_over(claimed)
        if not sent:
            log.warning("calendars without adjusted workdays (%s) and no admin is configured to tell",
                        ", ".join(f"{c} {y}" for c, y in gaps))
        return sent
