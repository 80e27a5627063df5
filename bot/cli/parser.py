"""The `pmsbot` command line's grammar. It imports nothing of the product, so `pmsbot --help` and a usage error
answer at once instead of after loading every part (the commands import what they run).

Every subcommand and option has a one-line help; the README's command table is `commands_table()` of this
grammar (tests/test_cli.py keeps the two in step)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from bot import __version__

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
MANIFEST_PLATFORMS = ("slack", "feishu", "dingtalk")
EXIT_CODES = "exit codes: 0 done, 1 refused or failed (one line on stderr says why), 2 bad usage"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pmsbot", description="Chat-ops bot gateway for Slack, Feishu/Lark and DingTalk.",
                                epilog=EXIT_CODES)
    p.add_argument("--version", action="version", version=f"pmsbot {__version__}")
    p.add_argument("--log-level", default=os.environ.get("PMSBOT_LOG_LEVEL", "INFO"), metavar="LEVEL",
                   help="DEBUG, INFO, WARNING or ERROR (default INFO, or PMSBOT_LOG_LEVEL)")
    p.add_argument("--log-format", default=os.environ.get("PMSBOT_LOG_FORMAT", "text"), metavar="FORMAT",
                   help="text, or json for log shippers: one object a line (default text, or PMSBOT_LOG_FORMAT)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".", epilog=EXIT_CODES)

    def serve(name: str, help_: str) -> argparse.ArgumentParser:
        sp = command(name, help_)
        sp.add_argument("--host", help="the address to listen on (default HOST, else 127.0.0.1)")
        sp.add_argument("--port", type=int, help="the port to listen on (default PORT, else 8080)")
        return sp

    serve("run", "web + worker + clock in one process (the embedded default); applies migrations on SQLite")
    serve("web", "HTTP only: platform callbacks, hooks, pages, health; stores events for a worker")
    command("worker", "dispatcher and delivery only")
    c = command("clock", "the scheduler: exactly one active across instances, the others stand by")
    c.add_argument("--once", action="store_true", help="run the work due at --at and exit (a rerun does nothing)")
    c.add_argument("--at", metavar="ISO-TIME", help="with --once: a time with offset, e.g. 2026-12-01T09:30:00+08:00")
    command("schedules", "the standup schedules in the database and each member's next prompt")
    d = serve("demo", "seed a demo organisation and serve the web console")
    d.add_argument("--reset", action="store_true", help="start from a fresh demo database (pmsbot-demo.db only)")
    d.add_argument("--seed-only", action="store_true", help="seed and exit (for `pmsbot say`)")
    d.add_argument("--history", action="store_true", help="add 20 projects with 6 months of daily snapshots "
                                                          "(the portfolio and its trends)")
    s = command("say", "run one message through the pipeline and print the replies; exit 1 when refused")
    s.add_argument("--as", dest="as_", required=True, metavar="PERSON", help="the person id who says it")
    s.add_argument("--platform", default="console", help="the platform it comes from (default console)")
    s.add_argument("text", nargs="+", help="the message")
    db = command("db", "the database schema")
    db.add_argument("action", choices=["upgrade"], help="upgrade: bring the schema to this version (Alembic)")
    command("check", "validate the configuration and reach every configured system; changes nothing")
    a = command("audit", "the audit log's hash chain")
    a.add_argument("action", choices=["verify", "anchor"],
                   help="verify the chain (and the anchors); anchor: print the chain's head to keep elsewhere")
    a.add_argument("--anchors", metavar="FILE", help="a file of anchor lines (default PMSBOT_AUDIT_ANCHOR)")
    pv = command("privacy", "a person's stored data: export it as JSON, erase it; purge what is past retention")
    pv.add_argument("action", choices=["export", "erase", "purge"],
                    help="export: print (or -o) everything about the person; erase: delete or pseudonymise it; "
                         "purge: apply the retention limits now")
    pv.add_argument("person", nargs="?", help="the person's id (export, erase)")
    pv.add_argument("-o", "--output", metavar="FILE", help="export: write the JSON to FILE")
    pv.add_argument("--yes", action="store_true", help="erase: do it (without: show what would go)")
    sla = command("sla", "success rate and call time per connector")
    sla.add_argument("--hours", type=float, default=24.0, help="the window (default 24)")
    lang = command("language", "the field language: score it on a labelled corpus")
    ls = lang.add_subparsers(dest="language_command", required=True, metavar="ACTION")
    ev = ls.add_parser("eval", help="accuracy, wrong writes and questions asked on a corpus (tests/language/)")
    ev.add_argument("file", help="a YAML list of {text, expect} (tests/language/README.md)")
    ev.add_argument("--min-accuracy", type=float, default=0.98, help="exit 1 below this share right (default 0.98)")
    ev.add_argument("-v", "--verbose", action="store_true", help="list every message not read as meant")
    m = command("manifest", "what to paste into a platform's app settings: scopes, events, URLs")
    m.add_argument("platform", choices=MANIFEST_PLATFORMS, help="slack (an app manifest), feishu or dingtalk")
    m.add_argument("--url", help="the public https URL of this server (default PMSBOT_PUBLIC_URL)")
    m.add_argument("--socket-mode", action="store_true", help="slack: events over Socket Mode, no request URLs")
    _hooks(sub)
    _plan(sub)
    _directory(sub)
    return p


def _plan(sub: Any) -> None:
    pl = sub.add_parser("plan", help="Microsoft Project plans (MSPDI XML): import into a project, export its progress",
                        epilog=EXIT_CODES)
    ps = pl.add_subparsers(dest="plan_command", required=True, metavar="ACTION")
    pi = ps.add_parser("import", help="a plan's tasks, dates and % into a project (again: updates, never adds twice)")
    pi.add_argument("file", help="a Project XML file (File > Save As > XML Format)")
    pi.add_argument("--project", help="the project's key (default: the only project configured)")
    pi.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    pe = ps.add_parser("export", help="the project's plan with today's % as a Project XML file")
    pe.add_argument("file", help="the file to write (replaced whole)")
    pe.add_argument("--project", help="the project's key (default: the only project configured)")



def _directory(sub: Any) -> None:
    d = sub.add_parser("directory", help="people from LDAP and the platforms' address books (directory: section)",
                       epilog=EXIT_CODES)
    ds = d.add_subparsers(dest="directory_command", required=True, metavar="ACTION")
    s = ds.add_parser("sync", help="read the directories and create, update or deactivate people; prints each change")
    s.add_argument("--source", action="append", default=[], metavar="NAME",
                   help="only this source (repeatable; default all)")
    s.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    s.add_argument("--force", action="store_true", help="apply even when more people would leave than "
                                                        "directory.max_leavers_share allows")


def _hooks(sub: Any) -> None:
    h = sub.add_parser("hooks", help="other systems' sources: try rules, rejected deliveries, file imports",
                       epilog=EXIT_CODES)
    hs = h.add_subparsers(dest="hooks_command", required=True, metavar="ACTION")
    t = hs.add_parser("test", help="what a payload would do (matched rules, rendered actions), changing nothing")
    t.add_argument("source", help="the source's name in the configuration")
    t.add_argument("payload", help="a JSON file (webhook sources) or a CSV / XLSX file (file sources)")
    f = hs.add_parser("failed", help="rejected deliveries and why")
    f.add_argument("--source", help="only this source's")
    f.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    r = hs.add_parser("replay", help="run a rejected delivery again (after fixing the rules or the data)")
    r.add_argument("id", type=int, help="the delivery's id (from `hooks failed`)")
    i = hs.add_parser("import", help="import a file source's files now (or one file)")
    i.add_argument("source", help="the file source's name")
    i.add_argument("file", nargs="?", help="one file (default: the source's new files)")
    hs.add_parser("imports", help="the latest file imports: rows applied, skipped, rejected with reasons")


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser, str]]:
    """(name, parser, help) of each subcommand, in the order they were added."""
    found: list[tuple[str, argparse.ArgumentParser, str]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            found += [(name, sp, helps.get(name, "")) for name, sp in action.choices.items()]
    return found


def _usage(sp: argparse.ArgumentParser) -> str:
    return " ".join(sp.format_usage().split()).removeprefix("usage: ").replace(" [-h]", "")


def _options(sp: argparse.ArgumentParser) -> str:
    return "".join(f"<br>`{'/'.join(a.option_strings) or a.metavar or a.dest}`: {a.help}" for a in sp._actions
                   if a.help and a.help != argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)
                   and not isinstance(a, argparse._SubParsersAction))


def commands_table() -> str:
    """The README's command table: each subcommand's usage and its one-line help, from this grammar."""
    rows = ["| command | what it does |", "| --- | --- |"]
    for name, sp, help_ in _subcommands(build_parser()):
        nested = _subcommands(sp)
        for _, leaf, leaf_help in nested or [(name, sp, help_)]:
            rows.append(f"| `{_usage(leaf)}` | {leaf_help or help_}{_options(leaf)} |")
    return "\n".join(rows) + "\n"


def options_of(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every option and positional a parser (and its subcommands) takes, for the test that each has a help."""
    actions = [a for a in parser._actions if not isinstance(a, argparse._SubParsersAction)]
    for _, sp, _ in _subcommands(parser):
        actions += options_of(sp)
    return actions


if __name__ == "__main__":  # `python -m bot.cli.parser`: the README's command table
    print(commands_table(), end="")
