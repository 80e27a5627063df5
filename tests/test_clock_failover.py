"""Two `pmsbot clock` processes on the real PostgreSQL: one is active; SIGKILL it and the other takes over, and no
standup prompt is lost or sent twice, even when the first died before recording the minute it handled."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clocks import SYSTEM_CLOCK
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
            # Advisory locks live per database: count this test's own, not another session's on the server.
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = $1 AND objid = $2", CLOCK_LOCK_KEY >> 32, CLOCK_LOCK_KEY & 0xFFFFFFFF))
    finally:
        await conn.close()


async def query(url: str, sql: str, *args: object) -> object:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def prompts(url: str) -> int:
    return int(str(await query(url, "SELECT count(*) FROM outbox WHERE kind = 'standup_prompt'")))


async def eventually_pg(check: object, timeout_s: float, what: str) -> None:
    async with asyncio.timeout(timeout_s):
        while not await check():  # type: ignore[operator]  # noqa: ASYNC110 - the state is in another process
            await asyncio.sleep(0.1)


def standup_now(tmp_path: Path) -> tuple[Path, datetime]:
    """Three people with a daily standup at this minute (UTC), or the next when this one is nearly over."""
    now = SYSTEM_CLOCK.now().astimezone(UTC)
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1 if now.second >= 45 else 0)
    config = tmp_path / "pmsbot.yaml"
    config.write_text(f"""
locale: en
timezone: UTC
people:
  - {{id: ann, name: Ann}}
  - {{id: ben, name: Ben}}
  - {{id: cyd, name: Cyd}}
projects:
  - {{key: FAIL, name: Failover, members: [ann, ben, cyd]}}
standups:
  - {{name: daily, project: FAIL, members: [ann, ben, cyd], at: "{minute:%H:%M}", timezone: UTC, days: daily,
      calendar: none}}
""", encoding="utf-8")
    return config, minute


async def test_one_active_clock_and_takeover_after_sigkill(pg_database: str | None, tmp_path: Path) -> None:
    need(pg_database is not None, "PostgreSQL on 127.0.0.1:5432 is not reachable")
    assert pg_database is not None
    await _reset_pg(pg_database)
    config, minute = standup_now(tmp_path)
    env = dict(os.environ)
    env.update(DATABASE_URL=pg_database, PMSBOT_LOG_LEVEL="INFO", PMSBOT_CONFIG=str(config))
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

        async def prompted() -> bool:
            return await prompts(pg_database) == 3
        await eventually_pg(prompted, 90.0, "the first clock's prompts")
        first.send_signal(signal.SIGKILL)
        await first.wait()
        # As if the first died after sending but before recording the minute: the next clock handles it again.
        await query(pg_database, "UPDATE clock_state SET last_tick = $1", minute - timedelta(minutes=2))
        await wait_for_line(second.stderr, "this clock is now the active one", TAKEOVER_TIMEOUT_S)
        assert await holders(pg_database) == 1

        async def caught_up() -> bool:
            last = await query(pg_database, "SELECT last_tick FROM clock_state")
            return isinstance(last, datetime) and last >= minute  # a tick after the reset: it re-ran the minute
        await eventually_pg(caught_up, 90.0, "the second clock past the standup minute")
        assert await prompts(pg_database) == 3, "no prompt sent twice"
        once = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "clock", "--once", "--at",
                                                    minute.isoformat(), env=env, stdout=asyncio.subprocess.DEVNULL)
        assert await once.wait() == 0
        assert await prompts(pg_database) == 3, "an operator's rerun of that minute sends nothing either"
    finally:
        for proc in (first, second):
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
