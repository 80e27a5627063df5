"""Zentao (禅道) open source, REST API v1 (/api.php/v1).

A token from POST /tokens (account + password) rides in the `Token:` header; a 401 means it ran out, so we log
in again once. Errors are {"error": text | [texts] | {field: [texts]}}. A project's tasks live in its
executions (sprints/stages), which serve as its milestones. Statuses: wait → todo, doing → in_progress,
pause → blocked, done/closed/cancel → done; they move by actions (start, pause, restart, finish, activate),
each with the fields Zentao requires. Effort is recorded per row (date, consumed, left, work). REST v1 has no
comment call: a comment rides on an assign-to-the-same-person action, which keeps it in the task's history.
Task 123 of the project mapped to PUMP is PUMP-123 in chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config, Settings, ZentaoConnectorConfig
from bot.constants import DEFAULT_TIMEZONE, PMS_PAGE_SIZE, PMS_SUMMARY_MAX_TASKS
from bot.pms import zentao_edits
from bot.pms.base import STATUSES, PMSDown, PMSError, TaskEdit, Written
from bot.pms.capabilities import conformance
from bot.pms.http import PMSHttp
from bot.pms.people import PeopleMap, task_number
from bot.pms.remote import odd_answers_refused, parse_day, progress_comment, reopen_or_start, summarize
from bot.records import Attachment, Milestone, Person, Project, ProjectSummary, Task

API = "/api.php/v1"
CAPABILITIES = conformance("zentao", webhooks="tests/test_pms_chat.py::test_zentao_commands_and_hook")
_STATUS = {"wait": "todo", "doing": "in_progress", "pause": "blocked", "done": "done", "closed": "done",
           "cancel": "done"}
_OPEN = ("wait", "doing", "pause")
# GET /executions/:id/tasks?status=… is Zentao's browse type: a word (all, undone, unclosed, delayed…) or, when it is
# none of those, a list of statuses (taskModel::getExecutionTasks: `t1.status IN (…)`). The list means the same in
# every release, where `undone` does not (wait+doing in older ones, anything but done/closed in current ones).
_OPEN_FILTER = ",".join(_OPEN)
# Pages in id order: a task created while we page lands on the last page instead of shifting the others.
_PAGE_ORDER = "id_asc"


def build(settings: Settings, config: Config, clock: Clock) -> ZentaoClient | None:
    if not (settings.zentao_url and settings.zentao_account and settings.zentao_password):
        return None
    return ZentaoClient(url=settings.zentao_url, account=settings.zentao_account,
                        password=settings.zentao_password.get_secret_value(), config=config.connectors.zentao,
                        timezone=config.connectors.zentao.timezone or config.timezone, clock=clock)


def _num(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except ArithmeticError:
        return Decimal(0)


def _hours(value: Any) -> Decimal:
    return _num(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


def _when(value: Any) -> datetime | None:
    """Zentao's formatted UTC "2026-11-30T10:00:00Z" (raw local times are not used)."""
    if not isinstance(value, str) or not value.endswith("Z"):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _account(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("account")
    return str(value) if value and value != "closed" else None


def _error(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else body
    if isinstance(error, list):
        return "; ".join(str(e) for e in error)[:300]
    if isinstance(error, dict):
        return "; ".join(f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in error.items())[:300]
    return str(error or "")[:300]


@odd_answers_refused("Zentao")
class ZentaoClient:
    name = "zentao"

    def __init__(self, *, url: str, account: str, password: str, config: ZentaoConnectorConfig,
                 timezone: str = DEFAULT_TIMEZONE, clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config
        self.clock = clock
        self.tz = ZoneInfo(timezone)
        self.account = account
        self._password = password
        self.http = PMSHttp(connector="zentao", display="Zentao", base_url=url, reauth=self.login,
                            headers={"Accept": "application/json"}, clock=clock)

    def for_project(self, project: Project, people: Callable[[], Awaitable[PeopleMap]]) -> ZentaoPMS:
        return ZentaoPMS(self, project, people)

    async def check(self) -> str:
        me = await self.send("GET", "/user")
        profile = me.get("profile") or {}
        return f"Zentao as {profile.get('account', self.account)}"

    async def close(self) -> None:
        await self.http.close()

    async def login(self) -> None:
        self.http.headers.pop("Token", None)
        # Not journaled (a token is not a result to replay) and not re-logged-in on 401 (that would loop).
        response = await self.http.call("POST", API + "/tokens", journaled=False,
                                        json={"account": self.account, "password": self._password})
        body = self.http.json_of(response)
        if response.status_code >= 300 or not isinstance(body, dict) or not body.get("token"):
            raise PMSDown("Zentao", "auth", _error(body) or f"login answered {response.status_code}", connector="zentao")
        self.http.headers["Token"] = str(body["token"])

    async def send(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                   missing: str | None = None) -> Any:
        if "Token" not in self.http.headers:
            await self.login()
        response = await self.http.call(method, API + path, params=params, json=json)
        body = self.http.json_of(response) if response.content else {}
        status = response.status_code
        if status < 300:
            return body
        if status == 404 and missing:
            raise PMSError("unknown_task", task=missing)
        if status == 403:
            raise PMSError("pms_forbidden", pms="Zentao", reason=_error(body) or f"{method} {path}")
        raise PMSError("pms_refused", pms="Zentao", reason=_error(body) or f"{method} {path} answered {status}")

    async def pages(self, path: str, key: str, limit: int, params: dict[str, Any] | None = None
                    ) -> list[dict[str, Any]]:
        """A list, page by page until `total` (Zentao answers a page past the end with the last page again)."""
        items: list[dict[str, Any]] = []
        page = 1
        while len(items) < limit:
            body = await self.send("GET", path, params={**(params or {}), "page": page, "limit": PMS_PAGE_SIZE})
            batch = body.get(key) or []
            items += batch
            if not batch or len(items) >= int(body.get("total") or 0):
                break
            page += 1
        return items[:limit]


@odd_answers_refused("Zentao")
class ZentaoPMS:
    name = "zentao"

    def __init__(self, client: ZentaoClient, project: Project, people: Callable[[], Awaitable[PeopleMap]]) -> None:
        self.c = client
        self.project = project
        self.project_id = str(project.pms_project or "")
        self._people = people
        self._executions: list[dict[str, Any]] | None = None

    def _task(self, raw: dict[str, Any], people: PeopleMap, executions: dict[int, str]) -> Task:
        status = _STATUS.get(str(raw.get("status")), "in_progress")
        consumed, left = _num(raw.get("consumed")), _num(raw.get("left"))
        progress = raw.get("progress")
        if status == "done":
            percent = 100
        elif progress is not None and str(progress).replace(".", "", 1).isdigit():
            percent = min(100, round(float(progress)))
        else:
            percent = min(99, round(100 * consumed / (consumed + left))) if consumed + left else 0
        estimate = _num(raw.get("estimate"))
        return Task(
            key=f"{self.project.key}-{raw['id']}", project=self.project.key, title=str(raw.get("name", "")),
            status=status, percent=percent, assignee=people.person_of(_account(raw.get("assignedTo"))),
            due=parse_day(raw.get("deadline")), estimate_h=_hours(estimate) if estimate else None,
            spent_h=_hours(consumed), milestone=executions.get(int(raw.get("execution") or 0)),
            blocked_reason=None, updated_at=_when(raw.get("lastEditedDate")) or _when(raw.get("openedDate"))
            or self.c.clock.now(), created_at=_when(raw.get("openedDate")),
            priority=str(raw["pri"]) if raw.get("pri") is not None else None,
        )

    async def _execution_list(self) -> list[dict[str, Any]]:
        if self._executions is None:
            self._executions = await self.c.pages(f"/projects/{self.project_id}/executions", "executions", 10_000)
        return self._executions

    async def _execution_names(self) -> dict[int, str]:
        return {int(e["id"]): str(e.get("name", "")) for e in await self._execution_list()}

    async def _raw(self, key: str) -> dict[str, Any]:
        number = task_number(key, self.project.key)
        raw = await self.c.send("GET", f"/tasks/{number}", missing=key)
        if str(raw.get("project", "")) != self.project_id:
            raise PMSError("unknown_task", task=key)
        return dict(raw)

    async def _to_task(self, raw: dict[str, Any]) -> Task:
        return self._task(raw, await self._people(), await self._execution_names())

    async def get_task(self, key: str) -> Task | None:
        try:
            return await self._to_task(await self._raw(key))
        except PMSError as exc:
            if exc.code == "unknown_task":
                return None
            raise

    async def _all(self, limit: int, *, open_only: bool = False) -> list[dict[str, Any]]:
        """The project's tasks (only the open ones if asked: Zentao filters by status, so closed tasks are never
        read), execution by execution, a page at a time."""
        params = {"order": _PAGE_ORDER, **({"status": _OPEN_FILTER} if open_only else {})}
        tasks: list[dict[str, Any]] = []
        for execution in await self._execution_list():
            if len(tasks) >= limit:
                break
            tasks += await self.c.pages(f"/executions/{execution['id']}/tasks", "tasks", limit - len(tasks), params)
        return tasks

    async def search_tasks(self, *, project: str | None = None, assignee: Person | None = None,
                           open_only: bool = True, limit: int = 50) -> list[Task]:
        if assignee is not None and not assignee.pms_user:
            return []
        # Zentao filters lists by status but not by assignee (nor sorts empty deadlines last): the project's open
        # tasks are read in pages, then filtered by assignee and sorted here.
        raws = await self._all(PMS_SUMMARY_MAX_TASKS, open_only=open_only)
        people, names = await self._people(), await self._execution_names()
        tasks = [self._task(r, people, names) for r in raws
                 if (not open_only or r.get("status") in _OPEN)
                 and (assignee is None or (_account(r.get("assignedTo")) or "").casefold()
                      == str(assignee.pms_user).casefold())]
        tasks.sort(key=lambda t: (t.due is None, t.due or date.min, int(t.key.rpartition("-")[2])))
        return tasks[:limit]

    async def create_task(self, project: str, title: str, *, assignee: Person | None, due: date | None,
                          by: Person) -> Task:
        executions = [e for e in await self._execution_list() if e.get("status") not in ("closed", "done")]
        if not executions:
            raise PMSError("pms_refused", pms="Zentao", reason=f"project {self.project_id} has no open execution")
        today = self.c.clock.today(self.c.tz)
        body: dict[str, Any] = {"name": title, "type": "devel", "estStarted": today.isoformat(),
                                "deadline": (due or today).isoformat(),
                                "assignedTo": assignee.pms_user if assignee and assignee.pms_user else self.c.account,
                                "desc": f"{by.name} (pmsbot)"}
        created = await self.c.send("POST", f"/executions/{executions[0]['id']}/tasks", json=body)
        return await self._task_or_fail(f"{self.project.key}-{created['id']}")

    async def _task_or_fail(self, key: str) -> Task:
        task = await self.get_task(key)
        if task is None:
            raise PMSError("unknown_task", task=key)
        return task

    async def _act(self, raw: dict[str, Any], verb: str, body: dict[str, Any], key: str) -> None:
        await self.c.send(self.c.config.action_method, f"/tasks/{raw['id']}/{verb}", json=body, missing=key)

    async def report_progress(self, key: str, *, percent: int | None, note: str, hours: Decimal | None,
                              by: Person) -> Written:
        raw = await self._raw(key)
        text = progress_comment(by, percent=percent, note=note) or by.name
        status = _STATUS.get(str(raw.get("status")), "in_progress")
        target = reopen_or_start(status, percent)
        consumed = _num(raw.get("consumed")) + (hours or 0)
        left = self._left(consumed, percent, _num(raw.get("left")))
        if target == "done":
            await self._finish(raw, key, hours or Decimal(0), text)
            return Written.of(await self._task_or_fail(key), None)
        if target == "in_progress":
            await self._move(raw, "in_progress", key, comment=text, left=left)
            raw = await self._raw(key)
        if hours is not None:
            # One effort row: Zentao adds its hours to consumed and takes its `left` as the new remainder.
            await self.c.send("POST", f"/tasks/{raw['id']}/estimate", missing=key, json={
                "date": [self.c.clock.today(self.c.tz).isoformat()], "consumed": [float(hours)], "left": [float(left)],
                "work": [text[:250]]})
        elif percent is not None and target is None:
            await self.c.send("PUT", f"/tasks/{raw['id']}", json={"left": float(left)}, missing=key)
        written = await self._task_or_fail(key)
        if status == "blocked" and hours is not None and written.status == "in_progress":
            # Zentao restarts a paused task when effort is recorded on it; progress around a blocker keeps it.
            await self._act(await self._raw(key), "pause", {"comment": text}, key)
            written = await self._task_or_fail(key)
        return Written.of(written, None)  # an effort row has no id in the answer

    @staticmethod
    def _left(consumed: Decimal, percent: int | None, left: Decimal) -> Decimal:
        """The remainder that makes Zentao's progress (consumed / (consumed + left)) the reported percent."""
        if percent is None or percent <= 0 or consumed <= 0:
            return left
        if percent >= 100:
            return Decimal(0)
        return (consumed * (100 - percent) / percent).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    async def _finish(self, raw: dict[str, Any], key: str, hours: Decimal, comment: str) -> None:
        if _num(raw.get("consumed")) + hours <= 0:
            raise PMSError("pms_refused", pms="Zentao",
                           reason=f"Zentao finishes a task only with the hours spent on it: add them, like "
                                  f"`done {key} 2h`")
        now = self.c.clock.now().astimezone(self.c.tz)  # Zentao's server time
        body = {"currentConsumed": float(hours), "finishedDate": now.strftime("%Y-%m-%d %H:%M:%S"),
                "assignedTo": _account(raw.get("assignedTo")) or self.c.account, "comment": comment}
        if str(raw.get("realStarted") or "").startswith(("0000", "None")) or not raw.get("realStarted"):
            body["realStarted"] = now.strftime("%Y-%m-%d %H:%M:%S")
        await self._act(raw, "finish", body, key)

    async def _move(self, raw: dict[str, Any], status: str, key: str, *, comment: str, left: Decimal | None = None
                    ) -> None:
        current = str(raw.get("status"))
        remainder = float(left if left is not None else _num(raw.get("left")) or _num(raw.get("estimate")) or 1)
        if status == "in_progress":
            if current == "wait":
                await self._act(raw, "start", {"left": remainder, "consumed": float(_num(raw.get("consumed"))),
                                               "comment": comment}, key)
            elif current == "pause":
                await self._act(raw, "restart", {"left": remainder, "consumed": float(_num(raw.get("consumed"))),
                                                 "comment": comment}, key)
            elif current in ("done", "closed", "cancel"):
                await self._act(raw, "active", {"left": remainder, "comment": comment,
                                                "assignedTo": _account(raw.get("assignedTo")) or self.c.account}, key)
            return
        if status == "blocked":
            if current == "wait":
                await self._act(raw, "start", {"left": remainder, "consumed": float(_num(raw.get("consumed")))}, key)
            if current in ("wait", "doing"):
                await self._act(raw, "pause", {"comment": comment}, key)
                return
        if status == "todo" and current == "wait":
            return
        raise PMSError("transition_not_allowed", task=key, status=status, pms="Zentao",
                       allowed=", ".join(_ALLOWED.get(current, ())) or "-")

    async def check_move(self, key: str, status: str, *, by: Person) -> None:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        current = str((await self._raw(key)).get("status"))
        if _STATUS.get(current) == status or status == "done":
            return
        possible = {"in_progress": ("wait", "pause", "done", "closed", "cancel"), "blocked": ("wait", "doing"),
                    "todo": ("wait",)}
        if current not in possible.get(status, ()):
            raise PMSError("transition_not_allowed", task=key, status=status, pms="Zentao",
                           allowed=", ".join(_ALLOWED.get(current, ())) or "-")

    async def transition(self, key: str, status: str, *, reason: str, by: Person) -> Task:
        if status not in STATUSES:
            raise PMSError("unknown_status", status=status)
        raw = await self._raw(key)
        comment = f"{by.name}: {reason}" if reason else by.name
        if _STATUS.get(str(raw.get("status"))) == status:
            if reason:
                await self._comment(raw, comment, key)
        elif status == "done":
            await self._finish(raw, key, Decimal(0), comment)
        else:
            await self._move(raw, status, key, comment=comment)
        return await self._task_or_fail(key)

    async def _comment(self, raw: dict[str, Any], text: str, key: str) -> None:
        # The assign form requires a non-zero `left` (module/task/config/form.php: assign['left'] required), so a
        # task with nothing left (done, or never estimated) is assigned with 1h and given its 0 back by an edit
        # (PUT /tasks/:id; the edit form takes left 0 outside doing/pause: taskTao::getRequiredFields4Edit).
        left = _num(raw.get("left"))
        await self._act(raw, "assignto", {"assignedTo": _account(raw.get("assignedTo")) or self.c.account,
                                          "left": float(left) if left > 0 else 1.0, "comment": text}, key)
        if left <= 0:
            await self.c.send("PUT", f"/tasks/{raw['id']}", json={"left": 0}, missing=key)

    async def comment(self, key: str, body: str, *, by: Person) -> None:
        await self._comment(await self._raw(key), f"{by.name}: {body}", key)

    async def log_work(self, key: str, hours: Decimal, *, note: str, by: Person) -> str | None:
        """One effort row. REST v1 answers with the task, not the row: no id (and it could not delete one)."""
        raw = await self._raw(key)
        await self.c.send("POST", f"/tasks/{raw['id']}/estimate", missing=key, json={
            "date": [self.c.clock.today(self.c.tz).isoformat()], "consumed": [float(hours)],
            "left": [float(_num(raw.get("left")))], "work": [(f"{by.name}: {note}" if note else by.name)[:250]]})
        return None

    async def delete_worklog(self, key: str, worklog: str, *, by: Person) -> None:
        # REST v1 routes /tasks/:id/estimate to GET and POST only; deleting an effort row is the web UI's
        # task-deleteEstimate, behind a browser session. We do not pretend: the caller says the row stays.
        raise PMSError("worklog_not_deletable", pms="Zentao", task=key)

    async def attach(self, key: str, file: Attachment, *, by: Person) -> None:
        # REST v1 has no file upload (files came with REST v2 in Zentao 22: POST /api.php/v2/files); say so.
        raise PMSError("attach_not_supported", pms="Zentao", task=key)

    async def edit_task(self, key: str, edit: TaskEdit, *, by: Person) -> Task:
        return await zentao_edits.edit_task(self, key, edit, by=by)

    async def find_tasks(self, project: str, words: str, *, limit: int) -> list[Task]:
        return await zentao_edits.find_tasks(self, words, limit=limit)

    async def list_milestones(self, project: str) -> list[Milestone]:
        return list((await self.project_summary(project, today=self.c.clock.now().date())).milestones)

    async def project_summary(self, project: str, *, today: date) -> ProjectSummary:
        executions = await self._execution_list()
        names = await self._execution_names()
        tasks = [self._task(r, PeopleMap(), names) for r in await self._all(PMS_SUMMARY_MAX_TASKS)]
        dues = [(int(e["id"]), str(e.get("name", "")), parse_day(e.get("end"))) for e in executions]
        return summarize(self.project, tasks, dues, today=today)


# What can follow each status, for the message when a move is not possible.
_ALLOWED = {"wait": ("start", "finish", "pause"), "doing": ("pause", "finish"), "pause": ("restart", "finish"),
            "done": ("activate",), "closed": ("activate",), "cancel": ("activate",)}
