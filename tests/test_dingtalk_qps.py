"""DingTalk's QPS per app and API (20 calls in a second for the standard edition): the fake refuses a 21st call as
DingTalk does, and the sender's pacing as shipped never makes it, however late a busy machine lets its calls arrive.
Source: open.dingtalk.com/document/development/how-to-process-api-throttling-on-the-dingtalk-server."""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.clocks import FakeClock
from bot.config import Settings
from notifiers.base import Outgoing, Rendered
from notifiers.pacing import agree, turn
from notifiers.render import Renderer
from tests.fakes import dingtalk as fake
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.server import Window, admit
from tests.waiting import eventually

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GROUP = "cidPUMPgroup0001=="


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[FakeDingTalk]:
    dingtalk = FakeDingTalk(clock=clock.monotonic)
    await dingtalk.start()
    yield dingtalk
    await dingtalk.stop()


def settings(server: FakeDingTalk) -> Settings:
    return Settings(dingtalk_client_id=fake.CLIENT_ID, dingtalk_client_secret=fake.CLIENT_SECRET,
                    dingtalk_api_base=server.base, dingtalk_oapi_base=server.base)


async def test_a_21st_call_in_any_second_is_refused_as_dingtalk_refuses_it(server: FakeDingTalk,
                                                                           clock: FakeClock) -> None:
    """20 calls to one API in a second go; the 21st gets HTTP 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi
    (the old API: errcode 90018). The count is per API, and over any second, not per calendar second."""
    async with httpx.AsyncClient(base_url=server.base) as http:
        token = (await http.post("/v1.0/oauth2/accessToken", json={
            "appKey": fake.CLIENT_ID, "appSecret": fake.CLIENT_SECRET})).json()["accessToken"]
        headers = {"x-acs-dingtalk-access-token": token}
        body = {"robotCode": fake.ROBOT_CODE, "msgKey": "sampleText", "msgParam": json.dumps({"content": "hi"})}

        async def one_to_one(n: int) -> httpx.Response:
            return await http.post("/v1.0/robot/oToMessages/batchSend", headers=headers,
                                   json={**body, "userIds": [f"staff{n}"]})

        for n in range(20):
            assert (await one_to_one(n)).status_code == 200
            clock.advance(0.04)  # the 20th 0.76 s after the 1st
        refused = await one_to_one(20)
        assert refused.status_code == 403 and refused.json()["code"] == fake.QPS_CODE
        group = await http.post("/v1.0/robot/groupMessages/send", headers=headers,
                                json={**body, "openConversationId": GROUP})
        assert group.status_code == 200  # another API: a count of its own
        clock.advance(0.2)  # a second after the 1st call: it has left the window, the other 19 have not
        assert (await one_to_one(21)).status_code == 200
        assert (await one_to_one(22)).status_code == 403  # 20 in the last second (seconds cut at the 1st call: 2)
        for _ in range(21):
            old = await http.post("/topapi/v2/user/get", params={"access_token": token}, json={"userid": "x"})
        assert old.json()["errcode"] == fake.QPS_ERRCODE
    assert server.throttled == 3 and server.send_calls == 22


def test_a_wave_with_the_shipped_pacing_is_never_refused_however_late_its_calls_arrive() -> None:
    """The sender's limiters as shipped through a 1,000-person wave (50 batchSends; a claim of 100 prompts makes 5
    of them, and the delivery claims one batch ahead: a batch's calls take their turns once the batch before the
    last is answered): each call arrives up to 0.5 s after its turn (a busy machine) and is answered 10 ms after.
    The fake's own window admits every arrival (counted from their turns instead, calls that arrive promptly crowd
    into the second of calls a second older that arrived late). With prompt arrivals, the wave ends within 1.1x of
    the minimum."""
    from bench.common import minimum_s
    from notifiers.dingtalk import DingTalkSender

    def wave(lateness_s: float, rng: random.Random) -> list[float]:
        pacer = DingTalkSender(None, Settings(dingtalk_client_id=fake.CLIENT_ID,
                                              dingtalk_client_secret=fake.CLIENT_SECRET), Renderer())._pacer
        answered = [0.0, 0.0]  # when each batch was answered in full (two to start: one batch ahead)
        arrivals: list[float] = []
        for batch in range(10):
            answers = []
            for _ in range(5):
                limiters = pacer.limiters("")  # a batch counts against the app only
                at, taken = turn(limiters, agree(limiters, answered[batch]))
                arrived = at + rng.uniform(0.0, lateness_s)
                arrivals.append(arrived)
                taken.answered(arrived + 0.01)
                answers.append(arrived + 0.01)
            answered.append(max(answers))
        return arrivals

    qps = Window(fake.APP_PER_SECOND, 1.0)
    late = wave(0.5, random.Random(21))
    assert sum(max(admit(at, qps)) > 0 for at in sorted(late)) == 0
    prompt = wave(0.005, random.Random(21))
    least = minimum_s([""] * 50, [Window(fake.APP_PER_SECOND, 1.0)])
    assert least == pytest.approx(2.0) and max(prompt) + 0.01 <= 1.1 * least


async def test_a_send_cancelled_before_its_turn_frees_its_place(server: FakeDingTalk) -> None:
    """One call a second: the second send waits for its turn and is cancelled (a shutdown); it went nowhere, and the
    next call's moment is a second after the first's answer, not after a call that never was."""
    from notifiers.dingtalk import DingTalkSender

    sender = DingTalkSender(None, settings(server), Renderer(), app_per_second=1)
    app = sender._pacer.limiters("")[0]

    def message(n: int) -> Outgoing:
        return Outgoing(outbox_id=n, platform="dingtalk", target=GROUP, card_ref=None,
                        rendered=Rendered(kind="help", text=f"n={n}"))
    try:
        await sender.send(message(1))
        waiting = asyncio.create_task(sender.send(message(2)))

        async def waits_for_its_turn() -> bool:
            return agree((app,), 0.0) == math.inf  # its turn taken a second ahead, unanswered
        await eventually(waits_for_its_turn, what="the second send holding its turn")
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        first_answered = max(c.at for c in app._calls)  # type: ignore[attr-defined]
        assert agree((app,), 0.0) == pytest.approx(first_answered + 1.0)
        assert [m.text for m in server.messages(GROUP)] == ["n=1"]
    finally:
        await sender.close()
