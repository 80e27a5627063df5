"""`pmsbot hooks ...`: try a source's rules on a payload, see rejected deliveries and replay them, import a file
now, and read the import reports."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from bot.clocks import SYSTEM_CLOCK
from bot.config import Config, Settings, SourceConfig
from bot.constants import HOOK_PLATFORM_PREFIX
from bot.inbox import Inbox
from bot.mapping.apply import HookApplier, HookRejected
from bot.mapping.files import import_file, read_rows
from bot.mapping.rules import Planned, RuleError, RuleSet
from bot.pms.base import PMSDown, PMSError
from bot.pms.registry import build_remotes, connector_for
from bot.store import admin as admin_store
from bot.store import imports, migrate
from bot.store.db import Database, database
from bot.store.workspace import SqlWorkspace


class HooksError(Exception):
    """A usage mistake the CLI prints in one line."""


def _source(config: Config, name: str) -> SourceConfig:
    for source in config.sources:
        if source.name == name:
            return source
    names = ", ".join(s.name for s in config.sources) or "none configured"
    raise HooksError(f"no source '{name}' in the configuration (sources: {names})")


async def _ready(db: Database) -> None:
    if await migrate.current_revision(db) != migrate.head_revision():
        raise HooksError("the database is not at the current schema: run `pmsbot db upgrade`")


def _describe(p: Planned) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in p.fields.items() if v not in (None, "", [], ()))
    return f"{p.kind}({shown})"


async def _test(settings: Settings, config: Config, name: str, file: Path, raw: bytes) -> int:
    source = _source(config, name)
    rules = RuleSet(source)
    if source.kind == "file":
        rows, rejected = read_rows(file, raw, source)
        contexts = [{"payload": row, "row": row, "file": file.name, "line": line} for line, row in rows]
        for line, reason in rejected:
            print(f"line {line}: rejected: {reason}")
    else:
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise HooksError(f"{file}: not a JSON file: {exc}") from None
        if not isinstance(payload, dict):
            raise HooksError(f"{file}: the payload must be a JSON object")
        contexts = [{"payload": payload}]
        print(f"dedupe key: {rules.dedupe_key(contexts[0]) or '(hash of the body)'}")
    db = database(settings)
    remotes = build_remotes(settings, config, SYSTEM_CLOCK)
    bad = 0
    try:
        await _ready(db)
        async with db.read() as s:
            ws = SqlWorkspace(s, default_locale=config.locale)
            now = SYSTEM_CLOCK.now()
            applier = HookApplier(s, ws, config, source, connector_for(s, remotes, clock=SYSTEM_CLOCK), now=now, today=now.date())
            for context in contexts:
                where = f"line {context['line']}: " if "line" in context else ""
                try:
                    planned = rules.plan(context)
                except RuleError as exc:
                    print(f"{where}would be rejected: {exc}")
                    bad += 1
                    continue
                matched = sorted({p.rule for p in planned})
                print(f"{where}rules matched: {', '.join(matched) or 'none (the payload would be acknowledged only)'}")
                for p in planned:
                    try:
                        await applier.check(p)
                        print(f"  {p.rule}: {_describe(p)}")
                    except (HookRejected, PMSError, PMSDown) as exc:
                        print(f"  {p.rule}: {_describe(p)}\n    would be rejected: {exc}")
                        bad += 1
    finally:
        for remote in remotes.values():
            await remote.close()
        await db.dispose()
    print("dry run: nothing was changed")
    return 1 if bad else 0


async def _failed(settings: Settings, source: str | None, limit: int) -> int:
    db = database(settings)
    try:
        await _ready(db)
        rows = await admin_store.rejected_deliveries(db, prefix=HOOK_PLATFORM_PREFIX, source=source,
                                                     limit=max(1, min(limit, 1000)))
    finally:
        await db.dispose()
    for row in rows:
        print(f"#{row.id}\t{row.source}\t{row.received_at:%Y-%m-%d %H:%M}\t{row.event_id[:40]}\t{row.error}")
    if not rows:
        print("no rejected deliveries")
    return 0


async def _replay(settings: Settings, inbox_id: int) -> int:
    db = database(settings)
    try:
        await _ready(db)
        # The same as the admin page's Replay button: queued again, and on record as who did it.
        if not await admin_store.replay_rejected(db, inbox_id, prefix=HOOK_PLATFORM_PREFIX, actor="cli",
                                                 now=SYSTEM_CLOCK.now()):
            raise HooksError(f"#{inbox_id} is not a rejected delivery (see `pmsbot hooks failed`)")
    finally:
        await db.dispose()
    print(f"#{inbox_id} is queued again; a worker applies it")
    return 0


async def _import(settings: Settings, config: Config, name: str, file: str | None) -> int:
    from bot.mapping.files import poll_files

    source = _source(config, name)
    if source.kind != "file":
        raise HooksError(f"source {name} is a webhook source, not a file source")
    db = database(settings)
    inbox = Inbox(db, clock=SYSTEM_CLOCK)
    try:
        await _ready(db)
        rules = RuleSet(source)
        now = SYSTEM_CLOCK.now()
        reports = ([await import_file(db, inbox, source, rules, Path(file), now=now)] if file
                   else await poll_files(db, inbox, [(source, rules)], now=now))
    finally:
        await inbox.close()
        await db.dispose()
    for r in reports:
        if r.already_imported:
            print(f"{r.file}: imported before (same content): nothing to do")
            continue
        print(f"{r.file}: {r.rows} rows, {r.queued} queued for the worker, {r.skipped} imported before, "
              f"{len(r.rejected)} rejected")
        for line, reason in r.rejected:
            print(f"  line {line}: {reason}")
    if not reports:
        print(f"no new files match {source.path}")
    return 0


async def _imports(settings: Settings) -> int:
    db = database(settings)
    try:
        await _ready(db)
        found = await imports.recent(db)
    finally:
        await db.dispose()
    for r in found:
        print(f"{r['imported_at']}  {r['source']}  {r['file']}: {r['rows']} rows, {r['applied']} applied, "
              f"{r['unmatched']} matched no rule, {r['skipped']} skipped (imported before), "
              f"{len(r['rejected'])} rejected, {r['waiting']} waiting")
        for rejected in r["rejected"]:
            print(f"  line {rejected.get('line')}: {rejected.get('reason')}")
    if not found:
        print("no files imported yet")
    return 0


def run(args: argparse.Namespace, settings: Settings, config: Config) -> int:
    try:
        if args.hooks_command == "test":
            path = Path(args.payload)
            if not path.is_file():
                raise HooksError(f"{path}: no such file")
            return asyncio.run(_test(settings, config, args.source, path, path.read_bytes()))
        if args.hooks_command == "failed":
            return asyncio.run(_failed(settings, args.source, args.limit))
        if args.hooks_command == "replay":
            return asyncio.run(_replay(settings, args.id))
        if args.hooks_command == "import":
            return asyncio.run(_import(settings, config, args.source, args.file))
        return asyncio.run(_imports(settings))
    except (HooksError, RuleError) as exc:
        print(f"pmsbot: {exc}")
        return 1
    except OSError as exc:  # a file named on the command line that cannot be read
        print(f"pmsbot: {exc.filename or ''}: {exc.strerror or exc}")
        return 1
