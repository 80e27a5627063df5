"""The portfolio and trend pages on the demo's history (`pmsbot demo --history`: 20 projects × 6 months of daily
snapshots) in a real headless Chromium: each renders in under a second, shows the figures the snapshots hold,
sorts and filters, fits a phone; screenshots of both land in tests/artifacts/."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.clocks import FakeClock
from bot.config import Settings
from bot.demo.history import DAYS, PROJECTS, seed_history
from bot.demo.seed import demo_config
from bot.runtime import Runtime
from bot.store.history import History
from bot.web.links import WebLinks
from tests.browser import DESKTOP, PHONE, browser, shots

__all__ = ["browser"]  # the fixture, used by name

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # fixed: the history ends on this day
RENDER_BUDGET_MS = 1000


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's history, made once for the module (a few seconds) and copied for each test."""
    path = tmp_path_factory.mktemp("history") / "history.db"

    async def make() -> int:
        rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{path}"), demo_config(), clock=FakeClock(NOW))
        await rt.open()
        try:
            return await seed_history(rt)
        finally:
            await rt.close()
    assert asyncio.run(make()) > PROJECTS * DAYS // 2
    return path


@pytest.fixture
async def served(history_db: Path, tmp_path: Path) -> AsyncIterator[tuple[Runtime, str]]:
    copy = tmp_path / "h.db"
    shutil.copy(history_db, copy)
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{copy}"), demo_config(),
                 clock=FakeClock(NOW, ticking=True))
    await rt.open()
    server = TestServer(build_app(rt))
    await server.start_server()
    try:
        yield rt, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
        await rt.close()


async def rendered_ms(page: Any, url: str, *, tries: int = 3) -> float:
    """The page's time from request to its load event as Chromium measures it (server, parsing, layout): the
    best of a few loads after a first that warms the server's templates, so that a neighbour's burst of CPU on
    this shared machine does not count as the page's."""
    await page.goto(url)
    best = float("inf")
    for _ in range(tries):
        await page.goto(url)
        best = min(best, float(await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")))
        if best < RENDER_BUDGET_MS / 2:
            break
    return best


async def test_the_portfolio_of_twenty_projects_renders_in_under_a_second(served: tuple[Runtime, str],
                                                                         browser: Any) -> None:
    rt, base = served
    assert rt.web_key is not None
    link = WebLinks(rt.web_key, base, clock=rt.clock).portfolio("alice")  # the PMO, as her digest links it
    async with rt.db.read() as s:
        latest = await History(s).latest()
    assert len(latest) == PROJECTS + 1  # and the demo's own PUMP, taken today as the clock does
    context = await browser.new_context(viewport=DESKTOP, locale="en-US")
    page = await context.new_page()
    took = await rendered_ms(page, link + "&lang=en")
    assert took < RENDER_BUDGET_MS, f"the portfolio took {took:.0f} ms"
    shown_rows = await page.locator("tr.project").evaluate_all(  # one round trip to the browser for them all
        "rows => rows.map(r => [r.dataset.key, r.dataset.percent, r.dataset.overdue, r.dataset.health])")
    assert sorted(key for key, *_ in shown_rows) == sorted(latest)
    assert {key: (percent, overdue, health) for key, percent, overdue, health in shown_rows} == {
        key: (str(day.percent), str(day.overdue), day.health) for key, day in latest.items()}
    counts = {h: int(await page.locator(f'[data-figure="{h}"]').inner_text()) for h in ("late", "risk", "ok")}
    assert counts == {h: sum(d.health == h for d in latest.values()) for h in counts}
    assert counts["late"] and counts["ok"] + counts["risk"]  # the demo has both kinds
    await shots(page, "portfolio")

    # Sorted by progress (lowest first), then filtered by a department: the page says so and shows so.
    await page.click('a[data-sort="progress"]')
    await page.click('a[data-sort="progress"]')  # the second click: ascending
    shown = [int(p) for p in await page.locator("tr.project[data-percent]").evaluate_all(
        "rows => rows.map(r => r.dataset.percent).filter(p => p !== '')")]
    assert shown == sorted(shown) and len(shown) == PROJECTS + 1
    await page.select_option("select[name=department]", "运维部")
    await page.click("#filters button[type=submit]")
    keys = await page.locator("tr.project").evaluate_all("rows => rows.map(r => r.dataset.key)")
    expected = {k for k in latest if k.startswith("HX") and int(k[2:]) % 3 == 1}  # departments go round
    assert set(keys) == expected
    await context.close()


async def test_a_project_s_trends_render_in_under_a_second_and_fit_a_phone(served: tuple[Runtime, str],
                                                                          browser: Any) -> None:
    rt, base = served
    assert rt.web_key is not None
    link = WebLinks(rt.web_key, base, clock=rt.clock).portfolio("alice")
    async with rt.db.read() as s:
        latest = (await History(s).latest())["HX04"]
    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await page.goto(link)
    await page.click('tr.project[data-key="HX04"] a.trends')
    took = await rendered_ms(page, page.url)
    assert took < RENDER_BUDGET_MS, f"the trends took {took:.0f} ms"
    # In the viewer's language (alice reads English), whatever the browser says.
    assert "HX04 trends" in await page.locator("h1").inner_text()
    last_open = page.locator('#burndown [data-series="open"]').last
    assert await last_open.get_attribute("data-date") == latest.day.isoformat()
    assert await last_open.get_attribute("data-value") == str(latest.total - latest.done)
    last_scope = page.locator('#burnup [data-series="scope"]').last
    assert await last_scope.get_attribute("data-value") == str(latest.total)
    for section in ("#cycle", "#throughput", "#risks", "#standups", "#workload"):
        assert await page.locator(f"{section} svg").count() == 1, section
    # Readable on a phone: nothing but the heat map's own scroller is wider than the screen.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await shots(page, "trends")
    async with page.expect_download() as download:
        await page.click("#xlsx")
    assert (await download.value).suggested_filename.startswith("HX04-trends-")
    await context.close()
