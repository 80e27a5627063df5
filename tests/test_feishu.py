"""Feishu end to end: encrypted, signed events into /feishu/events; cards recorded by the fake (tests/fakes/feishu.py)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
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
from bot.platforms.feishu import Refused, decrypt, signature
from bot.runtime import Runtime
from bot.store.models import ApprovalRow, InboxRow
from tests.fakes import feishu as fake
from tests.fakes.feishu import FakeFeishu, signed
from tests.fakes.process import serving
from tests.platform_org import demo_with, seeded
from tests.waiting import eventually

ALICE, BOB, CAROL = "ou_alice", "ou_bob", "ou_carol"
GROUP, BOB_P2P = "oc_pump", "oc_bobp2p"
Client = TestClient  # type: ignore[type-arg]


def feishu_config(tmp_path: Path) -> Path:
    """The demo organisation, with carol (the approver) on Feishu and dave known only by his email."""
    return demo_with(tmp_path, {"carol": {"identities": {"feishu": CAROL}}, "dave": {"email": "dave.zhang@example.com"}})


@pytest.fixture
async def feishu() -> AsyncIterator[FakeFeishu]:
    server = FakeFeishu(chat_rate_per_s=50.0, chat_burst=10, users={
        "ou_dave": {"open_id": "ou_dave", "name": "张伟", "enterprise_email": "Dave.Zhang@example.com"}})
    await server.start()
    yield server
    await server.stop()


def settings_for(feishu: FakeFeishu, db_url: str, config: Path, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url, "pmsbot_config": str(config), "feishu_app_id": fake.APP_ID,
        "feishu_app_secret": fake.APP_SECRET, "feishu_verification_token": fake.VERIFICATION_TOKEN,
        "feishu_encrypt_key": fake.ENCRYPT_KEY, "feishu_api_base": feishu.base, **more}
    return Settings(**values)


@pytest.fixture
async def rt(feishu: FakeFeishu, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    config = feishu_config(tmp_path)
    runtime = await seeded(settings_for(feishu, sqlite_url, config), config)
    yield runtime
    await runtime.close()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[Client]:
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


async def post(client: Client, payload: dict[str, Any], **sign: Any) -> tuple[int, dict[str, Any]]:
    body, headers = signed(payload, **sign)
    r = await client.post("/feishu/events", data=body, headers=headers)
    return r.status, await r.json()


async def wait_sent(feishu: FakeFeishu, n: int, **kw: Any) -> list[fake.Sent]:
    async def enough() -> bool:
        return len(feishu.messages(**kw)) >= n
    await eventually(enough, what=f"{n} feishu messages {kw}")
    return feishu.messages(**kw)


async def say_on_feishu(client: Client, feishu: FakeFeishu, text: str, *, sender: str = BOB,
                        chat: str = BOB_P2P, **kw: Any) -> fake.Sent:
    """A person's message in; the answer (a new message in a private chat, a thread reply in a group) out."""
    method = "reply" if kw.get("chat_type") == "group" else "send"
    before = len(feishu.messages(chat, method=method))
    event = fake.message_event(text, sender=sender, chat=chat, **kw)
    feishu.user_message(event)
    status, answer = await post(client, fake.envelope("im.message.receive_v1", event))
    assert status == 200 and answer == {}
    answer_sent = (await wait_sent(feishu, before + 1, receive_id=chat, method=method))[-1]
    if method == "reply":
        assert answer_sent.thread_of == event["message"]["message_id"]
    return answer_sent


# ---- crypto: the research's vectors and lark-oapi agree with us --------------------------------------------------
VECTOR_PLAIN = '{"challenge":"abc","token":"vt","type":"url_verification"}'
VECTOR_CIPHER = ("AAECAwQFBgcICQoLDA0OD4AeTWwjU2ENx3Z59eD7hESxHohKtD351/XRkETejv2Sp5qsY6ViPOVZBPPDOC3uY8SzcAP8F84rr3jbu/"
                 "3AloU=")


