"""Slack end to end: signed requests into /slack/events, replies recorded by the fake Slack (tests/fakes/slack.py)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select, update
from sqlmodel import col

from bot.app import build_app
from bot.clocks import SYSTEM_CLOCK
from bot.config import Settings, load_config
from bot.runtime import Runtime
from bot.store.models import ApprovalRow, IdentityRow, OutboxRow
from bot.store.sync import apply_config
from notifiers.base import Button, Rendered
from notifiers.render import Renderer
from notifiers.slack_blocks import MAX_BLOCKS, MAX_SECTION_CHARS, blocks_for, escape
from tests.conftest import running_clock, set_clock
from tests.fakes import slack as fake
from tests.fakes.process import serving
from tests.fakes.slack import FakeSlack, check_blocks, sign
from tests.platform_org import demo_with, seeded
from tests.waiting import eventually

CAROL, ALICE, BOB, DAVE, STRANGER = "U01CAROL", "U01ALICE", "U01BOB", "U01DAVE", "U0STRANGE"
CHANNEL = "C01PUMP"


def slack_config(tmp_path: Path) -> Path:
    """The demo organisation, with carol (the approver) on Slack and dave known only by his email."""
    return demo_with(tmp_path, {"carol": {"identities": {"slack": CAROL}}, "dave": {"email": "Dave.Zhang@example.com"}})


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack(channel_rate_per_s=20.0, channel_burst=5, users={
        DAVE: {"id": DAVE, "name": "dave", "profile": {"email": "dave.zhang@EXAMPLE.com"}},
        STRANGER: {"id": STRANGER, "name": "mallory", "profile": {"email": "mallory@elsewhere.example"}},
    })
    await server.start()
    yield server
    await server.stop()


def settings_for(slack: FakeSlack, db_url: str, config: Path, **more: Any) -> Settings:
    return Settings(database_url=db_url, pmsbot_config=str(config), slack_bot_token=slack.bot_token,
                    slack_signing_secret=fake.SIGNING_SECRET, slack_api_url=slack.api_url, **more)


@pytest.fixture
async def rt(slack: FakeSlack, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    config = slack_config(tmp_path)
    runtime = await seeded(settings_for(slack, sqlite_url, config), config)
    yield runtime
    await runtime.close()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


Client = TestClient  # type: ignore[type-arg]


async def post(client: Client, body: bytes, *, form: bool = True, headers: dict[str, str] | None = None,
               signed: bool = True) -> tuple[int, str]:
    h = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
    if signed:
        h.update(sign(body))
    h.update(headers or {})
    r = await client.post("/slack/events", data=io.BytesIO(body) if len(body) > 512 * 1024 else body, headers=h)
    return r.status, await r.text()


async def command(client: Client, slack: FakeSlack, text: str, *, user: str = BOB, channel: str = CHANNEL
                  ) -> tuple[int, str, str]:
    url = slack.response_url(channel=channel, user=user)
    status, body = await post(client, fake.slash_command(text, user=user, channel=channel, response_url=url))
    return status, body, url


async def wait_posts(slack: FakeSlack, n: int, **kw: Any) -> list[fake.Posted]:
    async def enough() -> bool:
        return len(slack.messages(**kw)) >= n
    await eventually(enough, what=f"{n} messages {kw}")
    return slack.messages(**kw)


async def approval_state(rt: Runtime, approval_id: int) -> str:
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, approval_id)
        assert row is not None
        return row.state


async def pending_approval(rt: Runtime) -> int:
    """A new request from bob, whose card goes to carol on Slack."""
    from bot.say import say
    await say(rt, "bob", "request PUMP 800 spare impeller")
    async with rt.db.read() as s:
        return int((await s.execute(select(col(ApprovalRow.id)).where(col(ApprovalRow.state) == "pending")
                                    .order_by(col(ApprovalRow.id).desc()))).scalars().first() or 0)


# ---- signing ---------------------------------------------------------------------------------------------------
def test_signing_matches_slack_sdk_and_the_official_vector() -> None:
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
            b"channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
            b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
            b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    headers = sign(body, secret="8f742231b10e8888abcd99yyyzzz85a5", timestamp=1531420618)
    assert headers["X-Slack-Signature"] == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    now = int(SYSTEM_CLOCK.timestamp())
    verifier = SignatureVerifier(fake.SIGNING_SECRET)
    mine = sign(b"payload=x", timestamp=now)
    assert verifier.is_valid(b"payload=x", str(now), mine["X-Slack-Signature"])
    assert not verifier.is_valid(b"payload=y", str(now), mine["X-Slack-Signature"])


async def test_url_verification_answers_the_challenge(client: Client) -> None:
    body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"}).encode()
    status, text = await post(client, body, form=False)
    assert status == 200 and json.loads(text) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


@pytest.mark.parametrize("case", ["forged", "stale", "missing", "other_secret", "body_swapped", "odd_timestamp",
                                  "future", "zero_padded", "not_ascii"])
async def test_unsigned_or_forged_requests_are_401_and_apply_nothing(client: Client, rt: Runtime, slack: FakeSlack,
                                                                     case: str) -> None:
    url = slack.response_url(channel=CHANNEL, user=BOB)
    body = fake.slash_command("done PUMP-1", user=BOB, channel=CHANNEL, response_url=url)
    headers = {
        "forged": {**sign(body), "X-Slack-Signature": "v0=" + "0" * 64},
        "stale": sign(body, timestamp=int(rt.clock.timestamp()) - 6 * 60),
        "missing": {},
        "other_secret": sign(body, secret="not-the-secret"),
        "body_swapped": sign(fake.slash_command("my", user=BOB, channel=CHANNEL, response_url=url)),
        "odd_timestamp": {**sign(body), "X-Slack-Request-Timestamp": "1e9"},
        "future": sign(body, timestamp=int(rt.clock.timestamp()) + 6 * 60),
        # Slack signs the timestamp's text with the body: another spelling of the same instant does not verify.
        "zero_padded": {**sign(body), "X-Slack-Request-Timestamp": "0" + sign(body)["X-Slack-Request-Timestamp"]},
        "not_ascii": {**sign(body), "X-Slack-Signature": "v0=" + "ä" * 64},  # slack_sdk's check raised on it: a 500
    }[case]
    status, text = await post(client, body, headers=headers, signed=False)
    assert status == 401 and json.loads(text) == {"error": "invalid request"}
    assert await rt.inbox.pending_count() == 0
    async with rt.db.read() as s:
        from bot.store.models import InboxRow
        assert (await s.execute(select(InboxRow).where(col(InboxRow.platform) == "slack"))).first() is None


async def test_a_response_url_elsewhere_is_never_called(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    """Only Slack's hooks.slack.com (here: the fake on SLACK_API_URL's host) is POSTed to; the answer is posted
    to the channel instead."""
    from bot.platforms.slack_checks import response_url_allowed

    assert response_url_allowed("https://hooks.slack.com/commands/T1/2/abc", None)
    for bad in ("http://hooks.slack.com/commands/T1/2/abc", "https://hooks.slack.com.evil.example/x",
                "https://evil.example/commands", "https://hooks.slack.com:8443/x", "file:///etc/passwd"):
        assert not response_url_allowed(bad, None), bad
    elsewhere = f"http://127.0.0.2:{slack.port}/response/nope"  # another host: a request we must not make
    body = fake.slash_command("my", user=BOB, channel=CHANNEL, response_url=elsewhere)
    assert (await post(client, body))[0] == 200
    posted = await wait_posts(slack, 1, method="chat.postMessage")
    assert any("PUMP-" in p.text for p in posted)
    assert not slack.messages(method="response_url")


async def test_replayed_request_is_processed_once(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    url = slack.response_url(channel=CHANNEL, user=BOB)
    body = fake.slash_command("report PUMP-2 60%", user=BOB, channel=CHANNEL, response_url=url, trigger_id="111.abc")
    headers = sign(body)
    for _ in range(3):
        assert (await post(client, body, headers=headers, signed=False))[0] == 200
    await wait_posts(slack, 1, method="response_url")
    async with rt.db.read() as s:
        sent = (await s.execute(select(OutboxRow).where(col(OutboxRow.platform) == "slack",
                                                        col(OutboxRow.kind) == "progress_reported"))).scalars().all()
    assert len(sent) == 1


@pytest.mark.parametrize("body", [
    b"payload=%7Bnot json", b"payload=" + quote(json.dumps([1, 2])).encode(),
    b"payload=" + quote(json.dumps({"type": "block_actions", "actions": "x"})).encode(),
    b"\xff\xfe\x00garbage", b"",
])
async def test_malformed_payloads_are_4xx_json(client: Client, rt: Runtime, body: bytes) -> None:
    status, text = await post(client, body)
    assert 400 <= status < 500, (status, text)
    assert "error" in json.loads(text)
    assert await rt.inbox.pending_count() == 0


async def test_forms_that_are_not_slash_commands_still_go_to_bolt(client: Client, rt: Runtime, slack: FakeSlack
                                                                   ) -> None:
    """Slash commands over HTTP skip bolt's dispatch (SlackAdapter.handle); the other forms do not."""
    status, text = await post(client, b"ssl_check=1&token=deprecated")  # Slack checking our certificate
    assert status == 200 and text == ""
    url = slack.response_url(channel=CHANNEL, user=BOB)
    not_a_slash = fake.slash_command("my", user=BOB, channel=CHANNEL, response_url=url, command="pms")
    assert (await post(client, not_a_slash))[0] == 404  # bolt: no listener for it
    without_user = fake.slash_command("my", user="", channel=CHANNEL, response_url=url)
    status, text = await post(client, without_user)
    assert status == 400 and "user_id" in json.loads(text)["error"]
    assert await rt.inbox.pending_count() == 0


