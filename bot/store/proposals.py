"""Changes proposed to a person, applied once when they confirm."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.models import ProposalRow
from bot.store.repository import InTransaction


class Proposals(InTransaction):
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
