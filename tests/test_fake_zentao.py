"""The fake Zentao (tests/fakes/zentao.py) answers the way Zentao's REST API v1 does: tokens and 401s, pages with a
total, each task action's required fields, status changes and refusals, efforts, 404s, injected failures, and the
unsigned `default` webhook."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fakes.zentao import WEBHOOK_PARAMS, FakeZentao

NOW = datetime(2025, 3, 10, 2, 0, 0, tzinfo=UTC)  # 10:00 on the server (UTC+8)


@dataclasses.dataclass
class World:
    zt: FakeZentao
    http: aiohttp.ClientSession
    project: int
    sprint: int
    sprint2: int
    token: str = ""

    async def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
                   token: str | None = None, form: dict[str, str] | None = None) -> tuple[int, Any]:
        tok = self.token if token is None else token
        headers = {"Token": tok} if tok else {}
        async with self.http.request(method, self.zt.api_url + path, json=body, data=form, params=params,
                                     headers=headers) as resp:
            text = await resp.text()
            if resp.content_type == "application/json" and text:
                return resp.status, json.loads(text)
            return resp.status, text

    async def login(self) -> str:
        status, body = await self.call("POST", "/tokens", body={"account": "pmsbot", "password": "zentao-pass"},
                                       token="")
        assert status == 201, body
        self.token = str(body["token"])
        return self.token

    async def new_task(self, name: str = "Wire pump", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "assignedTo": "bob", "type": "devel", "estStarted": "2025-03-10",
                "deadline": "2025-03-14", "estimate": 8, **fields}
        status, task = await self.call("POST", f"/executions/{self.sprint}/tasks", body=body)
        assert status == 201, task
        return dict(task)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    zt = FakeZentao(clock=lambda: NOW)
    zt.add_user("bob", "Bob Li", "bob@example.com")
    zt.add_user("carol", "Carol Wu", "carol@example.com", role="qa")
    project = zt.add_project("Pump", "PUMP", begin=date(2025, 3, 1), end=date(2025, 6, 30))
    sprint = zt.add_execution(project, "Sprint 1", date(2025, 3, 3), date(2025, 3, 14))
    sprint2 = zt.add_execution(project, "Sprint 2", date(2025, 3, 17), date(2025, 3, 28))
    await zt.start()
    async with aiohttp.ClientSession() as http:
        yield World(zt=zt, http=http, project=project, sprint=sprint, sprint2=sprint2)
    await zt.stop()


async def test_token_login_401_and_expiry(world: World) -> None:
    status, body = await world.call("POST", "/tokens", body={"account": "pmsbot", "password": "nope"})
    assert (status, body) == (400, {"error": "登录失败，请检查您的用户名或密码是否填写正确。"})
    assert await world.call("GET", "/user") == (401, {"error": "Unauthorized"})
    assert await world.call("GET", "/user", token="not-a-session") == (401, {"error": "Unauthorized"})
    assert await world.call("GET", "/no/such/thing") == (401, {"error": "Unauthorized"})  # auth before routing

    token = await world.login()
    assert len(token) == 26
    status, me = await world.call("GET", "/user")
    assert status == 200
    assert me["profile"]["account"] == "pmsbot"
    assert me["profile"]["role"] == {"code": "pm", "name": "项目经理"}
    assert await world.call("GET", "/no/such/thing") == (404, {"error": "not found"})

    world.zt.expire_tokens()
    assert await world.call("GET", "/user") == (401, {"error": "Unauthorized"})
    await world.login()
    assert (await world.call("GET", "/user"))[0] == 200
    assert world.zt.token_logins == 2


async def test_login_lockout_counts_down_then_locks(world: World) -> None:
    answers = [(await world.call("POST", "/tokens", body={"account": "pmsbot", "password": "x"}))[1]["error"]
               for _ in range(6)]
    assert answers[:2] == ["登录失败，请检查您的用户名或密码是否填写正确。"] * 2
    assert answers[2:5] == ["您还有3次尝试机会。", "您还有2次尝试机会。", "您还有1次尝试机会。"]
    assert answers[5] == "密码尝试次数太多，请联系管理员解锁，或10分钟后重试。"
    status, body = await world.call("POST", "/tokens", body={"account": "pmsbot", "password": "zentao-pass"})
    assert status == 400 and "10分钟" in body["error"]


async def test_users_projects_executions_pages(world: World) -> None:
    for i in range(22):
        world.zt.add_user(f"u{i}", f"User {i}")
    world.zt.add_task(world.sprint, "done part", status="doing", estimate=4, consumed=3, left=1)
    await world.login()

    status, users = await world.call("GET", "/users", params={"limit": 10, "page": 3})
    assert status == 200
    assert (users["page"], users["total"], users["limit"], len(users["users"])) == (3, 25, 10, 5)
    assert set(users["users"][0]) == {"id", "dept", "account", "realname", "role", "pinyin", "email"}
    status, first = await world.call("GET", "/users", params={"limit": 10})
    assert [u["id"] for u in first["users"]][:2] == [25, 24]  # id_desc

    status, projects = await world.call("GET", "/projects")
    assert (projects["page"], projects["total"], projects["limit"]) == (1, 1, 20)
    assert projects["projects"][0]["name"] == "Pump" and projects["projects"][0]["begin"] == "2025-03-01"

    status, listed = await world.call("GET", f"/projects/{world.project}/executions")
    assert status == 200 and (listed["page"], listed["total"], listed["limit"]) == (1, 2, 20)
    # projects and executions share zt_project's ids; newest first
    assert [e["id"] for e in listed["executions"]] == [world.sprint2, world.sprint] == [3, 2]
    sprint = listed["executions"][1]
    assert {"id", "name", "begin", "end", "status", "progress"} <= set(sprint)
    assert (sprint["begin"], sprint["end"], sprint["progress"]) == ("2025-03-03", "2025-03-14", 75.0)
    assert sprint["status"] == "doing"  # a started task started the execution

    status, one = await world.call("GET", f"/executions/{world.sprint}")
    assert status == 200 and one["progress"] == 75.0 and one["totalConsumed"] == 3.0
    assert one["openedBy"]["account"] == "pmsbot" and one["openedDate"] == "2025-03-10T02:00:00Z"
    assert await world.call("GET", "/executions/999") == (404, {"error": "404 Not found"})
    assert await world.call("GET", "/projects/999") == (404, {"error": "404 Not found"})


async def test_task_list_pages_total_and_formats(world: World) -> None:
    world.zt.add_tasks(world.sprint, 6, assigned_to="bob", estimate=2.0)
    world.zt.add_task(world.sprint, "deadlined", deadline=date(2025, 3, 20), status="doing")
    await world.login()

    status, page1 = await world.call("GET", f"/executions/{world.sprint}/tasks", params={"limit": 3})
    assert status == 200
    assert (page1["page"], page1["total"], page1["limit"]) == (1, 7, 3)
    assert [t["id"] for t in page1["tasks"]] == [7, 6, 5]  # id_desc
    status, page3 = await world.call("GET", f"/executions/{world.sprint}/tasks", params={"limit": 3, "page": 3})
    assert [t["id"] for t in page3["tasks"]] == [1]
    status, past = await world.call("GET", f"/executions/{world.sprint}/tasks", params={"limit": 3, "page": 9})
    assert past["page"] == 3 and [t["id"] for t in past["tasks"]] == [1]  # dao::page(): the last page again
    status, everything = await world.call("GET", f"/executions/{world.sprint}/tasks")
    assert everything["limit"] == 100 and len(everything["tasks"]) == 7

    by_id = {t["id"]: t for t in everything["tasks"]}
    assert by_id[1]["assignedTo"] == {"id": 2, "account": "bob", "avatar": "", "realname": "Bob Li"}
    assert by_id[1]["deadline"] is None and by_id[1]["finishedDate"] is None
    assert by_id[1]["openedDate"] == "2025-03-10T02:00:00Z"
    assert by_id[7]["assignedTo"] is None and by_id[7]["deadline"] == "2025-03-20"
    assert {"id", "project", "execution", "name", "type", "pri", "status", "estimate", "consumed", "left",
            "progress", "deadline", "assignedTo", "openedDate", "lastEditedDate", "finishedDate", "desc"} <= set(by_id[1])
    assert (by_id[1]["project"], by_id[1]["execution"], by_id[1]["left"]) == (world.project, world.sprint, 2.0)

    status, doing = await world.call("GET", f"/executions/{world.sprint}/tasks", params={"status": "doing"})
    assert [t["id"] for t in doing["tasks"]] == [7]
    assert await world.call("GET", "/executions/999/tasks") == (404, {"error": "404 Not found"})
    world.zt.add_task(world.sprint2, "mine", assigned_to="pmsbot")
    status, mine = await world.call("GET", "/tasks")
    assert (mine["total"], mine["limit"], mine["tasks"][0]["name"]) == (1, 20, "mine")


async def test_task_list_filters_by_browse_type_or_status_list_and_orders_by_columns(world: World) -> None:
    """taskModel::getExecutionTasks(): `status` is a browse type or a list of statuses (t1.status IN …); `order` is
    dao::orderBy() of zt_task's columns, and a column MySQL does not know fails the whole request."""
    ids = {status: world.zt.add_task(world.sprint, status, status=status, estimate=2.0,
                                     consumed=2.0 if status in ("done", "closed") else 0.0)
           for status in ("wait", "doing", "pause", "done", "closed", "cancel")}
    await world.login()

    async def listed(**params: Any) -> list[int]:
        status, body = await world.call("GET", f"/executions/{world.sprint}/tasks", params={"order": "id_asc", **params})
        assert status == 200, body
        return [t["id"] for t in body["tasks"]]

    assert await listed(status="wait,doing,pause") == [ids["wait"], ids["doing"], ids["pause"]]
    assert await listed(status="Pause,Cancel") == [ids["pause"], ids["cancel"]]  # lower-cased first
    assert await listed(status="unclosed") == [i for s, i in ids.items() if s != "closed"]
    assert await listed(status="undone") == [i for s, i in ids.items() if s not in ("done", "closed")]
    assert await listed(status="open") == []  # not a status: `IN ('open')` finds nothing
    assert await listed(status="all") == list(ids.values())
    assert await listed(order="status_asc,id_desc") == sorted(
        ids.values(), key=lambda i: (world.zt.task(i)["status"], -i))
    status, text = await world.call("GET", f"/executions/{world.sprint}/tasks", params={"order": "changed_desc"})
    assert status == 500 and "Unknown column" in text


