"""The console platform's sender: delivery is a row in the console feed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.clocks import Clock
from bot.store import console as feed
from bot.store.db import Database
from notifiers.base import Outgoing, PermanentSendError


def _body(message: Outgoing) -> dict[str, Any]:
    r = message.rendered
    return {"kind": r.kind, "text": r.text, "buttons": [asdict(b) for b in r.buttons], "card_ref": message.card_ref,
            "outbox_id": message.outbox_id}


class ConsoleSender:
    platform = "console"

    def __init__(self, db: Database, *, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def send(self, message: Outgoing) -> str:
        return str(await feed.append(self._db, person_id=message.target, direction="out", body=_body(message),
                                   now=self._clock.now()))

    async def update(self, message: Outgoing, message_id: str) -> None:
        if not message_id.isascii() or not message_id.isdigit() or not await feed.replace(
                self._db, int(message_id), _body(message), now=self._clock.now()):
            raise PermanentSendError(f"console message {message_id} no longer exists")

    async def close(self) -> None:
        return None
