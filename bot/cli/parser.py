"""The `pmsbot` command line's grammar. It imports nothing of the product, so `pmsbot --help` and a usage error
answer at once instead of after loading every part (the commands import what they run)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from bot import __version__

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
    lang = sub.add_parser("language", help="the field language: score it on a labelled corpus")
    ls = lang.add_subparsers(dest="language_command", required=True, metavar="ACTION")
    ev = ls.add_parser("eval", help="accuracy, wrong writes and questions asked on a corpus (tests/language/)")
    ev.add_argument("file", help="a YAML list of {text, expect} (tests/language/README.md)")
    ev.add_argument("--min-accuracy", type=float, default=0.98, help="exit 1 below this share right (default 0.98)")
    ev.add_argument("-v", "--verbose", action="store_true", help="list every message not read as meant")
    _hooks(sub)
    return p


def _hooks(sub: Any) -> None:
    h = sub.add_parser("hooks", help="other systems' sources: try rules, rejected deliveries, file imports")
    hs = h.add_subparsers(dest="hooks_command", required=True, metavar="ACTION")
    t = hs.add_parser("test", help="what a payload would do (matched rules, rendered actions), changing nothing")
    t.add_argument("source")
    t.add_argument("payload", help="a JSON file (webhook sources) or a CSV / XLSX file (file sources)")
    f = hs.add_parser("failed", help="rejected deliveries and why")
    f.add_argument("--source")
    f.add_argument("--limit", type=int, default=20)
    r = hs.add_parser("replay", help="run a rejected delivery again (after fixing the rules or the data)")
    r.add_argument("id", type=int)
    i = hs.add_parser("import", help="import a file source's files now (or one file)")
    i.add_argument("source")
    i.add_argument("file", nargs="?")
    hs.add_parser("imports", help="the latest file imports: rows applied, skipped, rejected with reasons")
