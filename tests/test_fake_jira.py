"""The fake Jira (tests/fakes/jira.py) against what Jira does, and its shapes against Atlassian's OpenAPI document."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
from aiohttp import web
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.fakes.jira import (
    API_TOKEN,
    EMAIL,
    NOT_ADF,
    NOT_AUTHENTICATED,
    PAT,
    PROGRESS_FIELD,
    SEARCH_REMOVED,
    UNBOUNDED_JQL,
    FakeJira,
    adf,
    adf_error,
    format_duration,
    parse_duration,
    parse_jql,
)
from tests.fakes.process import serving

ALICE, BOB = "557058:alice", "557058:bob"
SPEC = Path(__file__).parent / "fakes" / "jira_openapi.json"
SPEC_URI = "urn:jira-cloud-platform-v3"
STARTED = "2026-11-30T10:00:00.000+0000"

# What a Cloud client sends (each is checked against the spec's request schema below).
COMMENT_BODY: dict[str, Any] = {"body": {"type": "doc", "version": 1, "content": [
    {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": "Progress"}]},
    {"type": "paragraph", "content": [
        {"type": "mention", "attrs": {"id": ALICE, "text": "@Alice"}},
        {"type": "text", "text": " 40% done, see "},
        {"type": "text", "text": "the log", "marks": [{"type": "link", "attrs": {"href": "https://example.com"}},
                                                      {"type": "strong"}]},
        {"type": "hardBreak"}, {"type": "text", "text": "next: valves", "marks": [{"type": "em"}]}]},
    {"type": "bulletList", "content": [
        {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "pump"}]}]}]},
    {"type": "codeBlock", "attrs": {"language": "text"}, "content": [{"type": "text", "text": "ok"}]},
]}}
WORKLOG_BODY: dict[str, Any] = {"started": STARTED, "timeSpentSeconds": 5400, "comment": adf("pump manifold")}
TRANSITION_BODY: dict[str, Any] = {"transition": {"id": "11"},
                                   "update": {"comment": [{"add": {"body": adf("starting now")}}]}}
CREATE_BODY: dict[str, Any] = {"fields": {"project": {"key": "PMS"}, "summary": "Check the valves",
                                          "issuetype": {"name": "Task"}, "assignee": {"accountId": ALICE},
                                          "duedate": "2026-12-10"}}
EDIT_BODY: dict[str, Any] = {"fields": {PROGRESS_FIELD: 40, "duedate": "2026-12-12"},
                             "update": {"comment": [{"add": {"body": adf("40% now")}}]}}
SEARCH_BODY: dict[str, Any] = {"jql": "assignee = currentUser() AND statusCategory != Done ORDER BY duedate",
                               "maxResults": 50, "fields": ["summary", "status", "duedate", PROGRESS_FIELD]}


# ---- helpers ----------------------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class Clock:
    """A wall clock the test moves by hand (rate-limit windows without sleeping)."""

    def __init__(self, at: float = datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp()) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def auth_headers(fake: FakeJira) -> dict[str, str]:
    if fake.flavor == "cloud":
        return {"Authorization": "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()}
    return {"Authorization": f"Bearer {PAT}"}


async def call(fake: FakeJira, method: str, path: str, *, json_body: Any = None,
               params: dict[str, str] | list[tuple[str, str]] | None = None,
               headers: dict[str, str] | None = None, prefix: str | None = None) -> Reply:
    url = fake.url + (fake.prefix if prefix is None else prefix) + path
    async with aiohttp.ClientSession() as session, session.request(
            method, url, json=json_body, params=params,
            headers=auth_headers(fake) if headers is None else headers) as resp:
        text = await resp.text()
        return Reply(resp.status, json.loads(text) if text else None, dict(resp.headers))


def seed(fake: FakeJira) -> None:
    fake.add_user(ALICE, "Alice Liddell", "alice@example.com", name="alice")
    fake.add_user(BOB, "Bob Stone", "bob@example.com", name="bob")
    fake.add_project("PMS", "Pump")
    fake.add_project("OPS", "Operations")
    fake.add_version("PMS", "M1", date(2026, 12, 15))
    fake.add_version("PMS", "M2", None)
    fake.add_issue("PMS", "Pump manifold", assignee=ALICE, status="In Progress", duedate=date(2026, 12, 1),
                   priority="High", fix_version="M1", original_estimate_s=8 * 3600, time_spent_s=3600,
                   progress=25, created=datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
                   updated=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    fake.add_issue("PMS", "Valve test", assignee=BOB, created=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
                   updated=datetime(2026, 11, 30, 10, 30, tzinfo=UTC))
    fake.add_issue("PMS", "Weekly report", status="Done", duedate="2026-11-20", priority="Low", fix_version="M1",
                   created=datetime(2026, 11, 3, 9, 0, tzinfo=UTC), updated=datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    fake.add_issue("PMS", "Blocked by supplier", assignee="bot", status="Blocked", duedate=date(2026, 12, 5),
                   priority="Highest", created=datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
                   updated=datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    fake.add_issue("OPS", "Ops rota", assignee=ALICE, duedate=date(2026, 11, 25),
                   created=datetime(2026, 11, 5, 9, 0, tzinfo=UTC), updated=datetime(2026, 11, 28, 9, 0, tzinfo=UTC))


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    fake = FakeJira(clock=Clock())
    seed(fake)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def dc() -> AsyncIterator[FakeJira]:
    fake = FakeJira(flavor="dc", clock=Clock())
    seed(fake)
    await fake.start()
    yield fake
    await fake.stop()


async def search(fake: FakeJira, jql: str, **params: str) -> Reply:
    return await call(fake, "GET", "/search/jql", params={"jql": jql, **params})


async def keys(fake: FakeJira, jql: str) -> list[str]:
    reply = await search(fake, jql, maxResults="100")
    assert reply.status == 200, reply.body
    return [issue["key"] for issue in reply.body["issues"]]


# ---- contract: Atlassian's OpenAPI document -------------------------------------------------------------------------
def _openapi_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects are JSON Schema draft 4 plus `nullable`: turn that into a type list."""
    if isinstance(node, dict):
        out = {k: _openapi_to_jsonschema(v) for k, v in node.items()}
        if out.pop("nullable", False) is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_openapi_to_jsonschema(v) for v in node]
    return node


