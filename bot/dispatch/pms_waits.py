"""Commands waiting for a PMS that does not answer: kept with the writes made so far, one notice to the person,
admins told when our credentials are refused, retried in the order they came with a wait that grows with the
outage; after PMS_QUEUE_MAX_H, given up and said so. This process's view of which PMS is away lives here."""

from __future__ import annotations

from datetime import timedelta

from bot.clocks import Clock
from bot.constants import PMS_ALERT_EVERY_S, PMS_QUEUE_BACKOFF_MAX_S, PMS_QUEUE_MAX_H, PMS_WAIT_PREFIX
from bot.dispatch.read_first import NeedsWrite
from bot.dispatch.replies import answer, error
from bot.pms.base import PMSDown
from bot.pms.journal import NOTICE, Journal
from bot.pms.registry import CONNECTORS, DISPLAY, Picker, RemoteClient
from bot.records import SYSTEM_KINDS, Project
from bot.store import audit, pms_writes
from bot.store import inbox as inbox_rows
from bot.store.db import Database, StoreSession
from bot.store.inbox import Claimed
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import ClaimedMessage, Envelope, Outbox


class PmsWaits:
    def __init__(self, db: Database, outbox: Outbox, *, clock: Clock, remotes: dict[str, RemoteClient],
                 platforms: tuple[str, ...], default_locale: str) -> None:
        self.db = db
        self.outbox = outbox
        self.clock = clock
        self.remotes = remotes
        self.platforms = platforms
        self.default_locale = default_locale
        self._alerted: dict[str, float] = {}  # PMS -> when admins last heard its credentials were refused
        self._queued: dict[str, set[int]] = {}  # PMS -> inbox ids of commands waiting for it (this process)
        self._down_since: dict[str, float] = {}  # PMS -> when it stopped answering (this process saw)

    def picker(self, s: StoreSession, inbox_id: int, *, remote_only: bool) -> Picker:
        """The project's connector; a command for a PMS that is away waits behind those that came before it."""
        def guard(project: Project) -> None:
            if project.pms in CONNECTORS:
                if remote_only:
                    raise NeedsWrite(f"pms:{project.pms}")
                return
            if any(earlier < inbox_id for earlier in self._queued.get(project.pms, ())):
                raise PMSDown(DISPLAY.get(project.pms, project.pms), "behind", "earlier commands wait for it",
                              connector=project.pms)
        return Picker(s, self.remotes, clock=self.clock, guard=guard)

    def settled(self, inbox_id: int) -> None:
        for waiting in self._queued.values():
            waiting.discard(inbox_id)

    def finished(self, inbox_id: int) -> None:
        for pms in [p for p, waiting in self._queued.items() if not waiting - {inbox_id}]:
            self._down_since.pop(pms, None)  # nothing else waits for it: the outage is over here

    async def park(self, item: Claimed, exc: PMSDown, journal: Journal, staged: list[ClaimedMessage]) -> None:
        """Keep the command for when the PMS answers again, or give up on it after PMS_QUEUE_MAX_H."""
        event = item.event
        wall = self.clock.now()
        give_up = (wall - event.received_at).total_seconds() > PMS_QUEUE_MAX_H * 3600
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.default_locale)
            person = await ws.person_by_identity(event.platform, event.sender)
            locale = person.locale if person else self.default_locale
            notes: list[Envelope] = []
            if event.kind in SYSTEM_KINDS:
                pass  # nobody to tell: a system's delivery waits for its PMS quietly
            elif give_up:
                notes.append(answer(event, locale, error("pms_gave_up", {"pms": exc.pms})))
            elif not journal.result(NOTICE)[0]:
                code = "pms_auth_queued" if exc.kind == "auth" else "pms_queued"
                notes.append(answer(event, locale, error(code, {"pms": exc.pms})))
                journal.record(NOTICE, True)
            if exc.kind == "auth" and self._time_to_alert(exc.pms):
                notes += await self._admin_alerts(ws, exc)
            if give_up:
                if journal.writes():  # what did happen is on record, though the command as a whole did not
                    await audit.append(s, actor=person.id if person else f"{event.platform}:{event.sender}",
                                       action="pms.partial", subject=exc.pms,
                                       detail={"event": event.event_id, "calls": journal.writes()[:50]},
                                       now=self.clock.now())
                await pms_writes.forget(s, item.inbox_id)
            else:
                await pms_writes.save(s, item.inbox_id, journal.to_save(), now=self.clock.now())
            staged.extend(await self.outbox.enqueue(s, notes, source_event=item.inbox_id, now=wall))
            if give_up:
                await inbox_rows.give_up(s, item.inbox_id, item.attempts, error=str(exc))
            else:
                # PMS_WAIT_PREFIX: not an attempt that counts toward INBOX_MAX_ATTEMPTS (the command is fine).
                await inbox_rows.park(s, item.inbox_id, item.attempts, error=f"{PMS_WAIT_PREFIX}{exc}",
                                          until=wall + timedelta(seconds=self._wait_s(exc)))
        if give_up:
            self.settled(item.inbox_id)
        elif exc.connector:
            self._queued.setdefault(exc.connector, set()).add(item.inbox_id)

    def _wait_s(self, exc: PMSDown) -> float:
        """One wait for everything queued for this PMS, growing with the outage (a quarter of it so far, 5 s to
        5 min) and honouring Retry-After: commands come back in the order they were queued."""
        now = self.clock.monotonic()
        outage_s = now - self._down_since.setdefault(exc.connector or exc.pms, now)
        return max(5.0, min(PMS_QUEUE_BACKOFF_MAX_S, outage_s / 4), exc.retry_after_s or 0.0)

    def _time_to_alert(self, pms: str) -> bool:
        now = self.clock.monotonic()
        if now - self._alerted.get(pms, -PMS_ALERT_EVERY_S) < PMS_ALERT_EVERY_S:
            return False
        self._alerted[pms] = now
        return True

    async def _admin_alerts(self, ws: SqlWorkspace, exc: PMSDown) -> list[Envelope]:
        return [Envelope(platform=platform, target=target, kind="error", locale=admin.locale, actions=[],
                         data={"code": "pms_auth_admin", "params": {"pms": exc.pms, "detail": exc.detail[:200]}})
                for admin in await ws.people_with_role("admin")
                for platform, target in await ws.targets(admin, self.platforms) or [("console", admin.id)]]
