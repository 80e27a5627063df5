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
import heapq
import math
from dataclasses import dataclass, field
from typing import Protocol

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.constants import (
    PACING_ANSWER_POLL_S,
    PACING_MAX_LOCAL_WAIT_S,
    RATE_HEADROOM,
    RATE_JITTER_S,
    WINDOW_MARGIN_S,
)
from notifiers.base import TransientSendError


class Deferred(TransientSendError):
    """Our own pacing said "not before `retry_after_s`": the outbox holds the message until then (no attempt spent,
    nothing sent, nothing refused)."""

    retry_after_s: float

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"paced: next turn in {wait_s:.1f} s", retry_after_s=wait_s)


class Limiter(Protocol):
    blocked_until: float  # after a 429: nothing goes before Retry-After has passed

    def earliest(self, at: float) -> float:
        """The first moment from `at` on when the next call would be within the limit (nothing taken)."""

    def take(self, at: float) -> Call | None:
        """Count a call at `at`, a moment earliest() agreed to; a limiter that counts it until it was answered
        returns it, to be told so."""

    def give_back(self) -> None:
        """Undo the turn just taken (with no await since: it is the last one)."""


@dataclass
class Call:
    """A call a window counts: from when it went; with `open`, until its answer came (None: not yet)."""

    at: float
    open: bool = False

    def answered(self, at: float) -> None:
        if self.open:
            self.at, self.open = max(self.at, at), False

    def free(self) -> None:
        """It never went: out of every window (the window drops it in its turn)."""
        self.at, self.open = -math.inf, False


@dataclass
class Turn:
    """The calls one turn counts in windows: tell them when the answer came (or the call failed), or that the call
    never went (cancelled before its moment)."""

    calls: list[Call] = field(default_factory=list)

    def answered(self, at: float) -> None:
        for call in self.calls:
            call.answered(at)

    def free(self) -> None:
        for call in self.calls:
            call.free()


def _reserve(limiter: Limiter, now: float) -> float:
    at = limiter.earliest(now)
    limiter.take(at)
    return at - now


@dataclass
class TokenBucket:
    """`rate_per_s` sustained, `burst` at once. Turns are taken in order, each at a moment (now or later): the
    bucket's level is known at the last turn taken, and refills from there."""

    rate_per_s: float
    burst: float
    tokens: float | None = None  # None until first used: it starts full
    at: float = 0.0  # the moment of the last turn taken (it may lie ahead)
    blocked_until: float = 0.0
    _before: tuple[float | None, float] = (None, 0.0)

    def _level(self, at: float) -> float:
        return self.burst if self.tokens is None else min(self.burst, self.tokens + (at - self.at) * self.rate_per_s)

    def reserve(self, now: float) -> float:
        """Take the next turn from `now` on; returns how long to wait before using it (0: go now)."""
        return _reserve(self, now)

    def earliest(self, at: float) -> float:
        at = max(at, self.blocked_until, at if self.tokens is None else self.at)
        level = self._level(at)
        return at if level >= 1 else at + (1 - level) / self.rate_per_s

    def take(self, at: float) -> None:
        self._before = (self.tokens, self.at)
        self.tokens, self.at = self._level(at) - 1, at
        return None

    def give_back(self) -> None:
        self.tokens, self.at = self._before


@dataclass
class SlidingWindow:
    """At most `count` calls in any `period_s`: call k goes no sooner than `period_s` after call k - count. Turns
    are taken in order, each at a moment (now or later); a platform that counts fixed windows is kept too.

    A platform counts a call when it arrives, which is after it went and before its answer came back. With
    `until_answered`, a call counts from its answer (Turn.answered): however late a busy process or network let
    it arrive, the count holds (a call not answered yet holds its place in every window)."""

    count: int
    period_s: float
    blocked_until: float = 0.0
    until_answered: bool = False
    _calls: collections.deque[Call] = field(default_factory=collections.deque)
    _last: float = 0.0
    _before: float = 0.0

    def reserve(self, now: float) -> float:
        """Take the next turn from `now` on; returns how long to wait before using it (0: go now)."""
        return _reserve(self, now)

    def earliest(self, at: float) -> float:
        slot = max(at, self.blocked_until, self._last)
        if len(self._calls) >= self.count:  # the count-th latest counted call: this one goes a period after it
            kth = heapq.nlargest(self.count, (math.inf if c.open else c.at for c in self._calls))[-1]
            slot = max(slot, kth + self.period_s)
        return slot

    def take(self, at: float) -> Call:
        while self._calls and not self._calls[0].open and self._calls[0].at <= self._last - self.period_s:
            self._calls.popleft()  # out of every window from the last turn on (turns are taken in order)
        call = Call(at, open=self.until_answered)
        self._calls.append(call)
        self._before, self._last = self._last, at
        return call

    def give_back(self) -> None:
        if self._calls:
            self._calls.pop()
            self._last = self._before


