"""The `pmsbot` command line. Every subcommand exits 0 on success, 1 on a failure it explains, 2 on bad usage."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import __version__, logs
from bot.clocks import SYSTEM_CLOCK
from bot.config import Config, ConfigError, Settings, load_config
from bot.constants import DEFAULT_DATABASE_URL
from bot.hooks import cli as hooks_cli
from bot.runtime import Role, Runtime, SchemaNotReady
from bot.store import migrate
from bot.store.db import DatabaseUrlError, database, normalize_url, redact_url

log = logging.getLogger("pmsbot")

DEMO_DATABASE_URL = "sqlite+aiosqlite:///./pmsbot-demo.db"
DEMO_DATABASE_FILE = "pmsbot-demo.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class CliError(Exception):
    """A failure the user can act on; printed without a traceback."""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'environment'}: {e['msg']}" for e in exc.errors())
        raise CliError(f"environment: {problems}") from None


def _config(settings: Settings) -> Config:
    if os.environ.get("PMSBOT_CONFIG") and not Path(settings.pmsbot_config).exists():
        # Only the default path may be absent (the embedded default); a path someone set must exist.
        raise CliError(f"PMSBOT_CONFIG names {settings.pmsbot_config}, which does not exist")
    return load_config(settings.pmsbot_config)


async def serve_roles(rt: Runtime, roles: tuple[Role, ...], *, host: str, port: int, web_role: bool) -> None:
    """What `pmsbot run|web|worker|clock` run once configured (the benchmarks run it too, as the product runs)."""
    from bot.memory import tune_for_serving

    await rt.open()
    app: web.Application | None = None
    if web_role:
        from bot.app import build_app

        app = build_app(rt)
    rt.renderer.catalogs  # noqa: B018 - read now, not by the first request (80 ms of YAML on the loop)
    tune_for_serving()  # after everything built once, so the collector never walks it again
    rt.start(roles)
    runner: web.AppRunner | None = None
    if app is not None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            await rt.close()
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        log.info("listening on http://%s:%s (database %s)", host, port, redact_url(rt.db.url))
        if rt.console:
            print(f"pmsbot console: http://{host}:{port}/console", flush=True)
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


def cmd_serve(args: argparse.Namespace, roles: tuple[Role, ...], web_role: bool) -> int:
    settings = _settings()
    rt = Runtime(settings, _config(settings), console=os.environ.get("PMSBOT_CONSOLE", "") == "1")
    asyncio.run(serve_roles(rt, roles, host=args.host or settings.host, port=args.port or settings.port,
                       web_role=web_role))
    return 0


def cmd_clock(args: argparse.Namespace) -> int:
    settings = _settings()
    config = _config(settings)
    if not args.once:
        rt = Runtime(settings, config)
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

    rt = Runtime(settings, config)

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


def _calendar_gap_line(code: str, year: int) -> str:
    return (f"warning: calendar {code} has no adjusted workdays (调休) for {year} yet; add them under "
            f"calendars.{code}.extra_workdays / extra_holidays when they are published (README: Configuration)")


def cmd_schedules(args: argparse.Namespace) -> int:
    from bot.jobs.calendar import calendar_gaps
    from bot.jobs.standups import next_runs

    settings = _settings()
    config = _config(settings)
    if not config.standups:
        print("no schedules configured")
        return 0
    rt = Runtime(settings, config)

    async def main() -> list[str]:
        try:
            await rt.open()
            now = SYSTEM_CLOCK.now()
            lines = []
            for run in await next_runs(rt.db, rt.config, now):
                when = run.at.strftime("%Y-%m-%d %a %H:%M %z") if run.at else "none within a year"
                lines.append(f"{run.schedule}\t{run.project}\t{run.person_id}\t{run.timezone}\tnext: {when}")
            lines += [_calendar_gap_line(code, year) for code, year in calendar_gaps(config, now.date())]
            return lines
        finally:
            await rt.close()

    for line in asyncio.run(main()):
        print(line)
    return 0


async def _say(rt: Runtime, person_id: str, platform: str, text: str) -> list[str]:
    from bot.say import PlatformDisabled, UnknownPerson, say

    await rt.open()
    try:
        replies = await say(rt, person_id, text, platform=platform)
    except PlatformDisabled as exc:
        raise CliError(str(exc)) from exc
    except UnknownPerson as exc:
        raise CliError(f"unknown person {person_id!r}: add them under people: in the configuration "
                       "(or run `pmsbot demo --seed-only` and use the demo database)") from exc
    async with rt.db.read() as s:
        from bot.store.workspace import SqlWorkspace

        person = await SqlWorkspace(s, default_locale=rt.config.locale).person(person_id)
    t = rt.renderer.catalogs[person.locale if person else rt.config.locale]
    out = []
    for reply in replies:
        out.append(reply.text)
        if reply.buttons:
            out.append(f"{t['cli']['buttons']}: " + " · ".join(f"[{label}] ({bid} {value})"
                                                               for bid, value, label in reply.buttons))
    if not out:
        out.append(t["cli"]["no_reply"])
    return out


def cmd_say(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    settings = _settings()
    rt = Runtime(settings, _config(settings))

    async def main() -> list[str]:
        try:
            return await _say(rt, args.as_, args.platform, text)
        finally:
            await rt.close()

    for line in asyncio.run(main()):
        print(line)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo.seed import demo_config, seed

    url = normalize_url(os.environ.get("DATABASE_URL") or DEMO_DATABASE_URL)
    if args.reset:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            raise CliError("--reset only deletes a SQLite demo database; drop a PostgreSQL one yourself")
        if Path(parsed.database).name != DEMO_DATABASE_FILE:
            # DATABASE_URL may name a real deployment's database: never delete that by a flag.
            raise CliError(f"--reset only deletes a file named {DEMO_DATABASE_FILE}, not {parsed.database}; "
                           "remove it yourself if that is what you mean")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
    settings = _settings().model_copy(update={"database_url": url})
    rt = Runtime(settings, demo_config(), console=True)

    async def main() -> None:
        await rt.open()
        seeded = await seed(rt)
        print("demo organisation seeded" if seeded else "demo organisation already present", flush=True)
        if args.seed_only:
            await rt.close()
            return
        await serve_roles(rt, ("web", "worker", "clock"), host=args.host or settings.host,
                     port=args.port or settings.port, web_role=True)

    asyncio.run(main())
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    db = database(_settings())

    async def main() -> None:
        try:
            before = await migrate.current_revision(db)
            await migrate.upgrade(db)
            after = await migrate.current_revision(db)
            print(f"database {redact_url(db.url)}: schema {before or 'empty'} -> {after}")
        finally:
            await db.dispose()

    asyncio.run(main())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings()
    failures = 0
    try:
        config = _config(settings)
        where = settings.pmsbot_config if Path(settings.pmsbot_config).exists() else "(no file: built-in defaults)"
        print(f"ok   config {where}: {len(config.people)} people, {len(config.projects)} projects, "
              f"{len(config.standups)} standups")
    except ConfigError as exc:
        print(f"FAIL config\n{exc}")
        return 1
    from bot.jobs.calendar import calendar_gaps

    # Not a failure (the product runs), but prompts would go out on the wrong days: say it loudly.
    today = SYSTEM_CLOCK.today(ZoneInfo(config.timezone))
    for code, year in calendar_gaps(config, today):
        print("WARN " + _calendar_gap_line(code, year).removeprefix("warning: "))
    db = database(settings)

    async def probe() -> int:
        bad = 0
        try:
            await db.ping()
            current, head = await migrate.current_revision(db), migrate.head_revision()
            if current == head:
                print(f"ok   database {redact_url(db.url)}: schema up to date")
            elif db.is_sqlite:
                print(f"ok   database {redact_url(db.url)}: schema at {current or 'empty'}; `pmsbot run` upgrades it")
            else:
                print(f"FAIL database {redact_url(db.url)}: schema at {current or 'empty'}, needs {head}: "
                      "run `pmsbot db upgrade`")
                bad += 1
            if current == head:
                from bot.store.admin import link_claims

                for person, claim, since in await link_claims(db):
                    when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else " (made before links were proven)"
                    print(f"WARN unconfirmed link: {person} asks for PMS user {claim}{when}; nothing is written "
                          f"in that name until an admin answers `link approve {person}` or `link deny {person}`")
        except Exception as exc:  # report what could not be reached, never a traceback
            print(f"FAIL database {redact_url(db.url)}: {type(exc).__name__}: {exc}")
            bad += 1
        finally:
            await db.dispose()
        return bad

    failures += asyncio.run(probe())
    print(f"ok   platforms enabled: {', '.join(settings.enabled_platforms())}")
    if settings.slack_bot_token is not None:
        from notifiers.slack import probe as slack_probe

        ok, what = asyncio.run(slack_probe(settings))
        print(f"{'ok  ' if ok else 'FAIL'} slack: {what}")
        failures += 0 if ok else 1
    if settings.feishu_app_id:
        from notifiers.feishu import probe as feishu_probe
        from notifiers.render import Renderer

        ok, what = asyncio.run(feishu_probe(settings, Renderer()))
        print(f"{'ok  ' if ok else 'FAIL'} feishu: {what}")
        failures += 0 if ok else 1
    if settings.dingtalk_client_id:
        from notifiers.dingtalk import probe as dingtalk_probe
        from notifiers.render import Renderer

        ok, what = asyncio.run(dingtalk_probe(settings, Renderer()))
        print(f"{'ok  ' if ok else 'FAIL'} dingtalk: {what}")
        failures += 0 if ok else 1
    failures += asyncio.run(_check_pms(settings, config))
    return 1 if failures else 0


async def _check_pms(settings: Settings, config: Config) -> int:
    """Each remote PMS a project uses is reached with our credentials; a project whose PMS has no settings fails."""
    from bot.pms.base import PMSDown, PMSError
    from bot.pms.registry import CONNECTORS, REMOTE, build_remotes

    bad = 0
    remotes = build_remotes(settings, config, SYSTEM_CLOCK)
    try:
        for name, remote in remotes.items():
            try:
                print(f"ok   {name}: {await remote.check()}")
            except (PMSDown, PMSError) as exc:
                print(f"FAIL {name}: {exc}")
                bad += 1
        for project in config.projects:
            if project.pms in CONNECTORS or project.pms in remotes:
                print(f"ok   project {project.key}: pms {project.pms}")
            elif project.pms in REMOTE:
                print(f"FAIL project {project.key}: pms {project.pms} needs its settings "
                      f"({_PMS_SETTINGS.get(project.pms, '')})")
                bad += 1
            else:
                print(f"FAIL project {project.key}: pms {project.pms} has no connector in this version")
                bad += 1
    finally:
        for remote in remotes.values():
            await remote.close()
    return bad


_PMS_SETTINGS = {"jira": "JIRA_URL with JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center)",
                 "redmine": "REDMINE_URL and REDMINE_API_KEY",
                 "zentao": "ZENTAO_URL, ZENTAO_ACCOUNT and ZENTAO_PASSWORD"}


def cmd_audit(args: argparse.Namespace) -> int:
    from bot.audit import Anchor, anchor, verify

    settings = _settings()
    db = database(settings)
    path = args.anchors or settings.pmsbot_audit_anchor
    anchors: list[Anchor] = []
    if args.action == "verify" and path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
            anchors = [Anchor.parse(line) for line in lines if line.strip()]
        except (OSError, ValueError) as exc:
            raise CliError(f"{path}: cannot read the audit anchors: {exc}") from None

    async def main() -> int:
        try:
            if args.action == "anchor":
                print((await anchor(db, now=SYSTEM_CLOCK.now())).line())
                return 0
            result = await verify(db, anchors=anchors)
        finally:
            await db.dispose()
        if result.ok:
            print(f"audit chain ok: {result.rows} rows"
                  + (f", {len(anchors)} anchors found in it" if anchors else "")
                  + ("" if db.audit_key else "; unkeyed (set PMSBOT_AUDIT_KEY: without a key, a rewrite of the whole "
                                             "table with hashes recomputed would pass)"))
            return 0
        print(f"audit chain BROKEN at row {result.bad_row}: {result.reason} ({result.rows} rows verified before it)")
        return 1

    return asyncio.run(main())


def cmd_sla(args: argparse.Namespace) -> int:
    """Success rate per connector over the last --hours, from the delivery worker's counts."""
    from bot.store.metrics import figures

    if not 0 < args.hours <= 24 * 90:
        raise CliError("--hours must be between 0 and 2160")
    db = database(_settings())

    async def main() -> list[str]:
        try:
            if await migrate.current_revision(db) != migrate.head_revision():
                raise SchemaNotReady(f"database {redact_url(db.url)} is not at the current schema: "
                                     "run `pmsbot db upgrade`")
            async with db.read() as s:
                found = await figures(s, since=SYSTEM_CLOCK.now() - timedelta(hours=args.hours))
        finally:
            await db.dispose()
        lines = [f"connector\tcalls\tok\tfailed\tsuccess\tavg ms\t(last {args.hours:g} h)"]
        for f in found:
            flag = "  below 99 %" if f.success_rate < 0.99 else ""
            lines.append(f"{f.connector}\t{f.calls}\t{f.ok}\t{f.failed}\t{100 * f.success_rate:.2f} %\t"
                         f"{f.latency_ms_total / f.calls:.0f}{flag}")
        return lines if found else [f"no outbound calls in the last {args.hours:g} h"]

    print("\n".join(asyncio.run(main())))
    return 0


def cmd_hooks(args: argparse.Namespace) -> int:
    settings = _settings()
    return hooks_cli.run(args, settings, _config(settings))


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
    except (SQLAlchemyError, ConnectionError, TimeoutError) as exc:
        # An unreachable or broken database: say which, in one line, without a traceback or a password.
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        url = redact_url(normalize_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL))
        print(f"pmsbot: database {url}: {type(exc).__name__}: {detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
