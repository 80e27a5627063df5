"""The outbox: replies written in the same transaction as the change that caused them, sent in order per
conversation, retried with exponential backoff and jitter, and parked as dead letters when they cannot go."""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.clocks import Clock
from bot.constants import (
    CALLBACK_MAX_ATTEMPTS,
    CALLBACK_PLATFORM,
    OUTBOX_BACKOFF_BASE_S,
    OUTBOX_BACKOFF_MAX_S,
    OUTBOX_HANDOFF_MAX,
    OUTBOX_LEASE_S,
    OUTBOX_MAX_ATTEMPTS,
)
from bot.store.db import Database
from bot.store.dialect import insert_ignore
from bot.store.models import CardRow, OutboxRow


@dataclass(frozen=True, kw_only=True)
class Envelope:
    """One message for one conversation on one platform."""

    platform: str
    target: str
    kind: str
    locale: str
    data: dict[str, Any]
    actions: list[dict[str, str]]
    card_ref: str | None = None
    update: bool = False
    origin: dict[str, str] = field(default_factory=dict)  # the inbound event's reply context, for answers


@dataclass(frozen=True, kw_only=True)
class ClaimedMessage:
    id: int
    attempts: int
    envelope: Envelope


def conversation_of(platform: str, target: str) -> str:
    return f"{platform}:{target}"


def max_attempts(platform: str) -> int:
    """Tries before a dead letter: a chat message is worth 8, a callback to another system far more."""
    return CALLBACK_MAX_ATTEMPTS if platform == CALLBACK_PLATFORM else OUTBOX_MAX_ATTEMPTS


