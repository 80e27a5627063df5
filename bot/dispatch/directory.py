"""An address-book change event (DingTalk's user_add_org, user_modify_org, user_leave_org, over the stream or the
HTTP push): stored by the adapter on the ack path, applied here. Each account it names is read again from the
directory and applied as directory sync does (bot/jobs/directory.py `accounts()`): a leaver is deactivated and
their approvals move to their manager. Reading again makes a redelivery or a retry change nothing more."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.dispatch.outcomes import Outcomes
from bot.records import read_directory_change
from bot.store.db import Database
from bot.store.inbox import Claimed
from notifiers.outbox import ClaimedMessage

log = logging.getLogger("pmsbot.dispatcher")

# (platform, accounts, left) -> how many people changed
DirectoryChange = Callable[[str, tuple[str, ...], bool], Awaitable[int]]


class DirectoryEvents:
    def __init__(self, db: Database, *, outcomes: Outcomes, apply: DirectoryChange | None) -> None:
        self.db = db
        self.outcomes = outcomes
        self.apply_change = apply

    async def apply(self, item: Claimed, staged: list[ClaimedMessage]) -> str:
        accounts, left = read_directory_change(item.event.text)
        changed = 0
        if accounts and self.apply_change is not None:  # a DatabaseError here: the event is retried later
            changed = await self.apply_change(item.event.platform, accounts, left)
        log.info("%s directory event %s: %d of %d people changed", item.event.platform, item.event.event_id[:80],
                 changed, len(accounts))
        async with self.db.write() as s:
            await self.outcomes.finish(s, item, staged, [])
        return "directory"
