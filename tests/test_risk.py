"""Risk rules: the pure rules with their thresholds, their configuration, and the clock's scans with every rule,
a digest, typed acknowledgement, and the figures (budget, connector calls) the project rules read."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.calls import Calls
from bot.clock import run_due
from bot.clocks import SYSTEM_CLOCK
from bot.config import RiskAlertConfig
from bot.records import Milestone, Task
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from bot.store.metrics import BUDGET, BUDGET_SPENT, add_calls, outcomes, record_metric
from commands.risk import (
    Thresholds,
    budget_risk,
    find_risks,
    integration_risks,
    linear_plan_percent,
    milestone_risks,
)
from tests.test_clock import first_workday_from, only

SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 10)
NOW = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)


def task(key: str, *, percent: int = 0, due: date | None = None, status: str = "in_progress",
         start: date | None = None, milestone: str | None = None, updated_days_ago: int = 0) -> Task:
    return Task(key=key, project="PUMP", title=key, status=status, percent=percent, assignee=None, due=due,
                estimate_h=None, spent_h=Decimal(0), milestone=milestone, blocked_reason=None,
                updated_at=NOW - timedelta(days=updated_days_ago),
                created_at=datetime.combine(start, time(), tzinfo=UTC) if start else None)


@pytest.mark.parametrize(("start", "due", "today", "planned"), [
    (date(2026, 12, 1), date(2026, 12, 11), date(2026, 12, 1), 0),
    (date(2026, 12, 1), date(2026, 12, 11), date(2026, 12, 6), 50),
    (date(2026, 12, 1), date(2026, 12, 11), date(2026, 12, 11), 100),
    (date(2026, 12, 1), date(2026, 12, 11), date(2026, 12, 20), 100),  # past due: the plan stays at 100 %
    (date(2026, 12, 1), date(2026, 12, 11), date(2026, 11, 20), 0),  # before the start
    (date(2026, 12, 5), date(2026, 12, 5), date(2026, 12, 4), 0),  # due the day it starts
    (date(2026, 12, 5), date(2026, 12, 5), date(2026, 12, 5), 100),
])
def test_linear_plan(start: date, due: date, today: date, planned: int) -> None:
    assert linear_plan_percent(start, due, today) == planned


def test_behind_means_behind_the_linear_plan_within_n_days() -> None:
    start = TODAY - timedelta(days=17)
    tasks = [
        task("P-1", percent=40, due=TODAY + timedelta(days=3), start=start),  # plan 85 %: behind
        task("P-2", percent=80, due=TODAY + timedelta(days=3), start=start),  # within the 10-point margin
        task("P-3", percent=10, due=TODAY + timedelta(days=9), start=start),  # behind, but not due soon
        task("P-4", percent=40, due=TODAY + timedelta(days=2)),  # no start: below 50 %
        task("P-5", percent=60, due=TODAY + timedelta(days=2)),
        task("P-6", percent=10, due=TODAY - timedelta(days=1), start=start),  # overdue wins
        task("P-7", status="blocked", due=TODAY - timedelta(days=1)),  # blocked wins over overdue
        task("P-8", percent=50, due=TODAY + timedelta(days=30), updated_days_ago=5),  # stale
        task("P-9", status="done", percent=100, due=TODAY - timedelta(days=9), updated_days_ago=9),
    ]
    found = {r.subject: (r.kind, r.days) for r in find_risks(tasks, today=TODAY, now=NOW)}
    assert found == {"P-1": ("behind", 3), "P-4": ("behind", 2), "P-6": ("overdue", 1), "P-7": ("blocked", 0),
                     "P-8": ("stale", 5)}
    strict = Thresholds(behind_days=10, behind_margin_percent=0, stale_days=6)
    found = {r.subject: r.kind for r in find_risks(tasks, today=TODAY, now=NOW, limits=strict)}
    assert found["P-2"] == "behind" and found["P-3"] == "behind" and "P-8" not in found


def test_milestone_at_risk_from_its_tasks() -> None:
    start = TODAY - timedelta(days=20)

    def ms(name: str, due_in: int, percent: int, done: int = 0, total: int = 2) -> Milestone:
        return Milestone(id=1, project="PUMP", name=name, due=TODAY + timedelta(days=due_in), tasks_total=total,
                         tasks_done=done, percent=percent)
    tasks = [task("A-1", milestone="lagging", start=start), task("B-1", milestone="blocked", status="blocked",
                                                                 start=start),
             task("C-1", milestone="fine", percent=90, start=start), task("D-1", milestone="later", start=start),
             task("E-1", milestone="late", start=start, due=TODAY - timedelta(days=1))]
    found = {r.subject: r for r in milestone_risks([
        ms("lagging", 5, 30), ms("blocked", 5, 90), ms("fine", 5, 85), ms("later", 30, 0), ms("late", -2, 50),
        ms("finished", 3, 100, done=2)], tasks, today=TODAY)}
    assert set(found) == {"milestone:lagging", "milestone:blocked", "milestone:late"}
    assert found["milestone:lagging"].detail["planned"] == 80 and found["milestone:blocked"].detail["blocked"] == ["B-1"]
    assert found["milestone:late"].detail["overdue"] == ["E-1"]


@pytest.mark.parametrize(("budget", "spent", "progress", "alert"), [
    (Decimal(100_000), Decimal(85_000), 50, True),  # 85 % spent, 50 % done
    (Decimal(100_000), Decimal(85_000), 80, False),  # within the 10-point margin
    (Decimal(100_000), Decimal(70_000), 10, False),  # below the 80 % share: early spending is normal
    (Decimal(100_000), Decimal(120_000), 100, False),  # over budget but done: not this rule's business
    (Decimal(0), Decimal(10), 0, False),
    (None, Decimal(10), 0, False),
])
def test_budget_burn(budget: Decimal | None, spent: Decimal, progress: int, alert: bool) -> None:
    assert bool(budget_risk(budget=budget, spent=spent, progress_percent=progress)) is alert


def test_integration_success_rate() -> None:
    found = integration_risks({"slack": (990, 1000), "feishu": (980, 1000), "dingtalk": (5, 10)})
    assert [r.subject for r in found] == ["connector:feishu"]  # dingtalk: too few calls to judge
    assert found[0].detail["rate"] == "98.0"
    assert integration_risks({"slack": (990, 1000)}, limits=Thresholds(integration_min_rate=0.995))


def test_rules_configuration() -> None:
    listed = RiskAlertConfig.model_validate({"project": "PUMP", "rules": ["overdue", "stale"]})
    assert set(listed.rules) == {"overdue", "stale"} and listed.thresholds() == Thresholds()
    tuned = RiskAlertConfig.model_validate({"project": "PUMP", "digest": True, "rules": {
        "behind": {"days": 5, "margin_percent": 0}, "budget": {"share": "0.9"}, "integration": {"min_rate": 0.95},
        "stale": None}})
    limits = tuned.thresholds()
    assert (limits.behind_days, limits.behind_margin_percent, limits.budget_share, limits.integration_min_rate,
            limits.stale_days) == (5, 0, Decimal("0.9"), 0.95, 3)
    assert set(RiskAlertConfig.model_validate({"project": "PUMP"}).rules) == {
        "overdue", "blocked", "behind", "stale", "milestone", "budget", "integration"}
    for bad, message in (({"stale": {"share": 1}}, "rule stale does not take share"),
                         ({"overdue": {"days": 1}}, "rule overdue does not take days"),
                         (["overdue", "typo"], "typo"), ({"behind": {"days": -1}}, "greater than or equal")):
        with pytest.raises(ValidationError, match=message):
            RiskAlertConfig.model_validate({"project": "PUMP", "rules": bad})


# ---- the clock's scans ---------------------------------------------------------------------------------------------
def with_scan(rt: Runtime, **scan: Any) -> datetime:
    """The demo's PUMP scan replaced by `scan`; returns the next workday's 09:00 (its due instant)."""
    only(rt, risk_alerts=True)
    config = RiskAlertConfig.model_validate({"project": "PUMP", "at": "09:00", **scan})
    rt.reconfigure(rt.config.model_copy(update={"risk_alerts": (config,)}))
    day = first_workday_from(SYSTEM_CLOCK.now().astimezone(SH).date())
    return datetime.combine(day, time(9, 0), tzinfo=SH)


async def alerts_to(rt: Runtime, person: str) -> list[dict[str, Any]]:
    return [m for m in await feed.feed(rt.db, person) if (m.get("card_ref") or "").startswith("alert:")]


async def test_budget_burn_and_integration_rate_from_recorded_figures(rt: Runtime) -> None:
    nine = with_scan(rt, rules=["budget", "integration"])
    async with rt.db.write() as s:  # what the finance feed and the SLA counters would have recorded
        for name, value in ((BUDGET, 100_000), (BUDGET_SPENT, 30_000), (BUDGET_SPENT, 90_000)):
            await record_metric(s, project="PUMP", name=name, value=Decimal(value), at=nine, source="erp")
    minute = nine.astimezone(UTC).replace(second=0) - timedelta(hours=1)
    await add_calls(rt.db, minute, {"feishu": Calls(ok=90, failed=10, latency_ms=5000), "slack": Calls(ok=50)})
    await add_calls(rt.db, minute, {"feishu": Calls(ok=5, failed=0, latency_ms=100)})  # the same minute adds up
    async with rt.db.read() as s:
        assert await outcomes(s, since=minute) == {"feishu": (95, 105), "slack": (50, 50)}
    await run_due(rt.jobs, nine)
    await drain(rt)
    texts = [m["text"] for m in await alerts_to(rt, "alice")]
    assert len(texts) == 2
    assert any("90,000.00" in t and "100,000.00" in t and "90%" in t for t in texts), texts
    assert any("feishu" in t and "90.5%" in t and "105" in t for t in texts), texts


async def test_milestone_rule_on_the_demo_and_a_digest(rt: Runtime) -> None:
    nine = with_scan(rt, rules={"milestone": {"days": 14}, "overdue": None, "blocked": None}, digest=True)
    await run_due(rt.jobs, nine)  # 现场安装 (blocked PUMP-5, overdue PUMP-6), and the two tasks
    await drain(rt)
    digest = [m for m in await feed.feed(rt.db, "alice") if "risks," in m["text"]]
    assert len(digest) == 1 and digest[0]["buttons"] == []
    text = digest[0]["text"]
    assert text.count("• #") == 3 and "现场安装" in text and "PUMP-5" in text and "PUMP-6" in text
    assert "ack <number>" in text
    assert await run_due(rt.jobs, nine) == 0  # the same day again: nothing
    number = text.split("#", 1)[1].split(" ", 1)[0]
    out = "\n".join(r.text for r in await say(rt, "alice", f"ack {number}"))
    assert "acknowledged" in out or "知悉" in out or "已确认" in out, out
    assert "no risk alert #999" in "\n".join(r.text for r in await say(rt, "alice", "ack 999")).replace(
        "There is no risk alert", "no risk alert")
