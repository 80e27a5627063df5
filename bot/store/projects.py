"""Projects, their members and approvers, and the chats they are discussed in."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlmodel import col

from bot.records import Project
from bot.store.models import ChannelRow, MembershipRow, ProjectRow
from bot.store.repository import InTransaction

# Every command on a task asks for its project, and many for the project of their chat: built once (SQLAlchemy
# would build each statement and its cache key anew), columns rather than ORM rows.
_PROJECT = (select(col(ProjectRow.key), col(ProjectRow.name), col(ProjectRow.pms), col(ProjectRow.pms_project),
                   col(ProjectRow.read_access), col(ProjectRow.department), col(ProjectRow.tags),
                   col(MembershipRow.person_id), col(MembershipRow.role))
            .outerjoin(MembershipRow, col(MembershipRow.project_key) == col(ProjectRow.key))
            .where(col(ProjectRow.key) == bindparam("key"))
            .order_by(col(MembershipRow.person_id)))
_KEYS = select(col(ProjectRow.key))
_OF_CHANNEL = select(col(ChannelRow.project_key)).where(
    col(ChannelRow.platform) == bindparam("platform"), col(ChannelRow.channel_id) == bindparam("conversation")).limit(2)


class Projects(InTransaction):
    async def project(self, key: str) -> Project | None:
        rows = (await self._s.execute(_PROJECT, {"key": key})).all()
        if not rows:
            return None
        key, name, pms, pms_project, read, department, tags = rows[0][:7]
        return Project(
            key=key, name=name, pms=pms, pms_project=pms_project,
            members=tuple(row.person_id for row in rows if row.role == "member"),
            approvers=tuple(row.person_id for row in rows if row.role == "approver"),
            backup_approvers=tuple(row.person_id for row in rows if row.role == "backup"), read=read,
            department=department, tags=tuple(tags or ()),
        )

    async def all_projects(self) -> list[Project]:
        """Every project with its people, in two queries (the portfolio lists them all)."""
        rows = (await self._s.execute(select(ProjectRow).order_by(col(ProjectRow.key)))).scalars().all()
        people: dict[str, dict[str, list[str]]] = {}
        for key, pid, role in (await self._s.execute(select(
                col(MembershipRow.project_key), col(MembershipRow.person_id), col(MembershipRow.role))
                .order_by(col(MembershipRow.person_id)))):
            people.setdefault(key, {}).setdefault(role, []).append(pid)
        return [Project(key=r.key, name=r.name, pms=r.pms, pms_project=r.pms_project,
                        members=tuple(people.get(r.key, {}).get("member", ())),
                        approvers=tuple(people.get(r.key, {}).get("approver", ())),
                        backup_approvers=tuple(people.get(r.key, {}).get("backup", ())), read=r.read_access,
                        department=r.department, tags=tuple(r.tags or ())) for r in rows]

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

    async def projects_using(self, pms: str) -> list[Project]:
        keys = (await self._s.execute(select(col(ProjectRow.key)).where(col(ProjectRow.pms) == pms)
                                      .order_by(col(ProjectRow.key)))).scalars().all()
        return [p for p in [await self.project(k) for k in keys] if p is not None]

    async def project_keys(self) -> frozenset[str]:
        """The keys of every project (a message's tags that are none of them are words, commands/keys.py)."""
        return frozenset((await self._s.execute(_KEYS)).scalars().all())

    async def project_of_channel(self, platform: str, conversation: str) -> str | None:
        """The project whose chat this is, when exactly one project lists it among its channels."""
        keys = (await self._s.execute(_OF_CHANNEL, {"platform": platform, "conversation": conversation})
                ).scalars().all()
        return keys[0] if len(keys) == 1 else None

    async def project_channels(self, project: str) -> list[tuple[str, str]]:
        rows = (await self._s.execute(select(ChannelRow).where(col(ChannelRow.project_key) == project))).scalars()
        return [(r.platform, r.channel_id) for r in rows]
