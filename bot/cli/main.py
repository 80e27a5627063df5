"""The `pmsbot` command line. Every subcommand exits 0 on success, 1 on a failure it explains, 2 on bad usage."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot import logs
from bot.cli.parser import LOG_FORMATS, LOG_LEVELS, build_parser
from bot.memory import collector_paused, no_collection_at_exit

if TYPE_CHECKING:
    from bot.runtime import Role

log = logging.getLogger("pmsbot")

def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.log_level.upper() not in LOG_LEVELS:
        parser.error(f"log level {args.log_level!r} is not one of {', '.join(LOG_LEVELS)} (PMSBOT_LOG_LEVEL)")
    if args.log_format not in LOG_FORMATS:
        parser.error(f"log format {args.log_format!r} is not one of {', '.join(LOG_FORMATS)} (PMSBOT_LOG_FORMAT)")
    logs.configure(args.log_level, args.log_format)
    no_collection_at_exit()
    # Only now the product: `--help` and usage errors have answered above without loading it (0.1 s, not 2.5 s).
    # And only the command's own code: a server never loads the operator commands' (migrations, file imports,
    # every PMS connector: tens of MB a process keeps for nothing). Imported code lives as long as the process:
    # the collector does not walk it again and again while it loads (bot/memory.py).
    with collector_paused(keep=True):
        from bot.cli.env import CliError, why
        from bot.config import ConfigError
        from bot.constants import DEFAULT_DATABASE_URL
        from bot.runtime import SchemaNotReady
        from bot.store.db import DatabaseError, DatabaseUrlError, normalize_url, redact_url
        from bot.store.web import KeyUnavailable

    def serve(command: str) -> int:
        with collector_paused(keep=True):
            from bot.cli import serve as cli_serve
        if command == "clock":
            return cli_serve.cmd_clock(args)
        if command == "demo":
            return cli_serve.cmd_demo(args)
        roles: dict[str, tuple[Role, ...]] = {"run": ("web", "worker", "clock"), "web": ("web",), "worker": ("worker",)}
        return cli_serve.cmd_serve(args, roles[command], command != "worker")

    def operate(command: str) -> int:
        with collector_paused(keep=True):
            run = _operator_command(command)
        return run(args)

    try:
        if args.command in ("run", "web", "worker", "clock", "demo"):
            return serve(args.command)
        return operate(args.command)
    except (ConfigError, CliError, SchemaNotReady, DatabaseUrlError) as exc:
        print(f"pmsbot: {exc}", file=sys.stderr)
        return 1
    except (DatabaseError, KeyUnavailable, ConnectionError, TimeoutError) as exc:
        # An unreachable or broken database: say which, in one line, without a traceback or a password.
        url = redact_url(normalize_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL))
        print(f"pmsbot: database {url}: {why(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _operator_command(command: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs an operator command, its module imported only now."""
    if command == "language":
        from bot.cli.language import cmd_language

        return cmd_language
    if command == "plan":
        from bot.cli.plan import cmd_plan

        return cmd_plan
    if command == "directory":
        from bot.cli.directory import cmd_directory

        return cmd_directory
    if command == "manifest":
        from bot.cli.manifest import cmd_manifest

        return cmd_manifest
    from bot.cli import ops
    run: Callable[[argparse.Namespace], int] = getattr(ops, f"cmd_{command}")
    return run
