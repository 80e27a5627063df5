"""Approval chains end to end on Feishu (signed card callbacks) and DingTalk (signed personal decision links): the
requester's manager first, then 会签 (each of two must approve, once) or 或签 (the first approval settles it)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.runtime import Runtime
from bot.store.models import ApprovalRow
from tests.fakes import dingtalk as dfake
from tests.fakes import feishu as ffake
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import FakeFeishu
from tests.platform_org import demo_with, seeded
from tests.test_dingtalk import _path, dingtalk, say_on_dingtalk
from tests.test_dingtalk import settings_for as dingtalk_settings
from tests.test_feishu import feishu, say_on_feishu
from tests.test_feishu import post as feishu_post
from tests.test_feishu import settings_for as feishu_settings
from tests.waiting import eventually

__all__ = ["dingtalk", "feishu"]  # the fixtures, used by name
Client = TestClient  # type: ignore[type-arg]
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
            {"name": "finance", "approvers": ["group:finance"], "mode": "any"}]},
    ],
}
FS = {"alice": "ou_alice", "bob": "ou_bob", "carol": "ou_carol", "frank": "ou_frank"}
DT = {"alice": "alice01", "bob": "manager4021", "carol": "carol01", "frank": "frank01"}


def chain_config(tmp_path: Path, platform: str, ids: dict[str, str]) -> Path:
    """The demo organisation with bob's manager alice, carol and frank on the platform, and the chains above."""
    path = demo_with(tmp_path, {"bob": {"manager": "alice"},
                                "carol": {"identities": {platform: ids["carol"]}},
                                "frank": {"identities": {platform: ids["frank"]}}})
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["approval_chains"] = CHAINS
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


async def row(rt: Runtime, approval_id: int) -> ApprovalRow:
    async with rt.db.read() as s:
        found = await s.get(ApprovalRow, approval_id)
        assert found is not None
        return found


def number(text: str) -> int:
    found = re.search(r"#([0-9]+)", text)
    assert found, text
    return int(found.group(1))


def already_decided(said: str, approval_id: int) -> None:
    """The other member of a settled 或签 step is told it is already decided (and by whom)."""
    assert f"审批 #{approval_id} 已由 范磊 处理" in said, said


