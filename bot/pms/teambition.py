"""Teambition (Alibaba), Open API v3 at open.teambition.com/api, as an enterprise-internal app.

The app signs its own token (bot/pms/teambition_wire.py) and names the enterprise in every call; each write names
who makes it in `X-Operator-Id`: the person's own Teambition user when they have linked one and are a member of the
project, else the bot's user (TEAMBITION_OPERATOR_ID), and then the text starts with the person's name. A task is
read by its number (`uniqueId`, shown as <prefix>-<n>): PUMP-123 is task 123 of the project mapped to PUMP. Status
is the task's workflow status (taskflowstatus) read by name (connectors.teambition.statuses) or kind; percent is
`progress` (or a custom field); hours are work-time entries; milestones are the project's sprints.

The routes and where each is documented: bot/pms/teambition_wire.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config, Settings, TeambitionConnectorConfig
from bot.constants import DEFAULT_TIMEZONE, PMS_PAGE_SIZE, PMS_SUMMARY_MAX_TASKS
from bot.pms import teambition_edits
from bot.pms.base import STATUSES, PMSError, TaskEdit, Written
from bot.pms.capabilities import conformance
from bot.pms.http import PMSHttp, TTLCache
from bot.pms.people import PeopleMap, task_number
from bot.pms.remote import odd_answers_refused, progress_comment, reopen_or_start, summarize
from bot.pms.teambition_wire import (
    TOKEN_RENEW_BEFORE_S,
    app_token,
    day_bounds,
    due_day,
    due_instant,
    error_text,
    field_value,
    hours_of_ms,
    is_object_id,
    ms_of_hours,
    number,
    refused_code,
    said,
    tql_string,
    when,
)
from bot.records import Attachment, Milestone, Person, Project, ProjectSummary, Task

CAPABILITIES = conformance("teambition", webhooks="tests/test_teambition.py::test_a_signed_task_event_is_stored_once",
                           per_person="tests/test_teambition.py::test_writes_go_as_the_linked_person_else_as_the_bot_named")
_KINDS = {"start": "todo", "unset": "in_progress", "end": "done"}


def build(settings: Settings, config: Config, clock: Clock) -> TeambitionClient | None:
    if not (settings.teambition_app_id and settings.teambition_app_secret and settings.teambition_tenant_id):
        return None
    conf = config.connectors.teambition
    return TeambitionClient(url=settings.teambition_url, app_id=settings.teambition_app_id,
                            app_secret=settings.teambition_app_secret.get_secret_value(),
                            tenant_id=settings.teambition_tenant_id, operator_id=settings.teambition_operator_id,
                            config=conf, timezone=conf.timezone or config.timezone, clock=clock)


@odd_answers_refused("Teambition")
class TeambitionClient:
    name = "teambition"

    def __init__(self, *, url: str, app_id: str, app_secret: str, tenant_id: str, operator_id: str | None,
                 config: TeambitionConnectorConfig, timezone: str = DEFAULT_TIMEZONE,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config
        self.clock = clock
        self.tz = ZoneInfo(timezone)
        self.operator_id = operator_id
        self._app = (app_id, app_secret)
        self._token_until = 0.0
        self.http = PMSHttp(connector="teambition", display="Teambition", base_url=url, reauth=self._renew,
                            headers={"Accept": "application/json", "X-Tenant-Id": tenant_id,
                                     "X-Tenant-Type": "organization"}, clock=clock)
        self.statuses: TTLCache[list[dict[str, Any]]] = TTLCache()
        self.members: TTLCache[frozenset[str]] = TTLCache()

    def for_project(self, project: Project, people: Callable[[], Awaitable[PeopleMap]]) -> TeambitionPMS:
        return TeambitionPMS(self, project, people)

    async def check(self) -> str:
        org = await self.send("GET", "/org/info", params={"orgId": self.http.headers["X-Tenant-Id"]})
        return f"Teambition as app {self._app[0]} in {org.get('name') or self.http.headers['X-Tenant-Id']}"

    async def close(self) -> None:
        await self.http.close()

    async def _renew(self) -> None:
        """A 401: sign a new token at once (PMSHttp tries once more with it, then calls it PMSDown("auth"))."""
        self._token_until = 0.0
        self._sign_if_due()

    def _sign_if_due(self) -> None:
        now = self.clock.now()
        if now.timestamp() < self._token_until - TOKEN_RENEW_BEFORE_S:
            return
        token, self._token_until = app_token(*self._app, now=now)
        self.http.headers["Authorization"] = f"Bearer {token}"

    async def send(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                   operator: str | None = None, missing: str | None = None, whole: bool = False) -> Any:
        """The answer's `result` (the whole body with `whole`); a refusal as PMSError."""
        self._sign_if_due()
        headers = {"X-Operator-Id": operator} if operator else None
        response = await self.http.call(method, path, params=params, json=json, headers=headers)
        body = self.http.json_of(response) if response.content else {}
        code = refused_code(response.status_code, body)
        if code is None:
            return body if whole else (body.get("result") if isinstance(body, dict) else body)
        if code == 404 and missing:
            raise PMSError("unknown_task", task=missing)
        if code == 403:
            raise PMSError("pms_forbidden", pms="Teambition", reason=error_text(body) or f"{method} {path}")
        raise PMSError("pms_refused", pms="Teambition", reason=error_text(body) or f"{method} {path} answered {code}")

    async def pages(self, path: str, limit: int, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """A list read page by page, following `nextPageToken` until it is empty (or repeats)."""
        items: list[dict[str, Any]] = []
        token = ""
        seen: set[str] = set()
        while len(items) < limit:
            query = {**(params or {}), "pageSize": PMS_PAGE_SIZE}  # one size throughout: the token may encode it
            if token:
                query["pageToken"] = token
            body = await self.send("GET", path, params=query, whole=True)
            batch = body.get("result") or []
            items += [i for i in batch if isinstance(i, dict)]
            token = str(body.get("nextPageToken") or "")
            if not batch or not token or token in seen:
                break
            seen.add(token)
        return items[:limit]

    async def project_statuses(self, project_id: str) -> list[dict[str, Any]]:
        async def load() -> list[dict[str, Any]]:
            return await self.pages(f"/v3/project/{project_id}/taskflowstatus/search", 1000)
        return await self.statuses.get(project_id, load)

    async def project_members(self, project_id: str) -> frozenset[str]:
        async def load() -> frozenset[str]:
            found = await self.pages(f"/v3/project/{project_id}/member", 10_000)
            return frozenset(str(m.get("userId")) for m in found if m.get("userId"))
        return await self.members.get(project_id, load)


@odd_answers_refused("Teambition")
class TeambitionPMS:
    name = "teambition"

    def __init__(self, client: TeambitionClient, project: Project, people: Callable[[], Awaitable[PeopleMap]]) -> None:
        self.c = client
        self.project = project
        self.project_id = str(project.pms_project or "")
        self._people = people
        self._sprints: dict[str, tuple[str, date | None]] | None = None
        self.wrote: list[bool] = []  # per write: True as the person, False as the bot's user (base.wrote_as_bot)

    # -- reading ------------------------------------------------------------------------------------------------

    async def _statuses(self) -> dict[str, dict[str, Any]]:
        return {str(s.get("id")): s for s in await self.c.project_statuses(self.project_id)}

    def _neutral(self, status: dict[str, Any] | None, raw: dict[str, Any]) -> str:
        name = str((status or {}).get("name", "")).casefold()
        for neutral in STATUSES:
            if name and name in (n.casefold() for n in getattr(self.c.config.statuses, neutral)):
                return neutral
        if raw.get("isDone") is True:
            return "done"
        return _KINDS.get(str((status or {}).get("kind")), "in_progress")

    async def _sprint_names(self) -> dict[str, tuple[str, date | None]]:
        if self._sprints is None:
            found = await self.c.pages(f"/v3/project/{self.project_id}/sprint/search", 1000)
            self._sprints = {str(s.get("id")): (str(s.get("name", "")), due_day(s.get("dueDate"), self.c.tz))
                             for s in found}
        return self._sprints

    def _task(self, raw: dict[str, Any], people: PeopleMap, statuses: dict[str, dict[str, Any]],
              sprints: dict[str, tuple[str, date | None]], *, spent: Decimal = Decimal(0),
              planned: Decimal | None = None) -> Task:
        fields = self.c.config.fields
        status = self._neutral(statuses.get(str(raw.get("tfsId"))), raw)
        custom = number(field_value(raw, fields.percent))
        percent = 100 if status == "done" else max(0, min(100, round(custom if custom is not None
                                                                    else raw.get("progress") or 0)))
        estimate = number(field_value(raw, fields.estimate_h)) if fields.estimate_h else planned
        sprint = sprints.get(str(raw.get("sprintId") or ""))
        return Task(
            key=f"{self.project.key}-{raw['uniqueId']}", project=self.project.key, title=str(raw.get("content", "")),
            status=status, percent=percent, assignee=people.person_of(raw.get("executorId")),
            due=due_day(raw.get("dueDate"), self.c.tz), estimate_h=estimate or None, spent_h=spent,
            milestone=sprint[0] if sprint else None, blocked_reason=None,
            updated_at=when(raw.get("updated")) or self.c.clock.now(), created_at=when(raw.get("created")),
            priority=field_value(raw, fields.priority) or (str(raw["priority"]) if raw.get("priority") is not None
                                                           else None))

    async def _raw(self, key: str) -> dict[str, Any]:
        found = await self.c.send("GET", "/v3/task/query", params={"shortIds": str(task_number(key, self.project.key))})
        raw = next((t for t in found or [] if isinstance(t, dict) and t.get("projectId") == self.project_id), None)
        if raw is None or raw.get("isArchived") is True:
            raise PMSError("unknown_task", task=key)
        return dict(raw)

    async def _hours(self, task_id: str, kind: str) -> Decimal:
        rows = await self.c.send("GET", f"/{kind}/aggregation/task/{task_id}")
        return sum((hours_of_ms(r.get(kind)) for r in rows or [] if isinstance(r, dict)), Decimal(0))

    async def _full(self, raw: dict[str, Any]) -> Task:
        spent = await self._hours(str(raw["id"]), "worktime")
        planned = None if self.c.config.fields.estimate_h else await self._hours(str(raw["id"]), "plantime")
        return self._task(raw, await self._people(), await self._statuses(), await self._sprint_names(),
                          spent=spent, planned=planned)

    async def get_task(self, key: str) -> Task | None:
        try:
            return await self._full(await self._raw(key))
        except PMSError as exc:
            if exc.code == "unknown_task":
                return None
            raise

    async def key_of(self, task_id: str) -> str | None:
        """The chat key of a task named by its Teambition id (a webhook's), if it is in this project."""
        if not is_object_id(task_id):
            return None
        found = await self.c.send("GET", "/v3/task/query", params={"taskId": task_id})
        raw = next((t for t in found or [] if isinstance(t, dict) and t.get("projectId") == self.project_id), None)
        return f"{self.project.key}-{raw['uniqueId']}" if raw is not None else None

    async def _task_or_fail(self, key: str) -> Task:
        task = await self.get_task(key)
        if task is None:
            raise PMSError("unknown_task", task=key)
        return task

    async def _query(self, clauses: list[str], limit: int) -> list[dict[str, Any]]:
        q = " AND ".join(clauses) + " ORDER BY created ASC" if clauses else "ORDER BY created ASC"
        return await self.c.pages(f"/v3/project/{self.project_id}/task/query", limit, {"q": q})

    async def search_tasks(self, *, project: str | None = None, assignee: Person | None = None,
                           open_only: bool = True, limit: int = 50) -> list[Task]:
        clauses = ["isDone = false"] if open_only else []
        if assignee is not None:
            if not is_object_id(assignee.pms_user):
                return []
            clauses.append(f"executorId = {tql_string(str(assignee.pms_user))}")
        raws = await self._query(clauses, PMS_SUMMARY_MAX_TASKS)
        people, statuses, sprints = await self._people(), await self._statuses(), await self._sprint_names()
        # Lists carry no work time (one call per task would be needed): spent hours are read per task.
        tasks = [self._task(r, people, statuses, sprints) for r in raws if r.get("uniqueId") is not None]
        tasks = [t for t in tasks if not open_only or t.status != "done"]
        tasks.sort(key=lambda t: (t.due is None, t.due or date.min, int(t.key.rpartition("-")[2])))
        return tasks[:limit]

    # -- writing ------------------------------------------------------------------------------------------------

    async def _operator(self, by: Person) -> tuple[str, bool]:
        """Who the write is made as: the person's own user (True) or the bot's (False), kept in `wrote`."""
        mine = is_object_id(by.pms_user) and str(by.pms_user) in await self.c.project_members(self.project_id)
        if not mine and not self.c.operator_id:
            raise PMSError("pms_refused", pms="Teambition",
                           reason=f"{by.name} has no Teambition user linked and TEAMBITION_OPERATOR_ID is not set")
        self.wrote.append(mine)
        return str(by.pms_user if mine else self.c.operator_id), mine

    async def create_task(self, project: str, title: str, *, assignee: Person | None, due: date | None,
                          by: Person) -> Task:
        operator, as_person = await self._operator(by)
        body: dict[str, Any] = {"projectId": self.project_id, "content": title,
                                "note": "" if as_person else f"{by.name} (pmsbot)"}
        if assignee is not None and is_object_id(assignee.pms_user):
            body["executorId"] = assignee.pms_user
        if due is not None:
            body["dueDate"] = due_instant(due, self.c.tz)
        created = await self.c.send("POST", "/v3/task/create", json=body, operator=operator)
        return await self._task_or_fail(f"{self.project.key}-{created['uniqueId']}")

    async def _set_percent(self, raw: dict[str, Any], percent: int, operator: str, key: str) -> None:
        cf = self.c.config.fields.percent
        if cf:
            await self.c.send("POST", f"/v3/task/{raw['id']}/customfield/update", operator=operator, missing=key,
                              json={"customfieldId": cf, "value": [{"title": str(percent)}]})
        else:
            await self.c.send("PUT", f"/v3/task/{raw['id']}/progress", json={"progress": percent}, operator=operator,
                              missing=key)

    async def report_progress(self, key: str, *, percent: int | None, note: str, hours: Decimal | None,
                              by: Person) -> Written:
        raw = await self._raw(key)
        operator, as_person = await self._operator(by)
        current = self._neutral((await self._statuses()).get(str(raw.get("tfsId"))), raw)
        # Repeatable writes first (the move, the percent), the one that adds (work time or comment) last.
        target = reopen_or_start(current, percent)
        if target is not None:
            await self._move(raw, target, key, note="", operator=operator)
        if percent is not None and target != "done":  # a move to done sets 100 itself
            await self._set_percent(raw, percent, operator, key)
        text = said(progress_comment(by, percent=percent, note=note).removeprefix(f"{by.name}: "), by.name,
                    as_person)
        entry = None
        if hours is not None:
            entry = await self._log(raw, hours, text, operator, key)
        elif note or (not as_person and percent is not None):  # the bot's write names whose report it was
            await self._comment(raw, text, operator, key)
        return Written.of(await self._task_or_fail(key), entry)

    async def _choose(self, raw: dict[str, Any], status: str, key: str) -> dict[str, Any]:
        """The workflow status a move to `status` goes to; transition_not_allowed when the current one refuses it."""
        statuses = await self._statuses()
        here = statuses.get(str(raw.get("tfsId"))) or {}
        flow = [s for s in statuses.values() if s.get("taskflowId") == here.get("taskflowId")
                and not s.get("isDeleted") and s.get("id") != here.get("id")]
        refused = set(here.get("rejectStatusIds") or [])
        names = [n.casefold() for n in getattr(self.c.config.statuses, status)]
        chosen = next((s for n in names for s in flow if str(s.get("name", "")).casefold() == n), None)
        if chosen is None and status != "blocked":
            chosen = next((s for s in flow if _KINDS.get(str(s.get("kind"))) == status), None)
        if chosen is None or chosen.get("id") in refused:
            allowed = ", ".join(str(s.get("name")) for s in flow if s.get("id") not in refused) or "-"
            raise PMSError("transition_not_allowed", task=key, status=status, pms="Teambition", allowed=allowed)
        return chosen

    async def _move(self, raw: dict[str, Any], status: str, key: str, *, note: str, operator: str) -> None:
        chosen = await self._choose(raw, status, key)
        body: dict[str, Any] = {"taskflowstatusId": chosen["id"]}
        if note:
            body["tfsUpdateNote"] = note
        await self.c.send("PUT", f"/v3/task/{raw['id']}/taskflowstatus", json=body, operator=operator, missing=key)
        if status == "done":
            await self._set_percent(raw, 100, operator, key)

    async def check_move(self, key: str, status: str, *, by: Person) -> None:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        raw = await self._raw(key)
        if self._neutral((await self._statuses()).get(str(raw.get("tfsId"))), raw) != status:
            await self._choose(raw, status, key)

    async def transition(self, key: str, status: str, *, reason: str, by: Person) -> Task:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        raw = await self._raw(key)
        operator, as_person = await self._operator(by)
        note = said(reason, by.name, as_person) if reason or not as_person else ""
        if self._neutral((await self._statuses()).get(str(raw.get("tfsId"))), raw) == status:
            if reason:
                await self._comment(raw, note, operator, key)
        else:
            await self._move(raw, status, key, note=note, operator=operator)
        return await self._task_or_fail(key)

    async def _comment(self, raw: dict[str, Any], text: str, operator: str, key: str) -> None:
        await self.c.send("POST", f"/v3/task/{raw['id']}/comment", json={"content": text, "renderMode": "plain"},
                          operator=operator, missing=key)

    async def comment(self, key: str, body: str, *, by: Person) -> None:
        operator, as_person = await self._operator(by)
        await self._comment(await self._raw(key), said(body, by.name, as_person), operator, key)

    async def _log(self, raw: dict[str, Any], hours: Decimal, text: str, operator: str, key: str) -> str:
        start, end = day_bounds(self.c.clock.today(self.c.tz))
        made = await self.c.send("POST", "/worktime/create", operator=operator, missing=key, json={
            "userId": operator, "submitterId": operator, "objectId": raw["id"], "objectType": "task",
            "includesHolidays": 1, "isDuration": 0, "worktime": ms_of_hours(hours), "startDate": start,
            "endDate": end, "description": text[:500]})
        return str(made[0]["worktimeId"])

    async def log_work(self, key: str, hours: Decimal, *, note: str, by: Person) -> str | None:
        operator, as_person = await self._operator(by)
        return await self._log(await self._raw(key), hours, said(note, by.name, as_person), operator, key)

    async def delete_worklog(self, key: str, worklog: str, *, by: Person) -> None:
        await teambition_edits.delete_worklog(self, key, worklog, by=by)

    async def attach(self, key: str, file: Attachment, *, by: Person) -> None:
        teambition_edits.refuse_attach(key, file, by=by)

    async def edit_task(self, key: str, edit: TaskEdit, *, by: Person) -> Task:
        teambition_edits.refuse_edit(key, edit, by=by)
        return await self._task_or_fail(key)

    async def find_tasks(self, project: str, words: str, *, limit: int) -> list[Task]:
        return await teambition_edits.find_tasks(self, words, limit=limit)

    async def list_milestones(self, project: str) -> list[Milestone]:
        return list((await self.project_summary(project, today=self.c.clock.today(self.c.tz))).milestones)

    async def project_summary(self, project: str, *, today: date) -> ProjectSummary:
        sprints = await self._sprint_names()
        statuses = await self._statuses()
        tasks = [self._task(r, PeopleMap(), statuses, sprints) for r in await self._query([], PMS_SUMMARY_MAX_TASKS)
                 if r.get("uniqueId") is not None]
        dues = [(n, name, due) for n, (name, due) in enumerate(sprints.values(), start=1)]
        return summarize(self.project, tasks, dues, today=today)
