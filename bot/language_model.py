"""An optional language model's reading of a field report the rules were unsure of: an OpenAI-compatible
`POST {url}/chat/completions` (a hosted API or a local model server), asked only when PMSBOT_LLM_URL is set.

What leaves the machine is the message's text (credentials redacted) and the task keys it names: no person, no
project, no other data. What comes back is a proposal, never a write: it is checked strictly (only the writes
below, on keys the message names, values in range, nothing contradicting itself) and, if it passes, shown to
the person as a confirmation (`model.Confirm`, reason "model") written only when they apply it. Anything else —
a timeout, a refused or throttled call, an answer too large, not JSON or not the schema — is ignored: the rules'
own question goes back as before, and one line is logged (never the key, never the message).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

import httpx
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.clocks import Clock
from bot.config import Settings
from bot.constants import (
    LLM_MAX_ANSWER_BYTES,
    LLM_MAX_KEYS,
    LLM_MAX_TOKENS,
    LLM_MAX_WRITES,
    LLM_RETRY_AFTER_DEFAULT_S,
    LLM_RETRY_AFTER_MAX_S,
    MAX_REASON_CHARS,
)
from bot.pms.http import retry_after_s
from bot.text import redact_secrets
from commands import model
from commands.errors import ASK_CODES, PARAM_MAX_CHARS
from commands.keys import TASK_KEY_AT
from commands.numbers import HOURS_MAX
from commands.text import clean, normalize

log = logging.getLogger("pmsbot.language_model")

CALLS = Counter("pmsbot_language_model_calls_total", "Suggestions asked of the language model", ["outcome"])

# Every task key in a message (TASK_KEY_AT matches at a position; this finds them anywhere, whole words only).
_KEY_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_\-])" + TASK_KEY_AT.pattern)

SYSTEM_PROMPT = """\
You read short progress messages that engineers send from the field to a project-management bot, in Chinese,
English or both. The bot's rules could not read this message with certainty; propose what its author meant.
Answer with one JSON object and nothing else: {"writes": [ ... ]}, each write one of
  {"kind": "progress", "task": KEY, "percent": INTEGER 0..100}   the task's completion, as a percent
  {"kind": "hours", "task": KEY, "hours": NUMBER above 0, at most 24}   time already spent on the task
  {"kind": "done", "task": KEY}   the task is finished
  {"kind": "block", "task": KEY, "reason": TEXT}   work cannot go on (waiting for parts, a permit, a person)
  {"kind": "unblock", "task": KEY}   what blocked the task is solved
  {"kind": "start", "task": KEY}   work on the task has begun
KEY is one of the task keys given with the message, exactly. Write only what the author clearly said happened:
a question, a plan, an estimate, time still to come, a frequency ("every 2 hours"), a range ("2-3h"), the end of
a working day, or a percent of something other than the task's completion is not a write.
If nothing is clear, answer {"writes": []}."""


class _Write(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, str_strip_whitespace=True)

    task: str = Field(min_length=3, max_length=30)


class _Progress(_Write):
    kind: Literal["progress"]
    percent: int = Field(ge=0, le=100)


class _Hours(_Write):
    kind: Literal["hours"]
    hours: Decimal = Field(ge=Decimal("0.01"), le=HOURS_MAX, allow_inf_nan=False)


class _Done(_Write):
    kind: Literal["done"]


class _Block(_Write):
    kind: Literal["block"]
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)


class _Unblock(_Write):
    kind: Literal["unblock"]


class _Start(_Write):
    kind: Literal["start"]


_AnyWrite = Annotated[_Progress | _Hours | _Done | _Block | _Unblock | _Start, Field(discriminator="kind")]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    writes: list[_AnyWrite] = Field(max_length=LLM_MAX_WRITES)


# Writes that cannot both be meant for one task in one message.
_CONTRADICTIONS = ({"done", "progress"}, {"done", "block"}, {"done", "start"}, {"block", "unblock"}, {"block", "start"})


class Unusable(ValueError):
    """The model answered, but not with something that may be shown: why, in a few words for the log."""


class Refused(Unusable):
    """The server answered with an error status (401, 429, 5xx…)."""


def asks(parsed: model.Command | model.ParseError) -> bool:
    """Whether the rules would ask the person a plain question about this message: where a model may help."""
    return isinstance(parsed, model.ParseError) and parsed.code in ASK_CODES


def task_keys(text: str) -> tuple[str, ...]:
    """The task keys a message names, upper-cased, in order, once each."""
    return tuple(dict.fromkeys(m.group(1).upper() for m in _KEY_IN_TEXT.finditer(text)))


def reading(content: str, keys: Iterable[str]) -> tuple[model.FieldWrite, ...]:
    """The writes a model's answer proposes, checked; raises Unusable. No writes: the model was not sure."""
    start, end = content.find("{"), content.rfind("}")  # a fenced block or a sentence around the object
    if start < 0 or end < start:
        raise Unusable("no JSON object")
    try:
        answer = _Answer.model_validate_json(content[start : end + 1])
    except ValidationError as exc:
        raise Unusable(f"not the schema ({exc.error_count()} errors, first: {exc.errors()[0]['type']})") from None
    allowed = set(keys)
    kinds: dict[str, set[str]] = {}
    for write in answer.writes:
        task = write.task.upper()
        if task not in allowed:
            raise Unusable("a task key the message does not name")
        seen = kinds.setdefault(task, set())
        if write.kind in seen:
            raise Unusable(f"{write.kind} twice for one task")
        seen.add(write.kind)
    if any(pair <= seen for seen in kinds.values() for pair in _CONTRADICTIONS):
        raise Unusable("writes that contradict each other")
    return tuple(w for task in kinds for w in _writes(task, [x for x in answer.writes if x.task.upper() == task]))


