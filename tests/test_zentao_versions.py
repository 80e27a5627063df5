"""Zentao releases: 16.x/17.x route task actions as PUT (connectors.zentao.action_method), and a comment (carried by
an assign-to-the-same-person action, REST v1 having no comment call) leaves the task's hours as they were."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.config import ZentaoConnectorConfig
from bot.pms.base import PMSError
from bot.pms.zentao import ZentaoClient, ZentaoPMS
from bot.records import Person, Project
from tests.fakes.zentao import FakeZentao
from tests.pms_backends import _people_map, today

BOB = Person(id="bob", name="Bob Wang", locale="en", pms_user="bob")


@pytest.fixture
async def zentao() -> AsyncIterator[tuple[FakeZentao, int, int]]:
    fake = FakeZentao()
    await fake.start()
    fake.add_user("bob", "Bob Wang", "bob@example.com")
    project = fake.add_project("Pump", "PUMP")
    sprint = fake.add_execution(project, "M1", today() - timedelta(days=5), today() + timedelta(days=20), status="doing")
    try:
        yield fake, project, sprint
    finally:
        await fake.stop()


def _pms(fake: FakeZentao, project: int, method: str) -> tuple[ZentaoClient, ZentaoPMS]:
    client = ZentaoClient(url=fake.url, account=fake.account, password=fake.password,
                          config=ZentaoConnectorConfig(action_method=method))  # type: ignore[arg-type]
    view = client.for_project(Project(key="PUMP", name="Pump", pms="zentao", pms_project=str(project),
                                      members=("bob",), approvers=()), lambda: _people_map({"bob": "bob"}))
    return client, view


@pytest.mark.parametrize("left", [0.0, 2.5])
async def test_a_comment_keeps_the_hours_left(zentao: tuple[FakeZentao, int, int], left: float) -> None:
    fake, project, sprint = zentao
    status = "done" if left == 0 else "doing"
    task_id = fake.add_task(sprint, "Paint", assigned_to="bob", status=status, estimate=4, consumed=4, left=left)
    client, pms = _pms(fake, project, "POST")
    try:
        await pms.comment(f"PUMP-{task_id}", "second coat tomorrow", by=BOB)
        task = fake.task(task_id)
        assert (task["left"], task["consumed"], task["status"]) == (left, 4.0, status)
        assert any("second coat tomorrow" in c for c in fake.comments(task_id))
    finally:
        await client.close()


async def test_zentao_16_17_put_actions(zentao: tuple[FakeZentao, int, int]) -> None:
    """A server that routes actions only as PUT (16.x/17.x) is driven whole with action_method: PUT; with POST it
    answers 405 and nothing is written."""
    fake, project, sprint = zentao
    fake.action_methods = ("PUT",)
    task_id = fake.add_task(sprint, "Wire", assigned_to="bob", status="wait", estimate=8)
    key = f"PUMP-{task_id}"
    client, pms = _pms(fake, project, "PUT")
    try:
        written = await pms.report_progress(key, percent=50, note="half", hours=Decimal(2), by=BOB)
        assert (written.status, written.percent) == ("in_progress", 50)
        await pms.transition(key, "blocked", reason="no parts", by=BOB)
        await pms.comment(key, "parts ordered", by=BOB)
        done = await pms.transition(key, "done", reason="", by=BOB)
        assert done.status == "done"
        methods = {r.method for r in fake.requests if "/tasks/" in r.path and r.path.rsplit("/", 1)[1].isalpha()}
        assert methods == {"PUT", "POST"}  # actions PUT; the effort row (estimate) is POST in every release
        assert all(r.method == "PUT" for r in fake.requests if r.path.endswith(("/start", "/pause", "/restart",
                                                                                "/finish", "/assignto")))
    finally:
        await client.close()
    post_client, post_pms = _pms(fake, project, "POST")
    other = fake.add_task(sprint, "Other", assigned_to="bob", status="wait", estimate=8)
    try:
        with pytest.raises(PMSError) as refused:
            await post_pms.transition(f"PUMP-{other}", "in_progress", reason="", by=BOB)
        assert "405" in str(refused.value) or "Method Not Allowed" in str(refused.value)
        assert fake.task(other)["status"] == "wait"
    finally:
        await post_client.close()
