"""The project dashboard `/projects/{key}`: progress by milestone, tasks at risk, cycle time, workload, budget burn.

Read through the same services as chat (the project's PMS connector, the workspace, the risk rules) plus the
built-in PMS's history for what a PMS does not say (logged hours per week, percent over time). Seen by an admin
session or with a signed view link the bot sends in chat (`dashboard_link`, 7 days); `snapshot.png` is the same
page photographed by headless Chromium, for the weekly post to the project's channels.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.constants import PMS_SCAN_MAX_TASKS
from bot.pms.base import PMSDown, PMSError
from bot.pms.registry import DISPLAY, connector_for
from bot.records import Task
from bot.runtime import Runtime
from bot.signing import BadToken
from bot.store.dashboard import (
    LoggedWork,
    MetricPoint,
    PercentChange,
    logged_work,
    metric_history,
    percent_history,
)
from bot.store.metrics import BUDGET, BUDGET_SPENT, latest_metrics
from bot.store.workspace import SqlWorkspace
from bot.web import charts
from bot.web.links import DASHBOARD, DASHBOARD_LINK_TTL_S
from bot.web.pages import WEB, Web
from bot.web.snapshot import SnapshotUnavailable, snapshot_png
from commands.risk import Thresholds, find_risks

log = logging.getLogger("pmsbot.web")

PURPOSE = DASHBOARD  # the same links as bot/web/links.py makes for the chat command
LINK_TTL_S = DASHBOARD_LINK_TTL_S  # 7 days
SNAPSHOT_LINK_TTL_S = 120  # the link Chromium opens to photograph the page
SNAPSHOT_FRESH_S = 300  # a PNG is served again for this long (a chat unfurls an image several times)
SNAPSHOT_CONCURRENCY = 2  # Chromiums at once per process
SNAPSHOT_SIZE = (1200, 1600)
PAST_WEEKS = 8  # heat-map columns: this ISO week and the 7 before it (logged hours) ...
NEXT_WEEKS = 4  # ... and the 4 after it (planned hours)
RISK_ROWS_MAX = 50
CYCLE_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 1, "0-1"), (2, 3, "2-3"), (4, 7, "4-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, None, "31+"))
PAGE_ROUTE = "/projects/{key}"
SNAPSHOT_ROUTE = "/projects/{key}/snapshot.png"


# -- links --------------------------------------------------------------------------------------------------

def _paths(key: str, token: str) -> tuple[str, str]:
    base = f"/projects/{quote(key, safe='')}"
    query = urlencode({"v": token})
    return f"{base}?{query}", f"{base}/snapshot.png?{query}"


def dashboard_link(web: Web, key: str) -> str:
    """The project's dashboard for anyone holding the link, for 7 days (absolute with PMSBOT_PUBLIC_URL)."""
    page, _ = _paths(key, web.signer(PURPOSE).make({"k": key}, ttl_s=LINK_TTL_S))
    return web.url(page)


async def weekly_snapshot_message(web: Web, key: str) -> dict[str, str]:
    """The weekly post's links: the dashboard and its PNG snapshot (taken when the image is fetched)."""
    page, image = _paths(key, web.signer(PURPOSE).make({"k": key}, ttl_s=LINK_TTL_S))
    return {"url": web.url(page), "image": web.url(image)}


# -- the figures (pure) -------------------------------------------------------------------------------------

def done_times(history: Iterable[PercentChange]) -> dict[str, datetime]:
    """When each task last reached 100 % (and stayed there), from its percent history, oldest first."""
    out: dict[str, datetime] = {}
    for change in history:
        if change.percent >= 100:
            out.setdefault(change.task_key, change.at)
        else:
            out.pop(change.task_key, None)
    return out


@dataclass(frozen=True, kw_only=True)
class CycleTimes:
    buckets: list[charts.Bucket]
    days: list[int]
    unknown: int  # done tasks without a creation time


