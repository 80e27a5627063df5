"""`pmsbot run`'s work beside its intake: the worker, the delivery and the clock on a thread of their own, with
their own event loop and database connections, so that an ack never waits for the work.

In one event loop, every statement of a worker's transaction waits for a turn of the loop the requests are read
on, so under load a transaction lasts as long as hundreds of turns and holds SQLite's one writer (and the acks
behind it) that long. On a loop of their own the worker's transactions last what their statements take; the
intake's insert goes ahead of the next one (Database.share_writer_with), and wake-ups cross between the two loops.
The two threads share the process's GIL: a request in progress on the intake goes ahead of the worker's next event
(the worker waits up to WORK_YIELD_MAX_S, so a steady flood of requests slows it but cannot stop it), as the one
loop did before. The process is still one command, one database, the same guarantees: the back claims stored events exactly as a
worker in another process would.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sys
import threading

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.runtime import Role, Runtime

log = logging.getLogger("pmsbot")

SWITCH_INTERVAL_S = 0.0002  # the GIL's turns between the two threads (Python's default: 0.005)
WORK_YIELD_STEP_S = 0.0005  # how often the worker looks again whether the intake's requests are done
WORK_YIELD_MAX_S = 0.05  # the longest the worker lets requests go first before its next event


async def _forward(source: asyncio.Event, loop: asyncio.AbstractEventLoop, target: asyncio.Event) -> None:
    """Each time `source` is set (on this loop), set `target` (an event of the other thread's `loop`)."""
    while True:
        await source.wait()
        source.clear()
        loop.call_soon_threadsafe(target.set)


class Backstage:
    """A Runtime for the roles given, on its own thread and loop, started and stopped from the front's loop."""

    def __init__(self, front: Runtime, roles: tuple[Role, ...]) -> None:
        self.front = front
        self.roles = roles
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._main, name="pmsbot-work", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._front_loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._forwards: list[asyncio.Task[None]] = []
        self.back: Runtime | None = None
        self.in_progress = 0  # the intake's requests being answered (changed on the front's thread only)

    @web.middleware
    async def counting(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The front's requests in progress, which the worker's next event waits for (briefly)."""
        self.in_progress += 1
        try:
            return await handler(request)
        finally:
            self.in_progress -= 1

    async def _requests_first(self) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + WORK_YIELD_MAX_S
        while self.in_progress and loop.time() < until:  # noqa: ASYNC110 - the other thread's count
            await asyncio.sleep(WORK_YIELD_STEP_S)  # this loop's select releases the GIL meanwhile

    async def start(self) -> None:
        """Once the front is open: the back opened (the schema and configuration are the front's) and its roles
        running; the front told that a worker is at work in this process."""
        self._front_loop = asyncio.get_running_loop()
        # The worker's statements give up the GIL and wait to get it back, each time up to the switch interval
        # while the intake computes: a transaction of a few statements would hold SQLite's writer (and the acks
        # behind it) for tens of milliseconds at the default 5 ms.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread.start()
        await asyncio.wrap_future(self._ready)
        back, loop = self.back, self._loop
        assert back is not None and loop is not None
        front = self.front
        front.worker_running = True  # the adapters may wait for an answer within their deadline
        self._forwards = [
            asyncio.create_task(_forward(front.inbox.new_work, loop, back.inbox.new_work)),
            asyncio.create_task(_forward(front.delivery.wake, loop, back.delivery.wake)),
        ]

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:  # the thread's boundary: the front hears of it (start, or the log)
            if not self._ready.done():
                self._ready.set_exception(exc)
            else:
                log.exception("the worker thread stopped")

    async def _serve(self) -> None:
        front = self.front
        back = Runtime(front.settings, front.config, console=front.console, clock=front.clock, own_thread=True)
        back.db.share_writer_with(front.db)
        self.back, self._loop, self._stop = back, asyncio.get_running_loop(), asyncio.Event()
        front_loop = self._front_loop
        assert front_loop is not None
        try:
            await back.open(migrate_sqlite=False, apply_config=False)
            back.dispatcher.before_each = self._requests_first
            back.start(self.roles)
            delivered = asyncio.create_task(_forward(back.delivery.delivered, front_loop, front.delivery.delivered))
            self._ready.set_result(None)
            await self._stop.wait()
            delivered.cancel()
        finally:
            await back.close()

    async def stop(self) -> None:
        for task in self._forwards:
            task.cancel()
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # its loop already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join)
