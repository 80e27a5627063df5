"""One runtime on all three platform fakes (Slack, Feishu, DingTalk) and its HTTP client: fixtures for tests of
every entry point at once (fuzzing, logs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.config import Settings
from bot.runtime import Runtime
from tests.fakes import dingtalk as fake_dingtalk
from tests.fakes import feishu as fake_feishu
from tests.fakes import slack as fake_slack
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import FakeFeishu
from tests.fakes.slack import FakeSlack
from tests.platform_org import demo_with, seeded

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
async def platforms() -> AsyncIterator[tuple[FakeSlack, FakeFeishu, FakeDingTalk]]:
    slack, feishu, dingtalk = FakeSlack(), FakeFeishu(), FakeDingTalk()
    for server in (slack, feishu, dingtalk):
        await server.start()
    yield slack, feishu, dingtalk
    for server in (slack, feishu, dingtalk):
        await server.stop()


@pytest.fixture
async def client(platforms: tuple[FakeSlack, FakeFeishu, FakeDingTalk], sqlite_url: str,
                 tmp_path: Path) -> AsyncIterator[Client]:
    slack, feishu, dingtalk = platforms
    config = demo_with(tmp_path, {"carol": {"identities": {"slack": "U0CAROL", "feishu": "ou_carol",
                                                          "dingtalk": "carol1"}}})
    settings_ = Settings(
        database_url=sqlite_url, pmsbot_config=str(config),
        slack_bot_token=slack.bot_token, slack_signing_secret=fake_slack.SIGNING_SECRET, slack_api_url=slack.api_url,
        feishu_app_id=fake_feishu.APP_ID, feishu_app_secret=fake_feishu.APP_SECRET,
        feishu_verification_token=fake_feishu.VERIFICATION_TOKEN, feishu_encrypt_key=fake_feishu.ENCRYPT_KEY,
        feishu_api_base=feishu.base, dingtalk_client_id=fake_dingtalk.CLIENT_ID,
        dingtalk_client_secret=fake_dingtalk.CLIENT_SECRET, dingtalk_api_base=dingtalk.base,
        dingtalk_oapi_base=dingtalk.base)
    rt: Runtime = await seeded(settings_, config)
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c
    await rt.close()


