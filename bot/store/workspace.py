"""The Workspace (commands.ports) on our tables, inside one transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot import audit
from bot.records import Approval, PendingLink, Person, Project
from bot.store import schedules
from bot.store.models import (
    AlertRow,
    ApprovalRow,
    AuditRow,
    ChannelRow,
    IdentityRow,
    LinkCodeRow,
    MembershipRow,
    PersonRow,
    ProjectRow,
    ProposalRow,
    ScheduleRunRow,
    StandupEntryRow,
    StandupScheduleRow,
    SubscriptionRow,
)

ApprovalState = Literal["pending", "approved", "rejected"]


def to_person(row: PersonRow, default_locale: str) -> Person:
    return Person(id=row.id, name=row.name, locale=row.locale or default_locale, roles=tuple(row.roles),
                  pms_user=row.pms_user, timezone=row.timezone, department=row.department)


def _cents(amount: Decimal | None) -> int | None:
    return int((amount * 100).to_integral_value()) if amount is not None else None


def _to_approval(row: ApprovalRow) -> Approval:
    assert row.id is not None
    return Approval(
        id=row.id, project=row.project_key, requester=row.requester, approvers=tuple(row.approvers),
        subject=row.subject, amount=Decimal(row.amount_cents) / 100 if row.amount_cents is not None else None,
        state=cast(ApprovalState, row.state),
        decided_by=row.decided_by, decided_at=row.decided_at, comment=row.comment, origin=row.origin,
        created_at=row.created_at, ref=str(row.payload["ref"]) if (row.payload or {}).get("ref") else None,
    )


def insert_ignore(session: AsyncSession, table: Any) -> Any:
    """INSERT that does nothing on a unique conflict, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    return (pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)).on_conflict_do_nothing()