@functools.cache
def _registry() -> Registry[Any]:
    document = _openapi_to_jsonschema(json.loads(SPEC.read_text()))
    resource: Resource[Any] = Resource.from_contents(document, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


def _pointer(*parts: str) -> str:
    return SPEC_URI + "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def conforms(instance: Any, *, path: str, method: str, status: int | None = None) -> None:
    """Validate a response (status given) or a request body (no status) against the operation's schema."""
    where = (["paths", path, method, "responses", str(status)] if status is not None
             else ["paths", path, method, "requestBody"]) + ["content", "application/json", "schema"]
    validator = jsonschema.Draft4Validator({"$ref": _pointer(*where)}, registry=_registry())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method.upper()} {path}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_trimmed_spec_is_small_attributed_and_closed() -> None:
    text = SPEC.read_text()
    assert len(text) < 500_000
    doc = json.loads(text)
    source = doc["info"]["x-source"]
    assert source["repository"] == "jarekbird/jira-api-mcp-wrapper" and source["path"] == "swagger-v3.v3.json"
    assert source["license"] == "Apache-2.0" and source["commitDate"] == "2025-12-25"
    refs = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"].rsplit("/", 1)[1])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)
    assert refs <= set(doc["components"]["schemas"])  # every $ref resolves inside the trimmed file
    assert {"get", "post"} <= set(doc["paths"]["/rest/api/3/search/jql"])


def test_the_contract_check_has_teeth() -> None:
    page = {"issues": [{"id": "1", "key": "A-1", "self": "http://x/rest/api/3/issue/1"}], "isLast": True}
    conforms(page, path="/rest/api/3/search/jql", method="get", status=200)
    with pytest.raises(AssertionError, match="total"):  # the old search's paging keys are not in the new shape
        conforms({**page, "total": 1, "startAt": 0}, path="/rest/api/3/search/jql", method="get", status=200)
    with pytest.raises(AssertionError, match="startAt"):
        conforms({"jql": "project = A", "startAt": 50}, path="/rest/api/3/search/jql", method="post")


async def test_cloud_responses_and_client_bodies_match_atlassians_spec(jira: FakeJira) -> None:
    api = "/rest/api/3"
    reply = await call(jira, "GET", "/myself")
    conforms(reply.body, path=api + "/myself", method="get", status=200)
    reply = await call(jira, "GET", "/serverInfo")
    conforms(reply.body, path=api + "/serverInfo", method="get", status=200)
    reply = await call(jira, "GET", "/field")
    conforms(reply.body, path=api + "/field", method="get", status=200)
    reply = await call(jira, "GET", "/project/PMS")
    conforms(reply.body, path=api + "/project/{projectIdOrKey}", method="get", status=200)
    reply = await call(jira, "GET", "/project/PMS/versions")
    assert [v["name"] for v in reply.body] == ["M1", "M2"]
    conforms(reply.body, path=api + "/project/{projectIdOrKey}/versions", method="get", status=200)
    reply = await call(jira, "GET", "/user/search", params={"query": "alice"})
    conforms(reply.body, path=api + "/user/search", method="get", status=200)
    reply = await call(jira, "GET", "/status")
    conforms(reply.body, path=api + "/status", method="get", status=200)
    reply = await call(jira, "GET", "/issue/PMS-1", params={"expand": "names,schema,transitions"})
    conforms(reply.body, path=api + "/issue/{issueIdOrKey}", method="get", status=200)
    reply = await call(jira, "GET", "/issue/PMS-1/transitions")
    conforms(reply.body, path=api + "/issue/{issueIdOrKey}/transitions", method="get", status=200)

    conforms(SEARCH_BODY, path=api + "/search/jql", method="post")
    reply = await call(jira, "POST", "/search/jql", json_body={**SEARCH_BODY, "maxResults": 1})
    assert reply.status == 200 and reply.body["issues"][0]["key"] == "PMS-4" and "nextPageToken" not in reply.body
    conforms(reply.body, path=api + "/search/jql", method="post", status=200)
    reply = await call(jira, "GET", "/search/jql", params={"jql": "project = PMS", "maxResults": "2",
                                                           "fields": "*all", "expand": "names,schema"})
    conforms(reply.body, path=api + "/search/jql", method="get", status=200)

    conforms(COMMENT_BODY, path=api + "/issue/{issueIdOrKey}/comment", method="post")
    reply = await call(jira, "POST", "/issue/PMS-1/comment", json_body=COMMENT_BODY)
    assert reply.status == 201, reply.body
    conforms(reply.body, path=api + "/issue/{issueIdOrKey}/comment", method="post", status=201)
    reply = await call(jira, "GET", "/issue/PMS-1/comment")
    conforms(reply.body, path=api + "/issue/{issueIdOrKey}/comment", method="get", status=200)

    conforms(WORKLOG_BODY, path=api + "/issue/{issueIdOrKey}/worklog", method="post")
    reply = await call(jira, "POST", "/issue/PMS-1/worklog", json_body=WORKLOG_BODY)
    assert reply.status == 201, reply.body
    conforms(reply.body, path=api + "/issue/{issueIdOrKey}/worklog", method="post", status=201)
    reply = await call(jira, "GET", "/issue/PMS-1/worklog")
    conforms(reply.body, path=api + "/issue/{issueIdOrKey}/worklog", method="get", status=200)

    conforms(TRANSITION_BODY, path=api + "/issue/{issueIdOrKey}/transitions", method="post")
    assert (await call(jira, "POST", "/issue/PMS-2/transitions", json_body=TRANSITION_BODY)).status == 204
    conforms(CREATE_BODY, path=api + "/issue", method="post")
    reply = await call(jira, "POST", "/issue", json_body=CREATE_BODY)
    assert reply.status == 201, reply.body
    conforms(reply.body, path=api + "/issue", method="post", status=201)
    conforms(EDIT_BODY, path=api + "/issue/{issueIdOrKey}", method="put")
    assert (await call(jira, "PUT", f"/issue/{reply.body['key']}", json_body=EDIT_BODY)).status == 204
    bad = await call(jira, "POST", "/issue", json_body={"fields": {"project": {"key": "PMS"}}})
    conforms(bad.body, path=api + "/issue", method="post", status=400)


