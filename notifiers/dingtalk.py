"""The DingTalk sender: the enterprise robot's OpenAPI, session webhooks, interactive cards, the custom robot.

Which road a message takes:
- an answer to a message whose `sessionWebhook` is still valid, without buttons → that webhook (no token, no
  quota); it is only ever called on DINGTALK_OAPI_BASE's host, whatever the callback said;
- a card with buttons, when DINGTALK_CARD_TEMPLATE_ID is set and the stream is on → an interactive card
  (card/instances/createAndDeliver, callbacks over the stream), updated in place after the decision;
- a card with buttons otherwise → an action card whose buttons are personal signed links (PMSBOT_PUBLIC_URL);
  an action card cannot be changed, so its "update" is a follow-up message;
- identical standup prompts → one oToMessages/batchSend per 20 people;
- the rest → oToMessages/batchSend (a person: their staff id) or groupMessages/send (a group: cid…);
- target ALERT_ROBOT → the custom group robot's webhook (signed, 20 a minute), for one-way alerts.
Throttling (HTTP 429, QPS codes) waits and retries through the outbox; the outbox keeps each chat in order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.constants import (
    BUTTON_ACTIONS,
    DINGTALK_APP_PER_SECOND,
    DINGTALK_BATCH_MAX,
    DINGTALK_BATCH_WINDOW_S,
    DINGTALK_CHAT_BURST,
    DINGTALK_CHAT_RATE_PER_S,
    DINGTALK_DEFAULT_API_BASE,
    DINGTALK_DEFAULT_OAPI_BASE,
    DINGTALK_HTTP_TIMEOUT_S,
    DINGTALK_LINK_TTL_S,
    DINGTALK_MSG_PARAM_MAX_BYTES,
    DINGTALK_ROBOT_PER_MINUTE,
    DINGTALK_SESSION_MARGIN_S,
    DINGTALK_THROTTLED_RETRY_S,
    DINGTALK_TOKEN_REFRESH_BEFORE_S,
    DINGTALK_USER_LOOKUP_TIMEOUT_S,
)
from bot.decision_links import LinkSigner
from bot.signing import dingtalk_sign
from bot.store.db import Database
from notifiers.base import Outgoing, PermanentSendError, Rendered, TransientSendError
from notifiers.batching import Gatherer
from notifiers.dingtalk_markdown import dingtalk_md, fit, title_of
from notifiers.links import linked
from notifiers.openapi import Dialect, OpenApi, request_json
from notifiers.pacing import ChatPacer, wait_turn, within_window
from notifiers.render import Renderer
from notifiers.tokens import AccessToken

log = logging.getLogger("pmsbot.dingtalk.send")

ALERT_ROBOT = "alert-robot"  # a channel id that means the custom group robot (DINGTALK_ALERT_WEBHOOK)
ACTION_IDS = BUTTON_ACTIONS
LINK_PURPOSE = "dingtalk"
BATCH_KINDS = frozenset({"standup_prompt"})  # the same words to many people, never updated
THROTTLED_CODES = frozenset({"Forbidden.AccessDenied.QpsLimitForApi", "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
                             "Throttling", "Throttling.Api", "90002", "90018", "90019"})
TOKEN_CODES = frozenset({"InvalidAuthentication", "Forbidden.AccessDenied.AccessTokenPermissionDenied", "40014",
                         "42001"})
ROBOT_THROTTLED = frozenset({130101, 90030, 410100})  # the custom robot's "too fast" (codes vary by report)
CARD_EXISTS = "outTrackId"  # the card API's complaint about an outTrackId it has already
_STAFF_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


async def probe(settings: Settings, renderer: Renderer) -> tuple[bool, str]:
    """`pmsbot check`: does the app get an access token from DINGTALK_API_BASE? (ok, what was found)"""
    api = DingTalkSender(None, settings, renderer)._api
    return await api.probe(f"app {settings.dingtalk_client_id} has an access token")


def is_group(target: str) -> bool:
    """Group conversations have cid… ids; people are addressed by staff id."""
    return target.startswith("cid")


def session_webhook_allowed(url: str, oapi_base: str) -> bool:
    """A session webhook is used only on DingTalk's own host: a forged callback cannot make us post elsewhere."""
    try:
        got, ours = urlsplit(url), urlsplit(oapi_base)
    except ValueError:
        return False
    return (got.scheme, got.netloc) == (ours.scheme, ours.netloc) and got.path == "/robot/sendBySession"


