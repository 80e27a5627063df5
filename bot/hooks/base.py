"""The seam for webhook sources: a source verifies a request and turns it into a neutral change event.

Requests go through the same durable inbox as chat events (a 2xx means stored); the worker does the rest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aiohttp import web

from bot.records import InboundEvent


class HookSource(Protocol):
    name: str  # the URL is POST /hooks/{name} (and /hooks/{name}/{token} for sources that sign nothing)

    def enabled(self) -> bool: ...

    async def event(self, request: web.Request, raw: bytes, token: str | None, *, now: datetime
                    ) -> InboundEvent | None:
        """The change as an inbox event; None to acknowledge and ignore it; Refused for a 4xx."""
        ...
