"""Benchmark: Slack intake and Slack fan-out, each against a peer measured in the same run.

    python -m bench.slack [--seconds 20] [--rounds 10] [--instructions N] [--rate 500] [--concurrency 32] [--channels 200] [--per-channel 10]
                          [--results PATH] [--quick]

1. Intake. Two servers, each in its own process on 127.0.0.1, receive the same signed `/pms` slash commands
   from a load generator in this process: pmsbot's `/slack/events` (a `pmsbot web` process: signature check,
   durable inbox on SQLite, ack), and a bare slack-bolt AsyncApp that only verifies and acks. Closed loop
   (throughput), the two servers taking turns in --rounds windows so the machine's slow spells fall on both,
   then open loop at --rate requests/s (ack latency p50/p99).
2. Fan-out. --channels × --per-channel notifications through the outbox and the Slack sender as shipped (the
   runtime's, its defaults untouched) to the fake Slack, which enforces Slack's published limits: 1 message/s
   per channel with short bursts, and "several hundred messages per minute" per workspace (read as 300). The
   figure is elapsed time against the minimum those limits allow; 429s, lost and reordered messages are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    HOST,
    bolt_peer,
    child,
    deliver_all,
    fanout_result,
    minimum_s,
    reordered,
    sequenced,
    serve_until_stopped,
    server,
)
from bench.common import closed_loop as common_closed_loop
from bench.table import Result, add_results
from tests.fakes import slack as fake

WEB_INTAKE_GOAL = 0.9  # issue 21: `pmsbot web` keeps >= 0.9x bolt's throughput


# ---- servers (run in child processes) --------------------------------------------------------------------------
async def serve(kind: str, port: int, db_path: str) -> None:

    slack = fake.FakeSlack()
    await slack.start()
    if kind == "bare":
        from notifiers.slack import client_for

        app = bolt_peer(fake.SIGNING_SECRET, client_for(slack.bot_token, slack.api_url))
    else:
        from bot.cli.serve import serve_roles
        from bot.config import Config, PersonConfig, Settings
        from bot.runtime import Runtime

        settings = Settings(database_url=db_path if "://" in db_path else f"sqlite+aiosqlite:///{db_path}",
                            slack_bot_token=slack.bot_token,
                            slack_signing_secret=fake.SIGNING_SECRET, slack_api_url=slack.api_url)
        config = Config(people=[PersonConfig(id="bob", name="Bob", identities={"slack": "U01BOB"})])
        rt = Runtime(settings, config)
        if rt.db.is_postgres:
            from bot.store import migrate

            await migrate.upgrade(rt.db)
        if kind == "pmsbot-nodb":  # diagnostics: everything but the inbox write
            from bot.inbox import Accepted

            async def no_db(event: object) -> Accepted:
                return Accepted(inbox_id=1, duplicate=False)
            rt.inbox.accept = no_db  # type: ignore[method-assign]
        if kind == "pmsbot-nowait":  # diagnostics: the inbox write happens, but the ack does not wait for it
            from bot.inbox import Accepted

            write = rt.inbox.accept
            pending: set[asyncio.Future[Accepted]] = set()

            async def no_wait(event: Any) -> Accepted:
                task = asyncio.ensure_future(write(event))
                pending.add(task)
                task.add_done_callback(pending.discard)
                return Accepted(inbox_id=1, duplicate=False)
            rt.inbox.accept = no_wait  # type: ignore[method-assign]
        # Exactly what a `pmsbot web` process runs (its garbage-collector tuning included), until SIGTERM.
        await serve_roles(rt, ("web",), host=HOST, port=port, web_role=True)
        print(f"inbox transactions: {rt.inbox.commits}", file=sys.stderr, flush=True)
        await slack.stop()
        return
    await serve_until_stopped(app, port)
    await slack.stop()


# ---- load generator ----------------------------------------------------------------------------------------------
def _request() -> tuple[bytes, dict[str, str]]:
    body = fake.slash_command("my", user="U01BOB", channel="C01PUMP", response_url="http://127.0.0.1:9/r",
                              trigger_id=f"{time.time_ns()}.{uuid.uuid4().hex[:8]}")
    return body, {**fake.sign(body), "Content-Type": "application/x-www-form-urlencoded"}


async def closed_loop(url: str, seconds: float, concurrency: int) -> tuple[float, int]:
    return await common_closed_loop(url, seconds, concurrency, _request)


@contextlib.contextmanager
def generator_gc_paused() -> Any:
    """The load generator's own collector stays out of a measurement window: its full passes (65 ms seen) would
    read as slow acks, or as a slow server. The window's garbage is collected after it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def open_loop(url: str, seconds: float, rate: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000)) as session:
        async def one(scheduled: float) -> None:
            nonlocal errors
            body, headers = _request()
            async with session.post(url, data=body, headers=headers) as r:
                await r.read()
                if r.status != 200:
                    errors += 1
            # From the request's scheduled send time, not from when it went: a generator that falls behind
            # must not hide the wait (coordinated omission).
            latencies.append(time.perf_counter() - scheduled)
        tasks = []
        start = time.perf_counter()
        n = int(seconds * rate)
        for i in range(n):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # the schedule of an open-loop generator, not a wait for work
            tasks.append(asyncio.create_task(one(scheduled)))
        await asyncio.gather(*tasks)
        achieved = n / (time.perf_counter() - start)
    return latencies, errors, achieved


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), to compare work per request."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def slack_server(kind: str, tmp: Path, database: str | None = None) -> Any:
    """A server of `kind` on a free port, once it says "ready" (or `pmsbot web`'s own "pmsbot web ready")."""
    with server("bench.slack", "--serve", kind, "--db", database or str(tmp / f"{kind}.db")) as (_, pid, port):
        yield f"http://{HOST}:{port}/slack/events", pid


