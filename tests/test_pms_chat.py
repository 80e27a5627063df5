"""Chat commands against a remote PMS (the fake Jira and Zentao): the same commands, the PMS written, and what
happens when the PMS is down, refuses our credentials, or its workflow says no. Changes made in the PMS reach
the chats that subscribed to them, with filters, and a burst arrives as a digest."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update
from sqlmodel import col

from bot.app import build_app
from bot.clocks import SYSTEM_CLOCK
from bot.config import (
    ChannelConfig,
    Config,
    ConnectorsConfig,
    JiraConnectorConfig,
    PersonConfig,
    ProjectConfig,
    Settings,
    ZentaoConnectorConfig,
)
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from bot.store import migrate
from bot.store.metrics import figures
from bot.store.models import InboxRow
from tests.conftest import running_clock
from tests.fakes.jira import FakeJira
from tests.fakes.zentao import FakeZentao
from tests.undo_words import understand_undo_words

BOB = "5b10ac8d82e05b22cc7d4ef5"
HOOK_SECRET = "jira-hook-secret"
ZENTAO_TOKEN = "zt-hook-token-0123456789"


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    fake = FakeJira()
    await fake.start()
    fake.add_user(BOB, "Bob Wang", "bob@example.com")
    fake.add_project("PUMP", "Pump")
    fake.add_version("PUMP", "M1", None)
    for title in ("Replace pump", "Wire panel", "Paint", "Survey"):
        fake.add_issue("PUMP", title, assignee=BOB, fix_version="M1")
    yield fake
    await fake.stop()


def _config(pms: str, pms_project: str, *, channels: tuple[ChannelConfig, ...] = ()) -> Config:
    return Config(
        locale="en",
        people=(PersonConfig(id="bob", name="Bob Wang", locale="en", pms_user=BOB if pms == "jira" else "bob"),
                PersonConfig(id="alice", name="Alice Li", locale="en", roles=("pm", "admin"))),
        projects=(ProjectConfig(key="PUMP", name="Pump", pms=pms, pms_project=pms_project,  # type: ignore[arg-type]
                                members=("bob", "alice"), channels=channels),),
        connectors=ConnectorsConfig(
            jira=JiraConnectorConfig(progress_field="customfield_10050", webhook_secret=HOOK_SECRET),  # type: ignore[arg-type]
            zentao=ZentaoConnectorConfig(webhook_token=ZENTAO_TOKEN)),  # type: ignore[arg-type]
    )


@pytest.fixture
async def rt(db_url: str, jira: FakeJira) -> AsyncIterator[Runtime]:
    """On SQLite and on the real PostgreSQL."""
    runtime = Runtime(Settings(database_url=db_url, jira_url=jira.url,
                               jira_email=jira.email, jira_api_token=jira.api_token),  # type: ignore[arg-type]
                      _config("jira", "PUMP"), console=True, clock=running_clock())
    await migrate.upgrade(runtime.db)
    await runtime.open()
    yield runtime
    await runtime.close()


async def _texts(rt: Runtime, person: str) -> list[str]:
    return [m["text"] for m in await feed.feed(rt.db, person) if m["direction"] == "out"]


async def _send(rt: Runtime, person: str, text: str) -> int:
    accepted = await rt.inbox.accept(InboundEvent(
        platform="console", event_id=f"t-{rt.clock.now().timestamp()}-{text}", kind="message", sender=person,
        conversation=person, text=text, received_at=rt.clock.now()))
    assert accepted.inbox_id is not None
    await drain(rt)
    return accepted.inbox_id


async def _due_now(rt: Runtime, inbox_id: int) -> None:
    """The PMS is back: make the waiting command due now instead of waiting out its backoff."""
    async with rt.db.write() as s:
        await s.execute(update(InboxRow).where(col(InboxRow.id) == inbox_id).values(available_at=rt.clock.now()))


async def _state(rt: Runtime, inbox_id: int) -> str | None:
    return await rt.inbox.state(inbox_id)


async def test_report_writes_percent_hours_and_a_comment_to_jira(rt: Runtime, jira: FakeJira) -> None:
    said = await say(rt, "bob", "report PUMP-1 60% pump mounted 2h")
    assert len(said) == 1 and "PUMP-1" in said[0].text and "60%" in said[0].text
    issue = jira.issue("PUMP-1")
    assert issue["customfield_10050"] == 60 and issue["status"] == "In Progress"
    assert [w["timeSpentSeconds"] for w in jira.worklogs("PUMP-1")] == [7200]
    status = await say(rt, "bob", "status PUMP-1")
    assert ("60%" in status[0].text and "In progress" in status[0].text) or "in progress" in status[0].text.lower()
    mine = await say(rt, "bob", "my")
    assert all(f"PUMP-{n}" in mine[0].text for n in range(1, 5))
    async with rt.db.read() as s:  # the calls count in the SLA figures (`pmsbot sla`, the integration rule)
        jira_calls = next(f for f in await figures(s, since=rt.clock.now() - timedelta(hours=1))
                          if f.connector == "jira")
    assert jira_calls.ok >= 5 and jira_calls.failed == 0


async def test_jira_down_queues_the_command_and_applies_it_once_when_back(rt: Runtime, jira: FakeJira) -> None:
    # The work log and the comment go through, then Jira fails on the transition: nothing is repeated later.
    jira.fail_next(1, status=503, path_contains="/transitions", method="POST")
    inbox_id = await _send(rt, "bob", "done PUMP-2 panel wired 1h")
    texts = await _texts(rt, "bob")
    assert any("Jira is not answering" in t and "queued" in t for t in texts), texts
    assert await _state(rt, inbox_id) == "pending"
    assert len(jira.worklogs("PUMP-2")) == 1 and jira.issue("PUMP-2")["status"] == "To Do"
    await _due_now(rt, inbox_id)
    await drain(rt)
    assert await _state(rt, inbox_id) == "done"
    assert jira.issue("PUMP-2")["status"] == "Done"
    assert len(jira.worklogs("PUMP-2")) == 1, "the work log made before the outage is not repeated"
    assert len([c for c in jira.comments("PUMP-2")]) == 1
    texts = await _texts(rt, "bob")
    assert sum("not answering" in t for t in texts) == 1, "told once that it waits"
    assert any("PUMP-2" in t and "done" in t.lower() for t in texts[-1:]), texts


async def test_refused_credentials_queue_the_command_and_tell_the_admins(rt: Runtime, jira: FakeJira) -> None:
    jira.revoke_credentials()
    inbox_id = await _send(rt, "bob", "report PUMP-3 20%")
    assert any("refused the bot's credentials" in t for t in await _texts(rt, "bob"))
    assert any("refuses the bot's credentials" in t and "pmsbot check" in t for t in await _texts(rt, "alice"))
    jira.restore_credentials()
    await _due_now(rt, inbox_id)
    await drain(rt)
    assert jira.issue("PUMP-3")["customfield_10050"] == 20


async def test_a_move_the_workflow_refuses_lists_what_is_allowed(rt: Runtime, jira: FakeJira) -> None:
    jira.permit_transitions(None, False)
    said = await say(rt, "bob", "block PUMP-4 no cable")
    assert "cannot move to blocked" in said[0].text and "Allowed from here: -" in said[0].text
    assert jira.issue("PUMP-4")["status"] == "To Do"


async def test_hash_number_in_the_projects_channel_is_its_task(tmp_path: Path, jira: FakeJira) -> None:
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", jira_url=jira.url,
                               jira_email=jira.email, jira_api_token=jira.api_token),  # type: ignore[arg-type]
                      _config("jira", "PUMP", channels=(ChannelConfig(platform="console", id="bob"),)),
                      console=True, clock=running_clock())
    await runtime.open()
    try:
        said = await say(runtime, "bob", "#2 30% conduit laid")
        assert "PUMP-2" in said[0].text and "30%" in said[0].text
        assert jira.issue("PUMP-2")["customfield_10050"] == 30
    finally:
        await runtime.close()


async def test_unknown_task_and_foreign_key(rt: Runtime) -> None:
    said = await say(rt, "bob", "status PUMP-999")
    assert "There is no task PUMP-999" in said[0].text


# -- webhooks and subscriptions -----------------------------------------------------------------------------------

@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


def _hook_url(client: TestClient, path: str) -> str:  # type: ignore[type-arg]
    return str(client.make_url(path))


async def _delivered(rt: Runtime) -> None:
    """Process the stored webhooks, then send what the subscriptions collected as if their quiet time passed."""
    await drain(rt)
    await rt.changes.flush_once(rt.clock.now() + timedelta(minutes=5))
    await drain(rt)


async def test_a_jira_change_reaches_the_subscribed_chat_once(rt: Runtime, jira: FakeJira,
                                                              client: TestClient) -> None:  # type: ignore[type-arg]
    said = await say(rt, "alice", "subscribe PUMP")
    assert "PUMP" in said[0].text
    jira.update_issue("PUMP-1", status="Done")
    url = _hook_url(client, "/hooks/jira")
    for retry in (0, 1):  # Jira retries with the same identifier: one change, one message
        status, _ = await jira.send_webhook(url, issue_key="PUMP-1", secret=HOOK_SECRET, identifier="hook-1",
                                            retry=retry, changelog_items=[{"field": "status", "fromString": "To Do",
                                                                           "toString": "Done"}])
        assert status == 200
    await _delivered(rt)
    notes = [t for t in await _texts(rt, "alice") if "PUMP-1" in t]
    assert len(notes) == 1 and "Done" in notes[0]
    # A retry is keyed by its identifier, even when Jira serialised its body anew (another timestamp).
    from bot.hooks.jira import signature
    first = json.loads(jira.webhooks_sent[-1][2])
    again = json.dumps({**first, "timestamp": int(first.get("timestamp", 0)) + 1000}).encode()
    r = await client.post("/hooks/jira", data=again, headers={
        "X-Hub-Signature": signature(HOOK_SECRET, again), "X-Atlassian-Webhook-Identifier": "hook-1",
        "X-Atlassian-Webhook-Retry": "2", "Content-Type": "application/json"})
    assert r.status == 200 and (await r.json())["duplicate"] is True


async def test_jira_hook_refuses_forgeries_and_malformed_bodies(rt: Runtime, jira: FakeJira,
                                                                client: TestClient) -> None:  # type: ignore[type-arg]
    url = _hook_url(client, "/hooks/jira")
    status, text = await jira.send_webhook(url, issue_key="PUMP-1", secret="not-the-secret")
    assert status == 401 and "X-Hub-Signature" in json.loads(text)["error"]
    status, text = await jira.send_webhook(url, issue_key="PUMP-1")  # unsigned
    assert status == 401
    body = b'{"webhookEvent": "jira:issue_updated", "issue": {"key": "<script>"}}'
    from bot.hooks.jira import signature
    r = await client.post("/hooks/jira", data=body, headers={"X-Hub-Signature": signature(HOOK_SECRET, body)})
    assert r.status == 400 and "issue.key" in (await r.json())["error"]
    for raw in (b"not json", b"[1,2]", b"{" * 100_000):
        r = await client.post("/hooks/jira", data=raw, headers={"X-Hub-Signature": signature(HOOK_SECRET, raw)})
        assert r.status == 400, raw[:10]
    r = await client.post("/hooks/jira", data=io.BytesIO(b"x" * (2 * 1024 * 1024)))
    assert r.status == 413
    r = await client.post("/hooks/nothing", data=b"{}")
    assert r.status == 404
    assert await rt.inbox.pending_count() == 0


async def test_filters_choose_what_a_chat_hears(rt: Runtime, jira: FakeJira,
                                               client: TestClient) -> None:  # type: ignore[type-arg]
    said = await say(rt, "alice", "subscribe PUMP event:commented")
    assert "PUMP" in said[0].text
    refused = await say(rt, "alice", "subscribe PUMP colour:red")
    assert "can't use the filter" in refused[0].text and "unknown key" in refused[0].text
    url = _hook_url(client, "/hooks/jira")
    await jira.send_webhook(url, issue_key="PUMP-2", secret=HOOK_SECRET, identifier="h-edit",
                            changelog_items=[{"field": "summary", "fromString": "a", "toString": "b"}])
    await jira.send_webhook(url, issue_key="PUMP-3", secret=HOOK_SECRET, identifier="h-comment",
                            issue_event_type_name="issue_commented", comment="looks good")
    await _delivered(rt)
    notes = [t for t in await _texts(rt, "alice") if "PUMP-" in t and "subscribe" not in t.lower()]
    assert len(notes) == 1 and "PUMP-3" in notes[0] and "looks good" in notes[0]


async def test_jql_filter_is_evaluated_by_jira(rt: Runtime, jira: FakeJira,
                                               client: TestClient) -> None:  # type: ignore[type-arg]
    await say(rt, "alice", "subscribe PUMP jql: priority = High")
    jira.update_issue("PUMP-4", priority="High")
    url = _hook_url(client, "/hooks/jira")
    await jira.send_webhook(url, issue_key="PUMP-4", secret=HOOK_SECRET, identifier="h-high")
    await jira.send_webhook(url, issue_key="PUMP-1", secret=HOOK_SECRET, identifier="h-medium")
    await _delivered(rt)
    notes = [t for t in await _texts(rt, "alice") if "PUMP-" in t and "subscri" not in t.lower()]
    assert len(notes) == 1 and "PUMP-4" in notes[0]


async def test_a_burst_of_changes_is_one_digest(rt: Runtime, jira: FakeJira,
                                               client: TestClient) -> None:  # type: ignore[type-arg]
    keys = jira.add_issues("PUMP", 60, assignee=BOB)
    await say(rt, "alice", "subscribe PUMP")
    url = _hook_url(client, "/hooks/jira")
    for n, key in enumerate(keys):
        status, _ = await jira.send_webhook(url, issue_key=key, secret=HOOK_SECRET, identifier=f"bulk-{n}")
        assert status == 200
    await _delivered(rt)
    notes = [t for t in await _texts(rt, "alice") if "PUMP-" in t and "subscri" not in t.lower()]
    assert len(notes) == 1, notes
    assert "60" in notes[0] and "and 50 more" in notes[0]


# -- Zentao ---------------------------------------------------------------------------------------------------------

@pytest.fixture
async def zentao() -> AsyncIterator[FakeZentao]:
    fake = FakeZentao()
    await fake.start()
    fake.add_user("bob", "Bob Wang")
    yield fake
    await fake.stop()


async def test_zentao_commands_and_hook(tmp_path: Path, zentao: FakeZentao) -> None:
    day = SYSTEM_CLOCK.today(UTC)
    project = zentao.add_project("Pump", "PUMP")
    sprint = zentao.add_execution(project, "Sprint 1", day - timedelta(days=3), day + timedelta(days=10),
                                  status="doing")
    task = zentao.add_task(sprint, "Install valve", assigned_to="bob", estimate=8)
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'z.db'}", zentao_url=zentao.url,
                               zentao_account=zentao.account, zentao_password=zentao.password),  # type: ignore[arg-type]
                      _config("zentao", str(project)), console=True, clock=running_clock())
    await runtime.open()
    try:
        said = await say(runtime, "bob", f"report PUMP-{task} 50% half way 4h")
        assert "50%" in said[0].text
        assert zentao.task(task)["status"] == "doing" and float(zentao.task(task)["consumed"]) == 4.0
        await say(runtime, "alice", "subscribe PUMP")
        async with TestClient(TestServer(build_app(runtime))) as client:
            status, _ = await zentao.send_webhook(str(client.make_url(f"/hooks/zentao/{ZENTAO_TOKEN}")),
                                                  object_id=task, action="finished")
            assert status == 200
            status, _ = await zentao.send_webhook(str(client.make_url("/hooks/zentao/wrong-token")),
                                                  object_id=task, action="finished")
            assert status == 401
        await _delivered(runtime)
        assert any(f"PUMP-{task}" in t for t in await _texts(runtime, "alice"))
    finally:
        await runtime.close()




async def _retried(rt: Runtime, inbox_id: int) -> None:
    assert await _state(rt, inbox_id) == "pending"
    await _due_now(rt, inbox_id)
    await drain(rt)
    assert await _state(rt, inbox_id) == "done"


async def test_a_create_whose_read_back_failed_is_not_created_again(rt: Runtime, jira: FakeJira) -> None:
    jira.fail_next(1, status=503, path_contains="/issue/PUMP-5", method="GET")  # the read after the create
    inbox_id = await _send(rt, "bob", "new PUMP Replace valve")
    await _retried(rt, inbox_id)
    assert [k for k in (f"PUMP-{n}" for n in range(5, 8)) if _exists(jira, k)] == ["PUMP-5"]
    assert any("PUMP-5" in t and "Replace valve" in t for t in await _texts(rt, "bob"))


async def test_a_report_whose_last_read_failed_logs_its_hours_once(rt: Runtime, jira: FakeJira) -> None:
    # The handler reads PUMP-3, the connector reads it, then writes; the read after the work log fails.
    jira.fail_next(1, status=503, path_contains="/issue/PUMP-3", method="GET", after=3)
    inbox_id = await _send(rt, "bob", "report PUMP-3 40% wired 2h")
    await _retried(rt, inbox_id)
    assert [w["timeSpentSeconds"] for w in jira.worklogs("PUMP-3")] == [7200]
    assert jira.issue("PUMP-3")["customfield_10050"] == 40


async def test_a_done_whose_read_back_failed_is_answered_as_done_not_already_done(rt: Runtime, jira: FakeJira
                                                                                  ) -> None:
    # Reads of PUMP-2 before the transition: handler, connector, transitions list; then the transition, the
    # progress field, and the read back, which fails.
    jira.fail_next(1, status=503, path_contains="/issue/PUMP-2", method="GET", after=3)
    inbox_id = await _send(rt, "bob", "done PUMP-2")
    await _retried(rt, inbox_id)
    texts = await _texts(rt, "bob")
    assert "already" not in texts[-1] and "PUMP-2" in texts[-1], texts
    assert jira.issue("PUMP-2")["status"] == "Done"
    assert len([r for r in jira.requests if r.method == "POST" and r.path.endswith("/PUMP-2/transitions")]) == 1


def _exists(jira: FakeJira, key: str) -> bool:
    try:
        jira.issue(key)
    except KeyError:
        return False
    return True


async def test_a_refused_done_logs_no_hours(rt: Runtime, jira: FakeJira) -> None:
    jira.permit_transitions(None, False)
    said = await say(rt, "bob", "done PUMP-4 finished 2h")
    assert "cannot move to done" in said[0].text
    assert jira.worklogs("PUMP-4") == [] and jira.issue("PUMP-4")["status"] == "To Do"


# -- undo and correction (commands/handlers/undo.py) ---------------------------------------------------------

def _deletes(jira: FakeJira) -> list[str]:
    return [r.path for r in jira.requests if r.method == "DELETE"]


async def test_undo_deletes_the_jira_worklog_and_restores_the_issue(rt: Runtime, jira: FakeJira,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    understand_undo_words(monkeypatch)
    await say(rt, "bob", "report PUMP-1 60% pump mounted 2h")
    [worklog] = jira.worklogs("PUMP-1")
    said = await say(rt, "bob", "undo")
    assert "Undone on PUMP-1" in said[0].text and "60% → 0%" in said[0].text and "2h time entry deleted" in said[0].text
    issue = jira.issue("PUMP-1")
    assert (issue["customfield_10050"], issue["status"]) == (0, "To Do")
    assert jira.worklogs("PUMP-1") == [] and jira.deleted_worklogs == [("PUMP-1", worklog["id"])]


async def test_correcting_the_hours_replaces_the_jira_worklog(rt: Runtime, jira: FakeJira,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    understand_undo_words(monkeypatch)
    await say(rt, "bob", "report PUMP-1 60% 5h")
    said = await say(rt, "bob", "I meant 3h")
    assert "5h → 3h" in said[0].text
    assert [w["timeSpentSeconds"] for w in jira.worklogs("PUMP-1")] == [3 * 3600]
    assert jira.issue("PUMP-1")["customfield_10050"] == 60


async def test_jira_down_half_way_through_an_undo_deletes_the_worklog_once(rt: Runtime, jira: FakeJira,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    understand_undo_words(monkeypatch)
    await say(rt, "bob", "report PUMP-2 60% 2h")
    [worklog] = jira.worklogs("PUMP-2")
    # The worklog is deleted, then Jira stops answering before the percent is set back: the undo waits.
    jira.fail_next(1, status=503, path_contains="/issue/PUMP-2", method="PUT")
    inbox_id = await _send(rt, "bob", "undo")
    assert jira.worklogs("PUMP-2") == [] and jira.issue("PUMP-2")["customfield_10050"] == 60
    await _retried(rt, inbox_id)
    assert _deletes(jira) == [f"/rest/api/3/issue/PUMP-2/worklog/{worklog['id']}"], "deleted once, not again"
    assert jira.deleted_worklogs == [("PUMP-2", worklog["id"])]
    issue = jira.issue("PUMP-2")
    assert (issue["customfield_10050"], issue["status"]) == (0, "To Do")
    texts = await _texts(rt, "bob")
    assert "Undone on PUMP-2" in texts[-1], texts
    again = await say(rt, "bob", "undo")  # the retried undo counted: the write is undone
    assert "undone already" in again[0].text


async def test_zentao_undo_restores_the_percent_and_says_the_effort_row_stays(
        tmp_path: Path, zentao: FakeZentao, monkeypatch: pytest.MonkeyPatch) -> None:
    understand_undo_words(monkeypatch)
    day = SYSTEM_CLOCK.today(UTC)
    project = zentao.add_project("Pump", "PUMP")
    sprint = zentao.add_execution(project, "Sprint 1", day - timedelta(days=3), day + timedelta(days=10),
                                  status="doing")
    task = zentao.add_task(sprint, "Install valve", assigned_to="bob", estimate=8)
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'z.db'}", zentao_url=zentao.url,
                               zentao_account=zentao.account, zentao_password=zentao.password),  # type: ignore[arg-type]
                      _config("zentao", str(project)), console=True, clock=running_clock())
    await migrate.upgrade(runtime.db)
    await runtime.open()
    try:
        await say(runtime, "bob", f"report PUMP-{task} 20% 1h")
        await say(runtime, "bob", f"report PUMP-{task} 60% 2h")
        assert zentao.task(task)["progress"] == 60
        consumed = zentao.task(task)["consumed"]
        said = await say(runtime, "bob", "undo")
        assert "60% → 20%" in said[0].text and "2h effort entry stays in Zentao" in said[0].text, said[0].text
        assert zentao.task(task)["consumed"] == consumed  # the effort row is not pretended away
        assert zentao.task(task)["progress"] == 20 and "did not take" not in said[0].text
        said = await say(runtime, "bob", f"report PUMP-{task} 30% 2h")
        said = await say(runtime, "bob", "I meant 3h")
        assert "Zentao cannot delete a time entry" in said[0].text
    finally:
        await runtime.close()
