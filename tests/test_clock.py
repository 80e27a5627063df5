"""The clock's work, time-travelled: standup prompts on workdays only, per member's timezone, once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import next_runs, run_due
from bot.config import Settings, parse_config
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed

SH = ZoneInfo("Asia/Shanghai")


def at_930(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=SH)


async def test_a_month_of_standups_on_chinas_calendar(rt: Runtime) -> None:
    await say(rt, "bob", "请假 12-10..12-12")  # Thursday to Saturday
    sent: dict[date, int] = {}
    day = date(2026, 9, 28)
    while day <= date(2026, 10, 12):
        sent[day] = await run_due(rt, at_930(day))
        assert await run_due(rt, at_930(day)) == 0, "running the same instant again does nothing"
        day += timedelta(days=1)
    day = date(2026, 12, 1)
    while day <= date(2026, 12, 31):
        sent[day] = await run_due(rt, at_930(day))
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


async def test_only_the_minute_of_the_run_is_due(rt: Runtime) -> None:
    assert await run_due(rt, at_930(date(2026, 12, 1)) - timedelta(minutes=1)) == 0
    assert await run_due(rt, at_930(date(2026, 12, 1)) + timedelta(seconds=59)) == 3
    assert await run_due(rt, at_930(date(2026, 12, 1))) == 0


async def test_members_get_their_prompt_at_their_own_local_time(tmp_path: Path) -> None:
    config = parse_config(
        "people:\n"
        "  - {id: li, name: 李, timezone: Asia/Shanghai}\n"
        "  - {id: sam, name: Sam, locale: en, timezone: America/New_York}\n"
        "projects:\n  - {key: OPS, name: Ops, members: [li, sam]}\n"
        "standups:\n  - {name: ops, project: OPS, members: [li, sam], at: '09:00', calendar: none}\n",
        name="t.yaml", env={},
    )
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"), config)
    await rt.open()
    try:
        runs = {r.person_id: r for r in await next_runs(rt, datetime(2026, 3, 6, 12, 0, tzinfo=SH))}
        assert runs["li"].at is not None and runs["li"].at.isoformat() == "2026-03-09T09:00:00+08:00"
        assert runs["sam"].at is not None and runs["sam"].at.isoformat() == "2026-03-06T09:00:00-05:00"
        assert await run_due(rt, datetime(2026, 3, 9, 9, 0, tzinfo=SH)) == 1  # li only
        assert await run_due(rt, datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("America/New_York"))) == 1  # sam, EDT
    finally:
        await rt.close()


async def test_a_naive_instant_is_refused(rt: Runtime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await run_due(rt, datetime(2026, 12, 1, 9, 30))  # noqa: DTZ001
