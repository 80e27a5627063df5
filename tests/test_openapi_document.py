"""GET /openapi.json: our own HTTP surface, every route the app registers documented and every documented path
routed, and the document a valid OpenAPI 3.1 one. (tests/test_openapi.py is about the Feishu/DingTalk OpenAPI
calls, not this.)"""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from bot.web import openapi
from tests.all_platforms import Client, client, platforms  # noqa: F401 - fixtures

# Served only when configured so, and not in the all-platforms app: the console (PMSBOT_CONSOLE=1), single sign-on
# (sso: in the configuration), DingTalk's event push (dingtalk_events: in the configuration).
CONDITIONAL = {"/dingtalk/event-subscription", "/console", "/console/api/people", "/console/api/messages", "/console/api/actions",
               "/console/api/feed", "/console/api/messages/{id}", "/admin/sso", "/admin/sso/callback"}


def routed(app_routes: list[tuple[str, str]]) -> set[tuple[str, str]]:
    # aiohttp's `{fmt:svg|png}` is OpenAPI's `{fmt}`.
    return {(method.lower(), re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)) for method, path in app_routes
            if method != "HEAD"}


async def test_the_document_is_served_valid_and_matches_the_routes(client: Client) -> None:  # noqa: F811
    answer = await client.get("/openapi.json")
    assert answer.status == 200
    doc = await answer.json()
    assert doc == openapi.document()
    validate(doc)  # OpenAPI 3.1, with its JSON Schema
    app_routes = [(r.method, r.resource.canonical) for r in client.app.router.routes() if r.resource is not None]
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    in_app = routed(app_routes)
    assert in_app - documented == set(), "a route without its documentation"
    assert {(m, p) for m, p in documented - in_app if p not in CONDITIONAL} == set(), "documented, not routed"
    for path, ops in doc["paths"].items():
        named = set(re.findall(r"\{(\w+)\}", path))
        for op in ops.values():
            assert {p["name"] for p in op.get("parameters", []) if p["in"] == "path"} == named, path
            assert op["summary"] and op["responses"]


async def test_health_answers_as_documented(client: Client) -> None:  # noqa: F811
    doc = openapi.document()
    for path in ("/healthz", "/readyz"):
        answer = await client.get(path)
        assert str(answer.status) in doc["paths"][path]["get"]["responses"]
        assert set(await answer.json()) >= {"status"}
