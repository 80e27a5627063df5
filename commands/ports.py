"""What handlers may use: the people/approval workspace and the PMS Protocol. No SQL, no platform."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bot.pms.base import PMS
from bot.records import Approval, ChatSubscription, Leave, Person, PersonWrite, Project, StandupAnswer

if TYPE_CHECKING:
    from commands.chains import ApprovalPolicy


class CommandError(Exception):
    """A command that cannot be done as asked. `code` selects the localized message; nothing is applied."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}


class Workspace(Protocol):
    """Our own state next to the PMS: people, projects, approvals, subscriptions, standups, audit."""

    async def person(self, person_id: str) -> Person | None: ...

    async def find_person(self, ref: str) -> Person | None: ...

    async def find_people(self, ref: str) -> list[Person]:
        """Everyone `ref` (an id, name or PMS user) may mean: more than one when a name is shared."""
        ...

    async def project(self, key: str) -> Project | None: ...

    async def projects_of(self, person_id: str) -> list[Project]: ...

    async def create_approval(
        self, *, project: str, requester: str, approvers: tuple[str, ...], subject: str, amount: Decimal | None,
        origin: str, now: datetime, payload: dict[str, Any] | None = None
    ) -> Approval: ...

    async def approval(self, approval_id: int) -> Approval | None: ...

    async def decide_in_chain(
        self, approval_id: int, *, by: str, state: Literal["approved", "rejected"], comment: str, now: datetime
    ) -> tuple[Approval, str] | None:
        """`by`'s decision on the current step of the approval's chain; None when that step does not wait for them."""
        ...

    async def decide_approval(
        self, approval_id: int, *, by: str, state: Literal["approved", "rejected"], comment: str, now: datetime
    ) -> Approval | None: ...

    async def delegate_approval(self, approval_id: int, *, by: str, to: str) -> Approval | None:
        """Hand `by`'s part of a pending approval to `to`; None when it is no longer pending or not `by`'s."""
        ...

    async def pending_approvals_for(self, person_id: str) -> list[Approval]: ...

    async def subscribe(self, *, project: str, platform: str, conversation: str, filter: str, by: str,
                        now: datetime) -> bool: ...

    async def chat_subscriptions(self, platform: str, conversation: str) -> list[ChatSubscription]: ...

    async def unsubscribe(self, *, project: str, platform: str, conversation: str, filter: str | None) -> int: ...

    async def mute(self, *, project: str, platform: str, conversation: str, until: datetime | None) -> int: ...

    async def leaves(self, person_id: str, *, since: date) -> list[Leave]: ...

    async def change_leave(self, leave_id: int, *, person_id: str, day_from: date, day_to: date
                           ) -> Leave | None: ...

    async def cancel_leave(self, leave_id: int, *, person_id: str) -> Leave | None: ...

    async def standup_answers(self, person_ids: list[str], *, since: date, until: date, limit: int
                              ) -> list[StandupAnswer]: ...

    async def claim_pms_user(self, person_id: str, pms_user: str, *, now: datetime) -> bool:
        """Record the PMS user a person asks to be linked to. True when it is proven at once (it is the e-mail
        the configuration gives the person: a directory match) and so linked; else it waits for an admin."""
        ...

    async def decide_pms_claim(self, person_id: str, *, accept: bool) -> str | None:
        """An admin's answer to a person's claim: linked (accept) or dropped. The claimed user; None: no claim."""
        ...

    async def people_with_role(self, role: str) -> list[Person]: ...

    async def standup_entry(
        self, *, person_id: str, kind: str, day_from: date, day_to: date, text: str, now: datetime
    ) -> None: ...

    async def standup_status(self, person_ids: list[str], day: date) -> dict[str, tuple[str, str]]: ...

    async def standup_participation(self, person_id: str, *, since: date, until: date
                                    ) -> list[tuple[str, str, int, int, int]]:
        """For the standups `person_id` is prompted in: (standup, person, prompted, answered, skipped) per member
        over the days since..until."""
        ...

    async def standups_of(self, person_id: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """(name, project, members) of the standups the person is in or whose project they belong to."""
        ...

    async def change_standup(self, name: str, setting: str, value: str | None, *, by: str, now: datetime
                             ) -> dict[str, Any]:
        """Change a standup's time, deadline or reminder; returns its schedule; ValueError with the reason."""
        ...

    async def create_proposal(self, *, person_id: str, kind: str, payload: list[dict[str, Any]],
                              now: datetime) -> int: ...

    async def take_proposal(self, proposal_id: int, *, person_id: str, now: datetime
                            ) -> list[dict[str, Any]] | bool | None:
        """The proposal's changes, marking it applied; None when unknown (or not theirs), False when applied before."""
        ...

    async def decide_alert(self, alert_id: int, *, by: str, action: str, until: datetime | None
                           ) -> tuple[str, str, str] | None: ...

    async def audit(self, *, actor: str, action: str, subject: str, detail: dict[str, Any], now: datetime) -> None: ...

    async def remember_write(self, write: PersonWrite) -> int:
        """Keep a write a person made through chat in the undo log; its id."""
        ...

    async def last_write(self, person_id: str) -> PersonWrite | None:
        """The person's newest write in the undo log, undone or not."""
        ...

    async def settle_write(self, write: PersonWrite) -> bool:
        """Store an undo or a correction of a write; False when it was undone meanwhile."""
        ...


class Links(Protocol):
    """Signed web links (bot/web/links.py): handlers hand them out, the pages check them."""

    def field(self, task: str, person: str) -> str: ...

    def dashboard(self, project: str) -> str: ...

    def admin(self, person: str, *, locale: str | None = None) -> str: ...

    def jira(self, person: str) -> str: ...


@dataclass(frozen=True, kw_only=True)
class Context:
    person: Person
    platform: str
    conversation: str
    now: datetime  # timezone-aware
    today: date  # in the person's own timezone (else the deployment's)
    workspace: Workspace
    pms_for: Callable[[Project], PMS]
    links: Links | None = None  # None: no web pages in this deployment
    timezone: str = "UTC"  # the person's own, else the deployment's: where "tomorrow 09:00" is
    feature_on: Callable[[str, str], bool] = lambda feature, project: True  # the `rollout:` of the config
    approvals: ApprovalPolicy | None = None  # approval chains; None: a request goes to its project's approvers
