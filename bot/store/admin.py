"""What the admin pages read (queues, inbound events, dead letters, rejected deliveries, the audit log, people)
and the repairs they make (a rejected delivery queued again; each admin action in the audit log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlmodel import col

from bot.store import audit
from bot.store.db import Database
from bot.store.metrics import ConnectorFigures, figures
from bot.store.models import AuditRow, IdentityRow, InboxRow, OutboxRow, PersonRow, PmsChangeRow
from bot.text import storable

ADMIN_ROLE = "admin"
SEARCH_MAX_CHARS = 200  # longer search text is cut: a LIKE over it would match nothing anyway
LIST_MAX = 200  # rows on the dead-letter and rejected-delivery lists


@dataclass(frozen=True, kw_only=True)
class QueueDepths:
    inbox_pending: int
    inbox_failed: int
    outbox_pending: int
    outbox_dead: int
    pms_changes: int  # PMS changes waiting to be told to their chats


@dataclass(frozen=True, kw_only=True)
class InboundSummary:
    id: int
    platform: str
    event_id: str
    kind: str
    state: str
    attempts: int
    received_at: datetime
    error: str | None


@dataclass(frozen=True, kw_only=True)
class DeadLetter:
    id: int
    platform: str
    target: str
    kind: str
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class RejectedDelivery:
    id: int
    source: str
    event_id: str
    received_at: datetime
    error: str | None


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int  # rows matching the search
    page: int  # 1-based, within 1..pages
    pages: int


@dataclass(frozen=True, kw_only=True)
class Identity:
    platform: str
    external_id: str
    source: str  # config | link | email


@dataclass(frozen=True, kw_only=True)
class PersonView:
    id: str
    name: str
    roles: list[str]
    locale: str | None
    pms_user: str | None
    pms_user_claim: str | None  # asked for in chat, not confirmed: no write goes in that name
    timezone: str | None
    identities: list[Identity]
    active: bool = True  # False: left, per a directory (deactivated, not deleted)


async def queue_depths(db: Database) -> QueueDepths:
    async with db.read() as s:
        inbox = {str(state): int(n) for state, n in (await s.execute(
            select(col(InboxRow.state), func.count()).where(col(InboxRow.state).in_(("pending", "failed")))
            .group_by(col(InboxRow.state)))).all()}
        outbox = {str(state): int(n) for state, n in (await s.execute(
            select(col(OutboxRow.state), func.count()).where(col(OutboxRow.state).in_(("pending", "dead")))
            .group_by(col(OutboxRow.state)))).all()}
        changes = (await s.execute(select(func.count()).select_from(PmsChangeRow))).scalar_one()
    return QueueDepths(inbox_pending=inbox.get("pending", 0), inbox_failed=inbox.get("failed", 0),
                       outbox_pending=outbox.get("pending", 0), outbox_dead=outbox.get("dead", 0),
                       pms_changes=int(changes))


async def connector_figures(db: Database, *, since: datetime) -> list[ConnectorFigures]:
    """Outbound calls per connector since `since` (the SLA figures)."""
    async with db.read() as s:
        return await figures(s, since=since)


async def recent_events(db: Database, *, limit: int = 50) -> list[InboundSummary]:
    """The newest inbound events; the kind is read inside the database, so big payloads stay there."""
    kind = col(InboxRow.payload)["kind"].as_string()
    async with db.read() as s:
        rows = (await s.execute(
            select(col(InboxRow.id), col(InboxRow.platform), col(InboxRow.event_id), kind, col(InboxRow.state),
                   col(InboxRow.attempts), col(InboxRow.received_at), col(InboxRow.error))
            .order_by(col(InboxRow.id).desc()).limit(limit))).all()
    return [InboundSummary(id=int(i or 0), platform=str(p), event_id=str(e), kind=str(k or ""), state=str(st),
                           attempts=int(a), received_at=r, error=err)
            for i, p, e, k, st, a, r, err in rows]


async def dead_letters(db: Database, *, limit: int = LIST_MAX) -> list[DeadLetter]:
    async with db.read() as s:
        rows = (await s.execute(
            select(col(OutboxRow.id), col(OutboxRow.platform), col(OutboxRow.target), col(OutboxRow.kind),
                   col(OutboxRow.attempts), col(OutboxRow.last_error), col(OutboxRow.created_at))
            .where(col(OutboxRow.state) == "dead").order_by(col(OutboxRow.id).desc()).limit(limit))).all()
    return [DeadLetter(id=int(i or 0), platform=str(p), target=str(t), kind=str(k), attempts=int(a), last_error=e,
                       created_at=c) for i, p, t, k, a, e, c in rows]


async def outbox_state(db: Database, outbox_id: int) -> str | None:
    async with db.read() as s:
        return (await s.execute(select(col(OutboxRow.state)).where(col(OutboxRow.id) == outbox_id))
                ).scalar_one_or_none()


def _rejected(prefix: str) -> Any:
    return (col(InboxRow.state) == "failed") & col(InboxRow.platform).startswith(prefix, autoescape=True)


async def rejected_deliveries(db: Database, *, prefix: str, source: str | None = None, limit: int = LIST_MAX
                              ) -> list[RejectedDelivery]:
    """Deliveries of other systems' sources (inbox platform `<prefix><source>`) that their rules or the PMS
    refused, newest first; all sources' or one's."""
    where = [_rejected(prefix)]
    if source:
        where.append(col(InboxRow.platform) == prefix + source)
    async with db.read() as s:
        rows = (await s.execute(
            select(col(InboxRow.id), col(InboxRow.platform), col(InboxRow.event_id), col(InboxRow.received_at),
                   col(InboxRow.error))
            .where(*where).order_by(col(InboxRow.id).desc()).limit(limit))).all()
    return [RejectedDelivery(id=int(i or 0), source=str(p).removeprefix(prefix), event_id=str(e),
                             received_at=r, error=err) for i, p, e, r, err in rows]


async def inbox_state(db: Database, inbox_id: int) -> str | None:
    async with db.read() as s:
        return (await s.execute(select(col(InboxRow.state)).where(col(InboxRow.id) == inbox_id))).scalar_one_or_none()


async def replay_rejected(db: Database, inbox_id: int, *, prefix: str, actor: str, now: datetime
                          ) -> bool:
    """Queue a rejected delivery again, as `pmsbot hooks replay` does, and note it in the audit log (one
    transaction). False when `inbox_id` is not a rejected delivery (unknown, or already queued again)."""
    async with db.write() as s:
        result = await s.execute(update(InboxRow).where(col(InboxRow.id) == inbox_id, _rejected(prefix)).values(
            state="pending", attempts=0, available_at=now, error=None))
        if cast(CursorResult[Any], result).rowcount != 1:
            return False
        await audit.append(s, actor=actor, action="admin.replay_delivery", subject=f"inbox#{inbox_id}",
                           detail={}, now=now)
        return True


async def record(db: Database, *, actor: str, action: str, subject: str, detail: dict[str, Any] | None = None,
                 now: datetime) -> None:
    """An admin's action, in the audit log."""
    async with db.write() as s:
        await audit.append(s, actor=actor, action=action, subject=subject, detail=detail or {},
                           now=now)


