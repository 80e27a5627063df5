"""One handler per verb. Each checks permission, talks to the PMS and the workspace, and returns replies.

A handler raises CommandError to refuse; the dispatcher then rolls back everything the handler did.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.constants import MAX_NAME_CHARS, MAX_NOTE_CHARS, MAX_TITLE_CHARS, PMS_SCAN_MAX_TASKS
from bot.pms.base import PMS, PMSError
from bot.records import Action, Approval, Person, Project, Reply, Task
from commands import model
from commands.filters import FilterError, parse_filter
from commands.ports import CommandError, Context, Links
from commands.risk import find_risks

MAX_LIST = 20  # rows in a chat list; longer lists say how many more there are
MAX_AMOUNT = Decimal("1000000000000")


def _is_member(person: Person, project: Project) -> bool:
    return person.id in project.members or person.id in project.approvers or "admin" in person.roles


async def _project(ctx: Context, key: str) -> Project:
    project = await ctx.workspace.project(key)
    if project is None:
        raise CommandError("unknown_project", project=key)
    return project


async def _readable(ctx: Context, key: str) -> Project:
    """A project the person may read: its members, approvers and admins, or everyone if it says so."""
    project = await _project(ctx, key)
    same_department = project.read == "department" and project.department is not None \
        and ctx.person.department == project.department
    if project.read != "everyone" and not same_department and not _is_member(ctx.person, project):
        admins = [a.name for a in await ctx.workspace.people_with_role("admin")]
        raise CommandError("not_reader", project=project.key, grant=", ".join(admins[:3]) or "-")
    return project


async def _task(ctx: Context, key: str) -> tuple[Project, PMS, Task]:
    project = await _project(ctx, key.rsplit("-", 1)[0])
    pms = ctx.pms_for(project)
    task = await pms.get_task(key)
    if task is None:
        raise CommandError("unknown_task", task=key)
    return project, pms, task


async def _writable_task(ctx: Context, key: str) -> tuple[PMS, Task]:
    project, pms, task = await _task(ctx, key)
    if not _is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    return pms, task


async def _names(ctx: Context, ids: list[str | None]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pid in {i for i in ids if i}:
        person = await ctx.workspace.person(pid)
        out[pid] = person.name if person else pid
    return out


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


def approval_buttons(approval_id: int) -> tuple[Action, ...]:
    return (Action(id="approve", value=str(approval_id), style="primary"),
            Action(id="reject", value=str(approval_id), style="danger"))


async def _audit(ctx: Context, action: str, subject: str, /, **detail: Any) -> None:
    await ctx.workspace.audit(actor=ctx.person.id, action=action, subject=subject, detail=detail, now=ctx.now)


async def help_(ctx: Context, cmd: model.Help) -> list[Reply]:
    return [Reply(kind="help", data={"topic": cmd.topic})]


async def status(ctx: Context, cmd: model.Status) -> list[Reply]:
    if "-" in cmd.target:
        await _readable(ctx, cmd.target.rsplit("-", 1)[0])
        _, _, task = await _task(ctx, cmd.target)
        names = await _names(ctx, [task.assignee])
        return [Reply(kind="task_status", data={"task": task_view(task, names)})]
    project = await _readable(ctx, cmd.target)
    pms = ctx.pms_for(project)
    if cmd.milestone:
        wanted = cmd.milestone.casefold()
        milestones = [m for m in await pms.list_milestones(project.key) if m.name.casefold() == wanted]
        if not milestones:
            raise CommandError("unknown_milestone", project=project.key, milestone=cmd.milestone)
        m = milestones[0]
        return [Reply(kind="milestone_status", data={
            "project": project.key, "name": m.name, "due": m.due.isoformat() if m.due else None,
            "percent": m.percent, "tasks_total": m.tasks_total, "tasks_done": m.tasks_done,
        })]
    summary = await pms.project_summary(project.key, today=ctx.today)
    return [Reply(kind="project_status", data={
        "key": project.key, "name": summary.name, "percent": summary.percent,
        "tasks_total": summary.tasks_total, "tasks_done": summary.tasks_done,
        "tasks_blocked": summary.tasks_blocked, "tasks_overdue": summary.tasks_overdue,
        "milestones": [
            {"name": m.name, "due": m.due.isoformat() if m.due else None, "percent": m.percent,
             "tasks_total": m.tasks_total, "tasks_done": m.tasks_done}
            for m in summary.milestones
        ],
    })]


async def my_tasks(ctx: Context, cmd: model.MyTasks) -> list[Reply]:
    tasks: list[Task] = []
    for project in await ctx.workspace.projects_of(ctx.person.id):
        tasks.extend(await ctx.pms_for(project).search_tasks(project=project.key, assignee=ctx.person))
    names = await _names(ctx, [t.assignee for t in tasks])
    return [Reply(kind="my_tasks", data={
        "tasks": [task_view(t, names) for t in tasks[:MAX_LIST]], "more": max(0, len(tasks) - MAX_LIST),
    })]


async def report(ctx: Context, cmd: model.Report) -> list[Reply]:
    pms, task = await _writable_task(ctx, cmd.task)
    if cmd.percent is None and not cmd.note and cmd.hours is None:
        raise CommandError("nothing_to_report", task=cmd.task)
    before = task.percent
    updated = await pms.report_progress(task.key, percent=cmd.percent, note=cmd.note, hours=cmd.hours, by=ctx.person)
    await _audit(ctx, "pms.report", task.key, pms=pms.name, percent=cmd.percent, before=before,
                 hours=str(cmd.hours) if cmd.hours is not None else None, note=cmd.note)
    names = await _names(ctx, [updated.assignee])
    return [Reply(kind="progress_reported", data={
        "task": task_view(updated, names), "before": before, "hours": str(cmd.hours) if cmd.hours else None,
        "note": cmd.note,
    })]


async def done(ctx: Context, cmd: model.Done) -> list[Reply]:
    pms, task = await _writable_task(ctx, cmd.task)
    if task.status == "done":
        raise CommandError("already_done", task=task.key)
    if cmd.hours is not None:
        await pms.check_move(task.key, "done", by=ctx.person)  # a refused move must not leave hours logged
        await pms.log_work(task.key, cmd.hours, note=cmd.note, by=ctx.person)
    # The note rides on the transition (a comment on it, in every PMS), not as a comment of its own as well.
    updated = await pms.transition(task.key, "done", reason=cmd.note, by=ctx.person)
    await _audit(ctx, "pms.done", task.key, pms=pms.name, note=cmd.note,
                 hours=str(cmd.hours) if cmd.hours is not None else None)
    names = await _names(ctx, [updated.assignee])
    return [Reply(kind="task_done", data={"task": task_view(updated, names)})]


async def block(ctx: Context, cmd: model.Block) -> list[Reply]:
    pms, task = await _writable_task(ctx, cmd.task)
    if task.status == "done":
        raise CommandError("already_done", task=task.key)
    updated = await pms.transition(task.key, "blocked", reason=cmd.reason, by=ctx.person)
    await _audit(ctx, "pms.block", task.key, pms=pms.name, reason=cmd.reason)
    names = await _names(ctx, [updated.assignee])
    return [Reply(kind="task_blocked", data={"task": task_view(updated, names), "reason": cmd.reason})]


async def new(ctx: Context, cmd: model.New) -> list[Reply]:
    project = await _project(ctx, cmd.project)
    if not _is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    assignee: Person | None = None
    if cmd.assignee:
        assignee = await ctx.workspace.find_person(cmd.assignee)
        if assignee is None:
            raise CommandError("unknown_person", person=cmd.assignee)
        if not _is_member(assignee, project):
            raise CommandError("assignee_not_member", person=assignee.name, project=project.key)
    if cmd.due is not None and cmd.due < ctx.today:
        raise CommandError("due_in_past", due=cmd.due.isoformat())
    pms = ctx.pms_for(project)
    task = await pms.create_task(project.key, cmd.title, assignee=assignee, due=cmd.due, by=ctx.person)
    await _audit(ctx, "pms.create", task.key, pms=pms.name, title=cmd.title,
                 assignee=assignee.id if assignee else None, due=cmd.due.isoformat() if cmd.due else None)
    names = await _names(ctx, [task.assignee])
    replies = [Reply(kind="task_created", data={"task": task_view(task, names)})]
    if assignee is not None and assignee.id != ctx.person.id:
        replies.append(Reply(kind="task_assigned", to_person=assignee.id,
                             data={"task": task_view(task, names), "by": ctx.person.name}))
    return replies


async def request(ctx: Context, cmd: model.Request) -> list[Reply]:
    project = await _project(ctx, cmd.project)
    if not _is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    if cmd.amount is not None and not (Decimal(0) < cmd.amount < MAX_AMOUNT):
        raise CommandError("bad_amount", value=cmd.amount)
    approvers = tuple(a for a in project.approvers if a != ctx.person.id)
    if not approvers:
        raise CommandError("no_approvers", project=project.key)
    approval = await ctx.workspace.create_approval(
        project=project.key, requester=ctx.person.id, approvers=approvers, subject=cmd.subject, amount=cmd.amount,
        origin=ctx.platform, now=ctx.now,
    )
    await _audit(ctx, "approval.request", f"approval:{approval.id}", project=project.key, subject=cmd.subject,
                 amount=str(cmd.amount) if cmd.amount is not None else None, approvers=list(approvers))
    names = await _names(ctx, [approval.requester, *approval.approvers])
    view = approval_view(approval, names)
    replies = [Reply(kind="request_created", data={"approval": view})]
    buttons = approval_buttons(approval.id)
    for approver in approvers:
        replies.append(Reply(kind="approval_card", to_person=approver, data={"approval": view}, actions=buttons,
                             card_ref=f"approval:{approval.id}"))
    return replies


async def _decide(ctx: Context, approval_id: int, state: str, comment: str) -> list[Reply]:
    approval = await ctx.workspace.approval(approval_id)
    if approval is None:
        raise CommandError("unknown_approval", id=approval_id)
    if approval.requester == ctx.person.id:
        raise CommandError("own_request", id=approval_id)
    if ctx.person.id not in approval.approvers:
        raise CommandError("not_approver", id=approval_id)
    if approval.state != "pending":
        await _raise_decided(ctx, approval)
    assert state in ("approved", "rejected")
    decided = await ctx.workspace.decide_approval(
        approval_id, by=ctx.person.id, state="approved" if state == "approved" else "rejected", comment=comment,
        now=ctx.now,
    )
    if decided is None:  # another approver won the race between our read and our write
        fresh = await ctx.workspace.approval(approval_id)
        assert fresh is not None
        await _raise_decided(ctx, fresh)
        raise AssertionError("unreachable")
    await _audit(ctx, f"approval.{state}", f"approval:{approval_id}", comment=comment)
    names = await _names(ctx, [decided.requester, decided.decided_by, *decided.approvers])
    view = approval_view(decided, names)
    replies = [Reply(kind="approval_decided", data={"approval": view})]
    for approver in decided.approvers:
        replies.append(Reply(kind="approval_card", to_person=approver, data={"approval": view},
                             card_ref=f"approval:{approval_id}", update=True))
    replies.append(Reply(kind="approval_result", to_person=decided.requester, data={"approval": view}))
    # The project's chat sees the outcome too, however it was decided (a button, a link, a typed command).
    replies.append(Reply(kind="approval_announced", to_project=decided.project, data={"approval": view}))
    if decided.origin.startswith("source:"):  # the system that asked hears the decision at its callback URL
        replies.append(Reply(kind="approval_callback", to_source=decided.origin.removeprefix("source:"),
                             card_ref=f"approval:{decided.id}:{decided.state}", data={
            "approval": view, "ref": decided.ref, "decided_by_id": decided.decided_by,
            "decided_at_iso": decided.decided_at.isoformat() if decided.decided_at else None}))
    return replies


async def _raise_decided(ctx: Context, approval: Approval) -> None:
    names = await _names(ctx, [approval.decided_by])
    raise CommandError(
        "already_decided", id=approval.id, state=approval.state,
        by=names.get(approval.decided_by or "", approval.decided_by or ""),
    )


async def delegate(ctx: Context, cmd: model.Delegate) -> list[Reply]:
    """An approver hands their part of a pending request to someone else, who gets the card."""
    approval = await ctx.workspace.approval(cmd.approval_id)
    if approval is None:
        raise CommandError("unknown_approval", id=cmd.approval_id)
    if ctx.person.id not in approval.approvers:
        raise CommandError("not_approver", id=cmd.approval_id)
    if approval.state != "pending":
        await _raise_decided(ctx, approval)
    target = await ctx.workspace.find_person(cmd.to)
    if target is None:
        raise CommandError("unknown_person", person=cmd.to)
    if target.id == ctx.person.id:
        raise CommandError("delegate_to_self", id=cmd.approval_id)
    if target.id == approval.requester:
        raise CommandError("delegate_to_requester", id=cmd.approval_id, person=target.name)
    delegated = await ctx.workspace.delegate_approval(cmd.approval_id, by=ctx.person.id, to=target.id)
    if delegated is None:  # decided (or delegated) by someone else between our read and our write
        fresh = await ctx.workspace.approval(cmd.approval_id)
        assert fresh is not None
        if fresh.state != "pending":
            await _raise_decided(ctx, fresh)
        raise CommandError("not_approver", id=cmd.approval_id)
    await _audit(ctx, "approval.delegate", f"approval:{cmd.approval_id}", to=target.id)
    names = await _names(ctx, [delegated.requester, *delegated.approvers, ctx.person.id])
    view = approval_view(delegated, names)
    data = {"approval": view, "by": ctx.person.name, "to": target.name}
    return [
        Reply(kind="approval_delegated", data=data),
        Reply(kind="approval_card", to_person=target.id, data={"approval": view, "delegated_by": ctx.person.name},
              actions=approval_buttons(cmd.approval_id), card_ref=f"approval:{cmd.approval_id}"),
        # The delegator's card loses its buttons and says who decides now.
        Reply(kind="approval_card", to_person=ctx.person.id, data={"approval": view, "delegated_to": target.name},
              card_ref=f"approval:{cmd.approval_id}", update=True),
        Reply(kind="approval_delegated", to_person=delegated.requester, data={**data, "for_requester": True}),
    ]


async def approve(ctx: Context, cmd: model.Approve) -> list[Reply]:
    return await _decide(ctx, cmd.approval_id, "approved", cmd.comment)


async def reject(ctx: Context, cmd: model.Reject) -> list[Reply]:
    return await _decide(ctx, cmd.approval_id, "rejected", cmd.reason)


async def approvals(ctx: Context, cmd: model.Approvals) -> list[Reply]:
    pending = await ctx.workspace.pending_approvals_for(ctx.person.id)
    names = await _names(ctx, [a.requester for a in pending])
    return [Reply(kind="approvals_list", data={
        "approvals": [approval_view(a, names) for a in pending[:MAX_LIST]], "more": max(0, len(pending) - MAX_LIST),
    })]


async def risks(ctx: Context, cmd: model.Risks) -> list[Reply]:
    projects = [await _readable(ctx, cmd.project)] if cmd.project else await ctx.workspace.projects_of(ctx.person.id)
    found = []
    for project in projects:
        tasks = await ctx.pms_for(project).search_tasks(project=project.key, limit=PMS_SCAN_MAX_TASKS)
        found.extend(find_risks(tasks, today=ctx.today, now=ctx.now))
    names = await _names(ctx, [r.task.assignee for r in found if r.task is not None])
    return [Reply(kind="risks", data={
        "projects": [p.key for p in projects],
        "risks": [{"kind": r.kind, "days": r.days, "task": task_view(r.task, names)} for r in found[:MAX_LIST]
                  if r.task is not None],
        "more": max(0, len(found) - MAX_LIST),
    })]


_TASK_PERCENT = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9]{1,9}-[0-9]{1,6}) ?(?:[:：]|to|到|→)? ?([0-9]{1,3}) ?%")
_SECTION = re.compile(r"([1-9])\. (.*)")


def _sections(text: str) -> dict[int, str]:
    """An answer kept per question ("1. …" lines); a free answer is all question 1's."""
    lines = text.splitlines()
    found = [_SECTION.fullmatch(line) for line in lines]
    if lines and all(found):
        return {int(m.group(1)): m.group(2) for m in found if m}
    return {1: text} if text else {}


