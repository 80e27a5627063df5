"""Single sign-on for /admin and the dashboards against a local OpenID Connect provider (tests/fakes/oidc.py):
the code flow with PKCE, state and nonce; id_tokens forged, expired, for another client, with another nonce or
unsigned are refused; rotated keys are fetched again; roles from the directory (admin, pmo, member), deactivated
people refused; the shared admin token only as the audited break-glass login. And in a real Chromium."""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlmodel import col

from bot.app import build_app
from bot.config import Config, PersonConfig, ProjectConfig, Settings
from bot.config.identity import SsoConfig
from bot.runtime import Runtime
from bot.store.models import AuditRow, PersonRow
from tests.browser import browser, shots
from tests.conftest import running_clock
from tests.fakes.oidc import CLIENT_ID, CLIENT_SECRET, OidcFake

__all__ = ["browser"]  # the fixture, used by name

TOKEN = "break-glass-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def provider() -> AsyncIterator[OidcFake]:
    fake = OidcFake()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def site(provider: OidcFake, migrated_sqlite_url: str) -> AsyncIterator[tuple[Runtime, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider.redirect_uris.add(f"{base}/admin/sso/callback")
    config = Config(people=(PersonConfig(id="ada", name="Ada", email="admin@corp.example", roles=("admin",)),
                            PersonConfig(id="pam", name="Pam", email="pmo@corp.example", roles=("pmo",)),
                            PersonConfig(id="max", name="Max", email="member@corp.example", roles=("member",))),
                    projects=(ProjectConfig(key="PUMP", name="Pump", members=("max",)),),
                    sso=SsoConfig(issuer=provider.issuer, client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET)))
    rt = Runtime(Settings(database_url=migrated_sqlite_url, host="127.0.0.1", port=port,
                          pmsbot_admin_token=SecretStr(TOKEN)), config, console=True, clock=running_clock())
    await rt.open()
    server = TestServer(build_app(rt), host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield rt, base
    finally:
        await server.close()
        await rt.close()


def browser_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # cookies for 127.0.0.1 too


async def sign_in(http: aiohttp.ClientSession, base: str, *, tamper: dict[str, str] | None = None
                  ) -> aiohttp.ClientResponse:
    """/admin → the login → /admin/sso → the provider → back with a code: the callback's answer."""
    r = await http.get(f"{base}/admin", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/admin/login"
    r = await http.get(f"{base}/admin/login", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/admin/sso"
    r = await http.get(f"{base}/admin/sso", allow_redirects=False)
    assert r.status == 303
    to_provider = r.headers["Location"]
    assert "code_challenge_method=S256" in to_provider and "nonce=" in to_provider
    r = await http.get(to_provider, allow_redirects=False)
    assert r.status == 302, await r.text()
    back = r.headers["Location"]
    if tamper:
        for old, new in tamper.items():
            back = back.replace(old, new)
    return await http.get(back, allow_redirects=False)


async def actions(rt: Runtime) -> list[tuple[str, str, dict[str, Any]]]:
    async with rt.db.read() as s:
        rows = (await s.execute(select(AuditRow).order_by(col(AuditRow.id)))).scalars().all()
    return [(r.actor, r.action, r.detail) for r in rows]


async def test_an_admin_signs_in_with_the_code_flow_and_pkce(site: tuple[Runtime, str], provider: OidcFake) -> None:
    rt, base = site
    async with browser_session() as http:
        r = await sign_in(http, base)
        assert r.status == 200 and r.headers["Refresh"] == "0; url=/admin"
        page = await http.get(f"{base}/admin", allow_redirects=False)
        assert page.status == 200
    assert ("ada", "admin.login", {"via": "sso", "roles": ["admin"]}) in await actions(rt)
    assert provider.codes == {}  # the code was used, once


@pytest.mark.parametrize("mode", ["forged", "expired", "wrong_aud", "wrong_nonce", "alg_none"])
async def test_a_wrong_id_token_is_refused(site: tuple[Runtime, str], provider: OidcFake, mode: str) -> None:
    _, base = site
    provider.mode = mode
    async with browser_session() as http:
        r = await sign_in(http, base)
        assert r.status == 403 and "Refresh" not in r.headers
        assert (await http.get(f"{base}/admin", allow_redirects=False)).status == 303


async def test_state_flow_cookie_and_provider_refusals(site: tuple[Runtime, str], provider: OidcFake) -> None:
    _, base = site
    async with browser_session() as http:
        assert (await sign_in(http, base, tamper={"state=": "state=x"})).status == 403  # not the flow's state
    async with browser_session() as http:  # a code and state with no flow started in this browser
        r = await http.get(f"{base}/admin/sso/callback?code=abc&state=def", allow_redirects=False)
        assert r.status == 403
        r = await http.get(f"{base}/admin/sso/callback?error=access_denied", allow_redirects=False)
        assert r.status == 403
    async with browser_session() as http:  # the code replayed: the provider refuses it the second time
        r = await sign_in(http, base)
        assert r.status == 200
        assert (await http.get(str(r.url), allow_redirects=False)).status == 403


async def test_the_provider_checks_the_pkce_verifier(provider: OidcFake) -> None:
    provider.redirect_uris.add("http://127.0.0.1:9/cb")
    async with aiohttp.ClientSession() as http:
        r = await http.get(f"{provider.base}/authorize", params={
            "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": "http://127.0.0.1:9/cb",
            "scope": "openid", "state": "s", "nonce": "n", "code_challenge": "x" * 43,
            "code_challenge_method": "S256"}, allow_redirects=False)
        code = r.headers["Location"].split("code=")[1].split("&")[0]
        r = await http.post(f"{provider.base}/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:9/cb",
            "code_verifier": "not-the-verifier"},
            headers={"Authorization": "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()})
        assert r.status == 400 and (await r.json())["error"] == "invalid_grant"


async def test_rotated_keys_are_fetched_again(site: tuple[Runtime, str], provider: OidcFake) -> None:
    _, base = site
    async with browser_session() as http:
        assert (await sign_in(http, base)).status == 200
    provider.rotate()
    provider.drop_old()
    async with browser_session() as http:
        assert (await sign_in(http, base)).status == 200
    assert provider.jwks_reads == 2


async def test_roles_decide_what_a_person_reaches(site: tuple[Runtime, str], provider: OidcFake) -> None:
    rt, base = site
    provider.user = {"sub": "u-3", "email": "MEMBER@corp.example"}  # e-mail without case
    async with browser_session() as http:
        assert (await sign_in(http, base)).status == 403  # a member reaches no admin page
        assert (await http.get(f"{base}/admin/people", allow_redirects=False)).status == 303
    provider.user = {"sub": "u-2", "email": "pmo@corp.example"}
    async with browser_session() as http:
        r = await sign_in(http, base)
        assert r.status == 200 and "dashboard" in await r.text()
        assert (await http.get(f"{base}/admin", allow_redirects=False)).status == 303  # not the admin pages
        assert (await http.get(f"{base}/projects/PUMP", allow_redirects=False)).status == 200  # every dashboard
    provider.user = {"sub": "u-9", "email": "stranger@corp.example"}
    async with browser_session() as http:
        assert (await sign_in(http, base)).status == 403
    async with rt.db.write() as s:  # a leaver: deactivated by the directory
        await s.execute(update(PersonRow).where(col(PersonRow.id) == "ada").values(active=False))
    provider.user = {"sub": "u-1", "email": "admin@corp.example"}
    async with browser_session() as http:
        assert (await sign_in(http, base)).status == 403
    refused = [a for a in await actions(rt) if a[1] == "admin.login_refused"]
    assert [a[2]["why"] for a in refused] == ["roles", "unknown", "unknown"]


async def test_the_shared_token_is_only_an_audited_break_glass(site: tuple[Runtime, str]) -> None:
    rt, base = site
    async with browser_session() as http:
        form = await http.get(f"{base}/admin/login?break_glass=1", allow_redirects=False)
        assert form.status == 200
        csrf = (await form.text()).split('name="csrf" value="')[1].split('"')[0]
        r = await http.post(f"{base}/admin/login", data={"csrf": csrf, "token": TOKEN}, allow_redirects=False)
        assert r.status == 303
        assert (await http.get(f"{base}/admin", allow_redirects=False)).status == 200
    assert ("(admin token)", "admin.login", {"via": "token", "break_glass": True}) in await actions(rt)


async def test_in_chromium_an_admin_signs_in_and_a_member_is_kept_out(
        site: tuple[Runtime, str], provider: OidcFake, browser: Any) -> None:
    _, base = site
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/admin")
    await page.wait_for_url(f"{base}/admin")  # through the provider and back, the session cookie set
    assert await page.locator("nav").count() > 0
    await shots(page, "sso-admin")
    await context.close()
    provider.user = {"sub": "u-3", "email": "member@corp.example"}
    context = await browser.new_context()
    page = await context.new_page()
    answer = await page.goto(f"{base}/admin")
    assert answer is not None and answer.status == 403
    assert (await page.goto(f"{base}/admin/people")).status == 403  # type: ignore[union-attr]
    await context.close()


async def test_check_reads_the_providers_discovery_and_keys(provider: OidcFake, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from bot.cli.main import main

    config = tmp_path / "pmsbot.yaml"
    config.write_text(f"sso: {{issuer: '{provider.issuer}', client_id: {CLIENT_ID}}}\n", encoding="utf-8")
    monkeypatch.setenv("PMSBOT_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    await asyncio.to_thread(main, ["check"])
    assert f"ok   sso {provider.issuer}: discovery read, 1 signing keys" in capsys.readouterr().out
    config.write_text("sso: {issuer: 'http://127.0.0.1:9', client_id: x}\n", encoding="utf-8")
    assert await asyncio.to_thread(main, ["check"]) == 1
    assert "FAIL sso http://127.0.0.1:9" in capsys.readouterr().out


async def test_the_people_page_shows_who_left(site: tuple[Runtime, str], provider: OidcFake) -> None:
    rt, base = site
    async with rt.db.write() as s:
        await s.execute(update(PersonRow).where(col(PersonRow.id) == "max").values(active=False))
    async with browser_session() as http:
        assert (await sign_in(http, base)).status == 200
        page = await (await http.get(f"{base}/admin/people?lang=en")).text()
    row = page.split('data-id="max"')[1].split("</tr>")[0]
    assert "left (deactivated)" in row and "left (deactivated)" not in page.split('data-id="ada"')[1].split("</tr>")[0]
