"""The trend pages' figures from the kept snapshots (no I/O): burndown and burnup, cycle time per week (median
and 85th percentile), throughput, workload per person per week, risk counts by kind, standup participation.
The CSV and XLSX downloads are made of the same `Table`s the charts draw."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.store.history import DoneTask, PersonDay, ProjectDay, RiskCount
from bot.web import charts

Cell = str | int | float | None


@dataclass(frozen=True, kw_only=True)
class Table:
    name: str  # the sheet's name and the CSV's `figure` column
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def weeks_between(since: date, until: date) -> list[charts.Week]:
    """The ISO weeks from the one holding `since` to the one holding `until`."""
    monday = since - timedelta(days=since.weekday())
    out = []
    while monday <= until:
        year, week, _ = monday.isocalendar()
        out.append(charts.Week(iso=f"{year}-W{week:02d}", label=f"W{week:02d}", start=monday,
                               end=monday + timedelta(days=6), current=monday <= until <= monday + timedelta(days=6)))
        monday += timedelta(weeks=1)
    return out


def p85(values: Sequence[int]) -> int | None:
    """The 85th percentile by nearest rank: the smallest value at or above 85 % of them."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.85 * len(ordered)) - 1)]


def median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


@dataclass(frozen=True, kw_only=True)
class BurnDay:
    day: date
    scope: int
    done: int
    open: int
    remaining_h: float
    percent: int
    plan_percent: int | None
    ideal: float | None  # open tasks on the straight line from the first day's to none at the due date


def burn(days: Sequence[ProjectDay], *, due: date | None) -> list[BurnDay]:
    """One point per kept day. The ideal line runs from the first day's open tasks to zero on `due` (the
    milestone's, or the project's last milestone's); without a due date there is none."""
    if not days:
        return []
    first = days[0]
    start_open = first.total - first.done
    span = (due - first.day).days if due is not None else 0
    out = []
    for d in days:
        ideal = None
        if due is not None:
            ideal = round(max(0.0, start_open * (1 - (d.day - first.day).days / span)) if span > 0 else 0.0, 2)
        out.append(BurnDay(day=d.day, scope=d.total, done=d.done, open=d.total - d.done,
                           remaining_h=round(d.remaining_min / 60, 1), percent=d.percent,
                           plan_percent=d.plan_percent, ideal=ideal))
    return out


@dataclass(frozen=True, kw_only=True)
class WeekCycle:
    week: charts.Week
    done: int  # throughput
    median: float | None  # days
    p85: int | None


def weekly_cycle(done: Sequence[DoneTask], weeks: Sequence[charts.Week]) -> list[WeekCycle]:
    by_week: dict[date, list[DoneTask]] = defaultdict(list)
    for d in done:
        by_week[d.done_day - timedelta(days=d.done_day.weekday())].append(d)
    out = []
    for w in weeks:
        tasks = by_week.get(w.start, [])
        days = [t.cycle_days for t in tasks if t.cycle_days is not None]
        out.append(WeekCycle(week=w, done=len(tasks), median=median(days), p85=p85(days)))
    return out


def workload_rows(days: Sequence[PersonDay], weeks: Sequence[charts.Week], *, names: Mapping[str, str],
                  unassigned: str) -> list[charts.HeatRow]:
    """Per person per week: hours logged in the week, and the remaining estimate of their open tasks on the
    week's last kept day (drawn as the heat map's "planned")."""
    index = {w.start: i for i, w in enumerate(weeks)}
    logged: dict[str, list[float]] = {}
    remaining: dict[str, dict[int, tuple[date, float]]] = defaultdict(dict)
    for d in days:
        i = index.get(d.day - timedelta(days=d.day.weekday()))
        if i is None:
            continue
        logged.setdefault(d.person, [0.0] * len(weeks))[i] += d.logged_min / 60
        last = remaining[d.person].get(i)
        if last is None or last[0] <= d.day:
            remaining[d.person][i] = (d.day, d.remaining_min / 60)
    rows = []
    for person in set(logged) | set(remaining):
        planned = [remaining[person].get(i, (None, 0.0))[1] for i in range(len(weeks))]
        rows.append(charts.HeatRow(person_id=person, person=names.get(person, person) if person else unassigned,
                                   logged=tuple(logged.get(person, [0.0] * len(weeks))), planned=tuple(planned),
                                   undated=0.0))
    rows.sort(key=lambda r: (r.person_id == "", r.person.casefold(), r.person_id))
    return rows


def risk_series(counts: Sequence[RiskCount], days: Sequence[date]) -> dict[str, list[tuple[date, int]]]:
    """Each kind seen, with a count on every kept day (0 where it did not fire)."""
    by = {(c.kind, c.day): c.count for c in counts}
    kinds = sorted({c.kind for c in counts})
    return {k: [(d, by.get((k, d), 0)) for d in days] for k in kinds}


@dataclass(frozen=True, kw_only=True)
class WeekStandups:
    week: charts.Week
    expected: int
    answered: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.answered / self.expected) if self.expected else None


def standup_weeks(days: Sequence[ProjectDay], weeks: Sequence[charts.Week]) -> list[WeekStandups]:
    sums: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for d in days:
        s = sums[d.day - timedelta(days=d.day.weekday())]
        s[0] += d.standup_expected
        s[1] += d.standup_answered
    return [WeekStandups(week=w, expected=sums[w.start][0], answered=sums[w.start][1]) for w in weeks]


def tables(burns: Sequence[BurnDay], cycles: Sequence[WeekCycle], load: Sequence[charts.HeatRow],
           weeks: Sequence[charts.Week], risks: Mapping[str, list[tuple[date, int]]],
           standups: Sequence[WeekStandups]) -> list[Table]:
    """The downloads: the very numbers the charts draw."""
    return [
        Table(name="burndown", header=("day", "scope", "done", "open", "ideal_open", "remaining_h", "percent",
                                       "plan_percent"),
              rows=[(b.day.isoformat(), b.scope, b.done, b.open, b.ideal, b.remaining_h, b.percent, b.plan_percent)
                    for b in burns]),
        Table(name="cycle_time", header=("week", "week_start", "throughput", "median_days", "p85_days"),
              rows=[(c.week.iso, c.week.start.isoformat(), c.done, c.median, c.p85) for c in cycles]),
        Table(name="workload", header=("week", "person_id", "person", "logged_h", "remaining_h"),
              rows=[(w.iso, r.person_id, r.person, round(r.logged[i], 1), round(r.planned[i], 1))
                    for r in load for i, w in enumerate(weeks)]),
        Table(name="risks", header=("day", "kind", "count"),
              rows=[(d.isoformat(), kind, n) for kind, points in risks.items() for d, n in points]),
        Table(name="standups", header=("week", "expected", "answered", "percent"),
              rows=[(s.week.iso, s.expected, s.answered, s.percent) for s in standups]),
    ]
