"""A fake Feishu open platform on 127.0.0.1, and inbound events encrypted and signed as Feishu does.

Issues tenant tokens that expire, refuses missing, wrong or expired ones with Feishu's codes, validates message
and card JSON (content is a JSON string; cards are JSON 2.0 with update_multi), deduplicates by uuid, assigns
message ids, records sends and patches, keeps 5 sends per second per chat with 429 + code 99991400 +
x-ogw-ratelimit-reset, and fails on request. Sources: ../shared/research/im-platforms.md §2.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from tests.fakes.server import Bucket, Failures, FakeServer, IssuedTokens, Window, admit, wait_hint

# pbbp2.proto exactly as lark-oapi ships it (lark_oapi/ws/pb/pbbp2_pb2.py, serialized_pb), less its gogo import:
# the fake speaks the SDK's schema, so pmsbot's own copy of it is checked against Feishu's.
_PBBP2 = (b'\n\x0bpbbp2.proto\x12\x05pbbp2\x1a\ngogo.proto"$\n\x06Header\x12\x0b\n\x03key\x18\x01 \x02(\t\x12\r\n'
          b'\x05value\x18\x02 \x02(\t"\xbf\x01\n\x05\x46rame\x12\r\n\x05SeqID\x18\x01 \x02(\x04\x12\r\n\x05LogID'
          b'\x18\x02 \x02(\x04\x12\x0f\n\x07service\x18\x03 \x02(\x05\x12\x0e\n\x06method\x18\x04 \x02(\x05\x12$'
          b'\n\x07headers\x18\x05 \x03(\x0b\x32\r.pbbp2.HeaderB\x04\xc8\xde\x1f\x00\x12\x18\n\x10payload_encoding'
          b'\x18\x06 \x01(\t\x12\x14\n\x0cpayload_type\x18\x07 \x01(\t\x12\x0f\n\x07payload\x18\x08 \x01(\x0c'
          b'\x12\x10\n\x08LogIDNew\x18\t \x01(\t')


def _sdk_frame() -> Any:
    fdp = descriptor_pb2.FileDescriptorProto.FromString(_PBBP2)
    del fdp.dependency[:]
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("pbbp2.Frame"))


SdkFrame: Any = _sdk_frame()

APP_ID = "cli_pmsbot_test"
APP_SECRET = "feishu-app-secret"
VERIFICATION_TOKEN = "feishu-verification-token"
ENCRYPT_KEY = "test-encrypt-key"
MAX_CARD_BYTES = 30_000
CARD_TAGS = {"markdown", "button", "form", "input", "div", "hr", "column_set", "img", "note"}


def encrypt(plaintext: str, key: str = ENCRYPT_KEY, iv: bytes | None = None) -> str:
    """AES-256-CBC with key SHA-256(key), PKCS7, base64(IV + ciphertext): how Feishu encrypts events."""
    iv = iv or os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + enc.update(data) + enc.finalize()).decode()


def signed(payload: dict[str, Any], *, key: str | None = ENCRYPT_KEY, timestamp: int | None = None,
           nonce: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers Feishu sends: encrypted and signed when an Encrypt Key is set."""
    if key is None:
        return json.dumps(payload).encode(), {"Content-Type": "application/json"}
    body = json.dumps({"encrypt": encrypt(json.dumps(payload), key)}).encode()
    ts, nonce = str(int(time.time()) if timestamp is None else timestamp), nonce or uuid.uuid4().hex
    sig = hashlib.sha256((ts + nonce + key).encode() + body).hexdigest()
    return body, {"Content-Type": "application/json", "X-Lark-Request-Timestamp": ts,
                  "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": sig}


def envelope(event_type: str, event: dict[str, Any], *, token: str = VERIFICATION_TOKEN,
             event_id: str | None = None) -> dict[str, Any]:
    return {"schema": "2.0", "header": {
        "event_id": event_id or uuid.uuid4().hex, "event_type": event_type, "create_time": str(int(time.time() * 1000)),
        "token": token, "app_id": APP_ID, "tenant_key": "tenant1"}, "event": event}


