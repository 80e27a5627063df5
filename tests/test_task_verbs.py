"""Finding and changing tasks in chat (issue 24), end to end on the console and the built-in PMS: tasks with
filters and pages, search, assign (and the hand-over said without a verb), comment, due dates in natural words,
priority, close and reopen; the refusals (not a member, no such task, an unknown or shared name) in both
languages; hostile input answered, never half-written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.config import Settings, load_config
from bot.constants import MAX_NAME_CHARS, MAX_NOTE_CHARS
from bot.demo.seed import seed
from bot.dispatch.events import CommandReader, command_of
from bot.pms.local import LocalPMS
from bot.records import InboundEvent, Person
from bot.runtime import Runtime
from bot.say import say
from bot.store import console as feed
from bot.store.models import AuditRow, ProgressRow, TaskRow
from bot.store.sync import apply_config
from bot.store.workspace import SqlWorkspace
from commands import model
from commands.views import task_buttons
from notifiers.render import Renderer
from tests.conftest import running_clock, set_clock
from tests.platform_org import demo_with

# Thursday 3 December 2026, 12:00 in Shanghai (the demo's timezone): the demo's due dates count from this day.
THURSDAY = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
at_thursday = pytest.mark.clock(THURSDAY)


async def texts(rt: Runtime, person: str, text: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, text))


async def task(rt: Runtime, key: str) -> TaskRow:
    async with rt.db.read() as s:
        return (await s.execute(select(TaskRow).where(col(TaskRow.key) == key))).scalar_one()


async def history(rt: Runtime, key: str) -> list[tuple[str, str]]:
    async with rt.db.read() as s:
        rows = await s.execute(select(ProgressRow).where(col(ProgressRow.task_key) == key)
                               .order_by(col(ProgressRow.id)))
        return [(r.kind, r.note) for r in rows.scalars().all()]


async def test_a_handover_without_a_verb_assigns_and_writes_no_progress_note(rt: Runtime) -> None:
    before = await history(rt, "PUMP-7")
    out = await texts(rt, "alice", "PUMP-7 给 张伟")
    assert "PUMP-7" in out and "assigned to 张伟" in out and "was 王波" in out
    assert (await task(rt, "PUMP-7")).assignee == "dave"
    after = await history(rt, "PUMP-7")
    assert [k for k, _ in after[len(before):]] == ["edit"], after  # no report with the note "给 张伟"
    assert "Alice Li" in after[-1][1] and "张伟" in after[-1][1]
    told = [m["text"] for m in await feed.feed(rt.db, "dave") if m["direction"] == "out"]
    assert any("Alice Li 给你分配了任务" in t and "PUMP-7" in t for t in told), told
    async with rt.db.read() as s:
        audit = (await s.execute(select(AuditRow).where(col(AuditRow.action) == "pms.assign"))).scalars().all()
    assert [(a.actor, a.subject) for a in audit] == [("alice", "PUMP-7")]
    out = await texts(rt, "bob", "assign PUMP-7 to bob")  # in English to the same person: in their language
    assert "已指派给 王波" in out and (await task(rt, "PUMP-7")).assignee == "bob"
    assert "已经指派给 王波" in await texts(rt, "bob", "指派 PUMP-7 给 王波")


async def test_assign_refusals_in_both_languages(rt: Runtime) -> None:
    cases = [
        ("erin", "assign PUMP-7 to bob", "not a member of project PUMP"),
        ("alice", "assign PUMP-99 to bob", "There is no task PUMP-99"),
        ("alice", "assign NOPE-1 to bob", "There is no project NOPE"),
        ("alice", "assign PUMP-7 to nobody", "I don't know 'nobody'"),
        ("alice", "assign PUMP-7 to erin", "Erin Zhao is not a member of project PUMP"),
        ("bob", "PUMP-99 给 张伟", "没有任务 PUMP-99"),
        ("bob", "指派 PUMP-7 给 路人甲", "路人甲"),
    ]
    for person, text, expect in cases:
        assert expect in await texts(rt, person, text), text
    assert (await task(rt, "PUMP-7")).assignee == "bob"


@pytest.fixture
async def shared_names(sqlite_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    """The demo with dave also called 王波, and Alice in Los Angeles (the deployment is in Shanghai)."""
    config = demo_with(tmp_path, {"dave": {"name": "王波"}, "alice": {"timezone": "America/Los_Angeles"}})
    runtime = Runtime(Settings(database_url=sqlite_url), load_config(config), console=True,
                      clock=running_clock(request))
    await runtime.open()
    await seed(runtime)
    await apply_config(runtime.db, runtime.config, now=runtime.clock.now())  # the seed applied the plain demo
    yield runtime
    await runtime.close()


async def test_a_name_two_members_share_is_asked_about_never_guessed(shared_names: Runtime) -> None:
    rt = shared_names
    out = await texts(rt, "alice", "PUMP-6 给 王波")
    assert "Several people are called '王波'" in out and "(bob)" in out and "(dave)" in out
    assert (await task(rt, "PUMP-6")).assignee == "dave"
    assert "叫「王波」的有好几位" in await texts(rt, "bob", "指派 PUMP-7 给 王波")
    out = await texts(rt, "alice", "new PUMP inspect the valves @王波")  # a new task's assignee: asked too
    assert "Several people are called '王波'" in out and "PUMP-9" not in out
    out = await texts(rt, "alice", "assign PUMP-6 to bob")  # the id settles it
    assert "assigned to 王波" in out and (await task(rt, "PUMP-6")).assignee == "bob"


@pytest.mark.clock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))  # Friday 10:00 in Shanghai, Thursday 18:00 in LA
async def test_due_dates_are_read_on_the_persons_own_day(shared_names: Runtime) -> None:
    rt = shared_names
    await texts(rt, "alice", "due PUMP-8 tomorrow")
    assert (await task(rt, "PUMP-8")).due == date(2026, 12, 4)  # Alice's tomorrow: Friday
    await texts(rt, "bob", "截止 PUMP-7 明天")
    assert (await task(rt, "PUMP-7")).due == date(2026, 12, 5)  # 王波's: Saturday


@at_thursday
async def test_due_dates_in_natural_words_and_never_the_wrong_year(rt: Runtime) -> None:
    out = await texts(rt, "bob", "截止 PUMP-7 下周五")
    assert "2026-12-11" in out and "周五" in out and (await task(rt, "PUMP-7")).due == date(2026, 12, 11)
    out = await texts(rt, "alice", "due PUMP-7 next Friday")
    assert "2026-12-11 (Friday)" in out
    await texts(rt, "alice", "deadline PUMP-7 Dec 20")
    assert (await task(rt, "PUMP-7")).due == date(2026, 12, 20)
    await texts(rt, "bob", "改期 PUMP-7 1月5日")  # January: next year's
    assert (await task(rt, "PUMP-7")).due == date(2027, 1, 5)
    out = await texts(rt, "alice", "due PUMP-7 Dec 1")  # two days ago: refused, not moved to next year
    assert "2026-12-01 has passed" in out and (await task(rt, "PUMP-7")).due == date(2027, 1, 5)
    assert "日期「someday」无效" in await texts(rt, "bob", "截止 PUMP-7 someday")


@at_thursday
async def test_the_year_turns_at_new_year(rt: Runtime) -> None:
    set_clock(rt, datetime(2026, 12, 30, 4, 0, tzinfo=UTC))
    await texts(rt, "alice", "due PUMP-7 Jan 5")
    assert (await task(rt, "PUMP-7")).due == date(2027, 1, 5)
    await texts(rt, "alice", "due PUMP-7 next monday")
    assert (await task(rt, "PUMP-7")).due == date(2027, 1, 4)


async def test_priority_comment_close_and_reopen(rt: Runtime) -> None:
    assert "优先级 高" in await texts(rt, "bob", "优先级 PUMP-7 高")
    assert (await task(rt, "PUMP-7")).priority == "high"
    assert "priority urgent (was high)" in await texts(rt, "alice", "priority PUMP-7 urgent")
    assert "不是优先级" in await texts(rt, "bob", "优先级 PUMP-7 <b>最</b>")
    before = await task(rt, "PUMP-7")
    assert "已在 PUMP-7" in await texts(rt, "bob", "PUMP-7 备注：等厂家回电")
    assert "Comment added to PUMP-7" in await texts(rt, "alice", "comment PUMP-7 vendor calls Monday")
    after = await task(rt, "PUMP-7")
    assert (after.status, after.percent) == (before.status, before.percent)  # a comment reports no progress
    assert [k for k, _ in (await history(rt, "PUMP-7"))[-2:]] == ["comment", "comment"]
    assert "is closed" in await texts(rt, "alice", "close PUMP-7 duplicate of PUMP-4")
    assert (await task(rt, "PUMP-7")).status == "done"
    assert "已经完成" in await texts(rt, "bob", "关闭 PUMP-7")
    assert "已重新打开" in await texts(rt, "bob", "重新打开 PUMP-7 还要调试")
    assert (await task(rt, "PUMP-7")).status == "in_progress"
    assert "is not closed" in await texts(rt, "alice", "reopen PUMP-7")
    assert "not a member" in await texts(rt, "erin", "close PUMP-7")
    await texts(rt, "alice", "close PUMP-8")
    assert "Undone on PUMP-8" in await texts(rt, "alice", "undo")  # a close is undone like a done
    assert (await task(rt, "PUMP-8")).status == "todo"


async def test_priority_one_step_up_or_down_said_key_first(rt: Runtime) -> None:
    assert "优先级 高" in await texts(rt, "bob", "PUMP-7 优先级调高")  # normal -> high
    assert (await task(rt, "PUMP-7")).priority == "high"
    assert "priority urgent (was high)" in await texts(rt, "alice", "PUMP-7 bump priority up")
    assert "already at the highest priority" in await texts(rt, "alice", "priority PUMP-7 higher")
    assert (await task(rt, "PUMP-7")).priority == "urgent"
    for _ in range(3):
        await texts(rt, "alice", "PUMP-7 priority lower")
    assert (await task(rt, "PUMP-7")).priority == "low"
    assert "已经是最低优先级" in await texts(rt, "bob", "PUMP-7 优先级调低")
    assert "已重新打开" not in await texts(rt, "bob", "PUMP-7 重新打开")  # not closed: refused, not reopened
    assert "is closed" in await texts(rt, "alice", "PUMP-7 close it, duplicate")
    assert (await task(rt, "PUMP-7")).status == "done"


@at_thursday
async def test_tasks_with_filters(rt: Runtime) -> None:
    mine = await texts(rt, "bob", "任务列表 我的")
    assert "PUMP-4" in mine and "PUMP-7" in mine and "PUMP-6" not in mine and "共 2 个" in mine
    overdue = await texts(rt, "alice", "tasks PUMP overdue")
    assert "PUMP-6" in overdue and "PUMP-4" not in overdue and ": 1" in overdue
    assert "PUMP-5" in await texts(rt, "alice", "tasks blocked") and "PUMP-4" not in await texts(
        rt, "alice", "tasks blocked")
    week = await texts(rt, "alice", "tasks week")  # due by Sunday 6 December: PUMP-4 (+3 days)
    assert "PUMP-4" in week and "PUMP-5" not in week and "PUMP-6" not in week
    done = await texts(rt, "alice", "tasks PUMP done")
    assert all(f"PUMP-{n}" in done for n in (1, 2, 3)) and "PUMP-4" not in done
    assert "Erin" not in await texts(rt, "erin", "tasks") and "None found" in await texts(rt, "erin", "tasks")
    assert "open to its members only" in await texts(rt, "erin", "tasks PUMP")
    assert "'MILL' is not a task key" in await texts(rt, "alice", "tasks PUMP MILL")


async def test_tasks_and_search_come_in_pages(rt: Runtime) -> None:
    async with rt.db.write() as s:
        pms = LocalPMS(s, clock=rt.clock)
        alice = await rt_person(rt, "alice")
        for n in range(14):
            await pms.create_task("PUMP", f"巡检 阀门 {n:02d}", assignee=None, due=None, by=alice)
    first = await texts(rt, "alice", "tasks PUMP")
    assert "page 1 of 2" in first and "Next: `tasks PUMP page 2`" in first and first.count("• ") == 10
    second = await texts(rt, "alice", "tasks PUMP page 2")
    assert "page 2 of 2" in second and second.count("• ") == 19 - 10 and "Next" not in second
    assert "No page 5" in await texts(rt, "alice", "tasks PUMP page 5")
    found = await texts(rt, "bob", "搜索 阀门 第2页")
    assert "共 14 个 · 第 2/2 页" in found and found.count("• ") == 4
    assert "没有第 101 页" in await texts(rt, "bob", "搜索 阀门 第101页")


async def rt_person(rt: Runtime, person_id: str) -> Person:
    async with rt.db.read() as s:
        person = await SqlWorkspace(s, default_locale="en").person(person_id)
    assert person is not None
    return person


async def test_search_by_title_and_notes_with_hostile_words(rt: Runtime) -> None:
    assert "PUMP-4" in await texts(rt, "bob", "搜索 进水阀")
    await texts(rt, "bob", "PUMP-7 备注 vendor ACME-77 calls back")
    found = await texts(rt, "alice", "search acme-77")
    assert "PUMP-7" in found and "PUMP-4" not in found
    for words in ("%", "_", "\\", "' OR '1'='1", "\"; DROP TABLE task; --", "<script>x</script>"):
        out = await texts(rt, "alice", f"search {words}")
        assert "None found" in out, (words, out)
    assert "Missing words to search for" in await texts(rt, "alice", "search")
    assert len(await texts(rt, "alice", "search " + "阀" * 1900)) < 4000


async def test_hostile_change_commands_are_refused_clearly_and_write_nothing(rt: Runtime) -> None:
    before = await task(rt, "PUMP-7"), await history(rt, "PUMP-7")
    cases = [
        ("alice", "comment PUMP-7 " + "x" * (MAX_NOTE_CHARS + 1), "too long"),
        ("alice", "assign PUMP-7 to " + "y" * (MAX_NAME_CHARS + 1), "too long"),
        ("alice", "due PUMP-7 9999-99-99", "not valid"),
        ("alice", "due PUMP-7 2026-02-30", "not valid"),
        ("alice", "priority PUMP-7 '; DROP TABLE task; --", "not a priority"),
        ("alice", "assign PUMP-7 to '; DROP TABLE person; --", "I don't know"),
        ("alice", "assign ../../etc/passwd to bob", "not a task key"),
        ("alice", "close PUMP-7\u0000", "PUMP-7"),
        ("bob", "PUMP-7 给 \u202e王波", "PUMP-7"),
    ]
    for person, text, expect in cases:
        out = await texts(rt, person, text)
        assert expect in out, (text, out)
    after = await task(rt, "PUMP-7")
    assert after.assignee == before[0].assignee and after.due == before[0].due and after.priority is None


async def test_each_write_is_once_and_attributed(rt: Runtime) -> None:
    await texts(rt, "alice", "due PUMP-7 in 3 days")
    await texts(rt, "alice", "priority PUMP-7 low")
    async with rt.db.read() as s:
        rows = (await s.execute(select(AuditRow).where(col(AuditRow.subject) == "PUMP-7",
                                                       col(AuditRow.action).in_(("pms.due", "pms.priority"))))
                ).scalars().all()
    assert sorted(r.action for r in rows) == ["pms.due", "pms.priority"] and {r.actor for r in rows} == {"alice"}
    edits = [n for k, n in await history(rt, "PUMP-7") if k == "edit"]
    assert len(edits) == 2 and all(n.startswith("Alice Li (pmsbot):") for n in edits)



@pytest.mark.parametrize("platform", ["console", "slack", "feishu", "dingtalk"])
@pytest.mark.parametrize("locale", ["zh", "en"])
def test_a_task_list_renders_with_open_and_report_buttons_everywhere(platform: str, locale: str) -> None:
    rows = [{"key": f"A-{n}", "title": f"<b>阀门</b> {n}", "status": "todo", "percent": 0, "assignee": None,
             "due": None} for n in (1, 2)]
    out = Renderer().render(platform=platform, locale=locale, kind="task_list", data={
        "tasks": rows, "total": 12, "page": 1, "pages": 2, "search": "阀门", "project": None, "filters": [],
        "capped": False,
        "next": "search 阀门 page 2"}, actions=[{"id": a.id, "value": a.value} for a in task_buttons(["A-1", "A-2"])])
    assert "A-1" in out.text and "A-2" in out.text and "search 阀门 page 2" in out.text
    opened = "查看" if locale == "zh" else "Open"
    assert [(b.id, b.value, b.label) for b in out.buttons][:2] == [
        ("open", "A-1", f"{opened} A-1"), ("report", "A-1", ("汇报" if locale == "zh" else "Report") + " A-1")]


@pytest.mark.parametrize(("verb", "value", "expect"), [
    ("open", "PUMP-4", model.Status(target="PUMP-4")), ("report", "PUMP-4", model.FieldLink(task="PUMP-4")),
    ("open", "pump-4", "bad_approval_id"), ("open", "PUMP-4 ", "bad_approval_id"), ("report", "12", "bad_approval_id"),
    ("open", "PUMP-4\nstatus PUMP", "bad_approval_id"), ("approve", "PUMP-4", "bad_approval_id"),
])
def test_a_task_buttons_click_is_checked_field_by_field(verb: str, value: str, expect: object) -> None:
    event = InboundEvent(platform="slack", event_id="e1", kind="action", sender="U1", conversation="C1",
                         action={"id": verb, "value": value}, received_at=THURSDAY)
    got = command_of(event, THURSDAY.date())
    assert got == expect if not isinstance(expect, str) else (isinstance(got, model.ParseError) and got.code == expect)


def test_a_message_is_read_once_however_often_the_worker_asks() -> None:
    event = InboundEvent(platform="slack", event_id="e2", kind="message", sender="U1", conversation="C1",
                         text="PUMP-4 TK-7 清罐 60%", received_at=THURSDAY)
    projects = frozenset({"PUMP"})
    first = command_of(event, THURSDAY.date(), None, projects)
    assert first == model.Report(task="PUMP-4", percent=60, note="TK-7 清罐")
    assert command_of(event, THURSDAY.date(), None, projects) is first  # the same reading, not parsed again
    assert command_of(event, THURSDAY.date()) != first  # without the projects, TK-7 is a task of its own


async def test_correcting_hours_names_the_task_and_never_touches_another(rt: Runtime) -> None:
    spent4 = (await task(rt, "PUMP-4")).spent_min
    await texts(rt, "bob", "report PUMP-4 50% 3h")
    await texts(rt, "bob", "report PUMP-7 10% 1h")
    spent7 = (await task(rt, "PUMP-7")).spent_min
    out = await texts(rt, "bob", "correct PUMP-4 2h")  # the last write was on PUMP-7: PUMP-4's hours stay
    assert "最近一次修改的是 PUMP-7，不是 PUMP-4" in out
    assert ((await task(rt, "PUMP-4")).spent_min, (await task(rt, "PUMP-7")).spent_min) == (spent4 + 180, spent7)
    assert "PUMP-7" in await texts(rt, "bob", "更正 PUMP-7 2h")
    assert (await task(rt, "PUMP-7")).spent_min == spent7 + 60
    await texts(rt, "alice", "report PUMP-8 5% 1h")
    assert "last change was on PUMP-8, not PUMP-4" in await texts(rt, "alice", "PUMP-4 不对，是2h")


async def test_an_equipment_tag_beside_a_task_is_no_task(rt: Runtime) -> None:
    """The dispatcher gives the parser the projects there are: "TK-7" (no project's) beside PUMP-7 is a word of the
    report, and the report is PUMP-7's, its note as typed; a tag alone is refused by name, nothing written."""
    out = await texts(rt, "alice", "PUMP-7 TK-7 清罐 60% 了")
    assert "PUMP-7" in out and "60%" in out and "TK-7" not in out.split("PUMP-7")[0], out
    assert (await task(rt, "PUMP-7")).percent == 60
    assert any("TK-7 清罐" in note for kind, note in await history(rt, "PUMP-7")), await history(rt, "PUMP-7")
    out = await texts(rt, "alice", "TK-7 60%")
    assert "TK" in out and (await task(rt, "PUMP-7")).percent == 60, out


class _CountingStore:
    """The two reads a message's words need from the store, counted."""

    def __init__(self) -> None:
        self.reads = 0

    async def project_keys(self) -> frozenset[str]:
        self.reads += 1
        return frozenset({"PUMP"})

    async def project_of_channel(self, platform: str, conversation: str) -> str | None:
        self.reads += 1
        return "PUMP"


async def test_a_message_reads_the_store_once_however_often_the_worker_asks() -> None:
    """A worker asks for the command of the event it handles up to four times (files, language model, read-first,
    write): the projects and the chat's project are read for the first ask only; the next event reads them again."""
    store, reader = _CountingStore(), CommandReader()
    event = InboundEvent(platform="console", event_id="e1", kind="message", sender="alice", conversation="c1",
                         text="PUMP-7 TK-7 清罐 60%，见群公告 #3", received_at=THURSDAY)
    firsts = [await reader.command(cast(SqlWorkspace, store), event, date(2026, 12, 3)) for _ in range(4)]
    assert store.reads == 2 and len({repr(c) for c in firsts}) == 1, (store.reads, firsts)
    assert isinstance(firsts[0], model.Report) and firsts[0].task == "PUMP-7", firsts[0]
    await reader.command(cast(SqlWorkspace, store), replace(event, event_id="e2"), date(2026, 12, 3))
    assert store.reads == 4
