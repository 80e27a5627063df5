"""Which connector serves which `pms:` value. Adding a PMS adds one line here."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.pms.base import PMS, PMSError
from bot.pms.local import LocalPMS
from bot.records import Project

# A factory gets the command's transaction: the local PMS writes in it; remote connectors ignore it.
CONNECTORS: dict[str, Callable[[AsyncSession, Project], PMS]] = {
    "local": lambda session, project: LocalPMS(session),
}


def connector_for(session: AsyncSession) -> Callable[[Project], PMS]:
    def pick(project: Project) -> PMS:
        factory = CONNECTORS.get(project.pms)
        if factory is None:
            raise PMSError("pms_unavailable", project=project.key, pms=project.pms)
        return factory(session, project)

    return pick
