"""What a Slack request must be before bolt sees it: signed with the signing secret within the timestamp window
(on our clock), UTF-8, and of a shape bolt can parse; and where a request may point our answers (response_url).
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs, urlsplit

import slack_sdk.signature
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.clocks import Clock
from bot.constants import ATTACHMENTS_PER_MESSAGE
from bot.records import ChatFile
from bot.refusals import dig

log = logging.getLogger("pmsbot.slack")

_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")


class Signatures:
    """Slack's v0 request signature and its five-minute window, read from our injected clock."""

    def __init__(self, signing_secret: str | None, clock: Clock) -> None:
        # Without a signing secret (Socket Mode only) every HTTP request is refused.
        self._verifier = SignatureVerifier(signing_secret, clock=_VerifierClock(clock)) if signing_secret else None

    def genuine(self, raw: bytes, timestamp: str, signature: str) -> bool:
        # slack_sdk's verifier raises on a timestamp that is not a number, and on a signature that is not ASCII
        # (hmac.compare_digest refuses non-ASCII str): check both first.
        return self._verifier is not None and bool(_TIMESTAMP_RE.fullmatch(timestamp)) and signature.isascii() \
            and self._verifier.is_valid(raw, timestamp, signature)


class _VerifierClock(slack_sdk.signature.Clock):
    """slack_sdk's timestamp window, read from our injected Clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.timestamp()


def bad_request(reason: str) -> BoltResponse:
    log.warning("slack request refused: %s", reason)
    return BoltResponse(status=400, body=json.dumps({"error": reason}),
                        headers={"content-type": "application/json"})


def shape_problem(body: str, content_type: str) -> str | None:
    """What is wrong with a signed body's shape, or None. Slack sends JSON events or a form."""
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # a body nested thousands deep is not JSON we take
            return "body is not valid JSON"
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return "event body must be a JSON object with a type"
        for key in ("team_id", "enterprise_id", "api_app_id", "token", "user_id", "event_id"):
            if not isinstance(data.get(key), str | None):  # bolt keys its authorize step on these
                return f"{key} must be a string"
        if not isinstance(data.get("authorizations"), list | None):
            return "authorizations must be a list"
        if data["type"] == "event_callback":
            event = data.get("event")
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                return "event_callback without an event object with a type"
            # bolt's matchers read these before any handler of ours runs: a list there would be a 500.
            for key in ("subtype", "text", "channel", "user", "channel_type", "bot_id", "ts", "thread_ts"):
                if not isinstance(event.get(key), str | None):
                    return f"event.{key} must be a string"
        return None
    if not body.startswith("payload="):
        # A slash command or ssl_check: flat form fields, which bolt parses safely itself.
        return None if "command=" in body or "ssl_check=" in body else "not a Slack event, command or interaction"
    form = parse_qs(body, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except (ValueError, RecursionError):
            return "payload is not valid JSON"
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return "payload must be a JSON object with a type"
        for key in ("user", "container", "channel", "view", "team", "enterprise"):
            if key in payload and not isinstance(payload[key], dict | None):
                return f"payload.{key} must be an object"
            if not isinstance(dig(payload, key, "id"), str | None):
                return f"payload.{key}.id must be a string"
        for key in ("team_id", "enterprise_id", "api_app_id", "token", "user_id", "trigger_id"):
            if not isinstance(payload.get(key), str | None):
                return f"payload.{key} must be a string"
        actions = payload.get("actions")
        if "actions" in payload and not (isinstance(actions, list) and all(isinstance(a, dict) for a in actions)):
            return "payload.actions must be a list of objects"
        if payload["type"] in ("block_actions", "interactive_message"):
            if not actions:
                return "payload.actions is empty"  # bolt reads actions[0] before any handler of ours runs
            if not (isinstance(actions[0].get("action_id"), str) and isinstance(actions[0].get("block_id"), str | None)):
                return "payload.actions[0] needs a string action_id"
        view = payload.get("view")
        if payload["type"] in ("view_submission", "view_closed") and not (
                isinstance(view, dict) and isinstance(view.get("callback_id"), str)):
            return "payload.view needs a string callback_id"
        if not isinstance(payload.get("callback_id"), str | None):
            return "payload.callback_id must be a string"
        return None
    return "not a Slack event, command or interaction"


def response_url_allowed(url: str, api_url: str | None) -> bool:
    """Slack's response_urls are on https://hooks.slack.com/; a request naming any other address (a test's fake
    Slack aside, on SLACK_API_URL's host) does not get us to POST there."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname == "hooks.slack.com" and parts.port in (None, 443):
        return True
    if api_url:
        api = urlsplit(api_url)
        return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)
    return False


# A message with files comes as `message` with subtype `file_share` and a `files` list (each with `name`, `size`,
# `url_private_download`), read with the bot token and the `files:read` scope:
# https://docs.slack.dev/tools/node-slack-sdk/reference/types/interfaces/FileShareMessageEvent,
# https://medium.com/slack-developer-blog/important-changes-to-files-in-the-web-api-eb38f2a9c1e7
# ("url_private and url_private_download … require an authorization header").
FILE_SHARE = "file_share"


def file_url_allowed(url: str, api_url: str | None) -> bool:
    """Our bot token goes only to Slack's file host (https://files.slack.com/), or to SLACK_API_URL's host (a
    test's fake Slack): a file entry naming any other address is dropped, never fetched."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname == "files.slack.com" and parts.port in (None, 443):
        return True
    if api_url:
        api = urlsplit(api_url)
        return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)
    return False


def shared_files(files: object, api_url: str | None) -> tuple[ChatFile, ...]:
    """The files of a message event we may fetch, up to the per-message limit (the rest come as `too_many`)."""
    if not isinstance(files, list):
        return ()
    out: list[ChatFile] = []
    for f in files[:ATTACHMENTS_PER_MESSAGE + 1]:
        if not isinstance(f, dict):
            continue
        url = f.get("url_private_download") or f.get("url_private")
        if not isinstance(url, str) or len(url) > 2000 or not file_url_allowed(url, api_url):
            log.warning("slack file entry without a Slack file URL ignored")
            continue
        size = f.get("size")
        out.append(ChatFile(ref=url, name=str(f.get("name") or f.get("title") or "")[:300],
                            size_bytes=size if isinstance(size, int) and size >= 0 else None))
    return tuple(out)
