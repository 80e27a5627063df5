"""Running a chat command (a message or a button): who is asking, what they asked, the handler against the
project's PMS, the audit row and the replies, all in one transaction. A command that talks to a remote PMS is
tried first on a read session (bot/dispatch/read_first.py), so the write lock is not held while a PMS answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clocks import Clock
from bot.dispatch.events import PMS_COMMANDS, CommandReader
from bot.dispatch.outcomes import Outcomes
from bot.dispatch.pms_waits import PmsWaits
from bot.dispatch.read_first import NeedsWrite, ReadFirstWorkspace
from bot.dispatch.replies import Addressing, answer, error, with_bot_note, with_field_notice
from bot.files import shown_name
from bot.language_model import Suggester, asks
from bot.pms.base import PMS
from bot.pms.registry import Picker
from bot.records import Fetched, InboundEvent, Person, Project, Reply
from bot.store import audit
from bot.store.db import Database, StoreSession
from bot.store.inbox import Claimed
from bot.store.workspace import SqlWorkspace
from bot.text import redact_secrets
from commands import model
from commands.chains import ApprovalPolicy
from commands.handlers import handle
from commands.handlers.attachments import attach_files, reported_tasks
from commands.linking import link_account
from commands.ports import CommandError, Context, Links, Workspace
from notifiers.outbox import ClaimedMessage


class ChatCommands:
    def __init__(self, db: Database, *, clock: Clock, timezone: str, default_locale: str, waits: PmsWaits,
                 outcomes: Outcomes, addressing: Addressing, suggester: Suggester | None = None,
                 feature_on: Callable[[str, str], bool] | None = None, approvals: ApprovalPolicy | None = None
                 ) -> None:
        self.db = db
        self.clock = clock
        self.tz = ZoneInfo(timezone)
        self.feature_on = feature_on or (lambda feature, project: True)
        self.default_locale = default_locale
        self.waits = waits
        self.outcomes = outcomes
        self.addressing = addressing
        self.links: Links | None = None  # set once the web key is known (Runtime.open)
        self.suggester = suggester  # the optional language model (PMSBOT_LLM_URL); None: nothing leaves
        self.approvals = approvals  # approval chains (None: none configured)
        self.commands = CommandReader()

    def zone(self, person: Person | None) -> ZoneInfo:
        """The person's own timezone (their "today" and "tomorrow 09:00"), else the deployment's."""
        if person is not None and person.timezone:
            try:
                return ZoneInfo(person.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                pass  # checked when configured; a stored name gone from tzdata falls back
        return self.tz

    def context(self, person: Person, event: InboundEvent, now: datetime, today: date, *, workspace: Workspace,
                pms_for: Callable[[Project], PMS]) -> Context:
        return Context(person=person, platform=event.platform, conversation=event.conversation, now=now,
                       today=today, workspace=workspace, pms_for=pms_for, links=self.links,
                       timezone=str(self.zone(person)), feature_on=self.feature_on, approvals=self.approvals)

    async def suggestion(self, item: Claimed) -> model.Confirm | None:
        """The language model's reading of a message the rules would ask a known person about, to be confirmed;
        asked with no transaction open. None when the model is off (nothing read, nothing sent) or unhelpful."""
        event = item.event
        if self.suggester is None or event.kind != "message":
            return None
        async with self.db.read() as rs:
            ws = SqlWorkspace(rs, default_locale=self.default_locale)
            known = await ws.person_by_identity(event.platform, event.sender) is not None
            parsed = await self.commands.command(ws, event, self.clock.now().astimezone(self.tz).date())
        return await self.suggester.suggest(event.text) if known and asks(parsed) else None

    async def takes_files(self, item: Claimed) -> bool:
        """Whether the message's files are to be fetched: a known person's report on some task (anything else is
        answered without fetching them). Read with no transaction open."""
        event = item.event
        async with self.db.read() as rs:
            ws = SqlWorkspace(rs, default_locale=self.default_locale)
            if await ws.person_by_identity(event.platform, event.sender) is None:
                return False
            parsed = await self.commands.command(ws, event, self.clock.now().astimezone(self.tz).date())
        return not isinstance(parsed, model.ParseError) and bool(reported_tasks(parsed))

    async def run_read_first(self, item: Claimed, staged: list[ClaimedMessage],
                             fetched: Sequence[Fetched] = ()) -> str | None:
        """The command on a read session; None when it needs the write transaction."""
        event = item.event
        now = self.clock.now()
        async with self.db.read() as rs:
            ws = SqlWorkspace(rs, default_locale=self.default_locale)
            person = await ws.person_by_identity(event.platform, event.sender)
            today = now.astimezone(self.zone(person)).date()
            parsed = await self.commands.command(ws, event, today)
            if person is None or not isinstance(parsed, PMS_COMMANDS):
                return None
            buffered = ReadFirstWorkspace(ws)
            pick = self.waits.picker(rs, item.inbox_id, remote_only=True)
            ctx = self.context(person, event, now, today, workspace=buffered, pms_for=pick)
            try:
                replies = await self._answers(ctx, parsed, event, person, fetched, pick)
            except NeedsWrite:
                return None
        async with self.db.write() as s:
            for row in buffered.audits:
                await audit.append(s, **row)
            await self._audited(s, person.id, parsed, event, now)
            ws = SqlWorkspace(s, default_locale=self.default_locale)
            for write in buffered.writes:
                await ws.remember_write(write)
            await self.outcomes.finish(s, item, staged, await self.addressing.envelopes(ws, event, person.locale,
                                                                                        replies))
        return "ok"

    async def run(self, s: StoreSession, item: Claimed, staged: list[ClaimedMessage],
                  suggested: model.Confirm | None = None, fetched: Sequence[Fetched] = ()) -> str:
        event = item.event
        ws = SqlWorkspace(s, default_locale=self.default_locale)
        now = self.clock.now()
        person = await ws.person_by_identity(event.platform, event.sender)
        today = now.astimezone(self.zone(person)).date()
        parsed = await self.commands.command(ws, event, today)
        if suggested is not None and asks(parsed):
            parsed = suggested  # shown to be confirmed, like the rules' own unsure readings
        if person is None:
            if isinstance(parsed, model.Link) and event.platform != "console":
                replies = await link_account(ws, platform=event.platform, external_id=event.sender,
                                             arg=parsed.pms_user, now=now)
                await self._finish(s, ws, item, staged, self.default_locale, replies)
                return "link"
            unknown = error("unknown_sender", {"platform": event.platform, "sender": event.sender[:64]})
            await self.outcomes.finish(s, item, staged, [answer(event, self.default_locale, unknown)])
            return "unknown_sender"
        if isinstance(parsed, model.ParseError):
            # The help text, under a kind of its own: a refusal, not an answer to `help` (`pmsbot say` exits 1).
            reply = (Reply(kind="unknown_command", data={"topic": None, "error": asdict(parsed)})
                     if parsed.code == "unknown_command"
                     else error(f"parse.{parsed.code}", {**parsed.params, "verb": parsed.verb or ""}))
            await audit.append(s, actor=person.id, action="command.unparsed", subject=parsed.code,
                               detail={"event": event.event_id, "text": redact_secrets(event.text[:200])}, now=now)
            # A photo alone (no text) is answered for the photo only; with unreadable text, for both.
            refusals = [] if event.files and not event.text.strip() else [reply]
            refusals += [Reply(kind="files_not_attached", data={"names": [shown_name(f.name) for f in event.files]})] \
                if event.files else []
            await self.outcomes.finish(s, item, staged, [answer(event, person.locale, r) for r in refusals])
            return "unparsed"
        pick = self.waits.picker(s, item.inbox_id, remote_only=False)
        ctx = self.context(person, event, now, today, workspace=ws, pms_for=pick)
        replies = await self._answers(ctx, parsed, event, person, fetched, pick)
        await self._audited(s, person.id, parsed, event, now)
        await self._finish(s, ws, item, staged, person.locale, replies)
        return "ok"

    async def _answers(self, ctx: Context, parsed: model.Command, event: InboundEvent, person: Person,
                       fetched: Sequence[Fetched], pick: Picker) -> list[Reply]:
        """The command's replies and its files' (each answer says so when a write went as the bot account)."""
        handled = await handle(ctx, parsed)
        files = await self._files(ctx, parsed, event, fetched)
        as_bot = pick.as_bot()
        return with_field_notice(event, person, with_bot_note(handled, as_bot)) + with_bot_note(files, as_bot)

    @staticmethod
    async def _files(ctx: Context, parsed: model.Command, event: InboundEvent, fetched: Sequence[Fetched]
                     ) -> list[Reply]:
        """The message's files attached to the tasks its report wrote; when they were not fetched (not a report),
        the answer that says where to send them."""
        if fetched:
            return await attach_files(ctx, parsed, fetched)
        return [Reply(kind="files_not_attached", data={"names": [shown_name(f.name) for f in event.files]})] \
            if event.files else []

    async def refuse(self, s: StoreSession, item: Claimed, exc: CommandError, staged: list[ClaimedMessage]) -> None:
        """A command that cannot be done as asked: its work was rolled back; answer why and finish the event."""
        event = item.event
        person = await SqlWorkspace(s, default_locale=self.default_locale).person_by_identity(
            event.platform, event.sender)
        await audit.append(s, actor=person.id if person else f"{event.platform}:{event.sender}",
                           action="command.refused", subject=exc.code,
                           detail={"params": exc.params, "event": event.event_id}, now=self.clock.now())
        locale = person.locale if person else self.default_locale
        await self.outcomes.finish(s, item, staged, [answer(event, locale, error(exc.code, exc.params))])

    async def _finish(self, s: StoreSession, ws: SqlWorkspace, item: Claimed, staged: list[ClaimedMessage],
                      locale: str, replies: list[Reply]) -> None:
        await self.outcomes.finish(s, item, staged, await self.addressing.envelopes(ws, item.event, locale, replies))

    async def _audited(self, s: StoreSession, actor: str, parsed: model.Command, event: InboundEvent,
                       now: datetime) -> None:
        await audit.append(s, actor=actor, action="command", subject=type(parsed).__name__.lower(),
                           detail={"event": event.event_id, "platform": event.platform,
                                   "text": redact_secrets(event.text[:500]) if event.kind == "message" else "",
                                   "action": event.action}, now=now)
