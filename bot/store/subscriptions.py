"""Chats subscribed to a project's changes: subscribed, listed, muted for a while, unsubscribed."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlmodel import col

from bot.records import ChatSubscription
from bot.store.dialect import insert_ignore
from bot.store.models import ChannelRow, MembershipRow, PersonRow, SubscriptionRow
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

    async def subscriptions(self, project: str, *, now: datetime | None = None) -> list[tuple[str, str, str, str]]:
        """(platform, conversation, filter, subscribed by) of the project's subscriptions; with `now`, only those
        not muted at that moment."""
        q = select(SubscriptionRow).where(col(SubscriptionRow.project_key) == project)
        if now is not None:
            q = q.where(or_(col(SubscriptionRow.muted_until).is_(None), col(SubscriptionRow.muted_until) <= now))
        rows = (await self._s.execute(q.order_by(col(SubscriptionRow.id)))).scalars()
        return [(r.platform, r.conversation, r.filter, r.created_by) for r in rows]

    async def chat_subscriptions(self, platform: str, conversation: str) -> list[ChatSubscription]:
        """What one chat follows, oldest first."""
        rows = (await self._s.execute(select(SubscriptionRow).where(
            col(SubscriptionRow.platform) == platform, col(SubscriptionRow.conversation) == conversation)
            .order_by(col(SubscriptionRow.id)))).scalars()
        return [ChatSubscription(project=r.project_key, filter=r.filter, by=r.created_by, since=r.created_at,
                                 muted_until=r.muted_until) for r in rows]

    async def unsubscribe(self, *, project: str, platform: str, conversation: str, filter: str | None) -> int:
        """Drop the chat's subscriptions to `project` (only the one with `filter` when given); how many went."""
        q = delete(SubscriptionRow).where(
            col(SubscriptionRow.project_key) == project, col(SubscriptionRow.platform) == platform,
            col(SubscriptionRow.conversation) == conversation)
        if filter is not None:
            q = q.where(col(SubscriptionRow.filter) == filter)
        return int(cast(CursorResult[Any], await self._s.execute(q)).rowcount or 0)

    async def mute(self, *, project: str, platform: str, conversation: str, until: datetime | None) -> int:
        """Quiet the chat's subscriptions to `project` until `until` (None: on again); how many there are."""
        result = await self._s.execute(update(SubscriptionRow).where(
            col(SubscriptionRow.project_key) == project, col(SubscriptionRow.platform) == platform,
            col(SubscriptionRow.conversation) == conversation).values(muted_until=until))
        return int(cast(CursorResult[Any], result).rowcount or 0)

    async def chat_locales(self, chats: list[tuple[str, str]], default: str) -> dict[tuple[str, str], str]:
        """The language each chat is written to in: that of the person who last subscribed it, else the one most
        of the members of the projects it is the channel of use, else `default` (the deployment's)."""
        out: dict[tuple[str, str], str] = {}
        for platform, conversation in set(chats):
            subscriber = (await self._s.execute(
                select(col(PersonRow.locale)).join(SubscriptionRow, col(SubscriptionRow.created_by) == col(PersonRow.id))
                .where(col(SubscriptionRow.platform) == platform, col(SubscriptionRow.conversation) == conversation,
                       col(PersonRow.locale).is_not(None))
                .order_by(col(SubscriptionRow.id).desc()).limit(1))).scalar_one_or_none()
            if subscriber:
                out[(platform, conversation)] = str(subscriber)
                continue
            members = (await self._s.execute(
                select(col(PersonRow.locale)).join(MembershipRow, col(MembershipRow.person_id) == col(PersonRow.id))
                .join(ChannelRow, col(ChannelRow.project_key) == col(MembershipRow.project_key))
                .where(col(ChannelRow.platform) == platform, col(ChannelRow.channel_id) == conversation,
                       col(MembershipRow.role) == "member"))).scalars().all()
            counts = Counter(locale or default for locale in members)
            # Ties go to the deployment's language: a half-and-half team keeps what it had.
            best = max(counts.items(), key=lambda kv: (kv[1], kv[0] == default), default=(default, 0))
            out[(platform, conversation)] = best[0]
        return out
