"""Hostile input at the webhook intake of configured sources: correctly authenticated but malformed bodies
(the example MES source signs with HMAC and a timestamp; the ERP source sends a bearer token) never get a 5xx,
and the process stays healthy. Budget as in tests/test_fuzz.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given

from tests.test_fuzz import FUZZ, MUTATION, answered_well, mutate
from tests.test_hooks import ERP_TOKEN, mes_headers, payload
from tests.test_hooks import client as client
from tests.test_hooks import receiver as receiver
from tests.test_hooks import rt as rt

Client = TestClient  # type: ignore[type-arg]


@FUZZ
@given(mutation=MUTATION)
async def test_signed_mes_deliveries(client: Client, caplog: pytest.LogCaptureFixture,
        mutation: tuple[list[int], Any]) -> None:
    path, replacement = mutation
    body = json.dumps(mutate(json.loads(payload("mes-work-order.json")), path, replacement)).encode()
    r = await client.post("/hooks/mes", data=body, headers={**mes_headers(body), "Content-Type": "application/json"})
    answered_well(r.status, caplog, "mes")


@FUZZ
@given(mutation=MUTATION)
async def test_erp_deliveries_with_the_token(client: Client, caplog: pytest.LogCaptureFixture,
        mutation: tuple[list[int], Any]) -> None:
    path, replacement = mutation
    body = json.dumps(mutate(json.loads(payload("erp-budget.json")), path, replacement)).encode()
    r = await client.post("/hooks/erp", data=body, headers={"Authorization": f"Bearer {ERP_TOKEN}",
                                                            "Content-Type": "application/json"})
    answered_well(r.status, caplog, "erp")
    assert (await client.get("/healthz")).status == 200
