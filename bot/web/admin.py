"""The admin pages at /admin: connector health and SLA, queue depths, schedules, recent inbound events; dead
letters and rejected deliveries with Replay; the audit log with search and the chain's verification; people and
their linked identities.

Who gets in: whoever has PMSBOT_ADMIN_TOKEN (the login form, itself guarded by a double-submit cookie), or an
admin who follows a one-time link the bot sent in chat (`WebLinks.admin` in bot/web/links.py). Either way the session is a signed cookie
carrying the CSRF token every form sends back. A page without a session redirects to the login form; the
machine-facing JSON errors of the rest of the app never show here: every refusal is a page.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import SecretStr

from bot.clocks import Clock
from bot.config import Config
from bot.constants import HOOK_PLATFORM_PREFIX, LOCALES
from bot.records import Thresholds
from bot.signing import BadToken
from bot.store import admin as store
from bot.store.audit import verify
from bot.store.db import Database
from bot.store.replay import first_use, recorded
from bot.web import links, sso
from bot.web.pages import WEB
from bot.web.security import PAGE_HEADERS, SESSION_TTL_S, Session, Sessions, csrf_ok, token_equal

log = logging.getLogger("pmsbot.web.admin")

LINK_PURPOSE = links.ADMIN  # made by WebLinks.admin (bot/web/links.py) for the `admin` chat command
LINK_NONCE_PLATFORM = "admin-link"  # its nonce in the shared seen_nonce table
LOGIN_CSRF_COOKIE = "pmsbot_admin_login"  # the login form's double-submit value
LOGIN_CSRF_TTL_S = 3600
TOKEN_WHO = "token"  # the session of whoever logged in with PMSBOT_ADMIN_TOKEN
SESSION_REVOKED = "admin-session-revoked"  # seen_nonce platform of the sessions ended by a logout
PERSON_PREFIX = "p:"  # a person's session (a person called "token" is not the token's session)
TOKEN_ACTOR = "(admin token)"  # that session in the audit log: not a possible person id
SLA_WINDOW_H = 24
SLA_MIN_RATE = Thresholds().integration_min_rate  # below it a connector is marked, as the risk rule does
RECENT_EVENTS = 50
AUDIT_PER_PAGE = 50
DETAIL_SHOWN_CHARS = 300
ERROR_SHOWN_CHARS = 200
_ID_RE = re.compile(r"[0-9]{1,10}")  # row ids, and below MAX_ROW_ID: the id columns are 32-bit INTEGERs
MAX_ROW_ID = 2**31 - 1
NOTICES = ("replayed", "requeued", "already")
NAV = (("overview", "/admin"), ("dead", "/admin/dead"), ("audit", "/admin/audit"), ("people", "/admin/people"))

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Form = MultiDictProxy[Any]
PageHandler = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]
FormHandler = Callable[[web.Request, Session, Form], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, kw_only=True)
class AdminDeps:
    db: Database
    clock: Clock
    config: Config  # the schedules and calendars (next runs, calendar gaps), the organisation's timezone
    admin_token: Callable[[], SecretStr | None]  # PMSBOT_ADMIN_TOKEN, read at each request
    replay_dead_letter: Callable[[int], Awaitable[bool]]  # the outbox's replay
    wake_delivery: Callable[[], None]
    wake_inbox: Callable[[], None]


DEPS: web.AppKey[AdminDeps] = web.AppKey("admin", AdminDeps)


def add_routes(app: web.Application, deps: AdminDeps) -> None:
    app[DEPS] = deps
    app.router.add_get("/admin", admin_page(overview))
    app.router.add_get("/admin/login", login_form)
    app.router.add_post("/admin/login", login_submit)
    app.router.add_get("/admin/enter/{token}", enter_page)
    app.router.add_post("/admin/enter/{token}", enter)
    app.router.add_post("/admin/logout", admin_form(logout))
    app.router.add_get("/admin/dead", admin_page(dead))
    app.router.add_post("/admin/dead/{id}/replay", admin_form(replay_dead))
    app.router.add_post("/admin/failed/{id}/replay", admin_form(replay_delivery))
    app.router.add_get("/admin/audit", admin_page(audit_log))
    app.router.add_get("/admin/people", admin_page(people))


# ---- sessions, forms and pages ---------------------------------------------------------------------------------

def _redirect(path: str) -> web.Response:
    return web.Response(status=303, headers={**PAGE_HEADERS, "Location": path})


def _lang(request: web.Request, form: Form | None = None) -> str:
    """The language asked for explicitly (?lang= or a form's lang field), carried on to links and redirects."""
    asked = (form.get("lang") if form is not None else None) or request.query.get("lang", "")
    return asked if isinstance(asked, str) and asked in LOCALES else ""


def _href(lang: str) -> Callable[..., str]:
    def href(path: str, **params: Any) -> str:
        query = {k: v for k, v in {"lang": lang, **params}.items() if v not in (None, "")}
        return f"{path}?{urlencode(query)}" if query else path
    return href


async def _session(request: web.Request) -> Session | None:
    """The admin session, if the cookie is good and still stands for an admin (a token session ends when token
    login is turned off; a person's when they are no longer an admin)."""
    deps = request.app[DEPS]
    session = request.app[WEB].sessions.of(request)
    if session is None:
        return None
    if await recorded(deps.db, SESSION_REVOKED, session.sid, now=deps.clock.now()):
        return None  # logged out: the cookie may still be around, the session is not
    if session.who == TOKEN_WHO:
        # A token session stands for the token it was opened with: rotating the token ends them all.
        token = deps.admin_token()
        return session if token is not None and token_equal(session.bound, token_fingerprint(token.get_secret_value())) \
            else None
    if not session.who.startswith(PERSON_PREFIX):
        return None
    return session if await store.is_admin(deps.db, session.who.removeprefix(PERSON_PREFIX)) else None


admin_session = _session  # for the dashboards: an admin sees every project


def _actor(session: Session) -> str:
    return TOKEN_ACTOR if session.who == TOKEN_WHO else session.who.removeprefix(PERSON_PREFIX)


def admin_page(handler: PageHandler) -> Handler:
    async def page(request: web.Request) -> web.StreamResponse:
        session = await _session(request)
        if session is None:
            return _redirect("/admin/login")
        return await handler(request, session)
    return page


def admin_form(handler: FormHandler) -> Handler:
    """A POST from one of our pages: a session, and the session's CSRF token in the form, or nothing is done."""
    async def submit(request: web.Request) -> web.StreamResponse:
        session = await _session(request)
        if session is None:
            return _redirect("/admin/login")
        form = await _form(request)
        if form is None:
            return _error(request, 400, "bad_form")
        if not csrf_ok(session, form.get("csrf")):
            log.warning("admin form %s refused: CSRF token missing or wrong", request.path)
            return _error(request, 403, "csrf")
        return await handler(request, session, form)
    return submit


async def _form(request: web.Request) -> Form | None:
    """The posted form; None when it cannot be read (a broken multipart body, bad encoding)."""
    try:
        return await request.post()
    except (ValueError, UnicodeDecodeError):
        return None


def _error(request: web.Request, status: int, key: str, **params: Any) -> web.Response:
    pages = request.app[WEB]
    locale = pages.locale(request)
    return pages.error(locale=locale, status=status, message=pages.templates.text(locale, f"admin.{key}", **params))


def _render(request: web.Request, session: Session, template: str, here: str, **context: Any) -> web.Response:
    pages = request.app[WEB]
    timezone = request.app[DEPS].config.timezone
    locale = pages.locale(request)
    lang = _lang(request)
    tz = ZoneInfo(timezone)

    def when(at: datetime | None) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if at else ""

    return pages.page(template, locale=locale, session=session, here=here, nav=NAV, nav_path=request.path,
                      lang=lang, href=_href(lang),
                      other_locale=next(code for code in LOCALES if code != locale), when=when,
                      who=None if session.who == TOKEN_WHO else session.who, timezone=timezone,
                      **context)


def _row_id(request: web.Request) -> int | None:
    raw = request.match_info.get("id", "")
    return int(raw) if _ID_RE.fullmatch(raw) and int(raw) <= MAX_ROW_ID else None


def _shorten(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---- logging in and out ----------------------------------------------------------------------------------------

def _login_page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
    pages = request.app[WEB]
    locale = pages.locale(request)
    lang = _lang(request)
    value = secrets.token_urlsafe(24)
    response = pages.page("admin_login.html.j2", locale=locale, status=status, csrf=value, lang=lang,
                          enabled=request.app[DEPS].admin_token() is not None, error=error,
                          other_locale=next(code for code in LOCALES if code != locale), href=_href(lang))
    response.set_cookie(LOGIN_CSRF_COOKIE, value, max_age=LOGIN_CSRF_TTL_S, httponly=True, samesite="Strict",
                        secure=pages.https, path="/admin/login")
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    if await _session(request) is not None:
        return _redirect(_href(_lang(request))("/admin"))
    if sso.single_sign_on(request) is not None and request.query.get("break_glass") != "1":
        return _redirect("/admin/sso")  # the shared token is the break-glass way in only
    return _login_page(request)


async def login_submit(request: web.Request) -> web.StreamResponse:
    pages, deps = request.app[WEB], request.app[DEPS]
    form = await _form(request)
    if form is None:
        return _error(request, 400, "bad_form")
    sent = form.get("csrf")
    if not isinstance(sent, str) or not token_equal(sent, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        log.warning("admin login from %s refused: the form's CSRF value does not match its cookie", request.remote)
        return _error(request, 403, "login.form_expired")
    configured, single = deps.admin_token(), sso.single_sign_on(request)
    if configured is None or (single is not None and not single.sso.token_login):
        return _login_page(request, status=401, error="disabled")
    token = form.get("token")
    if not isinstance(token, str) or not token_equal(token.strip(), configured.get_secret_value()):
        log.warning("admin login from %s refused: wrong token", request.remote)
        return _login_page(request, status=401, error="wrong")
    response = _redirect(_href(_lang(request, form))("/admin"))
    pages.sessions.start(response, TOKEN_WHO, bound=token_fingerprint(configured.get_secret_value()))
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
    await store.record(deps.db, actor=TOKEN_ACTOR, action="admin.login", subject="admin",
                       detail={"via": "token", "break_glass": single is not None}, now=deps.clock.now())
    return response


async def enter_page(request: web.Request) -> web.StreamResponse:
    """Opening the link changes nothing (a chat's link preview or a URL scanner fetches it too): a button POSTs it."""
    pages = request.app[WEB]
    locale = pages.locale(request)
    try:
        pages.signer(LINK_PURPOSE).read(request.match_info["token"])
    except BadToken as exc:
        return pages.error(locale=locale, status=403,
                           message=pages.templates.text(locale, "web.expired" if exc.expired else "web.altered"))
    return pages.page("admin_entered.html.j2", locale=locale, next=None, who=None)


async def enter(request: web.Request) -> web.StreamResponse:
    """A one-time link, confirmed: a 403 page when it is altered, expired, used, or not an admin's."""
    pages, deps = request.app[WEB], request.app[DEPS]
    try:
        data = pages.signer(LINK_PURPOSE).read(request.match_info["token"])
    except BadToken as exc:
        log.warning("admin link refused: %s", exc)
        locale = pages.locale(request)
        return pages.error(locale=locale, status=403,
                           message=pages.templates.text(locale, "web.expired" if exc.expired else "web.altered"))
    person_id = data.get("p")
    if not isinstance(person_id, str) or not await store.is_admin(deps.db, person_id):
        log.warning("admin link refused: %r is not an admin", person_id)
        return _error(request, 403, "not_admin")
    now = deps.clock.now()
    if not await first_use(deps.db, LINK_NONCE_PLATFORM, data["n"], keep_s=max(1.0, data["x"] - now.timestamp()),
                           now=now):
        log.warning("admin link refused: used before (person %s)", person_id)
        return _error(request, 403, "link_used")
    # A page that moves on by itself rather than a redirect: the session cookie is SameSite=Strict, and a browser
    # does not send it on a redirect that began with a click in the chat app (another site).
    locale = pages.locale(request)
    lang = _lang(request)
    forward = _href(lang)("/admin")
    response = pages.page("admin_entered.html.j2", locale=locale, next=forward, who=person_id,
                          headers={"Refresh": f"0; url={forward}"})
    pages.sessions.start(response, PERSON_PREFIX + person_id)
    await store.record(deps.db, actor=person_id, action="admin.login", subject="admin", detail={"via": "link"},
                       now=now)
    return response


async def logout(request: web.Request, session: Session, form: Form) -> web.StreamResponse:
    deps = request.app[DEPS]
    # Revoked where every web process looks, for as long as the cookie could still be presented.
    await first_use(deps.db, SESSION_REVOKED, session.sid, keep_s=SESSION_TTL_S + 60, now=deps.clock.now())
    response = _redirect(_href(_lang(request, form))("/admin/login"))
    Sessions.end(response)
    return response


def token_fingerprint(token: str) -> str:
    """What a token session is bound to: rotating PMSBOT_ADMIN_TOKEN ends the sessions opened with the old one."""
    return hashlib.sha256(b"pmsbot admin token: " + token.encode()).hexdigest()[:32]


# ---- the pages -------------------------------------------------------------------------------------------------

async def overview(request: web.Request, session: Session) -> web.StreamResponse:
    # The clock's schedule maths, loaded by the first look at the overview (a web process runs no clock).
    from bot.jobs.calendar import calendar_gaps
    from bot.jobs.standups import next_runs

    deps = request.app[DEPS]
    now = deps.clock.now()
    sla = [{"connector": f.connector, "calls": f.calls, "failed": f.failed,
            "success": f"{100 * f.success_rate:.2f}", "avg_ms": f"{f.latency_ms_total / f.calls:.0f}" if f.calls else "",
            "bad": f.calls > 0 and f.success_rate < SLA_MIN_RATE}
           for f in await store.connector_figures(deps.db, since=now - timedelta(hours=SLA_WINDOW_H))]
    runs = await next_runs(deps.db, deps.config, now)
    events = [{"id": e.id, "platform": e.platform, "event_id": e.event_id, "kind": e.kind, "state": e.state,
               "attempts": e.attempts, "received_at": e.received_at, "error": _shorten(e.error, ERROR_SHOWN_CHARS),
               "error_full": e.error or ""}
              for e in await store.recent_events(deps.db, limit=RECENT_EVENTS)]
    return _render(request, session, "admin_overview.html.j2", "overview", depths=await store.queue_depths(deps.db),
                   sla=sla, sla_hours=SLA_WINDOW_H, sla_min=f"{100 * SLA_MIN_RATE:g}", runs=runs,
                   calendar_warnings=calendar_gaps(deps.config, now.date()),
                   events=events)


async def dead(request: web.Request, session: Session) -> web.StreamResponse:
    deps = request.app[DEPS]
    notice = request.query.get("done", "")
    notice_id = request.query.get("id", "")
    letters = [{"id": d.id, "platform": d.platform, "target": d.target, "kind": d.kind, "attempts": d.attempts,
                "error": _shorten(d.last_error, ERROR_SHOWN_CHARS), "error_full": d.last_error or "",
                "created_at": d.created_at}
               for d in await store.dead_letters(deps.db)]
    rejected = [{"id": r.id, "source": r.source, "event_id": r.event_id, "received_at": r.received_at,
                 "error": _shorten(r.error, ERROR_SHOWN_CHARS), "error_full": r.error or ""}
                for r in await store.rejected_deliveries(deps.db, prefix=HOOK_PLATFORM_PREFIX)]
    return _render(request, session, "admin_dead.html.j2", "dead", letters=letters, rejected=rejected,
                   notice=notice if notice in NOTICES and _ID_RE.fullmatch(notice_id) else "", notice_id=notice_id)


async def replay_dead(request: web.Request, session: Session, form: Form) -> web.StreamResponse:
    deps = request.app[DEPS]
    outbox_id = _row_id(request)
    if outbox_id is None:
        return _error(request, 404, "not_found")
    href = _href(_lang(request, form))
    if await deps.replay_dead_letter(outbox_id):
        await store.record(deps.db, actor=_actor(session), action="admin.replay_dead_letter",
                           subject=f"outbox#{outbox_id}", now=deps.clock.now())
        deps.wake_delivery()
        return _redirect(href("/admin/dead", done="replayed", id=outbox_id))
    if await store.outbox_state(deps.db, outbox_id) == "replayed":  # a second click on the same button
        return _redirect(href("/admin/dead", done="already", id=outbox_id))
    return _error(request, 404, "not_found_dead", id=outbox_id)


async def replay_delivery(request: web.Request, session: Session, form: Form) -> web.StreamResponse:
    """A rejected source delivery queued again, as `pmsbot hooks replay` does."""
    deps = request.app[DEPS]
    inbox_id = _row_id(request)
    if inbox_id is None:
        return _error(request, 404, "not_found")
    href = _href(_lang(request, form))
    if await store.replay_rejected(deps.db, inbox_id, prefix=HOOK_PLATFORM_PREFIX, actor=_actor(session),
                                  now=deps.clock.now()):
        deps.wake_inbox()
        return _redirect(href("/admin/dead", done="requeued", id=inbox_id))
    if await store.inbox_state(deps.db, inbox_id) in ("pending", "done"):
        return _redirect(href("/admin/dead", done="already", id=inbox_id))
    return _error(request, 404, "not_found_delivery", id=inbox_id)


async def audit_log(request: web.Request, session: Session) -> web.StreamResponse:
    deps = request.app[DEPS]
    search = request.query.get("q", "")
    raw_page = request.query.get("page", "1")
    found = await store.audit_page(deps.db, search=search, page=int(raw_page) if _ID_RE.fullmatch(raw_page) else 1,
                                   per_page=AUDIT_PER_PAGE)
    entries = [{"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject,
                "detail": _shorten(json.dumps(e.detail, ensure_ascii=False, sort_keys=True, default=str),
                                   DETAIL_SHOWN_CHARS) if e.detail else ""}
               for e in found.entries]
    return _render(request, session, "admin_audit.html.j2", "audit", entries=entries, found=found,
                   search=search[:store.SEARCH_MAX_CHARS], chain=await verify(deps.db))


async def people(request: web.Request, session: Session) -> web.StreamResponse:
    deps = request.app[DEPS]
    return _render(request, session, "admin_people.html.j2", "people", people=await store.people(deps.db))
