"""DingTalk's encrypted HTTP event push (`POST /dingtalk/event-subscription`): the crypto against the official
sample's vector and an independent implementation (tests/fakes/dingtalk_push.py, PyCryptodome), the console's URL
check, address-book events end to end (stored on the ack path, applied by the worker), and hostile requests."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from Crypto.Cipher import AES
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import build_app
from bot.cli.directory import check_dingtalk_events
from bot.config import Config, ConfigError, PersonConfig, ProjectConfig, Settings, parse_config
from bot.config.dingtalk_events import DingTalkEventsConfig
from bot.platforms.dingtalk_crypto import BadCallback, CallbackCipher
from bot.platforms.dingtalk_events import ROUTE
from bot.runtime import Runtime
from bot.store import migrate
from bot.store.db import Database
from bot.store.models import ApprovalRow, InboxRow, PersonRow
from bot.store.workspace import SqlWorkspace
from tests.conftest import running_clock, set_clock
from tests.fakes.dingtalk_push import AES_KEY, SAMPLE, TOKEN, DingTalkPusher, pusher, sha1_signature
from tests.fakes.directories import DirectoryFake, Someone
from tests.test_directory import org, sources
from tests.test_fuzz import FUZZ, MUTATION, answered_well, mutate

APP_KEY = "ding-dir"
Client = TestClient  # type: ignore[type-arg]


# ---- the crypto -------------------------------------------------------------------------------------------------
def test_the_official_samples_vector_verifies_and_decrypts() -> None:
    cipher = CallbackCipher(token=SAMPLE["token"], aes_key=SAMPLE["aes_key"], receiver=SAMPLE["owner"])
    cipher.verify(SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"], SAMPLE["encrypt"])
    assert cipher.decrypt(SAMPLE["encrypt"]) == SAMPLE["plain"]
    reference = DingTalkPusher(token=SAMPLE["token"], aes_key=SAMPLE["aes_key"], owner=SAMPLE["owner"])
    assert reference.decrypt(SAMPLE["encrypt"]) == SAMPLE["plain"]
    with pytest.raises(BadCallback) as wrong:
        cipher.verify(SAMPLE["msg_signature"], SAMPLE["timestamp"], "WL4PK6yB", SAMPLE["encrypt"])
    assert wrong.value.status == 401
    other = CallbackCipher(token=SAMPLE["token"], aes_key=SAMPLE["aes_key"], receiver="ding-another-app")
    with pytest.raises(BadCallback) as foreign:
        other.decrypt(SAMPLE["encrypt"])
    assert foreign.value.status == 403


@pytest.mark.parametrize("message", ["", "success", "a" * 11, "b" * 12, "c" * 44, "d" * 45, "通讯录变更" * 7,
                                     json.dumps({"EventType": "user_add_org", "UserId": ["u1"]})])
def test_our_cipher_and_the_reference_agree_byte_for_byte(message: str) -> None:
    cipher = CallbackCipher(token=TOKEN, aes_key=AES_KEY, receiver=APP_KEY)
    ref = pusher(APP_KEY)
    prefix = "0123456789abcdef"
    assert cipher.encrypt(message, random_prefix=prefix.encode()) == ref.encrypt(message, random16=prefix)
    assert cipher.decrypt(ref.encrypt(message)) == message  # lengths around the 32-byte blocks, multi-byte text
    assert ref.decrypt(cipher.encrypt(message)) == message
    assert ref.read_answer(cipher.sealed(message, timestamp_ms=1_700_000_000_000)) == message


# ---- the route on a runtime ----------------------------------------------------------------------------------------
@pytest.fixture
async def fake() -> AsyncIterator[DirectoryFake]:
    server = DirectoryFake()
    org(server)
    await server.start()
    yield server
    await server.stop()


def _config(*, directory: bool = True) -> Config:
    return Config(people=(PersonConfig(id="pm", name="PM", roles=("pm",)), PersonConfig(id="req", name="Requester")),
                  projects=(ProjectConfig(key="PUMP", name="Pump", members=("pm", "req")),),
                  directory=sources("dingtalk") if directory else sources(),
                  dingtalk_events=DingTalkEventsConfig(token=SecretStr(TOKEN), aes_key=SecretStr(AES_KEY)))


async def _serve(url: str, fake: DirectoryFake) -> AsyncIterator[tuple[Runtime, Client]]:
    settings = Settings(database_url=url, dingtalk_client_id=APP_KEY,
                        dingtalk_client_secret=SecretStr("dingtalk-secret"), dingtalk_api_base=fake.base,
                        dingtalk_oapi_base=fake.base)
    rt = Runtime(settings, _config(), console=False, clock=running_clock())
    await rt.open()
    async with TestClient(TestServer(build_app(rt))) as client:
        yield rt, client
    await rt.close()


@pytest.fixture
async def app(fake: DirectoryFake, migrated_sqlite_url: str) -> AsyncIterator[tuple[Runtime, Client]]:
    async for served in _serve(migrated_sqlite_url, fake):
        yield served


@pytest.fixture
async def app_on_each_db(fake: DirectoryFake, db_url: str) -> AsyncIterator[tuple[Runtime, Client]]:
    """The app on SQLite and on the real PostgreSQL (migrated first: a PostgreSQL runtime does not migrate)."""
    database = Database(db_url)
    await migrate.upgrade(database)
    await database.dispose()
    async for served in _serve(db_url, fake):
        yield served


async def _push(client: Client, rt: Runtime, event: dict[str, Any] | str, *, owner: str = APP_KEY,
                **kwargs: Any) -> tuple[int, Any]:
    query, body = pusher(owner).request(event, timestamp_ms=int(rt.clock.timestamp() * 1000), **kwargs)
    answer = await client.post(ROUTE, params=query, data=body, headers={"Content-Type": "application/json"})
    return answer.status, await answer.json()


async def _people(rt: Runtime) -> dict[str, tuple[str, bool]]:
    async with rt.db.read() as s:
        return {r.id: (r.name, r.active) for r in (await s.execute(select(PersonRow))).scalars().all()}


async def _inbox(rt: Runtime) -> int:
    async with rt.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(InboxRow))).scalar_one())


async def test_the_consoles_url_check_is_answered_with_encrypted_success(app: tuple[Runtime, Client]) -> None:
    rt, client = app
    status, answer = await _push(client, rt, {"EventType": "check_url"})
    assert status == 200
    assert pusher(APP_KEY).read_answer(answer) == "success"
    assert abs(int(answer["timeStamp"]) / 1000 - rt.clock.timestamp()) < 60  # our clock's, in ms
    assert await _inbox(rt) == 0  # a URL check stores nothing


async def test_address_book_events_change_people_once_the_worker_runs(app_on_each_db: tuple[Runtime, Client],
                                                                      fake: DirectoryFake) -> None:
    rt, client = app_on_each_db
    await rt.directory_sync.sync(progress=lambda line: None, actor="test")
    async with rt.db.write() as s:
        approval = await SqlWorkspace(s, default_locale="en").create_approval(
            project="PUMP", requester="req", approvers=("dev4",), subject="New pump", amount=Decimal("48000.00"),
            origin="chat", now=rt.clock.now())
    before = await _people(rt)
    fake.people[2].name = "Dev Three"
    fake.people.append(Someone(n=77, name="New Hire", email="new@corp.cn", employee_id="E77", dept="4", manager=2))
    fake.people[3].active = False  # dev4 left
    events = [  # the HTTP push's forms: the documented one (eventId, userId) and the older one (UserId, no eventId)
        {"EventType": "user_modify_org", "EventTime": 1663143335567, "CorpId": "ding-corp", "eventId": "ev-1",
         "timeStamp": "1685501863357", "userId": ["u3"]},
        {"EventType": "user_add_org", "TimeStamp": "1608017258073", "CorpId": "ding-corp", "UserId": ["u77"],
         "OptStaffId": "manager164"},
        {"EventType": "user_leave_org", "eventId": "ev-3", "UserId": ["u4"]},
        {"EventType": "bpms_instance_change", "eventId": "ev-4", "processInstanceId": "pi-1", "type": "finish"},
    ]
    for event in events:
        status, answer = await _push(client, rt, event)
        assert status == 200 and pusher(APP_KEY).read_answer(answer) == "success"
    status, _ = await _push(client, rt, events[0])  # DingTalk pushes it again: recognised by its eventId
    assert status == 200
    assert await _people(rt) == before  # the ack path wrote nobody: the worker does
    assert await _inbox(rt) == 3  # the approval event is acknowledged and not kept
    assert await rt.dispatcher.run_once() == 3
    found = await _people(rt)
    assert found["dev3"] == ("Dev Three", True) and found["new"] == ("New Hire", True) and found["dev4"][1] is False
    async with rt.db.read() as s:
        row = await s.get(ApprovalRow, approval.id)
        assert row is not None and row.approvers == ["lead"]  # the leaver's approval went to their manager
    assert await rt.dispatcher.run_once() == 0


def _tamper(encrypt: str) -> str:
    return ("A" if encrypt[0] != "A" else "B") + encrypt[1:]


@pytest.mark.parametrize(("case", "status", "why"), [
    ("bad signature", 401, "does not match"), ("no signature", 401, "missing"), ("signature not hex", 401, "SHA-1"),
    ("stale", 401, "window"), ("future", 401, "window"), ("timestamp leading zero", 401, "malformed"),
    ("timestamp not a number", 401, "malformed"), ("nonce junk", 401, "malformed"),
    ("wrong receiver", 403, "receiver"), ("bad base64", 400, "base64"), ("not whole blocks", 400, "blocks"),
    ("bad padding", 400, "padding"), ("length field too long", 400, "length field"), ("not utf-8", 400, "UTF-8"),
    ("not json", 400, "not valid JSON"), ("no EventType", 400, "EventType"), ("body not json", 400, "body"),
    ("no encrypt", 400, "encrypt"), ("encrypt not a string", 400, "encrypt"), ("huge body", 413, "larger"),
    ("huge chunked body", 413, "larger"),
])
async def test_hostile_pushes_get_a_4xx_with_a_reason(app: tuple[Runtime, Client], case: str, status: int,
                                                      why: str, caplog: pytest.LogCaptureFixture) -> None:
    rt, client = app
    ref = pusher(APP_KEY)
    now_ms = int(rt.clock.timestamp() * 1000)
    event = {"EventType": "user_add_org", "eventId": "ev-h", "UserId": ["u3"]}
    query, body = ref.request(event, timestamp_ms=now_ms)
    raw_encrypt = json.loads(body)["encrypt"]

    def signed(encrypt: str, stamp: str | None = None, nonce: str = "380320111") -> tuple[dict[str, str], bytes]:
        q, b = ref.request(event, timestamp_ms=now_ms, nonce=nonce, encrypt=encrypt)
        if stamp is not None:
            q = {**q, "timestamp": stamp, "msg_signature": _sign(stamp, nonce, encrypt)}
        return q, b

    def raw_block(data: bytes, *, pad: bool = True) -> str:  # encrypted and signed, holding `data` as plaintext
        data += bytes([32 - len(data) % 32]) * (32 - len(data) % 32) if pad else b""
        return base64.b64encode(AES.new(ref.key, AES.MODE_CBC, ref.key[:16]).encrypt(data)).decode()

    cases: dict[str, Any] = {
        "bad signature": lambda: ({**query, "msg_signature": "0" * 40}, body),
        "no signature": lambda: ({k: v for k, v in query.items() if k != "msg_signature"}, body),
        "signature not hex": lambda: ({**query, "msg_signature": "<script>"}, body),
        "stale": lambda: signed(raw_encrypt, str(now_ms - 3_700_000)),
        "future": lambda: signed(raw_encrypt, str((now_ms + 3_700_000) // 1000)),
        "timestamp leading zero": lambda: signed(raw_encrypt, "0" + str(now_ms)),
        "timestamp not a number": lambda: signed(raw_encrypt, "1e12"),
        "nonce junk": lambda: signed(raw_encrypt, nonce="a b\n"),
        "wrong receiver": lambda: pusher("ding-another-app").request(event, timestamp_ms=now_ms),
        "bad base64": lambda: signed("not base64 at all!!"),
        "not whole blocks": lambda: signed(base64.b64encode(base64.b64decode(raw_encrypt)[:-16]).decode()),
        "bad padding": lambda: signed(raw_block(b"x" * 64, pad=False)),
        "length field too long": lambda: signed(raw_block(b"r" * 16 + (10_000).to_bytes(4, "big") + b"{}"
                                                          + APP_KEY.encode())),
        "not utf-8": lambda: signed(raw_block(b"r" * 16 + (2).to_bytes(4, "big") + b"\xff\xfe" + APP_KEY.encode())),
        "not json": lambda: signed(ref.encrypt("not json")),
        "no EventType": lambda: signed(ref.encrypt(json.dumps({"UserId": ["u3"]}))),
        "body not json": lambda: (query, b"\xff{not json"),
        "no encrypt": lambda: (query, b'{"encrypted": "x"}'),
        "encrypt not a string": lambda: (query, b'{"encrypt": ["x"]}'),
        "huge body": lambda: (query, b'{"encrypt": "' + b"A" * 300_000 + b'"}'),
        "huge chunked body": lambda: (query, _chunks(b'{"encrypt": "' + b"A" * 300_000 + b'"}')),
    }
    q, b = cases[case]()
    with caplog.at_level(logging.INFO):
        answer = await client.post(ROUTE, params=q, data=b, headers={"Content-Type": "application/json"})
    assert answer.status == status, await answer.text()
    reason = (await answer.json())["error"]
    assert isinstance(reason, str) and why in reason, reason
    assert await _inbox(rt) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def _sign(stamp: str, nonce: str, encrypt: str) -> str:
    return sha1_signature(TOKEN, stamp, nonce, encrypt)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 65536):
        yield data[i:i + 65536]


async def test_a_replayed_push_changes_nothing_and_is_refused_after_the_window(app: tuple[Runtime, Client]) -> None:
    rt, client = app
    query, body = pusher(APP_KEY).request({"EventType": "user_modify_org", "eventId": "ev-r", "userId": ["u3"]},
                                          timestamp_ms=int(rt.clock.timestamp() * 1000))
    for _ in range(3):  # the same signed bytes again: DingTalk's own retry looks the same; stored once
        answer = await client.post(ROUTE, params=query, data=body, headers={"Content-Type": "application/json"})
        assert answer.status == 200 and pusher(APP_KEY).read_answer(await answer.json()) == "success"
    assert await _inbox(rt) == 1
    set_clock(rt, rt.clock.now() + timedelta(hours=2))
    late = await client.post(ROUTE, params=query, data=body, headers={"Content-Type": "application/json"})
    assert late.status == 401 and "window" in (await late.json())["error"]


# ---- configuration ------------------------------------------------------------------------------------------------
def test_the_configuration_is_checked_with_lines(tmp_path: Path) -> None:
    text = ("locale: en\ndingtalk_events:\n  token: ${DT_TOKEN}\n  aes_key: too-short\n  owner: dingx\n")
    with pytest.raises(ConfigError) as bad:
        parse_config(text, name="pmsbot.yaml", env={"DT_TOKEN": TOKEN})
    lines = str(bad.value).splitlines()
    assert any(line.startswith("pmsbot.yaml:4: dingtalk_events.aes_key: aes_key must be the console's 43")
               for line in lines), lines
    assert any(line.startswith("pmsbot.yaml:5: dingtalk_events.owner: unknown key 'owner'; did you mean "
                               "'owner_key'?") for line in lines), lines
    assert "too-short" not in str(bad.value)
    good = parse_config(f"dingtalk_events:\n  token: ${{DT_TOKEN}}\n  aes_key: {AES_KEY}\n  owner_key: dingcorp\n",
                        name="pmsbot.yaml", env={"DT_TOKEN": TOKEN})
    assert good.dingtalk_events is not None and good.dingtalk_events.owner_key == "dingcorp"


def test_pmsbot_check_says_where_the_push_goes(capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(directory=False)
    assert check_dingtalk_events(Settings(), config) == 1
    assert "FAIL dingtalk_events" in capsys.readouterr().out
    settings = Settings(dingtalk_client_id=APP_KEY, dingtalk_client_secret=SecretStr("x"),
                        pmsbot_public_url="https://bot.example.cn/")
    assert check_dingtalk_events(settings, config) == 0
    out = capsys.readouterr().out
    assert f"ok   dingtalk_events: encrypted HTTP push at https://bot.example.cn{ROUTE}, receiver id the app key " \
           f"{APP_KEY}" in out
    assert "WARN dingtalk_events: no dingtalk directory source" in out


@FUZZ
@given(mutation=MUTATION, junk=st.binary(max_size=300) | st.just(b"[" * 5_000 + b"]" * 5_000))
async def test_signed_but_malformed_events_and_junk_never_get_a_5xx(app: tuple[Runtime, Client],
                                                                     caplog: pytest.LogCaptureFixture,
                                                                     mutation: tuple[list[int], Any],
                                                                     junk: bytes) -> None:
    """Any JSON value anywhere in a correctly encrypted and signed event (so it reaches our parsing), and junk."""
    rt, client = app
    path, replacement = mutation
    event = mutate({"EventType": "user_modify_org", "eventId": "ev-f", "CorpId": "ding-corp", "UserId": ["u3"],
                    "TimeStamp": "1608017258073"}, path, replacement)
    status, _ = await _push(client, rt, json.dumps(event))
    answered_well(status, caplog, "dingtalk event push")
    query, _ = pusher(APP_KEY).request({"EventType": "check_url"}, timestamp_ms=int(rt.clock.timestamp() * 1000))
    answer = await client.post(ROUTE, params=query, data=junk, headers={"Content-Type": "application/json"})
    answered_well(answer.status, caplog, "dingtalk event push (junk)")