def cycle_times(tasks: Iterable[Task], done_at: Mapping[str, datetime], tz: ZoneInfo) -> CycleTimes:
    """Calendar days (in the deployment's zone) from creation to done, of the done tasks, in buckets."""
    members: list[list[Task]] = [[] for _ in CYCLE_BUCKETS]
    days: list[int] = []
    unknown = 0
    for task in tasks:
        if task.status != "done":
            continue
        if task.created_at is None:
            unknown += 1
            continue
        finished = done_at.get(task.key, task.updated_at)
        n = max(0, (finished.astimezone(tz).date() - task.created_at.astimezone(tz).date()).days)
        days.append(n)
        for i, (low, high, _) in enumerate(CYCLE_BUCKETS):
            if n >= low and (high is None or n <= high):
                members[i].append(task)
                break
    buckets = [charts.Bucket(label=label, count=len(ts), tasks=tuple(f"{x.key} {x.title}" for x in ts))
               for (_, _, label), ts in zip(CYCLE_BUCKETS, members, strict=True)]
    return CycleTimes(buckets=buckets, days=days, unknown=unknown)


def weeks_around(today: date, *, past: int = PAST_WEEKS, ahead: int = NEXT_WEEKS) -> list[charts.Week]:
    """`past` ISO weeks ending with today's, then `ahead` more."""
    monday = today - timedelta(days=today.weekday())
    out = []
    for k in range(-(past - 1), ahead + 1):
        start = monday + timedelta(weeks=k)
        year, week, _ = start.isocalendar()
        out.append(charts.Week(iso=f"{year}-W{week:02d}", label=f"W{week:02d}", start=start,
                               end=start + timedelta(days=6), current=k == 0))
    return out


@dataclass
class _Load:
    logged: list[float]
    planned: list[float]
    undated: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Workload:
    rows: list[charts.HeatRow]
    any_hours: bool


