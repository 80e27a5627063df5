"""A start with the same file on a database nobody changed skips the apply and the YAML parse (issue 21: start-up
with 10,000 people); whatever changed — the file, one person in it, the tables through a directory sync, chat or
plain SQL, a damaged cache, a missing trigger — is read and applied again as before."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from sqlmodel import col

from bot.config import Config, Settings
from bot.config.load import ParsedFile, load_config_file
from bot.directory.plan import Change, Plan
from bot.runtime import Runtime
from bot.store import config_applied, migrate
from bot.store import directory as directory_store
from bot.store.config_applied import ConfigAppliedRow, ConfigFileRow, apply_once, cached_file
from bot.store.db import Database
from bot.store.models import PersonRow
from bot.store.workspace import SqlWorkspace
from tests.test_set_based import statements

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SH)
WRITES = ("INSERT", "UPDATE", "DELETE")


def people_file(path: Path, names: dict[str, str], *, extra: str = "") -> Path:
    data: dict[str, Any] = {
        "people": [{"id": pid, "name": name, "identities": {"slack": f"U-{pid}"}} for pid, name in names.items()],
        "projects": [{"key": "PUMP", "name": "Pump", "members": list(names)}],
        "standups": [{"name": "daily", "project": "PUMP", "members": list(names), "at": "09:00",
                      "deadline": "10:00"}],
    }
    path.write_text(json.dumps(data, indent=1) + extra, encoding="utf-8")
    return path


async def start(url: str, file: Path, env: dict[str, str] | None = None) -> tuple[Config, ParsedFile | None, bool]:
    """What a `pmsbot` process does at start: the file (from the database's cache if there), then the apply."""
    # In a thread, as the CLI does it before its loop starts (PostgreSQL's lookup runs a loop of its own).
    config, parsed = await asyncio.to_thread(load_config_file, file, env=env or {},
                                             cached=lambda sha: cached_file(url, sha))
    db = Database(url)
    try:
        applied = await apply_once(db, config, now=NOW, parsed=parsed)
    finally:
        await db.dispose()
    return config, parsed, applied


async def name_of(url: str, pid: str) -> str | None:
    db = Database(url)
    try:
        async with db.read() as s:
            person = await SqlWorkspace(s, default_locale="en").person(pid)
    finally:
        await db.dispose()
    return person.name if person else None


async def migrated(url: str) -> None:
    db = Database(url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()


async def test_the_same_file_again_skips_the_apply_and_the_parse_and_an_edit_is_applied(db_url: str,
                                                                                     tmp_path: Path) -> None:
    await migrated(db_url)
    file = people_file(tmp_path / "pmsbot.yaml", {"ann": "Ann", "bob": "Bob"})
    first, parsed, applied = await start(db_url, file)
    assert applied and parsed is not None and parsed.data is not None, "parsed from YAML, kept for the next start"
    again, cached, applied = await start(db_url, file)
    assert not applied, "the same file on an unchanged database: nothing to apply"
    assert cached is not None and cached.data is None, "read from the database, not parsed"
    assert again == first
    db = Database(db_url)
    try:
        with statements(db) as sql:
            assert not await apply_once(db, again, now=NOW, parsed=cached)
        assert not [s for s in sql if s in WRITES], "a skipped apply writes nothing"
    finally:
        await db.dispose()
    people_file(file, {"ann": "Ann", "bob": "Robert"})  # one person edited
    _, parsed, applied = await start(db_url, file)
    assert applied and parsed is not None and parsed.data is not None, "another file: parsed and applied"
    assert await name_of(db_url, "bob") == "Robert"
    assert not (await start(db_url, file))[2]


async def test_a_directory_sync_chat_or_sql_change_makes_the_next_start_apply_the_file(db_url: str,
                                                                                       tmp_path: Path) -> None:
    await migrated(db_url)
    file = people_file(tmp_path / "pmsbot.yaml", {"ann": "Ann", "bob": "Bob"})
    await start(db_url, file)
    assert not (await start(db_url, file))[2]
    db = Database(db_url)
    try:  # a directory renames a person of the file: the file wins at the next start, as before
        await directory_store.apply(db, Plan(update=(Change(id="bob", values={"name": "Bobby"}),)), actor="test",
                                    now=NOW)
    finally:
        await db.dispose()
    assert await name_of(db_url, "bob") == "Bobby"
    assert (await start(db_url, file))[2], "the directory changed a person: the file is applied again"
    assert await name_of(db_url, "bob") == "Bob"
    assert not (await start(db_url, file))[2]

    db = Database(db_url)
    try:  # a `link` proven in chat: applied again, and the linked PMS user still wins over the file's
        async with db.write() as s:
            ws = SqlWorkspace(s, default_locale="en")
            await ws.claim_pms_user("ann", "ann@pms", now=NOW)
            assert await ws.decide_pms_claim("ann", accept=True) == "ann@pms"
    finally:
        await db.dispose()
    assert (await start(db_url, file))[2]
    db = Database(db_url)
    try:
        async with db.read() as s:
            ann = await SqlWorkspace(s, default_locale="en").person("ann")
        assert ann is not None and ann.pms_user == "ann@pms"
        async with db.write() as s:  # anyone's SQL: a membership gone, an account moved
            await s.execute(text("DELETE FROM membership WHERE person_id = 'ann'"))
        assert (await start(db_url, file))[2], "a membership deleted by hand: applied again"
        async with db.read() as s:
            project = await SqlWorkspace(s, default_locale="en").project("PUMP")
        assert project is not None and project.members == ("ann", "bob"), "the deleted membership came back"
        async with db.write() as s:  # a column the apply does not compare: no reason to apply again
            await s.execute(update(PersonRow).where(col(PersonRow.id) == "bob").values(active=False))
        assert not (await start(db_url, file))[2]
    finally:
        await db.dispose()


async def test_a_damaged_or_foreign_cache_is_ignored(db_url: str, tmp_path: Path) -> None:
    await migrated(db_url)
    file = people_file(tmp_path / "pmsbot.yaml", {"ann": "Ann"})
    config, parsed, _ = await start(db_url, file)
    assert parsed is not None
    db = Database(db_url)
    try:
        for data, data_sha256 in (('{"people": [{"id": "eve", "name": "Eve"}]}', None),  # not what was stored
                                  ('{"people": [', "{"), ("[]", "[]")):  # damaged, with their own sha256
            async with db.write() as s:
                values: dict[str, Any] = {"data": data}
                if data_sha256 is not None:
                    values["data_sha256"] = hashlib.sha256(data.encode()).hexdigest()
                await s.execute(update(ConfigFileRow).values(**values))
            stored = await asyncio.to_thread(cached_file, db_url, parsed.sha256)
            assert stored is None or data_sha256 is not None, data
            again, reread, _ = await start(db_url, file)
            assert again == config and reread is not None and reread.data is not None, "parsed from the file"
    finally:
        await db.dispose()
    assert await asyncio.to_thread(cached_file, db_url, parsed.sha256) is not None, "the file's own"
    assert await asyncio.to_thread(cached_file, db_url, "0" * 64) is None, "another file's bytes"
    assert cached_file(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}", parsed.sha256) is None, "no database yet"
    assert not (tmp_path / "none.db").exists(), "looking does not create a database"


async def test_the_environment_is_read_at_every_start_and_a_bad_value_is_named_by_line(sqlite_url: str,
                                                                                      tmp_path: Path) -> None:
    await migrated(sqlite_url)
    file = tmp_path / "pmsbot.yaml"
    file.write_text("people:\n  - id: ann\n    name: ${ANN_NAME}\n", encoding="utf-8")
    config, parsed, _ = await start(sqlite_url, file, env={"ANN_NAME": "Ann"})
    assert config.people[0].name == "Ann" and parsed is not None and parsed.data is not None
    assert "Ann" not in parsed.data, "the file's data is kept, not the environment's values"
    config, parsed, _ = await start(sqlite_url, file, env={"ANN_NAME": "Annie"})
    assert parsed is not None and parsed.data is None, "from the cache"
    assert config.people[0].name == "Annie"
    try:
        await start(sqlite_url, file, env={})
    except Exception as exc:  # ConfigError, with the line from the file itself
        assert "pmsbot.yaml" in str(exc) and ":3:" in str(exc) and "ANN_NAME" in str(exc), str(exc)
    else:
        raise AssertionError("an unset variable is an error")


async def test_without_its_triggers_a_database_never_skips(db_url: str, tmp_path: Path) -> None:
    await migrated(db_url)
    file = people_file(tmp_path / "pmsbot.yaml", {"ann": "Ann"})
    await start(db_url, file)
    assert not (await start(db_url, file))[2]
    db = Database(db_url)
    try:
        async with db.write() as s:
            assert await config_applied.triggers_in_place(s)
            name = "config_generation_person" + ("" if db.is_postgres else "_upd")
            await s.execute(text(f"DROP TRIGGER {name}" + (" ON person" if db.is_postgres else "")))
            assert not await config_applied.triggers_in_place(s)
    finally:
        await db.dispose()
    assert (await start(db_url, file))[2] and (await start(db_url, file))[2]


async def test_a_runtime_start_records_the_apply_and_the_file(sqlite_url: str, tmp_path: Path) -> None:
    file = people_file(tmp_path / "pmsbot.yaml", {"ann": "Ann"})
    config, parsed = load_config_file(file, env={})
    rt = Runtime(Settings(database_url=sqlite_url), config, parsed_file=parsed)
    try:
        await rt.open()
        async with rt.db.read() as s:
            row = (await s.execute(select(ConfigAppliedRow))).scalar_one()
            stored = (await s.execute(select(ConfigFileRow))).scalar_one()
        assert row.applied_generation == row.generation and row.applied_digest == config_applied.digest(config)
        assert parsed is not None and stored.sha256 == parsed.sha256
    finally:
        await rt.close()


def test_the_triggers_watch_what_the_migration_made_them_watch() -> None:
    path = next((migrate.MIGRATIONS_DIR / "versions").glob("0028_*.py"))
    spec = importlib.util.spec_from_file_location("m0028", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.WATCHED == config_applied.WATCHED
    from bot.store import sync

    assert set(sync.PERSON_FIELDS) | {"id", "pms_user_linked"} == set(config_applied.WATCHED["person"] or ())
    assert set(sync.PROJECT_FIELDS) | {"key"} == set(config_applied.WATCHED["project"] or ())


def test_cached_text_is_checked_like_the_file_and_yields_to_it(tmp_path: Path) -> None:
    file = tmp_path / "pmsbot.yaml"
    file.write_text("people:\n  - id: ann\n    name: Ann\n", encoding="utf-8")
    for text_of in ('{"people":[{"id":"ann","name":"A\\u0001"}]}',  # a control character: refused, as in a file
                    '{"people":[{"id":"ann","name":"${UNSET}"}]}',  # an unset reference
                    '{"people":[{"id":"ann","nmae":"Ann"}]}',  # what validation refuses
                    '{"people": ['):  # not JSON
        config, parsed = load_config_file(file, env={}, cached=lambda _sha, t=text_of: t)
        assert config.people[0].name == "Ann" and parsed is not None and parsed.data is not None, text_of
    config, parsed = load_config_file(file, env={"WHO": "Bea"},
                                      cached=lambda _sha: '{"people":[{"id":"ann","name":"${WHO}"}]}')
    assert config.people[0].name == "Bea" and parsed is not None and parsed.data is None
