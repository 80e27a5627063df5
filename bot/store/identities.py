"""Platform accounts and the people behind them: the identity table as the inbound adapters read and extend it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from bot.store.db import Database
from bot.store.dialect import insert_ignore
from bot.store.models import IdentityRow, PersonRow


class IdentityStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def person_of(self, platform: str, account: str) -> str | None:
        """The person an account (or an alias of it, such as a DingTalk union id) is bound to."""
        async with self._db.read() as s:
            row = await s.get(IdentityRow, (platform, account))
            if row is None:
                return None
            person = await s.get(PersonRow, row.person_id)  # a leaver (deactivated) is no one any more
            return row.person_id if person is not None and person.active else None

    async def people_with_email(self, email: str, *, limit: int) -> list[str]:
        """Ids of (at most `limit`) people with this email, compared without case."""
        async with self._db.read() as s:
            people = (await s.execute(select(PersonRow).where(
                func.lower(col(PersonRow.email)) == email.lower(), col(PersonRow.active)).limit(limit))).scalars().all()
        return [p.id for p in people]

    async def bind(self, *, platform: str, account: str, person_id: str, source: str) -> None:
        """Record the identity unless the account has one already (config's or a link's is kept)."""
        async with self._db.write() as s:
            await s.execute(insert_ignore(s, IdentityRow).values(
                platform=platform, external_id=account, person_id=person_id, source=source))

    async def locale_of(self, platform: str, account: str) -> str | None:
        """The language set for the person behind the account, None when there is no such person or language."""
        async with self._db.read() as s:
            row = (await s.execute(
                select(PersonRow).join(IdentityRow, col(IdentityRow.person_id) == col(PersonRow.id)).where(
                    col(IdentityRow.platform) == platform, col(IdentityRow.external_id) == account)
            )).scalar_one_or_none()
        return row.locale if row is not None and row.locale else None
