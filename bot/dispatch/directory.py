"""A directory change event from the inbox (kind "directory"): a Feishu contact.user.*_v3 carries the person as
they now are, a DingTalk user_add_org / user_modify_org / user_leave_org names one account to read again. The
adapter only verified and translated it; here, off the platform's ack, directory sync applies it to that one
person, then the event is done. Applying is idempotent (the same state again changes nothing), so a retry after a
crash between the two changes nothing more; a directory that cannot be read is tried again later by the inbox."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.clocks import Clock
from bot.directory.base import (
    CHANGE_ACCOUNT,
    CHANGE_ENTRY,
    CHANGE_LEFT,
    DirectoryError,
    Entry,
    entry_from_json,
)
from bot.dispatch.outcomes import Outcomes
from bot.store import inbox as inbox_rows
from bot.store.db import Database
from bot.store.inbox import Claimed

log = logging.getLogger("pmsbot.directory")


class DirectoryChanges(Protocol):
    """What directory sync does for one person (bot/jobs/directory.py)."""

    async def one(self, platform: str, entry: Entry, actor: str) -> object: ...

    async def account(self, platform: str, account: str, *, left: bool, actor: str) -> int: ...


class DirectoryEvents:
    def __init__(self, db: Database, *, clock: Clock, outcomes: Outcomes) -> None:
        self.db = db
        self.clock = clock
        self.outcomes = outcomes
        self.changes: DirectoryChanges | None = None  # set once the clock's jobs are built (bot/runtime.py)

    async def apply(self, item: Claimed) -> str:
        event = item.event
        change = event.action.get("change")
        try:
            if self.changes is None:  # no directory source of that platform any more: nothing to apply
                pass
            elif change == CHANGE_ENTRY:
                await self.changes.one(event.platform, entry_from_json(event.text), event.platform)
            elif change in (CHANGE_ACCOUNT, CHANGE_LEFT):
                await self.changes.account(event.platform, event.sender, left=change == CHANGE_LEFT,
                                           actor=event.platform)
        except DirectoryError as exc:  # unreadable is not "left": kept as is, asked again after a back-off
            log.warning("%s directory change %s not applied yet: %s", event.platform, item.inbox_id, exc)
            await self.outcomes.failed(item, exc)
            return "directory_later"
        async with self.db.write() as s:
            await inbox_rows.done(s, item.inbox_id, item.attempts, now=self.clock.now())
        return "directory"
