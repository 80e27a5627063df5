"""The delivery worker: claims outbox heads, renders them for their platform, sends, records the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import jinja2

from bot.calls import METER
from bot.constants import DELIVERY_WARM_MAX_S, OUTBOX_BATCH, OUTBOX_RUN, OUTBOX_RUN_MAX_S, WORKER_POLL_S
from bot.metrics import OUTBOX_DEAD, OUTBOX_DEFERRED, OUTBOX_RETRIED, OUTBOX_SENT
from notifiers.base import Outgoing, PermanentSendError, Sender, TransientSendError, Warms
from notifiers.outbox import ClaimedMessage, Outbox
from notifiers.pacing import Deferred
from notifiers.render import Renderer, TemplateMissing

log = logging.getLogger("pmsbot.delivery")



class Wake:
    """The delivery's wake-up (an asyncio.Event's set, clear, wait): set() also tells the outbox that messages wait
    in its table (Outbox.note_table_work), where Delivery.handed_over() only wakes it for messages in memory."""

    def __init__(self, on_set: Callable[[], None]) -> None:
        self.event = asyncio.Event()
        self._on_set = on_set

    def set(self) -> None:
        self._on_set()
        self.event.set()

    def clear(self) -> None:
        self.event.clear()

    def is_set(self) -> bool:
        return self.event.is_set()

    async def wait(self) -> bool:
        return await self.event.wait()


class Delivery:
    def __init__(self, outbox: Outbox, senders: dict[str, Sender], renderer: Renderer, *,
                 run: int = OUTBOX_RUN) -> None:
        self.outbox = outbox
        self.senders = senders
        self.renderer = renderer
        self.wake = Wake(outbox.note_table_work)
        self.delivered = asyncio.Event()  # set after each batch that delivered something (tests wait on it)
        self.warmed = asyncio.Event()  # set when run_forever has warmed its senders (or given up waiting) and claims
        self.poll_s = WORKER_POLL_S  # for messages nobody announced (a retry fallen due, a lease run out)
        self.run = run  # messages of one conversation claimed together, sent in order (store.claim)

    def handed_over(self) -> None:
        """The dispatcher handed messages over in memory (Outbox.hand_over): deliver them, no table look needed."""
        self.wake.event.set()

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.close()

    async def run_once(self, *, table: bool = True) -> int:
        """Deliver what was handed over, else (`table`) what is due in the table; returns how many messages were
        tried (sent, or given an outcome: a retry, a dead letter, a pacing delay)."""
        claimed = await self._claim(table=table)
        return await self._deliver_batch(claimed) if claimed else 0

    async def _claim(self, *, table: bool) -> list[ClaimedMessage]:
        claimed = self.outbox.take_local()
        if not claimed and table:
            claimed = await self.outbox.claim(limit=OUTBOX_BATCH, run=self.run)
            if len(claimed) >= OUTBOX_BATCH:
                self.outbox.note_table_work()  # other conversations' heads may wait beyond this batch
            # Fewer: every head due was taken. What waits behind them is looked for as the batch is marked sent
            # (Outbox.mark_sent_many), and what is stored meanwhile says so itself: looking again at once found
            # nothing but our own leased heads (measured: an empty claim transaction for every message claimed).
        self.outbox.sending(claimed)  # through them when their batch ends (_deliver_batch)
        return claimed

    async def _deliver_batch(self, claimed: list[ClaimedMessage]) -> int:
        try:
            return await self._deliver_claimed(claimed)
        finally:
            self.outbox.sent_batch(claimed)

    async def _deliver_claimed(self, claimed: list[ClaimedMessage]) -> int:
        # Conversations are independent; within one, a run is sent in order, and ends at a message not sent.
        runs: dict[tuple[str, str], list[ClaimedMessage]] = {}
        for m in claimed:
            runs.setdefault((m.envelope.platform, m.envelope.target), []).append(m)
        tried = [t for run in await asyncio.gather(*(self._deliver_run(r) for r in runs.values())) for t in run]
        # The batch's bookkeeping in one transaction: what was sent, and the calls it took (the SLA figures).
        now = self.outbox.clock.now()
        await self.outbox.mark_sent_many([(m, message_id) for m, sent, message_id in tried if sent], now=now,
                                         calls=(now.replace(second=0, microsecond=0), METER.take()))
        for m, sent, _ in tried:
            if sent:
                OUTBOX_SENT.labels(m.envelope.platform).inc()
        self.delivered.set()
        return len(tried)

    async def run_forever(self, stop: asyncio.Event) -> None:
        # The senders' tokens and connections first (their TLS set-up is CPU this event loop would otherwise spend
        # while a backlog's first calls wait): the first second of a wave is not spent on them. Bounded: a platform
        # that does not answer holds up no other platform for long (its warm-up goes on meanwhile).
        warming = asyncio.create_task(self.warm())
        try:
            await asyncio.wait({warming}, timeout=DELIVERY_WARM_MAX_S)
            self.warmed.set()
            # One batch ahead: the next is claimed and rendered while this one's calls are out (or wait for their
            # turn), so a wave's calls are not spaced by a claim, a render and a commit per batch, and a reply is
            # not held behind a whole batch's pacing. The claim takes only conversations' heads that are not
            # leased, so order within a conversation holds. Leaving (stop, error, cancel) ends the batch in hand.
            # The table is looked at when messages were stored there unclaimed (wake.set(), Outbox.note_table_work),
            # else every poll_s: messages handed over in memory cost no empty claim transaction besides.
            table_due_s = self.outbox.clock.monotonic()
            async with asyncio.TaskGroup() as batches:
                ahead: asyncio.Task[int] | None = None
                while not stop.is_set():
                    self.wake.clear()  # before looking, so a wake-up during the look is not lost
                    now_s = self.outbox.clock.monotonic()
                    table = self.outbox.take_table_work() or now_s >= table_due_s
                    if table:
                        table_due_s = now_s + self.poll_s
                    claimed = await self._claim(table=table)
                    if claimed:
                        previous, ahead = ahead, batches.create_task(self._deliver_batch(claimed))
                    else:
                        previous, ahead = ahead, None
                    if previous is not None:
                        await previous  # (its end may make the next message of a conversation its head)
                    if claimed or previous is not None:
                        continue
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), timeout=max(0.0, table_due_s - now_s))
        finally:
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming

    async def warm(self) -> None:
        """Each sender that has something to get ready (a token, a connection) gets it ready now."""
        await asyncio.gather(*(sender.warm() for sender in self.senders.values() if isinstance(sender, Warms)))

    async def _deliver_run(self, run: list[ClaimedMessage]) -> list[tuple[ClaimedMessage, bool, str | None]]:
        """One conversation's messages, one after the other; those after one not sent (or after OUTBOX_RUN_MAX_S,
        well inside their lease) are given back untried."""
        tried: list[tuple[ClaimedMessage, bool, str | None]] = []
        until_s = self.outbox.clock.monotonic() + OUTBOX_RUN_MAX_S
        for i, m in enumerate(run):
            sent, message_id = await self._deliver(m)
            tried.append((m, sent, message_id))
            if not sent or self.outbox.clock.monotonic() > until_s:
                await self.outbox.give_back(run[i + 1:])
                break
        return tried

    async def _deliver(self, msg: ClaimedMessage) -> tuple[bool, str | None]:
        """(sent, message id); a failure is recorded here, a success by the caller with the whole batch."""
        try:
            return await self._attempt(msg)
        except Exception as exc:  # the delivery boundary: a bug or an unforeseen error must not stall the line
            log.exception("delivery %s to %s failed unexpectedly", msg.id, msg.envelope.platform)
            if await self.outbox.retry_later(msg, error=f"{type(exc).__name__}: {exc}", retry_after_s=None):
                OUTBOX_RETRIED.labels(msg.envelope.platform).inc()
            else:
                OUTBOX_DEAD.labels(msg.envelope.platform).inc()
            return False, None

    async def _attempt(self, msg: ClaimedMessage) -> tuple[bool, str | None]:
        env = msg.envelope
        sender = self.senders.get(env.platform)
        if sender is None:
            await self.outbox.dead(msg, error=f"platform {env.platform!r} is not enabled")
            OUTBOX_DEAD.labels(env.platform).inc()
            return False, None
        try:
            rendered = self.renderer.render(platform=env.platform, locale=env.locale, kind=env.kind, data=env.data,
                                            actions=env.actions)
        except TemplateMissing as exc:
            await self.outbox.dead(msg, error=f"no template {exc}")
            OUTBOX_DEAD.labels(env.platform).inc()
            return False, None
        except jinja2.TemplateError as exc:  # the same data will fail the same way every time
            await self.outbox.dead(msg, error=f"template {env.platform}/{env.locale}/{env.kind}: {exc}")
            OUTBOX_DEAD.labels(env.platform).inc()
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
            OUTBOX_DEFERRED.labels(env.platform).inc()
            return False, None
        except TransientSendError as exc:
            log.warning("delivery %s to %s failed, will retry: %s", msg.id, env.platform, exc)
            if await self.outbox.retry_later(msg, error=str(exc), retry_after_s=exc.retry_after_s):
                OUTBOX_RETRIED.labels(env.platform).inc()
            else:
                OUTBOX_DEAD.labels(env.platform).inc()
            return False, None
        except PermanentSendError as exc:
            log.warning("delivery %s to %s failed for good: %s", msg.id, env.platform, exc)
            await self.outbox.dead(msg, error=str(exc))
            OUTBOX_DEAD.labels(env.platform).inc()
            return False, None
        finally:
            if env.platform != "console" and not paced:  # the console is our own table; a paced turn called nobody
                METER.count(env.platform, ok=bool(ok), elapsed_s=self.outbox.clock.monotonic() - started)
        return True, message_id
