"""The seam for webhook sources: a source verifies a request and turns it into a neutral change event.

Requests go through the same durable inbox as chat events (a 2xx means stored); the worker does the rest.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from aiohttp import web
from pydantic import SecretStr

from bot.records import InboundEvent
from bot.refusals import Refused


class HookSource(Protocol):
    name: str  # the URL is POST /hooks/{name} (and /hooks/{name}/{token} for sources that sign nothing)

    def enabled(self) -> bool: ...

    async def event(self, request: web.Request, raw: bytes, token: str | None, *, now: datetime
                    ) -> InboundEvent | None:
        """The change as an inbox event; None to acknowledge and ignore it; Refused for a 4xx."""
        ...


class SignedBodies:
    """What a source that signs each body with a shared secret has in common (Jira, Teambition): it exists only
    with its secret (unsigned, anyone could post changes into subscribed chats), at POST /hooks/{name} without a
    token, and a request whose signature header is not the secret's signature of the body is a 401."""

    def __init__(self, secret: SecretStr | None, *, header: str, sign: Callable[[str, bytes], str],
                 refusal: str) -> None:
        self._secret = secret.get_secret_value() if secret else None
        self._header, self._sign, self._refusal = header, sign, refusal

    def enabled(self) -> bool:
        return self._secret is not None

    def verify(self, request: web.Request, raw: bytes, token: str | None) -> None:
        if token is not None:
            raise Refused(404, "no such hook")
        assert self._secret is not None
        given = request.headers.get(self._header, "").strip().lower()  # hex digests: case carries nothing
        if not hmac.compare_digest(given.encode(), self._sign(self._secret, raw).encode()):
            raise Refused(401, self._refusal)
