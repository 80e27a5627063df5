"""The outbox table: messages to send, in order per conversation, leased to one sender at a time; `card` keeps
where each card that changes later was delivered."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, bindparam, case, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.calls import Calls
from bot.store.db import Database
from bot.store.dialect import insert_ignore, json_rows
from bot.store.metrics import count_calls
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


# The statements of every reply's way (stored, claimed, marked sent), built once: SQLAlchemy builds a statement and
# its cache key anew on every call otherwise, and an ORM statement adds its own bookkeeping; measured (bench/acks.py's
# worker drain), that cost more CPU than the database's work. Core statements on the table (no ORM bookkeeping per
# row), with bound parameters.
_OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
_BUSY = (select(_OUTBOX.c.conversation).distinct()
         .where(_OUTBOX.c.conversation.in_(bindparam("conversations", expanding=True)), _OUTBOX.c.state == "pending"))
_INSERT = insert(_OUTBOX)
_INSERT_RETURNING = insert(_OUTBOX).returning(_OUTBOX.c.id, _OUTBOX.c.conversation, _OUTBOX.c.attempts)
_STORED_COLUMNS = (_OUTBOX.c.id, _OUTBOX.c.attempts, _OUTBOX.c.platform, _OUTBOX.c.target, _OUTBOX.c.kind,
                   _OUTBOX.c.locale, _OUTBOX.c.payload, _OUTBOX.c.card_ref, _OUTBOX.c.update, _OUTBOX.c.last_error,
                   _OUTBOX.c.available_at)
_LEASE = (update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
          .values(available_at=bindparam("lease_until", type_=UTCDateTime()), attempts=_OUTBOX.c.attempts + 1))
_BURY_UNFINISHED = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("outbox_id")).values(
    state="dead", last_error=bindparam("why"))
_GIVE_BACK = (update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.state == "pending",
                                    _OUTBOX.c.attempts > 0)
              .values(available_at=bindparam("now", type_=UTCDateTime()), attempts=_OUTBOX.c.attempts - 1))
_SENT = update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True))).values(
    state="sent", sent_at=bindparam("now", type_=UTCDateTime()), last_error=None)
# PostgreSQL: the messages marked sent and whether others still wait in their conversations, in one statement
# that commits by itself (a delivery batch's bookkeeping when it has no cards and no calls to count). The query
# sees the table as it was before the UPDATE: the messages it marks are left out by id.
_SENT_CTE = _SENT.returning(_OUTBOX.c.id).cte("sent")
_SENT_THEN_WAITING = select(exists().where(
    _OUTBOX.c.conversation.in_(bindparam("conversations", expanding=True)), _OUTBOX.c.state == "pending",
    _OUTBOX.c.id.not_in(select(_SENT_CTE.c.id))))

# One reply (most commands have one), preclaimed: stored leased as its conversation's head unless something of that
# conversation is pending already, decided in the INSERT itself (one statement where the busy check was two).
_QUEUED = _OUTBOX.alias("queued")
_HEADS_IT = ~exists().where(_QUEUED.c.conversation == bindparam("of_conversation"), _QUEUED.c.state == "pending")
_INSERT_ONE = insert(_OUTBOX).values(
    attempts=case((_HEADS_IT, 1), else_=0),
    available_at=case((_HEADS_IT, bindparam("lease_until", type_=UTCDateTime())),
                      else_=bindparam("now", type_=UTCDateTime())),
).returning(_OUTBOX.c.id, _OUTBOX.c.attempts)


_HEAD_IDS = select(func.min(_OUTBOX.c.id)).where(_OUTBOX.c.state == "pending").group_by(_OUTBOX.c.conversation)


@functools.cache
def _heads(limit: int, *, skip_locked: bool) -> Select[Any]:
    """The head (oldest unsent message) of each conversation, if it is due."""
    heads = _HEAD_IDS
    q = (select(*_STORED_COLUMNS)
         .where(_OUTBOX.c.id.in_(heads), _OUTBOX.c.available_at <= bindparam("now", type_=UTCDateTime()))
         .order_by(_OUTBOX.c.id).limit(limit))
    return q.with_for_update(skip_locked=True) if skip_locked else q


@functools.cache
def _behind(limit: int) -> Select[Any]:
    """The pending messages of some conversations after an id, in order (the followers of claimed heads). Not
    locked: no other sender takes a message that is not its conversation's head, and this transaction holds the
    heads (a skipped row would break the order)."""
    return (select(*_STORED_COLUMNS)
            .where(_OUTBOX.c.state == "pending",
                   _OUTBOX.c.conversation.in_(bindparam("conversations", expanding=True)),
                   _OUTBOX.c.id > bindparam("after"))
            .order_by(_OUTBOX.c.id).limit(limit))


async def add(session: AsyncSession, messages: Sequence[M], *, source_event: int | None, now: datetime,
              lease_until: datetime, preclaim: bool) -> list[tuple[M, int]]:
    """Add messages in the caller's transaction. With `preclaim`, each one that heads its conversation (nothing
    of it pending before) is stored leased until `lease_until`; those come back with their ids, to be sent."""
    if not preclaim:
        await _add_set(session, messages, source_event=source_event, now=now)
        return []
    if len(messages) == 1:
        m = messages[0]
        row = _row(m, source_event=source_event, now=now)
        del row["attempts"], row["available_at"]  # the statement's own
        row.update(of_conversation=row["conversation"], now=now, lease_until=lease_until)
        new_id, attempts = (await session.execute(_INSERT_ONE, row)).one()
        return [(m, int(new_id))] if attempts == 1 else []
    busy: set[str] = set()
    if messages:
        conversations = list({conversation_of(m.platform, m.target) for m in messages})
        busy = set((await session.execute(_BUSY, {"conversations": conversations})).scalars())
    rows: list[dict[str, Any]] = []
    heads: dict[str, M] = {}  # conversation -> the message stored leased, at most one per conversation
    for m in messages:
        conversation = conversation_of(m.platform, m.target)
        head = preclaim and conversation not in busy
        busy.add(conversation)
        if head:
            heads[conversation] = m
        rows.append({**_row(m, source_event=source_event, now=now), "attempts": 1 if head else 0,
                     "available_at": lease_until if head else now})
    if not rows:
        return []
    # One statement for all of them (executed for many rows at once); rows go in in order, and ids grow in
    # insertion order, which is the delivery order within a conversation.
    if not heads:
        await session.execute(_INSERT, rows)
        return []
    returned = await session.execute(_INSERT_RETURNING, rows)
    head_ids = {str(conv): int(new_id) for new_id, conv, attempts in returned.all() if attempts == 1}
    return [(m, head_ids[conv]) for conv, m in heads.items()]


def _row(m: Outgoing, *, source_event: int | None, now: datetime) -> dict[str, Any]:
    """The message's row, due now and unclaimed."""
    return {"platform": m.platform, "conversation": conversation_of(m.platform, m.target), "target": m.target,
            "kind": m.kind, "locale": m.locale, "payload": {"data": m.data, "actions": m.actions, "origin": m.origin},
            "card_ref": m.card_ref, "update": m.update, "state": "pending", "attempts": 0, "available_at": now,
            "created_at": now, "source_event": source_event}


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
                max_attempts: Callable[[str], int], run: int = 1) -> list[StoredMessage]:
    """Lease the head (oldest unsent message) of each conversation that is due, until `lease_until`; later ones
    wait their turn (SKIP LOCKED on PostgreSQL: two senders never take the same one). A head that has had
    max_attempts(platform) tries already is parked as a dead letter instead. With `run` > 1, each head brings up
    to run - 1 of the messages queued behind it in its conversation (due, in order, up to a card update, which
    needs the card its predecessors post): the caller sends them one after the other, and gives back
    (give_back) those after one that was not sent. At most `limit` messages in all; in id order."""
    if db.is_postgres:
        from bot.store.outbox_claim import claim_autocommitted  # (it builds on this module)

        return await claim_autocommitted(db, limit=limit, now=now, lease_until=lease_until,
                                         max_attempts=max_attempts, run=run)
    async with db.write() as s:
        rows = (await s.execute(_heads(limit, skip_locked=db.is_postgres), {"now": now})).all()
        out: list[StoredMessage] = []
        for row in rows:
            if row.attempts >= max_attempts(row.platform):
                # Each try ended without an outcome (the process died while sending): stop here.
                await s.execute(_BURY_UNFINISHED, {
                    "outbox_id": row.id, "why": (row.last_error or f"no outcome after {row.attempts} attempts")[:2000]})
                continue
            out.append(_claimed(row))
        if run > 1 and out and len(out) < limit:
            out += await _followers(s, out, now=now, per_head=run - 1, limit=limit - len(out),
                                    max_attempts=max_attempts)
            out.sort(key=lambda m: m.id)
        if out:
            await s.execute(_LEASE, {"ids": [m.id for m in out], "lease_until": lease_until})
        return out


