"""Risk rules over tasks: pure functions, shared by the `risks` command and the clock's scans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from bot.records import Task

STALE_AFTER_DAYS = 3
DUE_SOON_DAYS = 3
DUE_SOON_MIN_PERCENT = 50

RiskKind = Literal["overdue", "blocked", "stale", "behind"]


@dataclass(frozen=True, kw_only=True)
class Risk:
    kind: RiskKind
    task: Task
    days: int  # days overdue, days stale, or days left


def find_risks(tasks: list[Task], *, today: date, now: datetime) -> list[Risk]:
    """One risk per task, the most serious first: blocked, overdue, behind, stale."""
    out: list[Risk] = []
    for task in tasks:
        if task.status == "done":
            continue
        if task.status == "blocked":
            out.append(Risk(kind="blocked", task=task, days=0))
        elif task.due is not None and task.due < today:
            out.append(Risk(kind="overdue", task=task, days=(today - task.due).days))
        elif (
            task.due is not None
            and (task.due - today).days <= DUE_SOON_DAYS
            and task.percent < DUE_SOON_MIN_PERCENT
        ):
            out.append(Risk(kind="behind", task=task, days=(task.due - today).days))
        elif now - task.updated_at > timedelta(days=STALE_AFTER_DAYS):
            out.append(Risk(kind="stale", task=task, days=(now - task.updated_at).days))
    order = {"blocked": 0, "overdue": 1, "behind": 2, "stale": 3}
    return sorted(out, key=lambda r: (order[r.kind], r.task.key))
