"""The web pages as a person uses them, in a real headless Chromium: the field page from a link the bot sent, the
admin pages, a project dashboard. Screenshots of each at phone and desktop widths land in tests/artifacts/."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.app import build_app
from bot.clocks import SYSTEM_CLOCK
from bot.config import ChannelConfig, Config, PersonConfig, ProjectConfig, Settings
from bot.pms.local import LocalPMS
from bot.records import Person
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from tests.browser import ARTIFACTS, PHONE, browser, shots
from tests.conftest import running_clock

__all__ = ["browser"]  # the fixture, used by name

ADMIN_TOKEN = "admin-token-0123456789abcdef"


def png(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny) PNG, as a phone camera would send a JPEG."""
    raw = b"".join(b"\x00" + b"\x2f\x80\xed" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Runtime, str]]:
    config = Config(
        locale="zh",
        people=(PersonConfig(id="bob", name="王波", locale="zh"),
                PersonConfig(id="alice", name="李娜", locale="zh", roles=("pm", "admin"))),
        projects=(ProjectConfig(key="PUMP", name="泵站改造", members=("alice", "bob"),
                                channels=(ChannelConfig(platform="console", id="alice"),)),))
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.db'}",
                          pmsbot_admin_token=SecretStr(ADMIN_TOKEN)), config, console=True, clock=running_clock())
    await rt.open()
    async with rt.db.write() as s:
        pms = LocalPMS(s, clock=rt.clock)
        alice = Person(id="alice", name="李娜", locale="zh")
        for title in ("水泵更换 <b>紧急</b>", "电缆敷设", "控制柜调试"):
            await pms.create_task("PUMP", title, assignee=None, due=None, by=alice)
    rt.start(("worker",))
    server = TestServer(build_app(rt))
    await server.start_server()
    try:
        yield rt, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
        await rt.close()


async def test_field_report_from_the_link_the_bot_sent(served: tuple[Runtime, str], browser: Any) -> None:
    rt, base = served
    said = await say(rt, "bob", "现场 PUMP-1")
    path = re.search(r"(/r/\S+)", said[0].text)
    assert path, said[0].text
    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await page.goto(base + path.group(1))
    assert "水泵更换 <b>紧急</b>" in await page.locator("#task h2").inner_text()  # shown as text, not markup
    await shots(page, "field")
    await page.fill("#percent-in", "70")
    await page.fill("#hours", "2.5")
    await page.fill("#note", "叶轮已装好")
    await page.set_input_files("#photo", files=[{"name": "site.png", "mimeType": "image/png", "buffer": png()}])
    form = await page.locator("input[name=form]").get_attribute("value")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#answer")
    answer = await page.locator("#answer").inner_text()
    assert "PUMP-1" in answer and "70%" in answer, answer
    assert await page.locator("#percent").inner_text() == "70%"
    await page.screenshot(path=str(ARTIFACTS / "field-sent-phone.png"), full_page=True)
    async with rt.db.write() as s:
        task = await LocalPMS(s, clock=rt.clock).get_task("PUMP-1")
    assert task is not None and (task.percent, str(task.spent_h), task.status) == (70, "2.5", "in_progress")
    await drain(rt)
    told = [m["text"] for m in await feed.feed(rt.db, "alice") if "现场汇报" in m["text"]]
    assert len(told) == 1 and "叶轮已装好" in told[0]
    # The same form posted again (a replayed request, a reload): not applied twice, and the page stays usable.
    replay = await context.request.post(base + path.group(1), multipart={"form": form or "", "percent": "90"})
    assert replay.status == 200 and "已提交过" in await replay.text() and 'id="report"' in await replay.text()
    async with rt.db.write() as s:
        task = await LocalPMS(s, clock=rt.clock).get_task("PUMP-1")
    assert task is not None and task.percent == 70
    # An altered link: a clear page, 403.
    response = await page.goto(base + path.group(1)[:-4] + "AAAA")
    assert response is not None and response.status == 403
    assert "链接无效" in await page.locator("#error").inner_text()
    await context.close()


