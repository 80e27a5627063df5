"""DingTalk end to end: signed robot callbacks into /dingtalk/events and the Stream; messages recorded by the fake
(tests/fakes/dingtalk.py); approvals by interactive card and by personal decision link."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlmodel import col

from bot.app import build_app
from bot.clocks import SYSTEM_CLOCK
from bot.config import Settings
from bot.runtime import Runtime
from bot.store.models import ApprovalRow, IdentityRow, InboxRow
from notifiers.base import Outgoing, PermanentSendError, Rendered, TransientSendError
from tests.conftest import set_clock
from tests.fakes import dingtalk as fake
from tests.fakes.dingtalk import FakeDingTalk, Sent, signed
from tests.fakes.process import ROOT, serving
from tests.platform_org import demo_with, seeded
from tests.test_clock import first_workday_from
from tests.waiting import eventually

BOB, CAROL, ALICE = "manager4021", "carol01", "alice01"
GROUP = "cidPUMPgroup0001=="
PUBLIC = "https://pmsbot.example.com"
Client = TestClient  # type: ignore[type-arg]


def dingtalk_config(tmp_path: Path, **pump: Any) -> Path:
    """The demo organisation: carol (the approver) on DingTalk, dave known by his email, erin by her union id;
    `pump` replaces keys of the PUMP project (its channels, its task_url)."""
    import yaml
    path = demo_with(tmp_path, {"carol": {"identities": {"dingtalk": CAROL}},
                                "dave": {"email": "dave.zhang@example.com"},
                                "erin": {"identities": {"dingtalk_union": "union-erin"}}})
    if pump:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        raw["projects"][0].update(pump)
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
async def dingtalk() -> AsyncIterator[FakeDingTalk]:
    server = FakeDingTalk(staff={
        "dave9": {"userid": "dave9", "name": "张伟", "org_email": "Dave.Zhang@example.com", "unionid": "union-dave"},
        "erin7": {"userid": "erin7", "name": "Erin", "unionid": "union-erin"}})
    await server.start()
    yield server
    await server.stop()


def settings_for(dingtalk: FakeDingTalk, db_url: str, config: Path, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url, "pmsbot_config": str(config), "dingtalk_client_id": fake.CLIENT_ID,
        "dingtalk_client_secret": fake.CLIENT_SECRET, "dingtalk_api_base": dingtalk.base,
        "dingtalk_oapi_base": dingtalk.base, "pmsbot_public_url": PUBLIC, **more}
    return Settings(**values)


@pytest.fixture
async def rt(dingtalk: FakeDingTalk, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    config = dingtalk_config(tmp_path)
    runtime = await seeded(settings_for(dingtalk, sqlite_url, config), config)
    yield runtime
    await runtime.close()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[Client]:
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


async def post(client: Client, payload: dict[str, Any] | bytes, **sign: Any) -> tuple[int, dict[str, Any]]:
    body, headers = signed(payload, **sign)
    r = await client.post("/dingtalk/events", data=body, headers=headers)
    return r.status, await r.json()


async def wait_sent(dingtalk: FakeDingTalk, n: int, target: str | None = None, road: str | None = None
                    ) -> list[Sent]:
    async def enough() -> bool:
        return len(dingtalk.messages(target, road=road)) >= n
    await eventually(enough, what=f"{n} dingtalk messages to {target} by {road}")
    return dingtalk.messages(target, road=road)


async def say_on_dingtalk(client: Client, dingtalk: FakeDingTalk, text: str, *, sender: str = BOB,
                          group: bool = False, session: bool = True, **kw: Any) -> Sent:
    """A person's message in; the answer out (through the session webhook when the callback gave one)."""
    target = GROUP if group else sender
    road = "session" if session else ("group" if group else "oto")
    before = len(dingtalk.messages(target, road=road))
    body = fake.robot_message(text, sender=sender, conversation=GROUP if group else "cidp2p" + sender, group=group,
                              session=dingtalk.session_webhook(target) if session else None, **kw)
    status, answer = await post(client, body)
    assert status == 200 and answer == {}
    return (await wait_sent(dingtalk, before + 1, target, road))[-1]


async def _idle(rt: Runtime) -> bool:
    return await rt.inbox.pending_count() == 0 and (await rt.outbox.counts()).get("pending", 0) == 0


# ---- wire formats: the research's vector and DingTalk's own SDK agree with us -------------------------------------
def test_sign_matches_the_vector_and_the_sdk_reads_our_callbacks() -> None:
    from bot.signing import dingtalk_sign
    assert dingtalk_sign("SECdemo", 1577262236757) == "sLRlUUvzoOXn5DR/+o+s6tOqX+bWe3JGaZ7JQ7844l8="
    assert fake.sign(1577262236757, "SECdemo") == dingtalk_sign("SECdemo", 1577262236757)
    from dingtalk_stream import ChatbotMessage  # type: ignore[import-untyped]  # the SDK's parser reads the fake's callbacks as DingTalk's
    body = fake.robot_message("status PUMP", sender=BOB, conversation=GROUP, group=True,
                              session=("https://oapi.dingtalk.com/robot/sendBySession?session=x", 1))
    parsed = ChatbotMessage.from_dict(body)
    assert parsed.sender_staff_id == BOB and parsed.conversation_type == "2" and parsed.conversation_id == GROUP
    assert parsed.text.content.strip() == "status PUMP" and parsed.session_webhook.endswith("session=x")
    assert parsed.message_id == body["msgId"] and parsed.robot_code == fake.ROBOT_CODE


def test_markdown_is_escaped_and_kept_within_the_limits() -> None:
    from notifiers.dingtalk import session_webhook_allowed
    from notifiers.dingtalk_markdown import dingtalk_md, fit
    hostile = "# not a heading\n**bold** _x_ [link](http://evil) <font color=red>x</font> `code`\n- item\n1. one"
    md = dingtalk_md(hostile)
    assert md == ("\\# not a heading  \n\\*\\*bold\\*\\* \\_x\\_ \\[link\\](http://evil) &lt;font color=red&gt;x&lt;/font&gt; "
                  "\\`code\\`  \n\\- item  \n1\\. one")
    for text in ("字" * 9000, "\\*" * 9000, "x" * 20_000):  # CJK is 3 bytes; escapes double inside JSON
        long = fit(dingtalk_md(text), "…cut")
        assert len(json.dumps(long, ensure_ascii=False).encode()) <= 12_000 and long.endswith("…cut")
    assert session_webhook_allowed("https://oapi.dingtalk.com/robot/sendBySession?session=1", "https://oapi.dingtalk.com")
    for url in ("https://evil.example/robot/sendBySession?session=1", "http://oapi.dingtalk.com/robot/sendBySession",
                "https://oapi.dingtalk.com.evil.example/robot/sendBySession", "https://oapi.dingtalk.com/robot/send",
                "https://user@oapi.dingtalk.com/robot/sendBySession"):
        assert not session_webhook_allowed(url, "https://oapi.dingtalk.com"), url