def message_event(text: str, *, sender: str, chat: str, chat_type: str = "p2p",
                  mentions: list[dict[str, Any]] | None = None, message_type: str = "text") -> dict[str, Any]:
    content = json.dumps({"text": text}) if message_type == "text" else json.dumps(
        {"title": "", "content": [[{"tag": "text", "text": text}]]})
    return {"sender": {"sender_id": {"open_id": sender, "union_id": "on_" + sender[3:], "user_id": None},
                       "sender_type": "user", "tenant_key": "tenant1"},
            "message": {"message_id": "om_" + uuid.uuid4().hex[:20], "root_id": "", "parent_id": "",
                        "create_time": str(int(time.time() * 1000)), "chat_id": chat, "chat_type": chat_type,
                        "message_type": message_type, "content": content, "mentions": mentions or []}}


def card_action(value: dict[str, Any], *, operator: str, chat: str, message_id: str,
                form_value: dict[str, Any] | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"value": value, "tag": "button"}
    if form_value is not None:
        action["form_value"] = form_value
    return {"operator": {"tenant_key": "tenant1", "user_id": None, "open_id": operator},
            "token": "c-" + uuid.uuid4().hex, "action": action, "host": "im_message",
            "context": {"open_message_id": message_id, "open_chat_id": chat}}


@dataclass
class Sent:
    method: str  # "send" | "reply" | "patch"
    message_id: str
    receive_id: str
    card: dict[str, Any]
    at: float
    thread_of: str | None = None  # a reply: the message it answers

    @property
    def text(self) -> str:
        return "\n".join(str(e.get("content", "")) for e in self.card.get("body", {}).get("elements", [])
                         if e.get("tag") == "markdown")

    def buttons(self) -> list[dict[str, Any]]:
        out = []
        for e in self.card.get("body", {}).get("elements", []):
            for el in [e, *(e.get("elements") or [])]:
                if el.get("tag") == "button":
                    out.append(el)
        return out


def image_message_event(*, sender: str, chat: str, image_key: str, text: str = "",
                        chat_type: str = "p2p") -> dict[str, Any]:
    """A picture alone (`image`), or with words (`post`: a text run and an `img` element), as Feishu sends them:
    https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content"""
    event = message_event(text, sender=sender, chat=chat, chat_type=chat_type, message_type="post")
    if text:
        content = {"title": "", "content": [[{"tag": "text", "text": text}], [{"tag": "img", "image_key": image_key}]]}
        event["message"]["content"] = json.dumps(content)
    else:
        event["message"].update(message_type="image", content=json.dumps({"image_key": image_key}))
    return event


