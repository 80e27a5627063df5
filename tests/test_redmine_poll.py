"""Redmine 5 has no webhooks: the clock polls it (updated_on>= and journals) and the changes reach the chats
that subscribed, through the same inbox path as Jira's and Zentao's webhooks. Against the real Redmine."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.changes import poll_redmine
from bot.config import Config, PersonConfig, ProjectConfig, Settings
from bot.pms.redmine import RedmineClient
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from bot.store.workspace import SqlWorkspace
from tests.conftest import running_clock
from tests.redmine_server import RedmineServer


@pytest.fixture
async def setup(tmp_path: Path, redmine: RedmineServer) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient, str]]:
    admin = httpx.AsyncClient(base_url=redmine.url, headers={"X-Redmine-API-Key": redmine.api_key}, timeout=30)
    identifier = f"poll-{uuid.uuid4().hex[:10]}"
    r = await admin.post("/projects.json", json={"project": {
        "name": identifier, "identifier": identifier, "enabled_module_names": ["issue_tracking", "time_tracking"],
        "tracker_ids": [1, 2, 3]}})
    assert r.status_code == 201, r.text
    config = Config(locale="en", people=(PersonConfig(id="alice", name="Alice Li", locale="en"),),
                    projects=(ProjectConfig(key="PUMP", name="Pump", pms="redmine", pms_project=identifier,
                                            members=("alice",)),))
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", redmine_url=redmine.url,
                               redmine_api_key=redmine.api_key),  # type: ignore[arg-type]
                      config, console=True, clock=running_clock())
    await runtime.open()
    yield runtime, admin, identifier
    await runtime.close()
    await admin.aclose()


async def _poll(rt: Runtime, at: datetime) -> int:
    remote = rt.remotes["redmine"]
    assert isinstance(remote, RedmineClient)
    async with rt.db.read() as s:
        projects = await SqlWorkspace(s, default_locale="en").projects_using("redmine")
    return await poll_redmine(rt.db, rt.inbox, remote, projects, now=at)


async def test_a_redmine_whose_clock_is_behind_ours_loses_no_change(
        setup: tuple[Runtime, httpx.AsyncClient, str]) -> None:
    """Our clock a day ahead of Redmine's (as in any deployment with skew): the cursor is Redmine's own
    newest `updated_on`, so a change made after the first poll is still read."""
    rt, admin, identifier = setup
    ahead = rt.clock.now() + timedelta(days=1)
    assert await _poll(rt, ahead) == 0
    r = await admin.post("/issues.json", json={"issue": {"project_id": identifier, "subject": "Skewed"}})
    assert r.status_code == 201
    assert await _poll(rt, ahead + timedelta(minutes=2)) == 1
    assert await _poll(rt, ahead + timedelta(minutes=4)) == 0, "read once"


async def test_changes_in_redmine_reach_the_subscribed_chat(setup: tuple[Runtime, httpx.AsyncClient, str]) -> None:
    rt, admin, identifier = setup
    await say(rt, "alice", "subscribe PUMP")
    start = rt.clock.now() - timedelta(seconds=2)
    assert await _poll(rt, start) == 0  # the first poll only notes where to start
    r = await admin.post("/issues.json", json={"issue": {"project_id": identifier, "subject": "Fix the gate"}})
    issue_id = r.json()["issue"]["id"]
    r = await admin.put(f"/issues/{issue_id}.json", json={"issue": {"status_id": 2, "notes": "started on site"}})
    assert r.status_code == 204
    fed = await _poll(rt, rt.clock.now())
    assert fed == 2  # created, then the journal with the status change and the note
    assert await _poll(rt, rt.clock.now()) == 0  # a poll overlapping the last one stores nothing twice
    await drain(rt)
    await rt.changes.flush_once(rt.clock.now() + timedelta(minutes=5))
    await drain(rt)
    notes = [m["text"] for m in await feed.feed(rt.db, "alice") if f"PUMP-{issue_id}" in m["text"]]
    assert len(notes) == 2, notes
    assert any("started on site" in n for n in notes)
    assert any("status: New → In Progress" in n for n in notes)
