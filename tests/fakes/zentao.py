"""A fake Zentao (禅道) open-source REST API v1 on 127.0.0.1: tokens, users, projects, executions, tasks and their
actions, efforts, and the built-in `default` webhook sender.

Built from Zentao's own source (stored copies of github.com/easysoft/zentaopms unless noted), so the field names,
required fields, status codes, error shapes and quirks below are Zentao's:

- routes: config/routes.php (commit d667c4d0): /tokens, /user, /users, /projects[/:id[/executions]], /executions[/:id
  [/tasks]], /tasks[/:id[/assignto|start|pause|restart|finish|close|estimate|active]]. There is no task comment route:
  comments travel in the `comment` field of the action calls and in `work` of an effort row. (`/comments` is routed
  to an entry `comments` whose file is in no stored copy of the open-source tree; it is not implemented here.)
- framework/api/router.class.php: path after `api.php/` is `v1/...`; no route -> api/v1/entries/error.php 404
  {"error": "not found"}. framework/api/entry.class.php (commit 7ceb50aa): every entry but tokens answers 401
  {"error": "Unauthorized"} when not logged in; errors are {"error": <msg>} where <msg> is a string (requireFields:
  "『<label>』不能为空。", sprintf of $lang->error->notempty with the task module's label) or, when a controller failed,
  dao::getError() as is: a JSON list (["此任务已被启动，不能重复启动！"]) or an object keyed by field
  ({"currentConsumed": ["..."]}); format() casts: time -> UTC "Y-m-d\\TH:i:s\\Z" (zero -> null), date (zero -> null),
  user -> {id, account, avatar, realname} or null, userList, bool.
- api/v1/entries/tokens.php: POST {"account","password"} -> 201 {"token": session_id()}; 400 loginFailed,
  lockWarning ("您还有%s次尝试机会。" when <= 3 tries remain), loginLocked (module/user/lang/zh-cn.php).
- api/v1/entries/user.php (GET /user -> {"profile": ...}), users.php (page/total/limit/users; limit 20, id_desc).
- api/v1/entries/projects.php, project.php, executions.php (limit 20, id_desc), execution.php (progress =
  round(consumed / (consumed + left) * 100, 1)). Projects and executions share one table (zt_project), so one id
  sequence.
- api/v1/entries/tasks.php: GET /executions/:id/tasks limit 100, page 1, status all, order id_desc;
  GET /tasks = my tasks (limit 20); POST requires name,assignedTo,type,estStarted,deadline -> 201.
  task.php: GET 404 {"error": "404 Not found"} (module/task/control.php view(), RUN_MODE api); PUT edits and answers
  200 with the task even when the edit was refused (it never looks at the controller's result).
- taskstart.php / taskrestart.php / taskfinish.php / taskpause.php / taskclose.php / taskactive.php /
  taskassignto.php / taskrecordestimate.php: the fields each one copies from the body, requireFields, and how each
  formats its answer (start/pause/restart/close: raw task with local "Y-m-d H:i:s" times and assignedTo an account
  string; finish/assignto/edit: times only; active: users and times; lists/create/estimate: everything).
  Older releases routed these as PUT, current ones as POST (zentao.pm manual "POST /tasks/:id/finish"): both are
  accepted (`action_methods`).
- module/task/zen.php (checkStart, buildTaskForFinish, buildTaskForClose), module/task/tao.php (checkWorkhour,
  buildTaskForEffort, computeTaskProgress), module/task/model.php (recordWorkhour, isClickable),
  module/task/config/form.php (activate needs left and assignedTo; assign needs left; recordWorkhour rows are
  per-row arrays with `work` as the base field), framework/form.class.php (batchData), framework/dao (page():
  a page past the end answers the last page), framework/pager (no upper bound on limit).
- Transitions: Zentao itself refuses only "start/restart a doing task" (alreadyStarted) and hides the other buttons
  in the UI (taskModel::isClickable). With `strict_transitions` (default) the fake also refuses what isClickable
  forbids, 400 {"error": ["<message>"]}; `strict_transitions=False` behaves like the server.
- module/webhook/model.php (commit b3ac3b25): the `default` type posts json_encode() of the selected params of the
  action row (objectType, objectID, product, execution, action, actor, date, comment, text), unsigned,
  "Content-Type: application/json;charset=utf-8"; text = realname + action label + object type + " [#id::name](link)".
- easysoft/go-zentao zentao/executions.go, tasks.go (root): list shapes {page,total,limit,tasks|executions}, Task with
  assignedTo as a user object, Token header.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from http import HTTPStatus
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from tests.fakes.server import CountsRequests, Failures, FakeServer

API_PREFIX = "/api.php/v1"

# module/task/lang/zh-cn.php labels, used in "『%s』不能为空。" the way requireFields() and form::data() do.
FIELD_LABELS: dict[str, str] = {
    "name": "任务名称", "type": "任务类型", "assignedTo": "指派给", "estimate": "最初预计", "left": "预计剩余",
    "consumed": "总计消耗", "currentConsumed": "本次消耗", "estStarted": "预计开始", "realStarted": "实际开始",
    "deadline": "截止日期", "finishedDate": "实际完成", "date": "日期", "work": "备注", "status": "任务状态",
}
NOT_EMPTY = "『%s』不能为空。"
MSG_ALREADY_STARTED = "此任务已被启动，不能重复启动！"
MSG_CONSUMED_SMALL = '"总计消耗"必须大于之前消耗'
MSG_CONSUMED_EMPTY = '"本次消耗"不能为0'
MSG_FINISHED_SMALL = "实际完成不能小于实际开始"
MSG_CONSUMED_THIS_TIME = '请填写"工时"'
MSG_LEFT = '请填写"剩余"'
MSG_LEFT_NUMBER = '"预计剩余"必须为数字'
MSG_DATE_FUTURE = "日期不能大于今天"
MSG_RECORD_MINUS = "工时不能为负数"
MSG_DEADLINE_SMALL = '"截止日期"必须大于"预计开始"'
MSG_GT = "『%s』应当大于『%s』。"
MSG_DATETIME = "『%s』应当为合法的日期。"
MSG_LOGIN_FAILED = "登录失败，请检查您的用户名或密码是否填写正确。"
MSG_LOCK_WARNING = "您还有%s次尝试机会。"
MSG_LOGIN_LOCKED = "密码尝试次数太多，请联系管理员解锁，或%s分钟后重试。"
MSG_NOT_FOUND = "404 Not found"  # entry send404() and task view in api mode
MSG_NO_ROUTE = "not found"  # api/v1/entries/error.php

ROLE_NAMES = {"": "", "dev": "研发", "qa": "测试", "pm": "项目经理", "po": "产品经理", "td": "研发主管",
              "pd": "产品主管", "qd": "测试主管", "top": "高层管理", "others": "其他"}
TASK_TYPES = ("design", "devel", "request", "test", "study", "discuss", "ui", "affair", "misc")
UNFINISHED = ("wait", "doing", "pause")  # $config->task->unfinishedStatus
# taskModel::isClickable(): the statuses each action is offered from.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "start": frozenset({"wait"}),
    "restart": frozenset({"pause"}),
    "pause": frozenset({"doing"}),
    "close": frozenset({"done", "cancel"}),
    "active": frozenset({"done", "closed", "cancel"}),
    "finish": frozenset({"wait", "doing", "pause"}),
    "assignto": frozenset({"wait", "doing", "done", "pause"}),
}
# $lang->action->label (module/action/lang/zh-cn.php) and objectTypes, for the webhook `text`.
ACTION_LABELS = {
    "opened": "创建了", "created": "创建了", "edited": "编辑了", "commented": "评论了", "assigned": "指派了",
    "started": "开始了", "restarted": "继续了", "paused": "暂停了", "finished": "完成了", "canceled": "取消了",
    "closed": "关闭了", "activated": "激活了", "recordestimate": "记录了工时", "recordworkhour": "记录了工时",
    "editestimate": "编辑了工时", "deleteestimate": "删除了工时", "confirmed": "确认了需求，",
}
OBJECT_TYPE_NAMES = {"task": "任务", "bug": "Bug", "story": "需求", "project": "项目", "execution": "执行",
                     "product": "产品", "productplan": "计划", "todo": "待办", "testtask": "测试单", "case": "用例"}
WEBHOOK_PARAMS = ("objectType", "objectID", "product", "execution", "action", "actor", "date", "comment", "text")

# The format() specs of the entries (field:cast).
FMT_FULL = ("deadline:date,openedBy:user,openedDate:time,assignedTo:user,assignedDate:time,realStarted:time,"
            "finishedBy:user,finishedDate:time,closedBy:user,closedDate:time,canceledBy:user,canceledDate:time,"
            "lastEditedBy:user,lastEditedDate:time,deleted:bool,mailto:userList")
FMT_TIMES = ("openedDate:time,assignedDate:time,realStarted:time,finishedDate:time,canceledDate:time,closedDate:time,"
             "lastEditedDate:time")
FMT_ACTIVE = ("openedBy:user,openedDate:time,assignedTo:user,assignedDate:time,reviewedBy:user,reviewedDate:time,"
              "lastEditedBy:user,lastEditedDate:time,closedBy:user,closedDate:time,deleted:bool,mailto:userList")
FMT_PROJECT_LIST = "openedDate:time,lastEditedDate:time,closedDate:time,canceledDate:time"
FMT_PROJECT = ("openedBy:user,openedDate:time,lastEditedBy:user,lastEditedDate:time,closedBy:user,closedDate:time,"
               "canceledBy:user,canceledDate:time,realBegan:date,realEnd:date,PM:user,whitelist:userList,deleted:bool")
FMT_EXECUTION_LIST = ("openedDate:time,lastEditedDate:time,closedDate:time,canceledDate:time,begin:date,end:date,"
                      "realBegan:date,realEnd:date,deleted:bool")
FMT_EXECUTION = ("openedBy:user,openedDate:time,lastEditedBy:user,lastEditedDate:time,closedBy:user,closedDate:time,"
                 "canceledBy:user,canceledDate:time,PM:user,PO:user,RD:user,QD:user,whitelist:userList,begin:date,"
                 "end:date,realBegan:date,realEnd:date,deleted:bool")

DATE_FIELDS = frozenset({"deadline", "estStarted", "begin", "end", "realBegan", "realEnd", "birthday", "join"})
DATETIME_FIELDS = frozenset({"openedDate", "assignedDate", "realStarted", "finishedDate", "canceledDate",
                             "closedDate", "lastEditedDate", "activatedDate", "last", "locked"})

ACTION_VERBS = ("start", "finish", "pause", "restart", "close", "active", "assignto")
ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), name) for p, name in (
    (r"^/user/?$", "me"),
    (r"^/users/?$", "users"),
    (r"^/users/([^/]+)$", "user"),
    (r"^/projects/?$", "projects"),
    (r"^/projects/([^/]+)$", "project"),
    (r"^/projects/([^/]+)/executions$", "executions"),
    (r"^/executions/?$", "executions"),
    (r"^/executions/([^/]+)$", "execution"),
    (r"^/executions/([^/]+)/tasks$", "tasks"),
    (r"^/tasks/?$", "tasks"),
    (r"^/tasks/([^/]+)$", "task"),
    (r"^/tasks/([^/]+)/(" + "|".join(ACTION_VERBS) + r")$", "action"),
    (r"^/tasks/([^/]+)/estimate$", "estimate"),
))


def php_json(data: Any) -> str:
    """json_encode() with PHP's default flags: compact, non-ASCII as \\uXXXX, "/" as "\\/"."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def _num(value: Any) -> float:
    """PHP's (float) of a posted value: numbers and numeric strings, anything else 0."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return 0.0


def _is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value).strip())
    except ValueError:
        return False
    return True


def _spec(spec: str) -> list[tuple[str, str]]:
    return [(part.split(":")[0], part.split(":")[1]) for part in spec.split(",")]


class _Errors:
    """dao::$errors: a PHP array mixing field keys and appended ([]) entries; JSON is a list when only appended."""

    def __init__(self) -> None:
        self._items: dict[str | int, Any] = {}
        self._next = 0

    def __bool__(self) -> bool:
        return bool(self._items)

    def append(self, message: str) -> None:
        self._items[self._next] = message
        self._next += 1

    def set(self, key: str, message: str) -> None:  # dao::$errors['field'] = message
        self._items[key] = message

    def push(self, key: str, message: str) -> None:  # dao::$errors['field'][] = message
        existing = self._items.get(key)
        self._items[key] = [*existing, message] if isinstance(existing, list) else [message]

    def json(self) -> Any:
        if list(self._items) == list(range(len(self._items))):
            return list(self._items.values())
        return {str(k): v for k, v in self._items.items()}


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw it, and what it answered."""

    method: str
    path: str  # as sent, e.g. /api.php/v1/tasks/3/start
    query: Mapping[str, str]
    json: Any  # the decoded JSON body (None when absent or not JSON)
    form: Mapping[str, str] | None  # a form-encoded body (Zentao ignores it: the API only reads JSON)
    status: int
    token: str | None


