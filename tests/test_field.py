"""The field report page: the link the bot sends, the form a phone fills in, and everything a link or a form
can be that it must not be (expired, altered, replayed, cross-site, oversize, not an image)."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.config import ChannelConfig, Config, PersonConfig, ProjectConfig, Settings
from bot.pms.local import LocalPMS
from bot.records import Person
from bot.runtime import Runtime
from bot.say import drain, say
from bot.signing import Signer
from bot.store import console as feed
from bot.web.links import FIELD
from tests.conftest import running_clock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    config = Config(
        locale="en",
        people=(PersonConfig(id="bob", name="Bob", locale="en"),
                PersonConfig(id="alice", name="Alice", locale="en", roles=("pm", "admin")),
                PersonConfig(id="eve", name="Eve", locale="en")),
        projects=(ProjectConfig(key="PUMP", name="Pump", members=("alice", "bob"),
                                channels=(ChannelConfig(platform="console", id="alice"),)),))
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"), config, console=True, clock=running_clock())
    await runtime.open()
    async with runtime.db.write() as s:
        await LocalPMS(s, clock=runtime.clock).create_task("PUMP", 'Replace pump <script>alert(1)</script>', assignee=None, due=None,
                                      by=Person(id="alice", name="Alice", locale="en"))
    yield runtime
    await runtime.close()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    rt.start(("worker",))  # as `pmsbot run`: the page answers in place
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


def form_of(html: str) -> str:
    found = re.search(r'name="form" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def multipart(**fields: str | tuple[bytes, str]) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value in fields.items():
        if isinstance(value, tuple):
            data.add_field(name, io.BytesIO(value[0]), content_type=value[1], filename="p")
        else:
            data.add_field(name, value)
    return data


async def test_the_chat_hands_out_the_link_and_the_page_reports_through_the_pipeline(
        rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    said = await say(rt, "bob", "field PUMP-1")
    url = re.search(r"(/r/\S+)", said[0].text)
    assert url, said[0].text
    path = url.group(1)
    page = await client.get(path)
    html = await page.text()
    assert page.status == 200 and "PUMP-1" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert page.headers["X-Frame-Options"] == "DENY" and "default-src 'none'" in page.headers["Content-Security-Policy"]
    sent = await client.post(path, data=multipart(form=form_of(html), percent="60", hours="1.5", note="impeller in",
                                                   photo=(PNG, "image/png")))
    answer = await sent.text()
    assert sent.status == 200 and "60%" in answer
    async with rt.db.write() as s:
        task = await LocalPMS(s, clock=rt.clock).get_task("PUMP-1")
    assert task is not None and (task.percent, str(task.spent_h)) == (60, "1.5")
    await drain(rt)
    told = [m["text"] for m in await feed.feed(rt.db, "alice") if "reported from the field" in m["text"]]
    assert len(told) == 1 and "impeller in" in told[0] and "/photos/" in told[0]
    photo = re.search(r"(/photos/\S+)", told[0])
    assert photo is not None
    got = await client.get(photo.group(1))
    assert got.status == 200 and got.headers["Content-Type"] == "image/png" and await got.read() == PNG
    # The same form sent again (a double tap, a replayed request, a reload) changes nothing, and the person
    # still has the page: a notice above a fresh form, not a dead end (issue 23: it was a 409 page).
    again = await client.post(path, data=multipart(form=form_of(html), percent="70"))
    again_html = await again.text()
    assert again.status == 200 and 'id="notice"' in again_html and "already sent" in again_html
    assert form_of(again_html) != form_of(html), "a new form to report again with"
    async with rt.db.write() as s:
        still = await LocalPMS(s, clock=rt.clock).get_task("PUMP-1")
    assert still is not None and still.percent == 60
    qr = await client.get(f"{path}/qr.svg")
    assert qr.status == 200 and qr.headers["Content-Type"] == "image/svg+xml" and b"<svg" in await qr.read()


async def test_links_that_are_not_ours_or_no_longer_valid(rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    assert rt.web_key is not None
    good = rt.dispatcher.links.field("PUMP-1", "bob")  # type: ignore[union-attr]
    token = good.rpartition("/")[2]
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    expired = Signer(rt.web_key, FIELD).make({"t": "PUMP-1", "p": "bob"}, ttl_s=-10)
    other_purpose = Signer(rt.web_key, "dashboard").make({"t": "PUMP-1", "p": "bob"}, ttl_s=600)
    for bad, words in ((altered, "not valid"), (expired, "expired"), (other_purpose, "not valid"),
                       ("garbage", "not valid"), ("x" * 5000, "not valid")):
        r = await client.get(f"/r/{bad}")
        assert r.status == 403 and words in await r.text(), bad[:20]
        r = await client.post(f"/r/{bad}", data={"percent": "10"})
        assert r.status == 403
    gone = Signer(rt.web_key, FIELD).make({"t": "PUMP-99", "p": "bob"}, ttl_s=600)
    assert (await client.get(f"/r/{gone}")).status == 404


async def test_forms_that_are_not_right_change_nothing(rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    path = "/r/" + rt.dispatcher.links.field("PUMP-1", "bob").rpartition("/r/")[2]  # type: ignore[union-attr]
    form = form_of(await (await client.get(path)).text())
    cases: list[tuple[aiohttp.FormData, int, str]] = [
        (multipart(percent="50"), 403, "not valid any more"),                    # no form token: cross-site
        (multipart(form="forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", percent="50"), 403, "not valid"),
        (multipart(form=form, percent="150"), 400, "0 to 100"),
        (multipart(form=form, percent="5e1"), 400, "0 to 100"),
        (multipart(form=form, hours="25"), 400, "at most 24"),
        (multipart(form=form, hours="NaN"), 400, "at most 24"),
        (multipart(form=form, note="x" * 1001), 400, "1000"),
        (multipart(form=form), 400, "at least one"),
        (multipart(form=form, photo=(b"GIF89a....", "image/png")), 415, "not a JPEG"),
        (multipart(form=form, photo=(b"<svg onload=alert(1)>", "image/svg+xml")), 415, "not a JPEG"),
        (multipart(form=form, photo=(PNG + b"\x00" * (5 * 1024 * 1024), "image/png")), 413, "5 MB"),
    ]
    for data, status, words in cases:
        r = await client.post(path, data=data)
        text = await r.text()
        assert r.status == status and words in text, (status, words)
        # A mistake in the form is shown on the form itself (issue 23: it was a separate error page).
        assert ('id="report"' in text and 'id="error"' in text) == (status != 403), (status, words)
    async with rt.db.write() as s:
        task = await LocalPMS(s, clock=rt.clock).get_task("PUMP-1")
    assert task is not None and task.percent == 0
    assert await rt.inbox.pending_count() == 0


async def test_permissions_are_the_persons(rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    refused = await say(rt, "eve", "field PUMP-1")  # not a member: no link
    assert "not a member" in refused[0].text.lower() or "member" in refused[0].text
    assert rt.web_key is not None
    # A link made for a non-member (say, before they left the project) reports nothing.
    path = "/r/" + Signer(rt.web_key, FIELD).make({"t": "PUMP-1", "p": "eve"}, ttl_s=600)
    form = form_of(await (await client.get(path)).text())
    r = await client.post(path, data=multipart(form=form, percent="90"))
    assert r.status == 200 and "member" in await r.text()
    async with rt.db.write() as s:
        task = await LocalPMS(s, clock=rt.clock).get_task("PUMP-1")
    assert task is not None and task.percent == 0


async def test_admin_and_dashboard_links_from_chat(rt: Runtime) -> None:
    assert "Only admins" in (await say(rt, "bob", "admin"))[0].text
    said = await say(rt, "alice", "admin")
    assert any("/admin/enter/" in s.text for s in said) and any("direct messages" in s.text for s in said)
    board = await say(rt, "bob", "看板 PUMP")
    assert "/projects/PUMP?v=" in board[0].text


async def test_streamed_bodies_are_limited_and_a_replay_stores_no_photo(
        rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    from bot.store import web as store

    path = "/r/" + rt.dispatcher.links.field("PUMP-1", "bob").rpartition("/r/")[2]  # type: ignore[union-attr]
    form = form_of(await (await client.get(path)).text())

    async def chunks() -> Any:  # no Content-Length: the limit must hold while it streams
        for _ in range(7):
            yield PNG + b"\x00" * (1024 * 1024)
    boundary = "x0x0x0"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"form\"\r\n\r\n{form}\r\n--{boundary}\r\n"
            f"Content-Disposition: form-data; name=\"photo\"; filename=\"p\"\r\nContent-Type: image/png\r\n\r\n")

    async def body() -> Any:
        yield head.encode()
        async for chunk in chunks():
            yield chunk
    r = await client.post(path, data=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status == 413
    many = aiohttp.FormData()
    many.add_field("form", form)
    for n in range(30):
        many.add_field("note", io.BytesIO(b"x"), filename=f"n{n}")  # a file part makes it multipart
    assert (await client.post(path, data=many)).status == 400
    assert (await client.post(path, data=multipart(form=form, percent="20", blocked="1"))).status == 400
    sent = await client.post(path, data=multipart(form=form, note="ok", photo=(PNG, "image/png")))
    assert sent.status == 200
    again = await client.post(path, data=multipart(form=form, note="ok", photo=(PNG, "image/png")))
    assert again.status == 200 and 'id="notice"' in await again.text()
    assert len(await store.photos_of(rt.db, "PUMP-1")) == 1


def test_web_secrets_must_be_long_enough() -> None:
    from pydantic import ValidationError

    for name, value in (("pmsbot_secret_key", "short"), ("pmsbot_admin_token", "short")):
        with pytest.raises(ValidationError):
            Settings(**{name: value})  # type: ignore[arg-type]
