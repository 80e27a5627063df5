"""The pages' common ground: one `Web` per app (signing keys, sessions, rendering with the shared layout and the
safety headers), the visitor's language, and the error page; and the small seams the pages share."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from bot.clocks import Clock
from bot.constants import LOCALES
from bot.inbox import Accepted
from bot.pms.base import PMS
from bot.records import InboundEvent, Project
from bot.signing import Signer
from bot.store.db import StoreSession
from bot.store.web import KeyUnavailable
from bot.web.security import PAGE_HEADERS, Sessions

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger("pmsbot.web")

KeySource = Callable[[], Awaitable[bytes]]
"""The key the pages sign with (configured, or the one kept in the database); raises KeyUnavailable."""

Connectors = Callable[[StoreSession], Callable[[Project], PMS]]
"""The project's PMS connector, within a read session (the built-in PMS reads through it)."""

Accept = Callable[[InboundEvent], Awaitable[Accepted]]
"""The inbox's intake: returns once the event is durable (or known to be a duplicate)."""


class Rendered(Protocol):
    @property
    def text(self) -> str: ...


class Templates(Protocol):
    """The page templates, the text catalogs and the chat messages' templates (notifiers.render.Renderer)."""

    @property
    def env(self) -> jinja2.Environment: ...

    @property
    def catalogs(self) -> dict[str, dict[str, Any]]: ...

    def text(self, locale: str, key: str, **params: Any) -> str: ...

    def render(self, *, platform: str, locale: str, kind: str, data: dict[str, Any],
               actions: list[dict[str, str]]) -> Rendered: ...


class Settle(Protocol):
    """Wait, within `budget_s`, until the dispatcher has handled an inbound event (and, with `delivered`, its
    replies have gone out); False when it did not happen in time (bot.platforms.answers.settled)."""

    async def __call__(self, inbox_id: int, budget_s: float, *, delivered: bool) -> bool: ...


class Web:
    def __init__(self, *, key: KeySource, public_url: str | None, clock: Clock, templates: Templates,
                 default_locale: str) -> None:
        self.clock = clock
        self.templates = templates
        self._key_source = key
        self._key: bytes | None = None
        self._base = (public_url or "").rstrip("/")
        self._default_locale = default_locale
        self.https = (public_url or "").startswith("https://")

    async def start(self) -> None:
        try:
            self._key = await self._key_source()
        except KeyUnavailable:  # no schema yet (/readyz says so): pages answer 503 until a restart
            log.warning("web pages are off: the database has no schema yet (run `pmsbot db upgrade`)")

    @property
    def key(self) -> bytes:
        if self._key is None:
            raise web.HTTPServiceUnavailable(reason="the database is not ready: run `pmsbot db upgrade`")
        return self._key

    def signer(self, purpose: str) -> Signer:
        return Signer(self.key, purpose, clock=self.clock)

    @property
    def sessions(self) -> Sessions:
        return Sessions(self.key, secure=self.https, clock=self.clock)

    def url(self, path: str) -> str:
        """An absolute URL when PMSBOT_PUBLIC_URL is set (links sent in chat), else the path."""
        return f"{self._base}{path}"

    def locale(self, request: web.Request) -> str:
        """?lang=, else the browser's first supported language, else the deployment's."""
        asked = request.query.get("lang", "")
        if asked in LOCALES:
            return asked
        for part in request.headers.get("Accept-Language", "").split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LOCALES:
                return code
        return self._default_locale

    def texts(self, locale: str) -> dict[str, Any]:
        """The catalog of one language."""
        return self.templates.catalogs[locale]

    def page(self, template: str, *, locale: str, status: int = 200, headers: dict[str, str] | None = None,
             **context: Any) -> web.Response:
        html = self.templates.env.get_template(f"web/{template}").render(locale=locale, t=self.texts(locale),
                                                                          **context)
        return web.Response(text=html, status=status, content_type="text/html",
                            headers={**PAGE_HEADERS, **(headers or {})})

    def error(self, *, locale: str, status: int, message: str) -> web.Response:
        return self.page("error.html.j2", locale=locale, status=status, message=message)


WEB: web.AppKey[Web] = web.AppKey("web", Web)
