"""The garbage collector, tuned for long-running roles (`run`, `web`, `worker`, `clock`)."""

from __future__ import annotations

import gc

from bot.constants import GC_THRESHOLDS


def tune_for_serving() -> None:
    """What was loaded at start (configuration, people, templates, imported code) leaves the collector's sight,
    and young collections run less often: otherwise a full collection over thousands of live objects stalls the
    event loop for tens of milliseconds in the middle of a standup wave (bench/clock.py shows it on the acks).
    Not for tests or one-shot commands: frozen objects are never freed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
