"""Approval chains linked to the platform's own engine (DingTalk OA): the request becomes an instance there, the
card shows it, and its final result decides ours exactly once; a refused create leaves the request with our own
chain, and a late, repeated or foreign result changes nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.config import Config, ConfigError
from bot.config.load import parse_config
from bot.config.settings import Settings
from bot.jobs.engines import EngineLinks
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from bot.store import migrate
from bot.store.identities import IdentityStore
from bot.store.models import ApprovalRow
from bot.store.workspace import SqlWorkspace
from notifiers.approval_engines import DingTalkOa, dingtalk_status
from notifiers.dingtalk import DINGTALK
from notifiers.openapi import OpenApi
from notifiers.tokens import AccessToken
from tests.conftest import demo_config, running_clock
from tests.fakes.dingtalk_oa import TOKEN, FakeDingTalkOa

RULE: dict[str, Any] = {"name": "oa", "steps": [{"name": "PM", "approvers": ["manager"]}],
                        "engine": {"kind": "dingtalk_oa", "process_code": "PROC-EXPENSE", "form_field": "事由"}}


def oa_config(code: str = "PROC-EXPENSE") -> Config:
    data = demo_config().model_dump(mode="json", exclude_defaults=True)
    for person in data["people"]:
        if person["id"] == "bob":
            person["manager"] = "alice"
    rule = {**RULE, "engine": {**RULE["engine"], "process_code": code}}
    return Config.model_validate({**data, "approval_chains": {"rules": [rule]}})


@pytest.fixture
async def oa() -> AsyncIterator[FakeDingTalkOa]:
    server = FakeDingTalkOa()
    await server.start()
    yield server
    await server.stop()


async def _runtime(url: str, oa: FakeDingTalkOa, request: pytest.FixtureRequest, code: str = "PROC-EXPENSE"
                   ) -> tuple[Runtime, EngineLinks]:
    from bot.demo.seed import seed

    rt = Runtime(Settings(database_url=url), oa_config(code), console=True, clock=running_clock(request))
    await migrate.upgrade(rt.db)
    await rt.open()
    await seed(rt)
    await IdentityStore(rt.db).bind(platform="dingtalk", account="staff-bob", person_id="bob", source="test")
    async with rt.db.read() as s:
        ws = SqlWorkspace(s, default_locale="en")
        bob = await ws.person("bob")
        assert bob is not None
        oa.staff = {account for _, account in await ws.targets(bob, ("dingtalk",))}

    async def token() -> tuple[str, float]:
        return TOKEN, 7200.0
    api = OpenApi(DINGTALK, AccessToken(token, refresh_before_s=60), base_url=oa.base, timeout_s=5)
    rt.engine_links.engines["dingtalk_oa"] = DingTalkOa(api)
    APIS.append(api)
    return rt, rt.engine_links


APIS: list[OpenApi] = []


async def close(rt: Runtime) -> None:
    while APIS:
        await APIS.pop().close()
    await rt.close()


@pytest.fixture
async def linked(db_url: str, oa: FakeDingTalkOa, request: pytest.FixtureRequest
                 ) -> AsyncIterator[tuple[Runtime, EngineLinks]]:
    rt, links = await _runtime(db_url, oa, request)
    yield rt, links
    await close(rt)


async def request_one(rt: Runtime) -> int:
    out = "\n".join(r.text for r in await say(rt, "bob", "request PUMP new valves 4800"))
    found = re.search(r"#([0-9]+)", out)
    assert found, out
    return int(found.group(1))


async def row(rt: Runtime, n: int) -> ApprovalRow:
    async with rt.db.read() as s:
        found = await s.get(ApprovalRow, n, populate_existing=True)
        assert found is not None
        return found


async def test_created_then_its_result_decides_once(linked: tuple[Runtime, EngineLinks],
                                                    oa: FakeDingTalkOa) -> None:
    rt, links = linked
    n = await request_one(rt)
    assert (await row(rt, n)).payload["engine"]["state"] == "new", "no network call inside the request"
    assert await links.run(rt.clock.now(), catching_up=False) == 1
    engine = (await row(rt, n)).payload["engine"]
    assert engine["state"] == "running" and engine["instance"] == "inst-1", (engine, oa.refused)
    sent = oa.creates[0]
    assert sent["originatorUserId"] in oa.staff and sent["processCode"] == "PROC-EXPENSE"
    assert sent["formComponentValues"][0]["name"] == "事由" and f"#{n}" in sent["formComponentValues"][0]["value"]
    await drain(rt)
    assert any("In DingTalk OA: in progress" in m["text"] or "钉钉 OA 审批：审批中" in m["text"]
               for m in await feed.feed(rt.db, "alice")), "the approver's card shows the instance"
    assert await links.run(rt.clock.now(), catching_up=False) == 0, "created once"

    event = oa.finish("inst-1", "agree")
    assert await links.result("dingtalk_oa", "inst-1", dingtalk_status(event["type"], event["result"]),
                              now=rt.clock.now())
    final = await row(rt, n)
    assert (final.state, final.decided_by, final.payload["engine"]["result"]) == ("approved", "dingtalk_oa", "approved")
    await drain(rt)
    heard = [m for m in await feed.feed(rt.db, "bob") if "DingTalk OA" in m["text"] or "钉钉 OA" in m["text"]]
    assert heard, "the requester hears the engine's decision"
    assert not await links.result("dingtalk_oa", "inst-1", "rejected", now=rt.clock.now()), "a late result"
    assert not await links.result("dingtalk_oa", "inst-9", "approved", now=rt.clock.now()), "another instance"
    assert (await row(rt, n)).state == "approved"
    assert f"#{n}" in "\n".join(r.text for r in await say(rt, "alice", f"approve {n}")), "decided: told, not again"
    assert (await row(rt, n)).decided_by == "dingtalk_oa"


async def test_no_event_the_clock_polls(linked: tuple[Runtime, EngineLinks], oa: FakeDingTalkOa) -> None:
    rt, links = linked
    n = await request_one(rt)
    await links.run(rt.clock.now(), catching_up=False)
    assert await links.run(rt.clock.now() + timedelta(minutes=20), catching_up=False) == 0
    assert oa.gets == 1 and (await row(rt, n)).state == "pending", "still running there"
    oa.finish("inst-1", "")  # withdrawn in DingTalk: nobody approved it
    assert await links.run(rt.clock.now() + timedelta(minutes=21), catching_up=False) == 0, "polled too recently"
    assert await links.run(rt.clock.now() + timedelta(minutes=40), catching_up=False) == 1
    assert (await row(rt, n)).state == "rejected"


async def test_refused_create_leaves_our_chain(sqlite_url: str, oa: FakeDingTalkOa,
                                               request: pytest.FixtureRequest) -> None:
    rt, links = await _runtime(sqlite_url, oa, request, code="PROC-GONE")
    try:
        n = await request_one(rt)
        assert await links.run(rt.clock.now(), catching_up=False) == 1
        r = await row(rt, n)
        assert r.state == "pending" and r.payload["engine"]["state"] == "failed" and not oa.creates
        assert "processCodeNotFound" in r.payload["engine"]["error"]
        await drain(rt)
        told = [m["text"] for m in await feed.feed(rt.db, "bob")]
        assert any("not lost" in t or "没有丢失" in t for t in told), told
        assert await links.run(rt.clock.now(), catching_up=False) == 0, "not tried again"
        assert "approved" in "\n".join(r.text for r in await say(rt, "alice", f"approve {n}")).lower() or \
            (await row(rt, n)).state == "approved"
        assert (await row(rt, n)).state == "approved", "our own chain decides it"
    finally:
        await close(rt)


def test_engine_config_needs_its_code() -> None:
    with pytest.raises(ValueError, match="needs process_code"):
        Config.model_validate({**demo_config().model_dump(mode="json", exclude_defaults=True), "approval_chains": {
            "rules": [{**RULE, "engine": {"kind": "dingtalk_oa"}}]}})
    with pytest.raises(ValueError, match="not process_code"):
        Config.model_validate({**demo_config().model_dump(mode="json", exclude_defaults=True), "approval_chains": {
            "rules": [{**RULE, "engine": {"kind": "feishu_approval", "approval_code": "A",
                                          "process_code": "P"}}]}})


def test_check_names_the_line_of_an_engine_without_its_code() -> None:
    text = (
        "people:\n  - {id: alice, name: Alice}\nprojects:\n  - {key: PUMP, name: Pump, members: [alice]}\n"
        "approval_chains:\n  rules:\n    - name: oa\n      steps:\n        - {name: PM, approvers: [alice]}\n"
        "      engine: {kind: feishu_approval, process_code: PROC-1}\n")
    with pytest.raises(ConfigError) as info:
        parse_config(text, name="pmsbot.yaml", env={})
    assert "pmsbot.yaml:10:" in str(info.value) and "needs approval_code" in str(info.value)