# ---- auth and routing ---------------------------------------------------------------------------------------------
async def test_cloud_takes_basic_email_and_api_token_only(jira: FakeJira) -> None:
    reply = await call(jira, "GET", "/myself")
    assert reply.status == 200 and reply.body["accountId"] == "bot" and reply.body["emailAddress"] == EMAIL
    assert reply.headers["X-AAccountId"] == "bot" and "name" not in reply.body
    wrong = "Basic " + base64.b64encode(f"{EMAIL}:nope".encode()).decode()
    for headers in ({}, {"Authorization": wrong}, {"Authorization": f"Bearer {PAT}"},
                    {"Authorization": f"Bearer {API_TOKEN}"}):
        reply = await call(jira, "GET", "/myself", headers=headers)
        assert reply.status == 401 and reply.body == {"errorMessages": [NOT_AUTHENTICATED], "errors": {}}
    assert (await call(jira, "GET", "/myself", prefix="/rest/api/2")).status == 404
    assert (await call(jira, "DELETE", "/myself")).status == 405


async def test_dc_takes_a_bearer_pat_and_names_users(dc: FakeJira) -> None:
    reply = await call(dc, "GET", "/myself")
    assert reply.status == 200 and reply.body["name"] == "bot" and "accountId" not in reply.body
    basic = "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    assert (await call(dc, "GET", "/myself", headers={"Authorization": basic})).status == 401
    assert (await call(dc, "GET", "/myself", headers={"Authorization": "Bearer other"})).status == 401
    assert (await call(dc, "GET", "/myself", prefix="/rest/api/3")).status == 404
    assert (await call(dc, "GET", "/serverInfo")).body["deploymentType"] == "Server"
    users = await call(dc, "GET", "/user/search", params={"username": "ali"})
    assert [u["name"] for u in users.body] == ["alice"]
    issue = await call(dc, "GET", "/issue/PMS-1", params={"fields": "assignee"})
    assert issue.body["fields"]["assignee"]["name"] == "alice" and "accountId" not in issue.body["fields"]["assignee"]
    reply = await call(dc, "POST", "/issue", json_body={"fields": {
        "project": {"key": "PMS"}, "summary": "DC task", "issuetype": {"name": "Task"}, "assignee": {"name": "bob"}}})
    assert reply.status == 201 and dc.issue(reply.body["key"])["assignee"] == BOB


async def test_revoked_credentials_answer_401_until_restored(jira: FakeJira) -> None:
    jira.revoke_credentials()
    assert (await call(jira, "GET", "/myself")).status == 401
    assert (await search(jira, "project = PMS")).status == 401
    jira.restore_credentials()
    assert (await call(jira, "GET", "/myself")).status == 200


# ---- search ---------------------------------------------------------------------------------------------------------
async def test_search_jql_pages_with_tokens_and_no_total(jira: FakeJira) -> None:
    jira.add_issues("OPS", 118, summary="Load {i}")  # OPS now holds 119 issues
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params = {"jql": "project = OPS ORDER BY key"}
        if token is not None:
            params["nextPageToken"] = token
        reply = await call(jira, "GET", "/search/jql", params=params)
        assert reply.status == 200, reply.body
        pages += 1
        assert "total" not in reply.body and "startAt" not in reply.body and "maxResults" not in reply.body
        for issue in reply.body["issues"]:
            assert set(issue) == {"id", "key", "self"}  # fields default to `id` only
        seen += [i["key"] for i in reply.body["issues"]]
        if reply.body["isLast"]:
            assert "nextPageToken" not in reply.body and len(reply.body["issues"]) == 19
            break
        assert len(reply.body["issues"]) == 50 and isinstance(reply.body["nextPageToken"], str)
        token = reply.body["nextPageToken"]
    assert pages == 3 and len(seen) == len(set(seen)) == 119 and seen[:3] == ["OPS-1", "OPS-2", "OPS-3"]


async def test_search_jql_fields_cap_and_post_body_checks(jira: FakeJira) -> None:
    jira.add_issues("PMS", 150)
    reply = await call(jira, "POST", "/search/jql", json_body={"jql": "project = PMS", "maxResults": 500,
                                                               "fields": ["summary", "status", "-status"]})
    assert len(reply.body["issues"]) == 100 and reply.body["isLast"] is False
    assert set(reply.body["issues"][0]["fields"]) == {"summary"}
    nav = await search(jira, "key = PMS-1", fields="*navigable")
    fields = nav.body["issues"][0]["fields"]
    assert fields["status"]["statusCategory"] == {"self": fields["status"]["statusCategory"]["self"], "id": 4,
                                                  "key": "indeterminate", "colorName": "yellow",
                                                  "name": "In Progress"}
    assert "timetracking" not in fields and "comment" not in fields and fields[PROGRESS_FIELD] == 25.0
    for body in ({"jql": "project = PMS", "startAt": 50}, {"jql": "project = PMS", "expand": ["names"]},
                 {"jql": "project = PMS", "maxResults": "50"}, ["project = PMS"]):
        assert (await call(jira, "POST", "/search/jql", json_body=body)).status == 400, body


async def test_unbounded_jql_is_refused(jira: FakeJira) -> None:
    for jql in ("ORDER BY key DESC", "", "order by updated"):
        reply = await search(jira, jql)
        assert reply.status == 400 and reply.body == {"errorMessages": [UNBOUNDED_JQL], "errors": {}}, jql
    reply = await call(jira, "POST", "/search/jql", json_body={"maxResults": 10})
    assert reply.status == 400 and reply.body["errorMessages"] == [UNBOUNDED_JQL]


