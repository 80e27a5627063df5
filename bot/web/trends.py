"""A project's trends `/portfolio/{key}` from its daily snapshots: burndown and burnup (of the project or one
milestone), cycle time per week (median and 85th percentile), throughput, workload per person per week, risks by
kind and standup participation; and the same figures as `/portfolio/{key}/trends.csv` or `.xlsx`.

The viewer is the portfolio's (bot/web/portfolio.py): an admin session, or a person's signed link, who must be
allowed to read the project."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.store.history import History
from bot.store.workspace import SqlWorkspace
from bot.web import charts
from bot.web.exports import DOWNLOADS, attachment
from bot.web.pages import WEB
from bot.web.portfolio import DEPS, PAGE_ROUTE, Refused, Viewer, param, refused, today_of, viewer
from bot.web.trend_charts import PALETTE, Bar, Series, bar_chart, line_chart
from bot.web.trend_figures import (
    burn,
    risk_series,
    standup_weeks,
    tables,
    weekly_cycle,
    weeks_between,
    workload_rows,
)

TREND_ROUTE = PAGE_ROUTE + "/{key}"
DOWNLOAD_ROUTE = PAGE_ROUTE + "/{key}/trends.{fmt}"
TREND_PARAMS = ("v", "lang", "milestone", "weeks")
WEEKS_DEFAULT, WEEKS_MAX = 26, 104
KEY_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


def _weeks(value: str) -> int:
    if not value:
        return WEEKS_DEFAULT
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and 1 <= int(value) <= WEEKS_MAX):
        raise Refused(f"'weeks' must be a whole number from 1 to {WEEKS_MAX}")
    return int(value)


async def _gather(request: web.Request, who: Viewer, key: str) -> dict[str, Any] | web.Response:
    """The figures of the trend page (and of its downloads), or the answer when there is nothing to show."""
    pages, deps = request.app[WEB], request.app[DEPS]
    q = request.query
    unknown = sorted(set(q) - set(TREND_PARAMS))
    if unknown:
        raise Refused(f"unknown parameter '{unknown[0][:40]}'")
    if not KEY_RE.match(key):
        raise Refused("a project key is 2-10 upper-case letters or digits starting with a letter")
    milestone, weeks = param(q, "milestone", limit=200), _weeks(param(q, "weeks", limit=8))
    p = pages.texts(who.locale)["portfolio"]
    until = today_of(deps)
    since = until - timedelta(days=until.weekday()) - timedelta(weeks=weeks - 1)
    async with deps.db.read() as s:
        ws = SqlWorkspace(s, default_locale=deps.default_locale)
        project = await ws.project(key)
        if project is None or not who.sees(project):  # the same answer: no telling which keys exist
            return pages.error(locale=who.locale, status=404 if project is None or who.person is None else 403,
                               message=p["unknown_project"].format(key=key))
        history = History(s)
        kept = await history.milestones_kept(key)
        if milestone and milestone not in kept:
            raise Refused("'milestone' is not one of the project's milestones")
        own = await history.project_days(key, since=since, until=until)
        chosen = await history.project_days(key, milestone=milestone, since=since, until=until) if milestone else own
        load = await history.person_days(key, since=since, until=until)
        risks = await history.risk_days(key, since=since, until=until)
        done = await history.done_between([key], since=since, until=until)
        names = {pid: person.name for pid, person in (await ws.people(sorted({d.person for d in load if d.person}
                                                                              ))).items()}
    span = weeks_between(since, until)
    burns = burn(chosen, due=chosen[-1].due if chosen else None)
    cycles = weekly_cycle(done, span)
    rows = workload_rows(load, span, names=names, unassigned=pages.texts(who.locale)["dashboard"]["unassigned"])
    kinds = risk_series(risks, [d.day for d in own])
    standups = standup_weeks(own, span)
    return {"project": project, "milestone": milestone, "milestones": kept, "weeks": weeks, "span": span,
            "since": since, "until": until, "burns": burns, "cycles": cycles, "load": rows, "kinds": kinds,
            "standups": standups, "own": own,
            "tables": tables(burns, cycles, rows, span, kinds, standups)}


def _charts(f: dict[str, Any], p: dict[str, str], d: dict[str, str]) -> dict[str, Any]:
    burns, cycles = f["burns"], f["cycles"]
    out: dict[str, Any] = {}
    if burns:
        out["burndown"] = line_chart([
            Series(name="open", label=p["line_open"], points=tuple((b.day, float(b.open)) for b in burns)),
            Series(name="ideal", label=p["line_ideal"], colour=PALETTE[6], dashed=True,
                   points=tuple((b.day, b.ideal) for b in burns)),
        ], title=p["burndown"])
        out["burnup"] = line_chart([
            Series(name="done", label=p["line_done"], colour=PALETTE[2],
                   points=tuple((b.day, float(b.done)) for b in burns)),
            Series(name="scope", label=p["line_scope"], colour=PALETTE[6], dashed=True,
                   points=tuple((b.day, float(b.scope)) for b in burns)),
        ], title=p["burnup"])
        out["remaining"] = line_chart([
            Series(name="remaining_h", label=p["line_remaining"], colour=PALETTE[3],
                   points=tuple((b.day, b.remaining_h) for b in burns))], title=p["remaining"], unit="h")
    if any(c.done for c in cycles):
        out["cycle"] = line_chart([
            Series(name="median", label=p["line_median"], points=tuple((c.week.start, c.median) for c in cycles)),
            Series(name="p85", label=p["line_p85"], colour=PALETTE[1],
                   points=tuple((c.week.start, None if c.p85 is None else float(c.p85)) for c in cycles)),
        ], title=p["cycle_weekly"])
        out["throughput"] = bar_chart([Bar(label=c.week.label, key=c.week.iso, value=c.done,
                                           tip=p["throughput_tip"].format(week=c.week.iso, count=c.done))
                                       for c in cycles], title=p["throughput"], colour=PALETTE[2])
    if f["load"]:
        out["workload"] = charts.heat_map(f["span"], f["load"], {**d, "workload": p["workload_trend"],
                                                                 "workload_cell": p["workload_trend_cell"]})
    if f["kinds"]:
        out["risks"] = line_chart([Series(name=k, label=d.get(f"rule_{k}", k), colour=PALETTE[i % len(PALETTE)],
                                          points=tuple((day, float(n)) for day, n in pts))
                                   for i, (k, pts) in enumerate(f["kinds"].items())], title=p["risk_kinds"])
    if any(s.expected for s in f["standups"]):
        out["standups"] = line_chart([Series(name="answered", label=p["line_answered"], colour=PALETTE[2], points=tuple(
            (s.week.start, None if s.percent is None else float(s.percent)) for s in f["standups"]))],
            title=p["standups"], y_max=100, unit="%")
    return out


async def page(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    key = request.match_info["key"]
    try:
        who = await viewer(request)
        if isinstance(who, web.Response):
            return who
        found = await _gather(request, who, key)
    except Refused as exc:
        return refused(str(exc))
    if isinstance(found, web.Response):
        return found
    texts = pages.texts(who.locale)
    p, d = texts["portfolio"], texts["dashboard"]
    base = f"{PAGE_ROUTE}/{quote(key, safe='')}"
    keep = {"milestone": found["milestone"], "weeks": str(found["weeks"])}
    return pages.page("trends.html.j2", locale=who.locale, p=p, d=d, f=found, svg=_charts(found, p, d),
                      back=who.href(PAGE_ROUTE), csv=who.href(f"{base}/trends.csv", **keep),
                      xlsx=who.href(f"{base}/trends.xlsx", **keep), hidden={"v": who.token, "lang": who.lang},
                      last=found["own"][-1] if found["own"] else None)


async def download(request: web.Request) -> web.StreamResponse:
    key, fmt = request.match_info["key"], request.match_info["fmt"]
    if fmt not in DOWNLOADS:
        return refused("the downloads are trends.csv and trends.xlsx", status=404)
    try:
        who = await viewer(request)
        if isinstance(who, web.Response):
            return who
        found = await _gather(request, who, key)
    except Refused as exc:
        return refused(str(exc))
    if isinstance(found, web.Response):
        return found
    name = f"{key}-trends-{found['until'].isoformat()}{'-milestone' if found['milestone'] else ''}.{fmt}"
    return attachment(fmt, found["tables"], name)


def add_routes(app: web.Application) -> None:
    app.router.add_get(TREND_ROUTE, page, name="portfolio_trends")
    app.router.add_get(DOWNLOAD_ROUTE, download, name="portfolio_trends_download")
