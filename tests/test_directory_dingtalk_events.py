"""DingTalk address-book events (user_add_org, user_modify_org, user_leave_org) sync the people they name: stored in
the inbox on the ack path, then, when the worker runs, each read again from the DingTalk directory (the fake's
/topapi/v2/user/get) and applied as a Feishu contact event is; a leaver's approvals move, people of the
configuration file are kept; hostile or unknown events change nothing. (The HTTP push: test_dingtalk_event_push.py.)
Event payloads (headers eventType, eventId; data.userId a list of user ids):
https://developers.dingtalk.com/document/orgapp/user-activation-after-joining-the-enterprise-stream
and https://apifox.com/apidoc/shared/f9b55f1e-e990-49ad-ad32-4243d72b3245/doc-3472992."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.config import Config, PersonConfig, ProjectConfig, Settings
from bot.platforms.dingtalk import DingTalkAdapter
from bot.platforms.dingtalk_stream import StreamConnection
from bot.runtime import Runtime
from bot.store.models import ApprovalRow, InboxRow, PersonRow
from bot.store.workspace import SqlWorkspace
from tests.conftest import running_clock
from tests.fakes import dingtalk as gateway
from tests.fakes.directories import DirectoryFake, Someone
from tests.test_directory import Gated, org, sources
from tests.waiting import eventually


@pytest.fixture
def sqlite_url(migrated_sqlite_url: str) -> str:
    return migrated_sqlite_url


@pytest.fixture
async def fake() -> AsyncIterator[DirectoryFake]:
    server = DirectoryFake()
    org(server)
    await server.start()
    yield server
    await server.stop()


async def _runtime(url: str, fake: DirectoryFake, config: Config) -> tuple[Runtime, DingTalkAdapter]:
    from bot.app import platform_adapters

    settings = Settings(database_url=url, dingtalk_client_id="ding-dir",
                        dingtalk_client_secret=SecretStr("dingtalk-secret"), dingtalk_api_base=fake.base,
                        dingtalk_oapi_base=fake.base)
    rt = Runtime(settings, config, console=True, clock=running_clock())
    await rt.open()
    adapter = next(a for a in platform_adapters(rt) if isinstance(a, DingTalkAdapter))
    return rt, adapter


_sent = itertools.count()


async def deliver(rt: Runtime, adapter: DingTalkAdapter, kind: str, data: dict[str, Any],
                  event_id: str | None = None) -> None:
    """An event as the stream hands it over, then the worker's turn (which applies it, after the ack)."""
    await adapter.event(kind, data, event_id or f"ev-{next(_sent)}")
    await rt.dispatcher.run_once()


async def _people(rt: Runtime) -> dict[str, tuple[str, bool]]:
    async with rt.db.read() as s:
        return {r.id: (r.name, r.active) for r in (await s.execute(select(PersonRow))).scalars().all()}


def _config() -> Config:
    return Config(people=(PersonConfig(id="pm", name="PM", roles=("pm",)), PersonConfig(id="req", name="Requester"),
                          PersonConfig(id="dev6", name="Dev Six", email="dev6@corp.cn")),
                  projects=(ProjectConfig(key="PUMP", name="Pump", members=("pm", "req")),),
                  directory=sources("dingtalk"))


