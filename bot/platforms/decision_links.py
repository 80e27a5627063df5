"""Personal decision links: a button that is a URL (DingTalk's action cards cannot call back) made safe.

A link names one decision (verb and object), the one account allowed to make it, an expiry and a nonce, and is
signed with HMAC-SHA256 under a key derived from the platform's app secret. The page it opens asks for a
confirmation (a link preview or a virus scanner fetching it must not decide anything); the POST goes through the
inbox with the nonce as its event id, so a link is used once however often it is posted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,600}\.[A-Za-z0-9_-]{43}")
_VALUE_RE = re.compile(r"[0-9]{1,9}")


class BadLink(Exception):
    """Altered, expired or not ours: the page says so, nothing is applied."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


@dataclass(frozen=True, kw_only=True)
class Decision:
    verb: str  # a button id: approve, reject, ack, snooze
    value: str  # what the button carries: the approval or alert id
    account: str  # the only platform account this link acts for
    expires_at_s: float  # epoch seconds
    nonce: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, app_secret: str, *, purpose: str) -> None:
        # A key of its own, so a link signature can never be mistaken for any other use of the app secret.
        self._key = hmac.new(app_secret.encode(), f"pmsbot decision links: {purpose}".encode(), hashlib.sha256).digest()

    def make(self, *, verb: str, value: str, account: str, ttl_s: float, now_s: float | None = None) -> str:
        now_s = time.time() if now_s is None else now_s
        body = json.dumps({"v": verb, "i": value, "u": account, "x": int(now_s + ttl_s), "n": secrets.token_hex(8)},
                          separators=(",", ":")).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def read(self, token: str, *, allowed_verbs: tuple[str, ...], now_s: float | None = None) -> Decision:
        if not _TOKEN_RE.fullmatch(token):
            raise BadLink("not a decision link")
        body_part, _, sig_part = token.partition(".")
        try:
            body, sig = _unb64(body_part), _unb64(sig_part)
        except (binascii.Error, ValueError) as exc:
            raise BadLink("not a decision link") from exc
        if not hmac.compare_digest(sig, self._sign(body)):
            raise BadLink("the link's signature does not match")
        try:
            data = json.loads(body)
            decision = Decision(verb=str(data["v"]), value=str(data["i"]), account=str(data["u"]),
                                expires_at_s=float(data["x"]), nonce=str(data["n"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BadLink("the link's content is malformed") from exc
        if decision.verb not in allowed_verbs or not _VALUE_RE.fullmatch(decision.value):
            raise BadLink("the link names no decision we issue")
        if (time.time() if now_s is None else now_s) > decision.expires_at_s:
            raise BadLink("the link has expired", expired=True)
        return decision

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()