async def test_the_removed_search_answers_410(jira: FakeJira) -> None:
    for method, kwargs in (("GET", {"params": {"jql": "project = PMS"}}), ("POST", {"json_body": {"jql": "x"}})):
        reply = await call(jira, method, "/search", **kwargs)  # type: ignore[arg-type]
        assert reply.status == 410 and reply.body == {"errorMessages": [SEARCH_REMOVED], "errors": {}}


async def test_page_tokens_are_checked(jira: FakeJira) -> None:
    first = await search(jira, "project = PMS", maxResults="1")
    token = first.body["nextPageToken"]
    assert (await search(jira, "project = PMS", maxResults="1", nextPageToken=token)).status == 200
    assert (await search(jira, "project = PMS", nextPageToken="bogus")).status == 400
    assert (await search(jira, "project = OPS", nextPageToken=token)).status == 400  # another query's token
    jira.expire_page_tokens()
    reply = await search(jira, "project = PMS", nextPageToken=token)
    assert reply.status == 400 and reply.body["errorMessages"]


async def test_5000_issues_come_in_50_pages_of_100(jira: FakeJira) -> None:
    jira.add_project("BIG", "Big")
    jira.add_issues("BIG", 5000, assignee=ALICE)
    jira.reset_counts()
    seen: set[str] = set()
    body: dict[str, Any] = {"jql": "project = BIG AND statusCategory != Done", "maxResults": 100,
                            "fields": ["summary"]}
    while True:
        reply = await call(jira, "POST", "/search/jql", json_body=body)
        assert reply.status == 200
        seen.update(i["key"] for i in reply.body["issues"])
        if "nextPageToken" not in reply.body:
            break
        body["nextPageToken"] = reply.body["nextPageToken"]
    assert len(seen) == 5000 and jira.count("POST", "/search/jql") == 50 == len(jira.requests)


async def test_dc_search_pages_with_start_at_and_total(dc: FakeJira) -> None:
    dc.add_issues("OPS", 129)  # 130 in OPS
    reply = await call(dc, "GET", "/search", params={"jql": "project = OPS ORDER BY key", "maxResults": "100"})
    assert reply.status == 200 and reply.body["total"] == 130 and reply.body["startAt"] == 0
    assert reply.body["maxResults"] == 100 and len(reply.body["issues"]) == 100
    assert "summary" in reply.body["issues"][0]["fields"]  # DC defaults to navigable fields
    reply = await call(dc, "POST", "/search", json_body={"jql": "project = OPS ORDER BY key", "startAt": 100,
                                                         "maxResults": 50, "fields": ["summary"],
                                                         "expand": ["names"]})
    assert [i["key"] for i in reply.body["issues"]][:2] == ["OPS-101", "OPS-102"] and len(reply.body["issues"]) == 30
    assert reply.body["total"] == 130 and set(reply.body["issues"][0]["fields"]) == {"summary"}
    everything = await call(dc, "GET", "/search", params={"jql": "", "maxResults": "0"})
    assert everything.body["total"] == 134 and everything.body["issues"] == []  # DC allows unbounded JQL
    assert (await call(dc, "GET", "/search/jql", params={"jql": "project = OPS"})).status == 404


# ---- JQL --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("jql", "expected"), [
    ("project = PMS", ["PMS-1", "PMS-2", "PMS-3", "PMS-4"]),
    ("project in (PMS, ops)", ["OPS-1", "PMS-1", "PMS-2", "PMS-3", "PMS-4"]),
    ('assignee = "557058:alice"', ["OPS-1", "PMS-1"]),
    ("assignee = currentUser()", ["PMS-4"]),
    ("assignee is EMPTY", ["PMS-3"]),
    ("assignee IS NOT empty and project = PMS", ["PMS-1", "PMS-2", "PMS-4"]),
    ("assignee != '557058:bob'", ["OPS-1", "PMS-1", "PMS-4"]),  # != never matches an empty field
    ("statusCategory != Done", ["OPS-1", "PMS-1", "PMS-2", "PMS-4"]),
    ("statusCategory = Done", ["PMS-3"]),
    ('statusCategory in ("To Do", indeterminate)', ["OPS-1", "PMS-1", "PMS-2", "PMS-4"]),
    ('status = "In Progress"', ["PMS-1"]),
    ("status in (Blocked, 'To Do')", ["OPS-1", "PMS-2", "PMS-4"]),
    ("status != Done AND project = PMS", ["PMS-1", "PMS-2", "PMS-4"]),
    ("status not in (Done, Blocked) and project = PMS", ["PMS-1", "PMS-2"]),
    ("key in (PMS-1, pms-3)", ["PMS-1", "PMS-3"]),
    ("key = OPS-1", ["OPS-1"]),
    ("issuekey > PMS-2", ["PMS-3", "PMS-4"]),
    ('updated >= "2026-11-30 10:00"', ["PMS-2", "PMS-4"]),
    ('updated >= "2026/11/30 10:00"', ["PMS-2", "PMS-4"]),
    ("updated < 2026-11-29", ["OPS-1"]),
    ("updated >= -3h", ["PMS-1", "PMS-2", "PMS-4"]),  # the clock stands at 2026-11-30 12:00 UTC
    ("created > startOfDay(-27d)", ["OPS-1", "PMS-3", "PMS-4"]),
    ("priority = High", ["PMS-1"]),
    ("priority > Medium", ["PMS-1", "PMS-4"]),
    ('fixVersion = "M1"', ["PMS-1", "PMS-3"]),
    ("fixVersion is EMPTY AND project = PMS", ["PMS-2", "PMS-4"]),
    ("duedate < 2026-11-26", ["OPS-1", "PMS-3"]),
    ("due is empty", ["PMS-2"]),
    ("resolution = Unresolved AND project = PMS", ["PMS-1", "PMS-2", "PMS-4"]),
    ("cf[10050] >= 25", ["PMS-1"]),
    ("summary ~ valve", ["PMS-2"]),
    ("project = OPS OR project = PMS AND status = 'To Do'", ["OPS-1", "PMS-2"]),
    ("NOT status = Done AND (assignee = currentUser() OR priority = High)", ["PMS-1", "PMS-4"]),
])
async def test_jql_clauses(jira: FakeJira, jql: str, expected: list[str]) -> None:
    assert sorted(await keys(jira, jql)) == expected