async def standup(ctx: Context, cmd: model.Standup) -> list[Reply]:
    if cmd.action == "show":
        return [Reply(kind="standup", data={"action": "show"})]
    if cmd.action == "stats":
        return await _standup_stats(ctx, cmd.days)
    text = cmd.text
    if cmd.action == "answer" and cmd.question is not None:
        # One question's answer joins the others given today; a later answer to the same question replaces it.
        kind, earlier = (await ctx.workspace.standup_status([ctx.person.id], ctx.today)).get(ctx.person.id, ("", ""))
        sections = _sections(earlier) if kind == "answer" else {}
        sections[cmd.question] = text
        text = "\n".join(f"{n}. {sections[n]}" for n in sorted(sections))
        if len(text) > MAX_NOTE_CHARS:
            raise CommandError("text_too_long", field="text", length=len(text), max=MAX_NOTE_CHARS)
    day_from = cmd.away_from or ctx.today
    day_to = cmd.away_to or day_from
    if cmd.action == "away" and (day_to < day_from or day_to - day_from > timedelta(days=366)):
        raise CommandError("bad_date", value=f"{day_from}..{day_to}")
    await ctx.workspace.standup_entry(person_id=ctx.person.id, kind=cmd.action, day_from=day_from, day_to=day_to,
                                      text=text, now=ctx.now)
    await _audit(ctx, f"standup.{cmd.action}", ctx.person.id, day_from=day_from.isoformat(),
                 day_to=day_to.isoformat())
    data: dict[str, Any] = {"action": cmd.action, "from": day_from.isoformat(), "to": day_to.isoformat(),
                            "text": text, "question": cmd.question, "updates": [], "proposal": None}
    actions: tuple[Action, ...] = ()
    # Task progress mentioned in the answer ("PUMP-2 60%") is offered as an update, applied only on confirmation.
    updates = {key: int(pct) for key, pct in _TASK_PERCENT.findall(cmd.text) if int(pct) <= 100}
    if cmd.action == "answer" and updates:
        payload = [{"task": key, "percent": pct} for key, pct in updates.items()]
        proposal = await ctx.workspace.create_proposal(person_id=ctx.person.id, kind="progress", payload=payload,
                                                       now=ctx.now)
        data |= {"updates": payload, "proposal": proposal}
        actions = (Action(id="apply", value=str(proposal), style="primary"),)
    return [Reply(kind="standup", data=data, actions=actions)]


