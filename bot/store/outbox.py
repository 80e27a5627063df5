"""The outbox table: messages to send, in order per conversation, leased to one sender at a time; `card` keeps
where each card that changes later was delivered."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import bindparam, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.store.db import Database
from bot.store.dialect import insert_ignore, json_rows
from bot.store.models import CardRow, OutboxRow
from bot.store.types import UTCDateTime


class Outgoing(Protocol):
    """What is stored of one message (notifiers.outbox.Envelope)."""

    @property
    def platform(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def actions(self) -> list[dict[str, str]]: ...
    @property
    def card_ref(self) -> str | None: ...
    @property
    def update(self) -> bool: ...
    @property
    def origin(self) -> dict[str, str]: ...


M = TypeVar("M", bound=Outgoing)


@dataclass(frozen=True, kw_only=True)
class StoredMessage:
    id: int
    attempts: int
    platform: str
    target: str
    kind: str
    locale: str
    data: dict[str, Any]
    actions: list[dict[str, str]]
    card_ref: str | None
    update: bool
    origin: dict[str, str]


def conversation_of(platform: str, target: str) -> str:
    return f"{platform}:{target}"


def _stored(row: OutboxRow) -> StoredMessage:
    assert row.id is not None
    return StoredMessage(id=row.id, attempts=row.attempts, platform=row.platform, target=row.target, kind=row.kind,
                         locale=row.locale, data=row.payload["data"], actions=row.payload["actions"],
                         card_ref=row.card_ref, update=row.update, origin=dict(row.payload.get("origin") or {}))


async def add(session: AsyncSession, messages: Sequence[M], *, source_event: int | None, now: datetime,
              lease_until: datetime, preclaim: bool) -> list[tuple[M, int]]:
    """Add messages in the caller's transaction. With `preclaim`, each one that heads its conversation (nothing
    of it pending before) is stored leased until `lease_until`; those come back with their ids, to be sent."""
    if not preclaim:
        await _add_set(session, messages, source_event=source_event, now=now)
        return []
    busy: set[str] = set()
    if messages:
        conversations = {conversation_of(m.platform, m.target) for m in messages}
        busy = set((await session.execute(
            select(col(OutboxRow.conversation)).distinct()
            .where(col(OutboxRow.conversation).in_(conversations), col(OutboxRow.state) == "pending")
        )).scalars())
    rows: list[dict[str, Any]] = []
    heads: dict[str, M] = {}  # conversation -> the message stored leased, at most one per conversation
    for m in messages:
        conversation = conversation_of(m.platform, m.target)
        head = preclaim and conversation not in busy
        busy.add(conversation)
        if head:
            heads[conversation] = m
        rows.append({
            "platform": m.platform, "conversation": conversation, "target": m.target, "kind": m.kind,
            "locale": m.locale, "payload": {"data": m.data, "actions": m.actions, "origin": m.origin},
            "card_ref": m.card_ref, "update": m.update, "state": "pending", "attempts": 1 if head else 0,
            "available_at": lease_until if head else now, "created_at": now, "source_event": source_event,
        })
    if not rows:
        return []
    # One statement for all of them (executed for many rows at once); rows go in in order, and ids grow in
    # insertion order, which is the delivery order within a conversation.
    table = OutboxRow.__table__  # type: ignore[attr-defined]  # the Core table: no ORM bookkeeping per row
    if not heads:
        await session.execute(insert(table), rows)
        return []
    returned = await session.execute(insert(table).returning(table.c.id, table.c.conversation, table.c.attempts),
                                     rows)
    head_ids = {str(conv): int(new_id) for new_id, conv, attempts in returned.all() if attempts == 1}
    return [(m, head_ids[conv]) for conv, m in heads.items()]


_SET_COLUMNS = ("platform", "conversation", "target", "kind", "locale", "payload", "card_ref", "update", "source_event")


async def _add_set(session: AsyncSession, messages: Sequence[Outgoing], *, source_event: int | None,
                   now: datetime) -> None:
    """Messages nobody claims yet (a wave, a fan-out) in ONE statement, in order: their rows as one JSON parameter,
    each distinct payload once (the standup job hands the same data to everyone of a language: serialized once
    per language, not once per person)."""
    if not messages:
        return
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    documents: dict[str, int] = {}
    data_json: dict[int, str] = {}  # id() of a data dict -> its JSON (the messages, hence the dicts, live on)
    rows = []
    for m in messages:
        data = data_json.get(id(m.data))
        if data is None:
            data = data_json[id(m.data)] = json.dumps(m.data)
        payload = (f'{{"data": {data}, "actions": {json.dumps(m.actions) if m.actions else "[]"}, '
                   f'"origin": {json.dumps(m.origin) if m.origin else "{}"}}}')
        index = documents.setdefault(payload, len(documents))
        rows.append((m.platform, conversation_of(m.platform, m.target), m.target, m.kind, m.locale, index,
                     m.card_ref, m.update, source_event))
    at = bindparam(None, now, type_=UTCDateTime())
    chosen = json_rows(session, rows, [(c, table.c[c].type) for c in _SET_COLUMNS], json_documents=("payload",),
                       documents=list(documents))
    chosen = chosen.add_columns(literal("pending").label("state"), literal(0).label("attempts"),
                                at.label("available_at"), at.label("created_at"))
    await session.execute(insert(table).from_select([*_SET_COLUMNS, "state", "attempts", "available_at", "created_at"],
                                                    chosen))


async def claim(db: Database, *, limit: int, now: datetime, lease_until: datetime,
                max_attempts: Callable[[str], int]) -> list[StoredMessage]:
    """Lease the head (oldest unsent message) of each conversation that is due, until `lease_until`; later ones
    wait their turn (SKIP LOCKED on PostgreSQL: two senders never take the same one). A head that has had
    max_attempts(platform) tries already is parked as a dead letter instead."""
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
    if db.is_postgres:
        q = q.with_for_update(skip_locked=True)
    async with db.write() as s:
        rows = (await s.execute(q)).scalars().all()
        out = []
        for row in rows:
            if row.attempts >= max_attempts(row.platform):
                # Each try ended without an outcome (the process died while sending): stop here.
                row.state = "dead"
                row.last_error = (row.last_error or f"no outcome after {row.attempts} attempts")[:2000]
                continue
            row.available_at = lease_until
            row.attempts += 1
            out.append(_stored(row))
        return out


async def make_due(db: Database, ids: list[int], *, now: datetime) -> None:
    """Leases given up unsent: those messages still pending are due again at `now`."""
    async with db.write() as s:
        await s.execute(update(OutboxRow).where(col(OutboxRow.id).in_(ids), col(OutboxRow.state) == "pending")
                        .values(available_at=now))


async def card_message_id(db: Database, platform: str, target: str, card_ref: str) -> str | None:
    async with db.read() as s:
        row = await s.get(CardRow, (platform, target, card_ref))
        return row.message_id if row else None


async def mark_sent(db: Database, ids: list[int], *, cards: list[tuple[str, str, str, str]], now: datetime) -> None:
    """Record deliveries in one transaction, with the (platform, target, card ref, message id) of the cards."""
    async with db.write() as s:
        await s.execute(update(OutboxRow).where(col(OutboxRow.id).in_(ids)).values(
            state="sent", sent_at=now, last_error=None))
        if cards:
            await s.execute(insert_ignore(s, CardRow).values([
                {"platform": p, "target": t, "card_ref": c, "message_id": m} for p, t, c, m in cards]))


async def retry_at(db: Database, outbox_id: int, *, at: datetime, error: str) -> None:
    async with db.write() as s:
        await s.execute(update(OutboxRow).where(col(OutboxRow.id) == outbox_id).values(
            available_at=at, last_error=error[:2000]))


async def defer(db: Database, outbox_id: int, *, at: datetime) -> None:
    """Hold a claimed message until `at` without counting the claim as an attempt (our own pacing, not a failure)."""
    async with db.write() as s:
        await s.execute(update(OutboxRow).where(col(OutboxRow.id) == outbox_id, col(OutboxRow.attempts) > 0).values(
            available_at=at, attempts=col(OutboxRow.attempts) - 1))


async def bury(db: Database, outbox_id: int, *, error: str) -> None:
    """Park a message as a dead letter."""
    async with db.write() as s:
        await s.execute(update(OutboxRow).where(col(OutboxRow.id) == outbox_id).values(
            state="dead", last_error=error[:2000]))


async def replay(db: Database, outbox_id: int, *, now: datetime) -> bool:
    """Put a dead letter back in line as a new message (after what is queued for its conversation now)."""
    async with db.write() as s:
        row = await s.get(OutboxRow, outbox_id)
        if row is None or row.state != "dead":
            return False
        s.add(OutboxRow(platform=row.platform, conversation=row.conversation, target=row.target, kind=row.kind,
                        locale=row.locale, payload=row.payload, card_ref=row.card_ref, update=row.update,
                        available_at=now, created_at=now, source_event=row.source_event))
        row.state = "replayed"
        return True


async def caused_by(db: Database, inbox_id: int) -> list[tuple[int, str, str, str]]:
    """(id, platform, target, state) of every message an inbound event caused."""
    async with db.read() as s:
        rows = await s.execute(
            select(col(OutboxRow.id), col(OutboxRow.platform), col(OutboxRow.target), col(OutboxRow.state))
            .where(col(OutboxRow.source_event) == inbox_id).order_by(col(OutboxRow.id))
        )
        return [(int(i or 0), str(p), str(t), str(st)) for i, p, t, st in rows.all()]


async def messages_caused_by(db: Database, inbox_id: int) -> list[StoredMessage]:
    async with db.read() as s:
        rows = (await s.execute(select(OutboxRow).where(col(OutboxRow.source_event) == inbox_id)
                                .order_by(col(OutboxRow.id)))).scalars().all()
    return [_stored(r) for r in rows]


async def kinds_caused_by(db: Database, inbox_id: int) -> list[str]:
    async with db.read() as s:
        rows = await s.execute(select(col(OutboxRow.kind)).where(col(OutboxRow.source_event) == inbox_id))
        return [str(k) for k in rows.scalars()]


async def card_update_for(db: Database, inbox_id: int, platform: str, target: str) -> StoredMessage | None:
    """The latest card change an event caused for one recipient."""
    async with db.read() as s:
        row = (await s.execute(select(OutboxRow).where(
            col(OutboxRow.source_event) == inbox_id, col(OutboxRow.platform) == platform,
            col(OutboxRow.target) == target, col(OutboxRow.update).is_(True)).order_by(col(OutboxRow.id).desc())
        )).scalars().first()
    return _stored(row) if row is not None else None


async def counts(db: Database) -> dict[str, int]:
    async with db.read() as s:
        rows = (await s.execute(select(col(OutboxRow.state), func.count()).group_by(col(OutboxRow.state)))).all()
        return {str(state): int(n) for state, n in rows}
