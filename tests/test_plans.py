"""Microsoft Project plans (MSPDI XML): a sample in the shape of Microsoft's reference imports without losing tasks,
dates or %; an exported plan re-imports identically; a file source reads a plan as rows; hostile files are refused
whole with a localized reason and nothing applied."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import plan as plan_cli
from bot.config import Config, PersonConfig, ProjectConfig, Settings, SourceConfig
from bot.mapping.files import read_rows
from bot.mapping.mspdi import MAX_PLAN_BYTES, PlanError, read_mspdi, write_mspdi
from bot.pms.local import LocalPMS
from bot.records import Person
from bot.runtime import Runtime
from bot.store import migrate
from bot.store.db import Database
from bot.store.plans import plan_of
from tests.conftest import running_clock

SAMPLE = Path(__file__).parent / "data" / "mspdi_sample.xml"
NS = 'xmlns="http://schemas.microsoft.com/project"'


def test_the_sample_reads_whole() -> None:
    plan = read_mspdi(SAMPLE.read_bytes())
    assert (plan.name, plan.start, plan.finish) == ("Pump station.xml", "2026-03-02T08:00:00", "2026-03-20T17:00:00")
    assert [(t.uid, t.name, t.wbs, t.outline_level, t.percent, t.summary) for t in plan.tasks] == [
        (1, "Dismantle", "1", 1, 75, True), (2, "Drain the tank", "1.1", 2, 100, False),
        (3, "Lift pump 3 out", "1.2", 2, 50, False), (4, "安装新泵", "2", 1, 0, False), (5, "Handover", "3", 1, 0, False)]
    lift = plan.tasks[2]
    assert (lift.start, lift.finish) == ("2026-03-04T08:00:00", "2026-03-06T17:00:00")
    assert (lift.baseline_start, lift.baseline_finish) == ("2026-03-03T08:00:00", "2026-03-05T17:00:00")  # baseline 0
    assert [(p.predecessor_uid, p.type) for p in lift.predecessors] == [(2, 1)]
    assert plan.tasks[3].predecessors[0].lag_tenth_min == 4800
    assert lift.resources == (1, 3) and plan.tasks[4].resources == ()  # -65535: Project's "unassigned"
    assert [r.name for r in plan.resources] == ["Bob Wang", "李娜", "Crane hire"]
    assert plan.tasks[4].milestone


def test_a_written_plan_reads_back_identically() -> None:
    plan = read_mspdi(SAMPLE.read_bytes())
    written = write_mspdi(plan)
    assert read_mspdi(written) == plan
    assert write_mspdi(read_mspdi(written)) == written
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"') and NS.encode() in written


HOSTILE = {
    "not_xml": b"<Project><Tasks><Task></Project>",
    "dtd_refused": (b'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                    b'<Project xmlns="http://schemas.microsoft.com/project"><Name>&xxe;</Name></Project>'),
    "not_mspdi": b"<html><body>hello</body></html>",
    "bad_date": f'<Project {NS}><Tasks><Task><UID>1</UID><Start>2026-02-30T08:00:00</Start></Task></Tasks>'
                f'</Project>'.encode(),
    "finish_before_start": f'<Project {NS}><Tasks><Task><UID>1</UID><Start>2026-03-05T08:00:00</Start>'
                           f'<Finish>2026-03-02T08:00:00</Finish></Task></Tasks></Project>'.encode(),
    "out_of_range": f'<Project {NS}><Tasks><Task><UID>1</UID><PercentComplete>150</PercentComplete></Task>'
                    f'</Tasks></Project>'.encode(),
    "not_number": f'<Project {NS}><Tasks><Task><UID>x1</UID></Task></Tasks></Project>'.encode(),
    "duplicate_uid": f'<Project {NS}><Tasks><Task><UID>1</UID></Task><Task><UID>1</UID></Task></Tasks>'
                     f'</Project>'.encode(),
    "unknown_predecessor": f'<Project {NS}><Tasks><Task><UID>1</UID><PredecessorLink><PredecessorUID>9'
                           f'</PredecessorUID></PredecessorLink></Task></Tasks></Project>'.encode(),
    "too_large": b" " * (MAX_PLAN_BYTES + 1),
}
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><Project xmlns="http://schemas.microsoft.com/project">'
                  b'<Name>&lol3;</Name></Project>')


@pytest.mark.parametrize("code", sorted(HOSTILE))
def test_a_hostile_file_is_refused_with_its_reason(code: str) -> None:
    with pytest.raises(PlanError) as refused:
        read_mspdi(HOSTILE[code])
    assert refused.value.code == code


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(PlanError) as refused:
        read_mspdi(BILLION_LAUGHS)
    assert refused.value.code == "dtd_refused"


def test_a_file_source_reads_a_plan_as_rows() -> None:
    source = SourceConfig.model_validate({"name": "pmo", "kind": "file", "path": "/plans/*.xml",
                                          "rules": [{"name": "r", "when": "true", "do": [
                                              {"update_task": {"task": "PUMP-{{ row['UID'] }}",
                                                               "percent": "{{ row['PercentComplete'] }}"}}]}]})
    rows, rejected = read_rows(Path("plan.xml"), SAMPLE.read_bytes(), source)
    assert rejected == [] and [r["Name"] for _, r in rows] == ["Drain the tank", "Lift pump 3 out", "安装新泵", "Handover"]
    assert rows[1][1]["Resources"] == "Bob Wang, Crane hire" and rows[1][1]["Predecessors"] == "2FS"
    rows, rejected = read_rows(Path("evil.xml"), HOSTILE["dtd_refused"], source)
    assert rows == [] and rejected[0][1].startswith("not a Microsoft Project XML plan: dtd_refused")


# -- into a project and back --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file for the module; each test's runtime opens a copy (no migration per test)."""
    path = tmp_path_factory.mktemp("plans") / "template.db"

    async def make() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(database)
        await database.dispose()
    asyncio.run(make())
    return path


