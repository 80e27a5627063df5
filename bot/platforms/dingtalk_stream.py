"""DingTalk Stream mode: robot messages and card clicks over a WebSocket the bot opens (no public URL needed).

The dingtalk-stream SDK makes blocking HTTP calls on the event loop, so this is our own asyncio client over the
open protocol (../shared/research/im-platforms.md §3.5): POST {api}/v1.0/gateway/connections/open with the client
id and secret for an endpoint and a one-use ticket (valid 90 s), then `GET {endpoint}?ticket=…` as a WebSocket.
Frames are JSON: SYSTEM `ping` is answered with its `opaque`, SYSTEM `disconnect` means "reconnect with a new
ticket" (the acks in flight are sent first: DingTalk keeps the socket 10 s); CALLBACK frames on the robot topic and
the card topic, and EVENT frames, are each acknowledged with {code, headers{messageId, contentType}, message, data}.
With an event handler the bot also subscribes to EVENT "*" (address-book changes and the like): the handler gets
headers.eventType and the data, the ack says SUCCESS (LATER, redeliver, only when the handler itself failed);
https://developers.dingtalk.com/document/orgapp/user-activation-after-joining-the-enterprise-stream
and the SDKs' EventHeaders (eventId, eventType, eventCorpId, eventBornTime).
We ping every minute as the SDK does; a connection silent for DINGTALK_STREAM_DEAD_AFTER_S is dead. Opening a
connection (ticket and handshake) is bounded in time; reconnects back off exponentially with jitter, and the
backoff starts over once a connection has stayed up a while. No frame, however malformed, ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from yarl import URL

from bot.constants import (
    DINGTALK_STREAM_DEAD_AFTER_S,
    DINGTALK_STREAM_HEALTHY_AFTER_S,
    DINGTALK_STREAM_INFLIGHT_MAX,
    DINGTALK_STREAM_PING_S,
    DINGTALK_STREAM_RETRY_MAX_S,
    DINGTALK_STREAM_RETRY_MIN_S,
    DINGTALK_STREAM_TICKET_TIMEOUT_S,
)

log = logging.getLogger("pmsbot.dingtalk.stream")

BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
USER_AGENT = "pmsbot-dingtalk-stream/1"

# (topic, message id, data) -> the ack's data
Handler = Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any]]]
# (event type, event id, data) of an EVENT frame; the id is headers.eventId (the frame's messageId without one)
EventHandler = Callable[[str, str, dict[str, Any]], Awaitable[None]]


class StreamConnection:
    """Keeps one stream open and hands every robot message and card click to `handle`."""

    def __init__(self, *, base: str, client_id: str, client_secret: str, handle: Handler,
                 dead_after_s: float = DINGTALK_STREAM_DEAD_AFTER_S,
                 retry_min_s: float = DINGTALK_STREAM_RETRY_MIN_S,
                 retry_max_s: float = DINGTALK_STREAM_RETRY_MAX_S,
                 open_timeout_s: float = DINGTALK_STREAM_TICKET_TIMEOUT_S,
                 healthy_after_s: float = DINGTALK_STREAM_HEALTHY_AFTER_S,
                 handle_event: EventHandler | None = None) -> None:
        self.base = base.rstrip("/")
        self._credentials = {"clientId": client_id, "clientSecret": client_secret}
        self._handle = handle
        self._handle_event = handle_event
        self.dead_after_s = dead_after_s
        self._retry = (retry_min_s, retry_max_s)
        self.connected = asyncio.Event()  # set while a connection is up (tests and readiness)
        self.connections = 0
        self._inflight: set[asyncio.Task[None]] = set()
        self._open_timeout_s = open_timeout_s
        self._healthy_after_s = healthy_after_s
        self._opened_at: float | None = None
        self.frames_refused = 0  # malformed frames seen (tests)

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=10)) as http:
            while not stop.is_set():
                self._opened_at = None
                session = asyncio.ensure_future(self._session(http, stop))
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({session, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not session.done():  # stopping while opening (a handshake that never answers): give up on it
                    session.cancel()
                try:
                    await session
                    failures = 0  # DingTalk asked us to move, or we stop: a new ticket at once
                except asyncio.CancelledError:
                    if not stop.is_set():
                        raise
                except Exception as exc:  # the loop's boundary: whatever ended this connection, open another
                    up = self._opened_at is not None and time.monotonic() - self._opened_at > self._healthy_after_s
                    failures = 1 if up else failures + 1  # a connection that held a while starts the backoff over
                    log.warning("dingtalk stream lost: %s: %s", type(exc).__name__, str(exc).split("?")[0][:200],
                                exc_info=not isinstance(exc, aiohttp.ClientError | TimeoutError | OSError | ValueError))
                finally:
                    self.connected.clear()
                if failures == 0 or stop.is_set():
                    continue
                low, high = self._retry
                pause = min(high, low * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=pause)
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _ticket(self, http: aiohttp.ClientSession) -> str:
        body = {**self._credentials, "subscriptions": [{"type": "CALLBACK", "topic": BOT_TOPIC},
                                                       {"type": "CALLBACK", "topic": CARD_TOPIC},
                                                       *([{"type": "EVENT", "topic": "*"}] if self._handle_event else [])],
                "ua": USER_AGENT, "localIp": "127.0.0.1"}
        async with http.post(f"{self.base}/v1.0/gateway/connections/open", json=body,
                             headers={"Accept": "application/json", "User-Agent": USER_AGENT},
                             timeout=aiohttp.ClientTimeout(total=DINGTALK_STREAM_TICKET_TIMEOUT_S)) as r:
            answer = await r.json(content_type=None)
            if r.status != 200 or not isinstance(answer, dict):
                raise ValueError(f"connections/open refused: HTTP {r.status} {str(answer)[:200]}")
        endpoint, ticket = answer.get("endpoint"), answer.get("ticket")
        if not (isinstance(endpoint, str) and endpoint.startswith(("ws://", "wss://")) and isinstance(ticket, str)):
            raise ValueError("connections/open gave no endpoint or ticket")
        return str(URL(endpoint).update_query(ticket=ticket))

    async def _session(self, http: aiohttp.ClientSession, stop: asyncio.Event) -> bool:
        """One connection, until it dies (raises), DingTalk says disconnect (True) or we stop (True)."""
        async with asyncio.timeout(self._open_timeout_s):  # ticket and handshake: a server that never answers
            url = await self._ticket(http)
            ws = await http.ws_connect(url, heartbeat=DINGTALK_STREAM_PING_S, autoping=True)
        async with ws:
            self.connections += 1
            self._opened_at = time.monotonic()
            self.connected.set()
            log.info("dingtalk stream open")
            while not stop.is_set():
                receive = asyncio.ensure_future(ws.receive(timeout=self.dead_after_s))
                stopping = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait({receive, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if receive not in done:
                    receive.cancel()
                    return True
                msg = receive.result()  # TimeoutError when silent too long: dead, reconnect
                if msg.type == aiohttp.WSMsgType.TEXT:
                    if await self._frame(ws, msg.data) == "disconnect":
                        # Acks in flight go out first: DingTalk keeps the socket for 10 s after saying this.
                        if self._inflight:
                            await asyncio.wait(set(self._inflight), timeout=5.0)
                        return True
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise aiohttp.ClientError(f"closed ({msg.type.name})")
        return True

    async def _frame(self, ws: aiohttp.ClientWebSocketResponse, raw: str) -> str | None:
        try:
            frame = json.loads(raw)
        except (ValueError, RecursionError):
            self.frames_refused += 1
            log.warning("dingtalk stream frame is not JSON: %.80s", raw)
            return None
        if not isinstance(frame, dict) or not isinstance(frame.get("headers"), dict):
            self.frames_refused += 1
            log.warning("dingtalk stream frame without headers: %.80s", raw)
            return None
        kind, headers = frame.get("type"), frame["headers"]
        topic, message_id = str(headers.get("topic", "")), str(headers.get("messageId", ""))
        data = _data(frame.get("data"))
        if kind == "SYSTEM":
            if topic == "ping":
                await self._ack(ws, message_id, 200, {"opaque": data.get("opaque")})
            elif topic == "disconnect":
                log.info("dingtalk stream: disconnect requested (%s)", data.get("reason"))
                return "disconnect"
            return None
        if kind == "EVENT" and self._handle_event is None:  # acknowledged so DingTalk does not redeliver
            await self._ack(ws, message_id, 200, {"status": "SUCCESS", "message": "OK"})
            return None
        if kind not in ("CALLBACK", "EVENT"):
            log.warning("dingtalk stream frame of type %r ignored", kind)
            return None
        # Handled concurrently: a slow inbox write must not hold up the pings behind it; at most so many at once.
        if len(self._inflight) >= DINGTALK_STREAM_INFLIGHT_MAX:
            await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)
        work = (self._event(ws, str(headers.get("eventType", "")), str(headers.get("eventId") or message_id),
                            message_id, data) if kind == "EVENT"
                else self._callback(ws, topic, message_id, data))
        task = asyncio.create_task(work)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return None

    async def _callback(self, ws: aiohttp.ClientWebSocketResponse, topic: str, message_id: str,
                        data: dict[str, Any]) -> None:
        code, answer = 200, {}
        try:
            answer = await self._handle(topic, message_id, data)
        except Exception:  # the connection's boundary: this frame fails (500), the connection stays
            log.exception("dingtalk stream callback %s on %s failed", message_id, topic)
            code, answer = 500, {"error": "internal"}
        with contextlib.suppress(ConnectionError, RuntimeError):  # the connection died meanwhile: DingTalk resends
            # As the SDK's CallbackHandler: the handler's answer (a card's new data) is the ack data's "response".
            await self._ack(ws, message_id, code, {"response": None if topic == BOT_TOPIC and code == 200 else answer})

    async def _event(self, ws: aiohttp.ClientWebSocketResponse, event_type: str, event_id: str, message_id: str,
                     data: dict[str, Any]) -> None:
        status = "SUCCESS"
        try:
            assert self._handle_event is not None
            await self._handle_event(event_type, event_id, data)
        except Exception:  # the connection's boundary: DingTalk redelivers this event later
            log.exception("dingtalk stream event %s (%s) failed", message_id, event_type[:60])
            status = "LATER"
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._ack(ws, message_id, 200, {"status": status, "message": "OK"})

    @staticmethod
    async def _ack(ws: aiohttp.ClientWebSocketResponse, message_id: str, code: int, data: dict[str, Any]) -> None:
        await ws.send_str(json.dumps({"code": code, "headers": {"messageId": message_id,
                                                                "contentType": "application/json"},
                                      "message": "OK" if code == 200 else "error",
                                      "data": json.dumps(data, ensure_ascii=False)}, ensure_ascii=False))


def _data(value: Any) -> dict[str, Any]:
    """A frame's `data` is a JSON string (sometimes already an object)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError, RecursionError):
            parsed = json.loads(value)
            if isinstance(parsed, dict):
                return parsed
    return {}
