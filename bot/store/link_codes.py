"""`link` in chat: one-time codes for unknown accounts, and the identity bound once a code is confirmed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import col

from bot.records import PendingLink
from bot.store.dialect import insert_ignore
from bot.store.models import AuditRow, IdentityRow, LinkCodeRow
from bot.store.repository import InTransaction


class LinkCodes(InTransaction):
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
