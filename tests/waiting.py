"""Wait on a condition with a deadline, never a bare sleep: for state owned by another process or task."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

POLL_S = 0.02


async def eventually(predicate: Callable[[], Awaitable[bool]], *, timeout_s: float = 10.0, what: str = "") -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while not await predicate():  # noqa: ASYNC110 - the state lives in another process or in the database
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout_s}s waiting for {what or predicate}") from None
