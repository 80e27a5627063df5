"""The processes: `pmsbot run|web|worker|clock` and `demo`, each built from a Runtime and served until a
signal; `clock --once` runs one minute by hand."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import env
from bot.cli.env import CliError
from bot.runtime import Role, Runtime
from bot.store.db import normalize_url, redact_url, sqlite_file

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("pmsbot")

DEMO_DATABASE_URL = "sqlite+aiosqlite:///./pmsbot-demo.db"
DEMO_DATABASE_FILE = "pmsbot-demo.db"


async def serve_roles(rt: Runtime, roles: tuple[Role, ...], *, host: str, port: int, web_role: bool) -> None:
    """What `pmsbot run|web|worker|clock` run once configured (the benchmarks run it too, as the product runs)."""
    from aiohttp import web  # here, not at the top: `clock --once` and `demo --seed-only` serve nothing

    from bot.memory import tune_for_serving

    await rt.open()
    app: web.Application | None = None
    if web_role:
        from bot.app import build_app

        app = build_app(rt)
    rt.renderer.catalogs  # noqa: B018 - read now, not by the first request (80 ms of YAML on the loop)
    tune_for_serving()  # after everything built once, so the collector never walks it again
    runner: web.AppRunner | None = None
    if app is not None:
        # Listen before any role starts: a busy port stops the process before a clock or worker has begun.
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            await rt.close()
            raise CliError(_cannot_listen(host, port, exc)) from None
        log.info("listening on http://%s:%s (database %s)", host, port, redact_url(rt.db.url))
        if rt.console:
            print(f"pmsbot console: http://{host}:{port}/console", flush=True)
    rt.start(roles)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"pmsbot {'+'.join(roles)} ready", flush=True)
    try:
        await stop.wait()
    finally:
        if runner is not None:
            await runner.cleanup()
        await rt.close()


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another pmsbot?): stop that process, "
                "or choose another port with --port or PORT")
    if exc.errno == errno.EACCES:
        return f"port {port} needs privileges this user does not have: choose a port above 1023 (--port or PORT)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: choose another with --host or HOST"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def cmd_serve(args: argparse.Namespace, roles: tuple[Role, ...], web_role: bool) -> int:
    settings = env.settings()
    config, parsed = env.config_file(settings)
    missing = env.unconfigured(settings, config)
    if missing:
        # It still serves (health checks, a stack whose configuration comes later), but says why nobody can use it.
        print("pmsbot: nothing is configured yet, so nobody can talk to this bot:\n"
              + "".join(f"  - {line}\n" for line in missing)
              + "  `pmsbot demo` shows a configured one; `pmsbot check` checks yours", file=sys.stderr, flush=True)
    rt = Runtime(settings, config, console=env.console_on(), parsed_file=parsed)
    host, port = getattr(args, "host", None) or settings.host, getattr(args, "port", None) or settings.port
    asyncio.run(serve_roles(rt, roles, host=host, port=port, web_role=web_role))
    return 0


def cmd_clock(args: argparse.Namespace) -> int:
    settings = env.settings()
    config, parsed = env.config_file(settings)
    if not args.once:
        rt = Runtime(settings, config, parsed_file=parsed)
        asyncio.run(serve_roles(rt, ("clock",), host=settings.host, port=settings.port, web_role=False))
        return 0
    if not args.at:
        raise CliError("--once needs --at ISO-TIME, for example --at 2026-12-01T09:30:00+08:00")
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError as exc:
        raise CliError(f"--at {args.at!r} is not an ISO time like 2026-12-01T09:30:00+08:00") from exc
    if at.tzinfo is None:
        raise CliError("--at needs a timezone offset, for example +08:00")
    from bot.clock import run_due
    from bot.say import drain

    rt = Runtime(settings, config, parsed_file=parsed)

    async def main() -> int:
        try:
            await rt.open()
            count = await run_due(rt.jobs, at)
            await drain(rt)  # deliver what is due now; a running worker would do the same
            return count
        finally:
            await rt.close()

    count = asyncio.run(main())
    print(f"{at.isoformat()}: {count} scheduled message{'s' if count != 1 else ''} sent")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo.seed import demo_config, seed

    url = normalize_url(os.environ.get("DATABASE_URL") or DEMO_DATABASE_URL)
    if args.reset:
        path = sqlite_file(url)
        if path is None:
            raise CliError("--reset only deletes a SQLite demo database; drop a PostgreSQL one yourself")
        if Path(path).name != DEMO_DATABASE_FILE:
            # DATABASE_URL may name a real deployment's database: never delete that by a flag.
            raise CliError(f"--reset only deletes a file named {DEMO_DATABASE_FILE}, not {path}; "
                           "remove it yourself if that is what you mean")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    settings = env.settings().model_copy(update={"database_url": url})
    rt = Runtime(settings, demo_config(), console=True)

    async def main() -> None:
        await rt.open()
        seeded = await seed(rt)
        print("demo organisation seeded" if seeded else "demo organisation already present", flush=True)
        if args.history:
            from bot.demo.history import seed_history
            from bot.web.links import WebLinks

            rows = await seed_history(rt)
            print(f"history: {rows} snapshot rows written" if rows else "history already present", flush=True)
            assert rt.web_key is not None
            print("portfolio (as alice): " + WebLinks(rt.web_key, f"http://{args.host or settings.host}:"
                                                     f"{args.port or settings.port}", clock=rt.clock).portfolio("alice"),
                  flush=True)
        if args.seed_only:
            await rt.close()
            return
        await serve_roles(rt, ("web", "worker", "clock"), host=args.host or settings.host,
                     port=args.port or settings.port, web_role=True)

    asyncio.run(main())
    return 0


