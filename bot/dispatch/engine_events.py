"""An approval engine's result from the inbox (kind "engine"): DingTalk OA ended an instance. The adapter only
verified and translated it; here the clock's engine links (bot/jobs/engines.py) decide the linked request, once:
a result for a request already decided, or for an instance we did not create, changes nothing. Deciding and
finishing the event are two transactions; a crash between them brings the event back, and the second try finds
the request decided."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal, Protocol

from bot.clocks import Clock
from bot.store import inbox as inbox_rows
from bot.store.db import Database
from bot.store.inbox import Claimed

log = logging.getLogger("pmsbot.engines")


class EngineResults(Protocol):
    async def result(self, kind: str, instance: str, status: Literal["running", "approved", "rejected"], *,
                     now: datetime, url: str | None = None) -> bool: ...


class EngineEvents:
    def __init__(self, db: Database, *, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.links: EngineResults | None = None  # set once the clock's jobs are built (bot/runtime.py)

    async def apply(self, item: Claimed) -> str:
        action = item.event.action
        status = action.get("status")
        if self.links is not None and status in ("approved", "rejected"):
            decided = await self.links.result(action.get("engine", ""), action.get("instance", ""),
                                              "approved" if status == "approved" else "rejected",
                                              now=self.clock.now(), url=action.get("url") or None)
            if not decided:
                log.info("%s result for instance %r changed nothing (decided already, or not ours)",
                         action.get("engine"), action.get("instance", "")[:64])
        async with self.db.write() as s:
            await inbox_rows.done(s, item.inbox_id, item.attempts, now=self.clock.now())
        return "engine"
