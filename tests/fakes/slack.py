"""A fake Slack on 127.0.0.1: the Web API methods pmsbot calls, response_url, Socket Mode, and signed inbound.

It checks what it receives the way Slack does (bearer token, JSON shapes and Block Kit limits, per-channel and
per-method rate limits answered with 429 + Retry-After, response_url's 5 uses in 30 minutes) and records every
message, update, ephemeral and modal so tests can assert on what users would see.
Sources: ../shared/research/im-platforms.md §1 (Slack docs, slack_sdk and bolt-python test fixtures).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import WSMsgType, web

from tests.fakes.server import Bucket, Failures, FakeServer, Window, admit, wait_hint

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM_ID = "T0PMS"
BOT_USER_ID = "UBOT"

# Block Kit limits (docs.slack.dev/reference/block-kit): what Slack answers `invalid_blocks` to.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_TEXT = 40_000
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL_S = 30 * 60


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: v0=hex(HMAC-SHA256(secret, "v0:{ts}:{body}"))."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Posted:
    method: str  # chat.postMessage | chat.update | chat.postEphemeral | response_url | views.open
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    body: dict[str, Any]
    at: float


@dataclass
class FakeSlack(FakeServer):
    client_max_size = 4 * 1024 * 1024

    bot_token: str = BOT_TOKEN
    app_token: str = APP_TOKEN
    # chat.postMessage "will generally allow an app to post 1 message per second to a specific channel" with short
    # bursts, and "several hundred messages per minute" across the workspace, "generous burst behavior" granted
    # (docs.slack.dev/reference/methods/chat.postMessage); "rate limit windows are per minute" (…/rate-limits).
    # chat.update is Tier 3 ("50+ per minute"), chat.postEphemeral Tier 4 ("100+ per minute"). Read low.
    channel_rate_per_s: float = 1.0
    channel_burst: float = 3.0
    workspace_per_minute: int = 300
    update_per_minute: int = 50
    ephemeral_per_minute: int = 100
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> users.info "user"
    missing_channels: set[str] = field(default_factory=set)
    clock: Callable[[], float] = time.monotonic
    # recorded
    posted: list[Posted] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (method, error) answered to a bad call
    ratelimited: int = 0
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    socket_opened: int = 0  # connections ever opened (a reconnect adds one)
    ratelimited_by: dict[str, int] = field(default_factory=lambda: {"channel": 0, "workspace": 0})
    # file id -> (bytes, mimetype): files people shared, served at url_private_download with the bot token
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    file_reads: int = 0

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._messages: dict[tuple[str, str], Posted] = {}
        self._channel_buckets: dict[str, Bucket] = {}
        self._workspace = {"chat.postMessage": Window(self.workspace_per_minute, 60.0),
                           "chat.postEphemeral": Window(self.ephemeral_per_minute, 60.0),
                           "chat.update": Window(self.update_per_minute, 60.0)}
        self._failures: Failures[tuple[str | None, int, str]] = Failures()  # (method or None for any, status, error)
        self._responses: dict[str, dict[str, Any]] = {}
        self._pending_acks: dict[str, asyncio.Event] = {}
        self.changed = asyncio.Event()

    # ---- lifecycle ----------------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._file)
        app.router.add_get("/_stats", self._stats)  # for a benchmark that runs the fake in its own process

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    # ---- test controls ------------------------------------------------------------------------------------
    def fail_next(self, n: int = 1, *, method: str | None = None, status: int = 500, error: str = "fatal_error") -> None:
        """The next n calls (of `method`, or any) fail: status 500/503, 429 (`ratelimited`), or 200 + error."""
        self._failures.add((method, status, error), n)

    def response_url(self, *, channel: str, user: str) -> str:
        key = uuid.uuid4().hex
        self._responses[key] = {"channel": channel, "user": user, "uses": 0, "created": self.clock()}
        return f"{self.base}/response/{key}"

    def use_up(self, url: str) -> None:
        """As if the response_url had been used 5 times already."""
        self._responses[url.rsplit("/", 1)[1]]["uses"] = RESPONSE_URL_USES

    def messages(self, channel: str | None = None, *, method: str | None = None) -> list[Posted]:
        return [p for p in self.posted
                if (channel is None or p.channel == channel) and (method is None or p.method == method)]

    def message(self, channel: str, ts: str) -> Posted | None:
        return self._messages.get((channel, ts))

    def add_file(self, name: str, data: bytes, mimetype: str = "image/jpeg") -> dict[str, Any]:
        """A file a person shared: its object as a message event carries it
        (https://apis.io/schemas/slack/slack-web-file/)."""
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        self.files[file_id] = (data, mimetype)
        url = f"{self.base}/files-pri/{TEAM_ID}-{file_id}/download/{quote(name, safe='')}"
        return {"id": file_id, "name": name, "title": name, "mimetype": mimetype, "filetype": name.rpartition(".")[2],
                "size": len(data), "mode": "hosted", "is_external": False, "url_private": url.replace("/download", ""),
                "url_private_download": url}

    async def _file(self, request: web.Request) -> web.Response:
        """url_private_download: the bytes with `Authorization: Bearer <bot token>`; without it Slack answers 200
        with its sign-in page (HTML), not an error. The token: https://medium.com/slack-developer-blog/
        important-changes-to-files-in-the-web-api-eb38f2a9c1e7; the sign-in page:
        https://gist.github.com/ErikKalkoken/f3ab28617d5099531ded865d111dbac1"""
        file_id = request.match_info["team_file"].removeprefix(f"{TEAM_ID}-")
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.Response(text="<!DOCTYPE html><html><body>Sign in to Slack</body></html>",
                                content_type="text/html")
        if file_id not in self.files:
            return web.Response(status=404, text="file not found")
        self.file_reads += 1
        data, mimetype = self.files[file_id]
        return web.Response(body=data, headers={"Content-Type": mimetype})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({
            "posted": [[p.method, p.channel, p.ts, p.text] for p in self.posted],
            "ratelimited": self.ratelimited, "ratelimited_by": self.ratelimited_by,
        })

    # ---- Web API --------------------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    return self._error(method, "invalid_json")
                if not isinstance(body, dict):
                    return self._error(method, "invalid_json")
                args.update(body)
            else:
                args.update(dict(await request.post()))
        self.calls.append((method, args))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if token is None:
            if "token" in args:  # Slack refuses tokens in the body for this one
                if method == "apps.connections.open":
                    return self._error(method, "not_allowed_token_type")
                token = str(args["token"])
            else:
                return self._error(method, "not_authed")
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != wanted:
            return self._error(method, "invalid_auth")
        if (failure := self._failures.take(lambda f: f[0] is None or f[0] == method)) is not None:
            _, status, error = failure
            if status == 429:
                self.ratelimited += 1
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": "1"})
            if status >= 500:
                return web.json_response({"ok": False, "error": error}, status=status)
            return self._error(method, error)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error(method, "unknown_method")
        result: web.Response = await handler(args)
        self.changed.set()
        return result

    def _error(self, method: str, error: str, status: int = 200) -> web.Response:
        self.rejected.append((method, error))
        return web.json_response({"ok": False, "error": error}, status=status)

    def _limited(self, method: str, channel: str | None) -> web.Response | None:
        """The channel's rate (for posting) and the method's count per minute across the workspace."""
        now = self.clock()
        limits: list[Bucket | Window] = [self._workspace[method]]
        if channel is not None:
            limits.insert(0, self._channel_buckets.setdefault(channel, Bucket(self.channel_rate_per_s,
                                                                              self.channel_burst)))
        waits = admit(now, *limits)
        channel_wait, workspace_wait = (waits if channel is not None else (0.0, *waits))
        wait = max(channel_wait, workspace_wait)
        if wait <= 0:
            return None
        self.ratelimited += 1
        self.ratelimited_by["channel" if channel_wait > 0 else "workspace"] += 1
        return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                 headers={"Retry-After": wait_hint(wait)})

    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _content_error(self, args: dict[str, Any]) -> str | None:
        text, blocks = args.get("text"), args.get("blocks")
        if isinstance(blocks, str):  # form-encoded calls carry blocks as a JSON string
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return "invalid_blocks_format"
            args["blocks"] = blocks
        if text is not None and not isinstance(text, str):
            return "invalid_arguments"
        if not text and not blocks:
            return "no_text"
        if text and len(text) > MAX_TEXT:
            return "msg_too_long"
        if blocks is not None:
            return check_blocks(blocks)
        return None

    async def _m_auth_test(self, args: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True, "url": "https://pmsbot-test.slack.com/", "team": "pmsbot test",
                                  "user": "pmsbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": "BPMS",
                                  "is_enterprise_install": False})

    async def _post(self, method: str, args: dict[str, Any], *, ephemeral: bool = False) -> web.Response:
        channel = args.get("channel")
        if not isinstance(channel, str) or not channel:
            return self._error(method, "channel_not_found")
        if channel in self.missing_channels:
            return self._error(method, "channel_not_found")
        if ephemeral and not isinstance(args.get("user"), str):
            return self._error(method, "user_not_in_channel")
        error = self._content_error(args)
        if error:
            return self._error(method, error)
        if (limited := self._limited(method, channel)) is not None:
            return limited
        ts = self._new_ts()
        posted = Posted(method=method, channel=channel, ts=ts, text=str(args.get("text") or ""),
                        blocks=list(args.get("blocks") or []), body=args, at=self.clock())
        self.posted.append(posted)
        if ephemeral:
            return web.json_response({"ok": True, "message_ts": ts})
        self._messages[(channel, ts)] = posted
        return web.json_response({"ok": True, "channel": channel, "ts": ts,
                                  "message": {"text": posted.text, "ts": ts, "bot_id": "BPMS"}})

    async def _m_chat_postMessage(self, args: dict[str, Any]) -> web.Response:
        return await self._post("chat.postMessage", args)

    async def _m_chat_postEphemeral(self, args: dict[str, Any]) -> web.Response:
        return await self._post("chat.postEphemeral", args, ephemeral=True)

    async def _m_chat_update(self, args: dict[str, Any]) -> web.Response:
        channel, ts = args.get("channel"), args.get("ts")
        if not isinstance(channel, str) or not isinstance(ts, str):
            return self._error("chat.update", "invalid_arguments")
        if (channel, ts) not in self._messages:
            return self._error("chat.update", "message_not_found")
        error = self._content_error(args)
        if error:
            return self._error("chat.update", error)
        if (limited := self._limited("chat.update", None)) is not None:
            return limited
        posted = Posted(method="chat.update", channel=channel, ts=ts, text=str(args.get("text") or ""),
                        blocks=list(args.get("blocks") or []), body=args, at=self.clock())
        self.posted.append(posted)
        self._messages[(channel, ts)] = posted
        return web.json_response({"ok": True, "channel": channel, "ts": ts, "text": posted.text})

    async def _m_conversations_open(self, args: dict[str, Any]) -> web.Response:
        users = args.get("users")
        if not isinstance(users, str) or not users or "," in users:
            return self._error("conversations.open", "invalid_arguments")
        return web.json_response({"ok": True, "channel": {"id": "D" + users.removeprefix("U")}})

    async def _m_users_info(self, args: dict[str, Any]) -> web.Response:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            return self._error("users.info", "user_not_found")
        return web.json_response({"ok": True, "user": user})

    async def _m_views_open(self, args: dict[str, Any]) -> web.Response:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(args.get("trigger_id"), str) or not isinstance(view, dict):
            return self._error("views.open", "invalid_arguments")
        if view.get("type") != "modal" or not isinstance(view.get("title"), dict):
            return self._error("views.open", "invalid_arguments")
        if len(str(view.get("private_metadata", ""))) > 3000 or (err := check_blocks(view.get("blocks", []))):
            return self._error("views.open", err if view.get("blocks") else "invalid_arguments")
        view_id = "V" + uuid.uuid4().hex[:10].upper()
        self.posted.append(Posted(method="views.open", channel="", ts=view_id, text="", blocks=view["blocks"],
                                  body={**args, "view": view}, at=self.clock()))
        return web.json_response({"ok": True, "view": {**view, "id": view_id}})

    async def _m_apps_connections_open(self, args: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket={uuid.uuid4()}"})

    # ---- response_url ---------------------------------------------------------------------------------------
    async def _response_url(self, request: web.Request) -> web.Response:
        entry = self._responses.get(request.match_info["key"])
        if entry is None:
            return web.Response(status=404, text="no_such_url")
        if self.clock() - entry["created"] > RESPONSE_URL_TTL_S:
            return web.Response(status=404, text="expired_url")
        if entry["uses"] >= RESPONSE_URL_USES:
            return web.Response(status=404, text="used_url")
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict) or self._content_error(body):
            return web.Response(status=400, text="invalid_blocks")
        entry["uses"] += 1
        posted = Posted(method="response_url", channel=entry["channel"], ts="", text=str(body.get("text") or ""),
                        blocks=list(body.get("blocks") or []), body=body, at=self.clock())
        self.posted.append(posted)
        self.changed.set()
        return web.Response(text="ok")

    # ---- Socket Mode ----------------------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        async with self.websocket(request) as ws:
            self.socket_opened += 1
            await ws.send_str(json.dumps({"type": "hello", "num_connections": len(self._sockets),
                                          "debug_info": {"host": "fake"}, "connection_info": {"app_id": "APMS"}}))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError):
                    ack = json.loads(msg.data)
                    if isinstance(ack, dict) and "envelope_id" in ack:
                        self.socket_acks.append(ack)
                        if (ev := self._pending_acks.get(ack["envelope_id"])) is not None:
                            ev.set()
        return ws

    async def socket_push(self, envelope_type: str, payload: dict[str, Any], *, ack_timeout_s: float = 3.0,
                          max_retries: int = 3) -> dict[str, Any] | None:
        """Send an envelope; redeliver with retry_attempt+1 when not acked in time, as Slack does."""
        envelope_id = str(uuid.uuid4())
        acked = self._pending_acks[envelope_id] = asyncio.Event()
        for attempt in range(max_retries + 1):
            if not self._sockets:
                raise RuntimeError("no Socket Mode connection")
            await self._sockets[-1].send_str(json.dumps({
                "envelope_id": envelope_id, "payload": payload, "type": envelope_type,
                "accepts_response_payload": envelope_type != "events_api", "retry_attempt": attempt,
                "retry_reason": "timeout" if attempt else "",
            }))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(acked.wait(), timeout=ack_timeout_s)
                return next(a for a in reversed(self.socket_acks) if a["envelope_id"] == envelope_id)
        return None

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to move to a new connection, as Slack does every few hours."""
        await self._sockets[-1].send_str(json.dumps({"type": "disconnect", "reason": reason,
                                                     "debug_info": {"host": "fake"}}))

    @property
    def socket_connections(self) -> int:
        return len(self._sockets)


def check_blocks(blocks: Any) -> str | None:
    """Slack's `invalid_blocks` checks for the block types pmsbot sends."""
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        if not isinstance(block, dict):
            return "invalid_blocks"
        kind = block.get("type")
        if kind == "section":
            text = block.get("text")
            if not isinstance(text, dict) or text.get("type") not in ("mrkdwn", "plain_text"):
                return "invalid_blocks"
            if not 1 <= len(str(text.get("text", ""))) <= MAX_SECTION_TEXT:
                return "invalid_blocks"
        elif kind == "header":
            text = block.get("text")
            if not isinstance(text, dict) or text.get("type") != "plain_text" or len(text.get("text", "")) > MAX_HEADER_TEXT:
                return "invalid_blocks"
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
                return "invalid_blocks"
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_ACTION_ELEMENTS:
                return "invalid_blocks"
            for el in elements:
                if not isinstance(el, dict) or el.get("type") != "button":
                    return "invalid_blocks"
                label = el.get("text")
                if (not isinstance(label, dict) or label.get("type") != "plain_text"
                        or not 1 <= len(label.get("text", "")) <= MAX_BUTTON_TEXT
                        or not 1 <= len(str(el.get("action_id", ""))) <= MAX_ACTION_ID
                        or len(str(el.get("value", ""))) > MAX_BUTTON_VALUE
                        or el.get("style") not in (None, "primary", "danger")):
                    return "invalid_blocks"
        elif kind == "input":
            if not isinstance(block.get("element"), dict) or not isinstance(block.get("label"), dict):
                return "invalid_blocks"
        elif kind != "divider":
            return "invalid_blocks"
    return None


