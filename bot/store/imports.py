"""Files imported by file sources, with their reports (bot/mapping/files.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.constants import NO_RULE_MATCHED
from bot.store.db import Database
from bot.store.dialect import insert_ignore
from bot.store.models import ImportFileRow, InboxRow


async def seen(db: Database, source: str, sha256: str) -> bool:
    async with db.read() as s:
        return await s.get(ImportFileRow, (source, sha256)) is not None


async def record(db: Database, source: str, sha256: str, name: str, report: dict[str, Any], now: datetime) -> None:
    """Once per file content: a second import of it at the same moment (the clock and the CLI) adds nothing."""
    async with db.write() as s:
        await s.execute(insert_ignore(s, ImportFileRow).values(source=source, sha256=sha256, name=name[:300],
                                                               report=report, imported_at=now))


async def recent(db: Database, *, source: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The latest imports, each with what became of its queued rows: applied, rejected (why), waiting."""
    q = select(ImportFileRow).order_by(col(ImportFileRow.imported_at).desc()).limit(limit)
    if source:
        q = q.where(col(ImportFileRow.source) == source)
    async with db.read() as s:
        out = []
        for row in (await s.execute(q)).scalars().all():
            ids = [int(i) for i in row.report.get("inbox_ids", [])]
            states: dict[str, int] = {"done": 0, "failed": 0, "pending": 0}
            reasons: list[dict[str, Any]] = []
            for start in range(0, len(ids), 500):
                batch = (await s.execute(select(col(InboxRow.state), col(InboxRow.error), col(InboxRow.payload))
                                         .where(col(InboxRow.id).in_(ids[start:start + 500])))).all()
                for state, error, payload in batch:
                    if state == "done" and error == NO_RULE_MATCHED:
                        state = "unmatched"
                    states[state] = states.get(state, 0) + 1
                    if state == "failed":
                        line = _line_of(payload)
                        reasons.append({"line": line, "reason": str(error or "").removeprefix("rejected: ")})
            out.append({"source": row.source, "file": row.name, "sha256": row.sha256,
                        "imported_at": row.imported_at.isoformat(timespec="seconds"), "rows": row.report.get("rows", 0),
                        "queued": row.report.get("queued", 0), "skipped": row.report.get("skipped", 0),
                        "applied": states.get("done", 0), "unmatched": states.get("unmatched", 0),
                        "waiting": states.get("pending", 0),
                        "rejected": sorted([*row.report.get("rejected", []), *reasons], key=lambda r: r.get("line") or 0)})
    return out


def _line_of(payload: Any) -> int | None:
    import json

    try:
        return int(json.loads(payload.get("text", "{}")).get("line"))
    except (ValueError, TypeError, AttributeError):
        return None