async def test_create_task_required_fields(world: World) -> None:
    await world.login()
    full = {"name": "Wire pump", "assignedTo": "bob", "type": "devel", "estStarted": "2025-03-10",
            "deadline": "2025-03-14", "estimate": 6}
    labels = {"name": "任务名称", "assignedTo": "指派给", "type": "任务类型", "estStarted": "预计开始",
              "deadline": "截止日期"}
    for missing, label in labels.items():
        body = {k: v for k, v in full.items() if k != missing}
        assert await world.call("POST", f"/executions/{world.sprint}/tasks", body=body) == (
            400, {"error": f"『{label}』不能为空。"}), missing
    assert await world.call("POST", f"/executions/{world.sprint}/tasks", body={**full, "name": ""}) == (
        400, {"error": {"name": ["『任务名称』不能为空。"]}})
    assert await world.call("POST", f"/executions/{world.sprint}/tasks", body={**full, "deadline": "2025-03-01"}) == (
        400, {"error": {"deadline": '"截止日期"必须大于"预计开始"'}})
    assert (await world.call("POST", "/executions/999/tasks", body=full))[0] == 404

    status, task = await world.call("POST", f"/executions/{world.sprint}/tasks", body={**full, "assignedTo": ["bob"]})
    assert status == 201
    assert (task["status"], task["estimate"], task["left"], task["consumed"]) == ("wait", 6.0, 6.0, 0.0)
    assert task["assignedTo"]["account"] == "bob" and task["openedBy"]["account"] == "pmsbot"
    assert (task["deadline"], task["execution"], task["project"], task["pri"]) == (
        "2025-03-14", world.sprint, world.project, 3)
    assert world.zt.task(task["id"])["name"] == "Wire pump"
    assert [a["action"] for a in world.zt.actions(task["id"])] == ["opened"]


