"""Risk rules: pure functions, shared by the `risks` command and the clock's scans.

Task rules (one risk per task, the most serious): blocked, overdue, behind (due within N days and behind the
linear plan from the task's start to its due date), stale (no update for N days). Project rules: milestone
(due within N days and its tasks' aggregate progress behind the linear plan, or holding blocked or overdue
tasks), budget (spent above a share of the budget while progress lags the spending), integration (a connector's
success rate below the minimum over a window). Thresholds come from the scan's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from bot.records import Milestone, Task, Thresholds

RiskKind = Literal["overdue", "blocked", "stale", "behind", "milestone", "budget", "integration"]
TASK_RULES: tuple[RiskKind, ...] = ("overdue", "blocked", "behind", "stale")
ALL_RULES: tuple[RiskKind, ...] = (*TASK_RULES, "milestone", "budget", "integration")
ORDER = {kind: n for n, kind in enumerate(("blocked", "overdue", "milestone", "budget", "behind", "integration",
                                           "stale"))}


@dataclass(frozen=True, kw_only=True)
class Risk:
    kind: RiskKind
    subject: str  # what the risk is about, the dedupe key with the rule: a task key, "milestone:M1", ...
    days: int = 0  # days overdue, days stale, or days left
    task: Task | None = None
    detail: dict[str, Any] = field(default_factory=dict)  # what the project rules show (figures, names)


def linear_plan_percent(start: date, due: date, today: date) -> int:
    """Where a straight line from 0 % at `start` to 100 % at `due` stands today."""
    if due <= start:
        return 100 if today >= due else 0
    share = (today - start).days / (due - start).days
    return max(0, min(100, round(100 * share)))


def find_risks(tasks: list[Task], *, today: date, now: datetime, limits: Thresholds | None = None) -> list[Risk]:
    """One risk per task, the most serious first: blocked, overdue, behind, stale."""
    lim = limits or Thresholds()
    out: list[Risk] = []
    for task in tasks:
        if task.status == "done":
            continue
        if task.status == "blocked":
            out.append(Risk(kind="blocked", subject=task.key, task=task))
        elif task.due is not None and task.due < today:
            out.append(Risk(kind="overdue", subject=task.key, task=task, days=(today - task.due).days))
        elif task.due is not None and (task.due - today).days <= lim.behind_days and _behind(task, today, lim):
            out.append(Risk(kind="behind", subject=task.key, task=task, days=(task.due - today).days))
        elif now - task.updated_at > timedelta(days=lim.stale_days):
            out.append(Risk(kind="stale", subject=task.key, task=task, days=(now - task.updated_at).days))
    return sorted(out, key=lambda r: (ORDER[r.kind], r.subject))


def _behind(task: Task, today: date, lim: Thresholds) -> bool:
    assert task.due is not None
    if task.created_at is None:
        return task.percent < lim.behind_min_percent
    planned = linear_plan_percent(task.created_at.date(), task.due, today)
    return task.percent < planned - lim.behind_margin_percent


def milestone_risks(milestones: list[Milestone], tasks: list[Task], *, today: date,
                    limits: Thresholds | None = None) -> list[Risk]:
    """A milestone due soon (or past) that is not done, whose tasks lag the plan or hold blocked/overdue work."""
    lim = limits or Thresholds()
    out: list[Risk] = []
    for m in milestones:
        if m.due is None or m.tasks_total == 0 or m.tasks_done == m.tasks_total:
            continue
        left = (m.due - today).days
        if left > lim.milestone_days:
            continue
        mine = [t for t in tasks if t.milestone == m.name and t.status != "done"]
        blocked = [t.key for t in mine if t.status == "blocked"]
        overdue = [t.key for t in mine if t.due is not None and t.due < today and t.status != "blocked"]
        starts = [t.created_at.date() for t in tasks if t.milestone == m.name and t.created_at is not None]
        planned = linear_plan_percent(min(starts), m.due, today) if starts else 100
        lagging = m.percent < planned - lim.milestone_margin_percent
        if left < 0 or blocked or overdue or lagging:
            out.append(Risk(kind="milestone", subject=f"milestone:{m.name}"[:100], days=max(0, left), detail={
                "milestone": m.name, "due": m.due.isoformat(), "percent": m.percent, "planned": planned,
                "blocked": blocked, "overdue": overdue, "done": m.tasks_done, "total": m.tasks_total}))
    return out


def budget_risk(*, budget: Decimal | None, spent: Decimal | None, progress_percent: int,
                limits: Thresholds | None = None) -> list[Risk]:
    """Spending ahead of progress: at least `budget_share` of the budget gone while progress trails it."""
    lim = limits or Thresholds()
    if budget is None or spent is None or budget <= 0:
        return []
    share = spent / budget
    # Over budget with the work done is an overrun, not this rule's business: progress is compared up to 100 %.
    if share < lim.budget_share or progress_percent >= min(share * 100, Decimal(100)) - lim.budget_margin_percent:
        return []
    return [Risk(kind="budget", subject="budget", detail={
        "spent": f"{spent:,.2f}", "budget": f"{budget:,.2f}", "spent_percent": round(share * 100),
        "progress": progress_percent})]


def integration_risks(outcomes: dict[str, tuple[int, int]], *, limits: Thresholds | None = None) -> list[Risk]:
    """Connectors whose success rate over the window is below the minimum. `outcomes`: connector -> (ok, calls)."""
    lim = limits or Thresholds()
    out = []
    for connector, (ok, calls) in sorted(outcomes.items()):
        if calls >= lim.integration_min_calls and ok / calls < lim.integration_min_rate:
            out.append(Risk(kind="integration", subject=f"connector:{connector}"[:100], detail={
                "connector": connector, "rate": f"{100 * ok / calls:.1f}", "calls": calls, "failed": calls - ok,
                "window_h": f"{lim.integration_window_h:g}", "min_rate": f"{100 * lim.integration_min_rate:g}"}))
    return out
