"""Feishu Approval linked to an approval chain, end to end: the runtime's Feishu app creates the instance (form as
a JSON string, the requester's open_id), approval.instance.status_changed_v4 at the event route is stored once per
instance and decides the request once; the poll reads a status when no event came; hostile events change
nothing. The bot subscribes to each approval definition once (Feishu pushes nothing otherwise), and a create that
keeps failing is given up after ENGINE_CREATE_GIVE_UP_S, as a refusal."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import func, select

from bot import chains
from bot.app import build_app
from bot.config import Config, PersonConfig, ProjectConfig, Settings
from bot.config.approvals import ApprovalChainsConfig
from bot.constants import ENGINE_CREATE_GIVE_UP_S
from bot.runtime import Runtime
from bot.store.identities import IdentityStore
from bot.store.models import ApprovalRow, InboxRow, OutboxRow
from bot.store.workspace import SqlWorkspace
from tests.conftest import running_clock
from tests.fakes.feishu_approval import FakeFeishuApproval

Client = TestClient  # type: ignore[type-arg]
VTOKEN = "vtoken"


def _config(code: str) -> Config:
    chains_config = ApprovalChainsConfig.model_validate({"rules": [{
        "name": "oa", "steps": [{"name": "PM", "approvers": ["pm"]}],
        "engine": {"kind": "feishu_approval", "approval_code": code, "form_field": "widget-reason"}}]})
    return Config(people=(PersonConfig(id="pm", name="PM", roles=("pm",)), PersonConfig(id="req", name="Requester")),
                  projects=(ProjectConfig(key="PUMP", name="Pump", members=("pm", "req"), approvers=("pm",)),),
                  approval_chains=chains_config)


async def _serve(url: str, code: str) -> AsyncIterator[tuple[Runtime, Client, FakeFeishuApproval]]:
    fake = FakeFeishuApproval()
    await fake.start()
    settings = Settings(database_url=url, feishu_app_id="cli_oa", feishu_app_secret=SecretStr("feishu-secret"),
                        feishu_verification_token=SecretStr(VTOKEN), feishu_api_base=fake.base)
    rt = Runtime(settings, _config(code), console=False, clock=running_clock())
    await rt.open()
    await IdentityStore(rt.db).bind(platform="feishu", account="ou_req", person_id="req", source="test")
    async with TestClient(TestServer(build_app(rt))) as client:
        yield rt, client, fake
    await rt.close()
    await fake.stop()


@pytest.fixture
async def served(migrated_sqlite_url: str) -> AsyncIterator[tuple[Runtime, Client, FakeFeishuApproval]]:
    async for one in _serve(migrated_sqlite_url, "APPROVAL-EXPENSE"):
        yield one


def _event(event: dict[str, Any], event_id: str = "ev-1") -> dict[str, Any]:
    return {"schema": "2.0", "header": {"event_id": event_id, "event_type": "approval.instance.status_changed_v4",
                                       "token": VTOKEN, "create_time": "1", "app_id": "cli_oa", "tenant_key": "t"},
            "event": event}


async def _request(rt: Runtime) -> int:
    chain = chains.start("oa", (chains.Step(name="PM", mode="any", members=("pm",)),), rt.clock.now())
    async with rt.db.write() as s:
        approval = await SqlWorkspace(s, default_locale="en").create_approval(
            project="PUMP", requester="req", approvers=("pm",), subject="valves", amount=None, origin="chat",
            now=rt.clock.now(), payload={"chain": chains.to_json(chain), "engine": {
                "kind": "feishu_approval", "code": rt.config.approval_chains.rules[0].engine.code,  # type: ignore[union-attr]
                "form_field": "widget-reason", "state": "new"}})
    return approval.id


async def _row(rt: Runtime, n: int) -> ApprovalRow:
    async with rt.db.read() as s:
        found = await s.get(ApprovalRow, n, populate_existing=True)
        assert found is not None
        return found


async def _work(rt: Runtime) -> None:
    while await rt.dispatcher.run_once():
        pass


async def _inbox(rt: Runtime) -> int:
    async with rt.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(InboxRow))).scalar_one())


async def test_created_and_the_event_decides_once(served: tuple[Runtime, Client, FakeFeishuApproval],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    rt, client, fake = served
    n = await _request(rt)
    assert await rt.engine_links.run(rt.clock.now(), catching_up=False) == 1
    sent = fake.creates[0]
    assert (sent["approval_code"], sent["open_id"]) == ("APPROVAL-EXPENSE", "ou_req")
    assert json.loads(sent["form"]) == [{"id": "widget-reason", "type": "input", "value": f"#{n} valves"}]
    assert (await _row(rt, n)).payload["engine"]["instance"] == "INST-1"
    event = fake.finish("INST-1", "APPROVED")
    assert event is not None, "subscribed before the instance was made: Feishu pushes its end"
    for event_id in ("ev-1", "ev-1", "ev-2"):  # a redelivery, and the same end delivered again under a new id
        assert (await client.post("/feishu/events", json=_event(event, event_id))).status == 200
    assert await _inbox(rt) == 1
    await _work(rt)
    final = await _row(rt, n)
    assert (final.state, final.decided_by) == ("approved", "feishu_approval")
    rejected = fake.finish("INST-1", "REJECTED")
    assert rejected is not None
    assert (await client.post("/feishu/events", json=_event(rejected, "ev-3"))).status == 200
    await _work(rt)
    assert (await _row(rt, n)).state == "approved", "a late, contrary result changes nothing"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_without_an_event_the_clock_reads_the_status(served: tuple[Runtime, Client, FakeFeishuApproval]
                                                           ) -> None:
    rt, _, fake = served
    n = await _request(rt)
    await rt.engine_links.run(rt.clock.now(), catching_up=False)
    fake.finish("INST-1", "CANCELED")  # withdrawn by the requester in Feishu
    assert await rt.engine_links.run(rt.clock.now() + timedelta(minutes=20), catching_up=False) == 1
    assert (await _row(rt, n)).state == "rejected"


@pytest.mark.parametrize("event", [
    {"instance_code": "INST-1", "status": "PENDING"},
    {"instance_code": "INST-1", "status": "approved"},
    {"instance_code": "../INST-1", "status": "APPROVED"},
    {"instance_code": 7, "status": "APPROVED"},
    {"status": "APPROVED"},
])
async def test_hostile_events_change_nothing(served: tuple[Runtime, Client, FakeFeishuApproval],
                                             event: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    rt, client, _ = served
    n = await _request(rt)
    await rt.engine_links.run(rt.clock.now(), catching_up=False)
    assert (await client.post("/feishu/events", json=_event(event))).status == 200
    forged = _event({"instance_code": "INST-1", "status": "APPROVED"}) | {}
    forged["header"] = {**forged["header"], "token": "wrong", "event_id": "ev-forged"}
    assert (await client.post("/feishu/events", json=forged)).status in (401, 403)
    await _work(rt)
    assert await _inbox(rt) == 0 and (await _row(rt, n)).state == "pending"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_an_unknown_approval_code_stays_with_our_chain(migrated_sqlite_url: str) -> None:
    async for rt, _, fake in _serve(migrated_sqlite_url, "APPROVAL-GONE"):
        n = await _request(rt)
        assert await rt.engine_links.run(rt.clock.now(), catching_up=False) == 1
        row = await _row(rt, n)
        assert row.state == "pending" and row.payload["engine"]["state"] == "failed" and not fake.creates
        assert "1390002" in row.payload["engine"]["error"]


async def test_subscribes_once_per_definition(served: tuple[Runtime, Client, FakeFeishuApproval]) -> None:
    rt, _, fake = served
    for _ in range(2):
        await _request(rt)
        assert await rt.engine_links.run(rt.clock.now(), catching_up=False) == 1
    assert len(fake.creates) == 2 and fake.subscribes == ["APPROVAL-EXPENSE"]
    assert fake.finish("INST-2", "APPROVED") is not None


async def test_already_subscribed_counts_as_done(served: tuple[Runtime, Client, FakeFeishuApproval],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    rt, _, fake = served
    fake.subscribed.add("APPROVAL-EXPENSE")  # by an earlier process of the bot
    for _ in range(2):
        await _request(rt)
        assert await rt.engine_links.run(rt.clock.now(), catching_up=False) == 1
    assert fake.subscribes == ["APPROVAL-EXPENSE"], "1390007 is success: not asked again"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "pushed" in r.getMessage()]


async def test_a_failed_subscribe_does_not_stop_the_create(served: tuple[Runtime, Client, FakeFeishuApproval],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    rt, _, fake = served
    fake.subscribe_down = True
    first, second = await _request(rt), await _request(rt)
    assert await rt.engine_links.run(rt.clock.now(), catching_up=False) == 2
    assert len(fake.creates) == 2 and len(fake.subscribes) == 2, "tried again with the next create"
    warned = [r for r in caplog.records if "not pushed" in r.getMessage()]
    assert len(warned) == 1 and not warned[0].exc_info, "logged once, without a traceback"
    assert fake.finish("INST-1", "APPROVED") is None, "Feishu pushes nothing: the poll follows it"
    assert await rt.engine_links.run(rt.clock.now() + timedelta(minutes=20), catching_up=False) == 1
    assert ((await _row(rt, first)).state, (await _row(rt, second)).state) == ("approved", "pending")
    fake.subscribe_down = False
    await _request(rt)
    await rt.engine_links.run(rt.clock.now(), catching_up=False)
    assert fake.subscribed == {"APPROVAL-EXPENSE"} and len(fake.subscribes) == 3


async def _told(rt: Runtime, kind: str) -> int:
    async with rt.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == kind)
                                    )).scalar_one())


async def test_a_create_failing_for_long_is_given_up(served: tuple[Runtime, Client, FakeFeishuApproval],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    rt, _, fake = served
    fake.create_down = True
    n = await _request(rt)
    start = rt.clock.now()
    for minutes in (0, 1, 30, ENGINE_CREATE_GIVE_UP_S / 60 - 1):
        assert await rt.engine_links.run(start + timedelta(minutes=minutes), catching_up=False) == 0
        assert (await _row(rt, n)).payload["engine"]["state"] == "new", "an outage is tried again next tick"
    assert (await _row(rt, n)).payload["engine"]["failing_since"] == start.isoformat()
    assert await _told(rt, "approval_engine_failed") == 0
    assert await rt.engine_links.run(start + timedelta(seconds=ENGINE_CREATE_GIVE_UP_S), catching_up=False) == 1
    row = await _row(rt, n)
    assert row.state == "pending" and row.payload["engine"]["state"] == "failed" and "still failing after 60 min: feishu HTTP 503" \
        in row.payload["engine"]["error"], "given up there; the request stays with our own chain"
    assert await _told(rt, "approval_engine_failed") == 1, "the requester is told, as of a refusal"
    assert await rt.engine_links.run(start + timedelta(hours=3), catching_up=False) == 0, "not tried again"
    assert not fake.creates
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_create_that_recovers_in_time_goes_ahead(served: tuple[Runtime, Client, FakeFeishuApproval]
                                                         ) -> None:
    rt, _, fake = served
    fake.create_down = True
    n = await _request(rt)
    start = rt.clock.now()
    assert await rt.engine_links.run(start, catching_up=False) == 0
    fake.create_down = False
    assert await rt.engine_links.run(start + timedelta(minutes=59), catching_up=False) == 1
    engine = (await _row(rt, n)).payload["engine"]
    assert engine["state"] == "running" and "failing_since" not in engine
