"""Feishu Approval (approval v4) as the bot uses it, with the tenant token (lark-oapi's CreateInstanceRequest and
GetInstanceRequest): POST /open-apis/approval/v4/instances needs approval_code, the originator (open_id, or
user_id) and `form` as a JSON *string* of a list; Feishu refuses a wrong one with its code and msg (HTTP 400).
`finish` sets an instance's status and gives the approval.instance.status_changed_v4 event Feishu pushes, only when
the app subscribed to its definition (POST /open-apis/approval/v4/approvals/{approval_code}/subscribe, no body;
again is refused with 1390007 "subscription existed"); None otherwise."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer

TOKEN = "t-approval-1"
PARAM_INVALID = 1390001  # "param is invalid"
APPROVAL_NOT_FOUND = 1390002  # "approval code not found"
SUBSCRIPTION_EXISTED = 1390007  # "subscription existed"


@dataclass
class FakeFeishuApproval(FakeServer):
    app: tuple[str, str] = ("cli_oa", "feishu-secret")
    approval_codes: set[str] = field(default_factory=lambda: {"APPROVAL-EXPENSE"})
    users: set[str] = field(default_factory=lambda: {"ou_req"})
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: list[dict[str, Any]] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)
    subscribes: list[str] = field(default_factory=list)  # every subscribe call's approval_code
    subscribe_down: bool = False  # the subscribe route answers 500
    create_down: bool = False  # the create route answers 503 (an outage)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        app.router.add_post("/open-apis/approval/v4/instances", self._create)
        app.router.add_get("/open-apis/approval/v4/instances/{instance}", self._get)
        app.router.add_post("/open-apis/approval/v4/approvals/{code}/subscribe", self._subscribe)

    @staticmethod
    def _error(code: int, msg: str, status: int = 400) -> web.Response:
        return web.json_response({"code": code, "msg": msg}, status=status)

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict) or (body.get("app_id"), body.get("app_secret")) != self.app:
            return self._error(10014, "app secret invalid")
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": TOKEN, "expire": 7200})

    async def _subscribe(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(99991663, "Invalid access token for authorization", status=401)
        code = request.match_info["code"]
        self.subscribes.append(code)
        if self.subscribe_down:
            return self._error(1395001, "There have been some errors. Please try again later", status=500)
        if code not in self.approval_codes:
            return self._error(APPROVAL_NOT_FOUND, "approval code not found")
        if code in self.subscribed:
            return self._error(SUBSCRIPTION_EXISTED, "subscription existed")
        self.subscribed.add(code)
        return web.json_response({"code": 0, "msg": "success", "data": {}})

    async def _create(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(99991663, "Invalid access token for authorization", status=401)
        if self.create_down:
            return self._error(1395001, "There have been some errors. Please try again later", status=503)
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("approval_code"), str) \
                or not isinstance(body.get("form"), str):
            return self._error(PARAM_INVALID, "param is invalid: approval_code and form (a string) are required")
        try:
            form = json.loads(body["form"])
        except ValueError:
            return self._error(PARAM_INVALID, "param is invalid: form is not JSON")
        if not isinstance(form, list):
            return self._error(PARAM_INVALID, "param is invalid: form is a list of widget values")
        who = body.get("open_id") if request.query.get("user_id_type") == "open_id" else body.get("user_id")
        if body["approval_code"] not in self.approval_codes:
            return self._error(APPROVAL_NOT_FOUND, "approval code not found")
        if who not in self.users:
            return self._error(PARAM_INVALID, "param is invalid: user not found")
        self.creates.append(body)
        instance = f"INST-{next(self._ids)}"
        self.instances[instance] = {"status": "PENDING", "approval_code": body["approval_code"]}
        return web.json_response({"code": 0, "msg": "success", "data": {"instance_code": instance}})

    async def _get(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(99991663, "Invalid access token for authorization", status=401)
        found = self.instances.get(request.match_info["instance"])
        if found is None:
            return self._error(PARAM_INVALID, "param is invalid: instance not found")
        return web.json_response({"code": 0, "msg": "success", "data": {"status": found["status"]}})

    def finish(self, instance: str, status: str) -> dict[str, Any] | None:
        self.instances[instance]["status"] = status
        code = self.instances[instance]["approval_code"]
        if code not in self.subscribed:
            return None  # Feishu pushes nothing for a definition the app did not subscribe to
        return {"approval_code": code, "instance_code": instance, "status": status, "operate_time": "1700000000000"}