async def test_each_event_changes_that_one_person(fake: DirectoryFake, sqlite_url: str) -> None:
    rt, adapter = await _runtime(sqlite_url, fake, _config())
    try:
        await rt.directory_sync.sync(progress=lambda line: None, actor="test")
        async with rt.db.write() as s:
            approval = await SqlWorkspace(s, default_locale="en").create_approval(
                project="PUMP", requester="req", approvers=("dev4",), subject="New pump", amount=Decimal("48000.00"),
                origin="chat", now=rt.clock.now())
        tokens = fake.pages["dingtalk_token"]
        fake.people[2].name = "Dev Three"
        for _ in range(2):  # a redelivery changes nothing more
            await deliver(rt, adapter, "user_modify_org", event_id="ev-modify-u3", data={
                "timeStamp": "1684467623381", "optStaffId": "u1", "userId": ["u3"],
                "diffInfo": [{"userid": "u3", "prev": {"name": "Dev 3"}, "curr": {"name": "Dev Three"}}]})
        fake.people.append(Someone(n=77, name="New Hire", email="new@corp.cn", employee_id="E77", dept="4", manager=2))
        await deliver(rt, adapter, "user_add_org", {"userId": ["u77"]})
        fake.people[3].active = fake.people[5].active = False  # dev4 and dev6 (in the file) left
        await deliver(rt, adapter, "user_leave_org", {"userId": ["u4", "u6"]})
        found = await _people(rt)
        assert found["dev3"] == ("Dev Three", True) and found["new"] == ("New Hire", True)
        assert found["dev4"][1] is False and found["dev6"][1] is True  # the file's people are never deactivated
        async with rt.db.read() as s:
            row = await s.get(ApprovalRow, approval.id)
            assert row is not None and row.approvers == ["lead"]  # the leaver's approval went to their manager
        # Unknown ids: the directory has no such user, nobody we know: nothing changes.
        before = await _people(rt)
        for kind in ("user_add_org", "user_modify_org", "user_leave_org"):
            await deliver(rt, adapter, kind, {"userId": ["u999"]})
        assert await _people(rt) == before
        assert fake.pages["dingtalk_token"] == tokens + 1  # one client and token for all these events
        fake.dingtalk_tokens.clear()  # two hours on: the kept client's token expired, it asks for a new one
        fake.people[2].name = "Dev Trois"
        await deliver(rt, adapter, "user_modify_org", {"userId": ["u3"]})
        assert (await _people(rt))["dev3"] == ("Dev Trois", True) and fake.pages["dingtalk_token"] == tokens + 2
    finally:
        await rt.close()


async def test_the_ack_does_not_wait_for_the_directory_write(fake: DirectoryFake, sqlite_url: str) -> None:
    """The event is in the inbox when the handler returns (the stream acks then); the worker reads DingTalk and
    writes the person afterwards: here held at a gate until the ack has long gone."""
    rt, adapter = await _runtime(sqlite_url, fake, Config(directory=sources("dingtalk")))
    try:
        await rt.directory_sync.sync(progress=lambda line: None, actor="test")
        gated = Gated(rt.directory_sync)
        rt.dispatcher.directory.changes = gated
        rt.start(("worker",))
        fake.people[2].name = "Dev Three"
        await asyncio.wait_for(adapter.event("user_modify_org", {"userId": ["u3"]}, "ev-gated"), 5)
        await asyncio.wait_for(gated.entered.wait(), 10)  # the worker has it, and waits at the gate
        assert (await _people(rt))["dev3"] == ("Dev 3", True)  # acked, not yet written
        gated.gate.set()

        async def renamed() -> bool:
            return (await _people(rt))["dev3"][0] == "Dev Three"
        await eventually(renamed, what="dev3 renamed by the worker")
    finally:
        await rt.close()


@pytest.mark.parametrize("data", [
    {}, {"userId": 42}, {"userId": None}, {"userId": {"a": 1}}, {"userId": [None, 3, {"x": 1}, ["u3"]]},
    {"userId": ["a" * 500, "../../etc/passwd", "u3\n", "<script>", ""]},
    {"userId": [f"u{i}" for i in range(1, 200)]},  # more than one event may name: the next full sync
    {"UserId": "u3 OR 1=1"},
])
async def test_hostile_payloads_are_ignored(fake: DirectoryFake, sqlite_url: str, data: dict[str, Any],
                                            caplog: pytest.LogCaptureFixture) -> None:
    rt, adapter = await _runtime(sqlite_url, fake, Config(directory=sources("dingtalk")))
    try:
        await rt.directory_sync.sync(progress=lambda line: None, actor="test")
        before = await _people(rt)
        fake.people[2].name = "Changed"
        fake.people[2].active = False
        with caplog.at_level(logging.INFO):
            for kind in ("user_modify_org", "user_leave_org", "org_dept_create", "", "x" * 10_000):
                await deliver(rt, adapter, kind, data)
            await deliver(rt, adapter, "org_dept_create", {"userId": ["u3"]})  # not a user event: ignored
            await deliver(rt, adapter, "user_modify_org", {"userId": ["u4"]}, "\x00" * 500)  # a junk event id: hashed
        assert await _people(rt) == before  # u3 changed in the directory: a read of it would show
        async with rt.db.read() as s:
            assert "contact:" + hashlib.sha256(b"\x00" * 500).hexdigest()[:32] + ":u4" in [
                r.event_id for r in (await s.execute(select(InboxRow))).scalars()]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    finally:
        await rt.close()