@pytest.mark.parametrize(("jql", "expected"), [
    ("project = PMS ORDER BY duedate ASC", ["PMS-3", "PMS-1", "PMS-4", "PMS-2"]),  # empty last ascending
    ("project = PMS ORDER BY duedate DESC", ["PMS-2", "PMS-4", "PMS-1", "PMS-3"]),  # and first descending
    ("project = PMS ORDER BY priority DESC, key", ["PMS-4", "PMS-1", "PMS-2", "PMS-3"]),
    ("project in (PMS, OPS) order by updated desc", ["PMS-4", "PMS-2", "PMS-1", "PMS-3", "OPS-1"]),
    ("project in (PMS, OPS) ORDER BY created", ["PMS-1", "PMS-2", "PMS-3", "PMS-4", "OPS-1"]),
    ("project = PMS ORDER BY key DESC", ["PMS-4", "PMS-3", "PMS-2", "PMS-1"]),
    ("project in (OPS, PMS) ORDER BY rank", ["PMS-1", "PMS-2", "PMS-3", "PMS-4", "OPS-1"]),
])
async def test_jql_order_by(jira: FakeJira, jql: str, expected: list[str]) -> None:
    assert await keys(jira, jql) == expected


@pytest.mark.parametrize(("jql", "message"), [
    ("project = ", "Error in the JQL Query: Expecting either a value, list or function but got end of query."),
    ("project PMS", "Error in the JQL Query: Expecting operator but got 'PMS'."),
    ("project = PMS AND", "Error in the JQL Query: Expecting a field name but got end of query."),
    ("project = PMS status = Done", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'status'."),
    ('summary ~ "unterminated', "Error in the JQL Query: The quoted string 'unterminated' has not been completed."),
    ("(project = PMS", "Error in the JQL Query: Expecting ')' but got end of query."),
    ("project = PMS )", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got ')'."),
    ("project = AND", "Error in the JQL Query: Expecting either a value, list or function but got 'AND'."),
    ("project = PMS ORDER key", "Error in the JQL Query: Expecting 'BY' but got 'key'."),
    ("projectx = PMS", "Field 'projectx' does not exist or you do not have permission to view it."),
    ("project > PMS", "The operator '>' is not supported by the 'project' field."),
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ("assignee = nobody", "The value 'nobody' does not exist for the field 'assignee'."),
    ("key = PMS-99", "An issue with key 'PMS-99' does not exist for field 'key'."),
    ("updated >= yesterday", "Date value 'yesterday' for field 'updated' is invalid."),
    ("assignee is bob", "The operator 'is' only supports the use of EMPTY or NULL."),
    ("assignee = nobody()", "Unable to find JQL function 'nobody()'."),
    ("project = PMS ORDER BY colour", "Field 'colour' does not exist or you do not have permission to view it."),
    ("project = PMS ORDER BY labels", "Not able to sort using field 'labels'."),
])
async def test_jql_errors_are_400(jira: FakeJira, jql: str, message: str) -> None:
    reply = await search(jira, jql)
    assert reply.status == 400 and reply.body["errors"] == {}
    assert reply.body["errorMessages"][0].startswith(message), reply.body


def test_jql_parser_shapes() -> None:
    query = parse_jql('Project IN (A, "B C") and NOT assignee = currentUser() ORDER BY duedate, key DESC')
    assert query.order == (("duedate", False), ("key", True))
    assert query.where is not None and type(query.where).__name__ == "JqlBool"
    assert parse_jql("ORDER BY key").where is None


# ---- issues and transitions ----------------------------------------------------------------------------------------
async def test_get_issue_fields_expand_and_404(jira: FakeJira) -> None:
    full = await call(jira, "GET", "/issue/pms-1")
    fields = full.body["fields"]
    assert full.body["key"] == "PMS-1" and fields["assignee"]["accountId"] == ALICE
    assert fields["timetracking"] == {"originalEstimate": "1d", "remainingEstimate": "7h", "timeSpent": "1h",
                                      "originalEstimateSeconds": 28800, "remainingEstimateSeconds": 25200,
                                      "timeSpentSeconds": 3600}
    assert fields["fixVersions"][0]["name"] == "M1" and fields["fixVersions"][0]["releaseDate"] == "2026-12-15"
    assert fields["duedate"] == "2026-12-01" and fields["created"] == "2026-11-01T09:00:00.000+0000"
    assert fields["priority"]["name"] == "High" and fields["project"]["key"] == "PMS"
    assert fields["issuetype"]["name"] == "Task" and fields[PROGRESS_FIELD] == 25.0
    assert (await call(jira, "GET", "/issue/PMS-2", params={"fields": "timetracking"})).body["fields"] == {
        "timetracking": {}}  # only the keys that are set
    some = await call(jira, "GET", "/issue/PMS-1", params={"fields": "summary,status", "expand": "names"})
    assert set(some.body["fields"]) == {"summary", "status"} and some.body["names"]["status"] == "Status"
    missing = await call(jira, "GET", "/issue/PMS-99")
    assert missing.status == 404 and missing.body == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}
    field_list = (await call(jira, "GET", "/field")).body
    progress = next(f for f in field_list if f["id"] == PROGRESS_FIELD)
    assert progress["custom"] is True and progress["name"] == "Progress %"
    assert progress["schema"] == {"type": "number", "customId": 10050,
                                  "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float"}


async def test_transitions_follow_the_workflow(jira: FakeJira) -> None:
    listed = (await call(jira, "GET", "/issue/PMS-2/transitions")).body["transitions"]
    assert [(t["id"], t["name"], t["to"]["name"], t["to"]["statusCategory"]["key"]) for t in listed] == [
        ("11", "Start Progress", "In Progress", "indeterminate"), ("31", "Done", "Done", "done")]
    assert all(t["hasScreen"] is False and t["isAvailable"] is True for t in listed)
    assert (await call(jira, "POST", "/issue/PMS-2/transitions", json_body={"transition": {"id": "11"}})).status == 204
    assert jira.issue("PMS-2")["status"] == "In Progress"
    listed = (await call(jira, "GET", "/issue/PMS-2/transitions")).body["transitions"]
    assert [t["name"] for t in listed] == ["Stop Progress", "Block", "Done"]
    bad = await call(jira, "POST", "/issue/PMS-2/transitions", json_body={"transition": {"id": "61"}})
    assert bad.status == 400 and bad.body == {
        "errorMessages": ["Transition id '61' is not valid for this issue."], "errors": {}}
    screen = await call(jira, "POST", "/issue/PMS-2/transitions",
                        json_body={"transition": {"id": "31"}, "fields": {"resolution": {"name": "Done"}}})
    assert screen.status == 400 and "resolution" in screen.body["errors"]
    assert (await call(jira, "POST", "/issue/PMS-2/transitions", json_body=TRANSITION_BODY | {
        "transition": {"id": "41"}})).status == 204
    assert jira.issue("PMS-2")["status"] == "Blocked" and len(jira.comments("PMS-2")) == 1
    assert (await call(jira, "POST", "/issue/PMS-2/transitions", json_body={"transition": {"id": 31}})).status == 204
    assert jira.issue("PMS-2")["resolution"] == "Done"
    assert (await call(jira, "GET", "/issue/PMS-2", params={"fields": "resolution"})).body["fields"][
        "resolution"]["name"] == "Done"
    assert [t["name"] for t in (await call(jira, "GET", "/issue/PMS-2/transitions")).body["transitions"]] == ["Reopen"]


async def test_without_transition_permission_the_list_is_empty(jira: FakeJira) -> None:
    jira.permit_transitions("bot", False)
    assert (await call(jira, "GET", "/issue/PMS-2/transitions")).body["transitions"] == []
    reply = await call(jira, "POST", "/issue/PMS-2/transitions", json_body={"transition": {"id": "11"}})
    assert reply.status == 400 and jira.issue("PMS-2")["status"] == "To Do"
    jira.permit_transitions("bot", True)
    jira.permit_transitions(None, False)  # nobody may
    assert (await call(jira, "GET", "/issue/PMS-2/transitions")).body["transitions"] == []
    jira.permit_transitions(None, True)
    assert (await call(jira, "POST", "/issue/PMS-2/transitions", json_body={"transition": {"id": "11"}})).status == 204


async def test_edit_refuses_fields_not_on_the_screen(jira: FakeJira) -> None:
    for name, value in (("customfield_99999", 1), ("status", {"name": "Done"}), ("created", "2026-01-01")):
        reply = await call(jira, "PUT", "/issue/PMS-1", json_body={"fields": {name: value}})
        assert reply.status == 400 and reply.body == {"errorMessages": [], "errors": {
            name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."}}
    for fields in ({PROGRESS_FIELD: "40"}, {"duedate": "30/11/2026"}, {"assignee": {"name": "alice"}},
                   {"summary": ""}, {"priority": {"name": "Urgent"}}, {"description": "plain"}):
        assert (await call(jira, "PUT", "/issue/PMS-1", json_body={"fields": fields})).status == 400, fields
    before = jira.issue("PMS-1")
    assert before[PROGRESS_FIELD] == 25.0  # nothing of a refused edit was applied
    reply = await call(jira, "PUT", "/issue/PMS-1", json_body={
        "fields": {PROGRESS_FIELD: 60, "assignee": {"accountId": BOB}, "summary": "Pump manifold v2",
                   "timetracking": {"remainingEstimate": "2h"}},
        "update": {"labels": [{"add": "hardware"}], "fixVersions": [{"add": {"name": "M2"}}],
                   "comment": [{"add": {"body": adf("60%")}}]}})
    assert reply.status == 204, reply.body
    after = jira.issue("PMS-1")
    assert after[PROGRESS_FIELD] == 60.0 and after["assignee"] == BOB and after["summary"] == "Pump manifold v2"
    assert after["labels"] == ["hardware"] and after["fixVersions"] == ["M1", "M2"]
    assert after["remainingEstimateSeconds"] == 7200 and adf_error(jira.comments("PMS-1")[0]["body"]) is None
    assert after["updated"] == "2026-11-30T12:00:00.000+0000"


async def test_create_issue(jira: FakeJira) -> None:
    reply = await call(jira, "POST", "/issue", json_body=CREATE_BODY)
    assert reply.status == 201 and reply.body["key"] == "PMS-5" and set(reply.body) == {"id", "key", "self"}
    state = jira.issue("PMS-5")
    assert state["assignee"] == ALICE and state["duedate"] == "2026-12-10" and state["reporter"] == "bot"
    assert state["status"] == "To Do"
    missing = await call(jira, "POST", "/issue", json_body={"fields": {"project": {"key": "PMS"},
                                                                       "issuetype": {"name": "Task"}}})
    assert missing.status == 400 and missing.body["errors"] == {"summary": "You must specify a summary of the issue."}
    bad_project = await call(jira, "POST", "/issue", json_body={"fields": {
        "project": {"key": "NOPE"}, "summary": "x", "issuetype": {"name": "Task"}}})
    assert bad_project.status == 400 and "project" in bad_project.body["errors"]


# ---- bodies: ADF on Cloud, strings on DC; worklogs -----------------------------------------------------------------
async def test_cloud_comments_must_be_adf(jira: FakeJira) -> None:
    reply = await call(jira, "POST", "/issue/PMS-1/comment", json_body={"body": "plain text"})
    assert reply.status == 400 and reply.body == {"errorMessages": [], "errors": {"comment": NOT_ADF}}
    for body in ({"type": "doc", "version": 1, "content": [{"type": "paragraph",
                                                            "content": [{"type": "text", "text": ""}]}]},
                 {"type": "doc", "version": 1, "content": [{"type": "text", "text": "no block"}]},
                 {"type": "doc", "version": 1, "content": [{"type": "table", "content": []}]},
                 {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
                     {"type": "text", "text": "x", "marks": [{"type": "blink"}]}]}]},
                 {"type": "doc", "content": []}):
        assert (await call(jira, "POST", "/issue/PMS-1/comment", json_body={"body": body})).status == 400, body
    empty = await call(jira, "POST", "/issue/PMS-1/comment", json_body={"body": adf("")})
    assert empty.status == 400 and empty.body["errors"] == {"comment": "Comment body can not be empty!"}
    assert any("blink" in why for _, why in jira.rejected)  # the fake says what was wrong, for debugging
    reply = await call(jira, "POST", "/issue/PMS-1/comment", json_body=COMMENT_BODY)
    assert reply.status == 201 and reply.body["body"] == COMMENT_BODY["body"]
    assert reply.body["author"]["accountId"] == "bot" and reply.body["created"] == "2026-11-30T12:00:00.000+0000"
    assert [c["id"] for c in jira.comments("PMS-1")] == [reply.body["id"]]
    listed = await call(jira, "GET", "/issue/PMS-1/comment")
    assert listed.body["total"] == 1 and listed.body["comments"][0]["id"] == reply.body["id"]
    wl = await call(jira, "POST", "/issue/PMS-1/worklog",
                    json_body={"started": STARTED, "timeSpentSeconds": 60, "comment": "plain"})
    assert wl.status == 400 and wl.body["errors"] == {"comment": NOT_ADF}