def workload(weeks: list[charts.Week], logged: Iterable[LoggedWork], open_tasks: Iterable[Task], *, tz: ZoneInfo,
             names: Mapping[str, str], members: Iterable[str], unassigned: str) -> Workload:
    """Logged hours per person per week, and each open task's remaining estimate (estimate - spent) spread evenly
    over the weeks from this one to its due date's (all in this week when it is overdue; apart when undated)."""
    index = {w.start: i for i, w in enumerate(weeks)}
    current = next(i for i, w in enumerate(weeks) if w.current)
    loads: dict[str, _Load] = {}

    def load_of(person_id: str) -> _Load:
        return loads.setdefault(person_id, _Load([0.0] * len(weeks), [0.0] * len(weeks)))

    for person in members:  # members are shown even when idle
        load_of(person)
    for work in logged:
        day = work.at.astimezone(tz).date()
        i = index.get(day - timedelta(days=day.weekday()))
        if i is not None:
            load_of(work.person_id or "").logged[i] += work.minutes / 60
    this_monday = weeks[current].start
    for task in open_tasks:
        if task.status == "done" or task.estimate_h is None:
            continue
        remaining = float(max(task.estimate_h - task.spent_h, Decimal(0)))
        if remaining <= 0:
            continue
        load = load_of(task.assignee or "")
        if task.due is None:
            load.undated += remaining
            continue
        due_monday = task.due - timedelta(days=task.due.weekday())
        span = max(1, (due_monday - this_monday).days // 7 + 1)
        for k in range(min(span, len(weeks) - current)):  # only the weeks shown (a due date in 9999 is one)
            load.planned[current + k] += remaining / span
    rows = [charts.HeatRow(person_id=pid, person=names.get(pid, pid) if pid else unassigned,
                           logged=tuple(v.logged), planned=tuple(v.planned), undated=v.undated)
            for pid, v in loads.items()]
    rows.sort(key=lambda r: (r.person_id == "", r.person.casefold(), r.person_id))
    any_hours = any(any(r.logged) or any(r.planned) or r.undated for r in rows)
    return Workload(rows=rows, any_hours=any_hours)


class ProgressHistory:
    """The project's percent at past instants, rebuilt from the built-in PMS's history: each task's last
    reported percent at that instant (0 before any), averaged over the tasks created by then."""

    def __init__(self, tasks: list[Task], history: Iterable[PercentChange]) -> None:
        self._tasks = tasks
        self._changes: dict[str, tuple[list[datetime], list[int]]] = defaultdict(lambda: ([], []))
        for change in history:
            times, values = self._changes[change.task_key]
            times.append(change.at)
            values.append(change.percent)

    @property
    def complete(self) -> bool:
        """Every task with progress has history of it (tasks set by other means make the past unknowable)."""
        return all(t.key in self._changes for t in self._tasks if t.percent > 0)

    def at(self, when: datetime) -> int:
        alive = [t for t in self._tasks if t.created_at is None or t.created_at <= when]
        if not alive:
            return 0
        total = 0
        for task in alive:
            times, values = self._changes.get(task.key, ([], []))
            i = bisect.bisect_right(times, when)
            total += values[i - 1] if i else 0
        return round(total / len(alive))


def percent_of(part: Decimal, whole: Decimal) -> int:
    return round(part / whole * 100)


def burn_points(metrics: Iterable[MetricPoint], tz: ZoneInfo, progress: ProgressHistory | None
                ) -> list[charts.BurnPoint]:
    """Spent % of the budget known at each spending figure (the last of each day), with the progress then."""
    budget: Decimal | None = None
    by_day: dict[date, charts.BurnPoint] = {}
    # A budget and a spending reported together: the budget first.
    for m in sorted(metrics, key=lambda m: (m.at, m.name == BUDGET_SPENT)):
        if m.name == BUDGET:
            budget = m.value
        elif budget is not None and budget > 0:
            day = m.at.astimezone(tz).date()
            by_day[day] = charts.BurnPoint(day=day, spent_percent=percent_of(m.value, budget),
                                           progress_percent=progress.at(m.at) if progress else None)
    return [by_day[d] for d in sorted(by_day)]


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


# -- gathering ----------------------------------------------------------------------------------------------

def _thresholds(rt: Runtime, key: str) -> Thresholds:
    scan = next((s for s in rt.config.risk_alerts if s.project == key), None)
    return scan.thresholds() if scan else Thresholds()


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


async def gather(rt: Runtime, key: str, *, now: datetime, locale: str) -> dict[str, Any] | None:
    """The page's context, or None for an unknown project. Raises PMSDown/PMSError from the project's PMS."""
    d: dict[str, str] = rt.renderer.catalogs[locale]["dashboard"]
    tz = ZoneInfo(rt.config.timezone)
    today = now.astimezone(tz).date()
    weeks = weeks_around(today)
    async with rt.db.read() as s:
        ws = SqlWorkspace(s, default_locale=rt.config.locale)
        project = await ws.project(key)
        if project is None:
            return None
        pms = connector_for(s, rt.remotes, clock=rt.clock)(project)
        summary = await pms.project_summary(project.key, today=today)
        tasks = await pms.search_tasks(project=project.key, open_only=False, limit=PMS_SCAN_MAX_TASKS)
        local = project.pms == "local"
        history = await percent_history(s, project.key) if local else []
        logged = await logged_work(s, project.key, since=_local_midnight(weeks[0].start, tz),
                                   until=_local_midnight(weeks[-1].end + timedelta(days=1), tz)) if local else []
        figures = await latest_metrics(s, project.key, (BUDGET, BUDGET_SPENT))
        metrics = await metric_history(s, project.key, (BUDGET, BUDGET_SPENT))
        risks = find_risks(tasks, today=today, now=now, limits=_thresholds(rt, project.key))
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
        "generated": now.astimezone(tz).strftime("%Y-%m-%d %H:%M"), "timezone": rt.config.timezone,
        "milestones_svg": charts.milestone_bars(bars, d) if bars else None, "milestones": bars,
        "risks": risk_rows[:RISK_ROWS_MAX], "risks_more": max(0, len(risk_rows) - RISK_ROWS_MAX),
        "cycle_svg": charts.histogram(cycle.buckets, d) if cycle.days else None,
        "cycle_median": _median(cycle.days), "cycle_count": len(cycle.days), "cycle_unknown": cycle.unknown,
        "workload_svg": charts.heat_map(weeks, load.rows, d) if load.rows and load.any_hours else None,
        "logged_known": local, "pms_name": DISPLAY.get(project.pms, project.pms),
        "budget": _budget(figures, metrics, tasks, history, summary.percent, tz, d, local),
    }