# ---- commands ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expect"), [
    ("help", "帮助"), ("status PUMP", "PUMP"), ("我的任务", "PUMP-"), ("report PUMP-2 60% R&D <b>", "60%"),
    ("block PUMP-3 crane late", "PUMP-3"), ("done PUMP-2", "PUMP-2"), ("request PUMP 1200 spare seals", "#"),
    ("risks PUMP", "PUMP"), ("standup wiring; pump 2; none", "wiring"), ("no-such-verb", "我不认识「no-such-verb」"),
    ("link bob.w", "bob.w"), ("new PUMP fit the spare impeller", "PUMP-"), ("subscribe PUMP", "PUMP"),
    ("approvals", "没有待你审批"),
    ("tasks mine", "PUMP-"), ("PUMP-7 给 张伟", "张伟"), ("优先级 PUMP-7 <b>x</b>", "不是优先级"),  # issue 24
])
async def test_every_command_through_signed_callbacks(client: Client, dingtalk: FakeDingTalk, text: str,
                                                      expect: str) -> None:
    answer = await say_on_dingtalk(client, dingtalk, text, sender=ALICE if text == "subscribe PUMP" else BOB)
    assert expect in answer.text and answer.key == "markdown" and answer.param["title"]
    assert "<b>" not in answer.text  # markdown escaped


async def test_group_answers_mention_the_sender_and_rich_text_works(client: Client, dingtalk: FakeDingTalk) -> None:
    answer = await say_on_dingtalk(client, dingtalk, "status PUMP", group=True)
    assert "PUMP" in answer.text and f"@{BOB}" in answer.text
    rich = await say_on_dingtalk(client, dingtalk, "my", msgtype="richText")
    assert "PUMP-" in rich.text
    # Without a session webhook the robot API answers: the group by its cid, a person one to one.
    in_group = await say_on_dingtalk(client, dingtalk, "status PUMP", group=True, session=False)
    assert in_group.road == "group" and in_group.key == "sampleMarkdown"
    direct = await say_on_dingtalk(client, dingtalk, "my", session=False)
    assert direct.road == "oto" and "PUMP-" in direct.text


async def test_an_expired_session_webhook_falls_back_to_the_robot_api(client: Client, dingtalk: FakeDingTalk
                                                                      ) -> None:
    # The callback says the webhook has expired: not even tried.
    stale = fake.robot_message("my", sender=BOB, conversation="cidp2pbob", session=dingtalk.session_webhook(
        BOB, ttl_s=-10))
    assert (await post(client, stale))[0] == 200
    assert "PUMP-" in (await wait_sent(dingtalk, 1, BOB, "oto"))[-1].text
    # The callback says it is valid, DingTalk says expired: the robot API delivers instead.
    url, _ = dingtalk.session_webhook(BOB, ttl_s=-10)
    lying = fake.robot_message("help", sender=BOB, conversation="cidp2pbob",
                               session=(url, int((SYSTEM_CLOCK.timestamp() + 3600) * 1000)))
    assert (await post(client, lying))[0] == 200
    assert "帮助" in (await wait_sent(dingtalk, 2, BOB, "oto"))[-1].text
    assert not dingtalk.messages(road="session")


async def test_a_session_webhook_elsewhere_is_never_called(client: Client, rt: Runtime, dingtalk: FakeDingTalk
                                                           ) -> None:
    elsewhere = FakeDingTalk()  # another host: what a forged callback would point us at
    await elsewhere.start()
    try:
        body = fake.robot_message("my", sender=BOB, conversation="cidp2pbob",
                                  session=elsewhere.session_webhook(BOB))
        assert (await post(client, body))[0] == 200
        assert "PUMP-" in (await wait_sent(dingtalk, 1, BOB, "oto"))[-1].text
        await eventually(lambda: _idle(rt), what="handled")
        assert elsewhere.sent == []
    finally:
        await elsewhere.stop()


async def test_redeliveries_and_replays_are_processed_once(client: Client, rt: Runtime, dingtalk: FakeDingTalk
                                                           ) -> None:
    body = fake.robot_message("report PUMP-2 65%", sender=BOB, conversation="cidp2pbob", msg_id="msgREPLAY1",
                              session=dingtalk.session_webhook(BOB))
    raw, headers = signed(body)
    assert (await client.post("/dingtalk/events", data=raw, headers=headers)).status == 200
    # The same request again (a lost ack, or captured and replayed as it was): answered, and applied once.
    assert (await client.post("/dingtalk/events", data=raw, headers=headers)).status == 200
    assert (await post(client, body, timestamp_ms=int(rt.clock.timestamp() * 1000) - 60_000))[0] == 200  # DingTalk's own
    # redelivery a minute later: a fresh timestamp and sign, the same msgId
    await wait_sent(dingtalk, 1, BOB, "session")
    await eventually(lambda: _idle(rt), what="all handled")
    assert len(dingtalk.messages(BOB)) == 1
    async with rt.db.read() as s:
        rows = (await s.execute(select(InboxRow).where(col(InboxRow.platform) == "dingtalk"))).scalars().all()
    assert [r.event_id for r in rows] == ["msg:msgREPLAY1"]


async def test_a_captured_sign_cannot_carry_another_body(client: Client, rt: Runtime, dingtalk: FakeDingTalk
                                                        ) -> None:
    """The sign covers only the timestamp: a captured header pair must not let anyone speak as the approver."""
    from bot.say import say
    await say(rt, "bob", "request PUMP 900 forged?")
    seen = fake.robot_message("help", sender=BOB, conversation="cidp2pbob")
    raw, headers = signed(seen)
    assert (await client.post("/dingtalk/events", data=raw, headers=headers)).status == 200
    forged = fake.robot_message("approve 2", sender=CAROL, conversation="cidp2pcarol")
    r = await client.post("/dingtalk/events", data=json.dumps(forged).encode(), headers=headers)
    assert r.status == 401 and "replayed" in (await r.json())["error"]
    await eventually(lambda: _idle(rt), what="handled")
    assert await _state(rt, 2) == "pending"


async def test_a_zero_padded_timestamp_is_no_new_request(client: Client, rt: Runtime, dingtalk: FakeDingTalk
                                                          ) -> None:
    """The attack found against a running instance: a captured pair, the timestamp zero-padded to look unused,
    carrying a progress report as someone else. Refused whether or not the pair was seen before."""
    seen = fake.robot_message("help", sender=BOB, conversation="cidp2pbob")
    raw, headers = signed(seen)
    assert (await client.post("/dingtalk/events", data=raw, headers=headers)).status == 200
    forged = json.dumps(fake.robot_message("report PUMP-2 72%", sender=CAROL, conversation="cidp2pcarol")).encode()
    for padded in ("0" + headers["timestamp"], "00" + headers["timestamp"]):
        r = await client.post("/dingtalk/events", data=forged, headers={**headers, "timestamp": padded})
        assert r.status == 401 and "canonical" in (await r.json())["error"]
    fresh_raw, fresh = signed(fake.robot_message("help", sender=BOB, conversation="cidp2pbob"))
    r = await client.post("/dingtalk/events", data=fresh_raw, headers={**fresh, "timestamp": "0" + fresh["timestamp"]})
    assert r.status == 401, "never seen, but not canonical either"
    await eventually(lambda: _idle(rt), what="handled")
    async with rt.db.read() as s:
        texts = [r.payload.get("text") for r in (await s.execute(
            select(InboxRow).where(col(InboxRow.platform) == "dingtalk"))).scalars()]
    assert not any("72%" in str(t) for t in texts)


async def test_a_msg_id_that_cannot_be_stored_is_a_400_not_a_500(client: Client) -> None:
    """Found by `make fuzz`: a msgId of a lone surrogate ("\\ud800" in JSON) broke the replay check's hash."""
    for odd in ("\ud800", "x" * 200, ""):
        raw, headers = signed(json.dumps(fake.robot_message("help", sender=BOB, conversation="cidp2pbob",
                                                            msg_id=odd or None) | {"msgId": odd}).encode())
        r = await client.post("/dingtalk/events", data=raw, headers=headers)
        assert r.status == 400 and "msgId" in (await r.json())["error"], odd


