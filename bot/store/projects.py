"""Projects, their members and approvers, and the chats they are discussed in."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.records import Project
from bot.store.models import ChannelRow, MembershipRow, ProjectRow
from bot.store.repository import InTransaction


class Projects(InTransaction):
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
            department=row.department, tags=tuple(row.tags or ()),
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

    async def project_of_channel(self, platform: str, conversation: str) -> str | None:
        """The project whose chat this is, when exactly one project lists it among its channels."""
        keys = (await self._s.execute(select(col(ChannelRow.project_key)).where(
            col(ChannelRow.platform) == platform, col(ChannelRow.channel_id) == conversation).limit(2))).scalars().all()
        return keys[0] if len(keys) == 1 else None

    async def project_channels(self, project: str) -> list[tuple[str, str]]:
        rows = (await self._s.execute(select(ChannelRow).where(col(ChannelRow.project_key) == project))).scalars()
        return [(r.platform, r.channel_id) for r in rows]