@dataclass
class _Call:
    method: str
    route: str  # path after /api.php/v1
    query: Mapping[str, str]
    body: dict[str, Any]
    account: str


@dataclass
class FakeZentao(FakeServer, CountsRequests):
    client_max_size = 4 * 1024 * 1024
    shutdown_timeout_s = 1.0

    account: str = "pmsbot"
    password: str = "zentao-pass"
    realname: str = "PMS Bot"
    delay_s: float = 0.0  # every answer waits this long (timeout tests)
    down: bool = False  # answer every request with `down_status` and an nginx error page
    down_status: int = 502
    strict_transitions: bool = True  # also refuse what taskModel::isClickable() hides (see module docstring)
    zero_dates: bool = True  # raw (unformatted) answers carry "0000-00-00" like MySQL zero dates; False: null
    tz_hours: int = 8  # the server's timezone: raw answers carry its local time, format() converts to UTC
    max_limit: int | None = None  # Zentao v1 has no upper bound on `limit`; set one to test a client's paging
    fail_times: int = 6  # $config->user->failTimes
    lock_minutes: int = 10  # $config->user->lockMinutes
    domain: str = "http://zentao.example.com"  # the webhook's "domain" setting, for the links in `text`
    action_methods: tuple[str, ...] = ("POST", "PUT")
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # recorded
    requests: list[Recorded] = field(default_factory=list)
    token_logins: int = 0
    webhooks_sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tz = timezone(timedelta(hours=self.tz_hours))
        self._tokens: dict[str, str] = {}
        self._fails: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        self._failures: Failures[tuple[str | None, int]] = Failures()
        self._users: dict[str, dict[str, Any]] = {}
        self._passwords: dict[str, str] = {}
        self._projects: dict[int, dict[str, Any]] = {}
        self._executions: dict[int, dict[str, Any]] = {}
        self._tasks: dict[int, dict[str, Any]] = {}
        self._execution_tasks: dict[int, list[int]] = {}
        self._efforts: dict[int, list[dict[str, Any]]] = {}
        self._actions: dict[int, list[dict[str, Any]]] = {}
        self._user_ids = itertools.count(1)
        self._project_ids = itertools.count(1)  # zt_project holds programs, projects and executions
        self._task_ids = itertools.count(1)
        self._action_ids = itertools.count(1)
        self._effort_ids = itertools.count(1)
        self._stopping = asyncio.Event()
        self.add_user(self.account, self.realname, password=self.password, role="pm")

    # ---- lifecycle ----------------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)

    async def stop(self) -> None:
        self._stopping.set()
        await super().stop()

    @property
    def url(self) -> str:
        """The site root; the API is under /api.php/v1."""
        return self.base

    @property
    def api_url(self) -> str:
        return self.url + API_PREFIX

    # ---- seeding --------------------------------------------------------------------------------------------
    def add_user(self, account: str, realname: str, email: str = "", *, role: str = "dev",
                 password: str | None = None) -> int:
        user_id = next(self._user_ids)
        self._users[account] = {
            "id": user_id, "company": 1, "type": "inside", "dept": 0, "account": account, "role": role,
            "realname": realname, "pinyin": "", "nickname": "", "commiter": "", "avatar": "", "birthday": None,
            "gender": "m", "email": email, "skype": "", "qq": "", "mobile": "", "phone": "", "weixin": "",
            "dingding": "", "slack": "", "whatsapp": "", "address": "", "zipcode": "", "join": None, "visits": 0,
            "visions": "rnd,lite", "ip": "", "last": None, "fails": 0, "locked": None, "deleted": "0",
        }
        if password is not None:
            self._passwords[account] = password
        return user_id

    def add_project(self, name: str, code: str, *, begin: date | None = None, end: date | None = None,
                    status: str = "doing") -> int:
        project_id = next(self._project_ids)
        now = self._now()
        self._projects[project_id] = {
            "id": project_id, "project": 0, "model": "scrum", "type": "project", "lifetime": "", "budget": "0",
            "budgetUnit": "CNY", "attribute": "", "percent": 0, "milestone": "0", "output": "", "auth": "extend",
            "parent": 0, "path": f",{project_id},", "grade": 1, "name": name, "code": code, "hasProduct": 1,
            "begin": begin or now.astimezone(self._tz).date(), "end": end, "realBegan": None, "realEnd": None,
            "days": 0, "status": status, "subStatus": "", "pri": "1", "desc": "", "version": 0, "openedBy": self.account,
            "openedDate": now, "openedVersion": "18.0", "lastEditedBy": "", "lastEditedDate": None, "closedBy": "",
            "closedDate": None, "canceledBy": "", "canceledDate": None, "PO": "", "PM": "", "QD": "", "RD": "",
            "team": name, "acl": "open", "whitelist": "", "order": project_id * 5, "deleted": "0",
        }
        return project_id

    def add_execution(self, project_id: int, name: str, begin: date, end: date, *, status: str = "wait",
                      code: str = "") -> int:
        """An execution (sprint/stage; a milestone for pmsbot). Its id comes from the projects' sequence."""
        if project_id not in self._projects:
            raise KeyError(f"no project {project_id}")
        execution_id = next(self._project_ids)
        self._executions[execution_id] = {
            "id": execution_id, "project": project_id, "model": "", "type": "sprint", "lifetime": "",
            "budget": "0", "budgetUnit": "CNY", "attribute": "", "percent": 0, "milestone": "0", "output": "",
            "auth": "", "parent": project_id, "path": f",{project_id},{execution_id},", "grade": 1, "name": name,
            "code": code or f"S{execution_id}", "begin": begin, "end": end, "realBegan": None, "realEnd": None,
            "days": (end - begin).days + 1, "status": status, "subStatus": "", "pri": "1", "desc": "",
            "version": 0, "openedBy": self.account, "openedDate": self._now(), "openedVersion": "18.0",
            "lastEditedBy": "", "lastEditedDate": None, "closedBy": "", "closedDate": None, "canceledBy": "",
            "canceledDate": None, "PO": "", "PM": "", "QD": "", "RD": "", "team": name, "acl": "private",
            "whitelist": "", "order": execution_id * 5, "deleted": "0",
        }
        self._execution_tasks[execution_id] = []
        return execution_id

    def add_task(self, execution_id: int, name: str, *, assigned_to: str = "", status: str = "wait",
                 estimate: float = 0.0, consumed: float = 0.0, left: float | None = None,
                 deadline: date | None = None, pri: int = 3, type: str = "devel", opened_by: str | None = None,
                 est_started: date | None = None, desc: str = "") -> int:
        execution = self._executions[execution_id]
        now = self._now()
        task_id = next(self._task_ids)
        if left is None:
            left = max(estimate - consumed, 0.0) if status in UNFINISHED else 0.0
        opener = opened_by or self.account
        started = now if status != "wait" or consumed > 0 else None
        finished = status in ("done", "closed")
        self._tasks[task_id] = {
            "id": task_id, "project": execution["project"], "parent": 0, "execution": execution_id, "module": 0,
            "design": 0, "story": 0, "storyVersion": 1, "designVersion": 0, "fromBug": 0, "feedback": 0,
            "fromIssue": 0, "name": name, "type": type, "mode": "", "pri": pri, "estimate": float(estimate),
            "consumed": float(consumed), "left": float(left), "deadline": deadline, "status": status,
            "subStatus": "", "color": "", "mailto": "", "desc": desc, "version": 1, "openedBy": opener,
            "openedDate": now, "assignedTo": "closed" if status == "closed" else assigned_to,
            "assignedDate": now if assigned_to else None, "estStarted": est_started, "realStarted": started,
            "finishedBy": opener if finished else "", "finishedDate": now if finished else None, "finishedList": "",
            "canceledBy": "", "canceledDate": None, "closedBy": opener if status == "closed" else "",
            "closedDate": now if status == "closed" else None, "planDuration": 0, "realDuration": 0,
            "closedReason": "done" if status == "closed" else "", "lastEditedBy": "", "lastEditedDate": None,
            "activatedDate": None, "order": 0, "repo": 0, "mr": 0, "entry": "", "lines": "", "v1": "", "v2": "",
            "deleted": "0", "vision": "rnd",
        }
        self._execution_tasks[execution_id].append(task_id)
        self._efforts[task_id] = []
        self._actions[task_id] = []
        self._log_action(task_id, "opened", opener)
        self._sync_execution(self._tasks[task_id])
        return task_id

    def add_tasks(self, execution_id: int, n: int, *, name: str = "Task", **common: Any) -> list[int]:
        """n tasks named "<name> 1".."<name> n" (fast enough for 5,000)."""
        return [self.add_task(execution_id, f"{name} {i}", **common) for i in range(1, n + 1)]

    # ---- test controls and assertions -------------------------------------------------------------------------
    def fail_next(self, n: int = 1, *, status: int = 500, path_contains: str | None = None) -> None:
        """The next n requests (whose path contains `path_contains`, or any) answer `status` before anything else."""
        self._failures.add((path_contains, status), n)

    def expire_tokens(self) -> None:
        """Every session ends (as when the PHP session expires): the client must POST /tokens again."""
        self._tokens.clear()

    def task(self, task_id: int) -> dict[str, Any]:
        """The stored task (internal types: date, aware datetime) with its computed progress."""
        task = self._tasks[task_id]
        return {**task, "progress": _progress(task)}

    def efforts(self, task_id: int) -> list[dict[str, Any]]:
        return [dict(e) for e in self._efforts.get(task_id, [])]

    def actions(self, task_id: int) -> list[dict[str, Any]]:
        """The task's history (zt_action rows): action, actor, date, comment, extra, history."""
        return [dict(a) for a in self._actions.get(task_id, [])]

    def comments(self, task_id: int) -> list[str]:
        return [a["comment"] for a in self._actions.get(task_id, []) if a["comment"]]

    # ---- the built-in webhook (type "default") ---------------------------------------------------------------
    def webhook_payload(self, *, object_type: str = "task", object_id: int, action: str = "started",
                        actor: str = "bob", comment: str = "", text: str | None = None,
                        params: Iterable[str] = WEBHOOK_PARAMS, product: str | None = None,
                        execution: int | None = None, when: datetime | None = None) -> dict[str, Any]:
        """webhookModel::buildData()/getDataByType() for the `default` type: the chosen fields of the action row."""
        task = self._tasks.get(object_id) if object_type == "task" else None
        name = str(task["name"]) if task else ""
        if execution is None:
            execution = int(task["execution"]) if task else 0
        if text is None:
            actor_user = self._users.get(actor)
            title = ((actor_user["realname"] if actor_user else "") + ACTION_LABELS.get(action.lower(), action)
                     + OBJECT_TYPE_NAMES.get(object_type, object_type))
            text = f"{title} [#{object_id}::{name}]({self.domain.rstrip('/')}/{object_type}-view-{object_id}.html)"
        row: dict[str, Any] = {
            "objectType": object_type, "objectID": object_id, "product": product if product is not None else ",1,",
            "project": int(task["project"]) if task else 0, "execution": execution, "actor": actor,
            "action": action.lower(), "date": self._local(when or self._now()), "comment": comment, "text": text,
        }
        return {param: row.get(param, "") for param in params}

    async def send_webhook(self, url: str, *, object_type: str = "task", object_id: int, action: str = "started",
                           actor: str = "bob", comment: str = "", text: str | None = None,
                           params: Iterable[str] = WEBHOOK_PARAMS, content_type: str = "application/json",
                           product: str | None = None, execution: int | None = None) -> tuple[int, str]:
        """POST the payload as webhookModel::fetchHook() does (curl, 30 s, no signature, TLS not verified)."""
        payload = self.webhook_payload(object_type=object_type, object_id=object_id, action=action, actor=actor,
                                       comment=comment, text=text, params=params, product=product,
                                       execution=execution)
        self.webhooks_sent.append((url, payload))
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.post(
                url, data=php_json(payload).encode(), ssl=False,
                headers={"Content-Type": f"{content_type};charset=utf-8"}) as resp:
            return resp.status, await resp.text()

    # ---- HTTP ---------------------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read() if request.can_read_body else b""
        body_json: Any = None
        form: dict[str, str] | None = None
        if raw:
            try:
                body_json = json.loads(raw)
            except ValueError:
                if request.content_type == "application/x-www-form-urlencoded":
                    form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        token = request.headers.get("Token")
        response = await self._respond(request, body_json, token)
        self.requests.append(Recorded(
            method=request.method, path=request.path, query=MappingProxyType(dict(request.query)),
            json=body_json, form=MappingProxyType(form) if form is not None else None, status=response.status,
            token=token))
        if self.delay_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.delay_s)
        return response

    async def _respond(self, request: web.Request, body_json: Any, token: str | None) -> web.Response:
        path = request.path
        if self.down:
            title = f"{self.down_status} {HTTPStatus(self.down_status).phrase}"
            return web.Response(status=self.down_status, content_type="text/html",
                                text=f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1>"
                                     "</center><hr><center>nginx</center></body></html>")
        if (failure := self._failures.take(lambda f: f[0] is None or f[0] in path)) is not None:
            status = failure[1]
            if status >= 500:
                return web.Response(status=status, content_type="text/html",
                                    text=f"<html><body><h1>{status}</h1>injected failure</body></html>")
            return self._error(status, "Unauthorized" if status == 401 else "injected failure")
        if not path.startswith(API_PREFIX):
            return web.Response(status=404, content_type="text/html", text="<h1>404 Not Found</h1>")
        route = path[len(API_PREFIX):] or "/"
        if request.method == "OPTIONS":
            return web.Response(status=204)
        body = body_json if isinstance(body_json, dict) else {}
        query = MappingProxyType(dict(request.query))
        if re.match(r"^/tokens/?$", route):
            if request.method != "POST":
                return self._error(405, "Method Not Allowed")
            return self._tokens_post(body)
        account = self._tokens.get(token or "")
        if account is None:
            return self._error(401, "Unauthorized")
        call = _Call(method=request.method, route=route, query=query, body=body, account=account)
        for pattern, name in ROUTES:
            match = pattern.match(route)
            if match is None:
                continue
            handler = getattr(self, f"_{name}_{request.method.lower()}", None)
            if name == "action":
                handler = self._action if request.method in self.action_methods else None
            if handler is None:
                return self._error(405, "Method Not Allowed")
            result: web.Response = handler(call, *match.groups())
            return result
        return self._error(404, MSG_NO_ROUTE)

    @staticmethod
    def _json(status: int, data: Any) -> web.Response:
        return web.Response(status=status, text=php_json(data), content_type="application/json")

    @staticmethod
    def _sql_error(message: str) -> web.Response:
        """A query MySQL refuses: Zentao's dao::sqlError() ends the request with its error page, not JSON."""
        return web.Response(status=500, content_type="text/html",
                            text=f"<html><body><h1>SQLSTATE[42S22]</h1>{message}</body></html>")

    def _error(self, status: int, message: Any) -> web.Response:
        return self._json(status, {"error": message})

    def _require(self, body: Mapping[str, Any], fields: str) -> web.Response | None:
        """entry::requireFields(): isset($_POST[field]), the first missing one named by its label."""
        for name in fields.split(","):
            if body.get(name) is None:
                return self._error(400, NOT_EMPTY % FIELD_LABELS.get(name, name))
        return None

    # ---- time and formatting ------------------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def _today(self) -> date:
        return self._now().astimezone(self._tz).date()

    def _local(self, value: datetime) -> str:
        return value.astimezone(self._tz).strftime("%Y-%m-%d %H:%M:%S")

    def _parse_datetime(self, value: Any) -> datetime | None:
        """strtotime() of what a client posts: ISO dates and times; no offset means server local time."""
        text = str(value).strip()
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self._tz)
        return parsed.astimezone(UTC)

    @staticmethod
    def _parse_date(value: Any) -> date | None:
        text = str(value or "").strip()[:10]
        if not text or text == "0000-00-00":
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None

    def _raw(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row as PHP fetched it: dates and times as local strings, MySQL zero dates (or null) when empty."""
        out: dict[str, Any] = {}
        for key, value in row.items():
            if key in DATETIME_FIELDS:
                out[key] = (self._local(value) if isinstance(value, datetime)
                            else "0000-00-00 00:00:00" if self.zero_dates else None)
            elif key in DATE_FIELDS:
                out[key] = (value.isoformat() if isinstance(value, date)
                            else "0000-00-00" if self.zero_dates else None)
            else:
                out[key] = value
        return out

    def _user_ref(self, account: Any) -> dict[str, Any] | None:
        user = self._users.get(str(account).strip(",")) if account else None
        if user is None:
            return None
        return {"id": user["id"], "account": user["account"], "avatar": user["avatar"], "realname": user["realname"]}

    def _cast(self, value: Any, kind: str) -> Any:
        if kind == "time":
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else None
        if kind == "date":
            if isinstance(value, datetime):
                return self._local(value)[:10]
            return value.isoformat() if isinstance(value, date) else None
        if kind == "bool":
            return bool(value) and value != "0"
        if kind == "user":
            return self._user_ref(value)
        if kind == "userList":
            return [u for a in str(value or "").split(",") if a and (u := self._user_ref(a)) is not None]
        return value

    def _format(self, row: Mapping[str, Any], spec: str, raw: dict[str, Any] | None = None) -> dict[str, Any]:
        """entry::format(): cast the listed fields that are set (isset: not null)."""
        out = raw if raw is not None else self._raw(row)
        for key, kind in _spec(spec):
            if key in row and out.get(key) is not None:
                out[key] = self._cast(row[key], kind)
        return out

    def _task_raw(self, task: Mapping[str, Any]) -> dict[str, Any]:
        """taskModel::getByID(): the row plus processTask()'s progress, delay, needConfirm, assignedToRealName."""
        out = self._raw(task)
        assigned = task["assignedTo"]
        user = self._users.get(assigned)
        out["assignedToRealName"] = "Closed" if assigned == "closed" else (user["realname"] if user else "")
        out["needConfirm"] = False
        deadline = task["deadline"]
        if task["status"] in UNFINISHED and isinstance(deadline, date) and self._today() > deadline:
            out["delay"] = (self._today() - deadline).days
        out["progress"] = _progress(task)
        return out

    def _task_json(self, task: Mapping[str, Any], spec: str | None) -> dict[str, Any]:
        raw = self._task_raw(task)
        return raw if spec is None else self._format(task, spec, raw)

    def _task_detail(self, task: Mapping[str, Any]) -> dict[str, Any]:
        """GET /tasks/:id (task.php): times, {account, realname} people, assignedTo a user (or ""), actions."""
        out = self._format(task, FMT_TIMES + ",deleted:bool", self._task_raw(task))
        for key in ("openedBy", "finishedBy", "canceledBy", "closedBy", "lastEditedBy"):
            if task[key]:
                out[key] = self._who(task[key])
        out["mailto"] = [self._who(a) for a in str(task["mailto"]).split(",") if a]
        out["assignedTo"] = self._user_ref(task["assignedTo"]) or ""
        out["children"] = []
        out["files"] = []
        out["executionName"] = self._executions[task["execution"]]["name"]
        out["moduleTitle"] = "/"
        out["actions"] = [self._action_for_api(a) for a in self._actions.get(task["id"], [])]
        return out

    def _who(self, account: str) -> dict[str, str]:
        user = self._users.get(account)
        return {"account": account, "realname": user["realname"] if user else account}

    def _action_for_api(self, action: Mapping[str, Any]) -> dict[str, Any]:
        """actionModel::processActionForAPI(): actor becomes the realname."""
        actor = self._users.get(action["actor"])
        return {**{k: v for k, v in action.items() if k != "date"}, "actor": actor["realname"] if actor else
                action["actor"], "date": self._local(action["date"]),
                "desc": f"{self._local(action['date'])}, 由 <strong>{action['actor']}</strong> {action['action']}。"}

    # ---- bookkeeping --------------------------------------------------------------------------------------------
    def _log_action(self, task_id: int, action: str, actor: str, comment: str = "", extra: str = "",
                    history: list[dict[str, Any]] | None = None) -> None:
        task = self._tasks[task_id]
        self._actions[task_id].append({
            "id": next(self._action_ids), "objectType": "task", "objectID": task_id, "product": ",0,",
            "project": task["project"], "execution": task["execution"], "actor": actor, "action": action.lower(),
            "date": self._now(), "comment": comment, "extra": extra, "read": "0", "vision": "rnd", "efforts": 0,
            "history": history or [],
        })

    def _add_effort(self, task: Mapping[str, Any], account: str, *, day: date, consumed: float, left: float,
                    work: str) -> None:
        self._efforts[task["id"]].append({
            "id": next(self._effort_ids), "objectType": "task", "objectID": task["id"], "product": ",0,",
            "project": task["project"], "execution": task["execution"], "account": account, "work": work,
            "vision": "rnd", "date": day.isoformat(), "left": left, "consumed": consumed, "begin": "0000",
            "end": "0000", "extra": "", "order": 0, "deleted": "0",
        })

    def _update_task(self, task: dict[str, Any], changes: Mapping[str, Any], account: str) -> list[dict[str, Any]]:
        """Apply changes; return common::createChanges() history entries."""
        history = []
        for key, new in changes.items():
            old = task.get(key)
            if old != new:
                history.append({"field": key, "old": _history_value(old), "new": _history_value(new), "diff": ""})
                task[key] = new
        task["lastEditedBy"] = account
        task["lastEditedDate"] = self._now()
        return history

    def _sync_execution(self, task: Mapping[str, Any]) -> None:
        """commonModel::syncPPEStatus(): a started task starts its waiting execution and project."""
        if task["status"] == "wait":
            return
        for row in (self._executions[task["execution"]], self._projects.get(task["project"])):
            if row is not None and row["status"] == "wait":
                row["status"] = "doing"
                row["realBegan"] = self._today()

    def _move(self, task: dict[str, Any], execution_id: int) -> None:
        self._execution_tasks[task["execution"]].remove(task["id"])
        self._execution_tasks[execution_id].append(task["id"])
        self._execution_tasks[execution_id].sort()
        task["project"] = self._executions[execution_id]["project"]

    def _illegal(self, task: Mapping[str, Any], verb: str) -> web.Response | None:
        if not self.strict_transitions or task["status"] in ALLOWED_FROM[verb]:
            return None
        return self._error(400, [f"Task #{task['id']} is {task['status']}: {verb} is not offered in this status "
                                 "(taskModel::isClickable)"])

    # ---- /tokens, /user, /users ---------------------------------------------------------------------------------
    def _tokens_post(self, body: Mapping[str, Any]) -> web.Response:
        account = str(body.get("account") or "")
        password = str(body.get("password") or "")
        if self._locked_until.get(account, 0.0) > time.monotonic():
            return self._error(400, MSG_LOGIN_LOCKED % self.lock_minutes)
        if password and account in self._passwords and self._passwords[account] == password:
            token = secrets.token_hex(13)  # a PHP session id: 26 characters
            self._tokens[token] = account
            self._fails.pop(account, None)
            self.token_logins += 1
            return self._json(201, {"token": token})
        fails = self._fails[account] = self._fails.get(account, 0) + 1
        remain = self.fail_times - fails
        if remain <= 0:
            self._locked_until[account] = time.monotonic() + self.lock_minutes * 60
            self._fails.pop(account, None)
            return self._error(400, MSG_LOGIN_LOCKED % self.lock_minutes)
        if remain <= 3:
            return self._error(400, MSG_LOCK_WARNING % remain)
        return self._error(400, MSG_LOGIN_FAILED)

    def _me_get(self, call: _Call) -> web.Response:
        user = self._users[call.account]
        profile = self._format(user, "last:time,locked:time,birthday:date,join:date")
        profile["role"] = {"code": user["role"], "name": ROLE_NAMES.get(user["role"], user["role"])}
        return self._json(200, {"profile": profile})

    def _user_get(self, call: _Call, user_id: str) -> web.Response:
        user = next((u for u in self._users.values() if str(u["id"]) == user_id), None)
        if user is None:
            return self._error(404, MSG_NOT_FOUND)
        return self._json(200, self._raw(user))

    def _users_get(self, call: _Call) -> web.Response:
        users = sorted(self._users.values(), key=lambda u: int(u["id"]), reverse=True)
        limit = int(_num(call.query.get("limit", 20)))
        if not limit:
            rows = users
            page, total, limit = 1, len(users), len(users)
        else:
            page, total, limit, rows = self._page(users, call.query, limit)
        keep = ("id", "dept", "account", "realname", "role", "pinyin", "email")
        return self._json(200, {"page": page, "total": total, "limit": limit,
                                "users": [{k: u[k] for k in keep} for u in rows]})

    def _page(self, rows: list[Any], query: Mapping[str, str], default_limit: int) -> tuple[int, int, int, list[Any]]:
        """pager + dao::page(): no upper bound on limit; a page past the end answers the last page."""
        limit = int(_num(query.get("limit", default_limit))) or 20
        if limit < 0:
            limit = 20
        if self.max_limit is not None:
            limit = min(limit, self.max_limit)
        total = len(rows)
        page_total = -(-total // limit)
        page = int(_num(query.get("page", 1)))
        if page <= 0:
            page = 1
        if page > page_total:
            page = max(page_total, 1)
        if page_total <= 1:
            return page, total, limit, rows
        return page, total, limit, rows[(page - 1) * limit: page * limit]

    # ---- projects and executions ----------------------------------------------------------------------------------
    def _hours(self, execution_ids: Iterable[int]) -> dict[str, Any]:
        estimate = consumed = left = 0.0
        for execution_id in execution_ids:
            for task_id in self._execution_tasks.get(execution_id, []):
                task = self._tasks[task_id]
                if task["status"] == "cancel" or task["deleted"] != "0":
                    continue
                estimate += task["estimate"]
                consumed += task["consumed"]
                left += task["left"] if task["status"] not in ("closed", "done") else 0.0
        progress = round(consumed / (consumed + left) * 100, 1) if consumed + left else 0
        return {"totalEstimate": round(estimate, 2), "totalConsumed": round(consumed, 2),
                "totalLeft": round(left, 2), "progress": progress}

    def _project_executions(self, project_id: int) -> list[int]:
        return [e for e, row in self._executions.items() if row["project"] == project_id]

    def _projects_get(self, call: _Call) -> web.Response:
        status = call.query.get("status", "all")
        rows = [p for p in self._projects.values() if status in ("all", "") or p["status"] == status]
        rows.sort(key=lambda p: (int(p["order"]), int(p["id"])))
        page, total, limit, rows = self._page(rows, call.query, 20)
        projects = [{**self._format(p, FMT_PROJECT_LIST), **self._hours(self._project_executions(p["id"]))}
                    for p in rows]
        return self._json(200, {"page": page, "total": total, "limit": limit, "projects": projects})

    def _project_get(self, call: _Call, project_id: str) -> web.Response:
        project = self._projects.get(int(project_id)) if project_id.isdigit() else None
        if project is None:
            return self._error(404, MSG_NOT_FOUND)
        out = self._format(project, FMT_PROJECT)
        out["caseReview"] = False
        return self._json(200, out)

    def _execution_json(self, execution: Mapping[str, Any], spec: str) -> dict[str, Any]:
        out = self._format(execution, spec)
        out.update(self._hours([int(execution["id"])]))
        end = execution["end"]
        if execution["status"] not in ("closed", "suspended") and isinstance(end, date) and self._today() > end:
            out["delay"] = (self._today() - end).days
        else:
            out["delay"] = 0
        return out

    def _executions_get(self, call: _Call, project_id: str | None = None) -> web.Response:
        wanted = int(project_id) if project_id and project_id.isdigit() else int(_num(call.query.get("project", 0)))
        status = call.query.get("status", "all")
        rows = [e for e in self._executions.values()
                if (not wanted or e["project"] == wanted)
                and (status in ("all", "") or e["status"] == status
                     or (status == "undone" and e["status"] not in ("done", "closed")))]
        rows.sort(key=lambda e: int(e["id"]), reverse=call.query.get("order", "id_desc") != "id_asc")
        page, total, limit, rows = self._page(rows, call.query, 20)
        executions = [self._execution_json(e, FMT_EXECUTION_LIST) for e in rows]
        return self._json(200, {"page": page, "total": total, "limit": limit, "executions": executions})

    def _execution_get(self, call: _Call, execution_id: str) -> web.Response:
        execution = self._executions.get(int(execution_id)) if execution_id.isdigit() else None
        if execution is None:
            return self._error(404, MSG_NOT_FOUND)
        out = self._execution_json(execution, FMT_EXECUTION)
        out.update(teamMembers=[], products=[], caseReview=False)
        return self._json(200, out)

    # ---- task lists and creation ------------------------------------------------------------------------------------
    def _tasks_get(self, call: _Call, execution_id: str | None = None) -> web.Response:
        if execution_id is not None:
            if not execution_id.isdigit() or int(execution_id) not in self._executions:
                return self._error(404, MSG_NOT_FOUND)
            ids = self._execution_tasks[int(execution_id)]
            default_limit = 100
            status = call.query.get("status", "all").lower()
        else:  # GET /tasks: my tasks (my/task, type assignedTo)
            ids = [t for t, row in self._tasks.items() if row["assignedTo"] == call.account]
            default_limit = 20
            status = "all"
        tasks = [self._tasks[i] for i in ids if self._matches(self._tasks[i], status, call.account)]
        columns = next(iter(self._tasks.values()), {"id": 0})  # zt_task's columns
        order = _order_by(call.query.get("order", "id_desc"), columns)
        if order is None:
            return self._sql_error(f"Unknown column in 'order clause': {call.query.get('order')!r}")
        for key, descending in reversed(order):  # stable sorts, last key first: `a_desc,b_asc` as SQL would
            tasks.sort(key=lambda t, k=key: _sort_key(t[k]), reverse=descending)
        page, total, limit, rows = self._page(tasks, call.query, default_limit)
        return self._json(200, {"page": page, "total": total, "limit": limit,
                                "tasks": [self._task_json(t, FMT_FULL) for t in rows]})

    def _matches(self, task: Mapping[str, Any], status: str, account: str) -> bool:
        """taskModel::getExecutionTasks(): a browse type, else `t1.status IN (<the list>)` (an unknown word finds
        nothing). The execution controller turns `unclosed` into every status but closed."""
        if status in ("all", ""):
            return True
        if status == "unclosed":
            return bool(task["status"] != "closed")
        if status == "undone":  # current releases: notIN('done,closed') (older ones: wait or doing)
            return task["status"] not in ("done", "closed")
        if status == "assignedtome":
            return bool(task["assignedTo"] == account)
        if status == "delayed":
            deadline = task["deadline"]
            return task["status"] in UNFINISHED and isinstance(deadline, date) and self._today() > deadline
        return bool(task["status"] in status.split(","))

    def _tasks_post(self, call: _Call, execution_id: str | None = None) -> web.Response:
        if execution_id is None:
            return self._error(400, NOT_EMPTY % "execution")
        execution = self._executions.get(int(execution_id)) if execution_id.isdigit() else None
        if execution is None:
            return self._error(404, MSG_NOT_FOUND)
        body = call.body
        if (missing := self._require(body, "name,assignedTo,type,estStarted,deadline")) is not None:
            return missing
        assigned_raw = body["assignedTo"]
        assignees = [str(a) for a in assigned_raw if a] if isinstance(assigned_raw, list) else [str(assigned_raw)]
        assigned = assignees[0] if assignees else ""
        errors = _Errors()
        for name in ("type", "name"):  # form config order: type, then name
            if not str(body.get(name) or "").strip():
                errors.push(name, NOT_EMPTY % FIELD_LABELS[name])
        estimate = _num(body.get("estimate", 0))
        est_started = self._parse_date(body.get("estStarted"))
        deadline = self._parse_date(body.get("deadline"))
        if not errors:
            if estimate < 0:
                errors.set("estimate", MSG_RECORD_MINUS)
            elif deadline and est_started and est_started > deadline:
                errors.set("deadline", MSG_DEADLINE_SMALL)
        if errors:
            return self._error(400, errors.json())
        task_id = self.add_task(execution["id"], str(body["name"]), assigned_to=assigned, estimate=estimate,
                                deadline=deadline, pri=int(_num(body.get("pri", 3))) or 3,
                                type=str(body["type"]), opened_by=call.account, est_started=est_started,
                                desc=str(body.get("desc") or ""))
        return self._json(201, self._task_json(self._tasks[task_id], FMT_FULL))

    # ---- one task -------------------------------------------------------------------------------------------------
    def _find_task(self, task_id: str) -> dict[str, Any] | None:
        return self._tasks.get(int(task_id)) if task_id.isdigit() else None

    def _task_get(self, call: _Call, task_id: str) -> web.Response:
        task = self._find_task(task_id)
        if task is None:
            return self._error(404, MSG_NOT_FOUND)
        return self._json(200, self._task_detail(task))

    def _task_put(self, call: _Call, task_id: str) -> web.Response:
        """task.php put(): missing fields default to the task's; a refused edit still answers 200."""
        task = self._find_task(task_id)
        if task is None:
            return self._error(404, MSG_NOT_FOUND)
        body = call.body
        fields = ("name", "type", "assignedTo", "estimate", "left", "consumed", "execution", "closedReason",
                  "status", "estStarted", "deadline")
        new = {f: body[f] if body.get(f) is not None else task[f] for f in fields}
        for key in ("estimate", "left", "consumed"):
            new[key] = _num(new[key])
        new["execution"] = int(_num(new["execution"]))
        new["estStarted"] = (self._parse_date(new["estStarted"]) if not isinstance(new["estStarted"], date)
                             else new["estStarted"])
        new["deadline"] = self._parse_date(new["deadline"]) if not isinstance(new["deadline"], date) else new["deadline"]
        refused = (new["consumed"] < task["consumed"] or not str(new["name"]).strip() or not str(new["type"]).strip()
                   or new["execution"] not in self._executions
                   # taskTao::getRequiredFields4Edit: a doing or paused task must keep some hours left
                   or (new["status"] in ("doing", "pause") and not new["left"]))
        if not refused:
            if new["execution"] != task["execution"]:
                self._move(task, new["execution"])
            if new["assignedTo"] != task["assignedTo"]:
                task["assignedDate"] = self._now()
            history = self._update_task(task, new, call.account)
            if history:
                self._log_action(task["id"], "edited", call.account, history=history)
        return self._json(200, self._task_json(task, FMT_TIMES))

    def _action(self, call: _Call, task_id: str, verb: str) -> web.Response:
        task = self._find_task(task_id)
        if task is None:
            return self._error(404, MSG_NOT_FOUND)
        handler: Callable[[_Call, dict[str, Any]], web.Response] = getattr(self, f"_do_{verb}")
        return handler(call, task)

    def _check_start(self, task: Mapping[str, Any], consumed: float, left: float) -> _Errors:
        """taskZen::checkStart()."""
        errors = _Errors()
        if consumed < task["consumed"]:
            errors.set("consumed", MSG_CONSUMED_SMALL)
        if task["status"] == "doing":
            errors.append(MSG_ALREADY_STARTED)
        if not left and not consumed:
            errors.set("consumed", NOT_EMPTY % FIELD_LABELS["consumed"])
        return errors

    def _begin_work(self, call: _Call, task: dict[str, Any], verb: str) -> web.Response:
        """start and restart: the same form (taskZen::buildTaskForStart) and the same checks."""
        body = call.body
        consumed = _num(body.get("consumed", 0))
        left = _num(body.get("left"))
        errors = self._check_start(task, consumed, left)
        if errors:
            return self._error(400, errors.json())
        if (illegal := self._illegal(task, verb)) is not None:
            return illegal
        comment = str(body.get("comment") or "")
        now = self._now()
        increment = consumed - task["consumed"]
        if increment > 0:
            self._add_effort(task, call.account, day=self._today(), consumed=increment, left=left, work=comment)
        changes: dict[str, Any] = {"consumed": consumed, "left": left}
        assigned = body.get("assignedTo")
        if assigned is not None and str(assigned) != task["assignedTo"]:
            changes.update(assignedTo=str(assigned), assignedDate=now)
        started = self._parse_datetime(body["realStarted"]) if body.get("realStarted") else None
        if started is not None or not task["realStarted"]:
            changes["realStarted"] = started or now
        if left == 0:
            changes.update(status="done", finishedBy=call.account, finishedDate=now, assignedTo=task["openedBy"],
                           assignedDate=now)
            action = "finished"
        else:
            changes["status"] = "doing"
            action = "started" if verb == "start" else "restarted"
        history = self._update_task(task, changes, call.account)
        self._log_action(task["id"], action, call.account, comment, history=history)
        self._sync_execution(task)
        return self._json(200, self._task_json(task, None))

    def _do_start(self, call: _Call, task: dict[str, Any]) -> web.Response:
        """taskstart.php: assignedTo, realStarted, consumed, left, comment; requires left."""
        if (missing := self._require(call.body, "left")) is not None:
            return missing
        return self._begin_work(call, task, "start")

    def _do_restart(self, call: _Call, task: dict[str, Any]) -> web.Response:
        """taskrestart.php: assignedTo, realStarted default to the task's; requires consumed and left."""
        if (missing := self._require(call.body, "consumed,left")) is not None:
            return missing
        return self._begin_work(call, task, "restart")

    def _do_finish(self, call: _Call, task: dict[str, Any]) -> web.Response:
        """taskfinish.php + taskZen::buildTaskForFinish(): consumed = task consumed + currentConsumed."""
        body = call.body
        assigned = str(body["assignedTo"]) if body.get("assignedTo") is not None else task["assignedTo"]
        started_raw = body.get("realStarted")
        if started_raw is None and task["realStarted"]:
            started_raw = self._local(task["realStarted"])
        current = _num(body.get("currentConsumed", 0))
        fields = {**body, "currentConsumed": current, "realStarted": started_raw}
        if (missing := self._require(fields, "currentConsumed,realStarted,finishedDate")) is not None:
            return missing
        finished = self._parse_datetime(body["finishedDate"])
        if finished is None:
            return self._error(400, {"finishedDate": [MSG_DATETIME % FIELD_LABELS["finishedDate"]]})
        started = self._parse_datetime(started_raw) if started_raw else task["realStarted"] or self._now()
        if started is None:
            return self._error(400, {"realStarted": [MSG_DATETIME % FIELD_LABELS["realStarted"]]})
        errors = _Errors()
        if not current and not task["consumed"]:
            errors.push("currentConsumed", MSG_CONSUMED_EMPTY)
        if started > finished:
            errors.push("finishedDate", MSG_FINISHED_SMALL)
        if errors:
            return self._error(400, errors.json())
        if (illegal := self._illegal(task, "finish")) is not None:
            return illegal
        comment = str(body.get("comment") or "")
        if current > 0:
            self._add_effort(task, call.account, day=finished.astimezone(self._tz).date(), consumed=current,
                             left=0.0, work=comment)
        changes: dict[str, Any] = {"consumed": task["consumed"] + current, "left": 0.0, "status": "done",
                                   "finishedBy": call.account, "finishedDate": finished, "realStarted": started}
        if assigned != task["assignedTo"]:
            changes.update(assignedTo=assigned, assignedDate=self._now())
        history = self._update_task(task, changes, call.account)
        self._log_action(task["id"], "finished", call.account, comment, history=history)
        self._sync_execution(task)
        return self._json(200, self._task_json(task, FMT_TIMES))

    def _do_pause(self, call: _Call, task: dict[str, Any]) -> web.Response:
        """taskpause.php: comment; status pause."""
        if (illegal := self._illegal(task, "pause")) is not None:
            return illegal
        history = self._update_task(task, {"status": "pause"}, call.account)
        self._log_action(task["id"], "paused", call.account, str(call.body.get("comment") or ""), history=history)
        return self._json(200, self._task_json(task, None))

    def _do_close(self, call: _Call, task: dict[str, Any]) -> web.Response:
        """taskclose.php + taskZen::buildTaskForClose(): closedReason from the status (done or cancel)."""
        if (illegal := self._illegal(task, "close")) is not None:
            return illegal
        now = self._now()
        reason = task["status"] if task["status"] in ("done", "cancel") else ""
        history = self._update_task(task, {"status": "closed", "closedReason": reason, "closedBy": call.account,
                                           "closedDate": now, "assignedTo": "closed", "assignedDate": now},
                                    call.account)
        self._log_action(task["id"], "closed", call.account, str(call.body.get("comment") or ""), extra=reason,
                         history=history)
        return self._json(200, self._task_json(task, None))

    def _do_active(self, call: _Call, task: dict[str, Any]) -> web.Response:
        """taskactive.php + form activate: left and assignedTo required; back to doing."""
        body = call.body
        left = _num(body.get("left", 0))
        assigned = str(body.get("assignedTo") or "")
        errors = _Errors()
        if not left:
            errors.push("left", NOT_EMPTY % FIELD_LABELS["left"])
        if not assigned:
            errors.push("assignedTo", NOT_EMPTY % FIELD_LABELS["assignedTo"])
        if errors:
            return self._error(400, errors.json())
        if (illegal := self._illegal(task, "active")) is not None:
            return illegal
        now = self._now()
        history = self._update_task(task, {
            "status": "doing", "left": left, "assignedTo": assigned, "assignedDate": now, "activatedDate": now,
            "finishedBy": "", "finishedDate": None, "closedBy": "", "closedDate": None, "closedReason": "",
            "canceledBy": "", "canceledDate": None}, call.account)
        self._log_action(task["id"], "activated", call.account, str(body.get("comment") or ""), history=history)
        return self._json(200, self._task_json(task, FMT_ACTIVE))

    def _do_assignto(self, call: _Call, task: dict[str, Any]) -> web.Response:
        """taskassignto.php (requires assignedTo) + form assign (left required)."""
        body = call.body
        if (missing := self._require(body, "assignedTo")) is not None:
            return missing
        left = _num(body.get("left", 0))
        if not left:
            return self._error(400, {"left": [NOT_EMPTY % FIELD_LABELS["left"]]})
        if (illegal := self._illegal(task, "assignto")) is not None:
            return illegal
        assigned = str(body["assignedTo"])
        history = self._update_task(task, {"assignedTo": assigned, "assignedDate": self._now(), "left": left},
                                    call.account)
        self._log_action(task["id"], "assigned", call.account, str(body.get("comment") or ""), extra=assigned,
                         history=history)
        return self._json(200, self._task_json(task, FMT_TIMES))

    # ---- efforts --------------------------------------------------------------------------------------------------
    def _estimate_get(self, call: _Call, task_id: str) -> web.Response:
        """taskrecordestimate.php get(): {"effort": [...]}, or {"effort": {}} when there is none."""
        task = self._find_task(task_id)
        if task is None:
            return self._error(404, MSG_NOT_FOUND)
        efforts = self._efforts.get(task["id"], [])
        return self._json(200, {"effort": [dict(e) for e in efforts] if efforts else {}})

    def _estimate_post(self, call: _Call, task_id: str) -> web.Response:
        """taskrecordestimate.php post(): date, consumed, left, work as per-row arrays (form::batchData, base `work`)."""
        task = self._find_task(task_id)
        if task is None:
            return self._error(404, MSG_NOT_FOUND)
        body = call.body
        if body.get("work") is None:
            return self._error(400, {"work": ["Field 'work' not empty"]})
        columns: dict[str, dict[str, Any]] = {}
        for name in ("date", "consumed", "left", "work"):
            value = body.get(name)
            if value is None:
                columns[name] = {}
            elif isinstance(value, list):
                columns[name] = {str(i): v for i, v in enumerate(value)}
            elif isinstance(value, dict):
                columns[name] = {str(k): v for k, v in value.items()}
            else:
                return self._error(400, {name: [f"'{name}' must be an array with one element per effort row, "
                                                "e.g. {\"date\":[\"2024-05-01\"],\"consumed\":[2],\"left\":[3],"
                                                "\"work\":[\"...\"]}"]})
        errors = _Errors()
        rows: list[tuple[str, date, float, float, str]] = []
        for index, work in columns["work"].items():
            if not work:  # batchData skips a row whose base field is empty
                continue
            raw_date, raw_consumed = columns["date"].get(index), columns["consumed"].get(index)
            raw_left = columns["left"].get(index, "")
            day = self._parse_date(raw_date)
            # form::batchData(): the required fields of the row
            if day is None:
                errors.set(f"date[{index}]", NOT_EMPTY % FIELD_LABELS["date"])
            if not raw_consumed:
                errors.set(f"consumed[{index}]", NOT_EMPTY % FIELD_LABELS["consumed"])
            if day is None or not raw_consumed:
                continue
            # taskTao::checkWorkhour()
            if day > self._today():
                errors.set(f"date[{index}]", f"ID #{index} {MSG_DATE_FUTURE}")
            if not _is_numeric(raw_consumed):
                errors.set(f"consumed[{index}]", MSG_CONSUMED_THIS_TIME)
            elif _num(raw_consumed) <= 0:
                errors.set(f"consumed[{index}]", MSG_GT % (f"ID #{index} 工时", "0"))
            if raw_left == "" or raw_left is None:
                errors.set(f"left[{index}]", MSG_LEFT)
            elif not _is_numeric(raw_left):
                errors.set(f"left[{index}]", f"ID #{index} {MSG_LEFT_NUMBER}")
            elif _num(raw_left) < 0:
                errors.set(f"left[{index}]", MSG_GT % (f"ID #{index} {FIELD_LABELS['left']}", "0"))
            rows.append((index, day, _num(raw_consumed), _num(raw_left), str(work)))
        if errors:
            return self._error(400, errors.json())
        efforts = self._efforts[task["id"]]
        last_date = max((e["date"] for e in efforts), default="")
        for _index, day, consumed, left, work in rows:
            self._record(call.account, task, last_date, day, consumed, left, work)
            last_date = max(last_date, day.isoformat())
        self._sync_execution(task)
        return self._json(200, self._task_json(task, FMT_FULL))

    def _record(self, account: str, task: dict[str, Any], last_date: str, day: date, consumed: float, left: float,
                work: str) -> None:
        """taskModel::recordWorkhour() for one row + taskTao::buildTaskForEffort()."""
        self._add_effort(task, account, day=day, consumed=consumed, left=left, work=work)
        now = self._now()
        status = task["status"]
        changes: dict[str, Any] = {"consumed": task["consumed"] + consumed}
        if not task["realStarted"]:
            changes["realStarted"] = now
        new_left = left if last_date <= day.isoformat() else task["left"]
        changes["left"] = new_left
        if not new_left and status in UNFINISHED:
            changes.update(status="done", assignedTo=task["openedBy"], assignedDate=now, finishedBy=account,
                           finishedDate=now)
            action, extra = "finished", ""
        elif status == "wait":
            changes.update(status="doing", assignedTo=account, assignedDate=now)
            action, extra = "started", ""
        elif new_left != 0 and status in ("done", "pause", "cancel", "closed"):
            changes.update(status="doing", assignedTo=account, finishedBy="", canceledBy="", closedBy="",
                           closedReason="", finishedDate=None, canceledDate=None, closedDate=None)
            action, extra = "activated", ""
        else:
            action, extra = "recordworkhour", str(consumed)
        history = self._update_task(task, changes, account)
        self._log_action(task["id"], action, account, work, extra=extra, history=history)


def _progress(task: Mapping[str, Any]) -> float:
    """taskTao::computeTaskProgress() for a task without children."""
    left, consumed = float(task["left"]), float(task["consumed"])
    if left > 0:
        return round(consumed / (consumed + left), 2) * 100
    return 0 if consumed == 0 else 100


def _history_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


_ORDER_PART = re.compile(r"^(?:t1\.)?(\w+?)(?:_(asc|desc))?$", re.IGNORECASE)


def _order_by(order: str, row: Mapping[str, Any]) -> list[tuple[str, bool]] | None:
    """dao::orderBy(): comma-separated `field_desc` / `field_asc` / `field` (pri_ reads as priOrder); None when a
    field is not a column of zt_task (MySQL refuses the query)."""
    parts: list[tuple[str, bool]] = []
    for part in (p.strip() for p in order.split(",") if p.strip()):
        match = _ORDER_PART.match(part)
        if match is None or match.group(1) not in row:
            return None
        parts.append((match.group(1), (match.group(2) or "asc").lower() == "desc"))
    return parts or [("id", True)]


def _sort_key(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


if __name__ == "__main__":
    from tests.fakes.process import serve_forever

    asyncio.run(serve_forever(FakeZentao()))
