"""People as a remote PMS knows them, and task keys as chat knows them.

Chat keys stay `<PROJECT>-<n>` whatever the PMS: Jira's PS-12 is PUMP-12 when the project PUMP maps to
Jira's PS (often the same key), Redmine's issue #123 and Zentao's task 123 are PUMP-123.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.pms.base import PMSError


@dataclass(frozen=True)
class PeopleMap:
    """pms user handles (login, account id, email; case-insensitive) -> our person id."""

    by_handle: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str | None, str | None]]) -> PeopleMap:
        """From (person id, pms_user, email) rows; an explicit pms_user wins over an email."""
        out: dict[str, str] = {}
        rows = list(rows)
        for person_id, _, email in rows:
            if email:
                out[email.casefold()] = person_id
        for person_id, pms_user, _ in rows:
            if pms_user:
                out[pms_user.casefold()] = person_id
        return cls(out)

    def person_of(self, *handles: object) -> str | None:
        for handle in handles:
            if isinstance(handle, (str, int)) and str(handle):
                found = self.by_handle.get(str(handle).casefold())
                if found is not None:
                    return found
        return None


def task_number(key: str, project: str) -> int:
    """The number in a chat key of this project; anything else is an unknown task."""
    prefix, _, number = key.rpartition("-")
    if prefix != project or not number.isascii() or not number.isdigit() or len(number) > 9:
        raise PMSError("unknown_task", task=key)
    return int(number)
