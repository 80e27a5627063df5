"""The outbox: replies written in the same transaction as the change that caused them, sent in order per
conversation, retried with exponential backoff and jitter, and parked as dead letters when they cannot go."""

from __future__ import annotations

import collections
import functools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.calls import Calls
from bot.clocks import Clock
from bot.constants import (
    CALLBACK_MAX_ATTEMPTS,
    CALLBACK_PLATFORM,
    OUTBOX_BACKOFF_BASE_S,
    OUTBOX_BACKOFF_MAX_S,
    OUTBOX_CHANNEL,
    OUTBOX_HANDOFF_MAX,
    OUTBOX_LEASE_S,
    OUTBOX_MAX_ATTEMPTS,
)
from bot.store import outbox as store
from bot.store.db import Database, StoreSession, after_commit
from bot.store.notify import announce
from bot.store.outbox import StoredMessage


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


def max_attempts(platform: str) -> int:
    """Tries before a dead letter: a chat message is worth 8, a callback to another system far more."""
    return CALLBACK_MAX_ATTEMPTS if platform == CALLBACK_PLATFORM else OUTBOX_MAX_ATTEMPTS


def backoff_s(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential with 'equal jitter': half fixed, half random, so retries of many messages spread out."""
    ceiling = min(OUTBOX_BACKOFF_MAX_S, OUTBOX_BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return float(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


def _envelope(m: StoredMessage) -> Envelope:
    return Envelope(platform=m.platform, target=m.target, kind=m.kind, locale=m.locale, data=m.data,
                    actions=m.actions, card_ref=m.card_ref, update=m.update, origin=m.origin)


class Outbox:
    def __init__(self, db: Database, *, clock: Clock) -> None:
        self._db = db
        self.clock = clock
        # With delivery in this process, a reply that heads its conversation is stored already claimed and
        # handed over in memory; if this process dies its lease runs out and any worker sends it.
        self.local_worker = False
        self._handoff: collections.deque[ClaimedMessage] = collections.deque()
        self._table_work = True  # messages may wait in the table (stored unclaimed): the delivery looks there
        # Conversations whose messages this process's delivery is sending (claimed, not yet through their batch),
        # and those of them that had messages stored behind meanwhile. A claim could not take those yet (their
        # head is leased to us): the table is looked at when the batch is over, not at once (an empty claim is a
        # transaction of its own, and a reply stored behind one being sent is the rule in a busy conversation).
        self._sending: collections.Counter[str] = collections.Counter()
        self._behind_sending: set[str] = set()

    def note_table_work(self) -> None:
        """Messages were stored (or made due) unclaimed: the delivery looks in the table next."""
        self._table_work = True

    def take_table_work(self) -> bool:
        """Whether note_table_work() was called since the last time this was asked."""
        told, self._table_work = self._table_work, False
        return told

    async def enqueue(self, session: StoreSession, envelopes: list[Envelope], *, source_event: int | None,
                      now: datetime, preclaim: bool | None = None) -> list[ClaimedMessage]:
        """Add messages in the caller's transaction; returns those claimed for hand_over() after commit."""
        preclaim = self.local_worker if preclaim is None else preclaim
        preclaim = preclaim and len(self._handoff) < OUTBOX_HANDOFF_MAX
        heads = await store.add(session, envelopes, source_event=source_event, now=now,
                                lease_until=now + timedelta(seconds=OUTBOX_LEASE_S), preclaim=preclaim)
        if len(heads) < len(envelopes):
            headed = {id(env) for env, _ in heads}
            behind = {store.conversation_of(e.platform, e.target) for e in envelopes if id(e) not in headed}
            after_commit(session, functools.partial(self._stored_behind, behind))
        if not preclaim and envelopes:
            await announce(session, OUTBOX_CHANNEL)  # for the delivery of other processes, at commit
        return [ClaimedMessage(id=new_id, attempts=1, envelope=env) for env, new_id in heads]

    def _stored_behind(self, conversations: set[str]) -> None:
        """Messages of these conversations were stored unclaimed, and are committed: the delivery looks in the
        table now, or, for a conversation it is sending in, when that batch is over (sent_batch)."""
        waiting_for_us = conversations & self._sending.keys()
        self._behind_sending |= waiting_for_us
        if len(waiting_for_us) < len(conversations):
            self.note_table_work()

    def sending(self, claimed: list[ClaimedMessage]) -> None:
        """The delivery of this process took these messages to send (sent_batch says when it is through them)."""
        self._sending.update(store.conversation_of(m.envelope.platform, m.envelope.target) for m in claimed)

    def sent_batch(self, claimed: list[ClaimedMessage]) -> None:
        """The delivery is through these messages (sent or not): what was stored behind them is looked for now."""
        self._sending.subtract(store.conversation_of(m.envelope.platform, m.envelope.target) for m in claimed)
        for conversation in [c for c, n in self._sending.items() if n <= 0]:
            del self._sending[conversation]
            if conversation in self._behind_sending:
                self._behind_sending.discard(conversation)
                self.note_table_work()

    @property
    def db(self) -> Database:
        return self._db

    def hand_over(self, claimed: list[ClaimedMessage]) -> None:
        self._handoff.extend(claimed)

    async def release_local(self) -> None:
        """Shutting down: replies handed to this process but not sent become due for any worker now."""
        ids = [m.id for m in self.take_local()]
        if ids:
            await store.make_due(self._db, ids, now=self.clock.now())

    def take_local(self) -> list[ClaimedMessage]:
        taken = list(self._handoff)
        self._handoff.clear()
        return taken

    async def claim(self, *, limit: int, now: datetime | None = None, run: int = 1) -> list[ClaimedMessage]:
        """The head (oldest unsent message) of each conversation that is due; later ones wait their turn. With
        `run` > 1, up to run - 1 messages behind each head too, to be sent after it in order (store.claim)."""
        now = now or self.clock.now()
        claimed = await store.claim(self._db, limit=limit, now=now, lease_until=now + timedelta(seconds=OUTBOX_LEASE_S),
                                    max_attempts=max_attempts, run=run)
        return [ClaimedMessage(id=m.id, attempts=m.attempts, envelope=_envelope(m)) for m in claimed]

    async def give_back(self, untried: list[ClaimedMessage], *, now: datetime | None = None) -> None:
        """Claimed in a run, not tried: back in line behind their head, no attempt spent."""
        if untried:
            await store.give_back(self._db, [m.id for m in untried], now=now or self.clock.now())

    async def card_message_id(self, platform: str, target: str, card_ref: str) -> str | None:
        return await store.card_message_id(self._db, platform, target, card_ref)

    async def mark_sent(self, msg: ClaimedMessage, *, message_id: str | None, now: datetime | None = None) -> None:
        await self.mark_sent_many([(msg, message_id)], now=now)

    async def mark_sent_many(self, sent: list[tuple[ClaimedMessage, str | None]], *, now: datetime | None = None,
                             calls: tuple[datetime, dict[str, Calls]] | None = None) -> None:
        """Record deliveries in one transaction (a batch's worth), with the message ids of cards, and the calls'
        counts for the minute given (bot/calls.py), if any: one commit for the batch."""
        cards = [(m.envelope.platform, m.envelope.target, m.envelope.card_ref, message_id)
                 for m, message_id in sent if m.envelope.card_ref and message_id]
        conversations = list({store.conversation_of(m.envelope.platform, m.envelope.target) for m, _ in sent})
        if await store.mark_sent(self._db, [m.id for m, _ in sent], cards=cards, now=now or self.clock.now(),
                                 conversations=conversations, calls=calls):
            self.note_table_work()

    async def retry_later(self, msg: ClaimedMessage, *, error: str, retry_after_s: float | None,
                          now: datetime | None = None) -> bool:
        """Schedule another try, or park it as a dead letter when out of attempts. True if it will be retried."""
        now = now or self.clock.now()
        if msg.attempts >= max_attempts(msg.envelope.platform):
            await self.dead(msg, error=f"gave up after {msg.attempts} attempts: {error}")
            return False
        delay = max(backoff_s(msg.attempts), retry_after_s or 0.0)
        await store.retry_at(self._db, msg.id, at=now + timedelta(seconds=delay), error=error)
        return True

    async def defer(self, msg: ClaimedMessage, *, after_s: float, now: datetime | None = None) -> None:
        """Hold it until our pacing gives it a turn: the conversation's head still, and no attempt spent."""
        await store.defer(self._db, msg.id, at=(now or self.clock.now()) + timedelta(seconds=after_s))

    async def dead(self, msg: ClaimedMessage, *, error: str) -> None:
        await store.bury(self._db, msg.id, error=error)

    async def replay(self, outbox_id: int, *, now: datetime | None = None) -> bool:
        """Put a dead letter back in line (it goes after what is queued for its conversation now)."""
        replayed = await store.replay(self._db, outbox_id, now=now or self.clock.now())
        self.note_table_work()
        return replayed

    async def caused_by(self, inbox_id: int) -> list[tuple[int, str, str, str]]:
        """(id, platform, target, state) of every message an inbound event caused."""
        return await store.caused_by(self._db, inbox_id)

    async def envelopes_caused_by(self, inbox_id: int, *, to_target_of: str | None = None) -> list[Envelope]:
        """The messages an inbound event caused (all, or one target's worth: the first target's)."""
        envelopes = [Envelope(platform=m.platform, target=m.target, kind=m.kind, locale=m.locale, data=m.data,
                              actions=m.actions) for m in await store.messages_caused_by(self._db, inbox_id)]
        if to_target_of is None or not envelopes:
            return envelopes
        first = (envelopes[0].platform, envelopes[0].target)  # one copy: the same words go to each account
        return [e for e in envelopes if (e.platform, e.target) == first]

    async def kinds_caused_by(self, inbox_id: int) -> list[str]:
        """The kinds of message an inbound event caused (an "error" among them: it was refused)."""
        return await store.kinds_caused_by(self._db, inbox_id)

    async def card_update_for(self, inbox_id: int, platform: str, target: str) -> Envelope | None:
        """The card change an event caused for one recipient (to answer a card click with the new card)."""
        m = await store.card_update_for(self._db, inbox_id, platform, target)
        if m is None or m.card_ref is None:
            return None
        return Envelope(platform=m.platform, target=m.target, kind=m.kind, locale=m.locale, data=m.data,
                        actions=m.actions, card_ref=m.card_ref, update=True)

    async def counts(self) -> dict[str, int]:
        return await store.counts(self._db)
