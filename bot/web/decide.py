"""The page a DingTalk decision link opens (templates/web/decide.html.j2): a confirmation form, then what became of
the decision. The DingTalk adapter checks the link and takes the POST in; this only draws the page."""

from __future__ import annotations

from aiohttp import web

from notifiers.render import Renderer

TEMPLATE = "web/decide.html.j2"
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


class DecidePage:
    def __init__(self, renderer: Renderer, *, default_locale: str) -> None:
        self._renderer = renderer
        self._default_locale = default_locale

    def __call__(self, locale: str | None, outcome: str | None, *, status: int, verb: str, value: str
                 ) -> web.Response:
        locale = locale or self._default_locale
        locale = locale if locale in self._renderer.catalogs else "en"
        catalog = self._renderer.catalogs[locale]
        texts = catalog["dingtalk"]
        verb_label = str(catalog["buttons"].get(verb, verb))
        message = texts[outcome].format(verb=verb_label, id=value) if outcome else None
        html = self._renderer.env.get_template(TEMPLATE).render(
            locale=locale, texts=texts, verb=verb, verb_label=verb_label, value=value, message=message)
        return web.Response(text=html, status=status, content_type="text/html", headers=HEADERS)
