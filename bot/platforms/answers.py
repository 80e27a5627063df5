"""Waiting, within a platform's ack deadline, for what an inbound event caused: so the answer can go in place."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol


class InboxStates(Protocol):
    async def state(self, inbox_id: int) -> str | None: ...


class CausedMessages(Protocol):
    async def caused_by(self, inbox_id: int) -> list[tuple[int, str, str, str]]:
        """(id, platform, target, state) of every message an inbound event caused."""
        ...

    async def kinds_caused_by(self, inbox_id: int) -> list[str]: ...


class Settling:
    """The Outcomes the adapters are handed: the inbox and outbox states, and the delivery worker's signal."""

    def __init__(self, *, worker_running: Callable[[], bool], delivered: Callable[[], asyncio.Event],
                 inbox: InboxStates, outbox: CausedMessages) -> None:
        self._worker_running = worker_running  # read at each call: the worker may start after the adapters
        self._delivered = delivered  # the delivery worker's signal, asked for only while a worker runs here
        self._inbox = inbox
        self._outbox = outbox

    def worker_here(self) -> bool:
        return self._worker_running()

    async def settled(self, inbox_id: int, budget_s: float, *, delivered: bool) -> bool:
        """True once the dispatcher has handled the event (and, with `delivered`, every reply it caused has gone
        out) within `budget_s`. Without a worker in this process nothing will happen in time: False at once."""
        if not self._worker_running() or budget_s <= 0:
            return False
        loop = asyncio.get_running_loop()
        signal = self._delivered()
        deadline = loop.time() + budget_s
        while True:
            signal.clear()  # before looking, so a delivery during the look is not missed
            if await self._inbox.state(inbox_id) != "pending":
                if not delivered:
                    return True
                states = [state for *_, state in await self._outbox.caused_by(inbox_id)]
                if states and all(s != "pending" for s in states):
                    return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(signal.wait(), timeout=remaining)
            except TimeoutError:
                return False

    async def kinds_caused_by(self, inbox_id: int) -> Sequence[str]:
        return await self._outbox.kinds_caused_by(inbox_id)
