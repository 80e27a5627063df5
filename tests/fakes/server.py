"""What the fakes share: an aiohttp app on a free port of 127.0.0.1, started and stopped with the WebSockets it
holds; the request log and its counts; failures injected on request; token buckets for rate limits, and the
seconds a 429 tells the client to wait; access tokens that expire.

Each fake keeps its own checks (signatures, schemas, limits, error shapes): only the scaffolding is here.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from aiohttp import web

F = TypeVar("F")


@dataclass
class FakeServer:
    """The base of every fake: a subclass adds its routes in `routes`, then `start()` listens and sets `port`."""

    client_max_size: ClassVar[int] = 1024**2  # the largest request body accepted (aiohttp's default)
    shutdown_timeout_s: ClassVar[float] = 60.0  # how long stop() lets open requests finish (aiohttp's default)

    port: int = field(default=0, init=False, repr=False)
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list, init=False, repr=False)

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application(client_max_size=self.client_max_size)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=self.shutdown_timeout_s)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        await self.close_sockets()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @asynccontextmanager
    async def websocket(self, request: web.Request, **options: Any) -> AsyncIterator[web.WebSocketResponse]:
        """An accepted WebSocket, held (and closed by stop()) while the block runs."""
        ws = web.WebSocketResponse(**options)
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            yield ws
        finally:
            self._sockets.remove(ws)

    async def close_sockets(self) -> None:
        """Every WebSocket closed from this side (a network cut, a deploy, the end of a test)."""
        for ws in list(self._sockets):
            await ws.close()


class _Request(Protocol):
    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...


class CountsRequests:
    """For a fake that records every request it answers in `requests` (each with a `method` and a `path`)."""

    requests: list[Any]

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        seen: list[_Request] = self.requests
        return sum(1 for r in seen if (method is None or r.method == method.upper())
                   and (path_contains is None or path_contains in r.path))

    def reset_counts(self) -> None:
        self.requests.clear()


class Failures(Generic[F]):
    """Failures a test asked for, each answered (in order) to the first request it matches."""

    def __init__(self) -> None:
        self._queue: list[F] = []

    def add(self, failure: F, n: int = 1) -> None:
        self._queue.extend([failure] * n)

    def first(self, matches: Callable[[F], bool] = lambda _: True) -> F | None:
        return next((f for f in self._queue if matches(f)), None)

    def take(self, matches: Callable[[F], bool] = lambda _: True) -> F | None:
        """The first matching failure, used up."""
        for i, failure in enumerate(self._queue):
            if matches(failure):
                del self._queue[i]
                return failure
        return None

    def clear(self) -> None:
        self._queue.clear()

    def __bool__(self) -> bool:
        return bool(self._queue)


@dataclass
class Bucket:
    """Token bucket: `rate_per_s` sustained, `burst` at once."""

    rate_per_s: float
    burst: float
    tokens: float | None = None  # None until first used: it starts full
    at: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: now), without taking it."""
        self.tokens = self.burst if self.tokens is None else min(
            self.burst, self.tokens + (now - self.at) * self.rate_per_s)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate_per_s

    def take(self) -> None:
        assert self.tokens is not None
        self.tokens -= 1


@dataclass
class Window:
    """A count in a window, as platforms word it ("20 a minute", "1000 次/分钟"): at most `count` calls in any
    `period_s`. Stricter than a bucket of count/period with a burst of count, which lets call count+1 through
    period/count after the first count: a platform counting the minute refuses it."""

    count: int
    period_s: float
    at: float = 0.0  # the moment of the last look (what take() records)
    calls: collections.deque[float] = field(default_factory=collections.deque)

    def wait(self, now: float) -> float:
        """Seconds until a call is allowed (0: now), without taking it."""
        self.at = now
        while self.calls and self.calls[0] <= now - self.period_s:
            self.calls.popleft()
        return 0.0 if len(self.calls) < self.count else self.calls[0] + self.period_s - now

    def take(self) -> None:
        self.calls.append(self.at)


class Limit(Protocol):
    def wait(self, now: float) -> float: ...

    def take(self) -> None: ...


def admit(now: float, *buckets: Limit) -> tuple[float, ...]:
    """Each bucket's wait; a token is taken from every one only when none has to wait (a refused call uses up no
    budget)."""
    waits = tuple(b.wait(now) for b in buckets)
    if max(waits) <= 0:
        for b in buckets:
            b.take()
    return waits


def wait_hint(wait_s: float) -> str:
    """A wait in whole seconds for a 429's header, rounded up a little and never 0 (clients sleep that long)."""
    return str(max(1, round(wait_s + 0.49)))


class IssuedTokens:
    """Access tokens a fake issued, each good until a moment on the fake's clock. `issued` counts them."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self.issued = 0

    def issue(self, prefix: str, *, now: float, ttl_s: float) -> str:
        token = prefix + uuid.uuid4().hex
        self._until[token] = now + ttl_s
        self.issued += 1
        return token

    def known(self, token: str) -> bool:
        return token in self._until

    def valid(self, token: str, *, now: float) -> bool:
        return self._until.get(token, 0.0) > now

    def expire_all(self) -> None:
        self._until = dict.fromkeys(self._until, 0.0)

    def __iter__(self) -> Iterator[str]:
        return iter(self._until)
