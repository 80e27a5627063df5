"""What every web page shares for safety: the server's key, signed expiring links, admin sessions in signed
cookies, CSRF tokens, and the response headers.

The key is PMSBOT_SECRET_KEY, or one generated once and kept in the database, so every web process signs and
checks alike. Each use derives its own key from it (a field-report link can never pass as a session cookie).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from aiohttp import web

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.signing import BadToken, Signer

SESSION_COOKIE = "pmsbot_admin"
SESSION_TTL_S = 8 * 3600
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
