"""Approval chains end to end on the console: thresholds pick the steps, 会签 (all) and 或签 (any), each decision
counted once and only from someone the current step waits for; the card shows the chain and where it stands."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot import chains
from bot.config import Config, ConfigError
from bot.config.load import parse_config
from bot.config.settings import Settings
from bot.jobs.approvals import ApprovalFollowups
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import audit, migrate
from bot.store import console as feed
from bot.store.models import ApprovalRow, AuditRow
from tests.conftest import demo_config, running_clock

CHAINS: dict[str, Any] = {
    "currency": "CNY",
    "groups": {"finance": ["carol", "frank"]},
    "rules": [
        {"name": "small", "up_to": "10,000", "steps": [{"name": "PM", "approvers": ["manager"]}]},
        {"name": "medium", "over": "10,000", "up_to": "100,000", "steps": [
            {"name": "PM", "approvers": ["manager"]},
            {"name": "finance", "approvers": ["group:finance"], "mode": "all"}]},
        {"name": "large", "over": "100,000", "steps": [
            {"name": "PM", "approvers": ["manager"]},
            {"name": "finance", "approvers": ["group:finance"], "mode": "any"},
            {"name": "director", "approvers": ["erin"], "escalate_after_h": 8, "escalate_to": ["dave"]}]},
    ],
}


def chain_config() -> Config:
    data = demo_config().model_dump(mode="json", exclude_defaults=True)
    for person in data["people"]:
        if person["id"] == "bob":
            person["manager"] = "alice"
    return Config.model_validate({**data, "approval_chains": CHAINS})


async def _runtime(url: str, request: pytest.FixtureRequest | None = None) -> Runtime:
    from bot.demo.seed import seed

    runtime = Runtime(Settings(database_url=url), chain_config(), console=True, clock=running_clock(request))
    await migrate.upgrade(runtime.db)
    await runtime.open()
    await seed(runtime)
    return runtime


@pytest.fixture
async def crt(sqlite_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    runtime = await _runtime(sqlite_url, request)
    yield runtime
    await runtime.close()


@pytest.fixture
async def crt_any(db_url: str) -> AsyncIterator[Runtime]:
    runtime = await _runtime(db_url)
    yield runtime
    await runtime.close()


def followups(rt: Runtime) -> ApprovalFollowups:
    return next(j for j in rt.jobs if isinstance(j, ApprovalFollowups))


async def texts(rt: Runtime, person: str, text: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, text))


async def request(rt: Runtime, who: str, text: str) -> int:
    out = await texts(rt, who, text)
    found = re.search(r"#([0-9]+)", out)
    assert found, out
    return int(found.group(1))


async def card(rt: Runtime, person: str, ref: str) -> list[dict[str, Any]]:
    return [m for m in await feed.feed(rt.db, person) if m.get("card_ref") == ref]


async def row(rt: Runtime, approval_id: int) -> ApprovalRow:
    async with rt.db.read() as s:
        found = await s.get(ApprovalRow, approval_id)
        assert found is not None
        return found


async def test_medium_amount_goes_to_the_manager_then_all_of_finance(crt_any: Runtime) -> None:
    rt = crt_any
    n = await request(rt, "bob", "request PUMP new valves 48000")
    assert (await row(rt, n)).approvers == ["alice"], "step 1: bob's manager, not the project's approver"
    alice_card = await card(rt, "alice", f"approval:{n}")
    assert len(alice_card) == 1 and "1. PM" in alice_card[0]["text"] and "← now" in alice_card[0]["text"]
    assert "会签" not in alice_card[0]["text"] and "all of" in alice_card[0]["text"], "the card shows later steps"
    assert not await card(rt, "carol", f"approval:{n}"), "finance is not asked before the PM decided"
    assert f"不是审批 #{n} 的审批人" in await texts(rt, "carol", f"approve {n}"), "a later step cannot jump the queue"

    assert "counted" in await texts(rt, "alice", f"approve {n} ok")
    assert sorted((await row(rt, n)).approvers) == ["carol", "frank"]
    assert any("passed a step" in m["text"] or "已通过一步" in m["text"] for m in await feed.feed(rt.db, "bob"))
    for who in ("carol", "frank"):
        c = await card(rt, who, f"approval:{n}")
        assert len(c) == 1 and [b["id"] for b in c[0]["buttons"]] == ["approve", "reject"] and "会签" in c[0]["text"]
    assert f"not an approver of #{n}" in await texts(rt, "alice", f"approve {n}"), "the PM's part is done"

    assert "已记录" in await texts(rt, "carol", f"同意 {n}")  # 会签: one of two is not enough
    assert (await row(rt, n)).state == "pending" and (await row(rt, n)).approvers == ["frank"]
    assert f"不是审批 #{n} 的审批人" in await texts(rt, "carol", f"同意 {n}"), "counted once"
    assert f"你已同意 #{n}" in await texts(rt, "frank", f"同意 {n}")
    final = await row(rt, n)
    assert (final.state, final.decided_by, final.approvers) == ("approved", "frank", [])
    assert any("已被" in m["text"] for m in await feed.feed(rt.db, "bob")), "the requester hears the decision"
    carol_card = await card(rt, "carol", f"approval:{n}")
    assert carol_card[-1]["buttons"] == [] and "已同意" in carol_card[-1]["text"]
    async with rt.db.read() as s:
        steps = [a.detail["outcome"] for a in (await s.execute(
            select(AuditRow).where(col(AuditRow.action) == "approval.step.approved"))).scalars()]
    assert steps == ["next", "step", "approved"]
    assert (await audit.verify(rt.db)).ok
    # 或签 on each backend: two finance clicks at once on a large request count once
    n = await request(rt, "bob", "request PUMP new pump 250000")
    await texts(rt, "alice", f"approve {n}")
    events = [InboundEvent(platform="console", event_id=f"click-{who}", kind="action", sender=who, conversation=who,
                           action={"id": "approve", "value": str(n)}, received_at=rt.clock.now())
              for who in ("carol", "frank")]
    await asyncio.gather(*(rt.inbox.accept(e) for e in events))
    await drain(rt)
    state = await row(rt, n)
    assert state.state == "pending" and state.approvers == ["erin"], "或签: one finance decision moves it on"
    decided = state.payload["chain"]["steps"][1]["decided"]
    assert len(decided) == 1, "the second click was not counted"


async def test_thresholds_rejection_delegation_and_escalation(crt: Runtime) -> None:
    rt = crt
    small = await request(rt, "bob", "request PUMP gloves 800")
    assert (await row(rt, small)).approvers == ["alice"]
    n = await request(rt, "bob", "request PUMP new pump 250000")
    assert "counted" in await texts(rt, "alice", f"approve {n}")
    assert f"你已驳回 #{n}" in await texts(rt, "frank", f"驳回 {n} 太贵")
    final = await row(rt, n)
    assert (final.state, final.decided_by, final.comment, final.approvers) == ("rejected", "frank", "太贵", [])
    assert f"not an approver of #{n}" in await texts(rt, "erin", f"approve {n}"), "the director was never asked"
    refused = await texts(rt, "bob", "request PUMP laptop $5000")
    assert "USD" in refused and "CNY" in refused, "a dollar amount is not compared with yuan thresholds"
    n = await request(rt, "bob", "request PUMP new pump 250000")
    await texts(rt, "alice", f"approve {n}")
    assert "已转交 张伟" in await texts(rt, "carol", f"转交 {n} 给 张伟")
    assert sorted((await row(rt, n)).approvers) == ["dave", "frank"], "dave takes carol's place in this step"
    assert await card(rt, "dave", f"approval:{n}")
    assert "不是审批" in await texts(rt, "carol", f"approve {n}")
    await texts(rt, "dave", f"approve {n}")
    assert (await row(rt, n)).approvers == ["erin"]
    started = (await row(rt, n)).payload["chain"]["steps"][2]["started_at"]
    rt.clock.set(datetime.fromisoformat(started) + timedelta(hours=8, minutes=1))  # type: ignore[attr-defined]
    await followups(rt).run(rt.clock.now(), catching_up=False)
    await drain(rt)
    assert sorted((await row(rt, n)).approvers) == ["dave", "erin"]
    assert await card(rt, "dave", f"approval:{n}"), "the stand-in gets the card"
    await followups(rt).run(rt.clock.now(), catching_up=False)
    assert sorted((await row(rt, n)).approvers) == ["dave", "erin"], "escalated once"
    assert f"你已同意 #{n}" in await texts(rt, "dave", f"同意 {n}")
    assert (await row(rt, n)).state == "approved"


def test_chain_state_machine() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    chain = chains.start("r", (chains.Step(name="a", mode="all", members=("x", "y")),
                               chains.Step(name="b", mode="any", members=("z", "w"))), now)
    with pytest.raises(chains.NotYours):
        chains.decide(chain, "z", "approved", now)
    chain, outcome = chains.decide(chain, "x", "approved", now)
    assert outcome == "step" and chain.awaiting() == ("y",)
    with pytest.raises(chains.NotYours):
        chains.decide(chain, "x", "approved", now)
    chain = chains.delegate(chain, "y", "v")
    chain, outcome = chains.decide(chain, "v", "approved", now)
    assert outcome == "next" and chain.awaiting() == ("z", "w")
    assert chains.from_json(chains.to_json(chain)) == chain
    chain, outcome = chains.decide(chain, "w", "approved", now)
    assert outcome == "approved" and chain.awaiting() == ()
    with pytest.raises(ValueError):
        chains.start("r", (chains.Step(name="a", mode="any", members=()),), now)


@pytest.mark.parametrize(("change", "message"), [
    ({"rules": [{"name": "x", "steps": [{"name": "s", "approvers": ["nobody"]}]}]}, "unknown approver 'nobody'"),
    ({"rules": [{"name": "x", "steps": [{"name": "s", "approvers": ["group:legal"]}]}]}, "unknown group 'legal'"),
    ({"rules": [{"name": "x", "steps": [{"name": "s", "approvers": ["role:king"]}]}]}, "unknown role 'king'"),
    ({"rules": [{"name": "x", "over": "10.000,00", "steps": [{"name": "s", "approvers": ["alice"]}]}]},
     "decimal comma"),
    ({"rules": [{"name": "x", "steps": []}]}, "at least 1"),
    ({"rules": [{"name": "x", "steps": [{"name": "s", "approvers": ["alice"], "escalate_after_h": 4}]}]},
     "escalate_to"),
    ({"rules": [{"name": "x", "projects": ["NOPE"], "steps": [{"name": "s", "approvers": ["alice"]}]}]},
     "unknown project 'NOPE'"),
    ({"currency": "XBT"}, "unknown currency"),
    ({"rules": [{"name": "x", "steps": [{"name": "s", "approvers": ["alice"], "mode": "some"}]}]}, "any"),
])
def test_bad_chain_configuration_is_named(change: dict[str, Any], message: str) -> None:
    import yaml

    data = demo_config().model_dump(mode="json", exclude_defaults=True)
    text = yaml.safe_dump({**data, "approval_chains": change}, allow_unicode=True)
    with pytest.raises(ConfigError) as info:
        parse_config(text, name="pmsbot.yaml", env={})
    assert message in str(info.value) and "approval_chains" in str(info.value)


def test_thresholds_read_as_money() -> None:
    rules = chain_config().approval_chains
    assert rules.rules[1].over == Decimal(10000)
    from bot.money import Money
    assert rules.rule_for("PUMP", "general", Money(amount=Decimal("10000.00"), currency="CNY")).name == "small"
    assert rules.rule_for("PUMP", "general", Money(amount=Decimal("10000.01"), currency="CNY")).name == "medium"
    with pytest.raises(ValueError):
        rules.rule_for("PUMP", "general", Money(amount=Decimal(5), currency="USD"))


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_chain_card_on_slack_feishu_and_dingtalk(locale: str) -> None:
    from notifiers.dingtalk_markdown import dingtalk_md
    from notifiers.feishu import card_for
    from notifiers.render import Renderer
    from notifiers.slack_blocks import blocks_for

    approval = {"id": 7, "project": "PUMP", "subject": "valves <x>", "amount": "48,000.00", "requester": "王波",
                "state": "pending", "decided_by": None, "decided_at": None, "comment": None, "currency": "CNY",
                "chain": [
                    {"name": "PM", "mode": "any", "state": "approved", "current": False, "escalated": False,
                     "people": [{"name": "Alice Li", "decided": "approved"}]},
                    {"name": "finance", "mode": "all", "state": "pending", "current": True, "escalated": False,
                     "people": [{"name": "刘芳", "decided": "approved"}, {"name": "范磊", "decided": None}]},
                    {"name": "director", "mode": "any", "state": "waiting", "current": False, "escalated": False,
                     "people": [{"name": "Erin Zhao", "decided": None}]}]}
    r = Renderer()
    actions = [{"id": "approve", "value": "7", "style": "primary"}, {"id": "reject", "value": "7", "style": "danger"}]
    mode = "会签" if locale == "zh" else "all of"
    now = "← 当前" if locale == "zh" else "← now"
    slack = r.render(platform="slack", locale=locale, kind="approval_card", data={"approval": approval},
                     actions=actions)
    texts = r.catalogs[locale]
    blocks = json.dumps(blocks_for(r, slack, dict(texts["slack"]), None), ensure_ascii=False)
    assert mode in blocks and "范磊" in blocks and now in blocks and "✅ 1. PM" in blocks and "⏳ 3. director" in blocks
    plain = r.render(platform="feishu", locale=locale, kind="approval_card", data={"approval": approval},
                     actions=actions)
    feishu = json.dumps(card_for(r, plain, dict(texts["feishu"])), ensure_ascii=False)
    assert mode in feishu and "刘芳 ✓" in feishu and now in feishu and "&lt;x&gt;" in feishu
    dingtalk = dingtalk_md(r.render(platform="dingtalk", locale=locale, kind="approval_card",
                                    data={"approval": approval}, actions=actions).text)
    assert mode in dingtalk and "Erin Zhao" in dingtalk and now in dingtalk
    assert approval["amount"] in dingtalk and "¥" in dingtalk


async def test_the_manager_comes_from_the_directory_where_the_file_names_none(crt: Runtime) -> None:
    """dave has no `manager:` in the file; the directory sync stored erin as his manager (PersonRow.manager_id)."""
    from sqlalchemy import update

    from bot.store.models import PersonRow

    async with crt.db.write() as s:
        await s.execute(update(PersonRow).where(PersonRow.id == "dave").values(manager_id="erin"))
        await s.execute(update(PersonRow).where(PersonRow.id == "bob").values(manager_id="frank"))
    n = await request(crt, "dave", "request PUMP spare cables 800")
    assert (await row(crt, n)).approvers == ["erin"], "the directory's manager of dave"
    m = await request(crt, "bob", "request PUMP gaskets 500")
    assert (await row(crt, m)).approvers == ["alice"], "the file's manager: wins over the directory's frank"