async def _followers(s: AsyncSession, heads: list[StoredMessage], *, now: datetime, per_head: int, limit: int,
                     max_attempts: Callable[[str], int]) -> list[StoredMessage]:
    """The messages queued right behind these heads in their conversations that may go in the same run."""
    rows = (await s.execute(_behind(limit), behind_params(heads))).all()
    return followers_of(heads, rows, now=now, per_head=per_head, max_attempts=max_attempts)


def behind_params(heads: list[StoredMessage]) -> dict[str, Any]:
    return {"conversations": list({conversation_of(m.platform, m.target) for m in heads}),
            "after": min(m.id for m in heads)}


def followers_of(heads: list[StoredMessage], rows: Sequence[Any], *, now: datetime, per_head: int,
                 max_attempts: Callable[[str], int]) -> list[StoredMessage]:
    """Of the pending `rows` behind the heads (_behind), those that may go in the heads' runs."""
    room = {conversation_of(m.platform, m.target): per_head for m in heads}
    taken = {m.id for m in heads}
    out = []
    for row in rows:
        conversation = conversation_of(row.platform, row.target)
        if row.id in taken or room.get(conversation, 0) <= 0:  # a head itself (after the first one's id)
            continue
        if row.available_at > now or row.update or row.attempts >= max_attempts(row.platform):
            room[conversation] = 0  # the run of this conversation ends before it: it waits its turn as a head
            continue
        room[conversation] -= 1
        out.append(_claimed(row))
    return out


