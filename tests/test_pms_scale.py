"""A risk scan of a 5,000-issue project reads pages, not issues: the HTTP requests each connector makes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.clocks import SYSTEM_CLOCK
from bot.config import JiraConnectorConfig, ZentaoConnectorConfig
from bot.constants import PMS_SCAN_MAX_TASKS
from bot.pms.jira import JiraClient
from bot.pms.people import PeopleMap
from bot.pms.zentao import ZentaoClient
from bot.records import Project
from commands.risk import find_risks
from tests.fakes.jira import FakeJira
from tests.fakes.zentao import FakeZentao

ISSUES = 5000


async def _nobody() -> PeopleMap:
    return PeopleMap()


def _project(pms: str, pms_project: str) -> Project:
    return Project(key="BIG", name="Big", pms=pms, pms_project=pms_project, members=(), approvers=())


async def test_jira_scan_of_5000_issues_is_50_pages_on_cloud_and_data_center() -> None:
    for flavor in ("cloud", "dc"):
        fake = FakeJira(flavor=flavor, burst_per_s=10_000)  # type: ignore[arg-type]
        await fake.start()
        try:
            fake.add_project("BIG", "Big")
            fake.add_issues("BIG", ISSUES, duedate=date(2026, 1, 1), status="In Progress")
            cloud = flavor == "cloud"
            client = JiraClient(url=fake.url, email=fake.email if cloud else None,
                                api_token=fake.api_token if cloud else None, pat=None if cloud else fake.pat,
                                config=JiraConnectorConfig())
            pms = client.for_project(_project("jira", "BIG"), _nobody)
            tasks = await pms.search_tasks(project="BIG", limit=PMS_SCAN_MAX_TASKS)
            risks = find_risks(tasks, today=date(2026, 11, 30), now=datetime(2026, 11, 30, 12, tzinfo=UTC))
            assert len(tasks) == ISSUES and len(risks) >= ISSUES  # every one is overdue
            assert client.http.requests == ISSUES // 100, flavor
            await client.close()
        finally:
            await fake.stop()


async def test_zentao_scan_of_5000_tasks_is_50_pages_plus_login_and_executions() -> None:
    fake = FakeZentao()
    await fake.start()
    try:
        day = SYSTEM_CLOCK.today(UTC)
        project = fake.add_project("Big", "BIG")
        sprint = fake.add_execution(project, "S1", day - timedelta(days=30), day + timedelta(days=30), status="doing")
        fake.add_tasks(sprint, ISSUES, status="doing", estimate=4.0, consumed=1.0)
        client = ZentaoClient(url=fake.url, account=fake.account, password=fake.password,
                              config=ZentaoConnectorConfig())
        tasks = await client.for_project(_project("zentao", str(project)), _nobody).search_tasks(
            project="BIG", limit=PMS_SCAN_MAX_TASKS)
        assert len(tasks) == ISSUES
        assert client.http.requests == 1 + 1 + ISSUES // 100  # token, executions, pages
        await client.close()
    finally:
        await fake.stop()


async def test_zentao_scan_reads_pages_of_open_tasks_only_with_closed_ones_present() -> None:
    """A mature project: 500 open tasks beside 20,000 done, closed or cancelled ones (and a closed sprint full of
    them). Zentao is asked for open statuses only, so the closed ones cost no page (they cost 205 before)."""
    fake = FakeZentao()
    await fake.start()
    try:
        day = SYSTEM_CLOCK.today(UTC)
        project = fake.add_project("Big", "BIG")
        old = fake.add_execution(project, "S1", day - timedelta(days=90), day - timedelta(days=31), status="closed")
        sprint = fake.add_execution(project, "S2", day - timedelta(days=30), day + timedelta(days=30), status="doing")
        for execution, status, n in ((old, "closed", 12_000), (sprint, "closed", 4_000), (sprint, "done", 2_000),
                                     (sprint, "cancel", 2_000)):
            fake.add_tasks(execution, n, name=status, status=status, estimate=2.0, consumed=2.0)
        for status, n in (("wait", 100), ("doing", 300), ("pause", 100)):
            fake.add_tasks(sprint, n, name=status, status=status, estimate=4.0, consumed=1.0)
        client = ZentaoClient(url=fake.url, account=fake.account, password=fake.password,
                              config=ZentaoConnectorConfig())
        tasks = await client.for_project(_project("zentao", str(project)), _nobody).search_tasks(
            project="BIG", limit=PMS_SCAN_MAX_TASKS)
        assert len(tasks) == 500 and {t.status for t in tasks} == {"todo", "in_progress", "blocked"}
        # token, executions, one empty page of the closed sprint, five pages of the open one
        assert client.http.requests == 1 + 1 + 1 + 5
        lists = [r for r in fake.requests if r.path.endswith("/tasks")]
        assert all(r.query.get("status") == "wait,doing,pause" for r in lists), lists
        await client.close()
    finally:
        await fake.stop()
