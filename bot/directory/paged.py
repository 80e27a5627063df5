"""HTTP calls of a directory client, paged and throttled the way the platforms ask (httpx: a module of its own, so that
what reads the directory's records, such as a platform's adapter, does not load the HTTP client)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from bot import constants
from bot.directory.base import DirectoryError, Sleep


class Paged:
    """HTTP calls of one directory: 429 and 5xx (and the platform's own "slow down" codes) are asked again after
    what the platform says (Retry-After), a bounded number of times; anything else is the caller's to judge."""

    def __init__(self, client: httpx.AsyncClient, *, what: str, sleep: Sleep | None = None,
                 throttled: Callable[[dict[str, Any]], bool] = lambda data: False,
                 retries: int = constants.DIRECTORY_RETRIES) -> None:
        self.client = client
        self._what = what
        self._sleep: Sleep = sleep or asyncio.sleep
        self._throttled = throttled
        self._retries = retries
        self.waits = 0  # throttled answers waited out (progress and tests read it)

    async def call(self, method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """(status, JSON object) of an answer that is not "slow down" or "try later"."""
        for attempt in range(self._retries + 1):
            try:
                r = await self.client.request(method, url, **kwargs)
                data = r.json() if r.content else {}
            except (httpx.HTTPError, ValueError) as exc:
                if attempt == self._retries:
                    raise DirectoryError(f"{self._what}: {type(exc).__name__}: {exc}") from None
                await self._sleep(min(2.0 ** attempt, constants.DIRECTORY_RETRY_MAX_S))
                continue
            data = data if isinstance(data, dict) else {}
            if r.status_code == 429 or r.status_code >= 500 or self._throttled(data):
                if attempt == self._retries:
                    raise DirectoryError(f"{self._what}: still throttled or failing after {self._retries} tries "
                                         f"(HTTP {r.status_code})")
                self.waits += 1
                wait = _seconds(r.headers.get("Retry-After"))
                wait = _seconds(r.headers.get("x-ogw-ratelimit-reset")) if wait is None else wait
                await self._sleep(min(wait if wait is not None else 2.0 ** attempt, constants.DIRECTORY_RETRY_MAX_S))
                continue
            return r.status_code, data
        raise AssertionError("unreachable")  # pragma: no cover


def _seconds(value: str | None) -> float | None:
    return float(value) if value and value.replace(".", "", 1).isdigit() else None
