"""Projects' Microsoft Project plans (bot/mapping/plans.py): one document per project, written in the caller's
transaction so a plan and the tasks it made commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.db import StoreSession
from bot.store.models import ProjectPlanRow


async def plan_of(s: StoreSession, project: str) -> dict[str, Any] | None:
    row = await s.get(ProjectPlanRow, project)
    return dict(row.document) if row is not None else None


async def keep_plan(s: StoreSession, project: str, document: dict[str, Any], sha256: str, now: datetime) -> None:
    row = await s.get(ProjectPlanRow, project)
    if row is None:
        s.add(ProjectPlanRow(project=project, document=document, sha256=sha256, imported_at=now))
    else:
        row.document, row.sha256, row.imported_at = document, sha256, now
        s.add(row)
    await s.flush()
