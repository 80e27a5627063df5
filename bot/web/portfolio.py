"""The portfolio `/portfolio`: every project the viewer may read, one row each from its latest daily snapshot
(health by the risk rules, progress against plan, open risks, overdue tasks, last standup participation) and
the approvals waiting now; filtered by department, PM and tag, sorted by any column; each row opens the project's
dashboard and its trends (bot/web/trends.py).

Seen by an admin session (every project) or with the signed link of the PMO's weekly digest, which names a
person: then only the projects that person may read (commands/readers.py), in their language and timezone.
A malformed query parameter is a 400 with a JSON reason; an altered or expired link, a page saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiMapping

from bot.clocks import Clock
from bot.constants import LOCALES
from bot.jobs.snapshot_figures import HEALTH
from bot.records import Person, Project
from bot.signing import BadToken
from bot.store.db import Database
from bot.store.history import History, ProjectDay
from bot.store.workspace import SqlWorkspace
from bot.web.exports import DOWNLOADS, attachment
from bot.web.links import DASHBOARD, DASHBOARD_LINK_TTL_S, PORTFOLIO, dashboard_paths
from bot.web.pages import WEB
from bot.web.trend_figures import Table
from commands.readers import may_read

PAGE_ROUTE = "/portfolio"
PARAM_MAX = 100  # characters of a filter value
SORTS = ("health", "project", "progress", "gap", "risks", "overdue", "approvals", "standup")
ORDERS = ("asc", "desc")
ASCENDING = ("project", "progress", "standup")  # first shown lowest; the others worst (highest) first
PAGE_PARAMS = ("v", "lang", "department", "pm", "tag", "sort", "order")


@dataclass(frozen=True, kw_only=True)
class PortfolioDeps:
    db: Database
    clock: Clock
    default_locale: str
    timezone: str  # the organisation's: the snapshots' days


DEPS: web.AppKey[PortfolioDeps] = web.AppKey("portfolio", PortfolioDeps)


class Refused(Exception):
    """A malformed request: answered 400 with this reason as JSON."""


def refused(reason: str, status: int = 400) -> web.Response:
    return web.json_response({"error": reason}, status=status, headers={"Cache-Control": "no-store"})


def param(query: MultiMapping[str], name: str, *, limit: int = PARAM_MAX) -> str:
    """One optional text parameter: at most once, at most `limit` characters, no control characters."""
    values = query.getall(name, [])
    if len(values) > 1:
        raise Refused(f"'{name}' is given more than once")
    value = values[0] if values else ""
    if len(value) > limit:
        raise Refused(f"'{name}' is longer than {limit} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise Refused(f"'{name}' holds control characters")
    return value


def choice(query: MultiMapping[str], name: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed` (the first when absent)."""
    value = param(query, name) or allowed[0]
    if value not in allowed:
        raise Refused(f"'{name}' must be one of: {', '.join(allowed)}")
    return value


# -- who is looking ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Viewer:
    person: Person | None  # None: an admin session, which sees every project
    token: str  # the link's ?v= ("" for a session), carried on to the page's links
    locale: str
    timezone: str
    lang: str  # ?lang= when asked explicitly (carried on), else ""

    def sees(self, project: Project) -> bool:
        return self.person is None or may_read(self.person, project)

    def href(self, path: str, **params: str) -> str:
        query = {k: v for k, v in {"v": self.token, "lang": self.lang, **params}.items() if v}
        return f"{path}?{urlencode(query)}" if query else path

    def dashboard(self, key: str, sign: Callable[[str], str]) -> str:
        if not self.token:
            return self.href(f"/projects/{key}")
        page, _ = dashboard_paths(key, sign(key))
        return page + (f"&{urlencode({'lang': self.lang})}" if self.lang else "")


