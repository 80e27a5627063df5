"""Waiting, within a platform's ack deadline, for what an inbound event caused: so the answer can go in place."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime


async def settled(rt: Runtime, inbox_id: int, budget_s: float, *, delivered: bool) -> bool:
    """True once the dispatcher has handled the event (and, with `delivered`, every reply it caused has gone out)
    within `budget_s`. Without a worker in this process nothing will happen in time: False at once."""
    if not rt.worker_running or budget_s <= 0:
        return False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_s
    while True:
        rt.delivery.delivered.clear()  # before looking, so a delivery during the look is not missed
        if await rt.inbox.state(inbox_id) != "pending":
            if not delivered:
                return True
            states = [state for *_, state in await rt.outbox.caused_by(inbox_id)]
            if states and all(s != "pending" for s in states):
                return True
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(rt.delivery.delivered.wait(), timeout=remaining)
        except TimeoutError:
            return False
