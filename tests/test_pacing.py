"""Pacing to published limits (notifiers/pacing.py), checked against the fakes' own limit classes: the moments our
limiters give, as arrivals at a platform that counts them (tests/fakes/server.py), are never refused."""

from __future__ import annotations

import asyncio
import math
import random
from datetime import UTC, datetime

import pytest

from bot.clocks import FakeClock
from bot.config import Settings
from notifiers.pacing import (
    Deferred,
    SlidingWindow,
    TokenBucket,
    agree,
    turn,
    wait_turn,
)
from notifiers.render import Renderer
from tests.fakes.server import Bucket, Limit, Window, admit

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def refused(arrivals: list[tuple[float, str]], app: list[Limit], chat: tuple[float, float] | None = None) -> int:
    """Calls (moment, chat) a platform with these limits refuses, counting them as they arrive."""
    chats: dict[str, Bucket] = {}
    refusals = 0
    for at, target in sorted(arrivals):
        limits = [*([chats.setdefault(target, Bucket(*chat))] if chat else []), *app]
        refusals += max(admit(at, *limits)) > 0
    return refusals


def test_one_moment_is_taken_in_every_limiter() -> None:
    """A second's budget and a minute's count together: calls held back by the count go when it opens, spaced
    as the second's budget allows, each at one moment counted in both."""
    clock = FakeClock(T0)
    second, count = TokenBucket(9.9, 5), SlidingWindow(20, 10.01)  # a hair inside (float sums)
    start = clock.monotonic()
    moments = [turn((second, count), start, max_wait_s=100.0)[0] for _ in range(20)]  # the count used up
    clock.advance(2.0)
    moments += [turn((second, count), clock.monotonic(), max_wait_s=100.0)[0] for _ in range(20)]
    assert moments[20] == pytest.approx(start + 10.01)  # the 21st: when the count's window has moved past the 1st
    assert refused([(m, "") for m in moments], [Bucket(10.0, 5), Window(20, 10.0)]) == 0
    assert moments == sorted(moments)


def test_a_moment_too_far_off_takes_nothing() -> None:
    second, count = TokenBucket(10.0, 5), SlidingWindow(3, 60.0)
    for _ in range(3):
        turn((second, count), 100.0)
    before = (second.tokens, second.at, list(count._calls))
    with pytest.raises(Deferred) as held:
        turn((second, count), 100.5)
    assert held.value.retry_after_s == pytest.approx(59.5)
    assert (second.tokens, second.at, list(count._calls)) == before  # no turn spent on a call that did not go
    assert agree((second, count), 160.0) == pytest.approx(160.0)


def test_feishu_defaults_stay_within_the_limits_under_crowding() -> None:
    """The Feishu sender's limiters as shipped (5/s per chat; per app 50/s and 1000 a minute) through a wave of
    1,200 cards to 240 chats, claimed 100 at a time as the outbox does, on a busy machine: each call arrives up to
    2.5 s after its turn (as measured with load 8 on 2 cores) and is answered a little after. The fake Feishu's
    limits admit every arrival, and the wave ends within 1.1x of their minimum."""
    from bench.common import minimum_s
    from bot.constants import (
        FEISHU_APP_BURST,
        FEISHU_APP_PER_MINUTE,
        FEISHU_APP_RATE_PER_S,
        FEISHU_CHAT_BURST,
        FEISHU_CHAT_RATE_PER_S,
    )
    from notifiers.feishu import FeishuSender
    from tests.fakes import feishu as fake

    settings = Settings(feishu_app_id=fake.APP_ID, feishu_app_secret=fake.APP_SECRET, feishu_encrypt_key=fake.ENCRYPT_KEY)
    pacer = FeishuSender(None, settings, Renderer())._pacer
    rng = random.Random(21)
    clock = FakeClock(T0)
    due = [(0.0, n, f"oc_{n % 240:03d}") for n in range(1200)]  # (due, place, chat): the outbox's order
    start = now = clock.monotonic()
    arrivals: list[tuple[float, str]] = []
    while due:
        due.sort()
        clock.advance(max(0.0, start + due[0][0] - now))
        now = clock.monotonic()
        batch = [d for d in due if start + d[0] <= now][:100]
        due = [d for d in due if d not in batch]
        answers = [now]
        for _, place, target in batch:
            limiters = pacer.limiters(target)
            own = agree(limiters[:1], now)
            assert agree(limiters, own) < math.inf  # every call before this round was answered
            try:
                at, taken = turn(limiters, own)
            except Deferred as exc:  # back to the outbox until then
                due.append((now - start + exc.retry_after_s, place, target))
                continue
            arrived = at + (rng.uniform(0.0, 2.5) if rng.random() < 0.2 else rng.uniform(0.0, 0.05))
            arrivals.append((arrived, target))
            taken.answered(arrived + 0.01)
            answers.append(arrived + 0.01)
        clock.advance(max(answers) - now)
        now = clock.monotonic()
    app_limits: list[Limit] = [Bucket(FEISHU_APP_RATE_PER_S, FEISHU_APP_BURST), Window(FEISHU_APP_PER_MINUTE, 60.0)]
    assert refused(arrivals, app_limits, (FEISHU_CHAT_RATE_PER_S, FEISHU_CHAT_BURST)) == 0
    least = minimum_s([t for _, t in arrivals], app_limits, lambda: Bucket(FEISHU_CHAT_RATE_PER_S, FEISHU_CHAT_BURST))
    assert len(arrivals) == 1200 and max(a for a, _ in arrivals) - start <= 1.1 * least