# ---- inbound requests, built and signed as Slack builds them ---------------------------------------------------
def slash_command(text: str, *, user: str, channel: str, response_url: str, command: str = "/pms",
                  trigger_id: str | None = None) -> bytes:
    return urlencode({
        "token": "deprecated", "team_id": TEAM_ID, "team_domain": "pmsbot-test", "channel_id": channel,
        "channel_name": "pump" if channel.startswith("C") else "directmessage", "user_id": user,
        "user_name": user.lower(), "command": command, "text": text, "api_app_id": "APMS",
        "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": trigger_id or f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}",
    }).encode()


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> bytes:
    return json.dumps({
        "token": "deprecated", "team_id": TEAM_ID, "api_app_id": "APMS", "event": event, "type": "event_callback",
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(), "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }).encode()


def message_event(text: str, *, user: str, channel: str, channel_type: str = "im") -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return {"type": "message", "channel_type": channel_type, "user": user, "text": text, "ts": ts, "channel": channel,
            "event_ts": ts, "client_msg_id": str(uuid.uuid4())}


def file_share_event(text: str, files: list[dict[str, Any]], *, user: str, channel: str) -> dict[str, Any]:
    """A direct message with files: subtype file_share and the files' objects
    (https://docs.slack.dev/tools/node-slack-sdk/reference/types/interfaces/FileShareMessageEvent)."""
    return {**message_event(text, user=user, channel=channel), "subtype": "file_share", "files": files,
            "upload": False, "display_as_bot": False}


def mention_event(text: str, *, user: str, channel: str) -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts, "channel": channel,
            "event_ts": ts, "client_msg_id": str(uuid.uuid4())}


def block_action(action_id: str, value: str, *, user: str, channel: str, message_ts: str, response_url: str,
                 block_id: str = "actions") -> bytes:
    payload = {
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "APMS", "token": "deprecated",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}", "team": {"id": TEAM_ID, "domain": "pmsbot-test"},
        "channel": {"id": channel, "name": "pump"}, "message": {"ts": message_ts, "text": ""},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": block_id, "text": {"type": "plain_text", "text": action_id},
                     "value": value, "type": "button", "action_ts": f"{time.time():.6f}"}],
    }
    return ("payload=" + quote(json.dumps(payload))).encode()


def view_submission(view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]], *, user: str) -> bytes:
    payload = {
        "type": "view_submission", "team": {"id": TEAM_ID, "domain": "pmsbot-test"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "APMS", "token": "deprecated", "trigger_id": f"{uuid.uuid4().int % 10**12}.x",
        "view": {**view, "id": view.get("id", "V1"), "team_id": TEAM_ID, "state": {"values": values},
                 "hash": "1.x", "app_id": "APMS", "bot_id": "BPMS"},
        "response_urls": [],
    }
    return ("payload=" + quote(json.dumps(payload))).encode()


if __name__ == "__main__":
    import argparse

    from tests.fakes.process import serve_forever

    parser = argparse.ArgumentParser(description="the fake Slack on 127.0.0.1 (prints its port)")
    parser.add_argument("--channel-rate", type=float, default=1.0)
    parser.add_argument("--channel-burst", type=float, default=3.0)
    parser.add_argument("--workspace-per-minute", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(serve_forever(FakeSlack(channel_rate_per_s=args.channel_rate, channel_burst=args.channel_burst,
                                        workspace_per_minute=args.workspace_per_minute)))
