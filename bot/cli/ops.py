"""The operator's subcommands: `db`, `check`, `audit`, `sla`, `schedules`, `say`, `hooks`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli import env
from bot.cli import hooks as hooks_cli
from bot.cli.env import CliError
from bot.clocks import SYSTEM_CLOCK
from bot.config import Config, ConfigError, Settings
from bot.runtime import Runtime, SchemaNotReady
from bot.store import migrate
from bot.store.db import DatabaseError, database, redact_url, sqlite_file


def _calendar_gap_line(code: str, year: int) -> str:
    return (f"warning: calendar {code} has no adjusted workdays (调休) for {year} yet; add them under "
            f"calendars.{code}.extra_workdays / extra_holidays when they are published (README: Configuration)")


def cmd_schedules(args: argparse.Namespace) -> int:
    """The standups the database holds (what a running clock uses, changes made in chat included), not the
    configuration file's; the file gives the calendars and timezones. Reads only: nothing is written."""
    from bot.jobs.calendar import calendar_gaps
    from bot.jobs.standups import next_runs

    settings = env.settings()
    config = env.config(settings)
    db = database(settings)
    path = sqlite_file(db.url)
    if path is not None and not Path(path).exists():
        raise CliError(f"no database at {path} yet: schedules are stored by `pmsbot run` (or `pmsbot db upgrade` "
                       "and any pmsbot process) from the configuration")

    async def main() -> list[str]:
        try:
            if await migrate.current_revision(db) != migrate.head_revision():
                raise SchemaNotReady(f"database {redact_url(db.url)} is not at the current schema: "
                                     "run `pmsbot db upgrade`")
            now = SYSTEM_CLOCK.now()
            lines = []
            for run in await next_runs(db, config, now):
                when = run.at.strftime("%Y-%m-%d %a %H:%M %z") if run.at else "none within a year"
                lines.append(f"{run.schedule}\t{run.project}\t{run.person_id}\t{run.timezone}\tnext: {when}")
            if not lines:
                lines.append(f"no schedules in the database {redact_url(db.url)}"
                             + (f" (the configuration names {len(config.standups)}: they are stored when a pmsbot "
                                "process starts)" if config.standups else ""))
            lines += [_calendar_gap_line(code, year) for code, year in calendar_gaps(config, now.date())]
            return lines
        finally:
            await db.dispose()

    for line in asyncio.run(main()):
        print(line)
    return 0


async def _say(rt: Runtime, person_id: str, platform: str, text: str) -> tuple[list[str], bool]:
    """The reply lines, and whether the bot refused (an error reply, or no reply at all)."""
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
    return out, not replies or any(reply.refused for reply in replies)


def cmd_say(args: argparse.Namespace) -> int:
    """Exit 0 when the bot did what was said, 1 when it refused (its answer is printed all the same)."""
    text = " ".join(args.text)
    settings = env.settings()
    rt = Runtime(settings, env.config(settings))

    async def main() -> tuple[list[str], bool]:
        try:
            return await _say(rt, args.as_, args.platform, text)
        finally:
            await rt.close()

    lines, refused = asyncio.run(main())
    for line in lines:
        print(line)
    return 1 if refused else 0


def cmd_db(args: argparse.Namespace) -> int:
    db = database(env.settings())

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
    settings = env.settings()
    failures = 0
    try:
        config = env.config(settings)
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
    failures += _check_database(settings)
    platforms = env.chat_platforms(settings)
    print(f"ok   platforms enabled: {', '.join(platforms)}" if platforms else
          "WARN no chat platform enabled: set SLACK_BOT_TOKEN, FEISHU_APP_ID or DINGTALK_CLIENT_ID with their "
          "secrets, or PMSBOT_CONSOLE=1 for the web console")
    failures += _check_platforms(settings)
    failures += asyncio.run(_check_pms(settings, config))
    failures += asyncio.run(_check_language_model(settings))
    if config.directory.sources or config.sso is not None:
        from bot.cli.directory import check as check_identity

        failures += asyncio.run(check_identity(settings, config))
    if config.dingtalk_events is not None:
        from bot.cli.directory import check_dingtalk_events

        failures += check_dingtalk_events(settings, config)
    return 1 if failures else 0


def _check_database(settings: Settings) -> int:
    """The database answers and its schema is current. A SQLite file that is not there is not created: a check
    changes nothing (`pmsbot run` creates it)."""
    db = database(settings)
    where = redact_url(db.url)
    path = sqlite_file(db.url)
    if path is not None and not Path(path).exists():
        if not Path(path).parent.is_dir():
            print(f"FAIL database {where}: the folder {Path(path).parent} does not exist")
            return 1
        print(f"ok   database {where}: no file yet (schema empty); `pmsbot run` upgrades it")
        return 0

    async def probe() -> int:
        try:
            await db.ping()
            current, head = await migrate.current_revision(db), migrate.head_revision()
            if current == head:
                print(f"ok   database {where}: schema up to date")
            elif db.is_sqlite:
                print(f"ok   database {where}: schema at {current or 'empty'}; `pmsbot run` upgrades it")
            else:
                print(f"FAIL database {where}: schema at {current or 'empty'}, needs {head}: "
                      "run `pmsbot db upgrade`")
                return 1
            if current == head:
                from bot.store.admin import link_claims

                for person, claim, since in await link_claims(db):
                    when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else " (made before links were proven)"
                    print(f"WARN unconfirmed link: {person} asks for PMS user {claim}{when}; nothing is written "
                          f"in that name until an admin answers `link approve {person}` or `link deny {person}`")
            return 0
        except (DatabaseError, OSError, TimeoutError) as exc:  # reported in words, never a traceback
            print(f"FAIL database {where}: {env.why(exc)}")
            return 1
        finally:
            await db.dispose()

    return asyncio.run(probe())


def _check_platforms(settings: Settings) -> int:
    """Each configured chat platform accepts our credentials."""
    failures = 0
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
    return failures


async def _check_language_model(settings: Settings) -> int:
    """The optional language model (PMSBOT_LLM_URL): off is fine; on, it must answer with our key."""
    from bot.language_model import Suggester

    suggester = Suggester.configured(settings, SYSTEM_CLOCK)
    if suggester is None:
        print("ok   language model: off (PMSBOT_LLM_URL unset; nothing leaves the machine)")
        return 0
    try:
        ok, what = await suggester.probe()
    finally:
        await suggester.close()
    print(f"{'ok  ' if ok else 'FAIL'} language model: {what}")
    return 0 if ok else 1


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
                 "zentao": "ZENTAO_URL, ZENTAO_ACCOUNT and ZENTAO_PASSWORD",
                 "teambition": "TEAMBITION_APP_ID, TEAMBITION_APP_SECRET and TEAMBITION_TENANT_ID"}


def cmd_audit(args: argparse.Namespace) -> int:
    from bot.store.audit import Anchor, anchor, verify

    settings = env.settings()
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
    db = database(env.settings())

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
    settings = env.settings()
    return hooks_cli.run(args, settings, env.config(settings))




def cmd_privacy(args: argparse.Namespace) -> int:
    from bot.cli import privacy

    settings = env.settings()
    return privacy.run(args, settings, env.config(settings))