async def audit_page(db: Database, *, search: str = "", page: int = 1, per_page: int = 50) -> AuditPage:
    """The audit log newest first; `search` matches actor, action or subject, case-insensitively, as plain text
    (a bound parameter with % and _ escaped: it is never SQL, nor a pattern)."""
    search = storable(search.strip())[:SEARCH_MAX_CHARS]
    where = []
    if search:
        where.append(or_(col(AuditRow.actor).icontains(search, autoescape=True),
                         col(AuditRow.action).icontains(search, autoescape=True),
                         col(AuditRow.subject).icontains(search, autoescape=True)))
    async with db.read() as s:
        total = int((await s.execute(select(func.count()).select_from(AuditRow).where(*where))).scalar_one())
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        rows = (await s.execute(select(AuditRow).where(*where).order_by(col(AuditRow.id).desc())
                                .offset((page - 1) * per_page).limit(per_page))).scalars().all()
        entries = [AuditEntry(id=int(r.id or 0), at=r.at, actor=r.actor, action=r.action, subject=r.subject,
                              detail=dict(r.detail)) for r in rows]
    return AuditPage(entries=entries, total=total, page=page, pages=pages)


async def people(db: Database) -> list[PersonView]:
    """Everyone, by id, with their accounts on each platform."""
    async with db.read() as s:
        persons = (await s.execute(select(PersonRow).order_by(col(PersonRow.id)))).scalars().all()
        links = (await s.execute(select(IdentityRow).order_by(col(IdentityRow.platform),
                                                               col(IdentityRow.external_id)))).scalars().all()
        by_person: dict[str, list[Identity]] = {}
        for link in links:
            by_person.setdefault(link.person_id, []).append(
                Identity(platform=link.platform, external_id=link.external_id, source=link.source))
        return [PersonView(id=p.id, name=p.name, roles=list(p.roles), locale=p.locale, pms_user=p.pms_user,
                           pms_user_claim=p.pms_user_claim, timezone=p.timezone, identities=by_person.get(p.id, []),
                           active=p.active) for p in persons]


async def link_claims(db: Database) -> list[tuple[str, str, datetime | None]]:
    """(person id, claimed PMS user, since) of the links asked for in chat that no admin confirmed yet."""
    async with db.read() as s:
        rows = await s.execute(select(col(PersonRow.id), col(PersonRow.pms_user_claim), col(PersonRow.pms_user_claimed_at))
                               .where(col(PersonRow.pms_user_claim).is_not(None)).order_by(col(PersonRow.id)))
        return [(str(i), str(c), at) for i, c, at in rows.all()]


async def is_admin(db: Database, person_id: str) -> bool:
    async with db.read() as s:
        row = await s.get(PersonRow, person_id)
        return row is not None and row.active and ADMIN_ROLE in (row.roles or [])  # a leaver's session ends