def _writes(task: str, given: list[_AnyWrite]) -> list[model.FieldWrite]:
    """One task's writes as the rules would make them: percent and hours together; start or unblock before."""
    percent = next((w.percent for w in given if isinstance(w, _Progress)), None)
    hours = next((_hundredths(w.hours) for w in given if isinstance(w, _Hours)), None)
    out: list[model.FieldWrite] = []
    out += [model.Unblock(task=task) for w in given if isinstance(w, _Unblock)]
    out += [model.Start(task=task) for w in given if isinstance(w, _Start)]
    if any(isinstance(w, _Done) for w in given):
        return [*out, model.Done(task=task, hours=hours)]
    if percent is not None or hours is not None:
        out.append(model.Report(task=task, percent=percent, hours=hours))
    out += [model.Block(task=task, reason=clean(w.reason)[:MAX_REASON_CHARS])
            for w in given if isinstance(w, _Block)]
    return out


def _hundredths(hours: Decimal) -> Decimal:
    """Hours as said (2.5), rounded to hundredths when finer (0.333 → 0.33), in plain digits (1E+1 → 10)."""
    exponent = hours.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return hours.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else hours


class Suggester:
    """Asks the configured model for a reading, within `timeout_s` for the whole call."""

    def __init__(self, *, url: str, model_name: str, api_key: str | None, timeout_s: float, clock: Clock) -> None:
        self.model_name = model_name
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.clock = clock
        self.requests = 0  # calls made (tests read it)
        self._json_mode = True  # response_format json_object, until the server says it does not know it
        self._quiet_until = 0.0  # monotonic: a 429 asked us to wait until then
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=httpx.Timeout(timeout_s),
                                         follow_redirects=False)

    @classmethod
    def configured(cls, settings: Settings, clock: Clock) -> Suggester | None:
        """The suggester the settings ask for; None (and nothing ever sent) when PMSBOT_LLM_URL is unset."""
        if not settings.pmsbot_llm_url or not settings.pmsbot_llm_model:
            return None
        key = settings.pmsbot_llm_api_key
        return cls(url=settings.pmsbot_llm_url, model_name=settings.pmsbot_llm_model,
                   api_key=key.get_secret_value() if key else None, timeout_s=settings.pmsbot_llm_timeout_s,
                   clock=clock)

    async def close(self) -> None:
        await self._client.aclose()

    async def probe(self) -> tuple[bool, str]:
        """`pmsbot check`: is the endpoint there, does it take the key, does it list the model? (ok, what)"""
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._client.get("/models")
        except (TimeoutError, httpx.HTTPError) as exc:
            return False, f"{self.url} unreachable: {type(exc).__name__}"
        if response.status_code != 200:
            return False, f"{self.url}/models answered HTTP {response.status_code}"
        try:
            listed = {str(m.get("id")) for m in response.json().get("data", []) if isinstance(m, dict)}
        except (ValueError, AttributeError):
            listed = set()
        found = "listed" if self.model_name in listed else "not in its /models list (some servers list none)"
        return True, f"{self.url}: model {self.model_name} {found}; asked only where the rules would ask"

    async def suggest(self, text: str) -> model.Confirm | None:
        """A reading of `text` to confirm, or None (the rules' question stands). Never raises for the model's sake."""
        s = normalize(text)
        keys = task_keys(s)
        if not keys or len(keys) > LLM_MAX_KEYS:
            return None  # nothing a proposal could be about: nothing is sent
        if self.clock.monotonic() < self._quiet_until:
            self._none("throttled", f"429 earlier; {self._quiet_until - self.clock.monotonic():.0f} s to wait",
                       level=logging.INFO)
            return None
        started = self.clock.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                writes = await self._ask(redact_secrets(s), keys)
        except (TimeoutError, httpx.TimeoutException):
            self._none("timeout", f"no answer within {self.timeout_s:g} s")
            return None
        except httpx.HTTPError as exc:
            self._none("unreachable", type(exc).__name__)
            return None
        except Refused as exc:
            self._none("refused", str(exc))
            return None
        except Unusable as exc:
            self._none("unusable", str(exc))
            return None
        if not writes:
            self._none("unsure", "no writes proposed", level=logging.INFO)
            return None
        CALLS.labels("suggested").inc()
        log.info("language model: suggested %d write(s) in %.2f s", len(writes), self.clock.monotonic() - started)
        return model.Confirm(items=writes, reason="model", text=clean(s)[:PARAM_MAX_CHARS])

    @staticmethod
    def _none(outcome: str, why: str, *, level: int = logging.WARNING) -> None:
        """No suggestion: counted, and one line logged (the reason only: no key, no message, no traceback)."""
        CALLS.labels(outcome).inc()
        log.log(level, "language model: no suggestion (%s: %s); the rules' question is sent", outcome, why)

    async def _ask(self, text: str, keys: tuple[str, ...]) -> tuple[model.FieldWrite, ...]:
        status, headers, body = await self._post(self._request(text, keys))
        if status == 400 and self._json_mode and b"response_format" in body:
            self._json_mode = False  # a server without JSON mode: asked again without it, and from now on
            status, headers, body = await self._post(self._request(text, keys))
        if status == 429:
            wait_s = min(retry_after_s(httpx.Response(429, headers=headers), now=self.clock.now(),
                                       default_s=LLM_RETRY_AFTER_DEFAULT_S), LLM_RETRY_AFTER_MAX_S)
            self._quiet_until = self.clock.monotonic() + wait_s
            raise Refused(f"HTTP 429, not asked again for {wait_s:.0f} s")
        if status != 200:
            raise Refused(f"HTTP {status}")
        return reading(_content(body), keys)

    def _request(self, text: str, keys: tuple[str, ...]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model_name, "temperature": 0, "max_tokens": LLM_MAX_TOKENS, "stream": False,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": json.dumps({"message": text, "task_keys": list(keys)},
                                                                ensure_ascii=False)}]}
        if self._json_mode:
            request["response_format"] = {"type": "json_object"}
        return request

    async def _post(self, request: dict[str, Any]) -> tuple[int, httpx.Headers, bytes]:
        """(status, headers, body); a body past LLM_MAX_ANSWER_BYTES is not read further (Unusable)."""
        self.requests += 1
        async with self._client.stream("POST", "/chat/completions", json=request) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > LLM_MAX_ANSWER_BYTES:
                    raise Unusable(f"an answer over {LLM_MAX_ANSWER_BYTES} bytes")
            return response.status_code, response.headers, bytes(body)


def _content(body: bytes) -> str:
    """The first choice's message text of a chat completion."""
    try:
        completion = json.loads(body)
        content = completion["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        raise Unusable("not a chat completion") from None
    if not isinstance(content, str):
        raise Unusable("not a chat completion")
    return content
