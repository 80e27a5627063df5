"""The storage suite: every test runs on SQLite and on the real PostgreSQL (fixture `db_url`)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel, col

from bot.clocks import FakeClock
from bot.inbox import Inbox
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.say import say
from bot.store import audit, migrate
from bot.store import db as db_module
from bot.store.audit import verify
from bot.store.db import Database
from bot.store.models import AlertRow, ApprovalRow, AuditRow, OutboxRow, ProjectRow
from bot.store.workspace import SqlWorkspace
from notifiers.outbox import Envelope, Outbox

NOW = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def event(i: int | str, *, platform: str = "console") -> InboundEvent:
    return InboundEvent(platform=platform, event_id=f"e-{i}", kind="message", sender="bob", conversation="bob",
                        text="help", received_at=NOW)


def test_the_head_read_from_the_revision_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory
    assert migrate.head_revision() == ScriptDirectory.from_config(migrate._alembic_config()).get_current_head()


def test_a_server_on_a_schema_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    """Alembic and Mako are 6 MB of every server process: loaded only when there is something to migrate."""
    import subprocess
    import sys
    code = ("import asyncio, sys\n"
            "from bot.store import migrate\n"
            "from bot.store.db import Database\n"
            "async def main(url):\n"
            "    db = Database(url)\n"
            "    await migrate.upgrade(db)\n"
            "    first = 'alembic' in sys.modules\n"
            "    await migrate.upgrade(db)\n"
            "    await db.dispose()\n"
            "    print(first, sys.modules.get('alembic') is not None)\n")
    url = f"sqlite+aiosqlite:///{tmp_path / 'head.db'}"
    first = subprocess.run([sys.executable, "-c", code + f"asyncio.run(main({url!r}))"], capture_output=True,
                           text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    assert first.stdout.split() == ["True", "True"]  # a new database: migrated with Alembic
    again = subprocess.run([sys.executable, "-c", code + f"asyncio.run(main({url!r}))"], capture_output=True,
                           text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    assert again.stdout.split() == ["False", "False"]  # at head: one query, no Alembic


async def test_migrations_match_the_models(db: Database) -> None:
    assert await migrate.current_revision(db) == migrate.head_revision()

    def diff(connection: object) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))  # type: ignore[arg-type]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    await migrate.upgrade(db)  # a second upgrade is a no-op
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    if not db.is_sqlite:
        return
    async with db.read() as s:
        assert (await s.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"


async def test_inbox_dedupes_by_platform_and_event_id(db: Database) -> None:
    inbox = Inbox(db, clock=FakeClock(NOW))
    try:
        a = await inbox.accept(event(1))
        b = await inbox.accept(event(1))
        c = await inbox.accept(event(1, platform="slack"))
        assert not a.duplicate and b.duplicate and not c.duplicate
        assert await inbox.pending_count() == 2
    finally:
        await inbox.close()


async def test_inbox_group_commits_concurrent_events(db: Database) -> None:
    inbox = Inbox(db, clock=FakeClock(NOW))
    try:
        results = await asyncio.gather(*(inbox.accept(event(i)) for i in range(200)))
        assert all(not r.duplicate for r in results)
        assert len({r.inbox_id for r in results}) == 200
        assert inbox.commits < 20, f"200 concurrent events took {inbox.commits} transactions"
        assert await inbox.pending_count() == 200
    finally:
        await inbox.close()


async def test_sqlite_log_stays_bounded_under_steady_writes(sqlite_db: Database, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Under steady writes a passive checkpoint never reaches the end of the log, which then never starts over:
    the restart past a threshold keeps the log file (and the disk) bounded. Thresholds scaled down 400-fold, so a
    checkpoint's own time (an fsync) spans many commits here: the bound is measured against the same burst with
    restarts turned off, in the same run, rather than as a number of pages that a busy machine would break. On a
    busy machine the checkpoint's thread may also wait long for a core while the loop commits on: writers then
    wait for it (SQLITE_CHECKPOINT_MAX_LAG; before they did, 7 runs in 20 failed beside three busy processes)."""
    monkeypatch.setattr(db_module, "SQLITE_CHECKPOINT_EVERY", 10)

    async def burst(db: Database) -> int:
        inbox = Inbox(db, clock=FakeClock(NOW))
        try:
            for first in range(0, 4000, 10):  # each batch commits while the checkpoint of an earlier one runs
                await asyncio.gather(*(inbox.accept(event(i)) for i in range(first, first + 10)))
            assert await inbox.pending_count() == 4000  # nothing lost to the restarts
        finally:
            await inbox.close()
        wal = Path(f"{make_url(db.url).database}-wal")
        # The file keeps its largest size (it is cut back only past SQLITE_WAL_KEEP_BYTES): the longest log.
        return (await asyncio.to_thread(wal.stat)).st_size // (4096 + 24)

    # The peer: passive checkpoints only, and writers never wait for them.
    monkeypatch.setattr(db_module, "SQLITE_WAL_RESTART_PAGES", 10**9)
    monkeypatch.setattr(db_module, "SQLITE_CHECKPOINT_MAX_LAG", 10**9)
    unbounded_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'peer.db'}")
    try:
        await migrate.upgrade(unbounded_db)
        unbounded = await burst(unbounded_db)
    finally:
        await unbounded_db.dispose()
    monkeypatch.setattr(db_module, "SQLITE_WAL_RESTART_PAGES", 40)
    monkeypatch.setattr(db_module, "SQLITE_CHECKPOINT_MAX_LAG", 4)
    bounded = await burst(sqlite_db)
    assert bounded * 2 < unbounded, f"the log reached {bounded} pages with restarts, {unbounded} without"


