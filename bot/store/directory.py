"""People from the directories: who is known (for the plan), and a plan applied in one transaction, set-based.

A leaver is deactivated, not deleted: their row, accounts and history stay. Their pending approvals go to their
manager (or, without one, stay with the other approvers); each move is audited and returned for the PMs' notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, tuple_, update
from sqlmodel import col

from bot.config import Config
from bot.directory.base import Entry
from bot.directory.plan import Known, Plan, id_base, keys_of
from bot.store import audit
from bot.store.bulk import chunks
from bot.store.db import Database
from bot.store.models import ApprovalRow, IdentityRow, MembershipRow, PersonRow

DIRECTORY_SOURCE = "directory"  # identity.source of the accounts a directory bound
PINNED = ("name", "email", "department", "roles")  # what a configuration file person sets wins over a directory


@dataclass(frozen=True, kw_only=True)
class Reassigned:
    approval_id: int
    project: str
    subject: str
    leaver: str
    to: str | None  # None: no manager known, the other approvers remain
    pms: tuple[str, ...]  # the project's PMs (its members with the pm role) to tell


async def known(db: Database, config: Config, entries: Iterable[tuple[str, Entry]] | None = None) -> list[Known]:
    """Who is known: everyone (a full sync), or, for a change event's entries, only whom a plan of them can touch:
    people sharing an e-mail (compared as the plan compares it), employee id or account with them, and people whose
    id a new one of them could take. Narrowed on cheap columns first: a profile is read for those alone."""
    async with db.read() as s:
        ids = None if entries is None else await _touched(s, list(entries))
        identity = select(col(IdentityRow.person_id), col(IdentityRow.platform), col(IdentityRow.external_id),
                          col(IdentityRow.source))
        person = select(col(PersonRow.id), col(PersonRow.name), col(PersonRow.email), col(PersonRow.employee_id),
                        col(PersonRow.department), col(PersonRow.manager_id), col(PersonRow.roles),
                        col(PersonRow.active))
        rows: list[Any] = []
        people: list[Any] = []
        for part in chunks(sorted(ids)) if ids is not None else [None]:
            rows += (await s.execute(identity if part is None else
                                     identity.where(col(IdentityRow.person_id).in_(part)))).all()
            people += (await s.execute(person if part is None else person.where(col(PersonRow.id).in_(part)))).all()
    return _known(config, rows, people)


async def _touched(s: Any, entries: list[tuple[str, Entry]]) -> set[str]:
    emails: set[str] = set()
    employee_ids: set[str] = set()
    accounts: set[tuple[str, str]] = set()
    for platform, e in entries:
        email, employee_id, account = keys_of(platform, e)
        emails |= {email} if email else set()
        employee_ids |= {employee_id} if employee_id else set()
        accounts.add(account)
    bases = {id_base(e) for _, e in entries}
    ids: set[str] = set()
    for part in chunks(sorted(accounts)):
        ids |= {str(p) for p in (await s.execute(select(col(IdentityRow.person_id)).where(
            tuple_(col(IdentityRow.platform), col(IdentityRow.external_id)).in_(part)))).scalars()}
    cheap = await s.execute(select(col(PersonRow.id), col(PersonRow.email), col(PersonRow.employee_id)))
    for pid, email, employee_id in cheap.all():
        mail = email.strip().casefold() if email and "@" in email else None
        if (mail in emails or employee_id in employee_ids or pid in bases
                or any(pid.startswith(base + "-") for base in bases)):
            ids.add(str(pid))
    return ids


def _known(config: Config, identities: list[Any], people: list[Any]) -> list[Known]:
    in_file = {p.id: p for p in config.people}
    accounts: dict[str, list[tuple[str, str]]] = {}
    linked: dict[str, list[tuple[str, str]]] = {}
    for pid, platform, account, source in identities:
        (accounts if source == DIRECTORY_SOURCE else linked).setdefault(str(pid), []).append(
            (str(platform), str(account)))
    out = []
    for pid, name, email, employee_id, department, manager_id, roles, active in people:
        file = in_file.get(str(pid))
        pinned = frozenset(f for f in PINNED if file is not None and getattr(file, f) not in (None, ()))
        out.append(Known(id=str(pid), name=str(name), email=email, employee_id=employee_id, department=department,
                         manager_id=manager_id, roles=tuple(roles or ()), active=bool(active),
                         accounts=tuple(accounts.get(str(pid), ())), linked=tuple(linked.get(str(pid), ())),
                         pinned=pinned))
    return out


def _row(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "roles": list(values["roles"])} if "roles" in values else values


async def apply(db: Database, plan: Plan, *, actor: str, now: datetime) -> list[Reassigned]:
    """The plan, in one transaction: all of it or nothing."""
    moved: list[Reassigned] = []
    async with db.write() as s:
        for part in chunks(list(plan.create)):
            await s.execute(insert(PersonRow), [{"id": c.id, "pms_user_linked": False, "active": True,
                                                 **_row(c.values)} for c in part])
        for part in chunks(list(plan.update)):
            await s.execute(update(PersonRow), [{"id": c.id, **_row(c.values)} for c in part])
        for ids, active in ((plan.deactivate, False), (plan.reactivate, True)):
            for part_ids in chunks(list(ids)):
                await s.execute(update(PersonRow).where(col(PersonRow.id).in_(part_ids)).values(active=active)
                                .execution_options(synchronize_session=False))
        for part_b in chunks(list(plan.bind)):
            await s.execute(insert(IdentityRow), [{"platform": p, "external_id": a, "person_id": pid,
                                                   "source": DIRECTORY_SOURCE} for p, a, pid in part_b])
        if plan.deactivate:
            moved = await _reassign(s, plan, actor=actor, now=now)
        for pid in plan.deactivate:
            await audit.append(s, actor=actor, action="directory.deactivate", subject=f"person:{pid}",
                               detail={}, now=now)
        await audit.append(s, actor=actor, action="directory.sync", subject="people", detail={
            "created": len(plan.create), "updated": len(plan.update), "deactivated": len(plan.deactivate),
            "reactivated": len(plan.reactivate), "bound": len(plan.bind), "conflicts": len(plan.conflicts),
            "reassigned": len(moved)}, now=now)
    return moved


async def _reassign(s: Any, plan: Plan, *, actor: str, now: datetime) -> list[Reassigned]:
    leavers = set(plan.deactivate)
    rows = (await s.execute(select(ApprovalRow).where(col(ApprovalRow.state) == "pending")
                            .order_by(col(ApprovalRow.id)))).scalars().all()
    moved: list[Reassigned] = []
    for row in rows:
        gone = [a for a in row.approvers if a in leavers]
        if not gone:
            continue
        approvers = list(row.approvers)
        for leaver in gone:
            to = plan.managers.get(leaver)
            to = to if to is not None and to not in leavers and to != row.requester else None
            approvers = [to if a == leaver else a for a in approvers] if to else [a for a in approvers if a != leaver]
            moved.append(Reassigned(approval_id=row.id, project=row.project_key, subject=row.subject, leaver=leaver,
                                    to=to, pms=await _pms(s, row.project_key)))
            await audit.append(s, actor=actor, action="approval.reassign", subject=f"approval:{row.id}",
                               detail={"from": leaver, "to": to, "why": "left the directory"}, now=now)
        row.approvers = list(dict.fromkeys(approvers))
    await s.flush()
    return moved


async def _pms(s: Any, project: str) -> tuple[str, ...]:
    members = (await s.execute(select(col(MembershipRow.person_id)).where(
        col(MembershipRow.project_key) == project))).scalars().all()
    rows = (await s.execute(select(col(PersonRow.id), col(PersonRow.roles)).where(
        col(PersonRow.id).in_(list(members) or [""]), col(PersonRow.active)))).all()
    return tuple(sorted({str(pid) for pid, roles in rows if "pm" in (roles or [])}))


async def deactivated(db: Database, ids: Iterable[str]) -> set[str]:
    """Which of these people are deactivated."""
    async with db.read() as s:
        rows = await s.execute(select(col(PersonRow.id)).where(col(PersonRow.id).in_(list(ids)),
                                                               col(PersonRow.active).is_(False)))
        return {str(i) for i in rows.scalars().all()}


async def person_for_login(db: Database, *, match: str, value: str) -> tuple[str, tuple[str, ...]] | None:
    """(id, roles) of the one active person whose e-mail (without case) or employee id is `value`; None when
    no one or more than one is (a login is never guessed)."""
    column = col(PersonRow.employee_id) == value if match == "employee_id" else \
        func.lower(col(PersonRow.email)) == value.casefold()
    async with db.read() as s:
        rows = (await s.execute(select(col(PersonRow.id), col(PersonRow.roles)).where(
            column, col(PersonRow.active)).limit(2))).all()
    return (str(rows[0][0]), tuple(rows[0][1] or ())) if len(rows) == 1 else None


async def roles_of(db: Database, person_id: str) -> tuple[str, ...]:
    """An active person's roles (none for a deactivated or unknown one)."""
    async with db.read() as s:
        row = await s.get(PersonRow, person_id)
    return tuple(row.roles or ()) if row is not None and row.active else ()
