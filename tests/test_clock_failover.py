"""Two `pmsbot clock` processes on the real PostgreSQL: one is active; SIGKILL it and the other takes over, and no
standup prompt is lost or sent twice, even when the first died before recording the minute it handled."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clocks import SYSTEM_CLOCK
from tests.conftest import _reset_pg, need

pytestmark = pytest.mark.slow
TAKEOVER_TIMEOUT_S = 30.0
STOP_GRACE_S = 10.0


@dataclass
class Clock:
    """A `pmsbot clock` process whose stderr is read all the time (a full pipe would stall its logging, and its
    shutdown with it), so a failure can show what it said."""

    proc: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    said: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.lines.append(line.decode(errors="replace"))
            self.said.set()

    async def wait_for_line(self, needle: str, timeout_s: float, *, after: int = 0) -> int:
        """Wait until a line from index `after` on holds `needle`; return the index after it."""
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    for i in range(after, len(self.lines)):
                        if needle in self.lines[i]:
                            return i + 1
                    if self.reader is not None and self.reader.done():
                        raise AssertionError(f"the clock ended before saying {needle!r}:\n{self.tail()}")
                    self.said.clear()
                    await self.said.wait()
        except TimeoutError:
            raise AssertionError(f"no {needle!r} within {timeout_s} s; the clock said:\n{self.tail()}") from None

    def tail(self) -> str:
        return "".join(self.lines[-30:])

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_GRACE_S):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self.reader is not None:
            await self.reader


async def clock(env: dict[str, str]) -> Clock:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "clock", env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    started = Clock(proc)
    started.reader = asyncio.create_task(started._read())
    started.said.set()  # the first wait looks at what is there
    return started


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


async def eventually_pg(check: object, timeout_s: float, what: str, said_by: Clock) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while not await check():  # type: ignore[operator]  # noqa: ASYNC110 - the state is in another process
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"no {what} within {timeout_s} s; the clock said:\n{said_by.tail()}") from None


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
    # Marked as ticked up to the minute before the standup: however long these processes take to start on a loaded
    # machine, the standup minute is then due (late, caught up once), never silently in the past.
    await query(pg_database, "INSERT INTO clock_state (name, last_tick) VALUES ('main', $1)",
                minute - timedelta(minutes=1))
    first = await clock(env)
    second: Clock | None = None
    try:
        await first.wait_for_line("this clock is now the active one", TAKEOVER_TIMEOUT_S)
        second = await clock(env)
        seen = await second.wait_for_line("another clock is active; standing by", TAKEOVER_TIMEOUT_S)
        assert await holders(pg_database) == 1

        async def prompted() -> bool:
            return await prompts(pg_database) == 3
        await eventually_pg(prompted, 90.0, "prompts from the first clock", first)
        first.proc.send_signal(signal.SIGKILL)
        await first.proc.wait()
        # As if the first died after sending but before recording the minute: the next clock handles it again.
        await query(pg_database, "UPDATE clock_state SET last_tick = $1", minute - timedelta(minutes=2))
        await second.wait_for_line("this clock is now the active one", TAKEOVER_TIMEOUT_S, after=seen)
        assert await holders(pg_database) == 1

        async def caught_up() -> bool:
            last = await query(pg_database, "SELECT last_tick FROM clock_state")
            return isinstance(last, datetime) and last >= minute  # a tick after the reset: it re-ran the minute
        await eventually_pg(caught_up, 90.0, "tick of the second clock past the standup minute", second)
        assert await prompts(pg_database) == 3, "no prompt sent twice"
        once = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "clock", "--once", "--at",
                                                    minute.isoformat(), env=env, stdout=asyncio.subprocess.DEVNULL)
        assert await once.wait() == 0
        assert await prompts(pg_database) == 3, "an operator's rerun of that minute sends nothing either"
    finally:
        for started in (first, second):
            if started is not None:
                await started.stop()
