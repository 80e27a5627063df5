"""The project dashboard `/projects/{key}`: progress by milestone, tasks at risk, cycle time, workload, budget burn.

Read through the same services as chat (the project's PMS connector, the workspace, the risk rules) plus the
built-in PMS's history for what a PMS does not say (logged hours per week, percent over time). Seen by an admin
session or with a signed view link the bot sends in chat (`dashboard_link`, 7 days); `snapshot.png` is the same
page photographed by headless Chromium, for the weekly post to the project's channels.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.clocks import Clock
from bot.constants import PMS_SCAN_MAX_TASKS
from bot.pms.base import PMSDown, PMSError
from bot.records import Task, Thresholds
from bot.signing import BadToken
from bot.store.dashboard import MetricPoint, PercentChange, logged_work, metric_history, percent_history
from bot.store.db import Database
from bot.store.metrics import BUDGET, BUDGET_SPENT, latest_metrics
from bot.store.workspace import SqlWorkspace
from bot.web import charts
from bot.web.dashboard_figures import (
    ProgressHistory,
    burn_points,
    cycle_times,
    done_times,
    percent_of,
    weeks_around,
    workload,
)
from bot.web.links import DASHBOARD, DASHBOARD_LINK_TTL_S, dashboard_paths
from bot.web.pages import WEB, Connectors, Web
from bot.web.snapshot import SnapshotUnavailable, snapshot_png
from commands.risk import find_risks

log = logging.getLogger("pmsbot.web")

PURPOSE = DASHBOARD  # the same links as bot/web/links.py makes for the chat command
LINK_TTL_S = DASHBOARD_LINK_TTL_S  # 7 days
SNAPSHOT_LINK_TTL_S = 120  # the link Chromium opens to photograph the page
SNAPSHOT_FRESH_S = 300  # a PNG is served again for this long (a chat unfurls an image several times)
SNAPSHOT_CONCURRENCY = 2  # Chromiums at once per process
SNAPSHOT_SIZE = (1200, 1600)
RISK_ROWS_MAX = 50
PAGE_ROUTE = "/projects/{key}"
SNAPSHOT_ROUTE = "/projects/{key}/snapshot.png"


class RiskScan(Protocol):
    """A configured risk scan (bot.config.RiskAlertConfig): the project's thresholds."""

    @property
    def project(self) -> str: ...

    def thresholds(self) -> Thresholds: ...


@dataclass(frozen=True, kw_only=True)
class DashboardDeps:
    db: Database
    clock: Clock
    connectors: Connectors
    default_locale: str
    timezone: str  # the organisation's: weeks, days and the page's times
    risk_scans: Sequence[RiskScan]
    listener: tuple[str, int]  # host and port this server listens on, when a request does not say (a Unix socket)


DEPS: web.AppKey[DashboardDeps] = web.AppKey("dashboard", DashboardDeps)


# -- links --------------------------------------------------------------------------------------------------

def dashboard_link(pages: Web, key: str) -> str:
    """The project's dashboard for anyone holding the link, for 7 days (absolute with PMSBOT_PUBLIC_URL)."""
    page, _ = dashboard_paths(key, pages.signer(PURPOSE).make({"k": key}, ttl_s=LINK_TTL_S))
    return pages.url(page)


# -- gathering ----------------------------------------------------------------------------------------------

def _thresholds(deps: DashboardDeps, key: str) -> Thresholds:
    scan = next((s for s in deps.risk_scans if s.project == key), None)
    return scan.thresholds() if scan else Thresholds()


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


