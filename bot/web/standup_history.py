"""A project's standup history `/projects/{key}/standups`: who answered what, skipped or was away, day by day,
for the last STANDUP_HISTORY_DAYS days (`?days=` up to STANDUP_HISTORY_MAX_DAYS). Seen like the project's
dashboard (an admin session, or the dashboard's signed view link); in the viewer's language (`?lang=`, else the
browser's) and timezone (`?tz=`, else the deployment's) for the times answers came in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from bot.clocks import Clock
from bot.constants import STANDUP_HISTORY_DAYS, STANDUP_HISTORY_MAX_DAYS
from bot.records import StandupAnswer
from bot.store.db import Database
from bot.store.workspace import SqlWorkspace
from bot.web.dashboard import admit
from bot.web.pages import WEB

ROUTE = "/projects/{key}/standups"
TZ_MAX_CHARS = 64


@dataclass(frozen=True, kw_only=True)
class StandupHistoryDeps:
    db: Database
    clock: Clock
    default_locale: str
    timezone: str  # the deployment's: whose "today" the page counts back from, unless the viewer says theirs


DEPS: web.AppKey[StandupHistoryDeps] = web.AppKey("standup_history", StandupHistoryDeps)


def _zone(asked: str, fallback: str) -> ZoneInfo | None:
    """The viewer's timezone; None for a name that is none (the page says so, 400)."""
    if not asked:
        return ZoneInfo(fallback)
    if len(asked) > TZ_MAX_CHARS or asked.startswith(("/", ".")) or ".." in asked:
        return None
    try:
        return ZoneInfo(asked)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _days(asked: str) -> int | None:
    if not asked:
        return STANDUP_HISTORY_DAYS
    if not asked.isascii() or not asked.isdigit() or not 1 <= int(asked) <= STANDUP_HISTORY_MAX_DAYS:
        return None
    return int(asked)


async def gather(deps: StandupHistoryDeps, key: str, *, today: date, days: int, tz: ZoneInfo
                 ) -> dict[str, Any] | None:
    since = today - timedelta(days=days - 1)
    async with deps.db.read() as s:
        ws = SqlWorkspace(s, default_locale=deps.default_locale)
        project = await ws.project(key)
        if project is None:
            return None
        standups = await ws.project_standups(key)
        members = sorted({m for _, names in standups for m in names})
        answers = await ws.standup_answers(members, since=since, until=today, limit=members_days(members, days))
        away = {day: await ws.away_among(members, day) for day in _each(since, today)}
        people = await ws.people(members)
    names = {pid: p.name for pid, p in people.items()}
    said: dict[tuple[str, date], StandupAnswer] = {(a.person, a.day): a for a in answers}
    out_days = []
    for day in reversed(_each(since, today)):
        rows = []
        for member in members:
            answer = said.get((member, day))
            kind = answer.kind if answer else ("away" if member in away[day] else "missing")
            rows.append({"person": names.get(member, member), "kind": kind, "text": answer.text if answer else "",
                         "at": _at(answer.at, tz) if answer else "",
                         "late": answer is not None and answer.at.astimezone(tz).date() > day})
        if any(r["kind"] != "missing" for r in rows):
            out_days.append({"day": day.isoformat(), "rows": rows,
                             "answered": sum(r["kind"] == "answer" for r in rows), "total": len(rows)})
    return {"project": project, "standups": [name for name, _ in standups], "days": out_days, "span": days,
            "since": since.isoformat(), "until": today.isoformat(), "timezone": str(tz)}


def members_days(members: list[str], days: int) -> int:
    return max(1, len(members) * days)


def _each(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def _at(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%m-%d %H:%M")


async def page(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    locale = pages.locale(request)
    key = request.match_info["key"]
    denied = await admit(request, key, locale)
    if denied is not None:
        return denied
    deps = request.app[DEPS]
    h: dict[str, str] = pages.texts(locale)["standup_history"]
    tz = _zone(request.query.get("tz", ""), deps.timezone)
    days = _days(request.query.get("days", ""))
    if tz is None:
        return pages.error(locale=locale, status=400, message=h["bad_tz"].format(max=TZ_MAX_CHARS))
    if days is None:
        return pages.error(locale=locale, status=400, message=h["bad_days"].format(max=STANDUP_HISTORY_MAX_DAYS))
    context = await gather(deps, key, today=deps.clock.now().astimezone(tz).date(), days=days, tz=tz)
    if context is None:
        return pages.error(locale=locale, status=404, message=h["unknown_project"].format(key=key))
    return pages.page("standup_history.html.j2", locale=locale, h=h, **context)


def add_routes(app: web.Application, deps: StandupHistoryDeps) -> None:
    """GET /projects/{key}/standups (adding it twice is a no-op)."""
    if any(r.canonical == ROUTE for r in app.router.resources()):
        return
    app[DEPS] = deps
    app.router.add_get(ROUTE, page, name="project_standups")
