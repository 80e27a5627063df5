"""Feishu / Lark inbound: `POST /feishu/events` (event subscription 2.0 and the `card.action.trigger` callback).

Order of checks, as Feishu builds requests: the body may be `{"encrypt": …}` (AES-256-CBC, key = SHA-256 of the
Encrypt Key, IV = first 16 bytes); `url_verification` is answered with its challenge after the verification token
is checked (Feishu does not sign it); every other request must carry `X-Lark-Signature` = hex(SHA-256(timestamp +
nonce + encrypt key + raw body)) when an Encrypt Key is set, a timestamp within FEISHU_MAX_SKEW_S, and a nonce not
seen in that window by any of our processes (Feishu's SDK checks neither: a captured request could be replayed); then the verification
token inside the event. The event is durable in the inbox before we answer; `header.event_id` dedupes retries.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.clocks import Clock
from bot.constants import (
    ANSWER_IN_PLACE_BUDGET_S,
    ATTACHMENTS_PER_MESSAGE,
    BUTTON_ACTIONS,
    FEISHU_MAX_SKEW_S,
    TASK_BUTTON_VALUE,
    TASK_BUTTONS,
)
from bot.directory.base import CHANGE_ENTRY, entry_to_json
from bot.directory.feishu import entry_of
from bot.platforms.ports import CardAnswer, Intake, Outcomes, People, Replay, Texts
from bot.records import ChatFile, InboundEvent
from bot.refusals import Refused, dig, json_object
from bot.text import same_secret

if TYPE_CHECKING:
    from bot.platforms.feishu_ws import LongConnection

log = logging.getLogger("pmsbot.feishu")

PLATFORM = "feishu"
ACTION_IDS = BUTTON_ACTIONS + TASK_BUTTONS
_ID_RE = re.compile(rf"[0-9]{{1,9}}|{TASK_BUTTON_VALUE}")  # an approval, alert or proposal number; a task key
_OPEN_ID_RE = re.compile(r"o[uc]_[A-Za-z0-9]{1,64}")  # ou_… people, oc_… chats
_MESSAGE_ID_RE = re.compile(r"om_[A-Za-z0-9_-]{1,64}")  # replies go to /messages/{id}/reply: nothing else
_MENTION_RE = re.compile(r"@_user_[0-9]+\s*")
MAX_REASON_CHARS = 1000


@dataclass(frozen=True, kw_only=True)
class FeishuParts:
    """What the Feishu adapter is handed besides the ports every adapter takes."""

    encrypt_key: str | None  # FEISHU_ENCRYPT_KEY: encrypted bodies and signed requests
    verification_token: str | None  # FEISHU_VERIFICATION_TOKEN; without either, HTTP events are off
    long_connection: bool  # FEISHU_LONG_CONNECTION: events over a WebSocket we open
    api_base: str
    app_id: str
    app_secret: str
    people: People
    card_answer: CardAnswer  # the clicked card, changed, for the callback's answer
    # A person changed in Feishu contacts (contact.user.*_v3) goes to the inbox for directory sync when there is a
    # feishu directory source; without one the events are acknowledged and ignored.
    contacts: bool = False
    approval_engine: bool = False  # a chain rule links Feishu Approval: its instances' ends go to the inbox


APPROVAL_EVENT = "approval.instance.status_changed_v4"
APPROVAL_ENDS = {"APPROVED": "approved", "REJECTED": "rejected", "CANCELED": "rejected", "DELETED": "rejected"}
_INSTANCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
CONTACT_EVENTS = ("contact.user.created_v3", "contact.user.updated_v3", "contact.user.deleted_v3")  # deleted: last


def decrypt(encrypt_key: str, payload: str) -> str:
    """AES-256-CBC, key SHA-256(encrypt_key), IV the first 16 bytes of the base64-decoded payload, PKCS7."""
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Refused(400, "encrypt is not base64") from exc
    if len(raw) < 32 or len(raw) % 16:
        raise Refused(400, "encrypt has the wrong length")
    # Loaded with the first encrypted event: a process without Feishu keeps cryptography's 6 MB out of memory.
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = hashlib.sha256(encrypt_key.encode()).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(raw[:16])).decryptor()
    padded = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:  # wrong key: the padding or the text is garbage
        raise Refused(400, "encrypt does not decrypt with our Encrypt Key") from exc


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """Feishu's event signature: plain SHA-256 (not HMAC), lowercase hex."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


