"""An app access token (Feishu's tenant token, DingTalk's access token): fetched when needed, kept until shortly
before it expires, fetched again when the platform says it is no longer good, one fetch at a time.

The official SDKs' token managers do not fit here: lark-oapi's TokenManager fetches with blocking `requests`
(even under its async client) into a process-wide cache with no lock, and dingtalk-stream's `get_access_token`
is blocking too, reads a module-global endpoint and answers None for any failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MIN_LIFE_S = 60.0  # however short a lifetime the platform states, a token is used at least this long

# A platform's fetch: the token and how many seconds it lives (as the platform states it). It raises
# TransientSendError or PermanentSendError itself: only the platform knows its refusals.
TokenFetch = Callable[[], Awaitable[tuple[str, float]]]


class AccessToken:
    """One app's token. `fetched` counts fetches (a burst across an expiry fetches once)."""

    def __init__(self, fetch: TokenFetch, *, refresh_before_s: float) -> None:
        self._fetch = fetch
        self._refresh_before_s = refresh_before_s
        self._token: str | None = None
        self._until = 0.0
        self._lock = asyncio.Lock()
        self.fetched = 0

    async def get(self, *, stale: str | None = None) -> str:
        """The cached token, or a new one; `stale` is one the platform just refused: never answered again."""
        async with self._lock:
            if self._token and self._token != stale and time.monotonic() < self._until:
                return self._token
            token, lifetime_s = await self._fetch()
            self.fetched += 1
            self._token = token
            self._until = time.monotonic() + max(MIN_LIFE_S, lifetime_s - self._refresh_before_s)
            return token
