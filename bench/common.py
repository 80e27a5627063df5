"""What the fan-out benchmarks share: helper processes, delivering an outbox, and counting order at the fake."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp

from bench.table import Result
from notifiers.outbox import Envelope

HOST = "127.0.0.1"


def bolt_peer(signing_secret: str, client: Any) -> Any:
    """The peer every Slack intake bench measures against: a slack-bolt AsyncApp that verifies and acks `/pms`,
    served by aiohttp at /slack/events (the adapter bolt documents)."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.app.async_app import AsyncApp
    from slack_bolt.async_app import AsyncAck

    bolt = AsyncApp(signing_secret=signing_secret, process_before_response=True, client=client)

    @bolt.command("/pms")
    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return app


async def serve_until_stopped(app: Any, port: int) -> None:
    """A benchmark's server process: listen on HOST:port, say "ready" to the parent, run until SIGTERM."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


async def closed_loop(url: str, seconds: float, concurrency: int,
                      request: Callable[[], tuple[bytes, dict[str, str]]]) -> tuple[float, int]:
    """`concurrency` clients posting `request()` back to back for `seconds`: (answers per second, errors)."""
    done = errors = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                body, headers = request()
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status == 200:
                        done += 1
                    else:
                        errors += 1
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started), errors


@contextlib.contextmanager
def child(*argv: str, under: tuple[str, ...] = (), stop_timeout_s: float = 30.0, own_session: bool = False) -> Any:
    """A helper process of this benchmark (`under` a tool such as valgrind if given); yields (the first line it
    prints, its pid), stops it afterwards. `own_session`: in a session of its own, as a service is (systemd,
    a container): with Linux's autogroup scheduling, the processes of one session share one group's CPU time."""
    proc = subprocess.Popen([*under, sys.executable, "-m", *argv], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent, start_new_session=own_session)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip(), proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=stop_timeout_s)
        if proc.stdout is not None:
            proc.stdout.close()


def free_port() -> int:
    """A TCP port on HOST that nothing listens on, as the OS hands it out (a socket bound to port 0): the benchmarks'
    servers listen on ports asked for this way, never on fixed numbers another run or program may hold."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


SERVER_ATTEMPTS = 3


@contextlib.contextmanager
def server(*argv: str, ready: Callable[[str], bool] = lambda line: line.endswith("ready"), **kwargs: Any
           ) -> Iterator[tuple[str, int, int]]:
    """`child(*argv, "--port", P)` for a benchmark's server, P a free port (free_port); yields (its first line, its
    pid, P). A server that does not say it is ready (`ready(line)`: its "ready", or `pmsbot web`'s own "pmsbot web
    ready") is started again on another free port: some other program may take the port between the asking and
    the server's listening. After SERVER_ATTEMPTS the failure is raised with the server's last line."""
    said: list[str] = []
    for _ in range(SERVER_ATTEMPTS):
        port = free_port()
        with child(*argv, "--port", str(port), **kwargs) as (line, pid):
            if ready(line):
                yield line, pid, port
                return
            said.append(line)
    raise RuntimeError(f"{' '.join(argv)} did not start on a free port ({SERVER_ATTEMPTS} tries): {said!r}")


async def deliver_all(rt: Any, *, limit_s: float) -> float:
    """Start the runtime's worker and wait until the outbox has nothing pending; returns the seconds it took from
    the moment the worker runs. Not counted: start() itself, which loads the command language (~1 s on the
    benchmark machine, the same for any number of messages: the process's start, not the fan-out), and the
    delivery's warm-up before its first claim (its senders' access tokens and HTTP clients, whose TLS set-up
    takes 0.05-0.15 s of CPU here: once per process too)."""
    rt.start(("worker",))
    await rt.delivery.warmed.wait()
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        # Cleared before counting: a batch delivered while the count is read sets it again, and is not slept past
        # (cleared after, the last batch's signal was lost and the wave measured up to a second long).
        rt.delivery.delivered.clear()
        if not (await rt.outbox.counts()).get("pending", 0):
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(rt.delivery.delivered.wait(), timeout=1.0)
    return time.perf_counter() - start


def sequenced(platform: str, targets: list[str], per_target: int) -> list[Envelope]:
    """per_target messages to each target, interleaved; each says its place in its target's sequence."""
    return [Envelope(platform=platform, target=t, kind="linked", locale="en",  # "linked" prints the text given
                     data={"pms_user": f"seq-{n}-end"}, actions=[]) for n in range(per_target) for t in targets]


def reordered(arrivals: list[tuple[str, str]]) -> int:
    """Targets whose messages (target, text) reached the fake out of their sequence."""
    by_target: dict[str, list[int]] = {}
    for target, text in arrivals:
        by_target.setdefault(target, []).append(int(text.split("seq-")[1].split("-end")[0]))
    return sum(1 for seq in by_target.values() if seq != sorted(seq))


def minimum_s(targets: list[str], app: list[Any], chat: Callable[[], Any] | None = None) -> float:
    """The least time the limits allow for messages to `targets` in this order (each target's in sequence): each
    goes at the first moment every limit admits it, in the fakes' own limit classes (tests/fakes/server.py:
    Bucket, Window), so the figure is that of the limits the fake enforces, combined as they act together (the
    max of each limit's own bound understates it: 1,200 cards at 50/s and 1000 a minute need 63 s, not 60)."""
    from tests.fakes.server import admit

    at = 0.0
    chats: dict[str, Any] = {}
    for target in targets:
        limits = [*([chats.setdefault(target, chat())] if chat is not None else []), *app]
        while (wait := max(admit(at, *limits))) > 0:
            at += max(wait, 1e-6)  # (a float short of a whole token would loop forever)
    return at


FANOUT_GOAL = 1.1  # issue 21: fan-out within 1.1x of the minimum the limits allow, with the shipped defaults


def fanout_result(*, row: str, what: str, rate: str, elapsed_s: float, minimum_s: float, sent: int, total: int,
                  throttled: int, reordered: int = 0, goal: str = "0 x 429, none lost",
                  figures: dict[str, Any] | None = None) -> Result:
    """The table row of a fan-out against the minimum time the platform's published limits allow: met within
    FANOUT_GOAL of it, never throttled, none lost or reordered. `rate` formats the achieved rate (per second)."""
    ratio = elapsed_s / minimum_s if minimum_s > 0 else float("inf")
    lost = total - sent
    return Result(
        row=row,
        measured=f"{what} in {elapsed_s:.1f} s ({rate.format(sent / elapsed_s)} achieved); throttled {throttled}; "
                 f"lost {lost}" + (f"; reordered {reordered}" if reordered else ""),
        peer=f"the limits' minimum {minimum_s:.1f} s", ratio=round(ratio, 3) if minimum_s > 0 else None,
        goal=f"<= {FANOUT_GOAL:g}x the minimum, {goal}",
        met=ratio <= FANOUT_GOAL and throttled == 0 and lost == 0 and reordered == 0,
        figures={"elapsed_s": elapsed_s, "minimum_s": minimum_s, **(figures or {})})
