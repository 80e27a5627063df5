"""Single sign-on for /admin and the dashboards: OpenID Connect (bot/web/oidc.py) against the provider of the
`sso:` section. The person is found by the id_token's claim (their e-mail or employee id, never a name), must be
active, and gets what their roles allow: admin → the admin pages (and every dashboard); pmo → every dashboard;
anyone else is refused. With single sign-on on, /admin/login leads here; the shared PMSBOT_ADMIN_TOKEN stays
only as the audited break-glass login at /admin/login?break_glass=1 (`sso.token_login: false` turns it off).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from bot import constants
from bot.clocks import Clock
from bot.config.identity import SsoConfig
from bot.signing import BadToken
from bot.store import admin as admin_store
from bot.store import directory as people
from bot.store.db import Database
from bot.web.pages import WEB
from bot.web.security import PAGE_HEADERS

if TYPE_CHECKING:  # the OpenID Connect client (authlib, joserfc) loads only where `sso:` is configured
    from bot.web.oidc import OidcClient

log = logging.getLogger("pmsbot.web.sso")

FLOW_COOKIE = "pmsbot_sso"
FLOW_PURPOSE = "sso flow"
CALLBACK = "/admin/sso/callback"
PERSON_PREFIX = "p:"  # as the admin pages' sessions of a person (bot/web/admin.py)
ALLOWED = ("admin", "pmo")


@dataclass(frozen=True, kw_only=True)
class SsoDeps:
    db: Database
    clock: Clock
    sso: SsoConfig
    client: OidcClient


DEPS: web.AppKey[SsoDeps] = web.AppKey("sso", SsoDeps)


def add_routes(app: web.Application, deps: SsoDeps) -> None:
    app[DEPS] = deps
    app.router.add_get("/admin/sso", start)
    app.router.add_get(CALLBACK, callback)


def _refuse(request: web.Request, status: int, key: str) -> web.Response:
    pages = request.app[WEB]
    locale = pages.locale(request)
    return pages.error(locale=locale, status=status, message=pages.templates.text(locale, f"admin.sso.{key}"))


async def start(request: web.Request) -> web.StreamResponse:
    from bot.web.oidc import OidcError

    deps, pages = request.app[DEPS], request.app[WEB]
    try:
        url, flow = await deps.client.start()
    except OidcError as exc:
        log.warning("single sign-on cannot start: %s", exc)
        return _refuse(request, 502, "failed")
    response = web.Response(status=303, headers={**PAGE_HEADERS, "Location": url})
    token = pages.signer(FLOW_PURPOSE).make({"s": flow.state, "o": flow.nonce, "v": flow.verifier},
                                            ttl_s=constants.SSO_FLOW_TTL_S)
    # Lax, not Strict: the way back is a top-level navigation from the provider's site, which must carry it.
    response.set_cookie(FLOW_COOKIE, token, max_age=constants.SSO_FLOW_TTL_S, httponly=True, samesite="Lax",
                        secure=pages.https, path="/admin/sso")
    return response


async def callback(request: web.Request) -> web.StreamResponse:
    from bot.web.oidc import Flow, OidcError

    deps, pages = request.app[DEPS], request.app[WEB]
    try:
        data = pages.signer(FLOW_PURPOSE).read(request.cookies.get(FLOW_COOKIE, ""))
    except BadToken:
        return _refuse(request, 403, "expired")
    flow = Flow(state=str(data.get("s", "")), nonce=str(data.get("o", "")), verifier=str(data.get("v", "")))
    state, code = request.query.get("state", ""), request.query.get("code", "")
    if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
        log.warning("single sign-on refused: the state does not match the flow this browser started")
        return _refuse(request, 403, "expired")
    if request.query.get("error") or not code or len(code) > 2048:
        log.warning("single sign-on refused by the provider: %s", request.query.get("error", "no code")[:100])
        return _refuse(request, 403, "failed")
    try:
        claims = await deps.client.finish(code, flow)
    except OidcError as exc:
        log.warning("single sign-on refused: %s", exc)
        return _refuse(request, 403, "failed")
    value = claims.get(deps.sso.claim)
    found = await people.person_for_login(deps.db, match=deps.sso.match, value=value) \
        if isinstance(value, str) and value.strip() else None
    now = deps.clock.now()
    if found is None:
        await admin_store.record(deps.db, actor=f"sso:{claims.get('sub')}", action="admin.login_refused",
                                 subject="admin", detail={"via": "sso", "why": "unknown"}, now=now)
        return _refuse(request, 403, "unknown")
    person_id, roles = found
    if not set(roles) & set(ALLOWED):
        await admin_store.record(deps.db, actor=person_id, action="admin.login_refused", subject="admin",
                                 detail={"via": "sso", "why": "roles", "roles": list(roles)}, now=now)
        return _refuse(request, 403, "not_allowed")
    locale = pages.locale(request)
    if "admin" not in roles:  # pmo: the dashboards only (an admin page would send them back here)
        response = pages.error(locale=locale, status=200, message=pages.templates.text(
            locale, "admin.sso.pmo", who=person_id))
        pages.sessions.start(response, PERSON_PREFIX + person_id)
        await admin_store.record(deps.db, actor=person_id, action="admin.login", subject="dashboards",
                                 detail={"via": "sso", "roles": list(roles)}, now=now)
        return response
    forward = "/admin"
    # A page that moves on by itself: the session cookie is SameSite=Strict and a redirect begun at the provider
    # (another site) would not carry it.
    response = pages.page("admin_entered.html.j2", locale=locale, next=forward, who=person_id,
                          headers={"Refresh": f"0; url={forward}"})
    pages.sessions.start(response, PERSON_PREFIX + person_id)
    response.del_cookie(FLOW_COOKIE, path="/admin/sso")
    await admin_store.record(deps.db, actor=person_id, action="admin.login", subject="admin",
                             detail={"via": "sso", "roles": list(roles)}, now=now)
    return response


async def sees_every_dashboard(request: web.Request) -> bool:
    """A signed-in person whose roles still include admin or pmo (the dashboards' check besides admin's)."""
    deps = request.app.get(DEPS)
    session = request.app[WEB].sessions.of(request)
    if deps is None or session is None or not session.who.startswith(PERSON_PREFIX):
        return False
    return bool(set(await people.roles_of(deps.db, session.who.removeprefix(PERSON_PREFIX))) & set(ALLOWED))


def single_sign_on(request: web.Request) -> SsoDeps | None:
    """The `sso:` settings when single sign-on is on for this app."""
    return request.app.get(DEPS)
