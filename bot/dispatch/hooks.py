"""A source's delivery (webhook, file row): its rules' actions are planned, all checked, then applied in one
transaction (remote PMS writes journaled, as for commands). A payload that cannot be applied is rejected with the
reason and kept as a failed inbox event (`pmsbot hooks failed`), nothing of it applied."""

from __future__ import annotations

import json
import logging
from typing import Any
from zoneinfo import ZoneInfo

from bot.clocks import Clock
from bot.config import Config, SourceConfig
from bot.constants import HOOK_PLATFORM_PREFIX, NO_RULE_MATCHED
from bot.dispatch.outcomes import Outcomes
from bot.dispatch.pms_waits import PmsWaits
from bot.dispatch.replies import Addressing
from bot.mapping.apply import HookApplier, HookRejected
from bot.mapping.rules import Planned, RuleError, RuleSet
from bot.metrics import HOOK_DELIVERIES
from bot.pms.base import PMSError
from bot.pms.journal import Journal
from bot.records import Reply
from bot.store import audit
from bot.store import inbox as inbox_rows
from bot.store.db import Database
from bot.store.inbox import Claimed
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import ClaimedMessage

log = logging.getLogger("pmsbot.dispatcher")


class HookRuns:
    def __init__(self, db: Database, *, clock: Clock, timezone: str, config: Config, default_locale: str,
                 waits: PmsWaits, outcomes: Outcomes, addressing: Addressing) -> None:
        self.db = db
        self.clock = clock
        self.tz = ZoneInfo(timezone)
        self.config = config
        self.default_locale = default_locale
        self.sources = {s.name: (s, RuleSet(s)) for s in config.sources}
        self.waits = waits
        self.outcomes = outcomes
        self.addressing = addressing

    async def apply(self, item: Claimed, staged: list[ClaimedMessage], journal: Journal) -> str:
        event = item.event
        name = event.platform.removeprefix(HOOK_PLATFORM_PREFIX)
        found = self.sources.get(name)
        if found is None:
            await self.reject(item, f"source {name} is no longer configured")
            return "rejected"
        source, rules = found
        try:
            payload = json.loads(event.text)
            # A file's row arrives as {"row", "file", "line"}: its rules read `row` (also as `payload`).
            context = ({"payload": payload["row"], "row": payload["row"], "file": payload.get("file"),
                        "line": payload.get("line")} if source.kind == "file" else {"payload": payload})
            planned = rules.plan(context)
        except (RuleError, ValueError, KeyError, TypeError) as exc:
            await self.reject(item, str(exc))
            return "rejected"
        if not planned:
            async with self.db.write() as s:  # no rule matched: acknowledged, nothing to do
                await self.outcomes.finish(s, item, staged, [])
                await inbox_rows.note(s, item.inbox_id, NO_RULE_MATCHED)
            HOOK_DELIVERIES.labels(name, "unmatched").inc()
            return "hook"
        audits: list[dict[str, Any]] = []
        try:
            await self._apply(item, staged, journal, source, planned, audits)
        except (HookRejected, PMSError) as exc:
            staged.clear()
            reason = str(exc) if isinstance(exc, HookRejected) else f"{exc.code}: {exc.params}"
            await self.reject(item, reason, partial=[a for a in audits if a["action"] != "hook"] or journal.writes())
            return "rejected"
        HOOK_DELIVERIES.labels(name, "applied").inc()
        return "hook"

    async def _apply(self, item: Claimed, staged: list[ClaimedMessage], journal: Journal, source: SourceConfig,
                     planned: list[Planned], audits: list[dict[str, Any]]) -> None:
        # Every action is checked, and those for a remote PMS are made, outside the write transaction (a PMS may
        # take seconds; SQLite has one writer); their calls are journaled, so a retry or a replay does not repeat
        # them. The rest (built-in PMS, approvals, metrics, notices) commit together.
        event = item.event
        now = self.clock.now()
        today = now.astimezone(self.tz).date()
        replies: list[Reply] = []
        journal.on_write = self.outcomes.saver(item.inbox_id)
        async with self.db.read() as rs:
            reader = HookApplier(rs, SqlWorkspace(rs, default_locale=self.default_locale), self.config, source,
                                 self.waits.picker(rs, item.inbox_id, remote_only=False), now=now, today=today)
            checked = [await reader.check(p) for p in planned]
            local = [c for c in checked if not reader.is_remote(c)]
            for action in [c for c in checked if reader.is_remote(c)]:
                replies += await reader.apply(action, audits)
        journal.on_write = None
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.default_locale)
            writer = HookApplier(s, ws, self.config, source, self.waits.picker(s, item.inbox_id, remote_only=False),
                                 now=now, today=today)
            for action in local:
                replies += await writer.apply(action, audits)
            for row in audits:
                await audit.append(s, **row)
            await audit.append(s, actor=f"source:{source.name}", action="hook", subject=source.name,
                               detail={"event": event.event_id, "actions": len(checked)}, now=now)
            await self.outcomes.finish(s, item, staged, await self.addressing.envelopes(ws, event, self.default_locale,
                                                                                        replies))

    async def reject(self, item: Claimed, reason: str, *, partial: list[Any] | None = None) -> None:
        """Rejected with the reason. `partial`: what a remote PMS already got before the rejection (its calls stay
        journaled, so a replay after a fix does not make them again), on record as `hook.partial`."""
        name = item.event.platform.removeprefix(HOOK_PLATFORM_PREFIX)
        log.warning("source %s: delivery %s rejected: %s", name, item.event.event_id, reason)
        HOOK_DELIVERIES.labels(name, "rejected").inc()
        async with self.db.write() as s:
            await audit.append(s, actor=f"source:{name}", action="hook.rejected", subject=name,
                               detail={"event": item.event.event_id, "reason": reason[:500]}, now=self.clock.now())
            if partial:
                await audit.append(s, actor=f"source:{name}", action="hook.partial", subject=name,
                                   detail={"event": item.event.event_id, "done": partial[:50]}, now=self.clock.now())
            await inbox_rows.reject(s, item.inbox_id, item.attempts, error=f"rejected: {reason}")
