"""The portfolio's history and pages on a small case worked out by hand: the daily snapshot (once a day, a handful
of statements), the burndown and burnup against numbers computed by hand, cycle times, who sees which project,
the CSV/XLSX downloads, hostile query parameters (4xx with a JSON reason, never a 500) and the PMO's weekly
digest in each recipient's language."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import col

from bot.app import build_app
from bot.clock import run_due
from bot.clocks import FakeClock
from bot.config import ChannelConfig, Config, PersonConfig, ProjectConfig, Settings
from bot.config.portfolio import PortfolioConfig
from bot.jobs.snapshots import DailySnapshots
from bot.pms.local import LocalPMS
from bot.records import Person
from bot.runtime import Runtime
from bot.say import drain
from bot.store import console as feed
from bot.store.history import History
from bot.store.models import MilestoneRow, ProjectRow, TaskRow
from bot.store.workspace import SqlWorkspace
from bot.web.admin import token_fingerprint
from bot.web.links import WebLinks
from bot.web.pages import WEB
from bot.web.security import SESSION_COOKIE
from bot.web.trend_figures import p85
from tests.test_set_based import WRITES, statements

SH = ZoneInfo("Asia/Shanghai")
DAY1 = datetime(2026, 11, 23, 6, 0, tzinfo=SH)  # a Monday, at the snapshot time
ADMIN_TOKEN = "admin-token-portfolio-0123456789"
ALICE = Person(id="alice", name="李娜", locale="zh")
Client = TestClient  # type: ignore[type-arg]


def config() -> Config:
    return Config(locale="zh", timezone="Asia/Shanghai", people=(
        PersonConfig(id="alice", name="李娜", locale="zh", roles=("pm",), department="工程部"),
        PersonConfig(id="bob", name="Bob", locale="en", department="运维部", timezone="Europe/Berlin"),
        PersonConfig(id="carol", name="<b>Carol</b>", locale="en", roles=("admin",)),
    ), projects=(
        ProjectConfig(key="PUMP", name="泵站改造", members=("alice",), department="工程部", tags=("客户A",),
                      channels=(ChannelConfig(platform="console", id="alice"),)),
        ProjectConfig(key="MILL", name="磨机", members=("alice",), department="运维部", read="department"),
        ProjectConfig(key="SECRET", name="<script>x</script>", members=("carol",)),
    ), portfolio=PortfolioConfig(pmo=("alice", "bob"), digest="mon 09:00"))


@dataclass
class Case:
    rt: Runtime
    client: Client
    clock: FakeClock


@pytest.fixture
async def case(tmp_path: Path) -> AsyncIterator[Case]:
    clock = FakeClock(DAY1 - timedelta(days=3))
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}",
                          pmsbot_admin_token=SecretStr(ADMIN_TOKEN), pmsbot_public_url="https://pms.example.com"),
                 config(), console=True, clock=clock)
    await rt.open()
    client = TestClient(TestServer(build_app(rt)))
    await client.start_server()
    try:
        yield Case(rt=rt, client=client, clock=clock)
    finally:
        await client.close()
        await rt.close()


async def seed_three_days(c: Case) -> None:
    """PUMP by hand. Day 1: four tasks open (milestone M1 due on day 5). Day 2: PUMP-1 done (created 3 days
    before), a fifth task added. Day 3: PUMP-2 and PUMP-3 done. Snapshots at 06:00 each day."""
    rt, start = c.rt, DAY1 - timedelta(days=3)
    async with rt.db.write() as s:
        m1 = MilestoneRow(project_key="PUMP", name="M1", due=(DAY1 + timedelta(days=4)).date())
        s.add(m1)
        await s.flush()
        pms = LocalPMS(s, clock=FakeClock(start))
        for title in ("泵", "阀", "管", "线"):
            await pms.create_task("PUMP", title, assignee=ALICE, due=(DAY1 + timedelta(days=4)).date(), by=ALICE)
        await s.execute(update(TaskRow).values(milestone_id=m1.id, estimate_min=600))
    c.clock.set(DAY1)
    assert await DailySnapshots(rt.db, rt.clock, rt.config, rt.remotes).take(DAY1) > 0
    day2 = DAY1 + timedelta(days=1)
    async with rt.db.write() as s:
        pms = LocalPMS(s, clock=FakeClock(day2 - timedelta(hours=2)))
        await pms.transition("PUMP-1", "done", reason="", by=ALICE)
        await pms.create_task("PUMP", "电", assignee=None, due=None, by=ALICE)
    c.clock.set(day2)
    await run_due(rt.jobs, day2)  # the clock's job at 06:00
    day3 = DAY1 + timedelta(days=2)
    async with rt.db.write() as s:
        pms = LocalPMS(s, clock=FakeClock(day3 - timedelta(hours=2)))
        for key in ("PUMP-2", "PUMP-3"):
            await pms.transition(key, "done", reason="", by=ALICE)
    c.clock.set(day3 + timedelta(hours=3))
    await run_due(rt.jobs, day3)


async def admin(c: Case) -> None:
    """An admin session's cookie in the client's jar, as the login page would set it."""
    response = web.Response()
    c.client.server.app[WEB].sessions.start(response, "token", bound=token_fingerprint(ADMIN_TOKEN))
    c.client.session.cookie_jar.update_cookies({SESSION_COOKIE: response.cookies[SESSION_COOKIE].value})


def points(html: str, series: str) -> list[tuple[str, str]]:
    return re.findall(rf'data-series="{series}" data-date="([\d-]+)" data-value="([\d.]+)"', html)


async def test_the_burndown_matches_the_one_worked_out_by_hand(case: Case) -> None:
    await seed_three_days(case)
    await admin(case)
    r = await case.client.get("/portfolio/PUMP", params={"weeks": "4", "lang": "en"})
    html = await r.text()
    assert r.status == 200, html
    days = ["2026-11-23", "2026-11-24", "2026-11-25"]
    # open = scope - done: 4 - 0, 5 - 1, 5 - 3; the ideal line: 4 open on day 1 to none on day 5 (due).
    assert points(html, "open") == list(zip(days, ["4", "4", "2"], strict=True))
    assert points(html, "ideal") == list(zip(days, ["4", "3", "2"], strict=True))
    assert points(html, "done") == list(zip(days, ["0", "1", "3"], strict=True))
    assert points(html, "scope") == list(zip(days, ["4", "5", "5"], strict=True))
    # Remaining estimate: 10 h on each of the four tasks; the fifth has none.
    assert points(html, "remaining_h") == list(zip(days, ["40", "30", "10"], strict=True))
    # The milestone alone: the four tasks of M1.
    r = await case.client.get("/portfolio/PUMP", params={"milestone": "M1", "weeks": "4"})
    assert points(await r.text(), "open") == list(zip(days, ["4", "3", "1"], strict=True))
    # The CSV holds the same numbers.
    r = await case.client.get("/portfolio/PUMP/trends.csv", params={"weeks": "4"})
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    burndown = [row for row in rows if row[0] == "burndown"]
    assert [(row[1], row[4]) for row in burndown] == list(zip(days, ["4", "4", "2"], strict=True))
    # Cycle times: PUMP-1 3 + 1 = 4 days, PUMP-2 and PUMP-3 5 days, all in week 48.
    cycle = [row for row in rows if row[0] == "cycle_time" and row[3] != "0"]
    assert cycle == [["cycle_time", "2026-W48", "2026-11-23", "3", "5.0", "5"]]
    # XLSX: a sheet per figure, the same numbers.
    r = await case.client.get("/portfolio/PUMP/trends.xlsx", params={"weeks": "4"})
    book = load_workbook(io.BytesIO(await r.read()), read_only=True)
    sheet = list(book["burndown"].iter_rows(values_only=True))
    assert sheet[0][:4] == ("day", "scope", "done", "open") and [x[3] for x in sheet[1:]] == [4, 4, 2]


def test_the_85th_percentile_is_by_nearest_rank() -> None:
    assert p85([]) is None
    assert p85([7]) == 7
    assert p85(list(range(1, 21))) == 17  # ceil(0.85 * 20) = 17th
    assert p85([1, 2, 3, 100]) == 100


async def test_the_snapshot_is_taken_once_a_day_in_a_handful_of_statements(case: Case) -> None:
    await seed_three_days(case)
    rt = case.rt
    async with rt.db.write() as s:  # a project on a Jira this deployment cannot reach: left out, not in the way
        s.add(ProjectRow(key="FAR", name="far", pms="jira", pms_project="FAR"))
    job = DailySnapshots(rt.db, rt.clock, rt.config, rt.remotes)
    day4 = DAY1 + timedelta(days=3)
    case.clock.set(day4)
    with statements(rt.db) as seen:
        assert await job.take(day4) > 0
    writes = [s for s in seen if s in WRITES]
    assert len(writes) <= 8, writes  # four tables, the run's claim, the audit row
    assert await job.take(day4) == 0  # once a day
    assert await job.run(day4 + timedelta(minutes=1), catching_up=False) == 0  # not its minute
    async with rt.db.read() as s:
        latest = await History(s).latest()
    assert set(latest) == {"PUMP", "MILL", "SECRET"}
    assert (latest["PUMP"].total, latest["PUMP"].done, latest["PUMP"].health) == (5, 3, "risk")  # behind, stale


async def test_each_viewer_sees_the_projects_they_may_read(case: Case) -> None:
    await seed_three_days(case)
    links = WebLinks(case.rt.web_key or b"", None, clock=case.rt.clock)
    for person, expected in (("alice", ["MILL", "PUMP"]), ("bob", ["MILL"]), ("carol", ["MILL", "PUMP", "SECRET"])):
        r = await case.client.get(links.portfolio(person) + "&sort=project")
        html = await r.text()
        assert r.status == 200, html
        assert re.findall(r'class="project" data-key="(\w+)"', html) == expected, person
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    # Each in their language and timezone: bob reads English, in Berlin (the clock: 09:00 in Shanghai).
    html = await (await case.client.get(links.portfolio("bob"))).text()
    assert 'lang="en"' in html and "page made 2026-11-25 02:00 (Europe/Berlin)" in html
    html = await (await case.client.get(links.portfolio("alice"))).text()
    assert 'lang="zh"' in html and "页面生成于 2026-11-25 09:00（Asia/Shanghai）" in html
    # bob (English) may not open PUMP's trends with his link; with alice's, the filters work.
    r = await case.client.get(links.portfolio("bob").replace("/portfolio?", "/portfolio/PUMP?"))
    assert r.status == 403
    alice = links.portfolio("alice")
    r = await case.client.get(alice + "&department=%E5%B7%A5%E7%A8%8B%E9%83%A8")  # 工程部
    assert re.findall(r'class="project" data-key="(\w+)"', await r.text()) == ["PUMP"]
    r = await case.client.get(alice + "&tag=%E5%AE%A2%E6%88%B7A&lang=en")  # 客户A
    html = await r.text()
    assert re.findall(r'class="project" data-key="(\w+)"', html) == ["PUMP"] and 'lang="en"' in html
    r = await case.client.get(alice + "&pm=%E6%9D%8E%E5%A8%9C&sort=progress&order=desc")  # 李娜
    assert re.findall(r'class="project" data-key="(\w+)"', await r.text()) == ["PUMP", "MILL"]
    # The rows as a download: the same filters, the same figures.
    r = await case.client.get(alice.replace("/portfolio?", "/portfolio.csv?") + "&sort=project")
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    assert [(row[1], row[7], row[8]) for row in rows[1:]] == [("MILL", "ok", "0"), ("PUMP", "risk", "60")]
    r = await case.client.get(alice.replace("/portfolio?", "/portfolio.xlsx?") + "&tag=%E5%AE%A2%E6%88%B7A")
    sheet = list(load_workbook(io.BytesIO(await r.read()), read_only=True)["portfolio"].iter_rows(values_only=True))
    assert [row[0] for row in sheet[1:]] == ["PUMP"]
    # The row opens the project's dashboard with a view link of its own.
    r = await case.client.get(alice)
    dashboard = re.search(r'href="(/projects/PUMP\?v=[^"]+)"', await r.text())
    assert dashboard and (await case.client.get(dashboard.group(1).replace("&amp;", "&"))).status == 200
    # Without a session or link: the login; an altered link: 403.
    r = await case.client.get("/portfolio", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/admin/login"
    assert (await case.client.get(alice[:-3] + "AAA")).status == 403


HOSTILE: list[tuple[str, dict[str, str] | list[tuple[str, str]]]] = [
    ("/portfolio", {"sort": "__class__"}), ("/portfolio", {"order": "sideways"}), ("/portfolio", {"x": "1"}),
    ("/portfolio", {"department": "a" * 101}), ("/portfolio", {"tag": "\x00"}), ("/portfolio", {"pm": "\u007f"}),
    ("/portfolio", [("sort", "health"), ("sort", "project")]), ("/portfolio", {"lang": "../../etc"}),
    ("/portfolio/PUMP", {"weeks": "0"}), ("/portfolio/PUMP", {"weeks": "-1"}), ("/portfolio/PUMP", {"weeks": "1e9"}),
    ("/portfolio/PUMP", {"weeks": "٣"}), ("/portfolio/PUMP", {"weeks": "99999999999999999999"}),
    ("/portfolio/PUMP", {"milestone": "nope"}), ("/portfolio/PUMP", {"milestone": "M1\r\nX: y"}),
    ("/portfolio/pump", {}), ("/portfolio/PUMP'--", {}), ("/portfolio/PUMP/trends.csv", {"weeks": "x"}),
    ("/portfolio/PUMP/trends.exe", {}), ("/portfolio.exe", {}), ("/portfolio.csv", {"order": "1"}), ("/portfolio/PUMP/trends.xlsx", {"milestone": "<script>"}),
]


async def test_hostile_query_parameters_get_a_4xx_with_a_json_reason(case: Case) -> None:
    await seed_three_days(case)
    await admin(case)
    for path, query in HOSTILE:  # one seeded case for all (a fixture each would cost seconds apiece)
        r = await case.client.get(path, params=query, allow_redirects=False)
        assert 400 <= r.status < 500, (path, query, r.status)
        assert r.headers["Content-Type"].startswith("application/json"), (path, query)
        assert (await r.json())["error"], (path, query)
    for path in ("/portfolio", "/portfolio/PUMP", "/portfolio/PUMP/trends.csv"):  # and the pages still answer
        assert (await case.client.get(path)).status == 200, path


async def test_the_pmo_hears_the_week_in_their_own_language(case: Case) -> None:
    await seed_three_days(case)
    rt = case.rt
    monday = DAY1 + timedelta(days=7, hours=3)  # Monday 09:00, a week after day 1
    case.clock.set(monday)
    async with rt.db.write() as s:  # PUMP falls behind: a task overdue since the weekend
        await s.execute(update(TaskRow).where(col(TaskRow.key) == "PUMP-4").values(
            due=(monday - timedelta(days=2)).date()))
    await DailySnapshots(rt.db, rt.clock, rt.config, rt.remotes).take(monday)
    assert await run_due(rt.jobs, monday - timedelta(minutes=1)) == 0
    sent = await run_due(rt.jobs, monday)
    assert sent >= 2  # alice on the console; bob on the console
    assert await run_due(rt.jobs, monday) == 0  # once
    await drain(rt)
    [zh] = [m["text"] for m in await feed.feed(rt.db, "alice") if "本周项目组合" in m["text"]]
    assert "共 2 个项目 · 1 个延期" in zh and "PUMP 泵站改造：延期（原为有风险） · 60%（+60） · 完成 3 项 · 逾期 1 项" in zh and "本周完成 3 项任务" in zh
    assert "https://pms.example.com/portfolio?v=" in zh
    [en] = [m["text"] for m in await feed.feed(rt.db, "bob") if "Portfolio this week" in m["text"]]
    assert "1 projects" in en and "PUMP" not in en  # bob reads MILL (his department) only, unchanged


@pytest.mark.parametrize(("section", "problem"), [
    ({"portfolio": {"pmo": ["nobody"]}}, "unknown person 'nobody'"),
    ({"portfolio": {"digest": "monday 9am"}}, "digest"),
    ({"portfolio": {"snapshot_at": 600}}, "quotes"),
    ({"portfolio": {"pmo": ["alice"], "typo": 1}}, "typo"),
    ({"projects": [{"key": "PUMP", "name": "p", "tags": ["x" * 41]}]}, "tags"),
])
def test_a_wrong_portfolio_setting_is_named(section: dict[str, object], problem: str) -> None:
    from bot.config import ConfigError
    from bot.config.load import parse_config

    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump({"people": [{"id": "alice", "name": "A"}], **section}, allow_unicode=True),
                     name="pmsbot.yaml", env={})
    assert problem in str(caught.value)


async def test_the_snapshot_and_the_pages_reads_work_on_both_databases(db_url: str) -> None:
    """PostgreSQL too: the set-based INSERT … ON CONFLICT DO NOTHING, the latest-day reads, the JSON tags."""
    from bot.store import migrate

    clock = FakeClock(DAY1 - timedelta(days=3))
    rt = Runtime(Settings(database_url=db_url), config(), clock=clock)
    await migrate.upgrade(rt.db)
    await rt.open()
    try:
        c = Case(rt=rt, client=None, clock=clock)  # type: ignore[arg-type]
        await seed_three_days(c)
        assert await DailySnapshots(rt.db, rt.clock, rt.config, rt.remotes).take(DAY1 + timedelta(days=2)) == 0
        async with rt.db.read() as s:
            history = History(s)
            latest = await history.latest(["PUMP", "MILL"])
            days = await history.project_days("PUMP", milestone="M1", since=DAY1.date(), until=DAY1.date() + timedelta(days=9))
            done = await history.done_between(["PUMP"], since=DAY1.date(), until=DAY1.date() + timedelta(days=9))
            projects = {p.key: p for p in await SqlWorkspace(s, default_locale="zh").all_projects()}
        assert (latest["PUMP"].total, latest["PUMP"].done) == (5, 3) and set(latest) == {"PUMP", "MILL"}
        assert [d.total - d.done for d in days] == [4, 3, 1]
        assert sorted((d.task, d.cycle_days) for d in done) == [("PUMP-1", 4), ("PUMP-2", 5), ("PUMP-3", 5)]
        assert projects["PUMP"].tags == ("客户A",) and projects["PUMP"].members == ("alice",)
    finally:
        await rt.close()
