"""Everyday chat that says what reaches whom (issue 24), on the console: a chat's subscriptions listed, dropped and
muted for a while (its end in the person's own timezone, across a DST change), a subscription the gray rollout
leaves out, leave listed, moved and cancelled, standups skipped ahead, answered late, and one's last answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bot.config import Settings
from bot.config.projects import RolloutConfig
from bot.runtime import Runtime
from bot.say import say
from bot.store.models import PersonRow, StandupEntryRow, SubscriptionRow
from bot.store.workspace import SqlWorkspace
from tests.conftest import demo_config, running_clock, set_clock

SH, NY = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
# A Thursday, well inside standard time in New York; tests never read the machine's date.
THU = datetime(2026, 12, 3, 10, 0, tzinfo=SH)


async def texts(rt: Runtime, person: str, text: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, text))


async def set_timezone(rt: Runtime, person: str, tz: str) -> None:
    async with rt.db.write() as s:
        await s.execute(update(PersonRow).where(col(PersonRow.id) == person).values(timezone=tz))


async def entries(rt: Runtime, person: str) -> list[tuple[str, date, date, str]]:
    async with rt.db.read() as s:
        rows = (await s.execute(select(StandupEntryRow).where(col(StandupEntryRow.person_id) == person)
                                .order_by(col(StandupEntryRow.id)))).scalars().all()
        return [(r.kind, r.day_from, r.day_to, r.text) for r in rows]


async def muted_until(rt: Runtime, conversation: str) -> datetime | None:
    async with rt.db.read() as s:
        return (await s.execute(select(col(SubscriptionRow.muted_until)).where(
            col(SubscriptionRow.conversation) == conversation))).scalar_one()


# ---- subscriptions ---------------------------------------------------------------------------------------------
async def _subscriptions_listed_muted_and_dropped_in_both_languages(rt: Runtime) -> None:
    set_clock(rt, THU)
    assert "没有订阅任何项目" in await texts(rt, "bob", "订阅列表")
    assert "follows no project" in await texts(rt, "alice", "subscriptions")
    subscribed = await texts(rt, "bob", "订阅 PUMP")
    assert "已订阅 PUMP" in subscribed and "灰度" not in subscribed, "the rollout includes PUMP here"
    listed = await texts(rt, "bob", "我的订阅")
    assert "PUMP" in listed and "静音" not in listed.split("「")[0]
    out = await texts(rt, "bob", "静音 PUMP 2小时")
    assert "已静音 PUMP 至 2026-12-03T12:00+08:00" in out, out
    assert "静音至 2026-12-03T12:00+08:00" in await texts(rt, "bob", "订阅列表")
    async with rt.db.read() as s:  # a change while muted reaches nobody; after the end it does again
        ws = SqlWorkspace(s, default_locale="zh")
        assert await ws.subscriptions("PUMP", now=THU + timedelta(hours=1)) == []
        assert [c for _, c, _, _ in await ws.subscriptions("PUMP", now=THU + timedelta(hours=2, minutes=1))] == ["bob"]
    assert "恢复接收" in await texts(rt, "bob", "取消静音 PUMP")
    assert await muted_until(rt, "bob") is None
    assert "已取消订阅 PUMP" in await texts(rt, "bob", "退订 PUMP")
    assert "没有订阅 PUMP" in await texts(rt, "bob", "退订 PUMP")
    assert "does not follow PUMP" in await texts(rt, "alice", "unsubscribe PUMP")
    assert "does not follow PUMP" in await texts(rt, "alice", "mute PUMP 1h")


async def _mute_expires_by_the_injected_clock(rt: Runtime) -> None:
    set_clock(rt, THU)
    await texts(rt, "alice", "subscribe PUMP")
    assert "muted here until 2026-12-03T10:30+08:00" in await texts(rt, "alice", "mute PUMP 30 min")
    set_clock(rt, THU + timedelta(minutes=29))
    assert "muted until" in await texts(rt, "alice", "subscriptions")
    set_clock(rt, THU + timedelta(minutes=31))
    listed = await texts(rt, "alice", "subscriptions")
    assert "PUMP" in listed and "muted until" not in listed


async def _until_tomorrow_is_the_persons_own_tomorrow(rt: Runtime) -> None:
    """Shanghai 20:00 on Thursday is New York's Thursday morning: "tomorrow" is Friday in both, at 09:00 of
    each one's own clock, thirteen hours apart."""
    set_clock(rt, datetime(2026, 12, 3, 20, 0, tzinfo=SH))
    await set_timezone(rt, "alice", "America/New_York")
    await texts(rt, "alice", "subscribe PUMP")
    await texts(rt, "bob", "订阅 PUMP")
    assert "until 2026-12-04T09:00-05:00 (America/New_York)" in await texts(rt, "alice", "mute PUMP until tomorrow")
    assert "至 2026-12-04T09:00+08:00（Asia/Shanghai）" in await texts(rt, "bob", "静音 PUMP 到明天")
    assert await muted_until(rt, "alice") == datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
    assert await muted_until(rt, "bob") == datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


