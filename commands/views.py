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
        "currency": approval.currency,
        "chain": chain_view(approval, names),
        "engine": {"kind": approval.engine["kind"], "state": approval.engine.get("state"),
                   "result": approval.engine.get("result"), "url": approval.engine.get("url")}
        if approval.engine and approval.engine.get("state") != "new" else None,
    }


def chain_view(approval: Approval, names: dict[str, str]) -> list[dict[str, Any]]:
    """Each step of the approval's chain and where it stands, for the card; [] without a chain."""
    if not approval.chain:
        return []
    current = int(approval.chain["current"])
    steps = []
    for i, step in enumerate(approval.chain["steps"]):
        decided = {str(p): str(v) for p, v in step.get("decided") or ()}
        people = [*step["members"], *[p for p in step.get("stand_ins") or () if p not in step["members"]]]
        steps.append({"name": step["name"], "mode": step["mode"], "state": step["state"], "current": i == current,
                      "escalated": bool(step.get("stand_ins")),
                      "people": [{"name": names.get(p, p), "decided": decided.get(p)} for p in people]})
    return steps


def card_holders(approval: Approval) -> tuple[str, ...]:
    """Who holds a card of a chained approval: the people of the steps it has reached (not the requester)."""
    if not approval.chain:
        return approval.approvers
    reached = approval.chain["steps"][:int(approval.chain["current"]) + 1]
    ids = [p for step in reached for p in (*step["members"], *(step.get("stand_ins") or ()))]
    return tuple(dict.fromkeys(p for p in ids if p != approval.requester))


def approval_people(approval: Approval) -> list[str | None]:
    """Everyone an approval's card names: requester, decider, and each step's people."""
    ids: list[str | None] = [approval.requester, approval.decided_by, *approval.approvers]
    for step in (approval.chain or {}).get("steps", ()):
        ids += [*step["members"], *(step.get("stand_ins") or ())]
    return ids


def task_buttons(keys: list[str]) -> tuple[Action, ...]:
    """Open and Report for each task of a list."""
    return tuple(Action(id=verb, value=key) for key in keys for verb in ("open", "report"))


def approval_buttons(approval_id: int) -> tuple[Action, ...]:
    return (Action(id="approve", value=str(approval_id), style="primary"),
            Action(id="reject", value=str(approval_id), style="danger"))
