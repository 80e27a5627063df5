"""The Teambition connector against its fake: app tokens and their lifetime, the tenant, schemas, pages, 429s and
error answers, who each write is made as, custom fields; and its webhook: signed, refused, malformed, hostile.
(The connector's round trips are the conformance suite's, tests/test_pms_conformance.py[teambition].)"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from jsonschema import Draft7Validator

from bot.app import build_app
from bot.clocks import FakeClock
from bot.config import Config, PersonConfig, ProjectConfig, Settings, TeambitionConnectorConfig
from bot.config.pms import TeambitionFieldsConfig
from bot.hooks.registry import add_routes
from bot.hooks.teambition import signature
from bot.pms.base import PMSDown, PMSError, wrote_as_bot
from bot.pms.people import PeopleMap
from bot.pms.teambition import TeambitionClient, TeambitionPMS
from bot.pms.teambition_wire import app_token
from bot.records import InboundEvent, Person, Project
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from tests.conftest import running_clock
from tests.fakes.teambition import SCHEMA, FakeTeambition, oid
from tests.test_fuzz import FUZZ, MUTATION, answered_well, mutate

START = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


class World:
    def __init__(self, fake: FakeTeambition, clock: FakeClock) -> None:
        self.fake, self.clock = fake, clock
        self.bob_id, self.alice_id, self.bot_id = (fake.add_user(n) for n in ("Bob Wang", "Alice Li", "pmsbot"))
        self.outsider_id = fake.add_user("Olga Out")
        self.project_id = fake.add_project("Pump", [self.bob_id, self.alice_id, self.bot_id])
        self.bob = Person(id="bob", name="Bob Wang", locale="en", pms_user=self.bob_id)
        self.alice = Person(id="alice", name="Alice Li", locale="en")  # no Teambition user linked
        self.clients: list[TeambitionClient] = []

    def client(self, *, operator: str | None = "bot", tenant: str | None = None,
               config: TeambitionConnectorConfig | None = None) -> TeambitionClient:
        made = TeambitionClient(url=self.fake.url, app_id=self.fake.app_id, app_secret=self.fake.app_secret,
                                tenant_id=tenant or self.fake.tenant_id,
                                operator_id=self.bot_id if operator == "bot" else operator,
                                config=config or TeambitionConnectorConfig(), clock=self.clock)
        self.clients.append(made)
        return made

    def pms(self, client: TeambitionClient | None = None) -> TeambitionPMS:
        async def people() -> PeopleMap:
            return PeopleMap({self.bob_id: "bob"})
        return (client or self.client()).for_project(
            Project(key="PUMP", name="Pump", pms="teambition", pms_project=self.project_id, members=("bob",),
                    approvers=()), people)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    clock = FakeClock(START)
    fake = FakeTeambition(now=lambda: clock.now().timestamp())
    await fake.start()
    w = World(fake, clock)
    yield w
    for c in w.clients:
        await c.close()
    await fake.stop()


async def test_the_app_signs_an_hour_long_token_and_a_new_one_before_it_runs_out(world: World) -> None:
    pms = world.pms()
    key = f"PUMP-{world.fake.add_task(world.project_id, 'Wire', executor=world.bob_id)}"
    assert (await pms.get_task(key)) is not None
    assert len(world.fake.tokens_seen) == 1
    world.clock.advance(timedelta(minutes=50))
    await pms.get_task(key)
    assert len(world.fake.tokens_seen) == 1  # still good for 10 minutes: kept
    world.clock.advance(timedelta(minutes=9))
    await pms.get_task(key)
    assert len(world.fake.tokens_seen) == 2  # within two minutes of its end: signed anew


async def test_a_token_the_service_finds_expired_is_renewed_once_then_reported_as_credentials(world: World) -> None:
    pms = world.pms()
    key = f"PUMP-{world.fake.add_task(world.project_id, 'Wire')}"
    world.fake.now = lambda: world.clock.now().timestamp() + 7200  # the service's clock is two hours ahead
    with pytest.raises(PMSDown) as down:
        await pms.get_task(key)
    assert down.value.kind == "auth"
    assert world.fake.count("GET", "/v3/task/query") == 2  # tried again once with a fresh token, no loop


async def test_tokens_of_another_app_or_secret_and_the_wrong_tenant_are_refused(world: World) -> None:
    url = world.fake.url + "/org/info"
    tenant = {"X-Tenant-Id": world.fake.tenant_id, "X-Tenant-Type": "organization"}
    async with httpx.AsyncClient() as http:
        forged, _ = app_token(world.fake.app_id, "not-the-secret-but-as-long-as-one", now=START)
        other, _ = app_token(oid(), world.fake.app_secret, now=START)
        for token in (forged, other, "not-a-jwt"):
            r = await http.get(url, headers={**tenant, "Authorization": f"Bearer {token}"})
            assert r.status_code == 401 and r.json()["code"] == 401 and r.json()["errorMessage"]
        good, _ = app_token(world.fake.app_id, world.fake.app_secret, now=START)
        r = await http.get(url, headers={"Authorization": f"Bearer {good}", "X-Tenant-Id": oid(),
                                         "X-Tenant-Type": "organization"})
        assert r.status_code == 403
        r = await http.get(url, headers={"Authorization": f"Bearer {good}", "X-Tenant-Id": world.fake.tenant_id})
        assert r.status_code == 400  # X-Tenant-Type missing
    with pytest.raises(PMSError) as err:
        await world.client(tenant=oid()).check()
    assert err.value.code == "pms_forbidden"
    assert "Acme Pumps" in await world.client().check()


async def test_bodies_are_checked_against_the_official_schemas_and_answers_match_them(world: World) -> None:
    number = world.fake.add_task(world.project_id, "Wire", executor=world.bob_id)
    task_id = world.fake.task_by_number(number)["id"]
    good, _ = app_token(world.fake.app_id, world.fake.app_secret, now=START)
    headers = {"Authorization": f"Bearer {good}", "X-Tenant-Id": world.fake.tenant_id,
               "X-Tenant-Type": "organization", "X-Operator-Id": world.bob_id}
    async with httpx.AsyncClient(base_url=world.fake.url, headers=headers) as http:
        assert (await http.put(f"/v3/task/{task_id}/progress", json={"progress": "60"})).status_code == 400
        assert (await http.post("/worktime/create", json={"objectId": task_id})).status_code == 400  # fields missing
        assert (await http.post("/v3/task/create", content=b"{not json")).status_code == 400
        answers = {"/v3/task/query": await http.get("/v3/task/query", params={"taskId": task_id}),
                   "/v3/project/{projectId}/task/query": await http.get(
                       f"/v3/project/{world.project_id}/task/query", params={"q": "isDone = false"}),
                   "/v3/task/{taskId}/progress": await http.put(f"/v3/task/{task_id}/progress", json={"progress": 5})}
    for path, answer in answers.items():
        method = "put" if path.endswith("progress") else "get"
        schema = SCHEMA["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer.status_code == 200
        assert not [e.message for e in Draft7Validator(schema).iter_errors(answer.json())]


async def test_a_project_is_read_in_pages_following_the_next_page_token(world: World) -> None:
    for n in range(230):
        world.fake.add_task(world.project_id, f"Task {n}", executor=world.bob_id)
    pms = world.pms()
    everything = await pms.search_tasks(project="PUMP", open_only=False, limit=1000)
    assert len(everything) == 230 and len({t.key for t in everything}) == 230
    assert world.fake.count("GET", "/task/query") == 3  # 100 + 100 + 30
    mine = await pms.search_tasks(project="PUMP", assignee=world.bob, limit=5)
    assert [t.key for t in mine] == [f"PUMP-{n}" for n in range(1, 6)]
    good, _ = app_token(world.fake.app_id, world.fake.app_secret, now=START)
    async with httpx.AsyncClient(base_url=world.fake.url, headers={
            "Authorization": f"Bearer {good}", "X-Tenant-Id": world.fake.tenant_id,
            "X-Tenant-Type": "organization"}) as http:
        first = (await http.get(f"/v3/project/{world.project_id}/task/query", params={"pageSize": 10})).json()
        other = await http.get(f"/v3/project/{world.project_id}/task/query",
                               params={"q": "isDone = true", "pageToken": first["nextPageToken"]})
        assert other.status_code == 400  # a token of another query
        assert (await http.get(f"/v3/project/{world.project_id}/task/query",
                               params={"q": "content ~ 'x'"})).status_code == 400  # outside the TQL we speak


async def test_429s_are_waited_out_then_the_command_waits_for_teambition(world: World,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)
    monkeypatch.setattr("bot.pms.http.asyncio.sleep", no_sleep)
    key = f"PUMP-{world.fake.add_task(world.project_id, 'Wire')}"
    pms = world.pms()
    world.fake.failures.add(429)
    assert await pms.get_task(key) is not None  # one 429: waited out in place
    world.fake.failures.add(429, 5)
    with pytest.raises(PMSDown) as down:
        await pms.get_task(key)
    assert down.value.kind == "rate_limited"
    assert waits == [1.0, 1.0, 1.0]  # no Retry-After from Teambition: a second each time


async def test_the_fake_limits_each_endpoint_to_its_rate(world: World) -> None:
    world.fake.limit_per_s = 2
    good, _ = app_token(world.fake.app_id, world.fake.app_secret, now=START)
    async with httpx.AsyncClient(base_url=world.fake.url, headers={
            "Authorization": f"Bearer {good}", "X-Tenant-Id": world.fake.tenant_id,
            "X-Tenant-Type": "organization"}) as http:
        answers = [(await http.get("/org/info")).status_code for _ in range(3)]
        assert answers == [200, 200, 429]
        assert (await http.get(f"/v3/project/{world.project_id}/member")).status_code == 200  # another endpoint


async def test_writes_go_as_the_linked_person_else_as_the_bot_named(world: World) -> None:
    pms = world.pms()
    key = f"PUMP-{world.fake.add_task(world.project_id, 'Paint', executor=world.bob_id)}"
    world.fake.reset_counts()
    await pms.comment(key, "second coat tomorrow", by=world.bob)
    await pms.log_work(key, Decimal("1.5"), note="primer", by=world.bob)
    assert {w.operator for w in world.fake.writes()} == {world.bob_id}
    assert pms.wrote and not wrote_as_bot(pms)  # the answer says nothing of the bot
    world.fake.reset_counts()
    await pms.comment(key, "looks good", by=world.alice)
    assert {w.operator for w in world.fake.writes()} == {world.bot_id}
    assert wrote_as_bot(pms)  # the answer says the bot's user wrote it (bot/dispatch/replies.py with_bot_note)
    outsider = Person(id="olga", name="Olga Out", locale="en", pms_user=world.outsider_id)  # not in the project
    await pms.comment(key, "from outside", by=outsider)
    await pms.report_progress(key, percent=40, note="", hours=None, by=world.alice)  # the percent alone, by the bot
    assert world.fake.notes(int(key.rpartition("-")[2])) == [
        "Bob Wang: second coat tomorrow", "pmsbot: Alice Li: looks good", "pmsbot: Olga Out: from outside",
        "pmsbot: Alice Li: 40%", "Bob Wang: primer"]
    world.fake.reset_counts()
    with pytest.raises(PMSError) as err:  # no operator for the bot and Alice unlinked: nothing is written
        await world.pms(world.client(operator=None)).comment(key, "hello", by=world.alice)
    assert err.value.code == "pms_refused" and "TEAMBITION_OPERATOR_ID" in err.value.params["reason"]
    assert world.fake.writes() == []


async def test_refusals_name_the_task_or_the_reason(world: World) -> None:
    pms = world.pms()
    key = f"PUMP-{world.fake.add_task(world.project_id, 'Wire')}"
    assert await pms.get_task("PUMP-999") is None
    with pytest.raises(PMSError) as err:
        await pms.delete_worklog(key, "not-an-id", by=world.bob)
    assert err.value.code == "unknown_task"
    world.fake.failures.add(400)
    with pytest.raises(PMSError) as refused:
        await pms.comment(key, "hi", by=world.bob)
    assert (refused.value.code, refused.value.params["reason"]) == ("pms_refused", "injected failure")
    world.fake.failures.add(500)
    with pytest.raises(PMSDown):
        await pms.get_task(key)


async def test_custom_fields_hold_percent_estimate_and_priority_where_configured(world: World) -> None:
    percent_cf, estimate_cf, priority_cf = oid(), oid(), oid()
    config = TeambitionConnectorConfig(fields=TeambitionFieldsConfig(percent=percent_cf, estimate_h=estimate_cf,
                                                                     priority=priority_cf))
    pms = world.pms(world.client(config=config))
    number = world.fake.add_task(world.project_id, "Wire", executor=world.bob_id, customfields=[
        {"cfId": estimate_cf, "type": "number", "value": [{"title": "12"}]},
        {"cfId": priority_cf, "type": "dropDown", "value": [{"id": oid(), "title": "P1"}]}])
    key = f"PUMP-{number}"
    written = await pms.report_progress(key, percent=35, note="", hours=None, by=world.bob)
    assert (written.percent, written.estimate_h, written.priority, written.status) == (35, 12, "P1", "in_progress")
    assert world.fake.task_by_number(number)["progress"] == 0  # the field, not the built-in progress
    assert world.fake.count("PUT", "/progress") == 0


async def test_a_webhooks_task_id_finds_its_chat_key(world: World) -> None:
    pms = world.pms()
    number = world.fake.add_task(world.project_id, "Wire")
    assert await pms.key_of(world.fake.task_by_number(number)["id"]) == f"PUMP-{number}"
    assert await pms.key_of(oid()) is None
    assert await pms.key_of("'; DROP") is None


# -- the webhook -----------------------------------------------------------------------------------------------------

class Inbox:
    def __init__(self) -> None:
        self.events: dict[str, InboundEvent] = {}

    async def accept(self, event: InboundEvent) -> Any:
        duplicate = event.event_id in self.events
        self.events.setdefault(event.event_id, event)
        return type("Accepted", (), {"duplicate": duplicate})()

    async def requeue_failed(self, event: InboundEvent) -> bool:
        return False


@pytest.fixture
async def hook(world: World) -> AsyncIterator[tuple[TestClient, Inbox]]:  # type: ignore[type-arg]
    inbox = Inbox()
    app = web.Application()
    config = Config(connectors={"teambition": {"webhook_secret": world.fake.app_secret}})  # type: ignore[arg-type]
    add_routes(app, lambda request: inbox, config, world.clock)  # type: ignore[arg-type, return-value]
    async with TestClient(TestServer(app)) as client:
        yield client, inbox


def task_event(world: World, **data: Any) -> dict[str, Any]:
    return {"orgId": world.fake.tenant_id, "timestamp": 1591953997091, "event": "task.update", "eventId": oid(),
            "hookId": oid(), "data": {"operatorId": world.bob_id, "new": {"isDone": 1}, "old": {"isDone": 0},
                                      "task": {"taskId": oid(), "projectId": world.project_id, "content": "任务"},
                                      **data}}


async def test_a_signed_task_event_is_stored_once(world: World, hook: tuple[TestClient, Inbox]) -> None:
    client, inbox = hook
    raw, headers = world.fake.delivery(task_event(world))
    for _ in range(2):  # Teambition retries a delivery: one event
        r = await client.post("/hooks/teambition", data=raw, headers=headers)
        assert r.status == 200
    assert (await r.json())["duplicate"] is True
    (event,) = inbox.events.values()
    assert event.action["event"] == "transitioned" and event.action["project"] == world.project_id
    assert event.action["ref"] == json.loads(raw)["data"]["task"]["taskId"]
    raw, headers = world.fake.delivery({**task_event(world), "event": "project.update"})
    assert (await (await client.post("/hooks/teambition", data=raw, headers=headers)).json())["ignored"] is True


async def test_unsigned_or_wrongly_signed_deliveries_are_refused(world: World,
                                                                 hook: tuple[TestClient, Inbox]) -> None:
    client, inbox = hook
    raw, headers = world.fake.delivery(task_event(world))
    good = headers["X-Signature"]
    for wrong in ("", "0" * 64, good[:-1] + ("1" if good.endswith("0") else "0"), "sha256=" + good):
        r = await client.post("/hooks/teambition", data=raw, headers={**headers, "X-Signature": wrong})
        assert r.status == 401 and "X-Signature" in (await r.json())["error"]
    tampered = raw.replace(b"task.update", b"task.remove")
    r = await client.post("/hooks/teambition", data=tampered, headers=headers)
    assert r.status == 401
    assert (await client.post("/hooks/teambition/sometoken", data=raw, headers=headers)).status == 404
    assert inbox.events == {}


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'"task.update"', b"{}", b'{"event": 12}', b'{"event": "task.update"}',
    b'{"event": "task.update", "data": {"task": "x"}}',
    b'{"event": "task.update", "data": {"task": {"taskId": "../../etc", "projectId": "5ee1fbd22e17ee066d1c420b"}}}',
    b"[" * 100_000 + b"]" * 100_000, b"{\"event\": \"task.update\", \"data\": \"\\u0000\"}",
])
async def test_malformed_and_hostile_bodies_get_a_4xx_with_a_reason(world: World, hook: tuple[TestClient, Inbox],
                                                                    body: bytes) -> None:
    client, inbox = hook
    signed = {**world.fake.delivery({})[1], "X-Signature": signature(world.fake.app_secret, body)}
    r = await client.post("/hooks/teambition", data=body, headers=signed)
    assert 400 <= r.status < 500
    assert (await r.json())["error"]
    assert inbox.events == {}


async def test_a_delivery_naming_two_enterprises_is_refused(world: World, hook: tuple[TestClient, Inbox]) -> None:
    client, inbox = hook
    raw, headers = world.fake.delivery(task_event(world))
    r = await client.post("/hooks/teambition", data=raw, headers={**headers, "X-Tenant-Id": oid()})
    assert r.status == 400 and inbox.events == {}


# -- end to end: chat writes as the person, a webhook reaches the subscribed chat -------------------------------------

async def test_chat_reports_as_the_person_and_a_webhook_reaches_the_subscribed_chat(world: World,
                                                                                    tmp_path: Path) -> None:
    number = world.fake.add_task(world.project_id, "Install valve", executor=world.bob_id, estimate_h=8)
    task_id = world.fake.task_by_number(number)["id"]
    config = Config(
        locale="en",
        people=(PersonConfig(id="bob", name="Bob Wang", locale="en", pms_user=world.bob_id),
                PersonConfig(id="alice", name="Alice Li", locale="en", roles=("pm", "admin"))),
        projects=(ProjectConfig(key="PUMP", name="Pump", pms="teambition", pms_project=world.project_id,
                                members=("bob", "alice")),),
        connectors={"teambition": {"webhook_secret": world.fake.app_secret}})  # type: ignore[arg-type]
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}", teambition_url=world.fake.url,
                        teambition_app_id=world.fake.app_id, teambition_app_secret=world.fake.app_secret,  # type: ignore[arg-type]
                        teambition_tenant_id=world.fake.tenant_id, teambition_operator_id=world.bot_id)
    runtime = Runtime(settings, config, console=True, clock=running_clock())
    await runtime.open()
    try:
        said = await say(runtime, "bob", f"report PUMP-{number} 50% half way 4h")
        assert "50%" in said[0].text
        assert world.fake.task_by_number(number)["progress"] == 50
        assert {w.operator for w in world.fake.writes()} == {world.bob_id}  # Bob's own user, not the bot's
        assert world.fake.notes(number) == ["Bob Wang: 50% half way"]
        await say(runtime, "alice", "subscribe PUMP")
        raw, headers = world.fake.delivery({**task_event(world), "data": {
            "operatorId": world.bob_id, "new": {"isDone": 1}, "old": {"isDone": 0},
            "task": {"taskId": task_id, "projectId": world.project_id}}})
        async with TestClient(TestServer(build_app(runtime))) as client:
            assert (await client.post("/hooks/teambition", data=raw, headers=headers)).status == 200
        await drain(runtime)
        await runtime.changes.flush_once(runtime.clock.now() + timedelta(minutes=5))
        await drain(runtime)
        heard = [m["text"] for m in await feed.feed(runtime.db, "alice") if m["direction"] == "out"]
        assert any(f"PUMP-{number}" in t and "Install valve" in t for t in heard), heard
    finally:
        await runtime.close()


def test_settings_and_config_refuse_incomplete_or_malformed_teambition_values() -> None:
    with pytest.raises(ValueError, match="TEAMBITION_TENANT_ID"):
        Settings(teambition_app_id=oid(), teambition_app_secret="s" * 32)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TEAMBITION_URL"):
        Settings(teambition_url="ftp://example.com")
    for bad in ("12", "../../x", "5ee1fbd22e17ee066d1c420B", None):
        with pytest.raises(ValueError, match="Teambition project"):
            ProjectConfig(key="PUMP", name="Pump", pms="teambition", pms_project=bad)
    with pytest.raises(ValueError):
        TeambitionFieldsConfig(percent="customfield_1")
    assert ProjectConfig(key="PUMP", name="Pump", pms="teambition", pms_project=oid()).pms == "teambition"


@FUZZ
@given(mutation=MUTATION)
async def test_signed_but_mutated_deliveries_never_fail_and_store_only_checked_ids(
        world: World, hook: tuple[TestClient, Inbox], caplog: pytest.LogCaptureFixture,  # type: ignore[type-arg]
        mutation: tuple[list[int], Any]) -> None:
    client, inbox = hook
    raw, headers = world.fake.delivery(mutate(task_event(world), *mutation))
    r = await client.post("/hooks/teambition", data=raw, headers=headers)
    answered_well(r.status, caplog, "teambition")
    for event in inbox.events.values():
        assert re.fullmatch(r"[0-9a-f]{24}", event.action["ref"]) and re.fullmatch(r"[0-9a-f]{24}",
                                                                                    event.action["project"])
