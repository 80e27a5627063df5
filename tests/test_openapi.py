"""The token cache and the OpenAPI call Feishu and DingTalk share (notifiers/tokens.py, notifiers/openapi.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from notifiers.base import PermanentSendError, TransientSendError
from notifiers.openapi import Dialect, OpenApi, seconds
from notifiers.tokens import AccessToken
from tests.fakes.server import FakeServer, IssuedTokens


async def test_a_burst_waits_for_one_fetch_and_a_refused_token_is_fetched_again() -> None:
    fetched: list[str] = []

    async def fetch() -> tuple[str, float]:
        await asyncio.sleep(0.01)  # every caller arrives while the first fetch is under way
        fetched.append(f"t{len(fetched) + 1}")
        return fetched[-1], 7200.0

    token = AccessToken(fetch, refresh_before_s=600.0)
    assert set(await asyncio.gather(*(token.get() for _ in range(20)))) == {"t1"}
    assert await token.get(stale="t1") == "t2" and await token.get(stale="t1") == "t2"  # not fetched twice
    assert token.fetched == 2


async def test_a_lifetime_shorter_than_the_margin_is_still_used_a_minute() -> None:
    async def fetch() -> tuple[str, float]:
        return "short", 30.0

    token = AccessToken(fetch, refresh_before_s=300.0)
    assert await token.get() == await token.get() == "short" and token.fetched == 1


def test_wait_hints_are_plain_seconds() -> None:
    assert [seconds(v) for v in ("2", "1.5", None, "", "soon", "-1", "1.2.3")] == [2.0, 1.5, None, None, None, None,
                                                                                   None]


@dataclass
class Canned(FakeServer):
    """Answers /call with what the test queued, after checking the bearer token it issued."""

    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    tokens: IssuedTokens = field(default_factory=IssuedTokens)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/token", self._token)
        app.router.add_post("/call", self._call)

    async def _token(self, request: web.Request) -> web.Response:
        return web.json_response({"token": self.tokens.issue("c-", now=0.0, ttl_s=7200.0)})

    async def _call(self, request: web.Request) -> web.Response:
        if not self.tokens.valid(request.headers.get("Authorization", "").removeprefix("Bearer "), now=1.0):
            return web.json_response({"code": 401}, status=401)
        status, body, headers = self.answers.pop(0)
        return web.json_response(body, status=status, headers=headers)


DIALECT = Dialect(platform="canned", auth=lambda token: {"Authorization": f"Bearer {token}"},
                  code_of=lambda data: data.get("code"), token_refused=lambda status, code: status == 401,
                  throttled_codes=frozenset({"slow"}), retry_after_header="Retry-After", retry_after_default_s=3.0,
                  transient_codes=frozenset({"busy"}), accepted=lambda status, code: code == 0,
                  refusal=lambda path, status, code, data: f"canned {path}: {code}")


async def test_each_answer_is_judged_in_the_dialect_s_terms() -> None:
    server = Canned()
    await server.start()
    api: OpenApi | None = None
    try:
        async def fetch() -> tuple[str, float]:
            assert api is not None
            data = (await api.client().post("/token")).json()
            return str(data["token"]), 7200.0

        api = OpenApi(DIALECT, AccessToken(fetch, refresh_before_s=600.0), base_url=server.base, timeout_s=5.0)
        server.answers.append((200, {"code": 0, "id": 1}, {}))
        assert await api.call("POST", "/call", {}) == {"code": 0, "id": 1}
        server.tokens.expire_all()  # revoked early: fetched again once, the call made again
        server.answers.append((200, {"code": 0, "id": 2}, {}))
        assert (await api.call("POST", "/call", {}))["id"] == 2 and api.token.fetched == 2
        waits: list[float | None] = []  # throttled: the header's wait, else the dialect's; try later: none
        for status, body, headers in [(429, {}, {"Retry-After": "7"}), (200, {"code": "slow"}, {}),
                                      (503, {}, {}), (200, {"code": "busy"}, {})]:
            server.answers.append((status, body, headers))
            with pytest.raises(TransientSendError) as later:
                await api.call("POST", "/call", {})
            waits.append(later.value.retry_after_s)
        assert waits == [7.0, 3.0, None, None]
        server.answers.append((400, {"code": "nope"}, {}))
        with pytest.raises(PermanentSendError, match="canned /call: nope"):
            await api.call("POST", "/call", {})
    finally:
        if api is not None:
            await api.close()
        await server.stop()
