"""Benchmark: `pmsbot run` (the README's single process, SQLite) acking signed Slack slash commands, side by side
with slack-bolt's AsyncApp (verify + ack) and a bare aiohttp handler (verify + 200), in one run.

    python -m bench.acks [--seconds 12] [--rounds 6] [--concurrency 32] [--rate 200] [--open-seconds 6]
                         [--idle 40] [--database-url URL] [--results PATH] [--trace PATH]

Every server runs in its own process on 127.0.0.1; the load generator runs here. The replies `pmsbot run` sends
go to Slack's response_url, here a sink in a process of its own that notes when each arrives (CLOCK_MONOTONIC,
shared by the processes of one machine), so lost replies are counted and ack -> reply is timed.

1. Throughput: closed loop (--concurrency clients back to back), the contenders taking turns in --rounds windows
   (A B C, C B A, ...). After a window of `run` its backlog is worked off (every reply at the sink) before the next
   contender's window, so its worker does not eat into another's turn. Medians and spreads of the paired ratios.
2. Ack latency: open loop at --rate requests/s for --open-seconds each, latency from each request's *scheduled*
   send time (no coordinated omission), the achieved rate printed next to the target; then `run`'s replies counted.
3. Idle: --idle commands one at a time to `run`: scheduled send -> ack, and scheduled send -> reply at the sink.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import hmac
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from bench.common import HOST, bolt_peer, serve_until_stopped, server
from bench.table import Result, add_results
from tests.fakes import slack as fake

if TYPE_CHECKING:
    from aiohttp import web

USER, CHANNEL = "U01BOB", "C01PUMP"
KINDS = ("bolt", "aiohttp", "run")  # each server on a free port (bench.common.server)
MAX_DRAIN_S = 120.0  # `run`'s backlog after a window must be worked off within this


# ---- processes ---------------------------------------------------------------------------------------------------
async def serve_sink(port: int) -> None:
    """Slack's side for `run`: auth.test / users.info answered, every response_url POST noted with its arrival."""
    await serve_until_stopped(sink_app(), port)


def sink_app() -> web.Application:
    """The sink's routes (an aiohttp Application): /api/{method}, /response/{key}, and POST /_stats with a list of
    keys, answered with the arrival (CLOCK_MONOTONIC) of those that came."""
    from aiohttp import web

    arrived: dict[str, float] = {}

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response({"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": fake.TEAM_ID})
        return web.json_response({"ok": True, "channel": CHANNEL, "ts": f"{time.time():.6f}", "user": {"id": USER}})

    async def response(request: web.Request) -> web.Response:
        await request.read()
        arrived.setdefault(request.match_info["key"], time.monotonic())
        return web.Response(text="ok")

    async def stats(request: web.Request) -> web.Response:
        # Only the keys asked about: the whole map (tens of thousands after the closed loop) would keep this loop
        # busy serialising it while a reply waits to be stamped, and the idle row would time the sink, not `run`.
        wanted = await request.json()
        return web.json_response({k: arrived[k] for k in wanted if k in arrived})

    app = web.Application()
    app.router.add_route("*", "/api/{method}", api)
    app.router.add_post("/response/{key}", response)
    app.router.add_post("/_stats", stats)
    return app


