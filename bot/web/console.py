"""The web chat console: pick a person, type, see replies, click buttons. Same pipeline as every platform."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.clocks import Clock
from bot.constants import ANSWER_IN_PLACE_BUDGET_S
from bot.records import InboundEvent
from bot.store import console as feed
from bot.store.db import Database
from bot.web.console_events import PERSON_ID_RE, BadEvent, action_event, message_event
from bot.web.pages import Accept, Settle, Templates

_ID_RE = re.compile(r"[0-9]{1,9}")  # ASCII digits (isdigit() accepts "²") that fit a 32-bit id column


@dataclass(frozen=True, kw_only=True)
class ConsoleDeps:
    db: Database
    clock: Clock
    templates: Templates
    default_locale: str
    accept: Accept
    settle: Settle


def add_routes(app: web.Application, deps: ConsoleDeps) -> None:
    async def page(request: web.Request) -> web.Response:
        people = await _people(deps)
        html = deps.templates.env.get_template("web/console.html.j2").render(
            people=people, t=deps.templates.catalogs,
            default_locale=deps.default_locale, locale=deps.default_locale,
        )
        return web.Response(text=html, content_type="text/html")

    async def people(request: web.Request) -> web.Response:
        return web.json_response({"people": await _people(deps)})

    async def _accept(request: web.Request, event: InboundEvent) -> web.Response:
        if not await feed.person_exists(deps.db, event.sender):
            return web.json_response({"error": f"unknown person '{event.sender}'"}, status=404)
        # The echo goes in before the event so that it sorts before the replies; a resubmission removes its own.
        echo = (await feed.append(deps.db, person_id=event.sender, direction="in", body={"text": event.text[:4000]},
                                  now=deps.clock.now())
                if event.kind == "message" else None)
        accepted = await deps.accept(event)
        if accepted.duplicate and echo is not None:
            await feed.remove(deps.db, echo)
        # Answer in place when the work is quick; otherwise the page picks replies up from the feed.
        if accepted.inbox_id is not None:
            await deps.settle(accepted.inbox_id, ANSWER_IN_PLACE_BUDGET_S, delivered=True)
        return web.json_response({"accepted": True, "duplicate": accepted.duplicate, "inbox_id": accepted.inbox_id},
                                 status=202)

    def intake(to_event: Callable[..., InboundEvent]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            try:
                event = to_event(await request.json(), received_at=deps.clock.now())
            except BadEvent as exc:
                return web.json_response({"error": str(exc)}, status=400)
            return await _accept(request, event)

        return handler

    async def get_feed(request: web.Request) -> web.Response:
        person = request.query.get("person", "")
        after = request.query.get("after", "0")
        if not PERSON_ID_RE.fullmatch(person):
            return web.json_response({"error": "'person' is not a person id"}, status=400)
        if not _ID_RE.fullmatch(after):
            return web.json_response({"error": "'after' must be a message id"}, status=400)
        return web.json_response({"messages": await feed.feed(deps.db, person, after_id=int(after))})

    async def get_message(request: web.Request) -> web.Response:
        msg_id = request.match_info["id"]
        if not _ID_RE.fullmatch(msg_id):
            return web.json_response({"error": "not a message id"}, status=400)
        msg = await feed.get(deps.db, int(msg_id))
        if msg is None:
            return web.json_response({"error": "no such message"}, status=404)
        return web.json_response(msg)

    app.router.add_get("/console", page)
    app.router.add_get("/console/api/people", people)
    app.router.add_post("/console/api/messages", intake(message_event))
    app.router.add_post("/console/api/actions", intake(action_event))
    app.router.add_get("/console/api/feed", get_feed)
    app.router.add_get("/console/api/messages/{id}", get_message)


async def _people(deps: ConsoleDeps) -> list[dict[str, Any]]:
    return [{"id": p.id, "name": p.name, "locale": p.locale or deps.default_locale, "roles": p.roles}
            for p in await feed.people(deps.db)]
