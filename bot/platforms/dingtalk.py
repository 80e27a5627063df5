"""DingTalk inbound: the enterprise robot's HTTP callback `POST /dingtalk/events`, Stream mode, decision links.

The callback carries `timestamp` (ms) and `sign` = base64(HMAC-SHA256(appSecret, timestamp + "\\n" + appSecret));
it must be within an hour of our clock. The sign does not cover the body, so a captured header pair could carry
any body within that hour: each (timestamp, sign) is accepted once (remembered in the database beyond the window,
so every web process refuses a reuse), and the inbox's dedupe on `msgId`, kept for good, absorbs DingTalk's own
redeliveries (which come with a fresh pair). Stream mode (DINGTALK_STREAM=1) feeds the same `message()`; card clicks
arrive only over the stream. Without the card API, approval buttons are personal signed links to
`/dingtalk/decide/{token}`, a confirmation page whose POST goes through the inbox like a click. Address-book
events, over the stream or the encrypted HTTP push (bot/platforms/dingtalk_events.py), go to the inbox by `event()`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.clocks import Clock
from bot.constants import (
    ANSWER_IN_PLACE_BUDGET_S,
    ATTACHMENTS_PER_MESSAGE,
    BUTTON_ACTIONS,
    DINGTALK_MAX_SKEW_S,
)
from bot.decision_links import BadLink
from bot.directory.base import CHANGE_ACCOUNT, CHANGE_LEFT
from bot.platforms.dingtalk_crypto import CallbackCipher
from bot.platforms.dingtalk_events import APPROVAL_EVENT, EventPush, approval_result
from bot.platforms.dingtalk_stream import BOT_TOPIC, CARD_TOPIC, StreamConnection
from bot.platforms.people import AliasLookup, EmailLookup
from bot.platforms.ports import (
    CardAnswer,
    DecisionLinks,
    DecisionPage,
    Intake,
    Outcomes,
    People,
    Profiles,
    Replay,
    Texts,
)
from bot.records import ChatFile, InboundEvent
from bot.refusals import Refused, json_object
from bot.signing import dingtalk_sign
from bot.text import is_storable, same_secret

log = logging.getLogger("pmsbot.dingtalk")

PLATFORM = "dingtalk"
ACTION_IDS = BUTTON_ACTIONS
GROUP_PREFIX = "cid"  # group conversations have cid… ids; people are addressed by staff id
UNION_ID_KIND = "dingtalk_union"  # config may name a person's DingTalk union id under identities
_ACCOUNT_RE = re.compile(r"[A-Za-z0-9_$.@+=/:-]{1,128}")  # staff ids; senderId of outside users is "$:LWCP_v1:$…"
_ID_RE = re.compile(r"[0-9]{1,9}")
_EVENT_ID_RE = re.compile(r"[A-Za-z0-9_.:*-]{1,128}")  # DingTalk's eventId (its examples star out a part)
MAX_REASON_CHARS = 1000
CONTACT_EVENTS = ("user_add_org", "user_modify_org", "user_leave_org")  # leave: last
CONTACT_IDS_MAX = 100  # user ids read again per event; more (a bulk import) wait for the next full sync


@dataclass(frozen=True, kw_only=True)
class DingTalkParts:
    """What the DingTalk adapter is handed besides the ports every adapter takes."""

    client_id: str
    client_secret: str  # the app secret: the callback's sign is made with it
    stream: bool  # DINGTALK_STREAM: messages and card clicks over a WebSocket we open
    api_base: str
    people: People
    links: DecisionLinks  # reads the personal decision links the sender hands out
    decide_page: DecisionPage
    card_answer: CardAnswer  # the clicked interactive card's new variables, for the stream's answer
    # Whether a callback's sessionWebhook is one the sender will post to (DingTalk's own host); None: keep none.
    session_webhook_allowed: Callable[[str], bool] | None
    # Address-book changes (user_add_org, user_modify_org, user_leave_org over the stream or the HTTP push) are
    # stored for the worker, which has directory sync read the users again; without a dingtalk directory source they
    # are acked and ignored.
    directory_source: bool = False
    # DingTalk's encrypted HTTP event push (`dingtalk_events:` in the configuration): its route exists with it.
    event_push: CallbackCipher | None = None
    approval_engine: bool = False  # a chain rule links DingTalk OA: its instances' ends are stored for the worker


def profile_lookups(profiles: Profiles | None) -> tuple[EmailLookup, AliasLookup]:
    """How KnownPeople learns a staff id's email and union id: from the user API's record (one call for both)."""
    async def email_of(staff: str) -> str | None:
        profile = await profiles.user_profile(staff) if profiles else {}
        email = profile.get("org_email") or profile.get("email")
        return email.strip() if isinstance(email, str) and "@" in email else None

    async def aliases_of(staff: str) -> list[tuple[str, str]]:
        profile = await profiles.user_profile(staff) if profiles else {}
        union = profile.get("unionid")
        return [(UNION_ID_KIND, union)] if isinstance(union, str) and union else []
    return email_of, aliases_of


class DingTalkAdapter:
    def __init__(self, parts: DingTalkParts, *, intake: Intake, outcomes: Outcomes, replay: Replay, texts: Texts,
                 clock: Clock) -> None:
        self._parts = parts
        self._secret = parts.client_secret
        self.links = parts.links
        self.people = parts.people
        self._intake = intake
        self._outcomes = outcomes
        self._replay = replay
        self._texts = texts
        self._clock = clock
        self.stream: StreamConnection | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.push = EventPush(parts.event_push, sink=self.event, clock=clock) if parts.event_push else None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/dingtalk/events", self.handle)
        if self.push is not None:
            self.push.add_routes(app)
        app.router.add_get("/dingtalk/decide/{token}", self.decide_page)
        app.router.add_post("/dingtalk/decide/{token}", self.decide)

    async def start(self) -> None:
        if not self._parts.stream:
            return
        self.stream = StreamConnection(base=self._parts.api_base, client_id=self._parts.client_id,
                                       client_secret=self._secret, handle=self._from_stream,
                                       handle_event=self.event if self._parts.directory_source or self._parts.approval_engine
                                       else None)
        self._stop.clear()
        self._task = asyncio.create_task(self.stream.run(self._stop), name="dingtalk-stream")

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    # ---- HTTP callback --------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            pair = self._check_sign(request)
            body = json_object(raw, "body")
            await self._check_first_use(pair, body.get("msgId"))
            await self.message(body)
        except Refused as exc:
            log.warning("dingtalk request refused (%s): %s", exc.status, exc)
            return web.json_response({"error": str(exc)}, status=exc.status)
        return web.json_response({})

    def _check_sign(self, request: web.Request) -> str:
        """The (timestamp, sign) pair, in canonical form, once it is genuine and fresh."""
        ts, given = request.headers.get("timestamp", ""), request.headers.get("sign", "")
        if not (ts.isascii() and ts.isdigit() and len(ts) <= 16 and given):
            raise Refused(401, "missing or malformed timestamp / sign headers")
        if ts != str(int(ts)):  # "0173…" signs like "173…": only one spelling of an instant is accepted
            raise Refused(401, "timestamp is not in canonical form (leading zeros)")
        if not same_secret(given, dingtalk_sign(self._secret, int(ts))):
            raise Refused(401, "sign does not match")
        if abs(self._clock.timestamp() - int(ts) / 1000) > DINGTALK_MAX_SKEW_S:
            raise Refused(401, "timestamp outside the accepted window")
        return f"{ts}:{given}"

    async def _check_first_use(self, pair: str, msg_id: Any) -> None:
        """DingTalk's sign covers the timestamp, not the body: a captured pair could carry another message. So a
        pair is good for the one message (msgId) it first came with; the same pair with the same msgId is that
        request sent again (answered, and dropped by the inbox), with any other msgId a replay (refused). Both are
        remembered in the database past the window, so every `web` process refuses the replay.
        Checked after the sign (cheap, no storage): junk cannot fill the table."""
        if not (isinstance(msg_id, str) and 0 < len(msg_id) <= 128 and is_storable(msg_id)):
            raise Refused(400, "robot message without a valid msgId")
        now, keep_s = self._clock.now(), 2 * DINGTALK_MAX_SKEW_S + 60
        bound = f"{pair}:{hashlib.sha256(msg_id.encode()).hexdigest()[:32]}"
        new_pair, new_binding = await self._replay(PLATFORM, [pair, bound], keep_s=keep_s, now=now)
        if not new_pair and new_binding:
            raise Refused(401, "timestamp and sign already used for another message: a replayed request")

    # ---- events (the stream's EVENT frames and the HTTP push) ---------------------------------------------------
    async def event(self, event_type: str, data: dict[str, Any], event_id: str) -> None:
        """An address-book change names its users (data.userId, a list; UserId in the HTTP push's older form):
        https://developers.dingtalk.com/document/orgapp/user-activation-after-joining-the-enterprise-stream,
        https://open.dingtalk.com/document/development/enterprise-increases-employee-events and the user_modify_org
        example of https://apifox.com/apidoc/shared/f9b55f1e-e990-49ad-ad32-4243d72b3245/doc-3472992. It is stored
        in the inbox (one row per event id: a redelivery is recognised) and applied by the worker, off the ack path.
        An approval instance's end (bpms_instance_change) goes to the inbox the same way when a chain rule links
        DingTalk OA. Anything else, or a malformed one, is acknowledged and ignored."""
        if event_type == APPROVAL_EVENT and self._parts.approval_engine:
            found = approval_result(data, self._clock.now())
            if found is None:
                log.info("dingtalk %s that ends no instance ignored", APPROVAL_EVENT)
                return
            await self._intake.accept(found)
            return
        if event_type not in CONTACT_EVENTS or not self._parts.directory_source:
            log.info("dingtalk event %r acknowledged and ignored", event_type[:60])
            return
        ids = data.get("userId", data.get("UserId"))
        ids = [ids] if isinstance(ids, str) else ids
        accounts = tuple(dict.fromkeys(u for u in ids if isinstance(u, str) and _ACCOUNT_RE.fullmatch(u))) if (
            isinstance(ids, list)) else ()
        if not accounts or len(accounts) > CONTACT_IDS_MAX:
            log.warning("dingtalk %s without usable user ids (%d) ignored", event_type, len(accounts))
            return
        if not _EVENT_ID_RE.fullmatch(event_id):
            event_id = hashlib.sha256(event_id.encode(errors="replace")).hexdigest()[:32]
        change = CHANGE_LEFT if event_type == CONTACT_EVENTS[-1] else CHANGE_ACCOUNT
        now = self._clock.now()
        await asyncio.gather(*(self._intake.accept(InboundEvent(
            platform=PLATFORM, event_id=f"contact:{event_id[:48]}:{account}", kind="directory", sender=account,
            conversation="", action={"change": change}, received_at=now)) for account in accounts))

    async def _from_stream(self, topic: str, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        try:
            if topic == BOT_TOPIC:
                await self.message(data)
                return {}
            if topic == CARD_TOPIC:
                return await self.card_callback(message_id, data)
        except Refused as exc:
            log.warning("dingtalk stream callback refused: %s", exc)
            return {"error": str(exc)}
        log.info("dingtalk stream topic %r acknowledged and ignored", topic)
        return {}

    # ---- robot messages -------------------------------------------------------------------------------------
    async def message(self, body: dict[str, Any]) -> None:
        msg_id = body.get("msgId")
        staff = body.get("senderStaffId") or body.get("senderId")
        kind = body.get("conversationType")
        conversation = body.get("conversationId")
        if not (isinstance(msg_id, str) and 0 < len(msg_id) <= 128 and isinstance(staff, str)
                and _ACCOUNT_RE.fullmatch(staff) and kind in ("1", "2") and isinstance(conversation, str)
                and _ACCOUNT_RE.fullmatch(conversation)):
            raise Refused(400, "robot message without msgId, sender, conversationType or conversationId")
        if kind == "2" and not conversation.startswith(GROUP_PREFIX):
            raise Refused(400, "group conversationId must start with cid")
        text, files = _message_text(body), message_files(body)
        if text is None and not files:
            log.info("dingtalk message type %r ignored", body.get("msgtype"))
            return
        # One-to-one answers through the robot API go to the person (oToMessages), groups by their cid.
        target = conversation if kind == "2" else staff
        origin = {"user": staff, "conversation": target, "conversation_type": kind}
        webhook, until = body.get("sessionWebhook"), body.get("sessionWebhookExpiredTime")
        allowed = self._parts.session_webhook_allowed
        if isinstance(webhook, str) and isinstance(until, int) and allowed and allowed(webhook):
            origin["session_webhook"] = webhook
            origin["session_webhook_expires_ms"] = str(until)
        elif webhook:
            log.warning("dingtalk sessionWebhook not on DingTalk's API host ignored")
        await self.people.match(staff)
        await self._intake.accept(InboundEvent(
            platform=PLATFORM, event_id=f"msg:{msg_id}", kind="message", sender=staff, conversation=target,
            text=text or "", origin=origin, received_at=self._clock.now(), files=files))

    # ---- interactive card clicks (stream) -------------------------------------------------------------------
    async def card_callback(self, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        user, content = data.get("userId"), data.get("content")
        if not (isinstance(user, str) and _ACCOUNT_RE.fullmatch(user) and isinstance(content, str)):
            raise Refused(400, "card callback without userId or content")
        private = json_object(content.encode(), "card callback content").get("cardPrivateData") or {}
        action_ids = private.get("actionIds") if isinstance(private, dict) else None
        params = private.get("params") if isinstance(private, dict) else None
        params = params if isinstance(params, dict) else {}
        verb = action_ids[0] if isinstance(action_ids, list) and action_ids else None
        target = str(params.get("id", params.get("target_id", "")))
        if verb not in ACTION_IDS or not _ID_RE.fullmatch(target):
            raise Refused(400, "card action was not issued by pmsbot")
        fields = {"id": str(verb), "value": target}
        await self.people.match(user)
        locale = await self.people.locale(user)
        texts = self._texts.catalogs[locale]["dingtalk"]
        if verb == "reject":
            reason = str(params.get("reason", "")).strip()
            if not reason:
                return {"privateData": {user: {"cardParamMap": {"notice": texts["reason_required"]}}}}
            fields["reason"] = reason[:MAX_REASON_CHARS]
        track = data.get("outTrackId")
        event_id = f"card:{track}:{message_id}" if isinstance(track, str) else f"card:{message_id}"
        return await self._decide(InboundEvent(
            platform=PLATFORM, event_id=event_id[:200], kind="action", sender=user, conversation=user, action=fields,
            origin={"user": user}, received_at=self._clock.now()), user, locale)

    async def _decide(self, event: InboundEvent, user: str, locale: str) -> dict[str, Any]:
        started = time.monotonic()
        accepted = await self._intake.accept(event)
        budget = ANSWER_IN_PLACE_BUDGET_S - (time.monotonic() - started)
        if accepted.inbox_id is not None and await self._outcomes.settled(accepted.inbox_id, budget, delivered=False):
            params = await self._parts.card_answer(accepted.inbox_id, user, locale)
            if params is not None:
                return {"cardData": {"cardParamMap": params}}
        return {}

    # ---- decision links (approvals without the card API) ----------------------------------------------------
    async def decide_page(self, request: web.Request) -> web.Response:
        """The confirmation page a link opens. GET changes nothing: previews and scanners fetch links too."""
        try:
            decision = self.links.read(request.match_info["token"], allowed_verbs=ACTION_IDS)
        except BadLink as exc:
            return await self._page(None, "link_expired" if exc.expired else "link_bad", status=403)
        if await self._intake.find(PLATFORM, f"link:{decision.nonce}") is not None:
            return await self._page(decision.account, "link_used", status=409, verb=decision.verb, value=decision.value)
        return await self._page(decision.account, None, verb=decision.verb, value=decision.value)

    async def decide(self, request: web.Request) -> web.Response:
        try:
            decision = self.links.read(request.match_info["token"], allowed_verbs=ACTION_IDS)
        except BadLink as exc:
            return await self._page(None, "link_expired" if exc.expired else "link_bad", status=403)
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError):  # a broken multipart body or encoding
            return await self._page(decision.account, "link_bad_form", status=400)
        fields = {"id": decision.verb, "value": decision.value}
        if decision.verb == "reject":
            reason = str(form.get("reason", "")).strip()
            if not reason:
                return await self._page(decision.account, "link_reason_required", status=400, verb=decision.verb,
                                        value=decision.value)
            fields["reason"] = reason[:MAX_REASON_CHARS]
        event = InboundEvent(platform=PLATFORM, event_id=f"link:{decision.nonce}", kind="action",
                             sender=decision.account, conversation=decision.account, action=fields,
                             origin={"user": decision.account, "via": "link"}, received_at=self._clock.now())
        started = time.monotonic()
        accepted = await self._intake.accept(event)
        if accepted.duplicate:
            return await self._page(decision.account, "link_used", status=409, verb=decision.verb,
                                    value=decision.value)
        budget = ANSWER_IN_PLACE_BUDGET_S - (time.monotonic() - started)
        outcome = "link_received"
        if accepted.inbox_id is not None and await self._outcomes.settled(accepted.inbox_id, budget, delivered=False):
            # Handled: but an approval decided meanwhile, or a person no longer its approver, is an error
            # answer (sent to them in DingTalk), not a decision.
            kinds = await self._outcomes.kinds_caused_by(accepted.inbox_id)
            outcome = "link_failed" if "error" in kinds else "link_done"
        return await self._page(decision.account, outcome, verb=decision.verb, value=decision.value)

    async def _page(self, account: str | None, outcome: str | None, *, status: int = 200, verb: str = "",
                    value: str = "") -> web.Response:
        locale = await self.people.locale(account) if account else None
        return self._parts.decide_page(locale, outcome, status=status, verb=verb, value=value)


def _message_text(body: dict[str, Any]) -> str | None:
    """The command in a text or rich-text message; None for pictures, files, audio and the rest."""
    kind = body.get("msgtype")
    if kind == "text":
        text = (body.get("text") or {}).get("content") if isinstance(body.get("text"), dict) else None
        return text.strip() if isinstance(text, str) else None
    if kind == "richText":
        content = body.get("content")
        parts = content.get("richText") if isinstance(content, dict) else None
        if not isinstance(parts, list):
            return None
        return "".join(str(p["text"]) for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)).strip()
    return None


# Pictures: msgtype `picture` with content {"downloadCode", "pictureDownloadCode"}, and `richText` parts
# {"type": "picture", "downloadCode"}; `file` {"downloadCode", "fileName"} (one-to-one chats only). Fetched later
# by POST /v1.0/robot/messageFiles/download (notifiers/downloads.py). Source:
# https://help.dingtalk.io/open/development/download-the-file-content-of-the-robot-receiving-message
_DOWNLOAD_CODE_RE = re.compile(r"[A-Za-z0-9+/=_-]{8,4096}")


def message_files(body: dict[str, Any]) -> tuple[ChatFile, ...]:
    """The pictures and files a robot message carries, by their download codes; () for none."""
    kind, content = body.get("msgtype"), body.get("content")
    if not isinstance(content, dict):
        return ()
    if kind in ("picture", "file"):
        parts: list[Any] = [content]
    elif kind == "richText" and isinstance(content.get("richText"), list):
        parts = [p for p in content["richText"] if isinstance(p, dict) and p.get("type") == "picture"]
    else:
        return ()
    files = []
    for part in parts:
        code = part.get("downloadCode") or part.get("pictureDownloadCode")
        if isinstance(code, str) and _DOWNLOAD_CODE_RE.fullmatch(code):
            files.append(ChatFile(ref=code, name=str(part.get("fileName") or "")[:300] or str(kind).replace(
                "richText", "picture")))
    return tuple(files[:ATTACHMENTS_PER_MESSAGE + 1])