def _median(days: list[int]) -> str | None:
    if not days:
        return None
    value = statistics.median(days)
    return str(int(value)) if value == int(value) else f"{value:.1f}"


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

async def _admit(request: web.Request, key: str, locale: str) -> web.Response | None:
    """None when the visitor may see the project's dashboard; else the answer (the login, or 403)."""
    from bot.web.admin import (
        admin_session,  # the same check as the admin pages: still an admin, token still on
    )

    pages = request.app[WEB]
    if await admin_session(request) is not None:
        return None
    token = request.query.get("v", "")
    if not token:
        raise web.HTTPSeeOther(location="/admin/login")
    texts = pages.rt.renderer.catalogs[locale]
    try:
        data = pages.signer(PURPOSE).read(token)
    except BadToken as exc:
        return pages.error(locale=locale, status=403,
                           message=texts["web"]["expired"] if exc.expired else texts["web"]["altered"])
    if data.get("k") != key:
        return pages.error(locale=locale, status=403, message=texts["dashboard"]["wrong_project"])
    return None


def _pms_trouble(pages: Web, locale: str, exc: PMSDown | PMSError, project: str) -> web.Response:
    log.warning("dashboard of %s: its PMS failed: %s", project, exc)
    d = pages.rt.renderer.catalogs[locale]["dashboard"]
    pms = exc.pms if isinstance(exc, PMSDown) else exc.params.get("pms", "")
    return pages.error(locale=locale, status=503, message=d["pms_down"].format(pms=DISPLAY.get(pms, pms)))


async def page(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    locale = pages.locale(request)
    key = request.match_info["key"]
    denied = await _admit(request, key, locale)
    if denied is not None:
        return denied
    try:
        context = await gather(pages.rt, key, now=pages.rt.clock.now(), locale=locale)
    except (PMSDown, PMSError) as exc:
        return _pms_trouble(pages, locale, exc, key)
    if context is None:
        d = pages.rt.renderer.catalogs[locale]["dashboard"]
        return pages.error(locale=locale, status=404, message=d["unknown_project"].format(key=key))
    _, image = _paths(key, request.query.get("v") or pages.signer(PURPOSE).make({"k": key}, ttl_s=LINK_TTL_S))
    return pages.page("dashboard.html.j2", locale=locale, snapshot_url=image, **context)


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
        settings = request.app[WEB].rt.settings
        host, port = settings.host, settings.port
    if host in ("0.0.0.0", "::", ""):  # a wildcard listener answers on loopback
        host = "127.0.0.1"
    return f"http://[{host}]:{port}{path_qs}" if ":" in host else f"http://{host}:{port}{path_qs}"


async def snapshot(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    locale = pages.locale(request)
    key = request.match_info["key"]
    denied = await _admit(request, key, locale)
    if denied is not None:
        return denied
    d = pages.rt.renderer.catalogs[locale]["dashboard"]
    async with pages.rt.db.read() as s:
        if await SqlWorkspace(s, default_locale=pages.rt.config.locale).project(key) is None:
            return pages.error(locale=locale, status=404, message=d["unknown_project"].format(key=key))
    cache = request.app[SNAPSHOTS]
    png = cache.get((key, locale))
    if png is None:
        async with cache.slots:
            png = cache.get((key, locale))
            if png is None:
                page_path, _ = _paths(key, pages.signer(PURPOSE).make({"k": key}, ttl_s=SNAPSHOT_LINK_TTL_S))
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


def add_routes(app: web.Application) -> None:
    """GET /projects/{key} and /projects/{key}/snapshot.png (adding them twice is a no-op)."""
    if any(r.canonical == PAGE_ROUTE for r in app.router.resources()):
        return
    app[SNAPSHOTS] = Snapshots()
    app.router.add_get(PAGE_ROUTE, page, name="project_dashboard")
    app.router.add_get(SNAPSHOT_ROUTE, snapshot, name="project_dashboard_snapshot")