async def standup_schedule(ctx: Context, cmd: model.StandupSchedule) -> list[Reply]:
    """A project's PM (or an admin) moves its standup's time, deadline or reminder; it stays changed across
    restarts until changed again or reset to the file's value."""
    mine = await ctx.workspace.standups_of(ctx.person.id)
    if cmd.name:
        chosen = [s for s in mine if s[0] == cmd.name]
        if not chosen:
            raise CommandError("unknown_standup", name=cmd.name, names=", ".join(s[0] for s in mine) or "-")
    elif len(mine) == 1:
        chosen = mine
    else:
        raise CommandError("which_standup", names=", ".join(s[0] for s in mine) or "-")
    name, project, _ = chosen[0]
    if not ({"pm", "admin"} & set(ctx.person.roles)):
        raise CommandError("not_pm", project=project)
    try:
        schedule = await ctx.workspace.change_standup(name, cmd.setting, cmd.value, by=ctx.person.id, now=ctx.now)
    except ValueError as exc:
        raise CommandError("bad_schedule", reason=str(exc)[:200]) from None
    await _audit(ctx, "standup.schedule", name, setting=cmd.setting, value=cmd.value)
    return [Reply(kind="standup_schedule", data={**schedule, "setting": cmd.setting, "reset": cmd.value is None})]


