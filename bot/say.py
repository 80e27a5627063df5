"""Run one message through the whole pipeline in this process and collect what the sender got back.

Used by `pmsbot say` and by the tests: inbox -> dispatcher -> built-in PMS -> outbox -> console delivery.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.store import console as feed
from bot.store.workspace import SqlWorkspace

SAY_TIMEOUT_S = 15.0
SAY_POLL_S = 0.05


class UnknownPerson(LookupError):
    pass


class PlatformDisabled(LookupError):
    pass


@dataclass(frozen=True, kw_only=True)
class Said:
    text: str
    buttons: tuple[tuple[str, str, str], ...]  # (id, value, label)
    card_ref: str | None
    kind: str = ""  # the reply's template: "error" when the bot refused what was asked

    @property
    def refused(self) -> bool:
        return self.kind in ("error", "unknown_command")


async def drain(rt: Runtime) -> None:
    """Process every due event and deliver every due message."""
    while await rt.dispatcher.run_once() or await rt.delivery.run_once():
        pass


async def say(rt: Runtime, person_id: str, text: str, *, platform: str = "console",
              event_id: str | None = None, timeout_s: float = SAY_TIMEOUT_S) -> list[Said]:
    """Send `text` as `person_id` and return the replies to that very message (not to others running)."""
    enabled = rt.settings.enabled_platforms()
    if platform not in enabled:
        raise PlatformDisabled(f"platform {platform!r} is not enabled here (enabled: {', '.join(enabled)})")
    async with rt.db.read() as s:
        ws = SqlWorkspace(s, default_locale=rt.config.locale)
        if await ws.person(person_id) is None:
            raise UnknownPerson(person_id)
        identities = await ws.identities_of(person_id)
    sender = person_id if platform == "console" else identities.get(platform, "")
    before = await feed.feed(rt.db, person_id, limit=1)
    marker = int(before[-1]["id"]) if before else 0
    accepted = await rt.inbox.accept(InboundEvent(
        platform=platform, event_id=event_id or f"say-{uuid.uuid4().hex}", kind="message", sender=sender,
        conversation=sender, text=text, received_at=rt.clock.now(),
    ))
    if accepted.inbox_id is None:
        return []
    mine = await _wait_for_replies(rt, accepted.inbox_id, timeout_s)
    return [
        Said(text=m["text"], buttons=tuple((b["id"], b["value"], b["label"]) for b in m.get("buttons", [])),
             card_ref=m.get("card_ref"), kind=str(m.get("kind", "")))
        for m in await feed.feed(rt.db, person_id, after_id=marker)
        if m["direction"] == "out" and m.get("outbox_id") in mine
    ]


async def _wait_for_replies(rt: Runtime, inbox_id: int, timeout_s: float) -> set[int]:
    """Handle the event here, or wait for the worker that took it; then the ids of its replies."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        await drain(rt)
        # The state first: the event is marked handled in the transaction that queues its replies, so once it reads
        # as handled every reply is visible (the other order can read no replies, then a commit, then "done").
        handled = await rt.inbox.state(inbox_id) != "pending"
        replies = await rt.outbox.caused_by(inbox_id)
        if handled and all(state != "pending" for *_, state in replies):
            return {rid for rid, *_ in replies}
        if loop.time() > deadline:
            return {rid for rid, *_, state in replies if state == "sent"}
        # Another process holds the event or its replies: it writes to the same database, so look again.
        await asyncio.sleep(SAY_POLL_S)
