"""The project dashboard /projects/{key}: the numbers on its charts for known data, its access rules, escaping,
an empty project, and its PNG snapshot taken by the real headless Chromium."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.app import build_app
from bot.clocks import SYSTEM_CLOCK, FakeClock
from bot.config import Config, PersonConfig, ProjectConfig, Settings
from bot.pms import registry
from bot.pms.base import PMSDown
from bot.pms.local import LocalPMS
from bot.records import Person, Task
from bot.runtime import Runtime
from bot.store import dashboard as store
from bot.store.db import Database
from bot.store.metrics import record_metric
from bot.store.models import MilestoneRow, TaskRow
from bot.store.sync import apply_config
from bot.web import charts, dashboard, dashboard_figures, snapshot
from bot.web.links import WebLinks, weekly_snapshot_message
from bot.web.pages import WEB
from bot.web.security import SESSION_COOKIE
from tests.conftest import need, running_clock

TZ = "Asia/Shanghai"
XSS = '<script>alert("x")</script>&amp;'
BOB = Person(id="bob", name="王波", locale="zh")
ALICE = Person(id="alice", name="李娜", locale="zh")
Client = TestClient  # type: ignore[type-arg]
ADMIN_TOKEN = "admin-token-0123456789"


def config() -> Config:
    return Config(locale="en", timezone=TZ, people=(
        PersonConfig(id="alice", name="李娜", roles=("pm",)), PersonConfig(id="bob", name="王波"),
    ), projects=(
        ProjectConfig(key="PUMP", name="泵站改造", members=("alice", "bob")),
        ProjectConfig(key="MILL", name="<i>磨机</i>"),
    ))


@dataclass(frozen=True)
class Seeded:
    now: datetime
    today: date


async def set_task(s: AsyncSession, key: str, **values: object) -> None:
    """What the built-in PMS has no command for (estimates, milestones): set directly, as an import would."""
    await s.execute(update(TaskRow).where(col(TaskRow.key) == key).values(**values))


async def seed(rt: Runtime) -> Seeded:
    """PUMP: three milestones (one overdue, one empty), six tasks in every state, logged hours in three weeks,
    budget figures on three days. All instants relative to now, so the weeks and days are known."""
    now = rt.clock.now()
    today = now.astimezone(ZoneInfo(TZ)).date()
    d = timedelta(days=1)
    async with rt.db.write() as s:
        ms = [MilestoneRow(project_key="PUMP", name="采购", due=today - 5 * d),
              MilestoneRow(project_key="PUMP", name="<b>安装</b> & 调试", due=today + 10 * d),
              MilestoneRow(project_key="PUMP", name="验收", due=today + 20 * d)]
        s.add_all(ms)
        await s.flush()

        def pms(at: datetime) -> LocalPMS:
            return LocalPMS(s, clock=FakeClock(at))

        # PUMP-1: 3 days from created to done; PUMP-2: done 2 hours after it was created; PUMP-3: 35 days.
        await pms(now - 20 * d).create_task("PUMP", "采购水泵", assignee=BOB, due=None, by=ALICE)
        await pms(now - 20 * d).create_task("PUMP", "采购变频柜", assignee=BOB, due=None, by=ALICE)
        await pms(now - 40 * d).create_task("PUMP", XSS + " 拆旧泵", assignee=ALICE, due=None, by=ALICE)
        # PUMP-4 overdue (12 h estimate), PUMP-5 blocked (12 h, due in 15 days), PUMP-6 stale, undated (5 h).
        await pms(now - 15 * d).create_task("PUMP", XSS + " 换阀门", assignee=BOB, due=today - 2 * d, by=ALICE)
        await pms(now - 15 * d).create_task("PUMP", "电缆敷设", assignee=BOB, due=today + 15 * d, by=ALICE)
        await pms(now - 12 * d).create_task("PUMP", "调试", assignee=ALICE, due=None, by=ALICE)
        for key, milestone in (("PUMP-1", 0), ("PUMP-2", 0), ("PUMP-5", 0), ("PUMP-3", 1), ("PUMP-4", 1)):
            await set_task(s, key, milestone_id=ms[milestone].id)
        for key, hours in (("PUMP-4", 12), ("PUMP-5", 12), ("PUMP-6", 5)):
            await set_task(s, key, estimate_min=hours * 60)

        await pms(now - 20 * d + timedelta(hours=2)).transition("PUMP-2", "done", reason="", by=BOB)
        await pms(now - 17 * d).transition("PUMP-1", "done", reason="", by=BOB)
        await pms(now - 14 * d).log_work("PUMP-3", Decimal("1.5"), note="", by=ALICE)
        await pms(now - 7 * d).log_work("PUMP-4", Decimal(2), note="", by=BOB)
        await pms(now - 5 * d).transition("PUMP-3", "done", reason="", by=ALICE)
        await pms(now - 3 * d).report_progress("PUMP-4", percent=40, note="", hours=None, by=BOB)
        await pms(now - 3 * d).transition("PUMP-5", "blocked", reason="等电缆", by=BOB)
        await pms(now).log_work("PUMP-4", Decimal(3), note="", by=BOB)

        for at, name, value in ((now - 19 * d, "budget", 100000), (now - 19 * d, "budget_spent", 10000),
                                (now - 10 * d, "budget_spent", 40000), (now - 4 * d, "budget_spent", 60000)):
            await record_metric(s, project="PUMP", name=name, value=Decimal(value), at=at, source="erp")
    return Seeded(now=now, today=today)


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'dash.db'}",
                               pmsbot_admin_token=SecretStr(ADMIN_TOKEN)), config(), clock=running_clock())
    await runtime.open()
    yield runtime
    await runtime.close()


def app_of(rt: Runtime) -> web.Application:
    app = build_app(rt)
    assert any(r.canonical == dashboard.PAGE_ROUTE for r in app.router.resources())
    return app


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[Client]:
    async with TestClient(TestServer(app_of(rt))) as c:
        yield c


def link(client: Client, key: str) -> str:
    return dashboard.dashboard_link(client.server.app[WEB], key)


def admin(client: Client) -> dict[str, str]:
    """An admin session's cookie, as the login page would set it."""
    from bot.web.admin import token_fingerprint

    response = web.Response()
    pages = client.server.app[WEB]
    pages.sessions.start(response, "token", bound=token_fingerprint(ADMIN_TOKEN))
    return {"Cookie": f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE].value}"}


