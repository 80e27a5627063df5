"""Slack inbound: slack-bolt's AsyncApp on `POST /slack/events` (and Socket Mode with SLACK_APP_TOKEN).

Every listener stores the event in the durable inbox before it acknowledges, so a crash after the ack loses
nothing, and Slack's retries (same event id) are dropped by the inbox. Bolt runs with
process_before_response=True: our listeners only store and ack (the work happens in the dispatcher, and the ack
never waits for it: the answer follows by the response_url), which keeps the ack inside Slack's 3 s and lets a
listener answer with a status of its own for a forged button. Slash commands over HTTP skip bolt's dispatch (the
same listener code, called straight from handle()): they are most of the traffic, and a person waits on each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.async_app import AsyncAck
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clocks import Clock
from bot.constants import (
    BUTTON_ACTIONS,
    PEOPLE_CACHE_MAX,
    SLACK_SOCKET_RETRY_MAX_S,
    SLACK_SOCKET_RETRY_MIN_S,
    SLACK_USERS_INFO_TIMEOUT_S,
    TASK_BUTTON_VALUE,
    TASK_BUTTONS,
)
from bot.platforms.people import EmailLookup
from bot.platforms.ports import Intake, Outcomes, People, Texts
from bot.platforms.slack_checks import (
    FILE_SHARE,
    Signatures,
    bad_request,
    response_url_allowed,
    shape_problem,
    shared_files,
)
from bot.records import InboundEvent

log = logging.getLogger("pmsbot.slack")

PLATFORM = "slack"
ACTION_IDS = BUTTON_ACTIONS + TASK_BUTTONS
REJECT_VIEW = "pmsbot_reject"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"
_ID_RE = re.compile(r"[0-9]{1,9}")
_TASK_KEY_RE = re.compile(TASK_BUTTON_VALUE)
_SLACK_ID_RE = re.compile(r"[A-Z0-9]{2,32}")  # users, channels, DMs: U…, W…, C…, G…, D…
_TS_RE = re.compile(r"[0-9]{1,12}\.[0-9]{1,8}")
_COMMAND_RE = re.compile(r"^/.+")  # every slash command of the app (its manifest names them)
_MENTION_RE = re.compile(r"^\s*(<@[A-Z0-9]+(\|[^>]*)?>\s*)+")
MAX_REASON_CHARS = 1000


@dataclass(frozen=True, kw_only=True)
class SlackParts:
    """What the Slack adapter is handed besides the ports every adapter takes."""

    client: AsyncWebClient  # the bot token's: auth.test, users.info, views.open, Socket Mode
    signing_secret: str | None  # None: Socket Mode only, HTTP refused
    app_token: str | None  # Socket Mode when set
    api_url: str | None  # SLACK_API_URL: a staging or fake Slack, whose response_urls are taken too
    people: People  # its email lookup is email_lookup(client)


class _OurToken(AsyncAuthorize):
    """Bolt's authorize step with the one bot token we have. An AsyncAuthorize of our own: bolt calls it as it
    is, where a plain function would be wrapped to look up its arguments by name on every request."""

    def __init__(self, adapter: SlackAdapter) -> None:
        self._adapter = adapter
        self._known: dict[tuple[str | None, ...], AuthorizeResult] = {}  # bolt only reads them: one per user

    async def __call__(self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, actor_enterprise_id: str | None = None, actor_team_id: str | None = None,
                       actor_user_id: str | None = None) -> AuthorizeResult:
        a = self._adapter
        key = (enterprise_id, team_id, user_id, a._bot_user_id, a._bot_id)
        result = self._known.get(key)
        if result is None:
            if len(self._known) >= PEOPLE_CACHE_MAX:
                self._known.clear()
            result = self._known[key] = AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=a._token,
                bot_user_id=a._bot_user_id, bot_id=a._bot_id)
        return result


class SlackAdapter:
    """Turns Slack requests into inbox events. One per process, built when Slack is configured."""

    def __init__(self, parts: SlackParts, *, intake: Intake, outcomes: Outcomes, texts: Texts, clock: Clock) -> None:
        assert parts.client.token is not None
        self.client = parts.client
        self._app_token = parts.app_token
        self._api_url = parts.api_url
        self._intake = intake
        self._outcomes = outcomes
        self.people = parts.people
        self._texts = texts
        self._clock = clock
        self._signatures = Signatures(parts.signing_secret, clock)
        self._token = parts.client.token
        self._bot_user_id: str | None = None
        self._bot_id: str | None = None
        self.app = AsyncApp(
            # The name bolt would find itself (this file's), given: bolt finds it with inspect.stack(), which reads
            # the source of every calling module into memory (half a megabyte a process keeps).
            name="slack.py",
            # Bolt's own client has no token: with `authorize` below, bolt never calls auth.test while a
            # request waits, so an unreachable Slack API cannot turn an ack into an error.
            client=AsyncWebClient(base_url=parts.client.base_url),
            authorize=cast(Callable[..., Awaitable[AuthorizeResult]], self._authorizer()),  # bolt takes it as is
            process_before_response=True,
            request_verification_enabled=False,  # done in handle(), before bolt parses anything
            raise_error_for_unhandled_request=False,
            # Middlewares our listeners do not need, each a step on every request: bot messages (our own among
            # them) are skipped by the listeners themselves; no Slack functions; no assistant threads.
            ignoring_self_events_enabled=False, attaching_function_token_enabled=False,
            attaching_conversation_kwargs_enabled=False,
        )
        self._working: dict[str, str] = {}  # locale -> the "working on it" words
        self._socket: Any = None
        self._connecting: asyncio.Task[None] | None = None
        self._register()

    # ---- HTTP ---------------------------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/slack/events", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        # Signature first, then shape: bolt parses the body before its own checks and trips over hostile
        # shapes (a JSON list where an object belongs), so nothing unverified or malformed reaches it.
        if not self._signatures.genuine(raw, request.headers.get("X-Slack-Request-Timestamp", ""),
                                        request.headers.get("X-Slack-Signature", "")):
            log.warning("slack request refused: bad or missing signature (from %s)", request.remote)
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not valid UTF-8"}, status=400)
        problem = shape_problem(body, request.content_type)
        if problem:
            log.warning("slack request refused: %s", problem)
            return web.json_response({"error": problem}, status=400)
        if not body.startswith(("payload=", "{")) and request.content_type != "application/json":
            # A slash command (the most frequent request, and one a person waits on) takes a short way: read as
            # bolt reads a form, straight to the listener's code. Bolt's dispatch around it (its request object,
            # middleware chain, listener matching, argument injection) cost more CPU than storing the event
            # durably (bench/acks.py, bench/slack.py). Anything else (ssl_check, an unknown form) goes to bolt.
            form = dict(parse_qsl(body, keep_blank_values=True))
            if _COMMAND_RE.match(form.get("command", "")) and "ssl_check" not in form:
                answer = await self._command(form)
                if isinstance(answer, BoltResponse):
                    return await to_aiohttp_response(answer)
                return web.Response(text=answer, content_type="text/plain")  # what bolt's ack(text) answers
        response = await self.app.async_dispatch(
            AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers))  # type: ignore[arg-type]  # a CIMultiDict, as bolt's own aiohttp adapter passes it
        return await to_aiohttp_response(response)

    # ---- Socket Mode ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Learn the bot's own ids; with SLACK_APP_TOKEN, also take events over Socket Mode (same listeners)."""
        try:
            me = await asyncio.wait_for(self.client.auth_test(), SLACK_USERS_INFO_TIMEOUT_S * 3)
            self._bot_user_id, self._bot_id = me.get("user_id"), me.get("bot_id")
        except (SlackApiError, TimeoutError, OSError) as exc:  # our own bot posts are also skipped by bot_id
            log.warning("slack auth.test failed (%s); check SLACK_BOT_TOKEN", exc)
        if self._app_token is None:
            return
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._socket = AsyncSocketModeHandler(self.app, self._app_token, web_client=self.client)
        # Connecting happens in the background: an unreachable Slack must not stop the process from starting
        # (HTTP keeps working); slack_sdk reconnects by itself once a first connection stood.
        self._connecting = asyncio.create_task(self._connect_socket(), name="slack-socket-mode")

    async def _connect_socket(self) -> None:
        pause_s = SLACK_SOCKET_RETRY_MIN_S
        while True:
            try:
                await self._socket.connect_async()
                log.info("slack socket mode connected")
                return
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("slack socket mode: cannot connect (%s); trying again in %.0f s", exc, pause_s)
            await asyncio.sleep(pause_s)  # backoff between connection attempts, not a wait for work
            pause_s = min(pause_s * 2, SLACK_SOCKET_RETRY_MAX_S)

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
            self._connecting = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None

    def _authorizer(self) -> AsyncAuthorize:
        return _OurToken(self)

    # ---- listeners ------------------------------------------------------------------------------------------
    def _register(self) -> None:
        app = self.app
        app.command(_COMMAND_RE)(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.action(re.compile(r".*"))(self.on_action)
        app.view(REJECT_VIEW)(self.on_reject_reason)

    async def on_command(self, ack: AsyncAck, body: dict[str, Any]) -> BoltResponse | None:
        """Bolt's listener for slash commands: Socket Mode's (those over HTTP take handle()'s short way)."""
        answer = await self._command(body)
        if isinstance(answer, BoltResponse):
            return answer
        await ack(answer)
        return None

    async def _command(self, body: dict[str, Any]) -> BoltResponse | str:
        """A slash command stored: the words to acknowledge it with ("" for none), or a refusal."""
        user, channel = str(body.get("user_id", "")), str(body.get("channel_id", ""))
        trigger = str(body.get("trigger_id", ""))
        if not (_SLACK_ID_RE.fullmatch(user) and _SLACK_ID_RE.fullmatch(channel) and trigger):
            return bad_request("slash command without user_id, channel_id or trigger_id")
        origin = {"user": user, "via": "command"}
        if isinstance(body.get("response_url"), str) and response_url_allowed(body["response_url"], self._api_url):
            origin["response_url"] = body["response_url"]
        event = InboundEvent(platform=PLATFORM, event_id=f"cmd:{trigger}", kind="message", sender=user,
                             conversation=channel, text=str(body.get("text", "")), origin=origin,
                             received_at=self._clock.now())
        inbox_id = await self._accept(event)
        # Acked as soon as the event is durable, never after the work: the answer follows through the outbox and
        # the response_url. With a worker in this process it follows within moments, so the ack says nothing; a
        # web process alone tells the person it is on its way.
        if inbox_id is None or self._outcomes.worker_here():
            return ""
        return await self._working_text(user)

    async def on_mention(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        text = _MENTION_RE.sub("", str(event.get("text", "")), count=1)
        await self._message(body, event, text, thread_ts=str(event.get("thread_ts") or event.get("ts") or ""))
        await ack()

    async def on_message(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        # Direct messages only: in channels the bot answers when @mentioned (app_mention), and edits, joins and
        # bot posts (subtypes) are not commands.
        if event.get("channel_type") == "im" and event.get("subtype") in (None, FILE_SHARE) and not event.get("bot_id"):
            await self._message(body, event, str(event.get("text", "")), thread_ts="")
        await ack()

    async def _message(self, body: dict[str, Any], event: dict[str, Any], text: str, *, thread_ts: str) -> None:
        user, channel = str(event.get("user", "")), str(event.get("channel", ""))
        event_id = str(body.get("event_id", ""))
        if not (_SLACK_ID_RE.fullmatch(user) and _SLACK_ID_RE.fullmatch(channel) and event_id):
            log.warning("slack event without user, channel or event_id ignored")
            return
        origin = {"user": user, "via": "event"}
        if thread_ts:
            origin["thread_ts"] = thread_ts
        await self._accept(InboundEvent(platform=PLATFORM, event_id=f"ev:{event_id}", kind="message", sender=user,
                                        conversation=channel, text=text, origin=origin,
                                        received_at=self._clock.now(),
                                        files=shared_files(event.get("files"), self._api_url)))

    async def on_action(self, ack: AsyncAck, body: dict[str, Any]) -> BoltResponse | None:
        actions = body.get("actions")
        if not isinstance(actions, list) or len(actions) != 1 or not isinstance(actions[0], dict):
            return bad_request("block_actions must carry exactly one action")
        action = actions[0]
        action_id, value = str(action.get("action_id", "")), str(action.get("value", ""))
        if action_id not in ACTION_IDS:
            return bad_request(f"action_id {action_id[:40]!r} was never issued by pmsbot")
        if not (_ID_RE.fullmatch(value) or (action_id in TASK_BUTTONS and _TASK_KEY_RE.fullmatch(value))):
            return bad_request("button value is not an id pmsbot issued")
        user = str((body.get("user") or {}).get("id", ""))
        container = body.get("container") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id", ""))
        message_ts = str(container.get("message_ts", ""))
        if not (_SLACK_ID_RE.fullmatch(user) and _SLACK_ID_RE.fullmatch(channel) and _TS_RE.fullmatch(message_ts)):
            return bad_request("button click without user, channel or message")
        if action_id == "reject":
            # The reason comes from a modal; opening it needs the trigger_id, which lives 3 s.
            await self._open_reject_modal(str(body.get("trigger_id", "")), value, channel, message_ts,
                                          await self.people.locale(user))
            await ack()
            return None
        origin = {"user": user, "via": "action", "message_ts": message_ts}
        if isinstance(body.get("response_url"), str) and response_url_allowed(body["response_url"], self._api_url):
            origin["response_url"] = body["response_url"]
        # A double click sends two payloads for the same button: one event id, so it applies once.
        event = InboundEvent(platform=PLATFORM, event_id=f"act:{channel}:{message_ts}:{action_id}:{value}:{user}",
                             kind="action", sender=user, conversation=channel,
                             action={"id": action_id, "value": value}, origin=origin,
                             received_at=self._clock.now())
        await self._accept(event)
        await ack()
        return None

    async def on_reject_reason(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
                               ) -> BoltResponse | None:
        try:
            meta = json.loads(str(view.get("private_metadata", "")))
            approval_id, channel, message_ts = str(meta["id"]), str(meta["channel"]), str(meta["ts"])
        except (ValueError, KeyError, TypeError):
            return bad_request("reject form without the metadata pmsbot put in it")
        user = str((body.get("user") or {}).get("id", ""))
        if not (_ID_RE.fullmatch(approval_id) and _SLACK_ID_RE.fullmatch(channel) and _SLACK_ID_RE.fullmatch(user)
                and _TS_RE.fullmatch(message_ts)):
            return bad_request("reject form metadata is malformed")
        values = (view.get("state") or {}).get("values") or {}
        reason = str(((values.get(REASON_BLOCK) or {}).get(REASON_INPUT) or {}).get("value") or "").strip()
        if not reason:
            text = self._texts.text(await self.people.locale(user), "slack.reason_required")
            await ack(response_action="errors", errors={REASON_BLOCK: text})
            return None
        event = InboundEvent(platform=PLATFORM, event_id=f"view:{view.get('id', '')}:{approval_id}", kind="action",
                             sender=user, conversation=channel,
                             action={"id": "reject", "value": approval_id, "reason": reason[:MAX_REASON_CHARS]},
                             origin={"user": user, "via": "view", "message_ts": message_ts},
                             received_at=self._clock.now())
        await self._accept(event)
        await ack()
        return None

    # ---- helpers --------------------------------------------------------------------------------------------
    async def _accept(self, event: InboundEvent) -> int | None:
        """Match the sender, store the event durably. Returns the inbox id, None for a redelivery."""
        await self.people.match(event.sender)
        accepted = await self._intake.accept(event)
        return accepted.inbox_id

    async def _working_text(self, user: str) -> str:
        locale = await self.people.locale(user)
        text = self._working.get(locale)
        if text is None:
            text = self._working[locale] = self._texts.text(locale, "slack.working")
        return text

    async def _open_reject_modal(self, trigger_id: str, approval_id: str, channel: str, message_ts: str,
                                 locale: str) -> None:
        text = self._texts.catalogs[locale]["slack"]
        view = {
            "type": "modal", "callback_id": REJECT_VIEW,
            "title": {"type": "plain_text", "text": text["reject_title"][:24]},
            "submit": {"type": "plain_text", "text": text["reject_submit"][:24]},
            "close": {"type": "plain_text", "text": text["cancel"][:24]},
            "private_metadata": json.dumps({"id": approval_id, "channel": channel, "ts": message_ts}),
            "blocks": [{
                "type": "input", "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": text["reject_label"].format(id=approval_id)[:2000]},
                "element": {"type": "plain_text_input", "action_id": REASON_INPUT, "multiline": True,
                            "max_length": MAX_REASON_CHARS},
            }],
        }
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except (SlackApiError, OSError) as exc:  # the click is acked anyway; the person can click again
            log.warning("views.open for approval %s failed: %s", approval_id, exc)


def email_lookup(client: AsyncWebClient) -> EmailLookup:
    """How KnownPeople learns a Slack account's email: users.info, bounded (it runs on the ack path)."""
    async def email_of(user: str) -> str | None:
        try:
            response = await asyncio.wait_for(client.users_info(user=user), SLACK_USERS_INFO_TIMEOUT_S)
        except (SlackApiError, TimeoutError, OSError) as exc:
            log.info("users.info for %s: %s", user, exc)
            return None
        profile = ((response.data if isinstance(response.data, dict) else {}).get("user") or {}).get("profile") or {}
        email = profile.get("email")
        return email.strip() if isinstance(email, str) and "@" in email else None
    return email_of