async def test_a_command_that_says_payload_is_a_command(client: Client, slack: FakeSlack) -> None:
    """Bolt reads any form with 'payload' in it as an interaction (and so found no command in this one)."""
    status, body, _ = await command(client, slack, "new PUMP check the payload of the crane")
    assert status == 200 and body == ""
    answers = await wait_posts(slack, 1, method="response_url")
    assert "PUMP-" in answers[-1].text


async def test_body_over_one_megabyte_is_413(client: Client) -> None:
    body = b"payload=" + b"x" * (1024 * 1024 + 10)
    status, text = await post(client, body)
    assert status == 413 and "error" in json.loads(text)


# ---- commands ----------------------------------------------------------------------------------------------------
COMMANDS = [
    ("help", BOB, "帮助"),
    ("status PUMP", BOB, "PUMP"),
    ("my", BOB, "PUMP-"),
    ("report PUMP-2 60% cable tray & <conduit> done", BOB, "60%"),
    ("block PUMP-3 waiting for the crane", BOB, "PUMP-3"),
    ("done PUMP-2", BOB, "PUMP-2"),
    ("request PUMP 1200 spare seals", BOB, "#"),
    ("approvals", CAROL, "#"),
    ("risks PUMP", ALICE, "PUMP"),
    ("standup yesterday: wiring; today: pump 2; blockers: none", BOB, ""),
    ("link bob.w", BOB, "bob.w"),
    ("new PUMP fit the spare impeller", BOB, "PUMP-"),
    ("subscribe PUMP", ALICE, "PUMP"),
    ("no-such-verb", BOB, ""),
    ("tasks mine", BOB, "PUMP-"),  # issue 24: finding and changing tasks
    ("PUMP-7 给 张伟", BOB, "张伟"),
    ("priority PUMP-7 <conduit>", BOB, "conduit"),
]


