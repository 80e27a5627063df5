"""Which connector serves which `pms:` value. Adding a PMS adds one line to REMOTE (and its module).

The built-in PMS works in the command's transaction; a remote PMS is one long-lived client per process
(pooled connections, caches) handing out a small per-project view.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.clocks import Clock
from bot.config import Config, Settings
from bot.pms import jira, local, redmine, teambition, zentao
from bot.pms.base import PMS, PMSError, wrote_as_bot
from bot.pms.local import LocalPMS
from bot.pms.people import PeopleMap
from bot.records import Project
from bot.store.db import StoreSession
from bot.store.people import pms_accounts


class RemoteClient(Protocol):
    name: str

    def for_project(self, project: Project, people: Callable[[], Awaitable[PeopleMap]]) -> PMS: ...

    async def check(self) -> str:
        """Reach the PMS with our credentials; a one-line description of who we are there, or PMSDown."""
        ...

    async def close(self) -> None: ...


# A remote PMS is on when its settings are complete; each builder returns None otherwise.
REMOTE: dict[str, Callable[[Settings, Config, Clock], RemoteClient | None]] = {
    "jira": jira.build,
    "redmine": redmine.build,
    "zentao": zentao.build,
    "teambition": teambition.build,
}

DISPLAY = {"jira": "Jira", "redmine": "Redmine", "zentao": "Zentao",  # names people read in messages
           "teambition": "Teambition"}

# What each connector can do, and the test that proves it (bot/pms/capabilities.py; README's connector table).
CAPABILITIES = {"local": ("Built-in", local.CAPABILITIES), **{
    name: (DISPLAY[name], module.CAPABILITIES) for name, module in
    (("jira", jira), ("redmine", redmine), ("zentao", zentao), ("teambition", teambition))}}

# A factory gets the command's transaction: the local PMS writes in it. Tests and benchmarks may wrap it.
CONNECTORS: dict[str, Callable[[StoreSession, Project, Clock], PMS]] = {
    "local": lambda session, project, clock: LocalPMS(session, clock=clock),
}


def build_remotes(settings: Settings, config: Config, clock: Clock) -> dict[str, RemoteClient]:
    remotes: dict[str, RemoteClient] = {}
    for name, build in REMOTE.items():
        client = build(settings, config, clock)
        if client is not None:
            remotes[name] = client
    return remotes


@dataclass
class _PeopleOnce:
    """The pms_user -> person map, read once per command (people may `link` between commands)."""

    session: StoreSession
    value: PeopleMap | None = None

    async def __call__(self) -> PeopleMap:
        if self.value is None:
            self.value = PeopleMap.of(await pms_accounts(self.session))
        return self.value


class Picker:
    """The project's connector for one command. It keeps the views it handed out, so the answer can say when a
    write went as the bot account (`as_bot`); `guard` may refuse a project first (bot/dispatch/pms_waits.py)."""

    def __init__(self, session: StoreSession, remotes: dict[str, RemoteClient] | None, *, clock: Clock,
                 guard: Callable[[Project], None] | None = None) -> None:
        self.session = session
        self.remotes = remotes or {}
        self.clock = clock
        self.guard = guard
        self.people = _PeopleOnce(session)
        self.views: list[tuple[str, PMS]] = []

    def __call__(self, project: Project) -> PMS:
        if self.guard is not None:
            self.guard(project)
        factory = CONNECTORS.get(project.pms)
        if factory is not None:
            return factory(self.session, project, self.clock)
        remote = self.remotes.get(project.pms)
        if remote is None:
            raise PMSError("pms_unavailable", project=project.key, pms=project.pms)
        view = remote.for_project(project, self.people)
        self.views.append((project.pms, view))
        return view

    def as_bot(self) -> str | None:
        """The `pms:` value of a connector one of this command's writes went to as the bot account, if any."""
        return next((name for name, view in self.views if wrote_as_bot(view)), None)


def connector_for(session: StoreSession, remotes: dict[str, RemoteClient] | None = None, *, clock: Clock
                  ) -> Picker:
    return Picker(session, remotes, clock=clock)
