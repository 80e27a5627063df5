"""Retention: once a day at `retention.at` (local time), what is older than its kind's limit is purged, and what
was purged is reported (the log and an audit row); claimed per day, so a second clock or a catch-up does not
run it twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.jobs.base import Steady
from bot.store import audit, retention
from bot.store.db import Database
from bot.store.workspace import SqlWorkspace

log = logging.getLogger("pmsbot.clock")


def cutoffs(config: Config, now: datetime) -> dict[str, datetime]:
    r = config.retention
    days = {"chat_text": r.chat_text_days, "photos": r.photos_days, "inbox": r.inbox_days, "audit": r.audit_days}
    return {kind: now - timedelta(days=n) for kind, n in days.items() if n is not None}


class RetentionPurge(Steady):
    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        local = at.astimezone(ZoneInfo(self.config.timezone))
        if local.strftime("%H:%M") != self.config.retention.at:
            return 0
        return sum((await purge_now(self.db, self.config, at, claim=True)).values())


async def purge_now(db: Database, config: Config, now: datetime, *, claim: bool) -> dict[str, int]:
    """Purge what is past its limit at `now`; rows per table. With `claim`, once per local day."""
    async with db.write() as s:
        day = now.astimezone(ZoneInfo(config.timezone)).date()
        if claim and not await SqlWorkspace(s, default_locale=config.locale).claim_run("retention", "*", day, now):
            return {}
        report = await retention.purge(s, cutoffs(config, now))
        await audit.append(s, actor="clock", action="retention.purge", subject="retention", detail=report, now=now)
    log.info("retention purge: %s", ", ".join(f"{t} {n}" for t, n in sorted(report.items())) or "nothing")
    return report