@pytest.mark.parametrize(("text", "user", "expect"), COMMANDS)
async def test_every_command_answers_in_place(client: Client, slack: FakeSlack, text: str, user: str,
                                              expect: str) -> None:
    status, body, _ = await command(client, slack, text, user=user)
    assert status == 200
    assert body == "", body  # a worker in this process: the ack says nothing, the answer itself follows

    async def answered() -> bool:
        return any(p.channel == CHANNEL for p in slack.messages(method="response_url"))
    await eventually(answered, what=f"the answer to {text!r} by the response_url ({slack.rejected})")
    answer = [p for p in slack.messages(method="response_url") if p.channel == CHANNEL][-1]
    assert expect in answer.text
    assert answer.body["response_type"] in ("in_channel", "ephemeral")
    assert check_blocks(answer.blocks) is None
    for block in answer.blocks:  # escaped mrkdwn: no raw < or > from people's text
        if block["type"] == "section":
            assert "<conduit>" not in block["text"]["text"]
    assert not slack.rejected


async def test_acks_do_not_depend_on_the_slack_api(client: Client, slack: FakeSlack) -> None:
    slack.fail_next(1000, status=503)  # the Web API is down: auth.test, users.info, everything
    status, _, _ = await command(client, slack, "my", user=DAVE)  # dave is unknown: his email cannot be looked up
    assert status == 200
    status, _, _ = await command(client, slack, "my")
    assert status == 200
    answers = await wait_posts(slack, 2, method="response_url")  # response_url is another host: it works
    assert any("PUMP-" in a.text for a in answers)


async def test_slow_answer_acks_working_then_follows_by_response_url(slack: FakeSlack, sqlite_url: str,
                                                                     tmp_path: Path) -> None:
    from bot.say import drain
    config = slack_config(tmp_path)
    runtime = Runtime(settings_for(slack, sqlite_url, config), load_config(config), clock=running_clock())  # a web process: no worker
    await runtime.open()
    try:
        async with TestClient(TestServer(build_app(runtime))) as c:
            status, body, _ = await command(c, slack, "my")
        assert status == 200 and "正在处理" in body  # acked at once, in bob's language
        assert not slack.messages(method="response_url")
        await drain(runtime)  # a worker process picks it up
        answer = (await wait_posts(slack, 1, method="response_url"))[-1]
        assert "任务" in answer.text
    finally:
        await runtime.close()


async def test_user_text_is_escaped_for_mrkdwn(client: Client, slack: FakeSlack) -> None:
    await command(client, slack, "report PUMP-2 60% R&D <!channel> <@U0BOSS>")
    answer = (await wait_posts(slack, 1, method="response_url"))[-1]
    assert "&amp;" in answer.text or "R&amp;D" in json.dumps(answer.blocks)
    assert "<!channel>" not in json.dumps(answer.blocks) and "<@U0BOSS>" not in answer.text


async def test_error_answers_only_the_sender(client: Client, slack: FakeSlack) -> None:
    await command(client, slack, "done PUMP-999")
    answer = (await wait_posts(slack, 1, method="response_url"))[-1]
    assert answer.body["response_type"] == "ephemeral"


async def test_a_used_up_response_url_falls_back_to_the_channel(client: Client, slack: FakeSlack) -> None:
    url = slack.response_url(channel="D01BOB", user=BOB)
    slack.use_up(url)  # 5 uses within 30 minutes are all Slack allows
    body = fake.slash_command("my", user=BOB, channel="D01BOB", response_url=url)
    assert (await post(client, body))[0] == 200
    reply = (await wait_posts(slack, 1, channel="D01BOB", method="chat.postMessage"))[0]
    assert "PUMP-" in reply.text and not slack.messages(method="response_url")


