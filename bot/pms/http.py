"""What every remote connector shares: one pooled HTTP client per PMS with timeouts, 429 handling, the SLA
tally, and a small TTL cache for read-mostly data.

A PMS that cannot answer raises PMSDown (the command is queued, not refused); a PMS that answers "no"
is each connector's business (it knows its error shapes).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx

from bot.calls import METER
from bot.clocks import SYSTEM_CLOCK, Clock
from bot.constants import (
    PMS_CACHE_TTL_S,
    PMS_CONNECT_TIMEOUT_S,
    PMS_MAX_CONNECTIONS,
    PMS_RETRY_INLINE_MAX_S,
    PMS_RETRY_INLINE_TIMES,
    PMS_TIMEOUT_S,
)
from bot.pms.base import PMSDown
from bot.pms.journal import JOURNAL, Recorded

log = logging.getLogger("pmsbot.pms")

V = TypeVar("V")


def retry_after_s(response: httpx.Response, *, now: datetime, default_s: float = 1.0) -> float:
    """`Retry-After` as seconds: a number or an HTTP date (RFC 9110). A date is measured from the response's own
    `Date` (the server's clock, so a skew between us does not lengthen or cut the wait), else from `now`."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default_s
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default_s
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - _server_date(response, now)).total_seconds())


def _server_date(response: httpx.Response, now: datetime) -> datetime:
    try:
        sent = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError):
        return now
    return sent if sent.tzinfo is not None else sent.replace(tzinfo=UTC)


class PMSHttp:
    """One PMS's HTTP client. `requests` counts calls made (benchmarks and tests read it)."""

    def __init__(self, *, connector: str, display: str, base_url: str, headers: dict[str, str] | None = None,
                 auth: httpx.Auth | tuple[str, str] | None = None, timeout_s: float = PMS_TIMEOUT_S,
                 reauth: Callable[[], Awaitable[None]] | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.connector = connector
        self.clock = clock
        self.display = display
        self.requests = 0
        self._reauth = reauth
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers or {}, auth=auth,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, PMS_CONNECT_TIMEOUT_S)),
            limits=httpx.Limits(max_connections=PMS_MAX_CONNECTIONS, max_keepalive_connections=PMS_MAX_CONNECTIONS),
            follow_redirects=False,
        )

    @property
    def headers(self) -> httpx.Headers:
        return self._client.headers

    async def close(self) -> None:
        await self._client.aclose()

    async def call(self, method: str, path: str, *, params: Any = None, json: Any = None,
                   headers: dict[str, str] | None = None, journaled: bool = True, bearer: str | None = None,
                   content: bytes | None = None, files: Any = None) -> httpx.Response:
        """One call; waits out a short 429 in place. 5xx, timeouts, refused connections, long 429s and a
        401 that logging in again does not cure raise PMSDown. Other answers are returned as they are.

        Within a command (bot/pms/journal.py) a call an earlier attempt made is answered from the journal. With
        `bearer` (a person's own token) the call carries it instead of the client's credentials."""
        journal = JOURNAL.get() if journaled else None
        step = journal.step(self.connector, method, path) if journal is not None else None
        if journal is not None and step is not None:
            replay = journal.replayed(step)
            if replay is not None:
                return httpx.Response(replay.status, content=replay.body.encode(),
                                      request=self._client.build_request(method, path, params=params))
        if bearer is not None:
            headers = {**(headers or {}), "Authorization": f"Bearer {bearer}"}
        response = await self._live(method, path, params=params, json=json, headers=headers,
                                    reauth=journaled and bearer is None, own_auth=bearer is not None,
                                    content=content, files=files)
        if journal is not None and step is not None:
            await journal.record_call(step, Recorded(status=response.status_code, body=response.text,
                                                     write=method != "GET"))
        return response

    async def _live(self, method: str, path: str, *, params: Any, json: Any, headers: dict[str, str] | None,
                    reauth: bool, own_auth: bool = False, content: bytes | None = None, files: Any = None
                    ) -> httpx.Response:
        reauthed = not reauth
        for attempt in range(PMS_RETRY_INLINE_TIMES + 1):
            started = self.clock.monotonic()
            self.requests += 1
            try:
                # A file goes as a raw body (`content`, Redmine's uploads) or multipart (`files`, Jira's attachments);
                # auth=None with the person's own bearer: not the client's Basic credentials over it.
                if own_auth:
                    response = await self._client.request(method, path, params=params, json=json, headers=headers,
                                                          content=content, files=files, auth=None)
                else:
                    response = await self._client.request(method, path, params=params, json=json, headers=headers,
                                                          content=content, files=files)
            except httpx.TimeoutException as exc:
                METER.count(self.connector, ok=False, elapsed_s=self.clock.monotonic() - started)
                raise PMSDown(self.display, "timeout", f"{method} {path}", connector=self.connector) from exc
            except httpx.TransportError as exc:
                METER.count(self.connector, ok=False, elapsed_s=self.clock.monotonic() - started)
                raise PMSDown(self.display, "down", f"{type(exc).__name__}: {exc}", connector=self.connector) from exc
            status = response.status_code
            METER.count(self.connector, ok=status < 500 and status not in (401, 429),
                        elapsed_s=self.clock.monotonic() - started)
            if status == 429:
                wait_s = retry_after_s(response, now=self.clock.now())
                log.warning("%s throttled %s %s (%s), retry after %.1f s", self.display, method, path,
                            response.headers.get("RateLimit-Reason", "-"), wait_s)
                if wait_s <= PMS_RETRY_INLINE_MAX_S and attempt < PMS_RETRY_INLINE_TIMES:
                    await asyncio.sleep(wait_s)  # the PMS's own instruction, bounded above
                    continue
                raise PMSDown(self.display, "rate_limited", f"{method} {path}", retry_after_s=wait_s,
                              connector=self.connector)
            if status == 401:
                if self._reauth is not None and not reauthed:
                    reauthed = True
                    await self._reauth()
                    continue
                raise PMSDown(self.display, "auth", f"{method} {path} answered 401", connector=self.connector)
            if status >= 500:
                raise PMSDown(self.display, "down", f"{method} {path} answered {status}", connector=self.connector)
            if response.headers.get("X-RateLimit-NearLimit") == "true":
                log.info("%s: fewer than 20%% of the rate limit left", self.display)
            return response
        raise PMSDown(self.display, "rate_limited", f"{method} {path}", connector=self.connector)

    def json_of(self, response: httpx.Response) -> Any:
        """The body as JSON; a PMS that answers something else is treated as not answering."""
        try:
            return response.json()
        except ValueError as exc:
            raise PMSDown(self.display, "down", f"{response.request.method} {response.request.url.path} "
                                                f"answered {response.status_code} without JSON",
                          connector=self.connector) from exc


class TTLCache(Generic[V]):
    """Read-mostly facts (users, statuses, transitions) kept for a short while; one fetch per key at a time."""

    def __init__(self, ttl_s: float = PMS_CACHE_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._items: dict[str, tuple[float, V]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[V]]) -> V:
        hit = self._items.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            value = await load()
            self._items[key] = (time.monotonic() + self._ttl_s, value)
            return value

    def drop(self, key: str) -> None:
        self._items.pop(key, None)
