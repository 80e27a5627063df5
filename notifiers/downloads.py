"""Fetching the files people send with a message, from each platform with the auth it requires. Called by the
worker (bot/dispatch/files.py), never on the ack path. Every read stops at the size limit as the bytes stream
in, so a file larger than declared costs at most the limit.

Slack: GET the file's url_private_download with the bot token (scope files:read), only on Slack's file host
(bot/platforms/slack_checks.file_url_allowed):
https://medium.com/slack-developer-blog/important-changes-to-files-in-the-web-api-eb38f2a9c1e7
Feishu: GET /open-apis/im/v1/messages/{message_id}/resources/{file_key}?type=image|file with the tenant token:
https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message-resource/get
DingTalk: POST /v1.0/robot/messageFiles/download {downloadCode, robotCode} with x-acs-dingtalk-access-token
answers {downloadUrl}, a temporary link read without a token:
https://help.dingtalk.io/open/development/download-the-file-content-of-the-robot-receiving-message
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from bot.constants import ATTACHMENT_DOWNLOAD_TIMEOUT_S
from notifiers.base import PermanentSendError, Sender, TransientSendError
from notifiers.openapi import OpenApi

log = logging.getLogger("pmsbot.files")

_CHUNK_BYTES = 64 * 1024


class DownloadFailed(Exception):
    """The platform did not hand the file over (refused, gone, unreachable, not a file)."""


class TooBig(Exception):
    """The file is larger than the limit: reading stopped there."""


class FileSource(Protocol):
    """One platform's files: the bytes of a file a message carried (ChatFile.ref), at most `max_bytes`."""

    async def fetch(self, ref: str, *, max_bytes: int) -> bytes: ...


async def read_capped(client: httpx.AsyncClient, method: str, url: str, *, max_bytes: int,
                      **kwargs: Any) -> bytes:
    """The body of a 200 answer, read in chunks and abandoned past `max_bytes`. A JSON or HTML answer is the
    platform saying no (an error object, a login page), not the file."""
    try:
        async with client.stream(method, url, **kwargs) as r:
            kind = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if r.status_code != 200 or kind in ("application/json", "text/html"):
                body = (await r.aread())[:300] if kind == "application/json" else b""
                raise DownloadFailed(f"HTTP {r.status_code} {kind} {body.decode('utf-8', 'replace')}")
            declared = r.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise TooBig(declared)
            data = bytearray()
            async for chunk in r.aiter_bytes(_CHUNK_BYTES):
                data += chunk
                if len(data) > max_bytes:
                    raise TooBig(str(len(data)))
            return bytes(data)
    except httpx.HTTPError as exc:
        raise DownloadFailed(f"{type(exc).__name__}: {exc}") from exc


class SlackFiles:
    def __init__(self, token: str) -> None:
        self._token = token
        self._http: httpx.AsyncClient | None = None

    async def fetch(self, ref: str, *, max_bytes: int) -> bytes:
        if self._http is None:  # made inside the event loop that uses it; redirects are not followed with our token
            self._http = httpx.AsyncClient(timeout=ATTACHMENT_DOWNLOAD_TIMEOUT_S, follow_redirects=False)
        return await read_capped(self._http, "GET", ref, max_bytes=max_bytes,
                                 headers={"Authorization": f"Bearer {self._token}"})


class FeishuFiles:
    def __init__(self, api: OpenApi) -> None:
        self._api = api

    async def fetch(self, ref: str, *, max_bytes: int) -> bytes:
        message_id, key, kind = ref.split("/")  # made by bot/platforms/feishu.message_files, checked there
        token = await _token(self._api)
        try:
            return await self._get(token, message_id, key, kind, max_bytes)
        except DownloadFailed as exc:
            from notifiers.feishu import TOKEN_INVALID

            if not any(str(code) in str(exc) for code in TOKEN_INVALID):
                raise
        token = await _token(self._api, stale=token)  # expired early or revoked: once more with a new one
        return await self._get(token, message_id, key, kind, max_bytes)

    async def _get(self, token: str, message_id: str, key: str, kind: str, max_bytes: int) -> bytes:
        return await read_capped(self._api.client(), "GET", f"/open-apis/im/v1/messages/{message_id}/resources/{key}",
                                 max_bytes=max_bytes, params={"type": kind}, headers=self._api.dialect.auth(token))


class DingTalkFiles:
    def __init__(self, api: OpenApi, robot_code: str) -> None:
        self._api = api
        self._robot_code = robot_code

    async def fetch(self, ref: str, *, max_bytes: int) -> bytes:
        try:
            data = await self._api.call("POST", "/v1.0/robot/messageFiles/download",
                                        {"downloadCode": ref, "robotCode": self._robot_code})
        except (TransientSendError, PermanentSendError) as exc:
            raise DownloadFailed(str(exc)) from exc
        url = data.get("downloadUrl")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise DownloadFailed("messageFiles/download answered without a downloadUrl")
        return await read_capped(self._api.client(), "GET", url, max_bytes=max_bytes)


async def _token(api: OpenApi, stale: str | None = None) -> str:
    try:
        return await api.token.get(stale=stale)
    except (TransientSendError, PermanentSendError) as exc:
        raise DownloadFailed(f"no access token: {exc}") from exc


# Each platform's sender module is imported only when that platform has a sender (notifiers/registry.py).
def _slack(sender: Sender) -> FileSource | None:
    from notifiers.slack import SlackSender

    token = sender.client.token if isinstance(sender, SlackSender) else None
    return SlackFiles(token) if token else None


def _feishu(sender: Sender) -> FileSource | None:
    from notifiers.feishu import FeishuSender

    return FeishuFiles(sender.api) if isinstance(sender, FeishuSender) else None


def _dingtalk(sender: Sender) -> FileSource | None:
    from notifiers.dingtalk import DingTalkSender

    return DingTalkFiles(sender.api, sender.robot_code) if isinstance(sender, DingTalkSender) else None


# One line per platform whose people can send files: its source, made from its sender (sharing its token).
SOURCES: dict[str, Callable[[Sender], FileSource | None]] = {
    "slack": _slack,
    "feishu": _feishu,
    "dingtalk": _dingtalk,
}


def file_sources(senders: Mapping[str, Sender]) -> dict[str, FileSource]:
    found = {p: SOURCES[p](s) for p, s in senders.items() if p in SOURCES}
    return {p: source for p, source in found.items() if source is not None}
