"""The project dashboard's figures, from tasks and history alone (no I/O): cycle times, the workload heat map,
the budget burn against progress."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.jobs.snapshot_figures import done_times as done_times
from bot.records import Task
from bot.store.dashboard import LoggedWork, MetricPoint, PercentChange
from bot.store.metrics import BUDGET, BUDGET_SPENT
from bot.web import charts

PAST_WEEKS = 8  # heat-map columns: this ISO week and the 7 before it (logged hours) ...
NEXT_WEEKS = 4  # ... and the 4 after it (planned hours)
CYCLE_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 1, "0-1"), (2, 3, "2-3"), (4, 7, "4-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, None, "31+"))


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
