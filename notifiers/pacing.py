"""Pacing to a platform's published rate limits, before calling rather than after being refused."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.constants import RATE_HEADROOM


@dataclass
class TokenBucket:
    """`rate_per_s` sustained, `burst` at once. Reservations may run into debt: the wait pays it off."""

    rate_per_s: float
    burst: float
    tokens: float | None = None  # None until first used: it starts full
    at: float = 0.0
    blocked_until: float = 0.0  # after a 429: nothing goes before Retry-After has passed

    def reserve(self, now: float) -> float:
        """Take a token; returns how long to wait before using it (0: go now)."""
        tokens = self.burst if self.tokens is None else min(self.burst, self.tokens + (now - self.at) * self.rate_per_s)
        self.at = now
        self.tokens = tokens - 1
        wait = 0.0 if self.tokens >= 0 else -self.tokens / self.rate_per_s
        return max(wait, self.blocked_until - now)

    def give_back(self) -> None:
        if self.tokens is not None:
            self.tokens += 1


def within(rate_per_s: float, burst: float) -> TokenBucket:
    """A bucket a little inside a platform's published limit: a call that waited in a queue arrives closer to the
    next one than it left, and platforms count arrivals. So: RATE_HEADROOM of the rate, one token of the burst
    kept back (at least one remains)."""
    return TokenBucket(rate_per_s * RATE_HEADROOM, max(1.0, burst - 1))


class ChatPacer:
    """Each chat's own bucket (made on its first message), then the app's: a platform's published limits, kept
    before calling. At most `max_chats` chat buckets are kept (None: no bound); past that they start afresh."""

    def __init__(self, chat_rate_per_s: float, chat_burst: float, app: tuple[TokenBucket, ...], *,
                 max_chats: int | None = None) -> None:
        self._chat_rate = (chat_rate_per_s, chat_burst)
        self._app = app
        self._chats: dict[str, TokenBucket] = {}
        self._max_chats = max_chats

    async def pace(self, target: str) -> None:
        limiters = list(self._app)
        if target:  # a batch counts against the app only
            bucket = self._chats.get(target)
            if bucket is None:
                if self._max_chats is not None and len(self._chats) > self._max_chats:
                    self._chats.clear()
                bucket = self._chats[target] = within(*self._chat_rate)
            limiters.insert(0, bucket)
        await wait_turn(*limiters)


async def wait_turn(*limiters: TokenBucket) -> None:
    """A turn in each bucket, one after the other (sleeping here is pacing, not waiting for work)."""
    for limiter in limiters:
        wait = limiter.reserve(time.monotonic())
        if wait > 0:
            await asyncio.sleep(wait)