@dataclass
class FakeFeishu(FakeServer):
    token_ttl_s: int = 7200
    chat_rate_per_s: float = 5.0
    chat_burst: float = 5.0
    app_rate_per_s: float = 50.0
    app_burst: float = 50.0
    app_per_minute: int = 1000  # "1000 次/分钟、50 次/秒": a count in any minute, and a rate
    clock: Callable[[], float] = time.monotonic
    sent: list[Sent] = field(default_factory=list)
    rejected: list[tuple[str, int]] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # open_id -> contact "user"
    ws_ping_s: float = 120.0
    ws_reconnect_s: float = 120.0
    mute_pongs: bool = False  # a half-open connection: pings go unanswered
    pings: int = 0
    ws_opened: int = 0
    outside_availability: set[str] = field(default_factory=set)  # open_ids batch_send reports invalid
    batch_calls: int = 0
    ratelimited: int = 0
    ratelimited_by: dict[str, int] = field(default_factory=lambda: {"chat": 0, "app_second": 0, "app_minute": 0})
    # (message id, image_key or file_key) -> (bytes, Content-Type): the files people's messages carry
    resources: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    resource_reads: int = 0

    def __post_init__(self) -> None:
        self._tokens = IssuedTokens()
        self._uuids: dict[str, str] = {}
        self._messages: dict[str, Sent] = {}
        self._user_messages: dict[str, str] = {}  # message id -> chat, of messages people posted
        self._buckets: dict[str, Bucket] = {}
        self._app = (Bucket(self.app_rate_per_s, self.app_burst), Window(self.app_per_minute, 60.0))
        self._failures: Failures[tuple[int, int]] = Failures()
        self._ids = itertools.count(1)
        self._acks: dict[str, Any] = {}  # message id -> future of the client's ack

    @property
    def tokens_issued(self) -> int:
        return self._tokens.issued

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        app.router.add_post("/open-apis/im/v1/messages", self._send)
        app.router.add_patch("/open-apis/im/v1/messages/{message_id}", self._patch)
        app.router.add_post("/open-apis/im/v1/messages/{message_id}/reply", self._reply)
        app.router.add_get("/open-apis/contact/v3/users/{user_id}", self._user)
        app.router.add_post("/open-apis/message/v4/batch_send/", self._batch_send)
        app.router.add_get("/open-apis/im/v1/messages/{message_id}/resources/{file_key}", self._resource)
        app.router.add_get("/_stats", self._stats)
        app.router.add_post("/callback/ws/endpoint", self._ws_endpoint)
        app.router.add_get("/ws", self._ws)  # for a benchmark that runs the fake in its own process

    # ---- controls -------------------------------------------------------------------------------------------
    def user_message(self, event: dict[str, Any]) -> None:
        """Know a message a person posted (the tests' inbound event), so replies to it can be checked."""
        message = event["message"]
        self._user_messages[message["message_id"]] = message["chat_id"]

    def expire_tokens(self) -> None:
        self._tokens.expire_all()

    def fail_next(self, n: int = 1, *, status: int = 500, code: int = 1) -> None:
        self._failures.add((status, code), n)

    def messages(self, receive_id: str | None = None, *, method: str | None = None) -> list[Sent]:
        return [s for s in self.sent if (receive_id is None or s.receive_id == receive_id)
                and (method is None or s.method == method)]

    def message(self, message_id: str) -> Sent | None:
        return self._messages.get(message_id)

    # ---- API ------------------------------------------------------------------------------------------------
    def _error(self, status: int, code: int, msg: str) -> web.Response:
        self.rejected.append((msg, code))
        if code == 99991672:  # a scope the app was not granted: Feishu names it, in msg and in error
            scopes = ["im:message", "im:message:send_as_bot"]
            return web.json_response({"code": code, "msg": f"Access denied. One of the following scopes is required: "
                                      f"[{', '.join(scopes)}].应用尚未开通所需的应用身份权限", "error": {
                                          "permission_violations": [{"type": "action_privilege_required", "subject": s}
                                                                    for s in scopes]}}, status=status)
        return web.json_response({"code": code, "msg": msg}, status=status)

    def _too_fast(self, *, reset: str, code: int = 99991400) -> web.Response:
        """Feishu's 429: its own code, and the seconds to wait in x-ogw-ratelimit-reset."""
        self.ratelimited += 1
        return web.json_response({"code": code, "msg": "request trigger frequency limit"}, status=429,
                                 headers={"x-ogw-ratelimit-reset": reset})

    async def _resource(self, request: web.Request) -> web.Response:
        """GET a message's image or file with the tenant token, `type` image|file, the key belonging to that
        message (234003 otherwise), the bytes as a stream with their Content-Type:
        https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message-resource/get"""
        if (refused := self._auth(request)) is not None:
            return refused
        if request.query.get("type") not in ("image", "file"):
            return self._error(400, 234001, "Invalid request param.")
        found = self.resources.get((request.match_info["message_id"], request.match_info["file_key"]))
        if found is None:
            return self._error(400, 234003, "File not in msg.")
        self.resource_reads += 1
        return web.Response(body=found[0], headers={"Content-Type": found[1]})

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("app_id") != APP_ID or body.get("app_secret") != APP_SECRET:
            return self._error(400, 10014, "app secret invalid")
        token = self._tokens.issue("t-", now=self.clock(), ttl_s=self.token_ttl_s)
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": token, "expire": self.token_ttl_s})

    def _auth(self, request: web.Request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self._error(400, 99991661, "Missing access token for authorization")
        token = auth.removeprefix("Bearer ")
        if not self._tokens.known(token):
            return self._error(400, 99991663, "Invalid access token for authorization")
        if not self._tokens.valid(token, now=self.clock()):
            return self._error(400, 99991668, "access token expired")
        if (failure := self._failures.take()) is not None:
            status, code = failure
            if status == 429:
                return self._too_fast(reset="2", code=code)
            return self._error(status, code, "injected failure")
        return None

    def _card(self, content: Any) -> dict[str, Any] | str:
        if not isinstance(content, str):
            return "content must be a JSON string"
        if len(content.encode()) > MAX_CARD_BYTES:
            return "card over 30 KB"
        try:
            card = json.loads(content)
        except ValueError:
            return "content is not JSON"
        if not isinstance(card, dict) or card.get("schema") != "2.0":
            return "card schema must be 2.0"
        if (card.get("config") or {}).get("update_multi") is not True:
            return "update_multi must be true for a card that is updated"
        elements = (card.get("body") or {}).get("elements")
        if not isinstance(elements, list) or not elements:
            return "card body has no elements"
        for el in [e for x in elements for e in [x, *(x.get("elements") or [])]]:
            if el.get("tag") not in CARD_TAGS:
                return f"unsupported tag {el.get('tag')}"
            if el.get("tag") == "button" and not all(
                    b.get("type") in ("callback", "open_url") for b in el.get("behaviors") or [{}]):
                return "button behaviour"
        return card

    async def _send(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        id_type = request.query.get("receive_id_type")
        if id_type not in ("open_id", "union_id", "user_id", "email", "chat_id"):
            return self._error(400, 99992402, "field validation failed: receive_id_type")
        body = await request.json()
        receive_id = body.get("receive_id")
        if not isinstance(receive_id, str) or (id_type == "chat_id") != receive_id.startswith("oc_"):
            return self._error(400, 230001, "invalid receive_id")
        return self._deliver(body, receive_id, method="send", thread_of=None)

    async def _reply(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        parent = request.match_info["message_id"]
        chat = self._user_messages.get(parent) or (self._messages[parent].receive_id if parent in self._messages
                                                   else None)
        if chat is None:
            return self._error(400, 230011, "the message to reply to does not exist")
        body = await request.json()
        if "reply_in_thread" in body and not isinstance(body["reply_in_thread"], bool):
            return self._error(400, 99992402, "reply_in_thread must be a boolean")
        return self._deliver(body, chat, method="reply", thread_of=parent)

    def _deliver(self, body: dict[str, Any], receive_id: str, *, method: str, thread_of: str | None) -> web.Response:
        uid = body.get("uuid")
        if body.get("msg_type") != "interactive":
            return self._error(400, 230001, "pmsbot sends cards")
        card = self._card(body.get("content"))
        if isinstance(card, str):
            return self._error(400, 230099, card)
        if uid is not None and (not isinstance(uid, str) or len(uid) > 50):
            return self._error(400, 99992402, "uuid longer than 50")
        if uid in self._uuids:  # Feishu: one message per uuid within an hour
            return web.json_response({"code": 0, "msg": "success", "data": {"message_id": self._uuids[uid]}})
        bucket = self._buckets.setdefault(receive_id, Bucket(self.chat_rate_per_s, self.chat_burst))
        waits = admit(self.clock(), bucket, *self._app)
        if max(waits) > 0:
            self.ratelimited_by[("chat", "app_second", "app_minute")[waits.index(max(waits))]] += 1
            return self._too_fast(reset=wait_hint(max(waits)))
        message_id = f"om_{next(self._ids):08d}"
        if uid:
            self._uuids[uid] = message_id
        sent = Sent(method=method, message_id=message_id, receive_id=receive_id, card=card, at=self.clock(),
                    thread_of=thread_of)
        self.sent.append(sent)
        self._messages[message_id] = sent
        return web.json_response({"code": 0, "msg": "success", "data": {"message_id": message_id, "chat_id": receive_id}})

    # ---- long connection ------------------------------------------------------------------------------------
    async def _ws_endpoint(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("AppID") != APP_ID or body.get("AppSecret") != APP_SECRET:
            return web.json_response({"code": 514, "msg": "auth failed"})
        return web.json_response({"code": 0, "msg": "ok", "data": {
            "URL": f"ws://127.0.0.1:{self.port}/ws?device_id=d1&service_id=7",
            "ClientConfig": {"ReconnectCount": -1, "ReconnectInterval": self.ws_reconnect_s, "ReconnectNonce": 0,
                             "PingInterval": self.ws_ping_s}}})

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        async with self.websocket(request, autoping=True) as ws:
            self.ws_opened += 1
            async for msg in ws:
                if msg.type != WSMsgType.BINARY:
                    continue
                frame = SdkFrame.FromString(msg.data)
                headers = {h.key: h.value for h in frame.headers}
                if frame.method == 0 and headers.get("type") == "ping":
                    self.pings += 1
                    if not self.mute_pongs:
                        pong = SdkFrame(SeqID=0, LogID=0, service=frame.service, method=0)
                        pong.headers.add(key="type", value="pong")
                        await ws.send_bytes(pong.SerializeToString())
                elif frame.method == 1 and headers.get("message_id") in self._acks:
                    self._acks.pop(headers["message_id"]).set_result(json.loads(frame.payload))
        return ws

    @property
    def ws_connected(self) -> int:
        return len(self._sockets)

    async def ws_push(self, payload: dict[str, Any], *, kind: str = "event", parts: int = 1,
                      timeout_s: float = 3.0) -> dict[str, Any]:
        """Send an event (or a card click) as DATA frames, split in `parts`; returns the client's ack payload."""
        import asyncio

        message_id = uuid.uuid4().hex
        acked = self._acks[message_id] = asyncio.get_running_loop().create_future()
        data = json.dumps(payload).encode()
        size = -(-len(data) // parts)
        for seq in range(parts):
            frame = SdkFrame(SeqID=seq, LogID=0, service=7, method=1, payload=data[seq * size:(seq + 1) * size])
            for key, value in {"type": kind, "message_id": message_id, "trace_id": "t1", "sum": str(parts),
                               "seq": str(seq)}.items():
                frame.headers.add(key=key, value=value)
            await self._sockets[-1].send_bytes(frame.SerializeToString())
        result: dict[str, Any] = await asyncio.wait_for(acked, timeout=timeout_s)
        return result

    async def ws_drop(self) -> None:
        """The server goes away without a word (a network cut, a deploy)."""
        await self.close_sockets()

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"sent": [[m.method, m.receive_id, m.text] for m in self.sent],
                                  "ratelimited": self.ratelimited, "ratelimited_by": self.ratelimited_by,
                                  "tokens_issued": self.tokens_issued})

    async def _batch_send(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        body = await request.json()
        open_ids = body.get("open_ids")
        if not isinstance(open_ids, list) or not open_ids or len(open_ids) > 200 or not all(
                isinstance(o, str) and o.startswith("ou_") for o in open_ids):
            return self._error(400, 10003, "Invalid parameter: open_ids")
        if body.get("msg_type") != "text" or not isinstance((body.get("content") or {}).get("text"), str):
            return self._error(400, 10003, "Invalid parameter: content")
        if max(admit(self.clock(), *self._app)) > 0:
            return self._too_fast(reset="1")
        self.batch_calls += 1
        message_id = f"bm_{next(self._ids):08d}"
        text = body["content"]["text"]
        for open_id in open_ids:
            if open_id not in self.outside_availability:
                self.sent.append(Sent(method="batch", message_id=message_id, receive_id=open_id,
                                      card={"body": {"elements": [{"tag": "markdown", "content": text}]}},
                                      at=self.clock()))
        return web.json_response({"code": 0, "msg": "ok", "data": {
            "message_id": message_id, "invalid_department_ids": [],
            "invalid_open_ids": sorted(set(open_ids) & self.outside_availability)}})

    async def _user(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if request.query.get("user_id_type") != "open_id":
            return self._error(400, 99992402, "user_id_type")
        user = self.users.get(request.match_info["user_id"])
        if user is None:
            return self._error(400, 41050, "no user authority error")
        return web.json_response({"code": 0, "msg": "success", "data": {"user": user}})

    async def _patch(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        message_id = request.match_info["message_id"]
        earlier = self._messages.get(message_id)
        if earlier is None:
            return self._error(400, 230011, "message not found")
        card = self._card((await request.json()).get("content"))
        if isinstance(card, str):
            return self._error(400, 230099, card)
        patched = Sent(method="patch", message_id=message_id, receive_id=earlier.receive_id, card=card, at=self.clock())
        self.sent.append(patched)
        self._messages[message_id] = patched
        return web.json_response({"code": 0, "msg": "success", "data": {}})


if __name__ == "__main__":
    import argparse
    import asyncio

    from tests.fakes.process import serve_forever

    parser = argparse.ArgumentParser(description="the fake Feishu on 127.0.0.1 (prints its port)")
    parser.add_argument("--chat-rate", type=float, default=5.0)
    parser.add_argument("--chat-burst", type=float, default=5.0)
    options = parser.parse_args()
    asyncio.run(serve_forever(FakeFeishu(chat_rate_per_s=options.chat_rate, chat_burst=options.chat_burst)))
