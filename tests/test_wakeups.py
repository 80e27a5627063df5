"""The ack never waits for the work, and workers wake on new work instead of waiting for their next poll: in one
process (`pmsbot run`) by the inbox's signal, across processes on PostgreSQL by LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.clocks import SYSTEM_CLOCK
from bot.config import Settings
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.store.db import Database
from bot.store.write_lock import WriteLock
from notifiers.outbox import Envelope
from tests.conftest import demo_config, need, running_clock
from tests.fakes.slack import FakeSlack
from tests.platform_org import seeded
from tests.test_slack import CHANNEL, command, settings_for, slack_config
from tests.waiting import eventually

NEVER_S = 3600.0  # a poll interval no test outlives: work found in time was announced, not polled for


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


def event(n: int, text: str = "help") -> InboundEvent:
    return InboundEvent(platform="console", event_id=f"wake-{n}", kind="message", sender="bob", conversation="bob",
                        text=text, received_at=SYSTEM_CLOCK.now())


async def answered(rt: Runtime, inbox_id: int | None) -> bool:
    assert inbox_id is not None
    return await rt.inbox.state(inbox_id) == "done"


def never_polling(rt: Runtime) -> None:
    rt.dispatcher.poll_s = NEVER_S
    rt.delivery.poll_s = NEVER_S


# ---- the ack ------------------------------------------------------------------------------------------------------
async def test_the_slack_ack_returns_while_the_work_is_held(slack: FakeSlack, sqlite_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`pmsbot run`'s layout (the worker in the web process): the work is blocked until the test lets it go, and
    the slash command is acked all the same, at once and without words; the answer follows by the response_url."""
    config = slack_config(tmp_path)
    rt = await seeded(settings_for(slack, sqlite_url, config), config)  # its worker running
    gate, started = asyncio.Event(), asyncio.Event()
    run = rt.dispatcher.chat.run

    async def held(*args: Any, **kwargs: Any) -> str:
        started.set()
        await gate.wait()
        return await run(*args, **kwargs)

    monkeypatch.setattr(rt.dispatcher.chat, "run", held)
    try:
        async with TestClient(TestServer(build_app(rt))) as client:
            async with asyncio.timeout(5):  # promptly, though the work will not finish until the gate opens
                status, body, _ = await command(client, slack, "my")
            assert (status, body) == (200, "")
            await asyncio.wait_for(started.wait(), timeout=10)  # the worker has it, and is held
            assert await rt.inbox.pending_count() == 1
            assert not slack.messages(method="response_url")
            gate.set()

            async def replied() -> bool:
                return any(p.channel == CHANNEL and "PUMP-" in p.text for p in slack.messages(method="response_url"))
            await eventually(replied, what="the answer by the response_url once the work was let go")
    finally:
        gate.set()
        await rt.close()


# ---- in one process -----------------------------------------------------------------------------------------------
async def test_the_worker_in_the_process_wakes_on_each_stored_event(sqlite_url: str) -> None:
    rt = Runtime(Settings(database_url=sqlite_url), demo_config(), console=True, clock=running_clock())
    await rt.open()
    never_polling(rt)
    rt.start(("worker",))
    try:
        for n in range(5):  # each stored while the worker waits (after the first): only the signal can wake it
            accepted = await rt.inbox.accept(event(n))
            await eventually(lambda a=accepted: answered(rt, a.inbox_id), timeout_s=10,
                             what=f"event {n} handled with no poll due for an hour")
    finally:
        await rt.close()


async def test_an_ack_goes_ahead_of_the_transactions_workers_have_queued() -> None:
    lock, order = WriteLock(), []

    async def hold(name: str, *, urgent: bool = False) -> None:
        async with lock.held(urgent=urgent):
            order.append(name)
            await asyncio.sleep(0)  # a transaction's await, with the lock held

    async with lock.held():  # a worker's transaction in progress
        queued = [asyncio.create_task(hold(f"worker{i}")) for i in range(3)]
        await asyncio.sleep(0)
        cancelled = asyncio.create_task(hold("cancelled", urgent=True))
        acks = [asyncio.create_task(hold(f"ack{i}", urgent=True)) for i in range(2)]
        await asyncio.sleep(0)
        cancelled.cancel()
    await asyncio.gather(*queued, *acks)
    assert order == ["ack0", "ack1", "worker0", "worker1", "worker2"]
    async with asyncio.timeout(1):  # nothing left holding it; its holder may take it again inside
        async with lock.held(urgent=True), lock.held():
            pass