async def serve_contender(kind: str, port: int, db: str, sink: str) -> None:
    from aiohttp import web

    if kind == "aiohttp":  # the floor: read the body, check the signature, 200
        secret = fake.SIGNING_SECRET.encode()

        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            ts = request.headers.get("X-Slack-Request-Timestamp", "")
            digest = hmac.new(secret, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
            if abs(time.time() - int(ts or 0)) > 300 or not hmac.compare_digest(
                    f"v0={digest}", request.headers.get("X-Slack-Signature", "")):
                return web.Response(status=401)
            return web.Response()

        app = web.Application()
        app.router.add_post("/slack/events", handle)
        await serve_until_stopped(app, port)
        return
    if kind == "bolt":
        from slack_sdk.web.async_client import AsyncWebClient

        client = AsyncWebClient(token=fake.BOT_TOKEN, base_url=f"{sink}/api/")
        await serve_until_stopped(bolt_peer(fake.SIGNING_SECRET, client), port)
        return
    # `pmsbot run`: exactly what the CLI runs (web + worker + clock in one process), until SIGTERM.
    from bot.cli.serve import serve_roles
    from bot.config import Config, PersonConfig, Settings
    from bot.runtime import Runtime

    settings = Settings(database_url=db if "://" in db else f"sqlite+aiosqlite:///{db}",
                        slack_bot_token=fake.BOT_TOKEN, slack_signing_secret=fake.SIGNING_SECRET,
                        slack_api_url=f"{sink}/api/")
    rt = Runtime(settings, Config(people=[PersonConfig(id="bob", name="Bob", identities={"slack": USER})]))
    if rt.db.is_postgres:
        from bot.store import migrate

        await migrate.upgrade(rt.db)
    trace = os.environ.get("ACKS_TRACE")
    if not trace:
        await serve_roles(rt, ("web", "worker", "clock"), host=HOST, port=port, web_role=True)
        return
    from bench import ack_trace

    ack_trace.install()
    stop = asyncio.Event()
    watcher = asyncio.create_task(ack_trace.watch_lag(stop))
    try:
        await serve_roles(rt, ("web", "worker", "clock"), host=HOST, port=port, web_role=True)
    finally:
        stop.set()
        await watcher
        ack_trace.dump(trace)


# ---- load ----------------------------------------------------------------------------------------------------------
def request_for(sink: str) -> Callable[[], tuple[str, bytes, dict[str, str]]]:
    def make() -> tuple[str, bytes, dict[str, str]]:
        key = f"{time.time_ns()}{os.urandom(4).hex()}"
        body = fake.slash_command("help", user=USER, channel=CHANNEL, response_url=f"{sink}/response/{key}",
                                  trigger_id=f"{key}.bench")
        return key, body, {**fake.sign(body), "Content-Type": "application/x-www-form-urlencoded"}
    return make


async def closed_loop(url: str, seconds: float, concurrency: int, make: Callable[..., Any]) -> tuple[float, list[str], int]:
    keys: list[str] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                key, body, headers = make()
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status == 200:
                        keys.append(key)
                    else:
                        errors += 1
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return len(keys) / (time.perf_counter() - started), keys, errors


async def open_loop(url: str, seconds: float, rate: float, make: Callable[..., Any]
                    ) -> tuple[list[float], list[tuple[str, float]], int, float]:
    """Requests sent on a fixed schedule; each latency counts from its scheduled send time (monotonic clock).
    Returns (latencies, [(key, scheduled)], errors, achieved rate)."""
    latencies: list[float] = []
    sent: list[tuple[str, float]] = []
    errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def one(key: str, body: bytes, headers: dict[str, str], scheduled: float) -> None:
            nonlocal errors
            try:
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    ok = r.status == 200
            except aiohttp.ClientError:
                ok = False
            if ok:
                latencies.append(time.monotonic() - scheduled)
                sent.append((key, scheduled))
            else:
                errors += 1
        tasks = []
        n = int(seconds * rate)
        start = time.monotonic()
        for i in range(n):
            scheduled = start + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the generator's schedule, not a wait for work
            tasks.append(asyncio.create_task(one(*make(), scheduled)))
        achieved = n / (time.monotonic() - start)  # the rate requests actually went out at
        await asyncio.gather(*tasks)
    return latencies, sent, errors, achieved


async def replies(sink: str, keys: list[str]) -> dict[str, float]:
    """When each of `keys`' replies reached the sink (those that did)."""
    async with aiohttp.ClientSession() as session, session.post(f"{sink}/_stats", json=keys) as r:
        return dict(await r.json())


async def drained(sink: str, keys: list[str], limit_s: float = MAX_DRAIN_S) -> tuple[dict[str, float], int]:
    """Wait (bounded) until every key's reply reached the sink; returns the arrivals and how many never came."""
    deadline = time.monotonic() + limit_s
    while True:
        arrived = await replies(sink, keys)
        missing = sum(1 for k in keys if k not in arrived)
        if not missing or time.monotonic() > deadline:
            return arrived, missing
        await asyncio.sleep(0.2)  # polling another process's counter, bounded by the deadline


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


@contextlib.contextmanager
def gc_paused() -> Any:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# ---- the run -------------------------------------------------------------------------------------------------------
async def main(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        *_, sink_port = stack.enter_context(server("bench.acks", "--serve", "sink", ready=lambda line: line == "ready"))
        sink = f"http://{HOST}:{sink_port}"
        make = request_for(sink)
        urls: dict[str, str] = {}
        pids: dict[str, int] = {}
        for kind in KINDS:
            db = args.database_url or str(Path(tmp) / "run.db")
            _, pids[kind], port = stack.enter_context(server("bench.acks", "--serve", kind, "--db", db,
                                                             "--sink", sink))
            urls[kind] = f"http://{HOST}:{port}/slack/events"
        kinds = list(KINDS)
        lost = 0
        for kind in kinds:  # warm-up
            _, keys, _ = await closed_loop(urls[kind], 1.0, args.concurrency, make)
            if kind == "run":
                lost += (await drained(sink, keys))[1]
        window_s = args.seconds / max(1, args.rounds)
        rates: dict[str, list[float]] = {k: [] for k in kinds}
        errors = dict.fromkeys(kinds, 0)
        # Server CPU seconds per acknowledged request: in the windows, and (`run`) with the work drained after them.
        # Less at the mercy of a busy machine than req/s: what the processes spent, not how long they waited.
        cpu = dict.fromkeys([*kinds, "run+work"], 0.0)
        acked = dict.fromkeys(kinds, 0)
        for round_ in range(args.rounds):
            for kind in kinds if round_ % 2 == 0 else reversed(kinds):
                cpu0 = cpu_s(pids[kind])
                with gc_paused():
                    rps, keys, errs = await closed_loop(urls[kind], window_s, args.concurrency, make)
                cpu[kind] += cpu_s(pids[kind]) - cpu0
                rates[kind].append(rps)
                acked[kind] += len(keys)
                errors[kind] += errs
                if kind == "run":
                    lost += (await drained(sink, keys))[1]
                    cpu["run+work"] += cpu_s(pids[kind]) - cpu0
        open_: dict[str, tuple[float, float, float, int]] = {}
        reply_ms: list[float] = []
        for kind in kinds:
            with gc_paused():
                lat, sent, errs, achieved = await open_loop(urls[kind], args.open_seconds, args.rate, make)
            errors[kind] += errs
            open_[kind] = (achieved, pct(lat, 0.5), pct(lat, 0.99), len(lat))
            if kind == "run":
                arrived, missing = await drained(sink, [k for k, _ in sent])
                lost += missing
                reply_ms = [arrived[k] - at for k, at in sent if k in arrived]
        idle_ack: list[float] = []
        idle_reply: list[float] = []
        keys_idle: list[str] = []
        async with aiohttp.ClientSession() as session:
            for _ in range(args.idle):
                key, body, headers = make()
                at = time.monotonic()
                async with session.post(urls["run"], data=body, headers=headers) as r:
                    await r.read()
                    errors["run"] += r.status != 200
                idle_ack.append(time.monotonic() - at)
                arrived, missing = await drained(sink, [key], limit_s=10)
                lost += missing
                if key in arrived:
                    idle_reply.append(arrived[key] - at)
                keys_idle.append(key)
                await asyncio.sleep(0.05)  # idle between commands (the schedule, not a wait for work)
    load_after = os.getloadavg()[0]
    print(f"== Slack slash commands, signed, 127.0.0.1; {args.rounds} alternating closed-loop rounds of "
          f"{window_s:.1f} s at c={args.concurrency}; open loop {args.open_seconds:g} s at {args.rate:g}/s")
    for kind in kinds:
        r = rates[kind] or [float("nan")]
        achieved, p50, p99, n = open_[kind]
        print(f"{kind:>8}: {statistics.median(r):7.0f} req/s closed loop (rounds {min(r):.0f}..{max(r):.0f}); "
              f"open loop {achieved:.0f}/s of {args.rate:g}/s target: ack p50 {p50:.1f} ms p99 {p99:.1f} ms "
              f"({n} acked); errors {errors[kind]}")
    if args.rounds:
        per = {k: 1000 * cpu[k] / max(1, acked[k if k != "run+work" else "run"]) for k in cpu}
        print(f"  server CPU per acked request in the windows: bolt {per['bolt']:.2f} ms, aiohttp "
              f"{per['aiohttp']:.2f} ms, run {per['run']:.2f} ms (bolt / run {per['bolt'] / per['run']:.2f}); "
              f"run with its work (the command handled, the reply sent) {per['run+work']:.2f} ms")
        ratios = sorted(a / b for a, b in zip(rates["run"], rates["bolt"], strict=True))
        floor = sorted(a / b for a, b in zip(rates["run"], rates["aiohttp"], strict=True))
        print(f"  run / bolt throughput: median {statistics.median(ratios):.2f} of {len(ratios)} paired rounds "
              f"({ratios[0]:.2f}..{ratios[-1]:.2f}), target >= 0.8; run / bare aiohttp: median "
              f"{statistics.median(floor):.2f} ({floor[0]:.2f}..{floor[-1]:.2f})")
    print(f"  run ack p99 at {open_['run'][0]:.0f}/s (target {args.rate:g}/s): {open_['run'][2]:.1f} ms "
          f"(target <= 50 ms); bolt {open_['bolt'][2]:.1f} ms; replies lost {lost} (target 0)")
    if reply_ms:
        print(f"  run under open load: scheduled send -> reply at Slack p50 {pct(reply_ms, 0.5):.0f} ms, "
              f"p99 {pct(reply_ms, 0.99):.0f} ms")
    print(f"  run idle ({len(idle_reply)} commands one at a time): ack p50 {pct(idle_ack, 0.5):.1f} ms, "
          f"send -> reply at Slack p50 {pct(idle_reply, 0.5):.1f} ms, spread {pct(idle_reply, 0.0):.1f}.."
          f"{pct(idle_reply, 1.0):.1f} ms (target p50 <= 100 ms)")
    print(f"  machine load (1 min) {load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} cores")
    add_results(args.results, table_rows(args, rates, open_, lost, idle_ack, idle_reply, reply_ms,
                                         (load_before, load_after)))


def table_rows(args: argparse.Namespace, rates: dict[str, list[float]],
               open_: dict[str, tuple[float, float, float, int]], lost: int, idle_ack: list[float],
               idle_reply: list[float], reply_ms: list[float], load: tuple[float, float]) -> list[Result]:
    """The two rows of issue 21's table this module measures, for `make bench`."""
    def spread(kind: str) -> str:
        r = rates[kind] or [float("nan")]
        return f"{statistics.median(r):,.0f} req/s ({min(r):,.0f}..{max(r):,.0f})"

    ratios = [a / b for a, b in zip(rates["run"], rates["bolt"], strict=True)]
    ratio = statistics.median(ratios) if ratios else None
    achieved, p50, p99, _ = open_["run"]
    met = (ratio is not None and ratio >= 0.8 and p99 <= 50.0 and achieved >= 0.95 * args.rate and not lost)
    idle_p50 = pct(idle_reply, 0.5)
    return [
        Result(row="pmsbot run (SQLite): signed Slack slash commands",
               measured=f"{spread('run')}; ack p50 {p50:.1f} ms p99 {p99:.1f} ms at {achieved:.0f}/s achieved "
                        f"(of {args.rate:g}/s); {lost} lost",
               peer=f"slack-bolt {spread('bolt')}, ack p99 {open_['bolt'][2]:.1f} ms; bare aiohttp {spread('aiohttp')}",
               ratio=ratio, goal=">= 0.8x bolt, ack p99 <= 50 ms at 200/s, 0 lost", met=met,
               figures={"rates": rates, "open_loop": {k: dict(zip(("achieved", "p50_ms", "p99_ms", "acked"), v,
                                                                  strict=True)) for k, v in open_.items()},
                        "ratios_run_bolt": ratios, "lost": lost, "load_1m": list(load),
                        "reply_under_load_p50_ms": pct(reply_ms, 0.5), "reply_under_load_p99_ms": pct(reply_ms, 0.99)}),
        Result(row="idle system: ack -> reply", measured=f"p50 {idle_p50:.0f} ms ({pct(idle_reply, 0.0):.0f}.."
                                                         f"{pct(idle_reply, 1.0):.0f}), {len(idle_reply)} commands",
               peer="-", ratio=None, goal="p50 <= 100 ms", met=idle_p50 <= 100.0 and not lost,
               figures={"ack_p50_ms": pct(idle_ack, 0.5), "reply_p50_ms": idle_p50, "replies": len(idle_reply)}),
    ]


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=12.0, help="closed-loop seconds per contender, in --rounds turns")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--open-seconds", type=float, default=6.0)
    p.add_argument("--idle", type=int, default=40)
    p.add_argument("--database-url", help="`run`'s database (default: a fresh SQLite file)")
    p.add_argument("--trace", help="write where `run`'s ack time goes to this JSON file (bench/ack_trace.py)")
    p.add_argument("--results", help="append this module's rows of `make bench`'s table to this JSON file")
    p.add_argument("--serve", choices=["sink", *KINDS], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--db", default="", help=argparse.SUPPRESS)
    p.add_argument("--sink", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    os.environ.setdefault("PMSBOT_LOG_LEVEL", "WARNING")
    if args.trace:
        os.environ["ACKS_TRACE"] = str(Path(args.trace).resolve())  # read by the `run` process this starts
    if args.serve == "sink":
        asyncio.run(serve_sink(args.port))
    elif args.serve:
        asyncio.run(serve_contender(args.serve, args.port, args.db, args.sink))
    else:
        asyncio.run(main(args))
        sys.stdout.flush()


if __name__ == "__main__":
    cli()
