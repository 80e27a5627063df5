"""Amounts as Money (bot/money.py), read strictly; an ERP's purchase request ("48,000.00" as a string) goes
through its approval chain and only the last step's decision reaches the ERP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.config import Config, PersonConfig, Settings
from bot.config.approvals import ApprovalChainsConfig
from bot.money import BadAmount, Money, parse_money
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from tests.conftest import running_clock
from tests.test_hooks import ERP_TOKEN, Receiver, example_config, failed, receiver

__all__ = ["receiver"]  # the fixture, used by name


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("48,000.00", "48000.00", "CNY"), ("48000", "48000", "CNY"), ("1,234,567.8", "1234567.8", "CNY"),
    ("CNY 48,000.00", "48000.00", "CNY"), ("48000 元", "48000", "CNY"), ("¥48,000.00", "48000.00", "CNY"),
    ("USD 12.50", "12.50", "USD"), ("$12.50", "12.50", "USD"), ("４８０００", "48000", "CNY"),
    ("  48000.00  ", "48000.00", "CNY"), ("JPY 5000", "5000", "JPY"),
])
def test_amounts_read(text: str, amount: str, currency: str) -> None:
    assert parse_money(text) == Money(amount=Decimal(amount), currency=currency)


@pytest.mark.parametrize(("text", "why"), [
    ("48.000,00", "decimal comma"), ("1,5", "decimal comma"), ("48.000.000", "decimal comma"),
    ("48,00", "decimal comma"), ("4,8000", "comma groups"), ("48000.001", "decimal places"),
    ("JPY 50.5", "decimal places"), ("-48000", "not an amount"), ("0", "outside"), ("1e5", "not an amount"),
    ("NaN", "not an amount"), ("Infinity", "not an amount"), ("", "an amount"), ("XBT 5", "currency"),
    ("CNY 5 元", "twice"), ("1" * 41, "an amount"), ("10000000000000", "outside"), ("48 000", "not an amount"),
    ("'; DROP TABLE approval;--", "not an amount"), ("{{ 7*7 }}", "not an amount"),
])
def test_ambiguous_or_malformed_amounts_are_refused(text: str, why: str) -> None:
    with pytest.raises(BadAmount) as info:
        parse_money(text)
    assert why in str(info.value)


def test_yen_sign_and_non_text_values() -> None:
    assert parse_money("¥500", default_currency="JPY").currency == "JPY"
    with pytest.raises(BadAmount, match="yuan and yen"):
        parse_money("¥500", default_currency="USD")
    assert parse_money(48000).amount == 48000
    for value in (48000.5, None, True, [1], {"a": 1}):
        with pytest.raises(BadAmount):
            parse_money(value)


def chained(tmp_path: Path, url: str) -> Config:
    config = example_config(tmp_path, url)
    chains = ApprovalChainsConfig.model_validate({"groups": {"finance": ["frank"]}, "rules": [{
        "name": "purchase", "projects": ["PUMP"], "over": "10,000",
        "steps": [{"name": "PM", "approvers": ["project_approvers"]},
                  {"name": "finance", "approvers": ["group:finance"]}]}]})
    people = config.people if any(p.id == "frank" for p in config.people) else (
        *config.people, PersonConfig(id="frank", name="范磊"))
    return config.model_copy(update={"approval_chains": chains, "people": people})


@pytest.fixture
async def hub(tmp_path: Path, receiver: tuple[Receiver, str]) -> AsyncIterator[tuple[Runtime, TestClient]]:  # type: ignore[type-arg]
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"), chained(tmp_path, receiver[1]),
                 console=True, clock=running_clock())
    await rt.open()
    async with TestClient(TestServer(build_app(rt))) as client:
        yield rt, client
    await rt.close()


async def post(client: TestClient, body: dict[str, Any]) -> int:  # type: ignore[type-arg]
    r = await client.post("/hooks/erp", data=json.dumps(body).encode(),
                          headers={"Authorization": f"Bearer {ERP_TOKEN}"})
    return r.status


async def test_an_erp_request_goes_through_its_chain_and_the_erp_hears_the_end(
        hub: tuple[Runtime, TestClient], receiver: tuple[Receiver, str]) -> None:  # type: ignore[type-arg]
    rt, client = hub
    got, _ = receiver
    request = {"doc_no": "PR-1", "as_of": "2026-11-30T10:12:00+08:00", "kind": "purchase_request",
               "project": "PUMP", "item": "变频器", "amount": "48,000.00", "requested_by": "wangbo"}
    assert await post(client, request) == 200
    assert await post(client, {**request, "doc_no": "PR-2", "amount": "48.000,00"}) == 200
    await drain(rt)
    assert any("decimal comma" in e for e in await failed(rt)), "the ambiguous amount is refused with the reason"
    cards = [m for m in await feed.feed(rt.db, "carol") if "PR-1" in m["text"]]
    assert len(cards) == 1 and "PM" in cards[0]["text"] and "finance" in cards[0]["text"]
    approval_id = cards[0]["card_ref"].split(":")[1]
    await say(rt, "carol", f"同意 {approval_id}")
    await drain(rt)
    assert not got.got, "one step of two decided: the ERP hears nothing yet"
    assert any("PR-1" in m["text"] for m in await feed.feed(rt.db, "frank")), "finance is asked next"
    await say(rt, "frank", f"同意 {approval_id}")
    await drain(rt)
    decision = json.loads(got.got[-1][1])
    assert (decision["ref"], decision["state"], decision["decided_by"], decision["amount"]) == (
        "PR-1", "approved", "frank", "48,000.00")
