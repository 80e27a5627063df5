"""`pmsbot plan import FILE [--project P] [--dry-run]` and `pmsbot plan export --project P FILE`: a Microsoft
Project plan (MSPDI XML) into a project's PMS, and the project's progress back into a file Project opens."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.cli import env
from bot.clocks import SYSTEM_CLOCK
from bot.config import Config, Settings
from bot.mapping.mspdi import MAX_PLAN_BYTES, PlanError, read_mspdi, write_mspdi
from bot.mapping.plans import PlanApplyError, export_plan, import_plan
from bot.pms.base import PMSDown, PMSError
from bot.pms.registry import CONNECTORS, build_remotes, connector_for
from bot.store import migrate
from bot.store.db import Database, database
from bot.store.plans import keep_plan, plan_of
from bot.store.sync import apply_config
from bot.store.workspace import SqlWorkspace
from notifiers.render import Renderer


class PlanCliError(Exception):
    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _project_key(config: Config, asked: str | None) -> str:
    if asked:
        return asked.strip().upper()
    if len(config.projects) == 1:
        return config.projects[0].key
    raise PlanCliError("plan.need_project", projects=", ".join(p.key for p in config.projects) or "-")


class Say:
    """Lines in the configured language (templates/catalog/*.plan.yaml)."""

    def __init__(self, locale: str, out: Callable[[str], None] = print) -> None:
        self.locale = locale
        self.renderer = Renderer()
        self.out = out

    def __call__(self, key: str, **params: str) -> None:
        self.out(self.renderer.text(self.locale, key, **params))


async def _ready(db: Database, config: Config) -> None:
    if await migrate.current_revision(db) != migrate.head_revision():
        raise PlanCliError("plan.schema")
    await apply_config(db, config, now=SYSTEM_CLOCK.now())  # the projects and people of the file, as a server has


def _write(file: Path, data: bytes) -> None:
    """Written beside the target and renamed: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, file)


def _head(file: Path) -> bytes:
    with file.open("rb") as fh:
        return fh.read(MAX_PLAN_BYTES + 1)


async def _import(settings: Settings, config: Config, file: Path, project_key: str, dry_run: bool,
                  say: Say) -> int:
    raw = await asyncio.to_thread(_head, file)
    plan = read_mspdi(raw)  # refused whole before the database is opened
    sha = hashlib.sha256(raw).hexdigest()
    db = database(settings)
    remotes = build_remotes(settings, config, SYSTEM_CLOCK)
    try:
        await _ready(db, config)
        async with db.write() as s:
            ws = SqlWorkspace(s, default_locale=config.locale)
            project = await ws.project(project_key)
            if project is None:
                raise PlanCliError("plan.no_project", project=project_key)
            pms = connector_for(s, remotes, clock=SYSTEM_CLOCK)(project)
            local = project.pms in CONNECTORS
            try:
                report, document = await import_plan(plan, project=project.key, pms=pms,
                                                     previous=await plan_of(s, project.key),
                                                     find_person=ws.find_person, dry_run=dry_run)
            except PlanApplyError as exc:
                if local:
                    raise  # the transaction rolls back: nothing of the plan stays
                await keep_plan(s, project.key, exc.document, sha, SYSTEM_CLOCK.now())  # what the PMS holds now
                say("plan.stopped", reason=str(exc.cause), created=str(len(exc.report.created)))
                return 1
            if dry_run:
                await s.rollback()
            else:
                await keep_plan(s, project.key, document, sha, SYSTEM_CLOCK.now())
                await ws.audit(actor="source:plan", action="plan.import", subject=project.key,
                               detail={"file": file.name, "sha256": sha, "created": len(report.created),
                                       "updated": len(report.updated)}, now=SYSTEM_CLOCK.now())
    finally:
        for remote in remotes.values():
            await remote.close()
        await db.dispose()
    say("plan.dry_run" if dry_run else "plan.imported", project=project_key, created=str(len(report.created)),
        updated=str(len(report.updated)), unchanged=str(report.unchanged), summaries=str(report.summaries))
    if report.unassigned:
        say("plan.unassigned", names=", ".join(sorted(set(report.unassigned))))
    return 0


async def _export(settings: Settings, config: Config, file: Path, project_key: str, say: Say) -> int:
    db = database(settings)
    remotes = build_remotes(settings, config, SYSTEM_CLOCK)
    try:
        await _ready(db, config)
        async with db.read() as s:
            ws = SqlWorkspace(s, default_locale=config.locale)
            project = await ws.project(project_key)
            if project is None:
                raise PlanCliError("plan.no_project", project=project_key)
            document = await plan_of(s, project.key)
            if document is None:
                raise PlanCliError("plan.no_plan", project=project.key)
            plan = await export_plan(document, connector_for(s, remotes, clock=SYSTEM_CLOCK)(project))
    finally:
        for remote in remotes.values():
            await remote.close()
        await db.dispose()
    await asyncio.to_thread(_write, file, write_mspdi(plan))
    say("plan.exported", project=project_key, file=str(file), tasks=str(len(plan.tasks)))
    return 0


async def execute(action: str, settings: Settings, config: Config, file: Path, project: str, *, dry_run: bool,
                  say: Say) -> int:
    """One `plan` command; every refusal is a line in the configured language and exit 1, nothing half-applied."""
    try:
        if action == "import":
            return await _import(settings, config, file, project, dry_run, say)
        return await _export(settings, config, file, project, say)
    except PlanError as exc:
        say("plan.refused", file=file.name, reason=say.renderer.text(say.locale, f"plan.error.{exc.code}",
                                                                      **exc.params))
    except PlanApplyError as exc:
        say("plan.rolled_back", reason=str(exc.cause))
    except (PMSError, PMSDown) as exc:
        say("plan.rolled_back", reason=str(exc))
    except PlanCliError as exc:
        say(exc.key, **exc.params)
    except OSError as exc:
        say("plan.no_file", file=f"{exc.filename or file}: {exc.strerror or exc}")
    return 1


def run(args: argparse.Namespace, settings: Settings, config: Config) -> int:
    say = Say(config.locale)
    try:
        project = _project_key(config, args.project)
    except PlanCliError as exc:
        say(exc.key, **exc.params)
        return 1
    return asyncio.run(execute(args.plan_command, settings, config, Path(args.file), project,
                               dry_run=bool(getattr(args, "dry_run", False)), say=say))


def cmd_plan(args: argparse.Namespace) -> int:
    settings = env.settings()
    return run(args, settings, env.config(settings))
