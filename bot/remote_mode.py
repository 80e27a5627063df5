"""Running a command that talks to a remote PMS outside the database's write transaction.

A remote PMS can take seconds to answer; SQLite has one writer. So such a command first runs against a read
session: workspace reads go through, audit rows are kept in memory and written afterwards with the replies.
Anything else that writes (a built-in PMS, an approval, a proposal...) raises NeedsWrite and the command runs
again in the write transaction, where the journal (bot/pms/journal.py) keeps remote writes from repeating.
"""

from __future__ import annotations

from typing import Any

from bot.store.workspace import SqlWorkspace

# Workspace methods that only read: everything else needs the write transaction.
_READS = frozenset({
    "person", "people", "person_by_identity", "identities_of", "find_person", "project", "projects_of", "approval",
    "pending_approvals_for", "targets", "standup_status", "standup_participation", "standups_of",
    "project_channels", "people_with_role", "targets_of", "subscriptions", "projects_using",
})


class NeedsWrite(Exception):
    """The command must run inside the write transaction."""


class BufferedWorkspace:
    """A SqlWorkspace on a read session that keeps audit rows for later and refuses other writes."""

    def __init__(self, inner: SqlWorkspace) -> None:
        self._inner = inner
        self.audits: list[dict[str, Any]] = []

    async def audit(self, **row: Any) -> None:
        self.audits.append(row)

    def __getattr__(self, name: str) -> Any:
        if name in _READS:
            return getattr(self._inner, name)
        raise NeedsWrite(name)
