"""Microsoft Project XML (MSPDI): a plan read from, and written to, the file Project saves as "XML Format".

What is read and written (element names and order as Microsoft's schema reference gives them,
https://learn.microsoft.com/en-gb/office-project/xml-data-interchange/xml-schema-for-the-tasks-element and
https://github.com/MicrosoftDocs/office-developer-msproject-xml-docs/blob/live/project-xml-data-interchange/task-element.md):
the project's Name, StartDate and FinishDate; each Task's UID, ID, Name, WBS, OutlineNumber, OutlineLevel, Start,
Finish, Milestone, Summary, PercentComplete (an integer 0..100, "the percentage of the task duration completed"),
PredecessorLink (PredecessorUID, Type 0=FF 1=FS 2=SF 3=SS, LinkLag in tenths of a minute,
https://learn.microsoft.com/en-us/previous-versions/office/developer/office-2007/bb968712(v=office.12)) and
Baseline 0's Start and Finish; each Resource's UID, ID, Name and EmailAddress; each Assignment's UID, TaskUID and
ResourceUID. Dates are xsd:dateTime without a zone ("2026-03-02T08:00:00"): Project's local wall time, kept as
written, never shifted.

A hostile file is refused whole, with a reason, before anything is applied: defusedxml refuses any DTD (so no
entity expansion, billion laughs, or external entity: XXE), the file is bounded in bytes and tasks, and every
number and date is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

NS = "http://schemas.microsoft.com/project"
# What the export claims: the elements it writes, and their order, are those of the Project 2007 schema (pj12).
SAVE_VERSION = 12
MAX_PLAN_BYTES = 20 * 1024 * 1024
MAX_PLAN_TASKS = 20_000
MAX_NAME_CHARS = 255  # Project's own limit on a task name
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_LINK_TYPES = {0: "FF", 1: "FS", 2: "SF", 3: "SS"}


class PlanError(Exception):
    """The file cannot be read as a plan. `code` picks the message in the catalogs (plan.error.<code>)."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


@dataclass(frozen=True)
class PlanLink:
    predecessor_uid: int
    type: int = 1  # finish-to-start, Project's default
    lag_tenth_min: int = 0


@dataclass(frozen=True)
class PlanTask:
    uid: int
    id: int
    name: str
    wbs: str
    outline_number: str
    outline_level: int
    start: str | None
    finish: str | None
    percent: int
    summary: bool = False
    milestone: bool = False
    baseline_start: str | None = None
    baseline_finish: str | None = None
    predecessors: tuple[PlanLink, ...] = ()
    resources: tuple[int, ...] = ()  # resource UIDs assigned


@dataclass(frozen=True)
class PlanResource:
    uid: int
    id: int
    name: str
    email: str = ""


@dataclass(frozen=True)
class Plan:
    name: str
    start: str | None
    finish: str | None
    tasks: tuple[PlanTask, ...]
    resources: tuple[PlanResource, ...] = field(default=())
    currency: str | None = None  # CurrencyCode, which the schema requires of a project: kept to be written back

    def resource(self, uid: int) -> PlanResource | None:
        return next((r for r in self.resources if r.uid == uid), None)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _text(el: ET.Element, tag: str) -> str | None:
    child = el.find(_q(tag))
    return child.text.strip() if child is not None and child.text is not None else None


def _int(el: ET.Element, tag: str, where: str, *, default: int | None = None, low: int = 0,
         high: int = 2**31 - 1) -> int:
    raw = _text(el, tag)
    if raw is None or raw == "":
        if default is None:
            raise PlanError("missing", where=where, field=tag)
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PlanError("not_number", where=where, field=tag, value=raw[:40]) from None
    if not low <= value <= high:
        raise PlanError("out_of_range", where=where, field=tag, value=raw[:40], low=str(low), high=str(high))
    return value


def _date(el: ET.Element, tag: str, where: str) -> str | None:
    raw = _text(el, tag)
    if not raw:
        return None
    try:
        if not _DATE_RE.match(raw):
            raise ValueError(raw)
        datetime.fromisoformat(raw)  # a real day and time: no 2026-02-30, no 25:00
    except ValueError:
        raise PlanError("bad_date", where=where, field=tag, value=raw[:40]) from None
    return raw


