"""Requests linked to the platform's approval engine (DingTalk OA, Feishu Approval), on the clock's tick:

- an engine record in state "new" becomes an instance there (the call is made outside any transaction; the
  instance id is then stored only if the record is still "new", so two clocks do not both keep one). A refusal
  marks it "failed" and the requester is told: the request stays with our own chain, never lost. An outage leaves
  it "new" for the next tick, until it has lasted ENGINE_CREATE_GIVE_UP_S: then it fails as a refusal does;
- before an approval definition's first instance in this process, the engine is asked to push its results
  (Feishu sends events only for definitions an app subscribed to); a failure there is logged once and does not stop
  the create: the poll below follows the instance;
- a "running" instance with no result for ENGINE_POLL_AFTER_S is asked for its status (the fallback for an event
  that never came).
The final result, from an event (bot/dispatch/engine_events.py) or a poll, decides the request once
(`decide_by_engine` is conditional on pending and on the instance): cards, the requester, the project and the
asking system's callback hear of it as of a decision in chat.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from bot.config import Config
from bot.constants import CALLBACK_PLATFORM, ENGINE_CREATE_GIVE_UP_S, ENGINE_POLL_AFTER_S
from bot.jobs.base import Mail, Steady
from bot.records import Approval
from bot.store.db import Database, StoreSession
from bot.store.workspace import SqlWorkspace
from commands.views import approval_buttons, approval_people, approval_view, card_holders
from notifiers.base import PermanentSendError, TransientSendError
from notifiers.outbox import ClaimedMessage, Envelope

log = logging.getLogger("pmsbot.engines")
Status = Literal["running", "approved", "rejected"]


class Engine(Protocol):
    kind: str

    async def create(self, *, code: str, originator: str, form_field: str, text: str) -> str: ...

    async def status(self, instance: str) -> Status: ...

    async def subscribe(self, code: str) -> None: ...


class EngineLinks(Steady):
    def __init__(self, db: Database, mail: Mail, config: Config, engines: dict[str, Engine]) -> None:
        self.db = db
        self.mail = mail
        self.config = config
        self.engines = engines
        self._subscribed: set[tuple[str, str]] = set()  # (kind, code): its results are pushed to us
        self._subscribe_warned: set[tuple[str, str]] = set()

    def _ws(self, s: StoreSession) -> SqlWorkspace:
        return SqlWorkspace(s, default_locale=self.config.locale)

    async def run(self, at: datetime, *, catching_up: bool) -> int:
        now = at.astimezone(UTC)
        async with self.db.read() as s:
            linked = await self._ws(s).pending_with_engine()
        done = 0
        for approval in linked:
            engine = approval.engine or {}
            if engine.get("state") == "new":
                done += await self._create(approval, engine, now)
            elif engine.get("state") == "running" and engine.get("kind") in self.engines and now - datetime.fromisoformat(
                    str(engine.get("polled_at") or engine.get("since"))) >= timedelta(seconds=ENGINE_POLL_AFTER_S):
                done += await self._poll(approval, engine, now)
        return done

    async def _create(self, approval: Approval, engine: dict[str, object], now: datetime) -> int:
        client = self.engines.get(str(engine.get("kind")))
        async with self.db.read() as s:
            ws = self._ws(s)
            requester = await ws.person(approval.requester)
            accounts = [t for p, t in await ws.targets(requester, (platform_of(str(engine["kind"])),)) if p != "console"] \
                if requester else []
        try:
            if client is None:
                raise PermanentSendError(f"{engine.get('kind')} is not set up (its platform is off)")
            if not accounts:
                raise PermanentSendError(f"{approval.requester} has no {platform_of(str(engine['kind']))} account")
            text = f"#{approval.id} {approval.subject}" + (
                f" ({approval.amount} {approval.currency or ''})".rstrip() if approval.amount is not None else "")
            await self._subscribe(client, str(engine["code"]))
            instance = await client.create(code=str(engine["code"]), originator=accounts[0],
                                           form_field=str(engine.get("form_field") or ""), text=text)
        except TransientSendError as exc:
            return await self._not_yet(approval, engine, str(exc), now)
        except PermanentSendError as exc:
            return await self._failed(approval, engine, str(exc), now)
        linked = {k: v for k, v in engine.items() if k != "failing_since"} | {
            "state": "running", "instance": instance, "since": now.isoformat()}
        async with self.db.write() as s:
            updated = await self._ws(s).set_engine(approval.id, linked, was="new")
        if updated is None:
            log.warning("approval %s moved on while its %s instance %s was created", approval.id, engine["kind"],
                        instance)
            return 0
        await self.cards(updated)
        return 1

    async def _subscribe(self, client: Engine, code: str) -> None:
        """Once per definition and process (Feishu needs it once per app: again is harmless); a failure is tried
        again with the next create, and logged the first time only."""
        key = (client.kind, code)
        if key in self._subscribed:
            return
        try:
            await client.subscribe(code)
        except (TransientSendError, PermanentSendError) as exc:
            if key not in self._subscribe_warned:
                self._subscribe_warned.add(key)
                log.warning("%s %s: results are not pushed (the clock polls them instead): %s", client.kind, code,
                            exc)
            return
        self._subscribed.add(key)

    async def _not_yet(self, approval: Approval, engine: dict[str, object], error: str, now: datetime) -> int:
        """A temporary failure: tried again next tick, until the first one is ENGINE_CREATE_GIVE_UP_S old."""
        since = engine.get("failing_since")
        if isinstance(since, str) and now - datetime.fromisoformat(since) >= timedelta(
                seconds=ENGINE_CREATE_GIVE_UP_S):
            return await self._failed(approval, engine, f"still failing after {ENGINE_CREATE_GIVE_UP_S / 60:.0f} "
                                                        f"min: {error}", now)
        log.warning("approval %s: %s instance not created yet: %s", approval.id, engine.get("kind"), error)
        if not isinstance(since, str):
            async with self.db.write() as s:
                await self._ws(s).set_engine(approval.id, {**engine, "failing_since": now.isoformat()}, was="new")
        return 0

    async def _failed(self, approval: Approval, engine: dict[str, object], error: str, now: datetime) -> int:
        log.warning("approval %s: %s instance not made, given up: %s", approval.id, engine.get("kind"), error)
        claimed: list[ClaimedMessage] = []
        async with self.db.write() as s:
            ws = self._ws(s)
            failed = await ws.set_engine(approval.id, {**engine, "state": "failed", "error": error[:300],
                                                       "since": now.isoformat()}, was="new")
            requester = await ws.person(approval.requester)
            if failed is not None and requester is not None:
                view = await self._view(ws, failed)
                claimed += await self.mail.to_person(ws, s, requester, "approval_engine_failed",
                                                     {"approval": view, "error": error[:300]})
        self.mail.hand_over(claimed)
        return 1

    async def _poll(self, approval: Approval, engine: dict[str, object], now: datetime) -> int:
        try:
            status = await self.engines[str(engine["kind"])].status(str(engine["instance"]))
        except (TransientSendError, PermanentSendError) as exc:
            log.warning("approval %s: %s status not read: %s", approval.id, engine["kind"], exc)
            status = "running"
        if status != "running":
            return int(await self.result(str(engine["kind"]), str(engine["instance"]), status, now=now))
        async with self.db.write() as s:
            await self._ws(s).set_engine(approval.id, {**engine, "polled_at": now.isoformat()}, was="running")
        return 0

    async def result(self, kind: str, instance: str, status: Status, *, now: datetime, url: str | None = None
                     ) -> bool:
        """The engine's final result for `instance`: decides its request once; False when it changed nothing
        (no such pending request, already decided, still running)."""
        if status == "running":
            return False
        claimed: list[ClaimedMessage] = []
        async with self.db.write() as s:
            ws = self._ws(s)
            approval = await ws.approval_of_instance(kind, instance)
            if approval is None:
                return False
            before = tuple(dict.fromkeys((*approval.approvers, *card_holders(approval))))
            decided = await ws.decide_by_engine(approval.id, instance=instance, state=status, comment="", now=now,
                                                url=url)
            if decided is None:
                return False
            view = await self._view(ws, decided)
            people = await ws.people([*before, decided.requester])
            for person_id in before:
                if person_id in people:
                    claimed += await self.mail.to_person(ws, s, people[person_id], "approval_card", {"approval": view},
                                                         card_ref=f"approval:{decided.id}", update=True)
            if decided.requester in people:
                claimed += await self.mail.to_person(ws, s, people[decided.requester], "approval_result",
                                                     {"approval": view})
            if decided.origin.startswith("source:"):  # the asking system hears it once, as of a chat decision
                claimed += await self.mail.enqueue(s, [Envelope(
                    platform=CALLBACK_PLATFORM, target=decided.origin.removeprefix("source:"), kind="approval_callback",
                    locale="en", actions=[], card_ref=f"approval:{decided.id}:{decided.state}", data={
                        "approval": view, "ref": decided.ref, "decided_by_id": decided.decided_by,
                        "decided_at_iso": decided.decided_at.isoformat() if decided.decided_at else None})])
        self.mail.hand_over(claimed)
        return True

    async def cards(self, approval: Approval) -> None:
        """The cards of those it waits for show the instance (their buttons stay: our chain still counts)."""
        claimed: list[ClaimedMessage] = []
        async with self.db.write() as s:
            ws = self._ws(s)
            view = await self._view(ws, approval)
            for person in (await ws.people(list(approval.approvers))).values():
                claimed += await self.mail.to_person(ws, s, person, "approval_card", {"approval": view},
                                                     actions=[asdict(a) for a in approval_buttons(approval.id)],
                                                     card_ref=f"approval:{approval.id}", update=True)
        self.mail.hand_over(claimed)

    async def _view(self, ws: SqlWorkspace, approval: Approval) -> dict[str, object]:
        names = {p.id: p.name for p in (await ws.people([i for i in approval_people(approval) if i])).values()}
        return approval_view(approval, names)


def platform_of(kind: str) -> str:
    return "dingtalk" if kind == "dingtalk_oa" else "feishu"
