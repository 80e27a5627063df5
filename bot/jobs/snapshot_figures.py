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


_Facts = tuple[int, int, int, int, int | None, int]  # done, blocked, overdue, percent, plan percent, remaining


def _facts(task: Task, day: date) -> _Facts:
    done = task.status == "done"
    plan = linear_plan_percent(task.created_at.date(), task.due, day) \
        if task.created_at is not None and task.due is not None else None
    return (int(done), int(task.status == "blocked"), int(not done and task.due is not None and task.due < day),
            100 if done else task.percent, plan, _remaining_min(task))


def _counts(project: str, day: date, milestone: str, facts: Sequence[_Facts], due: date | None) -> ProjectDay:
    plans = [f[4] for f in facts if f[4] is not None]
    return ProjectDay(
        project=project, day=day, milestone=milestone, due=due, total=len(facts),
        done=sum(f[0] for f in facts), blocked=sum(f[1] for f in facts), overdue=sum(f[2] for f in facts),
        percent=round(sum(f[3] for f in facts) / len(facts)) if facts else 0,
        plan_percent=round(sum(plans) / len(plans)) if plans else None,
        remaining_min=sum(f[5] for f in facts))


def day_figures(project: str, tasks: Sequence[Task], milestones: Sequence[Milestone], *, day: date,
                now: datetime, tz: ZoneInfo, limits: Thresholds | None = None,
                done_at: Mapping[str, datetime] | None = None, logged_min: Mapping[str, int] | None = None,
                approvals: int = 0, standups: tuple[int, int] = (0, 0), finishes: bool = True) -> DaySnapshot:
    """The project's rows of `day`: its own, one per milestone, one per person with open work or hours logged,
    its risk counts by kind, and (with `finishes`) its done tasks with their cycle times."""
    risks = find_risks(list(tasks), today=day, now=now, limits=limits)
    risks += milestone_risks(list(milestones), list(tasks), today=day, limits=limits)
    facts = [_facts(t, day) for t in tasks]  # once per task, summed for the project and each milestone
    own = _counts(project, day, WHOLE, facts, max((m.due for m in milestones if m.due), default=None))
    snap = DaySnapshot(projects=[replace(own, health=health_of(risks, day), risks=len(risks), approvals=approvals,
                                         standup_expected=standups[0], standup_answered=standups[1])])
    for m in milestones:
        snap.projects.append(_counts(project, day, m.name, [f for f, t in zip(facts, tasks, strict=True)
                                                             if t.milestone == m.name], m.due))
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