def test_decryption_and_signature_match_the_vectors_and_lark_oapi() -> None:
    assert fake.encrypt(VECTOR_PLAIN, "test-encrypt-key", iv=bytes(range(16))) == VECTOR_CIPHER
    assert decrypt("test-encrypt-key", VECTOR_CIPHER) == VECTOR_PLAIN
    body = json.dumps({"encrypt": VECTOR_CIPHER}).encode()
    assert signature("1700000000", "abc123", "test-encrypt-key", body) == \
        "6d35a39b47b473a0a572f74586a9fe869d2ab263a5a8bcaab52a45abe5700ca1"
    # Feishu's own SDK decrypts what the fake encrypts. In a child process: importing lark_oapi creates an event
    # loop at module level that is never closed.
    ours = fake.encrypt('{"x": "飞书"}', "k2")
    sdk = subprocess.run([sys.executable, "-c", "import sys; from lark_oapi.core.utils import AESCipher; "
                          "sys.stdout.buffer.write(AESCipher(sys.argv[1]).decrypt_str(sys.argv[2]).encode())",
                          "k2", ours], capture_output=True, check=True, timeout=60)
    assert sdk.stdout.decode() == '{"x": "飞书"}'
    with pytest.raises(Refused):
        decrypt("another-key", ours)


def test_card_layout_is_valid_json_for_any_text_and_stays_within_30_kb() -> None:
    from notifiers.base import Button, Rendered
    from notifiers.feishu import card_for
    from notifiers.render import Renderer
    r = Renderer()
    texts = r.catalogs["zh"]["feishu"]
    hostile = 'a "quoted" {{braces}} \\ </script> & <b>\n第二行 ' + "\u2028"
    buttons = (Button(id="approve", value="7", label="同意", style="primary"),
               Button(id="reject", value="7", label="驳回" * 40, style="danger"))
    card = card_for(r, Rendered(kind="approval_card", text=hostile, buttons=buttons), texts)
    markdown = card["body"]["elements"][0]["content"]
    assert markdown.startswith('a "quoted" {{braces}}') and "&lt;/script&gt;" in markdown
    # A note cannot become a link or a mention; the links pmsbot adds itself (task keys) still are links.
    from notifiers.base import Rendered as R
    note = card_for(r, R(kind="task_status", text="see [官方通知](https://evil.example/x) <at id=all></at> PUMP-4",
                         links=(("PUMP-4", "https://pms.example.com/browse/PUMP-4"),)), texts)
    content = note["body"]["elements"][0]["content"]
    assert "](https://evil" not in content and "<at" not in content
    assert "[PUMP-4](https://pms.example.com/browse/PUMP-4)" in content
    form = card["body"]["elements"][1]
    assert form["tag"] == "form" and [e["tag"] for e in form["elements"]] == ["input", "button", "button"]
    assert form["elements"][2]["behaviors"][0]["value"] == {"action": "reject", "id": "7"}
    assert len(form["elements"][2]["text"]["content"]) <= 40
    huge = card_for(r, Rendered(kind="my_tasks", text="任务 " * 20_000, buttons=buttons[:1]), texts)
    assert len(json.dumps(huge, ensure_ascii=False).encode()) <= 30_000
    assert huge["body"]["elements"][0]["content"].endswith(texts["truncated"])
    assert huge["body"]["elements"][1]["tag"] == "button"  # no Reject: no form, the button itself


# ---- url_verification ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("encrypted", [True, False])
async def test_url_verification_answers_the_challenge(client: Client, encrypted: bool) -> None:
    payload = {"challenge": "ch-123", "token": fake.VERIFICATION_TOKEN, "type": "url_verification"}
    if encrypted:  # Feishu does not sign the verification request
        r = await client.post("/feishu/events", json={"encrypt": fake.encrypt(json.dumps(payload))})
    else:
        r = await client.post("/feishu/events", json=payload)
    assert r.status == 200 and await r.json() == {"challenge": "ch-123"}
    bad = await client.post("/feishu/events", json={**payload, "token": "guess"})
    assert bad.status == 401
    for odd in ("令牌", "\u00e9" * 40, "\ud800x"):  # non-ASCII once raised TypeError in compare_digest: a 500
        r = await client.post("/feishu/events", data=json.dumps({**payload, "token": odd}),
                              headers={"Content-Type": "application/json"})
        assert r.status in (400, 401) and "error" in await r.json()


