"""A run across all three platforms, logged at DEBUG the way the processes log (bot.logs): the configured secrets
and the tokens and sessions the platforms issued appear in no line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient

from bot import logs
from tests.all_platforms import client as client
from tests.all_platforms import platforms as platforms
from tests.fakes import dingtalk as fake_dingtalk
from tests.fakes import feishu as fake_feishu
from tests.fakes import slack as fake_slack
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import FakeFeishu
from tests.fakes.slack import FakeSlack
from tests.waiting import eventually

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, through the same redaction the processes install."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(logs.RedactSecrets())
    root = logging.getLogger()
    before = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(before)


async def test_no_secret_or_issued_token_reaches_a_log_line(
        client: Client, platforms: tuple[FakeSlack, FakeFeishu, FakeDingTalk],
        captured: io.StringIO) -> None:
    slack, feishu, dingtalk = platforms
    # Slack: a slash command and its answer through response_url.
    body = fake_slack.slash_command("my", user="U0CAROL", channel="C0PUMP",
                                    response_url=slack.response_url(channel="C0PUMP", user="U0CAROL"))
    assert (await client.post("/slack/events", data=body, headers=fake_slack.sign(body))).status == 200
    # Feishu: an encrypted, signed message; the answer needs a tenant token.
    event = fake_feishu.message_event("my", sender="ou_carol", chat="oc_carol")
    raw, headers = fake_feishu.signed(fake_feishu.envelope("im.message.receive_v1", event))
    assert (await client.post("/feishu/events", data=raw, headers=headers)).status == 200
    # DingTalk: a signed callback with a session webhook, answered through it.
    session = dingtalk.session_webhook("carol1")
    raw, headers = fake_dingtalk.signed(fake_dingtalk.robot_message("my", sender="carol1",
                                                                    conversation="cidp2pcarol", session=session))
    assert (await client.post("/dingtalk/events", data=raw, headers=headers)).status == 200

    async def answered() -> bool:
        return bool(slack.messages(method="response_url") and feishu.messages("oc_carol")
                    and dingtalk.messages("carol1", road="session"))
    await eventually(answered, what="an answer on each platform")
    text = captured.getvalue()
    assert "POST" in text or "pmsbot" in text, "the capture saw the run"
    secrets = [fake_slack.SIGNING_SECRET, slack.bot_token, fake_feishu.APP_SECRET, fake_feishu.ENCRYPT_KEY,
               fake_feishu.VERIFICATION_TOKEN, fake_dingtalk.CLIENT_SECRET,
               *feishu._tokens, *dingtalk._tokens, session[0].rsplit("=", 1)[1]]
    leaked = [s[:6] + "…" for s in secrets if s and s in text]
    assert leaked == [], f"in the log: {leaked}"


@pytest.fixture(autouse=True)
def _httpx_at_debug() -> Iterator[None]:
    """httpx logs whole URLs (access tokens, sessions) at DEBUG too: let it, to see the redaction work."""
    names = ("httpx", "httpcore")
    before = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    yield
    for n, level in before.items():
        logging.getLogger(n).setLevel(level)

