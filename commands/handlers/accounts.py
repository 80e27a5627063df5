"""Linking a person to their PMS account: a claim, an admin's decision, and a pasted token refused."""

from __future__ import annotations

from bot.records import Reply
from commands import model
from commands.handlers.access import audit
from commands.ports import CommandError, Context


async def link(ctx: Context, cmd: model.Link) -> list[Reply]:
    """A claim to a PMS account: writes go as that account only once it is proven (the person's own configured
    e-mail, or an admin's confirmation), so nobody can act in the PMS as someone else by typing a name."""
    if await ctx.workspace.claim_pms_user(ctx.person.id, cmd.pms_user, now=ctx.now):
        await audit(ctx, "person.link", ctx.person.id, pms_user=cmd.pms_user, before=ctx.person.pms_user,
                     proof="email")
        return [Reply(kind="linked", data={"pms_user": cmd.pms_user})]
    await audit(ctx, "person.link_claim", ctx.person.id, pms_user=cmd.pms_user, before=ctx.person.pms_user)
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
    await audit(ctx, "person.link" if cmd.accept else "person.link_refused", person.id, pms_user=claim,
                 before=person.pms_user, proof=f"admin:{ctx.person.id}")
    data = {"pms_user": claim, "person": person.name, "accept": cmd.accept, "by": ctx.person.name}
    return [Reply(kind="link_decided", data=data),
            Reply(kind="linked" if cmd.accept else "link_refused", to_person=person.id, data=data)]


async def link_secret(ctx: Context, cmd: model.LinkSecret) -> list[Reply]:
    """Someone pasted a token: it is not kept, echoed or audited (the audit row's text is redacted too)."""
    await audit(ctx, "person.link_secret_refused", ctx.person.id)
    return [Reply(kind="link_secret")]
