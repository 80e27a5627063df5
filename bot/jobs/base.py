"""What every clock job is and shares: the `Job` protocol and `Mail`, the way a job's messages leave.

A job decides, for one instant, what is due and does it exactly once: it claims a run (per person, project or
day) and enqueues its messages in the same transaction, so a second clock, a catch-up or a rerun finds the run
taken and sends nothing twice. That is why a job enqueues itself rather than returning envelopes to the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.clocks import Clock
from bot.records import Person
from bot.store.db import StoreSession
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import ClaimedMessage, Envelope, Outbox


class Job(Protocol):
    async def prepare(self) -> None:
        """Load what stays the same for a run of minutes (schedules, people): called before each tick."""

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        """Do what is due in the minute of `at`; returns how many messages were new (the daily snapshot sends none
        and returns 0; retention and directory sync return the rows they changed).

        `catching_up` marks a minute that passed while no clock ran."""


class Steady:
    """A job with nothing to load ahead of a tick."""

    async def prepare(self) -> None:
        return None


@dataclass(frozen=True, kw_only=True)
class Mail:
    """A job's way out: envelopes into the outbox in the job's transaction, to the platforms that are on."""

    outbox: Outbox
    clock: Clock
    platforms: tuple[str, ...]
    wake: Callable[[], None]  # the delivery worker, for a wave it should start on now

    async def enqueue(self, s: StoreSession, envelopes: Sequence[Envelope], *,
                      preclaim: bool | None = None) -> list[ClaimedMessage]:
        return await self.outbox.enqueue(s, list(envelopes), source_event=None, now=self.clock.now(),
                                         preclaim=preclaim)

    async def to_person(self, ws: SqlWorkspace, s: StoreSession, person: Person, kind: str, data: dict[str, Any],
                        *, actions: list[dict[str, str]] | None = None,
                        card_ref: str | None = None, update: bool = False) -> list[ClaimedMessage]:
        """To each of the person's accounts on the enabled platforms, in their language (`update`: their card
        `card_ref` changes in place where the platform can)."""
        envelopes = [Envelope(platform=platform, target=target, kind=kind, locale=person.locale, data=data,
                              actions=actions or [], card_ref=card_ref, update=update)
                     for platform, target in await ws.targets(person, self.platforms)]
        return await self.enqueue(s, envelopes)

    def hand_over(self, claimed: list[ClaimedMessage]) -> None:
        """After the commit: the messages this process claimed go straight to its delivery worker."""
        self.outbox.hand_over(claimed)