async def test_field_page_on_a_desktop_in_english(served: tuple[Runtime, str], browser: Any) -> None:
    rt, base = served
    assert rt.dispatcher.links is not None
    url = base + rt.dispatcher.links.field("PUMP-2", "alice") + "?lang=en"
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(url)
    assert "Field report" in await page.title()
    await page.check("#blocked")
    await page.fill("#note", "waiting for cable drums")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#answer")
    assert "PUMP-2" in await page.locator("#answer").inner_text()
    async with rt.db.write() as s:
        task = await LocalPMS(s, clock=rt.clock).get_task("PUMP-2")
    assert task is not None and task.status == "blocked"
    await context.close()


def _now() -> datetime:
    return SYSTEM_CLOCK.now()


async def test_admin_logs_in_and_replays_a_dead_letter_until_it_is_delivered(
        served: tuple[Runtime, str], browser: Any) -> None:

    from sqlalchemy import select
    from sqlmodel import col

    from bot.store.models import OutboxRow
    from notifiers.outbox import ClaimedMessage, Envelope

    rt, base = served
    envelope = Envelope(platform="console", target="alice", kind="linked", locale="zh",
                        data={"pms_user": "replayed-notice"}, actions=[])
    # Queued an hour ahead so the running delivery worker (woken at once since issue 21) cannot send it before it is
    # made a dead letter here; the replay below puts it back in line now.
    async with rt.db.write() as s:
        await rt.outbox.enqueue(s, [envelope], source_event=None, now=rt.clock.now() + timedelta(hours=1),
                                preclaim=False)
    async with rt.db.read() as s:
        dead_id = (await s.execute(select(col(OutboxRow.id)).order_by(col(OutboxRow.id).desc()))).scalars().first()
    assert dead_id is not None
    await rt.outbox.dead(ClaimedMessage(id=dead_id, attempts=8, envelope=envelope), error="gave up: <b>500</b>")
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(base + "/admin")
    assert page.url.endswith("/admin/login")  # no session: the login page
    await page.fill("#token", "wrong-token")
    await page.click("button[type=submit]")
    assert "/admin/login" in page.url
    await page.fill("#token", ADMIN_TOKEN)
    await page.click("button[type=submit]")
    await page.wait_for_url(base + "/admin")
    assert await page.locator("#q-outbox-dead").inner_text() == "1"
    await shots(page, "admin")
    await page.goto(base + "/admin/dead")
    row = page.locator(f'tr.dead[data-id="{dead_id}"]')
    assert "<b>500</b>" in await row.inner_text()  # the error shown as text
    await shots(page, "admin-dead")
    await row.locator("button[type=submit]").click()
    await page.wait_for_selector("#notice")
    # The worker delivers the message put back in line; the dead letter is gone from the list.
    for _ in range(50):
        delivered = [m for m in await feed.feed(rt.db, "alice") if "replayed-notice" in m["text"]]
        if delivered:
            break
        rt.delivery.delivered.clear()
        await rt.delivery.run_once()
    assert delivered
    await page.goto(base + "/admin/dead")
    assert await page.locator(f'tr.dead[data-id="{dead_id}"]').count() == 0
    await context.close()


async def test_dashboard_from_the_link_the_bot_sent_shows_the_right_numbers(
        served: tuple[Runtime, str], browser: Any) -> None:
    from sqlalchemy import update

    from bot.store.models import MilestoneRow, TaskRow

    rt, base = served
    async with rt.db.write() as s:
        milestone = MilestoneRow(project_key="PUMP", name="设备安装", due=rt.clock.now().date() + timedelta(days=10))
        s.add(milestone)
        await s.flush()
        await s.execute(update(TaskRow).values(milestone_id=milestone.id))
    await say(rt, "bob", "汇报 PUMP-1 70%")
    await say(rt, "bob", "完成 PUMP-2")
    said = await say(rt, "bob", "看板 PUMP")
    link = re.search(r"(/projects/PUMP\?v=\S+)", said[0].text)
    assert link, said[0].text
    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await page.goto(base + link.group(1))
    assert await page.locator('[data-figure="total"]').inner_text() == "3"
    assert await page.locator('[data-figure="done"]').inner_text() == "1"
    assert await page.locator('[data-figure="percent"]').inner_text() == "57%"
    bar = page.locator("#milestones [data-percent]").first
    assert (await bar.get_attribute("data-percent"), await bar.get_attribute("data-done"),
            await bar.get_attribute("data-total")) == ("57", "1", "3")
    await shots(page, "dashboard")
    await context.close()


