"""The set-based statements of a wave (bot/store/dialect.py: a whole set as one parameter) keep every field, the
order, the exactly-once claims and exact role matches, on SQLite and PostgreSQL alike, with awkward text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.config import Config
from bot.store import outbox as store
from bot.store.db import Database
from bot.store.sync import apply_config
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import Envelope

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
AWKWARD = ["o'brien", 'say "hi"', "back\\slash", "王小明", "emoji 🙂", "per%cent_", "[\"json\"]", " spaced "]


async def test_messages_stored_as_one_statement_keep_every_field_and_their_order(db: Database) -> None:
    shared = {"standup": "daily", "questions": ["昨天做了什么？", 'a "quoted" one'], "n": 3, "none": None}
    envelopes = [
        Envelope(platform="slack", target=target, kind="standup_prompt", locale="zh" if i % 2 else "en",
                 data=shared, actions=[]) for i, target in enumerate(AWKWARD)]
    envelopes += [  # the same conversation again, then fields the wave does not use
        Envelope(platform="slack", target=AWKWARD[0], kind="linked", locale="en", data={"seq": 2}, actions=[]),
        Envelope(platform="feishu", target="oc_1", kind="approval", locale="zh", data={"seq": 3, "nested": {"a": [1]}},
                 actions=[{"label": "批准", "value": "ok"}], card_ref="approval:7", update=True,
                 origin={"reply_to": "m1"}),
        Envelope(platform="slack", target=AWKWARD[0], kind="linked", locale="en", data={"seq": 4}, actions=[]),
    ]
    async with db.write() as s:
        assert await store.add(s, envelopes, source_event=42, now=NOW, lease_until=NOW + timedelta(minutes=1),
                               preclaim=False) == []
    stored = await store.messages_caused_by(db, 42)
    assert [m.id for m in stored] == sorted(m.id for m in stored)
    got = [(m.platform, m.target, m.kind, m.locale, m.data, m.actions, m.card_ref, m.update, m.origin, m.attempts)
           for m in stored]
    want = [(e.platform, e.target, e.kind, e.locale, e.data, e.actions, e.card_ref, e.update, e.origin, 0)
            for e in envelopes]
    assert got == want, "every field back as given, in the order given (the delivery order of a conversation)"
    claimed = await store.claim(db, limit=100, now=NOW, lease_until=NOW + timedelta(minutes=1),
                                max_attempts=lambda _: 8)
    heads = {(m.platform, m.target): m.data for m in claimed}
    assert heads[("slack", AWKWARD[0])] == shared, "a conversation's first message is its head"
    assert len(claimed) == len(AWKWARD) + 1


async def test_claims_as_one_statement_are_each_once(db: Database) -> None:
    day = date(2026, 12, 1)
    async with db.write() as s:
        ws = SqlWorkspace(s, default_locale="en")
        assert await ws.claim_runs("standup:daily", [*AWKWARD, AWKWARD[0]], day, NOW) == set(AWKWARD)
    async with db.write() as s:
        ws = SqlWorkspace(s, default_locale="en")
        assert await ws.claim_runs("standup:daily", [*AWKWARD, "new one"], day, NOW) == {"new one"}
        assert await ws.claim_runs("standup:daily", AWKWARD[:2], day + timedelta(days=1), NOW) == set(AWKWARD[:2])
        assert await ws.claim_runs("standup:daily", [], day, NOW) == set()
    async with db.read() as s:
        assert await SqlWorkspace(s, default_locale="en").ran_for("standup:daily", day) == {*AWKWARD, "new one"}


async def test_people_and_roles_are_looked_up_exactly(db: Database) -> None:
    config = Config.model_validate({"people": [
        {"id": "ada", "name": "Ada", "roles": ["admin"], "identities": {"slack": "UADA", "feishu": "ou_ada"}},
        {"id": "bo", "name": "Bo", "roles": ["pm", "admin"], "locale": "zh"},
        {"id": "cy", "name": "Cy", "roles": ["pmo"]},
        {"id": "dee", "name": "Dee"},
    ]})
    await apply_config(db, config, now=NOW)
    async with db.read() as s:
        ws = SqlWorkspace(s, default_locale="en")
        assert [p.id for p in await ws.people_with_role("admin")] == ["ada", "bo"]
        assert [p.id for p in await ws.people_with_role("pm")] == ["bo"], "not pmo's 'pm' as a substring"
        assert await ws.people_with_role("adm") == []
        people = await ws.people(["dee", "bo", "nobody", *AWKWARD])
        assert sorted(people) == ["bo", "dee"] and people["bo"].locale == "zh" and people["bo"].roles == ("pm", "admin")
        targets = await ws.targets_of([people["bo"], people["dee"], *(await ws.people(["ada"])).values()],
                                      ("slack", "console"))
        assert targets == {"bo": [("console", "bo")], "dee": [("console", "dee")], "ada": [("slack", "UADA")]}
        assert (await ws.targets_of([people["bo"]], ("console",))) == {"bo": [("console", "bo")]}
    async with db.write() as s:
        ws = SqlWorkspace(s, default_locale="en")
        await ws.standup_entry(person_id="bo", kind="away", day_from=date(2026, 12, 1), day_to=date(2026, 12, 3),
                               text="", now=NOW)
        await ws.standup_entry(person_id="dee", kind="answer", day_from=date(2026, 12, 2), day_to=date(2026, 12, 2),
                               text="done", now=NOW)
    async with db.read() as s:
        ws = SqlWorkspace(s, default_locale="en")
        assert await ws.away_among(["ada", "bo", "dee"], date(2026, 12, 2)) == {"bo"}
        assert await ws.away_among(["ada", "dee"], date(2026, 12, 2)) == set()
        assert await ws.standup_status(["bo", "dee", "ada"], date(2026, 12, 2)) == {
            "bo": ("away", ""), "dee": ("answer", "done")}
