"""`pmsbot privacy export|erase|purge`: a person's data as JSON, its erasure, and the retention purge now."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.env import CliError
from bot.clocks import SYSTEM_CLOCK
from bot.config import Config, Settings
from bot.jobs.retention import purge_now
from bot.store import audit, privacy
from bot.store.db import database


def run(args: argparse.Namespace, settings: Settings, config: Config) -> int:
    db = database(settings)

    async def main() -> int:
        try:
            if args.action == "purge":
                report = await purge_now(db, config, SYSTEM_CLOCK.now(), claim=False)
                print(json.dumps({"purged": report}, ensure_ascii=False))
                return 0
            if args.person is None:
                raise CliError(f"privacy {args.action} needs the person's id")
            if args.action == "export":
                return _export(await _exported(db, args.person), args.output)
            return await _erase(db, args.person, yes=args.yes)
        finally:
            await db.dispose()

    return asyncio.run(main())


async def _exported(db: Any, person: str) -> dict[str, Any]:
    async with db.read() as s:
        data = await privacy.export(s, person)
    if data is None:
        raise CliError(f"there is no person '{person[:64]}' in the database")
    return data


def _export(data: dict[str, Any], output: str | None) -> int:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if output is None:
        sys.stdout.write(text + "\n")
        return 0
    try:
        Path(output).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{output}: cannot write the export: {exc.strerror or exc}") from None
    print(f"wrote {sum(len(r) for r in data['tables'].values())} rows of {len(data['tables'])} tables to {output}")
    return 0


async def _erase(db: Any, person: str, *, yes: bool) -> int:
    if not yes:
        data = await _exported(db, person)
        found = {t: len(r) for t, r in data["tables"].items() if r}
        print(f"would erase {person}: {json.dumps(found)}; run again with --yes to do it (it cannot be undone)")
        return 1
    now = SYSTEM_CLOCK.now()
    async with db.write() as s:
        waiting = await privacy.waiting_on(s, person)
        if waiting:
            raise CliError(f"{person} is asked to decide approvals {', '.join(f'#{i}' for i in waiting)}: have them "
                           "delegated or decided first (an erased approver cannot decide)")
        counts = await privacy.erase(s, person)
        if counts is None:
            raise CliError(f"there is no person '{person[:64]}' in the database")
        alias = privacy.pseudonym(person, db.audit_key)
        await audit.append(s, actor="admin", action="privacy.erase", subject=alias, detail=counts, now=now)
    print(f"erased {person} (now {alias} where records stay): {json.dumps(counts)}; remove them from the "
          "configuration's people too, or a restart brings the profile back")
    return 0
