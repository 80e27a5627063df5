"""The Slack sender: chat.postMessage / chat.update / chat.postEphemeral / response_url, within Slack's limits.

Ordering within a channel is the outbox's (one message per conversation in flight); this sender keeps to
Slack's published rate limits before it calls (about one message per second per channel with short bursts;
per workspace, chat.postMessage's "several hundred messages per minute" and the tiers of chat.update and
chat.postEphemeral: see bot/constants.py), and turns Slack's answers into retry-later or give-up for the outbox,
which owns retries: slack_sdk itself retries nothing on 429.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.constants import (
    SLACK_CHANNEL_BURST,
    SLACK_CHANNEL_RATE_PER_S,
    SLACK_DM_CACHE_MAX,
    SLACK_EPHEMERAL_PER_MINUTE,
    SLACK_HTTP_TIMEOUT_S,
    SLACK_UPDATE_PER_MINUTE,
    SLACK_WORKSPACE_PER_MINUTE,
)
from bot.store.db import Database
from notifiers.base import Outgoing, PermanentSendError, TransientSendError
from notifiers.pacing import Limiter, TokenBucket, wait_turn, within, within_window
from notifiers.render import Renderer
from notifiers.slack_blocks import blocks_for, fallback_text

log = logging.getLogger("pmsbot.slack.send")

# Errors that go away by themselves; every other `ok: false` is a permanent refusal of this message.
TRANSIENT_ERRORS = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "team_added_to_org"})
# Kinds posted as a headline in the channel with the details in its thread.
THREADED_KINDS = frozenset({"standup_summary"})
# A card that can no longer be edited is posted again instead (the decision must reach everyone).
REPOST_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


def client_for(token: str | None, api_url: str | None) -> AsyncWebClient:
    """slack_sdk's client; `api_url` (SLACK_API_URL) points it at a staging or fake Slack."""
    if api_url:
        return AsyncWebClient(token=token, base_url=api_url.rstrip("/") + "/")
    return AsyncWebClient(token=token)


