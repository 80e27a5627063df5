"""Jira writes as the person who linked their own Jira (OAuth 2.0 3LO on Cloud, a personal access token on Data
Center), the bot account otherwise, and the fake Jira records whose credential made each write. Tokens are sealed in
the store; an expired access token is refreshed (the refresh token rotates), a revoked grant falls back to the bot."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.clocks import FakeClock
from bot.config import Config, JiraConnectorConfig, PersonConfig, ProjectConfig, Settings
from bot.pms.jira import JiraClient, JiraPMS
from bot.pms.jira_people import JiraPeople, LinkRefused, OAuthApp
from bot.records import Person, Project
from bot.runtime import Runtime
from bot.say import say
from bot.store import migrate
from bot.store.credentials import seal, unseal
from bot.store.db import Database
from bot.store.models import PmsCredentialRow
from tests.conftest import running_clock
from tests.fakes.jira import BOT_ACCOUNT_ID, FakeJira
from tests.pms_backends import _people_map

KEY = b"k" * 32
ALICE_ID = "5b10ac8d82e05b22cc7d4ef6"
ALICE = Person(id="alice", name="Alice Li", locale="en", pms_user=ALICE_ID)
BOB = Person(id="bob", name="Bob Wang", locale="en", pms_user="5b10a2844c20165700ede21g")
CALLBACK = "https://pmsbot.example.com/link/jira/callback"


@dataclass
class World:
    fake: FakeJira
    client: JiraClient
    people: JiraPeople
    clock: FakeClock
    db: Database

    def pms(self) -> JiraPMS:
        return self.client.for_project(Project(key="PUMP", name="Pump", pms="jira", pms_project="PUMP",
                                               members=("alice", "bob"), approvers=()), lambda: _people_map({}))


async def _key() -> bytes:
    return KEY


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file for the module; each test works on a copy (a migration per test is a second)."""
    path = tmp_path_factory.mktemp("jira_people") / "template.db"

    async def make() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(database)
        await database.dispose()
    # Its own loop in a thread: a test asks for it by request.getfixturevalue() while that test's loop runs, and
    # asyncio.run() refuses to start there (whether it does depends on which test of the module a worker runs first).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, make()).result()
    return path


@pytest.fixture
async def sqlite_copy(migrated_file: Path, tmp_path: Path) -> AsyncIterator[Database]:
    shutil.copyfile(migrated_file, tmp_path / "p.db")
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    yield database
    await database.dispose()


@pytest.fixture(params=["cloud", "dc"])
async def world(request: pytest.FixtureRequest, sqlite_copy: Database) -> AsyncIterator[World]:
    sqlite_db = sqlite_copy
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    fake = FakeJira(flavor=request.param, clock=lambda: clock.now().timestamp())
    await fake.start()
    fake.add_user(ALICE_ID, "Alice Li", "alice@example.com", name="alice")
    fake.add_project("PUMP", "Pump")
    fake.add_issue("PUMP", "Replace pump 3")
    cloud = request.param == "cloud"
    client = JiraClient(url=fake.url, email=fake.email if cloud else None, api_token=fake.api_token if cloud else None,
                        pat=None if cloud else fake.pat, config=JiraConnectorConfig(), clock=clock)
    client.people = JiraPeople(sqlite_db, _key, site_url=fake.url, cloud=cloud, clock=clock,
                               oauth=OAuthApp(fake.oauth_client_id, fake.oauth_client_secret, auth_url=fake.url,
                                              api_url=fake.url) if cloud else None)
    try:
        yield World(fake, client, client.people, clock, sqlite_db)
    finally:
        await client.people.close()
        await client.close()
        await fake.stop()


async def _link_alice(w: World) -> None:
    if w.fake.flavor == "cloud":
        assert await w.people.link_code("alice", w.fake.authorize(ALICE_ID, CALLBACK), CALLBACK) == "example"
    else:
        assert await w.people.link_pat("alice", w.fake.add_pat(ALICE_ID)) == "Alice Li"


