"""The optional language model (bot/language_model.py) against a fake OpenAI-compatible server: off by default
with nothing sent; on, asked only where the rules would ask, its reading shown for confirmation and written only on
`apply`; every bad answer (nonsense, unknown keys, values out of range, 429, 500, a hang, a huge body) falls back
to the rules' plain question with one log line and no traceback."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select
from sqlmodel import col

from bot.clocks import FakeClock
from bot.config import Settings
from bot.language_model import Suggester, Unusable, reading, task_keys
from bot.records import InboundEvent
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store.models import InboxRow, ProgressRow, ProposalRow, TaskRow
from commands import model
from tests.conftest import demo_config, running_clock
from tests.fakes.openai import API_KEY, MODEL, Answer, FakeOpenAI

TIMEOUT_S = 2.0
UNCLEAR = "PUMP-4 泵装了两三个小时 差不多一半了"  # the rules ask: a range of hours is not time spent
QUESTION = "未写入：「两三个小时」不是已用工时"  # their question (templates/catalog/zh.yaml parse.unclear_hours)


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    await fake.start()
    yield fake
    await fake.stop()


def llm_settings(fake: FakeOpenAI, **more: Any) -> dict[str, Any]:
    return {"pmsbot_llm_url": fake.v1, "pmsbot_llm_model": MODEL, "pmsbot_llm_api_key": SecretStr(API_KEY),
            "pmsbot_llm_timeout_s": TIMEOUT_S, **more}


@pytest.fixture
async def rt_llm(sqlite_url: str, request: pytest.FixtureRequest, llm: FakeOpenAI) -> AsyncIterator[Runtime]:
    """The seeded demo runtime with the language model on, pointed at the fake."""
    from bot.demo.seed import seed

    runtime = Runtime(Settings(database_url=sqlite_url, **llm_settings(llm)), demo_config(), console=True,
                      clock=running_clock(request))
    await runtime.open()
    await seed(runtime)
    yield runtime
    await runtime.close()


async def texts(rt: Runtime, person: str, text: str) -> str:
    return "\n".join(r.text for r in await say(rt, person, text))


async def state(rt: Runtime, key: str = "PUMP-4") -> tuple[int, int, str, int, int]:
    """(percent, minutes spent, status) of the task, and how many progress writes and proposals there are."""
    async with rt.db.read() as s:
        row = (await s.execute(select(TaskRow).where(col(TaskRow.key) == key))).scalar_one()
        writes = int((await s.execute(select(func.count()).select_from(ProgressRow))).scalar_one())
        proposals = int((await s.execute(select(func.count()).select_from(ProposalRow))).scalar_one())
    return row.percent, row.spent_min, row.status, writes, proposals


def no_trace(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text and API_KEY not in caplog.text


# ---- off by default ---------------------------------------------------------------------------------------------

async def test_off_by_default_nothing_leaves(rt: Runtime, llm: FakeOpenAI) -> None:
    assert rt.suggester is None, "no PMSBOT_LLM_URL: no model"
    for text in (UNCLEAR, "PUMP-4 今天先到这", "done for today PUMP-4"):
        assert "未写入" in await texts(rt, "bob", text)
    assert llm.count() == 0


def test_a_model_and_key_without_url_stay_off(llm: FakeOpenAI) -> None:
    settings = Settings(**llm_settings(llm, pmsbot_llm_url=None))
    assert Suggester.configured(settings, FakeClock(datetime(2025, 3, 3, tzinfo=UTC))) is None


@pytest.mark.parametrize(("given", "says"), [
    ({"pmsbot_llm_url": "ftp://model"}, "PMSBOT_LLM_URL"),
    ({"pmsbot_llm_model": None}, "PMSBOT_LLM_MODEL"),
    ({"pmsbot_llm_timeout_s": 0}, "PMSBOT_LLM_TIMEOUT_S"),
    ({"pmsbot_llm_timeout_s": 600}, "PMSBOT_LLM_TIMEOUT_S"),
])
def test_settings_are_checked(llm: FakeOpenAI, given: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Settings(**llm_settings(llm, **given))


def test_the_key_is_a_secret(llm: FakeOpenAI) -> None:
    settings = Settings(**llm_settings(llm))
    assert API_KEY not in repr(settings) and API_KEY not in str(settings.model_dump())


# ---- on: a suggestion to confirm --------------------------------------------------------------------------------

async def test_a_suggestion_is_confirmed_before_anything_is_written(rt_llm: Runtime, llm: FakeOpenAI) -> None:
    before = await state(rt_llm)
    llm.propose({"kind": "progress", "task": "PUMP-4", "percent": 50}, {"kind": "hours", "task": "pump-4", "hours": 2.5})
    out = await texts(rt_llm, "bob", UNCLEAR)
    assert "还没有写入" in out and "PUMP-4 进度 50%，工时 2.5h" in out and "语言模型" in out, out
    after = await state(rt_llm)
    assert after[:4] == before[:4] and after[4] == before[4] + 1, "a proposal, no write"

    # What was sent: the message and its task keys, the model, the key as a bearer token; nobody's name.
    assert llm.count("POST", "/v1/chat/completions") == 1
    seen = llm.requests[0]
    assert seen.headers["Authorization"] == f"Bearer {API_KEY}" and seen.body["model"] == MODEL
    assert llm.sent() == {"message": UNCLEAR, "task_keys": ["PUMP-4"]}
    assert not {"bob", "王波", "console"} & set(json.dumps(seen.body, ensure_ascii=False).split('"'))

    async with rt_llm.db.read() as s:
        proposal = (await s.execute(select(ProposalRow).order_by(col(ProposalRow.id).desc()))).scalars().first()
    assert proposal is not None and proposal.kind == "confirm"
    await texts(rt_llm, "bob", f"apply {proposal.id}")
    percent, spent, _, writes, _ = await state(rt_llm)
    assert (percent, spent - before[1], writes) == (50, 150, before[3] + 1), "written once, as shown"


async def test_several_tasks_in_one_suggestion(rt_llm: Runtime, llm: FakeOpenAI) -> None:
    llm.propose({"kind": "hours", "task": "PUMP-4", "hours": 3}, {"kind": "block", "task": "PUMP-7", "reason": "缺料"})
    out = await texts(rt_llm, "bob", "PUMP-4 弄了两三个小时，PUMP-7 今天先到这 缺料")
    assert "PUMP-4，工时 3h" in out, out
    assert "PUMP-7 阻塞：缺料" in out and "还没有写入" in out
    assert llm.sent()["task_keys"] == ["PUMP-4", "PUMP-7"]


async def test_the_model_is_asked_only_where_the_rules_would_ask(rt_llm: Runtime, llm: FakeOpenAI) -> None:
    for text in ("PUMP-4 60% 2h",  # clear: written by the rules
                 "PUMP-4 七八成",  # the rules' own confirmation
                 "PUMP-4 每4小时巡检一次",  # a frequency: answered, not an unclear reading
                 "今天先到这",  # no task key: nothing a suggestion could be about
                 "status PUMP"):
        await texts(rt_llm, "bob", text)
    assert llm.count() == 0
    await texts(rt_llm, "bob", "PUMP-4 今天先到这")
    assert llm.count() == 1


async def test_a_stranger_s_message_is_not_sent(rt_llm: Runtime, llm: FakeOpenAI) -> None:
    await rt_llm.inbox.accept(InboundEvent(platform="console", event_id="stranger-1", kind="message",
                                           sender="nobody", conversation="nobody", text=UNCLEAR,
                                           received_at=rt_llm.clock.now()))
    await drain(rt_llm)
    async with rt_llm.db.read() as s:
        row = (await s.execute(select(InboxRow).where(col(InboxRow.event_id) == "stranger-1"))).scalar_one()
    assert row.state == "done" and llm.count() == 0


async def test_a_server_without_json_mode_is_asked_without_it(llm: FakeOpenAI) -> None:
    llm.json_mode = False
    suggester = Suggester(url=llm.v1, model_name=MODEL, api_key=API_KEY, timeout_s=TIMEOUT_S,
                          clock=FakeClock(datetime(2025, 3, 3, tzinfo=UTC), ticking=True))
    try:
        llm.propose({"kind": "done", "task": "A-1"})
        first = await suggester.suggest("A-1 收尾了吧")
        llm.propose({"kind": "start", "task": "A-2"})
        second = await suggester.suggest("A-2 开搞")
    finally:
        await suggester.close()
    assert first is not None and first.items == (model.Done(task="A-1"),) and first.reason == "model"
    assert second is not None and second.items == (model.Start(task="A-2"),)
    assert ["response_format" in r.body for r in llm.requests] == [True, False, False]


# ---- every failure: the rules' question, one log line, no traceback -------------------------------------------------

FAILURES: dict[str, Answer] = {
    "prose": Answer(content="Sure! PUMP-4 is going well, about half done I would say."),
    "not_json": Answer(content='{"writes": [{"kind": "progress", "task": "PUMP-4", percent: 50}]}'),
    "other_shape": Answer(content='{"kind": "progress", "task": "PUMP-4", "percent": 50}'),
    "unknown_key": Answer(content='{"writes": [{"kind": "progress", "task": "PUMP-9", "percent": 50}]}'),
    "percent_out_of_range": Answer(content='{"writes": [{"kind": "progress", "task": "PUMP-4", "percent": 150}]}'),
    "hours_out_of_range": Answer(content='{"writes": [{"kind": "hours", "task": "PUMP-4", "hours": 30}]}'),
    "percent_as_text": Answer(content='{"writes": [{"kind": "progress", "task": "PUMP-4", "percent": "50"}]}'),
    "unknown_write": Answer(content='{"writes": [{"kind": "delete", "task": "PUMP-4"}]}'),
    "extra_field": Answer(content='{"writes": [{"kind": "done", "task": "PUMP-4", "assignee": "bob"}]}'),
    "contradiction": Answer(content='{"writes": [{"kind": "done", "task": "PUMP-4"}, '
                                    '{"kind": "progress", "task": "PUMP-4", "percent": 50}]}'),
    "nothing_proposed": Answer(content='{"writes": []}'),
    "not_a_completion": Answer(raw=b'{"object": "list", "data": []}'),
    "html": Answer(raw=b"<html><body>502 Bad Gateway</body></html>"),
    "deeply_nested": Answer(raw=b"[" * 60_000),
    "huge": Answer(content='{"writes": []}' + " " * 200_000),
    "throttled": Answer(status=429, headers={"Retry-After": "120"}),
    "server_error": Answer(status=500),
    "hang": Answer(hang_s=30),
}


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
async def test_a_bad_answer_falls_back_to_the_question(rt_llm: Runtime, llm: FakeOpenAI, failure: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    before = await state(rt_llm)
    llm.answer(FAILURES[failure])
    started = asyncio.get_running_loop().time()
    out = await texts(rt_llm, "bob", UNCLEAR)
    assert asyncio.get_running_loop().time() - started < TIMEOUT_S + 3, "bounded by the timeout"
    assert QUESTION in out and "还没有写入" not in out, out
    assert await state(rt_llm) == before, "nothing written, no proposal"
    assert llm.count() == 1
    lines = [r for r in caplog.records if r.name == "pmsbot.language_model"]
    assert len(lines) == 1 and "no suggestion" in lines[0].getMessage(), [r.getMessage() for r in lines]
    assert UNCLEAR not in caplog.text, "the message is not logged"
    no_trace(caplog)


async def test_a_429_is_honoured(rt_llm: Runtime, llm: FakeOpenAI) -> None:
    llm.answer(Answer(status=429, headers={"Retry-After": "120"}))
    await texts(rt_llm, "bob", UNCLEAR)
    assert QUESTION in await texts(rt_llm, "bob", UNCLEAR)
    assert llm.count() == 1, "not asked again within Retry-After"
    assert isinstance(rt_llm.clock, FakeClock)
    rt_llm.clock.advance(121)
    llm.propose({"kind": "progress", "task": "PUMP-4", "percent": 50})
    assert "还没有写入" in await texts(rt_llm, "bob", UNCLEAR)
    assert llm.count() == 2


async def test_a_wrong_key_is_logged_without_it(llm: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    wrong = "sk-wrong-0123456789abcdef0123456789"
    suggester = Suggester(url=llm.v1, model_name=MODEL, api_key=wrong, timeout_s=TIMEOUT_S,
                          clock=FakeClock(datetime(2025, 3, 3, tzinfo=UTC), ticking=True))
    try:
        assert await suggester.suggest("A-1 今天先到这") is None
    finally:
        await suggester.close()
    assert "HTTP 401" in caplog.text and wrong not in caplog.text
    no_trace(caplog)


async def test_an_unreachable_server_is_one_line(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeOpenAI()
    await fake.start()
    url = fake.v1
    await fake.stop()  # nothing listens there any more
    suggester = Suggester(url=url, model_name=MODEL, api_key=API_KEY, timeout_s=TIMEOUT_S,
                          clock=FakeClock(datetime(2025, 3, 3, tzinfo=UTC), ticking=True))
    try:
        assert await suggester.suggest("A-1 今天先到这") is None
    finally:
        await suggester.close()
    assert "unreachable: ConnectError" in caplog.text
    no_trace(caplog)


# ---- the answer's schema ----------------------------------------------------------------------------------------

def test_task_keys_are_whole_words_in_order() -> None:
    assert task_keys("pump-4 and PUMP-7, XPUMP-8x, PUMP-4 again, A-1.5") == ("PUMP-4", "PUMP-7")


@pytest.mark.parametrize(("content", "writes"), [
    ('```json\n{"writes": [{"kind": "done", "task": "a-1", "hours": 1}]}\n```', None),  # hours belong to "hours"
    ('```json\n{"writes": [{"kind": "done", "task": "a-1"}, {"kind": "hours", "task": "A-1", "hours": 0.333}]}\n```',
     (model.Done(task="A-1", hours=Decimal("0.33")),)),
    ('Here you go: {"writes": [{"kind": "unblock", "task": "A-1"}, {"kind": "progress", "task": "A-1", '
     '"percent": 0}]} hope that helps', (model.Unblock(task="A-1"), model.Report(task="A-1", percent=0))),
    ('{"writes": [{"kind": "block", "task": "A-1", "reason": "  等 甲方\\n签字 "}]}',
     (model.Block(task="A-1", reason="等 甲方 签字"),)),
    ('{"writes": [{"kind": "hours", "task": "A-1", "hours": 0}]}', None),
    ('{"writes": [{"kind": "hours", "task": "A-1", "hours": 0.004}]}', None),
    ('{"writes": [{"kind": "hours", "task": "A-1", "hours": 1e1}]}', (model.Report(task="A-1", hours=Decimal(10)),)),
    ('{"writes": [{"kind": "block", "task": "A-1", "reason": "   "}]}', None),
    ('{"writes": [{"kind": "hours", "task": "A-1", "hours": "NaN"}]}', None),
    ('{"writes": [{"kind": "progress", "task": "A-1", "percent": true}]}', None),
    ('{"writes": [{"kind": "progress", "task": "A-1", "percent": 50.0}]}', None),
    ('{"writes": [{"kind": "start", "task": "A-1"}, {"kind": "start", "task": "A-1"}]}', None),
    ('{"writes": [{"kind": "block", "task": "A-1", "reason": ""}]}', None),
    ('{"writes": [{"kind": "block", "task": "A-1", "reason": "x"}, {"kind": "unblock", "task": "A-1"}]}', None),
    ('{"writes": [' + ", ".join(['{"kind": "start", "task": "A-1"}'] * 11) + "]}", None),
    ('{"writes": [], "confidence": 0.2}', None),
    ("[]", None),
])
def test_the_answer_is_read_strictly(content: str, writes: tuple[model.FieldWrite, ...] | None) -> None:
    if writes is None:
        with pytest.raises(Unusable):
            reading(content, ["A-1"])
    else:
        assert reading(content, ["A-1"]) == writes


async def test_check_reaches_the_model_with_the_key(llm: FakeOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.ops import _check_language_model

    assert await _check_language_model(Settings(**llm_settings(llm))) == 0
    assert f"ok   language model: {llm.v1}: model {MODEL} listed" in capsys.readouterr().out
    assert await _check_language_model(Settings(**llm_settings(llm, pmsbot_llm_api_key=SecretStr("sk-no")))) == 1
    out = capsys.readouterr().out
    assert "FAIL language model" in out and "HTTP 401" in out and "sk-no" not in out
    assert await _check_language_model(Settings(**llm_settings(llm, pmsbot_llm_url=None))) == 0
    assert "language model: off" in capsys.readouterr().out
    assert llm.count("GET", "/v1/models") == 2