async def test_an_error_after_a_mention_is_shown_only_to_its_sender(client: Client, slack: FakeSlack) -> None:
    mention = fake.mention_event("done PUMP-999", user=BOB, channel=CHANNEL)
    assert (await post(client, fake.event_callback(mention), form=False))[0] == 200
    ephemeral = (await wait_posts(slack, 1, channel=CHANNEL, method="chat.postEphemeral"))[0]
    assert ephemeral.body["user"] == BOB and "PUMP-999" in ephemeral.text
    assert not slack.messages(channel=CHANNEL, method="chat.postMessage")


async def test_direct_message_gets_a_reply_in_the_dm(client: Client, slack: FakeSlack) -> None:
    body = fake.event_callback(fake.message_event("my", user=BOB, channel="D01BOB"))
    assert (await post(client, body, form=False))[0] == 200
    reply = (await wait_posts(slack, 1, channel="D01BOB", method="chat.postMessage"))[0]
    assert "PUMP-" in reply.text and check_blocks(reply.blocks) is None


async def test_mention_in_channel_replies_in_thread_and_ignores_plain_chatter(client: Client, slack: FakeSlack
                                                                             ) -> None:
    chatter = fake.event_callback(fake.message_event("lunch?", user=BOB, channel=CHANNEL, channel_type="channel"))
    assert (await post(client, chatter, form=False))[0] == 200
    mention = fake.mention_event("status PUMP", user=BOB, channel=CHANNEL)
    assert (await post(client, fake.event_callback(mention), form=False))[0] == 200
    reply = (await wait_posts(slack, 1, channel=CHANNEL, method="chat.postMessage"))[0]
    assert reply.body.get("thread_ts") == mention["ts"] and "PUMP" in reply.text
    assert len(slack.messages(channel=CHANNEL)) == 1  # the chatter was not taken for a command


