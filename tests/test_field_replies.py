"""The field language end to end (console → dispatcher → built-in PMS): several tasks in one message, a reading
confirmed before it is written, blockers that progress does not clear, unblock and start."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.runtime import Runtime
from bot.say import say
from bot.store.models import ProgressRow, ProposalRow, TaskRow
from commands.handlers.field import as_payload
from commands.model import Block, Done, Report, Start, Unblock
from notifiers.render import Renderer


async def texts(rt: Runtime, person: str, text: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, text))


async def task(rt: Runtime, key: str) -> TaskRow:
    async with rt.db.read() as s:
        return (await s.execute(select(TaskRow).where(col(TaskRow.key) == key))).scalar_one()


async def writes(rt: Runtime) -> int:
    async with rt.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(ProgressRow))).scalar_one())


async def test_several_tasks_in_one_message_each_get_their_own_write(rt: Runtime) -> None:
    out = await texts(rt, "bob", "PUMP-4 到 70%，PUMP-7 缺料")
    assert "PUMP-4" in out and "70%" in out and "PUMP-7" in out and "缺料" in out
    four, seven = await task(rt, "PUMP-4"), await task(rt, "PUMP-7")
    assert (four.percent, four.status) == (70, "in_progress")
    assert (seven.status, seven.blocked_reason, seven.percent) == ("blocked", "缺料", 0 if seven.percent == 0
                                                                   else seven.percent)


async def test_several_is_all_or_nothing(rt: Runtime) -> None:
    before = (await task(rt, "PUMP-4")).percent, await writes(rt)
    out = await texts(rt, "bob", "PUMP-4 到 70%，PUMP-99 开始了")  # PUMP-99 does not exist
    assert "PUMP-99" in out
    assert ((await task(rt, "PUMP-4")).percent, await writes(rt)) == before, "nothing half-applied"


async def test_an_approximate_reading_is_confirmed_before_it_is_written(rt: Runtime) -> None:
    before = await writes(rt)
    out = await texts(rt, "bob", "PUMP-4 快好了")
    assert "还没有写入" in out and "PUMP-4 进度 90%" in out
    assert (await task(rt, "PUMP-4")).percent == 40 and await writes(rt) == before
    async with rt.db.read() as s:
        proposal = (await s.execute(select(ProposalRow).order_by(col(ProposalRow.id).desc()))).scalars().first()
    assert proposal is not None and proposal.kind == "confirm"
    assert "90%" in await texts(rt, "bob", f"apply {proposal.id}")
    assert (await task(rt, "PUMP-4")).percent == 90 and await writes(rt) == before + 1
    again = await texts(rt, "bob", f"apply {proposal.id}")
    assert "already applied" in again or "已" in again
    assert await writes(rt) == before + 1, "written once"


async def test_only_its_author_can_confirm_a_reading(rt: Runtime) -> None:
    await texts(rt, "bob", "PUMP-4 七八成")
    async with rt.db.read() as s:
        proposal = (await s.execute(select(ProposalRow).order_by(col(ProposalRow.id).desc()))).scalars().first()
    assert proposal is not None
    await texts(rt, "dave", f"apply {proposal.id}")
    assert (await task(rt, "PUMP-4")).percent == 40


async def test_progress_does_not_clear_a_blocker_but_unblock_does(rt: Runtime) -> None:
    await texts(rt, "bob", "PUMP-4 等甲方签字")
    assert (await task(rt, "PUMP-4")).status == "blocked"
    await texts(rt, "bob", "PUMP-4 60% 2h")
    row = await task(rt, "PUMP-4")
    assert (row.status, row.percent, row.blocked_reason) == ("blocked", 60, "等甲方签字")
    out = await texts(rt, "bob", "PUMP-4 签字了")
    assert "解除阻塞" in out
    row = await task(rt, "PUMP-4")
    assert (row.status, row.blocked_reason) == ("in_progress", None)
    assert "没有被阻塞" in await texts(rt, "bob", "unblock PUMP-4")


async def test_start_moves_a_todo_task_once(rt: Runtime) -> None:
    todo = None
    async with rt.db.read() as s:
        todo = (await s.execute(select(TaskRow).where(col(TaskRow.status) == "todo",
                                                      col(TaskRow.assignee) == "bob"))).scalars().first()
    assert todo is not None, "the demo has a to-do task of bob's"
    assert "已开始" in await texts(rt, "bob", f"{todo.key} 开始了")
    assert (await task(rt, todo.key)).status == "in_progress"
    assert "已经在进行中" in await texts(rt, "bob", f"start {todo.key}")


async def test_a_question_shows_the_task_and_writes_nothing(rt: Runtime) -> None:
    before = await writes(rt)
    out = await texts(rt, "bob", "PUMP-4 完成了吗？")
    assert "PUMP-4" in out and "40%" in out
    assert await writes(rt) == before and (await task(rt, "PUMP-4")).status == "in_progress"


async def test_a_correction_amends_the_last_write(rt: Runtime) -> None:
    await texts(rt, "bob", "PUMP-4 80% 3h")
    spent = (await task(rt, "PUMP-4")).spent_min
    out = await texts(rt, "bob", "不对，是60%，工时也不对")
    assert "PUMP-4" in out, out
    await texts(rt, "bob", "sorry, I meant 2h")
    assert (await task(rt, "PUMP-4")).spent_min == spent - 60
    await texts(rt, "bob", "撤销")
    row = await task(rt, "PUMP-4")
    assert row.percent == 40 and row.spent_min == spent - 180


@pytest.mark.parametrize("platform", ["console", "slack", "feishu", "dingtalk"])
@pytest.mark.parametrize("locale", ["zh", "en"])
def test_a_confirmation_renders_with_its_button_everywhere(platform: str, locale: str) -> None:
    items = [as_payload(w) for w in (Report(task="A-3", percent=70, note="吧"), Done(task="A-4", hours=Decimal("1.5")),
                                     Block(task="A-5", reason="缺料"), Unblock(task="A-6"), Start(task="A-7"))]
    out = Renderer().render(platform=platform, locale=locale, kind="confirm", data={
        "reason": "approximate", "text": "A-3 七八成吧", "items": items, "proposal": 7},
        actions=[{"id": "apply", "value": "7", "style": "primary"}])
    assert all(key in out.text for key in ("A-3", "A-4", "A-5", "A-6", "A-7")) and "70%" in out.text
    assert "1.5h" in out.text and "缺料" in out.text
    assert ("apply 7" if locale == "en" else "确认更新 7") in out.text
    assert [(b.id, b.value) for b in out.buttons] == [("apply", "7")]
