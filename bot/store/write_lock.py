"""SQLite's one writer inside a process, as a lock with two queues (bot/store/db.py holds it for each write)."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class WriteLock:
    """SQLite's one writer, inside this process: the inbox's commits, which acks wait on, go ahead of the
    transactions the workers have queued (a worker's turn comes between two of them), first come first served
    within each kind. An asyncio.Lock would queue an ack behind every transaction a saturated worker has waiting."""

    def __init__(self) -> None:
        self._held = False
        self._owner: asyncio.Task[Any] | None = None  # the task holding it, which may take it again inside
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._others: collections.deque[asyncio.Future[None]] = collections.deque()

    @asynccontextmanager
    async def held(self, *, urgent: bool = False) -> AsyncIterator[None]:
        me = asyncio.current_task()
        if self._held and self._owner is me:
            yield
            return
        if self._held or self._urgent or (self._others and not urgent):
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            queue = self._urgent if urgent else self._others
            queue.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._release()  # handed over as the waiter was cancelled: pass it on
                elif turn in queue:
                    queue.remove(turn)
                raise
        else:
            self._held = True
        self._owner = me
        try:
            yield
        finally:
            self._release()

    def is_mine(self) -> bool:
        return self._held and self._owner is asyncio.current_task()

    def _release(self) -> None:
        self._owner = None
        for queue in (self._urgent, self._others):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the lock passes to that waiter: still held
                    return
        self._held = False
