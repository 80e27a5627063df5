"""Directory sync: read every configured directory, plan what changes (bot/directory/plan.py), and apply it in
one transaction; the PMs (and the managers) of approvals a leaver held are told where they went.

The clock runs a full sync every `directory.sync_every_h` hours (claimed per slot, so two clocks or a catch-up
run it once); `pmsbot directory sync` runs it on demand, or shows the plan with --dry-run. A change event, taken
from the inbox by the worker (bot/dispatch/directory.py), syncs that one person: a Feishu contact.user.*_v3 carries
them (`one()`); DingTalk's user_add_org, user_modify_org, user_leave_org name an account, read again: `account()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from bot.config import Config
from bot.directory.base import Directory, DirectoryError, Entry, Listing, Progress
from bot.directory.plan import Plan, plan, without_blocked
from bot.jobs.base import Mail, Steady
from bot.store import directory as store
from bot.store.db import Database
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import ClaimedMessage

log = logging.getLogger("pmsbot.directory")

@runtime_checkable
class ReadsOne(Protocol):
    """A directory that can read one person again (for change events that carry only an id)."""

    async def person(self, account: str) -> Entry | None: ...


Directories = Callable[[tuple[str, ...]], list[Directory]]  # the clients of these sources (all: none named)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    plan: Plan
    applied: bool
    reassigned: tuple[store.Reassigned, ...] = ()


class DirectorySync(Steady):
    def __init__(self, db: Database, mail: Mail, config: Config, directories: Directories) -> None:
        self.db = db
        self.mail = mail
        self.config = config
        self.directories = directories
        self._readers: dict[str, Directory | None] = {}  # a change event's source, kept open (see _reader)
        self._open: list[Directory] = []

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        every_h = self.config.directory.sync_every_h
        if every_h is None or not self.config.directory.sources:
            return 0
        now = at.astimezone(UTC)
        slot = int(now.timestamp() // (every_h * 3600))
        async with self.db.write() as s:
            if not await SqlWorkspace(s, default_locale=self.config.locale).claim_run(
                    f"directory:{slot}", "*", now.date(), now):
                return 0
        try:
            outcome = await self.sync(progress=log.info, actor="clock")
        except DirectoryError as exc:  # the next slot tries again; people stay as they are meanwhile
            log.warning("directory sync failed: %s", exc)
            return 0
        p = outcome.plan
        return len(p.create) + len(p.update) + len(p.deactivate) + len(p.reactivate) if outcome.applied else 0

    async def sync(self, *, sources: tuple[str, ...] = (), dry_run: bool = False, force: bool = False,
                   progress: Progress, actor: str) -> Outcome:
        directories = self.directories(sources)
        listings: list[Listing] = []
        try:
            for directory in directories:
                try:
                    listings.append(await directory.listing(progress))
                except DirectoryError as exc:  # that directory is not read: its people are neither changed nor gone
                    listings.append(Listing(source=directory.name, platform=directory.platform, entries=(),
                                            complete=False, problems=(str(exc),)))
                    progress(f"{directory.name}: {exc}")
        finally:
            for directory in directories:
                await directory.close()
        readable = [li for li in listings if li.entries or li.complete]
        found = plan(await store.known(self.db, self.config), readable, self.config.directory, force=force)
        found = replace(found, problems=tuple(f"{li.source}: {p}" for li in listings for p in li.problems))
        if dry_run or found.blocked or found.empty:
            return Outcome(plan=without_blocked(found) if found.blocked else found, applied=False)
        return await self._apply(found, actor)

    async def one(self, platform: str, entry: Entry, actor: str) -> Outcome:
        """A change event's person: created or updated, or deactivated when it says so; nobody else is touched."""
        listing = Listing(source=platform, platform=platform, entries=(entry,), complete=False)
        known = await store.known(self.db, self.config, [(platform, entry)])  # whom it can touch, not everyone
        found = plan(known, [listing], self.config.directory, force=True)
        return Outcome(plan=found, applied=False) if found.empty else await self._apply(found, actor)

    async def account(self, platform: str, account: str, *, left: bool, actor: str) -> int:
        """An account a change event names, read again from the `platform` directory source and applied as
        `one()`: someone the directory does not know is left alone; a leaver (`left`) is deactivated through the
        same rules as a full sync (people of the file are kept, their approvals move). How many people changed;
        DirectoryError when the directory cannot be read (the inbox tries again later)."""
        reader = self._reader(platform)
        if reader is None:
            return 0
        entry = await reader.person(account)
        if left:
            entry = replace(entry, active=False) if entry else await self._stored(platform, account)
        return int((await self.one(platform, entry, actor)).applied) if entry is not None else 0

    def _reader(self, platform: str) -> ReadsOne | None:
        """The `platform` source's client, kept for the next event: one HTTP client and one access token for
        them all, not one per event."""
        if platform not in self._readers:
            names = tuple(s.name for s in self.config.directory.sources if s.kind == platform)
            found = [d for d in self.directories(names) if d.platform == platform] if names else []
            self._readers[platform] = found[0] if found else None
            self._open += found
        reader = self._readers[platform]
        return reader if isinstance(reader, ReadsOne) else None

    async def close(self) -> None:
        for directory in self._open:
            await directory.close()
        self._open.clear()
        self._readers.clear()

    async def _stored(self, platform: str, account: str) -> Entry | None:
        """A leaver the directory no longer answers for, as we know them, inactive; None: nobody we know."""
        gone = Entry(account=account, name=account)  # matched by its account alone
        for k in await store.known(self.db, self.config, [(platform, gone)]):
            if (platform, account) in (*k.accounts, *k.linked):
                return Entry(account=account, name=k.name, email=k.email, employee_id=k.employee_id,
                             department=k.department, active=False)
        return None

    async def _apply(self, found: Plan, actor: str) -> Outcome:
        now = self.mail.clock.now()
        moved = await store.apply(self.db, found, actor=actor, now=now)
        if moved:
            await self._tell(moved)
        return Outcome(plan=found, applied=True, reassigned=tuple(moved))

    async def _tell(self, moved: list[store.Reassigned]) -> None:
        claimed: list[ClaimedMessage] = []
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.config.locale)
            wanted = {pid for m in moved for pid in (*m.pms, m.leaver, *([m.to] if m.to else []))}
            people = await ws.people(sorted(wanted))
            for m in moved:
                data = {"approval": {"id": m.approval_id, "subject": m.subject, "project": m.project},
                        "leaver": people[m.leaver].name if m.leaver in people else m.leaver,
                        "to": people[m.to].name if m.to in people else m.to}
                for pid in dict.fromkeys((*m.pms, *([m.to] if m.to else []))):
                    if pid in people:
                        claimed += await self.mail.to_person(ws, s, people[pid], "approval_reassigned", data)
        self.mail.hand_over(claimed)