# ---- Feishu: card buttons through the signed, encrypted card callback -------------------------------------------
@pytest.fixture
async def frt(feishu: FakeFeishu, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    config = chain_config(tmp_path, "feishu", FS)
    runtime = await seeded(feishu_settings(feishu, sqlite_url, config), config)
    yield runtime
    await runtime.close()


@pytest.fixture
async def fclient(frt: Runtime) -> AsyncIterator[Client]:
    async with TestClient(TestServer(build_app(frt))) as c:
        yield c


async def feishu_card(feishu: FakeFeishu, who: str, approval_id: int, since: int = 0) -> ffake.Sent:
    """The card with buttons for this approval that `who` received (after their first `since` messages)."""
    def found() -> list[ffake.Sent]:
        return [m for m in feishu.messages(FS[who], method="send")[since:]
                if any(b["behaviors"][0]["value"] == {"action": "approve", "id": str(approval_id)}
                       for b in m.buttons())]

    async def carded() -> bool:
        return bool(found())
    await eventually(carded, what=f"the approval card #{approval_id} in {who}'s chat")
    return found()[-1]


async def feishu_click(client: Client, who: str, card: ffake.Sent, approval_id: int) -> dict[str, Any]:
    click = ffake.card_action({"action": "approve", "id": str(approval_id)}, operator=FS[who], chat="oc_" + who,
                              message_id=card.message_id)
    status, answer = await feishu_post(client, ffake.envelope("card.action.trigger", click))
    assert status == 200, answer
    return answer


async def told(feishu: FakeFeishu, who: str, since: int, text: str) -> str:
    """A refused click is answered in the chat the card was clicked in (the callback's toast only says received)."""
    def found() -> list[str]:
        return [m.text for m in feishu.messages("oc_" + who, method="send")[since:] if text in m.text]

    async def answered() -> bool:
        return bool(found())
    await eventually(answered, what=f"{who} told {text!r}")
    return found()[-1]


async def test_chains_on_feishu_cards(fclient: Client, frt: Runtime, feishu: FakeFeishu) -> None:
    rt, client = frt, fclient
    n = number((await say_on_feishu(client, feishu, "request PUMP new valves 48000")).text)
    assert (await row(rt, n)).approvers == ["alice"], "step 1: bob's manager"
    alice_card = await feishu_card(feishu, "alice", n)
    assert not [m for m in feishu.messages(FS["carol"]) if f"#{n}" in m.text], "finance waits for the PM"
    answer = await feishu_click(client, "alice", alice_card, n)
    assert answer["toast"]["type"] == "success", answer
    assert sorted((await row(rt, n)).approvers) == ["carol", "frank"]
    carol_card = await feishu_card(feishu, "carol", n)
    frank_card = await feishu_card(feishu, "frank", n)
    assert "会签" in carol_card.text and "会签" in frank_card.text

    answer = await feishu_click(client, "carol", carol_card, n)  # 会签: one of two is not enough
    assert answer["toast"]["type"] == "success", answer
    state = await row(rt, n)
    assert (state.state, state.approvers) == ("pending", ["frank"])
    before = len(feishu.messages("oc_carol", method="send"))
    again = await feishu_click(client, "carol", carol_card, n)
    assert again["toast"]["type"] != "success" and "card" not in again, again
    assert "不是审批" in await told(feishu, "carol", before, f"#{n}")
    assert (await row(rt, n)).payload["chain"]["steps"][1]["decided"] == [["carol", "approved"]], "counted once"
    answer = await feishu_click(client, "frank", frank_card, n)
    assert answer["toast"]["type"] == "success", answer
    final = await row(rt, n)
    assert (final.state, final.decided_by, final.approvers) == ("approved", "frank", [])

    async def bob_heard() -> bool:
        return any(f"#{n}" in m.text and ("已被" in m.text or "已同意" in m.text)
                   for m in feishu.messages(FS["bob"], method="send"))
    await eventually(bob_heard, what="the decision to bob, the requester")

    # 或签: the first finance approval settles it; the other member is told it is already decided
    m = number((await say_on_feishu(client, feishu, "request PUMP new pump 250000")).text)
    await feishu_click(client, "alice", await feishu_card(feishu, "alice", m), m)
    carol_card = await feishu_card(feishu, "carol", m)
    frank_card = await feishu_card(feishu, "frank", m)
    assert "或签" in frank_card.text
    assert (await feishu_click(client, "frank", frank_card, m))["toast"]["type"] == "success"
    final = await row(rt, m)
    assert (final.state, final.decided_by, final.approvers) == ("approved", "frank", [])
    before = len(feishu.messages("oc_carol", method="send"))
    late = await feishu_click(client, "carol", carol_card, m)
    assert late["toast"]["type"] != "success" and "card" not in late, late
    said = await told(feishu, "carol", before, f"#{m}")
    assert (await row(rt, m)).payload["chain"]["steps"][1]["decided"] == [["frank", "approved"]]
    already_decided(said, m)
    assert (await row(rt, m)).payload["chain"]["steps"][1]["decided"] == [["frank", "approved"]]


# ---- DingTalk: signed personal decision links -------------------------------------------------------------------
@pytest.fixture
async def drt(dingtalk: FakeDingTalk, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    config = chain_config(tmp_path, "dingtalk", DT)
    runtime = await seeded(dingtalk_settings(dingtalk, sqlite_url, config), config)
    yield runtime
    await runtime.close()


@pytest.fixture
async def dclient(drt: Runtime) -> AsyncIterator[Client]:
    async with TestClient(TestServer(build_app(drt))) as c:
        yield c


async def dingtalk_card(dingtalk: FakeDingTalk, who: str, approval_id: int) -> dfake.Sent:
    def found() -> list[dfake.Sent]:
        return [m for m in dingtalk.messages(DT[who], road="oto") if f"#{approval_id}" in m.text and m.links()
                and m.key == "sampleActionCard2"]

    async def carded() -> bool:
        return bool(found())
    await eventually(carded, what=f"the approval card #{approval_id} in {who}'s chat")
    return found()[-1]


async def approve_link(client: Client, card: dfake.Sent) -> tuple[int, str]:
    (label, url), _ = card.links()
    assert label == ("Approve" if card.target == DT["alice"] else "同意"), "in the recipient's language"
    r = await client.post(_path(url), data={})
    return r.status, await r.text()


async def test_chains_on_dingtalk_links(dclient: Client, drt: Runtime, dingtalk: FakeDingTalk) -> None:
    rt, client = drt, dclient
    n = number((await say_on_dingtalk(client, dingtalk, "request PUMP new valves 48000")).text)
    assert (await row(rt, n)).approvers == ["alice"], "step 1: bob's manager"
    assert (await approve_link(client, await dingtalk_card(dingtalk, "alice", n)))[0] == 200
    assert sorted((await row(rt, n)).approvers) == ["carol", "frank"]
    carol_card = await dingtalk_card(dingtalk, "carol", n)
    frank_card = await dingtalk_card(dingtalk, "frank", n)
    assert "会签" in carol_card.text and "会签" in frank_card.text

    assert (await approve_link(client, carol_card))[0] == 200  # 会签: one of two is not enough
    state = await row(rt, n)
    assert (state.state, state.approvers) == ("pending", ["frank"])
    status, page = await approve_link(client, carol_card)
    assert status == 409 and "已使用" in page, page
    assert (await row(rt, n)).payload["chain"]["steps"][1]["decided"] == [["carol", "approved"]], "counted once"
    assert (await approve_link(client, frank_card))[0] == 200
    final = await row(rt, n)
    assert (final.state, final.decided_by, final.approvers) == ("approved", "frank", [])

    async def bob_heard() -> bool:
        return any(f"#{n}" in m.text and ("已被" in m.text or "已同意" in m.text)
                   for m in dingtalk.messages(DT["bob"]))
    await eventually(bob_heard, what="the decision to bob, the requester")

    # 或签: the first finance approval settles it; the other member is told it is already decided
    m = number((await say_on_dingtalk(client, dingtalk, "request PUMP new pump 250000")).text)
    assert (await approve_link(client, await dingtalk_card(dingtalk, "alice", m)))[0] == 200
    carol_card = await dingtalk_card(dingtalk, "carol", m)
    frank_card = await dingtalk_card(dingtalk, "frank", m)
    assert "或签" in frank_card.text
    assert (await approve_link(client, frank_card))[0] == 200
    final = await row(rt, m)
    assert (final.state, final.decided_by, final.approvers) == ("approved", "frank", [])
    before = len(dingtalk.messages(DT["carol"]))
    status, page = await approve_link(client, carol_card)  # an unused link: the page says why in DingTalk
    assert status == 200 and "未能完成" in page, page

    # The settled card reaches carol too, in whichever order the outbox sends it: wait for the explanation itself.
    async def carol_told() -> bool:
        return any(f"#{m} 已由" in x.text for x in dingtalk.messages(DT["carol"])[before:])
    await eventually(carol_told, what="carol told why in DingTalk")
    assert (await row(rt, m)).payload["chain"]["steps"][1]["decided"] == [["frank", "approved"]]
    already_decided(next(x.text for x in dingtalk.messages(DT["carol"])[before:] if f"#{m} 已由" in x.text), m)