async def test_a_non_ascii_sign_is_a_401_not_a_500(client: Client) -> None:
    raw, headers = signed(fake.robot_message("help", sender=BOB, conversation="cidp2pbob"))
    r = await client.post("/dingtalk/events", data=raw, headers={**headers, "sign": "签名" + headers["sign"]})
    assert r.status == 401 and "error" in await r.json()


async def test_accounts_are_matched_by_email_and_by_union_id(client: Client, rt: Runtime, dingtalk: FakeDingTalk
                                                             ) -> None:
    answer = await say_on_dingtalk(client, dingtalk, "my", sender="dave9")
    assert "PUMP-" in answer.text  # dave's tasks: known by the email the user API shows
    await say_on_dingtalk(client, dingtalk, "help", sender="erin7")
    async with rt.db.read() as s:
        dave = await s.get(IdentityRow, ("dingtalk", "dave9"))
        erin = await s.get(IdentityRow, ("dingtalk", "erin7"))
    assert dave is not None and dave.person_id == "dave" and dave.source == "email"
    assert erin is not None and erin.person_id == "erin" and erin.source == "alias"
    stranger = await say_on_dingtalk(client, dingtalk, "my", sender="nobody5")
    assert "nobody5" in stranger.text and "绑定" in stranger.text  # told who they are to pmsbot and how to link


# ---- hostile and broken input ----------------------------------------------------------------------------------------
def _msg(**kw: Any) -> dict[str, Any]:
    return fake.robot_message("done PUMP-1", sender=BOB, conversation="cidp2pbob", **kw)


@pytest.mark.parametrize("case", ["wrong_sign", "other_secret", "stale", "future", "no_headers", "ts_not_digits",
                                  "ts_huge", "not_json", "list", "no_msg_id", "no_sender", "bad_conversation_type",
                                  "group_not_cid", "sender_injection"])
async def test_hostile_callbacks_are_refused_and_apply_nothing(client: Client, rt: Runtime, case: str) -> None:
    now_ms = int(rt.clock.timestamp() * 1000)
    body, headers = signed(_msg())
    if case == "wrong_sign":
        headers["sign"] = fake.sign(now_ms)[:-4] + "AAA="
    elif case == "other_secret":
        body, headers = signed(_msg(), secret="not-our-secret")
    elif case == "stale":
        body, headers = signed(_msg(), timestamp_ms=now_ms - 3_700_000)
    elif case == "future":
        body, headers = signed(_msg(), timestamp_ms=now_ms + 3_700_000)
    elif case == "no_headers":
        headers = {"Content-Type": "application/json"}
    elif case == "ts_not_digits":
        headers["timestamp"] = "1e12"
    elif case == "ts_huge":
        headers["timestamp"] = "9" * 40
    elif case == "not_json":
        body, headers = signed(b"{not json")
    elif case == "list":
        body, headers = signed(b"[1, 2]")
    elif case == "no_msg_id":
        payload = _msg()
        del payload["msgId"]
        body, headers = signed(payload)
    elif case == "no_sender":
        payload = _msg()
        del payload["senderStaffId"], payload["senderId"]
        body, headers = signed(payload)
    elif case == "bad_conversation_type":
        body, headers = signed({**_msg(), "conversationType": "9"})
    elif case == "group_not_cid":
        body, headers = signed({**_msg(), "conversationType": "2", "conversationId": "oc_elsewhere"})
    elif case == "sender_injection":
        body, headers = signed({**_msg(), "senderStaffId": "bob'; DROP TABLE person; --"})
    r = await client.post("/dingtalk/events", data=body, headers=headers)
    assert 400 <= r.status < 500 and "error" in await r.json()
    async with rt.db.read() as s:
        assert (await s.execute(select(InboxRow).where(col(InboxRow.platform) == "dingtalk"))).first() is None


async def test_unknown_message_types_are_acknowledged_and_ignored(client: Client, rt: Runtime) -> None:
    for kind in ("picture", "audio", "file", "video", "unheard-of"):
        status, answer = await post(client, fake.robot_message("x", sender=BOB, conversation="cidp2pbob",
                                                               msgtype=kind))
        assert status == 200 and answer == {}
    assert await rt.inbox.pending_count() == 0


async def test_a_body_over_one_megabyte_is_413(client: Client) -> None:
    import io
    _, headers = signed(b"{}")
    r = await client.post("/dingtalk/events", data=io.BytesIO(b'{"x": "' + b"A" * (1024 * 1024) + b'"}'),
                          headers=headers)
    assert r.status == 413 and "error" in await r.json()


# ---- approvals by personal decision link (no card API) -----------------------------------------------------------
async def _approval_card(rt: Runtime, dingtalk: FakeDingTalk, road: str = "oto") -> tuple[int, Sent]:
    from bot.say import say
    await say(rt, "bob", "request PUMP 800 spare impeller")
    async with rt.db.read() as s:
        approval_id = int((await s.execute(select(col(ApprovalRow.id)).order_by(col(ApprovalRow.id).desc())
                                           )).scalars().first() or 0)

    async def carded() -> bool:
        return any(f"#{approval_id}" in m.text for m in dingtalk.messages(CAROL, road=road))
    await eventually(carded, what="the approval card in carol's chat")
    return approval_id, next(m for m in dingtalk.messages(CAROL, road=road) if f"#{approval_id}" in m.text)


async def _state(rt: Runtime, approval_id: int) -> str:
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, approval_id)
        assert row is not None
        return row.state


def _path(url: str) -> str:
    assert url.startswith(PUBLIC + "/dingtalk/decide/")
    return url[len(PUBLIC):]


async def test_approve_by_personal_link_once(client: Client, rt: Runtime, dingtalk: FakeDingTalk) -> None:
    approval_id, card = await _approval_card(rt, dingtalk)
    assert card.key == "sampleActionCard2"
    (approve_label, approve_url), (reject_label, _) = card.links()
    assert (approve_label, reject_label) == ("同意", "驳回")
    page = await client.get(_path(approve_url))  # opening the link decides nothing
    html = await page.text()
    assert page.status == 200 and "<form" in html and f"#{approval_id}" in html
    assert page.headers["Cache-Control"] == "no-store" and "frame" not in html.lower()
    assert await _state(rt, approval_id) == "pending"
    done = await client.post(_path(approve_url), data={})
    assert done.status == 200 and "#" in await done.text()
    assert await _state(rt, approval_id) == "approved"
    again = await client.post(_path(approve_url), data={})
    assert again.status == 409 and "已使用" in await again.text()
    assert (await client.get(_path(approve_url))).status == 409

    async def follow_ups() -> bool:  # the card cannot change: the decision follows as messages
        return any("刘芳" in m.text for m in dingtalk.messages(CAROL, road="oto")[1:]) and any(
            f"#{approval_id}" in m.text for m in dingtalk.messages(BOB))
    await eventually(follow_ups, what="the decision to carol and to bob (the requester)")


async def test_reject_by_link_needs_a_reason(client: Client, rt: Runtime, dingtalk: FakeDingTalk) -> None:
    approval_id, card = await _approval_card(rt, dingtalk)
    reject_url = card.links()[1][1]
    page = await (await client.get(_path(reject_url))).text()
    assert 'name="reason"' in page
    empty = await client.post(_path(reject_url), data={"reason": "   "})
    assert empty.status == 400 and await _state(rt, approval_id) == "pending"
    xss = await client.post(_path(reject_url), data={"reason": "<script>alert(1)</script> over budget"})
    assert xss.status == 200 and "<script>" not in await xss.text()

    async def rejected() -> bool:
        return await _state(rt, approval_id) == "rejected"
    await eventually(rejected, what="rejected")


