"""The Workspace (commands.ports) on our tables, inside one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store import audit
from bot.store.alerts import Alerts
from bot.store.approvals import Approvals
from bot.store.link_codes import LinkCodes
from bot.store.people import People
from bot.store.projects import Projects
from bot.store.proposals import Proposals
from bot.store.runs import Runs
from bot.store.standups import Standups
from bot.store.subscriptions import Subscriptions
from bot.store.writes import Writes


class SqlWorkspace(People, Projects, Subscriptions, Approvals, Standups, Runs, Alerts, Proposals, LinkCodes,
                   Writes):
    """Every repository of our own state on one session: what a command, a job or a hook reads and changes
    commits together. Built as `SqlWorkspace(session, default_locale=...)`; each part also works alone."""

    async def audit(self, *, actor: str, action: str, subject: str, detail: dict[str, Any], now: datetime) -> None:
        await audit.append(self._s, actor=actor, action=action, subject=subject, detail=detail, now=now)
