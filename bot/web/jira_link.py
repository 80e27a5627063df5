"""The page `link jira` hands out (bot/web/links.py): a person lets pmsbot write in Jira as them.

Jira Cloud: GET /link/jira/{token} sends the browser to Atlassian's consent screen with a signed `state` naming the
person; Atlassian sends it back to GET /link/jira/callback?code&state, and the code becomes a grant kept sealed
(bot/pms/jira_people.py). Jira Data Center: the page asks for a personal access token (POST /link/jira/{token}),
kept once Jira says whose it is. A link that is altered, expired, or names nobody changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from bot.signing import BadToken
from bot.web.links import JIRA, JIRA_LINK_TTL_S, JIRA_STATE
from bot.web.pages import WEB

PAGE_ROUTE = "/link/jira/{token}"
CALLBACK_ROUTE = "/link/jira/callback"
MAX_PAT_CHARS = 400


class Linking(Protocol):
    cloud: bool

    @property
    def can_link(self) -> bool: ...

    def authorize_url(self, state: str, redirect_uri: str) -> str: ...

    async def link_code(self, person_id: str, code: str, redirect_uri: str) -> str: ...

    async def link_pat(self, person_id: str, token: str) -> str: ...


@dataclass(frozen=True)
class JiraLinkDeps:
    linking: Callable[[], Linking | None]  # None: Jira (or its per-person writes) is not set up here
    audit: Callable[[str, str], Awaitable[None]]  # (person id, what) on the audit log


DEPS: web.AppKey[JiraLinkDeps] = web.AppKey("jira_link", JiraLinkDeps)


def _done(request: web.Request, key: str, status: int = 200, **params: str) -> web.Response:
    pages = request.app[WEB]
    locale = pages.locale(request)
    return pages.page("jira_link.html.j2", locale=locale, status=status, form=False,
                      message=str(pages.texts(locale)["jira_link"][key]).format(**params))


def _person(request: web.Request, purpose: str, token: str) -> str | web.Response:
    try:
        data = request.app[WEB].signer(purpose).read(token)
    except BadToken as exc:
        return _done(request, "expired" if exc.expired else "altered", 400)
    person = data.get("p")
    return person if isinstance(person, str) and person else _done(request, "altered", 400)


async def page(request: web.Request) -> web.StreamResponse:
    deps, pages = request.app[DEPS], request.app[WEB]
    person = _person(request, JIRA, request.match_info["token"])
    if isinstance(person, web.Response):
        return person
    linking = deps.linking()
    if linking is None or not linking.can_link:
        return _done(request, "not_set_up", 404)
    if linking.cloud:
        state = pages.signer(JIRA_STATE).make({"p": person}, ttl_s=JIRA_LINK_TTL_S)
        raise web.HTTPFound(linking.authorize_url(state, pages.url(CALLBACK_ROUTE)))
    locale = pages.locale(request)
    return pages.page("jira_link.html.j2", locale=locale, form=True, message="")


async def pat(request: web.Request) -> web.StreamResponse:
    deps = request.app[DEPS]
    person = _person(request, JIRA, request.match_info["token"])
    if isinstance(person, web.Response):
        return person
    linking = deps.linking()
    if linking is None or linking.cloud:
        return _done(request, "not_set_up", 404)
    try:
        token = str((await request.post()).get("token", "")).strip()
    except ValueError:
        token = ""
    if not token or len(token) > MAX_PAT_CHARS or any(c.isspace() for c in token):
        return _done(request, "bad_token", 400)
    return await _link(request, deps, person, linking.link_pat(person, token))


async def callback(request: web.Request) -> web.StreamResponse:
    deps, pages = request.app[DEPS], request.app[WEB]
    person = _person(request, JIRA_STATE, request.query.get("state", ""))
    if isinstance(person, web.Response):
        return person
    linking = deps.linking()
    if linking is None or not linking.cloud:
        return _done(request, "not_set_up", 404)
    code = request.query.get("code", "")
    if not code or len(code) > 2000:
        return _done(request, "declined", 400)  # Atlassian sends ?error=access_denied when consent is refused
    return await _link(request, deps, person, linking.link_code(person, code, pages.url(CALLBACK_ROUTE)))


async def _link(request: web.Request, deps: JiraLinkDeps, person: str, linking: Awaitable[str]) -> web.Response:
    # loaded already: Jira's linking is set up (its clients use httpx)
    from bot.pms.jira_people import LinkRefused

    try:
        who = await linking
    except LinkRefused as exc:
        return _done(request, "refused", 400, reason=str(exc))
    await deps.audit(person, "person.jira_linked")
    return _done(request, "linked", who=who)


def add_routes(app: web.Application, deps: JiraLinkDeps) -> None:
    app[DEPS] = deps
    app.router.add_get(CALLBACK_ROUTE, callback)  # before the {token} route, which would take "callback"
    app.router.add_get(PAGE_ROUTE, page)
    app.router.add_post(PAGE_ROUTE, pat)
