"""The `approval_chains:` section: which steps a request goes through, by project, type and amount.

Rules are tried in order and the first that matches decides; a request no rule matches goes to its project's
approvers in one step, as without chains. Who decides a step is a list of: a person's id, `manager` (the
requester's manager), `project_approvers`, `role:<role>`, or `group:<name>` (a list of people under `groups:`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.config.errors import RefError
from bot.config.fields import StrictModel
from bot.money import MINOR_UNITS, BadAmount, Money, parse_money

SPECIAL_APPROVERS = ("manager", "project_approvers")
ROLE_PREFIX = "role:"
GROUP_PREFIX = "group:"


class ChainStepConfig(StrictModel):
    name: str = Field(min_length=1, max_length=40)
    approvers: tuple[str, ...] = Field(min_length=1)
    mode: Literal["any", "all"] = "any"  # any: 或签, one of them decides; all: 会签, each of them approves
    escalate_after_h: float | None = Field(default=None, gt=0)
    escalate_to: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _escalation(self) -> ChainStepConfig:
        if self.escalate_after_h is not None and not self.escalate_to:
            raise ValueError("escalate_after_h needs escalate_to (who is asked then)")
        return self


class EngineConfig(StrictModel):
    """The platform's own approval engine a rule's requests also go to (off unless a rule names one): the request
    becomes an instance there, and its final result there decides ours."""

    kind: Literal["dingtalk_oa", "feishu_approval"]
    process_code: str | None = Field(default=None, min_length=1, max_length=100)  # dingtalk_oa: PROC-…
    approval_code: str | None = Field(default=None, min_length=1, max_length=100)  # feishu_approval
    form_field: str = Field(default="", max_length=40)  # the form's text field that gets the subject (if any)

    @model_validator(mode="after")
    def _code(self) -> EngineConfig:
        needed = "process_code" if self.kind == "dingtalk_oa" else "approval_code"
        other = "approval_code" if self.kind == "dingtalk_oa" else "process_code"
        if getattr(self, needed) is None:
            raise ValueError(f"engine kind {self.kind} needs {needed}")
        if getattr(self, other) is not None:
            raise ValueError(f"engine kind {self.kind} takes {needed}, not {other}")
        return self

    @property
    def code(self) -> str:
        return self.process_code or self.approval_code or ""


class ChainRuleConfig(StrictModel):
    name: str = Field(min_length=1, max_length=40)
    projects: tuple[str, ...] = ()  # empty: every project
    types: tuple[str, ...] = ()  # empty: every type ("general" for requests typed in chat)
    over: Decimal | None = None  # the amount is more than this
    up_to: Decimal | None = None  # the amount is at most this
    steps: tuple[ChainStepConfig, ...] = Field(min_length=1)
    engine: EngineConfig | None = None  # also an instance in DingTalk OA / Feishu Approval, whose result decides

    @field_validator("over", "up_to", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        if value is None:
            return None
        try:  # the same reading as amounts sent to us: "10,000" is ten thousand, "10.000,00" is refused
            return parse_money(value if isinstance(value, str) else str(value)).amount
        except BadAmount as exc:
            raise ValueError(str(exc)) from None

    def matches(self, project: str, kind: str, money: Money | None) -> bool:
        if (self.projects and project not in self.projects) or (self.types and kind not in self.types):
            return False
        if self.over is None and self.up_to is None:
            return True
        if money is None:
            return False
        return (self.over is None or money.amount > self.over) and (self.up_to is None or money.amount <= self.up_to)


class ApprovalChainsConfig(StrictModel):
    currency: str = "CNY"  # amounts without a currency are in this one, and thresholds are compared in it
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # finance: [carol, dan]
    rules: tuple[ChainRuleConfig, ...] = ()

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in MINOR_UNITS:
            raise ValueError(f"unknown currency '{value}' (one of {', '.join(MINOR_UNITS)})")
        return value

    def rule_for(self, project: str, kind: str, money: Money | None) -> ChainRuleConfig | None:
        """The first rule that matches; ValueError when thresholds would compare another currency."""
        if money is not None and money.currency != self.currency and any(
                r.over is not None or r.up_to is not None for r in self.rules):
            raise ValueError(money.currency)
        return next((r for r in self.rules if r.matches(project, kind, money)), None)

    def check(self, people: set[str], projects: set[str], roles: tuple[str, ...]) -> None:
        """References to people, projects, roles and groups, named by where they are (a RefError)."""
        for name, members in self.groups.items():
            for j, who in enumerate(members):
                if who not in people:
                    raise RefError(("approval_chains", "groups", name, j), f"unknown person '{who}'")
        for i, rule in enumerate(self.rules):
            for j, key in enumerate(rule.projects):
                if key not in projects:
                    raise RefError(("approval_chains", "rules", i, "projects", j), f"unknown project '{key}'")
            for k, step in enumerate(rule.steps):
                for field in ("approvers", "escalate_to"):
                    for j, who in enumerate(getattr(step, field)):
                        problem = _approver_problem(who, people, roles, set(self.groups))
                        if problem:
                            raise RefError(("approval_chains", "rules", i, "steps", k, field, j), problem)


def _approver_problem(who: str, people: set[str], roles: tuple[str, ...], groups: set[str]) -> str | None:
    if who in SPECIAL_APPROVERS or who in people:
        return None
    if who.startswith(GROUP_PREFIX):
        group = who.removeprefix(GROUP_PREFIX)
        return None if group in groups else f"unknown group '{group}' (groups: {', '.join(sorted(groups)) or 'none'})"
    if who.startswith(ROLE_PREFIX):
        role = who.removeprefix(ROLE_PREFIX)
        return None if role in roles else f"unknown role '{role}' (roles: {', '.join(roles)})"
    return (f"unknown approver '{who}': a person's id, {', '.join(SPECIAL_APPROVERS)}, "
            f"role:<{'|'.join(roles)}> or group:<name>")
