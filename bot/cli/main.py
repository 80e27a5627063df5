"""The `pmsbot` command line. Every subcommand exits 0 on success, 1 on a failure it explains, 2 on bad usage."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from bot import __version__, logs
from bot.cli import hooks as hooks_cli
from bot.cli.env import CliError
from bot.cli.ops import cmd_audit, cmd_check, cmd_db, cmd_hooks, cmd_say, cmd_schedules, cmd_sla
from bot.cli.serve import cmd_clock, cmd_demo, cmd_serve
from bot.config import ConfigError
from bot.constants import DEFAULT_DATABASE_URL
from bot.runtime import SchemaNotReady
from bot.store.db import DatabaseError, DatabaseUrlError, normalize_url, redact_url
from bot.store.web import KeyUnavailable

log = logging.getLogger("pmsbot")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pmsbot", description="Chat-ops bot gateway for Slack, Feishu/Lark and DingTalk.")
    p.add_argument("--version", action="version", version=f"pmsbot {__version__}")
    p.add_argument("--log-level", default=os.environ.get("PMSBOT_LOG_LEVEL", "INFO"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def serve(name: str, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("--host")
        sp.add_argument("--port", type=int)
        return sp

    serve("run", "web + worker + clock in one process (the embedded default)")
    serve("web", "HTTP only: platform callbacks, hooks, console, health")
    serve("worker", "dispatcher and delivery only")
    c = sub.add_parser("clock", help="the scheduler (exactly one active across instances)")
    c.add_argument("--once", action="store_true", help="run the work due at --at and exit")
    c.add_argument("--at", help="ISO time with offset, e.g. 2026-12-01T09:30:00+08:00")
    sub.add_parser("schedules", help="list schedules and their next runs")
    d = serve("demo", "seed a demo organisation and serve the web console")
    d.add_argument("--reset", action="store_true", help="start from a fresh demo database")
    d.add_argument("--seed-only", action="store_true", help="seed and exit (for `pmsbot say`)")
    s = sub.add_parser("say", help="run one message through the pipeline and print the replies")
    s.add_argument("--as", dest="as_", required=True, metavar="PERSON")
    s.add_argument("--platform", default="console")
    s.add_argument("text", nargs="+")
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])
    sub.add_parser("check", help="validate the configuration and reach every configured system")
    a = sub.add_parser("audit", help="the audit log")
    a.add_argument("action", choices=["verify", "anchor"],
                   help="verify the chain (and the anchors); anchor: print the chain's head to keep elsewhere")
    a.add_argument("--anchors", help="a file of anchor lines (default: PMSBOT_AUDIT_ANCHOR)")
    sla = sub.add_parser("sla", help="success rate and call time per connector")
    sla.add_argument("--hours", type=float, default=24.0, help="the window (default 24)")
    hooks_cli.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.log_level.upper() not in LOG_LEVELS:
        parser.error(f"log level {args.log_level!r} is not one of {', '.join(LOG_LEVELS)} (PMSBOT_LOG_LEVEL)")
    logs.configure(args.log_level)
    handlers = {
        "run": lambda: cmd_serve(args, ("web", "worker", "clock"), True),
        "web": lambda: cmd_serve(args, ("web",), True),
        "worker": lambda: cmd_serve(args, ("worker",), False),
        "clock": lambda: cmd_clock(args),
        "schedules": lambda: cmd_schedules(args),
        "demo": lambda: cmd_demo(args),
        "say": lambda: cmd_say(args),
        "db": lambda: cmd_db(args),
        "check": lambda: cmd_check(args),
        "audit": lambda: cmd_audit(args),
        "sla": lambda: cmd_sla(args),
        "hooks": lambda: cmd_hooks(args),
    }
    try:
        return handlers[args.command]()
    except (ConfigError, CliError, SchemaNotReady, DatabaseUrlError) as exc:
        print(f"pmsbot: {exc}", file=sys.stderr)
        return 1
    except (DatabaseError, KeyUnavailable, ConnectionError, TimeoutError) as exc:
        # An unreachable or broken database: say which, in one line, without a traceback or a password.
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        url = redact_url(normalize_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL))
        print(f"pmsbot: database {url}: {type(exc).__name__}: {detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


