"""Issue 25: "Project's own sample files from its documentation import without loss of tasks, dates or %".

Two plans in the shape Microsoft Project writes them (tests/data/, each file says what it follows): one put together
from the examples of Microsoft's MSPDI documentation (Project 2007, SaveVersion 12: WBS masks, custom fields,
enterprise custom field values, timephased data, several baselines), one as Project 2010-2016 with a Chinese UI
writes (SaveVersion 14: manually scheduled tasks, an inactive task, a blank row, CJK names, elapsed durations,
empty elements). Each is read here a second way, element by element, and compared with what the importer keeps; each
imports into a project and exports back to the same plan; the export keeps the element order of Microsoft's schema
reference (tests/data/mspdi_pj12_order.json, taken from it) and the elements it requires."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from bot.mapping.mspdi import read_mspdi, write_mspdi
from bot.runtime import Runtime
from tests.test_plans import _cli, _tasks, migrated_file, rt  # noqa: F401  (the plan tests' runtime)

DATA = Path(__file__).parent / "data"
FILES = ["mspdi_docs_pj12.xml", "mspdi_project2016_zh.xml"]
P = "{http://schemas.microsoft.com/project}"
SCHEMA = json.loads((DATA / "mspdi_pj12_order.json").read_text(encoding="utf-8"))


def _what_the_file_says(name: str) -> list[tuple[int, str, str | None, str | None, int, bool]]:
    """(UID, name, start, finish, %, summary) of every task Project shows as a row with a task on it: not the
    project summary task (UID 0, outline level 0), not a blank row (IsNull 1)."""
    rows = []
    for task in ET.parse(DATA / name).getroot().iter(f"{P}Task"):
        if task.findtext(f"{P}IsNull") == "1" or task.findtext(f"{P}OutlineLevel") == "0":
            continue
        rows.append((int(task.findtext(f"{P}UID") or -1), task.findtext(f"{P}Name") or "",
                     task.findtext(f"{P}Start"), task.findtext(f"{P}Finish"),
                     int(task.findtext(f"{P}PercentComplete") or 0), task.findtext(f"{P}Summary") == "1"))
    return rows


@pytest.mark.parametrize("name", FILES)
def test_every_task_date_and_percent_of_a_project_file_is_read(name: str) -> None:
    plan = read_mspdi((DATA / name).read_bytes())
    said = _what_the_file_says(name)
    assert len(said) >= 4
    assert [(t.uid, t.name, t.start, t.finish, t.percent, t.summary) for t in plan.tasks] == said
    assert all(t.name for t in plan.tasks)  # the blank row is no nameless task


def test_what_project_writes_beside_the_tasks_is_read_as_project_means_it() -> None:
    docs = read_mspdi((DATA / "mspdi_docs_pj12.xml").read_bytes())
    st1 = next(t for t in docs.tasks if t.name == "st1")
    assert (st1.wbs, st1.outline_number, st1.baseline_start) == ("001.aa", "1.1", "2007-11-14T08:00:00")  # baseline 0
    assert st1.resources == (1,) and docs.currency == "USD"
    sign_off = next(t for t in docs.tasks if t.name == "Sign-off")
    assert sign_off.milestone and sign_off.resources == ()  # -65535: nobody
    zh = read_mspdi((DATA / "mspdi_project2016_zh.xml").read_bytes())
    assert zh.name == "泵站改造计划.xml" and zh.currency == "CNY" and [r.name for r in zh.resources] == ["李伟"]
    manual = next(t for t in zh.tasks if t.uid == 3)
    assert (manual.start, manual.finish, manual.percent) == ("2026-03-04T08:00:00", "2026-03-06T17:00:00", 40)
    assert [(p.predecessor_uid, p.lag_tenth_min) for p in next(t for t in zh.tasks if t.uid == 5).predecessors] \
        == [(3, 4800)]


@pytest.mark.parametrize("name", FILES)
def test_an_export_reads_back_identically_in_the_schemas_order(name: str) -> None:
    plan = read_mspdi((DATA / name).read_bytes())
    written = write_mspdi(plan)
    assert read_mspdi(written) == plan and write_mspdi(read_mspdi(written)) == written
    root = ET.fromstring(written)
    assert root.tag == f"{P}Project"
    checked = 0
    for parent in root.iter():
        local = parent.tag.removeprefix(P)
        sequence = SCHEMA["sequence"].get(local)
        children = [c.tag.removeprefix(P) for c in parent]
        if sequence is None or not children:
            continue
        assert set(children) <= set(sequence), (local, set(children) - set(sequence))
        positions = [sequence.index(c) for c in children]
        assert positions == sorted(positions), (local, children)
        assert set(SCHEMA["required"].get(local, ())) <= set(children), local
        checked += 1
    assert checked > len(plan.tasks)


def test_an_export_out_of_order_would_be_caught() -> None:
    """The order check above can fail: Finish before Start is out of the schema's sequence."""
    sequence = SCHEMA["sequence"]["Task"]
    assert sequence.index("Start") < sequence.index("Finish") < sequence.index("PercentComplete")
    assert sequence.index("PredecessorLink") < sequence.index("Baseline")
    assert SCHEMA["sequence"]["Project"][:1] == ["SaveVersion"]


@pytest.mark.parametrize("name,created", [("mspdi_docs_pj12.xml", 3), ("mspdi_project2016_zh.xml", 5)])
async def test_a_project_file_imports_into_a_project_and_exports_back_the_same_plan(
        rt: Runtime, tmp_path: Path, name: str, created: int) -> None:  # noqa: F811
    source = DATA / name
    code, out = await _cli(rt, "import", source)
    assert code == 0 and f"{created} tasks created" in out, out
    expected = sorted((t.name, t.percent, t.finish[:10] if t.finish else None)
                      for t in read_mspdi(source.read_bytes()).tasks if not t.summary)
    assert sorted((title, percent, due) for _, title, percent, _, due in await _tasks(rt)) == expected
    exported = tmp_path / "back.xml"
    assert (await _cli(rt, "export", exported))[0] == 0
    assert read_mspdi(exported.read_bytes()) == read_mspdi(source.read_bytes())
    code, out = await _cli(rt, "import", exported)
    assert code == 0 and f"0 tasks created, 0 updated, {created} unchanged" in out, out


def test_a_plan_without_the_namespace_reads_like_one_with_it() -> None:
    """The documentation's fragments (wbsmasks-element.md) write <Project> bare; so do some other tools."""
    raw = (DATA / "mspdi_docs_pj12.xml").read_bytes()
    bare = raw.replace(b' xmlns="http://schemas.microsoft.com/project"', b"")
    assert bare != raw and read_mspdi(bare) == read_mspdi(raw)
