"""Chats subscribed to a project's changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select
from sqlmodel import col

from bot.store.dialect import insert_ignore
from bot.store.models import SubscriptionRow
from bot.store.repository import InTransaction


class Subscriptions(InTransaction):
    async def subscribe(self, *, project: str, platform: str, conversation: str, filter: str, by: str,
                        now: datetime) -> bool:
        result = await self._s.execute(
            insert_ignore(self._s, SubscriptionRow).values(
                project_key=project, platform=platform, conversation=conversation, filter=filter, created_by=by,
                created_at=now)
        )
        return bool(cast(CursorResult[Any], result).rowcount)

    async def subscriptions(self, project: str) -> list[tuple[str, str, str, str]]:
        """(platform, conversation, filter, subscribed by) of the project's subscriptions."""
        rows = (await self._s.execute(select(SubscriptionRow).where(col(SubscriptionRow.project_key) == project)
                                      .order_by(col(SubscriptionRow.id)))).scalars()
        return [(r.platform, r.conversation, r.filter, r.created_by) for r in rows]