@pytest.mark.parametrize("case", ["altered", "expired", "garbage", "dotted", "other_verb", "other_secret"])
async def test_bad_links_are_refused_with_a_clear_page(client: Client, rt: Runtime, dingtalk: FakeDingTalk,
                                                       case: str) -> None:
    from bot.decision_links import LinkSigner
    approval_id, card = await _approval_card(rt, dingtalk)
    token = card.links()[0][1].rsplit("/", 1)[1]
    signer = LinkSigner(fake.CLIENT_SECRET, purpose="dingtalk")
    if case == "altered":
        body, sig = token.split(".")
        token = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + sig
    elif case == "expired":
        token = signer.make(verb="approve", value=str(approval_id), account=CAROL, ttl_s=-1)
    elif case == "garbage":
        token = "../../etc/passwd"
    elif case == "dotted":
        token = "not-a-token.at-all"
    elif case == "other_verb":
        token = signer.make(verb="delete", value=str(approval_id), account=CAROL, ttl_s=60)
    elif case == "other_secret":
        token = LinkSigner("guess", purpose="dingtalk").make(verb="approve", value=str(approval_id), account=CAROL,
                                                             ttl_s=60)
    for method in ("GET", "POST"):
        r = await client.request(method, f"/dingtalk/decide/{token}")
        if case == "garbage":  # not even under /dingtalk/decide/
            assert r.status == 404
            continue
        assert r.status == 403 and ("过期" if case == "expired" else "无效") in await r.text()
    assert await _state(rt, approval_id) == "pending"


async def test_without_a_public_url_the_card_says_the_command(dingtalk: FakeDingTalk, sqlite_url: str,
                                                              tmp_path: Path) -> None:
    config = dingtalk_config(tmp_path)
    runtime = await seeded(settings_for(dingtalk, sqlite_url, config, pmsbot_public_url=None), config)
    try:
        approval_id, card = await _approval_card(runtime, dingtalk)
        assert card.key == "sampleMarkdown" and f"同意 {approval_id}" in card.text
    finally:
        await runtime.close()


# ---- delivery ------------------------------------------------------------------------------------------------------
async def test_token_expiry_in_a_burst_is_refreshed_once(client: Client, rt: Runtime, dingtalk: FakeDingTalk) -> None:
    await say_on_dingtalk(client, dingtalk, "my", session=False)  # a token is in use
    issued = dingtalk.tokens_issued
    dingtalk.expire_tokens()
    for n in range(8):
        assert (await post(client, fake.robot_message(f"report PUMP-2 {30 + n}%", sender=BOB,
                                                      conversation="cidp2pbob")))[0] == 200
    await wait_sent(dingtalk, 9, BOB, "oto")
    assert dingtalk.tokens_issued == issued + 1
    assert (await rt.outbox.counts()).get("dead", 0) == 0


async def test_sends_are_paced_to_the_qps_and_throttling_waits(rt: Runtime, dingtalk: FakeDingTalk) -> None:
    """The app's calls are counted in any second, as DingTalk counts them (20 per API; 3 here on both sides): five
    sends to one group go 3 at once and the 4th a second after the 1st, none refused; a refusal for the QPS waits
    and goes again through the outbox."""
    from notifiers.dingtalk import DingTalkSender
    sender = DingTalkSender(rt.db, rt.settings, rt.renderer, app_per_second=3, chat_rate_per_s=100.0, chat_burst=100)
    dingtalk.limit_qps(3)
    try:
        for n in range(5):
            await sender.send(Outgoing(outbox_id=9000 + n, platform="dingtalk", target=GROUP, card_ref=None,
                                       rendered=Rendered(kind="help", text=f"n={n}")))
        sent = dingtalk.messages(GROUP)
        assert dingtalk.throttled == 0 and [m.text for m in sent] == [f"n={n}" for n in range(5)]
        assert sent[3].at - sent[0].at >= 1.0 and sent[2].at - sent[0].at < 1.0
        dingtalk.fail_next(1, status=403, code=fake.QPS_CODE)
        with pytest.raises(TransientSendError) as refused:
            await sender.send(Outgoing(outbox_id=9100, platform="dingtalk", target=GROUP, card_ref=None,
                                       rendered=Rendered(kind="help", text="later")))
        assert refused.value.retry_after_s == 2.0
        dingtalk.fail_next(1, status=400, code="invalidParameter.openConversationId")
        with pytest.raises(PermanentSendError):
            await sender.send(Outgoing(outbox_id=9101, platform="dingtalk", target=GROUP, card_ref=None,
                                       rendered=Rendered(kind="help", text="never")))
    finally:
        await sender.close()


async def test_the_delivery_gets_its_token_before_its_first_claim(rt: Runtime, dingtalk: FakeDingTalk) -> None:
    """A starting worker fetches the app's access token first: a wave waiting in the outbox does not spend its first
    second's calls waiting on it."""
    issued = dingtalk.tokens_issued
    rt.start(("worker",))
    await asyncio.wait_for(rt.delivery.warmed.wait(), timeout=10)
    assert dingtalk.tokens_issued == issued + 1 and dingtalk.send_calls == 0


async def test_dingtalk_down_then_back_delivers_in_order(client: Client, rt: Runtime, dingtalk: FakeDingTalk
                                                        ) -> None:
    dingtalk.fail_next(2, status=503)  # DingTalk is down for the first two calls
    for n in range(3):
        assert (await post(client, fake.robot_message(f"report PUMP-2 {40 + n}%", sender=BOB,
                                                      conversation="cidp2pbob")))[0] == 200
    sent = await wait_sent(dingtalk, 3, BOB, "oto")
    assert [re.findall(r"4[0-2]%", m.text)[-1] for m in sent] == ["40%", "41%", "42%"]
    assert (await rt.outbox.counts()).get("dead", 0) == 0


async def test_standup_prompts_go_out_twenty_to_a_call(rt: Runtime, dingtalk: FakeDingTalk) -> None:
    sender = rt.delivery.senders["dingtalk"]
    dingtalk.unreachable.add("gone1")
    people = [f"staff{n:03d}" for n in range(45)] + ["gone1"]
    calls = dingtalk.send_calls
    results = await asyncio.gather(*(sender.send(Outgoing(
        outbox_id=20_000 + n, platform="dingtalk", target=person, card_ref=None,
        rendered=Rendered(kind="standup_prompt", text="☀️ PUMP standup"))) for n, person in enumerate(people)),
        return_exceptions=True)
    assert dingtalk.send_calls - calls == 3  # 46 people: 20 + 20 + 6
    assert sum(isinstance(r, PermanentSendError) for r in results) == 1 and isinstance(results[-1], PermanentSendError)
    assert len(dingtalk.messages(road="oto")) == 45


async def test_standup_wave_by_the_clock_reaches_dingtalk(rt: Runtime, dingtalk: FakeDingTalk) -> None:
    from datetime import date, datetime
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from bot.clock import run_due
    day = date(2026, 12, 1)
    assert await run_due(rt.jobs, datetime.combine(day, clock_time(9, 30), tzinfo=ZoneInfo("Asia/Shanghai"))) >= 3

    async def prompted() -> bool:
        return {m.target for m in dingtalk.messages(road="oto")} >= {ALICE, BOB}
    await eventually(prompted, what="alice and bob prompted on DingTalk")
    assert any("站会" in m.text for m in dingtalk.messages(BOB))