# ---- commands ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expect"), [
    ("help", "帮助"), ("status PUMP", "PUMP"), ("我的任务", "PUMP-"), ("report PUMP-2 60% R&D <b>", "60%"),
    ("block PUMP-3 crane late", "PUMP-3"), ("done PUMP-2", "PUMP-2"), ("request PUMP 1200 spare seals", "#"),
    ("risks PUMP", "PUMP"), ("standup wiring; pump 2; none", ""), ("no-such-verb", ""), ("link bob.w", "bob.w"),
    ("new PUMP fit the spare impeller", "PUMP-"), ("subscribe PUMP", "PUMP"), ("approvals", ""),
    ("tasks mine", "PUMP-"), ("PUMP-7 给 张伟", "张伟"), ("优先级 PUMP-7 <b>x</b>", "不是优先级"),  # issue 24
])
async def test_every_command_through_encrypted_signed_events(client: Client, feishu: FakeFeishu, text: str,
                                                             expect: str) -> None:
    card = await say_on_feishu(client, feishu, text, sender=ALICE if text == "subscribe PUMP" else BOB)
    assert expect in card.text and card.card["config"]["update_multi"] is True
    assert "<b>" not in card.text  # lark_md escaped
    assert not feishu.rejected


async def test_group_message_with_a_mention_and_a_post(client: Client, feishu: FakeFeishu) -> None:
    mention = [{"key": "@_user_1", "id": {"open_id": "ou_bot"}, "name": "pmsbot", "tenant_key": "tenant1"}]
    card = await say_on_feishu(client, feishu, "@_user_1 status PUMP", chat=GROUP, chat_type="group",
                               mentions=mention)
    assert "PUMP" in card.text
    post_card = await say_on_feishu(client, feishu, "my", message_type="post")
    assert "PUMP-" in post_card.text


async def test_a_message_id_that_is_not_feishus_never_reaches_a_url(client: Client, feishu: FakeFeishu) -> None:
    """The reply in thread goes to /messages/{message_id}/reply: an id that is not Feishu's own shape is not
    followed there; the answer goes to the group as a new message instead."""
    event = fake.message_event("status PUMP", sender=BOB, chat=GROUP, chat_type="group")
    event["message"]["message_id"] = "om_x/../../../open-apis/contact/v3/users"
    assert (await post(client, fake.envelope("im.message.receive_v1", event)))[0] == 200
    sent = (await wait_sent(feishu, 1, receive_id=GROUP, method="send"))[-1]
    assert "PUMP" in sent.text and not feishu.messages(GROUP, method="reply")


async def test_retries_of_an_event_are_processed_once(client: Client, rt: Runtime, feishu: FakeFeishu) -> None:
    payload = fake.envelope("im.message.receive_v1", fake.message_event("report PUMP-2 65%", sender=BOB,
                                                                       chat=BOB_P2P), event_id="ev-retry-1")
    for _ in range(3):  # each retry is a new request: new nonce, new signature, same event_id
        assert (await post(client, payload))[0] == 200
    await wait_sent(feishu, 1, receive_id=BOB_P2P)
    await eventually(lambda: _idle(rt), what="all handled")
    assert len(feishu.messages(BOB_P2P)) == 1


async def _idle(rt: Runtime) -> bool:
    return await rt.inbox.pending_count() == 0 and (await rt.outbox.counts()).get("pending", 0) == 0


async def test_an_account_is_matched_by_its_contact_email(client: Client, rt: Runtime, feishu: FakeFeishu) -> None:
    from bot.store.models import IdentityRow
    card = await say_on_feishu(client, feishu, "my", sender="ou_dave", chat="oc_davep2p")
    assert "PUMP-" in card.text  # dave's tasks: he is known by his email
    async with rt.db.read() as s:
        row = await s.get(IdentityRow, ("feishu", "ou_dave"))
    assert row is not None and row.person_id == "dave" and row.source == "email"
    stranger = await say_on_feishu(client, feishu, "my", sender="ou_nobody", chat="oc_nobody")
    assert "ou_nobody" in stranger.text  # told who they are to pmsbot and how to link


# ---- approvals on cards ------------------------------------------------------------------------------------------
async def _approval_card(rt: Runtime, feishu: FakeFeishu) -> tuple[int, fake.Sent]:
    from bot.say import say
    await say(rt, "bob", "request PUMP 800 spare impeller")
    async with rt.db.read() as s:
        approval_id = int((await s.execute(select(col(ApprovalRow.id)).order_by(col(ApprovalRow.id).desc())
                                           )).scalars().first() or 0)

    async def carded() -> bool:
        return any(b["behaviors"][0]["value"] == {"action": "approve", "id": str(approval_id)}
                   for m in feishu.messages(CAROL, method="send") for b in m.buttons())
    await eventually(carded, what="the approval card in carol's chat")
    card = next(m for m in feishu.messages(CAROL, method="send")
                if any(b["behaviors"][0]["value"].get("id") == str(approval_id) for b in m.buttons()))
    return approval_id, card


