"""Where replies go: answers back to the conversation an event came from, in the asker's language; the rest to
each recipient's accounts, a project's channels, a named channel, or the source system that sent a hook."""

from __future__ import annotations

from dataclasses import asdict, replace

from bot.constants import CALLBACK_PLATFORM
from bot.pms.registry import DISPLAY
from bot.records import InboundEvent, Person, Reply
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import Envelope


def error(code: str, params: dict[str, str]) -> Reply:
    return Reply(kind="error", data={"code": code, "params": params})


def answer(event: InboundEvent, locale: str, reply: Reply) -> Envelope:
    """A reply in the conversation the event came from."""
    return Envelope(platform=event.platform, target=event.conversation, kind=reply.kind, locale=locale,
                    data=reply.data, actions=[asdict(a) for a in reply.actions], card_ref=reply.card_ref,
                    update=reply.update, origin=event.origin)


class Addressing:
    def __init__(self, *, platforms: tuple[str, ...], default_locale: str) -> None:
        self.platforms = platforms
        self.default_locale = default_locale

    async def envelopes(self, ws: SqlWorkspace, event: InboundEvent, locale: str, replies: list[Reply]
                        ) -> list[Envelope]:
        """Answers go back where the event came from, in `locale`; the rest to each recipient's channels."""
        envelopes: list[Envelope] = []
        for reply in replies:
            if reply.to_source is not None:
                envelopes.append(Envelope(platform=CALLBACK_PLATFORM, target=reply.to_source, kind=reply.kind,
                                          locale="en", data=reply.data, actions=[], card_ref=reply.card_ref))
            elif reply.to_channel is not None:
                if reply.to_channel[0] in self.platforms:
                    envelopes += await self._to_channels(ws, [reply.to_channel], reply)
            elif reply.to_project is not None:
                envelopes += await self._to_channels(ws, [
                    (platform, channel) for platform, channel in await ws.project_channels(reply.to_project)
                    if platform in self.platforms and (platform, channel) != (event.platform, event.conversation)],
                    reply)
            elif reply.to_person is None:
                envelopes.append(answer(event, locale, reply))
            else:
                envelopes += await self._to_person(ws, reply.to_person, reply)
        return envelopes

    async def _to_channels(self, ws: SqlWorkspace, chats: list[tuple[str, str]], reply: Reply) -> list[Envelope]:
        """A notice to chats, each in its own language (bot/store/subscriptions.py chat_locales)."""
        locales = await ws.chat_locales(chats, self.default_locale)
        return [Envelope(platform=platform, target=channel, kind=reply.kind, locale=locales[(platform, channel)],
                         data=reply.data, actions=[]) for platform, channel in chats]

    async def _to_person(self, ws: SqlWorkspace, person_id: str, reply: Reply) -> list[Envelope]:
        recipient = await ws.person(person_id)
        if recipient is None:
            return []
        targets = [t for t in await ws.targets(recipient, self.platforms) if t not in reply.not_via]
        return [Envelope(platform=platform, target=target, kind=reply.kind, locale=recipient.locale, data=reply.data,
                         actions=[asdict(a) for a in reply.actions], card_ref=reply.card_ref, update=reply.update)
                for platform, target in targets or [("console", recipient.id)]]


def with_field_notice(event: InboundEvent, person: Person, replies: list[Reply]) -> list[Reply]:
    """A report from the field page is told in the project's chat too (with the photo's link)."""
    if event.origin.get("via") != "field":
        return replies
    # The page is no chat: answers go to the person's own conversations (the page shows them as well).
    replies = [replace(r, to_person=person.id) if r.to_person is None and r.to_project is None
               and r.to_channel is None and r.to_source is None else r for r in replies]
    if not replies or "task" not in replies[0].data:
        return replies
    task = replies[0].data["task"]
    return [*replies, Reply(kind="field_reported", to_project=str(task["key"]).rpartition("-")[0], data={
        "task": task, "by": person.name, "note": event.action.get("note", ""), "photo": event.action.get("photo"),
        "hours": event.action.get("hours"), "blocked": event.action.get("blocked") == "1"})]


def with_bot_note(replies: list[Reply], connector: str | None) -> list[Reply]:
    """Answers to the asker say the write went as the bot account (`connector`: the PMS with per-person writes
    the person has not linked); the templates of writing replies show it (templates/console/*/_as_bot.j2)."""
    if connector is None:
        return replies
    note = {"connector": connector, "pms": DISPLAY.get(connector, connector)}
    return [replace(r, data={**r.data, "as_bot": note}) if r.to_person is None and r.to_project is None
            and r.to_channel is None and r.to_source is None else r for r in replies]
