"""Refusing replayed requests: a signature (or nonce) is accepted once while its window lasts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete
from sqlalchemy.engine import CursorResult
from sqlmodel import col

from bot.store.db import Database
from bot.store.dialect import insert_ignore
from bot.store.models import SeenNonceRow

PRUNE_SHARE = 0.01  # one first use in a hundred also deletes the expired rows


async def first_use(db: Database, platform: str, nonce: str, *, keep_s: float, now: datetime) -> bool:
    """Record `nonce`; False when it was recorded before and has not expired (a replay)."""
    return (await first_uses(db, platform, [nonce], keep_s=keep_s, now=now))[0]


async def first_uses(db: Database, platform: str, nonces: list[str], *, keep_s: float, now: datetime) -> list[bool]:
    """Record each of `nonces` in one transaction (one write on an ack path, however many are checked); for each,
    False when it was recorded before and has not expired."""
    fresh: list[bool] = []
    async with db.write() as s:
        for nonce in nonces:
            result = await s.execute(insert_ignore(s, SeenNonceRow).values(
                platform=platform, nonce=nonce[:128], expires_at=now + timedelta(seconds=keep_s)))
            if cast(CursorResult[Any], result).rowcount == 1:
                fresh.append(True)
                continue
            row = await s.get(SeenNonceRow, (platform, nonce[:128]))
            if row is not None and row.expires_at < now:  # an old entry not pruned yet: a first use again
                row.expires_at = now + timedelta(seconds=keep_s)
                fresh.append(True)
                continue
            fresh.append(False)
        if any(fresh) and random.random() < PRUNE_SHARE:
            await s.execute(delete(SeenNonceRow).where(col(SeenNonceRow.expires_at) < now))
    return fresh



async def recorded(db: Database, platform: str, nonce: str, *, now: datetime) -> bool:
    """Whether `nonce` is recorded and not expired (a revoked session, say), without recording it."""
    async with db.read() as s:
        row = await s.get(SeenNonceRow, (platform, nonce[:128]))
        return row is not None and row.expires_at >= now
