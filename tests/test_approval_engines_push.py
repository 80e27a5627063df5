"""DingTalk OA results over the encrypted event push, end to end: the runtime's own DingTalk app creates the
instance (token and all, against tests/fakes/dingtalk_oa.py), bpms_instance_change is stored on the ack path and
applied by the worker, deciding the request once (one callback to the asking system); redeliveries, results for
instances we never created and hostile events change nothing and log no traceback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import func, select

from bot import chains
from bot.app import build_app
from bot.config import Config, PersonConfig, ProjectConfig, Settings
from bot.config.approvals import ApprovalChainsConfig
from bot.config.dingtalk_events import DingTalkEventsConfig
from bot.platforms.dingtalk_events import ROUTE
from bot.runtime import Runtime
from bot.store.identities import IdentityStore
from bot.store.models import ApprovalRow, InboxRow, OutboxRow
from bot.store.workspace import SqlWorkspace
from tests.conftest import running_clock
from tests.fakes.dingtalk_oa import FakeDingTalkOa
from tests.fakes.dingtalk_push import AES_KEY, TOKEN, pusher

APP_KEY = "ding-oa"
Client = TestClient  # type: ignore[type-arg]


def _config() -> Config:
    chains_config = ApprovalChainsConfig.model_validate({"rules": [{
        "name": "oa", "steps": [{"name": "PM", "approvers": ["pm"]}],
        "engine": {"kind": "dingtalk_oa", "process_code": "PROC-EXPENSE"}}]})
    return Config(people=(PersonConfig(id="pm", name="PM", roles=("pm",)), PersonConfig(id="req", name="Requester")),
                  projects=(ProjectConfig(key="PUMP", name="Pump", members=("pm", "req"), approvers=("pm",)),),
                  approval_chains=chains_config,
                  dingtalk_events=DingTalkEventsConfig(token=SecretStr(TOKEN), aes_key=SecretStr(AES_KEY)))


@pytest.fixture
async def served(migrated_sqlite_url: str) -> AsyncIterator[tuple[Runtime, Client, FakeDingTalkOa]]:
    oa = FakeDingTalkOa(staff={"staff-req"})
    await oa.start()
    settings = Settings(database_url=migrated_sqlite_url, dingtalk_client_id=APP_KEY,
                        dingtalk_client_secret=SecretStr("dingtalk-secret"), dingtalk_api_base=oa.base,
                        dingtalk_oapi_base=oa.base)
    rt = Runtime(settings, _config(), console=False, clock=running_clock())
    await rt.open()
    await IdentityStore(rt.db).bind(platform="dingtalk", account="staff-req", person_id="req", source="test")
    async with TestClient(TestServer(build_app(rt))) as client:
        yield rt, client, oa
    await rt.close()
    await oa.stop()


async def _push(client: Client, rt: Runtime, event: dict[str, Any]) -> int:
    query, body = pusher(APP_KEY).request(event, timestamp_ms=int(rt.clock.timestamp() * 1000))
    answer = await client.post(ROUTE, params=query, data=body, headers={"Content-Type": "application/json"})
    return answer.status


async def _request(rt: Runtime) -> int:
    chain = chains.start("oa", (chains.Step(name="PM", mode="any", members=("pm",)),), rt.clock.now())
    async with rt.db.write() as s:
        approval = await SqlWorkspace(s, default_locale="en").create_approval(
            project="PUMP", requester="req", approvers=("pm",), subject="valves", amount=None, origin="source:erp",
            now=rt.clock.now(), payload={"chain": chains.to_json(chain), "ref": "PO-1", "engine": {
                "kind": "dingtalk_oa", "code": "PROC-EXPENSE", "form_field": "", "state": "new"}})
    return approval.id


async def _count(rt: Runtime, model: Any, *where: Any) -> int:
    async with rt.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def _row(rt: Runtime, n: int) -> ApprovalRow:
    async with rt.db.read() as s:
        found = await s.get(ApprovalRow, n, populate_existing=True)
        assert found is not None
        return found


async def _work(rt: Runtime) -> None:
    while await rt.dispatcher.run_once():
        pass


async def test_the_pushed_result_decides_once(served: tuple[Runtime, Client, FakeDingTalkOa],
                                              caplog: pytest.LogCaptureFixture) -> None:
    rt, client, oa = served
    n = await _request(rt)
    assert await rt.engine_links.run(rt.clock.now(), catching_up=False) == 1, "created with the app's own token"
    assert oa.creates[0]["originatorUserId"] == "staff-req" and (await _row(rt, n)).payload["engine"]["instance"]
    event = oa.finish("inst-1", "refuse")
    assert await _push(client, rt, event) == 200
    assert await _push(client, rt, event) == 200, "a redelivery is answered success"
    assert await _count(rt, InboxRow) == 1, "one inbox row per instance's end"
    await _work(rt)
    final = await _row(rt, n)
    assert (final.state, final.decided_by) == ("rejected", "dingtalk_oa")
    assert final.payload["engine"]["url"].startswith("https://aflow.dingtalk.com/")
    assert await _count(rt, OutboxRow, OutboxRow.kind == "approval_callback") == 1, "the asking system hears once"
    late = oa.finish("inst-1", "agree") | {"eventId": "another-delivery"}
    assert await _push(client, rt, late) == 200
    await _work(rt)
    assert (await _row(rt, n)).state == "rejected", "a late, contrary result changes nothing"
    assert await _count(rt, OutboxRow, OutboxRow.kind == "approval_callback") == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("event", [
    {"processInstanceId": "../../etc", "type": "finish", "result": "agree"},
    {"processInstanceId": "inst-1", "type": "finish", "result": "maybe"},
    {"processInstanceId": "inst-1", "type": "start"},
    {"processInstanceId": ["inst-1"], "type": "finish", "result": "agree"},
    {"processInstanceId": "x" * 65, "type": "terminate"},
    {"type": "finish", "result": "agree"},
])
async def test_hostile_approval_events_are_acked_and_ignored(
        served: tuple[Runtime, Client, FakeDingTalkOa], event: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    rt, client, _ = served
    n = await _request(rt)
    await rt.engine_links.run(rt.clock.now(), catching_up=False)
    assert await _push(client, rt, {"EventType": "bpms_instance_change", **event}) == 200
    await _work(rt)
    assert await _count(rt, InboxRow) == 0 and (await _row(rt, n)).state == "pending"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_result_for_an_instance_we_never_created_changes_nothing(
        served: tuple[Runtime, Client, FakeDingTalkOa]) -> None:
    rt, client, _ = served
    n = await _request(rt)
    await rt.engine_links.run(rt.clock.now(), catching_up=False)
    foreign = {"EventType": "bpms_instance_change", "processInstanceId": "someone-elses", "type": "finish",
               "result": "agree", "url": "javascript:alert(1)"}
    assert await _push(client, rt, foreign) == 200
    await _work(rt)
    assert (await _row(rt, n)).state == "pending"
    async with rt.db.read() as s:
        states = (await s.execute(select(InboxRow.state))).scalars().all()
    assert states == ["done"], "stored, applied, nothing to decide"
