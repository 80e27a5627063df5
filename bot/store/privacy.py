"""A person's data rights (PIPL arts. 45 and 47, GDPR arts. 15, 17 and 20): everything stored about them, and
its erasure.

`PERSONAL` names every table that holds a person, by the columns that hold them, and what erasure does there;
`NOT_PERSONAL` says why each other table holds nobody. tests/test_privacy.py fails on a table in neither, so a new
table cannot be missed. Erasure deletes what is only about the person (their profile, accounts, chat, standup
answers, photos, undo log) and pseudonymises what is also the organisation's record (tasks, progress, approvals,
audit): their id becomes a stable pseudonym, their own free text is removed, numbers and states stay. Audit rows
are rewritten as keyed tombstones (bot/store/audit.py), so `audit verify` still passes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from bot.store import models as m
from bot.store.audit import tombstone_mac
from bot.store.db import AUDIT_KEY_INFO

ERASED_TEXT = "[erased]"
CONFIG_COPY_TEXT = "[a parsed copy of the configuration file, which names this person among others]"
FREE_TEXT_KEYS = frozenset({"text", "comment", "subject", "reason", "note", "title", "name", "email"})


@dataclass(frozen=True, kw_only=True)
class PersonalTable:
    columns: tuple[str, ...]  # the columns that name the person (their id, or one of their platform accounts)
    erase: Literal["delete", "pseudonymise", "tombstone"]


PERSONAL: dict[str, PersonalTable] = {
    "person": PersonalTable(columns=("id", "name", "email"), erase="delete"),
    "identity": PersonalTable(columns=("person_id", "external_id"), erase="delete"),
    "link_code": PersonalTable(columns=("person_id", "external_id"), erase="delete"),
    "membership": PersonalTable(columns=("person_id",), erase="delete"),
    "standup_entry": PersonalTable(columns=("person_id",), erase="delete"),
    "schedule_run": PersonalTable(columns=("person_id",), erase="delete"),
    "console_message": PersonalTable(columns=("person_id",), erase="delete"),
    "proposal": PersonalTable(columns=("person_id",), erase="delete"),
    "person_write": PersonalTable(columns=("person_id",), erase="delete"),
    "photo": PersonalTable(columns=("person_id",), erase="delete"),
    "inbox": PersonalTable(columns=("payload",), erase="delete"),  # payload.sender: their platform account
    "outbox": PersonalTable(columns=("target",), erase="delete"),  # direct messages to their accounts
    "card": PersonalTable(columns=("target",), erase="delete"),
    "task": PersonalTable(columns=("assignee",), erase="pseudonymise"),
    "progress": PersonalTable(columns=("person_id",), erase="pseudonymise"),
    "approval": PersonalTable(columns=("requester", "approvers", "decided_by", "payload"), erase="pseudonymise"),
    "subscription": PersonalTable(columns=("created_by",), erase="pseudonymise"),
    "alert": PersonalTable(columns=("decided_by",), erase="pseudonymise"),
    "standup_schedule": PersonalTable(columns=("updated_by",), erase="pseudonymise"),
    "audit": PersonalTable(columns=("actor", "subject", "detail"), erase="tombstone"),
    "pms_credential": PersonalTable(columns=("person_id",), erase="delete"),  # their own sealed PMS grant
    "task_file": PersonalTable(columns=("person_id",), erase="pseudonymise"),  # a task's attachment: the task's record
    "person_day": PersonalTable(columns=("person_id",), erase="pseudonymise"),  # workload history: the project's figure
    "task_done": PersonalTable(columns=("person_id",), erase="pseudonymise"),  # cycle times: the project's figure
    # A Microsoft Project plan names its resources (people) by name and e-mail: the plan stays, they become a
    # pseudonym without e-mail (tasks refer to a resource by uid, so the plan still reads and exports).
    "project_plan": PersonalTable(columns=("document",), erase="pseudonymise"),
    # A PMS change waiting for its digest names the task's assignee and the PMS actor: a notice, gone once sent.
    "pms_change": PersonalTable(columns=("data",), erase="delete"),
    # The parsed configuration file, kept to skip parsing an unchanged file: it holds whom the file names. Erased
    # whole (the next start parses the file again); an export says it is there without copying the others in it.
    "config_file": PersonalTable(columns=("data",), erase="delete"),
}
NOT_PERSONAL: dict[str, str] = {
    "project": "projects: keys, names, PMS settings",
    "channel": "which chat channel belongs to which project",
    "milestone": "project milestones",
    "clock_state": "the clock's last minute",
    "metric": "project figures (budget…) from other systems",
    "sla_minute": "call counts per connector and minute",
    "seen_nonce": "request signatures, kept minutes against replays",
    "pms_write": "a retry's memo of PMS writes, keyed by inbox row (deleted with it)",
    "pms_cursor": "how far a PMS was polled",
    "import_file": "imported files by content hash, with a count report (the rows themselves are inbox events)",
    "app_secret": "the server's own generated keys",
    "project_day": "a project's (and milestone's) daily figures: counts, percents, hours",
    "risk_day": "a project's daily count of risks by kind",
    "config_applied": "a change counter and the digest of the configuration last applied",
}


def pseudonym(person_id: str, key: bytes | None) -> str:
    """The same stable stand-in for a person in every table: a keyed hash, so it does not reveal who it was."""
    digest = hmac.new(key or b"pmsbot pseudonyms", person_id.encode(), hashlib.sha256).hexdigest()
    return f"erased-{digest[:12]}"


@dataclass(frozen=True, kw_only=True)
class Subject:
    """Who is exported or erased: their id, name and e-mail and their platform accounts (platform, id)."""

    id: str
    name: str
    email: str | None
    accounts: tuple[tuple[str, str], ...]


async def subject(s: AsyncSession, person_id: str) -> Subject | None:
    row = await s.get(m.PersonRow, person_id)
    if row is None:
        return None
    accounts = (await s.execute(select(col(m.IdentityRow.platform), col(m.IdentityRow.external_id))
                                .where(col(m.IdentityRow.person_id) == person_id))).all()
    return Subject(id=row.id, name=row.name, email=row.email,
                   accounts=(*((str(p), str(e)) for p, e in accounts), ("console", row.id)))


def _mentions(who: Subject, value: Any) -> bool:
    if isinstance(value, str):
        return value in (who.id, who.name, who.email) or any(value == ext for _, ext in who.accounts)
    if isinstance(value, dict):
        return any(_mentions(who, v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions(who, v) for v in value)
    return False


def _scrub(who: Subject, value: Any, alias: str, *, own: bool) -> Any:
    """`value` with the person replaced by `alias`; with `own` (they wrote it) their free text removed too."""
    if isinstance(value, str):
        return alias if value in (who.id, who.name, who.email) or any(value == e for _, e in who.accounts) else value
    if isinstance(value, dict):
        return {k: ERASED_TEXT if own and k in FREE_TEXT_KEYS and isinstance(v, str) and v
                else _scrub(who, v, alias, own=own) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(who, v, alias, own=own) for v in value]
    return value


def _plain(row: SQLModel) -> dict[str, Any]:
    data = row.model_dump()
    if isinstance(row, m.ConfigFileRow):  # everyone the file names: not copied into one person's export
        data["data"] = CONFIG_COPY_TEXT
    return {k: (v.hex() if isinstance(v, bytes) and k != "data" else f"<{len(v)} bytes>" if isinstance(v, bytes)
                else v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}


def _like(column: Any, who: Subject) -> Any:
    """A cheap pre-filter of a JSON or text column on the person's id and accounts (checked exactly after)."""
    needles = {who.id, *(e for _, e in who.accounts)}
    return or_(*(cast(column, String).contains(n) for n in needles))


