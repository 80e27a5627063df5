"""Feishu's long connection (长连接): events over a WebSocket the bot opens, for deployments without a public URL.

lark-oapi's client blocks, owns a module-level event loop and dispatches synchronously, so this is our own asyncio
client over the documented protocol (../shared/research/im-platforms.md §2.8): POST {base}/callback/ws/endpoint
for a wss URL and settings; binary frames are protobuf `pbbp2.Frame` (schema below, as lark-oapi ships it);
pings every PingInterval; each DATA frame (type `event` or `card`, possibly split in `sum` parts) is answered by
the same frame carrying {"code": 200, "data": base64(result)}. A connection that has said nothing for three ping
intervals is dead: reconnect, after a random pause, then every ReconnectInterval.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from bot.constants import FEISHU_WS_DEAD_AFTER_PINGS, FEISHU_WS_MAX_PARTS_BYTES

log = logging.getLogger("pmsbot.feishu.ws")

CONTROL, DATA = 0, 1  # Frame.method


def _frame_class() -> Any:  # a class made at runtime: its fields are not known to the type checker
    """pbbp2.Frame, built from its schema: Header{key=1, value=2}; Frame{SeqID=1 uint64, LogID=2 uint64,
    service=3 int32, method=4 int32, headers=5 repeated Header, payload_encoding=6, payload_type=7,
    payload=8 bytes, LogIDNew=9} (proto2)."""
    f = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="pmsbot_pbbp2.proto", package="pbbp2", syntax="proto2")
    header = fdp.message_type.add(name="Header")
    header.field.add(name="key", number=1, type=f.TYPE_STRING, label=f.LABEL_REQUIRED)
    header.field.add(name="value", number=2, type=f.TYPE_STRING, label=f.LABEL_REQUIRED)
    frame = fdp.message_type.add(name="Frame")
    for name, number, kind, label in (
        ("SeqID", 1, f.TYPE_UINT64, f.LABEL_REQUIRED), ("LogID", 2, f.TYPE_UINT64, f.LABEL_REQUIRED),
        ("service", 3, f.TYPE_INT32, f.LABEL_REQUIRED), ("method", 4, f.TYPE_INT32, f.LABEL_REQUIRED),
        ("payload_encoding", 6, f.TYPE_STRING, f.LABEL_OPTIONAL), ("payload_type", 7, f.TYPE_STRING, f.LABEL_OPTIONAL),
        ("payload", 8, f.TYPE_BYTES, f.LABEL_OPTIONAL), ("LogIDNew", 9, f.TYPE_STRING, f.LABEL_OPTIONAL),
    ):
        frame.field.add(name=name, number=number, type=kind, label=label)
    frame.field.add(name="headers", number=5, type=f.TYPE_MESSAGE, label=f.LABEL_REPEATED, type_name=".pbbp2.Header")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("pbbp2.Frame"))


Frame: Any = _frame_class()


def headers_of(frame: Any) -> dict[str, str]:
    return {h.key: h.value for h in frame.headers}


@dataclass
class Settings:
    ping_interval_s: float = 120.0
    reconnect_interval_s: float = 120.0
    reconnect_nonce_s: float = 30.0

    def update(self, config: dict[str, Any]) -> None:
        for key, attr in (("PingInterval", "ping_interval_s"), ("ReconnectInterval", "reconnect_interval_s"),
                          ("ReconnectNonce", "reconnect_nonce_s")):
            value = config.get(key)
            if isinstance(value, int | float) and value >= 0:
                setattr(self, attr, float(value))


Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class LongConnection:
    """Keeps one connection open and feeds every event and card click to `handle` (the HTTP path's dispatch)."""

    def __init__(self, *, base: str, app_id: str, app_secret: str, handle: Handler) -> None:
        self.base = base.rstrip("/")
        self._app = {"AppID": app_id, "AppSecret": app_secret}
        self._handle = handle
        self.settings = Settings()
        self.connected = asyncio.Event()  # set while a connection is up (tests and readiness)
        self.connections = 0
        self._parts: dict[str, list[bytes | None]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        first = True
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=10)) as http:
            while not stop.is_set():
                try:
                    await self._session(http, stop)
                except (aiohttp.ClientError, TimeoutError, OSError, ValueError, DecodeError) as exc:
                    log.warning("feishu long connection lost: %s: %s", type(exc).__name__, exc)
                finally:
                    self.connected.clear()
                pause = random.uniform(0, self.settings.reconnect_nonce_s) if first else self.settings.reconnect_interval_s
                first = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=pause)

    async def _session(self, http: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        async with http.post(f"{self.base}/callback/ws/endpoint", json=self._app, headers={"locale": "zh"}) as r:
            answer = await r.json(content_type=None)
        if not isinstance(answer, dict) or answer.get("code") != 0:
            raise ValueError(f"endpoint refused: {str(answer)[:200]}")
        data = answer.get("data") or {}
        url = data.get("URL")
        if not isinstance(url, str):
            raise ValueError("endpoint gave no URL")
        self.settings.update(data.get("ClientConfig") or {})
        service = int((parse_qs(urlparse(url).query).get("service_id") or ["0"])[0])
        async with http.ws_connect(url, heartbeat=None, autoping=True) as ws:
            self.connections += 1
            self.connected.set()
            log.info("feishu long connection open")
            pinger = asyncio.create_task(self._ping(ws, service))
            try:
                while not stop.is_set():
                    # Anything (a pong, an event) proves the connection alive; silence for three pings does not.
                    dead_after = self.settings.ping_interval_s * FEISHU_WS_DEAD_AFTER_PINGS
                    receive = asyncio.ensure_future(ws.receive(timeout=dead_after))
                    stopping = asyncio.ensure_future(stop.wait())
                    done, _ = await asyncio.wait({receive, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    stopping.cancel()
                    if receive not in done:
                        receive.cancel()
                        return
                    msg = receive.result()
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        await self._frame(ws, msg.data)
                    elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        raise aiohttp.ClientError(f"closed ({msg.type.name})")
            finally:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse, service: int) -> None:
        while True:
            frame = Frame(SeqID=0, LogID=0, service=service, method=CONTROL)
            frame.headers.add(key="type", value="ping")
            await ws.send_bytes(frame.SerializeToString())
            await asyncio.sleep(self.settings.ping_interval_s)  # the protocol's ping period, not a wait for work

    async def _frame(self, ws: aiohttp.ClientWebSocketResponse, raw: bytes) -> None:
        frame = Frame.FromString(raw)
        headers = headers_of(frame)
        if frame.method == CONTROL:
            if headers.get("type") == "pong" and frame.payload:
                with contextlib.suppress(ValueError):
                    self.settings.update(json.loads(frame.payload))
            return
        payload = self._reassemble(headers, frame.payload)
        if payload is None:
            return  # more parts to come
        started = time.monotonic()
        code, result = 200, {}
        try:
            event = json.loads(payload)
            if not isinstance(event, dict):
                raise ValueError("frame payload is not a JSON object")
            result = await self._handle(event)
        except Exception as exc:  # the connection's boundary: answer 500 for this frame, keep the connection
            log.exception("feishu frame %s failed", headers.get("message_id"))
            code, result = 500, {"error": type(exc).__name__}
        ack = Frame()
        ack.CopyFrom(frame)
        ack.headers.add(key="biz_rt", value=str(int((time.monotonic() - started) * 1000)))
        ack.payload = json.dumps({"code": code, "headers": {}, "data": base64.b64encode(
            json.dumps(result, ensure_ascii=False).encode()).decode()}).encode()
        await ws.send_bytes(ack.SerializeToString())

    def _reassemble(self, headers: dict[str, str], part: bytes) -> bytes | None:
        total = int(headers.get("sum", "1") or 1)
        if total <= 1:
            return part
        message_id, seq = headers.get("message_id", ""), int(headers.get("seq", "0") or 0)
        parts = self._parts.setdefault(message_id, [None] * total)
        if not 0 <= seq < total or len(parts) != total:
            raise ValueError("frame part out of range")
        parts[seq] = part
        if sum(len(p) for p in parts if p) > FEISHU_WS_MAX_PARTS_BYTES:
            del self._parts[message_id]
            raise ValueError("split frame larger than allowed")
        if any(p is None for p in parts):
            return None
        del self._parts[message_id]
        return b"".join(p for p in parts if p is not None)
