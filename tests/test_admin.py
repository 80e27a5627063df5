"""The admin pages: who gets in (token form with its double-submit cookie, one-time links from chat), CSRF on
every form, what the pages show (SLA, queues, schedules, events, dead letters, audit log, people), Replay, and
hostile input (unknown and non-numeric ids, SQL and LIKE wildcards in the search box, XSS in stored text)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlmodel import col

from bot.app import build_app
from bot.calls import Calls
from bot.config import ChannelConfig, Config, PersonConfig, ProjectConfig, Settings, StandupConfig
from bot.runtime import Runtime
from bot.store import admin as store
from bot.store import audit
from bot.store.db import Database
from bot.store.metrics import add_calls
from bot.store.models import AuditRow, IdentityRow, InboxRow, OutboxRow, PersonRow, PmsChangeRow
from bot.web import admin
from bot.web.links import WebLinks
from bot.web.pages import WEB
from notifiers.outbox import ClaimedMessage, Envelope
from notifiers.render import Renderer
from tests.conftest import running_clock

TOKEN = "t0ken-" + "x" * 24
Client = TestClient[web.Request, web.Application]
XSS = "<script>alert(1)</script>"

NOW = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def small_config() -> Config:
    return Config(
        locale="en", timezone="Asia/Shanghai",
        people=(PersonConfig(id="ada", name="Ada", roles=("admin",), identities={"slack": "U0ADA"}),
                PersonConfig(id="bob", name="王波", roles=("engineer",), locale="zh", pms_user="bob",
                             identities={"slack": "U0BOB", "feishu": "ou_bob"})),
        projects=(ProjectConfig(key="PUMP", name="泵站改造", members=("bob",),
                                channels=(ChannelConfig(platform="slack", id="C0PUMP"),)),),
        standups=(StandupConfig(name="pump-daily", project="PUMP", members=("bob",), at="09:30"),),
    )


async def _runtime(tmp_path: Path, *, token: str | None) -> Runtime:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'admin.db'}",
                        pmsbot_admin_token=SecretStr(token) if token else None)
    rt = Runtime(settings, small_config(), clock=running_clock())
    await rt.open()
    return rt


def _app(rt: Runtime) -> web.Application:
    return build_app(rt)


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    runtime = await _runtime(tmp_path, token=TOKEN)
    yield runtime
    await runtime.close()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[Client]:
    async with TestClient(TestServer(_app(rt))) as c:
        yield c


def hidden(page: str, name: str = "csrf") -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


async def login(client: Client) -> str:
    """Log in with the token; the session's CSRF token (read from a page's form)."""
    form = await (await client.get("/admin/login")).text()
    r = await client.post("/admin/login", data={"csrf": hidden(form), "token": TOKEN}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/admin"
    page = await client.get("/admin/people")
    assert page.status == 200
    return hidden(await page.text())


def link(client: Client, person: str, **make: Any) -> str:
    pages = client.app[WEB] if client.app is not None else None
    assert pages is not None
    token = pages.signer(admin.LINK_PURPOSE).make({"p": person}, **({"ttl_s": 600} | make))
    return f"/admin/enter/{token}"


async def seed_dead_letter(rt: Runtime, *, target: str = "C0PUMP", error: str = "gave up after 8 attempts: 500") -> int:
    now = rt.clock.now()
    async with rt.db.write() as s:
        await rt.outbox.enqueue(s, [Envelope(platform="slack", target=target, kind="reply", locale="en",
                                             data={"text": "hi"}, actions=[])], source_event=None, now=now,
                                preclaim=False)
    async with rt.db.read() as s:
        outbox_id = (await s.execute(select(col(OutboxRow.id)).where(col(OutboxRow.target) == target)
                                     .order_by(col(OutboxRow.id).desc()))).scalars().first()
    assert outbox_id is not None
    await rt.outbox.dead(ClaimedMessage(id=outbox_id, attempts=8, envelope=Envelope(
        platform="slack", target=target, kind="reply", locale="en", data={}, actions=[])), error=error)
    return outbox_id


async def seed_inbox(rt: Runtime, *, platform: str, event_id: str, state: str, kind: str = "hook",
                     error: str | None = None) -> int:
    async with rt.db.write() as s:
        row = InboxRow(platform=platform, event_id=event_id, payload={"kind": kind, "body": "x" * 1000},
                       state=state, attempts=5 if state == "failed" else 0, error=error,
                       available_at=rt.clock.now(), received_at=rt.clock.now())
        s.add(row)
        await s.flush()
        assert row.id is not None
        return row.id


# ---- who gets in -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin", "/admin/dead", "/admin/audit?q=x", "/admin/people"])
async def test_pages_without_a_session_redirect_to_login(client: Client, path: str) -> None:
    r = await client.get(path, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/admin/login"


async def test_forms_without_a_session_redirect_and_do_nothing(client: Client, rt: Runtime) -> None:
    outbox_id = await seed_dead_letter(rt)
    r = await client.post(f"/admin/dead/{outbox_id}/replay", data={"csrf": "guess"}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/admin/login"
    assert (await rt.outbox.counts()).get("dead") == 1


async def test_forged_session_cookie_is_no_session(client: Client) -> None:
    client.session.cookie_jar.update_cookies({"pmsbot_admin": "eyJ3IjoidG9rZW4ifQ." + "A" * 43})
    r = await client.get("/admin", allow_redirects=False)
    assert r.status == 303


async def test_token_login_good_and_bad(client: Client) -> None:
    r = await client.get("/admin/login")
    page = await r.text()
    assert r.status == 200 and 'type="password"' in page and 'name="csrf"' in page
    assert r.cookies["pmsbot_admin_login"].value == hidden(page)
    assert r.cookies["pmsbot_admin_login"]["httponly"] and r.cookies["pmsbot_admin_login"]["samesite"] == "Strict"

    r = await client.post("/admin/login", data={"csrf": hidden(page), "token": "wrong" * 6}, allow_redirects=False)
    assert r.status == 401 and "token is not right" in await r.text()
    assert "pmsbot_admin" not in r.cookies
    assert (await client.get("/admin", allow_redirects=False)).status == 303

    page = await (await client.get("/admin/login")).text()
    r = await client.post("/admin/login", data={"csrf": hidden(page), "token": TOKEN}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/admin"
    cookie = r.cookies["pmsbot_admin"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    r = await client.get("/admin")
    assert r.status == 200 and "Connector health" in await r.text()
    # Logged in, the login page sends you on.
    assert (await client.get("/admin/login", allow_redirects=False)).headers["Location"] == "/admin"


@pytest.mark.parametrize("csrf", [None, "", "not-the-cookie"])
async def test_login_form_needs_its_double_submit_value(client: Client, csrf: str | None) -> None:
    await client.get("/admin/login")  # sets the cookie
    data = {"token": TOKEN} | ({"csrf": csrf} if csrf is not None else {})
    r = await client.post("/admin/login", data=data, allow_redirects=False)
    assert r.status == 403 and "login form has expired" in await r.text()
    assert "pmsbot_admin" not in r.cookies


async def test_login_form_without_its_cookie_is_refused(client: Client) -> None:
    page = await (await client.get("/admin/login")).text()
    client.session.cookie_jar.clear()
    r = await client.post("/admin/login", data={"csrf": hidden(page), "token": TOKEN}, allow_redirects=False)
    assert r.status == 403


async def test_token_login_off_without_a_configured_token(tmp_path: Path) -> None:
    rt = await _runtime(tmp_path, token=None)
    try:
        async with TestClient(TestServer(_app(rt))) as client:
            r = await client.get("/admin/login")
            page = await r.text()
            assert "Token login is off" in page and 'type="password"' not in page
            csrf = r.cookies["pmsbot_admin_login"].value
            r = await client.post("/admin/login", data={"csrf": csrf, "token": ""}, allow_redirects=False)
            assert r.status == 401 and "pmsbot_admin" not in r.cookies
    finally:
        await rt.close()


async def test_one_time_link_works_once(client: Client, rt: Runtime) -> None:
    url = link(client, "ada")
    # Opening it (a chat's link preview does that too) changes nothing: a button confirms.
    preview = await client.get(url, allow_redirects=False)
    assert preview.status == 200 and "pmsbot_admin" not in preview.cookies and 'method="post"' in await preview.text()
    assert (await client.get("/admin", allow_redirects=False)).status == 303
    r = await client.post(url, allow_redirects=False)
    assert r.status == 200 and r.headers["Refresh"] == "0; url=/admin" and 'href="/admin"' in await r.text()
    assert "pmsbot_admin" in r.cookies
    r = await client.get("/admin", allow_redirects=False)
    assert r.status == 200
    async with rt.db.read() as s:
        logins = (await s.execute(select(AuditRow).where(col(AuditRow.action) == "admin.login"))).scalars().all()
    assert [(a.actor, a.detail) for a in logins] == [("ada", {"via": "link"})]

    client.session.cookie_jar.clear()
    r = await client.post(url, allow_redirects=False)
    assert r.status == 403 and "used already" in await r.text() and "pmsbot_admin" not in r.cookies
    assert (await client.get("/admin", allow_redirects=False)).status == 303


async def test_bad_links_get_a_403_page(client: Client, rt: Runtime) -> None:
    expired = link(client, "ada", ttl_s=60, now_s=rt.clock.timestamp() - 3600)
    r = await client.get(expired, allow_redirects=False)
    assert r.status == 403 and "expired" in await r.text() and r.content_type == "text/html"

    good = link(client, "ada")
    body, sig = good.rsplit("/", 1)[1].split(".")
    flipped = ("B" if body[5] != "B" else "C").join((body[:5], body[6:]))
    for altered in (f"{flipped}.{sig}", f"{body}.{sig[:-2]}AA", "not-a-token", f"{body}.{sig}x"):
        r = await client.get(f"/admin/enter/{altered}", allow_redirects=False)
        assert r.status == 403 and "not valid" in await r.text(), altered

    for who in ("bob", "nobody"):  # not an admin; not a person
        r = await client.post(link(client, who), allow_redirects=False)
        assert r.status == 403 and "not for an admin" in await r.text()
    # A link for another purpose does not pass as an admin link.
    pages = client.app[WEB] if client.app is not None else None
    assert pages is not None
    other = pages.signer("field report").make({"p": "ada"}, ttl_s=600)
    assert (await client.get(f"/admin/enter/{other}", allow_redirects=False)).status == 403
    assert (await client.get("/admin", allow_redirects=False)).status == 303
    # The refused links did not burn the good one.
    assert (await client.post(good, allow_redirects=False)).status == 200


async def test_the_link_the_bot_sends_and_a_demoted_admin(client: Client, rt: Runtime) -> None:
    pages = client.app[WEB] if client.app is not None else None
    assert pages is not None
    url = WebLinks(pages.key, "https://pmsbot.example.com/").admin("ada")
    assert url.startswith("https://pmsbot.example.com/admin/enter/")
    assert (await client.post(url.removeprefix("https://pmsbot.example.com"), allow_redirects=False)).status == 200
    assert (await client.get("/admin", allow_redirects=False)).status == 200
    async with rt.db.write() as s:
        await s.execute(update(PersonRow).where(col(PersonRow.id) == "ada").values(roles=["engineer"]))
    assert (await client.get("/admin", allow_redirects=False)).status == 303, "the session ends with the role"


async def test_the_admin_link_speaks_the_admin_s_language(client: Client) -> None:
    """Issue 23: a zh admin opening the link in a chat app's browser (which says English) got English pages."""
    pages = client.app[WEB] if client.app is not None else None
    assert pages is not None
    url = WebLinks(pages.key, "https://pmsbot.example.com/").admin("ada", locale="zh")
    english = {"Accept-Language": "en-US,en;q=0.9"}
    entered = await client.post(url.removeprefix("https://pmsbot.example.com"), headers=english,
                                allow_redirects=False)
    assert entered.status == 200 and '<html lang="zh">' in await entered.text()
    forward = entered.headers["Refresh"].split("url=", 1)[1]
    assert forward == "/admin?lang=zh"
    overview = await client.get(forward, headers=english, allow_redirects=False)
    assert overview.status == 200 and '<html lang="zh">' in await overview.text()


