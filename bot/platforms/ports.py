"""What the inbound adapters are handed, as small protocols: the wiring (bot/app.py) supplies each.

An adapter verifies a request and turns it into an InboundEvent for the intake; everything else it needs (who a
person is, the words it says while acknowledging, a card to answer a click with) comes through these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from bot.decision_links import Decision
from bot.records import InboundEvent


class Accepted(Protocol):
    """What became of an event handed to the intake."""

    @property
    def inbox_id(self) -> int | None:
        """None when this was a redelivery of an event already stored."""
        ...

    @property
    def duplicate(self) -> bool: ...


class Intake(Protocol):
    """The durable inbox: an event is stored (or recognised as a redelivery) before the request is answered."""

    async def accept(self, event: InboundEvent) -> Accepted: ...

    async def find(self, platform: str, event_id: str) -> int | None:
        """The inbox id of an event already received, if it was."""
        ...


class Outcomes(Protocol):
    """What an accepted event caused, for the platforms that want the answer in the HTTP reply or a card."""

    async def settled(self, inbox_id: int, budget_s: float, *, delivered: bool) -> bool:
        """True once the event is handled (with `delivered`, its replies sent too) within `budget_s`."""
        ...

    def worker_here(self) -> bool:
        """True when a worker in this process takes accepted events at once (the answer follows within moments)."""
        ...

    async def kinds_caused_by(self, inbox_id: int) -> Sequence[str]:
        """The kinds of message the event caused ("error" among them: it was refused)."""
        ...


class Replay(Protocol):
    """First-use checks shared by every process: a signature or nonce is good once while it is kept."""

    async def __call__(self, platform: str, keys: list[str], *, keep_s: float, now: datetime) -> list[bool]:
        """Record each key; for each, False when it was recorded before and is still kept (a replay)."""
        ...


class People(Protocol):
    """Who is behind a platform account, on the ack path."""

    async def match(self, account: str) -> None:
        """Bind the account to a person when its platform profile names exactly one."""
        ...

    async def locale(self, account: str) -> str:
        """The person's language (or the organisation's), one the catalogs have."""
        ...


class Identities(Protocol):
    """The identity table, as KnownPeople reads and extends it."""

    async def person_of(self, platform: str, account: str) -> str | None: ...

    async def people_with_email(self, email: str, *, limit: int) -> list[str]:
        """Ids of (at most `limit`) people with this email, compared without case."""
        ...

    async def bind(self, *, platform: str, account: str, person_id: str, source: str) -> None:
        """Record the identity unless the account has one already."""
        ...

    async def locale_of(self, platform: str, account: str) -> str | None:
        """The language of the person behind the account, if one is and has a language set."""
        ...


class Texts(Protocol):
    """The catalogs: the few words an adapter says itself (a toast, a modal, "working on it")."""

    @property
    def catalogs(self) -> Mapping[str, Mapping[str, Any]]: ...

    def text(self, locale: str, key: str) -> str: ...


class CardAnswer(Protocol):
    """The clicked card as it now looks for the clicker, in the platform's own shape, or None when the click
    changed no card of theirs: for the platforms that take the new card in the callback's answer."""

    async def __call__(self, inbox_id: int, account: str, locale: str) -> dict[str, Any] | None: ...


class DecisionLinks(Protocol):
    """Reads a personal decision link (bot/decision_links.py); raises BadLink when it is not good."""

    def read(self, token: str, *, allowed_verbs: tuple[str, ...]) -> Decision: ...


class DecisionPage(Protocol):
    """The confirmation page a decision link opens, and what it says after the POST (`outcome`, a catalog key),
    in the clicker's language (None: the link is unreadable, so the organisation's)."""

    def __call__(self, locale: str | None, outcome: str | None, *, status: int, verb: str, value: str
                 ) -> web.Response: ...


class Profiles(Protocol):
    """DingTalk's user API: a staff id's record (email, unionid…), {} when it cannot be read."""

    async def user_profile(self, staff_id: str) -> dict[str, Any]: ...