async def intake(args: argparse.Namespace, tmp: Path) -> Result:
    print("== Slack intake: signed /pms requests from a load generator in this process to servers in their own "
          "processes, 127.0.0.1")
    kinds = ["bare", "pmsbot"] + (["pmsbot-nodb", "pmsbot-nowait"] if args.diagnose else [])
    window_s = args.seconds / args.rounds
    answered = dict.fromkeys(kinds, 0.0)
    cpu_s = dict.fromkeys(kinds, 0.0)
    errors = dict.fromkeys(kinds, 0)
    ratios: list[float] = []
    with contextlib.ExitStack() as stack:
        servers = {kind: stack.enter_context(slack_server(kind, tmp, args.database_url if kind != "bare" else None))
                   for kind in kinds}
        for url, _ in servers.values():
            await closed_loop(url, 1.0, args.concurrency)  # warm-up (and bolt's one auth.test)
        # Both servers run throughout and take turns (ABBA order), so a slow spell of this shared machine falls on
        # both alike instead of on whichever happened to be measured second.
        for round_ in range(args.rounds):
            rps_now: dict[str, float] = {}
            for kind in kinds if round_ % 2 == 0 else reversed(kinds):
                url, pid = servers[kind]
                cpu0 = _cpu_s(pid)
                with generator_gc_paused():
                    rps, errs = await closed_loop(url, window_s, args.concurrency)
                cpu_s[kind] += _cpu_s(pid) - cpu0
                answered[kind] += rps * window_s
                errors[kind] += errs
                rps_now[kind] = rps
            ratios.append(rps_now["pmsbot"] / rps_now["bare"])
        latency: dict[str, tuple[float, float, float]] = {}
        for kind in kinds:
            with generator_gc_paused():
                lat, errs, achieved = await open_loop(servers[kind][0], args.open_seconds, args.rate)
            latency[kind] = (achieved, _pct(lat, 0.5), _pct(lat, 0.99))
            errors[kind] += errs
    for kind in kinds:
        achieved, p50, p99 = latency[kind]
        print(f"{kind:>13}: {answered[kind] / args.seconds:7.0f} req/s closed loop (c={args.concurrency}), server CPU "
              f"{cpu_s[kind] * 1000 / max(1.0, answered[kind]):.2f} ms/req; at {achieved:.0f} req/s open loop: "
              f"ack p50 {p50:.1f} ms, p99 {p99:.1f} ms; errors {errors[kind]}")
    ordered = sorted(ratios)
    # The headline is the median of the paired rounds: a round in which a slow spell of the machine hit only one
    # server (seen: 0.57 and 1.41 in the same run) moves the mean, not the median.
    print(f"  ratio pmsbot / bare bolt throughput: {statistics.median(ratios):.2f}, median of {len(ratios)} paired "
          f"rounds (target >= {WEB_INTAKE_GOAL:g}); rounds {ordered[0]:.2f}..{ordered[-1]:.2f}; all requests "
          f"{answered['pmsbot'] / answered['bare']:.2f}; pmsbot p99 at {args.rate:.0f}/s: {latency['pmsbot'][2]:.1f} ms "
          f"(target < 50 ms)")
    ratio = statistics.median(ratios)
    achieved, _, p99 = latency["pmsbot"]
    return Result(
        row="`pmsbot web` intake alone (signed Slack slash commands)",
        measured=f"{answered['pmsbot'] / args.seconds:,.0f} req/s closed loop (c={args.concurrency}); ack p99 "
                 f"{p99:.1f} ms at {achieved:.0f}/s achieved of {args.rate:.0f}/s; errors {errors['pmsbot']}",
        peer=f"slack-bolt {answered['bare'] / args.seconds:,.0f} req/s; ack p99 {latency['bare'][2]:.1f} ms",
        ratio=round(ratio, 2), goal=f">= {WEB_INTAKE_GOAL:g}x bolt (median of {len(ratios)} paired rounds, "
                                    f"{ordered[0]:.2f}-{ordered[-1]:.2f})",
        met=ratio >= WEB_INTAKE_GOAL and errors["pmsbot"] == 0,
        figures={"ratios": ratios, "latency_ms": latency, "errors": errors})