async def test_slack_retries_of_an_event_are_processed_once(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    body = fake.event_callback(fake.message_event("report PUMP-2 70%", user=BOB, channel="D01BOB"), event_id="EvRETRY1")
    assert (await post(client, body, form=False))[0] == 200
    for n in (1, 2, 3):
        retry = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
        assert (await post(client, body, form=False, headers=retry))[0] == 200
    await wait_posts(slack, 1, channel="D01BOB")
    await eventually(lambda: _no_pending(rt), what="inbox drained")
    assert len(slack.messages(channel="D01BOB")) == 1


def percent_of(posted: fake.Posted) -> int:
    """The new percentage in a progress_reported reply ("… 40% → 55%")."""
    found = re.search(r"→ ([0-9]+)%", posted.text)
    assert found, posted.text
    return int(found.group(1))


async def _no_pending(rt: Runtime) -> bool:
    return await rt.inbox.pending_count() == 0 and (await rt.outbox.counts()).get("pending", 0) == 0


# ---- identity ----------------------------------------------------------------------------------------------------
async def test_user_matched_by_email_from_users_info(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    await command(client, slack, "my", user=DAVE)
    answer = (await wait_posts(slack, 1, method="response_url"))[-1]
    assert "PUMP-" in answer.text
    async with rt.db.read() as s:
        row = await s.get(IdentityRow, ("slack", DAVE))
    assert row is not None and row.person_id == "dave"
    calls = len([c for c in slack.calls if c[0] == "users.info"])
    await command(client, slack, "my", user=DAVE)
    assert len([c for c in slack.calls if c[0] == "users.info"]) == calls  # matched once, then known


async def test_unknown_user_is_told_how_to_link(client: Client, slack: FakeSlack) -> None:
    await command(client, slack, "my", user=STRANGER)
    answer = (await wait_posts(slack, 1, method="response_url"))[-1]
    assert STRANGER in answer.text and answer.body["response_type"] == "ephemeral"
    assert "identities" in answer.text and "绑定" in answer.text  # strangers get the organisation's language


async def _answer_to(client: Client, slack: FakeSlack, text: str, user: str) -> str:
    before = len(slack.messages(method="response_url"))
    await command(client, slack, text, user=user)
    return (await wait_posts(slack, before + 1, method="response_url"))[-1].text


async def _nonempty(items: Any) -> bool:
    return bool(await items)


async def test_unknown_user_links_with_a_one_time_code(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    from bot.store import console as feed
    # The same answer whether or not the person exists: it reveals nobody.
    nobody = await _answer_to(client, slack, "link nobody-here", STRANGER)
    answer = await _answer_to(client, slack, "link erin", STRANGER)
    assert answer.replace("erin", "X") == nobody.replace("nobody-here", "X")

    async def codes_out() -> list[str]:
        return [m["text"] for m in await feed.feed(rt.db, "erin") if m["direction"] == "out"]

    # The code to erin is a reply of its own, delivered beside the stranger's answer (the ack no longer waits).
    await eventually(lambda: _nonempty(codes_out()), what="the code reaches erin")
    codes = await codes_out()
    assert len(codes) == 1 and STRANGER in codes[0]  # erin is reached on the channel pmsbot knows her by
    code = re.search(r"link ([0-9]{6})", codes[0])
    assert code is not None
    wrong = f"{(int(code.group(1)) + 1) % 1_000_000:06d}"
    assert "还可以试 4 次" in await _answer_to(client, slack, f"link {wrong}", STRANGER)
    assert "完成" in await _answer_to(client, slack, f"link {code.group(1)}", STRANGER)
    assert "PUMP" not in await _answer_to(client, slack, "my", STRANGER)  # now erin: no tasks, but known
    async with rt.db.read() as s:
        row = await s.get(IdentityRow, ("slack", STRANGER))
    assert row is not None and row.person_id == "erin" and row.source == "link"
    await apply_config(rt.db, rt.config, now=rt.clock.now())  # a restart reapplies the file: the linked account stays
    async with rt.db.read() as s:
        assert await s.get(IdentityRow, ("slack", STRANGER)) is not None
    async def told() -> bool:
        return any("linked to you" in t for t in await codes_out())

    await eventually(told, what="erin is told her account was linked")


async def test_link_codes_cannot_be_guessed(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    from bot.store import console as feed
    await _answer_to(client, slack, "link erin", STRANGER)

    async def to_erin() -> list[str]:
        return [m["text"] for m in await feed.feed(rt.db, "erin")]

    await eventually(lambda: _nonempty(to_erin()), what="the code reaches erin")
    code = re.search(r"link ([0-9]{6})", (await to_erin())[-1])
    assert code is not None
    wrong = f"{(int(code.group(1)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        last = await _answer_to(client, slack, f"link {wrong}", STRANGER)
    assert "作废" in last
    assert "没有待验证" in await _answer_to(client, slack, f"link {code.group(1)}", STRANGER)
    async with rt.db.read() as s:
        assert await s.get(IdentityRow, ("slack", STRANGER)) is None


async def test_voiding_codes_is_no_way_to_flood_a_person_with_them(client: Client, rt: Runtime,
                                                                     slack: FakeSlack) -> None:
    """Found by attack: ask, void the code with wrong guesses, ask again: 7 codes reached erin in 10 s."""
    from bot.constants import LINK_CODES_PER_HOUR_ACCOUNT
    from bot.store import console as feed

    def codes() -> int:
        return sum(1 for m in sent if re.search(r"link [0-9]{6}", m))

    for _ in range(LINK_CODES_PER_HOUR_ACCOUNT + 3):
        await _answer_to(client, slack, "link erin", STRANGER)
        for _ in range(5):  # void it
            await _answer_to(client, slack, "link 000000", STRANGER)
    sent: list[str] = []

    async def all_delivered() -> bool:
        sent[:] = [m["text"] for m in await feed.feed(rt.db, "erin") if m["direction"] == "out"]
        return codes() >= LINK_CODES_PER_HOUR_ACCOUNT

    await eventually(all_delivered, what="the codes allowed reach erin")
    assert codes() == LINK_CODES_PER_HOUR_ACCOUNT
    assert "太多" in await _answer_to(client, slack, "link erin", STRANGER)


# ---- approvals by button -----------------------------------------------------------------------------------------
async def _card(slack: FakeSlack, approval_id: int) -> fake.Posted:
    async def found() -> bool:
        return any(_has_button(p, approval_id) for p in slack.messages(method="chat.postMessage"))
    await eventually(found, what=f"approval card {approval_id}")
    return next(p for p in slack.messages(method="chat.postMessage") if _has_button(p, approval_id))


def _has_button(p: fake.Posted, approval_id: int) -> bool:
    return any(el.get("value") == str(approval_id) for b in p.blocks if b["type"] == "actions" for el in b["elements"])


async def click(client: Client, slack: FakeSlack, card: fake.Posted, action_id: str, *, user: str = CAROL,
                value: str | None = None) -> tuple[int, str]:
    button = next(el for b in card.blocks if b["type"] == "actions" for el in b["elements"]
                  if el["action_id"] == action_id)
    url = slack.response_url(channel=card.channel, user=user)
    return await post(client, fake.block_action(action_id, button["value"] if value is None else value, user=user,
                                                channel=card.channel, message_ts=card.ts, response_url=url))


async def test_approve_by_button_updates_the_card_and_tells_the_requester(client: Client, rt: Runtime,
                                                                          slack: FakeSlack) -> None:
    approval_id = await pending_approval(rt)
    card = await _card(slack, approval_id)
    assert card.channel == "D01CAROL"  # the approver's DM, opened with conversations.open
    assert [el["style"] for b in card.blocks if b["type"] == "actions" for el in b["elements"]] == ["primary", "danger"]
    # A double click: two payloads for one button.
    assert (await click(client, slack, card, "approve"))[0] == 200
    assert (await click(client, slack, card, "approve"))[0] == 200

    async def card_updated() -> bool:
        return any(p.ts == card.ts for p in slack.messages(method="chat.update"))
    await eventually(card_updated, what="card updated in place")
    assert await approval_state(rt, approval_id) == "approved"
    updated = slack.message(card.channel, card.ts)
    assert updated is not None and "刘芳" in updated.text and not any(b["type"] == "actions" for b in updated.blocks)
    await eventually(lambda: _no_pending(rt), what="all delivered")
    decided = [p for p in slack.messages(method="response_url") if p.channel == card.channel]
    assert len(decided) == 1  # the second click applied nothing and said nothing


async def test_reject_asks_for_a_reason_in_a_modal(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    approval_id = await pending_approval(rt)
    card = await _card(slack, approval_id)
    assert (await click(client, slack, card, "reject"))[0] == 200
    opened = (await wait_posts(slack, 1, method="views.open"))[0]
    view = {**opened.body["view"], "id": opened.ts}
    assert await approval_state(rt, approval_id) == "pending"
    # An empty reason keeps the modal open with an error on the field.
    empty = {fake_block: {"reason_input": {"type": "plain_text_input", "value": "  "}} for fake_block in ["reason"]}
    status, text = await post(client, fake.view_submission(view, empty, user=CAROL))
    assert status == 200 and json.loads(text)["response_action"] == "errors"
    assert await approval_state(rt, approval_id) == "pending"
    given = {"reason": {"reason_input": {"type": "plain_text_input", "value": "over budget"}}}
    assert (await post(client, fake.view_submission(view, given, user=CAROL)))[0] == 200

    async def rejected() -> bool:
        return await approval_state(rt, approval_id) == "rejected"
    await eventually(rejected, what="rejected")

    async def card_updated() -> bool:
        return any(p.ts == card.ts for p in slack.messages(method="chat.update"))
    await eventually(card_updated, what="card updated")


async def test_card_updates_when_decided_on_another_platform(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    from bot.say import say
    approval_id = await pending_approval(rt)
    card = await _card(slack, approval_id)
    await say(rt, "carol", f"approve {approval_id}")

    async def card_updated() -> bool:
        return any(p.ts == card.ts for p in slack.messages(method="chat.update"))
    await eventually(card_updated, what="slack card updated after a console decision")


@pytest.mark.parametrize(("action_id", "value"), [
    ("delete_everything", "1"), ("approve", "1; DROP TABLE approval"), ("approve", ""), ("approve", "²"),
    ("approve", "9" * 40), ("open", "PUMP-4; rm -rf /"), ("report", "pump-4"), ("approve", "PUMP-4"),
])
async def test_buttons_we_never_issued_are_400_and_apply_nothing(client: Client, rt: Runtime, slack: FakeSlack,
                                                                 action_id: str, value: str) -> None:
    approval_id = await pending_approval(rt)
    url = slack.response_url(channel="D01CAROL", user=CAROL)
    body = fake.block_action(action_id, value, user=CAROL, channel="D01CAROL", message_ts="1700000000.000100",
                             response_url=url)
    status, text = await post(client, body)
    assert status == 400 and "error" in json.loads(text)
    assert await approval_state(rt, approval_id) == "pending"
    assert await rt.inbox.pending_count() == 0


async def test_a_task_list_opens_a_task_by_its_button(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    before = len(slack.messages(method="response_url"))
    await command(client, slack, "tasks mine", user=BOB)
    listed = (await wait_posts(slack, before + 1, method="response_url"))[-1]
    buttons = [(el["action_id"], el["value"], el["text"]["text"]) for b in listed.blocks if b["type"] == "actions"
               for el in b["elements"]]
    assert ("open", "PUMP-4", "查看 PUMP-4") in buttons and ("report", "PUMP-7", "汇报 PUMP-7") in buttons
    assert check_blocks(listed.blocks) is None
    url = slack.response_url(channel=listed.channel, user=BOB)
    status, _ = await post(client, fake.block_action("open", "PUMP-4", user=BOB, channel=listed.channel,
                                                     message_ts="1700000000.000100", response_url=url))
    assert status == 200
    opened = (await wait_posts(slack, before + 2, method="response_url"))[-1]
    assert "PUMP-4" in opened.text and "40%" in opened.text


async def test_button_of_a_deleted_approval_is_answered_not_applied(client: Client, rt: Runtime, slack: FakeSlack
                                                                    ) -> None:
    url = slack.response_url(channel="D01CAROL", user=CAROL)
    body = fake.block_action("approve", "4242", user=CAROL, channel="D01CAROL", message_ts="1700000000.000100",
                             response_url=url)
    assert (await post(client, body))[0] == 200
    answer = (await wait_posts(slack, 1, method="response_url"))[-1]
    assert "4242" in answer.text and answer.body["response_type"] == "ephemeral"


# ---- delivery: limits, outages, order ------------------------------------------------------------------------------
async def test_slack_down_messages_wait_and_go_out_in_order(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    await eventually(lambda: _no_pending(rt), what="seed delivered")
    slack.fail_next(10_000, method="chat.postMessage", status=503)  # Slack is down
    for n in range(5):
        body = fake.event_callback(fake.message_event(f"report PUMP-2 {10 + n}%", user=BOB, channel="D01BOB"))
        assert (await post(client, body, form=False))[0] == 200

    async def all_waiting() -> bool:
        tried = any(c[0] == "chat.postMessage" for c in slack.calls)
        return tried and await rt.inbox.pending_count() == 0 and (await rt.outbox.counts()).get("pending") == 5
    await eventually(all_waiting, what="five replies waiting in the outbox after a failed attempt")
    assert not slack.messages(channel="D01BOB")
    slack._failures.clear()  # Slack is back; a minute has passed for the waiting messages
    async with rt.db.write() as s:
        await s.execute(update(OutboxRow).where(col(OutboxRow.state) == "pending")
                        .values(available_at=rt.clock.now()))
    rt.delivery.wake.set()
    posts = await wait_posts(slack, 5, channel="D01BOB", method="chat.postMessage")
    assert [percent_of(p) for p in posts] == [10, 11, 12, 13, 14]
    assert (await rt.outbox.counts()).get("dead", 0) == 0


async def test_429_retry_after_is_honoured(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    await eventually(lambda: _no_pending(rt), what="seed delivered")
    slack.fail_next(1, method="chat.postMessage", status=429)
    body = fake.event_callback(fake.message_event("my", user=BOB, channel="D01BOB"))
    await post(client, body, form=False)

    async def retried_later() -> bool:
        async with rt.db.read() as s:
            row = (await s.execute(select(OutboxRow).where(col(OutboxRow.target) == "D01BOB"))).scalars().first()
        return row is not None and row.last_error is not None and "ratelimited" in row.last_error
    await eventually(retried_later, what="a 429 recorded")
    async with rt.db.read() as s:
        row = (await s.execute(select(OutboxRow).where(col(OutboxRow.target) == "D01BOB"))).scalars().one()
    waited_s = (row.available_at.replace(tzinfo=UTC) - rt.clock.now()).total_seconds()
    assert waited_s > 0.5 or row.state == "sent"  # not before Retry-After (1 s) has passed
    await wait_posts(slack, 1, channel="D01BOB", method="chat.postMessage")


def test_token_bucket_paces_after_the_burst() -> None:
    from notifiers.pacing import TokenBucket
    bucket = TokenBucket(rate_per_s=10.0, burst=3)
    waits = [bucket.reserve(100.0) for _ in range(6)]  # six calls at the same instant
    assert waits == pytest.approx([0, 0, 0, 0.1, 0.2, 0.3])  # the debt grows; it never resets to a full burst
    assert bucket.reserve(100.5) == pytest.approx(0.0)  # 0.5 s later the debt (3) is paid and two tokens are back
    bucket.blocked_until = 102.0  # a 429 said Retry-After
    assert bucket.reserve(100.6) == pytest.approx(1.4)


def test_a_count_per_minute_is_a_window_not_a_slow_bucket() -> None:
    """"20 a minute": twenty at once, the 21st a minute after the first (a bucket would let it go 3 s later);
    a turn given back (Deferred) is free again; a 429's Retry-After holds everything."""
    from notifiers.pacing import SlidingWindow, within_window
    window = SlidingWindow(count=20, period_s=60.0)
    assert [window.reserve(100.0) for _ in range(20)] == [0.0] * 20
    assert window.reserve(103.0) == pytest.approx(57.0)  # not before 160
    assert window.reserve(159.0) == pytest.approx(1.0)  # the 22nd: a minute after the 2nd
    window.give_back()
    assert window.reserve(161.0) == 0.0  # 100's calls are out of every window from 160 on
    window.blocked_until = 170.0
    assert window.reserve(161.0) == pytest.approx(9.0)
    assert within_window(300, 60.0).period_s > 60.0  # a margin: late arrivals cannot crowd into one minute


async def test_sender_paces_a_burst_within_the_channel_limit(client: Client, rt: Runtime, slack: FakeSlack) -> None:
    from notifiers.slack import SlackSender
    await eventually(lambda: _no_pending(rt), what="seed delivered")
    # Our limits as Slack's (the fake's): 20/s per channel with bursts of 5. Twelve replies in one DM must
    # arrive paced, none refused, in order.
    await rt.delivery.senders["slack"].close()
    rt.delivery.senders["slack"] = SlackSender(rt.db, rt.settings, rt.renderer, channel_rate_per_s=20.0,
                                               channel_burst=5)
    for n in range(12):
        body = fake.event_callback(fake.message_event(f"report PUMP-2 {20 + n}%", user=BOB, channel="D01BOB"))
        await post(client, body, form=False)
    posts = await wait_posts(slack, 12, channel="D01BOB", method="chat.postMessage")
    assert slack.ratelimited == 0
    assert [percent_of(p) for p in posts] == [20 + n for n in range(12)]


def test_blocks_stay_within_slack_limits_and_link_the_rest() -> None:
    long = "\n".join(f"• PUMP-{n} {'&<>' * 30} {'x' * 200}" for n in range(2000))
    rendered = Rendered(kind="my_tasks", text=long, buttons=(Button(id="approve", value="1", label="批准" * 50),))
    texts = {"truncated": "… {more} more", "truncated_link": "… {more} more: <{url}|open>"}
    renderer = Renderer()
    blocks = blocks_for(renderer, rendered, texts, "https://pms.example.com")
    assert check_blocks(blocks) is None and len(blocks) == MAX_BLOCKS
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= MAX_SECTION_CHARS for s in sections)
    assert sections[-1].endswith("<https://pms.example.com/console|open>")
    assert "<>" not in "".join(sections[:-1]) and "&amp;&lt;&gt;" in sections[0]
    one_line = blocks_for(renderer, Rendered(kind="x", text="y" * 10_000), texts, None)
    assert check_blocks(one_line) is None and len(one_line) == 4
    assert escape("a & b < c > d \"e\"") == "a &amp; b &lt; c &gt; d \"e\""


async def test_standup_summary_goes_to_the_channel_with_details_in_a_thread(rt: Runtime, slack: FakeSlack) -> None:
    from datetime import date
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from bot.clock import run_due
    from bot.say import say
    sh = ZoneInfo("Asia/Shanghai")
    # A workday in the past: the demo's pending approval is created at the real now, and a simulated day less than
    # a day after it would also bring that approval's reminder (remind_after_h) into this count.
    day = date(2025, 12, 2)
    set_clock(rt, datetime.combine(day, clock_time(9, 45), tzinfo=sh))
    assert await run_due(rt.jobs, datetime.combine(day, clock_time(9, 30), tzinfo=sh)) >= 3  # prompts (and scans)
    await say(rt, "bob", "站会 电缆还没到，PUMP-5 阻塞")
    assert await run_due(rt.jobs, datetime.combine(day, clock_time(10, 30), tzinfo=sh)) == 1

    async def both() -> bool:
        return len(slack.messages(channel=CHANNEL, method="chat.postMessage")) >= 2
    await eventually(both, what="headline and thread reply")
    head, thread = slack.messages(channel=CHANNEL, method="chat.postMessage")[:2]
    assert "站会汇总" in head.text and "thread_ts" not in head.body and "\n" not in head.text
    assert thread.body["thread_ts"] == head.ts and "王波" in thread.text and "⛔" in thread.text


# ---- Socket Mode ---------------------------------------------------------------------------------------------------
async def test_socket_mode_takes_the_same_commands(slack: FakeSlack, sqlite_url: str, tmp_path: Path) -> None:
    config = slack_config(tmp_path)
    settings = Settings(database_url=sqlite_url, pmsbot_config=str(config), slack_bot_token=slack.bot_token,
                        slack_app_token=slack.app_token, slack_api_url=slack.api_url)
    runtime = Runtime(settings, load_config(config), clock=running_clock())
    await runtime.open()
    runtime.start(("worker",))
    from bot.app import platform_adapters
    from bot.platforms.slack import SlackAdapter
    adapter = next(a for a in platform_adapters(runtime) if isinstance(a, SlackAdapter))
    try:
        await adapter.start()

        async def connected() -> bool:
            return slack.socket_connections == 1
        await eventually(connected, what="socket mode connection")
        url = slack.response_url(channel=CHANNEL, user=BOB)
        payload = dict(parse_qsl(fake.slash_command("my", user=BOB, channel=CHANNEL, response_url=url).decode()))
        ack = await slack.socket_push("slash_commands", payload)
        assert ack is not None  # acknowledged within Slack's 3 s, so not redelivered
        answer = (await wait_posts(slack, 1, method="response_url"))[-1]
        assert "任务" in answer.text  # bob's (empty) task list, in his language
        assert len([a for a in slack.socket_acks if a["envelope_id"] == ack["envelope_id"]]) == 1
        # Slack asks for a reconnect: the client opens a new connection and events keep flowing.
        await slack.socket_disconnect()

        async def reconnected() -> bool:
            return slack.socket_opened >= 2 and slack.socket_connections >= 1
        await eventually(reconnected, what="a new socket mode connection")
        event = json.loads(fake.event_callback(fake.message_event("my", user=BOB, channel="D01BOB")))
        assert await slack.socket_push("events_api", event) is not None
        await wait_posts(slack, 1, channel="D01BOB", method="chat.postMessage")
    finally:
        await adapter.close()
        await runtime.close()


def test_check_reaches_slack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                             ) -> None:
    from bot.cli.main import main
    with serving("tests.fakes.slack") as port:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
        monkeypatch.setenv("SLACK_BOT_TOKEN", fake.BOT_TOKEN)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", fake.SIGNING_SECRET)
        monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{port}/api/")
        assert main(["db", "upgrade"]) == 0
        capsys.readouterr()
        assert main(["check"]) == 0
        out = capsys.readouterr().out
        assert "ok   platforms enabled: slack" in out and "ok   slack: bot pmsbot (UBOT)" in out
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
        assert main(["check"]) == 1
        out = capsys.readouterr().out
        assert "FAIL slack: auth.test refused the bot token: invalid_auth" in out and "xoxb-revoked" not in out
    assert main(["check"]) == 1  # the fake is gone: unreachable, said in one line
    assert "FAIL slack: http://127.0.0.1:" in capsys.readouterr().out


async def test_socket_mode_unreachable_does_not_stop_the_process(sqlite_url: str, tmp_path: Path) -> None:
    from bot.app import platform_adapters
    from bot.platforms.slack import SlackAdapter
    config = slack_config(tmp_path)
    settings = Settings(database_url=sqlite_url, pmsbot_config=str(config), slack_bot_token=fake.BOT_TOKEN,
                        slack_app_token=fake.APP_TOKEN, slack_api_url="http://127.0.0.1:9/api/")  # nothing there
    runtime = Runtime(settings, load_config(config), clock=running_clock())
    await runtime.open()
    adapter = next(a for a in platform_adapters(runtime) if isinstance(a, SlackAdapter))
    try:
        await adapter.start()  # returns: the connection is tried in the background
        assert adapter._connecting is not None and not adapter._connecting.done()
    finally:
        await adapter.close()
        await runtime.close()
