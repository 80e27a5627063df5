"""Doing what a source's rules planned: PMS updates, tasks, comments, work logs, approval requests, metrics,
notices. All actions of a payload are checked first (task exists, numbers are numbers, project is in the
source's rollout), then applied; one that cannot be is the payload's rejection, with nothing applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot import chains
from bot.config import Config, SourceConfig
from bot.constants import MAX_AMOUNT, MAX_NOTE_CHARS, MAX_TITLE_CHARS
from bot.mapping.rules import Planned
from bot.money import BadAmount, parse_money
from bot.pms.base import PMS, STATUSES
from bot.pms.registry import CONNECTORS
from bot.records import Person, Project, Reply
from bot.store.db import StoreSession
from bot.store.metrics import record_metric
from bot.store.workspace import SqlWorkspace
from commands.chains import DEFAULT_TYPE, approval_policy, engine_of, plan
from commands.ports import CommandError
from commands.views import approval_buttons, approval_people, approval_view, task_view

MAX_HOURS = Decimal(1000)


class HookRejected(Exception):
    """This payload cannot be applied as planned: nothing was, and the reason is kept with it."""


@dataclass(frozen=True, kw_only=True)
class Checked:
    planned: Planned
    project: Project
    values: dict[str, Any]


def actor(source: SourceConfig) -> Person:
    """Who a source's writes are attributed to: the source itself, named in comments and the audit log."""
    return Person(id=f"source:{source.name}", name=source.name, locale="en", roles=("admin",))


def _number(value: Any, what: str, *, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip().rstrip("%").replace(",", ""))
    except InvalidOperation:
        raise HookRejected(f"{what} '{str(value)[:40]}' is not a number") from None
    if not number.is_finite() or not (low <= number <= high):
        raise HookRejected(f"{what} {number} is outside {low}..{high}")
    return number


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise HookRejected(f"{what} is empty")
    if len(text) > limit:
        raise HookRejected(f"{what} is {len(text)} characters, at most {limit}")
    return text