async def test_get_task_detail_and_404s(world: World) -> None:
    await world.login()
    created = await world.new_task()
    assert await world.call("GET", "/tasks/999") == (404, {"error": "404 Not found"})
    assert await world.call("GET", "/tasks/abc") == (404, {"error": "404 Not found"})
    status, task = await world.call("GET", f"/tasks/{created['id']}")
    assert status == 200
    assert task["openedBy"] == {"account": "pmsbot", "realname": "PMS Bot"}
    assert task["assignedTo"]["realname"] == "Bob Li"
    assert task["executionName"] == "Sprint 1" and task["deadline"] == "2025-03-14"
    assert task["actions"][0]["action"] == "opened" and task["actions"][0]["actor"] == "PMS Bot"
    assert task["realStarted"] is None and task["deleted"] is False


async def test_task_lifecycle_required_fields_and_refusals(world: World) -> None:
    await world.login()
    task_id = (await world.new_task())["id"]
    path = f"/tasks/{task_id}"

    assert await world.call("POST", path + "/start", body={}) == (400, {"error": "『预计剩余』不能为空。"})
    assert await world.call("POST", path + "/start", body={"left": 0}) == (
        400, {"error": {"consumed": "『总计消耗』不能为空。"}})
    status, started = await world.call("PUT", path + "/start", body={"left": 6, "consumed": 2, "comment": "on it"})
    assert status == 200
    assert (started["status"], started["consumed"], started["left"]) == ("doing", 2.0, 6.0)
    assert started["assignedTo"] == "bob"  # start answers the raw row: an account, local times, zero dates
    assert started["realStarted"] == "2025-03-10 10:00:00" and started["finishedDate"] == "0000-00-00 00:00:00"
    assert [e["consumed"] for e in world.zt.efforts(task_id)] == [2.0]
    assert world.zt.comments(task_id) == ["on it"]

    assert await world.call("POST", path + "/start", body={"left": 6, "consumed": 2}) == (
        400, {"error": ["此任务已被启动，不能重复启动！"]})
    assert await world.call("POST", path + "/start", body={"left": 6, "consumed": 1}) == (
        400, {"error": {"consumed": '"总计消耗"必须大于之前消耗', "0": "此任务已被启动，不能重复启动！"}})

    assert await world.call("POST", path + "/finish", body={"currentConsumed": 3}) == (
        400, {"error": "『实际完成』不能为空。"})  # realStarted defaults to the task's
    assert await world.call("POST", path + "/finish", body={
        "currentConsumed": 3, "realStarted": "2025-03-10 10:00:00", "finishedDate": "2025-03-10 09:00:00"}) == (
        400, {"error": {"finishedDate": ["实际完成不能小于实际开始"]}})
    status, finished = await world.call("POST", path + "/finish", body={
        "currentConsumed": 3, "finishedDate": "2025-03-10 18:00:00", "comment": "done"})
    assert status == 200
    assert (finished["status"], finished["consumed"], finished["left"], finished["progress"]) == (
        "done", 5.0, 0.0, 100)
    assert finished["finishedDate"] == "2025-03-10T10:00:00Z" and finished["assignedTo"] == "bob"
    assert world.zt.task(task_id)["finishedBy"] == "pmsbot"
    assert [e["consumed"] for e in world.zt.efforts(task_id)] == [2.0, 3.0]

    status, again = await world.call("POST", path + "/finish", body={
        "currentConsumed": 1, "finishedDate": "2025-03-10 18:00:00"})
    assert status == 400 and "finish" in again["error"][0]
    assert (await world.call("POST", path + "/pause", body={}))[0] == 400
    status, closed = await world.call("POST", path + "/close", body={"comment": "shipped"})
    assert status == 200
    assert (closed["status"], closed["closedReason"], closed["assignedTo"]) == ("closed", "done", "closed")
    status, refused = await world.call("POST", path + "/start", body={"left": 1, "consumed": 5})
    assert status == 400 and "closed" in refused["error"][0]

    assert await world.call("POST", path + "/active", body={}) == (400, {"error": {
        "left": ["『预计剩余』不能为空。"], "assignedTo": ["『指派给』不能为空。"]}})
    status, active = await world.call("POST", path + "/active", body={"left": 2, "assignedTo": "carol"})
    assert status == 200
    assert (active["status"], active["left"], active["closedReason"]) == ("doing", 2.0, "")
    assert active["assignedTo"]["account"] == "carol"
    assert (await world.call("POST", path + "/pause", body={"comment": "blocked"}))[1]["status"] == "pause"
    assert (await world.call("POST", path + "/pause", body={}))[0] == 400
    assert await world.call("POST", path + "/restart", body={"left": 1}) == (400, {"error": "『总计消耗』不能为空。"})
    status, restarted = await world.call("POST", path + "/restart", body={"consumed": 5, "left": 1})
    assert status == 200 and restarted["status"] == "doing"
    assert (await world.call("GET", path + "/start"))[0] == 405

    assert [a["action"] for a in world.zt.actions(task_id)] == [
        "opened", "started", "finished", "closed", "activated", "paused", "restarted"]
    assert world.zt.comments(task_id) == ["on it", "done", "shipped", "blocked"]


