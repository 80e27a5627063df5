"""Webhook sources declared under `sources:` (MES, ERP, HR ...): POST /hooks/{name}.

Each request is checked against the source's authentication (HMAC of the body, optionally with a timestamp
in a window; or a token in `Authorization: Bearer` or the URL; an IP allow-list on top), must be a JSON
object, and is stored in the inbox under its dedupe key (the source's `dedupe` template, else the body's
hash): a replayed delivery is acknowledged and not applied again. The rules run in the worker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from datetime import datetime

from aiohttp import web

from bot.config import SourceConfig
from bot.constants import HOOK_PLATFORM_PREFIX
from bot.mapping.rules import RuleError, RuleSet
from bot.records import InboundEvent
from bot.refusals import Refused, json_object
from bot.text import short_key


def hmac_digest(secret: str, message: bytes, encoding: str) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode() if encoding == "base64" else digest.hex()


class ConfiguredSource:
    def __init__(self, config: SourceConfig) -> None:
        self.config = config
        self.name = config.name
        self.rules = RuleSet(config)

    def enabled(self) -> bool:
        return self.config.kind == "webhook"

    def _check_ip(self, request: web.Request) -> None:
        auth = self.config.auth
        if auth is None or not auth.allow_ips:
            return
        try:
            peer = ipaddress.ip_address(request.remote or "")
        except ValueError:
            raise Refused(403, "the request's address is not in the source's allow_ips") from None
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped  # a dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d
        if not any(peer in network for network in auth.allow_ips):
            raise Refused(403, "the request's address is not in the source's allow_ips")

    def _check_auth(self, request: web.Request, raw: bytes, token: str | None, now: datetime) -> None:
        auth = self.config.auth
        assert auth is not None
        if auth.token is not None:
            expected = auth.token.get_secret_value().encode()
            given = token or request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not given or not hmac.compare_digest(given.encode(), expected):
                raise Refused(401, "the token is missing or wrong (Authorization: Bearer <token>, or /hooks/"
                                   f"{self.name}/<token>)")
        elif token is not None:
            raise Refused(404, "no such hook")
        if auth.hmac is not None:
            h = auth.hmac
            message = raw
            if h.timestamp_header:
                stamp = request.headers.get(h.timestamp_header, "").strip()
                if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 16:
                    raise Refused(401, f"{h.timestamp_header} is missing or not a Unix time")
                seconds = int(stamp) / 1000 if len(stamp) >= 13 else int(stamp)  # milliseconds or seconds
                if abs(now.timestamp() - seconds) > h.window_s:
                    raise Refused(401, f"{h.timestamp_header} is outside the {h.window_s} s window")
                message = stamp.encode() + b"." + raw
            signature = request.headers.get(h.header, "")
            wanted = h.prefix + hmac_digest(h.secret.get_secret_value(), message, h.encoding)
            if not hmac.compare_digest(signature.encode(), wanted.encode()):
                raise Refused(401, f"{h.header} is missing or does not match")

    async def event(self, request: web.Request, raw: bytes, token: str | None, *, now: datetime
                    ) -> InboundEvent | None:
        self._check_ip(request)
        self._check_auth(request, raw, token, now)
        if b"\\u0000" in raw:
            raise Refused(400, "the body holds a NUL character (\\u0000)")
        payload = json_object(raw, "the body")
        try:
            key = self.rules.dedupe_key({"payload": payload})
        except RuleError as exc:
            raise Refused(400, f"the dedupe key could not be computed: {exc}") from exc
        if self.rules.has_dedupe and (not key or key == "None"):
            raise Refused(400, "the dedupe key is empty (the field the source's `dedupe` names is missing or null)")
        event_id = f"key:{short_key(key)}" if key else "sha256:" + hashlib.sha256(raw).hexdigest()
        return InboundEvent(platform=HOOK_PLATFORM_PREFIX + self.name, event_id=event_id, kind="hook",
                            sender=self.name, conversation="",
                            text=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                            received_at=now)