async def test_a_linked_persons_writes_are_theirs_an_unlinked_ones_the_bots(world: World) -> None:
    await _link_alice(world)
    pms = world.pms()
    written = await pms.report_progress("PUMP-1", percent=None, note="half way", hours=Decimal(1), by=ALICE)
    assert not written.as_bot
    await pms.comment("PUMP-1", "parts ordered", by=ALICE)
    assert {a for _, _, a in world.fake.writes} == {ALICE_ID}
    author = world.fake.comments("PUMP-1")[-1]["author"]
    assert author.get("accountId", author.get("name")) in (ALICE_ID, "alice")  # Data Center names users

    world.fake.writes.clear()
    bobs = world.pms()
    written = await bobs.report_progress("PUMP-1", percent=None, note="me too", hours=None, by=BOB)
    assert written.as_bot and {a for _, _, a in world.fake.writes} == {BOT_ACCOUNT_ID}


async def test_tokens_are_sealed_in_the_store(world: World) -> None:
    await _link_alice(world)
    async with world.db.read() as s:
        row = await s.get(PmsCredentialRow, ("alice", "jira"))
    assert row is not None and "token" not in row.sealed and "access" not in row.sealed
    assert unseal(KEY, "alice", "jira", row.sealed) is not None
    assert unseal(KEY, "bob", "jira", row.sealed) is None  # moved to another row, it does not open
    assert unseal(b"x" * 32, "alice", "jira", row.sealed) is None
    assert unseal(KEY, "alice", "jira", seal(KEY, "alice", "jira", {"a": 1})[:-4] + "AAAA") is None


async def test_an_expired_access_token_is_refreshed_and_the_refresh_token_rotates(world: World) -> None:
    if world.fake.flavor == "dc":
        pytest.skip("Data Center tokens are personal access tokens: nothing to refresh")
    await _link_alice(world)
    first = await world.people.credential("alice")
    world.clock.advance(timedelta(hours=2))
    second = await world.people.credential("alice")
    assert first is not None and second is not None and second.bearer != first.bearer
    await world.pms().comment("PUMP-1", "after lunch", by=ALICE)
    assert world.fake.writes[-1][2] == ALICE_ID
    assert len(world.fake._refresh) == 1  # the used refresh token is gone: only the new one works


async def test_a_revoked_grant_falls_back_to_the_bot(world: World) -> None:
    await _link_alice(world)
    if world.fake.flavor == "cloud":
        world.fake.revoke_grants(ALICE_ID)
        world.clock.advance(timedelta(hours=2))  # the refresh is refused: the grant is forgotten
    else:
        world.fake._pats.clear()  # the person revoked the token in Jira: 401, forgotten
    written = await world.pms().report_progress("PUMP-1", percent=None, note="x", hours=None, by=ALICE)
    assert written.as_bot and world.fake.writes[-1][2] == BOT_ACCOUNT_ID
    assert await world.people.credential("alice") is None


async def test_links_that_do_not_work_are_refused(world: World) -> None:
    if world.fake.flavor == "cloud":
        with pytest.raises(LinkRefused):
            await world.people.link_code("alice", "not-a-code", CALLBACK)
        code = world.fake.authorize(ALICE_ID, CALLBACK)
        with pytest.raises(LinkRefused):
            await world.people.link_code("alice", code, "https://evil.example.com/cb")  # another redirect_uri
    else:
        with pytest.raises(LinkRefused):
            await world.people.link_pat("alice", "made-up")
    assert await world.people.credential("alice") is None


# -- from chat: `link jira`, the page, Atlassian's consent, the callback, then a write ---------------------------------

BOB_ID = "5b10a2844c20165700ede21f"


@pytest.fixture(params=["cloud"])
async def chat(request: pytest.FixtureRequest, tmp_path: Path
               ) -> AsyncIterator[tuple[Runtime, FakeJira, TestClient[Any, Any]]]:
    fake = FakeJira(flavor=request.param)
    await fake.start()
    fake.add_user(ALICE_ID, "Alice Li", "alice@example.com")
    fake.add_user(BOB_ID, "Bob Wang", "bob@example.com")
    fake.add_project("PUMP", "Pump")
    fake.add_issue("PUMP", "Replace pump", assignee=BOB_ID)
    config = Config(locale="en", people=(
        PersonConfig(id="alice", name="Alice Li", locale="en", pms_user=ALICE_ID),
        PersonConfig(id="bob", name="Bob Wang", locale="en", pms_user=BOB_ID)),
        projects=(ProjectConfig(key="PUMP", name="Pump", pms="jira", pms_project="PUMP",  # type: ignore[arg-type]
                                members=("alice", "bob")),))
    credentials: dict[str, Any] = (
        {"jira_email": fake.email, "jira_api_token": fake.api_token, "jira_oauth_client_id": fake.oauth_client_id,
         "jira_oauth_client_secret": fake.oauth_client_secret, "jira_oauth_auth_url": fake.url,
         "jira_oauth_api_url": fake.url} if fake.flavor == "cloud" else {"jira_pat": fake.pat})
    shutil.copyfile(request.getfixturevalue("migrated_file"), tmp_path / "j.db")  # at head: open() migrates nothing
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'j.db'}", jira_url=fake.url,
                               pmsbot_public_url="https://pmsbot.example.com", **credentials),
                      config, console=True, clock=running_clock())
    await runtime.open()
    client = TestClient(TestServer(build_app(runtime)))
    await client.start_server()
    try:
        yield runtime, fake, client
    finally:
        await client.close()
        await runtime.close()
        await fake.stop()


