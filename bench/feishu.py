"""Benchmark: Feishu fan-out against the platform's limits, the fake Feishu in its own process.

    python -m bench.feishu [--chats 240] [--per-chat 5] [--results PATH] [--quick]

--chats × --per-chat cards through the outbox and the Feishu sender with its shipped defaults, to the fake Feishu
which enforces Feishu's published limits (5 per second per chat; per app 50 per second and 1000 in any minute,
either of which throttles). The default 1,200 cards cross the minute's count. The figure is elapsed time against
the minimum those limits allow, the achieved rate beside the limits' rate; 429s, lost, duplicated and reordered
messages are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.common import HOST, child, deliver_all, fanout_result, minimum_s, reordered, sequenced
from bench.table import Result, add_results
from tests.fakes import feishu as fake


async def fanout(args: argparse.Namespace, tmp: Path) -> Result:
    from bot.config import Config, Settings
    from bot.constants import FEISHU_APP_BURST, FEISHU_APP_PER_MINUTE, FEISHU_APP_RATE_PER_S
    from bot.runtime import Runtime

    chats, per = args.chats, args.per_chat
    total = chats * per
    print(f"== Feishu fan-out: {total} cards to {chats} chats; the fake Feishu in its own process allows 5/s per chat, "
          f"{FEISHU_APP_RATE_PER_S:g}/s (burst {FEISHU_APP_BURST}) and {FEISHU_APP_PER_MINUTE} in any minute per app")
    with child("tests.fakes.feishu") as (line, _):
        port = int(line)
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'fanout.db'}", feishu_app_id=fake.APP_ID,
                            feishu_app_secret=fake.APP_SECRET, feishu_encrypt_key=fake.ENCRYPT_KEY,
                            feishu_api_base=f"http://{HOST}:{port}")
        rt = Runtime(settings, Config())
        await rt.open()
        envelopes = sequenced("feishu", [f"oc_{c:05d}" for c in range(chats)], per)
        async with rt.db.write() as s:
            await rt.outbox.enqueue(s, envelopes, source_event=None, now=datetime.now(UTC), preclaim=False)
        elapsed = await deliver_all(rt, limit_s=600)
        counts = await rt.outbox.counts()
        await rt.close()
        async with aiohttp.ClientSession() as session, session.get(f"http://{HOST}:{port}/_stats") as r:
            stats = await r.json()
    sent = [(chat, text) for method, chat, text in stats["sent"] if method == "send"]
    reordered_chats = reordered(sent)
    from bot.constants import FEISHU_CHAT_BURST, FEISHU_CHAT_RATE_PER_S
    from tests.fakes.server import Bucket, Window
    minimum = minimum_s([e.target for e in envelopes],
                        [Bucket(FEISHU_APP_RATE_PER_S, FEISHU_APP_BURST), Window(FEISHU_APP_PER_MINUTE, 60.0)],
                        lambda: Bucket(FEISHU_CHAT_RATE_PER_S, FEISHU_CHAT_BURST))
    print(f"  delivered {len(sent)}/{total} in {elapsed:.2f} s; minimum the limits allow {minimum:.2f} s; "
          f"ratio {(elapsed / minimum) if minimum > 0 else float('nan'):.3f} (target <= 1.1); achieved "
          f"{len(sent) / elapsed:.1f} cards/s against {total / minimum if minimum > 0 else float('nan'):.1f} at the "
          f"limits; 429s {stats['ratelimited']} {stats['ratelimited_by']}; lost {total - len(sent)}; "
          f"duplicated {max(0, len(sent) - total)}; reordered chats {reordered_chats}; tenant tokens "
          f"{stats['tokens_issued']}; outbox {counts}")
    return fanout_result(
        row="Feishu fan-out with shipped defaults", what=f"{total} cards to {chats} chats", rate="{:.1f} cards/s",
        elapsed_s=elapsed, minimum_s=minimum, sent=len(sent), total=total, throttled=int(stats["ratelimited"]),
        reordered=reordered_chats, figures={"ratelimited_by": stats["ratelimited_by"]})


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as d:
        add_results(args.results, [await fanout(args, Path(d))])


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chats", type=int, default=240)
    p.add_argument("--per-chat", type=int, default=5)
    p.add_argument("--results", help="append the row of `make bench`'s table here (bench/table.py)")
    p.add_argument("--quick", action="store_true", help="a smoke run: 20 chats x 2 cards")
    args = p.parse_args()
    if args.quick:
        args.chats, args.per_chat = 20, 2
    os.environ.setdefault("PMSBOT_LOG_LEVEL", "WARNING")
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
