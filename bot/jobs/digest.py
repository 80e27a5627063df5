"""The weekly PMO digest: at `portfolio.digest` ("mon 09:00", the organisation's timezone) each person of
`portfolio.pmo` gets, once that day and in their own language, the week's changes of the projects they may read
(health, progress, tasks done) from the daily snapshots, with a signed link to the portfolio page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.jobs.base import Mail, Steady
from bot.jobs.dashboards import WEEKDAYS
from bot.jobs.snapshot_figures import HEALTH
from bot.records import Project
from bot.store.db import Database
from bot.store.history import DoneTask, History, ProjectDay
from bot.store.workspace import SqlWorkspace
from commands.readers import may_read
from notifiers.outbox import ClaimedMessage

SCHEDULE = "portfolio_digest"
DIGEST_ROWS_MAX = 12  # projects listed in the card; the page has them all

# person id -> the portfolio page's link for that person (signed; absolute with PMSBOT_PUBLIC_URL)
PortfolioLink = Callable[[str], Awaitable[str]]


def digest_data(projects: Sequence[Project], now: Mapping[str, ProjectDay], before: Mapping[str, ProjectDay],
                done: Sequence[DoneTask], *, day: date) -> dict[str, Any]:
    """What one recipient's card says: counts by health, tasks done in the week, and the projects that changed
    (worst health first, then the largest move)."""
    keys = {p.key for p in projects}
    health = Counter(now[k].health for k in keys if k in now)
    finished = Counter(d.project for d in done if d.project in keys)
    rows: list[dict[str, Any]] = []
    for p in projects:
        today, then = now.get(p.key), before.get(p.key)
        if today is None:
            continue
        delta = today.percent - then.percent if then else 0
        changed = then is None or then.health != today.health or delta != 0 or finished[p.key] > 0
        if changed:
            rows.append({"key": p.key, "name": p.name, "health": today.health,
                         "health_before": then.health if then and then.health != today.health else None,
                         "percent": today.percent, "delta": delta, "done": finished[p.key],
                         "overdue": today.overdue})
    rows.sort(key=lambda r: (-HEALTH.index(r["health"]), -abs(r["delta"]), r["key"]))
    return {"day": day.isoformat(), "total": len([k for k in keys if k in now]), "late": health["late"],
            "risk": health["risk"], "ok": health["ok"], "done": sum(finished.values()),
            "changes": rows[:DIGEST_ROWS_MAX], "more": max(0, len(rows) - DIGEST_ROWS_MAX)}


class WeeklyDigest(Steady):
    def __init__(self, db: Database, mail: Mail, config: Config, link: PortfolioLink) -> None:
        self.db = db
        self.mail = mail
        self.config = config
        self.link = link

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        spec, pmo = self.config.portfolio.digest, self.config.portfolio.pmo
        local = at.astimezone(ZoneInfo(self.config.timezone))
        if not spec or not pmo or spec != f"{WEEKDAYS[local.weekday()]} {local.hour:02d}:{local.minute:02d}":
            return 0
        day = local.date()
        links = {pid: await self.link(pid) for pid in pmo}  # before the write: signing may read the server's key
        claimed: list[ClaimedMessage] = []
        async with self.db.write() as s:
            ws = SqlWorkspace(s, default_locale=self.config.locale)
            recipients = await ws.claim_runs(SCHEDULE, list(pmo), day, self.mail.clock.now())
            if not recipients:
                return 0
            people = await ws.people(sorted(recipients))
            projects = await ws.all_projects()
            history = History(s)
            now = await history.latest(on_or_before=day)
            before = await history.latest(on_or_before=day - timedelta(days=7))
            done = await history.done_between([p.key for p in projects], since=day - timedelta(days=6), until=day)
            for person in people.values():
                data = digest_data([p for p in projects if may_read(person, p)], now, before, done, day=day)
                claimed += await self.mail.to_person(ws, s, person, "portfolio_digest",
                                                     {**data, "url": links[person.id]})
        self.mail.hand_over(claimed)
        return len(people)  # the recipients (each on every platform they are known on)