async def test_alerts_through_the_custom_robot_are_signed_and_throttling_waits(
        dingtalk: FakeDingTalk, sqlite_url: str, tmp_path: Path) -> None:
    from notifiers.dingtalk import ALERT_ROBOT, DingTalkSender
    from notifiers.render import Renderer
    config = dingtalk_config(tmp_path)
    settings = settings_for(dingtalk, sqlite_url, config, dingtalk_alert_webhook=dingtalk.alert_webhook,
                            dingtalk_alert_secret=fake.ALERT_SECRET)
    dingtalk._robot = fake.Window(2, 60.0)  # this robot has two left this minute
    sender = DingTalkSender(None, settings, Renderer(), robot_per_minute=600)
    try:
        for n in range(2):
            await sender.send(Outgoing(outbox_id=n, platform="dingtalk", target=ALERT_ROBOT, card_ref=None,
                                       rendered=Rendered(kind="risk_alert", text=f"⚠️ PUMP-{n} overdue")))
        assert [m.text for m in dingtalk.messages(road="robot")] == ["⚠️ PUMP-0 overdue", "⚠️ PUMP-1 overdue"]
        with pytest.raises(TransientSendError) as throttled:
            await sender.send(Outgoing(outbox_id=3, platform="dingtalk", target=ALERT_ROBOT, card_ref=None,
                                       rendered=Rendered(kind="risk_alert", text="third")))
        assert throttled.value.retry_after_s == 600.0  # the robot is silenced for ten minutes
    finally:
        await sender.close()
    unsigned = DingTalkSender(None, settings_for(dingtalk, sqlite_url, config,
                                                 dingtalk_alert_webhook=dingtalk.alert_webhook), Renderer())
    try:
        with pytest.raises(PermanentSendError):  # the robot requires its sign: refused for good, never retried
            await unsigned.send(Outgoing(outbox_id=4, platform="dingtalk", target=ALERT_ROBOT, card_ref=None,
                                         rendered=Rendered(kind="risk_alert", text="x")))
    finally:
        await unsigned.close()


async def test_the_custom_robot_is_paced_to_its_20_a_minute(dingtalk: FakeDingTalk, sqlite_url: str,
                                                              tmp_path: Path) -> None:
    """With the shipped defaults: a burst of 20 goes out and DingTalk throttles none; the 21st is held back until
    a minute after the first (DingTalk counts 20 in a minute: a 21st 3 s later would silence the robot for ten
    minutes), through the outbox rather than asleep in the sender."""
    import time as clock_time

    from notifiers.dingtalk import ALERT_ROBOT, DingTalkSender
    from notifiers.pacing import Deferred
    from notifiers.render import Renderer
    config = dingtalk_config(tmp_path)
    settings = settings_for(dingtalk, sqlite_url, config, dingtalk_alert_webhook=dingtalk.alert_webhook,
                            dingtalk_alert_secret=fake.ALERT_SECRET)
    sender = DingTalkSender(None, settings, Renderer())
    try:
        first = clock_time.monotonic()
        for n in range(20):
            await sender.send(Outgoing(outbox_id=n, platform="dingtalk", target=ALERT_ROBOT, card_ref=None,
                                       rendered=Rendered(kind="risk_alert", text=f"⚠️ PUMP-{n}")))
        assert len(dingtalk.messages(road="robot")) == 20 and dingtalk.throttled == 0
        with pytest.raises(Deferred) as held:
            await sender.send(Outgoing(outbox_id=20, platform="dingtalk", target=ALERT_ROBOT, card_ref=None,
                                       rendered=Rendered(kind="risk_alert", text="⚠️ PUMP-20")))
        elapsed = clock_time.monotonic() - first
        assert held.value.retry_after_s is not None
        assert 60.0 - elapsed <= held.value.retry_after_s <= 61.0, (held.value.retry_after_s, elapsed)
        assert len(dingtalk.messages(road="robot")) == 20 and dingtalk.throttled == 0  # nothing sent early
        wait_s = sender._robot.reserve(clock_time.monotonic())  # the turn given back is there for the retry
        assert 60.0 - elapsed - 1.0 <= wait_s <= 61.0, wait_s
    finally:
        await sender.close()


def test_check_reaches_dingtalk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                ) -> None:
    from bot.cli.main import main
    with serving("tests.fakes.dingtalk") as port:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
        for key, value in {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "DINGTALK_CLIENT_ID": fake.CLIENT_ID,
                           "DINGTALK_CLIENT_SECRET": fake.CLIENT_SECRET,
                           "DINGTALK_API_BASE": f"http://127.0.0.1:{port}"}.items():
            monkeypatch.setenv(key, value)
        assert main(["db", "upgrade"]) == 0
        capsys.readouterr()
        assert main(["check"]) == 0
        out = capsys.readouterr().out
        assert "platforms enabled: dingtalk" in out and f"ok   dingtalk: app {fake.CLIENT_ID}" in out
        monkeypatch.setenv("DINGTALK_CLIENT_SECRET", "wrong-secret")
        assert main(["check"]) == 1
        out = capsys.readouterr().out
        assert "FAIL dingtalk:" in out and "invalid.client" in out and "wrong-secret" not in out


