"""The web chat console: pick a person, type, see replies, click buttons. Same pipeline as every platform."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlmodel import col

from bot.constants import ANSWER_IN_PLACE_BUDGET_S
from bot.platforms.answers import settled
from bot.platforms.console import PERSON_ID_RE, BadEvent, action_event, message_event
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.store import console as feed
from bot.store.models import PersonRow

_ID_RE = re.compile(r"[0-9]{1,9}")  # ASCII digits (isdigit() accepts "²") that fit a 32-bit id column


def add_routes(app: web.Application, key: web.AppKey[Runtime]) -> None:
    async def page(request: web.Request) -> web.Response:
        rt = request.app[key]
        people = await _people(rt)
        html = rt.renderer.env.get_template("web/console.html.j2").render(
            people=people, t=rt.renderer.catalogs,
            default_locale=rt.config.locale, locale=rt.config.locale,
        )
        return web.Response(text=html, content_type="text/html")

    async def people(request: web.Request) -> web.Response:
        return web.json_response({"people": await _people(request.app[key])})

    async def _accept(request: web.Request, event: InboundEvent) -> web.Response:
        rt = request.app[key]
        async with rt.db.read() as s:
            if await s.get(PersonRow, event.sender) is None:
                return web.json_response({"error": f"unknown person '{event.sender}'"}, status=404)
        # The echo goes in before the event so that it sorts before the replies; a resubmission removes its own.
        echo = (await feed.append(rt.db, person_id=event.sender, direction="in", body={"text": event.text[:4000]},
                                  now=rt.clock.now())
                if event.kind == "message" else None)
        accepted = await rt.inbox.accept(event)
        if accepted.duplicate and echo is not None:
            await feed.remove(rt.db, echo)
        # Answer in place when the work is quick; otherwise the page picks replies up from the feed.
        if accepted.inbox_id is not None:
            await settled(rt, accepted.inbox_id, ANSWER_IN_PLACE_BUDGET_S, delivered=True)
        return web.json_response({"accepted": True, "duplicate": accepted.duplicate, "inbox_id": accepted.inbox_id},
                                 status=202)

    def intake(to_event: Callable[..., InboundEvent]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            try:
                event = to_event(await request.json(), received_at=request.app[key].clock.now())
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
        return web.json_response({"messages": await feed.feed(request.app[key].db, person, after_id=int(after))})

    async def get_message(request: web.Request) -> web.Response:
        msg_id = request.match_info["id"]
        if not _ID_RE.fullmatch(msg_id):
            return web.json_response({"error": "not a message id"}, status=400)
        msg = await feed.get(request.app[key].db, int(msg_id))
        if msg is None:
            return web.json_response({"error": "no such message"}, status=404)
        return web.json_response(msg)

    app.router.add_get("/console", page)
    app.router.add_get("/console/api/people", people)
    app.router.add_post("/console/api/messages", intake(message_event))
    app.router.add_post("/console/api/actions", intake(action_event))
    app.router.add_get("/console/api/feed", get_feed)
    app.router.add_get("/console/api/messages/{id}", get_message)


async def _people(rt: Runtime) -> list[dict[str, Any]]:
    async with rt.db.read() as s:
        rows = (await s.execute(select(PersonRow).order_by(col(PersonRow.id)))).scalars().all()
        return [{"id": r.id, "name": r.name, "locale": r.locale or rt.config.locale, "roles": r.roles} for r in rows]
