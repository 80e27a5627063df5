"""Benchmark: idle memory (RSS) of `pmsbot web` against a bare slack-bolt app, started in the same run.

    python -m bench.memory [--rounds 3] [--results PATH]

Each round starts both servers as their own processes on 127.0.0.1 (A, B in one round, B, A in the next), waits
until each answers HTTP, lets it settle a second, and reads VmRSS from /proc/<pid>/status. `pmsbot web` is the
real command (`pmsbot web`, SQLite, Slack configured against an address nothing listens on: no traffic); the peer
is a slack-bolt AsyncApp served by aiohttp with one /pms command that only acks. Printed: each one's median and
spread, and the ratio; goal: pmsbot web <= 80 MB.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import HOST, SERVER_ATTEMPTS, free_port
from bench.startup import compile_bytecode
from bench.table import Result, add_results

ROOT = Path(__file__).resolve().parent.parent
GOAL_MB = 80.0  # issue 21
BOLT_APP = """
import asyncio, sys
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_sdk.web.async_client import AsyncWebClient

bolt = AsyncApp(signing_secret="s3cret", process_before_response=True,
                client=AsyncWebClient(token="xoxb-1", base_url="http://127.0.0.1:9/api/"))

@bolt.command("/pms")
async def ack_only(ack):
    await ack()

async def handle(request):
    return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

async def healthz(request):
    return web.Response(text="ok")

app = web.Application()
app.router.add_post("/slack/events", handle)
app.router.add_get("/healthz", healthz)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


class ServerDown(RuntimeError):
    """The server exited before it answered (its port taken, or a failure its stderr would show)."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _ready(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Until GET /healthz answers (polling here is the benchmark waiting for another process, not for work)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDown(f"server on port {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} not ready after {timeout_s} s")


def measure(kind: str, tmp: Path) -> float:
    """The server's RSS once settled, on a free port (free_port); started again on another when it did not come
    up (some other program took the port between the asking and the server's listening)."""
    failures: list[str] = []
    for _ in range(SERVER_ATTEMPTS):
        try:
            return _measure(kind, free_port(), tmp)
        except ServerDown as exc:
            failures.append(str(exc))
    raise RuntimeError(f"{kind} did not start on a free port ({SERVER_ATTEMPTS} tries): {failures}")


def _measure(kind: str, port: int, tmp: Path) -> float:
    env = {**os.environ, "PMSBOT_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    if kind == "pmsbot web":
        db = tmp / f"web-{port}-{time.monotonic_ns()}.db"  # a new database each time, as each round had
        env |= {"DATABASE_URL": f"sqlite:///{db}", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret",
                "SLACK_API_URL": "http://127.0.0.1:9/api/", "HOST": HOST, "PORT": str(port),
                "PMSBOT_CONFIG": str(tmp / "pmsbot.yaml")}
        argv = [sys.executable, "-c", "import sys; from bot.cli.main import main; sys.exit(main(sys.argv[1:]))"]
        subprocess.run([*argv, "db", "upgrade"], env=env, check=True, capture_output=True)
        argv.append("web")
    else:
        argv = [sys.executable, "-c", BOLT_APP, str(port)]
    proc = subprocess.Popen(argv, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _ready(port, proc)
        time.sleep(1.0)  # settled: start-up work (the first auth.test, the collector's tuning) is over
        if proc.poll() is not None:  # what answered was another program on the port this one could not take
            raise ServerDown(f"server on port {port} exited with {proc.returncode}")
        return rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--results", default=None, help="append the row to this JSON file (make bench's table)")
    args = p.parse_args()
    compile_bytecode()  # as installed: bolt's modules are compiled, pmsbot's must be too
    kinds = ["bolt", "pmsbot web"]
    found: dict[str, list[float]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "pmsbot.yaml").write_text("locale: en\n")
        for round_ in range(args.rounds):
            for kind in kinds if round_ % 2 == 0 else reversed(kinds):
                found[kind].append(measure(kind, tmp))
    print(f"== idle RSS after start-up, {args.rounds} rounds alternating (MB: median, min..max)")
    for kind in kinds:
        values = found[kind]
        print(f"  {kind:>11}: {statistics.median(values):6.1f}  ({min(values):.1f}..{max(values):.1f})")
    web, bolt = statistics.median(found["pmsbot web"]), statistics.median(found["bolt"])
    print(f"  ratio pmsbot web / bolt: {web / bolt:.2f}; pmsbot web {web:.1f} MB (goal <= {GOAL_MB:g} MB)")

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} MB ({min(values):.1f}-{max(values):.1f})"
    add_results(args.results, [Result(
        row="idle RSS of `web`", measured=f"`pmsbot web` (SQLite, Slack) {spread(found['pmsbot web'])}",
        peer=f"slack-bolt AsyncApp on aiohttp {spread(found['bolt'])}", ratio=web / bolt,
        goal=f"<= {GOAL_MB:g} MB", met=web <= GOAL_MB,
        figures={"pmsbot_web_mb": found["pmsbot web"], "bolt_mb": found["bolt"], "rounds": args.rounds})])


if __name__ == "__main__":
    main()
