"""The field report page `/r/{token}`: a phone in a pump station reports on one task.

The link (and its QR code, for a printed work order) is signed, names the task and the person it acts for, and
expires. The page shows the task and a form: percent, hours, note, photo, blocker. A submission goes through
the same pipeline as a chat command (inbox, the person's permissions, audit, the PMS write), answers on the
page and in the project's chat. Each rendered form can be submitted once (its nonce is the event id), which is
also what stops a cross-site form: only a page we rendered carries a valid one.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from bot.clocks import Clock
from bot.constants import ANSWER_IN_PLACE_BUDGET_S, MAX_NOTE_CHARS
from bot.pms.base import PMSDown, PMSError
from bot.records import InboundEvent
from bot.signing import BadToken
from bot.store import task_files
from bot.store import web as store
from bot.store.db import Database
from bot.store.workspace import SqlWorkspace
from bot.web.links import FIELD
from bot.web.pages import WEB, Accept, Connectors, Settle, Web
from commands.views import task_view

MAX_PHOTO_BYTES = 5 * 1024 * 1024
FORM_FIELDS = ("form", "percent", "hours", "note", "blocked")
MAX_FIELD_CHARS = 2000
FORM_TTL_S = 24 * 3600
FORM = "field form"
PHOTO = "field photo"
FILE = "task file"
PHOTO_LINK_TTL_S = 30 * 24 * 3600
IMAGE_TYPES = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/webp": (b"RIFF",)}


class Message(Protocol):
    """An outgoing message as queued (notifiers' Envelope): what it is and its data."""

    @property
    def kind(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...


class CausedBy(Protocol):
    """The messages an inbound event caused (all, or one target's worth): the outbox's envelopes_caused_by."""

    async def __call__(self, inbox_id: int, *, to_target_of: str | None = None) -> Sequence[Message]: ...


@dataclass(frozen=True, kw_only=True)
class FieldDeps:
    db: Database
    clock: Clock
    default_locale: str
    connectors: Connectors
    accept: Accept
    received: Callable[[str, str], Awaitable[int | None]]  # the inbox id of a (platform, event id) received
    caused_by: CausedBy
    settle: Settle


class _Stop(Exception):
    """Answer with this page now (an expired or altered link)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def image_type(data: bytes, declared: str) -> str | None:
    """The image's type when its bytes are what it claims (JPEG, PNG, WebP), else None."""
    kind = declared.split(";")[0].strip().lower()
    magic = IMAGE_TYPES.get(kind)
    if magic is None or not data.startswith(magic) or (kind == "image/webp" and data[8:12] != b"WEBP"):
        return None
    return kind


def file_link(web_: Web, file_id: int) -> str:
    return web_.url(f"/files/{web_.signer(FILE).make({'i': file_id}, ttl_s=PHOTO_LINK_TTL_S)}")


def photo_link(web_: Web, photo_id: int) -> str:
    return web_.url(f"/photos/{web_.signer(PHOTO).make({'i': photo_id}, ttl_s=PHOTO_LINK_TTL_S)}")


async def _read_form(request: web.Request) -> tuple[dict[str, str], tuple[bytes, str] | None]:
    """Fields and the photo of a multipart (or urlencoded) form, with limits as it streams in."""
    if (request.content_length or 0) > MAX_PHOTO_BYTES + 64 * 1024:
        raise Refusal(413, "photo_too_big")
    fields: dict[str, str] = {}
    photo: tuple[bytes, str] | None = None
    if request.content_type != "multipart/form-data":
        form = await request.post()
        return {k: str(v)[:MAX_FIELD_CHARS] for k, v in form.items() if isinstance(v, str) and k in FORM_FIELDS}, None
    reader = await request.multipart()
    total = parts = 0
    # Limits as the body streams in (a chunked body has no Content-Length): the whole, the parts, each part.
    while (part := await reader.next()) is not None:
        parts += 1
        if parts > len(FORM_FIELDS) + 1 or not isinstance(part, BodyPartReader):
            raise Refusal(400, "bad_form")
        name = part.name or ""
        if (name not in FORM_FIELDS and name != "photo") or (name == "photo" and photo is not None):
            raise Refusal(400, "bad_form")
        data = bytearray()
        limit = MAX_PHOTO_BYTES if name == "photo" else MAX_FIELD_CHARS * 4
        while chunk := await part.read_chunk(64 * 1024):
            data += chunk
            total += len(chunk)
            if len(data) > limit or total > MAX_PHOTO_BYTES + 64 * 1024:
                raise Refusal(413, "photo_too_big" if name == "photo" else "bad_form")
        if name == "photo":
            if data:
                photo = (bytes(data), part.headers.get("Content-Type", ""))
        else:
            try:
                fields[name] = data.decode("utf-8")[:MAX_FIELD_CHARS]
            except UnicodeDecodeError:
                raise Refusal(400, "bad_form") from None
    return fields, photo


def add_routes(app: web.Application, deps: FieldDeps) -> None:
    async def open_link(request: web.Request) -> tuple[Web, str, dict[str, Any]]:
        web_ = request.app[WEB]
        locale = web_.locale(request)
        try:
            data = web_.signer(FIELD).read(request.match_info["token"])
        except BadToken as exc:
            raise _Stop(web_.error(locale=locale, status=403, message=web_.texts(locale)["web"][
                "expired" if exc.expired else "altered"])) from None
        return web_, locale, data

    async def context(web_: Web, data: dict[str, Any]) -> dict[str, Any]:
        """The task as its PMS holds it, and who the link acts for; None values when gone."""
        async with deps.db.read() as s:
            ws = SqlWorkspace(s, default_locale=deps.default_locale)
            person = await ws.person(str(data.get("p", "")))
            key = str(data.get("t", ""))
            project = await ws.project(key.rpartition("-")[0])
            task = await deps.connectors(s)(project).get_task(key) if project else None
            names = {p.id: p.name for p in (await ws.people([task.assignee])).values()} if task and task.assignee \
                else {}
        photos = await store.photos_of(deps.db, key)
        files = [{"url": file_link(web_, f.id), "name": f.name, "kb": max(1, round(f.size_bytes / 1024)),
                  "image": f.content_type.startswith("image/")} for f in await task_files.files_of(deps.db, key)]
        return {"person": person, "task": task_view(task, names) if task else None, "key": key,
                "photos": [photo_link(web_, pid) for pid, _, _ in photos], "files": files}

    def form_token(web_: Web, token: str) -> str:
        return web_.signer(FORM).make({"l": hashlib.sha256(token.encode()).hexdigest()[:24]}, ttl_s=FORM_TTL_S)

    async def page(request: web.Request) -> web.Response:
        try:
            web_, locale, data = await open_link(request)
        except _Stop as stop:
            return stop.response
        try:
            ctx = await context(web_, data)
        except (PMSDown, PMSError):
            return web_.error(locale=locale, status=503, message=web_.texts(locale)["field"]["pms_down"])
        if ctx["person"] is None or ctx["task"] is None:
            return web_.error(locale=locale, status=404, message=web_.texts(locale)["field"]["gone"])
        return web_.page("field.html.j2", locale=locale, form=form_token(web_, request.match_info["token"]),
                         answers=[], pending=False, qr=f"/r/{request.match_info['token']}/qr.svg", **ctx)

    async def submit(request: web.Request) -> web.Response:
        try:
            web_, locale, data = await open_link(request)
        except _Stop as stop:
            return stop.response
        texts = web_.texts(locale)["field"]
        token = request.match_info["token"]

        async def form_again(status: int, *, error: str | None = None, notice: str | None = None) -> web.Response:
            """The field page again with what went wrong (or that it was sent already) above a fresh form: the
            person corrects it in place, and a reload of a sent form shows the page rather than a dead end."""
            try:
                ctx = await context(web_, data)
            except (PMSDown, PMSError):
                ctx = {"person": None, "task": None}
            if ctx["person"] is None or ctx["task"] is None:
                return web_.error(locale=locale, status=status, message=error or notice or texts["gone"])
            return web_.page("field.html.j2", locale=locale, status=status, form=form_token(web_, token),
                             answers=[], pending=False, error=error, notice=notice, qr=f"/r/{token}/qr.svg", **ctx)

        try:
            fields, photo = await _read_form(request)
            nonce = check_form(web_, token, fields.get("form", ""))
            action = build_action(fields, key=str(data.get("t", "")))
        except Refusal as exc:
            if exc.status == 403:  # not our form (cross-site, forged, expired): no page to go on from
                return web_.error(locale=locale, status=exc.status, message=texts[str(exc)])
            return await form_again(exc.status, error=texts[str(exc)])
        except ValueError:  # a malformed multipart body (no boundary, cut short)
            return await form_again(400, error=texts["bad_form"])
        person = str(data.get("p", ""))
        if await deps.received("console", f"field:{nonce}") is not None:  # sent before: keep no second photo
            return await form_again(200, notice=texts["already_sent"])
        if photo is not None:
            kind = image_type(*photo)
            if kind is None:
                return await form_again(415, error=texts["not_image"])
            photo_id = await store.add_photo(deps.db, task_key=action["task"], person_id=person, content_type=kind,
                                             data=photo[0], now=deps.clock.now())
            action["photo"] = photo_link(web_, photo_id)
        if len(action) <= 2 and "photo" not in action:  # only the task and the verb: nothing was filled in
            return await form_again(400, error=texts["nothing"])
        event = InboundEvent(platform="console", event_id=f"field:{nonce}", kind="action", sender=person,
                             conversation=person, action=action, origin={"via": "field"},
                             received_at=deps.clock.now())
        accepted = await deps.accept(event)
        if accepted.duplicate or accepted.inbox_id is None:
            return await form_again(200, notice=texts["already_sent"])
        done = await deps.settle(accepted.inbox_id, ANSWER_IN_PLACE_BUDGET_S, delivered=False)
        # The answers went to the person's own chats; the page shows them too, in the page's language.
        answers = list(dict.fromkeys(
            web_.templates.render(platform="console", locale=locale, kind=env.kind, data=env.data, actions=[]).text
            for env in await deps.caused_by(accepted.inbox_id, to_target_of=person)))
        try:
            ctx = await context(web_, data)
        except (PMSDown, PMSError):
            ctx = {"person": None, "task": None, "key": action["task"], "photos": [], "files": []}
        return web_.page("field.html.j2", locale=locale, form=form_token(web_, token), answers=answers,
                         pending=not done and not answers, qr=f"/r/{token}/qr.svg", **ctx)

    async def qr(request: web.Request) -> web.Response:
        try:
            web_, _, _ = await open_link(request)
        except _Stop as stop:
            return stop.response
        import segno  # a QR code is asked for rarely: its 1.5 MB stay out of an idle web process (issue 21)

        out = io.BytesIO()
        code = segno.make(web_.url(f"/r/{request.match_info['token']}") or request.url.path, error="m")
        headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                   "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
        if request.match_info["fmt"] == "svg":
            code.save(out, kind="svg", scale=6, border=2, title="pmsbot")
            return web.Response(body=out.getvalue(), content_type="image/svg+xml", headers=headers)
        code.save(out, kind="png", scale=8, border=2)
        return web.Response(body=out.getvalue(), content_type="image/png", headers=headers)

    async def show_photo(request: web.Request) -> web.Response:
        web_ = request.app[WEB]
        try:
            data = web_.signer(PHOTO).read(request.match_info["token"])
            row = await store.photo(deps.db, int(data.get("i", 0)))
        except (BadToken, ValueError, TypeError):
            row = None
        if row is None:
            return web_.error(locale=web_.locale(request), status=404, message="404")
        return web.Response(body=row.data, content_type=row.content_type, headers={
            "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'"})

    app.router.add_get("/r/{token}", page)
    app.router.add_post("/r/{token}", submit)
    app.router.add_get(r"/r/{token}/qr.{fmt:svg|png}", qr)
    async def show_file(request: web.Request) -> web.Response:
        """A file attached to a task (sent in chat with a report), by its signed link: pictures shown, the rest
        (PDF) downloaded, never rendered as anything but what its bytes were checked to be."""
        web_ = request.app[WEB]
        try:
            found = await task_files.file_with_data(deps.db, int(web_.signer(FILE).read(request.match_info["token"])
                                                                   .get("i", 0)))
        except (BadToken, ValueError, TypeError):
            found = None
        if found is None:
            return web_.error(locale=web_.locale(request), status=404, message="404")
        meta, data = found
        disposition = "inline" if meta.content_type.startswith("image/") else "attachment"
        return web.Response(body=data, content_type=meta.content_type, headers={
            "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(meta.name, safe='')}"})

    app.router.add_get("/photos/{token}", show_photo)
    app.router.add_get("/files/{token}", show_file)


def check_form(web_: Web, token: str, form: str) -> str:
    """The rendered form's nonce, when the form is one we rendered for this link (and still fresh)."""
    try:
        data = web_.signer(FORM).read(form)
    except BadToken:
        raise Refusal(403, "bad_form") from None
    if data.get("l") != hashlib.sha256(token.encode()).hexdigest()[:24]:
        raise Refusal(403, "bad_form")
    return str(data["n"])


def build_action(fields: dict[str, str], *, key: str) -> dict[str, str]:
    """What the form asks for, checked: a field report (`field` action) for the dispatcher."""
    action = {"id": "field", "task": key}
    percent = fields.get("percent", "").strip()
    if percent:
        if not (percent.isascii() and percent.isdigit() and 0 <= int(percent) <= 100):
            raise Refusal(400, "bad_percent")
        action["percent"] = str(int(percent))
    hours = fields.get("hours", "").strip()
    if hours:
        try:
            value = Decimal(hours)
        except InvalidOperation:
            raise Refusal(400, "bad_hours") from None
        if not value.is_finite() or not (0 < value <= 24):
            raise Refusal(400, "bad_hours")
        action["hours"] = str(value.quantize(Decimal("0.01")).normalize())
    note = fields.get("note", "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise Refusal(400, "note_too_long")
    if note:
        action["note"] = note
    if fields.get("blocked") in ("1", "on", "true"):
        if "percent" in action or "hours" in action:  # a blocker is its own report: nothing of the rest is lost
            raise Refusal(400, "blocked_alone")
        action["blocked"] = "1"
    return action