async def answered_n(url: str, n: int, concurrency: int) -> None:
    """`n` requests from `concurrency` clients, each answered 200 (a count, not a duration: for instruction counts)."""
    left = n
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                body, headers = _request()
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"{url} answered {r.status}")
        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _counting(pid: int, switch: str) -> None:
    """Turn callgrind's counting on or off in a running process."""
    control = await asyncio.create_subprocess_exec("callgrind_control", "-i", switch, str(pid),
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await control.wait()


async def instructions(args: argparse.Namespace, tmp: Path) -> None:
    """The same comparison in CPU instructions (valgrind's callgrind): the same count whatever else the machine
    does, where req/s move with it. User-space only: the kernel's part of the durable write is not counted."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("== instruction counts skipped: valgrind is not installed")
        return
    n = args.instructions
    print(f"== Slack intake in instructions: {n} signed /pms requests (c=8) to each server under callgrind")
    per_request: dict[str, float] = {}
    for kind in ("bare", "pmsbot"):
        out = tmp / f"callgrind.{kind}.out"
        under = ("valgrind", "-q", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}")
        with server("bench.slack", "--serve", kind, "--db", str(tmp / f"cg-{kind}.db"), under=under,
                    stop_timeout_s=300) as (_, pid, port):
            url = f"http://{HOST}:{port}/slack/events"
            await answered_n(url, 300, 8)  # warm-up, not counted
            await _counting(pid, "on")
            await answered_n(url, n, 8)
            await _counting(pid, "off")
        totals = [line for line in out.read_text().splitlines() if line.startswith(("totals:", "summary:"))]
        per_request[kind] = max(int(line.split()[1]) for line in totals) / n
        print(f"{kind:>13}: {per_request[kind] / 1000:7.0f} k instructions per request")
    print(f"  ratio bare / pmsbot instructions per request: {per_request['bare'] / per_request['pmsbot']:.2f} "
          f"(the throughput ratio a CPU-bound server would reach)")


async def fanout(args: argparse.Namespace, tmp: Path) -> Result:
    from datetime import UTC, datetime

    from bot.config import Config, Settings
    from bot.constants import SLACK_CHANNEL_BURST, SLACK_CHANNEL_RATE_PER_S, SLACK_WORKSPACE_PER_MINUTE
    from bot.runtime import Runtime

    channels, per = args.channels, args.per_channel
    # The fake enforces Slack's published limits; the sender keeps to them with its shipped defaults.
    rate, burst, per_minute = SLACK_CHANNEL_RATE_PER_S, SLACK_CHANNEL_BURST, SLACK_WORKSPACE_PER_MINUTE
    print(f"== Slack fan-out with the shipped defaults: {channels * per} messages to {channels} channels; the fake "
          f"Slack in its own process allows {rate:g}/s per channel (burst {burst}) and {per_minute} chat.postMessage "
          f"per minute per workspace")
    with child("tests.fakes.slack", "--channel-rate", str(rate), "--channel-burst", str(burst),
               "--workspace-per-minute", str(per_minute)) as (line, _):
        port = int(line)
        api = f"http://{HOST}:{port}/api/"
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'fanout.db'}", slack_bot_token=fake.BOT_TOKEN,
                            slack_signing_secret=fake.SIGNING_SECRET, slack_api_url=api)
        rt = Runtime(settings, Config())
        await rt.open()
        envelopes = sequenced("slack", [f"C{c:05d}" for c in range(channels)], per)
        async with rt.db.write() as s:
            await rt.outbox.enqueue(s, envelopes, source_event=None, now=datetime.now(UTC), preclaim=False)
        total = channels * per
        elapsed = await deliver_all(rt, limit_s=900)
        counts = await rt.outbox.counts()
        await rt.close()
        async with aiohttp.ClientSession() as session, session.get(f"http://{HOST}:{port}/_stats") as r:
            stats = await r.json()
    posted = [(channel, text) for method, channel, _, text in stats["posted"] if method == "chat.postMessage"]
    reordered_channels = reordered(posted)
    from tests.fakes.server import Bucket, Window
    minimum = minimum_s([e.target for e in envelopes], [Window(per_minute, 60.0)], lambda: Bucket(rate, burst))
    print(f"  delivered {len(posted)}/{total} in {elapsed:.2f} s; minimum the limits allow {minimum:.2f} s; "
          f"ratio {(elapsed / minimum) if minimum > 0 else float('nan'):.3f} (target <= 1.1); achieved "
          f"{len(posted) / elapsed:.2f} msg/s against {total / minimum if minimum > 0 else float('nan'):.2f} msg/s "
          f"at the limits; 429s {stats['ratelimited']} {stats['ratelimited_by']}; lost {total - len(posted)}; "
          f"duplicated {max(0, len(posted) - total)}; reordered channels {reordered_channels}; outbox {counts}")
    return fanout_result(
        row="Slack fan-out with shipped defaults", what=f"{total} messages to {channels} channels",
        rate="{:.2f} msg/s", elapsed_s=elapsed, minimum_s=minimum, sent=len(posted), total=total,
        throttled=int(stats["ratelimited"]), reordered=reordered_channels,
        figures={"stats_429": stats["ratelimited_by"]})


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.skip_intake:
            add_results(args.results, [await intake(args, tmp)])
        if args.instructions:
            await instructions(args, tmp)
        if not args.skip_fanout:
            add_results(args.results, [await fanout(args, tmp)])


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20.0, help="closed-loop seconds per server, in --rounds turns")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--open-seconds", type=float, default=6.0, help="open-loop seconds per server")
    p.add_argument("--rate", type=float, default=500.0)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--channels", type=int, default=100)
    p.add_argument("--per-channel", type=int, default=4)
    p.add_argument("--skip-intake", action="store_true")
    p.add_argument("--database-url", help="pmsbot's inbox database (default: a fresh SQLite file), e.g. "
                                          "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    p.add_argument("--skip-fanout", action="store_true")
    p.add_argument("--instructions", type=int, default=0, metavar="N",
                   help="also count CPU instructions per request for N requests under valgrind (about a minute)")
    p.add_argument("--serve", choices=["bare", "pmsbot", "pmsbot-nodb", "pmsbot-nowait"], help=argparse.SUPPRESS)
    p.add_argument("--diagnose", action="store_true", help="also measure pmsbot without its inbox write")
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--results", help="append the rows of `make bench`'s table here (bench/table.py)")
    p.add_argument("--quick", action="store_true", help="a smoke run: seconds of intake, 40 fan-out messages")
    args = p.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.open_seconds, args.channels, args.per_channel = 4.0, 2, 2.0, 20, 2
    os.environ.setdefault("PMSBOT_LOG_LEVEL", "WARNING")
    if args.serve:
        asyncio.run(serve(args.serve, args.port, args.db))
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
