"""HTTP: health, metrics, the console API, and hostile requests (always a 4xx with a JSON reason)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.runtime import Runtime
from tests.conftest import running_clock
from tests.waiting import eventually


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    rt.start(("worker",))
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


async def test_health_ready_metrics(client: TestClient) -> None:  # type: ignore[type-arg]
    r = await client.get("/healthz")
    assert r.status == 200 and (await r.json()) == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status == 200 and (await r.json()) == {"status": "ok"}
    r = await client.get("/metrics")
    body = await r.text()
    assert r.status == 200 and "pmsbot_inbox_pending" in body and "pmsbot_dispatch_seconds" in body


async def test_console_page_lists_people_escaped(client: TestClient, rt: Runtime) -> None:  # type: ignore[type-arg]
    from bot.store.models import PersonRow

    async with rt.db.write() as s:
        s.add(PersonRow(id="evil", name="<script>alert(1)</script>", roles=[]))
    r = await client.get("/console")
    html = await r.text()
    assert r.status == 200 and "王波" in html and "pmsbot" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


async def test_message_answered_in_place_and_in_feed(client: TestClient) -> None:  # type: ignore[type-arg]
    r = await client.post("/console/api/messages", json={"person": "bob", "text": "我的任务", "client_id": "c1"})
    assert r.status == 202
    body = await r.json()
    assert body["accepted"] and not body["duplicate"]
    feed = await (await client.get("/console/api/feed?person=bob")).json()
    texts = [m["text"] for m in feed["messages"]]
    assert "我的任务" in texts and any("你的未完成任务" in t for t in texts)


async def test_resubmitted_message_is_processed_once(client: TestClient) -> None:  # type: ignore[type-arg]
    payload = {"person": "bob", "text": "PUMP-4 +1h 复查", "client_id": "same"}
    first = await (await client.post("/console/api/messages", json=payload)).json()
    second = await (await client.post("/console/api/messages", json=payload)).json()
    assert not first["duplicate"] and second["duplicate"]
    feed = await (await client.get("/console/api/feed?person=bob")).json()
    assert sum("已记录 PUMP-4" in m["text"] for m in feed["messages"]) == 1
    assert sum(m["text"] == payload["text"] for m in feed["messages"]) == 1, "the echo is shown once too"


async def test_client_ids_are_per_person(client: TestClient) -> None:  # type: ignore[type-arg]
    first = await (await client.post("/console/api/messages", json={"person": "bob", "text": "my", "client_id": "c1"})
                   ).json()
    second = await (await client.post("/console/api/messages",
                                      json={"person": "carol", "text": "待审批", "client_id": "c1"})).json()
    assert not first["duplicate"] and not second["duplicate"]
    feed = await (await client.get("/console/api/feed?person=carol")).json()
    assert any("待你审批" in m["text"] for m in feed["messages"])


async def test_button_click_updates_card(client: TestClient) -> None:  # type: ignore[type-arg]
    feed = await (await client.get("/console/api/feed?person=carol")).json()
    card = next(m for m in feed["messages"] if m.get("card_ref") == "approval:1")
    assert [b["id"] for b in card["buttons"]] == ["approve", "reject"]
    r = await client.post("/console/api/actions", json={"person": "carol", "action": "reject", "value": "1",
                                                        "reason": "超预算", "client_id": "k1"})
    assert r.status == 202

    async def updated() -> bool:
        msg = await (await client.get(f"/console/api/messages/{card['id']}")).json()
        return bool(msg["revision"] == 1 and "已驳回" in msg["text"] and msg["buttons"] == [])

    await eventually(updated, what="the approval card to show the decision")


@pytest.mark.parametrize(
    ("path", "data", "status", "reason"),
    [
        ("/console/api/messages", b"{not json", 400, "not valid JSON"),
        ("/console/api/messages", b"[1,2]", 400, "JSON object"),
        ("/console/api/messages", b'{"person": 5, "text": "x"}', 400, "'person' must be a string"),
        ("/console/api/messages", b'{"person": "bob"}', 400, "'text' must be a string"),
        ("/console/api/messages", b'{"person": "../../etc", "text": "x"}', 400, "not a person id"),
        ("/console/api/messages", b'{"person": "nobody", "text": "x"}', 404, "unknown person"),
        ("/console/api/messages", b'{"person": "bob", "text": "' + b"x" * 30000 + b'"}', 400, "longer than"),
        ("/console/api/messages", b'{"person": "bob", "text": "' + b"x" * (2 * 1024 * 1024) + b'"}', 413,
         "larger than"),
        ("/console/api/actions", b'{"person": "carol", "action": ["approve"], "value": "1"}', 400, "'action'"),
        ("/console/api/feed?person=bob&after=-1", None, 400, "'after'"),
        ("/console/api/feed?person=bob&after=%C2%B2", None, 400, "'after'"),
        ("/console/api/messages/%C2%B2", None, 400, "not a message id"),
        ("/console/api/messages/99999999999", None, 400, "not a message id"),
        ("/console/api/feed?person=bob&after=99999999999", None, 400, "'after'"),
        ("/console/api/feed?person=%00", None, 400, "'person'"),
        ("/console/api/messages/abc", None, 400, "not a message id"),
        ("/console/api/messages/999999", None, 404, "no such message"),
        ("/console/api/messages", b'{"person": "bob", "text": "\xff\xfe"}', 400, "UTF-8"),
        ("/console/api/messages", "{\"person\": \"bob\", \"text\": \"水泵\"}".encode("gb18030"), 400, "UTF-8"),
        ("/console/api/messages", b"", 400, "not valid JSON"),
        ("/console/api/messages", b"null", 400, "JSON object"),
        ("/console/api/messages", b'{"person": "bob", "text": "x", "client_id": {"a": 1}}', 400, "'client_id'"),
        ("/nope", None, 404, "Not Found"),
    ],
)
async def test_hostile_requests_get_json_4xx(client: TestClient, path: str, data: bytes | None,  # type: ignore[type-arg]
                                             status: int, reason: str) -> None:
    if data is None:
        r = await client.get(path)
    else:
        r = await client.post(path, data=io.BytesIO(data), headers={"Content-Type": "application/json"})
    assert r.status == status
    body = await r.json()
    assert reason in body["error"]


async def test_console_is_off_unless_asked(rt: Runtime) -> None:
    rt.console = False
    async with TestClient(TestServer(build_app(rt))) as c:
        assert (await c.get("/console")).status == 404
        assert (await c.get("/healthz")).status == 200


async def test_readyz_is_503_until_the_schema_is_current(sqlite_url: str) -> None:
    from bot.config import Config, Settings

    fresh = Runtime(Settings(database_url=sqlite_url), Config(), clock=running_clock())
    try:
        async with TestClient(TestServer(build_app(fresh))) as c:
            r = await c.get("/readyz")
            assert r.status == 503 and (await r.json())["status"] == "unavailable"
            await fresh.open()
            assert (await c.get("/readyz")).status == 200
    finally:
        await fresh.close()


async def test_console_people_and_the_missing_key_through_the_store(rt_any: Runtime, sqlite_url: str) -> None:
    """What the console reads (everyone, by id; whether a person exists), on each backend; and a database without
    the schema gives no signing key, as an error of ours rather than the driver's."""
    from bot.store import console as feed
    from bot.store.db import Database
    from bot.store.web import KeyUnavailable, server_key

    people = await feed.people(rt_any.db)
    ids = [p.id for p in people]
    assert ids == sorted(ids) and "bob" in ids
    bob = next(p for p in people if p.id == "bob")
    assert bob.name == "王波" and isinstance(bob.roles, list)
    assert await feed.person_exists(rt_any.db, "bob") and not await feed.person_exists(rt_any.db, "nobody")
    empty = Database(sqlite_url.replace("pmsbot.db", "empty.db"))
    try:
        with pytest.raises(KeyUnavailable):
            await server_key(empty)
    finally:
        await empty.dispose()
