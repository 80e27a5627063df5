"""A Microsoft Project plan (bot/mapping/mspdi.py) applied to a project's PMS, and the project's progress written
back as a plan.

Import: each task that is not a summary becomes a task of the project (title = Name, due = Finish's day, assignee =
the person its first resource names, by e-mail or name), and its PercentComplete is reported. The plan itself (WBS,
outline, dates, baselines, links, resources, summaries) is kept with the key each task became, so importing the
file again updates those tasks instead of adding, and an export writes the same plan back with today's percent.
On the built-in PMS the whole import is one transaction; a remote PMS stops at the first refusal (PlanApplyError),
keeping what it wrote and the keys of those tasks, so a second run goes on from there without adding twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from bot.mapping.mspdi import Plan, PlanLink, PlanResource, PlanTask
from bot.pms.base import PMS, PMSDown, PMSError
from bot.records import Person, Task

PLAN_ACTOR = Person(id="source:plan", name="Microsoft Project plan", locale="en", roles=("admin",))


@dataclass
class PlanReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # percent changed
    unchanged: int = 0
    summaries: int = 0
    unassigned: list[str] = field(default_factory=list)  # resource names nobody here answers to


class PlanApplyError(Exception):
    """The PMS refused or did not answer part-way: `document` holds the tasks written so far."""

    def __init__(self, cause: PMSError | PMSDown, document: dict[str, Any], report: PlanReport) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.document = document
        self.report = report


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def document_of(plan: Plan, keys: dict[int, str]) -> dict[str, Any]:
    return {"name": plan.name, "start": plan.start, "finish": plan.finish, "currency": plan.currency,
            "resources": [asdict(r) for r in plan.resources],
            "tasks": [{**asdict(t), "key": keys.get(t.uid)} for t in plan.tasks]}


def plan_of_document(document: dict[str, Any], percents: dict[str, int] | None = None) -> Plan:
    """The kept plan, each task's percent replaced by its task's current one where `percents` has it."""
    tasks = []
    for raw in document.get("tasks", []):
        fields = {k: v for k, v in raw.items() if k != "key"}
        fields["predecessors"] = tuple(PlanLink(**link) for link in fields.get("predecessors", ()))
        fields["resources"] = tuple(fields.get("resources", ()))
        if percents is not None and raw.get("key") in percents:
            fields["percent"] = percents[raw["key"]]
        tasks.append(PlanTask(**fields))
    return Plan(name=str(document.get("name", "")), start=document.get("start"), finish=document.get("finish"),
                tasks=tuple(tasks), resources=tuple(PlanResource(**r) for r in document.get("resources", [])),
                currency=document.get("currency"))


async def import_plan(plan: Plan, *, project: str, pms: PMS, previous: dict[str, Any] | None,
                      find_person: Callable[[str], Awaitable[Person | None]], dry_run: bool = False
                      ) -> tuple[PlanReport, dict[str, Any]]:
    """Apply the plan; the report and the document to keep. With dry_run nothing is written (the report says what
    would be)."""
    report = PlanReport()
    keys: dict[int, str] = {int(t["uid"]): str(t["key"]) for t in (previous or {}).get("tasks", []) if t.get("key")}
    people: dict[int, Person | None] = {}
    for resource in plan.resources:
        person = (await find_person(resource.email) if resource.email else None) or await find_person(resource.name)
        people[resource.uid] = person
        if person is None and resource.name:
            report.unassigned.append(resource.name)
    try:
        for t in plan.tasks:
            if t.summary:
                report.summaries += 1
                continue
            await _one(t, project=project, pms=pms, keys=keys, people=people, report=report, dry_run=dry_run)
    except (PMSError, PMSDown) as exc:
        raise PlanApplyError(exc, document_of(plan, keys), report) from exc
    return report, document_of(plan, keys)


async def _one(t: PlanTask, *, project: str, pms: PMS, keys: dict[int, str], people: dict[int, Person | None],
               report: PlanReport, dry_run: bool) -> None:
    existing: Task | None = await pms.get_task(keys[t.uid]) if t.uid in keys else None
    if existing is None:
        if dry_run:
            report.created.append(f"({t.name})")
            return
        assignee = next((p for p in (people.get(u) for u in t.resources) if p is not None), None)
        created = await pms.create_task(project, t.name or f"Task {t.id}", assignee=assignee, due=_day(t.finish),
                                        by=PLAN_ACTOR)
        keys[t.uid] = created.key
        report.created.append(created.key)
        if t.percent > 0:
            await pms.report_progress(created.key, percent=t.percent, note="", hours=None, by=PLAN_ACTOR)
        return
    if existing.percent == t.percent:
        report.unchanged += 1
        return
    report.updated.append(existing.key)
    if not dry_run:
        await pms.report_progress(existing.key, percent=t.percent, note="", hours=None, by=PLAN_ACTOR)


async def export_plan(document: dict[str, Any], pms: PMS) -> Plan:
    """The kept plan with each task's percent as its PMS holds it now (a task gone from the PMS keeps the plan's)."""
    percents: dict[str, int] = {}
    for raw in document.get("tasks", []):
        key = raw.get("key")
        if key:
            task = await pms.get_task(str(key))
            if task is not None:
                percents[str(key)] = 100 if task.status == "done" else task.percent
    return plan_of_document(document, percents)
