"""Apply the configuration's people and projects to the database (config is their source of truth)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col

from bot.config import Config
from bot.store import schedules
from bot.store.db import Database
from bot.store.models import ChannelRow, IdentityRow, MembershipRow, PersonRow, ProjectRow


async def apply_config(db: Database, config: Config, *, now: datetime) -> None:
    """Upsert; people and projects not in the config are kept (they may come from `demo` or chat)."""
    async with db.write() as s:
        for p in config.people:
            row = await s.get(PersonRow, p.id) or PersonRow(id=p.id, name=p.name)
            row.name, row.locale, row.roles = p.name, p.locale, list(p.roles)
            row.timezone, row.email, row.department = p.timezone, p.email, p.department
            if not row.pms_user_linked:  # what a person linked in chat wins over the file
                row.pms_user = p.pms_user
            s.add(row)
        await s.flush()
        for p in config.people:
            await s.execute(delete(IdentityRow).where(col(IdentityRow.person_id) == p.id,
                                                      col(IdentityRow.source) == "config"))
            for platform, external_id in p.identities.items():
                await s.execute(delete(IdentityRow).where(
                    col(IdentityRow.platform) == platform, col(IdentityRow.external_id) == external_id))
                s.add(IdentityRow(platform=platform, external_id=external_id, person_id=p.id))
        for proj in config.projects:
            row_p = await s.get(ProjectRow, proj.key) or ProjectRow(key=proj.key, name=proj.name)
            row_p.name, row_p.pms, row_p.pms_project = proj.name, proj.pms, proj.pms_project
            row_p.read_access, row_p.department = proj.read, proj.department
            s.add(row_p)
            await s.flush()
            await s.execute(delete(MembershipRow).where(col(MembershipRow.project_key) == proj.key))
            await s.execute(delete(ChannelRow).where(col(ChannelRow.project_key) == proj.key))
            for person in dict.fromkeys(proj.members):
                s.add(MembershipRow(project_key=proj.key, person_id=person, role="member"))
            for person in dict.fromkeys(proj.approvers):
                s.add(MembershipRow(project_key=proj.key, person_id=person, role="approver"))
            for person in dict.fromkeys(proj.backup_approvers):
                s.add(MembershipRow(project_key=proj.key, person_id=person, role="backup"))
            for ch in dict.fromkeys((c.platform, c.id) for c in proj.channels):
                s.add(ChannelRow(project_key=proj.key, platform=ch[0], channel_id=ch[1]))
        await s.flush()
        await schedules.sync(s, config.standups, now=now)
