"""File sources: CSV (UTF-8 with BOM, GB18030) and XLSX (formulas, merged cells, Excel dates) rows mapped by
the same rules, idempotent on re-drop, with a per-file report of rows applied, skipped and rejected (why)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from bot.config import ChannelConfig, Config, PersonConfig, ProjectConfig, Settings, SourceConfig
from bot.mapping.files import import_file, read_csv, read_xlsx
from bot.mapping.rules import RuleSet
from bot.pms.local import LocalPMS
from bot.records import Person
from bot.runtime import Runtime
from bot.say import drain
from bot.store import imports
from tests.conftest import running_clock

EXPORT = SourceConfig.model_validate({
    "name": "erp-export", "kind": "file", "path": "/nowhere/*.csv", "row_key": "{{ row['单据号'] }}",
    "rules": [{"name": "progress rows", "when": "row['任务'] != '' and row['进度'] != ''",
               "do": [{"update_task": {"task": "{{ row['任务'] }}", "percent": "{{ row['进度'] }}",
                                       "note": "ERP 导出 {{ file }} 第 {{ line }} 行"}}]}]})


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    config = Config(
        people=(PersonConfig(id="alice", name="李娜", roles=("admin",)),),
        projects=(ProjectConfig(key="PUMP", name="泵站", members=("alice",),
                                channels=(ChannelConfig(platform="console", id="alice"),)),),
        sources=(EXPORT,))
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'i.db'}"), config, console=True, clock=running_clock())
    await runtime.open()
    async with runtime.db.write() as s:
        for title in ("a", "b", "c", "d"):
            await LocalPMS(s, clock=runtime.clock).create_task("PUMP", title, assignee=None, due=None,
                                          by=Person(id="alice", name="李娜", locale="zh"))
    yield runtime
    await runtime.close()


async def percent(rt: Runtime, key: str) -> int:
    async with rt.db.write() as s:
        task = await LocalPMS(s, clock=rt.clock).get_task(key)
        assert task is not None
        return task.percent


async def report(rt: Runtime) -> dict[str, object]:
    return (await imports.recent(rt.db))[0]


def csv_bytes(lines: list[str], encoding: str) -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


async def test_a_csv_with_bom_is_applied_and_a_redrop_changes_nothing(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(["单据号,任务,进度", "EX-1,PUMP-1,40", "EX-2,PUMP-2,70"], "utf-8-sig"))
    rules = RuleSet(EXPORT)
    first = await import_file(rt.db, rt.inbox, EXPORT, rules, path, now=rt.clock.now())
    assert (first.rows, first.queued, first.skipped, first.rejected) == (2, 2, 0, [])
    await drain(rt)
    assert (await percent(rt, "PUMP-1"), await percent(rt, "PUMP-2")) == (40, 70)
    again = await import_file(rt.db, rt.inbox, EXPORT, rules, path, now=rt.clock.now())
    assert again.already_imported and again.queued == 0
    # Tomorrow's export repeats yesterday's rows and adds one: only the new row is applied.
    path2 = tmp_path / "export2.csv"
    path2.write_bytes(csv_bytes(["单据号,任务,进度", "EX-1,PUMP-1,40", "EX-2,PUMP-2,70", "EX-3,PUMP-3,10"],
                                "utf-8-sig"))
    second = await import_file(rt.db, rt.inbox, EXPORT, rules, path2, now=rt.clock.now())
    assert (second.queued, second.skipped) == (1, 2)
    await drain(rt)
    assert await percent(rt, "PUMP-3") == 10
    summary = await report(rt)
    assert (summary["file"], summary["applied"], summary["skipped"], summary["rejected"]) == ("export2.csv", 1, 2, [])


async def test_gb18030_and_broken_rows_are_reported_line_by_line(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "旧系统导出.csv"
    path.write_bytes(csv_bytes([
        "单据号,任务,进度",
        "G-1,PUMP-1,30",
        "G-2,PUMP-2,50,多出来的一列",   # a broken row in the middle
        "G-3,PUMP-9,20",                # no such task
        "G-4,PUMP-4,很多",               # not a number
        "G-5,PUMP-3,90",
    ], "gb18030"))
    result = await import_file(rt.db, rt.inbox, EXPORT, RuleSet(EXPORT), path, now=rt.clock.now())
    assert result.rejected == [(3, "4 fields where the header has 3")]
    await drain(rt)
    assert (await percent(rt, "PUMP-1"), await percent(rt, "PUMP-3"), await percent(rt, "PUMP-4")) == (30, 90, 0)
    summary = await report(rt)
    assert summary["applied"] == 2
    reasons = {r["line"]: r["reason"] for r in summary["rejected"]}  # type: ignore[attr-defined]
    assert reasons[3] == "4 fields where the header has 3"
    assert reasons[4] == "there is no task PUMP-9"
    assert "percent '很多' is not a number" in reasons[5]


def test_undecodable_text_is_one_clear_rejection() -> None:
    rows, rejected = read_csv(b"\xff\xfe\x00a,b", "utf-8")
    assert rows == [] and "not utf-8 text" in rejected[0][1]


def test_xlsx_formulas_merged_cells_and_dates(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["单据号", "任务", "进度", "日期", "合计"])
    # Excel cells hold wall-clock times without a zone: that is what an export carries.
    ws.append(["X-1", "PUMP-1", 40, datetime(2026, 11, 29), "=C2*2"])  # noqa: DTZ001 (a formula never computed)
    ws.append(["X-2", "PUMP-2", 60, date(2026, 11, 30), 5])
    ws.append(["X-3", None, 70, datetime(2026, 11, 30, 14, 30), 6])  # noqa: DTZ001
    ws.merge_cells("B3:B4")  # PUMP-2 spans two rows, as exports of grouped reports do
    path = tmp_path / "export.xlsx"
    wb.save(path)
    rows, rejected = read_xlsx(path.read_bytes(), None)
    assert rejected == [(2, "formula without a computed value in 合计 (open and save the file in Excel, "
                            "or export values)")]
    assert rows == [(3, {"单据号": "X-2", "任务": "PUMP-2", "进度": 60, "日期": "2026-11-30", "合计": 5}),
                    (4, {"单据号": "X-3", "任务": "PUMP-2", "进度": 70, "日期": "2026-11-30T14:30:00", "合计": 6})]
    assert read_xlsx(b"PK\x03\x04 not really", None)[1][0][1].startswith("not a readable XLSX file")
    assert read_xlsx(path.read_bytes(), "Sheet9")[1] == [(0, "no sheet 'Sheet9' (sheets: Sheet)")]


def test_a_spreadsheet_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["单据号", "任务"])
    path = tmp_path / "bomb.xlsx"
    wb.save(path)
    # A few bytes of XML that would make openpyxl build 17 billion cells: a merged range over the whole sheet.
    import zipfile
    raw = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                    b'<mergeCell ref="A1:XFD1048576"/></mergeCells>')
            dst.writestr(item, data)
    rows, rejected = read_xlsx(raw.getvalue(), None)
    assert rows == [] and "refused: a merged range (A1:XFD1048576) covers" in rejected[0][1]


def test_the_import_folder_gives_no_way_out(tmp_path: Path) -> None:
    """A symlink in the export folder (to a file, or to a folder elsewhere) is not read."""
    from datetime import timedelta

    from bot.clocks import SYSTEM_CLOCK
    from bot.mapping.files import _files

    folder, outside = tmp_path / "exports", tmp_path / "elsewhere"
    folder.mkdir()
    (outside / "deep").mkdir(parents=True)
    (folder / "a.csv").write_text("x\n", encoding="utf-8")
    (outside / "secret.csv").write_text("y\n", encoding="utf-8")
    (outside / "deep" / "more.csv").write_text("z\n", encoding="utf-8")
    (folder / "link.csv").symlink_to(outside / "secret.csv")
    (folder / "sub").symlink_to(outside / "deep", target_is_directory=True)
    later = SYSTEM_CLOCK.now() + timedelta(hours=1)  # file times are the machine's: every file has settled
    assert [p.name for p in _files(str(folder / "*.csv"), later)] == ["a.csv"]
    assert _files(str(folder / "*" / "*.csv"), later) == []