def backoff_s(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential with 'equal jitter': half fixed, half random, so retries of many messages spread out."""
    ceiling = min(OUTBOX_BACKOFF_MAX_S, OUTBOX_BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return float(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


class Outbox:
    def __init__(self, db: Database, *, clock: Clock) -> None:
        self._db = db
        self.clock = clock
        # With delivery in this process, a reply that heads its conversation is stored already claimed and
        # handed over in memory; if this process dies its lease runs out and any worker sends it.
        self.local_worker = False
        self._handoff: collections.deque[ClaimedMessage] = collections.deque()

    async def enqueue(self, session: AsyncSession, envelopes: list[Envelope], *, source_event: int | None,
                      now: datetime, preclaim: bool | None = None) -> list[ClaimedMessage]:
        """Add messages in the caller's transaction; returns those claimed for hand_over() after commit."""
        preclaim = self.local_worker if preclaim is None else preclaim
        preclaim = preclaim and len(self._handoff) < OUTBOX_HANDOFF_MAX
        busy: set[str] = set()
        if preclaim and envelopes:
            conversations = {conversation_of(e.platform, e.target) for e in envelopes}
            busy = set((await session.execute(
                select(col(OutboxRow.conversation)).distinct()
                .where(col(OutboxRow.conversation).in_(conversations), col(OutboxRow.state) == "pending")
            )).scalars())
        claimed: list[ClaimedMessage] = []
        queued: list[dict[str, Any]] = []
        for env in envelopes:
            conversation = conversation_of(env.platform, env.target)
            head = preclaim and conversation not in busy
            busy.add(conversation)
            values = {
                "platform": env.platform, "conversation": conversation, "target": env.target, "kind": env.kind,
                "locale": env.locale, "payload": {"data": env.data, "actions": env.actions, "origin": env.origin},
                "card_ref": env.card_ref, "update": env.update, "state": "pending", "attempts": 1 if head else 0,
                "available_at": now + timedelta(seconds=OUTBOX_LEASE_S) if head else now, "created_at": now,
                "source_event": source_event,
            }
            if head:
                new_id = (await session.execute(insert(OutboxRow).values(**values).returning(col(OutboxRow.id)))
                          ).scalar_one()
                assert new_id is not None
                claimed.append(ClaimedMessage(id=new_id, attempts=1, envelope=env))
            else:
                queued.append(values)
        if queued:  # ids grow in insertion order, which is the delivery order within a conversation
            await session.execute(insert(OutboxRow), queued)
        return claimed

    @property
    def db(self) -> Database:
        return self._db

    def hand_over(self, claimed: list[ClaimedMessage]) -> None:
        self._handoff.extend(claimed)

    async def release_local(self) -> None:
        """Shutting down: replies handed to this process but not sent become due for any worker now."""
        ids = [m.id for m in self.take_local()]
        if ids:
            async with self._db.write() as s:
                await s.execute(update(OutboxRow).where(col(OutboxRow.id).in_(ids), col(OutboxRow.state) == "pending")
                                .values(available_at=self.clock.now()))

    def take_local(self) -> list[ClaimedMessage]:
        taken = list(self._handoff)
        self._handoff.clear()
        return taken

    async def claim(self, *, limit: int, now: datetime | None = None) -> list[ClaimedMessage]:
        """The head (oldest unsent message) of each conversation that is due; later ones wait their turn."""
        now = now or self.clock.now()
        heads = (
            select(func.min(col(OutboxRow.id))).where(col(OutboxRow.state) == "pending")
            .group_by(col(OutboxRow.conversation))
        )
        q = (
            select(OutboxRow)
            .where(col(OutboxRow.id).in_(heads), col(OutboxRow.available_at) <= now)
            .order_by(col(OutboxRow.id))
            .limit(limit)
        )
        if self._db.is_postgres:
            q = q.with_for_update(skip_locked=True)
        async with self._db.write() as s:
            rows = (await s.execute(q)).scalars().all()
            out = []
            for row in rows:
                assert row.id is not None
                if row.attempts >= max_attempts(row.platform):
                    # Each try ended without an outcome (the process died while sending): stop here.
                    row.state = "dead"
                    row.last_error = (row.last_error or f"no outcome after {row.attempts} attempts")[:2000]
                    continue
                row.available_at = now + timedelta(seconds=OUTBOX_LEASE_S)
                row.attempts += 1
                out.append(ClaimedMessage(id=row.id, attempts=row.attempts, envelope=Envelope(
                    platform=row.platform, target=row.target, kind=row.kind, locale=row.locale,
                    data=row.payload["data"], actions=row.payload["actions"], card_ref=row.card_ref,
                    update=row.update, origin=dict(row.payload.get("origin") or {}),
                )))
            return out

    async def card_message_id(self, platform: str, target: str, card_ref: str) -> str | None:
        async with self._db.read() as s:
            row = await s.get(CardRow, (platform, target, card_ref))
            return row.message_id if row else None

    async def mark_sent(self, msg: ClaimedMessage, *, message_id: str | None, now: datetime | None = None) -> None:
        await self.mark_sent_many([(msg, message_id)], now=now)

    async def mark_sent_many(self, sent: list[tuple[ClaimedMessage, str | None]], *, now: datetime | None = None
                             ) -> None:
        """Record deliveries in one transaction (a batch's worth), with the message ids of cards."""
        if not sent:
            return
        now = now or self.clock.now()
        async with self._db.write() as s:
            await s.execute(update(OutboxRow).where(col(OutboxRow.id).in_([m.id for m, _ in sent])).values(
                state="sent", sent_at=now, last_error=None))
            cards = [{"platform": m.envelope.platform, "target": m.envelope.target, "card_ref": m.envelope.card_ref,
                      "message_id": message_id} for m, message_id in sent if m.envelope.card_ref and message_id]
            if cards:
                await s.execute(insert_ignore(s, CardRow).values(cards))

    async def retry_later(self, msg: ClaimedMessage, *, error: str, retry_after_s: float | None,
                          now: datetime | None = None) -> bool:
        """Schedule another try, or park it as a dead letter when out of attempts. True if it will be retried."""
        now = now or self.clock.now()
        if msg.attempts >= max_attempts(msg.envelope.platform):
            await self.dead(msg, error=f"gave up after {msg.attempts} attempts: {error}")
            return False
        delay = max(backoff_s(msg.attempts), retry_after_s or 0.0)
        async with self._db.write() as s:
            await s.execute(update(OutboxRow).where(col(OutboxRow.id) == msg.id).values(
                available_at=now + timedelta(seconds=delay), last_error=error[:2000]))
        return True

    async def dead(self, msg: ClaimedMessage, *, error: str) -> None:
        async with self._db.write() as s:
            await s.execute(update(OutboxRow).where(col(OutboxRow.id) == msg.id).values(
                state="dead", last_error=error[:2000]))

    async def replay(self, outbox_id: int, *, now: datetime | None = None) -> bool:
        """Put a dead letter back in line (it goes after what is queued for its conversation now)."""
        now = now or self.clock.now()
        async with self._db.write() as s:
            row = await s.get(OutboxRow, outbox_id)
            if row is None or row.state != "dead":
                return False
            s.add(OutboxRow(platform=row.platform, conversation=row.conversation, target=row.target, kind=row.kind,
                            locale=row.locale, payload=row.payload, card_ref=row.card_ref, update=row.update,
                            available_at=now, created_at=now, source_event=row.source_event))
            row.state = "replayed"
            return True

    async def caused_by(self, inbox_id: int) -> list[tuple[int, str, str, str]]:
        """(id, platform, target, state) of every message an inbound event caused."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(col(OutboxRow.id), col(OutboxRow.platform), col(OutboxRow.target), col(OutboxRow.state))
                .where(col(OutboxRow.source_event) == inbox_id).order_by(col(OutboxRow.id))
            )
            return [(int(i or 0), str(p), str(t), str(st)) for i, p, t, st in rows.all()]

    async def envelopes_caused_by(self, inbox_id: int, *, to_target_of: str | None = None) -> list[Envelope]:
        """The messages an inbound event caused (all, or one target's worth: the first target's)."""
        async with self._db.read() as s:
            rows = (await s.execute(select(OutboxRow).where(col(OutboxRow.source_event) == inbox_id)
                                    .order_by(col(OutboxRow.id)))).scalars().all()
        envelopes = [Envelope(platform=r.platform, target=r.target, kind=r.kind, locale=r.locale,
                              data=r.payload["data"], actions=r.payload["actions"]) for r in rows]
        if to_target_of is None or not envelopes:
            return envelopes
        first = (envelopes[0].platform, envelopes[0].target)  # one copy: the same words go to each account
        return [e for e in envelopes if (e.platform, e.target) == first]

    async def kinds_caused_by(self, inbox_id: int) -> list[str]:
        """The kinds of message an inbound event caused (an "error" among them: it was refused)."""
        async with self._db.read() as s:
            rows = await s.execute(select(col(OutboxRow.kind)).where(col(OutboxRow.source_event) == inbox_id))
            return [str(k) for k in rows.scalars()]

    async def card_update_for(self, inbox_id: int, platform: str, target: str) -> Envelope | None:
        """The card change an event caused for one recipient (to answer a card click with the new card)."""
        async with self._db.read() as s:
            row = (await s.execute(select(OutboxRow).where(
                col(OutboxRow.source_event) == inbox_id, col(OutboxRow.platform) == platform,
                col(OutboxRow.target) == target, col(OutboxRow.update).is_(True)).order_by(col(OutboxRow.id).desc())
            )).scalars().first()
        if row is None or row.card_ref is None:
            return None
        return Envelope(platform=row.platform, target=row.target, kind=row.kind, locale=row.locale,
                        data=row.payload["data"], actions=row.payload["actions"], card_ref=row.card_ref, update=True)

    async def counts(self) -> dict[str, int]:
        async with self._db.read() as s:
            rows = (await s.execute(select(col(OutboxRow.state), func.count()).group_by(col(OutboxRow.state)))).all()
            return {str(state): int(n) for state, n in rows}
