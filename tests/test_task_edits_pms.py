"""The PMS side of the verbs that change and find tasks (issue 24), on every connector: the built-in PMS, Jira
Cloud and Data Center (fake), a real Redmine, Zentao (fake: edits refused clearly). Each edit lands in the PMS
with a note naming the person; a search finds by title words; hostile words are text, never syntax."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.pms.base import PMSError, TaskEdit
from tests.pms_backends import (
    BACKENDS,
    Backend,
    JiraBackend,
    LocalBackend,
    RedmineBackend,
    ZentaoBackend,
    today,
)

TODAY = today()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    chosen: Backend
    if request.param == "local":
        chosen = await LocalBackend.open(tmp_path)
    elif request.param.startswith("jira"):
        chosen = await JiraBackend.open(request.param)
    elif request.param == "redmine":
        chosen = await RedmineBackend.open(request.getfixturevalue("redmine"))
    else:
        chosen = await ZentaoBackend.open()
    try:
        yield chosen
    finally:
        await chosen.close()


async def test_assign_due_and_priority_land_with_a_note_naming_the_person(backend: Backend) -> None:
    key = await backend.seed("Replace seal", bob=False, due=TODAY + timedelta(days=3))
    new_due = TODAY + timedelta(days=12)
    if backend.name == "zentao":  # the assignee and the deadline; the priority is refused, nothing half-done
        key = await backend.seed("Replace seal", bob=False, due=TODAY + timedelta(days=3), estimate_h=4)
        task = await backend.pms.edit_task(key, TaskEdit(assignee=backend.bob), by=backend.alice)
        task = await backend.pms.edit_task(key, TaskEdit(due=new_due), by=backend.alice)
        assert (task.assignee, task.due) == ("bob", new_due)
        with pytest.raises(PMSError) as refused:
            await backend.pms.edit_task(key, TaskEdit(priority="high"), by=backend.alice)
        assert refused.value.code == "pms_cannot" and refused.value.params["pms"] == "Zentao"
        assert any("Alice Li (pmsbot): → Bob Wang" in n for n in await backend.notes(key)), await backend.notes(key)
        return
    task = await backend.pms.edit_task(key, TaskEdit(assignee=backend.bob), by=backend.alice)
    assert task.assignee == "bob"
    task = await backend.pms.edit_task(key, TaskEdit(due=new_due, priority="high"), by=backend.alice)
    assert (task.assignee, task.due) == ("bob", new_due)
    assert task.priority is not None and task.priority.casefold() == "high"
    again = await backend.pms.get_task(key)
    assert again is not None and (again.assignee, again.due) == ("bob", new_due)
    notes = await backend.notes(key)
    if backend.name != "redmine":  # Redmine with switch_user writes as the person: the journal is theirs
        assert any("Alice Li" in n and "Bob Wang" in n for n in notes), notes
    assert any("high" in n for n in notes), notes


async def test_an_assignee_without_a_pms_user_is_refused_before_anything_is_written(backend: Backend) -> None:
    if backend.name == "local":
        pytest.skip("the built-in PMS needs no PMS user")
    key = await backend.seed("Wire panel", bob=False)
    with pytest.raises(PMSError) as refused:
        await backend.pms.edit_task(key, TaskEdit(assignee=backend.alice), by=backend.bob)
    assert refused.value.code == "assignee_not_linked"
    task = await backend.pms.get_task(key)
    assert task is not None and task.assignee is None


async def test_close_moves_the_task_and_reopen_goes_where_the_workflow_allows(backend: Backend) -> None:
    key = await backend.seed("Paint rail", status="in_progress")
    if backend.name == "zentao":
        with pytest.raises(PMSError) as refused:  # Zentao finishes a task only with hours spent on it
            await backend.pms.transition(key, "done", reason="duplicate", by=backend.bob)
        assert refused.value.code == "pms_refused"
        return
    closed = await backend.pms.transition(key, "done", reason="duplicate", by=backend.bob)
    assert closed.status == "done"
    moves = {}
    for target in ("in_progress", "todo"):
        try:
            await backend.pms.check_move(key, target, by=backend.bob)
            moves[target] = True
        except PMSError as exc:
            assert exc.code == "transition_not_allowed"
            moves[target] = False
    assert moves["in_progress"] or moves["todo"] or backend.name == "redmine", moves
    still = await backend.pms.get_task(key)
    assert still is not None and still.status == "done"  # asking moved nothing


async def test_search_finds_by_title_words_open_first(backend: Backend) -> None:
    valve = await backend.seed("Replace valve seal")
    done = await backend.seed("Old valve seal", status="done")
    await backend.seed("Paint the fence")
    found = await backend.pms.find_tasks("PUMP", "valve seal", limit=10)
    assert [t.key for t in found] == [valve, done]
    assert await backend.pms.find_tasks("PUMP", "fence valve", limit=10) == []


HOSTILE = ('" OR project != "X', "%", "_", "a\\b", "*?~^", "'; DROP TABLE task; --", "summary ~ x) OR (1=1",
           '%" & status_id=* \\')


async def test_hostile_search_words_are_text(backend: Backend) -> None:
    await backend.seed("Replace valve seal")
    for words in HOSTILE if backend.name != "redmine" else HOSTILE[-2:]:  # a real Redmine: the two shapes it parses
        assert await backend.pms.find_tasks("PUMP", words, limit=10) == [], words
