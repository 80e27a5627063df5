"""The weekly dashboard post: on its day and time, the dashboard's link and PNG snapshot go to the project's
channels, once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import run_due
from bot.config import ChannelConfig, Config, PersonConfig, ProjectConfig, Settings
from bot.runtime import Runtime
from bot.say import drain
from bot.store import console as feed
from tests.conftest import running_clock


async def test_the_weekly_dashboard_is_posted_once_on_its_day(tmp_path: Path) -> None:
    config = Config(locale="zh", people=(PersonConfig(id="alice", name="李娜"),), projects=(
        ProjectConfig(key="PUMP", name="泵站", members=("alice",), weekly_dashboard="mon 09:00",
                      channels=(ChannelConfig(platform="console", id="alice"),)),))
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
                          pmsbot_public_url="https://pms.example.com"), config, console=True, clock=running_clock())  # type: ignore[arg-type]
    await rt.open()
    try:
        shanghai = ZoneInfo("Asia/Shanghai")
        assert await run_due(rt.jobs, datetime(2026, 11, 30, 8, 59, tzinfo=shanghai)) == 0
        assert await run_due(rt.jobs, datetime(2026, 12, 1, 9, 0, tzinfo=shanghai)) == 0  # a Tuesday
        assert await run_due(rt.jobs, datetime(2026, 11, 30, 9, 0, tzinfo=shanghai)) == 1  # Monday 09:00
        assert await run_due(rt.jobs, datetime(2026, 11, 30, 9, 0, tzinfo=shanghai)) == 0  # once
        await drain(rt)
        [post] = [m["text"] for m in await feed.feed(rt.db, "alice") if "本周项目看板" in m["text"]]
        assert "https://pms.example.com/projects/PUMP?v=" in post and "/projects/PUMP/snapshot.png?v=" in post
    finally:
        await rt.close()