async def viewer(request: web.Request) -> Viewer | web.Response:
    """The viewer, or the answer: to the login without a session or link, a 403 page for a bad link."""
    from bot.web.admin import admin_session  # an admin sees every project, as on the dashboards

    pages, deps = request.app[WEB], request.app[DEPS]
    asked = param(request.query, "lang", limit=8)
    lang = asked if asked in LOCALES else ""
    token = param(request.query, "v", limit=2000)
    if not token:
        if await admin_session(request) is None:
            raise web.HTTPSeeOther(location="/admin/login")
        return Viewer(person=None, token="", locale=pages.locale(request), timezone=deps.timezone, lang=lang)
    try:
        data = pages.signer(PORTFOLIO).read(token)
    except BadToken as exc:
        locale = pages.locale(request)
        texts = pages.texts(locale)["web"]
        return pages.error(locale=locale, status=403, message=texts["expired"] if exc.expired else texts["altered"])
    async with deps.db.read() as s:
        person = await SqlWorkspace(s, default_locale=deps.default_locale).person(str(data.get("p", "")))
    if person is None:
        locale = pages.locale(request)
        return pages.error(locale=locale, status=403, message=pages.texts(locale)["portfolio"]["unknown_viewer"])
    return Viewer(person=person, token=token, locale=lang or person.locale, lang=lang,
                  timezone=person.timezone or deps.timezone)


# -- the page ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Row:
    project: Project
    day: ProjectDay | None  # its latest snapshot
    standup: ProjectDay | None  # its latest snapshot of a standup day
    approvals: int  # waiting now
    pms: tuple[str, ...]  # names of its PMs

    @property
    def gap(self) -> int | None:
        if self.day is None or self.day.plan_percent is None:
            return None
        return self.day.plan_percent - self.day.percent

    @property
    def standup_percent(self) -> int | None:
        s = self.standup
        return round(100 * s.standup_answered / s.standup_expected) if s and s.standup_expected else None


SORT_KEYS: Mapping[str, Callable[[Row], Any]] = {
    "health": lambda r: HEALTH.index(r.day.health) if r.day else None,
    "project": lambda r: r.project.key,
    "progress": lambda r: r.day.percent if r.day else None,
    "gap": lambda r: r.gap,
    "risks": lambda r: r.day.risks if r.day else None,
    "overdue": lambda r: r.day.overdue if r.day else None,
    "approvals": lambda r: r.approvals,
    "standup": lambda r: r.standup_percent,
}


def sort_rows(rows: list[Row], sort: str, order: str) -> list[Row]:
    """By the column (rows without a value last either way), then by key."""
    key = SORT_KEYS[sort]
    known = sorted((r for r in rows if key(r) is not None), key=lambda r: r.project.key)
    known.sort(key=key, reverse=order == "desc")
    return known + sorted((r for r in rows if key(r) is None), key=lambda r: r.project.key)


async def rows_for(deps: PortfolioDeps, who: Viewer) -> list[Row]:
    async with deps.db.read() as s:
        ws = SqlWorkspace(s, default_locale=deps.default_locale)
        projects = [p for p in await ws.all_projects() if who.sees(p)]
        keys = [p.key for p in projects]
        history = History(s)
        latest = await history.latest(keys) if keys else {}
        standups = await history.last_standups(keys) if keys else {}
        waiting = await history.approvals_waiting()
        people = await ws.people(sorted({pid for p in projects for pid in (*p.members, *p.approvers)}))
    pms = {pid: p.name for pid, p in people.items() if "pm" in p.roles}
    return [Row(project=p, day=latest.get(p.key), standup=standups.get(p.key), approvals=waiting.get(p.key, 0),
                pms=tuple(dict.fromkeys(pms[i] for i in (*p.members, *p.approvers) if i in pms))) for p in projects]


@dataclass(frozen=True, kw_only=True)
class Asked:
    department: str
    pm: str
    tag: str
    sort: str
    order: str

    def keeps(self, r: Row) -> bool:
        return (not self.department or r.project.department == self.department) \
            and (not self.pm or self.pm in r.pms) and (not self.tag or self.tag in r.project.tags)


def asked(q: MultiMapping[str]) -> Asked:
    unknown = sorted(set(q) - set(PAGE_PARAMS))
    if unknown:
        raise Refused(f"unknown parameter '{unknown[0][:40]}'")
    sort = choice(q, "sort", SORTS)
    order = param(q, "order") or ("asc" if sort in ASCENDING else "desc")
    if order not in ORDERS:
        raise Refused(f"'order' must be one of: {', '.join(ORDERS)}")
    return Asked(department=param(q, "department"), pm=param(q, "pm"), tag=param(q, "tag"), sort=sort,
                 order=order)


