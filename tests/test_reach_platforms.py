"""The issue-24 verbs on the three platform fakes at once (Slack, Feishu, DingTalk): a channel's subscription
muted, listed and dropped on Slack; leave taken and cancelled on Feishu; `站会 销假` and late answers on DingTalk,
each answered on its platform in the person's language."""

from __future__ import annotations

from datetime import timedelta

from bot.clocks import SYSTEM_CLOCK
from tests.all_platforms import Client
from tests.all_platforms import client as client
from tests.all_platforms import platforms as platforms
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import FakeFeishu
from tests.fakes.slack import FakeSlack
from tests.test_dingtalk import say_on_dingtalk
from tests.test_feishu import say_on_feishu
from tests.test_slack import command
from tests.waiting import eventually

BOB_SLACK, ALICE_SLACK, CHANNEL = "U01BOB", "U01ALICE", "C01PUMP"


async def on_slack(client: Client, slack: FakeSlack, text: str, user: str) -> str:
    before = len([p for p in slack.messages(method="response_url") if p.channel == CHANNEL])
    status, _, _ = await command(client, slack, text, user=user, channel=CHANNEL)
    assert status == 200

    async def answered() -> bool:
        return len([p for p in slack.messages(method="response_url") if p.channel == CHANNEL]) > before
    await eventually(answered, what=f"the answer to {text!r}")
    return [p for p in slack.messages(method="response_url") if p.channel == CHANNEL][-1].text


async def test_reach_verbs_on_every_platform(client: Client, platforms: tuple[FakeSlack, FakeFeishu, FakeDingTalk]
                                             ) -> None:
    slack, feishu, dingtalk = platforms
    # Slack: the team channel follows PUMP, is muted for two hours, listed, then dropped; alice reads it in English.
    assert "已订阅 PUMP" in await on_slack(client, slack, "订阅 PUMP", BOB_SLACK)
    assert "已静音 PUMP" in await on_slack(client, slack, "静音 PUMP 2小时", BOB_SLACK)
    assert "muted until" in await on_slack(client, slack, "subscriptions", ALICE_SLACK)
    assert "no longer follows PUMP" in await on_slack(client, slack, "unsubscribe PUMP", ALICE_SLACK)
    assert "does not follow PUMP" in await on_slack(client, slack, "mute PUMP 1h", ALICE_SLACK)
    assert "不是能识别的时长" in await on_slack(client, slack, "静音 PUMP <@U0EVIL> 永远", BOB_SLACK)

    # Feishu: leave ten days ahead (by the runtime's clock, whatever today is), listed and cancelled.
    day = (SYSTEM_CLOCK.now() + timedelta(days=10)).strftime("%Y-%m-%d")
    assert "已登记请假" in (await say_on_feishu(client, feishu, f"请假 {day}")).text
    assert "#" in (listed := (await say_on_feishu(client, feishu, "假期")).text) and day in listed
    assert "已销假" in (await say_on_feishu(client, feishu, "销假")).text
    assert "没有待休的假" in (await say_on_feishu(client, feishu, "站会 销假")).text

    # DingTalk: `站会 销假` with no leave is no answer; a late answer and one's last answers.
    assert "没有待休的假" in (await say_on_dingtalk(client, dingtalk, "站会 销假")).text
    assert "已补交" in (await say_on_dingtalk(client, dingtalk, "站会 补 昨天 换了阀门")).text
    assert "换了阀门" in (await say_on_dingtalk(client, dingtalk, "站会 我的")).text
    assert "不是请假编号" in (await say_on_dingtalk(client, dingtalk, "销假 '; DROP TABLE standup_entry; --")).text