def within(rate_per_s: float, burst: float) -> TokenBucket:
    """A bucket a little inside a platform's published limit: a call that waited in a queue arrives closer to the
    next one than it left, and platforms count arrivals. So: RATE_HEADROOM of the rate, and RATE_JITTER_S worth of
    the burst kept back (one token at least; at least one remains): at 50/s a 5-token margin, 100 ms of crowding."""
    return TokenBucket(rate_per_s * RATE_HEADROOM, max(1.0, burst - max(1.0, round(rate_per_s * RATE_JITTER_S))))


def within_window(count: int, period_s: float, *, margin_s: float = WINDOW_MARGIN_S,
                  until_answered: bool = False) -> SlidingWindow:
    """A platform's "`count` per `period_s`", the whole count at once if need be, the next one `margin_s` after
    the period (arrivals late by less than that cannot crowd into one window; counted until answered, a call
    cannot arrive later than counted, and the margin is only for the platform's clock against ours)."""
    return SlidingWindow(count, period_s + margin_s, until_answered=until_answered)


class ChatPacer:
    """Each chat's own bucket (made on its first message), then the app's: a platform's published limits, kept
    before calling. At most `max_chats` chat buckets are kept (None: no bound); past that they start afresh."""

    def __init__(self, chat_rate_per_s: float, chat_burst: float, app: tuple[Limiter, ...], *,
                 max_chats: int | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._chat_rate = (chat_rate_per_s, chat_burst)
        self._app = app
        self._chats: dict[str, TokenBucket] = {}
        self._max_chats = max_chats

    def limiters(self, target: str) -> tuple[Limiter, ...]:
        """The chat's bucket (made on its first message), then the app's limiters."""
        if not target:  # a batch counts against the app only
            return self._app
        bucket = self._chats.get(target)
        if bucket is None:
            if self._max_chats is not None and len(self._chats) > self._max_chats:
                self._chats.clear()
            bucket = self._chats[target] = within(*self._chat_rate)
        return (bucket, *self._app)

    async def pace(self, target: str) -> Turn:
        return await wait_turn(*self.limiters(target), clock=self._clock)

    def answered(self, turn: Turn) -> None:
        """The call of `turn` has its answer (or failed): windows that count calls until answered are told."""
        turn.answered(self._clock.monotonic())


def agree(limiters: tuple[Limiter, ...] | list[Limiter], now: float) -> float:
    """The first moment from `now` on when every limiter admits the call (nothing taken)."""
    at = now
    while True:
        later = max(limiter.earliest(at) for limiter in limiters)
        if later <= at:
            return at
        at = later


def turn(limiters: tuple[Limiter, ...] | list[Limiter], now: float, *,
         max_wait_s: float = PACING_MAX_LOCAL_WAIT_S) -> tuple[float, Turn]:
    """One moment for the call in every limiter, taken in each: the moment all of them admit it (a turn taken in
    one limiter and then slept on for another would be counted earlier than spent). A moment further off than
    `max_wait_s` takes nothing and raises Deferred."""
    at = agree(limiters, now)
    if at - now > max_wait_s:
        raise Deferred(at - now)
    calls = [limiter.take(at) for limiter in limiters]
    return at, Turn([c for c in calls if c is not None])


async def wait_turn(*limiters: Limiter, max_wait_s: float = PACING_MAX_LOCAL_WAIT_S,
                    clock: Clock = SYSTEM_CLOCK) -> Turn:
    """Wait for a turn in every limiter (sleeping here is pacing, not waiting for work). The first is the narrow
    one (a chat's, a channel's): its own moment is waited for first with nothing taken, so a busy chat does not
    hold the shared budgets' turns of other chats; then one moment is agreed and taken in all (`turn`). A window
    that counts calls until answered waits for the answers of the calls it counts (PACING_ANSWER_POLL_S). Cancelled
    before its moment, the call never goes: its place in the windows is freed (a bucket's token is not given back)."""
    if not limiters:
        return Turn()
    while True:
        now = clock.monotonic()
        first = agree(limiters[:1], now)
        if first - now > max_wait_s:
            raise Deferred(first - now)
        if first > now:
            await asyncio.sleep(first - now)
            now = clock.monotonic()
        if agree(limiters, now) < math.inf:
            break
        await asyncio.sleep(PACING_ANSWER_POLL_S)  # calls still unanswered fill a window: until one is
    at, taken = turn(limiters, now, max_wait_s=max_wait_s)
    if at > now:
        try:
            await asyncio.sleep(at - now)
        except asyncio.CancelledError:
            taken.free()
            raise
    return taken
