"""What the Feishu and DingTalk senders share over HTTP: one client made inside the event loop, the app's access
token, and every OpenAPI answer judged in the platform's own terms (its `Dialect`).

A refused token is fetched again once and the call made once more; "slow down" and "try later" become a
TransientSendError (with the platform's wait hint), anything else not accepted a PermanentSendError. The outbox
owns retries and their backoff: nothing here sleeps and tries again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from notifiers.base import PermanentSendError, TransientSendError
from notifiers.tokens import AccessToken


@dataclass(frozen=True, kw_only=True)
class Dialect:
    """How one platform's OpenAPI answers. HTTP 429 always means "slow down" and 5xx "try later"; the rest is
    told by the answer's error code (`code_of` the JSON body) and status, as each predicate says."""

    platform: str
    auth: Callable[[str], dict[str, str]]  # the headers that carry a token
    code_of: Callable[[dict[str, Any]], object]
    token_refused: Callable[[int, object], bool]  # (status, code): fetch a new token, try once more
    throttled_codes: frozenset[object]  # slow down...
    retry_after_header: str  # ...as long as this header says (seconds)...
    retry_after_default_s: float | None  # ...or this when it says nothing
    transient_codes: frozenset[object]  # try again later
    accepted: Callable[[int, object], bool]  # done; anything else is refused for good...
    refusal: Callable[[str, int, object, dict[str, Any]], str]  # ...in these words (path, status, code, answer)
    empty_is_answer: bool = False  # an empty body is an answer ({}), not a failure


async def request_json(client: httpx.AsyncClient, method: str, url: str, *, what: str, empty_is_answer: bool = False,
                       **kwargs: Any) -> tuple[httpx.Response, dict[str, Any]]:
    """One request and its JSON object ({} when the JSON is something else); a failure to connect, to get an
    answer in time or to read it is transient."""
    try:
        r = await client.request(method, url, **kwargs)
        data = r.json() if r.content or not empty_is_answer else {}
    except (httpx.HTTPError, ValueError) as exc:
        raise TransientSendError(f"{what}: {type(exc).__name__}: {exc}") from None
    return r, data if isinstance(data, dict) else {}


def seconds(value: str | None) -> float | None:
    """A wait hint in seconds ("2", "1.5"); None when absent or not a plain number."""
    return float(value) if value and value.replace(".", "", 1).isdigit() else None


class OpenApi:
    """One app's OpenAPI client."""

    def __init__(self, dialect: Dialect, token: AccessToken, *, base_url: str, timeout_s: float) -> None:
        self.dialect = dialect
        self.token = token
        self.base = base_url
        self._timeout_s = timeout_s
        self._http: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        """Made on first use: inside the event loop that uses it. Absolute URLs (webhooks) pass the base by."""
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.base, timeout=self._timeout_s)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def probe(self, found: str) -> tuple[bool, str]:
        """`pmsbot check`: does the app get a token? (ok, `found` or what went wrong); the client is closed after."""
        try:
            await self.token.get()
        except (TransientSendError, PermanentSendError) as exc:
            return False, f"{self.base}: {exc}"
        finally:
            await self.close()
        return True, f"{found} from {self.base}"

    async def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One call with the app's token; the answer, or the platform's refusal raised as a send error."""
        token = await self.token.get()
        r, data = await self._request(method, path, body, token)
        if self.dialect.token_refused(r.status_code, self.dialect.code_of(data)):
            token = await self.token.get(stale=token)  # expired early or revoked: fetch once, try again
            r, data = await self._request(method, path, body, token)
        return self._judged(path, r, data)

    async def _request(self, method: str, path: str, body: dict[str, Any], token: str
                       ) -> tuple[httpx.Response, dict[str, Any]]:
        d = self.dialect
        return await request_json(self.client(), method, path, json=body, headers=d.auth(token),
                                  what=f"{d.platform} {method} {path.split('?')[0]}", empty_is_answer=d.empty_is_answer)

    def _judged(self, path: str, r: httpx.Response, data: dict[str, Any]) -> dict[str, Any]:
        d, status = self.dialect, r.status_code
        code = d.code_of(data)
        if status == 429 or code in d.throttled_codes:
            after = seconds(r.headers.get(d.retry_after_header))
            raise TransientSendError(f"{d.platform} throttled ({code or status})",
                                     retry_after_s=d.retry_after_default_s if after is None else after)
        if status >= 500 or code in d.transient_codes:
            raise TransientSendError(f"{d.platform} HTTP {status} code {code}")
        if not d.accepted(status, code):
            raise PermanentSendError(d.refusal(path, status, code, data), code=code)
        return data