@pytest.fixture
async def rt(tmp_path: Path, migrated_file: Path) -> AsyncIterator[Runtime]:
    shutil.copyfile(migrated_file, tmp_path / "p.db")
    config = Config(people=(PersonConfig(id="bob", name="Bob Wang", roles=("admin",)),
                            PersonConfig(id="lina", name="李娜")),
                    projects=(ProjectConfig(key="PUMP", name="泵站", members=("bob", "lina")),))
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"), config, console=True,
                      clock=running_clock())
    await runtime.open()
    yield runtime
    await runtime.close()


async def _cli(rt: Runtime, action: str, file: Path, *, locale: str = "en", dry_run: bool = False) -> tuple[int, str]:
    lines: list[str] = []
    code = await plan_cli.execute(action, rt.settings, rt.config, file, "PUMP", dry_run=dry_run,
                                  say=plan_cli.Say(locale, lines.append))
    return code, "\n".join(lines)


async def _tasks(rt: Runtime) -> list[tuple[str, str, int, str | None, str | None]]:
    async with rt.db.read() as s:
        found = await LocalPMS(s, clock=rt.clock).search_tasks(project="PUMP", open_only=False, limit=100)
    return sorted((t.key, t.title, t.percent, t.assignee, t.due.isoformat() if t.due else None) for t in found)


async def test_import_export_reimport(rt: Runtime, tmp_path: Path) -> None:
    code, out = await _cli(rt, "import", SAMPLE, dry_run=True)
    assert code == 0 and "4 tasks would be created" in out and await _tasks(rt) == []

    code, out = await _cli(rt, "import", SAMPLE)
    assert code == 0 and "4 tasks created" in out and "Crane hire" in out, out
    assert await _tasks(rt) == [("PUMP-1", "Drain the tank", 100, "bob", "2026-03-03"),
                                ("PUMP-2", "Lift pump 3 out", 50, "bob", "2026-03-06"),
                                ("PUMP-3", "安装新泵", 0, "lina", "2026-03-19"),
                                ("PUMP-4", "Handover", 0, None, "2026-03-20")]

    exported = tmp_path / "out.xml"
    assert (await _cli(rt, "export", exported))[0] == 0
    assert read_mspdi(exported.read_bytes()) == read_mspdi(SAMPLE.read_bytes())  # nothing lost on the way

    code, out = await _cli(rt, "import", exported)  # the exported plan again: the same tasks, none added
    assert code == 0 and "0 tasks created, 0 updated, 4 unchanged" in out, out

    async with rt.db.write() as s:  # progress reported in chat shows in the next export
        await LocalPMS(s, clock=rt.clock).report_progress("PUMP-3", percent=40, note="", hours=None,
                                                          by=Person(id="lina", name="李娜", locale="zh"))
    await _cli(rt, "export", exported)
    assert [t.percent for t in read_mspdi(exported.read_bytes()).tasks if t.name == "安装新泵"] == [40]


async def test_a_hostile_file_changes_nothing_and_says_why_in_the_persons_language(rt: Runtime,
                                                                                    tmp_path: Path) -> None:
    for name, raw in (("xxe.xml", HOSTILE["dtd_refused"]), ("dates.xml", HOSTILE["bad_date"])):
        path = tmp_path / name
        path.write_bytes(raw)
        code, out = await _cli(rt, "import", path, locale="zh")
        assert code == 1 and "未导入" in out
    assert "DTD" in out or "日期" in out
    assert await _tasks(rt) == []
    async with rt.db.read() as s:
        assert await plan_of(s, "PUMP") is None


async def test_a_pms_refusal_part_way_rolls_the_local_import_back(rt: Runtime, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.pms.base import PMSError

    calls = {"n": 0}
    create = LocalPMS.create_task

    async def flaky(self: LocalPMS, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise PMSError("pms_refused", pms="local", reason="injected")
        return await create(self, *args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(LocalPMS, "create_task", flaky)
    code, out = await _cli(rt, "import", SAMPLE)
    assert code == 1 and "Nothing was imported" in out, out
    assert await _tasks(rt) == []  # the two created before the refusal went with the transaction