async def test_without_a_dingtalk_source_events_are_ignored(fake: DirectoryFake, sqlite_url: str) -> None:
    rt, adapter = await _runtime(sqlite_url, fake, Config())
    try:
        fake.people.append(Someone(n=77, name="New Hire", email="new@corp.cn", employee_id="E77", dept="4"))
        await deliver(rt, adapter, "user_add_org", {"userId": ["u77"]})
        assert await _people(rt) == {} and fake.calls == 0
    finally:
        await rt.close()


async def test_events_arrive_through_the_stream_and_are_acked(fake: DirectoryFake, sqlite_url: str) -> None:
    """The fake stream gateway: the bot subscribes to EVENT frames, each is handed over and acked SUCCESS;
    malformed data is acked too; a handler that fails asks for a redelivery (LATER)."""
    server = gateway.FakeDingTalk()
    await server.start()
    rt, adapter = await _runtime(sqlite_url, fake, Config(directory=sources("dingtalk")))
    await rt.directory_sync.sync(progress=lambda line: None, actor="test")
    seen: list[tuple[str, dict[str, Any]]] = []
    ids: list[str] = []
    rt.start(("worker",))  # the events' inbox rows are applied by the worker, after the ack

    async def handle_event(kind: str, data: dict[str, Any], event_id: str) -> None:
        seen.append((kind, data))
        ids.append(event_id)
        if kind == "boom":
            raise RuntimeError("the store is down")
        await adapter.event(kind, data, event_id)

    async def handle(topic: str, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return {}

    stream = StreamConnection(base=server.base, client_id=gateway.CLIENT_ID, client_secret=gateway.CLIENT_SECRET,
                              handle=handle, handle_event=handle_event)
    stop = asyncio.Event()
    task = asyncio.create_task(stream.run(stop))
    try:
        await server.wait_connected()
        assert ("EVENT", "*") in server.subscriptions
        fake.people[2].name = "Dev Three"

        async def push(kind: str, data: Any, event_id: str | None = None) -> dict[str, Any]:
            ack = await server.push("*", data, kind="EVENT", headers={
                "eventType": kind, "eventId": event_id or f"ev-{len(seen)}", "eventCorpId": "ding-corp",
                "eventBornTime": "1"})
            assert ack is not None and ack["code"] == 200
            return dict(ack["data"])

        assert (await push("user_modify_org", {"userId": ["u3"]}))["status"] == "SUCCESS"
        assert (await push("user_modify_org", {"userId": "not a list"}))["status"] == "SUCCESS"
        assert (await push("user_leave_org", ["not", "an", "object"]))["status"] == "SUCCESS"
        assert (await push("boom", {"userId": ["u3"]}))["status"] == "LATER"

        async def renamed() -> bool:
            await rt.dispatcher.run_once()  # the worker of this test: the stream only stored the event
            return (await _people(rt))["dev3"][0] == "Dev Three"
        await eventually(renamed, what="dev3 renamed by the stream event")
        assert seen[2] == ("user_leave_org", {})  # data that is not an object reaches the handler as {}
        assert ids[:2] == ["ev-0", "ev-1"]  # the event's own id (headers.eventId): redeliveries are one
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await rt.close()
        await server.stop()


async def test_a_directory_that_refuses_changes_nothing(fake: DirectoryFake, sqlite_url: str,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    from bot.directory.dingtalk import DingTalkDirectory

    rt, adapter = await _runtime(sqlite_url, fake, Config(directory=sources("dingtalk")))
    try:
        await rt.directory_sync.sync(progress=lambda line: None, actor="test")
        before = await _people(rt)
        rt.directory_sync.directories = lambda names: [DingTalkDirectory(
            "dingtalk", api_base=fake.base, oapi_base=fake.base, client_id="ding-dir", client_secret="wrong",
            timeout_s=5)]
        fake.people[2].name = "Dev Three"
        with caplog.at_level(logging.WARNING):
            await deliver(rt, adapter, "user_modify_org", {"userId": ["u3"]})
            await deliver(rt, adapter, "user_leave_org", {"userId": ["u3"]})  # unreadable is not "left": kept
        assert await _people(rt) == before
        assert any("token refused" in r.getMessage() for r in caplog.records)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    finally:
        await rt.close()
