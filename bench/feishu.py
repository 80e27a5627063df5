"""Benchmark: Feishu fan-out against the platform's limits, the fake Feishu in its own process.

    python -m bench.feishu [--chats 200] [--per-chat 5]

--chats × --per-chat cards through the outbox and the Feishu sender, whose limits are Feishu's published ones
(5 per second per chat, 50 per second and 1000 per minute per app). The figure is elapsed time against the minimum
those limits allow; lost, duplicated and reordered messages are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.common import HOST, child, deliver_all, reordered, sequenced
from tests.fakes import feishu as fake


async def fanout(args: argparse.Namespace, tmp: Path) -> None:
    from bot.config import Config, Settings
    from bot.constants import FEISHU_APP_BURST, FEISHU_APP_PER_MINUTE, FEISHU_APP_RATE_PER_S
    from bot.runtime import Runtime

    chats, per = args.chats, args.per_chat
    total = chats * per
    print(f"== Feishu fan-out: {total} cards to {chats} chats; the fake Feishu in its own process allows 5/s per chat, "
          f"{FEISHU_APP_RATE_PER_S:g}/s (burst {FEISHU_APP_BURST}) and {FEISHU_APP_PER_MINUTE}/min per app")
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
    minimum = max((per - 5) / 5, (total - FEISHU_APP_BURST) / FEISHU_APP_RATE_PER_S,
                  60.0 * ((total - 1) // FEISHU_APP_PER_MINUTE))
    print(f"  delivered {len(sent)}/{total} in {elapsed:.2f} s; minimum the limits allow {minimum:.2f} s; "
          f"ratio {(elapsed / minimum) if minimum > 0 else float('nan'):.2f} (target <= 1.1); 429s {stats['ratelimited']}; lost {total - len(sent)}; "
          f"duplicated {max(0, len(sent) - total)}; reordered chats {reordered_chats}; tenant tokens "
          f"{stats['tokens_issued']}; outbox {counts}")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as d:
        await fanout(args, Path(d))


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chats", type=int, default=200)
    p.add_argument("--per-chat", type=int, default=5)
    args = p.parse_args()
    os.environ.setdefault("PMSBOT_LOG_LEVEL", "WARNING")
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
