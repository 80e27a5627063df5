"""Approval verbs: request, approve, reject, delegate, approvals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot import chains as chain_state
from bot.constants import MAX_AMOUNT
from bot.money import Money
from bot.records import Approval, Reply
from commands import model
from commands.chains import DEFAULT_TYPE, engine_of, plan
from commands.handlers.access import MAX_LIST, audit, find_project, is_member, names_of
from commands.ports import CommandError, Context
from commands.views import approval_buttons, approval_people, approval_view, card_holders


async def request(ctx: Context, cmd: model.Request) -> list[Reply]:
    project = await find_project(ctx, cmd.project)
    if not is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    if cmd.amount is not None and not (Decimal(0) < cmd.amount < MAX_AMOUNT):
        raise CommandError("bad_amount", value=cmd.amount)
    chain: chain_state.Chain | None = None
    payload: dict[str, Any] | None = {"currency": cmd.currency} if cmd.currency else None
    if ctx.approvals is not None:
        currency = cmd.currency or ctx.approvals.chains.currency
        money = Money(amount=cmd.amount, currency=currency) if cmd.amount is not None else None
        chain = await plan(ctx.approvals, ctx.workspace, project=project, requester=ctx.person.id, kind=DEFAULT_TYPE,
                           money=money, now=ctx.now)
        if chain is not None:
            payload = {"chain": chain_state.to_json(chain), "type": DEFAULT_TYPE, "currency": currency}
            engine = engine_of(ctx.approvals, chain)
            payload |= {"engine": engine} if engine else {}
    approvers = chain.awaiting() if chain else tuple(a for a in project.approvers if a != ctx.person.id)
    if not approvers:
        raise CommandError("no_approvers", project=project.key)
    approval = await ctx.workspace.create_approval(
        project=project.key, requester=ctx.person.id, approvers=approvers, subject=cmd.subject, amount=cmd.amount,
        origin=ctx.platform, now=ctx.now, payload=payload,
    )
    await audit(ctx, "approval.request", f"approval:{approval.id}", project=project.key, subject=cmd.subject,
                 amount=str(cmd.amount) if cmd.amount is not None else None, approvers=list(approvers),
                 chain=chain.rule if chain else None)
    names = await names_of(ctx, approval_people(approval))
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
    # A finished chain waits for no one: the people of the steps it reached are told it is decided, not refused.
    involved = ctx.person.id in approval.approvers or ctx.person.id in card_holders(approval)
    if not involved:
        raise CommandError("not_approver", id=approval_id)
    if approval.state != "pending":
        await _raise_decided(ctx, approval)
    assert state in ("approved", "rejected")
    if approval.chain:
        return await _decide_step(ctx, approval, "approved" if state == "approved" else "rejected", comment)
    decided = await ctx.workspace.decide_approval(
        approval_id, by=ctx.person.id, state="approved" if state == "approved" else "rejected", comment=comment,
        now=ctx.now,
    )
    if decided is None:  # another approver won the race between our read and our write
        fresh = await ctx.workspace.approval(approval_id)
        assert fresh is not None
        await _raise_decided(ctx, fresh)
        raise AssertionError("unreachable")
    await audit(ctx, f"approval.{state}", f"approval:{approval_id}", comment=comment)
    return await _final(ctx, decided, decided.approvers)


async def _final(ctx: Context, decided: Approval, card_holders: tuple[str, ...]) -> list[Reply]:
    """The replies of a decided request: the decider, each card, the requester, the project, the source."""
    names = await names_of(ctx, approval_people(decided))
    view = approval_view(decided, names)
    replies = [Reply(kind="approval_decided", data={"approval": view})]
    for approver in card_holders:
        replies.append(Reply(kind="approval_card", to_person=approver, data={"approval": view},
                             card_ref=f"approval:{decided.id}", update=True))
    replies.append(Reply(kind="approval_result", to_person=decided.requester, data={"approval": view}))
    # The project's chat sees the outcome too, however it was decided (a button, a link, a typed command).
    replies.append(Reply(kind="approval_announced", to_project=decided.project, data={"approval": view}))
    if decided.origin.startswith("source:"):  # the system that asked hears the decision at its callback URL
        replies.append(Reply(kind="approval_callback", to_source=decided.origin.removeprefix("source:"),
                             card_ref=f"approval:{decided.id}:{decided.state}", data={
            "approval": view, "ref": decided.ref, "decided_by_id": decided.decided_by,
            "decided_at_iso": decided.decided_at.isoformat() if decided.decided_at else None}))
    return replies


async def _decide_step(ctx: Context, approval: Approval, state: chain_state.Verdict, comment: str) -> list[Reply]:
    """A decision on the current step of a chain: counted once (the store checks the step waits for this person
    under the row's lock); the step's or the chain's end moves the cards on."""
    result = await ctx.workspace.decide_in_chain(approval.id, by=ctx.person.id, state=state, comment=comment,
                                                 now=ctx.now)
    if result is None:  # decided meanwhile, or this person's part is done
        fresh = await ctx.workspace.approval(approval.id)
        assert fresh is not None
        if fresh.state != "pending":
            await _raise_decided(ctx, fresh)
        raise CommandError("not_approver", id=approval.id)
    decided, outcome = result
    await audit(ctx, f"approval.step.{state}", f"approval:{approval.id}", comment=comment, outcome=outcome,
                step=int((decided.chain or {}).get("current", 0)))
    holders, before = card_holders(decided), card_holders(approval)
    if outcome in ("approved", "rejected"):
        return await _final(ctx, decided, holders)
    names = await names_of(ctx, approval_people(decided))
    view = approval_view(decided, names)
    buttons = approval_buttons(decided.id)
    replies = [Reply(kind="approval_counted", data={"approval": view})]
    for person in holders:  # each card shows where the chain stands; those it waits for keep the buttons
        waits = person in decided.approvers
        data: dict[str, Any] = {"approval": view}
        new = person not in before
        replies.append(Reply(kind="approval_card", to_person=person, data=data, card_ref=f"approval:{decided.id}",
                             actions=buttons if waits else (), update=not new))
    if outcome == "next":
        replies.append(Reply(kind="approval_progress", to_person=decided.requester, data={"approval": view}))
    return replies


async def _raise_decided(ctx: Context, approval: Approval) -> None:
    names = await names_of(ctx, [approval.decided_by])
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
    await audit(ctx, "approval.delegate", f"approval:{cmd.approval_id}", to=target.id)
    names = await names_of(ctx, [delegated.requester, *delegated.approvers, ctx.person.id])
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
    names = await names_of(ctx, [a.requester for a in pending])
    return [Reply(kind="approvals_list", data={
        "approvals": [approval_view(a, names) for a in pending[:MAX_LIST]], "more": max(0, len(pending) - MAX_LIST),
    })]