@pytest.mark.parametrize(("env", "message"), [
    ({"DINGTALK_CLIENT_ID": "x"}, "both DINGTALK_CLIENT_ID"),
    ({"DINGTALK_CLIENT_ID": "x", "DINGTALK_CLIENT_SECRET": "y", "DINGTALK_API_BASE": "ftp://x"}, "DINGTALK_API_BASE"),
    ({"DINGTALK_CLIENT_ID": "x", "DINGTALK_CLIENT_SECRET": "y", "DINGTALK_ALERT_WEBHOOK": "robot"},
     "DINGTALK_ALERT_WEBHOOK"),
])
def test_incomplete_settings_are_refused_with_the_reason(env: dict[str, str], message: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


# ---- Stream mode ---------------------------------------------------------------------------------------------------
@pytest.fixture
async def stream_rt(dingtalk: FakeDingTalk, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A runtime on Stream mode with the card API: no public URL, interactive approval cards."""
    config = dingtalk_config(tmp_path)
    settings = settings_for(dingtalk, sqlite_url, config, pmsbot_public_url=None, dingtalk_stream=True,
                            dingtalk_card_template_id=fake.CARD_TEMPLATE)
    runtime = await seeded(settings, config, console=False)
    from bot.app import platform_adapters
    from bot.platforms.dingtalk import DingTalkAdapter
    adapter = next(a for a in platform_adapters(runtime) if isinstance(a, DingTalkAdapter))
    await adapter.start()
    try:
        await dingtalk.wait_connected()
        yield runtime
    finally:
        await adapter.close()
        await runtime.close()


async def test_stream_takes_commands_pings_and_card_clicks(stream_rt: Runtime, dingtalk: FakeDingTalk) -> None:
    body = fake.robot_message("my", sender=BOB, conversation="cidp2pbob", session=dingtalk.session_webhook(BOB))
    ack = await dingtalk.push(fake.BOT_TOPIC, body)
    assert ack is not None and ack["code"] == 200 and ack["headers"]["messageId"]
    assert "PUMP-" in (await wait_sent(dingtalk, 1, BOB, "session"))[-1].text
    pong = await dingtalk.ping()
    assert pong is not None and pong["code"] == 200 and pong["data"]["opaque"]
    approval_id, card = await _approval_card(stream_rt, dingtalk, road="card")
    assert card.param["decided"] == "false" and json.loads(card.param["buttons"])[0]["id"] == "approve"
    assert card.param["target_id"] == str(approval_id)
    no_reason = await dingtalk.push(fake.CARD_TOPIC, fake.card_click("reject", str(approval_id), user=CAROL,
                                                                     out_track_id=card.ref))
    assert no_reason is not None and "notice" in json.dumps(no_reason["data"]["response"], ensure_ascii=False)
    assert await _state(stream_rt, approval_id) == "pending"
    click = await dingtalk.push(fake.CARD_TOPIC, fake.card_click("approve", str(approval_id), user=CAROL,
                                                                 out_track_id=card.ref))
    assert click is not None and click["code"] == 200
    # Within the callback: the clicker's card already shows the decision.
    assert click["data"]["response"]["cardData"]["cardParamMap"]["decided"] == "true"
    assert "刘芳" in click["data"]["response"]["cardData"]["cardParamMap"]["markdown"]
    assert await _state(stream_rt, approval_id) == "approved"

    async def updated() -> bool:  # and everyone's copy is updated through the card API
        return any(m.ref == card.ref for m in dingtalk.messages(road="card_update"))
    await eventually(updated, what="the card updated for everyone")
    latest = dingtalk.card(card.ref)
    assert latest is not None and latest["decided"] == "true" and latest["buttons"] == "[]"
    forged = await dingtalk.push(fake.CARD_TOPIC, fake.card_click("drop_tables", "1", user=CAROL, out_track_id="x"))
    assert forged is not None and "error" in forged["data"]["response"]  # refused, connection kept
    assert dingtalk.ws_opened == 1
    assert dingtalk.bad_acks == [], "every callback acked as the SDK acks it"
    # The official SDK's CallbackHandler, given the same answer, acks it in the very same shape.
    from dingtalk_stream.frames import AckMessage, CallbackMessage
    from dingtalk_stream.handlers import CallbackHandler

    class Same(CallbackHandler):
        async def process(self, message: CallbackMessage) -> tuple[int, object]:
            return AckMessage.STATUS_OK, click["data"]["response"]

    frame = CallbackMessage.from_dict({"specVersion": "1.0", "type": "CALLBACK", "data": "{}",
                                       "headers": {"messageId": click["headers"]["messageId"], "topic": fake.CARD_TOPIC}})
    sdk = (await Same().raw_process(frame)).to_dict()
    assert json.loads(sdk["data"]) == click["data"] and sdk["code"] == click["code"]
    assert sdk["headers"]["messageId"] == click["headers"]["messageId"]


async def test_stream_reconnects_without_losing_or_doubling(stream_rt: Runtime, dingtalk: FakeDingTalk) -> None:
    # A message pushed just as the connection dies is redelivered on the next one and handled once.
    body = fake.robot_message("report PUMP-2 70%", sender=BOB, conversation="cidp2pbob", msg_id="msgDROP1")
    await dingtalk.push(fake.BOT_TOPIC, body, timeout_s=None)
    await dingtalk.drop()

    async def reconnected(n: int) -> Any:
        async def check() -> bool:
            return dingtalk.ws_opened >= n and dingtalk.ws_connected == 1
        return check
    await eventually(await reconnected(2), what="a new connection after the drop")
    await eventually(lambda: _idle(stream_rt), what="the message handled")
    assert len([m for m in dingtalk.messages(BOB) if "70%" in m.text]) == 1
    await dingtalk.disconnect()  # DingTalk moves us: a new ticket, a new connection
    await eventually(await reconnected(3), what="a new connection after disconnect")
    ack = await dingtalk.push(fake.BOT_TOPIC, fake.robot_message("help", sender=BOB, conversation="cidp2pbob"))
    assert ack is not None and ack["code"] == 200


async def test_a_silent_stream_is_reopened(dingtalk: FakeDingTalk) -> None:
    from bot.platforms.dingtalk_stream import StreamConnection

    async def handle(topic: str, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return {}
    stream = StreamConnection(base=dingtalk.base, client_id=fake.CLIENT_ID, client_secret=fake.CLIENT_SECRET,
                              handle=handle, dead_after_s=0.3, retry_min_s=0.01, retry_max_s=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(stream.run(stop))
    try:
        async def reopened() -> bool:  # nothing said for dead_after_s: dead, reopened with a new ticket
            return dingtalk.ws_opened >= 2
        await eventually(reopened, what="the silent stream reopened")
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_stream_with_wrong_credentials_backs_off(dingtalk: FakeDingTalk) -> None:
    from bot.platforms.dingtalk_stream import StreamConnection

    async def handle(topic: str, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return {}
    stream = StreamConnection(base=dingtalk.base, client_id=fake.CLIENT_ID, client_secret="wrong",
                              handle=handle, retry_min_s=0.01, retry_max_s=0.02)
    stop = asyncio.Event()
    task = asyncio.create_task(stream.run(stop))
    try:
        async def refused_a_few() -> bool:
            return dingtalk.open_refused >= 3
        await eventually(refused_a_few, what="three refused attempts")
        assert stream.connections == 0 and dingtalk.ws_opened == 0
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_the_fake_stream_gateway_speaks_the_sdks_protocol(dingtalk: FakeDingTalk) -> None:
    """DingTalk's own SDK connects to the fake and acknowledges its frames: the fake is faithful to the wire."""
    script = (
        "import asyncio, sys, dingtalk_stream as d\n"
        "class H(d.ChatbotHandler):\n"
        "    async def process(self, m):\n"
        "        msg = d.ChatbotMessage.from_dict(m.data)\n"
        "        return d.AckMessage.STATUS_OK, msg.text.content.strip()\n"
        "c = d.DingTalkStreamClient(d.Credential(sys.argv[1], sys.argv[2]))\n"
        "c.register_callback_handler(d.ChatbotMessage.TOPIC, H())\n"
        "asyncio.run(c.start())\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, fake.CLIENT_ID, fake.CLIENT_SECRET, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env={"DINGTALK_OPENAPI_ENDPOINT": dingtalk.base, "PATH": "/usr/bin:/bin"})
    try:
        await dingtalk.wait_connected(timeout_s=30)
        ack = await dingtalk.push(fake.BOT_TOPIC, fake.robot_message("hello sdk", sender=BOB,
                                                                     conversation="cidp2pbob"))
        assert ack is not None and ack["code"] == 200 and ack["headers"]["messageId"]
        pong = await dingtalk.ping()
        assert pong is not None and pong["code"] == 200 and pong["data"]["opaque"]
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


def test_fake_tickets_are_single_use() -> None:
    """The fake refuses a reused ticket, as DingTalk does: a client that reused one would fail here first."""
    async def run() -> None:
        import aiohttp
        server = FakeDingTalk()
        await server.start()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{server.base}/v1.0/gateway/connections/open", json={
                        "clientId": fake.CLIENT_ID, "clientSecret": fake.CLIENT_SECRET,
                        "subscriptions": [{"type": "CALLBACK", "topic": fake.BOT_TOPIC}]}) as r:
                    ticket = (await r.json())["ticket"]
                async with http.ws_connect(f"ws://127.0.0.1:{server.port}/connect?ticket={ticket}"):
                    pass
                with pytest.raises(aiohttp.WSServerHandshakeError):
                    async with http.ws_connect(f"ws://127.0.0.1:{server.port}/connect?ticket={ticket}"):
                        pass
        finally:
            await server.stop()
    asyncio.run(run())


async def test_every_command_through_the_stream(stream_rt: Runtime, dingtalk: FakeDingTalk) -> None:
    commands = ["help", "status PUMP", "我的任务", "report PUMP-2 60%", "block PUMP-3 crane late", "done PUMP-2",
                "request PUMP 1200 spare seals", "risks PUMP", "standup wiring; pump 2; none", "no-such-verb",
                "link bob.w", "new PUMP fit the spare impeller", "approvals"]
    for n, text in enumerate(commands, start=1):
        ack = await dingtalk.push(fake.BOT_TOPIC, fake.robot_message(text, sender=BOB, conversation=GROUP,
                                                                     group=True))
        assert ack is not None and ack["code"] == 200
        answers = await wait_sent(dingtalk, n, GROUP, "group")  # no session webhook: the robot API answers
        assert answers[-1].key == "sampleMarkdown" and answers[-1].text
    assert dingtalk.ws_opened == 1


async def test_risk_alerts_reach_the_custom_group_robot(dingtalk: FakeDingTalk, sqlite_url: str, tmp_path: Path
                                                         ) -> None:
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from bot.clock import run_due
    config = dingtalk_config(tmp_path, channels=[{"platform": "dingtalk", "id": "alert-robot"}])
    settings = settings_for(dingtalk, sqlite_url, config, dingtalk_alert_webhook=dingtalk.alert_webhook,
                            dingtalk_alert_secret=fake.ALERT_SECRET)
    runtime = await seeded(settings, config)
    try:
        # The demo's tasks are dated from the runtime's today; the scan runs on the first workday from there.
        sh = ZoneInfo("Asia/Shanghai")
        day = first_workday_from(runtime.clock.today(sh))
        await run_due(runtime.jobs, datetime.combine(day, time(9, 0), tzinfo=sh))

        async def alerted() -> bool:
            return bool(dingtalk.messages(road="robot"))
        await eventually(alerted, what="an alert through the custom robot")
        alert = dingtalk.messages(road="robot")[0]
        assert "PUMP" in alert.text and alert.param["title"]
        await eventually(lambda: _idle(runtime), what="all delivered")
        assert (await runtime.outbox.counts()).get("dead", 0) == 0
    finally:
        await runtime.close()


async def test_malformed_stream_frames_are_refused_and_the_stream_goes_on(stream_rt: Runtime,
                                                                            dingtalk: FakeDingTalk) -> None:
    for junk in ("not json", "[" * 100_000, "[1, 2]", '{"type": "CALLBACK"}', '{"headers": [], "type": "SYSTEM"}',
                 '{"type": "WHAT", "headers": {"topic": "x", "messageId": "m1"}, "data": "{}"}'):
        await dingtalk.send_raw(junk)
    bad_card = await dingtalk.push(fake.CARD_TOPIC, {"userId": CAROL, "outTrackId": "t", "content": "[" * 50_000})
    assert bad_card is not None and "error" in bad_card["data"]["response"]
    no_content = await dingtalk.push(fake.CARD_TOPIC, {"userId": CAROL, "content": 42})
    assert no_content is not None and "error" in no_content["data"]["response"]
    bad_message = await dingtalk.push(fake.BOT_TOPIC, {"msgId": "x", "conversationType": "7"})
    assert bad_message is not None and bad_message["code"] == 200  # acknowledged (nothing to redeliver), not applied
    ack = await dingtalk.push(fake.BOT_TOPIC, fake.robot_message("my", sender=BOB, conversation="cidp2pbob"))
    assert ack is not None and ack["code"] == 200
    assert "PUMP-" in (await wait_sent(dingtalk, 1, BOB, "oto"))[-1].text
    assert dingtalk.ws_opened == 1 and dingtalk.ws_connected == 1


async def test_a_handshake_that_never_answers_times_out_and_stop_is_prompt(dingtalk: FakeDingTalk) -> None:
    from bot.platforms.dingtalk_stream import StreamConnection

    async def handle(topic: str, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return {}
    dingtalk.hold_upgrade = True
    stream = StreamConnection(base=dingtalk.base, client_id=fake.CLIENT_ID, client_secret=fake.CLIENT_SECRET,
                              handle=handle, open_timeout_s=0.2, retry_min_s=0.01, retry_max_s=0.02)
    stop = asyncio.Event()
    task = asyncio.create_task(stream.run(stop))
    try:
        async def tried_again() -> bool:  # each attempt took a ticket, then gave up on the silent upgrade
            return len(dingtalk._tickets) >= 3
        await eventually(tried_again, what="three timed-out attempts")
        assert stream.connections == 0
    finally:
        stop.set()
        await asyncio.wait_for(task, 2.0)  # even while an attempt hangs, stopping is prompt


async def test_backoff_starts_over_after_a_healthy_connection(dingtalk: FakeDingTalk) -> None:
    from bot.platforms.dingtalk_stream import StreamConnection

    async def handle(topic: str, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return {}
    # Drops after connections that held (healthy after 0 s) keep the shortest pause; without the reset the
    # sixth reconnect would wait 0.01 × 2⁵ s up to the 30 s cap and this would time out.
    stream = StreamConnection(base=dingtalk.base, client_id=fake.CLIENT_ID, client_secret=fake.CLIENT_SECRET,
                              handle=handle, retry_min_s=0.01, retry_max_s=30.0, healthy_after_s=0.0)
    stop = asyncio.Event()
    task = asyncio.create_task(stream.run(stop))
    try:
        for n in range(1, 7):
            async def up(n: int = n) -> bool:
                return dingtalk.ws_opened >= n and dingtalk.ws_connected == 1
            await eventually(up, timeout_s=5.0, what=f"connection {n}")
            await dingtalk.drop()
    finally:
        stop.set()
        await asyncio.wait_for(task, 5.0)


@pytest.mark.parametrize("redeliver", [False, True])
async def test_a_message_arriving_as_the_stream_drops_is_handled_once(stream_rt: Runtime, dingtalk: FakeDingTalk,
                                                                      redeliver: bool) -> None:
    """DingTalk's bot messages are fire-and-forget, but some report redelivery: either way, exactly once."""
    dingtalk.redeliver_bot = redeliver
    body = fake.robot_message("report PUMP-2 71%", sender=BOB, conversation="cidp2pbob", msg_id=f"msgDROP{redeliver}")
    await dingtalk.push(fake.BOT_TOPIC, body, timeout_s=None)
    await dingtalk.drop()

    async def reconnected() -> bool:
        return dingtalk.ws_opened >= 2 and dingtalk.ws_connected == 1
    await eventually(reconnected, what="a new connection")
    await wait_sent(dingtalk, 1, BOB, "oto")
    await eventually(lambda: _idle(stream_rt), what="handled")
    assert len([m for m in dingtalk.messages(BOB) if "71%" in m.text]) == 1


async def test_a_card_created_by_a_lost_try_is_not_created_twice(stream_rt: Runtime, dingtalk: FakeDingTalk) -> None:
    sender = stream_rt.delivery.senders["dingtalk"]
    from notifiers.base import Button
    card = Outgoing(outbox_id=77_001, platform="dingtalk", target=CAROL, card_ref="approval:99", rendered=Rendered(
        kind="approval_card", text="🧾 #99", buttons=(Button(id="approve", value="99", label="同意"),)))
    first = await sender.send(card)
    again = await sender.send(card)  # as when the first answer was lost and the outbox tried again
    assert first == again == "card:pmsbot-77001" and len(dingtalk.messages(CAROL, road="card")) == 1


async def test_a_refusing_session_webhook_falls_back_to_the_robot_api(client: Client, dingtalk: FakeDingTalk) -> None:
    dingtalk.session_errcode = 130101  # throttled, or any other refusal
    body = fake.robot_message("my", sender=BOB, conversation="cidp2pbob", session=dingtalk.session_webhook(BOB))
    assert (await post(client, body))[0] == 200
    assert "PUMP-" in (await wait_sent(dingtalk, 1, BOB, "oto"))[-1].text
    assert not dingtalk.messages(road="session")


async def test_a_link_for_an_approval_decided_meanwhile_says_so(client: Client, rt: Runtime,
                                                                 dingtalk: FakeDingTalk) -> None:
    from bot.say import say
    approval_id, card = await _approval_card(rt, dingtalk)
    await say(rt, "carol", f"approve {approval_id}")  # decided elsewhere (typed in the console)
    r = await client.post(_path(card.links()[1][1]), data={"reason": "too late"})
    assert r.status == 200 and "未能完成" in await r.text()
    assert await _state(rt, approval_id) == "approved"


async def test_the_decision_reaches_the_projects_dingtalk_group(dingtalk: FakeDingTalk, sqlite_url: str,
                                                                tmp_path: Path) -> None:
    config = dingtalk_config(tmp_path, channels=[{"platform": "dingtalk", "id": GROUP}])
    runtime = await seeded(settings_for(dingtalk, sqlite_url, config), config)
    try:
        async with TestClient(TestServer(build_app(runtime))) as c:
            approval_id, card = await _approval_card(runtime, dingtalk)
            assert (await c.post(_path(card.links()[0][1]), data={})).status == 200

            async def announced() -> bool:
                return any(f"#{approval_id}" in m.text for m in dingtalk.messages(GROUP, road="group"))
            await eventually(announced, what="the decision in the project's group")
    finally:
        await runtime.close()


async def test_risk_alerts_at_mention_the_owner_on_each_platform(dingtalk: FakeDingTalk, sqlite_url: str,
                                                                 tmp_path: Path) -> None:
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from bot.clock import run_due
    from notifiers.base import Button
    from notifiers.feishu import card_for
    from notifiers.render import Renderer
    from notifiers.slack_blocks import blocks_for
    config = dingtalk_config(tmp_path, channels=[{"platform": "dingtalk", "id": GROUP}])
    runtime = await seeded(settings_for(dingtalk, sqlite_url, config), config)
    try:
        # The demo's tasks are dated from the runtime's today; the scan runs on the first workday from there.
        sh = ZoneInfo("Asia/Shanghai")
        day = first_workday_from(runtime.clock.today(sh))
        await run_due(runtime.jobs, datetime.combine(day, time(9, 0), tzinfo=sh))

        async def alerted() -> bool:
            return any("PUMP-4" in m.text for m in dingtalk.messages(GROUP, road="group"))
        await eventually(alerted, what="PUMP-4's alert in the group")
        alert = next(m for m in dingtalk.messages(GROUP, road="group") if "PUMP-4" in m.text)
        assert alert.text.endswith(f"@{BOB}")  # bob owns PUMP-4
    finally:
        await runtime.close()
    # Slack and Feishu say it their own way; ids that are not theirs are left out, never pasted as markup.
    r = Renderer()
    rendered = Rendered(kind="risk_alert", text="⚠️ PUMP-4", buttons=(Button(id="ack", value="1", label="OK"),),
                        mentions=("U01BOB", "<!channel>", "ou_bob"))
    slack_text = json.dumps(blocks_for(r, rendered, r.catalogs["en"]["slack"], None))
    assert "<@U01BOB>" in slack_text and "<!channel>" not in slack_text and "ou_bob" not in slack_text
    feishu_text = json.dumps(card_for(r, rendered, r.catalogs["en"]["feishu"]))
    assert "<at id=ou_bob></at>" in feishu_text and "U01BOB" not in feishu_text


async def test_metrics_show_calls_per_connector_and_queue_states(client: Client, dingtalk: FakeDingTalk) -> None:
    await say_on_dingtalk(client, dingtalk, "my", session=False)
    text = await (await client.get("/metrics")).text()
    assert 'pmsbot_connector_calls_total{connector="dingtalk",outcome="ok"}' in text
    assert 'pmsbot_connector_call_seconds_count{connector="dingtalk"}' in text
    assert 'pmsbot_outbox_messages{state="sent"}' in text and 'pmsbot_outbox_messages{state="dead"}' in text


async def test_standup_summary_links_task_keys_where_the_project_says(dingtalk: FakeDingTalk, sqlite_url: str,
                                                                      tmp_path: Path) -> None:
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    from bot.clock import run_due
    from bot.config import ProjectConfig
    from bot.say import say
    from notifiers.base import Button
    from notifiers.feishu import card_for
    from notifiers.render import Renderer
    from notifiers.slack_blocks import blocks_for
    sh = ZoneInfo("Asia/Shanghai")
    config = dingtalk_config(tmp_path, channels=[{"platform": "dingtalk", "id": GROUP}], task_url="https://pms.example.com/browse/{key}")
    runtime = await seeded(settings_for(dingtalk, sqlite_url, config), config)
    try:
        day = date(2026, 12, 1)
        set_clock(runtime, datetime.combine(day, time(9, 45), tzinfo=sh))
        await run_due(runtime.jobs, datetime.combine(day, time(9, 30), tzinfo=sh))
        await say(runtime, "bob", "standup PUMP-4 valve fitted; PUMP-5 blocked by the crane")
        await run_due(runtime.jobs, datetime.combine(day, time(10, 30), tzinfo=sh))

        async def summarised() -> bool:
            return any("PUMP-5" in m.text for m in dingtalk.messages(GROUP, road="group"))
        await eventually(summarised, what="the summary in the project's group")
        summary = next(m for m in dingtalk.messages(GROUP, road="group") if "PUMP-5" in m.text)
        assert "[PUMP-4](https://pms.example.com/browse/PUMP-4)" in summary.text
        assert "[PUMP-5](https://pms.example.com/browse/PUMP-5)" in summary.text
    finally:
        await runtime.close()
    r = Renderer()
    rendered = Rendered(kind="standup_summary", text="⛔ PUMP-5 <blocked> & PUMP-55", buttons=(Button(
        id="ack", value="1", label="OK"),), links=(("PUMP-5", "https://pms.example.com/browse/PUMP-5"),))
    slack = json.dumps(blocks_for(r, rendered, r.catalogs["en"]["slack"], None), ensure_ascii=False)
    assert "<https://pms.example.com/browse/PUMP-5|PUMP-5> &lt;blocked&gt; &amp; PUMP-55" in slack
    feishu = json.dumps(card_for(r, rendered, r.catalogs["en"]["feishu"]), ensure_ascii=False)
    assert "[PUMP-5](https://pms.example.com/browse/PUMP-5) &lt;blocked&gt; &amp; PUMP-55" in feishu
    for bad in ("ftp://x/{key}", "https://x/browse/", "https://x/{key}|evil", 'https://x/{key}"><script>'):
        with pytest.raises(ValueError, match="task_url"):
            ProjectConfig(key="PUMP", name="p", task_url=bad)