async def test_dc_comments_must_be_strings(dc: FakeJira) -> None:
    reply = await call(dc, "POST", "/issue/PMS-1/comment", json_body={"body": adf("rich")})
    assert reply.status == 400 and reply.body["errorMessages"]
    reply = await call(dc, "POST", "/issue/PMS-1/comment", json_body={"body": "h3. Progress\n40% done"})
    assert reply.status == 201 and reply.body["body"] == "h3. Progress\n40% done" and reply.body["author"]["name"] == "bot"
    wl = await call(dc, "POST", "/issue/PMS-1/worklog",
                    json_body={"started": STARTED, "timeSpentSeconds": 60, "comment": adf("rich")})
    assert wl.status == 400
    wl = await call(dc, "POST", "/issue/PMS-1/worklog",
                    json_body={"started": STARTED, "timeSpent": "30m", "comment": "fixed seal"})
    assert wl.status == 201 and wl.body["timeSpentSeconds"] == 1800


async def test_worklog_started_format_and_time_tracking(jira: FakeJira) -> None:
    for started in ("2026-11-30T10:00:00Z", "2026-11-30T10:00:00.000+00:00", "2026-11-30 10:00", 1764496800000):
        reply = await call(jira, "POST", "/issue/PMS-1/worklog", json_body={"started": started,
                                                                            "timeSpentSeconds": 600})
        assert reply.status == 400 and "started" in reply.body["errors"], started
    missing = await call(jira, "POST", "/issue/PMS-1/worklog", json_body={"timeSpentSeconds": 600})
    assert missing.status == 400 and "started" in missing.body["errors"]
    no_time = await call(jira, "POST", "/issue/PMS-1/worklog", json_body={"started": STARTED})
    assert no_time.status == 400 and "timeLogged" in no_time.body["errors"]
    assert jira.issue("PMS-1")["timeSpentSeconds"] == 3600  # nothing logged by refused calls
    reply = await call(jira, "POST", "/issue/PMS-1/worklog", json_body=WORKLOG_BODY)
    assert reply.status == 201 and reply.body["timeSpent"] == "1h 30m" and reply.body["started"] == STARTED
    reply = await call(jira, "POST", "/issue/PMS-1/worklog", json_body={"started": "2026-11-30T18:00:00.000+0800",
                                                                        "timeSpent": "3h"})
    assert reply.status == 201 and reply.body["started"] == "2026-11-30T10:00:00.000+0000"
    state = jira.issue("PMS-1")
    assert state["timeSpentSeconds"] == 3600 + 5400 + 10800
    assert state["remainingEstimateSeconds"] == 25200 - 5400 - 10800  # adjustEstimate=auto
    assert [w["timeSpentSeconds"] for w in jira.worklogs("PMS-1")] == [5400, 10800]
    listed = await call(jira, "GET", "/issue/PMS-1/worklog")
    assert listed.body["total"] == 2
    leave = await call(jira, "POST", "/issue/PMS-1/worklog", params={"adjustEstimate": "leave"},
                       json_body={"started": STARTED, "timeSpentSeconds": 600})
    assert leave.status == 201 and jira.issue("PMS-1")["remainingEstimateSeconds"] == 9000


