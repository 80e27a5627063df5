"""Who is behind a platform account, for the adapters' ack path: matching by email, and each person's language.

Config and `link` write identities to the table; an account found nowhere is matched once by the email its
platform profile shows (Slack users.info, Feishu contact API), when exactly one person has that email. The ack
path reads these often, so positive answers are cached and misses are retried only after a while.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Container
from typing import TypeVar

from bot.constants import PEOPLE_CACHE_MAX, PEOPLE_LOCALE_CACHE_S, PEOPLE_MISS_RETRY_S
from bot.platforms.ports import Identities

log = logging.getLogger("pmsbot.people")

EmailLookup = Callable[[str], Awaitable[str | None]]
# Other ids the platform knows the account by (DingTalk: its union id), as (identity kind, id) pairs that config
# may name under `identities:` (e.g. dingtalk_union).
AliasLookup = Callable[[str], Awaitable[list[tuple[str, str]]]]
T = TypeVar("T")


class KnownPeople:
    """The People an adapter is handed: one per platform, over the identity table."""

    def __init__(self, identities: Identities, platform: str, email_of: EmailLookup,
                 aliases_of: AliasLookup | None = None, *, default_locale: str, locales: Container[str]) -> None:
        self._identities = identities
        self.platform = platform
        self._email_of = email_of
        self._aliases_of = aliases_of
        self._default_locale = default_locale
        self._locales_known = locales
        self._known: set[str] = set()
        self._misses: dict[str, float] = {}  # account -> when to look its email up again
        self._locales: dict[str, tuple[str, float]] = {}  # account -> (locale, valid until)

    async def match(self, account: str) -> None:
        """Make sure the account is in the identity table if its email names exactly one person."""
        if account in self._known or self._misses.get(account, 0.0) > time.monotonic():
            return
        if await self._identities.person_of(self.platform, account) is not None:
            self._known.add(account)
            return
        person_id, source = await self._by_alias(account), "alias"
        if person_id is None:
            email, source = await self._email_of(account), "email"
            if email:
                people = await self._identities.people_with_email(email, limit=2)
                if len(people) == 1:  # an ambiguous email matches nobody
                    person_id = people[0]
        if person_id is not None:
            await self._identities.bind(platform=self.platform, account=account, person_id=person_id, source=source)
        if person_id is None:
            _bounded(self._misses)[account] = time.monotonic() + PEOPLE_MISS_RETRY_S
            return
        log.info("%s account %s matched to %s by %s", self.platform, account, person_id, source)
        self._known.add(account)

    async def _by_alias(self, account: str) -> str | None:
        if self._aliases_of is None:
            return None
        for kind, alias in await self._aliases_of(account):
            person_id = await self._identities.person_of(kind, alias)
            if person_id is not None:
                return person_id
        return None

    async def locale(self, account: str) -> str:
        """The person's language (or the organisation's) for the few words said while acknowledging."""
        cached = self._locales.get(account)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        locale = await self._identities.locale_of(self.platform, account) or self._default_locale
        locale = locale if locale in self._locales_known else "en"
        _bounded(self._locales)[account] = (locale, time.monotonic() + PEOPLE_LOCALE_CACHE_S)
        return locale


def _bounded(cache: dict[str, T]) -> dict[str, T]:
    if len(cache) >= PEOPLE_CACHE_MAX:
        cache.clear()
    return cache
