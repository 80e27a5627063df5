"""Delivery: retries with backoff that honour Retry-After, dead letters, and ordering per conversation."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.clocks import FakeClock
from bot.store.db import Database
from bot.store.models import OutboxRow
from notifiers.base import Outgoing, PermanentSendError, TransientSendError
from notifiers.delivery import Delivery
from notifiers.outbox import Envelope, Outbox, backoff_s
from notifiers.render import Renderer

NOW = datetime(2027, 1, 4, 1, 30, tzinfo=UTC)
CLOCK = FakeClock(NOW)  # frozen: the tests move messages' due times themselves


class FlakySender:
    """Fails the first `fail` sends with a 429-like error, then records what it delivered."""

    platform = "console"

    def __init__(self, *, fail: int = 0, permanent_for: str | None = None) -> None:
        self.fail = fail
        self.permanent_for = permanent_for
        self.sent: list[tuple[str, str]] = []
        self.updated: list[tuple[str, str]] = []

    async def send(self, message: Outgoing) -> str:
        if message.target == self.permanent_for:
            raise PermanentSendError("channel_not_found")
        if self.fail > 0:
            self.fail -= 1
            raise TransientSendError("429 rate limited", retry_after_s=7)
        self.sent.append((message.target, message.rendered.text))
        return f"m{len(self.sent)}"

    async def update(self, message: Outgoing, message_id: str) -> None:
        self.updated.append((message_id, message.rendered.text))


def env(target: str, topic: str, **kw: object) -> Envelope:
    return Envelope(platform="console", target=target, kind="help", locale="en", data={"topic": topic},
                    actions=[], **kw)  # type: ignore[arg-type]


async def rows(db: Database) -> list[OutboxRow]:
    async with db.read() as s:
        return list((await s.execute(select(OutboxRow).order_by(col(OutboxRow.id)))).scalars())


async def test_retry_after_is_honoured_then_delivered_in_order(sqlite_db: Database) -> None:
    db = sqlite_db
    now = NOW
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("bob", "report"), env("bob", "done")], source_event=None, now=now)
    sender = FlakySender(fail=1)
    delivery = Delivery(Outbox(db, clock=CLOCK), {"console": sender}, Renderer())
    assert await delivery.run_once() == 1
    first = (await rows(db))[0]
    assert first.state == "pending" and first.last_error == "429 rate limited"
    assert first.available_at - now >= timedelta(seconds=7), "Retry-After is a floor for the next try"
    assert await delivery.run_once() == 0, "nothing is due, and the second message waits behind the first"
    async with db.write() as s:  # time passes
        row = await s.get(OutboxRow, first.id)
        assert row is not None
        row.available_at = now
    assert await delivery.run_once() == 2, "the head, then the one behind it, in one run"
    assert [text.split("\n")[0] for _, text in sender.sent] == ["Usage: report <task> <n>% [note] [<h>h]",
                                                                 "Usage: done <task> [note]"]
    assert [(r.state, r.attempts) for r in await rows(db)] == [("sent", 2), ("sent", 1)]


async def test_permanent_failure_and_missing_platform_are_dead_letters(sqlite_db: Database) -> None:
    db = sqlite_db
    now = NOW
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("ghost", "x"), env("bob", "x")], source_event=None, now=now)
        await Outbox(db, clock=CLOCK).enqueue(s, [Envelope(platform="slack", target="C1", kind="help", locale="en", data={"topic": None},
                             actions=[])], source_event=None, now=now)
        await Outbox(db, clock=CLOCK).enqueue(s, [Envelope(platform="console", target="bob", kind="no_such_kind", locale="en", data={},
                             actions=[])], source_event=None, now=now)
    sender = FlakySender(permanent_for="ghost")
    delivery = Delivery(Outbox(db, clock=CLOCK), {"console": sender}, Renderer())
    while await delivery.run_once():
        pass
    states = {(r.target, r.kind): (r.state, r.last_error) for r in await rows(db)}
    assert states[("ghost", "help")] == ("dead", "channel_not_found")
    assert states[("bob", "help")][0] == "sent"
    assert states[("C1", "help")] == ("dead", "platform 'slack' is not enabled")
    assert states[("bob", "no_such_kind")] == ("dead", "no template console/en/no_such_kind.j2")


async def test_card_updates_replace_the_sent_card(sqlite_db: Database) -> None:
    db = sqlite_db
    now = NOW
    sender = FlakySender()
    delivery = Delivery(Outbox(db, clock=CLOCK), {"console": sender}, Renderer())
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("carol", "approve", card_ref="approval:1")], source_event=None, now=now)
    await delivery.run_once()
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("carol", "reject", card_ref="approval:1", update=True)], source_event=None, now=now)
    await delivery.run_once()
    assert len(sender.sent) == 1 and sender.updated == [("m1", sender.updated[0][1])]
    assert "reject" in sender.updated[0][1]


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    rng = random.Random(1)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (20, 300.0)]:
        delays = [backoff_s(attempt, rng=rng) for _ in range(200)]
        assert min(delays) >= base / 2 and max(delays) <= base
        assert max(delays) - min(delays) > base / 4, "jitter spreads retries"


class BrokenSender(FlakySender):
    async def send(self, message: Outgoing) -> str:
        raise RuntimeError("bug in a sender")


async def test_an_unexpected_error_is_retried_then_dead_lettered(sqlite_db: Database) -> None:
    from bot.constants import OUTBOX_MAX_ATTEMPTS

    db = sqlite_db
    now = NOW
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("bob", "a"), env("bob", "b")], source_event=None, now=now)
    delivery = Delivery(Outbox(db, clock=CLOCK), {"console": BrokenSender()}, Renderer())
    for _ in range(OUTBOX_MAX_ATTEMPTS):
        assert await delivery.run_once() == 1
        async with db.write() as s:  # time passes: the backoff is over
            for row in (await s.execute(select(OutboxRow))).scalars():
                row.available_at = now
    first, second = await rows(db)
    assert first.state == "dead" and "RuntimeError: bug in a sender" in (first.last_error or "")
    assert second.state == "pending" and second.attempts == 0
    assert await delivery.run_once() == 1, "the next message is no longer held up"


async def test_a_message_whose_tries_never_finish_is_parked(sqlite_db: Database) -> None:
    from bot.constants import OUTBOX_MAX_ATTEMPTS

    db = sqlite_db
    outbox = Outbox(db, clock=CLOCK)
    now = NOW
    async with db.write() as s:
        await outbox.enqueue(s, [env("bob", "a")], source_event=None, now=now)
    for i in range(OUTBOX_MAX_ATTEMPTS):  # a worker claims it and dies each time
        assert len(await outbox.claim(limit=5, now=now + timedelta(hours=i))) == 1
    assert await outbox.claim(limit=5, now=now + timedelta(days=1)) == []
    (row,) = await rows(db)
    assert row.state == "dead" and "no outcome" in (row.last_error or "")


class PacedSender(FlakySender):
    """Our own pacing says "not yet" for the first `paced` sends (a platform's count per minute is used up)."""

    def __init__(self, *, paced: int) -> None:
        super().__init__()
        self.paced = paced

    async def send(self, message: Outgoing) -> str:
        from notifiers.pacing import Deferred
        if self.paced > 0:
            self.paced -= 1
            raise Deferred(42.0)
        return await super().send(message)


async def test_a_paced_message_waits_its_turn_without_spending_an_attempt(sqlite_db: Database) -> None:
    """A wave larger than a platform's minute is held back again and again: were each hold an attempt, its tail
    would end as dead letters. Held back, it stays the conversation's head, no error recorded."""
    from bot.constants import OUTBOX_MAX_ATTEMPTS
    db = sqlite_db
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("bob", "report"), env("bob", "done")], source_event=None,
                                              now=NOW)
    sender = PacedSender(paced=OUTBOX_MAX_ATTEMPTS + 2)
    delivery = Delivery(Outbox(db, clock=CLOCK), {"console": sender}, Renderer())
    for _ in range(OUTBOX_MAX_ATTEMPTS + 2):
        assert await delivery.run_once() == 1
        first = (await rows(db))[0]
        assert (first.state, first.attempts, first.last_error) == ("pending", 0, None)
        assert first.available_at == NOW + timedelta(seconds=42.0)  # when the pacing gives it a turn
        assert await delivery.run_once() == 0, "the second waits behind its head"
        async with db.write() as s:  # its turn comes
            row = await s.get(OutboxRow, first.id)
            assert row is not None
            row.available_at = NOW
    assert await delivery.run_once() == 2, "its turn has come, and the one behind it follows in the same run"
    assert len(sender.sent) == 2 and [r.state for r in await rows(db)] == ["sent", "sent"]