async def gather(deps: DashboardDeps, key: str, *, now: datetime, d: dict[str, str]) -> dict[str, Any] | None:
    """The page's context (`d`: the dashboard's texts), or None for an unknown project. Raises PMSDown/PMSError
    from the project's PMS."""
    tz = ZoneInfo(deps.timezone)
    today = now.astimezone(tz).date()
    weeks = weeks_around(today)
    async with deps.db.read() as s:
        ws = SqlWorkspace(s, default_locale=deps.default_locale)
        project = await ws.project(key)
        if project is None:
            return None
        pms = deps.connectors(s)(project)
        summary = await pms.project_summary(project.key, today=today)
        tasks = await pms.search_tasks(project=project.key, open_only=False, limit=PMS_SCAN_MAX_TASKS)
        local = project.pms == "local"
        history = await percent_history(s, project.key) if local else []
        logged = await logged_work(s, project.key, since=_local_midnight(weeks[0].start, tz),
                                   until=_local_midnight(weeks[-1].end + timedelta(days=1), tz)) if local else []
        figures = await latest_metrics(s, project.key, (BUDGET, BUDGET_SPENT))
        metrics = await metric_history(s, project.key, (BUDGET, BUDGET_SPENT))
        risks = find_risks(tasks, today=today, now=now, limits=_thresholds(deps, project.key))
        ids = {t.assignee for t in tasks if t.assignee} | {w.person_id for w in logged if w.person_id}
        people = await ws.people(sorted(ids | set(project.members)))
    names = {pid: p.name for pid, p in people.items()}

    # Overdue: past its due date with work left (a milestone without tasks has none).
    bars = [charts.MilestoneBar(name=m.name, percent=m.percent, done=m.tasks_done, total=m.tasks_total, due=m.due,
                                overdue=m.due is not None and m.due < today and m.tasks_done < m.tasks_total)
            for m in summary.milestones]
    risk_rows = [{"key": r.task.key, "title": r.task.title, "rule": r.kind, "rule_label": d[f"rule_{r.kind}"],
                  "days": r.days, "owner": names.get(r.task.assignee, r.task.assignee) if r.task.assignee else None}
                 for r in risks if r.task is not None]
    cycle = cycle_times(tasks, done_times(history), tz)
    load = workload(weeks, logged, tasks, tz=tz, names=names, members=project.members,
                    unassigned=d["unassigned"])
    return {
        "project": project, "summary": summary, "d": d, "today": today.isoformat(),
        "generated": now.astimezone(tz).strftime("%Y-%m-%d %H:%M"), "timezone": deps.timezone,
        "milestones_svg": charts.milestone_bars(bars, d) if bars else None, "milestones": bars,
        "risks": risk_rows[:RISK_ROWS_MAX], "risks_more": max(0, len(risk_rows) - RISK_ROWS_MAX),
        "cycle_svg": charts.histogram(cycle.buckets, d) if cycle.days else None,
        "cycle_median": _median(cycle.days), "cycle_count": len(cycle.days), "cycle_unknown": cycle.unknown,
        "workload_svg": charts.heat_map(weeks, load.rows, d) if load.rows and load.any_hours else None,
        "logged_known": local, "pms_name": _display(project.pms),
        "budget": _budget(figures, metrics, tasks, history, summary.percent, tz, d, local),
    }


def _median(days: list[int]) -> str | None:
    if not days:
        return None
    value = statistics.median(days)
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _budget(figures: dict[str, Decimal], metrics: list[MetricPoint], tasks: list[Task],
            history: list[PercentChange], progress_now: int, tz: ZoneInfo, d: Mapping[str, str],
            local: bool) -> dict[str, Any] | None:
    if not figures:
        return None
    budget, spent = figures.get(BUDGET), figures.get(BUDGET_SPENT)
    known = ProgressHistory(tasks, history) if local else None
    if known is not None and not known.complete:
        known = None
    points = burn_points(metrics, tz, known)
    return {
        "total": _money(budget) if budget is not None else None,
        "spent": _money(spent) if spent is not None else None,
        "spent_percent": percent_of(spent, budget) if spent is not None and budget else None,
        "progress": progress_now,
        "as_of": max(m.at for m in metrics).astimezone(tz).date().isoformat() if metrics else None,
        "chart": charts.burn_chart(points, progress_now=progress_now, t=d) if len(points) > 1 else None,
        "history_missing": len(points) > 1 and known is None,
    }


# -- access -------------------------------------------------------------------------------------------------

async def admit(request: web.Request, key: str, locale: str) -> web.Response | None:
    """None when the visitor may see the project's dashboard; else the answer (the login, or 403)."""
    from bot.web.admin import (
        admin_session,  # the same check as the admin pages: still an admin, token still on
    )

    pages = request.app[WEB]
    from bot.web.sso import sees_every_dashboard

    if await admin_session(request) is not None or await sees_every_dashboard(request):
        return None
    token = request.query.get("v", "")
    if not token:
        raise web.HTTPSeeOther(location="/admin/login")
    texts = pages.texts(locale)
    try:
        data = pages.signer(PURPOSE).read(token)
    except BadToken as exc:
        return pages.error(locale=locale, status=403,
                           message=texts["web"]["expired"] if exc.expired else texts["web"]["altered"])
    if data.get("k") != key:
        return pages.error(locale=locale, status=403, message=texts["dashboard"]["wrong_project"])
    return None


def _display(pms: str) -> str:
    """The PMS's name as people read it (the registry is loaded by the page's first connector, not at start)."""
    from bot.pms.registry import DISPLAY

    return DISPLAY.get(pms, pms)


