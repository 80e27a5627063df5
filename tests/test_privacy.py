"""Personal-data rights and retention: every table holding a person is known (a new one cannot be missed), the
export holds each of them, an erasure leaves pseudonyms and keyed tombstones with the audit chain verifying, and
retention purges by the clock with a report."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlmodel import SQLModel, col

from bot.config import Config
from bot.config.settings import Settings
from bot.jobs.retention import RetentionPurge
from bot.runtime import Runtime
from bot.say import say
from bot.store import audit, migrate, privacy
from bot.store import models as m
from tests.conftest import demo_config, running_clock

KEY = "k" * 40
# A column whose name says it holds a person (or their account) must be declared in privacy.PERSONAL.
PERSON_NAMES = re.compile(r"person|requester|approver|actor|decided_by|created_by|updated_by|assignee|target|"
                          r"sender|email|external_id|^name$")
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_every_table_is_classified_and_every_person_column_declared() -> None:
    tables = set(SQLModel.metadata.tables)
    unclassified = tables - set(privacy.PERSONAL) - set(privacy.NOT_PERSONAL)
    assert not unclassified, f"say in bot/store/privacy.py whether these hold a person: {sorted(unclassified)}"
    assert not set(privacy.PERSONAL) & set(privacy.NOT_PERSONAL)
    assert set(privacy.PERSONAL) | set(privacy.NOT_PERSONAL) <= tables, "a classified table that no longer exists"
    for name, table in SQLModel.metadata.tables.items():
        declared = privacy.PERSONAL[name].columns if name in privacy.PERSONAL else ()
        for column in table.columns:
            if PERSON_NAMES.search(column.name) and not (column.name == "name" and name != "person"):
                assert column.name in declared, f"{name}.{column.name} looks like a person: declare it"
            if column.name in declared:
                assert name in privacy.PERSONAL


async def _keyed_runtime(url: str, request: pytest.FixtureRequest, config: Config | None = None) -> Runtime:
    from bot.demo.seed import seed

    rt = Runtime(Settings(database_url=url, pmsbot_audit_key=KEY), config or demo_config(), console=True,
                 clock=running_clock(request))
    await migrate.upgrade(rt.db)
    await rt.open()
    await seed(rt)
    return rt


@pytest.fixture
async def krt(db_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    rt = await _keyed_runtime(db_url, request)
    yield rt
    await rt.close()


async def _bob_everywhere(rt: Runtime) -> None:
    """bob in every table that can hold a person: through chat where a command writes it, else directly."""
    await say(rt, "bob", "report PUMP-1 60% valve replaced")
    await say(rt, "bob", "request PUMP pump seals 800")
    await say(rt, "carol", "approve 1 ok")
    now = rt.clock.now()
    async with rt.db.write() as s:
        s.add(m.LinkCodeRow(platform="slack", external_id="U99", person_id="bob", code_sha256="0" * 64,
                            created_at=now, expires_at=now))
        s.add(m.StandupEntryRow(person_id="bob", kind="answer", day_from=date(2026, 3, 2), day_to=date(2026, 3, 2),
                                text="fixed the valve", at=now))
        s.add(m.ScheduleRunRow(schedule="standup:x", person_id="bob", day=date(2026, 3, 2), at=now))
        s.add(m.ProposalRow(person_id="bob", kind="progress", payload=[], created_at=now))
        s.add(m.PhotoRow(task_key="PUMP-1", person_id="bob", content_type="image/png", data=b"\x89PNG", sha256="0",
                         created_at=now))
        s.add(m.PersonWriteRow(person_id="bob", task_key="PUMP-1", pms="local", kind="report", at=now,
                               before_status="todo", before_percent=0, after_status="in_progress", after_percent=60))
        s.add(m.InboxRow(platform="slack", event_id="e1", payload={"sender": "U01BOB", "text": "hi"}, state="done",
                         available_at=now, received_at=now))
        s.add(m.OutboxRow(platform="slack", conversation="slack:U01BOB", target="U01BOB", kind="x", locale="zh",
                          payload={}, state="sent", available_at=now, created_at=now))
        s.add(m.CardRow(platform="slack", target="U01BOB", card_ref="approval:9", message_id="1.2"))
        s.add(m.SubscriptionRow(project_key="PUMP", platform="slack", conversation="C1", created_by="bob",
                                created_at=now))
        s.add(m.AlertRow(project_key="PUMP", rule="overdue", subject="PUMP-1", first_at=now, decided_by="bob"))
        s.add(m.StandupScheduleRow(name="bob-standup", project_key="PUMP", spec={}, updated_at=now, updated_by="bob"))
        s.add(m.PmsCredentialRow(person_id="bob", pms="jira", sealed="sealed", updated_at=now))
        s.add(m.TaskFileRow(task_key="PUMP-1", person_id="bob", name="valve.png", content_type="image/png",
                            size_bytes=4, sha256="0" * 64, data=b"\x89PNG", created_at=now))
        s.add(m.PersonDayRow(project_key="PUMP", person_id="bob", day=date(2026, 3, 2), open_tasks=2))
        s.add(m.TaskDoneRow(task_key="PUMP-9", project_key="PUMP", person_id="bob", done_day=date(2026, 3, 2)))
        await s.execute(update(m.TaskRow).where(col(m.TaskRow.key) == "PUMP-2").values(assignee="bob"))
        s.add(m.ProjectPlanRow(project="PUMP", sha256="0" * 64, imported_at=now, document={
            "name": "Pump", "start": None, "finish": None, "tasks": [{"uid": 1, "resources": [7, 8]}],
            "resources": [{"uid": 7, "id": 1, "name": "王波", "email": "bob@example.com"},
                          {"uid": 8, "id": 2, "name": "Alice", "email": ""}]}))
        s.add(m.PmsChangeRow(platform="slack", conversation="C1", project_key="PUMP", created_at=now,
                             data={"event": "updated", "task": {"key": "PUMP-2", "assignee": "王波"}}))
        cached = json.dumps({"people": [{"id": "bob", "name": "王波"}, {"id": "alice", "name": "Alice"}]})
        await s.execute(delete(m.ConfigFileRow))  # the start's own copy of the test's configuration, if it made one
        s.add(m.ConfigFileRow(id=1, sha256="0" * 64, data_sha256="1" * 64, data=cached))


@pytest.mark.clock(AT)
async def test_export_holds_every_personal_table_and_erase_keeps_the_chain(krt: Runtime) -> None:
    await _bob_everywhere(krt)
    async with krt.db.read() as s:
        exported = await privacy.export(s, "bob")
    assert exported is not None
    empty = [t for t in privacy.PERSONAL if not exported["tables"].get(t)]
    assert not empty, f"bob is in these tables but the export has none of it: {empty}"
    json.dumps(exported, ensure_ascii=False, default=str)  # JSON-ready
    assert any(r["text"] == "fixed the valve" for r in exported["tables"]["standup_entry"])
    assert all(r["person_id"] != "alice" for r in exported["tables"]["membership"]), "only bob's rows"
    assert "Alice" not in json.dumps(exported["tables"]["config_file"]), "the cached file's others are not copied"

    async with krt.db.write() as s:
        counts = await privacy.erase(s, "bob")
    assert counts is not None and counts["person"] == 1 and counts["audit"] >= 2
    verified = await audit.verify(krt.db)
    assert verified.ok, verified.reason
    async with krt.db.read() as s:
        assert await privacy.export(s, "bob") is None
        alias = privacy.pseudonym("bob", KEY.encode())
        assert (await s.execute(select(func.count()).select_from(m.PersonRow).where(col(m.PersonRow.id) == "bob"))
                ).scalar_one() == 0
        approval = (await s.execute(select(m.ApprovalRow).where(col(m.ApprovalRow.requester) == alias))).scalar_one()
        assert approval.subject == privacy.ERASED_TEXT and approval.amount_cents == 80000, "the record stays"
        progress = (await s.execute(select(m.ProgressRow).where(col(m.ProgressRow.person_id) == alias))).scalars().all()
        assert progress and all(p.note == "" and p.percent == 60 for p in progress)
        rows = (await s.execute(select(m.AuditRow))).scalars().all()
        dump = json.dumps([[r.actor, r.subject, r.detail] for r in rows], ensure_ascii=False)
        assert '"bob"' not in dump and "U01BOB" not in dump and "王波" not in dump and "valve replaced" not in dump
        assert any(r.tombstone for r in rows) and all(r.hash for r in rows), "tombstones, not gaps"
        plan = (await s.execute(select(m.ProjectPlanRow))).scalar_one()
        assert plan.document["resources"] == [{"uid": 7, "id": 1, "name": alias, "email": ""},
                                              {"uid": 8, "id": 2, "name": "Alice", "email": ""}], "the plan stays"
        assert (await s.execute(select(func.count()).select_from(m.PmsChangeRow))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(m.ConfigFileRow))).scalar_one() == 0
        tomb = next(r for r in rows if r.tombstone)
    async with krt.db.write() as s:  # a tombstoned row is as tamper-evident as any other
        await s.execute(update(m.AuditRow).where(col(m.AuditRow.id) == tomb.id).values(action="forged"))
    broken = await audit.verify(krt.db)
    assert not broken.ok and broken.bad_row == tomb.id


@pytest.mark.clock(AT)
async def test_retention_purges_by_the_clock_with_a_report(sqlite_url: str, request: pytest.FixtureRequest) -> None:
    data = demo_config().model_dump(mode="json", exclude_defaults=True)
    config = Config.model_validate({**data, "retention": {"chat_text_days": 30, "photos_days": 90, "inbox_days": 7,
                                                          "audit_days": 180, "at": "03:30"}})
    rt = await _keyed_runtime(sqlite_url, request, config)
    try:
        old, recent = AT - timedelta(days=200), AT - timedelta(days=1)
        async with rt.db.write() as s:
            for at in (old, recent):
                s.add(m.ConsoleMessageRow(person_id="bob", direction="in", body={"text": "hi"}, at=at))
                s.add(m.PhotoRow(task_key="PUMP-1", person_id="bob", content_type="image/png", data=b"x", sha256="0",
                                 created_at=at))
                s.add(m.InboxRow(platform="slack", event_id=f"e{at.day}", payload={"sender": "U01BOB"}, state="done",
                                 available_at=at, received_at=at))
            await audit.append(s, actor="bob", action="old.thing", subject="PUMP-1", detail={"text": "secret"},
                               now=old)
        job = next(j for j in rt.jobs if isinstance(j, RetentionPurge))
        assert await job.run(AT, catching_up=False) == 0, "not its minute"
        due = datetime(2026, 3, 2, 19, 30, tzinfo=UTC)  # 03:30 in Shanghai
        rt.clock.set(due)  # type: ignore[attr-defined]
        purged = await job.run(due, catching_up=False)
        assert purged >= 4
        assert await job.run(due, catching_up=False) == 0, "once a day"
        async with rt.db.read() as s:
            chat = (await s.execute(select(m.ConsoleMessageRow.at))).scalars().all()  # type: ignore[call-overload]
            assert chat and min(chat) == recent, "the old message went, the recent one and the seed's stayed"
            photos = (await s.execute(select(m.PhotoRow.created_at))).scalars().all()  # type: ignore[call-overload]
            assert photos == [recent]
            inbox = (await s.execute(select(m.InboxRow.event_id).where(col(m.InboxRow.event_id).like("e%")))).all()
            assert [e for (e,) in inbox] == [f"e{recent.day}"]
            expired = (await s.execute(select(m.AuditRow).where(col(m.AuditRow.action) == "old.thing"))).scalar_one()
            assert expired.detail == {"expired": True} and expired.actor.startswith("erased-") and expired.tombstone
            report = (await s.execute(select(m.AuditRow).where(col(m.AuditRow.action) == "retention.purge"))
                      ).scalar_one()
            assert report.detail["console_message"] == 1 and report.detail["audit"] >= 1
        verified = await audit.verify(rt.db)
        assert verified.ok, verified.reason
    finally:
        await rt.close()


@pytest.mark.parametrize("change", [{"inbox_days": 1}, {"audit_days": 30}, {"chat_text_days": 0},
                                    {"at": "25:00"}, {"photo_days": 3}, {"chat_text_days": "soon"}])
def test_bad_retention_settings_are_refused(change: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from bot.config.privacy import RetentionConfig

    with pytest.raises(ValidationError):
        RetentionConfig.model_validate(change)


def test_cli_export_erase_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.main import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("PMSBOT_AUDIT_KEY", KEY)
    monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["db", "upgrade"]) == 0
    import asyncio

    from bot.store.db import Database

    async def add() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", audit_key=KEY.encode())
        async with db.write() as s:
            s.add(m.PersonRow(id="zoe", name="Zoe", email="zoe@example.com"))
            s.add(m.ProjectRow(key="ZZ", name="z"))
            await s.flush()
            s.add(m.ApprovalRow(project_key="ZZ", requester="x", approvers=["zoe"], subject="s", created_at=AT))
            await audit.append(s, actor="zoe", action="x", subject="zoe", detail={"text": "mine"}, now=AT)
        await db.dispose()
    asyncio.run(add())
    capsys.readouterr()
    assert main(["privacy", "export", "zoe"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tables"]["person"][0]["email"] == "zoe@example.com" and out["tables"]["audit"]
    assert main(["privacy", "export", "zoe", "-o", str(tmp_path / "zoe.json")]) == 0
    assert json.loads((tmp_path / "zoe.json").read_text())["person"] == "zoe"
    assert main(["privacy", "export", "nobody'; DROP TABLE person;--"]) == 1
    assert "no person" in capsys.readouterr().err
    assert main(["privacy", "export"]) == 1
    assert main(["privacy", "export", "zoe", "-o", str(tmp_path / "missing" / "x.json")]) == 1
    assert main(["privacy", "erase", "zoe"]) == 1 and "--yes" in capsys.readouterr().out
    assert main(["privacy", "erase", "zoe", "--yes"]) == 1
    assert "delegated or decided first" in capsys.readouterr().err

    async def decide() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", audit_key=KEY.encode())
        async with db.write() as s:
            await s.execute(update(m.ApprovalRow).values(state="approved"))
        await db.dispose()
    asyncio.run(decide())
    assert main(["privacy", "erase", "zoe", "--yes"]) == 0
    assert main(["audit", "verify"]) == 0 and "ok" in capsys.readouterr().out
    assert main(["privacy", "export", "zoe"]) == 1
    assert main(["privacy", "purge"]) == 0 and "purged" in capsys.readouterr().out


def test_logs_keep_no_email_mobile_or_id_number() -> None:
    from bot.logs import redact

    line = redact("link of bob@example.com from 13812345678, id 11010519491231002X; order 20261203123456789")
    assert "bob@" not in line and "***@example.com" in line
    assert "13812345678" not in line and "138****5678" in line
    assert "11010519491231002X" not in line and "20261203123456789" in line, "only ID-shaped numbers go"
