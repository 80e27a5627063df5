"""The dispatcher: claims inbox events, resolves the sender, parses, runs the handler, queues the replies.

A command's PMS writes (built-in PMS), audit rows, replies and the inbox row's completion commit in one
transaction, so a crash at any instant either applies all of it or none of it, and the event is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from prometheus_client import Counter, Histogram
from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.clocks import Clock
from bot.config import Config
from bot.constants import (
    BUTTON_ACTIONS,
    CALLBACK_PLATFORM,
    INBOX_LEASE_S,
    INBOX_MAX_ATTEMPTS,
    NO_RULE_MATCHED,
    PMS_ALERT_EVERY_S,
    PMS_QUEUE_BACKOFF_MAX_S,
    PMS_QUEUE_MAX_H,
    PMS_WAIT_PREFIX,
    WORKER_BATCH,
    WORKER_POLL_S,
)
from bot.hooks.apply import HookApplier, HookRejected
from bot.hooks.rules import RuleError, RuleSet
from bot.hooks.sources import HOOK_PLATFORM_PREFIX
from bot.inbox import Inbox
from bot.pms.base import PMS, PMSDown, PMSError
from bot.pms.journal import JOURNAL, NOTICE, Journal
from bot.pms.registry import CONNECTORS, DISPLAY, RemoteClient, connector_for
from bot.records import InboundEvent, Person, Project, Reply, Task
from bot.remote_mode import BufferedWorkspace, NeedsWrite
from bot.store import audit, pms_changes, pms_writes
from bot.store.db import Database
from bot.store.inbox import Claimed
from bot.store.models import InboxRow, PmsChangeRow
from bot.store.workspace import SqlWorkspace
from bot.text import redact_secrets
from commands import model
from commands.filters import FilterError, parse_filter
from commands.handlers import handle, task_view
from commands.linking import link_account
from commands.parse import parse
from commands.ports import CommandError, Context, Links
from notifiers.outbox import ClaimedMessage, Envelope, Outbox, backoff_s

log = logging.getLogger("pmsbot.dispatcher")

HANDLED = Counter("pmsbot_commands_total", "Commands handled", ["outcome"])
HOOKS = Counter("pmsbot_hook_deliveries_total", "Source deliveries handled", ["source", "outcome"])
LATENCY = Histogram("pmsbot_dispatch_seconds", "Time from claim to committed replies",
                    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5))

ACTION_VERBS = BUTTON_ACTIONS
_APPROVAL_ID_RE = re.compile(r"[0-9]{1,9}")  # ASCII only (isdigit() accepts "²"); fits a 32-bit id
MAX_REASON_CHARS = 1000
# Commands that may talk to a remote PMS and otherwise only read and audit: tried outside the write lock.
PMS_COMMANDS = (model.Status, model.MyTasks, model.Report, model.Done, model.Block, model.New, model.Risks,
                model.FieldLink)


class Dispatcher:
    def __init__(self, db: Database, inbox: Inbox, outbox: Outbox, *, default_locale: str, timezone: str,
                 platforms: tuple[str, ...], clock: Clock,
                 on_done: Callable[[], None] | None = None, remotes: dict[str, RemoteClient] | None = None,
                 config: Config | None = None) -> None:
        self.db = db
        self.remotes = remotes or {}
        self.config = config or Config()
        self.sources = {s.name: (s, RuleSet(s)) for s in self.config.sources}
        self.links: Links | None = None  # set once the web key is known (Runtime.open)
        self._alerted: dict[str, float] = {}  # PMS -> when admins last heard its credentials were refused
        self._queued: dict[str, set[int]] = {}  # PMS -> inbox ids of commands waiting for it (this process)
        self._down_since: dict[str, float] = {}  # PMS -> when it stopped answering (this process saw)
        self.inbox = inbox
        self.outbox = outbox
        self.default_locale = default_locale
        self.tz = ZoneInfo(timezone)
        self.platforms = platforms
        self.clock = clock
        self._on_done = on_done

    async def run_once(self) -> int:
        """Handle what this process was handed, then what is due in the table; returns how many."""
        handled = 0
        while (local := self.inbox.take_local()) is not None:
            await self.process(local)
            handled += 1
            self._done()
        claimed = await self.inbox.claim(limit=WORKER_BATCH, now=self.clock.now())
        for item in claimed:
            await self.process(item)
            self._done()
        return handled + len(claimed)

    def _done(self) -> None:
        if self._on_done:
            self._on_done()

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Cleared before looking, so work stored while we look is not slept through.
            self.inbox.new_work.clear()
            if await self.run_once():
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.inbox.new_work.wait(), timeout=WORKER_POLL_S)

    async def process(self, item: Claimed) -> None:
        started = time.perf_counter()
        event = item.event
        staged: list[ClaimedMessage] = []  # replies claimed for this process's delivery, once committed
        # The PMS calls an earlier attempt made before its PMS went away are replayed, not made again (a first
        # attempt has none: no read for it).
        journal = Journal(await pms_writes.load(self.db, item.inbox_id) if self.remotes and item.attempts > 1
                          else None)
        token = JOURNAL.set(journal)
        heartbeat = asyncio.create_task(self._heartbeat(item)) if self.remotes else None
        try:
            try:
                outcome: str | None
                if event.kind == "change":
                    outcome = await self._apply_change(item, staged)
                elif event.kind == "hook":
                    outcome = await self._apply_hook(item, staged, journal)
                else:
                    journal.on_write = self._saver(item.inbox_id)  # no transaction open: keep each write at once
                    outcome = await self._apply_remote(item, staged, journal) if self.remotes else None
                if outcome is None:
                    journal.restart()
                    async with self.db.write() as s:
                        outcome = await self._apply(s, item, staged, journal)
            except CommandError as exc:
                # The handler's partial work was rolled back with its transaction: answer and finish the event.
                staged.clear()
                async with self.db.write() as s:
                    await self._refuse(s, item, exc, staged)
                outcome = "refused"
            self.outbox.hand_over(staged)
            HANDLED.labels(outcome).inc()
            self._settled(item.inbox_id)
        except PMSDown as exc:
            log.warning("event %s/%s waits for its PMS: %s", event.platform, event.event_id, exc)
            staged.clear()
            try:
                await self._pms_down(item, exc, journal, staged)
                self.outbox.hand_over(staged)
            except Exception:  # LeaseLost or a database error: the lease runs out and the event comes back
                log.exception("event %s/%s: could not queue it for its PMS", event.platform, event.event_id)
            HANDLED.labels("pms_down").inc()
        except LeaseLost as exc:
            log.warning("%s; dropped this attempt", exc)
            HANDLED.labels("lease_lost").inc()
        except Exception as exc:  # the dispatcher boundary: one bad event must not stop the worker
            log.exception("event %s/%s failed (attempt %s)", event.platform, event.event_id, item.attempts)
            await self._failed(item, exc, journal)
            HANDLED.labels("error").inc()
        finally:
            JOURNAL.reset(token)
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
        LATENCY.observe(time.perf_counter() - started)

    def _saver(self, inbox_id: int) -> Callable[[str, Any], Awaitable[None]]:
        async def save(step: str, value: Any) -> None:
            async with self.db.write() as s:
                await pms_writes.save(s, inbox_id, {step: value}, now=self.clock.now())
        return save

    async def _heartbeat(self, item: Claimed) -> None:
        """Keep the lease while remote calls take their time, so no other worker takes the event meanwhile."""
        while True:
            await asyncio.sleep(INBOX_LEASE_S / 3)
            async with self.db.write() as s:
                await s.execute(update(InboxRow).where(
                    col(InboxRow.id) == item.inbox_id, col(InboxRow.attempts) == item.attempts,
                    col(InboxRow.state) == "pending").values(available_at=self.clock.now() + timedelta(seconds=INBOX_LEASE_S)))

    def _settled(self, inbox_id: int) -> None:
        for waiting in self._queued.values():
            waiting.discard(inbox_id)

    async def _refuse(self, s: AsyncSession, item: Claimed, exc: CommandError, staged: list[ClaimedMessage]
                      ) -> None:
        event = item.event
        person = await SqlWorkspace(s, default_locale=self.default_locale).person_by_identity(
            event.platform, event.sender)
        await audit.append(s, actor=person.id if person else f"{event.platform}:{event.sender}",
                           action="command.refused", subject=exc.code,
                           detail={"params": exc.params, "event": event.event_id}, now=self.clock.now())
        locale = person.locale if person else self.default_locale
        await self._finish(s, item, staged, [_answer(event, locale, _error(exc.code, exc.params))])

    def _pms_picker(self, s: AsyncSession, inbox_id: int, *, remote_only: bool) -> Callable[[Project], PMS]:
        pick = connector_for(s, self.remotes, clock=self.clock)

        def picked(project: Project) -> PMS:
            if project.pms in CONNECTORS:
                if remote_only:
                    raise NeedsWrite(f"pms:{project.pms}")
                return pick(project)
            # Commands for a PMS that is away are applied in the order they came: this one waits behind them.
            if any(earlier < inbox_id for earlier in self._queued.get(project.pms, ())):
                raise PMSDown(DISPLAY.get(project.pms, project.pms), "behind", "earlier commands wait for it",
                              connector=project.pms)
            return pick(project)
        return picked

    async def _apply_remote(self, item: Claimed, staged: list[ClaimedMessage], journal: Journal) -> str | None:
        """A PMS command run on a read session (see bot/remote_mode.py); None when it needs the write transaction."""
        event = item.event
        now = self.clock.now()
        async with self.db.read() as rs:
            ws = SqlWorkspace(rs, default_locale=self.default_locale)
            person = await ws.person_by_identity(event.platform, event.sender)
            parsed = _command_of(event, now.astimezone(self.tz).date(), await _channel_project(ws, event))
            if person is None or not isinstance(parsed, PMS_COMMANDS):
                return None
            buffered = BufferedWorkspace(ws)
            ctx = Context(person=person, platform=event.platform, conversation=event.conversation, now=now,
                          today=now.astimezone(self.tz).date(), workspace=cast(Any, buffered),
                          pms_for=self._pms_picker(rs, item.inbox_id, remote_only=True), links=self.links)
            try:
                replies = _with_field_notice(event, person, await handle(ctx, parsed))
            except NeedsWrite:
                return None
        async with self.db.write() as s:
            for row in buffered.audits:
                await audit.append(s, **row)
            await self._audited(s, person.id, parsed, event, now)
            ws = SqlWorkspace(s, default_locale=self.default_locale)
            await self._finish(s, item, staged, await self._envelopes(ws, event, person.locale, replies))
        return "ok"

    async def _apply_change(self, item: Claimed, staged: list[ClaimedMessage]) -> str:
        """A change reported by a PMS (webhook or poll): re-read the task, and queue a note for every
        subscribed chat whose filter it passes (bot/changes.py sends them, or a digest for a burst)."""
        a = item.event.action
        rows: list[PmsChangeRow] = []
        remote = self.remotes.get(a.get("pms", ""))
        async with self.db.read() as rs:
            ws = SqlWorkspace(rs, default_locale=self.default_locale)
            pick = connector_for(rs, self.remotes, clock=self.clock)
            for project in await ws.projects_using(a.get("pms", "")) if remote is not None else []:
                if not self.config.feature_on("subscriptions", project.key):
                    continue
                key = _chat_key(project, a)
                if key is None:
                    continue
                pms = pick(project)
                task = await pms.get_task(key)
                if task is None:
                    continue
                names = {p.id: p.name for p in (await ws.people([task.assignee])).values()} if task.assignee else {}
                data = {"pms": a.get("pms"), "project": project.key, "event": a.get("event", "updated"),
                        "actor": a.get("actor", ""), "changes": a.get("changes", ""), "comment": a.get("comment", ""),
                        "task": task_view(task, names)}
                for platform, conversation, text, by in await ws.subscriptions(project.key):
                    if platform in self.platforms and await _passes(pms, task, a, text, by):
                        rows.append(PmsChangeRow(platform=platform, conversation=conversation,
                                                 project_key=project.key, data=data, created_at=self.clock.now()))
                break  # a task is in one project
        async with self.db.write() as s:
            await pms_changes.add(s, rows)
            await self._finish(s, item, staged, [])
        return "change"

    async def _apply_hook(self, item: Claimed, staged: list[ClaimedMessage], journal: Journal) -> str:
        """A source's delivery: plan its rules' actions, check them all, then apply them in one transaction
        (remote PMS writes journaled, as for commands). A payload that cannot be applied is rejected with the
        reason, kept as a failed inbox event (`pmsbot hooks failed`), nothing of it applied."""
        event = item.event
        name = event.platform.removeprefix(HOOK_PLATFORM_PREFIX)
        found = self.sources.get(name)
        if found is None:
            await self._reject_hook(item, f"source {name} is no longer configured")
            return "rejected"
        source, rules = found
        try:
            payload = json.loads(event.text)
            # A file's row arrives as {"row", "file", "line"}: its rules read `row` (also as `payload`).
            context = ({"payload": payload["row"], "row": payload["row"], "file": payload.get("file"),
                        "line": payload.get("line")} if source.kind == "file" else {"payload": payload})
            planned = rules.plan(context)
        except (RuleError, ValueError, KeyError, TypeError) as exc:
            await self._reject_hook(item, str(exc))
            return "rejected"
        if not planned:
            async with self.db.write() as s:  # no rule matched: acknowledged, nothing to do
                await self._finish(s, item, staged, [])
                await s.execute(update(InboxRow).where(col(InboxRow.id) == item.inbox_id).values(
                    error=NO_RULE_MATCHED))
            HOOKS.labels(name, "unmatched").inc()
            return "hook"
        now = self.clock.now()
        replies: list[Reply] = []
        audits: list[dict[str, Any]] = []
        try:
            # Every action is checked, and those for a remote PMS are made, outside the write transaction (a
            # PMS may take seconds; SQLite has one writer); their calls are journaled, so a retry or a replay
            # does not repeat them. The rest (built-in PMS, approvals, metrics, notices) commit together.
            journal.on_write = self._saver(item.inbox_id)
            async with self.db.read() as rs:
                reader = HookApplier(rs, SqlWorkspace(rs, default_locale=self.default_locale), self.config, source,
                                     self._pms_picker(rs, item.inbox_id, remote_only=False), now=now,
                                     today=now.astimezone(self.tz).date())
                checked = [await reader.check(p) for p in planned]
                local = [c for c in checked if not reader.is_remote(c)]
                for action in [c for c in checked if reader.is_remote(c)]:
                    replies += await reader.apply(action, audits)
            journal.on_write = None
            async with self.db.write() as s:
                ws = SqlWorkspace(s, default_locale=self.default_locale)
                writer = HookApplier(s, ws, self.config, source,
                                     self._pms_picker(s, item.inbox_id, remote_only=False), now=now,
                                     today=now.astimezone(self.tz).date())
                for action in local:
                    replies += await writer.apply(action, audits)
                for row in audits:
                    await audit.append(s, **row)
                await audit.append(s, actor=f"source:{name}", action="hook", subject=name,
                                   detail={"event": event.event_id, "actions": len(checked)}, now=now)
                await self._finish(s, item, staged, await self._envelopes(ws, event, self.default_locale, replies))
        except (HookRejected, PMSError) as exc:
            staged.clear()
            reason = str(exc) if isinstance(exc, HookRejected) else f"{exc.code}: {exc.params}"
            await self._reject_hook(item, reason, partial=[a for a in audits if a["action"] != "hook"]
                                    or journal.writes())
            return "rejected"
        HOOKS.labels(name, "applied").inc()
        return "hook"

    async def _reject_hook(self, item: Claimed, reason: str, *, partial: list[Any] | None = None) -> None:
        """Rejected with the reason. `partial`: what a remote PMS already got before the rejection (its calls stay
        journaled, so a replay after a fix does not make them again), on record as `hook.partial`."""
        name = item.event.platform.removeprefix(HOOK_PLATFORM_PREFIX)
        log.warning("source %s: delivery %s rejected: %s", name, item.event.event_id, reason)
        HOOKS.labels(name, "rejected").inc()
        async with self.db.write() as s:
            await audit.append(s, actor=f"source:{name}", action="hook.rejected", subject=name,
                               detail={"event": item.event.event_id, "reason": reason[:500]}, now=self.clock.now())
            if partial:
                await audit.append(s, actor=f"source:{name}", action="hook.partial", subject=name,
                                   detail={"event": item.event.event_id, "done": partial[:50]}, now=self.clock.now())
            await s.execute(update(InboxRow).where(col(InboxRow.id) == item.inbox_id,
                                                   col(InboxRow.attempts) == item.attempts)
                            .values(state="failed", error=f"rejected: {reason}"[:2000]))

    async def _audited(self, s: AsyncSession, actor: str, parsed: model.Command, event: InboundEvent,
                       now: datetime) -> None:
        await audit.append(s, actor=actor, action="command", subject=type(parsed).__name__.lower(),
                           detail={"event": event.event_id, "platform": event.platform,
                                   "text": redact_secrets(event.text[:500]) if event.kind == "message" else "",
                                   "action": event.action}, now=now)

    async def _pms_down(self, item: Claimed, exc: PMSDown, journal: Journal, staged: list[ClaimedMessage]) -> None:
        """Keep the command for when the PMS answers again: the writes it made so far, one notice to the
        person, admins told when our credentials are refused; after PMS_QUEUE_MAX_H, give up and say so."""
        event = item.event
        wall = self.clock.now()
        age_s = (wall - event.received_at).total_seconds()
        give_up = age_s > PMS_QUEUE_MAX_H * 3600
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.default_locale)
            person = await ws.person_by_identity(event.platform, event.sender)
            locale = person.locale if person else self.default_locale
            notes: list[Envelope] = []
            if event.kind in ("change", "hook"):
                pass  # nobody to tell: a system's delivery waits for its PMS quietly
            elif give_up:
                notes.append(_answer(event, locale, _error("pms_gave_up", {"pms": exc.pms})))
            elif not journal.result(NOTICE)[0]:
                code = "pms_auth_queued" if exc.kind == "auth" else "pms_queued"
                notes.append(_answer(event, locale, _error(code, {"pms": exc.pms})))
                journal.record(NOTICE, True)
            if exc.kind == "auth" and self.clock.monotonic() - self._alerted.get(exc.pms, -PMS_ALERT_EVERY_S) >= PMS_ALERT_EVERY_S:
                self._alerted[exc.pms] = self.clock.monotonic()
                for admin in await ws.people_with_role("admin"):
                    for platform, target in await ws.targets(admin, self.platforms) or [("console", admin.id)]:
                        notes.append(Envelope(platform=platform, target=target, kind="error", locale=admin.locale,
                                              data={"code": "pms_auth_admin",
                                                    "params": {"pms": exc.pms, "detail": exc.detail[:200]}},
                                              actions=[]))
            if give_up:
                if journal.writes():  # what did happen is on record, though the command as a whole did not
                    await audit.append(s, actor=person.id if person else f"{event.platform}:{event.sender}",
                                       action="pms.partial", subject=exc.pms,
                                       detail={"event": event.event_id, "calls": journal.writes()[:50]}, now=self.clock.now())
                await pms_writes.forget(s, item.inbox_id)
            else:
                await pms_writes.save(s, item.inbox_id, journal.to_save(), now=self.clock.now())
            staged.extend(await self.outbox.enqueue(s, notes, source_event=item.inbox_id, now=wall))
            # One wait for everything queued for this PMS, growing with the outage (a quarter of it so far, 5 s to
            # 5 min) and honouring Retry-After: commands come back in the order they were queued.
            outage_s = self.clock.monotonic() - self._down_since.setdefault(exc.connector or exc.pms, self.clock.monotonic())
            wait_s = max(5.0, min(PMS_QUEUE_BACKOFF_MAX_S, outage_s / 4), exc.retry_after_s or 0.0)
            values: dict[str, Any] = (
                {"state": "failed", "error": str(exc)[:2000]} if give_up else
                # PMS_WAIT_PREFIX: not an attempt that counts toward INBOX_MAX_ATTEMPTS (the command is fine).
                {"available_at": wall + timedelta(seconds=wait_s), "error": f"{PMS_WAIT_PREFIX}{exc}"[:2000]})
            result = await s.execute(update(InboxRow).where(
                col(InboxRow.id) == item.inbox_id, col(InboxRow.attempts) == item.attempts,
                col(InboxRow.state) == "pending").values(**values))
            if cast(CursorResult[Any], result).rowcount != 1:
                raise LeaseLost(f"inbox event {item.inbox_id} was claimed again by another worker")
        if give_up:
            self._settled(item.inbox_id)
        elif exc.connector:
            self._queued.setdefault(exc.connector, set()).add(item.inbox_id)

    async def _apply(self, s: AsyncSession, item: Claimed, staged: list[ClaimedMessage], journal: Journal) -> str:
        event = item.event
        ws = SqlWorkspace(s, default_locale=self.default_locale)
        now = self.clock.now()
        person = await ws.person_by_identity(event.platform, event.sender)
        today = now.astimezone(self.tz).date()
        parsed = _command_of(event, today, await _channel_project(ws, event))
        if person is None:
            if isinstance(parsed, model.Link) and event.platform != "console":
                replies = await link_account(ws, platform=event.platform, external_id=event.sender,
                                             arg=parsed.pms_user, now=now)
                await self._finish(s, item, staged, await self._envelopes(ws, event, self.default_locale, replies))
                return "link"
            error = _error("unknown_sender", {"platform": event.platform, "sender": event.sender[:64]})
            await self._finish(s, item, staged, [_answer(event, self.default_locale, error)])
            return "unknown_sender"
        if isinstance(parsed, model.ParseError):
            reply = (Reply(kind="help", data={"topic": None, "error": asdict(parsed)})
                     if parsed.code == "unknown_command"
                     else _error(f"parse.{parsed.code}", {**parsed.params, "verb": parsed.verb or ""}))
            await audit.append(s, actor=person.id, action="command.unparsed", subject=parsed.code,
                               detail={"event": event.event_id, "text": redact_secrets(event.text[:200])}, now=now)
            await self._finish(s, item, staged, [_answer(event, person.locale, reply)])
            return "unparsed"
        ctx = Context(person=person, platform=event.platform, conversation=event.conversation, now=now,
                      today=today, workspace=ws, pms_for=self._pms_picker(s, item.inbox_id, remote_only=False),
                      links=self.links)
        replies = _with_field_notice(event, person, await handle(ctx, parsed))
        await self._audited(s, person.id, parsed, event, now)
        await self._finish(s, item, staged, await self._envelopes(ws, event, person.locale, replies))
        return "ok"

    async def _envelopes(self, ws: SqlWorkspace, event: InboundEvent, locale: str, replies: list[Reply]
                         ) -> list[Envelope]:
        """Answers go back where the event came from, in `locale`; the rest to each recipient's channels."""
        envelopes: list[Envelope] = []
        for reply in replies:
            if reply.to_source is not None:
                envelopes.append(Envelope(platform=CALLBACK_PLATFORM, target=reply.to_source, kind=reply.kind,
                                          locale="en", data=reply.data, actions=[], card_ref=reply.card_ref))
                continue
            if reply.to_channel is not None:
                platform, channel = reply.to_channel
                if platform in self.platforms:
                    envelopes.append(Envelope(platform=platform, target=channel, kind=reply.kind,
                                              locale=self.default_locale, data=reply.data, actions=[]))
                continue
            if reply.to_project is not None:
                for platform, channel in await ws.project_channels(reply.to_project):
                    if platform in self.platforms and (
                            (platform, channel) != (event.platform, event.conversation)):
                        envelopes.append(Envelope(platform=platform, target=channel, kind=reply.kind,
                                                  locale=self.default_locale, data=reply.data, actions=[]))
                continue
            if reply.to_person is None:
                envelopes.append(_answer(event, locale, reply))
                continue
            recipient = await ws.person(reply.to_person)
            if recipient is None:
                continue
            targets = [t for t in await ws.targets(recipient, self.platforms) if t not in reply.not_via]
            for platform, target in targets or [("console", recipient.id)]:
                envelopes.append(Envelope(platform=platform, target=target, kind=reply.kind,
                                          locale=recipient.locale, data=reply.data,
                                          actions=[asdict(a) for a in reply.actions],
                                          card_ref=reply.card_ref, update=reply.update))
        return envelopes

    async def _finish(self, s: AsyncSession, item: Claimed, staged: list[ClaimedMessage],
                      envelopes: list[Envelope]) -> None:
        """Queue the replies and mark the event done, in the caller's transaction."""
        staged.extend(await self.outbox.enqueue(s, envelopes, source_event=item.inbox_id, now=self.clock.now()))
        # Fenced by the attempt number: if our lease ran out and another worker claimed the event, this
        # matches nothing and the whole transaction is rolled back instead of applying the event twice.
        result = await s.execute(
            update(InboxRow)
            .where(col(InboxRow.id) == item.inbox_id, col(InboxRow.attempts) == item.attempts,
                   col(InboxRow.state) == "pending")
            .values(state="done", done_at=self.clock.now(), error=None)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            raise LeaseLost(f"inbox event {item.inbox_id} was claimed again by another worker")
        if self.remotes:
            await pms_writes.forget(s, item.inbox_id)
            for pms in [p for p, waiting in self._queued.items() if not waiting - {item.inbox_id}]:
                self._down_since.pop(pms, None)  # nothing else waits for it: the outage is over here

    async def _failed(self, item: Claimed, exc: Exception, journal: Journal | None = None) -> None:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if journal is not None and journal.writes():
            async with self.db.write() as s:  # the retry must not repeat what this attempt wrote
                await pms_writes.save(s, item.inbox_id, journal.to_save(), now=self.clock.now())
        if item.attempts < INBOX_MAX_ATTEMPTS:
            await self.inbox.release(item.inbox_id, retry_at=self.clock.now() + timedelta(seconds=backoff_s(item.attempts)),
                                     error=error)
            return
        event = item.event
        async with self.db.write() as s:
            if event.kind not in ("change", "hook"):  # a system's delivery has nobody to answer; it stays failed
                person = await SqlWorkspace(s, default_locale=self.default_locale).person_by_identity(
                    event.platform, event.sender)
                locale = person.locale if person else self.default_locale
                answer = _answer(event, locale, _error("internal", {"ref": str(item.inbox_id)}))
                await self.outbox.enqueue(s, [answer], source_event=item.inbox_id, now=self.clock.now(), preclaim=False)
            await s.execute(update(InboxRow).where(col(InboxRow.id) == item.inbox_id).values(
                state="failed", error=error))


def _answer(event: InboundEvent, locale: str, reply: Reply) -> Envelope:
    """A reply in the conversation the event came from."""
    return Envelope(platform=event.platform, target=event.conversation, kind=reply.kind, locale=locale,
                    data=reply.data, actions=[asdict(a) for a in reply.actions], card_ref=reply.card_ref,
                    update=reply.update, origin=event.origin)


def _chat_key(project: Project, change: dict[str, str]) -> str | None:
    """The chat key of the changed task if it can be in `project`: Jira says its project key; Redmine's poller
    says the project; Zentao says only the task id (its project is known once the task is read)."""
    task = change.get("task", "")
    number = task.rpartition("-")[2]
    if not number.isdigit():
        return None
    named = change.get("project", "")
    if named and named != (project.pms_project or project.key):
        return None
    return f"{project.key}-{number}"


async def _passes(pms: PMS, task: Task, change: dict[str, str], text: str, by: str) -> bool:
    try:
        wanted = parse_filter(text, me=by)
    except FilterError:
        return False  # checked when subscribing; a filter that no longer parses matches nothing
    if not wanted.matches(event=change.get("event", "updated"), assignee=task.assignee, priority=task.priority,
                          status=task.status):
        return False
    if wanted.jql is None:
        return True
    matches = getattr(pms, "matches_jql", None)
    if matches is None:
        return False
    try:
        return bool(await matches(task.key, wanted.jql))
    except PMSError as exc:
        log.warning("subscription filter %r of %s: %s", wanted.jql, task.project, exc.params.get("reason", exc.code))
        return False


def _with_field_notice(event: InboundEvent, person: Person, replies: list[Reply]) -> list[Reply]:
    """A report from the field page is told in the project's chat too (with the photo's link)."""
    if event.origin.get("via") != "field":
        return replies
    # The page is no chat: answers go to the person's own conversations (the page shows them as well).
    replies = [replace(r, to_person=person.id) if r.to_person is None and r.to_project is None
               and r.to_channel is None and r.to_source is None else r for r in replies]
    if not replies or "task" not in replies[0].data:
        return replies
    task = replies[0].data["task"]
    return [*replies, Reply(kind="field_reported", to_project=str(task["key"]).rpartition("-")[0], data={
        "task": task, "by": person.name, "note": event.action.get("note", ""), "photo": event.action.get("photo"),
        "hours": event.action.get("hours"), "blocked": event.action.get("blocked") == "1"})]


def _field_report(action: dict[str, str]) -> model.Command | model.ParseError:
    task = action.get("task", "")
    note = action.get("note", "")[:MAX_REASON_CHARS]
    if action.get("blocked") == "1":
        return model.Block(task=task, reason=note or "⛔")
    try:
        percent = int(action["percent"]) if action.get("percent") else None
        hours = Decimal(action["hours"]) if action.get("hours") else None
    except (ValueError, ArithmeticError):
        return model.ParseError(code="bad_percent", verb="report", params={"value": action.get("percent", "")[:10]})
    if percent is not None and not 0 <= percent <= 100:
        return model.ParseError(code="bad_percent", verb="report", params={"value": str(percent)})
    if percent is None and hours is None and not note:
        note = "📷" if action.get("photo") else ""
    return model.Report(task=task, percent=percent, note=note, hours=hours)


class LeaseLost(Exception):
    """Another worker owns the event now; this attempt must not commit."""


def _error(code: str, params: dict[str, str]) -> Reply:
    return Reply(kind="error", data={"code": code, "params": params})


async def _channel_project(ws: SqlWorkspace, event: InboundEvent) -> str | None:
    """The project of the channel a message came from, when it may refer to a task as `#12`."""
    if event.kind != "message" or ("#" not in event.text and "＃" not in event.text):
        return None
    return await ws.project_of_channel(event.platform, event.conversation)


def _command_of(event: InboundEvent, today: date, channel_project: str | None = None
                ) -> model.Command | model.ParseError:
    """A message is parsed; a button click is checked field by field, since its payload is untrusted."""
    if event.kind == "message":
        return parse(event.text, today=today, channel_project=channel_project)
    verb = event.action.get("id", "")
    value = event.action.get("value", "")
    if verb == "field" and event.platform == "console" and event.origin.get("via") == "field":
        return _field_report(event.action)  # the field page's form: checked there, again here
    if verb not in ACTION_VERBS or not _APPROVAL_ID_RE.fullmatch(value):
        return model.ParseError(code="bad_approval_id", verb=verb[:20] or None, params={"value": value[:40]})
    if verb in ("ack", "snooze"):
        return model.AlertAction(alert_id=int(value), action="ack" if verb == "ack" else "snooze")
    if verb == "apply":
        return model.Apply(proposal_id=int(value))
    if verb == "approve":
        return model.Approve(approval_id=int(value), comment=event.action.get("comment", "")[:MAX_REASON_CHARS])
    reason = event.action.get("reason", "").strip()[:MAX_REASON_CHARS]
    if not reason:
        return model.ParseError(code="missing_argument", verb="reject", params={"arg": "reason"})
    return model.Reject(approval_id=int(value), reason=reason)