class StuckOn(FlakySender):
    """Fails (429-like) every send of one topic until `fixed`; each send takes `takes_s` on the clock."""

    def __init__(self, topic: str, *, clock: FakeClock = CLOCK, takes_s: float = 0.0) -> None:
        super().__init__()
        self.topic, self.clock, self.takes_s = topic, clock, takes_s
        self.fixed = False

    async def send(self, message: Outgoing) -> str:
        self.clock.advance(self.takes_s)
        if not self.fixed and message.rendered.text.startswith(f"Usage: {self.topic} "):
            raise TransientSendError("429 rate limited", retry_after_s=7)
        return await super().send(message)


def topics(sender: FlakySender) -> list[str]:
    """The verbs whose help was sent, in order (each message below is the help of one verb)."""
    return [text.split()[1] for _, text in sender.sent]


VERBS = ("report", "done", "block", "unblock", "status", "my", "new")


async def test_a_conversation_goes_in_runs_and_what_follows_a_failure_waits_untried(sqlite_db: Database) -> None:
    """A busy conversation's messages are claimed together and sent in order; after one that was not sent, the
    rest are given back: not tried, no attempt spent, still behind it."""
    db = sqlite_db
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("bob", t) for t in VERBS[:5]] + [env("carol", "approve")],
                                              source_event=None, now=NOW)
    sender = StuckOn("block")
    delivery = Delivery(Outbox(db, clock=CLOCK), {"console": sender}, Renderer())
    assert await delivery.run_once() == 4  # report, done, block (failed), and carol's approve
    assert topics(sender) == ["report", "done", "approve"]
    states = [(r.target, r.state, r.attempts) for r in await rows(db)]
    assert states == [("bob", "sent", 1), ("bob", "sent", 1), ("bob", "pending", 1), ("bob", "pending", 0),
                      ("bob", "pending", 0), ("carol", "sent", 1)]
    assert await delivery.run_once() == 0, "unblock and status wait behind block, which is not due"
    sender.fixed = True
    async with db.write() as s:  # time passes
        for row in (await s.execute(select(OutboxRow).where(col(OutboxRow.state) == "pending"))).scalars():
            row.available_at = NOW
    assert await delivery.run_once() == 3
    assert topics(sender) == ["report", "done", "approve", "block", "unblock", "status"]