async def test_finish_needs_consumption_and_non_strict_mode(world: World) -> None:
    await world.login()
    task_id = (await world.new_task())["id"]
    body = {"currentConsumed": 0, "realStarted": "2025-03-10 09:00:00", "finishedDate": "2025-03-10 12:00:00"}
    assert await world.call("POST", f"/tasks/{task_id}/finish", body=body) == (
        400, {"error": {"currentConsumed": ['"本次消耗"不能为0']}})

    world.zt.strict_transitions = False  # Zentao itself only refuses starting a doing task
    status, closed = await world.call("POST", f"/tasks/{task_id}/close", body={})
    assert status == 200 and (closed["status"], closed["closedReason"]) == ("closed", "")
    status, finished = await world.call("POST", f"/tasks/{task_id}/finish", body={**body, "currentConsumed": 1})
    assert status == 200 and finished["status"] == "done"


async def test_assign_to(world: World) -> None:
    await world.login()
    task_id = (await world.new_task())["id"]
    assert await world.call("POST", f"/tasks/{task_id}/assignto", body={"left": 3}) == (
        400, {"error": "『指派给』不能为空。"})
    assert await world.call("POST", f"/tasks/{task_id}/assignto", body={"assignedTo": "carol"}) == (
        400, {"error": {"left": ["『预计剩余』不能为空。"]}})
    status, task = await world.call("POST", f"/tasks/{task_id}/assignto",
                                    body={"assignedTo": "carol", "left": 3, "comment": "yours"})
    assert status == 200 and task["assignedTo"] == "carol" and task["left"] == 3.0
    assert world.zt.actions(task_id)[-1]["extra"] == "carol"


