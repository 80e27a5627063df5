"""A process killed with SIGKILL right after it acknowledged events processes them after restart, once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.constants import INBOX_LEASE_S
from bot.store.db import Database
from bot.store.models import InboxRow, ProgressRow
from tests.waiting import eventually

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PMSBOT_CONFIG", None)  # no file in the working directory: the built-in defaults
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{db_path}", PMSBOT_CONSOLE="1", PMSBOT_LOG_LEVEL="WARNING")
    return env


async def start(role: str, db_path: Path, port: int) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", role, "--port", str(port), env=env_for(db_path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, cwd=db_path.parent,
    )
    async with aiohttp.ClientSession() as http:

        async def healthy() -> bool:
            if proc.returncode is not None:
                raise AssertionError(f"{role} exited: {(await proc.stderr.read()).decode()}")  # type: ignore[union-attr]
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientConnectionError:
                return False

        await eventually(healthy, timeout_s=30, what=f"pmsbot {role} to answer /healthz")
    return proc


async def kill(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGKILL)
    await proc.wait()


async def seed(db_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "demo", "--seed-only",
                                                env=env_for(db_path), stdout=asyncio.subprocess.DEVNULL)
    assert await proc.wait() == 0


async def count(db_path: Path, note_prefix: str) -> int:
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        async with db.read() as s:
            q = select(func.count()).select_from(ProgressRow).where(col(ProgressRow.note).startswith(note_prefix))
            return int((await s.execute(q)).scalar_one())
    finally:
        await db.dispose()


async def wait_processed(db_path: Path, prefix: str, expected: int, timeout_s: float = 30) -> None:
    async def done() -> bool:
        return await count(db_path, prefix) >= expected

    await eventually(done, timeout_s=timeout_s, what=f"{expected} progress rows '{prefix}'")


async def test_web_killed_after_ack_then_worker_processes_once(tmp_path: Path) -> None:
    db_path = tmp_path / "kill.db"
    await seed(db_path)
    port = free_port()
    web = await start("web", db_path, port)
    try:
        async with aiohttp.ClientSession() as http:
            r = await http.post(f"http://127.0.0.1:{port}/console/api/messages",
                                json={"person": "bob", "text": "PUMP-4 65% 断电前", "client_id": "k-1"})
            assert r.status == 202
    finally:
        await kill(web)
    assert await count(db_path, "断电前") == 0, "the web role only stores; nothing was processed yet"

    port = free_port()
    run = await start("run", db_path, port)
    try:
        await wait_processed(db_path, "断电前", 1)
        async with aiohttp.ClientSession() as http:
            # The platform retries the same delivery after the crash: acknowledged, not applied again.
            r = await http.post(f"http://127.0.0.1:{port}/console/api/messages",
                                json={"person": "bob", "text": "PUMP-4 65% 断电前", "client_id": "k-1"})
            assert (await r.json())["duplicate"] is True
            async def replied() -> bool:
                feed = await (await http.get(f"http://127.0.0.1:{port}/console/api/feed?person=bob")).json()
                return any("已记录 PUMP-4" in m["text"] for m in feed["messages"])

            await eventually(replied, what="bob's confirmation in the console feed")
    finally:
        await kill(run)
    assert await count(db_path, "断电前") == 1


async def test_run_killed_mid_burst_loses_nothing_acked(tmp_path: Path) -> None:
    db_path = tmp_path / "burst.db"
    await seed(db_path)
    port = free_port()
    run = await start("run", db_path, port)
    acked: list[int] = []

    async def post(http: aiohttp.ClientSession, i: int) -> None:
        try:
            async with http.post(f"http://127.0.0.1:{port}/console/api/messages",
                                 json={"person": "bob", "text": f"PUMP-7 +1h burst-{i:02d}", "client_id": f"b-{i}"}
                                 ) as r:
                if r.status == 202:
                    acked.append(i)
                    if len(acked) == 5:
                        run.send_signal(signal.SIGKILL)
        except aiohttp.ClientError:
            pass  # the process died before answering: not acknowledged, so nothing is promised

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(post(http, i) for i in range(30)))
    await run.wait()
    assert len(acked) >= 5

    port = free_port()
    again = await start("run", db_path, port)
    try:
        db = Database(f"sqlite+aiosqlite:///{db_path}")
        async def drained() -> bool:
            async with db.read() as s:
                q = select(func.count()).select_from(InboxRow).where(col(InboxRow.state) == "pending")
                return int((await s.execute(q)).scalar_one()) == 0

        try:
            # Events the killed worker had claimed become due again when their lease runs out.
            await eventually(drained, timeout_s=INBOX_LEASE_S + 30, what="every stored event handled")
        finally:
            await db.dispose()
    finally:
        await kill(again)
    for i in acked:
        assert await count(db_path, f"burst-{i:02d}") == 1, f"acked message {i} applied once"
    for i in range(30):
        assert await count(db_path, f"burst-{i:02d}") <= 1, f"message {i} applied at most once"


async def test_sigterm_stops_cleanly_and_keeps_every_acked_event(tmp_path: Path) -> None:
    db_path = tmp_path / "term.db"
    await seed(db_path)
    port = free_port()
    run = await start("run", db_path, port)
    async with aiohttp.ClientSession() as http:
        for i in range(5):
            r = await http.post(f"http://127.0.0.1:{port}/console/api/messages",
                                json={"person": "bob", "text": f"PUMP-7 +1h term-{i}", "client_id": f"t-{i}"})
            assert r.status == 202
    run.send_signal(signal.SIGTERM)
    async with asyncio.timeout(20):
        assert await run.wait() == 0
    for i in range(5):
        assert await count(db_path, f"term-{i}") == 1


async def test_demo_serves_the_console_on_a_fresh_directory(tmp_path: Path) -> None:
    port = free_port()
    demo = await start("demo", tmp_path / "pmsbot-demo.db", port)
    try:
        async with aiohttp.ClientSession() as http:
            page = await (await http.get(f"http://127.0.0.1:{port}/console")).text()
            assert "王波" in page and "刘芳" in page
            feed = await (await http.get(f"http://127.0.0.1:{port}/console/api/feed?person=carol")).json()
            card = [m for m in feed["messages"] if m.get("card_ref") == "approval:1"]
            assert card and [b["id"] for b in card[0]["buttons"]] == ["approve", "reject"], "the pending approval"
            r = await http.post(f"http://127.0.0.1:{port}/console/api/actions",
                                json={"person": "carol", "action": "approve", "value": "1", "client_id": "d1"})
            assert r.status == 202

            async def card_updated() -> bool:
                url = f"http://127.0.0.1:{port}/console/api/messages/{card[0]['id']}"
                msg = await (await http.get(url)).json()
                return "已同意" in msg["text"] and msg["buttons"] == []

            await eventually(card_updated, what="the approval card to show the decision")
    finally:
        demo.send_signal(signal.SIGTERM)
        assert await demo.wait() == 0