async def _rows(s: AsyncSession, who: Subject) -> dict[str, list[SQLModel]]:
    """Every row that holds the person, per table."""
    targets = [e for _, e in who.accounts]
    by_id: list[tuple[str, Any]] = [
        ("person", col(m.PersonRow.id)), ("identity", col(m.IdentityRow.person_id)),
        ("link_code", col(m.LinkCodeRow.person_id)), ("membership", col(m.MembershipRow.person_id)),
        ("standup_entry", col(m.StandupEntryRow.person_id)), ("schedule_run", col(m.ScheduleRunRow.person_id)),
        ("console_message", col(m.ConsoleMessageRow.person_id)), ("proposal", col(m.ProposalRow.person_id)),
        ("person_write", col(m.PersonWriteRow.person_id)), ("photo", col(m.PhotoRow.person_id)),
        ("task", col(m.TaskRow.assignee)), ("progress", col(m.ProgressRow.person_id)),
        ("subscription", col(m.SubscriptionRow.created_by)), ("alert", col(m.AlertRow.decided_by)),
        ("standup_schedule", col(m.StandupScheduleRow.updated_by)),
        ("pms_credential", col(m.PmsCredentialRow.person_id)), ("task_file", col(m.TaskFileRow.person_id)),
        ("person_day", col(m.PersonDayRow.person_id)), ("task_done", col(m.TaskDoneRow.person_id)),
    ]
    out: dict[str, list[SQLModel]] = {}
    for table, column in by_id:
        model = column.class_
        out[table] = list((await s.execute(select(model).where(column == who.id))).scalars())
    out["inbox"] = [r for r in (await s.execute(select(m.InboxRow).where(
        m.InboxRow.payload["sender"].as_string().in_(targets)))).scalars()
        if (r.platform, str(r.payload.get("sender"))) in who.accounts]
    out["outbox"] = list((await s.execute(select(m.OutboxRow).where(col(m.OutboxRow.target).in_(targets)))).scalars())
    out["card"] = list((await s.execute(select(m.CardRow).where(col(m.CardRow.target).in_(targets)))).scalars())
    approvals = (await s.execute(select(m.ApprovalRow).where(or_(
        col(m.ApprovalRow.requester) == who.id, col(m.ApprovalRow.decided_by) == who.id,
        _like(m.ApprovalRow.approvers, who), _like(m.ApprovalRow.payload, who))))).scalars()
    out["approval"] = [a for a in approvals if who.id in (a.requester, a.decided_by) or _mentions(who, a.approvers)
                       or _mentions(who, a.payload)]
    audits = (await s.execute(select(m.AuditRow).where(or_(
        col(m.AuditRow.actor) == who.id, _like(m.AuditRow.subject, who), _like(m.AuditRow.detail, who)))
        .order_by(col(m.AuditRow.id)))).scalars()
    out["project_plan"] = [p for p in (await s.execute(select(m.ProjectPlanRow))).scalars()  # one per project
                           if any(_is_resource(who, r) for r in p.document.get("resources") or [])]
    out["pms_change"] = [c for c in (await s.execute(select(m.PmsChangeRow))).scalars() if _mentions(who, c.data)]
    out["config_file"] = [c for c in (await s.execute(select(m.ConfigFileRow))).scalars() if who.id in c.data]
    out["audit"] = [a for a in audits if a.actor == who.id or who.id in a.subject.split(":")
                    or _mentions(who, a.detail)]
    return out