async def test_effort_recording_adds_consumed(world: World) -> None:
    await world.login()
    task_id = (await world.new_task())["id"]
    path = f"/tasks/{task_id}/estimate"

    assert await world.call("GET", path) == (200, {"effort": {}})
    status, scalar = await world.call("POST", path, body={"date": "2025-03-10", "consumed": 2, "left": 6,
                                                          "work": "x"})
    assert status == 400 and "date" in scalar["error"]
    assert await world.call("POST", path, body={"date": ["2025-03-10"], "consumed": [2], "left": [6]}) == (
        400, {"error": {"work": ["Field 'work' not empty"]}})
    assert await world.call("POST", path, body={"date": ["2025-03-11"], "consumed": [2], "left": [6],
                                                "work": ["tomorrow"]}) == (
        400, {"error": {"date[0]": "ID #0 日期不能大于今天"}})
    assert await world.call("POST", path, body={"date": ["2025-03-10"], "consumed": [2], "left": [-1],
                                                "work": ["x"]}) == (
        400, {"error": {"left[0]": "『ID #0 预计剩余』应当大于『0』。"}})

    status, task = await world.call("POST", path, body={
        "date": ["2025-03-09", "2025-03-10", ""], "consumed": [2, 1.5, 9], "left": [6, 4.5, 0],
        "work": ["wiring", "tests", ""]})  # a row without work is skipped
    assert status == 200
    assert (task["consumed"], task["left"], task["status"], task["progress"]) == (3.5, 4.5, "doing", 44.0)
    assert task["assignedTo"]["account"] == "pmsbot"  # recording on a waiting task starts it for the recorder
    assert [(e["date"], e["consumed"], e["work"]) for e in world.zt.efforts(task_id)] == [
        ("2025-03-09", 2.0, "wiring"), ("2025-03-10", 1.5, "tests")]
    status, listed = await world.call("GET", path)
    assert status == 200 and [e["work"] for e in listed["effort"]] == ["wiring", "tests"]

    status, done = await world.call("POST", path, body={"date": ["2025-03-10"], "consumed": [4.5], "left": [0],
                                                        "work": ["finished it"]})
    assert (done["status"], done["consumed"], done["left"], done["progress"]) == ("done", 8.0, 0.0, 100)
    assert [a["action"] for a in world.zt.actions(task_id)] == [
        "opened", "started", "recordworkhour", "finished"]


