"""A fake DingTalk open platform on 127.0.0.1, and robot callbacks signed as DingTalk signs them.

Issues access tokens that expire and refuses missing, wrong or expired ones (HTTP 401 InvalidAuthentication);
validates the robot send APIs (robotCode, ≤20 userIds, msgKey and the fields its msgParam needs, msgParam a JSON
string of ≤15,000 bytes), records every message; session webhooks that expire; interactive card create/deliver and
update; the custom robot's webhook with its sign and 20 a minute (then silent for 10 minutes); the user API; the
app's QPS per API (20 calls in any second) answered as DingTalk does (HTTP 403 QpsLimitForAppkeyAndApi, or errcode
90018 from the old API); failures on request;
and the Stream gateway: connections/open with single-use tickets valid 90 s, a WebSocket that pushes CALLBACK
frames, expects each acknowledged, redelivers unacknowledged ones on the next connection, pings with an `opaque`
that must come back, and can say `disconnect`. Sources: ../shared/research/im-platforms.md §3.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.server import Failures, FakeServer, IssuedTokens, Window, admit

__all__ = ["FakeDingTalk", "Sent", "Window", "signed"]

CLIENT_ID = "dingpmsbottest"
CLIENT_SECRET = "dingtalk-app-secret-for-tests"
ROBOT_CODE = CLIENT_ID
CARD_TEMPLATE = "pmsbot-approval.schema"
ALERT_TOKEN = "alert-robot-token"
ALERT_SECRET = "SECalertrobotsecret"
MSG_PARAM_MAX_BYTES = 15_000
# The app's QPS ("接口的应用维度QPS限流", open.dingtalk.com/document/development/how-to-process-api-throttling-on-the-
# dingtalk-server, updated 2026-01-22): a standard-edition app calls each API at most 20 times a second ("每秒调用次数
# 不能超过20次，如果当前秒调用次数超过20，会触发相应错误"); over it the new API answers Forbidden.AccessDenied.
# QpsLimitForAppkeyAndApi (HTTP 403, as clients meet it), the old one errcode 90018. Counted here in any second,
# which is at least as strict as DingTalk's "current second" however it cuts its seconds.
APP_PER_SECOND = 20
QPS_CODE = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
QPS_ERRCODE = 90018
TICKET_TTL_S = 90.0
BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
# The fields each robot message template needs (DingTalk's "企业机器人发送消息的消息类型").
MSG_KEYS: dict[str, tuple[str, ...]] = {
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleActionCard": ("title", "text", "singleTitle", "singleURL"),
    "sampleActionCard2": ("title", "text", "actionTitle1", "actionURL1", "actionTitle2", "actionURL2"),
    "sampleActionCard3": ("title", "text", "actionTitle1", "actionURL1", "actionTitle2", "actionURL2",
                          "actionTitle3", "actionURL3"),
}


def sign(timestamp_ms: int | str, secret: str = CLIENT_SECRET) -> str:
    """base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret))."""
    return base64.b64encode(hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                                     hashlib.sha256).digest()).decode()


def signed(payload: dict[str, Any] | bytes, *, secret: str = CLIENT_SECRET, timestamp_ms: int | None = None
           ) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a robot callback, as DingTalk sends them."""
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return body, {"Content-Type": "application/json; charset=utf-8", "timestamp": str(ts), "sign": sign(ts, secret)}


@dataclass
class Sent:
    road: str  # "oto" | "group" | "session" | "card" | "card_update" | "robot"
    target: str  # staff id, cid…, or the robot
    key: str  # msgKey, or the webhook's msgtype, or the card template
    param: dict[str, Any]
    at: float
    ref: str = ""  # processQueryKey or outTrackId

    @property
    def text(self) -> str:
        return str(self.param.get("text") or self.param.get("markdown") or self.param.get("content") or "")

    def links(self) -> list[tuple[str, str]]:
        if self.key == "sampleActionCard":
            return [(self.param["singleTitle"], self.param["singleURL"])]
        return [(self.param[f"actionTitle{n}"], self.param[f"actionURL{n}"]) for n in range(1, 6)
                if f"actionURL{n}" in self.param]


