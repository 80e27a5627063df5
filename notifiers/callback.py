"""Callbacks to other systems: the decision of an approval a source asked for, POSTed to its `callback.url`.

The body is JSON (templates/callback/en/<kind>.j2), signed `X-Pmsbot-Signature: sha256=<hex HMAC-SHA256 of
"<X-Pmsbot-Timestamp>.<body>">` with the source's callback secret; `X-Pmsbot-Delivery` is the same on every
retry, for the receiver to drop duplicates. Anything but a 2xx is tried again through the outbox (up to
CALLBACK_MAX_ATTEMPTS with backoff, hours), then parked as a dead letter that can be replayed.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.config import Config
from bot.constants import CALLBACK_PLATFORM, CALLBACK_TIMEOUT_S
from notifiers.base import Outgoing, PermanentSendError, TransientSendError


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class CallbackSender:
    platform = CALLBACK_PLATFORM  # retried up to CALLBACK_MAX_ATTEMPTS (notifiers/outbox.py max_attempts)

    def __init__(self, config: Config, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._targets = {s.name: s.callback for s in config.sources if s.callback is not None}
        self._http = httpx.AsyncClient(timeout=CALLBACK_TIMEOUT_S, follow_redirects=False)

    async def send(self, message: Outgoing) -> str:
        target = self._targets.get(message.target)
        if target is None:
            raise PermanentSendError(f"source {message.target!r} has no callback configured")
        body = message.rendered.text.encode()
        stamp = str(int(self._clock.timestamp()))
        headers = {"Content-Type": "application/json", "X-Pmsbot-Timestamp": stamp,
                   # Stable for this decision, through retries and a replayed dead letter: receivers drop repeats.
                   "X-Pmsbot-Delivery": message.card_ref or str(message.outbox_id),
                   "X-Pmsbot-Signature": callback_signature(target.secret.get_secret_value(), stamp, body)}
        try:
            response = await self._http.post(target.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransientSendError(f"callback to {message.target}: {type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            retry = response.headers.get("Retry-After", "")
            raise TransientSendError(f"callback to {message.target} answered {response.status_code}",
                                     retry_after_s=float(retry) if retry.isdigit() else None)
        return message.card_ref or str(message.outbox_id)

    async def update(self, message: Outgoing, message_id: str) -> None:
        await self.send(message)

    async def close(self) -> None:
        await self._http.aclose()
