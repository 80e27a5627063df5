"""Webhook sources by name: POST /hooks/{name}[/{token}]. The PMSs' own webhooks are listed here (adding one
adds a line); the other systems' come from the configuration's `sources:`."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.clocks import Clock
from bot.config import Config
from bot.constants import MAX_BODY_BYTES
from bot.hooks.base import HookSource
from bot.hooks.jira import JiraHooks
from bot.hooks.teambition import TeambitionHooks
from bot.hooks.zentao import ZentaoHooks
from bot.inbox import Inbox
from bot.refusals import Refused

SOURCES: dict[str, Callable[[Config], HookSource]] = {
    "jira": JiraHooks,
    "zentao": ZentaoHooks,
    "teambition": TeambitionHooks,
}


def add_routes(app: web.Application, inbox: Callable[[web.Request], Inbox], config: Config, clock: Clock) -> None:
    sources = {name: build(config) for name, build in SOURCES.items()}
    if config.sources:  # their mapping rules (jinja2) are loaded only where the configuration has sources
        from bot.hooks.sources import ConfiguredSource

        sources |= {source.name: ConfiguredSource(source) for source in config.sources}
    sources = {name: source for name, source in sources.items() if source.enabled()}

    async def receive(request: web.Request) -> web.Response:
        source = sources.get(request.match_info["name"])
        if source is None:
            return web.json_response({"error": "no such hook"}, status=404)
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": f"body larger than {MAX_BODY_BYTES} bytes"}, status=413)
        raw = await request.read()
        try:
            event = await source.event(request, raw, request.match_info.get("token"), now=clock.now())
        except Refused as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)
        if event is None:
            return web.json_response({"ok": True, "ignored": True})
        accepted = await inbox(request).accept(event)
        if accepted.duplicate and event.kind == "hook" and await inbox(request).requeue_failed(event):
            # The same key as a delivery that was rejected: the sender fixed it and sent it again.
            return web.json_response({"ok": True, "duplicate": False, "requeued": True})
        return web.json_response({"ok": True, "duplicate": accepted.duplicate})

    app.router.add_post("/hooks/{name}", receive)
    app.router.add_post("/hooks/{name}/{token}", receive)
