"""The base of the repositories that work inside their caller's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class InTransaction:
    """Reads and writes in the session it is given (from Database.read() or write()): what the caller does
    with several repositories on one session commits together or not at all."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