@dataclass
class FakeDingTalk(FakeServer):
    token_ttl_s: int = 7200
    app_per_second: int = APP_PER_SECOND  # calls per app per API in any second
    robot_per_minute: int = 20
    clock: Callable[[], float] = time.monotonic
    staff: dict[str, dict[str, Any]] = field(default_factory=dict)  # staff id -> user record (user API)
    unreachable: set[str] = field(default_factory=set)  # staff ids batchSend reports invalid
    sent: list[Sent] = field(default_factory=list)
    throttled: int = 0
    send_calls: int = 0
    ws_opened: int = 0
    open_refused: int = 0
    subscriptions: set[tuple[Any, Any]] = field(default_factory=set)  # (type, topic) of the last connections/open
    redeliver_bot: bool = False  # bot messages are fire-and-forget (research §3.5); True: redeliver them too
    hold_upgrade: bool = False  # accept the TCP connection, never answer the WebSocket upgrade
    session_errcode: int = 0  # what session webhooks answer (0: they work)
    acks: list[dict[str, Any]] = field(default_factory=list)
    # Acks DingTalk would not understand: a CALLBACK's ack carries the handler's answer as {"response": …} in its
    # data (dingtalk_stream.handlers.CallbackHandler.raw_process); anything else leaves a clicked card as it was.
    bad_acks: list[str] = field(default_factory=list)
    # downloadCode -> (bytes, Content-Type): the pictures and files people's robot messages carry
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    file_reads: int = 0

    def __post_init__(self) -> None:
        self._tokens = IssuedTokens()
        self._sessions: dict[str, tuple[str, float]] = {}  # session -> (conversation, valid until, wall clock)
        self._cards: dict[str, dict[str, Any]] = {}
        self._qps: dict[str, Window] = {}  # API (its path) -> the app's count of calls to it
        self._robot = Window(self.robot_per_minute, 60.0)  # "每分钟最多发送20条", then 10 minutes of silence
        self._robot_silent_until = 0.0
        self._failures: Failures[tuple[int, str]] = Failures()
        self._ids = itertools.count(1)
        self._tickets: dict[str, float] = {}
        self._unacked: dict[str, dict[str, Any]] = {}  # message id -> frame, redelivered on the next connection
        self._acked: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._kinds: dict[str, str] = {}  # message id -> frame type, while its ack is awaited
        self._connected = asyncio.Event()
        self._stopping = asyncio.Event()
        self._links: dict[str, str] = {}  # temporary download link key -> downloadCode

    @property
    def tokens_issued(self) -> int:
        return self._tokens.issued

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1.0/oauth2/accessToken", self._token)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self._oto)
        app.router.add_post("/v1.0/robot/groupMessages/send", self._group)
        app.router.add_post("/v1.0/card/instances/createAndDeliver", self._card_create)
        app.router.add_put("/v1.0/card/instances", self._card_update)
        app.router.add_post("/robot/sendBySession", self._session)
        app.router.add_post("/robot/send", self._robot_send)
        app.router.add_post("/topapi/v2/user/get", self._user)
        app.router.add_post("/v1.0/gateway/connections/open", self._open)
        app.router.add_get("/connect", self._ws)
        app.router.add_post("/v1.0/robot/messageFiles/download", self._file_link)
        app.router.add_get("/oss/{key}", self._file)
        app.router.add_get("/_stats", self._stats)

    async def stop(self) -> None:
        self._stopping.set()
        await super().stop()

    @property
    def alert_webhook(self) -> str:
        return f"{self.base}/robot/send?access_token={ALERT_TOKEN}"

    # ---- controls -------------------------------------------------------------------------------------------
    def session_webhook(self, conversation: str, *, ttl_s: float = 5400.0) -> tuple[str, int]:
        """A sessionWebhook for a message in `conversation`, and its expiry (epoch ms) as the callback says it."""
        session = uuid.uuid4().hex
        self._sessions[session] = (conversation, time.time() + ttl_s)
        return f"{self.base}/robot/sendBySession?session={session}", int((time.time() + ttl_s) * 1000)

    def expire_tokens(self) -> None:
        self._tokens.expire_all()

    def limit_qps(self, per_second: int) -> None:
        """Another edition's QPS (专业版 40, 专属版 60), or a small one for a test: counts start afresh."""
        self.app_per_second = per_second
        self._qps.clear()

    def fail_next(self, n: int = 1, *, status: int = 500, code: str = "ServiceUnavailable") -> None:
        self._failures.add((status, code), n)

    def messages(self, target: str | None = None, *, road: str | None = None) -> list[Sent]:
        return [m for m in self.sent if (target is None or m.target == target) and (road is None or m.road == road)]

    def card(self, out_track_id: str) -> dict[str, Any] | None:
        return self._cards.get(out_track_id)

    # ---- OpenAPI --------------------------------------------------------------------------------------------
    def _error(self, status: int, code: str, message: str) -> web.Response:
        return web.json_response({"code": code, "message": message, "requestid": uuid.uuid4().hex}, status=status)

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("appKey") != CLIENT_ID or body.get("appSecret") != CLIENT_SECRET:
            return self._error(400, "invalid.client", "appKey or appSecret is wrong")
        token = self._tokens.issue("dt-", now=self.clock(), ttl_s=self.token_ttl_s)
        return web.json_response({"accessToken": token, "expireIn": self.token_ttl_s})

    def _checked(self, request: web.Request, *, token: str | None = None) -> web.Response | None:
        """Token, injected failures and the app's QPS for this API, in DingTalk's order."""
        token = token if token is not None else request.headers.get("x-acs-dingtalk-access-token", "")
        if not self._tokens.valid(token, now=self.clock()):
            return self._error(401, "InvalidAuthentication", "不合法的access_token")
        if (failure := self._failures.take()) is not None:
            status, code = failure
            return self._error(status, code, "injected failure")
        if self._over_qps(request.path):
            return self._error(403, QPS_CODE, f"应用调用该接口每秒超过{self.app_per_second}次")
        return None

    def _over_qps(self, api: str) -> bool:
        """Counts the call against the app's QPS for `api`; True (and counted as throttled) when over it."""
        window = self._qps.setdefault(api, Window(self.app_per_second, 1.0))
        if max(admit(self.clock(), window)) > 0:
            self.throttled += 1
            return True
        return False

    async def _file_link(self, request: web.Request) -> web.Response:
        """POST {downloadCode, robotCode} with the app's token: {"downloadUrl"}, a temporary link read without a
        token: https://help.dingtalk.io/open/development/download-the-file-content-of-the-robot-receiving-message"""
        if (denied := self._checked(request)) is not None:
            return denied
        body = await request.json()
        if body.get("robotCode") != ROBOT_CODE:
            return self._error(400, "invalidParameter.robotCode", "robotCode is wrong")
        code = body.get("downloadCode")
        if not isinstance(code, str) or code not in self.files:
            return self._error(400, "invalidParameter.downloadCode", "downloadCode is invalid or expired")
        key = uuid.uuid4().hex
        self._links[key] = code
        return web.json_response({"downloadUrl": f"{self.base}/oss/{key}?Expires=3600&Signature=fake"})

    async def _file(self, request: web.Request) -> web.Response:
        code = self._links.get(request.match_info["key"])
        if code is None or request.query.get("Signature") != "fake":
            return web.Response(status=403, text="<Error><Code>AccessDenied</Code></Error>",
                                content_type="application/xml")
        self.file_reads += 1
        data, kind = self.files[code]
        return web.Response(body=data, headers={"Content-Type": kind})

    def _msg(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]] | web.Response:
        if body.get("robotCode") != ROBOT_CODE:
            return self._error(400, "invalidParameter.robotCode", "robotCode is wrong")
        key, raw = body.get("msgKey"), body.get("msgParam")
        if key not in MSG_KEYS or not isinstance(raw, str):
            return self._error(400, "invalidParameter.msgKey", f"unknown msgKey {key!r} or msgParam not a string")
        if len(raw.encode()) > MSG_PARAM_MAX_BYTES:
            return self._error(400, "invalidParameter.msgParam", "msgParam too long")
        try:
            param = json.loads(raw)
        except ValueError:
            return self._error(400, "invalidParameter.msgParam", "msgParam is not JSON")
        missing = [f for f in MSG_KEYS[key] if not isinstance(param.get(f), str) or not param[f]]
        if missing:
            return self._error(400, "invalidParameter.msgParam", f"msgParam lacks {missing}")
        return key, param

    async def _oto(self, request: web.Request) -> web.Response:
        if (denied := self._checked(request)) is not None:
            return denied
        body = await request.json()
        users = body.get("userIds")
        if not isinstance(users, list) or not 0 < len(users) <= 20 or not all(isinstance(u, str) and u for u in users):
            return self._error(400, "invalidParameter.userIds", "userIds must hold 1 to 20 staff ids")
        parsed = self._msg(body)
        if isinstance(parsed, web.Response):
            return parsed
        key, param = parsed
        self.send_calls += 1
        ref = f"pq-{next(self._ids)}"
        for user in users:
            if user not in self.unreachable:
                self.sent.append(Sent(road="oto", target=user, key=key, param=param, at=self.clock(), ref=ref))
        return web.json_response({"processQueryKey": ref, "invalidStaffIdList": sorted(set(users) & self.unreachable),
                                  "flowControlledStaffIdList": []})

    async def _group(self, request: web.Request) -> web.Response:
        if (denied := self._checked(request)) is not None:
            return denied
        body = await request.json()
        cid = body.get("openConversationId")
        if not isinstance(cid, str) or not cid.startswith("cid"):
            return self._error(400, "invalidParameter.openConversationId", "openConversationId is wrong")
        parsed = self._msg(body)
        if isinstance(parsed, web.Response):
            return parsed
        self.send_calls += 1
        ref = f"pq-{next(self._ids)}"
        self.sent.append(Sent(road="group", target=cid, key=parsed[0], param=parsed[1], at=self.clock(), ref=ref))
        return web.json_response({"processQueryKey": ref})

    def _card_data(self, body: dict[str, Any]) -> dict[str, str] | web.Response:
        params = (body.get("cardData") or {}).get("cardParamMap") if isinstance(body.get("cardData"), dict) else None
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return self._error(400, "invalidParameter.cardData", "cardParamMap values must be strings")
        return params

    async def _card_create(self, request: web.Request) -> web.Response:
        if (denied := self._checked(request)) is not None:
            return denied
        body = await request.json()
        track, space = body.get("outTrackId"), body.get("openSpaceId")
        if body.get("cardTemplateId") != CARD_TEMPLATE:
            return self._error(400, "invalidParameter.cardTemplateId", "card template unknown")
        if not isinstance(track, str) or not track or track in self._cards:
            return self._error(400, "invalidParameter.outTrackId", "outTrackId missing or already used")
        if body.get("callbackType") != "STREAM":
            return self._error(400, "invalidParameter.callbackType", "no callback route")
        if not isinstance(space, str) or not space.startswith(("dtv1.card//IM_ROBOT.", "dtv1.card//IM_GROUP.")):
            return self._error(400, "param.openSpaceIdInvalid", "openSpaceId does not conform")
        model = "imRobotOpenDeliverModel" if "//IM_ROBOT." in space else "imGroupOpenDeliverModel"
        if (body.get(model) or {}).get("robotCode") != ROBOT_CODE:
            return self._error(400, "invalidParameter.robotCode", f"{model}.robotCode is wrong")
        params = self._card_data(body)
        if isinstance(params, web.Response):
            return params
        space_type, _, space_id = space[len("dtv1.card//"):].partition(".")
        self._cards[track] = dict(params)
        self.send_calls += 1
        self.sent.append(Sent(road="card", target=space_id, key=CARD_TEMPLATE, param=dict(params), at=self.clock(),
                              ref=track))
        return web.json_response({"success": True, "result": {"outTrackId": track, "deliverResults": [
            {"spaceType": space_type, "spaceId": space_id, "success": True}]}})

    async def _card_update(self, request: web.Request) -> web.Response:
        if (denied := self._checked(request)) is not None:
            return denied
        body = await request.json()
        track = body.get("outTrackId")
        if track not in self._cards:
            return self._error(400, "card.notFound", "no card with that outTrackId")
        params = self._card_data(body)
        if isinstance(params, web.Response):
            return params
        self._cards[track].update(params)
        target = next((m.target for m in self.sent if m.ref == track), "")
        self.sent.append(Sent(road="card_update", target=target, key=CARD_TEMPLATE, param=dict(self._cards[track]),
                              at=self.clock(), ref=track))
        return web.json_response({"success": True, "result": True})

    async def _session(self, request: web.Request) -> web.Response:
        found = self._sessions.get(request.query.get("session", ""))
        if found is None or found[1] < time.time():
            return web.json_response({"errcode": 300001, "errmsg": "session 已过期"})
        if self.session_errcode:
            return web.json_response({"errcode": self.session_errcode, "errmsg": "injected"})
        body = await request.json()
        kind = body.get("msgtype")
        payload = body.get(kind) if isinstance(kind, str) else None
        if kind not in ("text", "markdown") or not isinstance(payload, dict):
            return web.json_response({"errcode": 40035, "errmsg": "缺少参数 msgtype 或内容"})
        if kind == "markdown" and not (payload.get("title") and payload.get("text")):
            return web.json_response({"errcode": 40035, "errmsg": "markdown 需要 title 和 text"})
        self.sent.append(Sent(road="session", target=found[0], key=kind, param=dict(payload), at=self.clock()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _robot_send(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("access_token") != ALERT_TOKEN:
            return web.json_response({"errcode": 300001, "errmsg": "token is not exist"})
        ts = q.get("timestamp", "")
        if not ts.isdigit() or abs(time.time() - int(ts) / 1000) > 3600 or q.get("sign") != sign(ts, ALERT_SECRET):
            return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        now = self.clock()
        if now < self._robot_silent_until or max(admit(now, self._robot)) > 0:
            self._robot_silent_until = max(self._robot_silent_until, now + 600)  # 10 minutes of silence
            self.throttled += 1
            return web.json_response({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        body = await request.json()
        payload = body.get("markdown") if body.get("msgtype") == "markdown" else None
        if not isinstance(payload, dict) or not payload.get("title") or not payload.get("text"):
            return web.json_response({"errcode": 40035, "errmsg": "缺少参数 markdown"})
        self.sent.append(Sent(road="robot", target="alert-robot", key="markdown", param=dict(payload), at=now))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _user(self, request: web.Request) -> web.Response:
        """The old API (oapi): errors as {errcode, errmsg} with HTTP 200."""
        if not self._tokens.valid(request.query.get("access_token", ""), now=self.clock()) or self._failures.take():
            return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
        if self._over_qps(request.path):
            return web.json_response({"errcode": QPS_ERRCODE, "errmsg": "应用调用该接口超过每秒限制"})
        body = await request.json()
        user = self.staff.get(str(body.get("userid", "")))
        if user is None:
            return web.json_response({"errcode": 60121, "errmsg": "找不到该用户"})
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": user})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"sent": [[m.road, m.target, m.text] for m in self.sent],
                                  "throttled": self.throttled, "send_calls": self.send_calls,
                                  "calls_at": sorted({m.ref: m.at for m in self.sent if m.ref}.values()),
                                  "tokens_issued": self.tokens_issued})

    # ---- Stream ---------------------------------------------------------------------------------------------
    async def _open(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clientId") != CLIENT_ID or body.get("clientSecret") != CLIENT_SECRET:
            self.open_refused += 1
            return self._error(401, "invalid.client", "clientId or clientSecret is wrong")
        topics = {(s.get("type"), s.get("topic")) for s in body.get("subscriptions") or [] if isinstance(s, dict)}
        self.subscriptions = topics
        if ("CALLBACK", BOT_TOPIC) not in topics:
            return self._error(400, "invalidParameter.subscriptions", "no subscription")
        ticket = uuid.uuid4().hex
        self._tickets[ticket] = time.monotonic() + TICKET_TTL_S
        return web.json_response({"endpoint": f"ws://127.0.0.1:{self.port}/connect", "ticket": ticket})

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        if self.hold_upgrade:
            await self._stopping.wait()
        until = self._tickets.pop(request.query.get("ticket", ""), 0.0)  # one use only
        if until < time.monotonic():
            return self._error(401, "invalid.ticket", "ticket unknown, used or expired")
        try:
            async with self.websocket(request, autoping=True) as ws:
                self.ws_opened += 1
                self._connected.set()
                for frame in list(self._unacked.values()):  # what the last connection did not acknowledge comes again
                    await ws.send_str(json.dumps(frame))
                async for msg in ws:
                    if msg.type != WSMsgType.TEXT:
                        continue
                    self._acknowledged(json.loads(msg.data))
        finally:
            if not self._sockets:
                self._connected.clear()
        return ws

    def _acknowledged(self, ack: dict[str, Any]) -> None:
        self.acks.append(ack)
        message_id = str((ack.get("headers") or {}).get("messageId", ""))
        if self._kinds.pop(message_id, None) == "CALLBACK":
            data = json.loads(ack["data"]) if isinstance(ack.get("data"), str) else None
            if not (isinstance(data, dict) and "response" in data):
                self.bad_acks.append(f"{message_id}: callback ack data without 'response': {ack.get('data')!r}"[:300])
        self._unacked.pop(message_id, None)
        future = self._acked.pop(message_id, None)
        if future is not None and not future.done():
            future.set_result(ack)

    @property
    def ws_connected(self) -> int:
        return len(self._sockets)

    async def wait_connected(self, timeout_s: float = 10.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout_s)

    async def send_raw(self, text: str) -> None:
        """Anything at all down the socket (malformed frames)."""
        await self._sockets[-1].send_str(text)

    async def push(self, topic: str, data: dict[str, Any], *, kind: str = "CALLBACK", message_id: str | None = None,
                   timeout_s: float | None = 5.0, headers: dict[str, str] | None = None) -> dict[str, Any] | None:
        """Send a frame; with a timeout, wait for its ack and return it (the ack's data parsed). An EVENT frame's
        headers add eventId, eventType, eventCorpId, eventBornTime (the SDKs' EventHeaders)."""
        message_id = message_id or uuid.uuid4().hex
        frame = {"specVersion": "1.0", "type": kind, "headers": {
            "topic": topic, "messageId": message_id, "contentType": "application/json",
            "time": str(int(time.time() * 1000)), "appId": CLIENT_ID, **(headers or {})}, "data": json.dumps(data, ensure_ascii=False)}
        if kind != "SYSTEM" and (topic != BOT_TOPIC or self.redeliver_bot):
            self._unacked[message_id] = frame
        self._kinds[message_id] = kind
        future = self._acked[message_id] = asyncio.get_running_loop().create_future()
        await self._sockets[-1].send_str(json.dumps(frame, ensure_ascii=False))
        if timeout_s is None:
            return None
        ack = await asyncio.wait_for(future, timeout_s)
        return {**ack, "data": json.loads(ack["data"]) if isinstance(ack.get("data"), str) else ack.get("data")}

    async def ping(self) -> dict[str, Any] | None:
        return await self.push("ping", {"opaque": uuid.uuid4().hex}, kind="SYSTEM")

    async def disconnect(self) -> None:
        """DingTalk asks the client to reconnect elsewhere, then closes (10 s later in life; at once here)."""
        await self.push("disconnect", {"reason": "server restart"}, kind="SYSTEM", timeout_s=None)

    async def drop(self) -> None:
        """The connection dies without a word."""
        await self.close_sockets()


def robot_message(text: str, *, sender: str, conversation: str, group: bool = False, msg_id: str | None = None,
                  session: tuple[str, int] | None = None, msgtype: str = "text") -> dict[str, Any]:
    """A robot callback body (HTTP and Stream carry the same JSON)."""
    now_ms = int(time.time() * 1000)
    body: dict[str, Any] = {
        "conversationId": conversation, "conversationType": "2" if group else "1",
        "msgId": msg_id or "msg" + uuid.uuid4().hex, "createAt": now_ms, "senderId": "$:LWCP_v1:$" + sender,
        "senderNick": sender, "senderStaffId": sender, "senderCorpId": "dingcorp1", "chatbotCorpId": "dingcorp1",
        "chatbotUserId": "$:LWCP_v1:$bot", "robotCode": ROBOT_CODE, "isAdmin": False, "msgtype": msgtype,
        "isInAtList": group, "atUsers": [{"dingtalkId": "$:LWCP_v1:$bot"}] if group else []}
    if group:
        body["conversationTitle"] = "泵站项目群"
    if msgtype == "text":
        body["text"] = {"content": (" " if group else "") + text}
    elif msgtype == "richText":
        body["content"] = {"richText": [{"text": text}, {"pictureDownloadCode": "abc", "type": "picture"}]}
    if session is not None:
        body["sessionWebhook"], body["sessionWebhookExpiredTime"] = session
    return body


def picture_message(*, sender: str, conversation: str, download_code: str, text: str = "",
                    group: bool = False) -> dict[str, Any]:
    """A picture alone (`picture`), or with words (`richText`), as the robot receives them."""
    body = robot_message(text, sender=sender, conversation=conversation, group=group,
                         msgtype="richText" if text else "picture")
    if text:
        body["content"] = {"richText": [{"text": text}, {"type": "picture", "downloadCode": download_code,
                                                          "pictureDownloadCode": download_code}]}
    else:
        body["content"] = {"downloadCode": download_code, "pictureDownloadCode": download_code}
    return body


def card_click(verb: str, target_id: str, *, user: str, out_track_id: str, reason: str | None = None
               ) -> dict[str, Any]:
    params: dict[str, Any] = {"id": target_id}
    if reason is not None:
        params["reason"] = reason
    return {"outTrackId": out_track_id, "corpId": "dingcorp1", "userId": user, "type": "actionCallback",
            "content": json.dumps({"cardPrivateData": {"actionIds": [verb], "params": params}}),
            "extension": "{}"}


if __name__ == "__main__":
    import argparse

    from tests.fakes.process import serve_forever

    parser = argparse.ArgumentParser(description="the fake DingTalk on 127.0.0.1 (prints its port)")
    parser.add_argument("--app-per-second", type=int, default=APP_PER_SECOND, help="calls per app per API")
    options = parser.parse_args()
    asyncio.run(serve_forever(FakeDingTalk(app_per_second=options.app_per_second)))
