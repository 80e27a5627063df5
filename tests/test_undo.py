"""Undo and correction of a person's last write, through the whole pipeline on the built-in PMS
(inbox -> dispatcher -> handlers -> outbox -> console)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.constants import UNDO_WINDOW_S
from bot.runtime import Runtime
from bot.say import say
from bot.store.models import AuditRow, PersonWriteRow, TaskRow
from tests.conftest import set_clock
from tests.undo_words import understand_undo_words


@pytest.fixture(autouse=True)
def undo_words(monkeypatch: pytest.MonkeyPatch) -> None:
    understand_undo_words(monkeypatch)


async def texts(rt: Runtime, person: str, text: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, text))


async def task(rt: Runtime, key: str) -> TaskRow:
    async with rt.db.read() as s:
        return (await s.execute(select(TaskRow).where(col(TaskRow.key) == key))).scalar_one()


async def writes(rt: Runtime, person: str) -> list[PersonWriteRow]:
    async with rt.db.read() as s:
        return list((await s.execute(select(PersonWriteRow).where(col(PersonWriteRow.person_id) == person)
                                     .order_by(col(PersonWriteRow.id)))).scalars().all())


async def test_undo_a_report_restores_the_percent_and_removes_the_hours(rt: Runtime) -> None:
    before = await task(rt, "PUMP-4")
    assert (before.percent, before.status) == (40, "in_progress")
    await texts(rt, "bob", "report PUMP-4 60% 3h")
    assert (await task(rt, "PUMP-4")).spent_min == before.spent_min + 180
    out = await texts(rt, "bob", "撤销")
    assert "已撤销 PUMP-4" in out and "60% → 40%" in out and "已删除 3h 工时记录" in out
    after = await task(rt, "PUMP-4")
    assert (after.percent, after.status, after.spent_min) == (40, "in_progress", before.spent_min)
    [write] = await writes(rt, "bob")
    assert write.undone_at is not None and (write.kind, write.hours) == ("report", "3")
    again = await texts(rt, "bob", "撤销")  # an undo is not itself undoable, and the write is undone once
    assert "已经撤销过了" in again
    assert (await task(rt, "PUMP-4")).percent == 40
    async with rt.db.read() as s:
        undos = (await s.execute(select(AuditRow).where(col(AuditRow.action) == "pms.undo"))).scalars().all()
    assert [u.subject for u in undos] == ["PUMP-4"]


async def test_undo_done_and_block_restore_the_status(rt: Runtime) -> None:
    await texts(rt, "bob", "done PUMP-4 装好了")
    assert (await task(rt, "PUMP-4")).status == "done"
    out = await texts(rt, "bob", "undo")
    assert "100% → 40%" in out
    row = await task(rt, "PUMP-4")
    assert (row.status, row.percent) == ("in_progress", 40)
    await texts(rt, "bob", "block PUMP-4 等配件")
    assert ((await task(rt, "PUMP-4")).status, (await task(rt, "PUMP-4")).blocked_reason) == ("blocked", "等配件")
    out = await texts(rt, "bob", "undo")
    assert "阻塞 → 进行中" in out
    row = await task(rt, "PUMP-4")
    assert (row.status, row.percent, row.blocked_reason) == ("in_progress", 40, None)


async def test_undo_a_first_report_puts_the_task_back_to_do(rt: Runtime) -> None:
    assert ((await task(rt, "PUMP-7")).status, (await task(rt, "PUMP-7")).percent) == ("todo", 0)
    await texts(rt, "bob", "report PUMP-7 30%")
    assert (await task(rt, "PUMP-7")).status == "in_progress"
    await texts(rt, "bob", "撤销")
    row = await task(rt, "PUMP-7")
    assert (row.status, row.percent) == ("todo", 0)


async def test_correct_replaces_the_percent_then_undo_restores_the_original(rt: Runtime) -> None:
    await texts(rt, "bob", "report PUMP-4 50%")
    out = await texts(rt, "bob", "不对，是60%")
    assert "已更正 PUMP-4" in out and "50% → 60%" in out
    assert (await task(rt, "PUMP-4")).percent == 60
    await texts(rt, "bob", "撤销")  # the corrected write is still the one write: its undo goes back to before it
    assert (await task(rt, "PUMP-4")).percent == 40


async def test_correct_the_hours_replaces_the_time_entry(rt: Runtime) -> None:
    spent = (await task(rt, "PUMP-4")).spent_min
    await texts(rt, "bob", "report PUMP-4 50% 5h")
    out = await texts(rt, "bob", "sorry, I meant 3h")
    assert "5h → 3h" in out
    assert (await task(rt, "PUMP-4")).spent_min == spent + 180
    out = await texts(rt, "bob", "I meant 55% and 2h")
    assert "50% → 55%" in out and "3h → 2h" in out
    row = await task(rt, "PUMP-4")
    assert (row.percent, row.spent_min) == (55, spent + 120)
    await texts(rt, "bob", "撤销")
    row = await task(rt, "PUMP-4")
    assert (row.percent, row.spent_min) == (40, spent)


async def test_the_hours_of_a_named_task_corrected_replace_its_entry_never_add_to_it(rt: Runtime) -> None:
    spent = (await task(rt, "PUMP-4")).spent_min
    await texts(rt, "bob", "PUMP-4 50% 3h")
    out = await texts(rt, "bob", "PUMP-4 工时改成2h")  # was read as two more hours logged
    assert "3h → 2h" in out
    assert (await task(rt, "PUMP-4")).spent_min == spent + 120
    out = await texts(rt, "bob", "PUMP-3 hours should be 1h")  # not the task of the last write: refused, nothing logged
    assert "PUMP-4" in out and (await task(rt, "PUMP-4")).spent_min == spent + 120


async def test_correct_hours_of_a_write_that_logged_none_is_refused(rt: Runtime) -> None:
    await texts(rt, "bob", "report PUMP-4 50%")
    out = await texts(rt, "bob", "sorry, I meant 3h")
    assert "没有记录工时" in out
    assert (await task(rt, "PUMP-4")).percent == 50


async def test_the_window_closes(rt: Runtime) -> None:
    await texts(rt, "bob", "report PUMP-4 70%")
    set_clock(rt, rt.clock.now() + timedelta(seconds=UNDO_WINDOW_S + 60))
    out = await texts(rt, "bob", "撤销")
    assert f"已超过 {UNDO_WINDOW_S // 60} 分钟" in out
    assert (await task(rt, "PUMP-4")).percent == 70


async def test_a_change_by_someone_else_since_is_not_overwritten(rt: Runtime) -> None:
    await texts(rt, "bob", "report PUMP-4 70%")
    await texts(rt, "alice", "report PUMP-4 75%")
    out = await texts(rt, "bob", "撤销")
    assert "不会覆盖别人的修改" in out and "75%" in out
    assert (await task(rt, "PUMP-4")).percent == 75
    [write] = await writes(rt, "bob")
    assert write.undone_at is None


async def test_only_ones_own_last_write_is_undone(rt: Runtime) -> None:
    await texts(rt, "bob", "report PUMP-4 70%")
    await texts(rt, "alice", "report PUMP-8 10%")
    await texts(rt, "bob", "撤销")
    assert ((await task(rt, "PUMP-4")).percent, (await task(rt, "PUMP-8")).percent) == (40, 10)
    out = await texts(rt, "carol", "undo")
    assert "还没有" in out or "no change" in out


async def test_an_undo_that_names_a_task_undoes_only_a_last_write_on_it(rt: Runtime) -> None:
    """"撤销 PUMP-8 刚才那个完成" means that task's write: with the last one on another task, nothing is undone."""
    await texts(rt, "bob", "report PUMP-4 70%")
    out = await texts(rt, "bob", "撤销 PUMP-8 刚才那个完成")
    assert "最近一次修改的是 PUMP-4，不是 PUMP-8" in out and "什么都没有撤销" in out, out
    assert (await task(rt, "PUMP-4")).percent == 70
    [write] = await writes(rt, "bob")
    assert write.undone_at is None
    out = await texts(rt, "bob", "undo PUMP-4")
    assert "PUMP-4" in out and (await task(rt, "PUMP-4")).percent == 40, out


async def test_english_replies(rt: Runtime) -> None:
    await texts(rt, "alice", "report PUMP-8 20% 1.5h")
    out = await texts(rt, "alice", "undo")
    assert "Undone on PUMP-8" in out and "20% → 0%" in out and "1.5h time entry deleted" in out, out
