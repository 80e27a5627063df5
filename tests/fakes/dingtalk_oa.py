"""DingTalk OA (workflow 1.0) as the bot uses it: POST /v1.0/workflow/processInstances creates an instance and
GET /v1.0/workflow/processInstances?processInstanceId=… reads it, each with the app's token in
x-acs-dingtalk-access-token (https://open.dingtalk.com/document/orgapp/create-an-approval-instance). A create
needs originatorUserId (a staff id of the org) and processCode (a known template), formComponentValues a list of
{name, value}; DingTalk answers a wrong one with HTTP 400 and {code, message}. `finish` sets an instance's
result and gives the bpms_instance_change event DingTalk would push (type finish/terminate, result agree/refuse)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer

TOKEN = "oa-token-1"


@dataclass
class FakeDingTalkOa(FakeServer):
    process_codes: set[str] = field(default_factory=lambda: {"PROC-EXPENSE"})
    staff: set[str] = field(default_factory=lambda: {"staff-bob"})
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    gets: int = 0
    app: tuple[str, str] = ("ding-oa", "dingtalk-secret")
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1.0/oauth2/accessToken", self._token)
        app.router.add_post("/v1.0/workflow/processInstances", self._create)
        app.router.add_get("/v1.0/workflow/processInstances", self._get)

    @staticmethod
    def _error(status: int, code: str, message: str) -> web.Response:
        return web.json_response({"code": code, "message": message, "requestid": "fake"}, status=status)

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict) or (body.get("appKey"), body.get("appSecret")) != self.app:
            return self._error(400, "invalid.client", "appKey or appSecret is wrong")
        return web.json_response({"accessToken": TOKEN, "expireIn": 7200})

    async def _create(self, request: web.Request) -> web.Response:
        if request.headers.get("x-acs-dingtalk-access-token") != TOKEN:
            return self._error(401, "InvalidAuthentication", "不合法的access_token")
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("originatorUserId"), str) \
                or not isinstance(body.get("processCode"), str):
            return self._error(400, "MissingParameter", "originatorUserId and processCode are required")
        values = body.get("formComponentValues", [])
        if not isinstance(values, list) or any(not isinstance(v, dict) or not isinstance(v.get("name"), str)
                                               or not isinstance(v.get("value"), str) for v in values):
            return self._error(400, "InvalidParameter", "formComponentValues: a list of {name, value}")
        if body["processCode"] not in self.process_codes:
            return self._error(400, "processCodeNotFound", "审批模板不存在")
        if body["originatorUserId"] not in self.staff:
            self.refused.append(body)
            return self._error(400, "userNotExist", "发起人不存在")
        self.creates.append(body)
        instance = f"inst-{next(self._ids)}"
        self.instances[instance] = {"status": "RUNNING", "result": "", "body": body}
        return web.json_response({"instanceId": instance})

    async def _get(self, request: web.Request) -> web.Response:
        if request.headers.get("x-acs-dingtalk-access-token") != TOKEN:
            return self._error(401, "InvalidAuthentication", "不合法的access_token")
        self.gets += 1
        found = self.instances.get(request.query.get("processInstanceId", ""))
        if found is None:
            return self._error(400, "InvalidParameter", "processInstanceId not found")
        return web.json_response({"success": True, "result": {"status": found["status"], "result": found["result"]}})

    def finish(self, instance: str, result: str) -> dict[str, Any]:
        """The instance ends (agree / refuse; "" for terminated) and the event DingTalk pushes about it."""
        kind = "terminate" if not result else "finish"
        self.instances[instance] |= {"status": "TERMINATED" if kind == "terminate" else "COMPLETED", "result": result}
        event = {"EventType": "bpms_instance_change", "processInstanceId": instance, "type": kind,
                 "processCode": self.instances[instance]["body"]["processCode"],
                 "url": f"https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?procInstId={instance}"}
        return event | ({"result": result} if result else {})
