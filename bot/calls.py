"""Outbound calls per connector (IM platforms, PMSs, callback URLs): Prometheus series and the SLA tally.

Every process counts its own calls here; the tally is flushed to `sla_minute` by whoever runs in the
process (the delivery worker after each batch, the runtime's flusher otherwise), so `pmsbot sla` and the
SLA risk rule see every connector, whichever role made the call.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter, Histogram


@dataclass
class Calls:
    """Outbound calls to one connector, counted in memory between flushes."""

    ok: int = 0
    failed: int = 0
    latency_ms: int = 0


CALLS = Counter("pmsbot_connector_calls_total", "Outbound calls per connector", ["connector", "outcome"])
LATENCY = Histogram("pmsbot_connector_call_seconds", "Outbound call time per connector", ["connector"])


class CallMeter:
    def __init__(self) -> None:
        self._calls: dict[str, Calls] = {}

    def count(self, connector: str, *, ok: bool, elapsed_s: float) -> None:
        calls = self._calls.setdefault(connector, Calls())
        calls.ok += ok
        calls.failed += not ok
        calls.latency_ms += int(elapsed_s * 1000)
        CALLS.labels(connector, "ok" if ok else "failed").inc()
        LATENCY.labels(connector).observe(elapsed_s)

    def take(self) -> dict[str, Calls]:
        """The calls counted since the last take, per connector."""
        calls, self._calls = self._calls, {}
        return calls


METER = CallMeter()  # one per process: calls from every part of it add up here
