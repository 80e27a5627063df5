"""A change reported by a PMS (webhook or poll): the task is read again, and a note is queued for every subscribed
chat whose filter it passes (bot/changes.py sends them one by one, or a digest for a burst)."""

from __future__ import annotations

import logging
from typing import Any

from bot.clocks import Clock
from bot.config import Config
from bot.dispatch.outcomes import Outcomes
from bot.pms.base import PMS, PMSError
from bot.pms.registry import RemoteClient, connector_for
from bot.records import Project, Task
from bot.store import pms_changes
from bot.store.db import Database
from bot.store.inbox import Claimed
from bot.store.workspace import SqlWorkspace
from commands.filters import FilterError, parse_filter
from commands.views import task_view
from notifiers.outbox import ClaimedMessage

log = logging.getLogger("pmsbot.dispatcher")


class ChangeNotes:
    def __init__(self, db: Database, *, clock: Clock, config: Config, remotes: dict[str, RemoteClient],
                 platforms: tuple[str, ...], default_locale: str, outcomes: Outcomes) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.remotes = remotes
        self.platforms = platforms
        self.default_locale = default_locale
        self.outcomes = outcomes

    async def apply(self, item: Claimed, staged: list[ClaimedMessage]) -> str:
        a = item.event.action
        rows: list[tuple[str, str, str, dict[str, Any]]] = []
        remote = self.remotes.get(a.get("pms", ""))
        async with self.db.read() as rs:
            ws = SqlWorkspace(rs, default_locale=self.default_locale)
            pick = connector_for(rs, self.remotes, clock=self.clock)
            for project in await ws.projects_using(a.get("pms", "")) if remote is not None else []:
                if not self.config.feature_on("subscriptions", project.key):
                    continue
                key = chat_key(project, a)
                pms = pick(project)
                if key is None and a.get("ref") and a.get("project") == project.pms_project:
                    key = await getattr(pms, "key_of", _no_key)(a["ref"])  # Teambition names a task by its id
                if key is None:
                    continue
                task = await pms.get_task(key)
                if task is None:
                    continue
                names = {p.id: p.name for p in (await ws.people([task.assignee])).values()} if task.assignee else {}
                data = {"pms": a.get("pms"), "project": project.key, "event": a.get("event", "updated"),
                        "actor": a.get("actor", ""), "changes": a.get("changes", ""), "comment": a.get("comment", ""),
                        "task": task_view(task, names)}
                # A muted chat (`mute PUMP 2h`) is skipped, not queued: it hears nothing of that while.
                for platform, conversation, text, by in await ws.subscriptions(project.key, now=self.clock.now()):
                    if platform in self.platforms and await passes(pms, task, a, text, by):
                        rows.append((platform, conversation, project.key, data))
                break  # a task is in one project
        async with self.db.write() as s:
            await pms_changes.add(s, rows, now=self.clock.now())
            await self.outcomes.finish(s, item, staged, [])
        return "change"


async def _no_key(ref: str) -> str | None:
    return None


def chat_key(project: Project, change: dict[str, str]) -> str | None:
    """The chat key of the changed task if it can be in `project`: Jira says its project key; Redmine's poller
    says the project; Zentao says only the task id (its project is known once the task is read)."""
    task = change.get("task", "")
    number = task.rpartition("-")[2]
    if not number.isdigit():
        return None
    named = change.get("project", "")
    if named and named != (project.pms_project or project.key):
        return None
    return f"{project.key}-{number}"


async def passes(pms: PMS, task: Task, change: dict[str, str], text: str, by: str) -> bool:
    """Whether a subscription's filter lets the change through."""
    try:
        wanted = parse_filter(text, me=by)
    except FilterError:
        return False  # checked when subscribing; a filter that no longer parses matches nothing
    if not wanted.matches(event=change.get("event", "updated"), assignee=task.assignee, priority=task.priority,
                          status=task.status):
        return False
    if wanted.jql is None:
        return True
    matches = getattr(pms, "matches_jql", None)
    if matches is None:
        return False
    try:
        return bool(await matches(task.key, wanted.jql))
    except PMSError as exc:
        log.warning("subscription filter %r of %s: %s", wanted.jql, task.project, exc.params.get("reason", exc.code))
        return False
