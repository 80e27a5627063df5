"""Hostile input at every HTTP entry point: correctly signed but malformed bodies, and junk, never get a 5xx.

Each test mutates a genuine request (a value anywhere replaced by any JSON value, deep nesting, huge strings,
wrong types) and signs it as the platform would, so the mutation reaches our parsing, not only the signature
check. `make test` runs a small budget per entry point; `make fuzz` runs PMSBOT_FUZZ_EXAMPLES of each.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any
from urllib.parse import quote, unquote

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.all_platforms import client as client
from tests.all_platforms import platforms as platforms
from tests.fakes import dingtalk as fake_dingtalk
from tests.fakes import feishu as fake_feishu
from tests.fakes import slack as fake_slack
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import FakeFeishu
from tests.fakes.slack import FakeSlack

EXAMPLES = int(os.environ.get("PMSBOT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="PMSBOT_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

Client = TestClient  # type: ignore[type-arg]

# Any JSON value, including the awkward ones: huge numbers, control characters, lone surrogates, deep nesting.
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=False) | st.text(max_size=40)
           | st.sampled_from(["", "\x00", "\ud800", "PUMP-1", "PUMP-99999999999", "approve", "0" * 500, "%s%n",
                              "<script>", "{{7*7}}", "../../etc/passwd", "2147483648", "-1"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                          max_size=4), max_leaves=12)


def deep(n: int) -> Any:
    value: Any = "x"
    for _ in range(n):
        value = {"a": [value]}
    return value


def mutate(template: Any, path: list[int], replacement: Any) -> Any:
    """`template` with the value at a pseudo-random place (chosen by `path`) replaced."""
    if not path or not isinstance(template, dict | list) or not template:
        return replacement
    if isinstance(template, dict):
        keys = sorted(template)
        key = keys[path[0] % len(keys)]
        return {**template, key: mutate(template[key], path[1:], replacement)}
    i = path[0] % len(template)
    return [*template[:i], mutate(template[i], path[1:], replacement), *template[i + 1:]]


MUTATION = st.tuples(st.lists(st.integers(min_value=0, max_value=50), max_size=5),
                     JSON | st.just(deep(200)) | st.just("x" * 20_000))


def answered_well(status: int, caplog: pytest.LogCaptureFixture, where: str) -> None:
    """A hostile request gets a 4xx (or an ignored 200), never a 5xx, and nothing is logged as an error."""
    assert status < 500, f"{where}: {status}"
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR], f"{where}: logged as an error"


@FUZZ
@given(mutation=MUTATION, as_form=st.booleans())
async def test_slack_events(client: Client, caplog: pytest.LogCaptureFixture, platforms: tuple[FakeSlack, FakeFeishu, FakeDingTalk],
                            mutation: tuple[list[int], Any], as_form: bool) -> None:
    path, replacement = mutation
    event = fake_slack.message_event("my", user="U0CAROL", channel="D0CAROL")
    if as_form:  # a block action: a form with a JSON `payload`
        raw = fake_slack.block_action("approve", "1", user="U0CAROL", channel="C0PUMP", message_ts="1.1",
                                      response_url=platforms[0].response_url(channel="C0PUMP", user="U0CAROL"))
        template = json.loads(unquote(raw.decode().removeprefix("payload=")))
        body = ("payload=" + quote(json.dumps(mutate(template, path, replacement)))).encode()
    else:
        body = json.dumps(mutate(json.loads(fake_slack.event_callback(event)), path, replacement)).encode()
    r = await client.post("/slack/events", data=body, headers=fake_slack.sign(body))
    answered_well(r.status, caplog, "slack")


@FUZZ
@given(mutation=MUTATION)
async def test_feishu_events(client: Client, caplog: pytest.LogCaptureFixture,
        mutation: tuple[list[int], Any]) -> None:
    path, replacement = mutation
    envelope = fake_feishu.envelope("im.message.receive_v1", fake_feishu.message_event("my", sender="ou_carol",
                                                                                      chat="oc_carol"))
    body, headers = fake_feishu.signed(mutate(envelope, path, replacement))
    r = await client.post("/feishu/events", data=body, headers=headers)
    answered_well(r.status, caplog, "feishu")


@FUZZ
@given(mutation=MUTATION)
async def test_dingtalk_events(client: Client, caplog: pytest.LogCaptureFixture,
        mutation: tuple[list[int], Any]) -> None:
    path, replacement = mutation
    message = fake_dingtalk.robot_message("my", sender="carol1", conversation="cidp2pcarol")
    body, headers = fake_dingtalk.signed(json.dumps(mutate(message, path, replacement)).encode())
    r = await client.post("/dingtalk/events", data=body, headers=headers)
    answered_well(r.status, caplog, "dingtalk")


@FUZZ
@given(body=JSON | st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
       where=st.sampled_from(["/console/api/messages", "/console/api/actions"]))
async def test_console_api(client: Client, caplog: pytest.LogCaptureFixture,
        body: Any, where: str) -> None:
    r = await client.post(where, data=json.dumps(body), headers={"Content-Type": "application/json"})
    answered_well(r.status, caplog, where)


@FUZZ
@given(raw=st.binary(max_size=300) | st.just(b"[" * 5_000 + b"]" * 5_000)
       | st.just(b'{"type":"event_callback","event":' * 300), where=st.sampled_from([
    "/slack/events", "/feishu/events", "/dingtalk/events", "/console/api/messages", "/hooks/nope",
    "/admin/login", "/dingtalk/decide/abc", "/r/abc"]),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                     "multipart/form-data; boundary=x", "text/plain", ""]))
async def test_junk_anywhere(client: Client, caplog: pytest.LogCaptureFixture,
        raw: bytes, where: str, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = await client.post(where, data=raw, headers=headers)
    answered_well(r.status, caplog, where)
    assert (await client.get("/healthz")).status == 200