async def test_edit_task_answers_200_even_when_refused(world: World) -> None:
    await world.login()
    task_id = (await world.new_task())["id"]
    status, task = await world.call("PUT", f"/tasks/{task_id}", body={"name": "Wire the pump", "pri": 1})
    assert status == 200 and task["name"] == "Wire the pump" and task["assignedTo"] == "bob"
    assert task["lastEditedDate"] == "2025-03-10T02:00:00Z"
    status, _ = await world.call("PUT", f"/tasks/{task_id}", body={"consumed": 0, "name": ""})
    assert status == 200 and world.zt.task(task_id)["name"] == "Wire the pump"  # refused, silently
    status, moved = await world.call("PUT", f"/tasks/{task_id}", body={"execution": world.sprint2})
    assert status == 200 and moved["execution"] == world.sprint2
    status, listed = await world.call("GET", f"/executions/{world.sprint2}/tasks")
    assert [t["id"] for t in listed["tasks"]] == [task_id]


async def test_fail_next_down_and_delay(world: World) -> None:
    await world.login()
    task_id = (await world.new_task())["id"]
    world.zt.reset_counts()
    world.zt.fail_next(2, status=500, path_contains="/tasks/")
    assert (await world.call("GET", "/user"))[0] == 200  # other paths are not affected
    first, second, third = [await world.call("GET", f"/tasks/{task_id}") for _ in range(3)]
    assert (first[0], second[0], third[0]) == (500, 500, 200)
    assert isinstance(first[1], str) and "500" in first[1]
    assert world.zt.count(method="GET", path_contains="/tasks/") == 3
    world.zt.fail_next(status=401)
    assert await world.call("GET", "/user") == (401, {"error": "Unauthorized"})

    world.zt.down = True
    status, page = await world.call("POST", "/tokens", body={"account": "pmsbot", "password": "zentao-pass"})
    assert status == 502 and "Bad Gateway" in page
    world.zt.down = False
    assert (await world.call("GET", "/user"))[0] == 200

    world.zt.delay_s = 30
    with pytest.raises(TimeoutError):
        async with world.http.get(world.zt.api_url + "/user", headers={"Token": world.token},
                                  timeout=aiohttp.ClientTimeout(total=0.2)) as resp:
            await resp.read()
    world.zt.delay_s = 0
    assert world.zt.requests[-1].path == "/api.php/v1/user"  # recorded although the client gave up