async def test_the_link_sent_in_chat_carries_the_admin_s_language(rt: Runtime) -> None:
    from bot.say import say

    async with rt.db.write() as s:
        await s.execute(update(PersonRow).where(col(PersonRow.id) == "ada").values(locale="zh"))
    replies = await say(rt, "ada", "admin")
    assert any(re.search(r"/admin/enter/\S+\?lang=zh", r.text) for r in replies), [r.text for r in replies]


async def test_logout_needs_csrf(client: Client) -> None:
    csrf = await login(client)
    r = await client.post("/admin/logout", data={}, allow_redirects=False)
    assert r.status == 403
    assert (await client.get("/admin", allow_redirects=False)).status == 200
    r = await client.post("/admin/logout", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/admin/login"
    assert (await client.get("/admin", allow_redirects=False)).status == 303


async def test_a_logged_out_session_is_over_even_with_its_cookie(client: Client) -> None:
    """Server-side revocation: the cookie of a logged-out session, kept (stolen) and sent again, opens nothing."""
    from yarl import URL

    csrf = await login(client)
    cookie = client.session.cookie_jar.filter_cookies(URL(str(client.make_url("/admin"))))["pmsbot_admin"].value
    r = await client.post("/admin/logout", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303
    client.session.cookie_jar.update_cookies({"pmsbot_admin": cookie})
    assert (await client.get("/admin", allow_redirects=False)).status == 303


async def test_rotating_the_admin_token_ends_token_sessions(client: Client, rt: Runtime) -> None:
    await login(client)
    assert (await client.get("/admin", allow_redirects=False)).status == 200
    rt.settings = rt.settings.model_copy(update={"pmsbot_admin_token": SecretStr("a-new-token-" + "x" * 32)})
    assert (await client.get("/admin", allow_redirects=False)).status == 303


# ---- what the pages show ---------------------------------------------------------------------------------------

async def test_overview_shows_the_figures(client: Client, rt: Runtime) -> None:
    now = rt.clock.now()
    await add_calls(rt.db, now - timedelta(minutes=5), {"slack": Calls(ok=995, failed=5, latency_ms=120_000),
                                                        "feishu": Calls(ok=97, failed=3, latency_ms=9_000)})
    await add_calls(rt.db, now - timedelta(hours=30), {"dingtalk": Calls(ok=1, failed=9)})  # outside 24 h
    await seed_dead_letter(rt)
    async with rt.db.write() as s:
        await rt.outbox.enqueue(s, [Envelope(platform="slack", target="U0BOB", kind="reply", locale="en", data={},
                                             actions=[])], source_event=None, now=now, preclaim=False)
        s.add(PmsChangeRow(platform="slack", conversation="C0PUMP", project_key="PUMP", data={"task": "PUMP-1"},
                           created_at=now))
    await seed_inbox(rt, platform="hook:mes", event_id="mes-1", state="failed",
                     error="unknown task PUMP-99 " + XSS + " " + "y" * 400)
    await seed_inbox(rt, platform="slack", event_id="Ev1", state="pending", kind="message")
    await login(client)

    r = await client.get("/admin")
    page = await r.text()
    assert r.status == 200
    for cell, value in (("q-inbox-pending", 1), ("q-inbox-failed", 1), ("q-outbox-pending", 1),
                        ("q-outbox-dead", 1), ("q-pms-changes", 1)):
        assert re.search(rf'id="{cell}">{value}<', page), cell
    rows = dict(re.findall(r'data-connector="([^"]+)">(.*?)</tr>', page, re.S))
    assert set(rows) == {"slack", "feishu"}, "only the last 24 h"
    assert ">1000<" in rows["slack"] and ">5<" in rows["slack"] and "99.50 %" in rows["slack"]
    assert ">120<" in rows["slack"] and 'data-state="ok"' in rows["slack"]
    assert "97.00 %" in rows["feishu"] and 'data-state="bad"' in rows["feishu"] and ">90<" in rows["feishu"]
    # Schedules as `pmsbot schedules` shows them: bob's next run at 09:30 his time.
    run = re.search(r'<tr class="run">(.*?)</tr>', page, re.S)
    assert run and "standup:pump-daily" in run.group(1) and "PUMP" in run.group(1) and "09:30" in run.group(1)
    # Recent events, newest first, the error cut short and escaped.
    events = re.findall(r'<tr class="event" data-id="(\d+)">(.*?)</tr>', page, re.S)
    (newest_id, newest), (older_id, older) = events[:2]
    assert int(newest_id) > int(older_id) and "slack" in newest and ">message<" in newest and "hook:mes" in older
    assert XSS not in page and html.escape(XSS) in page
    shown = re.findall(r'class="wrap" title="[^"]*">([^<]*)</td>', older)
    assert shown[-1].endswith("…") and len(html.unescape(shown[-1])) == admin.ERROR_SHOWN_CHARS


async def test_dead_letters_replay(client: Client, rt: Runtime) -> None:
    outbox_id = await seed_dead_letter(rt, error="gave up after 8 attempts: " + XSS)
    csrf = await login(client)
    page = await (await client.get("/admin/dead")).text()
    assert f'action="/admin/dead/{outbox_id}/replay"' in page and html.escape(XSS) in page and XSS not in page

    for data in ({}, {"csrf": ""}, {"csrf": "x" * 32}):
        r = await client.post(f"/admin/dead/{outbox_id}/replay", data=data, allow_redirects=False)
        assert r.status == 403 and "Nothing was done" in await r.text()
    assert await rt.outbox.counts() == {"dead": 1}

    r = await client.post(f"/admin/dead/{outbox_id}/replay", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"/admin/dead?done=replayed&id={outbox_id}"
    assert await rt.outbox.counts() == {"pending": 1, "replayed": 1}
    page = await (await client.get(r.headers["Location"])).text()
    assert f"Dead letter #{outbox_id} is queued again." in page and 'id="no-dead"' in page
    async with rt.db.read() as s:
        row = (await s.execute(select(OutboxRow).where(col(OutboxRow.state) == "pending"))).scalar_one()
    assert (row.platform, row.target, row.kind, row.payload["data"]) == ("slack", "C0PUMP", "reply", {"text": "hi"})
    # A second click changes nothing more.
    r = await client.post(f"/admin/dead/{outbox_id}/replay", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303 and "done=already" in r.headers["Location"]
    assert await rt.outbox.counts() == {"pending": 1, "replayed": 1}
    async with rt.db.read() as s:
        actions = (await s.execute(select(col(AuditRow.action), col(AuditRow.subject)))).all()
    assert ("admin.replay_dead_letter", f"outbox#{outbox_id}") in actions


@pytest.mark.parametrize("path", ["/admin/dead/999999/replay", "/admin/dead/abc/replay", "/admin/dead/-1/replay",
                                  "/admin/dead/1e3/replay", "/admin/dead/99999999999999999999999/replay",
                                  "/admin/failed/999999/replay", "/admin/failed/%20/replay",
                                  "/admin/failed/1;DROP%20TABLE%20inbox/replay"])
async def test_unknown_or_malformed_ids_get_a_404_page(client: Client, rt: Runtime, path: str) -> None:
    await seed_dead_letter(rt)
    csrf = await login(client)
    r = await client.post(path, data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 404 and r.content_type == "text/html"
    assert await rt.outbox.counts() == {"dead": 1}


async def test_rejected_delivery_replay(client: Client, rt: Runtime) -> None:
    rejected = await seed_inbox(rt, platform="hook:mes", event_id="mes-7", state="failed", error="unknown task PUMP-99")
    poison = await seed_inbox(rt, platform="slack", event_id="Ev9", state="failed", kind="message", error="boom")
    csrf = await login(client)
    page = await (await client.get("/admin/dead")).text()
    assert f'action="/admin/failed/{rejected}/replay"' in page and "unknown task PUMP-99" in page
    assert f'action="/admin/failed/{poison}/replay"' not in page, "chat events are not source deliveries"

    r = await client.post(f"/admin/failed/{rejected}/replay", data={"csrf": "wrong"}, allow_redirects=False)
    assert r.status == 403 and await rt.inbox.state(rejected) == "failed"
    r = await client.post(f"/admin/failed/{rejected}/replay", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"/admin/dead?done=requeued&id={rejected}"
    async with rt.db.read() as s:
        row = await s.get(InboxRow, rejected)
    assert row is not None and (row.state, row.attempts, row.error) == ("pending", 0, None)
    r = await client.post(f"/admin/failed/{rejected}/replay", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303 and "done=already" in r.headers["Location"]
    r = await client.post(f"/admin/failed/{poison}/replay", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 404 and await rt.inbox.state(poison) == "failed"


async def _seed_audit(db: Database, subjects: list[tuple[str, str, str]]) -> None:
    async with db.write() as s:
        for actor, action, subject in subjects:
            await audit.append(s, actor=actor, action=action, subject=subject, detail={"note": subject},
                               now=NOW)


AUDIT_ROWS = [("alice", "task.report", "PUMP-1"), ("bob", "approval.decide", "100% done"),
              ("carol", "task.new", "snake_case"), ("evil", "task.new", XSS), ("dan", "task.new", "O'Brien")]


async def test_audit_search_is_text_not_sql(client: Client, rt: Runtime) -> None:
    await _seed_audit(rt.db, AUDIT_ROWS)
    await login(client)  # adds ("(admin token)", "admin.login", "admin")

    async def subjects(q: str) -> list[str]:
        r = await client.get("/admin/audit", params={"q": q})
        assert r.status == 200
        return [html.unescape(s) for s in re.findall(r'class="wrap subject">(.*?)</td>', await r.text())]

    assert await subjects("") == ["admin", "O'Brien", XSS, "snake_case", "100% done", "PUMP-1"]
    assert await subjects("' OR 1=1 --") == []
    assert await subjects("' OR '1'='1") == []
    assert await subjects("%") == ["100% done"]
    assert await subjects("_") == ["snake_case"]
    assert await subjects("%%") == []
    assert await subjects("pump") == ["PUMP-1"], "case-insensitive"
    assert await subjects("ALICE") == ["PUMP-1"], "matches the actor"
    assert await subjects("task.new") == ["O'Brien", XSS, "snake_case"], "matches the action"
    assert await subjects("O'Brien") == ["O'Brien"]
    assert await subjects("\x00") == []
    page = await (await client.get("/admin/audit", params={"q": XSS})).text()
    assert XSS not in page and html.escape(XSS) in page
    assert 'data-state="ok"' in page and "6 rows" in page


async def test_audit_pages_and_a_broken_chain(client: Client, rt: Runtime) -> None:
    await _seed_audit(rt.db, [("alice", "task.report", f"PUMP-{n}") for n in range(1, 120)])
    await login(client)  # row 120
    page = await (await client.get("/admin/audit")).text()
    ids = re.findall(r'class="audit-row[^"]*" data-id="(\d+)"', page)
    assert ids[0] == "120" and ids[-1] == "71" and len(ids) == admin.AUDIT_PER_PAGE
    assert "Page 1 of 3" in page and 'rel="next" href="/admin/audit?page=2"' in page
    page = await (await client.get("/admin/audit", params={"page": "3"})).text()
    assert re.findall(r'data-id="(\d+)"', page)[-1] == "1" and "Page 3 of 3" in page
    for bad in ("0", "-4", "abc", "99"):
        r = await client.get("/admin/audit", params={"page": bad})
        assert r.status == 200, bad
    async with rt.db.write() as s:
        await s.execute(update(AuditRow).where(col(AuditRow.id) == 7).values(subject="PUMP-700"))
    page = await (await client.get("/admin/audit")).text()
    assert 'data-state="broken" data-row="7"' in page and "Chain broken at row 7" in page


async def test_people_and_their_identities_escaped(client: Client, rt: Runtime) -> None:
    async with rt.db.write() as s:
        s.add(PersonRow(id="evil", name=XSS, roles=["engineer"], pms_user='"><img src=x onerror=alert(1)>'))
        await s.flush()
        s.add(IdentityRow(platform="slack", external_id="U0EVIL<b>", person_id="evil", source="link"))
    await login(client)
    page = await (await client.get("/admin/people")).text()
    assert XSS not in page and html.escape(XSS) in page and "<img src=x" not in page and "<b>" not in page
    bob = re.search(r'<tr class="person" data-id="bob">(.*?)</tr>', page, re.S)
    assert bob and "王波" in bob.group(1) and "U0BOB" in bob.group(1) and "ou_bob" in bob.group(1)
    assert "engineer" in bob.group(1)
    evil = re.search(r'<tr class="person" data-id="evil">(.*?)</tr>', page, re.S)
    assert evil and "linked in chat" in evil.group(1)


async def test_navigation_and_languages(client: Client) -> None:
    await login(client)
    page = await (await client.get("/admin/audit", headers={"Accept-Language": "zh-CN,zh;q=0.9"})).text()
    assert '<html lang="zh">' in page and "审计日志" in page and "哈希链校验通过" in page
    assert re.search(r'<a href="/admin/audit" class="on" aria-current="page">', page)
    assert page.count('aria-current="page"') == 1
    page = await (await client.get("/admin?lang=en", headers={"Accept-Language": "zh"})).text()
    assert '<html lang="en">' in page and "Connector health" in page and 'href="/admin/dead?lang=en"' in page
    assert 'name="viewport" content="width=device-width' in page


@pytest.mark.parametrize("locale", ["zh", "en"])
async def test_every_page_renders_in_each_language(client: Client, rt: Runtime, locale: str) -> None:
    """With something in every list, so each label of the catalog is used (a missing one fails the render)."""
    await add_calls(rt.db, rt.clock.now(), {"slack": Calls(ok=1, failed=1, latency_ms=10)})
    await seed_dead_letter(rt)
    await seed_inbox(rt, platform="hook:mes", event_id="mes-1", state="failed", error="x")
    await _seed_audit(rt.db, AUDIT_ROWS * 12)
    async with rt.db.write() as s:
        s.add(IdentityRow(platform="feishu", external_id="ou_ada", person_id="ada", source="email"))
    await login(client)
    marks = {"zh": ("连接器健康与 SLA", "死信", "审计日志", "人员"),
             "en": ("Connector health and SLA", "Dead letters", "Audit log", "People")}[locale]
    for path, mark in zip(("/admin", "/admin/dead?done=replayed&id=1", "/admin/audit?q=task", "/admin/people"),
                          marks, strict=True):
        r = await client.get(path, headers={"Accept-Language": locale})
        page = await r.text()
        assert r.status == 200 and f'<html lang="{locale}">' in page and mark in page, path
    client.session.cookie_jar.clear()
    r = await client.get("/admin/login", headers={"Accept-Language": locale})
    assert r.status == 200 and ("管理员登录" if locale == "zh" else "Admin login") in await r.text()


async def test_pages_carry_the_safety_headers(client: Client) -> None:
    await login(client)
    for path in ("/admin", "/admin/dead", "/admin/audit", "/admin/people", "/admin/login"):
        r = await client.get(path)
        assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store", path
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]


def test_catalog_has_every_admin_label_in_both_languages() -> None:
    catalogs = Renderer().catalogs

    def keys(d: dict[str, Any], prefix: str = "") -> set[str]:
        out: set[str] = set()
        for k, v in d.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"}
        return out

    assert keys(catalogs["en"]["admin"]) == keys(catalogs["zh"]["admin"])
    assert len(keys(catalogs["en"]["admin"])) > 100


# ---- the store, on SQLite and on PostgreSQL --------------------------------------------------------------------

async def test_store_queries_on_each_backend(db: Database) -> None:
    async with db.write() as s:
        s.add(PersonRow(id="ada", name="Ada", roles=["admin"]))
        s.add(PersonRow(id="bob", name="Bob", roles=[]))
        for n, (platform, state) in enumerate([("slack", "done"), ("hook:mes", "failed"), ("hook_mes", "failed")]):
            s.add(InboxRow(platform=platform, event_id=f"e{n}", payload={"kind": "hook" if "mes" in platform
                                                                         else "message"}, state=state, error="bad",
                           available_at=NOW, received_at=NOW))
    await _seed_audit(db, AUDIT_ROWS)
    assert await store.is_admin(db, "ada") and not await store.is_admin(db, "bob")
    assert not await store.is_admin(db, "nobody")
    events = await store.recent_events(db)
    assert [(e.platform, e.kind, e.state) for e in events] == [
        ("hook_mes", "hook", "failed"), ("hook:mes", "hook", "failed"), ("slack", "message", "done")]
    rejected = await store.rejected_deliveries(db, prefix="hook:")
    assert [r.source for r in rejected] == ["mes"], "the prefix is matched as text: _ is no wildcard"
    assert await store.replay_rejected(db, rejected[0].id, prefix="hook:", actor="ada", now=NOW)
    assert not await store.replay_rejected(db, rejected[0].id, prefix="hook:", actor="ada", now=NOW)
    assert (await store.queue_depths(db)).inbox_pending == 1
    found = await store.audit_page(db, search="%", per_page=2)
    assert [e.subject for e in found.entries] == ["100% done"] and found.total == 1
    found = await store.audit_page(db, search="' OR 1=1 --")
    assert found.entries == [] and found.total == 0 and found.pages == 1
    found = await store.audit_page(db, search="", page=2, per_page=2)
    assert [e.id for e in found.entries] == [4, 3] and found.total == 6 and found.pages == 3


async def test_ids_beyond_the_id_columns_are_a_404_on_each_backend(rt_any: Runtime) -> None:
    """An id above 2^31 once reached PostgreSQL's INTEGER columns: an overflow and a 500."""
    rt_any.settings = rt_any.settings.model_copy(update={"pmsbot_admin_token": SecretStr(TOKEN)})
    async with TestClient(TestServer(_app(rt_any))) as c:
        csrf = await login(c)
        for path in ("/admin/dead/3000000000/replay", "/admin/failed/99999999999/replay",
                     "/admin/dead/2147483648/replay"):
            r = await c.post(path, data={"csrf": csrf}, allow_redirects=False)
            assert r.status == 404, path
        assert (await c.get("/admin/audit?page=9999999999", allow_redirects=False)).status == 200
