"""Which sender serves which platform. Adding a platform adds one line here."""

from __future__ import annotations

from collections.abc import Callable

from bot.store.db import Database
from notifiers.base import Sender
from notifiers.console import ConsoleSender

SENDERS: dict[str, Callable[[Database], Sender]] = {
    "console": ConsoleSender,
}


def build_senders(db: Database, platforms: tuple[str, ...]) -> dict[str, Sender]:
    return {p: SENDERS[p](db) for p in platforms if p in SENDERS}
