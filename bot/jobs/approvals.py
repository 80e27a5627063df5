"""Approval follow-ups: a pending request's approvers are reminded after `remind_after_h`; after
`escalate_after_h` the project's backup approvers are added and asked, and the requester is told."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from bot import chains
from bot.config import Config, ProjectConfig
from bot.jobs.base import Mail, Steady
from bot.records import Approval, Project
from bot.store import audit
from bot.store.db import Database, StoreSession
from bot.store.workspace import SqlWorkspace
from commands.views import approval_buttons, approval_people, approval_view
from notifiers.outbox import ClaimedMessage

DEFAULT_POLICY = ProjectConfig(key="XX", name="defaults for projects not in the configuration")


class ApprovalFollowups(Steady):
    def __init__(self, db: Database, mail: Mail, config: Config) -> None:
        self.db = db
        self.mail = mail
        self.config = config

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        now = at.astimezone(UTC)
        sent = 0
        async with self.db.read() as s:
            pending = await SqlWorkspace(s, default_locale=self.config.locale).pending_approvals()
        for approval in pending:
            claimed: list[ClaimedMessage] = []
            async with self.db.write() as s:
                ws = SqlWorkspace(s, default_locale=self.config.locale)
                project = await ws.project(approval.project)
                if project is not None:
                    sent += await self._follow_up(ws, s, approval, project, now, claimed)
            self.mail.hand_over(claimed)
        return sent

    async def _follow_up(self, ws: SqlWorkspace, s: StoreSession, approval: Approval, project: Project,
                         now: datetime, claimed: list[ClaimedMessage]) -> int:
        sent = 0
        age = now - approval.created_at
        policy = next((p for p in self.config.projects if p.key == approval.project), None) or DEFAULT_POLICY
        names = {p.id: p.name for p in (await ws.people([approval.requester, *approval.approvers])).values()}
        view = approval_view(approval, names)
        if (policy.remind_after_h is not None and age >= timedelta(hours=policy.remind_after_h)
                and await ws.claim_run(f"approval:{approval.id}:remind", "*", approval.created_at.date(), now)):
            for approver in (await ws.people(list(approval.approvers))).values():
                claimed += await self.mail.to_person(ws, s, approver, "approval_reminder",
                                                     {"approval": view, "hours": round(age.total_seconds() / 3600)})
                sent += 1
        if approval.chain:
            return sent + await self._escalate_step(ws, s, approval, now, claimed)
        backups = tuple(b for b in project.backup_approvers if b != approval.requester and b not in approval.approvers)
        if (policy.escalate_after_h is None or not backups or age < timedelta(hours=policy.escalate_after_h)
                or not await ws.claim_run(f"approval:{approval.id}:escalate", "*", approval.created_at.date(), now)):
            return sent
        escalated = await ws.add_approvers(approval.id, backups)
        if escalated is None:
            return sent
        backup_people = await ws.people(list(backups))
        names.update({p.id: p.name for p in backup_people.values()})
        view = approval_view(escalated, names)
        buttons = [asdict(a) for a in approval_buttons(approval.id)]
        for backup in backup_people.values():
            claimed += await self.mail.to_person(ws, s, backup, "approval_card", {"approval": view, "escalated": True},
                                                 actions=buttons, card_ref=f"approval:{approval.id}")
            sent += 1
        requester = await ws.person(approval.requester)
        if requester is not None:
            claimed += await self.mail.to_person(ws, s, requester, "approval_escalated", {"approval": view})
        await audit.append(s, actor="clock", action="approval.escalate", subject=f"approval:{approval.id}",
                           detail={"to": list(backups)}, now=now)
        return sent

    async def _escalate_step(self, ws: SqlWorkspace, s: StoreSession, approval: Approval, now: datetime,
                             claimed: list[ClaimedMessage]) -> int:
        """A chain's current step past its `escalate_after_h`: its `escalate_to` people become stand-ins, once."""
        assert approval.chain is not None
        chain = chains.from_json(approval.chain)
        step = chain.step()
        if (step is None or step.escalate_after_h is None or step.started_at is None or not step.escalate_to
                or now - step.started_at < timedelta(hours=step.escalate_after_h)
                or not await ws.claim_run(f"approval:{approval.id}:step{chain.current}:escalate", "*",
                                          approval.created_at.date(), now)):
            return 0
        escalated = await ws.escalate_step(approval.id, chain.current, step.escalate_to)
        if escalated is None:
            return 0
        names = {p.id: p.name for p in (await ws.people([x for x in approval_people(escalated) if x])).values()}
        view = approval_view(escalated, names)
        buttons = [asdict(a) for a in approval_buttons(approval.id)]
        sent = 0
        for person in (await ws.people(list(step.escalate_to))).values():
            claimed += await self.mail.to_person(ws, s, person, "approval_card", {"approval": view, "escalated": True},
                                                 actions=buttons, card_ref=f"approval:{approval.id}")
            sent += 1
        requester = await ws.person(approval.requester)
        if requester is not None:
            claimed += await self.mail.to_person(ws, s, requester, "approval_escalated", {"approval": view})
        await audit.append(s, actor="clock", action="approval.escalate", subject=f"approval:{approval.id}",
                           detail={"to": list(step.escalate_to), "step": chain.current}, now=now)
        return sent
