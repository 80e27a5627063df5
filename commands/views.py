"""How a task and an approval look to templates (plain dicts), and an approval card's buttons; shared by
chat replies, reminders, hooks and web pages."""

from __future__ import annotations

from typing import Any

from bot.records import Action, Approval, Task


def task_view(task: Task, names: dict[str, str]) -> dict[str, Any]:
    return {
        "key": task.key,
        "title": task.title,
        "status": task.status,
        "percent": task.percent,
        "assignee": names.get(task.assignee, task.assignee) if task.assignee else None,
        "due": task.due.isoformat() if task.due else None,
        "spent_h": str(task.spent_h),
        "estimate_h": str(task.estimate_h) if task.estimate_h is not None else None,
        "milestone": task.milestone,
        "blocked_reason": task.blocked_reason,
    }


def approval_view(approval: Approval, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": approval.id,
        "project": approval.project,
        "subject": approval.subject,
        "amount": f"{approval.amount:,.2f}" if approval.amount is not None else None,
        "requester": names.get(approval.requester, approval.requester),
        "approvers": [names.get(a, a) for a in approval.approvers],
        "state": approval.state,
        "decided_by": names.get(approval.decided_by, approval.decided_by) if approval.decided_by else None,
        "decided_at": approval.decided_at.isoformat(timespec="minutes") if approval.decided_at else None,
        "comment": approval.comment,
    }


def task_buttons(keys: list[str]) -> tuple[Action, ...]:
    """Open and Report for each task of a list."""
    return tuple(Action(id=verb, value=key) for key in keys for verb in ("open", "report"))


def approval_buttons(approval_id: int) -> tuple[Action, ...]:
    return (Action(id="approve", value=str(approval_id), style="primary"),
            Action(id="reject", value=str(approval_id), style="danger"))