def test_a_window_counts_a_call_until_its_answer() -> None:
    """Counted until answered: a call holds its place in the window until its answer (however late), and a window
    full of unanswered calls gives no moment at all (wait_turn waits for an answer)."""
    window = SlidingWindow(2, 1.0, until_answered=True)
    first, second = window.take(100.0), window.take(100.0)
    assert agree((window,), 100.5) == math.inf
    first.answered(100.8)
    assert agree((window,), 100.5) == pytest.approx(101.8)  # one counted call may share its window: the other's
    second.answered(100.3)
    assert agree((window,), 100.5) == pytest.approx(101.3)  # now the earlier answer is the one to clear


def test_a_window_given_back_counts_as_before() -> None:
    window = SlidingWindow(3, 10.0)
    assert [window.reserve(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert window.reserve(101.0) == pytest.approx(9.0)  # the 4th: 10 s after the 1st
    window.give_back()
    assert window.earliest(105.0) == pytest.approx(110.0)  # still the 1st's window, not free
    assert window.reserve(110.0) == 0.0 and window.earliest(110.0) == pytest.approx(110.0)


async def test_wait_turn_waits_for_the_chat_before_taking_the_app_turn() -> None:
    """A busy chat's call waits for its chat first, holding no turn of the app's: another chat's call that comes
    meanwhile goes at once."""
    clock = FakeClock(T0)
    busy, idle, app = TokenBucket(1.0, 1), TokenBucket(1.0, 1), TokenBucket(100.0, 1)
    busy.reserve(clock.monotonic())
    waiting = asyncio.create_task(wait_turn(busy, app, clock=clock, max_wait_s=5.0))
    await asyncio.sleep(0)
    assert app.tokens is None  # nothing taken of the app's budget while the chat's turn is a second away
    await wait_turn(idle, app, clock=clock)  # another chat: at once
    assert app.tokens == pytest.approx(0.0) and not waiting.done()
    waiting.cancel()


async def test_a_turn_cancelled_before_its_moment_frees_its_place() -> None:
    """A call waiting for its moment (its turn taken in every limiter) and cancelled never goes: it holds no place in
    a window, which would otherwise count it, unanswered, for ever."""
    from tests.waiting import eventually

    clock = FakeClock(T0)
    now = clock.monotonic()
    chat, app = TokenBucket(100.0, 10), SlidingWindow(1, 1.0, until_answered=True)
    app.take(now).answered(now + 0.1)
    waiting = asyncio.create_task(wait_turn(chat, app, clock=clock))

    async def turn_taken() -> bool:
        return len(app._calls) == 2
    await eventually(turn_taken, what="the second call's turn taken, a second ahead")
    assert agree((app,), now) == math.inf  # taken and not answered: it fills the window
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert agree((app,), now) == pytest.approx(now + 1.1)  # a second after the first call's answer, as before
