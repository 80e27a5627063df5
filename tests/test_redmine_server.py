"""Real checks against the throwaway Redmine from tests/services/redmine.sh: what the connectors rely on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.redmine_server import RedmineServer

pytestmark = pytest.mark.slow

DEVELOPER_ROLE_ID = 4


def _client(server: RedmineServer, key: str | None) -> httpx.Client:
    headers = {"X-Redmine-API-Key": key} if key is not None else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30.0)


@pytest.fixture
def admin(redmine: RedmineServer) -> Iterator[httpx.Client]:
    with _client(redmine, redmine.api_key) as client:
        yield client


@pytest.fixture
def field1(redmine: RedmineServer) -> Iterator[httpx.Client]:
    with _client(redmine, redmine.user_api_key) as client:
        yield client


def _identifier() -> str:
    return f"pms-{uuid.uuid4().hex[:12]}"


def _json(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def test_account_needs_a_valid_key(redmine: RedmineServer, admin: httpx.Client) -> None:
    user = _json(admin.get("/my/account.json"), 200)["user"]
    assert user["login"] == "admin"
    assert user["admin"] is True
    assert user["api_key"] == redmine.api_key

    with _client(redmine, "0" * 40) as wrong:
        assert wrong.get("/my/account.json").status_code == 401


def test_seeded_user_field_and_activity(redmine: RedmineServer, admin: httpx.Client,
                                        field1: httpx.Client) -> None:
    user = _json(field1.get("/my/account.json"), 200)["user"]
    assert (user["login"], user["firstname"], user["lastname"], user["mail"], user["admin"]) == (
        "field1", "Field", "One", "field1@example.com", False)

    fields = {f["id"]: f for f in _json(admin.get("/custom_fields.json"), 200)["custom_fields"]}
    site = fields[redmine.site_field_id]
    assert (site["name"], site["customized_type"], site["field_format"]) == ("Site", "issue", "string")
    assert site["is_filter"] is True
    assert site["visible"] is True
    assert {t["name"] for t in site["trackers"]} == {"Bug", "Feature", "Support"}

    activities = _json(admin.get("/enumerations/time_entry_activities.json"), 200)["time_entry_activities"]
    assert {"id": redmine.activity_id, "name": "Development", "active": True}.items() <= {
        a["id"]: a for a in activities}[redmine.activity_id].items()


def test_anonymous_issue_list_falls_back_instead_of_refusing(redmine: RedmineServer) -> None:
    # Why connectors validate keys on /my/account.json: a bad or missing key still lists (public) issues.
    for key in (None, "0" * 40):
        with _client(redmine, key) as client:
            assert "issues" in _json(client.get("/issues.json"), 200)


def test_statuses_from_default_data(admin: httpx.Client) -> None:
    statuses = _json(admin.get("/issue_statuses.json"), 200)["issue_statuses"]
    assert [(s["name"], s["is_closed"]) for s in statuses] == [
        ("New", False), ("In Progress", False), ("Resolved", False),
        ("Feedback", False), ("Closed", True), ("Rejected", True),
    ]


def test_project_issue_and_member_key(redmine: RedmineServer, admin: httpx.Client,
                                      field1: httpx.Client) -> None:
    ident = _identifier()
    project = _json(admin.post("/projects.json", json={"project": {
        "name": f"Plant {ident}", "identifier": ident, "is_public": False,
        "enabled_module_names": ["issue_tracking", "time_tracking"], "tracker_ids": [1, 2, 3],
    }}), 201)["project"]
    assert project["identifier"] == ident

    issue = _json(admin.post("/issues.json", json={"issue": {
        "project_id": ident, "tracker_id": 2, "subject": "Commission line 3", "estimated_hours": 8,
        "custom_fields": [{"id": redmine.site_field_id, "value": "Shenzhen plant"}],
    }}), 201)["issue"]
    assert issue["status"]["name"] == "New"
    assert issue["done_ratio"] == 0

    # field1 is no member of the private project yet.
    assert field1.get(f"/projects/{ident}.json").status_code in (403, 404)

    user_id = _json(field1.get("/my/account.json"), 200)["user"]["id"]
    membership = _json(admin.post(f"/projects/{ident}/memberships.json", json={
        "membership": {"user_id": user_id, "role_ids": [DEVELOPER_ROLE_ID]}}), 201)["membership"]
    assert [r["name"] for r in membership["roles"]] == ["Developer"]

    # Now the member's key sees and changes the issue, and logs time.
    found = _json(field1.get("/issues.json", params={
        "project_id": ident, f"cf_{redmine.site_field_id}": "Shenzhen plant"}), 200)
    assert [i["id"] for i in found["issues"]] == [issue["id"]]

    updated = field1.put(f"/issues/{issue['id']}.json", json={"issue": {
        "status_id": 2, "done_ratio": 40, "notes": "Cabling done, 40%"}})
    assert updated.status_code == 204, updated.text
    after = _json(field1.get(f"/issues/{issue['id']}.json", params={"include": "journals"}), 200)["issue"]
    assert (after["status"]["name"], after["done_ratio"]) == ("In Progress", 40)
    assert after["journals"][-1]["notes"] == "Cabling done, 40%"
    assert after["journals"][-1]["user"]["id"] == user_id

    entry = _json(field1.post("/time_entries.json", json={"time_entry": {
        "issue_id": issue["id"], "hours": 2.5, "activity_id": redmine.activity_id, "comments": "cabling"}}),
        201)["time_entry"]
    assert entry["activity"]["id"] == redmine.activity_id
    assert entry["user"]["id"] == user_id