def _flag(el: ET.Element, tag: str) -> bool:
    return _text(el, tag) in ("1", "true")


def _task(el: ET.Element) -> PlanTask:
    uid = _int(el, "UID", "Task")
    where = f"Task UID {uid}"
    name = (_text(el, "Name") or "").replace("\x00", "")
    if len(name) > MAX_NAME_CHARS:
        raise PlanError("name_too_long", where=where, limit=str(MAX_NAME_CHARS))
    start, finish = _date(el, "Start", where), _date(el, "Finish", where)
    if start and finish and finish < start:
        raise PlanError("finish_before_start", where=where, start=start, finish=finish)
    baseline_start = baseline_finish = None
    for baseline in el.findall(_q("Baseline")):
        if _int(baseline, "Number", where, default=0, high=10) == 0:
            baseline_start, baseline_finish = _date(baseline, "Start", where), _date(baseline, "Finish", where)
    links = tuple(PlanLink(predecessor_uid=_int(link, "PredecessorUID", where),
                           type=_int(link, "Type", where, default=1, high=3),
                           lag_tenth_min=_int(link, "LinkLag", where, default=0, low=-(2**31)))
                  for link in el.findall(_q("PredecessorLink")))
    outline = _text(el, "OutlineNumber") or ""
    return PlanTask(uid=uid, id=_int(el, "ID", where, default=uid), name=name, wbs=(_text(el, "WBS") or outline)[:100],
                    outline_number=outline[:100], outline_level=_int(el, "OutlineLevel", where, default=1, high=100),
                    start=start, finish=finish, percent=_int(el, "PercentComplete", where, default=0, high=100),
                    summary=_flag(el, "Summary"), milestone=_flag(el, "Milestone"), baseline_start=baseline_start,
                    baseline_finish=baseline_finish, predecessors=links)