async def _until_tomorrow_across_the_end_of_daylight_saving(rt: Runtime) -> None:
    """New York leaves daylight saving in the night of 2026-11-01: "until tomorrow 09:00" is 09:00 EST, 14:00 UTC,
    not 24 h + 13 h from now in EDT."""
    set_clock(rt, datetime(2026, 10, 31, 20, 0, tzinfo=NY))
    await set_timezone(rt, "alice", "America/New_York")
    await texts(rt, "alice", "subscribe PUMP")
    assert "2026-11-01T09:00-05:00" in await texts(rt, "alice", "mute PUMP until tomorrow")
    assert await muted_until(rt, "alice") == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert "2026-11-01T08:00-05:00" in await texts(rt, "alice", "mute PUMP 13h")  # 13 hours of the clock


SUBSCRIPTION_REFUSALS = [
    ("bob", "mute NOPE 2h", "没有项目 NOPE"),
    ("alice", "unsubscribe NOPE", "There is no project NOPE"),
    ("erin", "mute PUMP 2h", "not a member of project PUMP"),
    ("erin", "unsubscribe PUMP", "not a member of project PUMP"),
    ("bob", "mute PUMP 99999h", "静音最长 30 天"),
    ("alice", "mute PUMP 40d", "at most 30 days"),
    ("alice", "mute PUMP until 12-01", "has already passed"),
    ("bob", "静音 PUMP", "缺少时长"),
    ("alice", "mute PUMP forever", "'forever' is not a length of time"),
    ("alice", "mute PUMP '; DROP TABLE subscription; --", "is not a length of time"),
    ("bob", "静音 PUMP 到 {{ 7*7 }}", "不是能识别的时长"),
    ("bob", "mute PUMP 13-45", "不是能识别的时长"),
    ("alice", "unsubscribe PUMP " + "x" * 300, "too long"),
    ("alice", "unsubscribe <script>", "is not a task key"),
]


@pytest.mark.clock(THU)
async def test_subscription_refusals_are_clear_and_change_nothing(rt: Runtime) -> None:
    await texts(rt, "alice", "subscribe PUMP")
    await texts(rt, "bob", "订阅 PUMP")
    for person, text, expected in SUBSCRIPTION_REFUSALS:
        assert expected in await texts(rt, person, text), text
    async with rt.db.read() as s:
        rows = (await s.execute(select(SubscriptionRow))).scalars().all()
        assert len(rows) == 2 and all(r.muted_until is None for r in rows)


@pytest.fixture
async def rt_rollout(sqlite_url: str) -> AsyncIterator[Runtime]:
    """The demo, with subscriptions rolled out to one department only (PUMP has none: it is left out)."""
    from bot.demo.seed import seed

    config = demo_config().model_copy(update={"rollout": {"subscriptions": RolloutConfig(departments=("north",))}})
    runtime = Runtime(Settings(database_url=sqlite_url), config, console=True, clock=running_clock())
    await runtime.open()
    await seed(runtime)
    yield runtime
    await runtime.close()


