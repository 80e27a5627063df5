"""Audit anchors: on the hour, the audit chain's head to the log and (PMSBOT_AUDIT_ANCHOR) appended to a file,
where a rewrite of the database cannot follow; `pmsbot audit verify` then also finds rows cut off or an emptied
table."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.jobs.base import Steady
from bot.store import audit
from bot.store.db import Database

log = logging.getLogger("pmsbot.clock")


class AuditAnchors(Steady):
    def __init__(self, db: Database, path: str | None) -> None:
        self.db = db
        self.path = path

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        if at.minute != 0:
            return 0
        head = await audit.anchor(self.db, now=at)
        log.info("audit anchor %s", head.line())
        if self.path:
            try:
                await asyncio.to_thread(self._write, self.path, head.line())
            except OSError as exc:  # the log line above still holds the anchor
                log.warning("audit anchor not written to %s: %s", self.path, exc)
        return 0

    @staticmethod
    def _write(path: str, line: str) -> None:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