async def test_the_demo_organisations_pages_render(rt: Runtime, browser: Any) -> None:
    """The three pages on the seeded demo data (the README's screenshots come from these artifacts)."""
    from pydantic import SecretStr as Secret

    rt.settings.pmsbot_admin_token = Secret(ADMIN_TOKEN)
    rt.start(("worker",))
    server = TestServer(build_app(rt))
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        assert rt.dispatcher.links is not None
        context = await browser.new_context(viewport=PHONE, locale="zh-CN")
        page = await context.new_page()
        await page.goto(base + rt.dispatcher.links.field("PUMP-2", "bob"))
        assert "PUMP-2" in await page.locator("#task h2").inner_text()
        await shots(page, "demo-field")
        await page.goto(base + rt.dispatcher.links.dashboard("PUMP"))
        assert int(await page.locator('[data-figure="total"]').inner_text()) > 0
        # The workload heat map keeps its size on a phone and scrolls sideways, rather than shrinking unreadably
        # (issue 23).
        heat = page.locator("#workload div").first
        assert await heat.evaluate("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX === 'auto'")
        await shots(page, "demo-dashboard")
        await page.goto(base + "/admin/login")
        await page.fill("#token", ADMIN_TOKEN)
        await page.click("button[type=submit]")
        await page.wait_for_url(base + "/admin")
        await shots(page, "demo-admin")
        await context.close()
    finally:
        await server.close()


async def test_the_console_links_speaks_the_person_s_language_and_uses_a_button_once(rt: Runtime,
                                                                                      browser: Any) -> None:
    """Issue 23's console: links were plain relative text, the page stayed in the deployment's language whoever
    was chosen, and Apply stayed after it was used."""
    rt.start(("worker",))
    server = TestServer(build_app(rt))
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        context = await browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = await context.new_page()
        await page.goto(base + "/console?person=alice")
        assert await page.get_attribute("#text", "placeholder") == rt.renderer.catalogs["en"]["web"]["placeholder"]
        assert await page.locator("html").get_attribute("lang") == "en"
        await page.select_option("#person", "bob")
        assert await page.get_attribute("#text", "placeholder") == rt.renderer.catalogs["zh"]["web"]["placeholder"]
        await page.fill("#text", "现场 PUMP-2")
        await page.click("#send")
        link = page.locator('#log a[href*="/r/"]').first
        await link.wait_for()
        href = await link.get_attribute("href")
        assert href is not None and href.startswith(base + "/r/"), href
        assert await link.inner_text() == href, "shown whole, absolute"
        await page.fill("#text", "站会 昨天完成 PUMP-2 60%")
        await page.click("#send")
        apply = page.locator("#log .buttons button", has_text=rt.renderer.catalogs["zh"]["buttons"]["apply"])
        await apply.first.wait_for()
        await apply.first.click()
        await apply.first.wait_for(state="detached")
        async with page.expect_response(lambda r: "/console/api/feed" in r.url):
            pass  # the next poll...
        async with page.expect_response(lambda r: "/console/api/feed" in r.url):
            pass
        assert await apply.count() == 0, "...does not bring the used button back"
        # A decision card's time (UTC in the message) in the viewer's timezone (the context's: Shanghai).
        await page.select_option("#person", "carol")
        await page.fill("#text", "approve 1")
        await page.click("#send")
        shown = page.locator("#log time").first
        await shown.wait_for()
        iso = await shown.get_attribute("datetime")
        assert iso is not None and iso.endswith("+00:00"), iso
        local = datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai"))
        assert local.strftime("%H:%M") in await shown.inner_text() and iso not in await shown.inner_text()
        await shots(page, "console")
        await context.close()
    finally:
        await server.close()