async def test_subscribing_where_the_gray_rollout_is_off_says_so(rt_rollout: Runtime) -> None:
    out = await texts(rt_rollout, "bob", "订阅 PUMP")
    assert "已订阅 PUMP" in out and "灰度发布" in out and "不会收到任何通知" in out
    assert "gray rollout" in await texts(rt_rollout, "alice", "subscribe PUMP")
    assert "未生效" in await texts(rt_rollout, "bob", "订阅列表")
    assert "the rollout does not include PUMP" in await texts(rt_rollout, "alice", "subscriptions")


# ---- leave -----------------------------------------------------------------------------------------------------
async def _leave_listed_moved_and_cancelled(rt: Runtime) -> None:
    set_clock(rt, THU)
    assert "没有待休的假" in await texts(rt, "bob", "假期")
    assert "没有待休的假，无需销假" in await texts(rt, "bob", "站会 销假")
    assert await entries(rt, "bob") == [], "站会 销假 is no standup answer"
    await texts(rt, "bob", "请假 12-20..12-22 回老家")
    await texts(rt, "bob", "leave 12-28")
    listed = await texts(rt, "bob", "我的请假")
    ids = [int(w.lstrip("#")) for w in listed.split() if w.startswith("#")]
    assert len(ids) == 2 and "2026-12-20 至 2026-12-22 · 回老家" in listed
    assert "多段待休的假" in await texts(rt, "bob", "销假")
    assert "已改为 2026-12-21 至 2026-12-23" in await texts(rt, "bob", f"请假 改 {ids[0]} 12-21..12-23")
    assert "已销假" in await texts(rt, "bob", f"销假 {ids[1]}")
    assert [(k, a, b) for k, a, b, _ in await entries(rt, "bob")] == [
        ("away", date(2026, 12, 21), date(2026, 12, 23))]
    assert "已销假" in await texts(rt, "bob", "站会 销假")  # the one left
    assert await entries(rt, "bob") == []


LEAVE_REFUSALS = [
    ("销假 99999", "没有编号为 #99999 的待休假期"),
    ("销假 999999999999", "不是请假编号"),
    ("leave cancel x", "is not a leave number"),
    ("leave change {{7*7}} 12-20", "is not a leave number"),
    ("leave change 1", "Missing dates"),
    ("leave change 1 12-22..12-20", "not valid"),
    ("leave change 1 13-45", "not valid"),
]


async def _leave_refusals(rt: Runtime) -> None:
    set_clock(rt, THU)
    await texts(rt, "alice", "leave 12-20")
    await texts(rt, "bob", "请假 12-21")
    for text, expected in LEAVE_REFUSALS:
        person = "bob" if text.startswith("销假") else "alice"
        assert expected in await texts(rt, person, text), text
    assert len(await entries(rt, "alice")) == 1 and len(await entries(rt, "bob")) == 1


async def _no_one_moves_or_cancels_someone_elses_leave(rt: Runtime) -> None:
    set_clock(rt, THU)
    await texts(rt, "bob", "请假 12-21")
    (leave_id,) = [int(w.lstrip("#")) for w in (await texts(rt, "bob", "假期")).split() if w.startswith("#")]
    assert f"no coming leave #{leave_id}" in await texts(rt, "alice", f"leave cancel {leave_id}")
    assert f"no coming leave #{leave_id}" in await texts(rt, "alice", f"leave change {leave_id} 12-24")
    assert [k for k, *_ in await entries(rt, "bob")] == ["away"]


async def _past_leave_is_not_cancelled(rt: Runtime) -> None:
    set_clock(rt, datetime(2026, 12, 10, 10, 0, tzinfo=SH))
    async with rt.db.write() as s:
        await SqlWorkspace(s, default_locale="zh").standup_entry(
            person_id="dave", kind="away", day_from=date(2026, 12, 1), day_to=date(2026, 12, 2), text="",
            now=datetime(2026, 11, 30, tzinfo=UTC))
    assert "没有待休的假" in await texts(rt, "dave", "销假")
    assert len(await entries(rt, "dave")) == 1


