"""A fake OpenAI-compatible chat completions API on 127.0.0.1 (what a hosted API or a local model server — vLLM,
llama.cpp's server, Ollama — answers at `POST /v1/chat/completions`).

It checks a request as the real API does: `Authorization: Bearer` with the key (401 `invalid_api_key`), a JSON body
with a known `model` (404 `model_not_found`), `messages` of {role, content}, no unknown parameters, and — with
`response_format: {"type": "json_object"}` — the word "JSON" somewhere in the messages (400). Errors have the API's
shape `{"error": {"message", "type", "param", "code"}}`. A server without JSON mode (`json_mode=False`) refuses
`response_format` with a 400 naming it, as some local servers do.

What it answers is up to the test: `answer(...)` queues answers (a completion's content, a status with
Retry-After, a raw body, a hang); with none queued it answers `default` ({"writes": []}: nothing proposed).
Every request is recorded in `requests` (method, path, headers, body).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import CountsRequests, Failures, FakeServer

API_KEY = "sk-test-0123456789abcdef0123456789abcdef"
MODEL = "fake-field-model"
_PARAMETERS = {"model", "messages", "temperature", "max_tokens", "stream", "response_format", "top_p", "seed", "stop",
               "n", "user", "max_completion_tokens"}
_ROLES = {"system", "user", "assistant", "developer"}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True, kw_only=True)
class Answer:
    content: str | None = None  # the completion's message content (status 200)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a body as it is, instead of a completion
    hang_s: float = 0.0  # wait this long (or until the fake stops) before answering


def error(status: int, message: str, *, type_: str, code: str | None = None, param: str | None = None,
          headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"message": message, "type": type_, "param": param, "code": code}},
                             status=status, headers=headers)


@dataclass
class FakeOpenAI(FakeServer, CountsRequests):
    shutdown_timeout_s: ClassVar[float] = 1.0  # a hanging answer does not hold the test's teardown

    json_mode: bool = True
    default: str = '{"writes": []}'
    requests: list[Seen] = field(default_factory=list)
    answers: Failures[Answer] = field(default_factory=Failures)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)

    def answer(self, answer: Answer, n: int = 1) -> None:
        self.answers.add(answer, n)

    def propose(self, *writes: dict[str, Any]) -> None:
        """The next answer: these writes, as a well-behaved model would send them."""
        self.answer(Answer(content=json.dumps({"writes": list(writes)})))

    async def stop(self) -> None:
        self._released.set()
        await super().stop()

    @property
    def v1(self) -> str:
        return f"{self.base}/v1"

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.requests.append(Seen(request.method, request.path, dict(request.headers), body))
        refused = self._check(request, body)
        if refused is not None:
            return refused
        answer = self.answers.take() or Answer(content=self.default)
        if answer.hang_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), timeout=answer.hang_s)
        if answer.raw is not None:
            return web.Response(body=answer.raw, status=answer.status, headers=answer.headers,
                                content_type="application/json")
        if answer.status != 200:
            return error(answer.status, "The server had an error while processing your request."
                         if answer.status >= 500 else "Rate limit reached for requests",
                         type_="server_error" if answer.status >= 500 else "requests",
                         code=None if answer.status >= 500 else "rate_limit_exceeded", headers=answer.headers)
        return web.json_response(self._completion(body, answer.content or ""), headers=answer.headers)

    async def _models(self, request: web.Request) -> web.Response:
        self.requests.append(Seen(request.method, request.path, dict(request.headers), None))
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return error(401, "Incorrect API key provided.", type_="invalid_request_error", code="invalid_api_key")
        return web.json_response({"object": "list", "data": [
            {"id": MODEL, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}]})

    def _check(self, request: web.Request, body: Any) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return error(401, "Incorrect API key provided.", type_="invalid_request_error", code="invalid_api_key")
        if not isinstance(body, dict):
            return error(400, "We could not parse the JSON body of your request.", type_="invalid_request_error")
        unknown = sorted(set(body) - _PARAMETERS)
        if unknown:
            return error(400, f"Unrecognized request argument supplied: {unknown[0]}", type_="invalid_request_error")
        if body.get("model") != MODEL:
            return error(404, f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                         type_="invalid_request_error", code="model_not_found")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and m.get("role") in _ROLES and isinstance(m.get("content"), str)
                for m in messages):
            return error(400, "Invalid 'messages'.", type_="invalid_request_error", param="messages")
        if "response_format" in body:
            if not self.json_mode:
                return error(400, "response_format is not supported by this server", type_="invalid_request_error",
                             param="response_format")
            if body["response_format"] not in ({"type": "json_object"}, {"type": "text"}):
                return error(400, "Invalid 'response_format'.", type_="invalid_request_error",
                             param="response_format")
            if body["response_format"] == {"type": "json_object"} and not any(
                    "json" in m["content"].lower() for m in messages):
                return error(400, "'messages' must contain the word 'json' in some form, to use 'response_format' "
                             "of type 'json_object'.", type_="invalid_request_error", param="messages")
        return None

    def _completion(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        return {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": 1_700_000_000,
                "model": body["model"], "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                                     "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}

    def sent(self, n: int = -1) -> dict[str, Any]:
        """What the user message of request `n` carried ({"message", "task_keys"})."""
        user = [m for m in self.requests[n].body["messages"] if m["role"] == "user"]
        parsed: dict[str, Any] = json.loads(user[-1]["content"])
        return parsed