async def _standup_stats(ctx: Context, days: int) -> list[Reply]:
    since = ctx.today - timedelta(days=days - 1)
    rows = await ctx.workspace.standup_participation(ctx.person.id, since=since, until=ctx.today)
    names = await _names(ctx, [person for _, person, *_ in rows])
    return [Reply(kind="standup_stats", data={"days": days, "since": since.isoformat(), "rows": [
        {"standup": name, "person": names.get(person, person), "prompted": prompted, "answered": answered,
         "skipped": skipped, "missing": prompted - answered - skipped,
         "rate": round(100 * answered / prompted) if prompted else 0}
        for name, person, prompted, answered, skipped in rows]})]


async def apply(ctx: Context, cmd: model.Apply) -> list[Reply]:
    """Apply the progress read in a standup answer: each as a `report` by its author, all or nothing."""
    taken = await ctx.workspace.take_proposal(cmd.proposal_id, person_id=ctx.person.id, now=ctx.now)
    if taken is None:
        raise CommandError("unknown_proposal", id=cmd.proposal_id)
    if taken is False:
        raise CommandError("proposal_applied", id=cmd.proposal_id)
    assert isinstance(taken, list)
    replies: list[Reply] = []
    for item in taken:
        replies += await report(ctx, model.Report(task=str(item["task"]), percent=int(item["percent"])))
    return replies