def _claimed(row: Any, *, counted: bool = False) -> StoredMessage:
    """A claimed row of _STORED_COLUMNS (its attempt counted, unless the row has it already: `counted`)."""
    payload = row.payload
    return StoredMessage(id=int(row.id), attempts=int(row.attempts) + (0 if counted else 1), platform=row.platform, target=row.target,
                         kind=row.kind, locale=row.locale, data=payload["data"], actions=payload["actions"],
                         card_ref=row.card_ref, update=bool(row.update), origin=dict(payload.get("origin") or {}))


async def give_back(db: Database, ids: list[int], *, now: datetime) -> None:
    """Messages claimed in a run but not tried (one before them was not sent): due again at `now`, in their place
    behind their head, with their claim not counted as an attempt."""
    async with db.write() as s:
        await s.execute(_GIVE_BACK, {"ids": ids, "now": now})


async def make_due(db: Database, ids: list[int], *, now: datetime) -> None:
    """Leases given up unsent: those messages still pending are due again at `now`."""
    async with db.write() as s:
        await s.execute(update(OutboxRow).where(col(OutboxRow.id).in_(ids), col(OutboxRow.state) == "pending")
                        .values(available_at=now))


async def card_message_id(db: Database, platform: str, target: str, card_ref: str) -> str | None:
    async with db.read() as s:
        row = await s.get(CardRow, (platform, target, card_ref))
        return row.message_id if row else None


async def mark_sent(db: Database, ids: list[int], *, cards: list[tuple[str, str, str, str]], now: datetime,
                    conversations: Sequence[str] = (), calls: tuple[datetime, dict[str, Calls]] | None = None,
                    ) -> bool:
    """Record deliveries in one transaction, with the (platform, target, card ref, message id) of the cards, and
    the (minute, counts per connector) of the calls made meanwhile: one commit for a batch's bookkeeping. True if
    messages still wait in the `conversations` sent to (stored by another process while this one held their head:
    nobody would look for them before the next poll)."""
    if not ids and not (calls and calls[1]):
        return False
    waiting = False
    if db.is_postgres and ids and not cards and not (calls and calls[1]):
        rows = await db.write_one(_SENT_THEN_WAITING, {"ids": ids, "now": now, "conversations": list(conversations)})
        return bool(rows[0][0])
    async with db.write() as s:
        if ids:
            await s.execute(_SENT, {"ids": ids, "now": now})
        if conversations:
            waiting = (await s.execute(_BUSY, {"conversations": list(conversations)})).first() is not None
        if cards:
            await s.execute(insert_ignore(s, CardRow).values([
                {"platform": p, "target": t, "card_ref": c, "message_id": m} for p, t, c, m in cards]))
        if calls:
            await count_calls(s, *calls)
    return waiting


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