def test_durations() -> None:
    assert parse_duration("3h") == 10800 and parse_duration("1d 2h 30m") == 37800 and parse_duration("1w") == 144000
    assert parse_duration("soon") is None and parse_duration("") is None
    assert format_duration(37800) == "1d 2h 30m" and format_duration(144000) == "1w"


# ---- rate limits, failures, slowness, recording -------------------------------------------------------------------
async def test_burst_limit_answers_429_with_jiras_headers() -> None:
    clock = Clock(datetime(2026, 11, 30, 12, 0, 0, 250000, tzinfo=UTC).timestamp())
    fake = FakeJira(burst_per_s=3, clock=clock)
    seed(fake)
    await fake.start()
    try:
        for _ in range(3):
            assert (await call(fake, "GET", "/issue/PMS-1")).status == 200
        limited = await call(fake, "GET", "/issue/PMS-2")  # the same endpoint (method + path template)
        assert limited.status == 429
        assert limited.headers["Retry-After"] == "1" and limited.headers["X-RateLimit-Limit"] == "3"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
        assert datetime.fromisoformat(limited.headers["X-RateLimit-Reset"]) > datetime(2026, 11, 30, 12, tzinfo=UTC)
        assert (await call(fake, "GET", "/issue/PMS-1/comment")).status == 200  # another endpoint has its own
        clock.at += 1
        assert (await call(fake, "GET", "/issue/PMS-1")).status == 200
        assert [r.status for r in fake.requests].count(429) == 1
    finally:
        await fake.stop()