# ---- standups ----------------------------------------------------------------------------------------------------
async def _standup_skip_ahead_answer_late_and_my_answers(rt: Runtime) -> None:
    set_clock(rt, THU)
    assert "2026-12-04 的站会跳过" in await texts(rt, "bob", "站会 跳过 明天")
    assert "已补交 2026-12-02 的站会：换了阀门" in await texts(rt, "bob", "站会 补 昨天 换了阀门")
    assert "Late standup answer for 2026-12-01 recorded" in await texts(rt, "alice", "standup late 12-01 wiring")
    await texts(rt, "bob", "站会 今天继续接线")
    mine = await texts(rt, "bob", "站会 我的")
    assert mine.index("2026-12-04") < mine.index("2026-12-03") < mine.index("2026-12-02")
    assert "（跳过）" in mine and "换了阀门" in mine and "今天继续接线" in mine
    assert "wiring" in await texts(rt, "alice", "standup mine")
    assert "还没有回答过站会" in await texts(rt, "dave", "站会 我的")


STANDUP_REFUSALS = [
    ("bob", "站会 补 11月20日 迟到的", "已超过 7 天"),
    ("alice", "standup late tomorrow early", "has not come yet"),
    ("alice", "standup skip 12-01", "not on 2026-12-01"),
    ("bob", "站会 跳过 13-45", "日期"),
    ("alice", "standup late yesterday", "Missing your answer"),
]


async def _standup_refusals(rt: Runtime) -> None:
    set_clock(rt, THU)
    for person, text, expected in STANDUP_REFUSALS:
        assert expected in await texts(rt, person, text), text
        assert await entries(rt, person) == []


async def _the_day_of_an_answer_is_the_persons_own(rt: Runtime) -> None:
    """Shanghai's 01:00 on Friday is still
    Thursday in New York: an answer counts for the day of the person's own clock."""
    set_clock(rt, datetime(2026, 12, 3, 22, 30, tzinfo=SH))
    await set_timezone(rt, "erin", "America/New_York")
    set_clock(rt, datetime(2026, 12, 4, 1, 0, tzinfo=SH))
    await texts(rt, "erin", "standup wiring done")
    await texts(rt, "dave", "站会 接线完成")
    assert [d for _, d, _, _ in await entries(rt, "erin")] == [date(2026, 12, 3)]
    assert [d for _, d, _, _ in await entries(rt, "dave")] == [date(2026, 12, 4)]


# One seeded runtime per group (seeding is most of a test's time): each part puts the clock where it needs it.
@pytest.mark.clock(THU)
async def test_subscriptions_and_mutes(rt: Runtime) -> None:
    await _subscriptions_listed_muted_and_dropped_in_both_languages(rt)
    await _mute_expires_by_the_injected_clock(rt)


@pytest.mark.clock(datetime(2026, 10, 31, 20, 0, tzinfo=NY))
async def test_mute_ends_in_each_persons_own_timezone(rt: Runtime) -> None:
    await _until_tomorrow_across_the_end_of_daylight_saving(rt)
    await _until_tomorrow_is_the_persons_own_tomorrow(rt)


@pytest.mark.clock(THU)
async def test_leave(rt: Runtime) -> None:
    await _leave_listed_moved_and_cancelled(rt)
    await _no_one_moves_or_cancels_someone_elses_leave(rt)


@pytest.mark.clock(THU)
async def test_leave_refused(rt: Runtime) -> None:
    await _leave_refusals(rt)
    await _past_leave_is_not_cancelled(rt)


@pytest.mark.clock(THU)
async def test_standups(rt: Runtime) -> None:
    await _standup_refusals(rt)
    await _standup_skip_ahead_answer_late_and_my_answers(rt)
    await _the_day_of_an_answer_is_the_persons_own(rt)
