"""DingTalk's encrypted HTTP event push, `POST /dingtalk/event-subscription` (事件订阅 with push mode HTTP).

https://open.dingtalk.com/document/orgapp/configure-event-subcription and the samples of
https://github.com/open-dingtalk/DingTalk-Callback-Crypto: the query carries msg_signature (or signature),
timestamp (or timeStamp) and nonce; the body is {"encrypt": "…"}; within 1500 ms we answer {msg_signature, encrypt,
timeStamp, nonce} with "success" encrypted (bot/platforms/dingtalk_crypto.py), or DingTalk counts a failed push
and sends it again. Saving the URL in the console sends {"EventType": "check_url"}: answered the same way.
A decrypted event is JSON with EventType and the event's fields at the top level (user_add_org:
{"EventType", "CorpId", "UserId" or "userId": [...], "eventId", "TimeStamp"…}:
https://open.dingtalk.com/document/development/enterprise-increases-employee-events).

This adapter verifies and translates only: signature, freshness (the injected clock), decryption, receiver id;
an address-book change goes to the durable inbox as the stream's do (DingTalkAdapter.event) and the worker applies
it. The inbox's (platform, event id) keeps one row per eventId, so a redelivery or a replayed request within the
window is answered "success" (what DingTalk expects) and changes nothing; past the window it is refused.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.clocks import Clock
from bot.constants import DINGTALK_EVENT_MAX_BYTES, DINGTALK_EVENT_MAX_SKEW_S
from bot.platforms.dingtalk_crypto import BadCallback, CallbackCipher
from bot.records import InboundEvent
from bot.refusals import Refused, json_object

log = logging.getLogger("pmsbot.dingtalk.events")

ROUTE = "/dingtalk/event-subscription"
CHECK_URL = "check_url"
SUCCESS = "success"
APPROVAL_EVENT = "bpms_instance_change"
OA_URL_PREFIX = "https://aflow.dingtalk.com/"  # an instance's page; any other link in an event is dropped
_INSTANCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TIMESTAMP_RE = re.compile(r"[1-9][0-9]{0,12}")  # seconds or milliseconds, one spelling of each instant
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MS_DIGITS = 12  # a timestamp with this many digits or more is in milliseconds (the samples send both)

# (event type, the event's fields, its event id) -> stored for the worker, or ignored
EventSink = Callable[[str, dict[str, Any], str], Awaitable[None]]


class EventPush:
    """One subscription's route: its cipher (token, aes_key, receiver id) and where events go."""

    def __init__(self, cipher: CallbackCipher, *, sink: EventSink, clock: Clock) -> None:
        self._cipher = cipher
        self._sink = sink
        self._clock = clock

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            event_type, event, event_id = await self._open(request)
        except Refused as exc:
            log.warning("dingtalk event push refused (%s): %s", exc.status, exc)
            return web.json_response({"error": str(exc)}, status=exc.status)
        if event_type == CHECK_URL:
            log.info("dingtalk event push: URL check answered")
        else:
            await self._sink(event_type, event, event_id)
        return web.json_response(self._cipher.sealed(SUCCESS, timestamp_ms=int(self._clock.timestamp() * 1000)))

    async def _open(self, request: web.Request) -> tuple[str, dict[str, Any], str]:
        """(EventType, the decrypted event, its event id) of a genuine, fresh push for us; Refused otherwise."""
        raw = await _body(request)
        query = request.query
        given = query.get("msg_signature") or query.get("signature") or ""
        stamp = query.get("timestamp") or query.get("timeStamp") or ""
        nonce = query.get("nonce") or ""
        if not (given and _TIMESTAMP_RE.fullmatch(stamp) and _NONCE_RE.fullmatch(nonce)):
            raise Refused(401, "missing or malformed msg_signature, timestamp or nonce")
        encrypt = json_object(raw, "body").get("encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise Refused(400, "body has no encrypt string")
        try:
            self._cipher.verify(given, stamp, nonce, encrypt)
            seconds = int(stamp) / 1000 if len(stamp) >= _MS_DIGITS else int(stamp)
            if abs(self._clock.timestamp() - seconds) > DINGTALK_EVENT_MAX_SKEW_S:
                raise Refused(401, "timestamp outside the accepted window")
            message = self._cipher.decrypt(encrypt)
        except BadCallback as exc:
            raise Refused(exc.status, str(exc)) from exc
        event = json_object(message.encode(), "decrypted event")
        event_type = event.get("EventType", event.get("eventType"))
        if not isinstance(event_type, str) or not event_type:
            raise Refused(400, "decrypted event has no EventType")
        event_id = event.get("eventId")
        # Without an eventId (older pushes), the ciphertext names the event: its random prefix differs per push.
        key = event_id if isinstance(event_id, str) and event_id else "enc:" + hashlib.sha256(
            encrypt.encode()).hexdigest()[:40]
        return event_type[:64], event, key


def approval_result(data: dict[str, Any], now: datetime) -> InboundEvent | None:
    """A bpms_instance_change that ends an instance, as an inbox event; None for any other (started, malformed).
    https://open.dingtalk.com/document/orgapp/approval-events: {processInstanceId, type: "finish" (result "agree" |
    "refuse") | "terminate" (withdrawn, no result), url, processCode…}. One event per instance (its end happens
    once): a redelivery is the same inbox row."""
    instance, kind, result = data.get("processInstanceId"), data.get("type"), data.get("result")
    if not (isinstance(instance, str) and _INSTANCE_RE.fullmatch(instance)):
        return None
    if kind == "finish" and result in ("agree", "refuse"):
        status = "approved" if result == "agree" else "rejected"
    elif kind == "terminate":
        status = "rejected"
    else:
        return None
    url = data.get("url")
    url = url if isinstance(url, str) and url.startswith(OA_URL_PREFIX) and len(url) <= 500 and url.isprintable() \
        else ""
    return InboundEvent(platform="dingtalk", event_id=f"oa:{instance}", kind="engine", sender="", conversation="",
                        action={"engine": "dingtalk_oa", "instance": instance, "status": status, "url": url},
                        received_at=now)


async def _body(request: web.Request) -> bytes:
    """The body, refused (413) past DINGTALK_EVENT_MAX_BYTES whether or not it said its length."""
    if request.content_length is not None and request.content_length > DINGTALK_EVENT_MAX_BYTES:
        raise Refused(413, f"body larger than {DINGTALK_EVENT_MAX_BYTES} bytes")
    raw = b""
    while len(raw) <= DINGTALK_EVENT_MAX_BYTES:
        chunk = await request.content.read(DINGTALK_EVENT_MAX_BYTES + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    if len(raw) > DINGTALK_EVENT_MAX_BYTES:
        raise Refused(413, f"body larger than {DINGTALK_EVENT_MAX_BYTES} bytes")
    return raw
