"""Polls run beside the clock's tick (they can take a while and must never hold up standup prompts): file
sources' folders and PMSs without webhooks (Redmine 5), each at its own interval of minutes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from bot.changes import poll_redmine
from bot.clocks import Clock
from bot.config import Config, SourceConfig
from bot.inbox import Inbox
from bot.mapping.files import poll_files
from bot.mapping.rules import RuleSet
from bot.pms.base import PMSDown, PMSError
from bot.pms.redmine import RedmineClient
from bot.pms.registry import RemoteClient
from bot.store.db import Database
from bot.store.workspace import SqlWorkspace

log = logging.getLogger("pmsbot.clock")


class Poll(Protocol):
    async def poll(self, minute: datetime) -> None: ...


def _every(minute: datetime, every_min: int) -> bool:
    return not int(minute.timestamp() // 60) % every_min


class FilePolls:
    """File sources' folders, each at its own interval; a file already imported is skipped by its hash."""

    def __init__(self, db: Database, inbox: Inbox, sources: Mapping[str, tuple[SourceConfig, RuleSet]],
                 clock: Clock) -> None:
        self.db = db
        self.inbox = inbox
        self.sources = sources
        self.clock = clock

    async def poll(self, minute: datetime) -> None:
        due = [(s, rules) for s, rules in self.sources.values() if s.kind == "file" and _every(minute, s.poll_every_min)]
        if due:
            await poll_files(self.db, self.inbox, due, now=self.clock.now())


class RedminePolls:
    """Redmine without webhooks is read for changes every few minutes; a poll that fails is logged and the next
    one reads from where this one would have (the cursor did not move)."""

    def __init__(self, db: Database, inbox: Inbox, remotes: Mapping[str, RemoteClient], config: Config) -> None:
        self.db = db
        self.inbox = inbox
        self.remotes = remotes
        self.config = config

    async def poll(self, minute: datetime) -> None:
        remote = self.remotes.get("redmine")
        every = self.config.connectors.redmine.poll_every_min
        if not isinstance(remote, RedmineClient) or not _every(minute, every):
            return
        async with self.db.read() as s:
            projects = await SqlWorkspace(s, default_locale=self.config.locale).projects_using("redmine")
        try:
            fed = await poll_redmine(self.db, self.inbox, remote, projects, now=minute)
        except (PMSDown, PMSError) as exc:
            log.warning("Redmine poll failed, next in %s min: %s", every, exc)
            return
        if fed:
            log.info("Redmine poll: %s changes", fed)
