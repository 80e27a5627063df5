"""Benchmark: sustained webhook intake of a source, with the durable inbox, next to a bare aiohttp handler.

    python -m bench.hooks [--seconds 6] [--concurrency 32] [--database-url postgresql://...] [--results PATH] [--quick]

Two servers, each in its own process on 127.0.0.1, receive the same HMAC-signed JSON deliveries (a new
`event_id` each, so nothing is a duplicate) from a load generator in this process:
- pmsbot's `POST /hooks/mes` (a `pmsbot web` process): signature and timestamp check, JSON parse, dedupe key
  from the source's template, durable insert in the inbox (SQLite WAL, group commit; or PostgreSQL), 200;
- a bare aiohttp handler doing the same signature check and JSON parse, answering 200 without storing anything.
The figure is deliveries per second in a closed loop, and the ratio of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import HOST, serve_until_stopped, server
from bench.common import closed_loop as common_closed_loop
from bench.table import Result, add_results

SECRET = "bench-secret-0123456789"


def _delivery() -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event_id": uuid.uuid4().hex, "type": "work_order.progress", "order_no": "WO-1",
                       "task": "PUMP-1", "station": "L2", "qty": 40, "qty_done": 26, "progress": 65}).encode()
    stamp = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {"X-MES-Timestamp": stamp, "X-MES-Signature": f"sha256={sig}", "Content-Type": "application/json"}


async def serve(kind: str, port: int, database: str) -> None:
    from aiohttp import web

    if kind == "bare":
        async def handle(request: web.Request) -> web.Response:
            raw = await request.read()
            stamp = request.headers.get("X-MES-Timestamp", "")
            want = "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(want, request.headers.get("X-MES-Signature", "")) or \
                    abs(time.time() - int(stamp)) > 300:
                return web.json_response({"error": "bad signature"}, status=401)
            json.loads(raw)
            return web.json_response({"ok": True})
        app = web.Application()
        app.router.add_post("/hooks/mes", handle)
    else:
        from bot.cli.serve import serve_roles
        from bot.config import Config, Settings, SourceConfig
        from bot.runtime import Runtime
        from bot.store import migrate

        source = SourceConfig.model_validate({
            "name": "mes", "dedupe": "{{ payload.event_id }}",
            "auth": {"hmac": {"header": "X-MES-Signature", "secret": SECRET, "timestamp_header": "X-MES-Timestamp"}},
            "rules": [{"name": "progress", "do": [{"update_task": {"task": "{{ payload.task }}",
                                                                   "percent": "{{ payload.progress }}"}}]}]})
        url = database if "://" in database else f"sqlite+aiosqlite:///{database}"
        rt = Runtime(Settings(database_url=url), Config(sources=(source,)))
        if rt.db.is_postgres:
            await migrate.upgrade(rt.db)
        # Exactly what a `pmsbot web` process runs (its garbage-collector tuning included), until SIGTERM.
        await serve_roles(rt, ("web",), host=HOST, port=port, web_role=True)
        print(f"stored the deliveries in {rt.inbox.commits} transactions", file=sys.stderr, flush=True)
        return
    await serve_until_stopped(app, port)


async def closed_loop(url: str, seconds: float, concurrency: int) -> tuple[float, int]:
    return await common_closed_loop(url, seconds, concurrency, _delivery)


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pmsbot-bench-hooks."))
    print(f"== webhook intake: signed JSON deliveries to /hooks/mes, closed loop c={args.concurrency}, "
          f"{args.seconds:g} s each, 127.0.0.1")
    rates: dict[str, float] = {}
    failed: dict[str, int] = {}
    for kind in ("bare", "pmsbot"):
        database = args.database_url or str(tmp / f"{kind}.db")
        # On a free port, started once it says "ready" (or `pmsbot web`'s own "pmsbot web ready").
        with server("bench.hooks", "--serve", kind, "--db", database) as (_, _, port):
            url = f"http://{HOST}:{port}/hooks/mes"
            await closed_loop(url, 1.0, args.concurrency)  # warm-up
            rps, errors = await closed_loop(url, args.seconds, args.concurrency)
        rates[kind] = rps
        failed[kind] = errors
        store = "durable inbox" if kind == "pmsbot" else "nothing stored"
        print(f"{kind:>7}: {rps:7.0f} deliveries/s ({store}); errors {errors}")
    ratio = rates["pmsbot"] / rates["bare"]
    print(f"  ratio pmsbot / bare aiohttp: {ratio:.2f}")
    # Not a row of issue 21's table: reported beside it, with no goal of its own.
    add_results(args.results, [Result(
        row="webhook intake (/hooks/<source>, durable inbox)",
        measured=f"{rates['pmsbot']:,.0f} deliveries/s closed loop (c={args.concurrency}); errors {failed['pmsbot']}",
        peer=f"bare aiohttp (same check, nothing stored) {rates['bare']:,.0f}/s", ratio=round(ratio, 2),
        goal="-", met=failed["pmsbot"] == 0, figures={"rates": rates, "errors": failed})])


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", help="PostgreSQL for pmsbot (default: a SQLite file)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--results", help="append the row of `make bench`'s table here (bench/table.py)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 s each")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 2.0
    if args.serve:
        asyncio.run(serve(args.serve, args.port, args.db))
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
