"""An approval chain in Slack end to end: Block Kit cards to each step's people in turn, decided by their buttons
(through the signed request path), each card updated in place to show where the chain stands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.runtime import Runtime
from bot.say import say
from tests.fakes.slack import FakeSlack
from tests.platform_org import demo_with, seeded
from tests.test_slack import CAROL, Client, _card, approval_state, click, settings_for, slack
from tests.waiting import eventually

__all__ = ["slack"]  # the fixture, used by name
FRANK = "U01FRANK"


@pytest.fixture
async def rt(slack: FakeSlack, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    path = demo_with(tmp_path, {"carol": {"identities": {"slack": CAROL}}, "frank": {"identities": {"slack": FRANK}},
                                "bob": {"manager": "carol"}})
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["approval_chains"] = {"groups": {"finance": ["frank"]}, "rules": [{"name": "all", "steps": [
        {"name": "manager", "approvers": ["manager"]}, {"name": "finance", "approvers": ["group:finance"]}]}]}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    runtime = await seeded(settings_for(slack, sqlite_url, path), path)
    yield runtime
    await runtime.close()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


async def test_a_chain_is_decided_step_by_step_with_slack_buttons(client: Client, rt: Runtime,
                                                                  slack: FakeSlack) -> None:
    out = await say(rt, "bob", "request PUMP 800 spare impeller")
    approval_id = int(out[0].text.split("#", 1)[1].split("「", 1)[0].split(" ", 1)[0])
    card = await _card(slack, approval_id)
    assert card.channel == "D01CAROL" and "会签" not in card.text and "或签" in card.text
    assert (await click(client, slack, card, "approve", user=FRANK))[0] == 200  # not his step yet
    assert (await click(client, slack, card, "approve"))[0] == 200

    async def finance_asked() -> bool:
        return any(p.channel != card.channel and str(approval_id) in str(p.blocks)
                   for p in slack.messages(method="chat.postMessage"))
    await eventually(finance_asked, what="the finance step's card")
    frank_card = next(p for p in slack.messages(method="chat.postMessage")
                      if p.channel != card.channel and any(b["type"] == "actions" for b in p.blocks)
                      and str(approval_id) in str(p.blocks))
    assert await approval_state(rt, approval_id) == "pending"

    async def carol_card_moved_on() -> bool:
        updated = slack.message(card.channel, card.ts)
        return updated is not None and not any(b["type"] == "actions" for b in updated.blocks)
    await eventually(carol_card_moved_on, what="carol's card without buttons, showing the chain")
    assert (await click(client, slack, frank_card, "approve", user=FRANK))[0] == 200

    async def approved() -> bool:
        return await approval_state(rt, approval_id) == "approved"
    await eventually(approved, what="the last step's decision")
    updated = slack.message(card.channel, card.ts)
    assert updated is not None and "✅" in updated.text
