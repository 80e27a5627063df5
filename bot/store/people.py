"""People and their accounts on the platforms, read and linked to their PMS users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.records import Person
from bot.store.db import Database
from bot.store.dialect import among, has_role
from bot.store.models import IdentityRow, PersonRow
from bot.store.repository import InTransaction

PERSON_COLUMNS = (col(PersonRow.id), col(PersonRow.name), col(PersonRow.locale), col(PersonRow.roles),
                  col(PersonRow.pms_user), col(PersonRow.timezone), col(PersonRow.department))


# Who sent this: every command asks. Built once (SQLAlchemy would build the statement and its cache key anew on
# every call), columns rather than ORM rows.
_BY_IDENTITY = (select(*PERSON_COLUMNS).join(IdentityRow, col(IdentityRow.person_id) == col(PersonRow.id))
                .where(col(IdentityRow.platform) == bindparam("platform"),
                       col(IdentityRow.external_id) == bindparam("external_id"),
                       col(PersonRow.active)))  # a leaver's accounts stay bound, but no longer speak for them
_BY_ID = select(*PERSON_COLUMNS).where(col(PersonRow.id) == bindparam("person_id"))


def to_person(row: PersonRow, default_locale: str) -> Person:
    return Person(id=row.id, name=row.name, locale=row.locale or default_locale, roles=tuple(row.roles),
                  pms_user=row.pms_user, timezone=row.timezone, department=row.department)


async def pms_accounts(session: AsyncSession) -> list[tuple[str, str | None, str | None]]:
    """(person id, PMS user, e-mail) of everyone: who is who in a PMS."""
    rows = await session.execute(select(col(PersonRow.id), col(PersonRow.pms_user), col(PersonRow.email)))
    return [(str(i), u, e) for i, u, e in rows.all()]


class People(InTransaction):
    def __init__(self, session: AsyncSession, *, default_locale: str) -> None:
        super().__init__(session)
        self._locale = default_locale
        self._people: dict[str, Person | None] = {}  # the session's identity map holds rows only weakly

    async def person(self, person_id: str) -> Person | None:
        if person_id not in self._people:
            row = (await self._s.execute(_BY_ID, {"person_id": person_id})).one_or_none()
            self._people[person_id] = self._from_columns(row) if row else None
        return self._people[person_id]

    async def people(self, person_ids: list[str]) -> dict[str, Person]:
        """Many people with one query (the ids as one parameter: no limit on how many)."""
        if not person_ids:
            return {}
        rows = await self._s.execute(select(*PERSON_COLUMNS).where(among(self._s, col(PersonRow.id), person_ids)))
        # Columns, not ORM rows: a wave's 10,000 people cost no identity-map bookkeeping.
        out = {p.id: p for p in map(self._from_columns, rows.all())}
        self._people.update(out)
        return out

    async def person_by_identity(self, platform: str, external_id: str) -> Person | None:
        if platform == "console":
            return await self.person(external_id)
        row = (await self._s.execute(_BY_IDENTITY, {"platform": platform, "external_id": external_id})
               ).one_or_none()
        return self._from_columns(row) if row else None

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

    async def find_people(self, ref: str) -> list[Person]:
        """Everyone a name, id or PMS user may mean (case-insensitive): several when the name is shared."""
        ref = ref.strip().lstrip("@")
        row = await self._s.get(PersonRow, ref)
        if row is not None:
            return [to_person(row, self._locale)]
        folded = ref.casefold()
        rows = (await self._s.execute(select(PersonRow).where(or_(
            func.lower(col(PersonRow.name)) == folded, func.lower(col(PersonRow.pms_user)) == folded)
        ).order_by(col(PersonRow.id)).limit(5))).scalars().all()
        return [to_person(r, self._locale) for r in rows]

    async def people_with_role(self, role: str) -> list[Person]:
        # The role is looked for in the database: the 09:00 calendar warning must not read 10,000 people for two
        # admins. Checked again here on what comes back (the JSON test is the database's; the roles are ours).
        rows = await self._s.execute(select(*PERSON_COLUMNS).where(has_role(self._s, col(PersonRow.roles), role))
                                     .order_by(col(PersonRow.id)))
        return [p for p in map(self._from_columns, rows.all()) if role in p.roles]

    def _from_columns(self, row: Row[str, str, str | None, list[str], str | None, str | None, str | None]) -> Person:
        """A Person from the PERSON_COLUMNS of a row."""
        i, name, locale, roles, pms_user, tz, department = row
        return Person(id=str(i), name=str(name), locale=str(locale or self._locale), roles=tuple(roles),
                      pms_user=pms_user, timezone=tz, department=department)

    async def targets(self, person: Person, platforms: tuple[str, ...]) -> list[tuple[str, str]]:
        """Where a person is reached: every enabled platform they are known on, else the console."""
        return (await self.targets_of([person], platforms))[person.id]

    async def targets_of(self, people: list[Person], platforms: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
        """targets() for many people with one query."""
        known: dict[str, list[tuple[str, str]]] = {}
        wanted = [p for p in platforms if p != "console"]
        if people and wanted:
            rows = await self._s.execute(
                select(col(IdentityRow.person_id), col(IdentityRow.platform), col(IdentityRow.external_id))
                .where(among(self._s, col(IdentityRow.person_id), [p.id for p in people]),
                       col(IdentityRow.platform).in_(wanted)))
            for person_id, platform, account in rows.all():
                known.setdefault(str(person_id), []).append((str(platform), str(account)))
        return {p.id: known.get(p.id) or [("console", p.id)] for p in people}

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


async def manager_of(db: Database, person_id: str) -> str | None:
    """The manager the directory sync stored for an active person (PersonRow.manager_id), if any."""
    async with db.read() as s:
        found = (await s.execute(select(col(PersonRow.manager_id)).where(
            col(PersonRow.id) == person_id, col(PersonRow.active).is_(True)))).scalar_one_or_none()
    return str(found) if found else None
