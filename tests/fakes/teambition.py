"""A fake Teambition Open API (open.teambition.com/api) on 127.0.0.1: app tokens, tenants, projects, workflow
statuses, sprints, members, tasks, comments, work and plan time, and the app webhook sender.

What it checks, as the real service documents it:
- App token: `Authorization: Bearer <JWT>` signed HS256 with the app secret, claims `_appId` (this app), `iat`,
  `exp`; a bad signature, another app or an `exp` in the past (on the fake's clock) is 401 ("授权凭证"
  https://apifox.com/apidoc/project-518374/doc-385312; Go SDK configuration.go; tws-auth src/client.ts).
- Tenant: `X-Tenant-Id` must be the enterprise the app is installed in and `X-Tenant-Type` "organization"
  (tws-auth withTenant; every operation of the Go SDK's api/openapi.yaml takes X-Tenant-Id).
- Operator: writes need `X-Operator-Id`, a member of the enterprise (a write by a project outsider is 403); each
  write is recorded with its operator (`writes`), and comments / work time carry it as their creator.
- Schemas: request bodies are checked against the official schemas (tests/fakes/teambition_openapi.json, taken
  from github.com/teambition/openapi-sdk-golang api/openapi.yaml) plus the fields the docs mark required.
- Pagination: `pageSize` (default 10) and an opaque `nextPageToken`, "" on the last page; a token of another query
  is 400 (SearchProjectTasksV3 https://open.teambition.com/docs/apis/6321c6d1912d20d3b5a49ec1).
- TQL (`q`): `field = value` / `!=` joined by AND, strings in single quotes, `ORDER BY field ASC|DESC`; anything else
  is 400 (tb-skills references/general/TQL_REFERENCE.md).
- Rate limit: 40 calls a second per app, enterprise and endpoint, then 429 without Retry-After ("调用频率限制"
  https://apifox.com/apidoc/project-518374/doc-1922977); `limit_per_s` lowers it for tests.
- Errors: HTTP 4xx with {"code": <status>, "errorMessage": …, "requestId": …}.
- Workflow: a status's `rejectStatusIds` are the statuses a task in it may not move to (read so; the docs name the
  list "流转" of UpdateTaskFlowRejectStatusV3); moving to a status of kind `end` marks the task done.
- Webhooks: `delivery()` signs a body as X-Signature (hex HMAC-SHA256 with the app secret: the docs name the key
  and show 64 hex digits but no algorithm, so this is the same unconfirmed assumption as bot/hooks/teambition.py)
  with X-Request-Id, X-Tenant-Id, X-Tenant-Type (https://apifox.com/apidoc/project-518374/doc-387264).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from jsonschema import Draft7Validator

from tests.fakes.server import CountsRequests, Failures, FakeServer, Window, admit

SCHEMA = json.loads((Path(__file__).parent / "teambition_openapi.json").read_text())
MS_PER_HOUR = 3_600_000
_TQL_CLAUSE = re.compile(r"^\s*(\w+)\s*(=|!=)\s*('(?:[^'\\]|\\.)*'|true|false|\d+|null)\s*$")
_TQL_ORDER = re.compile(r"\s+ORDER BY\s+(\w+)\s+(ASC|DESC)(?:\s*,\s*\w+\s+(?:ASC|DESC))*\s*$", re.IGNORECASE)
_TQL_FIELDS = {"isDone", "executorId", "creatorId", "tfsId", "taskflowstatusId", "sprintId", "isArchived", "priority"}
_REQUIRED = {"/v3/task/create": ("content",), "/worktime/create": ("userId", "objectId", "objectType", "worktime"),
             "/v3/task/{taskId}/taskflowstatus": ("taskflowstatusId",), "/v3/task/{taskId}/comment": ("content",),
             "/v3/task/{taskId}/customfield/update": ("customfieldId",)}


def oid() -> str:
    return secrets.token_hex(12)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Seen:
    method: str
    path: str
    operator: str | None
    body: Any


@dataclass
class FakeTeambition(FakeServer, CountsRequests):
    app_id: str = field(default_factory=oid)
    app_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    tenant_id: str = field(default_factory=oid)
    org_name: str = "Acme Pumps"
    limit_per_s: int = 40
    now: Callable[[], float] = time.time  # the fake's clock (token expiry); tests move it
    requests: list[Seen] = field(default_factory=list)
    failures: Failures[int] = field(default_factory=Failures)  # HTTP statuses answered to the next requests
    users: dict[str, str] = field(default_factory=dict)  # userId -> name (members of the enterprise)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    worktimes: dict[str, dict[str, Any]] = field(default_factory=dict)
    plantimes: dict[str, int] = field(default_factory=dict)  # taskId -> ms
    tokens_seen: set[str] = field(default_factory=set)
    _windows: dict[str, Window] = field(default_factory=dict)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- seeding ----------------------------------------------------------------------------------------------

    def add_user(self, name: str) -> str:
        user = oid()
        self.users[user] = name
        return user

    def add_project(self, name: str, members: list[str]) -> str:
        project, flow = oid(), oid()
        statuses = [{"id": oid(), "name": n, "kind": k, "taskflowId": flow, "pos": str(i), "isDeleted": False,
                     "rejectStatusIds": []} for i, (n, k) in enumerate(
                         [("待处理", "start"), ("进行中", "unset"), ("已暂停", "unset"), ("已完成", "end")])]
        statuses[3]["rejectStatusIds"] = [statuses[2]["id"]]  # a finished task cannot be paused
        self.projects[project] = {"name": name, "members": list(members), "statuses": statuses, "sprints": []}
        return project

    def add_sprint(self, project: str, name: str, due: date) -> str:
        sprint = {"id": oid(), "name": name, "projectId": project, "status": "active",
                  "dueDate": f"{due.isoformat()}T10:00:00.000Z"}
        self.projects[project]["sprints"].append(sprint)
        return str(sprint["id"])

    def status_id(self, project: str, name: str) -> str:
        return str(next(s["id"] for s in self.projects[project]["statuses"] if s["name"] == name))

    def add_task(self, project: str, title: str, *, executor: str | None = None, status: str = "待处理",
                 due: date | None = None, estimate_h: float = 0, spent_h: float = 0, sprint: str | None = None,
                 customfields: list[dict[str, Any]] | None = None) -> int:
        task = self._new_task(project, title, executor, self.status_id(project, status), due, sprint)
        task["customfields"] = customfields or []
        if estimate_h:
            self.plantimes[task["id"]] = int(estimate_h * MS_PER_HOUR)
        if spent_h:
            self._worktime(task["id"], executor or next(iter(self.users)), int(spent_h * MS_PER_HOUR), "")
        return int(task["uniqueId"])

    def _new_task(self, project: str, title: str, executor: str | None, tfs: str, due: date | None,
                  sprint: str | None, *, due_instant: str | None = None) -> dict[str, Any]:
        stamp = iso(datetime.fromtimestamp(self.now(), UTC))
        kind = next(s["kind"] for s in self.projects[project]["statuses"] if s["id"] == tfs)
        task = {"id": oid(), "uniqueId": str(next(self._numbers)), "projectId": project, "content": title, "note": "",
                "executorId": executor or "", "tfsId": tfs, "isDone": kind == "end", "isArchived": False,
                "progress": 100 if kind == "end" else 0, "sprintId": sprint or "", "priority": 0,
                "dueDate": due_instant or (f"{due.isoformat()}T10:00:00.000Z" if due else ""),
                "created": stamp, "updated": stamp, "customfields": [], "creatorId": executor or ""}
        self.tasks[task["id"]] = task
        return task

    def _worktime(self, task: str, user: str, ms: int, text: str) -> str:
        wid = oid()
        self.worktimes[wid] = {"worktimeId": wid, "objectId": task, "objectType": "task", "worktime": ms,
                               "userId": user, "submitterId": user, "description": text, "orgId": self.tenant_id}
        return wid

    def task_by_number(self, number: int) -> dict[str, Any]:
        return next(t for t in self.tasks.values() if t["uniqueId"] == str(number))

    def notes(self, number: int) -> list[str]:
        """Comments, status notes and work-time texts of a task, each as "<author's name>: <text>"."""
        task = self.task_by_number(number)
        return ([f"{self.users.get(c['creatorId'], '?')}: {c['content']}" for c in self.comments.get(task["id"], [])]
                + [f"{self.users.get(w['userId'], '?')}: {w['description']}" for w in self.worktimes.values()
                   if w["objectId"] == task["id"] and w["description"]])

    def writes(self) -> list[Seen]:
        return [r for r in self.requests if r.method != "GET"]

    def delivery(self, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery as Teambition sends it: the raw body and its headers."""
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return raw, {"Content-Type": "application/json", "X-Request-Id": str(uuid.uuid4()),
                     "X-Signature": hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest(),
                     "X-Tenant-Id": self.tenant_id, "X-Tenant-Type": "organization"}

    # -- the HTTP side --------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.base + "/api"

    def routes(self, app: web.Application) -> None:
        for method, path, handler in (
                ("GET", "/org/info", self._org_info), ("GET", "/v3/task/query", self._task_query),
                ("GET", "/v3/project/{projectId}/task/query", self._project_tasks),
                ("GET", "/v3/project/{projectId}/taskflowstatus/search", self._statuses),
                ("GET", "/v3/project/{projectId}/sprint/search", self._sprints),
                ("GET", "/v3/project/{projectId}/member", self._members),
                ("POST", "/v3/task/create", self._create), ("PUT", "/v3/task/{taskId}/progress", self._progress),
                ("PUT", "/v3/task/{taskId}/taskflowstatus", self._move),
                ("POST", "/v3/task/{taskId}/comment", self._comment),
                ("POST", "/v3/task/{taskId}/customfield/update", self._customfield),
                ("POST", "/worktime/create", self._worktime_create),
                ("DELETE", "/worktime/{worktimeId}", self._worktime_delete),
                ("GET", "/worktime/aggregation/task/{taskId}", self._aggregate),
                ("GET", "/plantime/aggregation/task/{taskId}", self._aggregate)):
            app.router.add_route(method, "/api" + path, self._guarded(method, path, handler))

    def _guarded(self, method: str, path: str, handler: Callable[[web.Request, Any], Any]) -> Any:
        async def serve(request: web.Request) -> web.Response:
            body: Any = None
            if request.can_read_body:
                try:
                    body = json.loads(await request.read() or b"null")
                except ValueError:
                    return _error(400, "request body is not JSON")
            operator = request.headers.get("X-Operator-Id")
            self.requests.append(Seen(method, request.path.removeprefix("/api"), operator, body))
            failed = self.failures.take()
            if failed is not None:
                return _error(failed, "injected failure")
            refused = self._check(request, method, path, operator, body)
            if refused is not None:
                return refused
            try:
                result = handler(request, body)
            except _Refusal as exc:
                return _error(exc.status, exc.message)
            return result if isinstance(result, web.Response) else web.json_response(
                {"code": 200, "errorMessage": "", "requestId": uuid.uuid4().hex, **result})
        return serve

    def _check(self, request: web.Request, method: str, path: str, operator: str | None,
               body: Any) -> web.Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            claims = jwt.decode(token, self.app_secret, algorithms=["HS256"], options={
                "require": ["exp", "iat", "_appId"], "verify_exp": False, "verify_iat": False})
        except jwt.PyJWTError as exc:
            return _error(401, f"invalid app token: {exc}")
        if scheme != "Bearer" or claims["_appId"] != self.app_id:
            return _error(401, "the token is not this app's")
        if float(claims["exp"]) <= self.now():
            return _error(401, "the app token has expired")
        self.tokens_seen.add(token)
        if request.headers.get("X-Tenant-Type") != "organization":
            return _error(400, "X-Tenant-Type must be organization")
        if request.headers.get("X-Tenant-Id") != self.tenant_id:
            return _error(403, "the app is not installed in the enterprise X-Tenant-Id names")
        window = self._windows.setdefault(f"{method} {path}", Window(self.limit_per_s, 1.0))
        if max(admit(time.monotonic(), window)) > 0:
            return _error(429, "Too Many Requests")
        if method != "GET" and (operator is None or operator not in self.users):
            return _error(403, "X-Operator-Id must be a member of the enterprise")
        schema = (((SCHEMA["paths"][path][method.lower()].get("requestBody") or {}).get("content") or {})
                  .get("application/json") or {}).get("schema")
        if body is not None and schema:
            problems = [e.message for e in Draft7Validator(schema).iter_errors(body)]
            if problems:
                return _error(400, "; ".join(problems)[:300])
        missing = [f for f in _REQUIRED.get(path, ()) if not isinstance(body, dict) or body.get(f) in (None, "")]
        return _error(400, f"{', '.join(missing)} required") if missing else None

    def _task(self, request: web.Request) -> dict[str, Any]:
        task = self.tasks.get(request.match_info["taskId"])
        if task is None or task["isArchived"]:
            raise _Refusal(404, "task not found")
        return task

    def _member_of(self, task: dict[str, Any], operator: str | None) -> None:
        if operator not in self.projects[task["projectId"]]["members"]:
            raise _Refusal(403, "the operator is not a member of the task's project")

    def _touch(self, task: dict[str, Any]) -> None:
        task["updated"] = iso(datetime.fromtimestamp(self.now(), UTC))

    def _org_info(self, request: web.Request, body: Any) -> dict[str, Any]:
        return {"result": {"orgId": self.tenant_id, "name": self.org_name}}

    def _task_query(self, request: web.Request, body: Any) -> dict[str, Any]:
        ids = [i for i in request.query.get("taskId", "").split(",") if i]
        numbers = [n for n in request.query.get("shortIds", "").split(",") if n]
        if not ids and not numbers:
            raise _Refusal(400, "taskId or shortIds required")
        if any(not n.isdigit() for n in numbers):
            raise _Refusal(400, "shortIds must be task numbers")
        found = [t for t in self.tasks.values() if t["id"] in ids or str(t["uniqueId"]) in numbers]
        return {"result": [dict(t) for t in found if not t["isArchived"]]}

    def _project(self, request: web.Request) -> dict[str, Any]:
        project = self.projects.get(request.match_info["projectId"])
        if project is None:
            raise _Refusal(404, "project not found")
        return project

    def _page(self, request: web.Request, items: list[dict[str, Any]], query_key: str) -> dict[str, Any]:
        size_text = request.query.get("pageSize", "10")
        if not size_text.isdigit() or not 1 <= int(size_text) <= 1000:
            raise _Refusal(400, "pageSize must be 1..1000")
        start = 0
        if request.query.get("pageToken"):
            try:
                key, _, offset = base64.urlsafe_b64decode(request.query["pageToken"]).decode().rpartition(":")
                start = int(offset)
            except (ValueError, UnicodeDecodeError):
                raise _Refusal(400, "invalid pageToken") from None
            if key != query_key:
                raise _Refusal(400, "invalid pageToken")
        end = start + int(size_text)
        token = base64.urlsafe_b64encode(f"{query_key}:{end}".encode()).decode() if end < len(items) else ""
        return {"result": items[start:end], "nextPageToken": token, "totalSize": len(items)}

    def _project_tasks(self, request: web.Request, body: Any) -> dict[str, Any]:
        project_id = request.match_info["projectId"]
        self._project(request)
        q = request.query.get("q", "")
        tasks = [t for t in self.tasks.values() if t["projectId"] == project_id and not t["isArchived"]]
        padded = " " + q
        order = _TQL_ORDER.search(padded)
        where = padded[:order.start()] if order else padded
        for clause in [c for c in re.split(r"\s+AND\s+", where) if c.strip()]:
            match = _TQL_CLAUSE.match(clause)
            if match is None or match.group(1) not in _TQL_FIELDS:
                raise _Refusal(400, f"tql parse error near {clause.strip()[:40]!r}")
            name, op, literal = match.groups()
            value: Any = {"true": True, "false": False, "null": ""}.get(literal, literal.strip("'"))
            name = "tfsId" if name == "taskflowstatusId" else name
            tasks = [t for t in tasks if (t.get(name) == value) == (op == "=")]
        if order:
            tasks.sort(key=lambda t: str(t.get(order.group(1)) or ""), reverse=order.group(2).upper() == "DESC")
        return self._page(request, [dict(t) for t in tasks], f"{project_id}|{q}")

    def _statuses(self, request: web.Request, body: Any) -> dict[str, Any]:
        return self._page(request, self._project(request)["statuses"], "tfs:" + request.match_info["projectId"])

    def _sprints(self, request: web.Request, body: Any) -> dict[str, Any]:
        return self._page(request, self._project(request)["sprints"], "sprint:" + request.match_info["projectId"])

    def _members(self, request: web.Request, body: Any) -> dict[str, Any]:
        members = [{"userId": u, "role": 0, "roleIds": []} for u in self._project(request)["members"]]
        return self._page(request, members, "member:" + request.match_info["projectId"])

    def _create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        project = self.projects.get(str(body.get("projectId")))
        if project is None:
            raise _Refusal(404, "project not found")
        operator = request.headers["X-Operator-Id"]
        if operator not in project["members"]:
            raise _Refusal(403, "the operator is not a member of the project")
        executor = body.get("executorId") or ""
        if executor and executor not in project["members"]:
            raise _Refusal(400, "executorId is not a member of the project")
        task = self._new_task(str(body["projectId"]), str(body["content"]), executor, project["statuses"][0]["id"],
                              None, None, due_instant=body.get("dueDate") or "")
        task["note"], task["creatorId"] = str(body.get("note") or ""), operator
        return {"result": dict(task)}

    def _progress(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        task = self._task(request)
        self._member_of(task, request.headers["X-Operator-Id"])
        progress = body.get("progress")
        if not isinstance(progress, (int, float)) or not 0 <= progress <= 100:
            raise _Refusal(400, "progress must be 0..100")
        task["progress"] = int(progress)
        self._touch(task)
        return {"result": {"progress": task["progress"], "updated": task["updated"]}}

    def _move(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        task = self._task(request)
        self._member_of(task, request.headers["X-Operator-Id"])
        statuses = {s["id"]: s for s in self.projects[task["projectId"]]["statuses"]}
        target, here = statuses.get(body["taskflowstatusId"]), statuses[task["tfsId"]]
        if target is None or target["taskflowId"] != here["taskflowId"]:
            raise _Refusal(400, "taskflowstatusId is not a status of the task's workflow")
        if target["id"] in here["rejectStatusIds"]:
            raise _Refusal(400, f"a task in {here['name']} cannot move to {target['name']}")
        task["tfsId"], task["isDone"] = target["id"], target["kind"] == "end"
        if body.get("tfsUpdateNote"):
            self.comments.setdefault(task["id"], []).append(
                {"creatorId": request.headers["X-Operator-Id"], "content": str(body["tfsUpdateNote"])})
        self._touch(task)
        return {"result": {"taskflowstatusId": target["id"], "updated": task["updated"]}}

    def _comment(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        task = self._task(request)
        operator = request.headers["X-Operator-Id"]
        self._member_of(task, operator)
        note = {"id": oid(), "creatorId": operator, "content": str(body["content"]), "boundToObjectId": task["id"],
                "boundToObjectType": "task"}
        self.comments.setdefault(task["id"], []).append(note)
        return {"result": {**note, "content": {"comment": note["content"]}}}

    def _customfield(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        task = self._task(request)
        self._member_of(task, request.headers["X-Operator-Id"])
        values = [{"id": v.get("id", ""), "title": v.get("title", "")} for v in body.get("value") or []]
        task["customfields"] = [f for f in task["customfields"] if f["cfId"] != body["customfieldId"]] + [
            {"cfId": body["customfieldId"], "type": "number", "value": values}]
        self._touch(task)
        return {"result": {"customfields": task["customfields"], "updated": task["updated"]}}

    def _worktime_create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        task = self.tasks.get(str(body["objectId"]))
        if body["objectType"] != "task" or task is None or task["isArchived"]:
            raise _Refusal(404, "task not found")
        self._member_of(task, request.headers["X-Operator-Id"])
        if body["userId"] not in self.users or int(body["worktime"]) <= 0:
            raise _Refusal(400, "userId must be a member and worktime more than 0 ms")
        wid = self._worktime(task["id"], str(body["userId"]), int(body["worktime"]), str(body.get("description", "")))
        return {"result": [dict(self.worktimes[wid])]}

    def _worktime_delete(self, request: web.Request, body: Any) -> dict[str, Any]:
        entry = self.worktimes.get(request.match_info["worktimeId"])
        if entry is None:
            raise _Refusal(404, "worktime not found")
        self._member_of(self.tasks[entry["objectId"]], request.headers["X-Operator-Id"])
        del self.worktimes[entry["worktimeId"]]
        return {"result": {}}

    def _aggregate(self, request: web.Request, body: Any) -> dict[str, Any]:
        task = self._task(request)
        if request.path.startswith("/api/plantime"):
            return {"result": [{"objectId": task["id"], "objectType": "task", "plantime": self.plantimes.get(
                task["id"], 0), "count": 1 if task["id"] in self.plantimes else 0}]}
        entries = [w for w in self.worktimes.values() if w["objectId"] == task["id"]]
        return {"result": [{"objectId": task["id"], "objectType": "task", "count": len(entries),
                            "worktime": sum(w["worktime"] for w in entries)}]}


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"code": status, "errorMessage": message, "requestId": uuid.uuid4().hex}, status=status)