async def _state(rt: Runtime, approval_id: int) -> str:
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, approval_id)
        assert row is not None
        return row.state


async def test_approve_on_the_card_updates_it_for_everyone(client: Client, rt: Runtime, feishu: FakeFeishu) -> None:
    approval_id, card = await _approval_card(rt, feishu)
    click = fake.card_action({"action": "approve", "id": str(approval_id)}, operator=CAROL, chat="oc_carol",
                             message_id=card.message_id)
    status, answer = await post(client, fake.envelope("card.action.trigger", click))
    # Within Feishu's 3 s: a toast, and the clicker's card already showing the decision.
    assert status == 200 and answer["toast"]["type"] == "success" and answer["card"]["type"] == "raw"
    new_card = answer["card"]["data"]
    assert new_card["config"]["update_multi"] is True and "刘芳" in json.dumps(new_card, ensure_ascii=False)

    async def patched() -> bool:
        return any(m.message_id == card.message_id for m in feishu.messages(method="patch"))
    await eventually(patched, what="the card patched")
    assert await _state(rt, approval_id) == "approved"
    latest = feishu.message(card.message_id)
    assert latest is not None and "刘芳" in latest.text and not latest.buttons()

    async def announced() -> bool:  # and the project's chat hears the outcome
        return any(f"#{approval_id}" in m.text for m in feishu.messages(GROUP, method="send"))
    await eventually(announced, what="the decision in the project's chat")


async def test_reject_needs_the_reason_from_the_card(client: Client, rt: Runtime, feishu: FakeFeishu) -> None:
    approval_id, card = await _approval_card(rt, feishu)
    value = {"action": "reject", "id": str(approval_id)}
    status, answer = await post(client, fake.envelope("card.action.trigger", fake.card_action(
        value, operator=CAROL, chat="oc_carol", message_id=card.message_id, form_value={"reason": "  "})))
    assert status == 200 and answer["toast"]["type"] == "warning"
    assert await _state(rt, approval_id) == "pending"
    status, _ = await post(client, fake.envelope("card.action.trigger", fake.card_action(
        value, operator=CAROL, chat="oc_carol", message_id=card.message_id, form_value={"reason": "over budget"})))
    assert status == 200

    async def rejected() -> bool:
        return await _state(rt, approval_id) == "rejected"
    await eventually(rejected, what="rejected")


# ---- hostile and broken input ----------------------------------------------------------------------------------------
def _msg(text: str = "done PUMP-1") -> dict[str, Any]:
    return fake.envelope("im.message.receive_v1", fake.message_event(text, sender=BOB, chat=BOB_P2P))


@pytest.mark.parametrize("case", ["wrong_signature", "stale", "future", "no_headers", "wrong_token",
                                  "other_key", "not_base64", "not_json", "list", "schema1", "no_event_id",
                                  "forged_card_value", "card_value_text"])