async def link(ctx: Context, cmd: model.Link) -> list[Reply]:
    """A claim to a PMS account: writes go as that account only once it is proven (the person's own configured
    e-mail, or an admin's confirmation), so nobody can act in the PMS as someone else by typing a name."""
    if await ctx.workspace.claim_pms_user(ctx.person.id, cmd.pms_user, now=ctx.now):
        await _audit(ctx, "person.link", ctx.person.id, pms_user=cmd.pms_user, before=ctx.person.pms_user,
                     proof="email")
        return [Reply(kind="linked", data={"pms_user": cmd.pms_user})]
    await _audit(ctx, "person.link_claim", ctx.person.id, pms_user=cmd.pms_user, before=ctx.person.pms_user)
    admins = [a for a in await ctx.workspace.people_with_role("admin") if a.id != ctx.person.id]
    replies = [Reply(kind="link_claimed", data={"pms_user": cmd.pms_user, "admins": bool(admins)})]
    for admin in admins:
        replies.append(Reply(kind="link_claim_admin", to_person=admin.id, data={
            "person": ctx.person.id, "name": ctx.person.name, "pms_user": cmd.pms_user,
            "current": ctx.person.pms_user or ""}))
    return replies


async def link_decision(ctx: Context, cmd: model.LinkDecision) -> list[Reply]:
    if "admin" not in ctx.person.roles:
        raise CommandError("link_not_admin")
    person = await ctx.workspace.find_person(cmd.person)
    if person is None:
        raise CommandError("unknown_person", person=cmd.person)
    if person.id == ctx.person.id:
        raise CommandError("own_link")  # an admin's own claim needs another admin
    claim = await ctx.workspace.decide_pms_claim(person.id, accept=cmd.accept)
    if claim is None:
        raise CommandError("no_link_claim", person=person.name)
    await _audit(ctx, "person.link" if cmd.accept else "person.link_refused", person.id, pms_user=claim,
                 before=person.pms_user, proof=f"admin:{ctx.person.id}")
    data = {"pms_user": claim, "person": person.name, "accept": cmd.accept, "by": ctx.person.name}
    return [Reply(kind="link_decided", data=data),
            Reply(kind="linked" if cmd.accept else "link_refused", to_person=person.id, data=data)]


