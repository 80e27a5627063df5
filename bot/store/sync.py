"""Apply the configuration's people and projects to the database (config is their source of truth).

Set-based: what is stored is read in chunks, compared with the file, and only the differences are written, a few
statements per table (an unchanged file of 10,000 people costs reads only)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.config import Config
from bot.store import schedules
from bot.store.bulk import CHUNK, chunks, insert_rows, update_rows
from bot.store.db import Database
from bot.store.models import ChannelRow, IdentityRow, MembershipRow, PersonRow, ProjectRow

# What apply_config writes, as a version: change it with any change to what is written, so that a database
# where the former code applied the same file is applied again (bot/store/config_applied.py).
APPLY_VERSION = "1"
PERSON_FIELDS = ("name", "locale", "roles", "timezone", "email", "department", "pms_user")
PROJECT_FIELDS = ("name", "pms", "pms_project", "read_access", "department", "tags")


async def apply_config(db: Database, config: Config, *, now: datetime) -> None:
    """Upsert; people and projects not in the config are kept (they may come from `demo` or chat)."""
    async with db.write() as s:
        await apply_in(s, config, now=now)


async def apply_in(s: AsyncSession, config: Config, *, now: datetime) -> None:
    """apply_config inside a transaction the caller holds."""
    await _people(s, config)
    await _identities(s, config)
    await _projects(s, config)
    await _memberships(s, config)
    await schedules.sync(s, config.standups, now=now)


def _among(column: Any, keys: Collection[str]) -> list[Any]:
    """The WHERE of reading the stored rows of these keys: an IN list when short, else the whole table (one
    pass; the rows not asked for are skipped by the caller)."""
    return [col(column).in_(list(keys))] if len(keys) <= CHUNK else []


async def _people(s: AsyncSession, config: Config) -> None:
    wanted = {p.id: p for p in config.people}
    # The table's own columns, not the model's: the ORM would make each of 10,000 rows through its loader.
    columns = [PersonRow.__table__.c[f] for f in ("id", "pms_user_linked", *PERSON_FIELDS)]  # type: ignore[attr-defined]
    stored = {r.id: r for r in (await s.execute(select(*columns).where(*_among(PersonRow.id, wanted)))).all()}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for p in wanted.values():
        row = stored.get(p.id)
        values: dict[str, Any] = {"name": p.name, "locale": p.locale, "roles": list(p.roles), "timezone": p.timezone,
                                  "email": p.email, "department": p.department, "pms_user": p.pms_user}
        if row is None:
            new.append({"id": p.id, **values, "pms_user_linked": False})
            continue
        if row.pms_user_linked:  # what a person linked in chat wins over the file
            values["pms_user"] = row.pms_user
        if any(getattr(row, f) != values[f] for f in PERSON_FIELDS):
            changed.append({"id": p.id, **values})
    await insert_rows(s, PersonRow, new)
    await update_rows(s, PersonRow, "id", changed)


async def _identities(s: AsyncSession, config: Config) -> None:
    """Each config person's file accounts replace their file accounts of before; an account the file gives
    someone is taken from whoever had it (a later person in the file wins a shared one)."""
    wanted: dict[tuple[str, str], str] = {}
    for p in config.people:
        for platform, external_id in p.identities.items():
            wanted.pop((platform, external_id), None)
            wanted[(platform, external_id)] = p.id
    stored: dict[tuple[str, str], tuple[str, str]] = {}  # (platform, account) -> (person, source)
    key = tuple_(col(IdentityRow.platform), col(IdentityRow.external_id))
    columns = select(col(IdentityRow.platform), col(IdentityRow.external_id), col(IdentityRow.person_id),
                     col(IdentityRow.source))
    file_people = {p.id for p in config.people}
    if len(file_people) + len(wanted) > CHUNK:  # one pass over the table beats many long IN lists (and their SQL)
        for platform, account, person, source in (await s.execute(columns)).all():
            if (platform, account) in wanted or (source == "config" and person in file_people):
                stored[(str(platform), str(account))] = (str(person), str(source))
    else:
        rows = await s.execute(columns.where(col(IdentityRow.person_id).in_(file_people),
                                             col(IdentityRow.source) == "config"))
        stored.update({(str(p), str(a)): (str(i), str(src)) for p, a, i, src in rows.all()})
        if wanted:
            rows = await s.execute(columns.where(key.in_(list(wanted))))
            stored.update({(str(p), str(a)): (str(i), str(src)) for p, a, i, src in rows.all()})
    same = {k for k, (person, source) in stored.items() if wanted.get(k) == person and source == "config"}
    gone = [k for k in stored if k not in same]
    for part in chunks(gone):
        await s.execute(delete(IdentityRow).where(key.in_(part)))
    fresh = [{"platform": k[0], "external_id": k[1], "person_id": pid, "source": "config"}
             for k, pid in wanted.items() if k not in same]
    await insert_rows(s, IdentityRow, fresh)


async def _projects(s: AsyncSession, config: Config) -> None:
    wanted = {p.key: p for p in config.projects}
    columns = [ProjectRow.__table__.c[f] for f in ("key", *PROJECT_FIELDS)]  # type: ignore[attr-defined]
    stored = {r.key: r for r in (await s.execute(select(*columns).where(*_among(ProjectRow.key, wanted)))).all()}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for p in wanted.values():
        values: dict[str, Any] = {"name": p.name, "pms": p.pms, "pms_project": p.pms_project, "read_access": p.read,
                                  "department": p.department, "tags": list(p.tags)}
        row = stored.get(p.key)
        if row is None:
            new.append({"key": p.key, **values, "next_task_no": 1})
        elif any(getattr(row, f) != values[f] for f in PROJECT_FIELDS):
            changed.append({"key": p.key, **values})
    await insert_rows(s, ProjectRow, new)
    await update_rows(s, ProjectRow, "key", changed)


async def _memberships(s: AsyncSession, config: Config) -> None:
    """Each config project's members, approvers, backups and channels become exactly the file's."""
    members: set[tuple[str, str, str]] = set()
    channels: set[tuple[str, str, str]] = set()
    for proj in config.projects:
        for role, people in (("member", proj.members), ("approver", proj.approvers),
                             ("backup", proj.backup_approvers)):
            members.update((proj.key, person, role) for person in people)
        channels.update((proj.key, c.platform, c.id) for c in proj.channels)
    keys = [p.key for p in config.projects]
    m_key = tuple_(col(MembershipRow.project_key), col(MembershipRow.person_id), col(MembershipRow.role))
    c_key = tuple_(col(ChannelRow.project_key), col(ChannelRow.platform), col(ChannelRow.channel_id))
    had_members: set[tuple[str, str, str]] = set()
    had_channels: set[tuple[str, str, str]] = set()
    for part in chunks(keys):
        had_members.update((str(k), str(p), str(r)) for k, p, r in (await s.execute(select(
            col(MembershipRow.project_key), col(MembershipRow.person_id), col(MembershipRow.role))
            .where(col(MembershipRow.project_key).in_(part)))).all())
        had_channels.update((str(k), str(p), str(c)) for k, p, c in (await s.execute(select(
            col(ChannelRow.project_key), col(ChannelRow.platform), col(ChannelRow.channel_id))
            .where(col(ChannelRow.project_key).in_(part)))).all())
    for gone in chunks(sorted(had_members - members)):
        await s.execute(delete(MembershipRow).where(m_key.in_(gone)))
    for gone in chunks(sorted(had_channels - channels)):
        await s.execute(delete(ChannelRow).where(c_key.in_(gone)))
    await insert_rows(s, MembershipRow, [{"project_key": k, "person_id": p, "role": r}
                                         for k, p, r in sorted(members - had_members)])
    await insert_rows(s, ChannelRow, [{"project_key": k, "platform": p, "channel_id": c}
                                      for k, p, c in sorted(channels - had_channels)])