async def test_a_run_is_bounded_in_length_and_in_time(sqlite_db: Database) -> None:
    from bot.constants import OUTBOX_RUN_MAX_S

    db = sqlite_db
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("bob", t) for t in VERBS], source_event=None, now=NOW)
    clock = FakeClock(NOW)
    sender = StuckOn("none", clock=clock, takes_s=OUTBOX_RUN_MAX_S / 2 + 0.1)  # the second send ends past the bound
    delivery = Delivery(Outbox(db, clock=clock), {"console": sender}, Renderer(), run=4)
    assert await delivery.run_once() == 2, "sending stops once the run has taken OUTBOX_RUN_MAX_S"
    assert [(r.state, r.attempts) for r in await rows(db)][2:4] == [("pending", 0), ("pending", 0)]
    sender.takes_s = 0.0
    assert await delivery.run_once() == 4, "the next run: as long as run=4 allows"
    assert await delivery.run_once() == 1
    assert topics(sender) == list(VERBS)


async def test_a_card_update_is_not_sent_in_the_run_of_the_card_it_updates(sqlite_db: Database) -> None:
    """The update needs the card's message id, recorded when the run that posts the card is marked sent."""
    db = sqlite_db
    async with db.write() as s:
        await Outbox(db, clock=CLOCK).enqueue(s, [env("carol", "approve", card_ref="approval:1"),
                                                  env("carol", "reject", card_ref="approval:1", update=True)],
                                              source_event=None, now=NOW)
    sender = FlakySender()
    delivery = Delivery(Outbox(db, clock=CLOCK), {"console": sender}, Renderer())
    assert await delivery.run_once() == 1
    assert await delivery.run_once() == 1
    assert len(sender.sent) == 1 and [mid for mid, _ in sender.updated] == ["m1"]


