"""Two `pmsbot clock` processes on the real PostgreSQL: one is active; SIGKILL it and the other takes over."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from tests.conftest import _reset_pg, need

pytestmark = pytest.mark.slow
TAKEOVER_TIMEOUT_S = 30.0


async def wait_for_line(stream: asyncio.StreamReader, needle: str, timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"process ended before saying {needle!r}")
            if needle in line.decode(errors="replace"):
                return


async def clock(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "clock", env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def holders(url: str) -> int:
    import asyncpg

    from bot.store.leader import CLOCK_LOCK_KEY

    conn = await asyncpg.connect(url, timeout=5)
    try:
        # A bigint advisory key shows up split into its high (classid) and low (objid) 32 bits.
        return int(await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = $1 AND objid = $2", CLOCK_LOCK_KEY >> 32, CLOCK_LOCK_KEY & 0xFFFFFFFF))
    finally:
        await conn.close()


async def test_one_active_clock_and_takeover_after_sigkill(pg_database: str | None) -> None:
    need(pg_database is not None, "PostgreSQL on 127.0.0.1:5432 is not reachable")
    assert pg_database is not None
    await _reset_pg(pg_database)
    env = dict(os.environ)
    env.pop("PMSBOT_CONFIG", None)
    env.update(DATABASE_URL=pg_database, PMSBOT_LOG_LEVEL="INFO")
    upgrade = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "db", "upgrade", env=env,
                                                   stdout=asyncio.subprocess.DEVNULL)
    assert await upgrade.wait() == 0
    first = await clock(env)
    second: asyncio.subprocess.Process | None = None
    try:
        assert first.stderr is not None
        await wait_for_line(first.stderr, "this clock is now the active one", TAKEOVER_TIMEOUT_S)
        second = await clock(env)
        assert second.stderr is not None
        await wait_for_line(second.stderr, "another clock is active; standing by", TAKEOVER_TIMEOUT_S)
        assert await holders(pg_database) == 1
        first.send_signal(signal.SIGKILL)
        await first.wait()
        await wait_for_line(second.stderr, "this clock is now the active one", TAKEOVER_TIMEOUT_S)
        assert await holders(pg_database) == 1
    finally:
        for proc in (first, second):
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
