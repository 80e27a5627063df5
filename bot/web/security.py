"""What every web page shares for safety: the server's key, signed expiring links, admin sessions in signed
cookies, CSRF tokens, and the response headers.

The key is PMSBOT_SECRET_KEY, or one generated once and kept in the database, so every web process signs and
checks alike. Each use derives its own key from it (a field-report link can never pass as a session cookie).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.clocks import SYSTEM_CLOCK, Clock

SESSION_COOKIE = "pmsbot_admin"
SESSION_TTL_S = 8 * 3600
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


@dataclass(frozen=True, kw_only=True)
class Session:
    who: str  # "token" (logged in with PMSBOT_ADMIN_TOKEN) or the admin's person id (a one-time link)
    csrf: str
    expires_at_s: int
    sid: str = ""  # the cookie's nonce: what a logout revokes, server-side
    bound: str = ""  # a token session: a fingerprint of the admin token it was opened with


class Sessions:
    """Admin sessions in a signed cookie (HttpOnly, SameSite=Strict, Secure behind https) carrying the CSRF
    token that every form must send back."""

    def __init__(self, key: bytes, *, secure: bool, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._signer = Signer(key, "admin session", clock=clock)
        self._secure = secure

    def start(self, response: web.StreamResponse, who: str, *, bound: str = "") -> Session:
        session = Session(who=who, csrf=secrets.token_urlsafe(24), expires_at_s=int(self._clock.timestamp() + SESSION_TTL_S),
                          bound=bound)
        token = self._signer.make({"w": who, "c": session.csrf, "b": bound}, ttl_s=SESSION_TTL_S)
        response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_TTL_S, httponly=True, samesite="Strict",
                            secure=self._secure, path="/")
        return session

    def of(self, request: web.Request) -> Session | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        try:
            data = self._signer.read(token)
        except BadToken:
            return None
        return Session(who=str(data.get("w", "")), csrf=str(data.get("c", "")), expires_at_s=int(data["x"]),
                       sid=str(data["n"]), bound=str(data.get("b", "")))

    @staticmethod
    def end(response: web.StreamResponse) -> None:
        response.del_cookie(SESSION_COOKIE, path="/")


def csrf_ok(session: Session | None, sent: object) -> bool:
    return session is not None and isinstance(sent, str) and bool(sent) and hmac.compare_digest(
        sent.encode(), session.csrf.encode())


PAGE_HEADERS = {
    "Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Pages work without JavaScript; images only from us (photos, charts, QR codes) and data: for inline SVG.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def token_equal(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())
