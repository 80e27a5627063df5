"""What the connectors do when a PMS throttles, hangs, forgets our token or refuses our key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.config import JiraConnectorConfig, RedmineConnectorConfig, ZentaoConnectorConfig
from bot.pms.base import PMSDown, PMSError, wrote_as_bot
from bot.pms.http import PMSHttp, retry_after_s
from bot.pms.jira import JiraClient
from bot.pms.people import PeopleMap
from bot.pms.redmine import RedmineClient
from bot.pms.zentao import ZentaoClient
from bot.records import Person, Project
from tests.fakes.jira import FakeJira, adf_text
from tests.fakes.zentao import FakeZentao
from tests.pms_backends import RedmineBackend
from tests.redmine_server import RedmineServer

NOW = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


async def _nobody() -> PeopleMap:
    return PeopleMap()


def _project(pms: str, pms_project: str) -> Project:
    return Project(key="PUMP", name="Pump", pms=pms, pms_project=pms_project, members=(), approvers=())


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    fake = FakeJira()
    await fake.start()
    fake.add_project("PUMP", "Pump")
    fake.add_issue("PUMP", "One")
    yield fake
    await fake.stop()


def _client(fake: FakeJira, **config: str) -> JiraClient:
    return JiraClient(url=fake.url, email=fake.email, api_token=fake.api_token, pat=None,
                      config=JiraConnectorConfig(**config))  # type: ignore[arg-type]


async def test_a_short_429_is_waited_out_in_place(jira: FakeJira) -> None:
    client = _client(jira)
    jira.fail_next(1, status=429, path_contains="/issue/PUMP-1")
    task = await client.for_project(_project("jira", "PUMP"), _nobody).get_task("PUMP-1")
    assert task is not None and task.title == "One"
    assert [r.status for r in jira.requests if "/issue/PUMP-1" in r.path] == [429, 200]
    await client.close()


async def test_a_long_429_or_a_5xx_is_pms_down_with_the_wait() -> None:
    answers = iter([web.json_response({}, status=429, headers={"Retry-After": "120"}),
                    web.json_response({}, status=502)])

    async def handler(request: web.Request) -> web.Response:
        return next(answers)
    app = web.Application()
    app.router.add_get("/x", handler)
    async with TestServer(app) as server:
        http = PMSHttp(connector="test", display="Test", base_url=str(server.make_url("")))
        with pytest.raises(PMSDown) as down:
            await http.call("GET", "/x")
        assert (down.value.kind, down.value.retry_after_s) == ("rate_limited", 120.0)
        with pytest.raises(PMSDown) as down:
            await http.call("GET", "/x")
        assert down.value.kind == "down" and "502" in down.value.detail
        await http.close()


def test_retry_after_reads_seconds_and_dates() -> None:
    request = httpx.Request("GET", "http://x")
    assert retry_after_s(httpx.Response(429, headers={"Retry-After": "7"}, request=request), now=NOW) == 7.0
    assert retry_after_s(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
                                        request=request), now=NOW) == 0.0  # in the past
    # A date is measured from the server's own Date header when it sends one: our clock's skew does not count.
    assert retry_after_s(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT",
                                                      "Date": "Wed, 21 Oct 2015 07:28:00 GMT"},
                                        request=request), now=NOW) == 30.0
    assert retry_after_s(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"},
                                        request=request), now=datetime(2015, 10, 21, 7, 28, 10, tzinfo=UTC)) == 20.0
    assert retry_after_s(httpx.Response(429, headers={"Retry-After": "soon"}, request=request), now=NOW) == 1.0


async def test_a_pms_that_hangs_is_down_after_the_timeout(jira: FakeJira) -> None:
    jira.delay_s = 5.0
    http = PMSHttp(connector="jira", display="Jira", base_url=jira.url, timeout_s=0.2,
                   auth=(jira.email, jira.api_token))
    with pytest.raises(PMSDown) as down:
        await http.call("GET", "/rest/api/3/myself")
    assert down.value.kind == "timeout"
    await http.close()


async def test_jira_check_names_a_progress_field_jira_does_not_have(jira: FakeJira) -> None:
    good, bad = _client(jira, progress_field="customfield_10050"), _client(jira, progress_field="customfield_99999")
    assert "Jira Cloud as" in await good.check()
    with pytest.raises(PMSError) as err:
        await bad.check()
    assert "customfield_99999 is not a field" in err.value.params["reason"]
    await good.close()
    await bad.close()


async def test_an_unknown_field_on_write_is_a_clear_refusal(jira: FakeJira) -> None:
    client = _client(jira, progress_field="customfield_99999")
    pms = client.for_project(_project("jira", "PUMP"), _nobody)
    with pytest.raises(PMSError) as err:
        await pms.report_progress("PUMP-1", percent=50, note="", hours=None,
                                  by=Person(id="bob", name="Bob", locale="en"))
    assert err.value.code == "pms_refused" and "customfield_99999" in err.value.params["reason"]
    await client.close()


async def test_zentao_logs_in_again_when_its_token_runs_out() -> None:
    fake = FakeZentao()
    await fake.start()
    try:
        client = ZentaoClient(url=fake.url, account=fake.account, password=fake.password,
                              config=ZentaoConnectorConfig())
        assert "Zentao as pmsbot" in await client.check()
        fake.expire_tokens()
        assert "Zentao as pmsbot" in await client.check()
        assert fake.token_logins == 2
        bad = ZentaoClient(url=fake.url, account=fake.account, password="wrong", config=ZentaoConnectorConfig())
        with pytest.raises(PMSDown) as down:
            await bad.check()
        assert down.value.kind == "auth"
        await client.close()
        await bad.close()
    finally:
        await fake.stop()


async def test_redmine_wrong_key_fails_instead_of_reading_as_anonymous(redmine: RedmineServer) -> None:
    client = RedmineClient(url=redmine.url, api_key="0" * 40, config=RedmineConnectorConfig())
    with pytest.raises(PMSDown) as down:
        await client.for_project(_project("redmine", "anything"), _nobody).search_tasks(project="PUMP")
    assert down.value.kind == "auth"
    await client.close()


async def test_redmine_writes_as_the_person_with_switch_user(redmine: RedmineServer) -> None:
    backend = await RedmineBackend.open(redmine)
    try:
        key = await backend.seed("Check valves", spent_h=1)
        view = backend.pms  # one command's view: it keeps whom each write went as
        await view.report_progress(key, percent=40, note="two of five", hours=Decimal(2), by=backend.bob)
        issue = (await backend.admin.get(f"/issues/{key.rpartition('-')[2]}.json",
                                         params={"include": "journals"})).json()["issue"]
        authors = {j["user"]["name"] for j in issue["journals"] if j.get("notes")}
        assert authors == {"Field One"}
        entries = (await backend.admin.get("/time_entries.json", params={"issue_id": issue["id"]})).json()
        assert {e["user"]["name"] for e in entries["time_entries"] if e["hours"] == 2.0} == {"Field One"}
        assert getattr(view, "wrote", None) and not wrote_as_bot(view)
        await view.comment(key, "no login linked", by=Person(id="nolan", name="No Login", locale="en"))
        assert wrote_as_bot(view)  # with switch_user, one with no login linked writes as the admin key
    finally:
        await backend.close()


async def test_an_answer_of_an_unexpected_shape_is_a_clear_refusal() -> None:
    async def odd(request: web.Request) -> web.Response:
        return web.json_response(["not", "an", "issue"])
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", odd)
    async with TestServer(app) as server:
        client = JiraClient(url=str(server.make_url("")).rstrip("/"), email="e", api_token="t", pat=None,
                            config=JiraConnectorConfig())
        with pytest.raises(PMSError) as err:
            await client.for_project(_project("jira", "PUMP"), _nobody).get_task("PUMP-1")
        assert err.value.code == "pms_refused" and "unexpected answer" in err.value.params["reason"]
        with pytest.raises(PMSError):
            await client.check()
        await client.close()


async def test_without_a_progress_field_jira_progress_is_time_spent_over_spent_plus_remaining(
        jira: FakeJira) -> None:
    key = jira.add_issue("PUMP", "Timed", status="In Progress", original_estimate_s=10 * 3600,
                         time_spent_s=4 * 3600, remaining_estimate_s=6 * 3600)
    client = _client(jira)
    pms = client.for_project(_project("jira", "PUMP"), _nobody)
    task = await pms.get_task(key)
    assert task is not None and task.percent == 40
    await pms.report_progress(key, percent=70, note="half the panels", hours=None,
                              by=Person(id="bob", name="Bob", locale="en"))
    assert "Bob: 70% half the panels" in [adf_text(c["body"]) for c in jira.comments(key)]
    await client.close()
