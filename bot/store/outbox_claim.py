"""The outbox's claim on PostgreSQL in statements that commit by themselves: the heads leased in one UPDATE … RETURNING
(SKIP LOCKED), then the messages behind them. A claim that finds nothing is one round trip, not three (BEGIN, the
look, COMMIT), and one that finds something three, not five: with two workers sharing a conversation, most claims
find its head leased to the other (bench/workers.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Update, bindparam, select, update

from bot.store.db import Database
from bot.store.outbox import (
    _HEAD_IDS,
    _LEASE,
    _OUTBOX,
    _STORED_COLUMNS,
    StoredMessage,
    _behind,
    _claimed,
    behind_params,
    followers_of,
)
from bot.store.types import UTCDateTime

# A head past its tries goes to the dead letters with its attempts as they were before this claim counted one.
_BURY_CLAIMED = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("outbox_id")).values(
    state="dead", last_error=bindparam("why"), attempts=_OUTBOX.c.attempts - 1)


@functools.cache
def _lease_heads(limit: int) -> Update:
    """Lease the due heads nobody else is claiming (SKIP LOCKED), oldest first; the rows as leased."""
    claimable = (select(_OUTBOX.c.id)
                 .where(_OUTBOX.c.id.in_(_HEAD_IDS), _OUTBOX.c.available_at <= bindparam("now", type_=UTCDateTime()))
                 .order_by(_OUTBOX.c.id).limit(limit).with_for_update(skip_locked=True).cte("claimable"))
    return (update(_OUTBOX).where(_OUTBOX.c.id == claimable.c.id)
            .values(available_at=bindparam("lease_until", type_=UTCDateTime()), attempts=_OUTBOX.c.attempts + 1)
            .returning(*_STORED_COLUMNS))


async def claim_autocommitted(db: Database, *, limit: int, now: datetime, lease_until: datetime,
                              max_attempts: Callable[[str], int], run: int = 1) -> list[StoredMessage]:
    """store.outbox.claim on PostgreSQL. Once the heads are leased (committed), no other sender takes a message
    behind them (only heads are claimed), so the run behind each is chosen and leased after, outside their lock."""
    out: list[StoredMessage] = []
    for row in sorted(await db.write_one(_lease_heads(limit), {"now": now, "lease_until": lease_until}),
                      key=lambda r: int(r.id)):
        if row.attempts - 1 >= max_attempts(row.platform):
            # Each try ended without an outcome (the process died while sending): stop here.
            why = row.last_error or f"no outcome after {row.attempts - 1} attempts"
            await db.write_one(_BURY_CLAIMED, {"outbox_id": row.id, "why": why[:2000]})
            continue
        out.append(_claimed(row, counted=True))
    if run > 1 and out and len(out) < limit:
        rows: list[Any] = await db.write_one(_behind(limit - len(out)), behind_params(out))
        more = followers_of(out, rows, now=now, per_head=run - 1, max_attempts=max_attempts)
        if more:
            await db.write_one(_LEASE, {"ids": [m.id for m in more], "lease_until": lease_until})
            out = sorted(out + more, key=lambda m: m.id)
    return out