async def test_a_long_reader_does_not_hold_acks_behind_a_log_restart(sqlite_db: Database,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A restart holds this process's writers while it waits for readers: only briefly, or a long read (an audit
    check, a report) would stall every ack for the busy timeout (10 s) at each restart."""
    monkeypatch.setattr(db_module, "SQLITE_CHECKPOINT_EVERY", 10)
    monkeypatch.setattr(db_module, "SQLITE_WAL_RESTART_PAGES", 40)
    # Used from whichever executor thread runs each step.
    reader = await asyncio.to_thread(sqlite3.connect, make_url(sqlite_db.url).database, isolation_level=None,
                                     check_same_thread=False)
    inbox = Inbox(sqlite_db, clock=FakeClock(NOW))
    try:
        await asyncio.to_thread(reader.execute, "BEGIN")
        await asyncio.to_thread(lambda: reader.execute("SELECT count(*) FROM inbox").fetchall())  # holds a snapshot
        async with asyncio.timeout(8):  # ten restarts waiting 10 s each would be 100 s
            for first in range(0, 2000, 10):
                await asyncio.gather(*(inbox.accept(event(i)) for i in range(first, first + 10)))
        assert await inbox.pending_count() == 2000
    finally:
        await inbox.close()
        await asyncio.to_thread(reader.close)


async def test_writers_wait_for_a_checkpoint_that_fell_far_behind(sqlite_db: Database,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint whose thread gets no core must not let the loop's commits grow the log without end: once the
    writers are SQLITE_CHECKPOINT_MAX_LAG rounds ahead of it, the next one waits for it. A writer inside its own
    turn does not (the checkpoint's restart needs that turn: it would never come)."""
    monkeypatch.setattr(db_module, "SQLITE_CHECKPOINT_EVERY", 10)
    monkeypatch.setattr(db_module, "SQLITE_CHECKPOINT_MAX_LAG", 2)
    release = asyncio.Event()

    async def starved() -> None:
        await release.wait()
    monkeypatch.setattr(sqlite_db, "_move_log", starved)
    try:
        for _ in range(10):  # the tenth starts the checkpoint
            await sqlite_db.write_one(text("SELECT 1"))
        async with asyncio.timeout(5), sqlite_db.write_turn():
            for _ in range(25):  # past the lag, inside the turn: none waits
                await sqlite_db.sqlite_statement("SELECT 1", ())
        late = asyncio.ensure_future(sqlite_db.write_one(text("SELECT 1")))
        done, _ = await asyncio.wait({late}, timeout=0.2)
        assert not done and sqlite_db._commits == 35, "a writer went on while the checkpoint was 25 commits behind"
    finally:
        release.set()  # or the database's dispose() would wait for the checkpoint for ever
    async with asyncio.timeout(5):
        await late
    assert sqlite_db._commits == 36


