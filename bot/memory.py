"""The garbage collector: tuned for long-running roles (`run`, `web`, `worker`, `clock`), and kept out of the way
while a start builds its bulk (the code it imports, 10,000 people's configuration, the apply)."""

from __future__ import annotations

import atexit
import functools
import gc
from collections.abc import Iterator
from contextlib import contextmanager

from bot.constants import GC_THRESHOLDS


def tune_for_serving() -> None:
    """What was loaded at start (configuration, people, templates, imported code) leaves the collector's sight,
    and young collections run less often: otherwise a full collection over thousands of live objects stalls the
    event loop for tens of milliseconds in the middle of a standup wave (bench/clock.py shows it on the acks).
    Not for tests or one-shot commands: frozen objects are never freed."""
    gc.unfreeze()  # what collector_paused(keep=True) set aside is looked at once more: its garbage is freed now
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@contextmanager
def collector_paused(*, keep: bool = False) -> Iterator[None]:
    """No collection while the block builds many objects at once: each full collection walks every object alive,
    and a start with 10,000 people set off several (half its time). What the block leaves as garbage is freed
    by reference counting as usual; only cycles wait for the next collection.
    keep: what the block built lives as long as the process (imported code, the configuration), so it is set
    aside (gc.freeze) rather than walked again by every later full collection. For one-shot commands and the
    start of a server (tune_for_serving looks at it once more), not for code that runs again and again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if was_enabled:
            gc.enable()


@functools.cache  # registered once per process, however often main() runs in it (tests)
def no_collection_at_exit() -> None:
    """At exit the interpreter runs one last full collection over everything still alive (a third of a second
    with 10,000 people loaded), only to find it all reachable; frozen objects are skipped (atexit runs before
    it). Memory is given back by the process's end either way."""
    atexit.register(gc.freeze)
