"""Pacing to a platform's published rate limits, before calling rather than after being refused.

Two shapes of limit: a rate with bursts ("1 message per second per channel, short bursts allowed": `TokenBucket`)
and a count in a window ("1000 a minute", "20 a minute, then 10 minutes of silence": `SlidingWindow`). A window is
not a slow bucket: a bucket of 20 a minute lets the 21st message go 3 s after the first 20, which a platform that
counts the minute refuses. A turn that would wait longer than PACING_MAX_LOCAL_WAIT_S is not slept here: the
message goes back to the outbox until then (`Deferred`), without spending one of its attempts.
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass, field
from typing import Protocol

from bot.constants import PACING_MAX_LOCAL_WAIT_S, RATE_HEADROOM, RATE_JITTER_S, WINDOW_MARGIN_S
from notifiers.base import TransientSendError


class Deferred(TransientSendError):
    """Our own pacing said "not before `retry_after_s`": the outbox holds the message until then (no attempt spent,
    nothing sent, nothing refused)."""

    retry_after_s: float

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"paced: next turn in {wait_s:.1f} s", retry_after_s=wait_s)


class Limiter(Protocol):
    blocked_until: float  # after a 429: nothing goes before Retry-After has passed

    def reserve(self, now: float) -> float: ...

    def give_back(self) -> None:
        """Undo the reservation just made (with no await since: it is the last one)."""


@dataclass
class TokenBucket:
    """`rate_per_s` sustained, `burst` at once. Reservations may run into debt: the wait pays it off."""

    rate_per_s: float
    burst: float
    tokens: float | None = None  # None until first used: it starts full
    at: float = 0.0
    blocked_until: float = 0.0

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


@dataclass
class SlidingWindow:
    """At most `count` calls in any `period_s`: call k goes no sooner than `period_s` after call k - count. Each
    reservation is the moment its call may go (now, or later); a platform that counts fixed minutes is kept too."""

    count: int
    period_s: float
    blocked_until: float = 0.0
    _slots: collections.deque[float] = field(default_factory=collections.deque)

    def reserve(self, now: float) -> float:
        while self._slots and self._slots[0] <= now - self.period_s:
            self._slots.popleft()  # out of every window from now on
        slot = max(now, self.blocked_until)
        if len(self._slots) >= self.count:
            slot = max(slot, self._slots[-self.count] + self.period_s)
        self._slots.append(slot)
        return slot - now

    def give_back(self) -> None:
        if self._slots:
            self._slots.pop()


def within(rate_per_s: float, burst: float) -> TokenBucket:
    """A bucket a little inside a platform's published limit: a call that waited in a queue arrives closer to the
    next one than it left, and platforms count arrivals. So: RATE_HEADROOM of the rate, and RATE_JITTER_S worth of
    the burst kept back (one token at least; at least one remains): at 50/s a 5-token margin, 100 ms of crowding."""
    return TokenBucket(rate_per_s * RATE_HEADROOM, max(1.0, burst - max(1.0, round(rate_per_s * RATE_JITTER_S))))


def within_window(count: int, period_s: float) -> SlidingWindow:
    """A platform's "`count` per `period_s`", the whole count at once if need be, the next one WINDOW_MARGIN_S
    after the period (arrivals late by less than that cannot crowd into one window)."""
    return SlidingWindow(count, period_s + WINDOW_MARGIN_S)


class ChatPacer:
    """Each chat's own bucket (made on its first message), then the app's: a platform's published limits, kept
    before calling. At most `max_chats` chat buckets are kept (None: no bound); past that they start afresh."""

    def __init__(self, chat_rate_per_s: float, chat_burst: float, app: tuple[Limiter, ...], *,
                 max_chats: int | None = None) -> None:
        self._chat_rate = (chat_rate_per_s, chat_burst)
        self._app = app
        self._chats: dict[str, TokenBucket] = {}
        self._max_chats = max_chats

    async def pace(self, target: str) -> None:
        limiters: list[Limiter] = list(self._app)
        if target:  # a batch counts against the app only
            bucket = self._chats.get(target)
            if bucket is None:
                if self._max_chats is not None and len(self._chats) > self._max_chats:
                    self._chats.clear()
                bucket = self._chats[target] = within(*self._chat_rate)
            limiters.insert(0, bucket)
        await wait_turn(*limiters)


async def wait_turn(*limiters: Limiter, max_wait_s: float = PACING_MAX_LOCAL_WAIT_S) -> None:
    """A turn in each limiter, one after the other (sleeping here is pacing, not waiting for work): the narrow one
    first, so a turn taken in a wide one is spent when it was meant to be. A turn further off than `max_wait_s` is
    given back and Deferred is raised (a turn already waited for in an earlier limiter stays spent: its moment has
    passed, and others may have reserved after it)."""
    for limiter in limiters:
        wait = limiter.reserve(time.monotonic())
        if wait > max_wait_s:
            limiter.give_back()
            raise Deferred(wait)
        if wait > 0:
            await asyncio.sleep(wait)
