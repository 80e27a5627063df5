"""Planning a request's approval chain from the `approval_chains:` rules: who decides each step, resolved now
(the requester's manager, the project's approvers, the people with a role), never the requester themself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot import chains
from bot.config.approvals import GROUP_PREFIX, ROLE_PREFIX, ApprovalChainsConfig
from bot.config.people import PersonConfig
from bot.config.root import Config
from bot.money import Money
from bot.records import Person, Project
from commands.ports import CommandError

ManagerOf = Callable[[str], Awaitable[str | None]]  # a person's id -> their manager's id (config, directory…)
DEFAULT_TYPE = "general"  # the type of a request typed in chat


class RoleMembers(Protocol):
    async def people_with_role(self, role: str) -> list[Person]: ...


@dataclass(frozen=True, kw_only=True)
class ApprovalPolicy:
    chains: ApprovalChainsConfig
    manager_of: ManagerOf


def approval_policy(config: Config, directory: ManagerOf | None = None) -> ApprovalPolicy | None:
    """The configuration's chains with its people's managers (the file's `manager:` first, then the directory's);
    None when it has no chain rules."""
    if not config.approval_chains.rules:
        return None
    return ApprovalPolicy(chains=config.approval_chains, manager_of=managers_from(config.people, directory))


def managers_from(people: tuple[PersonConfig, ...], directory: ManagerOf | None = None) -> ManagerOf:
    """`manager:` of the configuration's people; for the others, what the directory sync stored (the file wins
    where both speak, as it does for names and roles)."""
    table = {p.id: p.manager for p in people if p.manager}

    async def manager_of(person_id: str) -> str | None:
        if person_id in table or directory is None:
            return table.get(person_id)
        return await directory(person_id)
    return manager_of


async def plan(policy: ApprovalPolicy, roles: RoleMembers, *, project: Project, requester: str, kind: str,
               money: Money | None, now: datetime) -> chains.Chain | None:
    """The chain a request goes through; None when no rule matches (the project's approvers, one step)."""
    try:
        rule = policy.chains.rule_for(project.key, kind, money)
    except ValueError:
        assert money is not None
        raise CommandError("chain_currency", currency=money.currency, expected=policy.chains.currency) from None
    if rule is None:
        return None
    steps = []
    for step in rule.steps:
        members = await _resolve(step.approvers, policy, roles, project, requester)
        if not members:
            raise CommandError("chain_step_empty", step=step.name, project=project.key)
        steps.append(chains.Step(name=step.name, mode=step.mode, members=members,
                                 escalate_after_h=step.escalate_after_h,
                                 escalate_to=await _resolve(step.escalate_to, policy, roles, project, requester)))
    return chains.start(rule.name, tuple(steps), now)


def engine_of(policy: ApprovalPolicy, chain: chains.Chain) -> dict[str, Any] | None:
    """The engine record a request of `chain`'s rule starts with (state "new": the clock creates the instance,
    outside any transaction); None when the rule names no engine."""
    rule = next((r for r in policy.chains.rules if r.name == chain.rule), None)
    if rule is None or rule.engine is None:
        return None
    return {"kind": rule.engine.kind, "code": rule.engine.code, "form_field": rule.engine.form_field, "state": "new"}


async def _resolve(who: tuple[str, ...], policy: ApprovalPolicy, roles: RoleMembers, project: Project,
                   requester: str) -> tuple[str, ...]:
    out: list[str] = []
    for token in who:
        if token == "manager":
            manager = await policy.manager_of(requester)
            out += [manager] if manager else []
        elif token == "project_approvers":
            out += project.approvers
        elif token.startswith(GROUP_PREFIX):
            out += policy.chains.groups.get(token.removeprefix(GROUP_PREFIX), ())
        elif token.startswith(ROLE_PREFIX):
            out += sorted(p.id for p in await roles.people_with_role(token.removeprefix(ROLE_PREFIX)))
        else:
            out.append(token)
    return tuple(dict.fromkeys(p for p in out if p != requester))