async def test_a_reply_stored_behind_a_head_another_process_holds_is_looked_for_once_that_head_is_sent(
        sqlite_db: Database) -> None:
    """Two worker processes, one conversation: B's reply is stored unclaimed behind the head A holds. B's own look
    finds that head leased; A, marking its head sent, learns that a message waits there and looks at once (it
    used to wait for the next poll, up to WORKER_POLL_S for each such reply)."""
    db = sqlite_db
    a, b = Outbox(db, clock=CLOCK), Outbox(db, clock=CLOCK)
    async with db.write() as s:
        await a.enqueue(s, [env("bob", "report")], source_event=None, now=NOW)
    head = await a.claim(limit=10, run=4)
    async with db.write() as s:
        await b.enqueue(s, [env("bob", "done")], source_event=None, now=NOW)
    assert await b.claim(limit=10, run=4) == [], "the head is A's until it is sent"
    a.take_table_work()
    await a.mark_sent_many([(head[0], None)], now=NOW)
    assert a.take_table_work(), "a message waits in the conversation A just sent to"
    follower = await a.claim(limit=10, run=4)
    assert [m.envelope.data["topic"] for m in follower] == ["done"]
    a.take_table_work()
    await a.mark_sent_many([(follower[0], None)], now=NOW)
    assert not a.take_table_work(), "nothing waits: no look for nothing"


async def test_a_reply_stored_behind_one_being_sent_is_looked_for_when_its_batch_is_over(sqlite_db: Database) -> None:
    """The delivery is sending a conversation's head when the next reply is stored behind it: a look at once would
    find only that leased head (a transaction for nothing), so the look comes when the batch is over. A reply for
    a conversation the delivery is not sending in is looked for once its transaction has committed, not before."""
    db = sqlite_db
    outbox = Outbox(db, clock=CLOCK)
    delivery = Delivery(outbox, {"console": FlakySender()}, Renderer())
    async with db.write() as s:
        await outbox.enqueue(s, [env("bob", "report")], source_event=None, now=NOW)
    assert outbox.take_table_work()
    batch = await delivery._claim(table=True)
    assert [m.envelope.target for m in batch] == ["bob"]
    assert not outbox.take_table_work(), "every due head was taken: nothing to look for"
    async with db.write() as s:
        await outbox.enqueue(s, [env("bob", "done"), env("carol", "help")], source_event=None, now=NOW)
        assert not outbox.take_table_work(), "not committed yet: a look now would not see them"
    assert outbox.take_table_work(), "carol's reply: looked for at once"
    async with db.write() as s:
        await outbox.enqueue(s, [env("bob", "status")], source_event=None, now=NOW)
    assert not outbox.take_table_work(), "behind the head being sent: not yet"
    assert await delivery._deliver_batch(batch) == 1
    assert outbox.take_table_work(), "the batch is over: what waits behind it is looked for"
    assert [m.envelope.data["topic"] for m in await delivery._claim(table=True)] == ["done", "help", "status"]
