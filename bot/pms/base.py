"""The PMS Protocol every connector implements: small, async, chat-agnostic."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Protocol

from bot.records import Attachment, Milestone, Person, ProjectSummary, Task

# The neutral statuses commands speak; connectors map their workflow's names onto these.
STATUSES = ("todo", "in_progress", "blocked", "done")
# The neutral priorities of `priority A-3 high`; each connector names its own (Jira "Medium", Redmine "Normal").
PRIORITIES = ("low", "normal", "high", "urgent")


class PMSError(Exception):
    """A PMS refused or failed an operation. `code` picks the user-facing message."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(f"{code}: {params.get('reason')}" if params.get("reason") else code)
        self.code = code
        self.params = params


class PMSDown(Exception):
    """A remote PMS did not answer usefully: unreachable, timed out, 5xx, throttled, or our credentials refused.

    Not a refusal of the command: the dispatcher keeps the command and applies it when the PMS is back.
    `kind` is "down", "timeout", "rate_limited" or "auth" (the admins must act).
    """

    def __init__(self, pms: str, kind: str, detail: str = "", *, retry_after_s: float | None = None,
                 connector: str | None = None) -> None:
        super().__init__(f"{pms} {kind}: {detail}" if detail else f"{pms} {kind}")
        self.pms = pms
        self.connector = connector  # the `pms:` value ("jira"), where known
        self.kind = kind
        self.detail = detail
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, kw_only=True)
class Written(Task):
    """The task as a write left it, with the id of the time entry the write created (None: it logged no hours,
    or the PMS's API names none: Zentao). A Task still, so callers that only read the task need not change."""

    worklog: str | None = None
    as_bot: bool = False  # a PMS with per-person writes wrote this as the bot account (the person linked none)

    @classmethod
    def of(cls, task: Task, worklog: str | None, *, as_bot: bool = False) -> Written:
        return cls(**{f.name: getattr(task, f.name) for f in fields(Task)}, worklog=worklog, as_bot=as_bot)


@dataclass(frozen=True, kw_only=True)
class TaskEdit:
    """Fields a person changes on a task in chat; None: leave as it is."""

    assignee: Person | None = None
    due: date | None = None
    priority: str | None = None  # one of PRIORITIES

    def fields(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


def wrote_as_bot(view: object) -> bool:
    """Whether a write of this per-project view went as the bot account: a connector with per-person writes keeps
    `wrote` (True: as the person, False: as the bot account, for lack of the person's own link); others keep none."""
    wrote = getattr(view, "wrote", None)
    return isinstance(wrote, list) and not all(wrote)


class PMS(Protocol):
    name: str

    async def get_task(self, key: str) -> Task | None: ...

    async def search_tasks(
        self, *, project: str | None = None, assignee: Person | None = None, open_only: bool = True, limit: int = 50
    ) -> list[Task]: ...

    async def create_task(
        self, project: str, title: str, *, assignee: Person | None, due: date | None, by: Person
    ) -> Task: ...

    async def report_progress(
        self, key: str, *, percent: int | None, note: str, hours: Decimal | None, by: Person
    ) -> Written: ...

    async def transition(self, key: str, status: str, *, reason: str, by: Person) -> Task: ...

    async def check_move(self, key: str, status: str, *, by: Person) -> None:
        """Raise PMSError("transition_not_allowed") if the task cannot move to `status` now; changes nothing.
        Commands that write before they move ask first, so a refused move leaves nothing half-done."""
        ...

    async def comment(self, key: str, body: str, *, by: Person) -> None: ...

    async def log_work(self, key: str, hours: Decimal, *, note: str, by: Person) -> str | None:
        """Add a time entry; its id in the PMS (None where the PMS's API answers without one: Zentao)."""
        ...

    async def delete_worklog(self, key: str, worklog: str, *, by: Person) -> None:
        """Remove a time entry log_work made, taking its hours off the task's time spent. One already gone is
        fine (a retried undo). PMSError("worklog_not_deletable") where the PMS's API cannot (Zentao)."""
        ...

    async def attach(self, key: str, file: Attachment, *, by: Person) -> None:
        """Attach a checked file (bot/files.py) to the task, as the person where the PMS can. PMSError
        ("attach_not_supported") where the PMS's API takes no files (Zentao's REST v1)."""
        ...

    async def edit_task(self, key: str, edit: TaskEdit, *, by: Person) -> Task:
        """Set the assignee, due date or priority, leaving a note naming `by`. PMSError("pms_cannot") where the
        PMS's API cannot."""
        ...

    async def find_tasks(self, project: str, words: str, *, limit: int) -> list[Task]:
        """Tasks of the project whose title (or notes, where the PMS searches them) has every word, open first."""
        ...

    async def list_milestones(self, project: str) -> list[Milestone]: ...

    async def project_summary(self, project: str, *, today: date) -> ProjectSummary: ...
