"""Exactly-once calls to a remote PMS across retries of one command.

A command such as `done PUMP-12 2h fixed` makes several calls (read the issue, log work, list transitions,
transition, read it back). When the PMS stops answering half-way, the command is retried later. Every call an
attempt makes is recorded here with its answer, in order; the retry replays the same calls and gets the
recorded answers back without calling again, up to the point where the first attempt stopped, and only then
goes on live. So no write is made twice, and the retry takes the same decisions the first attempt took (it
does not, say, re-read the task as already done and refuse).

The journal rides in a context variable set by the dispatcher for the event in hand; connectors' HTTP client
(bot/pms/http.py) consults it for every call. Writes are saved as soon as they are made when the dispatcher
can (outside the write transaction); the rest is saved when the PMS goes away.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

NOTICE = "notice"  # the step recording "the person was told their command is queued"
MAX_STEP_CHARS = 200


@dataclass(frozen=True)
class Recorded:
    status: int
    body: str
    write: bool

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body, "write": self.write}

    @classmethod
    def of(cls, data: Any) -> Recorded | None:
        if not isinstance(data, dict) or not isinstance(data.get("status"), int):
            return None
        return cls(status=data["status"], body=str(data.get("body", "")), write=bool(data.get("write")))


class Journal:
    """The calls of one inbox event: `done` from earlier attempts, `new` made in this one, in order."""

    def __init__(self, done: dict[str, Any] | None = None,
                 on_write: Callable[[str, Any], Awaitable[None]] | None = None) -> None:
        self.done = dict(done or {})
        self.new: dict[str, Any] = {}
        self.on_write = on_write  # saves a write's step at once (set when no transaction is open)
        self._seen: Counter[str] = Counter()

    def step(self, connector: str, method: str, path: str) -> str:
        base = f"{connector} {method} {path}"
        self._seen[base] += 1
        key = f"{base}#{self._seen[base]}"
        if len(key) > MAX_STEP_CHARS:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return key

    def result(self, step: str) -> tuple[bool, Any]:
        if step in self.new:
            return True, self.new[step]
        if step in self.done:
            return True, self.done[step]
        return False, None

    def replayed(self, step: str) -> Recorded | None:
        found, value = self.result(step)
        return Recorded.of(value) if found else None

    async def record_call(self, step: str, recorded: Recorded) -> None:
        self.new[step] = recorded.as_json()
        if recorded.write and self.on_write is not None:
            await self.on_write(step, recorded.as_json())

    def record(self, step: str, value: Any) -> None:
        self.new[step] = value

    def restart(self) -> None:
        """The command runs again from the top in this attempt (it needed the write transaction): its calls
        replay from what this attempt recorded so far."""
        self._seen.clear()
        self.on_write = None

    def to_save(self) -> dict[str, Any]:
        """What must outlive this attempt: every call up to the last write (a read-only command is simply run
        again), and the notice flag."""
        ordered = list(self.new.items())
        last_write = max((i for i, (_, v) in enumerate(ordered) if isinstance(v, dict) and v.get("write")),
                         default=-1)
        keep = dict(ordered[:last_write + 1])
        if NOTICE in self.new:
            keep[NOTICE] = self.new[NOTICE]
        return keep

    def writes(self) -> list[str]:
        return [k for k, v in {**self.done, **self.new}.items() if isinstance(v, dict) and v.get("write")]


JOURNAL: ContextVar[Journal | None] = ContextVar("pmsbot_pms_journal", default=None)
