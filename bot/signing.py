"""Signed expiring tokens: `<payload>.<HMAC>` for one purpose, carrying a dict, an expiry and a nonce.

Web links, admin sessions and the platforms' personal decision links are all such tokens, each under a key of its
own derived from the server's (or an app's) secret, so a token made for one use never passes for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from bot.clocks import SYSTEM_CLOCK, Clock

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{43}")


class BadToken(Exception):
    """Altered, expired, or not for this use: the page says so (403)."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Tokens `<payload>.<HMAC>` for one purpose: a dict, an expiry (`x`, epoch seconds) and a nonce (`n`)."""

    def __init__(self, key: bytes, purpose: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._key = hmac.new(key, f"pmsbot web: {purpose}".encode(), hashlib.sha256).digest()

    def make(self, data: dict[str, Any], *, ttl_s: float, now_s: float | None = None) -> str:
        now_s = self._clock.timestamp() if now_s is None else now_s
        body = json.dumps({**data, "x": int(now_s + ttl_s), "n": secrets.token_hex(8)}, separators=(",", ":"),
                          ensure_ascii=False).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def read(self, token: str, *, now_s: float | None = None) -> dict[str, Any]:
        if not _TOKEN_RE.fullmatch(token):
            raise BadToken("not a link of ours")
        body_part, _, sig_part = token.partition(".")
        try:
            body, sig = _unb64(body_part), _unb64(sig_part)
        except (binascii.Error, ValueError) as exc:
            raise BadToken("not a link of ours") from exc
        if not hmac.compare_digest(sig, self._sign(body)):
            raise BadToken("the signature does not match: the link was altered")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise BadToken("the link's content is malformed") from exc
        if not isinstance(data, dict) or not isinstance(data.get("x"), int) or not isinstance(data.get("n"), str):
            raise BadToken("the link's content is malformed")
        if (self._clock.timestamp() if now_s is None else now_s) > data["x"]:
            raise BadToken("the link has expired", expired=True)
        return data

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's sign, for its custom robot (we send) and its callbacks (we check): base64(HMAC-SHA256(key=secret,
    "timestamp\\nsecret"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