async def test_a_failed_checkpoint_is_logged_and_tried_again(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Checkpoints run as tasks nobody awaits: a failure must be said in the log, not lost as a stray exception."""
    async def locked() -> None:
        raise OperationalError("PRAGMA wal_checkpoint(PASSIVE)", None, sqlite3.OperationalError("database is locked"))
    monkeypatch.setattr(sqlite_db, "_move_log", locked)
    await sqlite_db._checkpoint()
    assert "SQLite checkpoint failed (database is locked)" in caplog.text


async def test_inbox_claims_do_not_overlap_and_leases_expire(db: Database) -> None:
    inbox = Inbox(db, clock=FakeClock(NOW))
    try:
        await asyncio.gather(*(inbox.accept(event(i)) for i in range(10)))
        first, second = await asyncio.gather(inbox.claim(limit=6, now=NOW), inbox.claim(limit=6, now=NOW))
        ids_a, ids_b = {c.inbox_id for c in first}, {c.inbox_id for c in second}
        assert not ids_a & ids_b and len(ids_a | ids_b) == 10
        assert await inbox.claim(limit=10, now=NOW + timedelta(seconds=1)) == []
        again = await inbox.claim(limit=10, now=NOW + timedelta(minutes=5))  # a worker died holding them
        assert len(again) == 10 and all(c.attempts == 2 for c in again)
    finally:
        await inbox.close()


def env(target: str, n: int) -> Envelope:
    return Envelope(platform="console", target=target, kind="help", locale="en", data={"n": n}, actions=[])


async def test_outbox_sends_each_conversation_in_order(db: Database) -> None:
    async with db.write() as s:
        await Outbox(db, clock=FakeClock(NOW)).enqueue(s, [env("bob", 1), env("carol", 1), env("bob", 2), env("bob", 3), env("carol", 2)],
                source_event=None, now=NOW)
    outbox = Outbox(db, clock=FakeClock(NOW))
    first = await outbox.claim(limit=10, now=NOW)
    assert [(m.envelope.target, m.envelope.data["n"]) for m in first] == [("bob", 1), ("carol", 1)]
    assert await outbox.claim(limit=10, now=NOW) == [], "heads are leased; later messages wait their turn"
    bob1, carol1 = first
    assert await outbox.retry_later(bob1, error="timeout", retry_after_s=30, now=NOW)
    await outbox.mark_sent(carol1, message_id="m1", now=NOW)
    nxt = await outbox.claim(limit=10, now=NOW + timedelta(seconds=31))
    assert [(m.envelope.target, m.envelope.data["n"]) for m in nxt] == [("bob", 1), ("carol", 2)]


async def test_outbox_dead_letters_and_replay(db: Database) -> None:
    async with db.write() as s:
        await Outbox(db, clock=FakeClock(NOW)).enqueue(s, [env("bob", 1), env("bob", 2)], source_event=None, now=NOW)
    outbox = Outbox(db, clock=FakeClock(NOW))
    at = NOW
    while True:
        claimed = await outbox.claim(limit=1, now=at)
        assert claimed and claimed[0].envelope.data["n"] == 1
        if not await outbox.retry_later(claimed[0], error="503", retry_after_s=None, now=at):
            break
        at += timedelta(hours=1)
    assert (await outbox.counts()).get("dead") == 1
    nxt = await outbox.claim(limit=5, now=at)
    assert [m.envelope.data["n"] for m in nxt] == [2], "a dead letter no longer blocks its conversation"
    async with db.read() as s:
        dead_id = (await s.execute(select(OutboxRow.id).where(col(OutboxRow.state) == "dead"))).scalar_one()
    assert await outbox.replay(dead_id, now=at)
    assert not await outbox.replay(dead_id, now=at), "a replayed letter is not replayed twice"
    await outbox.mark_sent(nxt[0], message_id="x", now=at)
    again = await outbox.claim(limit=5, now=at)
    assert [m.envelope.data["n"] for m in again] == [1] and again[0].attempts == 1


async def test_audit_chain_detects_alteration_and_removal(db: Database) -> None:
    async with db.write() as s:
        for i in range(5):
            await audit.append(s, actor="bob", action="pms.report", subject=f"PUMP-{i}", detail={"percent": i * 10},
                               now=NOW + timedelta(seconds=i))
    assert (await verify(db)).ok
    async with db.write() as s:
        await s.execute(update(AuditRow).where(col(AuditRow.id) == 3).values(detail={"percent": 99}))
    bad = await verify(db)
    assert not bad.ok and bad.bad_row == 3 and "altered" in (bad.reason or "")
    async with db.write() as s:
        await s.execute(update(AuditRow).where(col(AuditRow.id) == 3).values(detail={"percent": 20}))
    assert (await verify(db)).ok
    async with db.write() as s:
        await s.execute(AuditRow.__table__.delete().where(AuditRow.__table__.c.id == 2))  # type: ignore[attr-defined]
    bad = await verify(db)
    assert not bad.ok and bad.bad_row == 3 and "missing" in (bad.reason or "")


async def test_a_keyed_anchored_chain_finds_rewrites_truncation_and_an_emptied_table(db: Database) -> None:
    """The attacks on an unkeyed chain: rewrite rows and recompute the hashes, cut the end, empty the table."""
    key = b"k" * 32
    keyed = Database(db.url, audit_key=key)
    try:
        async with keyed.write() as s:
            for i in range(6):
                await audit.append(s, actor="bob", action="pms.report", subject=f"PUMP-{i}", detail={"n": i},
                                   now=NOW + timedelta(seconds=i))
        anchors = [await audit.anchor(keyed, now=NOW)]
        assert anchors[0].rows == 6 and (await verify(keyed, anchors=anchors)).ok
        assert not (await verify(db)).ok, "keyed rows do not verify without the key"
        # A rewrite of row 4 with its hash recomputed the only way possible without the key: plain SHA-256.
        async with db.write() as s:
            row = await s.get(AuditRow, 4)
            assert row is not None
            forged = audit.row_hash(row_id=4, at=row.at, actor="mallory", action=row.action, subject=row.subject,
                                    detail=row.detail, prev_hash=row.prev_hash)
            await s.execute(update(AuditRow).where(col(AuditRow.id) == 4).values(actor="mallory", hash=forged))
        bad = await verify(keyed, anchors=anchors)
        assert not bad.ok and bad.bad_row == 4
        async with db.write() as s:  # ...and marked unkeyed, as if written before the key
            await s.execute(update(AuditRow).where(col(AuditRow.id) == 4).values(keyed=False))
        bad = await verify(keyed, anchors=anchors)
        assert not bad.ok and bad.bad_row == 4 and "unkeyed" in (bad.reason or "")
        async with db.write() as s:  # cut off the end from row 4 on: what is left verifies, the anchor does not
            await s.execute(AuditRow.__table__.delete().where(AuditRow.__table__.c.id >= 4))  # type: ignore[attr-defined]
        assert (await verify(keyed)).ok
        bad = await verify(keyed, anchors=anchors)
        assert not bad.ok and "6 were anchored" in (bad.reason or "")
        async with db.write() as s:
            await s.execute(AuditRow.__table__.delete())  # type: ignore[attr-defined]
        assert not (await verify(keyed, anchors=anchors)).ok, "an emptied table"
        forged_anchor = audit.Anchor(rows=0, head=anchors[0].head, at=anchors[0].at, mac="0" * 64)
        assert "MAC" in ((await verify(keyed, anchors=[forged_anchor])).reason or "")
    finally:
        await keyed.dispose()


async def test_concurrent_audit_appends_keep_one_chain(db: Database) -> None:
    async def one(i: int) -> None:
        async with db.write() as s:
            await audit.append(s, actor="x", action="a", subject=str(i), detail={}, now=NOW)

    await asyncio.gather(*(one(i) for i in range(20)))
    result = await verify(db)
    assert result.ok and result.rows == 20


async def test_the_chain_is_locked_only_while_a_transaction_commits(db: Database) -> None:
    """A transaction that has audited and goes on working does not hold up another one's commit (workers in
    several processes scale); the chain stays one chain, in commit order."""
    if not db.is_postgres:
        pytest.skip("SQLite has one writer at a time whatever the chain does")
    audited, let_go = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with db.write() as s:
            await audit.append(s, actor="x", action="a", subject="slow", detail={}, now=NOW)
            audited.set()
            await let_go.wait()  # the rest of a long command, after its audit row

    first = asyncio.create_task(slow())
    await asyncio.wait_for(audited.wait(), timeout=10)
    async with asyncio.timeout(10):  # not blocked behind the open transaction
        async with db.write() as s:
            await audit.append(s, actor="x", action="a", subject="quick", detail={}, now=NOW)
    let_go.set()
    await first
    result = await verify(db)
    assert result.ok and result.rows == 2
    async with db.read() as s:
        subjects = list((await s.execute(select(col(AuditRow.subject)).order_by(col(AuditRow.id)))).scalars())
    assert subjects == ["quick", "slow"]


async def test_approval_decided_once_under_concurrency(db: Database) -> None:
    async with db.write() as s:
        s.add(ProjectRow(key="PUMP", name="p"))
        await s.flush()
        ws = SqlWorkspace(s, default_locale="en")
        approval = await ws.create_approval(project="PUMP", requester="bob", approvers=("carol", "erin"),
                                            subject="x", amount=None, origin="test", now=NOW)

    async def decide(who: str) -> bool:
        async with db.write() as s:
            return await SqlWorkspace(s, default_locale="en").decide_approval(
                approval.id, by=who, state="approved", comment="", now=NOW) is not None

    wins = await asyncio.gather(decide("carol"), decide("erin"))
    assert sorted(wins) == [False, True]
    async with db.read() as s:
        row = await s.get(ApprovalRow, approval.id)
        assert row is not None and row.state == "approved"


async def test_task_numbers_are_unique_under_concurrent_creates(rt_any: Runtime) -> None:
    for i in range(5):
        await rt_any.inbox.accept(InboundEvent(platform="console", event_id=f"new-{i}", kind="message",
                                               sender="bob", conversation="bob", text=f"new PUMP 并发任务 {i}",
                                               received_at=NOW))
    claimed = await rt_any.inbox.claim(limit=10)
    assert len(claimed) == 5
    await asyncio.gather(*(rt_any.dispatcher.process(c) for c in claimed))  # five workers at once
    async with rt_any.db.read() as s:
        row = await s.get(ProjectRow, "PUMP")
        assert row is not None and row.next_task_no == 14
        from bot.store.models import TaskRow

        keys = (await s.execute(select(TaskRow.key).where(col(TaskRow.number) > 8))).scalars().all()
        assert sorted(keys) == sorted(f"PUMP-{n}" for n in range(9, 14))


async def test_full_conversation_on_each_backend(rt_any: Runtime) -> None:
    out = "\n".join(r.text for r in await say(rt_any, "bob", "PUMP-4 完成80% 3h"))
    assert "40% → 80%" in out
    out = "\n".join(r.text for r in await say(rt_any, "carol", "approve 1 ok"))
    assert "你已同意 #1" in out
    assert (await verify(rt_any.db)).ok
    async with rt_any.db.read() as s:
        states = dict((await s.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state))).all())
    assert states.get("pending", 0) == 0 and states.get("dead", 0) == 0


async def test_local_handoff_claims_only_conversation_heads(db: Database) -> None:
    outbox = Outbox(db, clock=FakeClock(NOW))
    outbox.local_worker = True
    async with db.write() as s:
        first = await outbox.enqueue(s, [env("bob", 1), env("bob", 2), env("carol", 1)], source_event=None, now=NOW)
    assert [(m.envelope.target, m.envelope.data["n"]) for m in first] == [("bob", 1), ("carol", 1)]
    async with db.write() as s:
        assert await outbox.enqueue(s, [env("bob", 3), env("dave", 1)], source_event=None, now=NOW) != []
    async with db.write() as s:
        later = await outbox.enqueue(s, [env("bob", 4)], source_event=None, now=NOW)
    assert later == [], "bob already has messages waiting: the new one queues behind them"
    assert await outbox.claim(limit=10, now=NOW) == [], "the handed-over heads are leased"
    bob1 = first[0]
    await outbox.mark_sent(bob1, message_id="m", now=NOW)
    nxt = await outbox.claim(limit=10, now=NOW)
    assert [(m.envelope.target, m.envelope.data["n"]) for m in nxt] == [("bob", 2)]


async def test_handed_over_work_is_given_back_on_shutdown(db: Database) -> None:
    inbox, outbox = Inbox(db, clock=FakeClock(NOW)), Outbox(db, clock=FakeClock(NOW))
    inbox.local_worker = outbox.local_worker = True
    try:
        await inbox.accept(event("handed"))
        async with db.write() as s:
            outbox.hand_over(await outbox.enqueue(s, [env("bob", 1)], source_event=None, now=NOW))
        assert await inbox.claim(limit=5) == [] and await outbox.claim(limit=5) == [], "pre-claimed for us"
        await inbox.release_local()
        await outbox.release_local()
        assert [c.event.event_id for c in await inbox.claim(limit=5)] == ["e-handed"]
        assert [m.envelope.data["n"] for m in await outbox.claim(limit=5)] == [1]
    finally:
        await inbox.close()


async def test_concurrent_reports_on_one_task_lose_no_hours(rt_any: Runtime) -> None:
    from bot.store.models import TaskRow

    for i in range(5):
        await rt_any.inbox.accept(InboundEvent(platform="console", event_id=f"h-{i}", kind="message", sender="bob",
                                               conversation="bob", text=f"PUMP-7 +1h race{i}", received_at=NOW))
    claimed = await rt_any.inbox.claim(limit=10)
    await asyncio.gather(*(rt_any.dispatcher.process(c) for c in claimed))
    async with rt_any.db.read() as s:
        row = (await s.execute(select(TaskRow).where(col(TaskRow.key) == "PUMP-7"))).scalar_one()
    assert row.spent_min == 5 * 60


async def test_two_approvers_racing_on_each_backend(rt_any: Runtime) -> None:
    from bot.store.models import MembershipRow

    async with rt_any.db.write() as s:
        s.add(MembershipRow(project_key="PUMP", person_id="erin", role="approver"))
    await say(rt_any, "bob", "request PUMP crane 900")  # approval 2, decided by carol or erin
    for who in ("carol", "erin"):
        await rt_any.inbox.accept(InboundEvent(platform="console", event_id=f"race-{who}", kind="action", sender=who,
                                               conversation=who, action={"id": "approve", "value": "2"},
                                               received_at=NOW))
    claimed = await rt_any.inbox.claim(limit=10)
    await asyncio.gather(*(rt_any.dispatcher.process(c) for c in claimed))
    async with rt_any.db.read() as s:
        approved = (await s.execute(select(func.count()).select_from(AuditRow)
                                    .where(col(AuditRow.action) == "approval.approved"))).scalar_one()
        refused = (await s.execute(select(func.count()).select_from(AuditRow)
                                   .where(col(AuditRow.action) == "command.refused",
                                          col(AuditRow.subject) == "already_decided"))).scalar_one()
    assert (approved, refused) == (1, 1)
    assert (await verify(rt_any.db)).ok


async def test_a_poison_event_is_parked_after_its_attempts(db: Database) -> None:
    from bot.constants import INBOX_MAX_ATTEMPTS

    inbox = Inbox(db, clock=FakeClock(NOW))
    try:
        await inbox.accept(event("poison"))
        for i in range(INBOX_MAX_ATTEMPTS):  # each worker that takes it dies before finishing
            assert len(await inbox.claim(limit=5, now=NOW + timedelta(hours=i))) == 1
        assert await inbox.claim(limit=5, now=NOW + timedelta(days=1)) == []
        assert await inbox.pending_count() == 0
    finally:
        await inbox.close()


async def test_alert_dedupe_cooldown_snooze_and_resolution(db: Database) -> None:
    day = timedelta(hours=24)
    async with db.write() as s:
        s.add(ProjectRow(key="PUMP", name="p"))
    found = [("overdue", "PUMP-6"), ("blocked", "PUMP-5")]

    async def send(at: datetime, risks: list[tuple[str, str]]) -> list[str]:
        async with db.write() as s:
            due = await SqlWorkspace(s, default_locale="en").alerts_to_send("PUMP", risks, now=at, cooldown=day)
            return sorted(subject for _, _, subject in due)

    assert await send(NOW, found) == ["PUMP-5", "PUMP-6"]
    assert await send(NOW + timedelta(hours=1), found) == [], "deduplicated within the cooldown"
    async with db.write() as s:
        ids = {r.subject: r.id for r in (await s.execute(select(AlertRow))).scalars()}
        ws = SqlWorkspace(s, default_locale="en")
        await ws.decide_alert(ids["PUMP-5"], by="alice", action="snooze", until=NOW + 2 * day)
        await ws.decide_alert(ids["PUMP-6"], by="alice", action="ack", until=None)
    assert await send(NOW + day, found) == [], "snoozed, and acknowledged"
    assert await send(NOW + 2 * day, found) == ["PUMP-5"], "the snooze is over"
    assert await send(NOW + 3 * day, [("blocked", "PUMP-5")]) == ["PUMP-5"], "PUMP-6 resolved"
    assert await send(NOW + 3 * day + timedelta(hours=1), found) == ["PUMP-6"], "it came back: news again"


def test_inbox_payload_round_trips_every_field() -> None:
    from dataclasses import fields

    from bot.records import ChatFile, InboundEvent
    from bot.store.inbox import event_from_payload, event_to_payload

    event = InboundEvent(platform="slack", event_id="e1", kind="action", sender="U1", conversation="C1", text="t",
                         action={"id": "approve", "value": "3"}, origin={"response_url": "http://x/r"},
                         received_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
                         files=(ChatFile(ref="https://files.slack.com/x", name="a.jpg", size_bytes=3),
                                ChatFile(ref="om_1/img_2/image")))
    payload = event_to_payload(event)
    assert set(payload) == {f.name for f in fields(InboundEvent)}
    assert event_from_payload(payload) == event


async def test_replay_records_on_each_backend(db: Database) -> None:
    """What the signature checks rest on (DingTalk's pair, Feishu's nonce, revoked admin sessions): a value is
    new once while its window lasts, is seen by every process, and is new again after the window."""
    from bot.store.replay import first_use, first_uses, recorded

    assert await first_use(db, "dingtalk", "1733200000000:sign=", keep_s=60, now=NOW)
    assert not await first_use(db, "dingtalk", "1733200000000:sign=", keep_s=60, now=NOW + timedelta(seconds=30))
    assert await first_use(db, "feishu", "1733200000000:sign=", keep_s=60, now=NOW), "per platform"
    assert await recorded(db, "dingtalk", "1733200000000:sign=", now=NOW + timedelta(seconds=59))
    assert not await recorded(db, "dingtalk", "never", now=NOW)
    assert not await recorded(db, "dingtalk", "1733200000000:sign=", now=NOW + timedelta(seconds=61))
    assert await first_use(db, "dingtalk", "1733200000000:sign=", keep_s=60, now=NOW + timedelta(seconds=61))
    # Several in one transaction (DingTalk's pair and its msgId binding): each answered on its own.
    assert await first_uses(db, "dingtalk", ["p", "p:m1"], keep_s=60, now=NOW) == [True, True]
    assert await first_uses(db, "dingtalk", ["p", "p:m1"], keep_s=60, now=NOW) == [False, False]
    assert await first_uses(db, "dingtalk", ["p", "p:m2"], keep_s=60, now=NOW) == [False, True]
    other = Database(db.url)  # another process
    try:
        assert not await first_use(other, "dingtalk", "1733200000000:sign=", keep_s=60, now=NOW + timedelta(seconds=62))
    finally:
        await other.dispose()
