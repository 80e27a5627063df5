"""Benchmark: a DingTalk standup wave, 1,000 one-to-one prompts, against the platform's limits.

    python -m bench.dingtalk [--people 1000] [--alerts 30] [--results PATH] [--quick]

The prompts go through the outbox and the DingTalk sender to the fake DingTalk in its own process, which allows
the standard edition's 20 calls per app per API in any second (a 21st is refused: HTTP 403
QpsLimitForAppkeyAndApi) and 20 staff ids per oToMessages/batchSend. Printed: API calls made against one per person
(what batching saved), elapsed time against the minimum that limit allows for the calls that batching needs (50
calls: 2.0 s, the 21st and the 41st a second after the 1st and the 21st), throttled calls, lost and duplicated
prompts.

Then --alerts risk alerts to the custom group robot, whose published limit is 20 messages a minute ("如果超过20条，
会限流10分钟"), which the fake enforces as a count in any minute with the ten minutes of silence: elapsed against the
minimum that allows (the 21st a minute after the first), and throttled calls (each one would cost ten minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.common import FANOUT_GOAL, HOST, child, deliver_all, fanout_result, minimum_s, reordered, sequenced
from bench.table import Result, add_results
from notifiers.outbox import Envelope
from tests.fakes import dingtalk as fake


async def fanout(args: argparse.Namespace, tmp: Path) -> Result:
    from bot.config import Config, Settings
    from bot.constants import DINGTALK_BATCH_MAX
    from bot.runtime import Runtime

    people = args.people
    print(f"== DingTalk standup wave: {people} one-to-one prompts; the fake DingTalk in its own process allows "
          f"{fake.APP_PER_SECOND} calls per app per API in any second, {DINGTALK_BATCH_MAX} people per batchSend")
    with child("tests.fakes.dingtalk") as (line, _):
        port = int(line)
        base = f"http://{HOST}:{port}"
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'fanout.db'}", dingtalk_client_id=fake.CLIENT_ID,
                            dingtalk_client_secret=fake.CLIENT_SECRET, dingtalk_api_base=base, dingtalk_oapi_base=base)
        rt = Runtime(settings, Config())
        await rt.open()
        envelopes = [Envelope(platform="dingtalk", target=f"staff{n:05d}", kind="standup_prompt", locale="zh",
                              data={"project": "PUMP", "day": "2026-12-01", "deadline": "10:30", "questions": None},
                              actions=[]) for n in range(people)]
        async with rt.db.write() as s:
            await rt.outbox.enqueue(s, envelopes, source_event=None, now=datetime.now(UTC), preclaim=False)
        elapsed = await deliver_all(rt, limit_s=600)
        counts = await rt.outbox.counts()
        await rt.close()
        async with aiohttp.ClientSession() as session, session.get(f"{base}/_stats") as r:
            stats = await r.json()
    received = [target for road, target, _ in stats["sent"] if road == "oto"]
    calls = stats["send_calls"]
    needed = math.ceil(people / DINGTALK_BATCH_MAX)
    def qps() -> list[fake.Window]:  # the limit the fake enforces, in its own class (a fresh count each time)
        return [fake.Window(fake.APP_PER_SECOND, 1.0)]
    minimum, unbatched = minimum_s([""] * needed, qps()), minimum_s([""] * people, qps())
    print(f"  delivered {len(set(received))}/{people} in {elapsed:.2f} s with {calls} API calls "
          f"(one per person: {people}; saved {people - calls}, {100 * (people - calls) / people:.1f} %; "
          f"fewest possible {needed})")
    print(f"  minimum the limits allow for {needed} calls {minimum:.2f} s (unbatched: {unbatched:.2f} s); "
          f"ratio {(elapsed / minimum) if minimum > 0 else float('nan'):.2f}; elapsed vs unbatched minimum "
          f"{elapsed / unbatched if unbatched > 0 else float('nan'):.3f}; throttled {stats['throttled']}; "
          f"lost {people - len(set(received))}; duplicated {len(received) - len(set(received))}; "
          f"tokens {stats['tokens_issued']}; outbox {counts}")
    lost, throttled = people - len(set(received)), int(stats["throttled"])
    # Up to a second's count the limit allows the calls at once: the figure is then against one second, not zero.
    floor = max(minimum, 1.0)
    return Result(
        row="DingTalk standup wave (one-to-one prompts) with shipped defaults",
        measured=f"{people} prompts in {calls} API calls (fewest possible {needed}), {elapsed:.1f} s; throttled "
                 f"{throttled}; lost {lost}; duplicated {len(received) - len(set(received))}",
        peer=f"the limits' minimum for {needed} calls {minimum:.1f} s (one call per person: {unbatched:.1f} s)",
        ratio=round(elapsed / floor, 3), goal=f"<= {FANOUT_GOAL:g}x the minimum (at least 1 s), none throttled or lost",
        met=elapsed <= FANOUT_GOAL * floor and throttled == 0 and lost == 0,
        figures={"elapsed_s": elapsed, "minimum_s": minimum, "calls": calls, "needed": needed})


async def alerts(args: argparse.Namespace, tmp: Path) -> Result:
    from bot.config import Config, Settings
    from bot.constants import DINGTALK_ROBOT_PER_MINUTE
    from bot.runtime import Runtime
    from notifiers.dingtalk import ALERT_ROBOT
    from tests.fakes.server import Window

    n = args.alerts
    print(f"== DingTalk custom robot: {n} alerts with the shipped defaults; the fake allows "
          f"{DINGTALK_ROBOT_PER_MINUTE} in any minute, then 10 minutes of silence")
    with child("tests.fakes.dingtalk") as (line, _):
        base = f"http://{HOST}:{int(line)}"
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'alerts.db'}", dingtalk_client_id=fake.CLIENT_ID,
                            dingtalk_client_secret=fake.CLIENT_SECRET, dingtalk_api_base=base, dingtalk_oapi_base=base,
                            dingtalk_alert_webhook=f"{base}/robot/send?access_token={fake.ALERT_TOKEN}",
                            dingtalk_alert_secret=fake.ALERT_SECRET)
        rt = Runtime(settings, Config())
        await rt.open()
        envelopes = sequenced("dingtalk", [ALERT_ROBOT], n)
        async with rt.db.write() as s:
            await rt.outbox.enqueue(s, envelopes, source_event=None, now=datetime.now(UTC), preclaim=False)
        elapsed = await deliver_all(rt, limit_s=900)
        counts = await rt.outbox.counts()
        await rt.close()
        async with aiohttp.ClientSession() as session, session.get(f"{base}/_stats") as r:
            stats = await r.json()
    sent = [(target, text) for road, target, text in stats["sent"] if road == "robot"]
    minimum = minimum_s([e.target for e in envelopes], [Window(DINGTALK_ROBOT_PER_MINUTE, 60.0)])
    print(f"  delivered {len(sent)}/{n} in {elapsed:.2f} s; minimum the limit allows {minimum:.2f} s; ratio "
          f"{(elapsed / minimum) if minimum > 0 else float('nan'):.3f} (target <= 1.1); throttled {stats['throttled']}; "
          f"lost {n - len(sent)}; reordered {reordered([('robot', t) for _, t in sent])}; outbox {counts}")
    return fanout_result(
        row="DingTalk custom robot alerts (20/min) with shipped defaults", what=f"{n} alerts", rate="{:.2f}/s",
        elapsed_s=elapsed, minimum_s=minimum, sent=len(sent), total=n, throttled=int(stats["throttled"]),
        goal="never throttled (10 minutes of silence)")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as d:
        add_results(args.results, [await fanout(args, Path(d))])
        if args.alerts:
            add_results(args.results, [await alerts(args, Path(d))])


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--people", type=int, default=1000)
    p.add_argument("--alerts", type=int, default=30, help="alerts to the custom robot (0: none)")
    p.add_argument("--results", help="append the rows of `make bench`'s table here (bench/table.py)")
    p.add_argument("--quick", action="store_true", help="a smoke run: 100 prompts, no alerts (they take a minute)")
    args = p.parse_args()
    if args.quick:
        args.people, args.alerts = 100, 0
    os.environ.setdefault("PMSBOT_LOG_LEVEL", "WARNING")
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