async def link_secret(ctx: Context, cmd: model.LinkSecret) -> list[Reply]:
    """Someone pasted a token: it is not kept, echoed or audited (the audit row's text is redacted too)."""
    await _audit(ctx, "person.link_secret_refused", ctx.person.id)
    return [Reply(kind="link_secret")]


async def subscribe(ctx: Context, cmd: model.Subscribe) -> list[Reply]:
    project = await _project(ctx, cmd.project)
    if not _is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    try:
        parsed = parse_filter(cmd.filter, me=ctx.person.id)
    except FilterError as exc:
        raise CommandError("bad_filter", filter=cmd.filter, reason=str(exc)) from None
    if parsed.jql is not None and project.pms != "jira":
        raise CommandError("bad_filter", filter=cmd.filter, reason=f"jql works for Jira projects; {project.key} "
                                                                   f"uses {project.pms}")
    created = await ctx.workspace.subscribe(project=project.key, platform=ctx.platform,
                                            conversation=ctx.conversation, filter=cmd.filter, by=ctx.person.id,
                                            now=ctx.now)
    if created:
        await _audit(ctx, "subscribe", project.key, platform=ctx.platform, conversation=ctx.conversation,
                     filter=cmd.filter)
    return [Reply(kind="subscribed", data={"project": project.key, "filter": cmd.filter, "created": created})]


ALERT_SNOOZE = timedelta(hours=24)


async def alert_action(ctx: Context, cmd: model.AlertAction) -> list[Reply]:
    until = ctx.now + ALERT_SNOOZE if cmd.action == "snooze" else None
    decided = await ctx.workspace.decide_alert(cmd.alert_id, by=ctx.person.id, action=cmd.action, until=until)
    if decided is None:
        raise CommandError("unknown_alert", id=cmd.alert_id)
    project_key, rule, subject = decided
    project = await _project(ctx, project_key)
    if not _is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)  # rolls the decision back
    await _audit(ctx, f"alert.{cmd.action}", f"alert:{cmd.alert_id}", rule=rule, subject=subject)
    data = {"id": cmd.alert_id, "action": cmd.action, "rule": rule, "task": subject, "by": ctx.person.name,
            "until": until.isoformat(timespec="minutes") if until else None}
    return [Reply(kind="alert_decided", data=data, card_ref=f"alert:{cmd.alert_id}", update=True)]


