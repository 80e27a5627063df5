"""The clock's work, time-travelled: standup prompts on workdays only, per member's timezone, once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import run_due
from bot.clocks import SYSTEM_CLOCK
from bot.config import CalendarConfig, Settings, parse_config
from bot.jobs.standups import next_runs
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from tests.conftest import running_clock, set_clock

SH = ZoneInfo("Asia/Shanghai")


def only(rt: Runtime, *, risk_alerts: bool = False, approvals: bool = False) -> Runtime:
    """Keep one kind of the clock's work in a test, so counts do not depend on the others or on today."""
    projects = tuple(p if approvals else p.model_copy(update={"remind_after_h": None, "escalate_after_h": None})
                     for p in rt.config.projects)
    # The PMO's weekly digest (Mondays 09:00 in the demo) is another kind of work: off here.
    update: dict[str, object] = {"projects": projects,
                                 "portfolio": rt.config.portfolio.model_copy(update={"digest": None})}
    if not risk_alerts:
        update["risk_alerts"] = ()
    rt.reconfigure(rt.config.model_copy(update=update))
    return rt


@contextlib.asynccontextmanager
async def runtime_for(yaml_text: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A runtime on a fresh SQLite file with a configuration written for the test."""
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"),
                 parse_config(yaml_text, name="t.yaml", env={}), clock=running_clock())
    await rt.open()
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
def standups(rt: Runtime) -> Runtime:
    return only(rt)


def at_930(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=SH)


@pytest.mark.clock(datetime(2026, 9, 27, 18, 0, tzinfo=SH))
async def test_a_month_of_standups_on_chinas_calendar(standups: Runtime) -> None:
    rt = standups
    await say(rt, "bob", "请假 12-10..12-12")  # Thursday to Saturday
    sent: dict[date, int] = {}
    day = date(2026, 9, 28)
    while day <= date(2026, 10, 12):
        sent[day] = await run_due(rt.jobs, at_930(day))
        assert await run_due(rt.jobs, at_930(day)) == 0, "running the same instant again does nothing"
        day += timedelta(days=1)
    day = date(2026, 12, 1)
    while day <= date(2026, 12, 31):
        sent[day] = await run_due(rt.jobs, at_930(day))
        day += timedelta(days=1)
    await drain(rt)
    assert [d for d, n in sent.items() if date(2026, 9, 28) <= d <= date(2026, 10, 12) and n] == [
        date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30),  # then National Day, 10-01..10-07
        date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10),  # 10-10 is a working Saturday (调休)
        date(2026, 10, 12),
    ]
    assert sent[date(2026, 12, 10)] == 2 and sent[date(2026, 12, 11)] == 2, "bob is away"
    assert sent[date(2026, 12, 14)] == 3
    assert sum(sent[d] for d in sent if d.month == 12) == 23 * 3 - 2  # 23 workdays in December 2026
    bob = [m["text"] for m in await feed.feed(rt.db, "bob", limit=500) if "站会" in m["text"] and "PUMP" in m["text"]]
    alice = [m["text"] for m in await feed.feed(rt.db, "alice", limit=500) if "standup (" in m["text"]]
    assert (len(alice), len(bob)) == (7 + 23, 7 + 23 - 2), "every workday, less bob's two days away"
    assert "请在 10:30 前回复" in bob[0] and "please answer by 10:30" in alice[0]


async def test_only_the_minute_of_the_run_is_due(standups: Runtime) -> None:
    rt = standups
    assert await run_due(rt.jobs, at_930(date(2026, 12, 1)) - timedelta(minutes=1)) == 0
    assert await run_due(rt.jobs, at_930(date(2026, 12, 1)) + timedelta(seconds=59)) == 3
    assert await run_due(rt.jobs, at_930(date(2026, 12, 1))) == 0


async def test_members_get_their_prompt_at_their_own_local_time(tmp_path: Path) -> None:
    async with runtime_for(
        "people:\n"
        "  - {id: li, name: 李, timezone: Asia/Shanghai}\n"
        "  - {id: sam, name: Sam, locale: en, timezone: America/New_York}\n"
        "projects:\n  - {key: OPS, name: Ops, members: [li, sam]}\n"
        "standups:\n  - {name: ops, project: OPS, members: [li, sam], at: '09:00', calendar: none}\n",
        tmp_path,
    ) as rt:
        runs = {r.person_id: r for r in await next_runs(rt.db, rt.config, datetime(2026, 3, 6, 12, 0, tzinfo=SH))}
        assert runs["li"].at is not None and runs["li"].at.isoformat() == "2026-03-09T09:00:00+08:00"
        assert runs["sam"].at is not None and runs["sam"].at.isoformat() == "2026-03-06T09:00:00-05:00"
        assert await run_due(rt.jobs, datetime(2026, 3, 9, 9, 0, tzinfo=SH)) == 1  # li only
        assert await run_due(rt.jobs, datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("America/New_York"))) == 1  # sam, EDT


async def test_a_naive_instant_is_refused(rt: Runtime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await run_due(rt.jobs, datetime(2026, 12, 1, 9, 30))  # noqa: DTZ001


async def test_a_restarted_clock_catches_each_missed_minute_up_once(standups: Runtime, tmp_path: Path) -> None:
    rt = standups
    from bot.store.clock_state import save_tick
    from bot.store.leader import FileLeader

    runner = rt.clock_runner(FileLeader(str(tmp_path / "lock")))
    await save_tick(rt.db, datetime(2026, 12, 1, 9, 25, tzinfo=SH))  # the clock was down from 09:26
    assert await runner.tick(datetime(2026, 12, 1, 9, 41, 7, tzinfo=SH)) == 3, "the 09:30 prompts, late"
    assert await runner.tick(datetime(2026, 12, 1, 9, 41, 50, tzinfo=SH)) == 0, "that minute is done"
    # Up to the next day's 09:30: the first day's 10:00 reminders (nobody answered) and 10:30 summary, the
    # admin's December calendar warning at 09:00, then the next day's prompts.
    assert await runner.tick(datetime(2026, 12, 2, 9, 30, tzinfo=SH)) == 3 + 1 + 1 + 3


async def test_missed_skip_sends_only_what_is_due_now(tmp_path: Path) -> None:
    from bot.store.clock_state import save_tick
    from bot.store.leader import FileLeader

    async with runtime_for(
        "people:\n  - {id: li, name: 李}\nprojects:\n  - {key: OPS, name: Ops, members: [li]}\n"
        "standups:\n  - {name: ops, project: OPS, members: [li], at: '09:00', missed: skip, calendar: none}\n",
        tmp_path,
    ) as rt:
        runner = rt.clock_runner(FileLeader(str(tmp_path / "lock")))
        await save_tick(rt.db, datetime(2026, 12, 1, 8, 0, tzinfo=SH))
        assert await runner.tick(datetime(2026, 12, 1, 9, 5, tzinfo=SH)) == 0, "09:00 was missed: skipped"
        assert await runner.tick(datetime(2026, 12, 2, 9, 0, tzinfo=SH)) == 1


async def test_one_file_lock_holder_at_a_time(tmp_path: Path) -> None:
    from bot.store.leader import FileLeader

    first, second = FileLeader(str(tmp_path / "lock")), FileLeader(str(tmp_path / "lock"))
    assert await first.try_acquire() and not await second.try_acquire()
    await first.release()
    assert await second.try_acquire() and await second.still_held()
    await second.release()


async def test_one_advisory_lock_holder_at_a_time(db_url: str) -> None:
    from bot.store.db import Database
    from bot.store.leader import leader_for

    if "sqlite" in db_url:
        return  # the file lock is tested above
    a_db, b_db = Database(db_url), Database(db_url)
    a, b = leader_for(a_db), leader_for(b_db)
    try:
        assert await a.try_acquire() and not await b.try_acquire()
        assert await a.still_held()
        await a.release()  # as when its process dies: the session ends and the lock with it
        assert await b.try_acquire()
    finally:
        await a.release()
        await b.release()
        await a_db.dispose()
        await b_db.dispose()


@pytest.mark.clock(datetime(2026, 12, 1, 9, 29, tzinfo=SH))
async def test_a_standup_day_prompt_answers_reminder_and_summary(standups: Runtime) -> None:
    rt = standups
    day = date(2026, 12, 1)
    set_clock(rt, datetime.combine(day, time(9, 45), tzinfo=SH))  # answers belong to that day
    assert await run_due(rt.jobs, at_930(day)) == 3
    await say(rt, "alice", "standup replaced the inlet valve; today cabling")
    await say(rt, "bob", "站会 电缆还没到，阻塞中")
    await say(rt, "bob", "站会 电缆还没到，PUMP-5 阻塞")  # a corrected answer replaces the first
    # remind_at defaults to 30 minutes before the 10:30 deadline: only dave has not answered.
    assert await run_due(rt.jobs, datetime.combine(day, time(10, 0), tzinfo=SH)) == 1
    assert await run_due(rt.jobs, datetime.combine(day, time(10, 0), tzinfo=SH)) == 0
    await drain(rt)
    dave = [m["text"] for m in await feed.feed(rt.db, "dave")]
    assert sum("还没收到你的回复" in t for t in dave) == 1
    assert await run_due(rt.jobs, datetime.combine(day, time(10, 30), tzinfo=SH)) == 1  # one summary
    assert await run_due(rt.jobs, datetime.combine(day, time(10, 30), tzinfo=SH)) == 0
    await drain(rt)
    summary = next(m["text"] for m in await feed.feed(rt.db, "bob") if "站会汇总" in m["text"])
    lines = summary.splitlines()
    assert "2/3 人已回复" in lines[0]
    assert lines[1] == "⛔ 王波：电缆还没到,PUMP-5 阻塞", "blockers first, the corrected answer"
    assert "Alice Li：replaced the inlet valve; today cabling" in lines[2] and "张伟：未回复" in lines[3]
    alice = next(m["text"] for m in await feed.feed(rt.db, "alice") if "standup for 2026-12-01" in m["text"])
    assert "2/3 answered" in alice and "张伟: no answer" in alice


@pytest.mark.clock(datetime(2026, 11, 30, 18, 0, tzinfo=SH))
async def test_no_reminder_for_someone_away_or_on_a_holiday(standups: Runtime) -> None:
    rt = standups
    await say(rt, "dave", "请假 12-01")
    assert await run_due(rt.jobs, at_930(date(2026, 12, 1))) == 2
    assert await run_due(rt.jobs, datetime(2026, 12, 1, 10, 0, tzinfo=SH)) == 2, "alice and bob, not dave"
    assert await run_due(rt.jobs, datetime(2026, 10, 1, 10, 0, tzinfo=SH)) == 0, "National Day"
    assert await run_due(rt.jobs, datetime(2026, 10, 1, 10, 30, tzinfo=SH)) == 0


def first_workday_from(day: date) -> date:
    from bot.schedule.calendar import WorkCalendar

    cal = WorkCalendar(country="CN")
    while not cal.is_workday(day):
        day += timedelta(days=1)
    return day


@pytest.mark.clock(datetime(2026, 12, 7, 8, 0, tzinfo=SH))  # a Monday; the demo is seeded an hour before the scan
async def test_risk_alerts_are_sent_once_then_after_cooldown_unless_acknowledged(rt: Runtime) -> None:
    from bot.jobs.calendar import calendar_gaps
    from bot.records import InboundEvent

    only(rt, risk_alerts=True)
    day = rt.clock.today(SH)
    nine = datetime.combine(day, time(9, 0), tzinfo=SH)
    # Three alerts (blocked PUMP-5, overdue PUMP-6, behind PUMP-4) to the PM, and a calendar warning per year
    # whose 调休 the holidays library does not know yet.
    assert await run_due(rt.jobs, nine) == 3 + len({year for _, year in calendar_gaps(rt.config, day)})
    assert await run_due(rt.jobs, nine) == 0
    await drain(rt)
    cards = [m for m in await feed.feed(rt.db, "alice") if (m.get("card_ref") or "").startswith("alert:")]
    assert len(cards) == 3 and all([b["id"] for b in c["buttons"]] == ["ack", "snooze"] for c in cards)
    blocked = next(c for c in cards if "PUMP-5" in c["text"])
    alert_id = blocked["card_ref"].split(":")[1]

    def click(who: str, action: str, n: int) -> InboundEvent:
        return InboundEvent(platform="console", event_id=f"{who}-{action}-{n}", kind="action", sender=who,
                            conversation=who, action={"id": action, "value": alert_id}, received_at=nine)

    await rt.inbox.accept(click("erin", "ack", 1))  # not on the project: refused, nothing changes
    await rt.inbox.accept(click("alice", "ack", 2))
    await drain(rt)
    assert any("not a member of project PUMP" in m["text"] for m in await feed.feed(rt.db, "erin"))
    card = await feed.get(rt.db, blocked["id"])
    assert card is not None and "acknowledged by Alice Li" in card["text"] and card["buttons"] == []

    marker = max(m["id"] for m in await feed.feed(rt.db, "alice"))
    next_day = first_workday_from(day + timedelta(days=1))
    assert await run_due(rt.jobs, datetime.combine(next_day, time(9, 0), tzinfo=SH)) >= 1
    await drain(rt)
    resent = [m["text"] for m in await feed.feed(rt.db, "alice", after_id=marker)
              if (m.get("card_ref") or "").startswith("alert:")]
    assert any("PUMP-6" in t for t in resent), "an open risk comes back after its 24 h cooldown"
    assert not any("PUMP-5" in t for t in resent), "the acknowledged one does not"


async def test_admins_are_warned_from_november_when_next_years_adjusted_days_are_unknown(rt: Runtime) -> None:
    # Years far enough ahead that no release of the holidays library knows their 调休: this year's are entered.
    this_year = CalendarConfig(extra_workdays=(date(2040, 2, 4),))
    rt.reconfigure(rt.config.model_copy(update={"calendars": {"CN": this_year}}))
    await run_due(rt.jobs, datetime(2040, 10, 31, 9, 0, tzinfo=SH))  # October: next year's are not expected yet
    await drain(rt)
    assert not any("调休" in m["text"] or "adjusted workdays" in m["text"] for m in await feed.feed(rt.db, "alice"))
    await run_due(rt.jobs, datetime(2040, 11, 1, 9, 0, tzinfo=SH))
    await run_due(rt.jobs, datetime(2040, 11, 1, 9, 0, tzinfo=SH))
    await drain(rt)
    warnings = [m["text"] for m in await feed.feed(rt.db, "alice") if "adjusted workdays" in m["text"]]
    assert len(warnings) == 1 and "CN" in warnings[0] and "2041" in warnings[0], "alice is the admin; once a day"
    assert not any("调休安排" in m["text"] for m in await feed.feed(rt.db, "bob")), "only admins"
    published = CalendarConfig(extra_workdays=(date(2040, 2, 4), date(2041, 2, 3)))  # the admin adds them
    rt.reconfigure(rt.config.model_copy(update={"calendars": {"CN": published}}))
    await run_due(rt.jobs, datetime(2040, 11, 2, 9, 0, tzinfo=SH))
    await drain(rt)
    assert len([m for m in await feed.feed(rt.db, "alice") if "adjusted workdays" in m["text"]]) == 1, "fixed"
    # A year begun without its 调休 is still a gap: the warning names it.
    rt.reconfigure(rt.config.model_copy(update={"calendars": {}}))
    await run_due(rt.jobs, datetime(2041, 1, 2, 9, 0, tzinfo=SH))
    await drain(rt)
    later = [m["text"] for m in await feed.feed(rt.db, "alice") if "adjusted workdays" in m["text"]]
    assert len(later) == 2 and "2041" in later[-1]


async def test_pending_approvals_are_reminded_then_escalated_once(rt: Runtime) -> None:
    from bot.store.models import ApprovalRow

    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, 1)
        assert row is not None
        created = row.created_at
    only(rt, approvals=True)
    rt.reconfigure(rt.config.model_copy(update={"standups": ()}))
    assert await run_due(rt.jobs, created + timedelta(hours=3)) == 0
    assert await run_due(rt.jobs, created + timedelta(hours=5)) == 1, "carol is reminded"
    assert await run_due(rt.jobs, created + timedelta(hours=6)) == 0, "once"
    assert await run_due(rt.jobs, created + timedelta(hours=25)) == 1, "frank, the backup, is asked"
    assert await run_due(rt.jobs, created + timedelta(hours=26)) == 0
    await drain(rt)
    assert any("已等待 5 小时" in m["text"] for m in await feed.feed(rt.db, "carol"))
    frank = [m for m in await feed.feed(rt.db, "frank") if m.get("card_ref") == "approval:1"]
    assert len(frank) == 1 and "超时升级" in frank[0]["text"] and [b["id"] for b in frank[0]["buttons"]] == [
        "approve", "reject"]
    assert any("it now also went to 刘芳, 范磊" in m["text"] for m in await feed.feed(rt.db, "alice"))
    out = "\n".join(r.text for r in await say(rt, "frank", "同意 1 同意采购"))
    assert "你已同意 #1" in out
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, 1)
        assert row is not None and (row.state, row.decided_by) == ("approved", "frank")
    assert await run_due(rt.jobs, created + timedelta(hours=48)) == 0, "decided: nothing more"


@pytest.mark.clock(datetime(2026, 12, 1, 9, 29, tzinfo=SH))
async def test_answers_per_question_updates_on_confirmation_and_participation(standups: Runtime) -> None:
    from sqlalchemy import select

    from bot.records import InboundEvent
    from bot.store.models import TaskRow
    rt = standups
    day = date(2026, 12, 1)
    set_clock(rt, datetime.combine(day, time(9, 45), tzinfo=SH))
    assert await run_due(rt.jobs, at_930(day)) == 3
    # One answer per question, in any order; a second answer to a question replaces the first.
    await say(rt, "bob", "站会 2：今天接线")
    await say(rt, "bob", "站会 1: 换了进水阀 PUMP-4 80%")
    replies = await say(rt, "bob", "站会 第1题 换了进水阀，PUMP-4 90% PUMP-6: 30%")
    answer = next(r for r in replies if "已记录" in r.text)
    assert "1. 换了进水阀,PUMP-4 90% PUMP-6: 30%\n2. 今天接线" in answer.text  # (full-width punctuation folded)
    assert "PUMP-4 到 90%" in answer.text and "PUMP-6 到 30%" in answer.text
    assert [b[0] for b in answer.buttons] == ["apply"]
    proposal = answer.buttons[0][1]

    async def percent(key: str) -> int:
        async with rt.db.read() as s:
            return (await s.execute(select(TaskRow.percent).where(TaskRow.key == key))).scalar_one()
    assert await percent("PUMP-4") == 40, "nothing changes before the confirmation"
    assert "no update" in "\n".join(r.text for r in await say(rt, "alice", f"apply {proposal}"))
    click = InboundEvent(platform="console", event_id="apply-1", kind="action", sender="bob", conversation="bob",
                         action={"id": "apply", "value": proposal}, received_at=SYSTEM_CLOCK.now().astimezone(SH))
    await rt.inbox.accept(click)
    await drain(rt)
    assert (await percent("PUMP-4"), await percent("PUMP-6")) == (90, 30)
    assert "已经应用过" in "\n".join(r.text for r in await say(rt, "bob", f"确认更新 {proposal}"))
    # All or nothing: an update bob may not make (another project's task) applies none of the proposal.
    replies = await say(rt, "bob", "standup PUMP-4 95% NOPE-1 50%")
    bad = next(r for r in replies if r.buttons)
    await say(rt, "bob", f"apply {bad.buttons[0][1]}")
    assert await percent("PUMP-4") == 90

    assert await run_due(rt.jobs, datetime.combine(day, time(10, 30), tzinfo=SH)) == 1
    await drain(rt)
    summary = next(m["text"] for m in await feed.feed(rt.db, "alice") if "standup for 2026-12-01" in m["text"])
    assert "PUMP-4 95% NOPE-1 50%" in summary, "the latest answer (a whole one) replaced the sections"
    await say(rt, "alice", "standup skip")
    stats = "\n".join(r.text for r in await say(rt, "alice", "standup stats 7"))
    assert "pump-daily · 王波: 1/1 answered (100%)" in stats
    assert "pump-daily · 张伟: 0/1 answered (0%), 1 missed" in stats
    assert "pump-daily · Alice Li: 0/1 answered (0%), 1 skipped" in stats


async def test_a_pm_moves_the_standup_in_chat_and_it_outlives_a_restart(standups: Runtime) -> None:
    from bot.jobs.standups import next_runs
    from bot.store.sync import apply_config
    rt = standups
    day = date(2026, 12, 1)

    async def said(person: str, text: str) -> str:
        return "\n".join(r.text for r in await say(rt, person, text))
    assert "Only a PM" not in await said("alice", "standup time 09:15")
    assert "⏰" in await said("alice", "standup time 09:15 pump-daily")
    assert "只有项目 PUMP 的负责人" in await said("bob", "站会 时间 08:00")
    assert "must be after the start" in await said("alice", "standup deadline 09:00")
    assert "no standup 'nope'" in await said("alice", "standup time 09:00 nope")
    assert "'25:61' is not valid" in await said("alice", "standup time 25:61")
    await apply_config(rt.db, rt.config, now=rt.clock.now())  # a restart applies the file again: the change made in chat stays
    runs = await next_runs(rt.db, rt.config, datetime.combine(day, time(0, 0), tzinfo=SH))
    assert {r.at.strftime("%H:%M") for r in runs if r.at} == {"09:15"}
    assert await run_due(rt.jobs, at_930(day)) == 0, "not at the old time"
    assert await run_due(rt.jobs, datetime.combine(day, time(9, 15), tzinfo=SH)) == 3
    assert "configured time" in await said("alice", "standup time default")
    runs = await next_runs(rt.db, rt.config, datetime.combine(day, time(0, 0), tzinfo=SH))
    assert {r.at.strftime("%H:%M") for r in runs if r.at} == {"09:30"}


async def test_the_clock_anchors_the_audit_chain_on_the_hour(rt: Runtime, tmp_path: Path) -> None:
    from bot.jobs.anchors import AuditAnchors
    from bot.store.audit import Anchor, verify

    path = tmp_path / "anchors.jsonl"
    anchors = [AuditAnchors(rt.db, str(path))]  # as the wiring builds it from PMSBOT_AUDIT_ANCHOR
    await run_due(anchors, datetime(2026, 12, 7, 10, 0, tzinfo=SH))
    await run_due(anchors, datetime(2026, 12, 7, 10, 1, tzinfo=SH))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1, "on the hour only"
    anchor = Anchor.parse(lines[0])
    assert anchor.rows > 0 and (await verify(rt.db, anchors=[anchor])).ok
