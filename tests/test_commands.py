"""Chat commands through the whole pipeline (inbox -> dispatcher -> built-in PMS -> outbox -> console)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from bot.store.models import ApprovalRow, AuditRow, InboxRow, OutboxRow, ProgressRow, TaskRow


async def texts(rt: Runtime, person: str, text: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, text))


async def task(rt: Runtime, key: str) -> TaskRow:
    async with rt.db.read() as s:
        row = (await s.execute(select(TaskRow).where(col(TaskRow.key) == key))).scalar_one()
        return row


async def progress_count(rt: Runtime, key: str) -> int:
    async with rt.db.read() as s:
        q = select(func.count()).select_from(ProgressRow).where(col(ProgressRow.task_key) == key)
        return int((await s.execute(q)).scalar_one())


# --- the "done when" conversation -----------------------------------------------------------------------


async def test_new_task_with_assignee_in_english(rt: Runtime) -> None:
    out = await texts(rt, "alice", "new PUMP Replace inlet valve @bob")
    assert "Created PUMP-9 Replace inlet valve" in out
    row = await task(rt, "PUMP-9")
    assert (row.title, row.assignee, row.status) == ("Replace inlet valve", "bob", "todo")
    bob = await feed.feed(rt.db, "bob")
    assert any("给你分配了任务" in m["text"] and "PUMP-9" in m["text"] for m in bob), "assignee is told, in zh"


async def test_status_project_in_each_language(rt: Runtime) -> None:
    zh = await texts(rt, "bob", "status PUMP")
    en = await texts(rt, "alice", "状态 PUMP")
    assert "泵站改造：总进度" in zh and "3/8 完成" in zh and "现场安装" in zh
    assert "overall" in en and "3/8 tasks done" in en


async def test_my_tasks_lists_only_mine_and_open(rt: Runtime) -> None:
    out = await texts(rt, "bob", "我的任务")
    assert "PUMP-4" in out and "PUMP-7" in out
    assert "PUMP-1" not in out, "done tasks are not listed"
    assert "PUMP-5" not in out, "dave's tasks are not listed"


async def test_report_progress_with_note(rt: Runtime) -> None:
    out = await texts(rt, "bob", "report PUMP-3 60% 更换阀门")
    # PUMP-3 is done at 100%: reporting 60% reopens it.
    assert "100% → 60%" in out and "更换阀门" in out
    row = await task(rt, "PUMP-3")
    assert (row.percent, row.status) == (60, "in_progress")


async def test_bare_field_report_with_hours(rt: Runtime) -> None:
    before = (await task(rt, "PUMP-4")).spent_min
    out = await texts(rt, "bob", "PUMP-4 完成80% 3h")
    assert "40% → 80%" in out and "+3h" in out
    row = await task(rt, "PUMP-4")
    assert row.percent == 80 and row.spent_min == before + 180


async def test_request_and_approve_by_approver_only(rt: Runtime) -> None:
    out = await texts(rt, "bob", "申请 PUMP 备件采购 12000")
    assert "已提交申请 #2" in out and "12,000.00" in out
    carol = await feed.feed(rt.db, "carol")
    card = [m for m in carol if m.get("card_ref") == "approval:2"]
    assert len(card) == 1 and [b["id"] for b in card[0]["buttons"]] == ["approve", "reject"]

    assert "不能审批自己提交的申请" in await texts(rt, "bob", "approve 2")
    assert "不是审批 #2 的审批人" in await texts(rt, "dave", "同意 2")
    assert "not an approver of #2" in await texts(rt, "alice", "approve 2")
    async with rt.db.read() as s:
        assert (await s.get(ApprovalRow, 2)).state == "pending"  # type: ignore[union-attr]

    out = await texts(rt, "carol", "同意 2 没问题")
    assert "你已同意 #2" in out
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, 2)
        assert row is not None and (row.state, row.decided_by, row.comment) == ("approved", "carol", "没问题")
    carol = await feed.feed(rt.db, "carol")
    card = [m for m in carol if m.get("card_ref") == "approval:2"]
    assert len(card) == 1, "the card was updated in place, not sent again"
    assert card[0]["revision"] == 1 and card[0]["buttons"] == [] and "已同意" in card[0]["text"]
    bob = await feed.feed(rt.db, "bob")
    assert any("已被 刘芳 同意" in m["text"] for m in bob), "the requester hears the decision"


async def test_approve_twice_changes_nothing(rt: Runtime) -> None:
    await texts(rt, "carol", "approve 1")
    out = await texts(rt, "carol", "approve 1")
    assert "已由 刘芳 处理（已同意），未做更改" in out
    out = await texts(rt, "carol", "reject 1 太贵")
    assert "未做更改" in out
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, 1)
        assert row is not None and row.state == "approved"


async def test_a_decision_and_a_report_in_one_message_do_both(rt: Runtime) -> None:
    """"approve 1, and PUMP-4 is at 80%": the approval decided and the report written, in one command."""
    before = (await task(rt, "PUMP-4")).percent
    out = await texts(rt, "carol", "approve 1, and PUMP-4 is at 80%")
    assert "你已同意 #1" in out and "PUMP-4" in out, out
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, 1)
        assert row is not None and row.state == "approved" and not row.comment, "the report is not the comment"
    assert before != 80 and (await task(rt, "PUMP-4")).percent == 80
    out = await texts(rt, "carol", "approve 1, PUMP-4 的单子没问题")  # no report in the words: the approval only
    assert "未做更改" in out and (await task(rt, "PUMP-4")).percent == 80


async def test_a_count_of_work_is_asked_about_and_nothing_is_written(rt: Runtime) -> None:
    before = (await task(rt, "PUMP-4")).percent, await progress_count(rt, "PUMP-4")
    out = await texts(rt, "bob", "PUMP-4 装了 8 个")
    assert "未写入" in out and "数量" in out and "PUMP-4 60%" in out, out
    assert ((await task(rt, "PUMP-4")).percent, await progress_count(rt, "PUMP-4")) == before


async def test_delegate_hands_the_card_to_someone_else(rt: Runtime) -> None:
    # The demo's pending request #1 (alice's) waits for carol; she is away and hands it to frank.
    assert "不是审批 #1 的审批人" in await texts(rt, "dave", "转交 1 给 范磊")
    assert "不认识" in await texts(rt, "carol", "转交 1 给 nobody-here")
    assert "不能由其本人审批" in await texts(rt, "carol", "delegate 1 alice")
    assert "已经是 #1 的审批人" in await texts(rt, "carol", "delegate 1 carol")
    assert "缺少" in await texts(rt, "carol", "delegate 1")
    out = await texts(rt, "carol", "转交 1 给 范磊")
    assert "已转交 范磊" in out
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, 1)
        assert row is not None and row.approvers == ["frank"] and row.state == "pending"
    frank_card = [m for m in await feed.feed(rt.db, "frank") if m.get("card_ref") == "approval:1"]
    assert len(frank_card) == 1 and [b["id"] for b in frank_card[0]["buttons"]] == ["approve", "reject"]
    assert "刘芳 转交给你" in frank_card[0]["text"]
    carol_card = [m for m in await feed.feed(rt.db, "carol") if m.get("card_ref") == "approval:1"]
    assert carol_card and carol_card[-1]["buttons"] == [] and "已转交 范磊" in carol_card[-1]["text"]
    assert any("to 范磊" in m["text"] for m in await feed.feed(rt.db, "alice")), "the requester is told"
    assert "不是审批 #1 的审批人" in await texts(rt, "carol", "approve 1"), "carol is no longer asked"
    assert "你已同意 #1" in await texts(rt, "frank", "同意 1")
    assert "未做更改" in await texts(rt, "frank", "delegate 1 carol")
    async with rt.db.read() as s:
        audit = (await s.execute(select(AuditRow).where(col(AuditRow.action) == "approval.delegate"))).scalars()
        assert [a.detail["to"] for a in audit] == ["frank"]


async def test_two_approvers_clicking_at_once_apply_once(rt: Runtime) -> None:
    # Give PUMP a second approver, then let both click Approve on the same card concurrently.
    from bot.store.models import MembershipRow

    async with rt.db.write() as s:
        s.add(MembershipRow(project_key="PUMP", person_id="erin", role="approver"))
    await texts(rt, "bob", "request PUMP spare pump 5000")
    events = [
        InboundEvent(platform="console", event_id=f"click-{who}", kind="action", sender=who, conversation=who,
                     action={"id": "approve", "value": "2"}, received_at=rt.clock.now())
        for who in ("carol", "erin")
    ]
    await asyncio.gather(*(rt.inbox.accept(e) for e in events))
    await drain(rt)
    async with rt.db.read() as s:
        decided = (await s.execute(select(AuditRow).where(col(AuditRow.action) == "approval.approved"))).scalars()
        assert len(list(decided)) == 1
    replies = [m["text"] for who in ("carol", "erin") for m in await feed.feed(rt.db, who)]
    assert sum("你已同意 #2" in t or "You approved #2" in t for t in replies) == 1
    assert sum("未做更改" in t or "nothing changed" in t for t in replies) == 1


async def test_reject_needs_reason_and_notifies(rt: Runtime) -> None:
    assert "缺少原因" in await texts(rt, "carol", "驳回 1")
    out = await texts(rt, "carol", "驳回 1 预算超支")
    assert "你已驳回 #1" in out
    alice = await feed.feed(rt.db, "alice")
    assert any("was rejected by 刘芳: 预算超支" in m["text"] for m in alice), "alice reads English"


async def test_field_engineer_reports_only_on_own_projects(rt: Runtime) -> None:
    out = await texts(rt, "erin", "PUMP-4 90%")  # erin is in no project
    assert "not a member of project PUMP" in out
    assert (await task(rt, "PUMP-4")).percent == 40


async def test_a_project_is_read_by_its_members_unless_it_is_open(rt: Runtime) -> None:
    """Non-members read nothing of a project by default (status, a task, risks); `read: everyone` opens it."""
    from sqlalchemy import update

    from bot.store.models import ProjectRow
    for command in ("status PUMP", "status PUMP-4", "risks PUMP", "status PUMP 现场安装"):
        out = await texts(rt, "erin", command)  # erin is in no project
        assert "open to its members only" in out and "Alice Li" in out, command
        assert "PUMP-4" not in out or (command == "status PUMP-4" and "%" not in out)
    assert "%" in await texts(rt, "bob", "status PUMP")
    async with rt.db.write() as s:
        await s.execute(update(ProjectRow).where(col(ProjectRow.key) == "PUMP").values(read_access="everyone"))
    assert "%" in await texts(rt, "erin", "status PUMP")
    assert "not a member" in await texts(rt, "erin", "PUMP-4 90%"), "reading is not changing"
    from bot.store.models import PersonRow
    async with rt.db.write() as s:  # read by the project's department: erin's is another, then the same
        await s.execute(update(ProjectRow).where(col(ProjectRow.key) == "PUMP").values(read_access="department",
                                                                                        department="工程部"))
        await s.execute(update(PersonRow).where(col(PersonRow.id) == "erin").values(department="财务部"))
    assert "open to its members only" in await texts(rt, "erin", "status PUMP")
    async with rt.db.write() as s:
        await s.execute(update(PersonRow).where(col(PersonRow.id) == "erin").values(department="工程部"))
    assert "%" in await texts(rt, "erin", "status PUMP")


async def test_a_question_or_unclear_hours_write_nothing(rt: Runtime) -> None:
    async with rt.db.read() as s:
        before = (await s.execute(select(func.count()).select_from(ProgressRow))).scalar_one()
    # A question shows the task (its status); the rest say that nothing was written and why.
    for text, said in (("PUMP-4 完成了吗", "40%"), ("PUMP-4 每4小时巡检一次", "未写入"), ("PUMP-4 done for today", "未写入"),
                       ("PUMP-4 还要6小时", "未写入"), ("PUMP-4 两三个小时", "未写入"), ("PUMP-4 七八成", "还没有写入")):
        out = await texts(rt, "bob", text)
        assert said in out and "PUMP-4" in out, (text, out)
    row = await task(rt, "PUMP-4")
    assert row.percent == 40 and row.status != "done"
    async with rt.db.read() as s:
        assert (await s.execute(select(func.count()).select_from(ProgressRow))).scalar_one() == before


async def test_done_and_block(rt: Runtime) -> None:
    assert "阻塞" in await texts(rt, "dave", "block PUMP-6 缺少电缆")
    row = await task(rt, "PUMP-6")
    assert (row.status, row.blocked_reason) == ("blocked", "缺少电缆")
    assert "已完成" in await texts(rt, "dave", "完成 PUMP-6 接线完毕 2h")
    row = await task(rt, "PUMP-6")
    assert (row.status, row.percent) == ("done", 100)
    assert "已经完成了" in await texts(rt, "dave", "done PUMP-6")


async def test_approvals_risks_standup_link_subscribe(rt: Runtime) -> None:
    assert "预算变更" in await texts(rt, "carol", "待审批")
    risks = await texts(rt, "alice", "risks PUMP")
    assert "PUMP-5" in risks and "PUMP-6" in risks and "overdue by 2 d" in risks
    assert "请假" in await texts(rt, "bob", "站会 请假 12-01..12-05")
    assert "12-01" in await texts(rt, "bob", "standup away 12-01..12-05")
    assert "PMS 用户 bob2" in await texts(rt, "bob", "绑定 bob2")
    assert "已订阅 PUMP" in await texts(rt, "bob", "订阅 PUMP")
    assert "已经订阅过 PUMP" in await texts(rt, "bob", "订阅 PUMP")


async def test_status_of_task_and_milestone(rt: Runtime) -> None:
    out = await texts(rt, "bob", "status PUMP-5")
    assert "电缆敷设" in out and "等待电缆到货" in out
    out = await texts(rt, "alice", "status PUMP 现场安装")
    assert "milestone '现场安装'" in out


# --- bad input: a clear, localized reply and no change ------------------------------------------------


@pytest.mark.parametrize(
    ("person", "text", "expected"),
    [
        ("bob", "status NOPE", "没有项目 NOPE"),
        ("alice", "status NOPE", "There is no project NOPE"),
        ("bob", "report PUMP-99 50%", "没有任务 PUMP-99"),
        ("bob", "report PUMP-4 120%", "进度应在 0 到 100 之间"),
        ("alice", "report PUMP-4 -5%", "between 0 and 100"),
        ("bob", "", "消息是空的"),
        ("bob", "   ", "消息是空的"),
        ("bob", "x" * (10 * 1024 * 1024), "消息太长"),
        ("bob", "🚀🔥💯", "我不认识"),
        ("bob", "stauts PUMP", "状态 <项目"),
        ("alice", "aprove 1", "approve <id>"),
        ("bob", "approve 99", "没有审批 #99"),
        ("bob", "new NOPE title", "没有项目 NOPE"),
        ("bob", "new PUMP 标题 @nobody", "不认识「nobody」"),
        ("bob", "new PUMP 标题 @erin", "不是项目 PUMP 的成员"),
        ("bob", "status PUMP 不存在的里程碑", "没有里程碑"),
        ("bob", "request PUMP", "缺少"),
        ("bob", "PUMP-4 50% " + "长" * 1500, "说明太长了：1500 个字符，最多 1000 个"),
        ("bob", "new PUMP " + "标" * 300, "标题太长了"),
        ("alice", "request PUMP " + "s" * 300 + " 100", "The subject is too long: 300 characters, at most 200"),
        ("bob", "link " + "u" * 300, "PMS 用户名太长了"),
        ("bob", "block PUMP-4 " + "r" * 1200, "原因太长了"),
        ("bob", "PUMP-4 50% bad\ud800surrogate\x00nul", "已记录 PUMP-4"),
    ],
)
async def test_bad_input_gets_a_clear_reply(rt_any: Runtime, person: str, text: str, expected: str) -> None:
    rt = rt_any
    async with rt.db.read() as s:
        before = (await s.execute(select(func.count()).select_from(TaskRow))).scalar_one()
        percent = (await s.execute(select(TaskRow.percent).where(col(TaskRow.key) == "PUMP-4"))).scalar_one()
    out = await texts(rt, person, text)
    assert expected in out
    assert "Traceback" not in out and "出错" not in out and "went wrong" not in out
    async with rt.db.read() as s:
        assert (await s.execute(select(func.count()).select_from(TaskRow))).scalar_one() == before
        now_percent = (await s.execute(select(TaskRow.percent).where(col(TaskRow.key) == "PUMP-4"))).scalar_one()
    assert now_percent == (50 if expected.startswith("已记录") else percent)


async def test_injection_strings_are_data(rt: Runtime) -> None:
    sql = "'; DROP TABLE task; --"
    out = await texts(rt, "bob", f"report PUMP-4 50% {sql}")
    assert sql in out
    out = await texts(rt, "bob", "report PUMP-4 55% {{ 7*7 }} {% raw %}")
    assert "{{ 7*7 }}" in out and "49" not in out
    out = await texts(rt, "bob", "new PUMP {{ config }} <script>alert(1)</script> 🚰")
    assert "{{ config }} <script>alert(1)</script> 🚰" in out
    assert (await task(rt, "PUMP-4")).percent == 55


async def test_unknown_sender_is_told_how_to_link(rt: Runtime) -> None:
    await rt.inbox.accept(InboundEvent(platform="console", event_id="stranger-1", kind="message", sender="mallory",
                                       conversation="mallory", text="我的任务", received_at=rt.clock.now()))
    await drain(rt)
    out = [m["text"] for m in await feed.feed(rt.db, "mallory")]
    assert len(out) == 1 and "还不认识你" in out[0]


async def test_refused_command_applies_nothing(rt: Runtime) -> None:
    # `done` with hours logs work and comments before the transition; a refusal after that rolls it all back.
    before = await progress_count(rt, "PUMP-1")
    out = await texts(rt, "bob", "done PUMP-1 again 2h")
    assert "已经完成了" in out
    assert await progress_count(rt, "PUMP-1") == before


async def test_hostile_button_payloads(rt_any: Runtime) -> None:
    rt = rt_any
    payloads = [
        {"id": "approve", "value": "1; DROP TABLE approval"},
        {"id": "approve", "value": ""},
        {"id": "delete_everything", "value": "1"},
        {"id": "approve", "value": "9" * 40},
        {"id": "reject", "value": "1"},  # no reason
        {"id": "approve", "value": "²"},  # a digit to str.isdigit(), not to int()
        {"id": "approve", "value": "99999999999"},  # beyond a 32-bit id column
        {"id": "approve", "value": "2147483648"},
    ]
    for i, action in enumerate(payloads):
        await rt.inbox.accept(InboundEvent(platform="console", event_id=f"hostile-{i}", kind="action",
                                           sender="carol", conversation="carol", action=action,
                                           received_at=rt.clock.now()))
    await drain(rt)
    async with rt.db.read() as s:
        assert (await s.get(ApprovalRow, 1)).state == "pending"  # type: ignore[union-attr]
        dead = (await s.execute(select(func.count()).select_from(OutboxRow).where(col(OutboxRow.state) == "dead")))
        assert dead.scalar_one() == 0
    texts_ = [m["text"] for m in await feed.feed(rt.db, "carol")][-len(payloads):]
    assert all(t.startswith("⚠️") for t in texts_), texts_
    assert not any("出错" in t for t in texts_), "refused as bad input, not failed as an internal error"
    async with rt.db.read() as s:
        failed = (await s.execute(select(func.count()).select_from(InboxRow).where(col(InboxRow.error).is_not(None))))
        assert failed.scalar_one() == 0


async def test_redelivered_event_is_applied_once(rt: Runtime) -> None:
    event = InboundEvent(platform="console", event_id="same-id", kind="message", sender="bob", conversation="bob",
                         text="PUMP-4 +1h 复查", received_at=rt.clock.now())
    first = await rt.inbox.accept(event)
    second = await rt.inbox.accept(event)
    await drain(rt)
    third = await rt.inbox.accept(event)
    await drain(rt)
    assert not first.duplicate and second.duplicate and third.duplicate
    async with rt.db.read() as s:
        q = select(func.count()).select_from(ProgressRow).where(col(ProgressRow.note) == "复查")
        assert (await s.execute(q)).scalar_one() == 1


async def test_every_command_is_audited_and_chain_verifies(rt: Runtime) -> None:
    from bot.store.audit import verify

    await texts(rt, "bob", "PUMP-4 70%")
    await texts(rt, "carol", "approve 1")
    await texts(rt, "bob", "report PUMP-4 300%")
    async with rt.db.read() as s:
        actions = [a for (a,) in (await s.execute(select(AuditRow.action).order_by(col(AuditRow.id)))).all()]
    assert "pms.report" in actions and "approval.approved" in actions and "command.unparsed" in actions
    assert actions.count("command") >= 2
    result = await verify(rt.db)
    assert result.ok and result.rows == len(actions)


async def test_a_worker_whose_lease_ran_out_does_not_apply_the_event(rt: Runtime) -> None:
    from datetime import timedelta

    from bot.constants import INBOX_LEASE_S

    await rt.inbox.accept(InboundEvent(platform="console", event_id="slow-1", kind="message", sender="bob",
                                       conversation="bob", text="PUMP-4 +2h 慢工人", received_at=rt.clock.now()))
    (slow,) = await rt.inbox.claim(limit=1)
    (fast,) = await rt.inbox.claim(limit=1, now=rt.clock.now() + timedelta(seconds=INBOX_LEASE_S + 1))
    await rt.dispatcher.process(fast)
    await rt.dispatcher.process(slow)  # finishes late: its transaction must roll back
    async with rt.db.read() as s:
        q = select(func.count()).select_from(ProgressRow).where(col(ProgressRow.note) == "慢工人")
        assert (await s.execute(q)).scalar_one() == 1


async def test_say_returns_the_replies_to_its_own_message(rt: Runtime) -> None:
    results = await asyncio.gather(*(say(rt, "bob", f"PUMP-7 +1h note-{i}") for i in range(5)))
    for i, replies in enumerate(results):
        assert len(replies) == 1 and f"note-{i}" in replies[0].text