def _links(ctx: Context) -> Links:
    if ctx.links is None:
        raise CommandError("web_off")
    return ctx.links


async def field_link(ctx: Context, cmd: model.FieldLink) -> list[Reply]:
    """A link for reporting on the task from a phone (and its QR code, to print on a work order); it acts as
    the person who asked for it, with their permissions."""
    _, task = await _writable_task(ctx, cmd.task)
    url = _links(ctx).field(task.key, ctx.person.id)
    await _audit(ctx, "web.field_link", task.key)
    # It acts as the person: to their own conversations, never a group chat.
    return [Reply(kind="field_link", to_person=ctx.person.id, data={
                "task": task_view(task, await _names(ctx, [task.assignee])), "url": url, "qr": f"{url}/qr.svg"}),
            Reply(kind="sent_privately", data={"field": True})]


async def dashboard_link(ctx: Context, cmd: model.DashboardLink) -> list[Reply]:
    project = await _project(ctx, cmd.project)
    if not _is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    return [Reply(kind="dashboard_link", data={"project": project.key, "name": project.name,
                                               "url": _links(ctx).dashboard(project.key)})]


async def admin_link(ctx: Context, cmd: model.AdminLink) -> list[Reply]:
    if "admin" not in ctx.person.roles:
        raise CommandError("not_admin")
    url = _links(ctx).admin(ctx.person.id)
    await _audit(ctx, "web.admin_link", ctx.person.id)
    # A login link never goes to a group chat: to the admin's own conversations, and a note here.
    return [Reply(kind="admin_link", to_person=ctx.person.id, data={"url": url}),
            Reply(kind="sent_privately", data={})]


Handler = Callable[[Context, Any], Awaitable[list[Reply]]]

HANDLERS: dict[type, Handler] = {
    model.Help: help_,
    model.Status: status,
    model.MyTasks: my_tasks,
    model.Report: report,
    model.Done: done,
    model.Block: block,
    model.Approve: approve,
    model.Reject: reject,
    model.Delegate: delegate,
    model.Approvals: approvals,
    model.Risks: risks,
    model.Standup: standup,
    model.Link: link,
    model.LinkDecision: link_decision,
    model.LinkSecret: link_secret,
    model.Subscribe: subscribe,
    model.New: new,
    model.Request: request,
    model.AlertAction: alert_action,
    model.Apply: apply,
    model.StandupSchedule: standup_schedule,
    model.FieldLink: field_link,
    model.DashboardLink: dashboard_link,
    model.AdminLink: admin_link,
}


# Free text that is stored: refused with a clear message when longer than its column, never cut silently.
TEXT_LIMITS: dict[type, tuple[tuple[str, str, int], ...]] = {
    model.Report: (("note", "note", MAX_NOTE_CHARS),),
    model.Done: (("note", "note", MAX_NOTE_CHARS),),
    model.Block: (("reason", "reason", MAX_NOTE_CHARS),),
    model.Approve: (("comment", "comment", MAX_NOTE_CHARS),),
    model.Reject: (("reason", "reason", MAX_NOTE_CHARS),),
    model.Standup: (("text", "text", MAX_NOTE_CHARS),),
    model.New: (("title", "title", MAX_TITLE_CHARS),),
    model.Request: (("subject", "subject", MAX_TITLE_CHARS),),
    model.Subscribe: (("filter", "filter", MAX_TITLE_CHARS),),
    model.Link: (("pms_user", "user", MAX_NAME_CHARS),),
}


async def handle(ctx: Context, command: model.Command) -> list[Reply]:
    """Run the handler for `command`; a PMS refusal becomes a CommandError with the same code."""
    for field, label, limit in TEXT_LIMITS.get(type(command), ()):
        value = getattr(command, field)
        if len(value) > limit:
            raise CommandError("text_too_long", field=label, length=len(value), max=limit)
    try:
        return await HANDLERS[type(command)](ctx, command)
    except PMSError as exc:
        raise CommandError(exc.code, **exc.params) from exc
