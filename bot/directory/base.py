"""What every directory client answers: a `Listing` of `Entry`s, and the paging and throttling they share.

A client reads; it never decides. Whether a missing person left is for the plan to say, and only when the
listing is complete (every page of every department read): a partial failure lists what failed in `problems`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

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
