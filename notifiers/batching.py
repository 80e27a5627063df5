"""The same words to many people in one call: gathering identical messages for a moment, for platforms that can
(Feishu batch_send, DingTalk oToMessages/batchSend). A standup wave is thousands of identical prompts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from notifiers.base import TransientSendError

# (the batch's key, its targets in order, without repeats) -> per target: the message id, or why it failed
SendBatch = Callable[[str, list[str]], Awaitable[dict[str, str | Exception]]]


@dataclass
class _Batch:
    waiters: list[tuple[str, asyncio.Future[str]]] = field(default_factory=list)


class Gatherer:
    """Messages with the same key gather for `window_s` (or until `max_size` targets) and go out as one call."""

    def __init__(self, send: SendBatch, *, window_s: float, max_size: int) -> None:
        self._send = send
        self._window_s = window_s
        self._max_size = max_size
        self._batches: dict[str, _Batch] = {}
        self._flushing: set[asyncio.Task[None]] = set()

    async def submit(self, key: str, target: str) -> str:
        """Wait for the batch `target` joined to be sent; its message id, or the error for this target."""
        loop = asyncio.get_running_loop()
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = _Batch()
            loop.call_later(self._window_s, self._flush_soon, key, batch)
        waiter: asyncio.Future[str] = loop.create_future()
        batch.waiters.append((target, waiter))
        if len(batch.waiters) >= self._max_size:
            self._flush_soon(key, batch)
        return await waiter

    def _flush_soon(self, key: str, batch: _Batch) -> None:
        if self._batches.get(key) is batch:  # not flushed yet, and not dropped by close()
            del self._batches[key]
            task = asyncio.create_task(self._flush(key, batch))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    async def _flush(self, key: str, batch: _Batch) -> None:
        try:
            outcomes = await self._send(key, list(dict.fromkeys(target for target, _ in batch.waiters)))
        except Exception as exc:  # every waiter must hear how it ended, or its delivery waits forever
            outcomes = {target: exc for target, _ in batch.waiters}
        for target, waiter in batch.waiters:
            if waiter.done():
                continue
            outcome = outcomes.get(target, TransientSendError("the batch said nothing of this target"))
            if isinstance(outcome, Exception):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome)

    async def close(self) -> None:
        """Messages still gathering are not sent: their outbox rows stay pending and go out after a restart."""
        for batch in self._batches.values():
            for _, waiter in batch.waiters:
                if not waiter.done():
                    waiter.set_exception(TransientSendError("shutting down"))
        self._batches.clear()
        for task in list(self._flushing):
            task.cancel()
        if self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)