def _pms_trouble(pages: Web, locale: str, exc: PMSDown | PMSError, project: str) -> web.Response:
    log.warning("dashboard of %s: its PMS failed: %s", project, exc)
    d = pages.texts(locale)["dashboard"]
    pms = exc.pms if isinstance(exc, PMSDown) else exc.params.get("pms", "")
    return pages.error(locale=locale, status=503, message=d["pms_down"].format(pms=_display(pms)))


async def page(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    locale = pages.locale(request)
    key = request.match_info["key"]
    denied = await admit(request, key, locale)
    if denied is not None:
        return denied
    deps = request.app[DEPS]
    d: dict[str, str] = pages.texts(locale)["dashboard"]
    try:
        context = await gather(deps, key, now=deps.clock.now(), d=d)
    except (PMSDown, PMSError) as exc:
        return _pms_trouble(pages, locale, exc, key)
    if context is None:
        return pages.error(locale=locale, status=404, message=d["unknown_project"].format(key=key))
    page_path, image = dashboard_paths(key, request.query.get("v") or pages.signer(PURPOSE).make({"k": key},
                                                                                                  ttl_s=LINK_TTL_S))
    standups = page_path.replace("?", "/standups?", 1)  # the same view link opens the standup history
    return pages.page("dashboard.html.j2", locale=locale, snapshot_url=image, standups_url=standups, **context)


# -- the PNG snapshot ---------------------------------------------------------------------------------------

@dataclass
class Snapshots:
    """Chromiums at once, and the PNGs taken lately (by project and language)."""

    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SNAPSHOT_CONCURRENCY))
    fresh: dict[tuple[str, str], tuple[float, bytes]] = field(default_factory=dict)

    def get(self, key: tuple[str, str]) -> bytes | None:
        found = self.fresh.get(key)
        if found is None or monotonic() > found[0]:
            self.fresh.pop(key, None)
            return None
        return found[1]

    def put(self, key: tuple[str, str], png: bytes) -> None:
        now = monotonic()
        self.fresh = {k: v for k, v in self.fresh.items() if v[0] >= now}
        self.fresh[key] = (now + SNAPSHOT_FRESH_S, png)


SNAPSHOTS: web.AppKey[Snapshots] = web.AppKey("dashboard_snapshots", Snapshots)


def _self_url(request: web.Request, path_qs: str) -> str:
    """This server as the local socket the request came in on (Chromium runs on this machine)."""
    sock = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sock, tuple) and len(sock) >= 2:
        host, port = str(sock[0]), int(sock[1])
    else:  # a Unix socket behind a proxy: the configured listener
        host, port = request.app[DEPS].listener
    if host in ("0.0.0.0", "::", ""):  # a wildcard listener answers on loopback
        host = "127.0.0.1"
    return f"http://[{host}]:{port}{path_qs}" if ":" in host else f"http://{host}:{port}{path_qs}"


async def snapshot(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    locale = pages.locale(request)
    key = request.match_info["key"]
    denied = await admit(request, key, locale)
    if denied is not None:
        return denied
    deps = request.app[DEPS]
    d = pages.texts(locale)["dashboard"]
    async with deps.db.read() as s:
        if await SqlWorkspace(s, default_locale=deps.default_locale).project(key) is None:
            return pages.error(locale=locale, status=404, message=d["unknown_project"].format(key=key))
    cache = request.app[SNAPSHOTS]
    png = cache.get((key, locale))
    if png is None:
        async with cache.slots:
            png = cache.get((key, locale))
            if png is None:
                page_path, _ = dashboard_paths(key, pages.signer(PURPOSE).make({"k": key}, ttl_s=SNAPSHOT_LINK_TTL_S))
                width, height = SNAPSHOT_SIZE
                try:
                    png = await snapshot_png(_self_url(request, f"{page_path}&{urlencode({'lang': locale})}"),
                                             width=width, height=height)
                except SnapshotUnavailable as exc:
                    log.warning("dashboard snapshot of %s: %s", key, exc)
                    return pages.error(locale=locale, status=503,
                                       message=d["snapshot_unavailable"].format(reason=str(exc)))
                cache.put((key, locale), png)
    return web.Response(body=png, content_type="image/png",
                        headers={"Cache-Control": f"private, max-age={SNAPSHOT_FRESH_S}",
                                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def add_routes(app: web.Application, deps: DashboardDeps) -> None:
    """GET /projects/{key} and /projects/{key}/snapshot.png (adding them twice is a no-op)."""
    if any(r.canonical == PAGE_ROUTE for r in app.router.resources()):
        return
    app[DEPS] = deps
    app[SNAPSHOTS] = Snapshots()
    app.router.add_get(PAGE_ROUTE, page, name="project_dashboard")
    app.router.add_get(SNAPSHOT_ROUTE, snapshot, name="project_dashboard_snapshot")
