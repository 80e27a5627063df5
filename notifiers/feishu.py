"""The Feishu / Lark sender: interactive cards (JSON 2.0) through the IM v1 API, with a tenant token and limits.

Every message is a card with `update_multi: true`, so an approval card can later be PATCHed to show the decision
to everyone. Each send carries `uuid` = the outbox id: Feishu keeps one message per uuid for an hour, so a retry
after a crash between the send and our commit does not post twice. Limits kept before calling: 5 per second per
chat or person; per app 50 in any second and 1000 in any minute, each call counted until its answer; a 429 /
code 99991400 waits `x-ogw-ratelimit-reset`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import replace
from typing import Any

import httpx

from bot.config import Settings
from bot.constants import (
    FEISHU_APP_PER_MINUTE,
    FEISHU_APP_RATE_PER_S,
    FEISHU_BATCH_MAX,
    FEISHU_BATCH_WINDOW_S,
    FEISHU_CARD_MAX_BYTES,
    FEISHU_CHAT_BURST,
    FEISHU_CHAT_RATE_PER_S,
    FEISHU_CONTACT_TIMEOUT_S,
    FEISHU_DEFAULT_API_BASE,
    FEISHU_HTTP_TIMEOUT_S,
    FEISHU_TOKEN_REFRESH_BEFORE_S,
)
from bot.store.db import Database
from notifiers.base import Outgoing, PermanentSendError, Rendered, TransientSendError
from notifiers.batching import Gatherer
from notifiers.links import linked
from notifiers.openapi import Dialect, OpenApi, request_json
from notifiers.pacing import ChatPacer, within_window
from notifiers.render import Renderer
from notifiers.tokens import AccessToken

log = logging.getLogger("pmsbot.feishu.send")

RATE_LIMITED = 99991400
TOKEN_INVALID = frozenset({99991661, 99991663, 99991668})  # missing / invalid / expired tenant token
TRANSIENT_CODES = frozenset({RATE_LIMITED, 230020, 11232, 1, 230099})  # rate limits, busy, internal
_MESSAGE_ID_RE = re.compile(r"om_[A-Za-z0-9_-]{1,64}")  # what goes into /messages/{id}
SCOPE_MISSING = 99991672  # the app lacks a permission: no retry helps until an admin grants it
MAX_BUTTON_LABEL_CHARS = 40
BATCH_KINDS = frozenset({"standup_prompt"})  # the same words to many people, never updated
_OPEN_ID_RE = re.compile(r"ou_[A-Za-z0-9]{1,64}")  # a person's open_id, safe inside <at id=…>


async def probe(settings: Settings, renderer: Renderer) -> tuple[bool, str]:
    """`pmsbot check`: does the app get a tenant token from FEISHU_API_BASE? (ok, what was found)"""
    api = FeishuSender(None, settings, renderer)._api
    return await api.probe(f"app {settings.feishu_app_id} has a tenant token")


def lark_md(text: str) -> str:
    """lark_md control characters, escaped as Feishu documents: & < > (card text is not HTML otherwise), and
    `](` kept apart by a zero-width space, so a note like `[官方通知](https://…)` stays text, never a link (our own
    links are added after this, by `linked`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("](", "]\u200b(")


def card_for(renderer: Renderer, rendered: Rendered, texts: dict[str, str]) -> dict[str, Any]:
    """The message in the card of templates/feishu/card.json.j2, its text cut to keep the card within 30 KB."""
    buttons = [replace(b, label=b.label[:MAX_BUTTON_LABEL_CHARS] or b.id) for b in rendered.buttons]
    markdown = linked(lark_md(rendered.text), rendered.links, lambda key, url: f"[{key}]({url})")
    mentions = [f"<at id={m}></at>" for m in rendered.mentions if _OPEN_ID_RE.fullmatch(m)]
    if mentions:
        markdown += "\n" + " ".join(mentions)
    context = {"texts": texts, "buttons": buttons, "reject": any(b.id == "reject" for b in buttons)}
    card: dict[str, Any] = renderer.layout("feishu/card.json.j2", markdown=markdown, **context)
    size = len(json.dumps(card, ensure_ascii=False).encode())
    if size > FEISHU_CARD_MAX_BYTES:  # cut the text, keep the buttons
        overflow = size - FEISHU_CARD_MAX_BYTES + len(texts["truncated"].encode()) + 16
        cut = markdown.encode()[: max(0, len(markdown.encode()) - overflow)].decode("utf-8", "ignore")
        card = renderer.layout("feishu/card.json.j2", markdown=cut + "\n" + texts["truncated"], **context)
    return card


class FeishuSender:
    platform = "feishu"

    def __init__(self, db: Database | None, settings: Settings, renderer: Renderer, *,
                 chat_rate_per_s: float = FEISHU_CHAT_RATE_PER_S, chat_burst: float = FEISHU_CHAT_BURST,
                 app_rate_per_s: float = FEISHU_APP_RATE_PER_S, app_per_minute: int = FEISHU_APP_PER_MINUTE) -> None:
        assert settings.feishu_app_id and settings.feishu_app_secret
        self.base = (settings.feishu_api_base or FEISHU_DEFAULT_API_BASE).rstrip("/")
        self._app = (settings.feishu_app_id, settings.feishu_app_secret.get_secret_value())
        self.renderer = renderer
        self._api = OpenApi(FEISHU, AccessToken(self._fetch_token, refresh_before_s=FEISHU_TOKEN_REFRESH_BEFORE_S),
                            base_url=self.base, timeout_s=FEISHU_HTTP_TIMEOUT_S)
        # Two counts per app, either of which throttles: a second's and a minute's. Each call is counted until its
        # answer: the platform saw it before that, however late a busy process let it go (2.5 s measured between
        # a turn and its arrival with 4 processes per core), so no margin is needed for lateness; and at most 50
        # arrivals in any second is what Feishu's 50/s allows however it counts them (a bucket, a window).
        self._pacer = ChatPacer(chat_rate_per_s, chat_burst, (
            within_window(int(app_rate_per_s), 1.0, margin_s=0.0, until_answered=True),
            within_window(int(app_per_minute), 60.0, margin_s=0.0, until_answered=True)))
        self._gatherer = Gatherer(self._batch_send, window_s=FEISHU_BATCH_WINDOW_S, max_size=FEISHU_BATCH_MAX)

    @property
    def api(self) -> OpenApi:
        """The app's OpenAPI client and token, shared with its file downloads (notifiers/downloads.py)."""
        return self._api

    # ---- Sender ---------------------------------------------------------------------------------------------
    async def send(self, message: Outgoing) -> str:
        if (message.rendered.kind in BATCH_KINDS and message.target.startswith("ou_") and not message.card_ref
                and not message.rendered.buttons):
            return await self._send_batched(message)
        content = json.dumps(self._card(message), ensure_ascii=False)
        uid = f"pmsbot-{message.outbox_id}"
        origin = message.origin
        if (origin.get("chat_type") == "group" and _MESSAGE_ID_RE.fullmatch(origin.get("message_id") or "")
                and not message.card_ref):
            # An answer in a group goes in the thread of the message that asked, not into the main flow.
            data = await self._call("POST", f"/open-apis/im/v1/messages/{origin['message_id']}/reply",
                                    {"msg_type": "interactive", "content": content, "uuid": uid,
                                     "reply_in_thread": True}, message.target)
        else:
            id_type = "chat_id" if message.target.startswith("oc_") else "open_id"
            body = {"receive_id": message.target, "msg_type": "interactive", "content": content, "uuid": uid}
            data = await self._call("POST", f"/open-apis/im/v1/messages?receive_id_type={id_type}", body,
                                    message.target)
        message_id = (data.get("data") or {}).get("message_id")
        if not isinstance(message_id, str):
            raise PermanentSendError("feishu answered without a message_id")
        return message_id

    async def _send_batched(self, message: Outgoing) -> str:
        """The same prompt to many people: one batch_send per 200 of them (inside the app's 50/s however large
        the wave). Batch messages cannot be updated or deduplicated by uuid, so only plain prompts go this way."""
        return await self._gatherer.submit(message.rendered.text, message.target)

    async def _batch_send(self, text: str, open_ids: list[str]) -> dict[str, str | Exception]:
        data = await self._call("POST", "/open-apis/message/v4/batch_send/", {
            "open_ids": open_ids, "msg_type": "text", "content": {"text": text}}, "")
        result = data.get("data") or {}
        invalid = set(result.get("invalid_open_ids") or ())
        message_id = str(result.get("message_id", ""))
        return {o: PermanentSendError(f"feishu: {o} cannot receive messages from this app") if o in invalid
                else message_id for o in open_ids}

    async def update(self, message: Outgoing, message_id: str) -> None:
        if not _MESSAGE_ID_RE.fullmatch(message_id):  # it goes into a URL path: only what Feishu issues
            raise PermanentSendError(f"feishu: {message_id[:40]!r} is not a message id")
        body = {"content": json.dumps(self._card(message), ensure_ascii=False)}
        await self._call("PATCH", f"/open-apis/im/v1/messages/{message_id}", body, message.target)

    async def user_email(self, open_id: str) -> str | None:
        """The contact API's email for an open_id (needs contact:user.email:readonly); None when not shown.
        Bounded as a whole (token fetch included): it runs while Feishu waits for our answer."""
        try:
            return await asyncio.wait_for(self._user_email(open_id), FEISHU_CONTACT_TIMEOUT_S)
        except (httpx.HTTPError, ValueError, TimeoutError, TransientSendError, PermanentSendError) as exc:
            log.info("feishu contact lookup of %s failed: %s", open_id, exc)
            return None

    async def _user_email(self, open_id: str) -> str | None:
        token = await self._api.token.get()
        _, data = await request_json(self._api.client(), "GET", f"/open-apis/contact/v3/users/{open_id}",
                                     params={"user_id_type": "open_id"}, headers=FEISHU.auth(token),
                                     what="feishu contact")
        user = (data.get("data") or {}).get("user") or {}
        email = user.get("enterprise_email") or user.get("email")
        return email.strip() if isinstance(email, str) and "@" in email else None

    async def close(self) -> None:
        await self._gatherer.close()
        await self._api.close()

    def _card(self, message: Outgoing) -> dict[str, Any]:
        catalogs = self.renderer.catalogs
        return card_for(self.renderer, message.rendered, (catalogs.get(message.locale) or catalogs["en"])["feishu"])

    @property
    def open_api(self) -> OpenApi:
        """The app's OpenAPI client with its tenant token, for Feishu Approval (notifiers/approval_engines.py)."""
        return self._api

    # ---- HTTP -----------------------------------------------------------------------------------------------
    async def _fetch_token(self) -> tuple[str, float]:
        r, data = await request_json(self._api.client(), "POST", "/open-apis/auth/v3/tenant_access_token/internal",
                                     json={"app_id": self._app[0], "app_secret": self._app[1]}, what="feishu token")
        if r.status_code >= 500 or data.get("code") in TRANSIENT_CODES:
            raise TransientSendError(f"feishu token: HTTP {r.status_code} code {data.get('code')}")
        token = data.get("tenant_access_token")
        if data.get("code") != 0 or not isinstance(token, str):
            raise PermanentSendError(f"feishu token refused: code {data.get('code')} {data.get('msg', '')}"[:200])
        return token, float(data.get("expire", 7200))

    async def _call(self, method: str, path: str, body: dict[str, Any], target: str) -> dict[str, Any]:
        turn = await self._pacer.pace(target)
        try:
            return await self._api.call(method, path, body)
        finally:
            self._pacer.answered(turn)


def _missing_scopes(data: dict[str, Any]) -> str:
    """The scopes a 99991672 answer names (error.permission_violations[].subject), else its message."""
    error = data.get("error")
    violations = error.get("permission_violations") if isinstance(error, dict) else None
    subjects = [str(v.get("subject")) for v in violations or [] if isinstance(v, dict) and v.get("subject")]
    return ", ".join(subjects)[:200] if subjects else repr(str(data.get("msg", ""))[:160])


def _refusal(path: str, status: int, code: object, data: dict[str, Any]) -> str:
    if code == SCOPE_MISSING:
        return (f"feishu code {code}: the app lacks the permission {_missing_scopes(data)}: grant it in the "
                "developer console")
    return f"feishu code {code}: {str(data.get('msg', ''))[:160]}"


FEISHU = Dialect(platform="feishu", auth=lambda token: {"Authorization": f"Bearer {token}"},
                 code_of=lambda data: data.get("code"), token_refused=lambda status, code: code in TOKEN_INVALID,
                 throttled_codes=frozenset({RATE_LIMITED}), retry_after_header="x-ogw-ratelimit-reset",
                 retry_after_default_s=None, transient_codes=TRANSIENT_CODES,
                 accepted=lambda status, code: code == 0, refusal=_refusal)
