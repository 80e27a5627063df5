"""Where an ack's time goes in `pmsbot run` (python -m bench.acks --trace PATH): a diagnostic, installed by patching
in the served `run` process only.

Records, on CLOCK_MONOTONIC: every Slack request's time inside its handler, every inbox accept() (enter, return),
every group commit (its wait for the writer turn, its statement), the event loop's lag (a 1 ms sleep's overshoot),
and every loop callback longer than 1 ms with what ran it (the task's name or coroutine). Written as JSON at exit.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

LONG_S = 0.001


class Trace:
    def __init__(self) -> None:
        self.handler: list[tuple[float, float]] = []
        self.accept: list[tuple[float, float]] = []
        self.commit: list[tuple[float, float, float, int]] = []  # (asked for the turn, got it, written, events)
        self.held: list[tuple[float, float, float, int, str]] = []  # (asked, got, released, urgent, task)
        self.lag: list[tuple[float, float]] = []
        self.long: list[tuple[float, float, str]] = []  # (start, duration, label)
        self.busy: dict[str, float] = defaultdict(float)  # 'second|label' -> seconds on the loop
        self.t0 = time.monotonic()
        self.steps: dict[str, int] = defaultdict(int)
        self.watch: tuple[str, list[Any], float] | None = None  # the lock holder's steps while it holds it
        self.samples: list[Any] = []


TRACE = Trace()


def _label(handle: Any) -> str:
    cb = handle._callback
    owner = getattr(cb, "__self__", None)
    if isinstance(owner, asyncio.Task):
        name = owner.get_name()
        if not name.startswith("Task-"):
            return name
        coro = owner.get_coro()
        return getattr(coro, "__qualname__", None) or type(coro).__name__
    return getattr(cb, "__qualname__", None) or type(cb).__name__  # never repr(): it may have side effects


def _where(handle: Any) -> str:
    owner = getattr(handle._callback, "__self__", None)
    if not isinstance(owner, asyncio.Task):
        return ""
    frames = []
    coro = owner.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            frames.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return " > ".join(frames[-3:])


def install() -> None:
    from contextlib import asynccontextmanager

    from bot.inbox import Inbox
    from bot.platforms.slack import SlackAdapter
    from bot.store.db import Database
    from bot.store.write_lock import WriteLock

    held = WriteLock.held

    @asynccontextmanager
    async def timed_held(self: Any, *, urgent: bool = False) -> Any:
        me = asyncio.current_task()
        if self._held and self._owner is me:
            yield
            return
        asked = time.monotonic()
        async with held(self, urgent=urgent):
            got = time.monotonic()
            name = me.get_name() if me else "?"
            mine: list[Any] = []
            TRACE.watch = (name, mine, got)
            try:
                yield
            finally:
                TRACE.watch = None
                TRACE.held.append((asked, got, time.monotonic(), int(urgent), name))
                if name == "dispatcher" and time.monotonic() - got > 0.010 and len(TRACE.samples) < 40:
                    TRACE.samples.append(((time.monotonic() - got) * 1000, mine))
    WriteLock.held = timed_held  # type: ignore[method-assign]

    import os

    run = asyncio.events.Handle._run

    def timed_run(self: Any) -> None:
        started = time.monotonic()
        run(self)
        took = time.monotonic() - started
        label = _label(self)
        TRACE.busy[f"{int(started - TRACE.t0)}|{label}"] += took
        TRACE.steps[label] += 1
        if TRACE.watch is not None and label == TRACE.watch[0]:
            TRACE.watch[1].append((round((started - TRACE.watch[2]) * 1000, 2), round(took * 1000, 2),
                                   _where(self)))
        if took > LONG_S:
            TRACE.long.append((started, took, label))
    if os.environ.get("ACKS_TRACE_LOOP", "1") == "1":
        asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]

    handle = SlackAdapter.handle

    async def timed_handle(self: Any, request: Any) -> Any:
        started = time.monotonic()
        try:
            return await handle(self, request)
        finally:
            TRACE.handler.append((started, time.monotonic()))
    SlackAdapter.handle = timed_handle  # type: ignore[method-assign]

    accept = Inbox.accept

    async def timed_accept(self: Any, event: Any) -> Any:
        started = time.monotonic()
        try:
            return await accept(self, event)
        finally:
            TRACE.accept.append((started, time.monotonic()))
    Inbox.accept = timed_accept  # type: ignore[method-assign]

    write = Inbox._write

    async def timed_write(self: Any, batch: Any) -> Any:
        got = time.monotonic()
        try:
            return await write(self, batch)
        finally:
            TRACE.commit.append((getattr(self, "_asked", got), got, time.monotonic(), len(batch)))
    Inbox._write = timed_write  # type: ignore[method-assign]

    turn = Database.write_turn

    def asked_turn(self: Any) -> Any:
        for task_owner in (asyncio.current_task(),):
            if task_owner is not None and task_owner.get_name() == "inbox-writer":
                _INBOXES_ASKED[0] = time.monotonic()
        return turn(self)
    Database.write_turn = asked_turn  # type: ignore[method-assign]

    orig_write_or_split = Inbox._write_or_split

    async def noted(self: Any, batch: Any) -> Any:
        self._asked = _INBOXES_ASKED[0]
        return await orig_write_or_split(self, batch)
    Inbox._write_or_split = noted  # type: ignore[method-assign]


_INBOXES_ASKED = [0.0]


async def watch_lag(stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.sleep(0.001)
        TRACE.lag.append((started, time.monotonic() - started - 0.001))


def dump(path: str) -> None:
    Path(path).write_text(json.dumps({
        "t0": TRACE.t0, "handler": TRACE.handler, "accept": TRACE.accept, "commit": TRACE.commit,
        "lag": TRACE.lag, "held": TRACE.held, "samples": TRACE.samples, "long": TRACE.long, "busy": dict(TRACE.busy)}))