def table(rows: list[Row]) -> Table:
    """The page's rows as a download."""
    return Table(name="portfolio", header=(
        "project", "name", "department", "pms", "tags", "day", "health", "percent", "plan_percent", "risks",
        "overdue", "blocked", "tasks", "done", "approvals_waiting", "standup_day", "standup_expected",
        "standup_answered"), rows=[(
            r.project.key, r.project.name, r.project.department, ", ".join(r.pms), ", ".join(r.project.tags),
            *((r.day.day.isoformat(), r.day.health, r.day.percent, r.day.plan_percent, r.day.risks, r.day.overdue,
               r.day.blocked, r.day.total, r.day.done) if r.day else (None,) * 9),
            r.approvals, *((r.standup.day.isoformat(), r.standup.standup_expected, r.standup.standup_answered)
                           if r.standup else (None, None, None))) for r in rows])


async def download(request: web.Request) -> web.StreamResponse:
    """GET /portfolio.csv and /portfolio.xlsx: the rows the page shows, with the same filters and order."""
    deps, fmt = request.app[DEPS], request.match_info["fmt"]
    if fmt not in DOWNLOADS:
        return refused("the downloads are portfolio.csv and portfolio.xlsx", status=404)
    try:
        who = await viewer(request)
        if isinstance(who, web.Response):
            return who
        a = asked(request.query)
    except Refused as exc:
        return refused(str(exc))
    rows = sort_rows([r for r in await rows_for(deps, who) if a.keeps(r)], a.sort, a.order)
    return attachment(fmt, [table(rows)], f"portfolio-{today_of(deps).isoformat()}.{fmt}")


async def page(request: web.Request) -> web.StreamResponse:
    pages, deps = request.app[WEB], request.app[DEPS]
    try:
        who = await viewer(request)
        if isinstance(who, web.Response):
            return who
        a = asked(request.query)
    except Refused as exc:
        return refused(str(exc))
    department, pm, tag, sort, order = a.department, a.pm, a.tag, a.sort, a.order
    every = await rows_for(deps, who)
    shown = sort_rows([r for r in every if a.keeps(r)], sort, order)
    signer = pages.signer(DASHBOARD)
    days = [r.day.day for r in every if r.day]
    tz = ZoneInfo(who.timezone)
    filters = {"department": department, "pm": pm, "tag": tag}

    def sort_href(column: str) -> str:
        flip = "asc" if column == sort and order == "desc" else "desc"
        return who.href(PAGE_ROUTE, **filters, sort=column, order=flip)

    return pages.page(
        "portfolio.html.j2", locale=who.locale, p=pages.texts(who.locale)["portfolio"], rows=shown,
        count=len(shown), total=len(every), filters=filters, sort=sort, order=order, sort_href=sort_href,
        departments=sorted({r.project.department for r in every if r.project.department}),
        pm_names=sorted({n for r in every for n in r.pms}), tags=sorted({t for r in every for t in r.project.tags}),
        health={h: sum(1 for r in shown if r.day and r.day.health == h) for h in HEALTH},
        as_of=max(days).isoformat() if days else None, timezone=who.timezone,
        generated=deps.clock.now().astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        dashboard=lambda key: who.dashboard(key, lambda k: signer.make({"k": k}, ttl_s=DASHBOARD_LINK_TTL_S)),
        trends=lambda key: who.href(f"{PAGE_ROUTE}/{key}"), hidden={"v": who.token, "lang": who.lang},
        csv=who.href(PAGE_ROUTE + ".csv", **filters, sort=sort, order=order),
        xlsx=who.href(PAGE_ROUTE + ".xlsx", **filters, sort=sort, order=order),
        today=deps.clock.now().astimezone(ZoneInfo(deps.timezone)).date())


def today_of(deps: PortfolioDeps) -> date:
    return deps.clock.now().astimezone(ZoneInfo(deps.timezone)).date()


def add_routes(app: web.Application, deps: PortfolioDeps) -> None:
    """GET /portfolio, its trend pages and their downloads (bot/web/trends.py)."""
    from bot.web import trends

    app[DEPS] = deps
    app.router.add_get(PAGE_ROUTE, page, name="portfolio")
    app.router.add_get(PAGE_ROUTE + ".{fmt}", download, name="portfolio_download")
    trends.add_routes(app)