class SqlWorkspace:
    def __init__(self, session: AsyncSession, *, default_locale: str) -> None:
        self._s = session
        self._locale = default_locale
        self._people: dict[str, Person | None] = {}  # the session's identity map holds rows only weakly

    async def person(self, person_id: str) -> Person | None:
        if person_id not in self._people:
            row = await self._s.get(PersonRow, person_id)
            self._people[person_id] = to_person(row, self._locale) if row else None
        return self._people[person_id]

    async def people(self, person_ids: list[str]) -> dict[str, Person]:
        """Many people with one query (chunked below the databases' parameter limits)."""
        out: dict[str, Person] = {}
        for start in range(0, len(person_ids), 1000):
            chunk = person_ids[start:start + 1000]
            rows = (await self._s.execute(select(PersonRow).where(col(PersonRow.id).in_(chunk)))).scalars()
            out.update({r.id: to_person(r, self._locale) for r in rows})
        self._people.update(out)
        return out

    async def person_by_identity(self, platform: str, external_id: str) -> Person | None:
        if platform == "console":
            return await self.person(external_id)
        row = (await self._s.execute(
            select(PersonRow).join(IdentityRow, col(IdentityRow.person_id) == col(PersonRow.id)).where(
                col(IdentityRow.platform) == platform, col(IdentityRow.external_id) == external_id)
        )).scalar_one_or_none()
        return to_person(row, self._locale) if row else None

    async def identities_of(self, person_id: str) -> dict[str, str]:
        rows = (await self._s.execute(select(IdentityRow).where(col(IdentityRow.person_id) == person_id))).scalars()
        return {r.platform: r.external_id for r in rows}

    async def find_person(self, ref: str) -> Person | None:
        ref = ref.strip().lstrip("@")
        row = await self._s.get(PersonRow, ref)
        if row is None:
            row = (await self._s.execute(
                select(PersonRow).where(or_(col(PersonRow.name) == ref, col(PersonRow.pms_user) == ref)).limit(2)
            )).scalars().first()
        return to_person(row, self._locale) if row else None

    async def project(self, key: str) -> Project | None:
        rows = (await self._s.execute(
            select(ProjectRow, col(MembershipRow.person_id), col(MembershipRow.role))
            .outerjoin(MembershipRow, col(MembershipRow.project_key) == col(ProjectRow.key))
            .where(col(ProjectRow.key) == key)
            .order_by(col(MembershipRow.person_id))
        )).all()
        if not rows:
            return None
        row = rows[0][0]
        return Project(
            key=row.key, name=row.name, pms=row.pms, pms_project=row.pms_project,
            members=tuple(pid for _, pid, role in rows if role == "member"),
            approvers=tuple(pid for _, pid, role in rows if role == "approver"),
            backup_approvers=tuple(pid for _, pid, role in rows if role == "backup"), read=row.read_access,
            department=row.department,
        )

    async def projects_of(self, person_id: str) -> list[Project]:
        keys = (await self._s.execute(
            select(col(MembershipRow.project_key)).where(col(MembershipRow.person_id) == person_id).distinct()
            .order_by(col(MembershipRow.project_key))
        )).scalars().all()
        out = []
        for key in keys:
            project = await self.project(key)
            if project is not None:
                out.append(project)
        return out

    async def create_approval(
        self, *, project: str, requester: str, approvers: tuple[str, ...], subject: str, amount: Decimal | None,
        origin: str, now: datetime, payload: dict[str, Any] | None = None,
    ) -> Approval:
        row = ApprovalRow(project_key=project, requester=requester, approvers=list(approvers), subject=subject,
                          amount_cents=_cents(amount), origin=origin, created_at=now, payload=payload or {})
        self._s.add(row)
        await self._s.flush()
        return _to_approval(row)

    async def approval(self, approval_id: int) -> Approval | None:
        row = await self._s.get(ApprovalRow, approval_id, populate_existing=True)
        return _to_approval(row) if row else None

    async def decide_approval(
        self, approval_id: int, *, by: str, state: Literal["approved", "rejected"], comment: str, now: datetime
    ) -> Approval | None:
        # Conditional on still pending: of two approvers clicking at once exactly one update matches.
        result = await self._s.execute(
            update(ApprovalRow)
            .where(col(ApprovalRow.id) == approval_id, col(ApprovalRow.state) == "pending")
            .values(state=state, decided_by=by, decided_at=now, comment=comment or None)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            return None
        return await self.approval(approval_id)

    async def delegate_approval(self, approval_id: int, *, by: str, to: str) -> Approval | None:
        row = await self._s.get(ApprovalRow, approval_id, populate_existing=True, with_for_update=True)
        if row is None or row.state != "pending" or by not in row.approvers:
            return None
        row.approvers = list(dict.fromkeys(to if a == by else a for a in row.approvers))
        await self._s.flush()
        return _to_approval(row)

    async def pending_approvals_for(self, person_id: str) -> list[Approval]:
        rows = (await self._s.execute(
            select(ApprovalRow).where(col(ApprovalRow.state) == "pending").order_by(col(ApprovalRow.id))
        )).scalars().all()
        return [_to_approval(r) for r in rows if person_id in r.approvers and r.requester != person_id]

    async def subscribe(self, *, project: str, platform: str, conversation: str, filter: str, by: str,
                        now: datetime) -> bool:
        result = await self._s.execute(
            insert_ignore(self._s, SubscriptionRow).values(
                project_key=project, platform=platform, conversation=conversation, filter=filter, created_by=by,
                created_at=now)
        )
        return bool(cast(CursorResult[Any], result).rowcount)

    async def claim_pms_user(self, person_id: str, pms_user: str, *, now: datetime) -> bool:
        self._people.pop(person_id, None)
        row = await self._s.get(PersonRow, person_id)
        if row is None:
            return False
        if row.email and pms_user.casefold() == row.email.casefold():
            row.pms_user, row.pms_user_linked, row.pms_user_claim, row.pms_user_claimed_at = pms_user, True, None, None
            return True
        row.pms_user_claim, row.pms_user_claimed_at = pms_user, now
        return False

    async def decide_pms_claim(self, person_id: str, *, accept: bool) -> str | None:
        self._people.pop(person_id, None)
        row = await self._s.get(PersonRow, person_id)
        if row is None or row.pms_user_claim is None:
            return None
        claim = row.pms_user_claim
        if accept:
            row.pms_user, row.pms_user_linked = claim, True
        row.pms_user_claim, row.pms_user_claimed_at = None, None
        return claim

    async def standup_entry(
        self, *, person_id: str, kind: str, day_from: date, day_to: date, text: str, now: datetime
    ) -> None:
        self._s.add(StandupEntryRow(person_id=person_id, kind=kind, day_from=day_from, day_to=day_to, text=text,
                                    at=now))
        await self._s.flush()

    async def targets(self, person: Person, platforms: tuple[str, ...]) -> list[tuple[str, str]]:
        """Where a person is reached: every enabled platform they are known on, else the console."""
        return (await self.targets_of([person], platforms))[person.id]

    async def standup_status(self, person_ids: list[str], day: date) -> dict[str, tuple[str, str]]:
        """Each person's latest standup entry for `day`: ("answer", text) | ("skip", "") | ("away", "")."""
        rows = (await self._s.execute(
            select(StandupEntryRow).where(
                col(StandupEntryRow.person_id).in_(person_ids),
                col(StandupEntryRow.day_from) <= day, col(StandupEntryRow.day_to) >= day,
            ).order_by(col(StandupEntryRow.id))
        )).scalars().all()
        out: dict[str, tuple[str, str]] = {}
        for row in rows:  # later entries win: an answer can be corrected until the summary goes out
            out[row.person_id] = (row.kind, row.text)
        return out

    async def standup_participation(self, person_id: str, *, since: date, until: date
                                    ) -> list[tuple[str, str, int, int, int]]:
        mine = select(col(ScheduleRunRow.schedule)).where(
            col(ScheduleRunRow.person_id) == person_id, col(ScheduleRunRow.schedule).like("standup:%"),
            ~col(ScheduleRunRow.schedule).like("%:%:%")).distinct()
        runs = (await self._s.execute(select(ScheduleRunRow).where(
            col(ScheduleRunRow.schedule).in_(mine), col(ScheduleRunRow.day) >= since,
            col(ScheduleRunRow.day) <= until))).scalars().all()
        entries = (await self._s.execute(select(StandupEntryRow).where(
            col(StandupEntryRow.person_id).in_({r.person_id for r in runs}),
            col(StandupEntryRow.day_to) >= since, col(StandupEntryRow.day_from) <= until,
            col(StandupEntryRow.kind).in_(("answer", "skip"))).order_by(col(StandupEntryRow.id)))).scalars().all()
        said: dict[tuple[str, date], str] = {}
        for e in entries:  # answers and skips are for one day; the latest of the day counts
            said[(e.person_id, e.day_from)] = e.kind
        counts: dict[tuple[str, str], list[int]] = {}
        for r in runs:
            c = counts.setdefault((r.schedule.removeprefix("standup:"), r.person_id), [0, 0, 0])
            c[0] += 1
            kind = said.get((r.person_id, r.day))
            c[1] += kind == "answer"
            c[2] += kind == "skip"
        return sorted((name, person, *c) for (name, person), c in counts.items())  # type: ignore[misc]

    async def standups_of(self, person_id: str) -> list[tuple[str, str, tuple[str, ...]]]:
        projects = {p.key for p in await self.projects_of(person_id)}
        rows = (await self._s.execute(select(StandupScheduleRow).order_by(col(StandupScheduleRow.name)))).scalars()
        out = []
        for row in rows:
            members = tuple(str(m) for m in row.spec.get("members", ()))
            if person_id in members or row.project_key in projects:
                out.append((row.name, row.project_key, members))
        return out

    async def change_standup(self, name: str, setting: str, value: str | None, *, by: str, now: datetime
                             ) -> dict[str, Any]:
        updated = await schedules.change(self._s, name, setting, value, by=by, now=now)
        return {"name": updated.name, "project": updated.project, "at": updated.at, "deadline": updated.deadline,
                "remind_at": updated.remind_at or "", "timezone": updated.timezone or ""}

    async def create_proposal(self, *, person_id: str, kind: str, payload: list[dict[str, Any]],
                              now: datetime) -> int:
        row = ProposalRow(person_id=person_id, kind=kind, payload=payload, created_at=now)
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def take_proposal(self, proposal_id: int, *, person_id: str, now: datetime
                            ) -> list[dict[str, Any]] | bool | None:
        row = await self._s.get(ProposalRow, proposal_id, populate_existing=True, with_for_update=True)
        if row is None or row.person_id != person_id:
            return None
        if row.state != "pending":
            return False
        row.state, row.applied_at = "applied", now
        return list(row.payload)

    async def subscriptions(self, project: str) -> list[tuple[str, str, str, str]]:
        """(platform, conversation, filter, subscribed by) of the project's subscriptions."""
        rows = (await self._s.execute(select(SubscriptionRow).where(col(SubscriptionRow.project_key) == project)
                                      .order_by(col(SubscriptionRow.id)))).scalars()
        return [(r.platform, r.conversation, r.filter, r.created_by) for r in rows]

    async def projects_using(self, pms: str) -> list[Project]:
        keys = (await self._s.execute(select(col(ProjectRow.key)).where(col(ProjectRow.pms) == pms)
                                      .order_by(col(ProjectRow.key)))).scalars().all()
        return [p for p in [await self.project(k) for k in keys] if p is not None]

    async def project_of_channel(self, platform: str, conversation: str) -> str | None:
        """The project whose chat this is, when exactly one project lists it among its channels."""
        keys = (await self._s.execute(select(col(ChannelRow.project_key)).where(
            col(ChannelRow.platform) == platform, col(ChannelRow.channel_id) == conversation).limit(2))).scalars().all()
        return keys[0] if len(keys) == 1 else None

    async def project_channels(self, project: str) -> list[tuple[str, str]]:
        rows = (await self._s.execute(select(ChannelRow).where(col(ChannelRow.project_key) == project))).scalars()
        return [(r.platform, r.channel_id) for r in rows]

    async def alerts_to_send(self, project: str, found: list[tuple[str, str]], *, now: datetime,
                             cooldown: timedelta) -> list[tuple[int, str, str]]:
        """Record the risks found now; returns (alert id, rule, subject) of those to send now.

        New risks are sent; open ones again after the cooldown; snoozed ones when the snooze ends;
        acknowledged ones never, until the risk goes away and comes back (its row is then removed).
        """
        rows = {(r.rule, r.subject): r for r in (await self._s.execute(
            select(AlertRow).where(col(AlertRow.project_key) == project))).scalars()}
        out: list[tuple[int, str, str]] = []
        for rule, subject in found:
            row = rows.pop((rule, subject), None)
            if row is None:
                row = AlertRow(project_key=project, rule=rule, subject=subject, first_at=now)
                self._s.add(row)
            elif row.state == "acked" or (row.state == "snoozed" and row.snoozed_until is not None and row.snoozed_until > now) or (row.state == "open" and row.last_sent_at is not None and row.last_sent_at + cooldown > now):
                continue
            row.state, row.snoozed_until, row.last_sent_at = "open", None, now
            await self._s.flush()
            assert row.id is not None
            out.append((row.id, rule, subject))
        for gone in rows.values():  # resolved: if it comes back it is news again
            await self._s.delete(gone)
        return out

    async def decide_alert(self, alert_id: int, *, by: str, action: str, until: datetime | None
                           ) -> tuple[str, str, str] | None:
        """Acknowledge or snooze; returns (project, rule, subject), or None for an unknown alert."""
        row = await self._s.get(AlertRow, alert_id)
        if row is None:
            return None
        row.state = "acked" if action == "ack" else "snoozed"
        row.snoozed_until = until
        row.decided_by = by
        return row.project_key, row.rule, row.subject

    async def pending_approvals(self) -> list[Approval]:
        rows = (await self._s.execute(
            select(ApprovalRow).where(col(ApprovalRow.state) == "pending").order_by(col(ApprovalRow.id))
        )).scalars().all()
        return [_to_approval(r) for r in rows]

    async def add_approvers(self, approval_id: int, people: tuple[str, ...]) -> Approval | None:
        """Escalation: more people may decide a request that is still pending."""
        row = await self._s.get(ApprovalRow, approval_id)
        if row is None or row.state != "pending":
            return None
        row.approvers = list(dict.fromkeys([*row.approvers, *people]))
        await self._s.flush()
        return _to_approval(row)

    async def people_with_role(self, role: str) -> list[Person]:
        rows = (await self._s.execute(select(PersonRow).order_by(col(PersonRow.id)))).scalars().all()
        return [to_person(r, self._locale) for r in rows if role in r.roles]

    async def away_among(self, person_ids: list[str], day: date) -> set[str]:
        """Those of `person_ids` on leave that day (`standup away` / `请假`)."""
        rows = await self._s.execute(select(col(StandupEntryRow.person_id)).distinct().where(
            col(StandupEntryRow.person_id).in_(person_ids), col(StandupEntryRow.kind) == "away",
            col(StandupEntryRow.day_from) <= day, col(StandupEntryRow.day_to) >= day))
        return {str(pid) for pid in rows.scalars()}

    async def claim_runs(self, schedule: str, person_ids: list[str], day: date, now: datetime) -> set[str]:
        """claim_run for many people in one statement; returns those claimed now."""
        if not person_ids:
            return set()
        stmt = insert_ignore(self._s, ScheduleRunRow).values(
            [{"schedule": schedule, "person_id": pid, "day": day, "at": now} for pid in person_ids]
        ).returning(col(ScheduleRunRow.person_id))
        return {str(pid) for pid in (await self._s.execute(stmt)).scalars()}

    async def targets_of(self, people: list[Person], platforms: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
        """targets() for many people with one query."""
        rows = (await self._s.execute(select(IdentityRow).where(
            col(IdentityRow.person_id).in_([p.id for p in people])))).scalars()
        known: dict[str, list[tuple[str, str]]] = {}
        for r in rows:
            if r.platform in platforms and r.platform != "console":
                known.setdefault(r.person_id, []).append((r.platform, r.external_id))
        return {p.id: known.get(p.id) or [("console", p.id)] for p in people}

    async def was_run(self, schedule: str, person_id: str, day: date) -> bool:
        return await self._s.get(ScheduleRunRow, (schedule, person_id, day)) is not None

    async def claim_run(self, schedule: str, person_id: str, day: date, now: datetime) -> bool:
        """Record that `schedule` ran for this person and day; False if it already had (exactly once)."""
        return person_id in await self.claim_runs(schedule, [person_id], day, now)

    async def pending_link(self, platform: str, external_id: str) -> PendingLink | None:
        row = await self._s.get(LinkCodeRow, (platform, external_id))
        if row is None:
            return None
        return PendingLink(person_id=row.person_id, code_sha256=row.code_sha256, attempts=row.attempts,
                           created_at=row.created_at, expires_at=row.expires_at)

    async def put_link(self, platform: str, external_id: str, *, person_id: str, code_sha256: str, now: datetime,
                       expires_at: datetime) -> None:
        row = await self._s.get(LinkCodeRow, (platform, external_id)) or LinkCodeRow(
            platform=platform, external_id=external_id, person_id=person_id, code_sha256=code_sha256,
            created_at=now, expires_at=expires_at)
        row.person_id, row.code_sha256, row.attempts = person_id, code_sha256, 0
        row.created_at, row.expires_at = now, expires_at
        self._s.add(row)
        await self._s.flush()

    async def count_link_attempt(self, platform: str, external_id: str) -> int:
        row = await self._s.get(LinkCodeRow, (platform, external_id))
        if row is None:
            return 0
        row.attempts += 1
        await self._s.flush()
        return row.attempts

    async def link_codes_since(self, since: datetime, *, actor: str, person_id: str) -> tuple[int, int]:
        rows = (await self._s.execute(select(col(AuditRow.actor), col(AuditRow.subject)).where(
            col(AuditRow.action) == "identity.link_requested", col(AuditRow.at) >= since))).all()
        return sum(a == actor for a, _ in rows), sum(s == person_id for _, s in rows)

    async def drop_link(self, platform: str, external_id: str) -> None:
        await self._s.execute(delete(LinkCodeRow).where(col(LinkCodeRow.platform) == platform,
                                                        col(LinkCodeRow.external_id) == external_id))

    async def bind_identity(self, platform: str, external_id: str, person_id: str, *, source: str) -> None:
        await self._s.execute(insert_ignore(self._s, IdentityRow).values(
            platform=platform, external_id=external_id, person_id=person_id, source=source))

    async def audit(self, *, actor: str, action: str, subject: str, detail: dict[str, Any], now: datetime) -> None:
        await audit.append(self._s, actor=actor, action=action, subject=subject, detail=detail, now=now)
