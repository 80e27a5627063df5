"""`link`: nobody acts in a PMS as someone else by typing a name, and a token typed in chat goes nowhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlmodel import col

from bot.runtime import Runtime
from bot.say import say
from bot.store import admin as admin_store
from bot.store import migrate
from bot.store.console import feed
from bot.store.db import Database
from bot.store.models import AuditRow, OutboxRow, PersonRow

TOKEN = "ATATT3xFfGF0T8qVxYzAbCdEf0123456789aBcDeFgH"


async def texts(rt: Runtime, person: str, words: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, words))


async def person(rt: Runtime, person_id: str) -> PersonRow:
    async with rt.db.read() as s:
        row = await s.get(PersonRow, person_id)
        assert row is not None
        return row


async def test_a_claimed_account_is_not_used_until_an_admin_confirms_it(rt_any: Runtime) -> None:
    """The attack: an outsider claimed the PMS's `admin` and the connector wrote as that account."""
    rt = rt_any
    before = (await person(rt, "erin")).pms_user
    answer = await texts(rt, "erin", "link admin")
    assert "admin" in answer and "confirm" in answer.lower()
    erin = await person(rt, "erin")
    assert erin.pms_user == before and erin.pms_user_claim == "admin" and not erin.pms_user_linked
    told = [m["text"] for m in await feed(rt.db, "alice") if "asks to be linked" in m["text"]]
    assert told and "link approve erin" in told[-1], "the admin hears of it, with the command to confirm"
    assert "Only an admin" in await texts(rt, "bob", "link approve erin") or "管理员" in await texts(
        rt, "bob", "link approve erin")
    assert (await person(rt, "erin")).pms_user == before, "a non-admin cannot confirm"
    assert [(p, c) for p, c, _ in await admin_store.link_claims(rt.db)] == [("erin", "admin")]
    assert "refused" in (await texts(rt, "alice", "link deny erin")).lower()
    erin = await person(rt, "erin")
    assert erin.pms_user == before and erin.pms_user_claim is None
    assert "not confirm" in "\n".join(m["text"] for m in await feed(rt.db, "erin"))


async def test_an_admin_confirms_a_claim_and_cannot_confirm_their_own(rt: Runtime) -> None:
    await texts(rt, "bob", "link bob.w")
    assert "bob.w" in await texts(rt, "alice", "link approve bob")
    bob = await person(rt, "bob")
    assert (bob.pms_user, bob.pms_user_claim, bob.pms_user_linked) == ("bob.w", None, True)
    assert any("bob.w" in m["text"] for m in await feed(rt.db, "bob") if "linked" in m["text"].lower()
               or "绑定" in m["text"])
    await texts(rt, "alice", "link root")
    own = await texts(rt, "alice", "link approve alice")
    assert "another admin" in own or "另一位管理员" in own
    assert (await person(rt, "alice")).pms_user_claim == "root"
    async with rt.db.read() as s:
        actions = [a for a, in (await s.execute(select(col(AuditRow.action)).where(
            col(AuditRow.action).startswith("person.link")))).all()]
    assert actions.count("person.link_claim") == 2 and actions.count("person.link") == 1


async def test_the_persons_own_configured_email_is_proof_enough(rt: Runtime) -> None:
    async with rt.db.write() as s:
        await s.execute(update(PersonRow).where(col(PersonRow.id) == "bob").values(email="Bob.Wang@example.com"))
    await texts(rt, "bob", "link bob.wang@example.com")
    bob = await person(rt, "bob")
    assert (bob.pms_user, bob.pms_user_claim) == ("bob.wang@example.com", None)


async def test_a_token_typed_in_chat_is_not_kept_echoed_or_audited(rt: Runtime) -> None:
    before = await person(rt, "bob")
    answer = await texts(rt, "bob", f"link jira {TOKEN}")
    assert TOKEN not in answer and ("revoke" in answer or "撤销" in answer)
    bob = await person(rt, "bob")
    assert (bob.pms_user, bob.pms_user_claim) == (before.pms_user, before.pms_user_claim)
    async with rt.db.read() as s:
        audit_rows = " ".join(str(r.detail) for r in (await s.execute(select(AuditRow))).scalars())
        outgoing = " ".join(str(r.payload) for r in (await s.execute(select(OutboxRow))).scalars())
    assert TOKEN not in audit_rows and "[redacted]" in audit_rows
    assert TOKEN not in outgoing


async def test_links_made_before_proof_was_asked_become_claims(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await migrate.upgrade(db, "0013")
        async with db.write() as s:
            await s.execute(text("INSERT INTO person (id, name, roles, pms_user, pms_user_linked) "
                                 "VALUES ('erin', 'Erin', '[]', 'admin', 1), ('bob', 'Bob', '[]', 'bob', 0)"))
        await migrate.upgrade(db)
        with sqlite3.connect(make_url(db.url).database or "") as conn:
            rows = conn.execute("SELECT id, pms_user, pms_user_claim, pms_user_linked FROM person ORDER BY id").fetchall()
        assert rows == [("bob", "bob", None, 0), ("erin", None, "admin", 0)]
        assert [(p, c) for p, c, _ in await admin_store.link_claims(db)] == [("erin", "admin")]
    finally:
        await db.dispose()