async def probe(settings: Settings) -> tuple[bool, str]:
    """`pmsbot check`: does the bot token work against SLACK_API_URL? (ok, what was found)"""
    assert settings.slack_bot_token is not None
    client = client_for(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    try:
        me = await asyncio.wait_for(client.auth_test(), SLACK_HTTP_TIMEOUT_S)
    except SlackApiError as exc:
        return False, f"auth.test refused the bot token: {exc.response.get('error', exc.response.status_code)}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return False, f"{client.base_url} unreachable: {type(exc).__name__}: {exc}"
    return True, f"bot {me.get('user')} ({me.get('user_id')}) in team {me.get('team')} ({me.get('team_id')})"


class SlackSender:
    platform = "slack"

    def __init__(self, db: Database, settings: Settings, renderer: Renderer, *, client: AsyncWebClient | None = None,
                 channel_rate_per_s: float = SLACK_CHANNEL_RATE_PER_S, channel_burst: float = SLACK_CHANNEL_BURST,
                 workspace_per_minute: Mapping[str, int] | None = None) -> None:
        """`workspace_per_minute`: each chat.* method's budget across the workspace (default: Slack's published
        ones); a method not named has none beyond its channel's."""
        assert settings.slack_bot_token is not None
        self.client = client or client_for(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
        self.client.timeout = int(SLACK_HTTP_TIMEOUT_S)
        self.public_url = settings.pmsbot_public_url
        self.renderer = renderer
        self._channel_rate = (channel_rate_per_s, channel_burst)
        self._channels: dict[str, TokenBucket] = {}
        budgets = workspace_per_minute if workspace_per_minute is not None else {
            "chat.postMessage": SLACK_WORKSPACE_PER_MINUTE, "chat.update": SLACK_UPDATE_PER_MINUTE,
            "chat.postEphemeral": SLACK_EPHEMERAL_PER_MINUTE}
        self._workspace: dict[str, Limiter] = {method: within_window(n, 60.0) for method, n in budgets.items()}
        self._dm: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._session: aiohttp.ClientSession | None = None
        self._parents: dict[int, str] = {}  # outbox id -> headline posted, thread reply not yet

    # ---- Sender ---------------------------------------------------------------------------------------------
    async def send(self, message: Outgoing) -> str:
        r = message.rendered
        origin = message.origin
        blocks = self._blocks(message)
        text = fallback_text(r.text)
        # An answer to a slash command or a button goes back through its response_url: it works in channels the
        # bot is not in. Cards that change later need a ts, which only chat.postMessage gives.
        response_url = origin.get("response_url")
        if response_url and not message.card_ref:
            body = {"text": text, "blocks": blocks, "replace_original": False,
                    "response_type": "ephemeral" if r.kind == "error" else "in_channel"}
            if await self._respond(response_url, body):
                return ""
        channel = await self._channel_of(message.target)
        user = origin.get("user")
        if r.kind == "error" and user and not channel.startswith("D"):
            # An error concerns one person: in a channel, only they see it.
            await self._call(channel, "chat.postEphemeral", {"channel": channel, "user": user, "text": text, "blocks": blocks})
            return ""
        if r.kind in THREADED_KINDS and "\n" in r.text:
            return await self._send_threaded(message, channel)
        args: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks}
        if origin.get("thread_ts"):
            args["thread_ts"] = origin["thread_ts"]
        data = await self._call(channel, "chat.postMessage", args)
        return f"{data.get('channel', channel)}|{data['ts']}"

    async def _send_threaded(self, message: Outgoing, channel: str) -> str:
        """The headline in the channel, the details in its thread: a summary does not flood the channel."""
        headline, _, details = message.rendered.text.partition("\n")
        parent_id = self._parents.get(message.outbox_id)
        if parent_id is None:  # a retry after the thread reply failed does not post the headline again
            head = Outgoing(outbox_id=message.outbox_id, platform=message.platform, target=message.target,
                            card_ref=None, locale=message.locale, rendered=replace(message.rendered, text=headline))
            data = await self._call(channel, "chat.postMessage", {
                "channel": channel, "text": fallback_text(headline), "blocks": self._blocks(head)})
            parent_id = self._parents[message.outbox_id] = f"{data.get('channel', channel)}|{data['ts']}"
        body = Outgoing(outbox_id=message.outbox_id, platform=message.platform, target=message.target, card_ref=None,
                        locale=message.locale, rendered=replace(message.rendered, text=details, buttons=()))
        await self._call(channel, "chat.postMessage", {
            "channel": channel, "text": fallback_text(details), "blocks": self._blocks(body),
            "thread_ts": parent_id.partition("|")[2]})
        del self._parents[message.outbox_id]
        return parent_id

    async def update(self, message: Outgoing, message_id: str) -> None:
        channel, _, ts = message_id.partition("|")
        if not channel or not ts:
            raise PermanentSendError(f"slack message id {message_id[:40]!r} is not channel|ts")
        r = message.rendered
        blocks = self._blocks(message)
        try:
            await self._call(channel, "chat.update",
                             {"channel": channel, "ts": ts, "text": fallback_text(r.text), "blocks": blocks})
        except PermanentSendError as exc:
            if str(exc) not in REPOST_ERRORS:
                raise
            log.info("card %s in %s cannot be edited (%s); posting it again", ts, channel, exc)
            await self._call(channel, "chat.postMessage",
                             {"channel": channel, "text": fallback_text(r.text), "blocks": blocks})

    def _blocks(self, message: Outgoing) -> list[dict[str, Any]]:
        catalogs = self.renderer.catalogs
        return blocks_for(self.renderer, message.rendered, (catalogs.get(message.locale) or catalogs["en"])["slack"],
                          self.public_url)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    # ---- calls ----------------------------------------------------------------------------------------------
    async def _channel_of(self, target: str) -> str:
        """A person's target is their user id: their DM channel comes from conversations.open (cached)."""
        if not target.startswith(("U", "W")):
            return target
        if target in self._dm:
            self._dm.move_to_end(target)
            return self._dm[target]
        data = await self._call("", "conversations.open", {"users": target})
        channel = str((data.get("channel") or {}).get("id", ""))
        if not channel:
            raise PermanentSendError(f"conversations.open gave no channel for {target}")
        self._dm[target] = channel
        if len(self._dm) > SLACK_DM_CACHE_MAX:
            self._dm.popitem(last=False)
        return channel

    def _http(self) -> aiohttp.ClientSession:
        # One session for all calls (slack_sdk otherwise opens a connection per call); made inside the loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_HTTP_TIMEOUT_S))
            self.client.session = self._session
        return self._session

    async def _call(self, channel: str, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """One Web API call; chat.* methods paced by `channel`'s bucket, then by the method's workspace budget (the
        channel's turn first: a workspace turn taken now but spent when the channel allows would be counted at the
        wrong moment, and the calls would arrive bunched). A turn beyond PACING_MAX_LOCAL_WAIT_S: Deferred."""
        self._http()
        bucket = None
        if method.startswith("chat."):
            bucket = self._channels.get(channel)
            if bucket is None:
                bucket = self._channels[channel] = within(*self._channel_rate)
            workspace = self._workspace.get(method)
            await wait_turn(bucket, *((workspace,) if workspace is not None else ()))
        try:
            response = await self.client.api_call(method, json=args)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = str(exc.response.get("error", "") or f"http_{status}")
            if status == 429 or error in TRANSIENT_ERRORS or status >= 500:
                retry_after = _retry_after(exc.response.headers)
                if status == 429 and bucket is not None and retry_after:
                    bucket.blocked_until = time.monotonic() + retry_after
                raise TransientSendError(f"slack {method}: {error}", retry_after_s=retry_after) from None
            raise PermanentSendError(error) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TransientSendError(f"slack {method}: {type(exc).__name__}: {exc}") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def _respond(self, url: str, body: dict[str, Any]) -> bool:
        """POST to a response_url; False when it is used up or expired (5 uses within 30 minutes)."""
        try:
            async with self._http().post(url, json=body) as resp:
                if resp.status == 200:
                    return True
                if resp.status == 429 or resp.status >= 500:
                    raise TransientSendError(f"response_url: HTTP {resp.status}",
                                             retry_after_s=_retry_after(resp.headers))
                log.info("response_url refused (HTTP %s: %s); posting instead", resp.status,
                         (await resp.text())[:100])
                return False
        except aiohttp.ClientError as exc:
            raise TransientSendError(f"response_url: {type(exc).__name__}: {exc}") from None


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