async def test_5000_tasks_paged(world: World) -> None:
    big = world.zt.add_execution(world.project, "Backlog", date(2025, 3, 1), date(2025, 12, 31))
    created = world.zt.add_tasks(big, 5000, assigned_to="bob", estimate=2.0)
    await world.login()
    world.zt.reset_counts()
    seen: list[int] = []
    page = 1
    while True:
        status, body = await world.call("GET", f"/executions/{big}/tasks", params={"page": page})
        assert status == 200 and body["total"] == 5000 and body["page"] == page
        seen.extend(t["id"] for t in body["tasks"])
        if page * body["limit"] >= body["total"]:
            break
        page += 1
    assert world.zt.count("GET", f"/executions/{big}/tasks") == 50  # the default limit is 100
    assert len(seen) == 5000 and set(seen) == set(created)
    assert seen[:2] == [created[-1], created[-2]]


async def test_webhook_default_type_payload(world: World) -> None:
    task_id = world.zt.add_task(world.sprint, "Wire pump", assigned_to="bob")
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/zentao/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        status, text = await world.zt.send_webhook(f"http://127.0.0.1:{port}/zentao/hook?key=s3cret",
                                                   object_id=task_id, action="started", actor="bob",
                                                   comment="开工 a/b")
    finally:
        await runner.cleanup()
    assert (status, text) == (200, "ok")
    headers, raw = received[0]
    assert headers["Content-Type"] == "application/json;charset=utf-8"
    assert not {h for h in headers if "sign" in h.lower() or h.lower() in ("authorization", "token")}
    assert b"\\u5f00\\u5de5 a\\/b" in raw  # json_encode(): \uXXXX and escaped slashes
    payload = json.loads(raw)
    assert list(payload) == list(WEBHOOK_PARAMS)
    assert payload == {
        "objectType": "task", "objectID": task_id, "product": ",1,", "execution": world.sprint,
        "action": "started", "actor": "bob", "date": "2025-03-10 10:00:00", "comment": "开工 a/b",
        "text": f"Bob Li开始了任务 [#{task_id}::Wire pump](http://zentao.example.com/task-view-{task_id}.html)"}


async def test_requests_recorded_frozen_and_form_bodies_ignored(world: World) -> None:
    await world.login()
    task_id = (await world.new_task())["id"]
    world.zt.reset_counts()
    assert world.zt.count() == 0
    status, body = await world.call("POST", f"/tasks/{task_id}/start", form={"left": "3"})
    assert (status, body) == (400, {"error": "『预计剩余』不能为空。"})  # the API reads JSON bodies only
    record = world.zt.requests[-1]
    assert (record.method, record.path, record.json, record.status) == (
        "POST", f"/api.php/v1/tasks/{task_id}/start", None, 400)
    assert record.form == {"left": "3"} and record.token == world.token
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = 200  # type: ignore[misc]
    await world.call("GET", f"/executions/{world.sprint}/tasks", params={"limit": "5"})
    assert world.zt.requests[-1].query == {"limit": "5"}
    assert world.zt.count("POST") == 1 and world.zt.count(path_contains="/executions/") == 1