# ---- across processes: PostgreSQL's LISTEN/NOTIFY -------------------------------------------------------------------
@pytest.fixture
async def pg_url(pg_database: str | None) -> str:
    import os

    from tests.conftest import _reset_pg

    need(pg_database is not None,
         f"PostgreSQL on 127.0.0.1:5432 is not reachable: {os.environ.get('PMSBOT_TEST_PG_ERROR', '')}")
    assert pg_database is not None
    await _reset_pg(pg_database)
    url = pg_database.replace("postgresql://", "postgresql+asyncpg://", 1)
    from bot.store import migrate

    db = Database(url)
    await migrate.upgrade(db)
    await db.dispose()
    return url


async def test_a_worker_process_is_woken_by_notify(pg_url: str) -> None:
    """A web process (no worker) stores events and a clock process queues messages; the worker process has no
    poll due for an hour and handles both at once, woken by NOTIFY."""
    web = Runtime(Settings(database_url=pg_url), demo_config(), console=True, clock=running_clock())
    worker = Runtime(Settings(database_url=pg_url), demo_config(), console=True, clock=running_clock())
    await web.open()
    await worker.open()
    never_polling(worker)
    worker.start(("worker",))
    try:
        assert worker.listener is not None
        await asyncio.wait_for(worker.listener.listening.wait(), timeout=10)
        for n in range(3):
            accepted = await web.inbox.accept(event(n))
            assert not accepted.duplicate
            await eventually(lambda a=accepted: answered(worker, a.inbox_id), timeout_s=10,
                             what=f"event {n} from the web process handled by the worker process")
        async with web.db.write() as s:  # a clock process's message, stored unclaimed
            await web.outbox.enqueue(s, [Envelope(platform="console", target="bob", kind="help", locale="en",
                                                  data={"topic": "status"}, actions=[])], source_event=None, now=web.clock.now())

        async def sent() -> bool:
            return (await worker.outbox.counts()).get("sent", 0) >= 4  # three answers, and this one
        await eventually(sent, timeout_s=10, what="the clock's message delivered by the worker process")
    finally:
        await worker.close()
        await web.close()


async def test_a_broken_listen_connection_comes_back(pg_url: str) -> None:
    """The LISTEN connection is cut (a PostgreSQL restart, a proxy's idle timeout): the worker polls meanwhile,
    listens again after LISTEN_RETRY_S, and is woken by NOTIFY as before."""
    import asyncpg

    from bot.constants import LISTEN_RETRY_S

    web = Runtime(Settings(database_url=pg_url), demo_config(), console=True, clock=running_clock())
    worker = Runtime(Settings(database_url=pg_url), demo_config(), console=True, clock=running_clock())
    await web.open()
    await worker.open()
    never_polling(worker)
    worker.start(("worker",))
    admin = await asyncpg.connect(pg_url.replace("+asyncpg", ""), timeout=5)
    try:
        assert worker.listener is not None
        await asyncio.wait_for(worker.listener.listening.wait(), timeout=10)
        cut = await admin.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND query LIKE 'LISTEN%'")
        assert cut == 1

        async def deaf() -> bool:
            return worker.listener is not None and not worker.listener.listening.is_set()
        await eventually(deaf, what="the listener noticing its connection is gone")
        await asyncio.wait_for(worker.listener.listening.wait(), timeout=LISTEN_RETRY_S + 10)
        accepted = await web.inbox.accept(event(1))
        await eventually(lambda: answered(worker, accepted.inbox_id), timeout_s=10,
                         what="an event handled after the listener came back")
    finally:
        await admin.close()
        await worker.close()
        await web.close()


async def test_a_pooled_connection_the_server_closed_is_replaced(pg_url: str) -> None:
    """The pool keeps connections between transactions (no pre-ping round trip before each): one the server closed
    meanwhile (a restart, pg_terminate_backend) is not handed to the next transaction, which runs on a new one."""
    import asyncpg
    from sqlalchemy import text

    db = Database(pg_url)
    admin = await asyncpg.connect(pg_url.replace("+asyncpg", ""), timeout=5)
    try:
        async with db.write() as s:
            pid = (await s.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            pooled = (await (await s.connection()).get_raw_connection()).driver_connection
            assert pooled is not None
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)

        async def closed() -> bool:
            return bool(pooled.is_closed())
        await eventually(closed, what="the client seeing the server close its pooled connection")
        async with db.write() as s:  # without the checkout check: ConnectionDoesNotExistError
            assert (await s.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await admin.close()
        await db.dispose()
