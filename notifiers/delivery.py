"""The delivery worker: claims outbox heads, renders them for their platform, sends, records the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import jinja2
from prometheus_client import Counter

from bot.calls import METER
from bot.constants import OUTBOX_BATCH, WORKER_POLL_S
from notifiers.base import Outgoing, PermanentSendError, Sender, TransientSendError
from notifiers.outbox import ClaimedMessage, Outbox
from notifiers.pacing import Deferred
from notifiers.render import Renderer, TemplateMissing

log = logging.getLogger("pmsbot.delivery")

SENT = Counter("pmsbot_outbox_sent_total", "Messages delivered", ["platform"])
RETRIED = Counter("pmsbot_outbox_retried_total", "Deliveries that will be tried again", ["platform"])
DEAD = Counter("pmsbot_outbox_dead_total", "Messages parked as dead letters", ["platform"])
DEFERRED = Counter("pmsbot_outbox_deferred_total", "Messages held back by our pacing to a platform's limits",
                   ["platform"])


class Delivery:
    def __init__(self, outbox: Outbox, senders: dict[str, Sender], renderer: Renderer) -> None:
        self.outbox = outbox
        self.senders = senders
        self.renderer = renderer
        self.wake = asyncio.Event()
        self.delivered = asyncio.Event()  # set after each batch that delivered something (tests wait on it)
        self.poll_s = WORKER_POLL_S  # for messages nobody announced (a retry fallen due, a lease run out)

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.close()

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many messages were handled."""
        claimed = self.outbox.take_local() or await self.outbox.claim(limit=OUTBOX_BATCH)
        if not claimed:
            return 0
        # Conversations are independent; within one conversation only its head was claimed.
        outcomes = await asyncio.gather(*(self._deliver(m) for m in claimed))
        # The batch's bookkeeping in one transaction: what was sent, and the calls it took (the SLA figures).
        now = self.outbox.clock.now()
        await self.outbox.mark_sent_many([(m, message_id) for m, (sent, message_id) in zip(claimed, outcomes, strict=True)
                                          if sent], now=now, calls=(now.replace(second=0, microsecond=0), METER.take()))
        for m, (sent, _) in zip(claimed, outcomes, strict=True):
            if sent:
                SENT.labels(m.envelope.platform).inc()
        self.delivered.set()
        return len(claimed)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wake.clear()  # before looking, so a wake-up during the look is not lost
            if await self.run_once():
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_s)

    async def _deliver(self, msg: ClaimedMessage) -> tuple[bool, str | None]:
        """(sent, message id); a failure is recorded here, a success by the caller with the whole batch."""
        try:
            return await self._attempt(msg)
        except Exception as exc:  # the delivery boundary: a bug or an unforeseen error must not stall the line
            log.exception("delivery %s to %s failed unexpectedly", msg.id, msg.envelope.platform)
            if await self.outbox.retry_later(msg, error=f"{type(exc).__name__}: {exc}", retry_after_s=None):
                RETRIED.labels(msg.envelope.platform).inc()
            else:
                DEAD.labels(msg.envelope.platform).inc()
            return False, None

    async def _attempt(self, msg: ClaimedMessage) -> tuple[bool, str | None]:
        env = msg.envelope
        sender = self.senders.get(env.platform)
        if sender is None:
            await self.outbox.dead(msg, error=f"platform {env.platform!r} is not enabled")
            DEAD.labels(env.platform).inc()
            return False, None
        try:
            rendered = self.renderer.render(platform=env.platform, locale=env.locale, kind=env.kind, data=env.data,
                                            actions=env.actions)
        except TemplateMissing as exc:
            await self.outbox.dead(msg, error=f"no template {exc}")
            DEAD.labels(env.platform).inc()
            return False, None
        except jinja2.TemplateError as exc:  # the same data will fail the same way every time
            await self.outbox.dead(msg, error=f"template {env.platform}/{env.locale}/{env.kind}: {exc}")
            DEAD.labels(env.platform).inc()
            return False, None
        out = Outgoing(outbox_id=msg.id, platform=env.platform, target=env.target, card_ref=env.card_ref,
                       rendered=rendered, locale=env.locale, origin=env.origin)
        earlier = (await self.outbox.card_message_id(env.platform, env.target, env.card_ref)
                   if env.update and env.card_ref else None)
        started = self.outbox.clock.monotonic()
        ok = paced = False
        try:
            message_id: str | None = None
            if earlier is not None:
                await sender.update(out, earlier)
            else:
                message_id = await sender.send(out)
            ok = True
        except Deferred as exc:  # our own pacing: not a failure, and no attempt spent
            paced = True
            log.debug("delivery %s to %s paced: %s", msg.id, env.platform, exc)
            await self.outbox.defer(msg, after_s=exc.retry_after_s)
            DEFERRED.labels(env.platform).inc()
            return False, None
        except TransientSendError as exc:
            log.warning("delivery %s to %s failed, will retry: %s", msg.id, env.platform, exc)
            if await self.outbox.retry_later(msg, error=str(exc), retry_after_s=exc.retry_after_s):
                RETRIED.labels(env.platform).inc()
            else:
                DEAD.labels(env.platform).inc()
            return False, None
        except PermanentSendError as exc:
            log.warning("delivery %s to %s failed for good: %s", msg.id, env.platform, exc)
            await self.outbox.dead(msg, error=str(exc))
            DEAD.labels(env.platform).inc()
            return False, None
        finally:
            if env.platform != "console" and not paced:  # the console is our own table; a paced turn called nobody
                METER.count(env.platform, ok=bool(ok), elapsed_s=self.outbox.clock.monotonic() - started)
        return True, message_id