class DingTalkSender:
    platform = "dingtalk"

    def __init__(self, db: Database | None, settings: Settings, renderer: Renderer, *,
                 app_per_second: int = DINGTALK_APP_PER_SECOND,
                 chat_rate_per_s: float = DINGTALK_CHAT_RATE_PER_S, chat_burst: float = DINGTALK_CHAT_BURST,
                 robot_per_minute: int = DINGTALK_ROBOT_PER_MINUTE, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        assert settings.dingtalk_client_id and settings.dingtalk_client_secret
        self.base = (settings.dingtalk_api_base or DINGTALK_DEFAULT_API_BASE).rstrip("/")
        self.oapi = (settings.dingtalk_oapi_base or DINGTALK_DEFAULT_OAPI_BASE).rstrip("/")
        secret = settings.dingtalk_client_secret.get_secret_value()
        self._app = (settings.dingtalk_client_id, secret)
        self.robot_code = settings.dingtalk_robot_code or settings.dingtalk_client_id
        # Card callbacks arrive over the stream only (their HTTP delivery has no documented signature).
        self.card_template = settings.dingtalk_card_template_id if settings.dingtalk_stream else None
        self.public_url = settings.pmsbot_public_url.rstrip("/") if settings.pmsbot_public_url else None
        self.links = LinkSigner(secret, purpose=LINK_PURPOSE)
        self._alert = ((settings.dingtalk_alert_webhook.get_secret_value(),
                        settings.dingtalk_alert_secret.get_secret_value() if settings.dingtalk_alert_secret else None)
                       if settings.dingtalk_alert_webhook else None)
        self.renderer = renderer
        self._api = OpenApi(DINGTALK, AccessToken(self._fetch_token, refresh_before_s=DINGTALK_TOKEN_REFRESH_BEFORE_S),
                            base_url=self.base, timeout_s=DINGTALK_HTTP_TIMEOUT_S)
        # The app's QPS is a count in a second (a 21st call in it is refused), so a window, not a bucket; each call
        # counted until its answer: DingTalk saw it before that, however late a busy process let it go, so the
        # window needs no margin for lateness (and the whole second's count may go at once).
        self._pacer = ChatPacer(chat_rate_per_s, chat_burst, (
            within_window(app_per_second, 1.0, margin_s=0.0, until_answered=True),), max_chats=50_000, clock=clock)
        # 20 a minute, the whole minute's count at once, each counted until answered; crossing it silences the
        # robot for 10 minutes, so the margin stays (the platform's clock against ours).
        self._robot = within_window(robot_per_minute, 60.0, until_answered=True)
        self._gatherer = Gatherer(self._batch_send, window_s=DINGTALK_BATCH_WINDOW_S, max_size=DINGTALK_BATCH_MAX)
        self._profiles: dict[str, tuple[dict[str, Any], float]] = {}

    @property
    def api(self) -> OpenApi:
        """The app's OpenAPI client and token, shared with its file downloads (notifiers/downloads.py)."""
        return self._api

    # ---- Sender ---------------------------------------------------------------------------------------------
    async def send(self, message: Outgoing) -> str:
        if any(b.id not in ACTION_IDS for b in message.rendered.buttons):  # a task list's Open/Report: text only
            message = replace(message, rendered=replace(message.rendered, buttons=tuple(
                b for b in message.rendered.buttons if b.id in ACTION_IDS)))
        r = message.rendered
        if message.target == ALERT_ROBOT:
            return await self._alert_robot(message)
        if r.buttons and self.card_template:
            return await self._send_card(message)
        webhook = None if r.buttons else self._session_webhook(message)
        if webhook is not None:
            return await self._session_reply(message, webhook)
        if r.kind in BATCH_KINDS and not is_group(message.target) and not r.buttons and not message.card_ref:
            return await self._send_batched(message)
        key, param = self._robot_message(message)
        return await self._robot_send(message.target, key, param)

    async def warm(self) -> None:
        """The access token (and with it the client and a connection to the API) before the first message."""
        try:
            await self._api.token.get()
        except (TransientSendError, PermanentSendError) as exc:
            log.warning("dingtalk: no access token yet (%s): the first message will try again", exc)

    async def update(self, message: Outgoing, message_id: str) -> None:
        if message_id.startswith("card:") and self.card_template:
            await self._call("PUT", "/v1.0/card/instances", {
                "outTrackId": message_id[len("card:"):], "cardData": {"cardParamMap": self.card_params(message)},
                "cardUpdateOptions": {"updateCardDataByKey": True}}, message.target)
            return
        # A robot message cannot be edited: the new state goes out as a message of its own, without buttons.
        key, param = self._markdown(message.rendered.text, message.locale)
        await self._robot_send(message.target, key, param)

    async def close(self) -> None:
        await self._gatherer.close()
        await self._api.close()

    # ---- message shapes -------------------------------------------------------------------------------------
    def _texts(self, locale: str) -> dict[str, str]:
        catalogs = self.renderer.catalogs
        return dict((catalogs.get(locale) or catalogs["en"])["dingtalk"])

    def _markdown(self, text: str, locale: str, mentions: tuple[str, ...] = (),
                  links: tuple[tuple[str, str], ...] = ()) -> tuple[str, dict[str, str]]:
        markdown = linked(dingtalk_md(text), links, lambda key, url: f"[{key}]({url})")
        body = fit(markdown, self._texts(locale)["truncated"])
        ats = [f"@{m}" for m in mentions if _STAFF_ID_RE.fullmatch(m)]
        if ats:
            body += "  \n" + " ".join(ats)
        return "sampleMarkdown", {"title": title_of(text), "text": body}

    def _robot_message(self, message: Outgoing) -> tuple[str, dict[str, str]]:
        """Markdown, or an action card whose buttons are personal decision links (one-to-one chats only: a link
        acts for one person, and a group's card would be clicked by everyone)."""
        r = message.rendered
        buttons = [b for b in r.buttons if b.id in ACTION_IDS]
        if not buttons or self.public_url is None or is_group(message.target):
            return self._markdown(r.text, message.locale, r.mentions, r.links)
        _, param = self._markdown(r.text, message.locale, r.mentions, r.links)
        links = [(b.label, f"{self.public_url}/dingtalk/decide/" + self.links.make(
            verb=b.id, value=b.value, account=message.target, ttl_s=DINGTALK_LINK_TTL_S)) for b in buttons[:5]]
        if len(links) == 1:
            return "sampleActionCard", {**param, "singleTitle": links[0][0], "singleURL": links[0][1]}
        card = {**param}
        for n, (label, url) in enumerate(links, start=1):
            card[f"actionTitle{n}"] = label
            card[f"actionURL{n}"] = url
        return f"sampleActionCard{len(links)}", card

    def card_params(self, message: Outgoing | Rendered, locale: str | None = None) -> dict[str, str]:
        """The interactive card's variables (all strings, as DingTalk wants): the contract with the card template
        that README describes."""
        r = message.rendered if isinstance(message, Outgoing) else message
        loc = message.locale if isinstance(message, Outgoing) else (locale or "en")
        texts = self._texts(loc)
        params = {"title": title_of(r.text), "markdown": fit(dingtalk_md(r.text), texts["truncated"]),
                  "decided": "false" if r.buttons else "true", "target_id": r.buttons[0].value if r.buttons else "",
                  "buttons": json.dumps([{"id": b.id, "label": b.label, "style": b.style} for b in r.buttons],
                                        ensure_ascii=False), "reason_hint": texts["reason_hint"]}
        for b in r.buttons:
            params[f"label_{b.id}"] = b.label
        return params

    # ---- roads ----------------------------------------------------------------------------------------------
    def _session_webhook(self, message: Outgoing) -> str | None:
        origin = message.origin
        url, until = origin.get("session_webhook"), origin.get("session_webhook_expires_ms", "")
        if not url or not until.isdigit() or origin.get("conversation") != message.target:
            return None
        if int(until) / 1000 - DINGTALK_SESSION_MARGIN_S < self._clock.timestamp():
            return None  # expired or about to: the robot API takes over
        return url if session_webhook_allowed(url, self.oapi) else None

    async def _session_reply(self, message: Outgoing, url: str) -> str:
        user = message.origin.get("user")
        mentions = (*message.rendered.mentions, user) if is_group(message.target) and user else ()
        turn = await self._pacer.pace(message.target)
        try:
            r, data = await self._post_markdown(url, message, mentions, "session webhook")
        finally:
            self._pacer.answered(turn)
        code = data.get("errcode")
        if code == 0:
            return ""
        # Expired early, throttled, or refused for any other reason: the robot API reaches the same chat, with
        # its own limits and error codes deciding what happens next.
        log.info("dingtalk session webhook refused (HTTP %s, errcode %s): robot API instead", r.status_code, code)
        key, param = self._robot_message(message)
        return await self._robot_send(message.target, key, param)

    async def _post_markdown(self, url: str, message: Outgoing, mentions: tuple[str, ...], what: str
                             ) -> tuple[httpx.Response, dict[str, Any]]:
        """A markdown message (with its @mentions) to a webhook that answers {errcode, errmsg}."""
        _, param = self._markdown(message.rendered.text, message.locale, mentions, message.rendered.links)
        body: dict[str, Any] = {"msgtype": "markdown", "markdown": param}
        if mentions:
            body["at"] = {"atUserIds": [m for m in mentions if _STAFF_ID_RE.fullmatch(m)]}
        return await request_json(self._api.client(), "POST", url, json=body, what=f"dingtalk {what}")

    async def _robot_send(self, target: str, key: str, param: dict[str, str]) -> str:
        msg_param = json.dumps(param, ensure_ascii=False)
        if len(msg_param.encode()) > DINGTALK_MSG_PARAM_MAX_BYTES:
            raise PermanentSendError(f"dingtalk msgParam is {len(msg_param.encode())} bytes, over the limit")
        if is_group(target):
            data = await self._call("POST", "/v1.0/robot/groupMessages/send", {
                "robotCode": self.robot_code, "openConversationId": target, "msgKey": key, "msgParam": msg_param},
                target)
        else:
            data = await self._call("POST", "/v1.0/robot/oToMessages/batchSend", {
                "robotCode": self.robot_code, "userIds": [target], "msgKey": key, "msgParam": msg_param}, target)
            if isinstance(outcome := _per_person(data, [target])[target], Exception):
                raise outcome
        return str(data.get("processQueryKey", ""))

    async def _send_card(self, message: Outgoing) -> str:
        track = f"pmsbot-{message.outbox_id}"
        target = message.target
        body: dict[str, Any] = {"cardTemplateId": self.card_template, "outTrackId": track, "callbackType": "STREAM",
                                "cardData": {"cardParamMap": self.card_params(message)}, "userIdType": 1}
        if is_group(target):
            body |= {"openSpaceId": f"dtv1.card//IM_GROUP.{target}",
                     "imGroupOpenSpaceModel": {"supportForward": False},
                     "imGroupOpenDeliverModel": {"robotCode": self.robot_code}}
        else:
            body |= {"openSpaceId": f"dtv1.card//IM_ROBOT.{target}",
                     "imRobotOpenSpaceModel": {"supportForward": False},
                     "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": self.robot_code}}
        try:
            data = await self._call("POST", "/v1.0/card/instances/createAndDeliver", body, target)
        except PermanentSendError as exc:
            if CARD_EXISTS in str(exc):  # created by an earlier try whose answer was lost: it is there
                return f"card:{track}"
            raise
        results = (data.get("result") or {}).get("deliverResults") or []
        failed = [r for r in results if isinstance(r, dict) and not r.get("success")]
        if failed:
            raise PermanentSendError(f"dingtalk card not delivered: {str(failed[0].get('errorMsg', ''))[:160]}")
        return f"card:{track}"

    async def _alert_robot(self, message: Outgoing) -> str:
        if self._alert is None:
            raise PermanentSendError("a channel is the alert robot but DINGTALK_ALERT_WEBHOOK is not set")
        url, secret = self._alert
        turn = await wait_turn(self._robot, clock=self._clock)  # the robot's 20 a minute
        if secret:
            ts = int(self._clock.timestamp() * 1000)
            url += f"{'&' if '?' in url else '?'}timestamp={ts}&sign={quote_plus(dingtalk_sign(secret, ts))}"
        try:
            r, data = await self._post_markdown(url, message, message.rendered.mentions, "alert robot")
        finally:
            turn.answered(self._clock.monotonic())
        code = data.get("errcode")
        if code == 0:
            return ""
        if code in ROBOT_THROTTLED or r.status_code == 429:
            self._robot.blocked_until = self._clock.monotonic() + 600.0  # DingTalk silences the robot for 10 minutes
            raise TransientSendError(f"dingtalk alert robot throttled ({code})", retry_after_s=600.0)
        if r.status_code >= 500:
            raise TransientSendError(f"dingtalk alert robot HTTP {r.status_code}")
        raise PermanentSendError(f"dingtalk alert robot errcode {code}: {str(data.get('errmsg', ''))[:160]}")

    # ---- batching -------------------------------------------------------------------------------------------
    async def _send_batched(self, message: Outgoing) -> str:
        """The same prompt to many people: one batchSend per 20 of them."""
        _, param = self._markdown(message.rendered.text, message.locale)
        return await self._gatherer.submit(json.dumps(param, ensure_ascii=False), message.target)

    async def _batch_send(self, msg_param: str, users: list[str]) -> dict[str, str | Exception]:
        data = await self._call("POST", "/v1.0/robot/oToMessages/batchSend", {
            "robotCode": self.robot_code, "userIds": users, "msgKey": "sampleMarkdown", "msgParam": msg_param}, "")
        return _per_person(data, users)

    # ---- people ---------------------------------------------------------------------------------------------
    async def user_profile(self, staff_id: str) -> dict[str, Any]:
        """The user API's record of a staff id (email, unionid…); {} when it cannot be read. Bounded as a whole:
        it runs on the ack path of an unknown account. Kept a minute, so email and union id cost one call."""
        cached = self._profiles.get(staff_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        try:
            profile = await asyncio.wait_for(self._user_profile(staff_id), DINGTALK_USER_LOOKUP_TIMEOUT_S)
        except (httpx.HTTPError, ValueError, TimeoutError, TransientSendError, PermanentSendError) as exc:
            log.info("dingtalk user lookup of %s failed: %s", staff_id, exc)
            return {}
        if len(self._profiles) > 10_000:
            self._profiles.clear()
        self._profiles[staff_id] = (profile, time.monotonic() + 60.0)
        return profile

    async def _user_profile(self, staff_id: str) -> dict[str, Any]:
        token = await self._api.token.get()
        _, data = await request_json(self._api.client(), "POST", f"{self.oapi}/topapi/v2/user/get",
                                     params={"access_token": token}, json={"userid": staff_id, "language": "zh_CN"},
                                     what="dingtalk user lookup")
        if data.get("errcode") != 0 or not isinstance(data.get("result"), dict):
            return {}
        return dict(data["result"])

    @property
    def open_api(self) -> OpenApi:
        """The app's OpenAPI client with its token, for DingTalk OA (notifiers/approval_engines.py)."""
        return self._api

    # ---- HTTP -----------------------------------------------------------------------------------------------
    async def _fetch_token(self) -> tuple[str, float]:
        r, data = await request_json(self._api.client(), "POST", "/v1.0/oauth2/accessToken",
                                     json={"appKey": self._app[0], "appSecret": self._app[1]}, what="dingtalk token")
        if r.status_code >= 500 or r.status_code == 429:
            raise TransientSendError(f"dingtalk token: HTTP {r.status_code}")
        token = data.get("accessToken")
        if r.status_code != 200 or not isinstance(token, str):
            raise PermanentSendError(f"dingtalk token refused: HTTP {r.status_code} {str(data)[:160]}")
        return token, float(data.get("expireIn", 7200))

    async def _call(self, method: str, path: str, body: dict[str, Any], target: str) -> dict[str, Any]:
        await self._api.token.get()  # before the turn: a token fetch holds no place in the second's count
        turn = await self._pacer.pace(target)
        try:
            return await self._api.call(method, path, body)
        finally:
            self._pacer.answered(turn)


def _per_person(data: dict[str, Any], users: list[str]) -> dict[str, str | Exception]:
    """What batchSend did for each person: its processQueryKey, or why not."""
    invalid = set(data.get("invalidStaffIdList") or ())
    throttled = set(data.get("flowControlledStaffIdList") or ())
    key = str(data.get("processQueryKey", ""))
    return {u: PermanentSendError(f"dingtalk: {u} is not a staff id this robot can reach") if u in invalid
            else TransientSendError(f"dingtalk: {u} is flow-controlled", retry_after_s=DINGTALK_THROTTLED_RETRY_S)
            if u in throttled else key for u in users}


DINGTALK = Dialect(
    platform="dingtalk", auth=lambda token: {"x-acs-dingtalk-access-token": token},
    code_of=lambda data: str(data.get("code", "")), token_refused=lambda status, code: status == 401 or code in TOKEN_CODES,
    throttled_codes=THROTTLED_CODES, retry_after_header="Retry-After", retry_after_default_s=DINGTALK_THROTTLED_RETRY_S,
    transient_codes=frozenset(), accepted=lambda status, code: status < 400, empty_is_answer=True,
    refusal=lambda path, status, code, data: f"dingtalk {path}: HTTP {status} {code}: {str(data.get('message', ''))[:160]}")