def _is_resource(who: Subject, resource: Any) -> bool:
    """A plan's resource is the person by e-mail (without case) or by their name, as the import matched it."""
    if not isinstance(resource, dict):
        return False
    email = str(resource.get("email") or "").strip().casefold()
    return bool(email and who.email and email == who.email.casefold()) or resource.get("name") in (who.name, who.id)


async def waiting_on(s: AsyncSession, person_id: str) -> list[int]:
    """Pending approvals the person is asked to decide: an erasure would leave them waiting for a pseudonym."""
    rows = (await s.execute(select(m.ApprovalRow).where(col(m.ApprovalRow.state) == "pending",
                                                        cast(m.ApprovalRow.approvers, String).contains(person_id))
                            )).scalars()
    return [int(r.id or 0) for r in rows if person_id in r.approvers]


async def export(s: AsyncSession, person_id: str) -> dict[str, Any] | None:
    """Everything stored about the person, per table (JSON-ready); None for someone unknown."""
    who = await subject(s, person_id)
    if who is None:
        return None
    return {"person": person_id, "tables": {t: [_plain(r) for r in rows] for t, rows in (await _rows(s, who)).items()}}


async def erase(s: AsyncSession, person_id: str) -> dict[str, int] | None:
    """Erase the person in the caller's transaction: how many rows per table were deleted or pseudonymised."""
    who = await subject(s, person_id)
    if who is None:
        return None
    key: bytes | None = s.info.get(AUDIT_KEY_INFO)
    alias = pseudonym(who.id, key)
    rows = await _rows(s, who)
    counts = {t: len(r) for t, r in rows.items() if r}
    for a in rows["approval"]:
        assert isinstance(a, m.ApprovalRow)
        own = a.requester == who.id
        a.requester = alias if own else a.requester
        a.subject = ERASED_TEXT if own else a.subject
        a.approvers = _scrub(who, a.approvers, alias, own=False)
        a.payload = _scrub(who, a.payload, alias, own=False)
        if a.decided_by == who.id:
            a.decided_by, a.comment = alias, None
    for p in rows["progress"]:
        assert isinstance(p, m.ProgressRow)
        p.person_id, p.note = alias, ""  # the numbers are the project's; the words were theirs
    for table, model, name in (("subscription", m.SubscriptionRow, "created_by"), ("alert", m.AlertRow, "decided_by"),
                               ("standup_schedule", m.StandupScheduleRow, "updated_by"),
                               ("task_file", m.TaskFileRow, "person_id"), ("person_day", m.PersonDayRow, "person_id"),
                               ("task_done", m.TaskDoneRow, "person_id")):
        if rows[table]:
            await s.execute(update(model).where(getattr(model, name) == who.id).values({name: alias})
                            .execution_options(synchronize_session=False))
    await s.execute(update(m.TaskRow).where(col(m.TaskRow.assignee) == who.id).values(assignee=None)
                    .execution_options(synchronize_session=False))
    for a in rows["audit"]:
        assert isinstance(a, m.AuditRow)
        own = a.actor == who.id
        a.actor = alias if own else a.actor
        a.subject = ":".join(alias if part == who.id else part for part in a.subject.split(":"))[:200]
        a.detail = _scrub(who, a.detail, alias, own=own)
        a.tombstone = tombstone_mac(a, key=key if a.keyed else None)
    for plan in rows["project_plan"]:
        assert isinstance(plan, m.ProjectPlanRow)
        plan.document = {**plan.document, "resources": [
            {**r, "name": alias, "email": ""} if _is_resource(who, r) else r for r in plan.document["resources"]]}
    inbox_ids = [r.id for r in rows["inbox"] if isinstance(r, m.InboxRow)]
    await s.flush()
    for table in ("inbox", "outbox", "card", "pms_change", "config_file", "console_message", "photo", "proposal", "person_write",
                  "standup_entry", "schedule_run", "link_code", "membership", "identity", "pms_credential"):
        for r in rows[table]:
            await s.delete(r)
    await s.flush()
    if inbox_ids:
        await s.execute(delete(m.PmsWriteRow).where(col(m.PmsWriteRow.inbox_id).in_(inbox_ids)))
    for r in rows["person"]:
        await s.delete(r)
    await s.flush()
    return counts