async def test_link_jira_from_chat_then_writes_go_as_the_person(
        chat: tuple[Runtime, FakeJira, TestClient[Any, Any]]) -> None:
    rt, fake, http = chat
    said = await say(rt, "alice", "link jira")
    url = next(m for s in said for m in re.findall(r"https://pmsbot\.example\.com(/link/jira/\S+)", s.text))
    page = await http.get(url, allow_redirects=False)
    assert page.status == 302
    consent = urlsplit(page.headers["Location"])
    asked = parse_qs(consent.query)
    assert consent.path == "/authorize" and asked["client_id"] == [fake.oauth_client_id]
    assert asked["redirect_uri"] == ["https://pmsbot.example.com/link/jira/callback"]
    assert "offline_access" in asked["scope"][0].split() and asked["audience"] == ["api.atlassian.com"]
    # The person consents at Atlassian, which sends the browser back with a code and the state.
    code = fake.authorize(ALICE_ID, asked["redirect_uri"][0])
    tampered = await http.get(f"/link/jira/callback?code={code}&state={asked['state'][0][:-2]}xx")
    assert tampered.status == 400
    done = await http.get(f"/link/jira/callback?code={code}&state={asked['state'][0]}")
    assert done.status == 200 and "Done" in await done.text()

    reply = await say(rt, "alice", "report PUMP-1 40% pump out")
    assert "bot account" not in reply[0].text
    assert fake.writes and {a for _, _, a in fake.writes} == {ALICE_ID}
    fake.writes.clear()
    reply = await say(rt, "bob", "report PUMP-1 50% bolts in")
    assert "by the bot account" in reply[0].text and {a for _, _, a in fake.writes} == {BOT_ACCOUNT_ID}


async def test_hostile_link_pages(chat: tuple[Runtime, FakeJira, TestClient[Any, Any]]) -> None:
    _, fake, http = chat
    for path in ("/link/jira/not-a-token", "/link/jira/callback?state=x&code=y", "/link/jira/callback",
                 "/link/jira/callback?error=access_denied&state=" + "a" * 5000):
        answer = await http.get(path, allow_redirects=False)
        assert answer.status == 400 and "<html" in (await answer.text()).lower(), path
    posted = await http.post("/link/jira/not-a-token", data={"token": "x"})
    assert posted.status == 400
    assert fake.writes == [] and fake._access == {}


@pytest.mark.parametrize("chat", ["dc"], indirect=True)
async def test_link_jira_on_data_center_takes_a_personal_access_token(
        chat: tuple[Runtime, FakeJira, TestClient[Any, Any]]) -> None:
    rt, fake, http = chat
    said = await say(rt, "alice", "绑定 jira")
    url = next(m for s in said for m in re.findall(r"https://pmsbot\.example\.com(/link/jira/\S+)", s.text))
    form = await http.get(url)
    assert form.status == 200 and 'type="password"' in await form.text()
    assert (await http.post(url, data={"token": "not a token"})).status == 400
    assert (await http.post(url, data={"token": "made-up"})).status == 400  # Jira says no: nothing kept
    done = await http.post(url, data={"token": fake.add_pat(ALICE_ID)})
    assert done.status == 200 and "Alice Li" in await done.text()
    await say(rt, "alice", "report PUMP-1 40% pump out")
    assert fake.writes and {a for _, _, a in fake.writes} == {ALICE_ID}
