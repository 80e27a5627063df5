"""Who is behind a platform account, for the adapters' ack path: matching by email, and each person's language.

Config and `link` write identities to the table; an account found nowhere is matched once by the email its
platform profile shows (Slack users.info, Feishu contact API), when exactly one person has that email. The ack
path reads these often, so positive answers are cached and misses are retried only after a while.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import func, select
from sqlmodel import col

from bot.constants import PEOPLE_CACHE_MAX, PEOPLE_LOCALE_CACHE_S, PEOPLE_MISS_RETRY_S
from bot.store.dialect import insert_ignore
from bot.store.models import IdentityRow, PersonRow

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("pmsbot.people")

EmailLookup = Callable[[str], Awaitable[str | None]]
# Other ids the platform knows the account by (DingTalk: its union id), as (identity kind, id) pairs that config
# may name under `identities:` (e.g. dingtalk_union).
AliasLookup = Callable[[str], Awaitable[list[tuple[str, str]]]]
T = TypeVar("T")


class KnownPeople:
    def __init__(self, rt: Runtime, platform: str, email_of: EmailLookup, aliases_of: AliasLookup | None = None
                 ) -> None:
        self.rt = rt
        self.platform = platform
        self._email_of = email_of
        self._aliases_of = aliases_of
        self._known: set[str] = set()
        self._misses: dict[str, float] = {}  # account -> when to look its email up again
        self._locales: dict[str, tuple[str, float]] = {}  # account -> (locale, valid until)

    async def match(self, account: str) -> None:
        """Make sure the account is in the identity table if its email names exactly one person."""
        if account in self._known or self._misses.get(account, 0.0) > time.monotonic():
            return
        async with self.rt.db.read() as s:
            if await s.get(IdentityRow, (self.platform, account)) is not None:
                self._known.add(account)
                return
        person_id, source = await self._by_alias(account), "alias"
        if person_id is None:
            email, source = await self._email_of(account), "email"
            if email:
                async with self.rt.db.read() as s:
                    people = (await s.execute(select(PersonRow).where(
                        func.lower(col(PersonRow.email)) == email.lower()).limit(2))).scalars().all()
                if len(people) == 1:  # an ambiguous email matches nobody
                    person_id = people[0].id
        if person_id is not None:
            async with self.rt.db.write() as s:
                await s.execute(insert_ignore(s, IdentityRow).values(
                    platform=self.platform, external_id=account, person_id=person_id, source=source))
        if person_id is None:
            _bounded(self._misses)[account] = time.monotonic() + PEOPLE_MISS_RETRY_S
            return
        log.info("%s account %s matched to %s by %s", self.platform, account, person_id, source)
        self._known.add(account)

    async def _by_alias(self, account: str) -> str | None:
        if self._aliases_of is None:
            return None
        for kind, alias in await self._aliases_of(account):
            async with self.rt.db.read() as s:
                row = await s.get(IdentityRow, (kind, alias))
            if row is not None:
                return row.person_id
        return None

    async def locale(self, account: str) -> str:
        """The person's language (or the organisation's) for the few words said while acknowledging."""
        cached = self._locales.get(account)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        async with self.rt.db.read() as s:
            row = (await s.execute(
                select(PersonRow).join(IdentityRow, col(IdentityRow.person_id) == col(PersonRow.id)).where(
                    col(IdentityRow.platform) == self.platform, col(IdentityRow.external_id) == account)
            )).scalar_one_or_none()
        locale = row.locale if row is not None and row.locale else self.rt.config.locale
        locale = locale if locale in self.rt.renderer.catalogs else "en"
        _bounded(self._locales)[account] = (locale, time.monotonic() + PEOPLE_LOCALE_CACHE_S)
        return locale


def _bounded(cache: dict[str, T]) -> dict[str, T]:
    if len(cache) >= PEOPLE_CACHE_MAX:
        cache.clear()
    return cache