async def test_hostile_requests_are_refused_and_apply_nothing(client: Client, rt: Runtime, case: str) -> None:
    body, headers = signed(_msg())
    if case == "wrong_signature":
        headers["X-Lark-Signature"] = "0" * 64
    elif case == "stale":
        body, headers = signed(_msg(), timestamp=int(rt.clock.timestamp()) - 3600)
    elif case == "future":
        body, headers = signed(_msg(), timestamp=int(rt.clock.timestamp()) + 3600)
    elif case == "no_headers":
        headers = {"Content-Type": "application/json"}
    elif case == "wrong_token":
        body, headers = signed(fake.envelope("im.message.receive_v1", fake.message_event(
            "my", sender=BOB, chat=BOB_P2P), token="guess"))
    elif case == "other_key":
        body, headers = signed(_msg(), key="not-our-key")
    elif case == "not_base64":
        body, headers = _resign(b'{"encrypt": "%%%not base64%%%"}')
    elif case == "not_json":
        body, headers = _resign(json.dumps({"encrypt": fake.encrypt("{not json")}).encode())
    elif case == "list":
        body, headers = _resign(json.dumps({"encrypt": fake.encrypt("[1, 2]")}).encode())
    elif case == "schema1":
        body, headers = signed({"uuid": "u1", "token": fake.VERIFICATION_TOKEN, "type": "event_callback",
                                "event": {"type": "message"}})
    elif case == "no_event_id":
        payload = _msg()
        del payload["header"]["event_id"]
        body, headers = signed(payload)
    elif case == "forged_card_value":
        body, headers = signed(fake.envelope("card.action.trigger", fake.card_action(
            {"action": "delete_everything", "id": "1"}, operator=CAROL, chat="oc_carol", message_id="om_1")))
    elif case == "card_value_text":
        body, headers = signed(fake.envelope("card.action.trigger", fake.card_action(
            {"action": "approve", "id": "1; DROP TABLE approval"}, operator=CAROL, chat="oc_carol",
            message_id="om_1")))
    r = await client.post("/feishu/events", data=body, headers=headers)
    assert 400 <= r.status < 500 and "error" in await r.json()
    async with rt.db.read() as s:
        assert (await s.execute(select(InboxRow).where(col(InboxRow.platform) == "feishu"))).first() is None


def _resign(body: bytes) -> tuple[bytes, dict[str, str]]:
    ts, nonce = str(int(SYSTEM_CLOCK.timestamp())), "n-" + uuid.uuid4().hex
    return body, {"Content-Type": "application/json", "X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": nonce,
                  "X-Lark-Signature": signature(ts, nonce, fake.ENCRYPT_KEY, body)}


async def test_a_body_over_one_megabyte_is_413(client: Client) -> None:
    import io
    r = await client.post("/feishu/events", data=io.BytesIO(b'{"encrypt": "' + b"A" * (1024 * 1024) + b'"}'),
                          headers={"Content-Type": "application/json"})
    assert r.status == 413 and "error" in await r.json()


async def test_a_replayed_request_is_refused(client: Client) -> None:
    body, headers = signed(_msg("my"))
    first = await client.post("/feishu/events", data=body, headers=headers)
    again = await client.post("/feishu/events", data=body, headers=headers)
    assert first.status == 200 and again.status == 401 and "replayed" in (await again.json())["error"]


async def test_unknown_event_types_are_acknowledged_and_ignored(client: Client, rt: Runtime) -> None:
    status, answer = await post(client, fake.envelope("contact.user.created_v3", {"object": {}}))
    assert status == 200 and answer == {}
    assert await rt.inbox.pending_count() == 0


# ---- delivery ------------------------------------------------------------------------------------------------------
async def test_token_expiry_in_a_burst_is_refreshed_once(client: Client, rt: Runtime, feishu: FakeFeishu) -> None:
    await say_on_feishu(client, feishu, "my")  # a token is in use
    issued = feishu.tokens_issued
    feishu.expire_tokens()
    for n in range(8):
        assert (await post(client, fake.envelope("im.message.receive_v1", fake.message_event(
            f"report PUMP-2 {30 + n}%", sender=BOB, chat=BOB_P2P))))[0] == 200
    await wait_sent(feishu, 9, receive_id=BOB_P2P, method="send")
    assert feishu.tokens_issued == issued + 1
    assert (await rt.outbox.counts()).get("dead", 0) == 0


async def test_a_missing_permission_is_a_dead_letter_naming_the_scope(rt: Runtime, feishu: FakeFeishu) -> None:
    """99991672: no retry helps until an admin grants the scope, so the message is parked at once, saying which."""
    from notifiers.base import Outgoing, PermanentSendError, Rendered
    from notifiers.feishu import FeishuSender
    sender = FeishuSender(rt.db, rt.settings, rt.renderer)
    try:
        feishu.fail_next(1, status=400, code=99991672)
        with pytest.raises(PermanentSendError) as refused:
            await sender.send(Outgoing(outbox_id=9200, platform="feishu", target="oc_scope", card_ref=None,
                                       rendered=Rendered(kind="help", text="hello")))
        assert "im:message" in str(refused.value) and "grant" in str(refused.value)
    finally:
        await sender.close()


