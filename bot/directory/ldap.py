"""LDAP and Active Directory, read with ldap3 in pages (RFC 2696 simple paged results): Active Directory answers
at most MaxPageSize (1,000) entries a search, OpenLDAP its `sizelimit`; paging reads past both.

Runs in a thread: ldap3's connection is synchronous. Manager DNs become accounts through the entries read.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException

from bot import constants
from bot.config.identity import DirectorySourceConfig
from bot.directory.base import DirectoryError, Entry, Listing, Progress, text


class LdapDirectory:
    def __init__(self, source: DirectorySourceConfig) -> None:
        assert source.url and source.base
        self.name = source.name
        self.platform = constants.DIRECTORY_ACCOUNT_PLATFORM + source.name
        self._source = source

    async def close(self) -> None:
        return None

    async def listing(self, progress: Progress) -> Listing:
        try:
            return await asyncio.to_thread(self._read, progress)
        except (LDAPException, OSError) as exc:
            raise DirectoryError(f"{self.name}: {type(exc).__name__}: {exc}") from None

    async def probe(self) -> None:
        """Connect and bind (what `pmsbot check` asks); DirectoryError says why not."""
        def bind() -> None:
            conn = self._connect()
            try:
                conn.open()
                conn.bind()
            finally:
                conn.unbind()
        try:
            await asyncio.to_thread(bind)
        except (LDAPException, OSError) as exc:
            raise DirectoryError(f"{self.name}: {type(exc).__name__}: {exc}") from None

    def _connect(self) -> ldap3.Connection:
        s = self._source
        timeout_s = max(1, math.ceil(s.timeout_s))  # ldap3 packs it into a socket option as whole seconds
        server = ldap3.Server(s.url or "", connect_timeout=timeout_s, get_info=ldap3.NONE)
        password = s.password.get_secret_value() if s.password else None
        return ldap3.Connection(server, user=s.bind_dn, password=password, read_only=True,
                                receive_timeout=timeout_s, raise_exceptions=True)

    def _pages(self, conn: ldap3.Connection, search: str, attributes: list[str]) -> Iterator[list[dict[str, Any]]]:
        cookie: bytes | None = None
        while True:
            conn.search(self._source.base or "", search, search_scope=ldap3.SUBTREE, attributes=attributes,
                        paged_size=self._source.page_size, paged_cookie=cookie)
            yield [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
            control = (conn.result.get("controls") or {}).get("1.2.840.113556.1.4.319") or {}
            cookie = (control.get("value") or {}).get("cookie")
            if not cookie:
                return

    def _read(self, progress: Progress) -> Listing:
        a = self._source.attributes
        wanted = [a.account, a.email, a.employee_id, a.name, a.department, a.manager, a.groups]
        raw: list[tuple[str, dict[str, Any]]] = []
        conn = self._connect()
        try:  # not `with`: ldap3 leaves a connection bound before the block open after it
            conn.open()
            conn.bind()
            for page in self._pages(conn, self._source.filter, wanted):
                raw += [(str(e.get("dn", "")), e.get("attributes") or {}) for e in page]
                progress(f"{self.name}: {len(raw)} entries")
            disabled: set[str] = set()
            if self._source.disabled_filter:
                for page in self._pages(conn, f"(&{self._source.filter}{self._source.disabled_filter})", [a.account]):
                    disabled.update(v for e in page if (v := _one(e.get("attributes") or {}, a.account)))
        finally:
            conn.unbind()
        account_of = {dn.lower(): acc for dn, attrs in raw if (acc := _one(attrs, a.account))}
        entries: list[Entry] = []
        for _dn, attrs in raw:
            account = _one(attrs, a.account)
            if account is None:
                continue
            manager_dn = _one(attrs, a.manager, limit=500)
            entries.append(Entry(
                account=account, name=_one(attrs, a.name, limit=100) or account, email=_one(attrs, a.email),
                employee_id=_one(attrs, a.employee_id, limit=64), department=_one(attrs, a.department, limit=100),
                manager=account_of.get(manager_dn.lower()) if manager_dn else None,
                groups=tuple(_all(attrs, a.groups)), active=account not in disabled))
        return Listing(source=self.name, platform=self.platform, entries=tuple(entries), complete=True)


def _all(attrs: dict[str, Any], name: str) -> list[str]:
    value = attrs.get(name)
    values = value if isinstance(value, list) else [value]
    return [t for v in values if (t := text(v, 500)) is not None]


def _one(attrs: dict[str, Any], name: str, *, limit: int = 200) -> str | None:
    found = _all(attrs, name)
    return found[0][:limit] if found else None
