"""A risk scan of a mature project (a few hundred open issues among many closed ones) on each remote connector:
HTTP requests made and time taken, Zentao's against Jira's in the same run.

    .venv/bin/python -m bench.pms_scan [--issues 500] [--closed 20000] [--no-redmine] [--results PATH] [--quick]

Jira (Cloud and Data Center) and Zentao are the test fakes on 127.0.0.1; Redmine is a real Redmine 5
(tests/services/redmine.sh, needs its Debian packages) filled through its REST API. The target is pages of open
issues only, 100 issues per request: the closed ones must not be read (Jira's JQL `statusCategory != Done`,
Zentao's `status=wait,doing,pause`, Redmine's `status_id=open`). Goal: Zentao within 20 requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bench.table import Result, add_results
from bot.config import JiraConnectorConfig, RedmineConnectorConfig, ZentaoConnectorConfig
from bot.constants import PMS_SCAN_MAX_TASKS
from bot.pms.base import PMS
from bot.pms.jira import JiraClient
from bot.pms.people import PeopleMap
from bot.pms.redmine import RedmineClient
from bot.pms.zentao import ZentaoClient
from bot.records import Project
from commands.risk import find_risks
from tests.fakes.jira import FakeJira
from tests.fakes.zentao import FakeZentao

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 30)


async def _nobody() -> PeopleMap:
    return PeopleMap()


def _project(pms: str, pms_project: str) -> Project:
    return Project(key="BIG", name="Big", pms=pms, pms_project=pms_project, members=(), approvers=())


REQUESTS: dict[str, int] = {}
SECONDS: dict[str, float] = {}
ZENTAO_GOAL_REQUESTS = 20


async def _scan(name: str, pms: PMS, requests: object) -> None:
    started = time.perf_counter()
    tasks = await pms.search_tasks(project="BIG", limit=PMS_SCAN_MAX_TASKS)
    risks = find_risks(tasks, today=TODAY, now=datetime.now(UTC))
    elapsed = time.perf_counter() - started
    REQUESTS[name] = getattr(requests, "requests", 0)
    SECONDS[name] = elapsed
    print(f"{name:<18} {len(tasks):>6} open tasks  {REQUESTS[name]:>4} HTTP requests  "
          f"{elapsed:6.2f} s  ({len(risks)} risks found)")


async def jira(flavor: str, issues: int, closed: int) -> None:
    fake = FakeJira(flavor=flavor, burst_per_s=100_000)  # type: ignore[arg-type]
    await fake.start()
    try:
        fake.add_project("BIG", "Big")
        fake.add_issues("BIG", issues, duedate=TODAY - timedelta(days=1), status="In Progress")
        fake.add_issues("BIG", closed, summary="Closed {i}", duedate=TODAY - timedelta(days=90), status="Done")
        cloud = flavor == "cloud"
        client = JiraClient(url=fake.url, email=fake.email if cloud else None,
                            api_token=fake.api_token if cloud else None, pat=None if cloud else fake.pat,
                            config=JiraConnectorConfig())
        await _scan(f"jira ({flavor})", client.for_project(_project("jira", "BIG"), _nobody), client.http)
        await client.close()
    finally:
        await fake.stop()


async def zentao(issues: int, closed: int) -> None:
    fake = FakeZentao()
    await fake.start()
    try:
        project = fake.add_project("Big", "BIG")
        sprint = fake.add_execution(project, "S1", TODAY - timedelta(days=30), TODAY + timedelta(days=30),
                                    status="doing")
        fake.add_tasks(sprint, issues, status="doing", estimate=4.0, consumed=1.0, deadline=TODAY - timedelta(days=1))
        # Zentao's closed tasks come in two steps (finished, then closed) and some are cancelled: all must stay unread.
        for status, n in (("closed", closed * 8 // 10), ("done", closed // 10), ("cancel", closed - closed * 9 // 10)):
            fake.add_tasks(sprint, n, name=f"Old {status}", status=status, estimate=4.0, consumed=4.0,
                           deadline=TODAY - timedelta(days=90))
        client = ZentaoClient(url=fake.url, account=fake.account, password=fake.password,
                              config=ZentaoConnectorConfig())
        await _scan("zentao", client.for_project(_project("zentao", str(project)), _nobody), client.http)
        await client.close()
    finally:
        await fake.stop()


async def redmine(issues: int) -> None:
    script = ROOT / "tests" / "services" / "redmine.sh"
    workdir = tempfile.mkdtemp(prefix="pmsbot-bench-redmine.")
    started = await asyncio.to_thread(subprocess.run, ["bash", str(script), "start", "--dir", workdir],
                                      capture_output=True, text=True, timeout=300, check=False)
    if started.returncode != 0:
        print(f"redmine            skipped: {script.name} start exited {started.returncode}: "
              f"{started.stderr.strip().splitlines()[-1:]}")
        return
    server = json.loads(started.stdout.strip().splitlines()[-1])
    try:
        identifier = f"big-{uuid.uuid4().hex[:8]}"
        async with httpx.AsyncClient(base_url=server["url"], headers={"X-Redmine-API-Key": server["api_key"]},
                                     timeout=60) as admin:
            r = await admin.post("/projects.json", json={"project": {
                "name": identifier, "identifier": identifier, "enabled_module_names": ["issue_tracking"],
                "tracker_ids": [1, 2, 3]}})
            r.raise_for_status()
            fill = time.perf_counter()
            queue = iter(range(issues))

            async def writer() -> None:
                for n in queue:
                    r = await admin.post("/issues.json", json={"issue": {
                        "project_id": identifier, "subject": f"Issue {n}", "start_date": "2026-01-01",
                        "due_date": (TODAY - timedelta(days=1)).isoformat()}})
                    r.raise_for_status()
            await writer()  # one at a time: Redmine on SQLite answers 500 to concurrent writes
            print(f"(redmine: {issues} issues created through REST in {time.perf_counter() - fill:.0f} s)")
        client = RedmineClient(url=server["url"], api_key=server["api_key"], config=RedmineConnectorConfig())
        await _scan("redmine (real)", client.for_project(_project("redmine", identifier), _nobody), client.http)
        await client.close()
    finally:
        await asyncio.to_thread(subprocess.run, ["bash", str(script), "stop", "--dir", workdir], capture_output=True,
                                timeout=60, check=False)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--issues", type=int, default=500, help="open, overdue issues")
    parser.add_argument("--closed", type=int, default=20_000, help="closed issues beside them (not to be read)")
    parser.add_argument("--no-redmine", action="store_true", help="skip the real Redmine (it takes a minute)")
    parser.add_argument("--results", help="append the row of `make bench`'s table here (bench/table.py)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 open and 2,000 closed, no Redmine")
    args = parser.parse_args()
    if args.quick:
        args.issues, args.closed, args.no_redmine = 200, 2000, True
    print(f"risk scan of one project with {args.issues} open, overdue issues and {args.closed} closed ones "
          f"(page size 100)")
    await jira("cloud", args.issues, args.closed)
    await jira("dc", args.issues, args.closed)
    await zentao(args.issues, args.closed)
    peer = REQUESTS["jira (cloud)"]
    print(f"  zentao / jira (cloud) requests: {REQUESTS['zentao'] / max(1, peer):.2f} ({REQUESTS['zentao']} vs {peer}); "
          f"goal: zentao <= {ZENTAO_GOAL_REQUESTS} requests")
    zentao_n = REQUESTS["zentao"]
    add_results(args.results, [Result(
        row="Zentao change scan",
        measured=f"{zentao_n} requests, {SECONDS['zentao']:.2f} s ({args.issues} open among {args.closed:,} closed)",
        peer=f"Jira (cloud) {peer} requests, {SECONDS['jira (cloud)']:.2f} s", ratio=round(zentao_n / max(1, peer), 2),
        goal=f"pages of changed, open issues only: <= {ZENTAO_GOAL_REQUESTS} requests",
        met=zentao_n <= ZENTAO_GOAL_REQUESTS, figures={"requests": dict(REQUESTS), "seconds": dict(SECONDS)})])
    if not args.no_redmine:
        await redmine(args.issues)


if __name__ == "__main__":
    asyncio.run(main())
