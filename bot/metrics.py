"""The Prometheus series of the inbox, the dispatcher, the hooks and the delivery, defined in one place so that
every role's /metrics names the same families: a `web` process, which loads none of the worker's parts (issue 21:
its idle memory), shows the worker's series at zero as it did when it loaded them. The connectors' series are in
bot/calls.py; the language model's, only where it is configured, in bot/language_model.py."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Read from the tables by /metrics (bot/app.py).
INBOX_PENDING = Gauge("pmsbot_inbox_pending", "Inbound events not yet handled")
INBOX_FAILED = Gauge("pmsbot_inbox_failed", "Inbound events parked as failed (rejected source deliveries and poison "
                                            "events): `pmsbot hooks failed` lists them with the reason")
OUTBOX_STATES = Gauge("pmsbot_outbox_messages", "Outbound messages by state (pending, sent, dead letters)", ["state"])

# Counted by the dispatcher (bot/dispatch/worker.py, bot/dispatch/hooks.py).
COMMANDS = Counter("pmsbot_commands_total", "Commands handled", ["outcome"])
DISPATCH_SECONDS = Histogram("pmsbot_dispatch_seconds", "Time from claim to committed replies",
                             buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
HOOK_DELIVERIES = Counter("pmsbot_hook_deliveries_total", "Source deliveries handled", ["source", "outcome"])

# Counted by the delivery worker (notifiers/delivery.py).
OUTBOX_SENT = Counter("pmsbot_outbox_sent_total", "Messages delivered", ["platform"])
OUTBOX_RETRIED = Counter("pmsbot_outbox_retried_total", "Deliveries that will be tried again", ["platform"])
OUTBOX_DEAD = Counter("pmsbot_outbox_dead_total", "Messages parked as dead letters", ["platform"])
OUTBOX_DEFERRED = Counter("pmsbot_outbox_deferred_total", "Messages held back by our pacing to a platform's limits",
                          ["platform"])
