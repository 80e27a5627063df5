"""Waves and the configuration are written as sets: the statements issued stay a handful per batch, however
many people there are. Counted at the database driver (a SQLAlchemy event), not timed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from bot.clock import run_due
from bot.config import Config, Settings
from bot.jobs.standups import WAVE_BATCH
from bot.runtime import Runtime
from bot.say import drain
from bot.store import console as feed
from bot.store import migrate
from bot.store.db import Database
from bot.store.dialect import insert_ignore
from bot.store.models import ConfigAppliedRow, IdentityRow, PersonRow
from bot.store.sync import CHUNK, apply_config
from bot.store.workspace import SqlWorkspace
from tests.conftest import running_clock

SH = ZoneInfo("Asia/Shanghai")
PEOPLE = 2 * WAVE_BATCH + 100  # three batches
NINE = datetime(2026, 12, 1, 9, 0, tzinfo=SH)  # a Tuesday, a workday in China
WRITES = ("INSERT", "UPDATE", "DELETE")


def wave_config(people: int, *, names: str = "Person", ids_on: str = "slack") -> Config:
    ids = [f"p{i:05d}" for i in range(people)]
    return Config.model_validate({
        "people": [{"id": pid, "name": f"{names} {pid}", "locale": "zh" if i % 2 else "en",
                    "identities": {ids_on: f"U{pid}"}} for i, pid in enumerate(ids)],
        "projects": [{"key": "WAVE", "name": "wave", "members": ids, "approvers": ids[:3]}],
        "standups": [{"name": "wave", "project": "WAVE", "members": ids, "at": "09:00", "deadline": "10:00"}],
    })


@contextlib.contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block (an executemany counts once per page)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def wave(db_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    rt = Runtime(Settings(database_url=db_url), wave_config(PEOPLE), clock=running_clock(request))
    await migrate.upgrade(rt.db)
    await rt.open()
    rt.reconfigure(rt.config.model_copy(update={"risk_alerts": ()}))
    try:
        yield rt
    finally:
        await rt.close()


@pytest.mark.clock(datetime(2026, 12, 1, 8, 0, tzinfo=SH))
async def test_a_wave_and_its_reminders_are_a_few_statements_per_batch(wave: Runtime) -> None:
    rt = wave
    async with rt.db.write() as s:  # two people answered before the prompts: they are prompted, not reminded
        ws = SqlWorkspace(s, default_locale="en")
        for pid in ("p00001", "p00002"):
            await ws.standup_entry(person_id=pid, kind="answer", day_from=NINE.date(), day_to=NINE.date(),
                                   text="done", now=NINE)
    with statements(rt.db) as sql:
        assert await run_due(rt.jobs, NINE) == PEOPLE
    batches = -(-PEOPLE // WAVE_BATCH)
    # Per batch: 2 reads, the claim, the outbox insert, the audit row (and its lock and tail), begin/commit.
    assert len(sql) <= 12 * batches + 12, sql
    assert sql.count("INSERT") <= 3 * batches + 2, "one statement per table and batch, not one per person"
    with statements(rt.db) as sql:
        assert await run_due(rt.jobs, NINE) == 0, "a rerun (after a crash) prompts nobody twice"
    assert len(sql) <= 12 * batches + 12
    with statements(rt.db) as sql:
        assert await run_due(rt.jobs, NINE.replace(minute=30)) == PEOPLE - 2
        assert await run_due(rt.jobs, NINE.replace(minute=30)) == 0, "reminded once"
    assert len(sql) <= 2 * (10 * batches + 12), sql
    assert sql.count("INSERT") <= 2 * 2 * batches
    await drain(rt)
    p3 = [m["text"] for m in await feed.feed(rt.db, "p00003", limit=50)]
    p1 = [m["text"] for m in await feed.feed(rt.db, "p00001", limit=50)]
    assert len(p3) == 2 and len(p1) == 1, "a prompt each; a reminder only to whoever has not answered"


async def test_the_configuration_is_applied_as_a_set(db_url: str) -> None:
    db = Database(db_url)
    await migrate.upgrade(db)
    try:
        with statements(db) as sql:
            await apply_config(db, wave_config(PEOPLE), now=NINE)
        assert len(sql) <= 40, "a few statements per table and chunk, not a few per person"
        with statements(db) as sql:
            await apply_config(db, wave_config(PEOPLE), now=NINE)
        assert not [s for s in sql if s in WRITES], "an unchanged file writes nothing"
        async with db.write() as s:  # a PMS user linked in chat wins over the file
            ws = SqlWorkspace(s, default_locale="en")
            assert not await ws.claim_pms_user("p00007", "p7@example.com", now=NINE)
            assert await ws.decide_pms_claim("p00007", accept=True) == "p7@example.com"
        changed = wave_config(PEOPLE - 1, names="Renamed", ids_on="feishu").model_copy(deep=True)
        with statements(db) as sql:
            await apply_config(db, changed, now=NINE)
        assert len(sql) <= 40
        async with db.read() as s:
            ws = SqlWorkspace(s, default_locale="en")
            first = await ws.person("p00007")
            assert first is not None and first.name == "Renamed p00007" and first.pms_user == "p7@example.com"
            assert await ws.person_by_identity("slack", "Up00007") is None, "the file's old account is gone"
            assert (await ws.person_by_identity("feishu", "Up00007") or first).id == "p00007"
            project = await ws.project("WAVE")
            assert project is not None and len(project.members) == PEOPLE - 1 and len(project.approvers) == 3
            assert await ws.person(f"p{PEOPLE - 1:05d}") is not None, "someone no longer in the file is kept"
    finally:
        await db.dispose()


@pytest.mark.parametrize("people", [3, PEOPLE])  # stored rows read by IN lists, and by one pass over the table
async def test_a_restart_applies_what_changed_and_takes_accounts_from_whoever_had_them(db_url: str,
                                                                                     people: int) -> None:
    db = Database(db_url)
    await migrate.upgrade(db)
    try:
        async with db.write() as s:  # someone the file does not know, with an account the file gives p00001
            s.add(PersonRow(id="outsider", name="Outsider", pms_user_linked=False))
            await s.flush()
            s.add(IdentityRow(platform="slack", external_id="Up00001", person_id="outsider", source="directory"))
            s.add(IdentityRow(platform="slack", external_id="U-kept", person_id="outsider", source="directory"))
        await apply_config(db, wave_config(people), now=NINE)
        again = wave_config(people)
        renamed = again.people[1].model_copy(update={"name": "Someone Else", "department": "R&D"})
        moved = again.people[2].model_copy(update={"identities": {"feishu": "ou_2"}})
        changed = again.model_copy(update={"people": (again.people[0], renamed, moved, *again.people[3:])})
        with statements(db) as sql:
            await apply_config(db, changed, now=NINE)
        assert sql.count("UPDATE") == 1 and sql.count("DELETE") == 1 and sql.count("INSERT") == 1, sql
        async with db.read() as s:
            ws = SqlWorkspace(s, default_locale="en")
            one = await ws.person("p00001")
            assert one is not None and (one.name, one.department) == ("Someone Else", "R&D")
            assert (await ws.person_by_identity("slack", "Up00001") or one).id == "p00001"
            assert (await ws.person_by_identity("slack", "U-kept") or one).id == "outsider", "not the file's"
            assert await ws.person_by_identity("slack", "Up00002") is None, "p00002's old account is gone"
            assert (await ws.person_by_identity("feishu", "ou_2") or one).id == "p00002"
            assert (await ws.person_by_identity("slack", "Up00000") or one).id == "p00000", "unchanged, kept"
    finally:
        await db.dispose()


async def test_changed_people_and_projects_are_rewritten_field_by_field(db_url: str) -> None:
    """Every compared field of a changed person or project is written, the JSON ones (roles, tags) and emptied
    ones (None) included; on PostgreSQL one UPDATE per chunk, so the generation trigger runs per chunk, not per row
    (bot/store/sync.update_rows)."""
    db = Database(db_url)
    await migrate.upgrade(db)
    try:
        async with db.write() as s:  # the counter's row (a schema copied from the tests' cache has no rows)
            await s.execute(insert_ignore(s, ConfigAppliedRow).values(id=1, generation=0))
        first = wave_config(PEOPLE).model_dump()
        first["people"][5].update(roles=["pmo"], email="p5@example.com", timezone="Asia/Tokyo")
        await apply_config(db, Config.model_validate(first), now=NINE)
        second = wave_config(PEOPLE, names="Renamed").model_dump()
        second["people"][5].update(roles=["admin", "pmo"], email=None, department="R&D 研发")
        second["projects"][0].update(name="wave 2", tags=["a", "b"], read="everyone")
        generation = select(ConfigAppliedRow.__table__.c.generation)  # type: ignore[attr-defined]
        async with db.read() as s:
            before = (await s.execute(generation)).scalar_one()
        await apply_config(db, Config.model_validate(second), now=NINE)
        async with db.read() as s:
            runs = (await s.execute(generation)).scalar_one() - before
        # The trigger's runs: per statement on PostgreSQL (a chunk of people, the project), per row on SQLite.
        assert runs == (-(-PEOPLE // CHUNK) + 1 if db.is_postgres else PEOPLE + 1)
        columns = [PersonRow.__table__.c[f] for f in ("name", "roles", "email", "department", "timezone")]  # type: ignore[attr-defined]
        async with db.read() as s:
            five = (await s.execute(select(*columns).where(PersonRow.__table__.c.id == "p00005"))).one()  # type: ignore[attr-defined]
            assert tuple(five) == ("Renamed p00005", ["admin", "pmo"], None, "R&D 研发", None)
            ws = SqlWorkspace(s, default_locale="en")
            last = await ws.person(f"p{PEOPLE - 1:05d}")
            assert last is not None and last.name == f"Renamed p{PEOPLE - 1:05d}" and last.roles == ()
            project = await ws.project("WAVE")
            assert project is not None and (project.name, project.tags, project.read) == ("wave 2", ("a", "b"), "everyone")
    finally:
        await db.dispose()