async def test_sends_are_paced_to_the_chat_limit_and_429_waits_its_reset(rt: Runtime, feishu: FakeFeishu) -> None:
    from notifiers.base import Outgoing, Rendered, TransientSendError
    from notifiers.feishu import FeishuSender
    sender = FeishuSender(rt.db, rt.settings, rt.renderer, chat_rate_per_s=20.0, chat_burst=2)
    feishu.chat_rate_per_s, feishu.chat_burst = 20.0, 2  # as Feishu's own limit for this chat
    try:
        for n in range(8):
            await sender.send(Outgoing(outbox_id=9000 + n, platform="feishu", target="oc_paced", card_ref=None,
                                       rendered=Rendered(kind="help", text=f"n={n}")))
        assert feishu.ratelimited == 0 and [m.text for m in feishu.messages("oc_paced")] == [f"n={n}" for n in range(8)]
        feishu.fail_next(1, status=429, code=99991400)
        with pytest.raises(TransientSendError) as refused:
            await sender.send(Outgoing(outbox_id=9100, platform="feishu", target="oc_paced", card_ref=None,
                                       rendered=Rendered(kind="help", text="later")))
        assert refused.value.retry_after_s == 2.0  # x-ogw-ratelimit-reset, for the outbox to wait
    finally:
        await sender.close()


async def test_standup_prompts_go_out_in_batches(rt: Runtime, feishu: FakeFeishu) -> None:
    from datetime import date, datetime
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from bot.clock import run_due
    from bot.store import console as feed
    feishu.outside_availability.add(BOB)  # bob is outside the app's availability range
    day = date(2026, 12, 1)
    assert await run_due(rt.jobs, datetime.combine(day, clock_time(9, 30), tzinfo=ZoneInfo("Asia/Shanghai"))) >= 3

    async def settled() -> bool:
        counts = await rt.outbox.counts()
        return counts.get("pending", 0) == 0 and feishu.batch_calls >= 1
    await eventually(settled, what="the prompts delivered or parked")
    batch = feishu.messages(method="batch")
    assert [m.receive_id for m in batch] == [ALICE] and "standup" in batch[0].text  # alice by batch_send
    assert feishu.batch_calls == 2  # one call per distinct text: alice's English, bob's Chinese
    assert (await rt.outbox.counts()).get("dead") == 1  # bob's prompt: refused for good, a dead letter
    assert any("站会" in m["text"] for m in await feed.feed(rt.db, "dave"))  # dave has no Feishu: the console


async def test_a_retried_send_does_not_post_twice(rt: Runtime, feishu: FakeFeishu) -> None:
    from notifiers.base import Outgoing, Rendered
    sender = rt.delivery.senders["feishu"]
    message = Outgoing(outbox_id=4242, platform="feishu", target=GROUP, card_ref=None,
                       rendered=Rendered(kind="help", text="hello"))
    first = await sender.send(message)
    again = await sender.send(message)  # as after a crash between the send and our commit
    assert first == again and len(feishu.messages(GROUP, method="send")) == 1


def test_check_reaches_feishu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                              ) -> None:
    from bot.cli.main import main
    with serving("tests.fakes.feishu") as port:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
        for key, value in {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "FEISHU_APP_ID": fake.APP_ID,
                           "FEISHU_APP_SECRET": fake.APP_SECRET, "FEISHU_ENCRYPT_KEY": fake.ENCRYPT_KEY,
                           "FEISHU_API_BASE": f"http://127.0.0.1:{port}"}.items():
            monkeypatch.setenv(key, value)
        assert main(["db", "upgrade"]) == 0
        capsys.readouterr()
        assert main(["check"]) == 0
        out = capsys.readouterr().out
        assert "platforms enabled: feishu" in out and f"ok   feishu: app {fake.APP_ID} has a tenant token" in out
        monkeypatch.setenv("FEISHU_APP_SECRET", "wrong-secret")
        assert main(["check"]) == 1
        out = capsys.readouterr().out
        assert "FAIL feishu:" in out and "app secret invalid" in out and "wrong-secret" not in out


