"""`pmsbot demo --history`: twenty more projects with six months behind them, for the portfolio and its trends.

Each project's tasks get a life (created, a due date, progress, perhaps a blockage, a finish) drawn from a seeded
random generator, so every run makes the same data; each past day's snapshot is then computed from the tasks as
they stood that day by the very function the daily snapshot uses (bot/jobs/snapshot_figures.py)."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.jobs.snapshot_figures import day_figures
from bot.jobs.snapshots import DailySnapshots
from bot.records import Milestone, Task
from bot.runtime import Runtime
from bot.store.history import DaySnapshot, History
from bot.store.seed_history import SeedProject, SeedTask, add_projects, existing_projects

PROJECTS = 20
DAYS = 182  # six months
PEOPLE = ("alice", "bob", "dave", "erin")
DEPARTMENTS = ("工程部", "运维部", "采购部")
TAGS = ("客户A", "客户B", "2027", "紧急", "二期")
NAMES = ("泵站", "管网", "水厂", "变电所", "仓库", "调度中心", "污水站", "泵房", "阀门井", "监测点")


@dataclass(frozen=True, kw_only=True)
class _Life:
    number: int
    title: str
    assignee: str
    created: date
    due: date
    done: date | None  # None: still open today
    blocked: tuple[date, date] | None
    estimate_h: int
    milestone: str
    idle_days: int  # how long before a day it was last touched (the stale rule)


def _lives(rng: random.Random, start: date, today: date, milestones: list[tuple[str, date]], late: bool
           ) -> list[_Life]:
    out = []
    span = max(1, (today - start).days - 5)
    for n in range(1, rng.randint(30, 55) + 1):
        created = start + timedelta(days=rng.randint(0, span))
        planned = rng.randint(5, 30)
        cycle = round(planned * rng.uniform(0.5, 1.6 if late else 1.05))
        done = created + timedelta(days=max(1, cycle))
        block_from = created + timedelta(days=rng.randint(1, 10))
        blocked = (block_from, block_from + timedelta(days=rng.randint(2, 9))) if rng.random() < 0.15 else None
        name, _ = next(((m, d) for m, d in milestones if d >= created + timedelta(days=planned)), milestones[-1])
        out.append(_Life(number=n, title=f"{rng.choice(('安装', '调试', '采购', '检修', '验收'))}任务 {n}",
                         assignee=rng.choice(PEOPLE), created=created, due=created + timedelta(days=planned),
                         done=done if done <= today else None, blocked=blocked, estimate_h=rng.choice((4, 8, 16, 24)),
                         milestone=name, idle_days=rng.randint(0, 6)))
    return out


@functools.cache
def _at(day: date, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def _task(key: str, life: _Life, day: date, tz: ZoneInfo) -> Task:
    """The task as it stood at the end of `day`."""
    if life.done is not None and life.done <= day:
        status, percent = "done", 100
        updated = _at(life.done, 17, tz)
    else:
        end = life.done or life.due + timedelta(days=20)
        percent = min(95, round(100 * (day - life.created).days / max(1, (end - life.created).days)))
        blocked = life.blocked is not None and life.blocked[0] <= day <= life.blocked[1]
        status = "blocked" if blocked else "in_progress" if percent > 0 else "todo"
        updated = _at(max(life.created, day - timedelta(days=life.idle_days)), 10, tz)
    estimate = Decimal(life.estimate_h)
    return Task(key=f"{key}-{life.number}", project=key, title=life.title, status=status, percent=percent,
                assignee=life.assignee, due=life.due, estimate_h=estimate, spent_h=estimate * percent / 100,
                milestone=life.milestone, blocked_reason=None, updated_at=updated, created_at=_at(life.created, 9, tz))


def _project(i: int, rng: random.Random, today: date, tz: ZoneInfo) -> tuple[SeedProject, list[_Life], list[tuple[str, date]]]:
    key = f"HX{i:02d}"
    start = today - timedelta(days=rng.randint(DAYS // 2, DAYS - 1))
    length = (today - start).days
    milestones = [(f"M{j} {phase}", start + timedelta(days=round(length * share)))
                  for j, (phase, share) in enumerate((("设计", 0.4), ("施工", 0.9), ("验收", 1.25)), start=1)]
    lives = _lives(rng, start, today, milestones, late=i % 4 == 0)
    tasks = tuple(SeedTask(number=life.number, title=t.title, status=t.status, percent=t.percent,
                           assignee=t.assignee, due=t.due, estimate_min=life.estimate_h * 60,
                           spent_min=int(t.spent_h * 60), milestone=t.milestone, created_at=t.created_at or t.updated_at,
                           updated_at=t.updated_at, done_at=t.updated_at if t.status == "done" else None)
                  for life in lives for t in [_task(key, life, today, tz)])
    project = SeedProject(key=key, name=f"{NAMES[i % len(NAMES)]}改造 {i:02d}", department=DEPARTMENTS[i % 3],
                          tags=tuple(sorted({TAGS[i % len(TAGS)], TAGS[(i * 3) % len(TAGS)]})),
                          members=tuple(sorted({"alice", PEOPLE[1 + i % 3], PEOPLE[1 + (i + 1) % 3]})),
                          milestones=tuple(milestones), tasks=tasks)
    return project, lives, milestones


def _milestones(key: str, tasks: list[Task], milestones: list[tuple[str, date]]) -> list[Milestone]:
    out = []
    for j, (name, due) in enumerate(milestones):
        mine = [t for t in tasks if t.milestone == name]
        done = sum(t.status == "done" for t in mine)
        out.append(Milestone(id=j, project=key, name=name, due=due, tasks_total=len(mine), tasks_done=done,
                             percent=round(sum(t.percent for t in mine) / len(mine)) if mine else 0))
    return out


async def seed_history(rt: Runtime, *, projects: int = PROJECTS, days: int = DAYS, seed: int = 26) -> int:
    """Add the projects and their daily snapshots up to today (once: a second run changes nothing); returns the
    snapshot rows written."""
    tz = ZoneInfo(rt.config.timezone)
    now = rt.clock.now()
    today = now.astimezone(tz).date()
    rng = random.Random(seed)
    made = [_project(i, rng, today, tz) for i in range(1, projects + 1)]
    snap = DaySnapshot()
    for project, lives, milestones in made:
        first = min(life.created for life in lives)
        finished: dict[int, Task] = {}  # a done task stays as it is: made once
        for k in range(days):
            day = today - timedelta(days=days - 1 - k)
            if day < first:
                continue
            tasks = [finished.get(life.number) or _task(project.key, life, day, tz)
                     for life in lives if life.created <= day]
            finished.update({int(t.key.rsplit("-", 1)[1]): t for t in tasks if t.status == "done"})
            weekday = day.weekday() < 5
            expected = len(project.members) if weekday else 0
            answered = sum(rng.random() < 0.8 for _ in range(expected))
            logged = {life.assignee: 0 for life in lives}
            for t in tasks:
                if weekday and t.status == "in_progress" and t.assignee:
                    logged[t.assignee] += 60 * rng.choice((1, 2, 3))
            snap.add(day_figures(project.key, tasks, _milestones(project.key, tasks, milestones), day=day,
                                 now=_at(day, 18, tz), tz=tz, logged_min={p: m for p, m in logged.items() if m},
                                 approvals=rng.choice((0, 0, 0, 1, 2)), standups=(expected, answered),
                                 finishes=day == today))  # every finish is among today's done tasks
    async with rt.db.write() as s:
        if await existing_projects(s, [p.key for p, _, _ in made]):
            return 0
        await add_projects(s, [p for p, _, _ in made])
        rows = await History(s).save(snap, at=now)
    # Today's snapshot as the clock takes it: the demo's other projects join (the rows made above stay).
    return rows + await DailySnapshots(rt.db, rt.clock, rt.config, rt.remotes).take(now)
