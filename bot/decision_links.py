"""Personal decision links: a button that is a URL (DingTalk's action cards cannot call back) made safe.

A link names one decision (verb and object), the one account allowed to make it, an expiry and a nonce, and is
signed with HMAC-SHA256 under a key derived from the platform's app secret. The page it opens asks for a
confirmation (a link preview or a virus scanner fetching it must not decide anything); the POST goes through the
inbox with the nonce as its event id, so a link is used once however often it is posted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.signing import BadToken, Signer

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


class LinkSigner:
    """Decision links signed as the web pages' links are (bot/signing.py), under a key of their own derived from the
    app secret."""

    def __init__(self, app_secret: str, *, purpose: str, clock: Clock = SYSTEM_CLOCK) -> None:
        self._signer = Signer(app_secret.encode(), f"decision links: {purpose}", clock=clock)

    def make(self, *, verb: str, value: str, account: str, ttl_s: float, now_s: float | None = None) -> str:
        return self._signer.make({"v": verb, "i": value, "u": account}, ttl_s=ttl_s, now_s=now_s)

    def read(self, token: str, *, allowed_verbs: tuple[str, ...], now_s: float | None = None) -> Decision:
        try:
            data = self._signer.read(token, now_s=now_s)
        except BadToken as exc:
            raise BadLink(str(exc), expired=exc.expired) from exc
        try:
            decision = Decision(verb=str(data["v"]), value=str(data["i"]), account=str(data["u"]),
                                expires_at_s=float(data["x"]), nonce=str(data["n"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadLink("the link's content is malformed") from exc
        if decision.verb not in allowed_verbs or not _VALUE_RE.fullmatch(decision.value):
            raise BadLink("the link names no decision we issue")
        return decision