# ---- long connection ---------------------------------------------------------------------------------------------
@pytest.fixture
async def ws_rt(feishu: FakeFeishu, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A runtime taking Feishu events over the long connection only (no encrypt key, no token, no public URL)."""
    config = feishu_config(tmp_path)
    feishu.ws_ping_s, feishu.ws_reconnect_s = 0.2, 0.05  # the server's ClientConfig: quick pings and reconnects
    settings = settings_for(feishu, sqlite_url, config, feishu_encrypt_key=None, feishu_verification_token=None,
                            feishu_long_connection=True)
    runtime = await seeded(settings, config, console=False)
    from bot.app import platform_adapters
    from bot.platforms.feishu import FeishuAdapter
    adapter = next(a for a in platform_adapters(runtime) if isinstance(a, FeishuAdapter))
    await adapter.start()
    try:
        async def connected() -> bool:
            return feishu.ws_connected == 1
        await eventually(connected, what="the long connection")
        yield runtime
    finally:
        await adapter.close()
        await runtime.close()


async def test_long_connection_takes_commands_and_card_clicks(ws_rt: Runtime, feishu: FakeFeishu) -> None:
    event = fake.message_event("my", sender=BOB, chat=BOB_P2P)
    ack = await feishu.ws_push(fake.envelope("im.message.receive_v1", event), parts=3)  # split over 3 frames
    assert ack["code"] == 200
    card = (await wait_sent(feishu, 1, receive_id=BOB_P2P, method="send"))[-1]
    assert "PUMP-" in card.text
    approval_id, approval_card = await _approval_card(ws_rt, feishu)
    click = fake.card_action({"action": "approve", "id": str(approval_id)}, operator=CAROL, chat="oc_carol",
                             message_id=approval_card.message_id)
    ack = await feishu.ws_push(fake.envelope("card.action.trigger", click), kind="card")  # card frames too
    toast = json.loads(base64.b64decode(ack["data"]))
    assert ack["code"] == 200 and toast["toast"]["type"] in ("info", "success")

    async def approved() -> bool:
        return await _state(ws_rt, approval_id) == "approved"
    await eventually(approved, what="approved over the long connection")
    bad = await feishu.ws_push(fake.envelope("card.action.trigger", fake.card_action(
        {"action": "rm", "id": "1"}, operator=CAROL, chat="oc_carol", message_id="om_1")), kind="card")
    assert "error" in json.loads(base64.b64decode(bad["data"]))  # refused, connection kept
    assert feishu.ws_opened == 1


async def test_http_events_are_refused_when_only_the_long_connection_is_set(ws_rt: Runtime) -> None:
    async with TestClient(TestServer(build_app(ws_rt))) as c:
        body, headers = signed(_msg("my"), key=None)  # nothing to check it against: refused, not trusted
        r = await c.post("/feishu/events", data=body, headers=headers)
        assert r.status == 403 and "error" in await r.json()
    assert await ws_rt.inbox.pending_count() == 0


async def test_long_connection_reconnects_after_a_drop_and_after_silence(ws_rt: Runtime, feishu: FakeFeishu) -> None:
    await feishu.ws_drop()

    async def reopened(n: int) -> Any:
        async def check() -> bool:
            return feishu.ws_opened >= n and feishu.ws_connected == 1
        return check
    await eventually(await reopened(2), what="a new connection after the drop")
    feishu.mute_pongs = True  # half-open: the socket stays, nothing comes back
    await eventually(await reopened(3), timeout_s=10, what="a new connection after three silent ping intervals")
    feishu.mute_pongs = False
    ack = await feishu.ws_push(fake.envelope("im.message.receive_v1", fake.message_event(
        "help", sender=BOB, chat=BOB_P2P)))
    assert ack["code"] == 200


async def test_identical_prompts_share_one_batch_call(rt: Runtime, feishu: FakeFeishu) -> None:
    import asyncio

    from notifiers.base import Outgoing, PermanentSendError, Rendered
    sender = rt.delivery.senders["feishu"]
    feishu.outside_availability.add("ou_gone")
    people = [f"ou_p{n:03d}" for n in range(250)] + ["ou_gone"]
    results = await asyncio.gather(*(sender.send(Outgoing(
        outbox_id=20_000 + n, platform="feishu", target=person, card_ref=None,
        rendered=Rendered(kind="standup_prompt", text="☀️ PUMP standup"))) for n, person in enumerate(people)),
        return_exceptions=True)
    assert feishu.batch_calls == 2  # 251 people: 200 + 51
    assert sum(isinstance(r, PermanentSendError) for r in results) == 1 and isinstance(results[-1], PermanentSendError)
    assert len(feishu.messages(method="batch")) == 250
