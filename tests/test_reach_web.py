"""The team's standup history page `/projects/{key}/standups`: read like the dashboard (signed view link or
admin session), in the viewer's language and timezone, and hostile query strings answered with a clear 4xx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.runtime import Runtime
from bot.say import say
from bot.web import dashboard
from bot.web.pages import WEB
from tests.conftest import set_clock

Client = TestClient  # type: ignore[type-arg]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[Client]:
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


def view(client: Client, key: str = "PUMP") -> str:
    """The dashboard's view link, turned to the standups page."""
    page = dashboard.dashboard_link(client.server.app[WEB], key)
    return page.replace(f"/projects/{key}?", f"/projects/{key}/standups?")


@pytest.mark.clock(datetime(2026, 12, 2, 10, 0, tzinfo=SH))
async def test_history_in_the_viewers_language_and_timezone(rt: Runtime, client: Client) -> None:
    await say(rt, "bob", "站会 电缆还没到 <script>alert(1)</script>")
    await say(rt, "alice", "standup skip")
    set_clock(rt, datetime(2026, 12, 3, 21, 30, tzinfo=SH))
    await say(rt, "dave", "站会 补 昨天 接线完成")  # late: said on the 3rd for the 2nd
    await say(rt, "bob", "请假 12-03")
    url = view(client)
    en = await (await client.get(url + "&lang=en&days=3")).text()
    assert "PUMP standups" in en and "2026-12-01 to 2026-12-03, times in Asia/Shanghai" in en
    day2 = en[en.index('data-day="2026-12-02"'):]
    assert "2 of 3 answered" in day2 and "skipped" in day2 and ">late<" in day2
    assert "&lt;script&gt;" in en and "<script>alert" not in en
    assert 'data-day="2026-12-03"' in en and "away" in en
    assert "12-03 21:30" in day2  # dave's late answer, in Shanghai time
    zh = await (await client.get(url + f"&lang=zh&days=3&tz={quote('America/New_York')}")).text()
    assert "站会记录" in zh and "时间为 America/New_York" in zh and "补交" in zh
    assert "12-03 08:30" in zh, "21:30 in Shanghai is 08:30 in New York"
    assert "王波" in zh
    board = await (await client.get(dashboard.dashboard_link(client.server.app[WEB], "PUMP") + "&lang=en")).text()
    link = board[board.index('id="standups-link"') - 300:board.index('id="standups-link"')]
    assert "/projects/PUMP/standups?v=" in link, "the dashboard links to the history with its own view link"


@pytest.mark.clock(datetime(2026, 12, 3, 10, 0, tzinfo=SH))
async def test_access_and_hostile_queries(client: Client) -> None:
    assert (await client.get("/projects/PUMP/standups", allow_redirects=False)).status == 303  # to the login
    other = view(client, "OTHER").replace("/projects/OTHER/", "/projects/PUMP/")
    assert (await client.get(other)).status == 403, "a link made for another project"
    forged = view(client)[:-3] + "xyz"
    assert (await client.get(forged)).status == 403
    url = view(client) + "&lang=en"
    for query, status, words in (
        ("&tz=Mars/Olympus", 400, "timezone"), ("&tz=../../etc/passwd", 400, "timezone"),
        ("&tz=" + "A" * 500, 400, "timezone"), ("&days=0", 400, "days"), ("&days=91", 400, "days"),
        ("&days=-1", 400, "days"), ("&days=1e9", 400, "days"), ("&days=%EF%BC%91", 400, "days"),
        ("&lang=xx&days=1", 200, "standups"), ("&tz=UTC&days=90", 200, "times in UTC"),
    ):
        answer = await client.get(url + query)
        assert answer.status == status, query
        assert words in await answer.text(), query
    missing = view(client, "NOPE")
    assert (await client.get(missing)).status == 404
