"""Seed the demo organisation: milestones, tasks in every state, progress history and a pending approval."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Config, load_config
from bot.pms.local import LocalPMS
from bot.records import InboundEvent, Person
from bot.runtime import Runtime
from bot.store import audit
from bot.store.sync import apply_config
from bot.store.tasks import Tasks

DEMO_CONFIG = Path(__file__).with_name("demo.yaml")
PROJECT_AGE_DAYS = 21  # the demo project started three weeks before the day it is seeded

# (title, assignee, milestone index, status, percent, due in days from today, estimate h, spent h)
_TASKS = [
    ("采购潜水泵 2 台", "bob", 0, "done", 100, -20, 8, 6),
    ("采购变频柜", "dave", 0, "done", 100, -15, 6, 5),
    ("拆除旧泵", "bob", 1, "done", 100, -6, 16, 18),
    ("更换进水阀", "bob", 1, "in_progress", 40, 3, 12, 5),
    ("电缆敷设", "dave", 1, "blocked", 30, 5, 24, 8),
    ("控制柜接线", "dave", 1, "in_progress", 20, -2, 16, 4),
    ("单机调试", "bob", 2, "todo", 0, 14, 8, 0),
    ("72 小时试运行", "alice", 2, "todo", 0, 21, 72, 0),
]


def demo_config() -> Config:
    return load_config(DEMO_CONFIG, env={})


async def seed(rt: Runtime, *, today: date | None = None) -> bool:
    """Seed once; returns False when the demo project already has tasks.

    The pending budget approval is requested through the real pipeline, so its card reaches the approver.
    """
    db = rt.db
    config = demo_config()
    await apply_config(db, config, now=rt.clock.now())
    # Due dates count from the organisation's own today: what its people and its clock call today.
    today = today or rt.clock.today(ZoneInfo(config.timezone))
    now = rt.clock.now()
    async with db.write() as s:
        tasks = Tasks(s, clock=rt.clock)
        if await tasks.any_in("PUMP"):
            return False
        phases = (("设备采购", -10), ("现场安装", 10), ("调试验收", 25))
        milestones = await tasks.add_milestones("PUMP", [(name, today + timedelta(days=due)) for name, due in phases])
        pms = LocalPMS(s, clock=rt.clock)
        people = {p.id: Person(id=p.id, name=p.name, locale=p.locale or "zh") for p in config.people}
        for title, who, mi, status, pct, due, est, spent in _TASKS:
            task = await pms.create_task("PUMP", title, assignee=people[who], due=today + timedelta(days=due),
                                         by=people["alice"])
            await tasks.backfill(
                task.key, milestone_id=milestones[mi], status=status, percent=pct, estimate_min=est * 60,
                spent_min=spent * 60, blocked_reason="等待电缆到货" if status == "blocked" else None,
                updated_at=now - timedelta(days=4 if status == "in_progress" and pct == 20 else 1),
                created_at=now - timedelta(days=PROJECT_AGE_DAYS),  # the start of each task's linear plan
            )
        await audit.append(s, actor="system", action="demo.seed", subject="PUMP", detail={"tasks": len(_TASKS)},
                           now=now)
    event = InboundEvent(platform="console", event_id="demo-seed-approval", kind="message", sender="alice",
                         conversation="alice", text="request PUMP 预算变更：增加变频器 48000", received_at=now)
    await rt.inbox.accept(event)
    await rt.dispatcher.run_once()
    await rt.delivery.run_once()
    return True
