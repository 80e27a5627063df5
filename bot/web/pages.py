"""The pages' common ground: one `Web` per app (signing keys, sessions, rendering with the shared layout and the
safety headers), the visitor's language, and the error page."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.constants import LOCALES
from bot.runtime import Runtime
from bot.signing import Signer
from bot.store.web import server_key
from bot.web.security import PAGE_HEADERS, Sessions

log = logging.getLogger("pmsbot.web")


class Web:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._key: bytes | None = None
        public = rt.settings.pmsbot_public_url or ""
        self.https = public.startswith("https://")

    async def start(self) -> None:
        configured = self.rt.settings.pmsbot_secret_key
        try:
            self._key = self.rt.web_key or (configured.get_secret_value().encode() if configured
                                            else await server_key(self.rt.db))
        except SQLAlchemyError:  # no schema yet (/readyz says so): pages answer 503 until a restart
            log.warning("web pages are off: the database has no schema yet (run `pmsbot db upgrade`)")

    @property
    def key(self) -> bytes:
        if self._key is None:
            raise web.HTTPServiceUnavailable(reason="the database is not ready: run `pmsbot db upgrade`")
        return self._key

    def signer(self, purpose: str) -> Signer:
        return Signer(self.key, purpose, clock=self.rt.clock)

    @property
    def sessions(self) -> Sessions:
        return Sessions(self.key, secure=self.https, clock=self.rt.clock)

    def url(self, path: str) -> str:
        """An absolute URL when PMSBOT_PUBLIC_URL is set (links sent in chat), else the path."""
        base = (self.rt.settings.pmsbot_public_url or "").rstrip("/")
        return f"{base}{path}"

    def locale(self, request: web.Request) -> str:
        """?lang=, else the browser's first supported language, else the deployment's."""
        asked = request.query.get("lang", "")
        if asked in LOCALES:
            return asked
        for part in request.headers.get("Accept-Language", "").split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LOCALES:
                return code
        return self.rt.config.locale

    def page(self, template: str, *, locale: str, status: int = 200, headers: dict[str, str] | None = None,
             **context: Any) -> web.Response:
        t = self.rt.renderer.catalogs[locale]
        html = self.rt.renderer.env.get_template(f"web/{template}").render(locale=locale, t=t, **context)
        return web.Response(text=html, status=status, content_type="text/html",
                            headers={**PAGE_HEADERS, **(headers or {})})

    def error(self, *, locale: str, status: int, message: str) -> web.Response:
        return self.page("error.html.j2", locale=locale, status=status, message=message)


WEB: web.AppKey[Web] = web.AppKey("web", Web)
