"""The four PMS backends the conformance suite runs against, each seeded the same way.

local: the built-in PMS on SQLite. jira_cloud / jira_dc: the fake Jira. redmine: a real Redmine 5
(tests/services/redmine.sh; a fresh project per test). zentao: the fake Zentao. teambition: the fake Teambition.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, cast

import httpx
from sqlalchemy import select, update
from sqlmodel import col

from bot.clocks import SYSTEM_CLOCK
from bot.config import (
    Config,
    JiraConnectorConfig,
    PersonConfig,
    ProjectConfig,
    RedmineConnectorConfig,
    TeambitionConnectorConfig,
    ZentaoConnectorConfig,
)
from bot.pms.base import PMS
from bot.pms.jira import JiraClient
from bot.pms.local import LocalPMS
from bot.pms.people import PeopleMap
from bot.pms.redmine import RedmineClient
from bot.pms.teambition import TeambitionClient
from bot.pms.zentao import ZentaoClient
from bot.records import Person, Project
from bot.store import migrate
from bot.store.db import Database
from bot.store.models import MilestoneRow, ProgressRow, TaskRow
from bot.store.sync import apply_config
from tests.fakes.jira import FakeJira, adf_text
from tests.fakes.teambition import FakeTeambition
from tests.fakes.zentao import FakeZentao
from tests.redmine_server import RedmineServer

BACKENDS = ("local", "jira_cloud", "jira_dc", "redmine", "zentao", "teambition")
STATUS_NAMES = {
    "jira": {"todo": "To Do", "in_progress": "In Progress", "blocked": "Blocked", "done": "Done"},
    "redmine": {"todo": 1, "in_progress": 2, "blocked": 4, "done": 5},
    "zentao": {"todo": "wait", "in_progress": "doing", "blocked": "pause", "done": "done"},
    "teambition": {"todo": "待处理", "in_progress": "进行中", "blocked": "已暂停", "done": "已完成"},
}
BOB_JIRA_ID = "5b10ac8d82e05b22cc7d4ef5"


class Backend(Protocol):
    name: str
    workflow: bool  # refuses moves its workflow does not allow (the built-in PMS allows every move)
    bob: Person
    alice: Person
    pms: PMS

    async def seed(self, title: str, *, bob: bool = True, status: str = "todo", due: date | None = None,
                   estimate_h: int | None = None, spent_h: int = 0, milestone: str | None = "M1") -> str: ...

    async def notes(self, key: str) -> list[str]:
        """Every comment, note and work-log text the PMS holds for the task."""
        ...

    def requests(self) -> int: ...

    async def close(self) -> None: ...


def _people(bob_user: str | None) -> tuple[Person, Person]:
    return (Person(id="bob", name="Bob Wang", locale="en", pms_user=bob_user),
            Person(id="alice", name="Alice Li", locale="en", pms_user=None))


async def _people_map(mapping: dict[str, str]) -> PeopleMap:
    return PeopleMap({k.casefold(): v for k, v in mapping.items()})


# -- local ----------------------------------------------------------------------------------------------------------

class _PerCall:
    """The built-in PMS, one transaction per call (as one command each)."""

    name = "local"

    def __init__(self, db: Database) -> None:
        self.db = db

    def __getattr__(self, method: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            async with self.db.write() as s:
                return await getattr(LocalPMS(s, clock=SYSTEM_CLOCK), method)(*args, **kwargs)
        return call


@dataclass
class LocalBackend:
    db: Database
    name: str = "local"
    workflow: bool = False
    bob: Person = field(default_factory=lambda: _people(None)[0])
    alice: Person = field(default_factory=lambda: _people(None)[1])

    @classmethod
    async def open(cls, tmp_path: Path) -> LocalBackend:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'local.db'}")
        await migrate.upgrade(db)
        await apply_config(db, Config(
            people=(PersonConfig(id="bob", name="Bob Wang"), PersonConfig(id="alice", name="Alice Li")),
            projects=(ProjectConfig(key="PUMP", name="Pump", members=("bob", "alice")),)), now=SYSTEM_CLOCK.now())
        async with db.write() as s:
            s.add(MilestoneRow(project_key="PUMP", name="M1", due=today() + timedelta(days=20)))
        return cls(db)

    @property
    def pms(self) -> PMS:
        return cast(PMS, _PerCall(self.db))

    async def seed(self, title: str, *, bob: bool = True, status: str = "todo", due: date | None = None,
                   estimate_h: int | None = None, spent_h: int = 0, milestone: str | None = "M1") -> str:
        async with self.db.write() as s:
            task = await LocalPMS(s, clock=SYSTEM_CLOCK).create_task("PUMP", title, assignee=self.bob if bob else None, due=due,
                                                 by=self.alice)
            mid = (await s.execute(select(col(MilestoneRow.id)).where(col(MilestoneRow.name) == milestone))
                   ).scalar_one_or_none() if milestone else None
            await s.execute(update(TaskRow).where(col(TaskRow.key) == task.key).values(
                status=status, percent=100 if status == "done" else 0, milestone_id=mid,
                estimate_min=estimate_h * 60 if estimate_h else None, spent_min=spent_h * 60))
        return task.key

    async def notes(self, key: str) -> list[str]:
        async with self.db.read() as s:
            rows = await s.execute(select(col(ProgressRow.note)).where(col(ProgressRow.task_key) == key))
            return [str(n) for n in rows.scalars().all() if n]

    def requests(self) -> int:
        return 0

    async def close(self) -> None:
        await self.db.dispose()


# -- Jira -------------------------------------------------------------------------------------------------------------

@dataclass
class JiraBackend:
    fake: FakeJira
    client: JiraClient
    name: str
    bob: Person
    alice: Person
    workflow: bool = True

    @classmethod
    async def open(cls, flavor: str) -> JiraBackend:
        fake = FakeJira(flavor="cloud" if flavor == "jira_cloud" else "dc")
        await fake.start()
        fake.add_user(BOB_JIRA_ID, "Bob Wang", "bob@example.com", name="bob")
        fake.add_user("5b10ac8d82e05b22cc7d4ef6", "Alice Li", "alice@example.com", name="alice")
        fake.add_project("PUMP", "Pump")
        fake.add_version("PUMP", "M1", today() + timedelta(days=20))
        cloud = fake.flavor == "cloud"
        client = JiraClient(url=fake.url, email=fake.email if cloud else None,
                            api_token=fake.api_token if cloud else None, pat=None if cloud else fake.pat,
                            config=JiraConnectorConfig(progress_field="customfield_10050"))
        bob, alice = _people(BOB_JIRA_ID if cloud else "bob")
        return cls(fake, client, flavor, bob, alice)

    @property
    def pms(self) -> PMS:
        handle = self.bob.pms_user or ""
        return self.client.for_project(
            Project(key="PUMP", name="Pump", pms="jira", pms_project="PUMP", members=("bob", "alice"), approvers=()),
            lambda: _people_map({handle: "bob"}))

    async def seed(self, title: str, *, bob: bool = True, status: str = "todo", due: date | None = None,
                   estimate_h: int | None = None, spent_h: int = 0, milestone: str | None = "M1") -> str:
        return self.fake.add_issue(
            "PUMP", title, assignee=BOB_JIRA_ID if bob else None, status=STATUS_NAMES["jira"][status], duedate=due,
            original_estimate_s=estimate_h * 3600 if estimate_h else None, time_spent_s=spent_h * 3600,
            progress=100 if status == "done" else 0, fix_version=milestone)

    async def notes(self, key: str) -> list[str]:
        def text(body: Any) -> str:
            return body if isinstance(body, str) else adf_text(body)
        return ([text(c.get("body")) for c in self.fake.comments(key)]
                + [text(w.get("comment")) for w in self.fake.worklogs(key) if w.get("comment")])

    def requests(self) -> int:
        return self.client.http.requests

    async def close(self) -> None:
        await self.client.close()
        await self.fake.stop()


# -- Redmine (real) ---------------------------------------------------------------------------------------------------

@dataclass
class RedmineBackend:
    server: RedmineServer
    admin: httpx.AsyncClient
    client: RedmineClient
    identifier: str
    version_id: int
    field1_id: int
    name: str = "redmine"
    workflow: bool = True
    bob: Person = field(default_factory=lambda: _people("field1")[0])
    alice: Person = field(default_factory=lambda: _people("field1")[1])

    @classmethod
    async def open(cls, server: RedmineServer) -> RedmineBackend:
        admin = httpx.AsyncClient(base_url=server.url, headers={"X-Redmine-API-Key": server.api_key}, timeout=30)
        identifier = f"pump-{uuid.uuid4().hex[:10]}"
        r = await admin.post("/projects.json", json={"project": {
            "name": f"Pump {identifier}", "identifier": identifier, "is_public": False,
            "enabled_module_names": ["issue_tracking", "time_tracking"], "tracker_ids": [1, 2, 3]}})
        assert r.status_code == 201, r.text
        users = (await admin.get("/users.json", params={"name": "field1"})).json()["users"]
        field1_id = int(users[0]["id"])
        r = await admin.post(f"/projects/{identifier}/memberships.json",
                             json={"membership": {"user_id": field1_id, "role_ids": [4]}})
        assert r.status_code == 201, r.text
        r = await admin.post(f"/projects/{identifier}/versions.json", json={"version": {
            "name": "M1", "due_date": (today() + timedelta(days=20)).isoformat()}})
        assert r.status_code == 201, r.text
        # An admin key writing as each person (X-Redmine-Switch-User): the workflow of their role applies.
        client = RedmineClient(url=server.url, api_key=server.api_key, config=RedmineConnectorConfig(switch_user=True))
        return cls(server, admin, client, identifier, int(r.json()["version"]["id"]), field1_id)

    @property
    def project(self) -> Project:
        return Project(key="PUMP", name="Pump", pms="redmine", pms_project=self.identifier, members=("bob", "alice"),
                       approvers=())

    @property
    def pms(self) -> PMS:
        return self.client.for_project(self.project, lambda: _people_map({"field1": "bob"}))

    async def seed(self, title: str, *, bob: bool = True, status: str = "todo", due: date | None = None,
                   estimate_h: int | None = None, spent_h: int = 0, milestone: str | None = "M1") -> str:
        issue: dict[str, Any] = {"project_id": self.identifier, "tracker_id": 2, "subject": title}
        if bob:
            issue["assigned_to_id"] = self.field1_id
        if due:
            issue["due_date"] = due.isoformat()
            issue["start_date"] = min(due, today()).isoformat()
        if estimate_h:
            issue["estimated_hours"] = estimate_h
        if milestone:
            issue["fixed_version_id"] = self.version_id
        r = await self.admin.post("/issues.json", json={"issue": issue})
        assert r.status_code == 201, r.text
        issue_id = int(r.json()["issue"]["id"])
        if status != "todo":
            r = await self.admin.put(f"/issues/{issue_id}.json", json={"issue": {
                "status_id": STATUS_NAMES["redmine"][status], "done_ratio": 100 if status == "done" else 0}})
            assert r.status_code == 204, r.text
        if spent_h:
            r = await self.admin.post("/time_entries.json", json={"time_entry": {
                "issue_id": issue_id, "hours": spent_h, "activity_id": self.server.activity_id}})
            assert r.status_code == 201, r.text
        return f"PUMP-{issue_id}"

    async def notes(self, key: str) -> list[str]:
        number = key.rpartition("-")[2]
        issue = (await self.admin.get(f"/issues/{number}.json", params={"include": "journals"})).json()["issue"]
        entries = (await self.admin.get("/time_entries.json", params={"issue_id": number})).json()["time_entries"]
        return ([j["notes"] for j in issue.get("journals", []) if j.get("notes")]
                + [e["comments"] for e in entries if e.get("comments")])

    def requests(self) -> int:
        return self.client.http.requests

    async def close(self) -> None:
        await self.client.close()
        await self.admin.aclose()


# -- Zentao -----------------------------------------------------------------------------------------------------------

@dataclass
class ZentaoBackend:
    fake: FakeZentao
    client: ZentaoClient
    project_id: int
    executions: dict[str, int]
    name: str = "zentao"
    workflow: bool = True
    bob: Person = field(default_factory=lambda: _people("bob")[0])
    alice: Person = field(default_factory=lambda: _people("bob")[1])

    @classmethod
    async def open(cls) -> ZentaoBackend:
        fake = FakeZentao()
        await fake.start()
        fake.add_user("bob", "Bob Wang", "bob@example.com")
        fake.add_user("alice", "Alice Li", "alice@example.com")
        day = today()
        project_id = fake.add_project("Pump", "PUMP")
        m1 = fake.add_execution(project_id, "M1", day - timedelta(days=10), day + timedelta(days=20),
                                status="doing")
        # Every Zentao task is in an execution: a task "without milestone" goes to a second one.
        m2 = fake.add_execution(project_id, "M2", day - timedelta(days=10), day + timedelta(days=40),
                                status="doing")
        client = ZentaoClient(url=fake.url, account=fake.account, password=fake.password,
                              config=ZentaoConnectorConfig())
        return cls(fake, client, project_id, {"M1": m1, "M2": m2})

    @property
    def pms(self) -> PMS:
        return self.client.for_project(
            Project(key="PUMP", name="Pump", pms="zentao", pms_project=str(self.project_id), members=("bob", "alice"),
                    approvers=()),
            lambda: _people_map({"bob": "bob"}))

    async def seed(self, title: str, *, bob: bool = True, status: str = "todo", due: date | None = None,
                   estimate_h: int | None = None, spent_h: int = 0, milestone: str | None = "M1") -> str:
        estimate = float(estimate_h or 0)
        task_id = self.fake.add_task(
            self.executions[milestone or "M2"], title, assigned_to="bob" if bob else "",
            status=STATUS_NAMES["zentao"][status], estimate=estimate, consumed=float(spent_h),
            left=0.0 if status == "done" else max(estimate - spent_h, 0.0), deadline=due)
        return f"PUMP-{task_id}"

    async def notes(self, key: str) -> list[str]:
        task_id = int(key.rpartition("-")[2])
        return self.fake.comments(task_id) + [str(e.get("work")) for e in self.fake.efforts(task_id) if e.get("work")]

    def requests(self) -> int:
        return self.client.http.requests

    async def close(self) -> None:
        await self.client.close()
        await self.fake.stop()


# -- Teambition -------------------------------------------------------------------------------------------------------

@dataclass
class TeambitionBackend:
    fake: FakeTeambition
    client: TeambitionClient
    project_id: str
    users: dict[str, str]
    sprints: dict[str, str]
    name: str = "teambition"
    workflow: bool = True
    bob: Person = field(default_factory=lambda: _people(None)[0])
    alice: Person = field(default_factory=lambda: _people(None)[1])

    @classmethod
    async def open(cls) -> TeambitionBackend:
        fake = FakeTeambition()
        await fake.start()
        users = {"bob": fake.add_user("Bob Wang"), "alice": fake.add_user("Alice Li"), "bot": fake.add_user("pmsbot")}
        project_id = fake.add_project("Pump", [users["bob"], users["alice"], users["bot"]])
        sprints = {"M1": fake.add_sprint(project_id, "M1", today() + timedelta(days=20))}
        client = TeambitionClient(url=fake.url, app_id=fake.app_id, app_secret=fake.app_secret,
                                  tenant_id=fake.tenant_id, operator_id=users["bot"],
                                  config=TeambitionConnectorConfig())
        backend = cls(fake, client, project_id, users, sprints)
        backend.bob = _people(users["bob"])[0]
        return backend

    @property
    def pms(self) -> PMS:
        return self.client.for_project(
            Project(key="PUMP", name="Pump", pms="teambition", pms_project=self.project_id, members=("bob", "alice"),
                    approvers=()),
            lambda: _people_map({self.users["bob"]: "bob"}))

    async def seed(self, title: str, *, bob: bool = True, status: str = "todo", due: date | None = None,
                   estimate_h: int | None = None, spent_h: int = 0, milestone: str | None = "M1") -> str:
        number = self.fake.add_task(self.project_id, title, executor=self.users["bob"] if bob else None,
                                    status=STATUS_NAMES["teambition"][status], due=due, estimate_h=estimate_h or 0,
                                    spent_h=spent_h, sprint=self.sprints[milestone] if milestone else None)
        return f"PUMP-{number}"

    async def notes(self, key: str) -> list[str]:
        return self.fake.notes(int(key.rpartition("-")[2]))

    def requests(self) -> int:
        return self.client.http.requests

    async def close(self) -> None:
        await self.client.close()
        await self.fake.stop()


def spent(hours: Decimal | int | float) -> Decimal:
    return Decimal(str(hours)).quantize(Decimal("0.01")).normalize()


def today() -> date:
    return SYSTEM_CLOCK.today(UTC)
