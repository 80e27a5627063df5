"""Shared fixtures: databases (SQLite file, and the real PostgreSQL on 127.0.0.1:5432) and a seeded runtime."""

from __future__ import annotations

import asyncio
import os
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.calls import METER
from bot.clocks import SYSTEM_CLOCK, FakeClock
from bot.config import Config, Settings
from bot.runtime import Runtime
from bot.store import migrate
from bot.store.db import Database

pytest_plugins = ["tests.redmine_server", "tests.ldap_server"]

PG_ADMIN_DSN = os.environ.get("PMSBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shard", default=None, metavar="K/N",
                     help="run only the K-th of N stable slices of the suite (0 <= K < N), by each test's id; the "
                          "date canary (.ci/run) runs one slice a day")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = config.getoption("--shard")
    if not shard:
        return
    k, _, n = str(shard).partition("/")
    if not (k.isdigit() and n.isdigit() and 0 <= int(k) < int(n)):
        raise pytest.UsageError(f"--shard takes K/N with 0 <= K < N, not {shard!r}")
    kept = [i for i in items if zlib.crc32(i.nodeid.encode()) % int(n) == int(k)]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


def need(condition: bool, reason: str) -> None:
    """Skip locally when a real service is missing; under CI a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def _schema_from_a_dump() -> Iterator[None]:
    """Empty test databases get the schema at head from a per-process dump of the real migrations
    (tests/schema_cache.py): the same schema, without Alembic's cost in every test."""
    from tests import schema_cache

    if os.environ.get("PMSBOT_TEST_SCHEMA_DUMP") == "0":  # every database through Alembic, as before
        yield
        return
    real = migrate.upgrade
    migrate.upgrade = schema_cache.patch(real, _pg_admin, PG_ADMIN_DSN)  # type: ignore[assignment]
    yield
    migrate.upgrade = real  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _calls_of_this_test_only() -> None:
    """The call meter is one per process (bot/calls.py): a test starts without the calls earlier tests made in this
    worker process, which a flush would otherwise count in this test's SLA figures."""
    METER.take()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A throwaway database on the machine's PostgreSQL for this test session, or None if unreachable."""
    name = f"pmsbot_test_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable server: tests decide whether that skips or fails
        os.environ["PMSBOT_TEST_PG_ERROR"] = f"{type(exc).__name__}: {exc}"
        yield None
        return
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _reset_pg(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_database: str | None) -> str:
    """The same test runs on SQLite and on the real PostgreSQL, each starting from an empty schema."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    need(pg_database is not None,
         f"PostgreSQL on 127.0.0.1:5432 is not reachable: {os.environ.get('PMSBOT_TEST_PG_ERROR', '')}")
    assert pg_database is not None
    await _reset_pg(pg_database)
    return pg_database.replace("postgresql://", "postgresql+asyncpg://", 1)


async def _migrated(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    await migrate.upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    async for database in _migrated(db_url):
        yield database


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    """A migrated SQLite database, for tests about our own logic rather than the backend."""
    async for database in _migrated(sqlite_url):
        yield database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'pmsbot.db'}"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session: copy it (`migrated_sqlite_url`) instead of migrating again."""
    path = tmp_path_factory.mktemp("migrated") / "template.db"

    async def make() -> None:
        async for _ in _migrated(f"sqlite+aiosqlite:///{path}"):
            pass
    asyncio.run(make())
    return path


@pytest.fixture
def migrated_sqlite_url(migrated_sqlite: Path, tmp_path: Path) -> str:
    """A fresh copy of the migrated database: at the current schema, empty, in milliseconds."""
    import shutil

    shutil.copy(migrated_sqlite, tmp_path / "migrated.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"


def running_clock(request: pytest.FixtureRequest | None = None) -> FakeClock:
    """A clock a test may set: from the instant of its `@pytest.mark.clock(datetime)` (before anything is
    seeded), else from the machine's time; `set_clock` moves it later. It runs on at normal speed."""
    marker = request.node.get_closest_marker("clock") if request is not None else None
    return FakeClock(marker.args[0] if marker else SYSTEM_CLOCK.now(), ticking=True)


def set_clock(rt: Runtime, at: datetime) -> None:
    """Put the runtime's clock at `at`: every part of it (leases, due times, business dates) moves together."""
    assert isinstance(rt.clock, FakeClock), "build the Runtime with clock=running_clock()"
    rt.clock.set(at)


def demo_config() -> Config:
    from bot.demo.seed import demo_config as load

    return load()


@pytest.fixture
async def rt(sqlite_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    """A seeded demo runtime on SQLite; workers are driven by the test (bot.say.drain), not started."""
    from bot.demo.seed import seed

    runtime = Runtime(Settings(database_url=sqlite_url), demo_config(), console=True, clock=running_clock(request))
    await runtime.open()
    await seed(runtime)
    yield runtime
    await runtime.close()


@pytest.fixture
async def rt_any(db_url: str) -> AsyncIterator[Runtime]:
    """The seeded demo runtime on each backend."""
    from bot.demo.seed import seed

    runtime = Runtime(Settings(database_url=db_url), demo_config(), console=True, clock=running_clock())
    await migrate.upgrade(runtime.db)
    await runtime.open()
    await seed(runtime)
    yield runtime
    await runtime.close()
