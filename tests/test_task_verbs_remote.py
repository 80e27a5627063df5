"""The task verbs of issue 24 through chat against a remote PMS: the fake Jira (Cloud) and a real Redmine 5.
What the person asked lands in the PMS once, attributed to them (a comment naming them, or as them where Redmine
switches user); what the PMS cannot take is refused in the person's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.config import (
    Config,
    ConnectorsConfig,
    JiraConnectorConfig,
    PersonConfig,
    ProjectConfig,
    RedmineConnectorConfig,
    Settings,
)
from bot.runtime import Runtime
from bot.say import say
from bot.store import migrate
from tests.conftest import running_clock
from tests.fakes.jira import FakeJira, adf_text
from tests.pms_backends import RedmineBackend
from tests.redmine_server import RedmineServer

BOB = "5b10ac8d82e05b22cc7d4ef5"
DAVE = "5b10ac8d82e05b22cc7d4ef7"
THURSDAY = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


async def texts(rt: Runtime, person: str, text: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, text))


def _config(pms: str, pms_project: str, bob_user: str, dave_user: str | None) -> Config:
    return Config(
        locale="en", timezone="Asia/Shanghai",
        people=(PersonConfig(id="bob", name="Bob Wang", locale="en", pms_user=bob_user),
                PersonConfig(id="dave", name="张伟", locale="zh", pms_user=dave_user),
                PersonConfig(id="alice", name="Alice Li", locale="en", roles=("pm",))),
        projects=(ProjectConfig(key="PUMP", name="Pump", pms=pms, pms_project=pms_project,  # type: ignore[arg-type]
                                members=("bob", "alice", "dave")),),
        connectors=ConnectorsConfig(jira=JiraConnectorConfig(progress_field="customfield_10050"),
                                    redmine=RedmineConnectorConfig(switch_user=True)),
    )


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    fake = FakeJira()
    await fake.start()
    fake.add_user(BOB, "Bob Wang", "bob@example.com")
    fake.add_user(DAVE, "Zhang Wei", "dave@example.com")
    fake.add_project("PUMP", "Pump")
    fake.add_issue("PUMP", "Replace pump", assignee=BOB)
    fake.add_issue("PUMP", "Wire the panel")
    yield fake
    await fake.stop()


@pytest.fixture
async def on_jira(sqlite_url: str, jira: FakeJira, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    runtime = Runtime(Settings(database_url=sqlite_url, jira_url=jira.url, jira_email=jira.email,  # type: ignore[arg-type]
                               jira_api_token=jira.api_token),
                      _config("jira", "PUMP", BOB, DAVE), console=True, clock=running_clock(request))
    await migrate.upgrade(runtime.db)
    await runtime.open()
    yield runtime
    await runtime.close()


@pytest.mark.clock(THURSDAY)
async def test_the_task_verbs_write_jira_attributed_to_the_person(on_jira: Runtime, jira: FakeJira) -> None:
    rt = on_jira
    out = await texts(rt, "alice", "assign PUMP-2 to bob")
    assert "assigned to Bob Wang" in out and jira.issue("PUMP-2")["assignee"] == BOB
    assert "已指派给 张伟" in await texts(rt, "dave", "PUMP-2 给 张伟")
    assert jira.issue("PUMP-2")["assignee"] == DAVE
    assert "2026-12-11" in await texts(rt, "dave", "截止 PUMP-2 下周五")
    assert jira.issue("PUMP-2")["duedate"] == "2026-12-11"
    await texts(rt, "alice", "priority PUMP-2 urgent")
    assert jira.issue("PUMP-2")["priority"] == "Highest"
    await texts(rt, "alice", "comment PUMP-2 vendor calls Monday")
    comments = [adf_text(c["body"]) for c in jira.comments("PUMP-2")]
    assert any(c.startswith("Alice Li (pmsbot): → Bob Wang") for c in comments), comments
    assert any(c.startswith("张伟 (pmsbot): due 2026-12-11") for c in comments), comments
    assert "Alice Li: vendor calls Monday" in comments
    found = await texts(rt, "bob", "search pump")
    assert "PUMP-1" in found and "PUMP-2" not in found
    mine = await texts(rt, "bob", "tasks mine")
    assert "PUMP-1" in mine and "PUMP-2" not in mine
    assert "is closed" in await texts(rt, "bob", "close PUMP-2")
    assert jira.issue("PUMP-2")["status"] == "Done"
    out = await texts(rt, "bob", "reopen PUMP-2")  # Jira's workflow reopens to To Do
    assert "reopened" in out and jira.issue("PUMP-2")["status"] == "To Do"


@pytest.mark.clock(THURSDAY)
async def test_jira_refusals_are_clear_and_write_nothing(on_jira: Runtime, jira: FakeJira) -> None:
    rt = on_jira
    before = jira.issue("PUMP-2"), len(jira.comments("PUMP-2"))
    assert "not linked to a Jira user" in await texts(rt, "bob", "assign PUMP-2 to alice")
    assert "There is no task PUMP-99" in await texts(rt, "bob", "assign PUMP-99 to bob")
    assert "has passed" in await texts(rt, "bob", "due PUMP-2 Dec 1")
    assert "None found" in await texts(rt, "bob", 'search " OR project != "PUMP')
    assert (jira.issue("PUMP-2"), len(jira.comments("PUMP-2"))) == before


@pytest.fixture
async def on_redmine(sqlite_url: str, redmine: RedmineServer, request: pytest.FixtureRequest
                     ) -> AsyncIterator[tuple[Runtime, RedmineBackend]]:
    backend = await RedmineBackend.open(redmine)
    runtime = Runtime(Settings(database_url=sqlite_url, redmine_url=redmine.url,  # type: ignore[arg-type]
                               redmine_api_key=redmine.api_key),
                      _config("redmine", backend.identifier, "field1", None), console=True,
                      clock=running_clock(request))
    await migrate.upgrade(runtime.db)
    await runtime.open()
    yield runtime, backend
    await runtime.close()
    await backend.close()


async def _issue(admin: httpx.AsyncClient, key: str) -> dict[str, object]:
    body = (await admin.get(f"/issues/{key.rpartition('-')[2]}.json", params={"include": "journals"})).json()
    return dict(body["issue"])


@pytest.mark.clock(THURSDAY)
async def test_the_task_verbs_write_the_real_redmine(on_redmine: tuple[Runtime, RedmineBackend]) -> None:
    rt, backend = on_redmine
    key = await backend.seed("Replace valve seal", bob=False, milestone=None)
    await backend.seed("Paint the fence", milestone=None)
    out = await texts(rt, "alice", f"assign {key} to bob")
    assert "assigned to Bob Wang" in out, out
    issue = await _issue(backend.admin, key)
    assert issue["assigned_to"]["id"] == backend.field1_id  # type: ignore[index]
    await texts(rt, "bob", f"due {key} next friday")
    await texts(rt, "bob", f"priority {key} high")
    await texts(rt, "bob", f"{key} 备注 vendor ACME calls back")
    issue = await _issue(backend.admin, key)
    assert issue["due_date"] == "2026-12-11" and issue["priority"]["name"] == "High"  # type: ignore[index]
    journals = issue["journals"]
    assert isinstance(journals, list)
    notes = [(j["user"]["name"], j.get("notes") or "") for j in journals]
    assert any("Alice Li (pmsbot): → Bob Wang" in n for _, n in notes), notes  # alice has no Redmine user
    assert any("vendor ACME calls back" in n and who != "Redmine Admin" for who, n in notes), notes  # as bob
    found = await texts(rt, "bob", "search valve")
    assert key in found and "fence" not in found
    assert "no task" in await texts(rt, "bob", "due PUMP-999999 tomorrow")
    assert "has passed" in await texts(rt, "bob", f"due {key} Dec 1")
    assert (await _issue(backend.admin, key))["due_date"] == "2026-12-11"
    await texts(rt, "bob", f"close {key}")
    assert (await _issue(backend.admin, key))["status"]["name"] == "Closed"  # type: ignore[index]


