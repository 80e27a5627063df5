"""Rules every remote connector applies the same way as the built-in PMS, so commands behave alike."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from typing import Any, TypeVar

from bot.pms.base import PMSError, TaskEdit
from bot.records import Milestone, Person, Project, ProjectSummary, Task

log = logging.getLogger("pmsbot.pms")


def parse_day(value: Any) -> date | None:
    """A PMS's date ("2026-11-30", or the date part of a timestamp); None for anything else."""
    if not isinstance(value, str) or value.startswith("0000"):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def progress_comment(by: Person, *, percent: int | None, note: str) -> str:
    """What a progress report leaves in the PMS's history, naming who reported it (the API key is the bot's)."""
    parts = [f"{percent}%"] if percent is not None else []
    if note:
        parts.append(note)
    return f"{by.name}: {' '.join(parts)}" if parts else ""


def reopen_or_start(status: str, percent: int | None) -> str | None:
    """The status a reported percent implies, as the built-in PMS does it; None: leave the status. A blocked task
    stays blocked: progress made around a blocker does not clear it, only an unblock (or completion) does."""
    if percent is None:
        return None
    if percent == 100:
        return None if status == "done" else "done"
    if status == "done" or (percent > 0 and status == "todo"):
        return "in_progress"
    return None


def summarize(project: Project, tasks: Iterable[Task], versions: Iterable[tuple[int, str, date | None]], *,
              today: date) -> ProjectSummary:
    """Counts and milestone progress from one pass over the project's tasks (read in pages)."""
    total = done = blocked = overdue = pct = 0
    per: dict[str, list[int]] = {}
    for t in tasks:
        total += 1
        done += t.status == "done"
        blocked += t.status == "blocked"
        overdue += t.status != "done" and t.due is not None and t.due < today
        pct += t.percent
        if t.milestone is not None:
            n, d, p = per.setdefault(t.milestone, [0, 0, 0])
            per[t.milestone] = [n + 1, d + (t.status == "done"), p + t.percent]
    milestones = []
    for vid, name, due in sorted(versions, key=lambda v: (v[2] is None, v[2] or date.min, v[0])):
        n, d, p = per.get(name, [0, 0, 0])
        milestones.append(Milestone(id=vid, project=project.key, name=name, due=due, tasks_total=n, tasks_done=d,
                                    percent=round(p / n) if n else 0))
    return ProjectSummary(project=project.key, name=project.name, tasks_total=total, tasks_done=done,
                          tasks_blocked=blocked, tasks_overdue=overdue, percent=round(pct / total) if total else 0,
                          milestones=tuple(milestones))


_ODD_ANSWER = (KeyError, TypeError, AttributeError, ValueError, IndexError)
C = TypeVar("C", bound=type)


def odd_answers_refused(display: str) -> Callable[[C], C]:
    """Every public async method of a connector: a PMS answer of a shape we did not expect (a list where an
    object was, a missing id) becomes a clear refusal naming the PMS, logged with its trace, instead of an
    error that would be retried as if it might pass next time."""
    def wrap(cls: C) -> C:
        for name, method in list(vars(cls).items()):
            if name.startswith("_") or not inspect.iscoroutinefunction(method):
                continue

            def guarded(method: Callable[..., Awaitable[Any]] = method, name: str = name
                        ) -> Callable[..., Awaitable[Any]]:
                @functools.wraps(method)
                async def call(*args: Any, **kwargs: Any) -> Any:
                    try:
                        return await method(*args, **kwargs)
                    except _ODD_ANSWER as exc:
                        log.exception("%s.%s: unexpected answer", display, name)
                        raise PMSError("pms_refused", pms=display,
                                       reason=f"unexpected answer ({type(exc).__name__}: {str(exc)[:120]})") from exc
                return call
            setattr(cls, name, guarded())
        return cls
    return wrap


def having_words(tasks: Iterable[Task], words: str) -> list[Task]:
    """The tasks whose title holds every word (case-insensitive), open ones first: a search done here where the
    PMS's API has none worth the name."""
    wanted = [w.casefold() for w in words.split()]
    found = [t for t in tasks if all(w in t.title.casefold() for w in wanted)]
    return sorted(found, key=lambda t: t.status == "done")


def edit_note(by: Person, edit: TaskEdit, assignee_name: str | None) -> str:
    """What an edit leaves in the PMS's history, naming who made it (the API key is the bot's)."""
    parts = [f"→ {assignee_name}"] if edit.assignee is not None else []
    parts += [f"due {edit.due.isoformat()}"] if edit.due is not None else []
    parts += [f"priority {edit.priority}"] if edit.priority is not None else []
    return f"{by.name} (pmsbot): {', '.join(parts)}"