def read_mspdi(raw: bytes) -> Plan:
    """The plan in an MSPDI file, or PlanError saying why the file is refused (nothing of it is used then)."""
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanError("too_large", limit_mib=str(MAX_PLAN_BYTES // (1024 * 1024)))
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise PlanError("dtd_refused") from None
    except ET.ParseError as exc:
        raise PlanError("not_xml", reason=str(exc)[:200]) from None
    if root.tag == "Project":  # no namespace, as the documentation's fragments and some other tools write it
        for el in root.iter():
            el.tag = _q(el.tag) if isinstance(el.tag, str) and not el.tag.startswith("{") else el.tag
    if root.tag != _q("Project"):
        raise PlanError("not_mspdi", root=str(root.tag)[:80])
    task_els = root.findall(f"{_q('Tasks')}/{_q('Task')}")
    if len(task_els) > MAX_PLAN_TASKS:
        raise PlanError("too_many_tasks", limit=str(MAX_PLAN_TASKS))
    # A blank row of the plan is a "null task" (<IsNull>1</IsNull>, a UID and an ID, nothing else): not a task.
    tasks = [_task(el) for el in task_els if not _flag(el, "IsNull")]
    # UID 0 at outline level 0 is the project summary task: Project derives it from the others on open.
    tasks = [t for t in tasks if not (t.uid == 0 and t.outline_level == 0)]
    uids = [t.uid for t in tasks]
    if len(set(uids)) != len(uids):
        raise PlanError("duplicate_uid", uid=str(next(u for u in uids if uids.count(u) > 1)))
    resources = []
    for el in root.findall(f"{_q('Resources')}/{_q('Resource')}"):
        uid = _int(el, "UID", "Resource")
        name = (_text(el, "Name") or "")[:MAX_NAME_CHARS]
        if uid == 0 and not name:
            continue  # Project writes an unnamed resource 0
        resources.append(PlanResource(uid=uid, id=_int(el, "ID", f"Resource UID {uid}", default=uid), name=name,
                                      email=(_text(el, "EmailAddress") or "")[:200]))
    known = {r.uid for r in resources}
    assigned: dict[int, list[int]] = {}
    for el in root.findall(f"{_q('Assignments')}/{_q('Assignment')}"):
        task_uid = _int(el, "TaskUID", "Assignment")
        resource_uid = _int(el, "ResourceUID", "Assignment", low=-(2**31))
        if resource_uid in known:  # -65535: Project's "unassigned" placeholder
            assigned.setdefault(task_uid, []).append(resource_uid)
    by_uid = set(uids)
    for t in tasks:
        for link in t.predecessors:
            if link.predecessor_uid not in by_uid:
                raise PlanError("unknown_predecessor", where=f"Task UID {t.uid}", uid=str(link.predecessor_uid))
    tasks = [t if t.uid not in assigned else replace(t, resources=tuple(assigned[t.uid])) for t in tasks]
    return Plan(name=(_text(root, "Name") or _text(root, "Title") or "")[:MAX_NAME_CHARS],
                start=_date(root, "StartDate", "Project"), finish=_date(root, "FinishDate", "Project"),
                tasks=tuple(tasks), resources=tuple(resources), currency=(_text(root, "CurrencyCode") or "")[:3] or None)


def _add(parent: ET.Element, tag: str, value: object) -> None:
    if value is None:
        return
    ET.SubElement(parent, tag).text = str(int(value)) if isinstance(value, bool) else str(value)


def write_mspdi(plan: Plan) -> bytes:
    """The plan as an MSPDI file Project opens (File > Open, XML Format); elements in the schema's order."""
    root = ET.Element("Project", {"xmlns": NS})  # children unqualified: they are in the default namespace
    _add(root, "SaveVersion", SAVE_VERSION)
    _add(root, "Name", plan.name)
    _add(root, "StartDate", plan.start)
    _add(root, "FinishDate", plan.finish)
    _add(root, "CurrencyCode", plan.currency)
    tasks_el = ET.SubElement(root, "Tasks")
    for t in plan.tasks:
        el = ET.SubElement(tasks_el, "Task")
        _add(el, "UID", t.uid)
        _add(el, "ID", t.id)
        _add(el, "Name", t.name)
        _add(el, "WBS", t.wbs)
        _add(el, "OutlineNumber", t.outline_number)
        _add(el, "OutlineLevel", t.outline_level)
        _add(el, "Start", t.start)
        _add(el, "Finish", t.finish)
        _add(el, "Milestone", t.milestone)
        _add(el, "Summary", t.summary)
        _add(el, "PercentComplete", t.percent)
        for link in t.predecessors:
            link_el = ET.SubElement(el, "PredecessorLink")
            _add(link_el, "PredecessorUID", link.predecessor_uid)
            _add(link_el, "Type", link.type)
            _add(link_el, "LinkLag", link.lag_tenth_min)
        if t.baseline_start or t.baseline_finish:
            baseline = ET.SubElement(el, "Baseline")
            _add(baseline, "Number", 0)
            _add(baseline, "Start", t.baseline_start)
            _add(baseline, "Finish", t.baseline_finish)
    resources_el = ET.SubElement(root, "Resources")
    for r in plan.resources:
        el = ET.SubElement(resources_el, "Resource")
        _add(el, "UID", r.uid)
        _add(el, "ID", r.id)
        _add(el, "Name", r.name)
        _add(el, "EmailAddress", r.email or None)
    assignments_el = ET.SubElement(root, "Assignments")
    n = 0
    for t in plan.tasks:
        for resource_uid in t.resources:
            n += 1
            el = ET.SubElement(assignments_el, "Assignment")
            _add(el, "UID", n)
            _add(el, "TaskUID", t.uid)
            _add(el, "ResourceUID", resource_uid)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body


def plan_rows(plan: Plan) -> list[tuple[int, dict[str, object]]]:
    """A plan as rows for a file source's rules (bot/mapping/files.py): one per task that is not a summary, the
    line being its ID, the resource names joined with commas."""
    rows = []
    for t in plan.tasks:
        if t.summary:
            continue
        names = [r.name for r in (plan.resource(u) for u in t.resources) if r is not None]
        rows.append((t.id, {"UID": t.uid, "ID": t.id, "Name": t.name, "WBS": t.wbs, "OutlineLevel": t.outline_level,
                            "Start": t.start, "Finish": t.finish, "PercentComplete": t.percent,
                            "BaselineStart": t.baseline_start, "BaselineFinish": t.baseline_finish,
                            "Resources": ", ".join(names), "Milestone": t.milestone,
                            "Predecessors": ",".join(f"{p.predecessor_uid}{_LINK_TYPES[p.type]}" for p in t.predecessors)}))
    return rows
