"""Reaching people properly (issue 24): the standup summary waits for the last member's own answer window
(Shanghai and New York, across New York's end of daylight saving), and notices to chats are written in the
recipients' language, not the deployment's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bot.dispatch.replies import Addressing
from bot.jobs.standups import Standups
from bot.records import InboundEvent, Reply
from bot.runtime import Runtime
from bot.say import say
from bot.store import pms_changes
from bot.store.models import AuditRow, OutboxRow, PersonRow
from bot.store.workspace import SqlWorkspace
from tests.conftest import set_clock

FRI = date(2026, 10, 30)  # New York on daylight time (UTC-4); Shanghai UTC+8 all year
MON = date(2026, 11, 2)  # New York back on standard time (UTC-5) since Sunday


async def set_timezone(rt: Runtime, person: str, tz: str | None) -> None:
    async with rt.db.write() as s:
        await s.execute(update(PersonRow).where(col(PersonRow.id) == person).values(timezone=tz))


async def summaries(rt: Runtime) -> list[dict[str, Any]]:
    async with rt.db.read() as s:
        rows = (await s.execute(select(AuditRow).where(col(AuditRow.action) == "standup.summary")
                                .order_by(col(AuditRow.id)))).scalars().all()
        return [dict(r.detail) for r in rows]


def standups_job(rt: Runtime) -> Standups:
    return next(j for j in rt.jobs if isinstance(j, Standups))


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.mark.clock(datetime(2026, 10, 30, 0, 0, tzinfo=UTC))
async def test_the_summary_waits_for_the_last_members_window(rt: Runtime) -> None:
    """pump-daily: 09:30 to 10:30 in Asia/Shanghai; alice works in America/New_York. The summary used to go at
    Shanghai's 10:30, before New York was even asked; now it goes when New York's window closes: 14:30 UTC while
    New York is on daylight time, 15:30 UTC once it is not."""
    job = standups_job(rt)
    await job.prepare()
    standup = next(s for s in job._standups if s.name == "pump-daily")
    one_zone = [m for m in (utc(FRI, 0) + timedelta(minutes=i) for i in range(1440)) if job._summary_day(standup, m)]
    assert one_zone == [utc(FRI, 2, 30)], "a team all in Shanghai keeps its 10:30 deadline"
    await set_timezone(rt, "alice", "America/New_York")
    await job.prepare()
    due = [(m, job._summary_day(standup, m)) for m in (utc(FRI, 0) + timedelta(minutes=i) for i in range(4 * 1440))]
    assert [(m, d) for m, d in due if d] == [(utc(FRI, 14, 30), FRI), (utc(MON, 15, 30), MON)]

    # The same, through the job: Shanghai prompted at 01:30 UTC, nothing at Shanghai's deadline, alice prompted at
    # New York's 09:30, her answer (on her own Friday) in the summary at its close.
    for minute, sent in ((utc(FRI, 1, 30), 2), (utc(FRI, 2, 30), 0), (utc(FRI, 13, 30), 1)):
        set_clock(rt, minute)
        assert await job.run(minute, catching_up=False) == sent, minute
    assert await summaries(rt) == []
    set_clock(rt, utc(FRI, 14, 0))
    await say(rt, "alice", "standup wiring done, PUMP-4 next")
    await say(rt, "bob", "站会 PUMP-5 电缆到了")
    set_clock(rt, utc(FRI, 14, 30))
    assert await job.run(utc(FRI, 14, 30), catching_up=False) == 1
    assert await job.run(utc(FRI, 14, 30), catching_up=False) == 0, "once"
    assert await summaries(rt) == [{"day": "2026-10-30", "answered": 2, "total": 3}]
    async with rt.db.read() as s:
        rows = (await s.execute(select(OutboxRow).where(col(OutboxRow.kind) == "standup_summary"))).scalars().all()
    # No team channel on the console: each member gets it, in their own language.
    assert {(r.target, r.locale) for r in rows} == {("alice", "en"), ("bob", "zh"), ("dave", "zh")}


@pytest.mark.clock(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))
async def test_chat_notices_are_in_the_chats_language(rt: Runtime) -> None:
    """A PMS change told to a chat subscribed by alice (en) and one subscribed by bob (zh) of a zh deployment;
    a project channel (an approval announced, a source's notice) in the language most of its members use."""
    await say(rt, "alice", "subscribe PUMP")
    await say(rt, "bob", "订阅 PUMP")
    data = {"pms": "jira", "project": "PUMP", "event": "updated", "actor": "x", "changes": "", "comment": "",
            "task": {"key": "PUMP-4", "title": "t", "status": "in_progress", "percent": 40, "assignee": None,
                     "due": None}}
    async with rt.db.write() as s:
        await pms_changes.add(s, [("console", "alice", "PUMP", data), ("console", "bob", "PUMP", data)],
                              now=rt.clock.now())
    assert await rt.changes.flush_once(rt.clock.now() + timedelta(hours=1)) == 2
    async with rt.db.read() as s:
        rows = (await s.execute(select(OutboxRow).where(col(OutboxRow.kind) == "pms_change"))).scalars().all()
        assert {(r.target, r.locale) for r in rows} == {("alice", "en"), ("bob", "zh")}
        ws = SqlWorkspace(s, default_locale="en")
        # PUMP's channel: alice (en), bob and dave (zh) -> zh, though the deployment says en.
        assert await ws.chat_locales([("slack", "C01PUMP")], "en") == {("slack", "C01PUMP"): "zh"}
        assert await ws.chat_locales([("slack", "C0NOBODY")], "en") == {("slack", "C0NOBODY"): "en"}
    event = InboundEvent(platform="console", event_id="e1", kind="message", sender="carol", conversation="carol",
                         received_at=rt.clock.now())
    replies = [Reply(kind="approval_announced", to_project="PUMP", data={}),
               Reply(kind="hook_notice", to_channel=("console", "alice"), data={})]
    async with rt.db.read() as s:
        envelopes = await Addressing(platforms=("slack", "feishu", "console"), default_locale="en").envelopes(
            SqlWorkspace(s, default_locale="en"), event, "zh", replies)
    assert {(e.platform, e.target, e.locale) for e in envelopes} == {
        ("slack", "C01PUMP", "zh"), ("feishu", "oc_pump", "zh"), ("console", "alice", "en")}
    async with rt.db.write() as s:  # a team of English speakers
        await s.execute(update(PersonRow).where(col(PersonRow.id).in_(("bob", "dave"))).values(locale="en"))
    async with rt.db.read() as s:
        assert await SqlWorkspace(s, default_locale="zh").chat_locales([("feishu", "oc_pump")], "zh") == \
            {("feishu", "oc_pump"): "en"}