async def test_per_issue_write_limit() -> None:
    clock = Clock()
    fake = FakeJira(per_issue_write_limits=((2, 2.0),), clock=clock)
    seed(fake)
    await fake.start()
    try:
        body = {"body": adf("note")}
        assert [(await call(fake, "POST", "/issue/PMS-1/comment", json_body=body)).status for _ in range(2)] == [
            201, 201]
        limited = await call(fake, "PUT", "/issue/pms-1", json_body={"fields": {PROGRESS_FIELD: 10}})
        assert limited.status == 429 and limited.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
        assert limited.headers["Retry-After"] == "2"
        assert (await call(fake, "POST", "/issue/PMS-2/comment", json_body=body)).status == 201
        assert (await call(fake, "GET", "/issue/PMS-1")).status == 200  # reads are not limited
        clock.at += 2
        assert (await call(fake, "POST", "/issue/PMS-1/comment", json_body=body)).status == 201
    finally:
        await fake.stop()


async def test_fail_next(jira: FakeJira) -> None:
    jira.fail_next(2, status=503, path_contains="/search/jql")
    assert (await call(jira, "GET", "/myself")).status == 200
    first = await search(jira, "project = PMS")
    assert first.status == 503 and first.headers["Retry-After"] == "1"
    assert (await search(jira, "project = PMS")).status == 503
    assert (await search(jira, "project = PMS")).status == 200
    jira.fail_next()
    assert (await call(jira, "GET", "/myself")).status == 500
    jira.fail_next(status=429)
    limited = await call(jira, "GET", "/myself")
    assert limited.status == 429 and limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert (await call(jira, "GET", "/myself")).status == 200


async def test_delay_makes_client_timeouts_fire(jira: FakeJira) -> None:
    jira.delay_s = 0.5
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.05)) as session:
        with pytest.raises(TimeoutError):
            await session.get(jira.api_url + "/myself", headers=auth_headers(jira))


async def test_requests_are_recorded(jira: FakeJira) -> None:
    await search(jira, "project = PMS", fields="summary")
    await call(jira, "POST", "/issue/PMS-1/comment", json_body={"body": "plain"})
    first, second = jira.requests
    assert (first.method, first.path, first.query, first.json, first.status) == (
        "GET", "/rest/api/3/search/jql", {"jql": "project = PMS", "fields": "summary"}, None, 200)
    assert (second.method, second.json, second.status) == ("POST", {"body": "plain"}, 400)
    assert jira.count() == 2 and jira.count("post") == 1 and jira.count(path_contains="/comment") == 1
    jira.reset_counts()
    assert jira.count() == 0


# ---- webhooks ---------------------------------------------------------------------------------------------------------
async def test_webhook_is_signed_and_carries_jiras_headers(jira: FakeJira) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(text="ok")
    app = web.Application()
    app.router.add_post("/jira", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/jira"
    try:
        items = [{"field": "status", "from": "10000", "fromString": "To Do", "to": "3", "toString": "In Progress"}]
        assert await jira.send_webhook(url, issue_key="PMS-1", changelog_items=items, secret="s3cret",
                                       identifier="7001", user_account_id=ALICE) == (200, "ok")
        assert await jira.send_webhook(url, issue_key="PMS-1", changelog_items=items, secret="s3cret",
                                       identifier="7001", retry=1, user_account_id=ALICE) == (200, "ok")
        assert await jira.send_webhook(url, event="comment_created", issue_key="PMS-2",
                                       comment="looks good") == (200, "ok")
    finally:
        await runner.cleanup()
    (headers, body), (retry_headers, retry_body), (plain_headers, plain_body) = received
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Hub-Signature"], expected)
    assert retry_headers["X-Hub-Signature"] == "sha256=" + hmac.new(b"s3cret", retry_body, hashlib.sha256).hexdigest()
    assert headers["X-Atlassian-Webhook-Identifier"] == retry_headers["X-Atlassian-Webhook-Identifier"] == "7001"
    assert headers["X-Atlassian-Webhook-Flow"] == "Primary" and "X-Atlassian-Webhook-Retry" not in headers
    assert retry_headers["X-Atlassian-Webhook-Retry"] == "1"
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert payload["webhookEvent"] == "jira:issue_updated" and payload["issue_event_type_name"] == "issue_generic"
    assert payload["timestamp"] == int(Clock()() * 1000) and payload["user"]["accountId"] == ALICE
    assert payload["issue"]["key"] == "PMS-1"
    assert set(payload["issue"]["fields"]) == {"summary", "status", "project", "assignee", "priority", "issuetype"}
    assert payload["changelog"]["items"][0] == {**items[0], "fieldtype": "jira", "fieldId": "status"}
    assert "X-Hub-Signature" not in plain_headers
    comment_payload = json.loads(plain_body)
    assert comment_payload["webhookEvent"] == "comment_created" and "issue_event_type_name" not in comment_payload
    assert adf_error(comment_payload["comment"]["body"]) is None and "changelog" not in comment_payload


# ---- as a process -------------------------------------------------------------------------------------------------------
async def test_runs_as_a_process() -> None:
    with serving("tests.fakes.jira", "--issues", "3") as port:
        async with aiohttp.ClientSession() as session, session.get(
                f"http://127.0.0.1:{port}/rest/api/3/search/jql", params={"jql": "project = PMS", "fields": "summary"},
                headers=auth_headers(FakeJira())) as resp:
            assert resp.status == 200
            assert [i["key"] for i in (await resp.json())["issues"]] == ["PMS-1", "PMS-2", "PMS-3"]