class FeishuAdapter:
    """Turns Feishu callbacks into inbox events. One per process, built when Feishu is configured."""

    def __init__(self, parts: FeishuParts, *, intake: Intake, outcomes: Outcomes, replay: Replay, texts: Texts,
                 clock: Clock) -> None:
        self._parts = parts
        self._encrypt_key = parts.encrypt_key
        self._token = parts.verification_token
        self._intake = intake
        self._outcomes = outcomes
        self._replay = replay
        self.people = parts.people
        self._texts = texts
        self._clock = clock
        self.long_connection: LongConnection | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/feishu/events", self.handle)

    async def start(self) -> None:
        """With FEISHU_LONG_CONNECTION, also take events over Feishu's long connection (no public URL needed)."""
        parts = self._parts
        if not parts.long_connection:
            return
        from bot.platforms.feishu_ws import LongConnection  # protobuf, only for the long connection

        self.long_connection = LongConnection(base=parts.api_base, app_id=parts.app_id, app_secret=parts.app_secret,
                                              handle=self._from_long_connection)
        self._stop.clear()
        self._task = asyncio.create_task(self.long_connection.run(self._stop), name="feishu-long-connection")

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _from_long_connection(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.dispatch(body, trusted=True)
        except Refused as exc:
            log.warning("feishu long-connection event refused: %s", exc)
            return {"error": str(exc)}

    async def handle(self, request: web.Request) -> web.Response:
        if self._encrypt_key is None and self._token is None:
            # Long connection only: nothing would prove an HTTP request came from Feishu.
            return web.json_response({"error": "Feishu events over HTTP are off (no token or encrypt key)"},
                                     status=403)
        raw = await request.read()
        try:
            return web.json_response(await self._handle(request, raw))
        except Refused as exc:
            log.warning("feishu request refused (%s): %s", exc.status, exc)
            return web.json_response({"error": str(exc)}, status=exc.status)

    async def _handle(self, request: web.Request, raw: bytes) -> dict[str, Any]:
        body = json_object(raw, "body")
        if "encrypt" in body:
            if self._encrypt_key is None:
                raise Refused(400, "encrypted event but FEISHU_ENCRYPT_KEY is not set")
            if not isinstance(body["encrypt"], str):
                raise Refused(400, "encrypt must be a string")
            body = json_object(decrypt(self._encrypt_key, body["encrypt"]).encode(), "decrypted event")
        if body.get("type") == "url_verification":
            self._check_token(body.get("token"))
            challenge = body.get("challenge")
            if not isinstance(challenge, str):
                raise Refused(400, "url_verification without a challenge")
            return {"challenge": challenge}
        if self._encrypt_key is not None:
            await self._check_signature(request, raw)
        return await self.dispatch(body, trusted=False)

    async def dispatch(self, body: dict[str, Any], *, trusted: bool) -> dict[str, Any]:
        """One event envelope (2.0), from HTTP after its checks or from the long connection (`trusted`: the
        connection itself was authenticated). Returns the callback's answer."""
        header = body.get("header")
        if body.get("schema") != "2.0" or not isinstance(header, dict):
            raise Refused(400, "only event subscription schema 2.0 is accepted")
        if not trusted:
            self._check_token(header.get("token"))
        event = body.get("event")
        event_id = header.get("event_id")
        if not isinstance(event, dict) or not isinstance(event_id, str) or not event_id:
            raise Refused(400, "event without event or header.event_id")
        kind = header.get("event_type")
        if kind == "im.message.receive_v1":
            await self._message(event_id, event)
            return {}
        if kind == "card.action.trigger":
            return await self._card_action(event_id, event)
        if kind == APPROVAL_EVENT and self._parts.approval_engine:
            await self._approval(event)
            return {}
        if kind in CONTACT_EVENTS and self._parts.contacts:
            await self._contact(event_id, kind, event)
            return {}
        log.info("feishu event type %r acknowledged and ignored", kind)
        return {}

    async def _contact(self, event_id: str, kind: str, event: dict[str, Any]) -> None:
        """contact.user.{created,updated,deleted}_v3 carry the user as it now is (`object`): kept in the inbox as
        that person, for the worker to apply (bot/dispatch/directory.py), idempotently. Spec:
        https://open.feishu.cn/document/server-docs/contact-v3/user/events/updated"""
        user = event.get("object")
        entry = entry_of(user) if isinstance(user, dict) else None
        if entry is None or not _OPEN_ID_RE.fullmatch(entry.account):
            raise Refused(400, f"{kind} without object.open_id")
        entry = replace(entry, active=False) if kind == CONTACT_EVENTS[-1] else entry
        await self._intake.accept(InboundEvent(
            platform=PLATFORM, event_id=f"ev:{event_id}", kind="directory", sender=entry.account, conversation="",
            text=entry_to_json(entry), action={"change": CHANGE_ENTRY}, received_at=self._clock.now()))

    async def _approval(self, event: dict[str, Any]) -> None:
        """approval.instance.status_changed_v4 (lark-oapi's P2ApprovalInstanceStatusChangedV4: instance_code,
        status…): an instance's end goes to the inbox, one row per instance; any other status is ignored."""
        instance, status = event.get("instance_code"), event.get("status")
        if not (isinstance(instance, str) and _INSTANCE_RE.fullmatch(instance)) or status not in APPROVAL_ENDS:
            log.info("feishu %s that ends no instance ignored", APPROVAL_EVENT)
            return
        await self._intake.accept(InboundEvent(
            platform=PLATFORM, event_id=f"approval:{instance}", kind="engine", sender="", conversation="",
            action={"engine": "feishu_approval", "instance": instance, "status": APPROVAL_ENDS[status], "url": ""},
            received_at=self._clock.now()))

    # ---- checks ---------------------------------------------------------------------------------------------
    def _check_token(self, token: Any) -> None:
        if self._token is not None and not (isinstance(token, str) and same_secret(token, self._token)):
            raise Refused(401, "verification token does not match")

    async def _check_signature(self, request: web.Request, raw: bytes) -> None:
        assert self._encrypt_key is not None
        ts = request.headers.get("X-Lark-Request-Timestamp", "")
        nonce = request.headers.get("X-Lark-Request-Nonce", "")
        given = request.headers.get("X-Lark-Signature", "")
        if not (ts.isascii() and ts.isdigit() and nonce and given):
            raise Refused(401, "missing X-Lark-Request-Timestamp, -Nonce or X-Lark-Signature")
        if not same_secret(given, signature(ts, nonce, self._encrypt_key, raw)):
            raise Refused(401, "signature does not match")
        if abs(self._clock.timestamp() - int(ts)) > FEISHU_MAX_SKEW_S:
            raise Refused(401, "timestamp outside the accepted window")
        # Remembered in the database past the window: every web process refuses a replay, not only this one.
        if not (await self._replay(PLATFORM, [nonce], keep_s=2 * FEISHU_MAX_SKEW_S, now=self._clock.now()))[0]:
            raise Refused(401, "nonce already used: a replayed request")

    # ---- events ---------------------------------------------------------------------------------------------
    async def _message(self, event_id: str, event: dict[str, Any]) -> None:
        sender = dig(event, "sender", "sender_id", "open_id")
        message = event.get("message")
        chat = dig(message, "chat_id")
        if not (isinstance(message, dict) and isinstance(sender, str) and _OPEN_ID_RE.fullmatch(sender)
                and isinstance(chat, str) and _OPEN_ID_RE.fullmatch(chat)):
            raise Refused(400, "message without sender open_id or chat_id")
        if dig(event, "sender", "sender_type") not in (None, "user"):
            return  # other bots and apps are not people giving commands
        text, files = _message_text(message), message_files(message)
        if text is None and not files:
            log.info("feishu message type %r ignored", message.get("message_type"))
            return
        origin = {"user": sender, "chat_type": str(message.get("chat_type", ""))}
        if isinstance(message.get("message_id"), str) and _MESSAGE_ID_RE.fullmatch(message["message_id"]):
            origin["message_id"] = message["message_id"]  # replies go in thread under it (group chats)
        await self.people.match(sender)
        await self._intake.accept(InboundEvent(
            platform=PLATFORM, event_id=f"ev:{event_id}", kind="message", sender=sender, conversation=chat,
            text=text or "", origin=origin, received_at=self._clock.now(), files=files))

    async def _card_action(self, event_id: str, event: dict[str, Any]) -> dict[str, Any]:
        operator = dig(event, "operator", "open_id")
        found = event.get("action")
        action: dict[str, Any] = found if isinstance(found, dict) else {}
        value = action.get("value")
        chat = dig(event, "context", "open_chat_id")
        if not (isinstance(operator, str) and _OPEN_ID_RE.fullmatch(operator) and isinstance(value, dict)):
            raise Refused(400, "card action without operator open_id or value")
        verb, target = str(value.get("action", "")), str(value.get("id", ""))
        if verb not in ACTION_IDS or not _ID_RE.fullmatch(target):
            raise Refused(400, "card action value was not issued by pmsbot")
        fields = {"id": verb, "value": target}
        await self.people.match(operator)
        locale = await self.people.locale(operator)
        texts = self._texts.catalogs[locale]["feishu"]
        if verb == "reject":
            form = action.get("form_value") or {}
            reason = str(form.get("reason", "") if isinstance(form, dict) else "").strip()
            if not reason:
                return {"toast": {"type": "warning", "content": texts["reason_required"]}}
            fields["reason"] = reason[:MAX_REASON_CHARS]
        started = time.monotonic()
        accepted = await self._intake.accept(InboundEvent(
            platform=PLATFORM, event_id=f"card:{event_id}", kind="action", sender=operator,
            conversation=chat if isinstance(chat, str) and _OPEN_ID_RE.fullmatch(chat) else operator,
            action=fields, origin={"user": operator}, received_at=self._clock.now()))
        answer: dict[str, Any] = {"toast": {"type": "info", "content": texts["received"]}}
        # Everyone's copy of the card changes by PATCH when the decision is delivered; the clicker's changes at
        # once when the decision is made within the callback's time (it usually is).
        budget = ANSWER_IN_PLACE_BUDGET_S - (time.monotonic() - started)
        if accepted.inbox_id is not None and await self._outcomes.settled(accepted.inbox_id, budget, delivered=False):
            card = await self._parts.card_answer(accepted.inbox_id, operator, locale)
            if card is not None:
                answer["card"] = {"type": "raw", "data": card}
                answer["toast"] = {"type": "success", "content": texts["done"]}
        return answer


def _message_text(message: dict[str, Any]) -> str | None:
    """The command text of a text or post message, @-mention placeholders removed; None for other types."""
    kind, content = message.get("message_type"), message.get("content")
    if not isinstance(content, str):
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if kind == "text" and isinstance(data.get("text"), str):
        text = data["text"]
    elif kind == "post":
        # A rich-text post: {"title", "content": [[{"tag": "text", "text": …}, {"tag": "at", …}], …]} (maybe under
        # a locale key); its text runs, line by line.
        body = data if "content" in data else next((v for v in data.values() if isinstance(v, dict)), {})
        lines = []
        for paragraph in body.get("content") or []:
            if isinstance(paragraph, list):
                lines.append("".join(str(el.get("text", "")) for el in paragraph
                                     if isinstance(el, dict) and el.get("tag") in ("text", "a")))
        text = "\n".join(line for line in lines if line.strip())
    else:
        return None
    return _MENTION_RE.sub("", text).strip()


# Images and files of a message: `image` {"image_key"}, `file` {"file_key", "file_name"}, and `post` elements
# {"tag": "img", "image_key"}; fetched later by GET /open-apis/im/v1/messages/{message_id}/resources/{key}?type=
# image|file with the tenant token (notifiers/downloads.py). Sources:
# https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content ,
# https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message-resource/get
_RESOURCE_KEY_RE = re.compile(r"(img|file)_[A-Za-z0-9_-]{1,120}")


def message_files(message: dict[str, Any]) -> tuple[ChatFile, ...]:
    """The images and files a message carries, as `<message_id>/<key>/<image|file>` refs; () for none."""
    message_id, kind, content = message.get("message_id"), message.get("message_type"), message.get("content")
    if kind not in ("image", "file", "post") or not isinstance(content, str) or not (
            isinstance(message_id, str) and _MESSAGE_ID_RE.fullmatch(message_id)):
        return ()
    try:
        data = json.loads(content)
    except ValueError:
        return ()
    if not isinstance(data, dict):
        return ()
    found: list[tuple[str, str, str]] = []  # (key, type, name)
    if kind == "image":
        found.append((str(data.get("image_key", "")), "image", ""))
    elif kind == "file":
        found.append((str(data.get("file_key", "")), "file", str(data.get("file_name", ""))))
    else:
        body = data if "content" in data else next((v for v in data.values() if isinstance(v, dict)), {})
        for paragraph in body.get("content") or []:
            for el in paragraph if isinstance(paragraph, list) else []:
                if isinstance(el, dict) and el.get("tag") == "img":
                    found.append((str(el.get("image_key", "")), "image", ""))
    files = [ChatFile(ref=f"{message_id}/{key}/{type_}", name=name[:300] or key[:40])
             for key, type_, name in found if _RESOURCE_KEY_RE.fullmatch(key)]
    return tuple(files[:ATTACHMENTS_PER_MESSAGE + 1])
