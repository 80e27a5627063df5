"""Telling subscribed chats about PMS changes: one message per change, or one digest for a burst.

Changes wait in `pms_change` until their chat has been quiet for PMS_DIGEST_QUIET_S (or the oldest has
waited PMS_DIGEST_MAX_WAIT_S); then up to PMS_DIGEST_AFTER go out one by one, more as a single digest. A bulk
edit of 500 issues is a handful of messages, not 500.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clocks import Clock
from bot.constants import (
    PMS_DIGEST_AFTER,
    PMS_DIGEST_LIST_MAX,
    PMS_DIGEST_MAX_WAIT_S,
    PMS_DIGEST_QUIET_S,
    PMS_POLL_MAX_ISSUES,
    PMS_POLL_OVERLAP_S,
)
from bot.inbox import Inbox
from bot.pms.people import PeopleMap
from bot.pms.redmine import RedmineClient
from bot.records import InboundEvent, Project
from bot.store import pms_changes
from bot.store.db import Database
from bot.store.subscriptions import Subscriptions
from notifiers.outbox import Envelope, Outbox

# The cursor of a Redmine project that had no issues at its first poll: every issue after is new.
NO_CHANGES_YET = datetime(1970, 1, 1, tzinfo=UTC)


class ChangeDigests:
    def __init__(self, db: Database, outbox: Outbox, *, locale: str, clock: Clock) -> None:
        self.db = db
        self.outbox = outbox
        self.locale = locale
        self._clock = clock

    async def flush_once(self, now: datetime | None = None) -> int:
        """Send what is due; returns how many messages were queued."""
        now = now or self._clock.now()
        if not await pms_changes.waiting(self.db):
            return 0  # the usual case: no write transaction for nothing
        async with self.db.write() as s:
            due = await pms_changes.take_due(s, now=now, quiet_s=PMS_DIGEST_QUIET_S, max_wait_s=PMS_DIGEST_MAX_WAIT_S)
            envelopes: list[Envelope] = []
            # Each chat in its own language (its subscriber's, its team's), not the deployment's.
            locales = await Subscriptions(s).chat_locales(list(due), self.locale)
            for (platform, conversation), rows in due.items():
                locale = locales.get((platform, conversation), self.locale)
                if len(rows) <= PMS_DIGEST_AFTER:
                    envelopes += [Envelope(platform=platform, target=conversation, kind="pms_change",
                                           locale=locale, data=row.data, actions=[]) for row in rows]
                    continue
                latest: dict[str, dict[str, object]] = {}  # one line per task: its last change
                for row in rows:
                    latest[str(row.data["task"]["key"])] = row.data
                items = list(latest.values())
                envelopes.append(Envelope(
                    platform=platform, target=conversation, kind="pms_digest", locale=locale, actions=[],
                    data={"projects": sorted({r.project_key for r in rows}), "changes": len(rows),
                          "tasks": len(items), "items": items[:PMS_DIGEST_LIST_MAX],
                          "more": max(0, len(items) - PMS_DIGEST_LIST_MAX)}))
            claimed = await self.outbox.enqueue(s, envelopes, source_event=None, now=self._clock.now())
        self.outbox.hand_over(claimed)
        return len(envelopes)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.flush_once()
            # Due times are seconds apart: look again after a quiet period, or sooner when changes arrive.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=PMS_DIGEST_QUIET_S / 2)


def _journal_event(journal: dict[str, Any], statuses: dict[str, str]) -> tuple[str, str]:
    """(kind, "field: old → new; …") of a Redmine journal; status ids read as their names."""
    details = [d for d in journal.get("details") or [] if isinstance(d, dict)]
    names = {str(d.get("name")) for d in details if d.get("property") == "attr"}
    kind = ("transitioned" if "status_id" in names else "assigned" if "assigned_to_id" in names
            else "commented" if journal.get("notes") and not details else "updated")
    def value(d: dict[str, Any], which: str) -> str:
        raw = str(d.get(which) or "-")
        return statuses.get(raw, raw) if d.get("name") == "status_id" else raw
    changes = "; ".join(f"{'status' if d.get('name') == 'status_id' else d.get('name')}: "
                        f"{value(d, 'old_value')} → {value(d, 'new_value')}" for d in details)
    return kind, changes[:500]


async def poll_redmine(db: Database, inbox: Inbox, remote: RedmineClient, projects: list[Project], *,
                       now: datetime) -> int:
    """Redmine 5 has no webhooks: read what changed since the last poll (updated_on>=, then each changed
    issue's journals) and feed it to the inbox like a webhook. The first poll only sets the cursor.

    The cursor is Redmine's own time (the newest `updated_on` seen), never ours: a Redmine whose clock is
    behind ours would otherwise have its changes skipped."""
    fed = 0
    listed = await remote.send("GET", "/issue_statuses.json") if projects else {}
    statuses = {str(i.get("id")): str(i.get("name")) for i in listed.get("issue_statuses", [])}
    for project in projects:
        pms = remote.for_project(project, _no_people)
        name = f"redmine:{project.key}"
        since_text = await pms_changes.cursor(db, name)
        if since_text is None:
            newest_seen = await pms.newest_change()
            # Each poll reads from PMS_POLL_OVERLAP_S before its cursor; what exists already is not news.
            start = newest_seen + timedelta(seconds=PMS_POLL_OVERLAP_S + 1) if newest_seen else NO_CHANGES_YET
            await pms_changes.set_cursor(db, name, start.isoformat(), now)
            continue
        since = datetime.fromisoformat(since_text)
        newest = since
        # Read again from a while before the cursor: an issue committed late, or moved between pages while we
        # paged, is caught by the next poll; what was seen already is stored once (the inbox dedupes).
        for issue in await pms.changes_since(since - timedelta(seconds=PMS_POLL_OVERLAP_S), limit=PMS_POLL_MAX_ISSUES):
            updated = datetime.fromisoformat(str(issue.get("updated_on", since_text)).replace("Z", "+00:00"))
            newest = max(newest, updated)
            events: list[tuple[str, str, str, str, str]] = []  # (id, kind, actor, changes, notes)
            created = str(issue.get("created_on", "")).replace("Z", "+00:00")
            if created and datetime.fromisoformat(created) >= since - timedelta(seconds=PMS_POLL_OVERLAP_S):
                author = issue.get("author") or {}
                events.append((f"{issue['id']}:created", "created", str(author.get("name", "")), "", ""))
            for journal in await pms.journals(int(issue["id"])):
                at = datetime.fromisoformat(str(journal.get("created_on", "")).replace("Z", "+00:00") or since_text)
                if at < since - timedelta(seconds=PMS_POLL_OVERLAP_S):
                    continue
                if journal.get("private_notes"):
                    journal = {**journal, "notes": ""}  # private notes are not for a chat
                    if not journal.get("details"):
                        continue
                kind, changes = _journal_event(journal, statuses)
                events.append((f"{issue['id']}:j{journal.get('id')}", kind,
                               str((journal.get("user") or {}).get("name", "")), changes, str(journal.get("notes") or "")))
            for event_id, kind, actor, changes, notes in events:
                accepted = await inbox.accept(InboundEvent(
                    platform="redmine", event_id=f"{pms.identifier}:{event_id}"[:128], kind="change",
                    sender="redmine", conversation="", received_at=now,
                    action={"pms": "redmine", "project": project.pms_project or project.key,
                            "task": f"{project.key}-{issue['id']}",
                            "event": kind, "actor": actor[:100], "changes": changes, "comment": notes[:500]}))
                fed += not accepted.duplicate  # polls overlap by a second: what was seen is stored once
        if newest > since:
            await pms_changes.set_cursor(db, name, newest.isoformat(), now)
    return fed


async def _no_people() -> PeopleMap:
    return PeopleMap()
