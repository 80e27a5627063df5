"""Running a command that talks to a remote PMS outside the database's write transaction.

A remote PMS can take seconds to answer; SQLite has one writer. So such a command first runs against a read
session: workspace reads go through, audit rows are kept in memory and written afterwards with the replies.
Anything else that writes (a built-in PMS, an approval, a proposal...) raises NeedsWrite and the command runs
again in the write transaction, where the journal (bot/pms/journal.py) keeps remote writes from repeating.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from bot.records import Approval, ChatSubscription, Leave, Person, PersonWrite, Project, StandupAnswer
from commands.ports import Workspace


class NeedsWrite(Exception):
    """The command must run inside the write transaction."""


class ReadFirstWorkspace:
    """A workspace on a read session: reads go to `inner`, audit rows are kept for later, other writes refused."""

    def __init__(self, inner: Workspace) -> None:
        self._inner = inner
        self.audits: list[dict[str, Any]] = []
        self.writes: list[PersonWrite] = []  # the undo log's rows, written with the audit rows

    async def audit(self, *, actor: str, action: str, subject: str, detail: dict[str, Any], now: datetime) -> None:
        self.audits.append({"actor": actor, "action": action, "subject": subject, "detail": detail, "now": now})

    async def remember_write(self, write: PersonWrite) -> int:
        self.writes.append(write)
        return 0  # not known until written; no handler uses it on this path

    # -- reads --------------------------------------------------------------------------------------------
    async def person(self, person_id: str) -> Person | None:
        return await self._inner.person(person_id)

    async def find_person(self, ref: str) -> Person | None:
        return await self._inner.find_person(ref)

    async def find_people(self, ref: str) -> list[Person]:
        return await self._inner.find_people(ref)

    async def project(self, key: str) -> Project | None:
        return await self._inner.project(key)

    async def projects_of(self, person_id: str) -> list[Project]:
        return await self._inner.projects_of(person_id)

    async def approval(self, approval_id: int) -> Approval | None:
        return await self._inner.approval(approval_id)

    async def pending_approvals_for(self, person_id: str) -> list[Approval]:
        return await self._inner.pending_approvals_for(person_id)

    async def people_with_role(self, role: str) -> list[Person]:
        return await self._inner.people_with_role(role)

    async def standup_status(self, person_ids: list[str], day: date) -> dict[str, tuple[str, str]]:
        return await self._inner.standup_status(person_ids, day)

    async def standup_participation(self, person_id: str, *, since: date, until: date
                                    ) -> list[tuple[str, str, int, int, int]]:
        return await self._inner.standup_participation(person_id, since=since, until=until)

    async def standups_of(self, person_id: str) -> list[tuple[str, str, tuple[str, ...]]]:
        return await self._inner.standups_of(person_id)

    async def last_write(self, person_id: str) -> PersonWrite | None:
        return await self._inner.last_write(person_id)

    async def chat_subscriptions(self, platform: str, conversation: str) -> list[ChatSubscription]:
        return await self._inner.chat_subscriptions(platform, conversation)

    async def leaves(self, person_id: str, *, since: date) -> list[Leave]:
        return await self._inner.leaves(person_id, since=since)

    async def standup_answers(self, person_ids: list[str], *, since: date, until: date, limit: int
                              ) -> list[StandupAnswer]:
        return await self._inner.standup_answers(person_ids, since=since, until=until, limit=limit)

    # -- writes: the command runs again in the write transaction ------------------------------------------
    async def create_approval(
        self, *, project: str, requester: str, approvers: tuple[str, ...], subject: str, amount: Decimal | None,
        origin: str, now: datetime, payload: dict[str, Any] | None = None
    ) -> Approval:
        raise NeedsWrite("create_approval")

    async def decide_approval(
        self, approval_id: int, *, by: str, state: Literal["approved", "rejected"], comment: str, now: datetime
    ) -> Approval | None:
        raise NeedsWrite("decide_approval")

    async def delegate_approval(self, approval_id: int, *, by: str, to: str) -> Approval | None:
        raise NeedsWrite("delegate_approval")

    async def decide_in_chain(
        self, approval_id: int, *, by: str, state: Literal["approved", "rejected"], comment: str, now: datetime
    ) -> tuple[Approval, str] | None:
        raise NeedsWrite("decide_in_chain")

    async def subscribe(self, *, project: str, platform: str, conversation: str, filter: str, by: str,
                        now: datetime) -> bool:
        raise NeedsWrite("subscribe")

    async def claim_pms_user(self, person_id: str, pms_user: str, *, now: datetime) -> bool:
        raise NeedsWrite("claim_pms_user")

    async def decide_pms_claim(self, person_id: str, *, accept: bool) -> str | None:
        raise NeedsWrite("decide_pms_claim")

    async def standup_entry(
        self, *, person_id: str, kind: str, day_from: date, day_to: date, text: str, now: datetime
    ) -> None:
        raise NeedsWrite("standup_entry")

    async def change_standup(self, name: str, setting: str, value: str | None, *, by: str, now: datetime
                             ) -> dict[str, Any]:
        raise NeedsWrite("change_standup")

    async def create_proposal(self, *, person_id: str, kind: str, payload: list[dict[str, Any]],
                              now: datetime) -> int:
        raise NeedsWrite("create_proposal")

    async def take_proposal(self, proposal_id: int, *, person_id: str, now: datetime
                            ) -> list[dict[str, Any]] | bool | None:
        raise NeedsWrite("take_proposal")

    async def decide_alert(self, alert_id: int, *, by: str, action: str, until: datetime | None
                           ) -> tuple[str, str, str] | None:
        raise NeedsWrite("decide_alert")

    async def settle_write(self, write: PersonWrite) -> bool:
        raise NeedsWrite("settle_write")

    async def unsubscribe(self, *, project: str, platform: str, conversation: str, filter: str | None) -> int:
        raise NeedsWrite("unsubscribe")

    async def mute(self, *, project: str, platform: str, conversation: str, until: datetime | None) -> int:
        raise NeedsWrite("mute")

    async def change_leave(self, leave_id: int, *, person_id: str, day_from: date, day_to: date) -> Leave | None:
        raise NeedsWrite("change_leave")

    async def cancel_leave(self, leave_id: int, *, person_id: str) -> Leave | None:
        raise NeedsWrite("cancel_leave")
