"""Fakes of the three chat platforms' directories, one organisation seen through each, built from their docs:

- Feishu contact/v3: https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/department/children
  and https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/user/find_by_department
  (tenant token in Authorization; page_size ≤ 50; page_token/has_more; code 99991400 on HTTP 429 when throttled).
- DingTalk: https://open.dingtalk.com/document/orgapp/obtain-a-sub-department-list-v2 and
  https://help.dingtalk.io/open/development/queries-the-complete-information-of-a-department-user
  (access_token query parameter; size ≤ 100; cursor/next_cursor/has_more; errcode 90018 when throttled).
  One user: https://apifox.com/apidoc/shared/f9b55f1e-e990-49ad-ad32-4243d72b3245/api-136641502
  (POST /topapi/v2/user/get {userid};
  errcode 60121 "找不到该用户" for no such user, nor anyone who left).
- Slack users.list: https://api.slack.com/methods/users.list, https://docs.slack.dev/apis/web-api/pagination
  (Bearer token; cursor/response_metadata.next_cursor; tier 2: HTTP 429 {"ok": false, "error": "ratelimited"} with
  Retry-After).

Every `throttle_every`-th directory call is refused as throttled; departments in `broken` always refuse their
member listing (a permission the app lacks), which makes a listing partial. With `rate_limits`, each platform's
documented call rate is enforced on the fake's own clock (`now_s`, advanced by CALL_S a call and by the client's
sleeps, which a test hands to `waited`): Feishu contact/v3 1,000 a minute and 50 a second (HTTP 429, code 99991400,
x-ogw-ratelimit-reset), DingTalk 20 a second per app (errcode 90018; https://help.dingtalk.io/open/development/
call-frequency-limit: back off 1 s, 2 s, 4 s…), Slack users.list tier 2, 20 a minute (HTTP 429 with Retry-After).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer, Window, admit, wait_hint

FEISHU_TOKEN = "t-feishu-tenant"
DINGTALK_TOKEN = "dt-access"
SLACK_TOKEN = "xoxb-directory"
CALL_S = 0.01  # what one call costs on the fake's clock (a round trip to the platform)


def documented_limits() -> dict[str, tuple[Window, ...]]:
    return {"feishu": (Window(50, 1.0), Window(1000, 60.0)), "dingtalk": (Window(20, 1.0),),
            "slack": (Window(20, 60.0),)}


@dataclass
class Someone:
    n: int  # accounts: feishu ou_<n>, dingtalk u<n>, slack U<n>
    name: str
    email: str | None
    employee_id: str | None
    dept: str  # department id ("1" is the root)
    manager: int | None = None
    leader: bool = False  # leads their department (DingTalk derives managers from this)
    active: bool = True


@dataclass
class DirectoryFake(FakeServer):
    departments: dict[str, tuple[str, str | None]] = field(default_factory=lambda: {"1": ("Company", None)})
    people: list[Someone] = field(default_factory=list)
    throttle_every: int = 0
    slack_page_max: int = 3  # Slack may return fewer members than the limit asks (its docs say so)
    broken: set[str] = field(default_factory=set)
    calls: int = 0
    throttled: int = 0
    pages: dict[str, int] = field(default_factory=dict)
    rate_limits: dict[str, tuple[Window, ...]] = field(default_factory=dict)  # platform -> windows (see above)
    now_s: float = 0.0  # the fake's clock, for rate_limits
    hinted: list[float] = field(default_factory=list)  # the waits a refusal asked for, in seconds
    dingtalk_tokens: set[str] = field(default_factory=set)  # valid access tokens (clear it: they all expired)

    slept: list[float] = field(default_factory=list)  # what the client waited, in seconds

    async def waited(self, seconds: float) -> None:
        """A directory client's sleep: the fake's clock moves on instead of the test's."""
        self.now_s += seconds
        self.slept.append(seconds)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self.feishu_token)
        app.router.add_get("/open-apis/contact/v3/departments/{id}/children", self.feishu_children)
        app.router.add_get("/open-apis/contact/v3/users/find_by_department", self.feishu_users)
        app.router.add_get("/open-apis/contact/v3/users/{id}", self.feishu_user)
        app.router.add_post("/v1.0/oauth2/accessToken", self.dingtalk_token)
        app.router.add_post("/topapi/v2/department/listsub", self.dingtalk_listsub)
        app.router.add_post("/topapi/v2/user/list", self.dingtalk_users)
        app.router.add_post("/topapi/v2/user/get", self.dingtalk_user)
        app.router.add_get("/api/users.list", self.slack_users)

    # ---- shared ------------------------------------------------------------------------------------------------
    def _throttle(self, platform: str = "") -> str | None:
        """None: answer; else the seconds to tell the client to wait (as the platform's header says it)."""
        self.calls += 1
        self.now_s += CALL_S
        if self.throttle_every and self.calls % self.throttle_every == 0:
            self.throttled += 1
            return "0"
        windows = self.rate_limits.get(platform, ())
        wait_s = max(admit(self.now_s, *windows)) if windows else 0.0
        if wait_s > 0:
            self.throttled += 1
            self.hinted.append(wait_s)
            return wait_hint(wait_s)
        return None

    def _count(self, what: str) -> None:
        self.pages[what] = self.pages.get(what, 0) + 1

    def _under(self, root: str) -> list[str]:
        out, todo = [], [root]
        while todo:
            at = todo.pop()
            kids = [d for d, (_, parent) in self.departments.items() if parent == at]
            out += kids
            todo += kids
        return out

    # ---- Feishu ------------------------------------------------------------------------------------------------
    async def feishu_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("app_id") != "cli_dir" or body.get("app_secret") != "feishu-secret":
            return web.json_response({"code": 10014, "msg": "app secret invalid"})
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": FEISHU_TOKEN, "expire": 7200})

    def _feishu_refusal(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {FEISHU_TOKEN}":
            return web.json_response({"code": 99991663, "msg": "Invalid access token"}, status=400)
        if (wait := self._throttle("feishu")) is not None:
            return web.json_response({"code": 99991400, "msg": "request trigger frequency limit"}, status=429,
                                     headers={"x-ogw-ratelimit-limit": "50", "x-ogw-ratelimit-reset": wait})
        return None

    @staticmethod
    def _feishu_page(items: list[dict[str, Any]], request: web.Request) -> web.Response:
        size = request.query.get("page_size", "10")
        if not size.isdigit() or not 1 <= int(size) <= 50:
            return web.json_response({"code": 99992402, "msg": "field validation failed: page_size"}, status=400)
        start = int(request.query.get("page_token") or 0)
        end = start + int(size)
        more = end < len(items)
        return web.json_response({"code": 0, "msg": "success", "data": {
            "has_more": more, "page_token": str(end) if more else "", "items": items[start:end]}})

    def _feishu_user(self, p: Someone) -> dict[str, Any]:
        return {"open_id": f"ou_{p.n}", "name": p.name, "enterprise_email": p.email, "employee_no": p.employee_id,
                "department_ids": [f"od-{p.dept}"], "leader_user_id": f"ou_{p.manager}" if p.manager else "",
                "status": {"is_resigned": not p.active, "is_activated": p.active, "is_frozen": False}}

    async def feishu_children(self, request: web.Request) -> web.Response:
        if (refused := self._feishu_refusal(request)) is not None:
            return refused
        self._count("feishu_children")
        root = request.match_info["id"]
        root = "1" if root == "0" else root.removeprefix("od-")
        items = [{"name": self.departments[d][0], "open_department_id": f"od-{d}",
                  "parent_department_id": "0" if self.departments[d][1] == "1" else f"od-{self.departments[d][1]}"}
                 for d in self._under(root)]
        return self._feishu_page(items, request)

    async def feishu_users(self, request: web.Request) -> web.Response:
        if (refused := self._feishu_refusal(request)) is not None:
            return refused
        self._count("feishu_users")
        dept = request.query.get("department_id", "")
        dept = "1" if dept == "0" else dept.removeprefix("od-")
        if dept in self.broken:
            return web.json_response({"code": 40004, "msg": "no dept authority error"}, status=400)
        return self._feishu_page([self._feishu_user(p) for p in self.people if p.dept == dept], request)

    async def feishu_user(self, request: web.Request) -> web.Response:
        if (refused := self._feishu_refusal(request)) is not None:
            return refused
        found = [p for p in self.people if f"ou_{p.n}" == request.match_info["id"]]
        if not found:
            return web.json_response({"code": 41050, "msg": "no user authority error"}, status=400)
        return web.json_response({"code": 0, "msg": "success", "data": {"user": self._feishu_user(found[0])}})

    # ---- DingTalk ----------------------------------------------------------------------------------------------
    async def dingtalk_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("appKey") != "ding-dir" or body.get("appSecret") != "dingtalk-secret":
            return web.json_response({"code": "invalidClientIdOrSecret", "message": "bad"}, status=400)
        self._count("dingtalk_token")
        token = f"{DINGTALK_TOKEN}-{self.pages['dingtalk_token']}"
        self.dingtalk_tokens.add(token)
        return web.json_response({"accessToken": token, "expireIn": 7200})

    def _dingtalk_refusal(self, request: web.Request) -> web.Response | None:
        if request.query.get("access_token") not in self.dingtalk_tokens:  # unknown, or expired (two hours)
            return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
        if self._throttle("dingtalk") is not None:  # DingTalk says no wait: the client backs off
            return web.json_response({"errcode": 90018, "errmsg": "当前企业调用该接口超过每秒限流"})
        return None

    async def dingtalk_listsub(self, request: web.Request) -> web.Response:
        if (refused := self._dingtalk_refusal(request)) is not None:
            return refused
        dept = str((await request.json()).get("dept_id"))
        if dept not in self.departments:
            return web.json_response({"errcode": 60003, "errmsg": "部门不存在"})
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": [
            {"dept_id": int(d), "name": name, "parent_id": int(dept)}
            for d, (name, parent) in self.departments.items() if parent == dept]})

    async def dingtalk_users(self, request: web.Request) -> web.Response:
        if (refused := self._dingtalk_refusal(request)) is not None:
            return refused
        self._count("dingtalk_users")
        body = await request.json()
        dept, cursor, size = str(body.get("dept_id")), body.get("cursor"), body.get("size")
        if not isinstance(cursor, int) or not isinstance(size, int) or not 1 <= size <= 100:
            return web.json_response({"errcode": 400002, "errmsg": "无效的参数"})
        if dept in self.broken:
            return web.json_response({"errcode": 60011, "errmsg": "管理员权限不足"})
        members = [p for p in self.people if p.dept == dept and p.active]  # DingTalk lists no one who left
        page = members[cursor:cursor + size]
        more = cursor + size < len(members)
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": {
            "has_more": more, **({"next_cursor": cursor + size} if more else {}),
            "list": [{"userid": f"u{p.n}", "name": p.name, "org_email": p.email, "job_number": p.employee_id,
                      "dept_id_list": [int(p.dept)], "leader": p.leader, "active": True} for p in page]}})

    async def dingtalk_user(self, request: web.Request) -> web.Response:
        if (refused := self._dingtalk_refusal(request)) is not None:
            return refused
        self._count("dingtalk_user")
        userid = (await request.json()).get("userid")
        if not isinstance(userid, str) or not userid:
            return web.json_response({"errcode": 400002, "errmsg": "无效的参数"})
        found = [p for p in self.people if f"u{p.n}" == userid and p.active]
        if not found:
            return web.json_response({"errcode": 60121, "errmsg": "找不到该用户"})
        p = found[0]
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": {
            "userid": userid, "name": p.name, "org_email": p.email, "job_number": p.employee_id,
            "dept_id_list": [int(p.dept)], "active": True,
            **({"manager_userid": f"u{p.manager}"} if p.manager else {})}})

    # ---- Slack -------------------------------------------------------------------------------------------------
    async def slack_users(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {SLACK_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if (wait := self._throttle("slack")) is not None:
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": wait})
        self._count("slack_users")
        limit = request.query.get("limit", "0")
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            return web.json_response({"ok": False, "error": "limit_required"})
        cursor = request.query.get("cursor", "")
        start = int(cursor.removeprefix("dXNlcjo")) if cursor else 0
        end = start + min(int(limit), self.slack_page_max)
        members = [{"id": "USLACKBOT", "name": "slackbot", "is_bot": False, "deleted": False, "profile": {}}] \
            if start == 0 else []
        members += [{"id": f"U{p.n}", "name": p.name.lower(), "deleted": not p.active, "is_bot": False,
                     "real_name": p.name, "profile": {"real_name": p.name, "email": p.email}}
                    for p in self.people[start:end]]
        more = end < len(self.people)
        return web.json_response({"ok": True, "members": members,
                                  "response_metadata": {"next_cursor": f"dXNlcjo{end}" if more else ""}})
