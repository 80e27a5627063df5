"""Approval requests and their decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, select, update
from sqlmodel import col

from bot import chains
from bot.records import Approval
from bot.store.models import ApprovalRow
from bot.store.repository import InTransaction

ApprovalState = Literal["pending", "approved", "rejected"]


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
        currency=(row.payload or {}).get("currency"), chain=(row.payload or {}).get("chain"),
        engine=(row.payload or {}).get("engine"),
    )


class Approvals(InTransaction):
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

    async def decide_in_chain(
        self, approval_id: int, *, by: str, state: Literal["approved", "rejected"], comment: str, now: datetime
    ) -> tuple[Approval, chains.Outcome] | None:
        """`by`'s decision on the chain's current step, under the row's lock: counted once, and only when the step
        waits for them. The request is decided when a step rejects or the last step approves. None: not theirs."""
        row = await self._s.get(ApprovalRow, approval_id, populate_existing=True, with_for_update=True)
        if row is None or row.state != "pending" or not (row.payload or {}).get("chain"):
            return None
        try:
            chain, outcome = chains.decide(chains.from_json(row.payload["chain"]), by, state, now)
        except chains.NotYours:
            return None
        row.payload = {**row.payload, "chain": chains.to_json(chain)}
        row.approvers = list(chain.awaiting())
        if outcome in ("approved", "rejected"):
            row.state, row.decided_by, row.decided_at, row.comment = outcome, by, now, comment or None
        await self._s.flush()
        return _to_approval(row), outcome

    async def escalate_step(self, approval_id: int, step: int, people: tuple[str, ...]) -> Approval | None:
        """The chain's step `step` (still current) gets its stand-ins; None when it has moved on."""
        row = await self._s.get(ApprovalRow, approval_id, populate_existing=True, with_for_update=True)
        if row is None or row.state != "pending" or not (row.payload or {}).get("chain"):
            return None
        chain = chains.from_json(row.payload["chain"])
        if chain.current != step:
            return None
        chain = chains.escalate(chain, people)
        row.payload = {**row.payload, "chain": chains.to_json(chain)}
        row.approvers = list(chain.awaiting())
        await self._s.flush()
        return _to_approval(row)

    async def delegate_approval(self, approval_id: int, *, by: str, to: str) -> Approval | None:
        row = await self._s.get(ApprovalRow, approval_id, populate_existing=True, with_for_update=True)
        if row is None or row.state != "pending" or by not in row.approvers:
            return None
        if (row.payload or {}).get("chain"):  # the delegate takes `by`'s place in the current step only
            chain = chains.delegate(chains.from_json(row.payload["chain"]), by, to)
            row.payload = {**row.payload, "chain": chains.to_json(chain)}
            row.approvers = list(chain.awaiting())
            await self._s.flush()
            return _to_approval(row)
        row.approvers = list(dict.fromkeys(to if a == by else a for a in row.approvers))
        await self._s.flush()
        return _to_approval(row)

    async def pending_approvals_for(self, person_id: str) -> list[Approval]:
        rows = (await self._s.execute(
            select(ApprovalRow).where(col(ApprovalRow.state) == "pending").order_by(col(ApprovalRow.id))
        )).scalars().all()
        return [_to_approval(r) for r in rows if person_id in r.approvers and r.requester != person_id]

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

    # ---- the platform's approval engine (DingTalk OA, Feishu Approval) -------------------------------------------
    async def pending_with_engine(self) -> list[Approval]:
        return [a for a in await self.pending_approvals() if a.engine]

    async def set_engine(self, approval_id: int, engine: dict[str, Any], *, was: str) -> Approval | None:
        """The request's engine record replaced, if it is still pending and its engine still in state `was` (two
        clocks creating the same instance: the second finds it moved on)."""
        row = await self._s.get(ApprovalRow, approval_id, populate_existing=True, with_for_update=True)
        if row is None or row.state != "pending" or ((row.payload or {}).get("engine") or {}).get("state") != was:
            return None
        row.payload = {**row.payload, "engine": engine}
        await self._s.flush()
        return _to_approval(row)

    async def decide_by_engine(self, approval_id: int, *, instance: str, state: Literal["approved", "rejected"],
                               comment: str, now: datetime, url: str | None = None) -> Approval | None:
        """The engine's final result decides the request, once: only while pending and only for its own instance
        (a late or repeated result, or another instance's, changes nothing: None)."""
        row = await self._s.get(ApprovalRow, approval_id, populate_existing=True, with_for_update=True)
        engine = dict((row.payload or {}).get("engine") or {}) if row is not None else {}
        if row is None or row.state != "pending" or not instance or engine.get("instance") != instance:
            return None
        engine |= {"state": "done", "result": state} | ({"url": url} if url else {})
        row.payload = {**row.payload, "engine": engine}
        row.state, row.decided_by, row.decided_at, row.comment = state, str(engine["kind"])[:64], now, comment or None
        row.approvers = []
        await self._s.flush()
        return _to_approval(row)

    async def approval_of_instance(self, kind: str, instance: str) -> Approval | None:
        """The pending request linked to the engine's instance, if any."""
        return next((a for a in await self.pending_with_engine()
                     if a.engine and a.engine.get("kind") == kind and a.engine.get("instance") == instance), None)