class HookApplier:
    def __init__(self, s: StoreSession, ws: SqlWorkspace, config: Config, source: SourceConfig,
                 pms_for: Callable[[Project], PMS], *, now: datetime, today: date) -> None:
        self.s = s
        self.ws = ws
        self.config = config
        self.source = source
        self.pms_for = pms_for
        self.now = now
        self.today = today
        self.by = actor(source)
        self._departments = {p.key: p.department for p in config.projects}

    async def _project(self, key: str) -> Project:
        project = await self.ws.project(key.strip().upper())
        if project is None:
            raise HookRejected(f"there is no project '{key[:20]}'")
        if not self.source.rollout.allows(project.key, self._departments.get(project.key)):
            raise HookRejected(f"project {project.key} is not in source {self.source.name}'s rollout")
        return project

    async def _task(self, key: str) -> tuple[Project, str]:
        key = key.strip().upper()
        project = await self._project(key.rpartition("-")[0] or key)
        if await self.pms_for(project).get_task(key) is None:
            raise HookRejected(f"there is no task {key[:30]}")
        return project, key

    async def check(self, planned: Planned) -> Checked:
        """Resolve and validate one action without changing anything."""
        f = planned.fields
        kind = planned.kind
        values: dict[str, Any] = {}
        if kind in ("update_task", "comment", "log_work"):
            project, values["task"] = await self._task(f["task"])
            if kind == "update_task":
                if f.get("status"):
                    if f["status"] not in STATUSES:
                        raise HookRejected(f"status '{f['status'][:20]}' is not one of {', '.join(STATUSES)}")
                    values["status"] = f["status"]
                if f.get("percent"):
                    values["percent"] = int(_number(f["percent"], "percent", low=Decimal(0), high=Decimal(100)))
                if f.get("hours"):
                    values["hours"] = _number(f["hours"], "hours", low=Decimal(0), high=MAX_HOURS)
                values["note"] = _text(f.get("note"), "note", MAX_NOTE_CHARS, required=False)
                if not ({"status", "percent", "hours"} & values.keys()) and not values["note"]:
                    raise HookRejected("update_task changes nothing (no status, percent, hours or note)")
                if "status" in values:  # a move its workflow refuses is found before anything is written
                    await self.pms_for(project).check_move(values["task"], values["status"], by=self.by)
            elif kind == "comment":
                values["text"] = _text(f.get("text"), "comment text", MAX_NOTE_CHARS)
            else:
                values["hours"] = _number(f["hours"], "hours", low=Decimal("0.01"), high=MAX_HOURS)
                values["note"] = _text(f.get("note"), "note", MAX_NOTE_CHARS, required=False)
        elif kind == "create_task":
            project = await self._project(f["project"])
            values["title"] = _text(f.get("title"), "title", MAX_TITLE_CHARS)
            values["assignee"] = None
            if f.get("assignee"):
                values["assignee"] = await self.ws.find_person(f["assignee"])
                if values["assignee"] is None:
                    raise HookRejected(f"there is nobody called '{f['assignee'][:40]}'")
            values["due"] = None
            if f.get("due"):
                try:
                    values["due"] = date.fromisoformat(f["due"][:10])
                except ValueError:
                    raise HookRejected(f"due '{f['due'][:20]}' is not a date (YYYY-MM-DD)") from None
        elif kind == "request_approval":
            project = await self._project(f["project"])
            values["subject"] = _text(f.get("subject"), "subject", MAX_TITLE_CHARS)
            values.update(await self._approval_route(f, project))
            values["ref"] = _text(f.get("ref"), "ref", 200, required=False) or None
        elif kind == "metric":
            project = await self._project(f["project"])
            values["name"] = _text(f.get("name"), "metric name", 64)
            values["value"] = _number(f["value"], "metric value", low=-MAX_AMOUNT, high=MAX_AMOUNT)
        elif kind == "notify":
            project = await self._project(f["project"]) if f.get("project") else Project(
                key="", name="", pms="local", pms_project=None, members=(), approvers=())
            values["text"] = _text(f.get("text"), "notice text", 3000)
            values["channels"] = [(c["platform"], c["id"]) for c in f.get("channels") or []]
            if not project.key and not values["channels"]:
                raise HookRejected("notify needs a project or channels")
        else:  # the configuration model allows no other kind
            raise HookRejected(f"unknown action {kind}")
        return Checked(planned=planned, project=project, values=values)

    async def _approval_route(self, f: dict[str, Any], project: Project) -> dict[str, Any]:
        """The request's amount (Money, read strictly) and who decides it: its chain, or the project's approvers."""
        chains_config = self.config.approval_chains
        try:
            money = parse_money(f["amount"], default_currency=(f.get("currency") or chains_config.currency).upper()
                                ) if f.get("amount") else None
        except BadAmount as exc:
            raise HookRejected(f"amount: {exc}") from None
        kind = _text(f.get("type"), "type", 40, required=False) or DEFAULT_TYPE
        policy = approval_policy(self.config)
        try:
            chain = await plan(policy, self.ws, project=project, requester=self.by.id, kind=kind, money=money,
                               now=self.now) if policy else None
        except CommandError as exc:
            raise HookRejected(f"approval chain: {exc.code} {exc.params}") from None
        approvers = chain.awaiting() if chain else project.approvers
        if not approvers:
            raise HookRejected(f"project {project.key} has no approvers")
        payload = {"chain": chains.to_json(chain), "type": kind} if chain else {}
        engine = engine_of(policy, chain) if policy and chain else None
        payload |= {"engine": engine} if engine else {}
        return {"amount": money.amount if money else None, "approvers": approvers,
                "route": payload | ({"currency": money.currency} if money else {})}

    def is_remote(self, checked: Checked) -> bool:
        """An action that writes only to a remote PMS (done outside the write transaction)."""
        return (checked.planned.kind in ("update_task", "comment", "log_work", "create_task")
                and checked.project.pms not in CONNECTORS)

    async def apply(self, checked: Checked, audits: list[dict[str, Any]]) -> list[Reply]:
        """Do one checked action; the replies (notices, approval cards) it causes. Its audit row is added to
        `audits`, for the caller's write transaction."""
        kind, v, project = checked.planned.kind, checked.values, checked.project
        pms = self.pms_for(project) if project.key else None
        detail: dict[str, Any] = {"rule": checked.planned.rule, "action": kind}
        replies: list[Reply] = []
        if kind == "update_task":
            assert pms is not None
            if {"percent", "hours"} & v.keys() or (v["note"] and "status" not in v):
                await pms.report_progress(v["task"], percent=v.get("percent"), note=v["note"], hours=v.get("hours"),
                                          by=self.by)
            if "status" in v:
                await pms.transition(v["task"], v["status"], reason=v["note"], by=self.by)
            detail |= {"task": v["task"], "status": v.get("status"), "percent": v.get("percent"),
                       "hours": str(v["hours"]) if "hours" in v else None}
        elif kind == "comment":
            assert pms is not None
            await pms.comment(v["task"], v["text"], by=self.by)
            detail["task"] = v["task"]
        elif kind == "log_work":
            assert pms is not None
            await pms.log_work(v["task"], v["hours"], note=v["note"], by=self.by)
            detail |= {"task": v["task"], "hours": str(v["hours"])}
        elif kind == "create_task":
            assert pms is not None
            task = await pms.create_task(project.key, v["title"], assignee=v["assignee"], due=v["due"], by=self.by)
            detail["task"] = task.key
            if v["assignee"] is not None:
                replies.append(Reply(kind="task_assigned", to_person=v["assignee"].id,
                                     data={"task": task_view(task, {v["assignee"].id: v["assignee"].name}),
                                           "by": self.source.name}))
        elif kind == "request_approval":
            approval = await self.ws.create_approval(
                project=project.key, requester=self.by.id, approvers=v["approvers"], subject=v["subject"],
                amount=v["amount"], origin=self.by.id, now=self.now,
                payload={"source": self.source.name, "ref": v["ref"], **v["route"]})
            names = {p.id: p.name for p in (await self.ws.people([i for i in approval_people(approval) if i])).values()}
            view = approval_view(approval, names | {self.by.id: self.source.name})
            replies += [Reply(kind="approval_card", to_person=a, data={"approval": view},
                              actions=approval_buttons(approval.id), card_ref=f"approval:{approval.id}")
                        for a in approval.approvers]
            detail |= {"approval": approval.id, "ref": v["ref"]}
        elif kind == "metric":
            await record_metric(self.s, project=project.key, name=v["name"], value=v["value"], at=self.now,
                                source=self.source.name)
            detail |= {"project": project.key, "name": v["name"], "value": str(v["value"])}
        elif kind == "notify":
            data = {"source": self.source.name, "text": v["text"]}
            if project.key:
                replies.append(Reply(kind="hook_notice", to_project=project.key, data=data))
            replies += [Reply(kind="hook_notice", to_channel=channel, data=data) for channel in v["channels"]]
        audits.append({"actor": self.by.id, "action": f"hook.{kind}", "subject": project.key or self.source.name,
                       "detail": detail, "now": self.now})
        return replies