def svgs(html: str) -> list[ET.Element]:
    """Every inline chart, parsed as XML: a chart that escapes badly does not parse."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, re.S)]


def having(roots: list[ET.Element], css: str) -> list[ET.Element]:
    return [e for root in roots for e in root.iter() if css in (e.get("class") or "").split()]


def title_of(element: ET.Element) -> str:
    found = next(c for c in element if c.tag.endswith("title"))
    return found.text or ""


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def page(client: Client, key: str = "PUMP") -> str:
    r = await client.get(link(client, key) + "&lang=en")
    assert r.status == 200, await r.text()
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    return await r.text()


# -- the numbers ----------------------------------------------------------------------------------------------

async def test_milestones_and_summary(rt: Runtime, client: Client) -> None:
    await seed(rt)
    html = await page(client)
    bars = {g.get("data-milestone"): g for g in having(svgs(html), "milestone")}
    assert list(bars) == ["采购", "<b>安装</b> & 调试", "验收"], "in due order, names unescaped by the parser"
    assert [(g.get("data-percent"), g.get("data-done"), g.get("data-total"), g.get("data-overdue"))
            for g in bars.values()] == [("67", "2", "3", "1"), ("70", "1", "2", "0"), ("0", "0", "0", "0")]
    assert "overdue" in (bars["采购"].get("class") or "")
    pct = [t.text for g in bars.values() for t in g.iter() if (t.get("class") or "") == "pct"]
    assert pct == ["67%", "70%", "0%"], "the percents are written on the bars"
    assert "2/3 tasks" in title_of(bars["采购"]) and "overdue" in title_of(bars["采购"])
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))
    assert figures["total"] == "6" and figures["done"] == "3" and figures["blocked"] == "1"
    assert figures["overdue"] == "1" and figures["percent"] == "57%"  # (3 x 100 + 40 + 0 + 0) / 6


async def test_risk_table(rt: Runtime, client: Client) -> None:
    await seed(rt)
    html = await page(client)
    rows = re.findall(r'<tr class="risk" data-task="([^"]+)" data-rule="(\w+)" data-days="(\d+)">(.*?)</tr>', html,
                      re.S)
    assert [(k, rule, days) for k, rule, days, _ in rows] == [
        ("PUMP-5", "blocked", "0"), ("PUMP-4", "overdue", "2"), ("PUMP-6", "stale", "12")]
    cells = {k: [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
             for k, _, _, body in rows}
    assert cells["PUMP-4"] == ["PUMP-4", '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;amp; 换阀门',
                               "overdue", "2", "王波"]
    assert cells["PUMP-5"][2:] == ["blocked", "", "王波"] and cells["PUMP-6"][2:] == ["no update", "12", "李娜"]


async def test_cycle_time_histogram(rt: Runtime, client: Client) -> None:
    await seed(rt)
    html = await page(client)
    buckets = {g.get("data-bucket"): g for g in having(svgs(html), "bucket")}
    assert {k: g.get("data-count") for k, g in buckets.items()} == {
        "0-1": "1", "2-3": "1", "4-7": "0", "8-14": "0", "15-30": "0", "31+": "1"}
    written = {k: next(t.text for t in g.iter() if t.get("class") == "count") for k, g in buckets.items()}
    assert written == {"0-1": "1", "2-3": "1", "4-7": "0", "8-14": "0", "15-30": "0", "31+": "1"}
    assert "PUMP-2 采购变频柜" in title_of(buckets["0-1"]) and "PUMP-1 采购水泵" in title_of(buckets["2-3"])
    assert f"PUMP-3 {XSS} 拆旧泵" in title_of(buckets["31+"]), "the title, escaped in the SVG, reads back intact"
    assert "Median 3 days over 3 done tasks." in html


async def test_workload_heat_map(rt: Runtime, client: Client) -> None:
    seeded = await seed(rt)
    html = await page(client)
    this = monday(seeded.today)
    weeks = [iso_week(this + timedelta(weeks=k)) for k in range(-7, 5)]
    header = [g.get("data-week") for g in having(svgs(html), "week")]
    assert header == [*weeks, "undated"], "the last 8 ISO weeks with this one, the next 4, and undated work"
    cells = {(g.get("data-person-id"), g.get("data-week")): (g.get("data-logged"), g.get("data-planned"))
             for g in having(svgs(html), "cell")}
    assert {p for p, _ in cells} == {"alice", "bob"}
    # PUMP-5: 12 h left, spread evenly over the weeks from this one to its due date's; PUMP-4 is overdue: its
    # remaining 7 h (12 h estimate - 5 h logged) fall in this week.
    due = seeded.today + timedelta(days=15)
    span = (monday(due) - this).days // 7 + 1
    share = charts.hours(12 / span)
    expected_bob = {weeks[7]: ("3", charts.hours(7 + 12 / span)), weeks[6]: ("2", "0")}
    for k in range(1, span):
        expected_bob[weeks[7 + k]] = ("0", share)
    for week in weeks:
        assert cells[("bob", week)] == expected_bob.get(week, ("0", "0")), week
        assert cells[("alice", week)] == (("1.5", "0") if week == weeks[5] else ("0", "0")), week
    assert cells[("alice", "undated")] == ("0", "5") and cells[("bob", "undated")] == ("0", "0")
    # The hours are written in the cells, too.
    bob_now = next(g for g in having(svgs(html), "cell") if g.get("data-person-id") == "bob"
                   and g.get("data-week") == weeks[7])
    assert [t.text for t in bob_now.iter() if t.tag.endswith("text")] == ["3", "≈" + charts.hours(7 + 12 / span)]
    assert "logged 3 h" in title_of(bob_now)


async def test_budget_burn(rt: Runtime, client: Client) -> None:
    seeded = await seed(rt)
    html = await page(client)
    figures = dict(re.findall(r'data-figure="(\w+)">(?:<b[^>]*>)?([^<]*)<', html))
    assert figures["budget"] == "100,000.00" and figures["spent"] == "60,000.00"
    assert figures["spent_percent"] == "60%" and figures["progress"] == "57%"
    points = having(svgs(html), "point")
    day = [(seeded.now - timedelta(days=n)).astimezone(ZoneInfo(TZ)).date().isoformat() for n in (19, 10, 4)]
    spent = [(p.get("data-date"), p.get("data-value")) for p in points if p.get("data-series") == "spent"]
    assert spent == [(day[0], "10"), (day[1], "40"), (day[2], "60")]
    # Progress on those dates, from the history: 1 of 3 tasks done; 2 of 6; 3 of 6.
    progress = [(p.get("data-date"), p.get("data-value")) for p in points if p.get("data-series") == "progress"]
    assert progress == [(day[0], "33"), (day[1], "33"), (day[2], "50")]
    assert len(having(svgs(html), "line")) == 2 and "Progress on those dates is not known" not in html


async def test_escaped_everywhere(rt: Runtime, client: Client) -> None:
    await seed(rt)
    html = await page(client)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<b>安装</b>" not in html and "&lt;b&gt;安装&lt;/b&gt; &amp; 调试" in html
    for chart in svgs(html):  # every chart is well-formed XML, and no element came from the data
        assert {e.tag.split("}")[1] for e in chart.iter()} <= {"svg", "title", "g", "rect", "text", "line",
                                                               "polyline", "circle"}
    html = await page(client, "MILL")
    assert "&lt;i&gt;磨机&lt;/i&gt;" in html and "<i>" not in html


async def test_empty_project(client: Client) -> None:
    html = await page(client, "MILL")
    for text in ("This project has no milestones.", "No task is at risk.", "No task is done yet.",
                 "No budget figures have been reported", "Nobody has logged or planned hours"):
        assert text in html
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))
    assert figures["total"] == "0" and figures["percent"] == "0%"
    assert svgs(html) == []


async def test_zero_budget_and_one_figure(rt: Runtime, client: Client) -> None:
    async with rt.db.write() as s:
        at = rt.clock.now()
        await record_metric(s, project="MILL", name="budget", value=Decimal(0), at=at, source="erp")
        await record_metric(s, project="MILL", name="budget_spent", value=Decimal(5), at=at, source="erp")
    html = await page(client, "MILL")
    figures = dict(re.findall(r'data-figure="(\w+)">(?:<b[^>]*>)?([^<]*)<', html))
    assert figures["budget"] == "0.00" and figures["spent"] == "5.00" and figures["spent_percent"] == "unknown"
    assert "A chart appears once spending has been reported on two days or more." in html


async def test_progress_history_unknown_shows_current(rt: Runtime, client: Client) -> None:
    """Percent set without history (an import): the past progress is not guessed; the current one is shown."""
    now = rt.clock.now()
    async with rt.db.write() as s:
        await LocalPMS(s, clock=FakeClock(now - timedelta(days=30))).create_task("MILL", "检修", assignee=None, due=None, by=ALICE)
        await set_task(s, "MILL-1", percent=30, status="in_progress")
        for n, value in ((20, 10), (10, 20)):
            at = now - timedelta(days=n)
            await record_metric(s, project="MILL", name="budget", value=Decimal(100), at=at, source="erp")
            await record_metric(s, project="MILL", name="budget_spent", value=Decimal(value), at=at, source="erp")
    html = await page(client, "MILL")
    points = having(svgs(html), "point")
    assert [p.get("data-value") for p in points if p.get("data-series") == "spent"] == ["10", "20"]
    assert [p.get("data-value") for p in points if p.get("data-series") == "progress"] == ["30"]
    assert "Progress on those dates is not known; the current progress is shown." in html
    assert "progress now 30%" in html


async def test_chinese_page(rt: Runtime, client: Client) -> None:
    await seed(rt)
    r = await client.get(link(client, "PUMP") + "&lang=zh")
    html = await r.text()
    assert r.status == 200 and "里程碑进度" in html and "风险任务" in html and "落后于计划" not in html
    assert "逾期" in html and "已登记 3 小时" in html


# -- access ---------------------------------------------------------------------------------------------------

async def test_no_session_no_link_goes_to_login(client: Client) -> None:
    for path in ("/projects/PUMP", "/projects/PUMP/snapshot.png"):
        r = await client.get(path, allow_redirects=False)
        assert r.status == 303 and r.headers["Location"].startswith("/admin/login"), path


async def test_admin_session_sees_any_project(client: Client) -> None:
    r = await client.get("/projects/PUMP?lang=en", headers=admin(client))
    assert r.status == 200 and "Progress by milestone" in await r.text()
    r = await client.get("/projects/NOPE?lang=en", headers=admin(client))
    assert r.status == 404 and "There is no project NOPE." in await r.text()


async def test_bad_links_are_refused(client: Client) -> None:
    pages = client.server.app[WEB]
    good = parse_qs(urlsplit(link(client, "PUMP")).query)["v"][0]
    body, _, sig = good.partition(".")
    altered = body + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    expired = pages.signer("dashboard").make({"k": "PUMP"}, ttl_s=60, now_s=SYSTEM_CLOCK.timestamp() - 3600)
    other = pages.signer("dashboard").make({"k": "MILL"}, ttl_s=60)
    session_token = pages.signer("admin session").make({"w": "token", "c": "x"}, ttl_s=60)
    cases = [(altered, "not valid"), (expired, "expired"), (other, "another project"),
             (session_token, "not valid"), ("garbage", "not valid")]
    for token, why in cases:
        for path in ("/projects/PUMP", "/projects/PUMP/snapshot.png"):
            r = await client.get(path, params={"v": token, "lang": "en"})
            assert r.status == 403 and why in await r.text(), (path, token)
    r = await client.get(link(client, "NOPE") + "&lang=en")
    assert r.status == 404 and "There is no project NOPE." in await r.text()


async def test_links_for_chat(client: Client, rt: Runtime) -> None:
    pages = client.server.app[WEB]
    url = link(client, "PUMP")
    assert url.startswith("/projects/PUMP?v=")
    data = pages.signer("dashboard").read(parse_qs(urlsplit(url).query)["v"][0])
    assert data["k"] == "PUMP" and abs(data["x"] - (SYSTEM_CLOCK.timestamp() + 7 * 24 * 3600)) < 60
    message = weekly_snapshot_message(WebLinks(pages.key, None, clock=rt.clock), "PUMP")
    assert set(message) == {"url", "image"}
    assert message["url"].startswith("/projects/PUMP?v=") and message["image"].startswith("/projects/PUMP/snapshot.png?v=")
    assert (await client.get(message["url"])).status == 200
    chat = WebLinks(pages.key, None).dashboard("PUMP")  # what the `dashboard` chat command sends
    assert (await client.get(chat)).status == 200


# -- charts by themselves -------------------------------------------------------------------------------------

def test_svg_elements_escape_text_and_attributes() -> None:
    made = charts.el("g", {"data-name": '"><script>x</script>'}, charts.el("title", None, "<b>&</b>"), "a<b")
    assert str(made) == ('<g data-name="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"><title>&lt;b&gt;&amp;&lt;/b&gt;'
                         "</title>a&lt;b</g>")
    with pytest.raises(ValueError, match="attribute"):
        charts.el("g", {"onload=alert(1) x": 1})


def test_cycle_buckets_at_their_edges() -> None:
    tz = ZoneInfo(TZ)
    start = datetime(2024, 3, 1, 2, tzinfo=UTC)
    tasks = [Task(key=f"P-{n}", project="P", title="t", status="done", percent=100, assignee=None, due=None,
                            estimate_h=None, spent_h=Decimal(0), milestone=None, blocked_reason=None,
                            updated_at=start + timedelta(days=n), created_at=start) for n in (0, 1, 2, 3, 4, 7, 8, 14,
                                                                                              15, 30, 31, 90)]
    cycle = dashboard_figures.cycle_times(tasks, {}, tz)
    assert [(b.label, b.count) for b in cycle.buckets] == [
        ("0-1", 2), ("2-3", 2), ("4-7", 2), ("8-14", 2), ("15-30", 2), ("31+", 2)]
    assert dashboard_figures.cycle_times([], {}, tz).buckets[0].count == 0


def test_weeks_across_the_new_year() -> None:
    weeks = dashboard_figures.weeks_around(date(2026, 1, 1))
    assert len(weeks) == 12 and [w.current for w in weeks].index(True) == 7
    assert weeks[7].iso == "2026-W01" and weeks[6].iso == "2025-W52" and weeks[8].iso == "2026-W02"
    assert weeks[0].start == date(2025, 11, 10) and weeks[-1].end == date(2026, 2, 1)


# -- the PNG snapshot -----------------------------------------------------------------------------------------

async def test_snapshot_without_chromium_says_so(rt: Runtime, client: Client, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.setattr(snapshot, "chromium_path", lambda: None)
    with pytest.raises(snapshot.SnapshotUnavailable, match="not installed"):
        await snapshot.snapshot_png("http://127.0.0.1:9/")
    r = await client.get(link(client, "PUMP").replace("?", "/snapshot.png?") + "&lang=en")
    assert r.status == 503 and "A snapshot cannot be taken on this server: Chromium is not installed" in await r.text()


def need_chromium() -> None:
    need(snapshot.chromium_path() is not None, "Chromium is not installed (/usr/bin/chromium or chromium on PATH)")


@pytest.mark.slow
async def test_snapshot_of_the_dashboard(rt: Runtime, client: Client) -> None:
    need_chromium()
    await seed(rt)
    png = await snapshot.snapshot_png(str(client.make_url(link(client, "PUMP"))), width=800, height=600)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and snapshot.png_size(png) == (800, 600)
    assert len(png) > 10_000, "a page with charts, not a blank one"
    image = link(client, "PUMP").replace("?", "/snapshot.png?")
    r = await client.get(image)
    first = await r.read()
    assert r.status == 200 and r.content_type == "image/png" and snapshot.png_size(first) == dashboard.SNAPSHOT_SIZE
    again = await client.get(image, headers=admin(client))
    assert again.status == 200 and await again.read() == first, "a fresh snapshot is served again"


@pytest.mark.slow
async def test_snapshot_timeout_kills_chromium(client: Client) -> None:
    need_chromium()
    with pytest.raises(snapshot.SnapshotUnavailable, match="took longer"):
        await snapshot.snapshot_png(str(client.make_url(link(client, "PUMP"))), timeout_s=0.05)


# -- failure and storage --------------------------------------------------------------------------------------

class DownPMS:
    name = "jira"

    async def project_summary(self, project: str, *, today: date) -> None:
        raise PMSDown("Jira", "timeout")


async def test_pms_down_is_a_clear_503(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.CONNECTORS, "local", lambda session, project, clock: DownPMS())
    r = await client.get(link(client, "PUMP") + "&lang=en")
    assert r.status == 503 and "PMS (Jira) is not answering." in await r.text()


async def test_store_queries_on_each_backend(db: Database) -> None:
    now = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    await apply_config(db, config(), now=now)
    async with db.write() as s:
        pms = LocalPMS(s, clock=FakeClock(now - timedelta(days=3)))
        await pms.create_task("PUMP", "a", assignee=BOB, due=None, by=ALICE)
        await pms.create_task("MILL", "b", assignee=BOB, due=None, by=ALICE)
        await pms.report_progress("PUMP-1", percent=30, note="", hours=Decimal("1.25"), by=BOB)
        await pms.log_work("MILL-1", Decimal(4), note="", by=BOB)
        await LocalPMS(s, clock=FakeClock(now)).transition("PUMP-1", "done", reason="", by=BOB)
        for n, name, value in ((2, "budget", "10"), (1, "budget_spent", "2.5"), (1, "other", "1")):
            await record_metric(s, project="PUMP", name=name, value=Decimal(value), at=now - timedelta(days=n),
                                source="erp")
    async with db.read() as s:
        logged = await store.logged_work(s, "PUMP", since=now - timedelta(days=7), until=now)
        assert [(w.person_id, w.minutes) for w in logged] == [("bob", 75)]
        assert await store.logged_work(s, "PUMP", since=now - timedelta(days=1), until=now) == []
        history = await store.percent_history(s, "PUMP")
        assert [(c.task_key, c.percent) for c in history] == [("PUMP-1", 30), ("PUMP-1", 100)]
        metrics = await store.metric_history(s, "PUMP", ("budget", "budget_spent"))
        assert [(m.name, m.value) for m in metrics] == [("budget", Decimal(10)), ("budget_spent", Decimal("2.5"))]
        assert [m.name for m in await store.metric_history(s, "PUMP", ("budget", "budget_spent"), limit=1)] == [
            "budget_spent"]
