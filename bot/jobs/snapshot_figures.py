"""One project's figures of one day, from its tasks and milestones alone (no I/O): what the daily snapshot keeps
and what `pmsbot demo --history` replays for each past day.

Health follows the risk rules (commands/risk.py): **late** when a task is overdue or a milestone is past its
due date unfinished, **at risk** when any other rule fires (blocked, behind plan, stale, a milestone lagging),
else **on track**."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.records import Milestone, Task, Thresholds
from bot.store.dashboard import PercentChange
from bot.store.history import WHOLE, DaySnapshot, DoneTask, PersonDay, ProjectDay, RiskCount
from commands.risk import Risk, find_risks, linear_plan_percent, milestone_risks

HEALTH = ("ok", "risk", "late")  # worst last


def done_times(history: Iterable[PercentChange]) -> dict[str, datetime]:
    """When each task last reached 100 % (and stayed there), from its percent history, oldest first."""
    out: dict[str, datetime] = {}
    for change in history:
        if change.percent >= 100:
            out.setdefault(change.task_key, change.at)
        else:
            out.pop(change.task_key, None)
    return out


def health_of(risks: Sequence[Risk], today: date) -> str:
    late = any(r.kind == "overdue" or (r.kind == "milestone" and str(r.detail.get("due", "9999")) < today.isoformat())
               for r in risks)
    return "late" if late else "risk" if risks else "ok"


def _minutes(hours: Decimal) -> int:
    return int(hours * 60)


def _remaining_min(task: Task) -> int:
    if task.status == "done" or task.estimate_h is None:
        return 0
    return max(0, _minutes(task.estimate_h - task.spent_h))


def _counts(project: str, day: date, milestone: str, tasks: Sequence[Task], due: date | None) -> ProjectDay:
    plans = [linear_plan_percent(t.created_at.date(), t.due, day) for t in tasks
             if t.created_at is not None and t.due is not None]
    percents = [100 if t.status == "done" else t.percent for t in tasks]
    return ProjectDay(
        project=project, day=day, milestone=milestone, due=due, total=len(tasks),
        done=sum(t.status == "done" for t in tasks), blocked=sum(t.status == "blocked" for t in tasks),
        overdue=sum(t.status != "done" and t.due is not None and t.due < day for t in tasks),
        percent=round(sum(percents) / len(percents)) if percents else 0,
        plan_percent=round(sum(plans) / len(plans)) if plans else None,
        remaining_min=sum(_remaining_min(t) for t in tasks))


def day_figures(project: str, tasks: Sequence[Task], milestones: Sequence[Milestone], *, day: date,
                now: datetime, tz: ZoneInfo, limits: Thresholds | None = None,
                done_at: Mapping[str, datetime] | None = None, logged_min: Mapping[str, int] | None = None,
                approvals: int = 0, standups: tuple[int, int] = (0, 0), finishes: bool = True) -> DaySnapshot:
    """The project's rows of `day`: its own, one per milestone, one per person with open work or hours logged,
    its risk counts by kind, and (with `finishes`) its done tasks with their cycle times."""
    risks = find_risks(list(tasks), today=day, now=now, limits=limits)
    risks += milestone_risks(list(milestones), list(tasks), today=day, limits=limits)
    own = _counts(project, day, WHOLE, tasks, max((m.due for m in milestones if m.due), default=None))
    snap = DaySnapshot(projects=[replace(own, health=health_of(risks, day), risks=len(risks), approvals=approvals,
                                         standup_expected=standups[0], standup_answered=standups[1])])
    for m in milestones:
        snap.projects.append(_counts(project, day, m.name, [t for t in tasks if t.milestone == m.name], m.due))
    people: dict[str, list[int]] = {}
    for task in tasks:
        if task.status != "done":
            load = people.setdefault(task.assignee or "", [0, 0, 0])
            load[0] += 1
            load[1] += _remaining_min(task)
    for person, minutes in (logged_min or {}).items():
        people.setdefault(person, [0, 0, 0])[2] += minutes
    snap.people = [PersonDay(project=project, person=p, day=day, open_tasks=n, remaining_min=r, logged_min=lg)
                   for p, (n, r, lg) in sorted(people.items())]
    snap.risks = [RiskCount(project=project, day=day, kind=k, count=n)
                  for k, n in sorted(Counter(r.kind for r in risks).items())]
    finished = done_at or {}
    for task in tasks if finishes else ():
        if task.status != "done":
            continue
        at = finished.get(task.key, task.updated_at)
        cycle = None if task.created_at is None else max(
            0, (at.astimezone(tz).date() - task.created_at.astimezone(tz).date()).days)
        snap.done.append(DoneTask(project=project, task=task.key, person=task.assignee,
                                  done_day=at.astimezone(tz).date(), cycle_days=cycle))
    return snap
