"""What every directory client answers: a `Listing` of `Entry`s, and the paging and throttling they share.

A client reads; it never decides. Whether a missing person left is for the plan to say, and only when the
listing is complete (every page of every department read): a partial failure lists what failed in `problems`."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

import httpx

from bot import constants

log = logging.getLogger("pmsbot.directory")

Progress = Callable[[str], None]
# A change event in the inbox (bot/dispatch/directory.py) says in its action["change"] what it carries:
CHANGE_ENTRY = "entry"  # its text is the person as the event has them (entry_to_json)
CHANGE_ACCOUNT = "account"  # its sender is an account to read again
CHANGE_LEFT = "left"  # its sender is an account that left
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One person as one directory sees them."""

    account: str  # the directory's own id: Feishu open_id, DingTalk userid, Slack user id, LDAP account
    name: str
    email: str | None = None
    employee_id: str | None = None
    department: str | None = None  # a name
    manager: str | None = None  # the manager's account in the same directory
    groups: tuple[str, ...] = ()
    active: bool = True  # False: the directory still lists them, as resigned, deactivated or disabled


_ENTRY_FIELDS = frozenset(f.name for f in fields(Entry))


def entry_to_json(entry: Entry) -> str:
    """An entry as the inbox keeps a change event's person (bot/dispatch/directory.py reads it back)."""
    return json.dumps(asdict(entry), ensure_ascii=False)


def entry_from_json(raw: str) -> Entry:
    """The entry `entry_to_json` wrote; ValueError for anything else."""
    data = json.loads(raw)
    if not isinstance(data, dict) or set(data) != _ENTRY_FIELDS:
        raise ValueError("not a directory entry")
    if not isinstance(data["account"], str) or not isinstance(data["name"], str) or not all(
            v is None or isinstance(v, str) for v in (data[f] for f in ("email", "employee_id", "department",
                                                                            "manager"))):
        raise ValueError("a directory entry's fields are text")
    groups = data["groups"]
    if not (isinstance(groups, list) and all(isinstance(g, str) for g in groups)) or not isinstance(
            data["active"], bool):
        raise ValueError("a directory entry's groups are a list of text, active a boolean")
    return Entry(**{**data, "groups": tuple(groups)})


@dataclass(frozen=True, kw_only=True)
class Listing:
    source: str  # the source's name in the configuration
    platform: str  # where its accounts live as identities: "feishu", "dingtalk", "slack" or "dir:<name>"
    entries: tuple[Entry, ...]
    complete: bool  # every page read: only then is someone missing from it a leaver
    problems: tuple[str, ...] = ()
    departments: dict[str, str] = field(default_factory=dict)  # id -> name


class DirectoryError(Exception):
    """The directory cannot be read at all (credentials refused, unreachable): nothing is planned from it."""


class Directory(Protocol):
    name: str
    platform: str

    async def listing(self, progress: Progress) -> Listing: ...

    async def close(self) -> None: ...


def text(value: Any, limit: int = 200) -> str | None:
    """A directory's string field, trimmed; None when absent, empty or not text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] if value else None


class Paged:
    """HTTP calls of one directory: 429 and 5xx (and the platform's own "slow down" codes) are asked again after
    what the platform says (Retry-After), a bounded number of times; anything else is the caller's to judge."""

    def __init__(self, client: httpx.AsyncClient, *, what: str, sleep: Sleep | None = None,
                 throttled: Callable[[dict[str, Any]], bool] = lambda data: False,
                 retries: int = constants.DIRECTORY_RETRIES) -> None:
        self.client = client
        self._what = what
        self._sleep: Sleep = sleep or asyncio.sleep
        self._throttled = throttled
        self._retries = retries
        self.waits = 0  # throttled answers waited out (progress and tests read it)

    async def call(self, method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """(status, JSON object) of an answer that is not "slow down" or "try later"."""
        for attempt in range(self._retries + 1):
            try:
                r = await self.client.request(method, url, **kwargs)
                data = r.json() if r.content else {}
            except (httpx.HTTPError, ValueError) as exc:
                if attempt == self._retries:
                    raise DirectoryError(f"{self._what}: {type(exc).__name__}: {exc}") from None
                await self._sleep(min(2.0 ** attempt, constants.DIRECTORY_RETRY_MAX_S))
                continue
            data = data if isinstance(data, dict) else {}
            if r.status_code == 429 or r.status_code >= 500 or self._throttled(data):
                if attempt == self._retries:
                    raise DirectoryError(f"{self._what}: still throttled or failing after {self._retries} tries "
                                         f"(HTTP {r.status_code})")
                self.waits += 1
                wait = _seconds(r.headers.get("Retry-After"))
                wait = _seconds(r.headers.get("x-ogw-ratelimit-reset")) if wait is None else wait
                await self._sleep(min(wait if wait is not None else 2.0 ** attempt, constants.DIRECTORY_RETRY_MAX_S))
                continue
            return r.status_code, data
        raise AssertionError("unreachable")  # pragma: no cover


def _seconds(value: str | None) -> float | None:
    return float(value) if value and value.replace(".", "", 1).isdigit() else None
