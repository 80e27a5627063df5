"""File sources: CSV and XLSX exports (a legacy ERP that can only export Excel) turned into rows for the rules.

A file is read whole (at most MAX_IMPORT_BYTES): CSV in UTF-8 (with or without BOM) or GB18030, XLSX with
openpyxl (cached formula values; a formula Excel never computed is a rejected cell; merged cells give their
value to every cell they cover; date cells become ISO dates). Each row goes to the inbox as one delivery of
the source, keyed by the source's `row_key` (else the row's content), so a row imported before, from this
file or another, is skipped; the worker applies the rules. A file already imported (same SHA-256) changes
nothing. Every file gets a report: rows queued, skipped, rejected with the reason, and later applied.
"""

from __future__ import annotations

import asyncio
import csv
import glob
import hashlib
import io
import itertools
import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bot.config import SourceConfig
from bot.constants import HOOK_PLATFORM_PREFIX
from bot.inbox import Inbox
from bot.mapping.rules import RuleError, RuleSet
from bot.records import InboundEvent
from bot.store import imports
from bot.store.db import Database
from bot.text import short_key

log = logging.getLogger("pmsbot.imports")

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 200
MAX_MERGED_CELLS = 100_000
MAX_CELL_CHARS = 2000
FILE_SETTLE_S = 30.0  # a file modified more recently may still be being written: the next poll takes it


@dataclass
class FileReport:
    source: str
    file: str
    sha256: str
    rows: int = 0
    queued: int = 0
    skipped: int = 0  # imported before (same row key)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    inbox_ids: list[int] = field(default_factory=list)
    already_imported: bool = False

    def summary(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "rows": self.rows, "queued": self.queued,
                "skipped": self.skipped, "rejected": [{"line": n, "reason": r} for n, r in self.rejected[:500]],
                "rejected_count": len(self.rejected), "inbox_ids": self.inbox_ids[:MAX_ROWS]}


def _cell(value: Any) -> Any:
    """A spreadsheet value as JSON: dates as ISO text (a date with no time of day as a plain date)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()[:MAX_CELL_CHARS]
    return value


def _decode(raw: bytes, encoding: str) -> str:
    if encoding == "gb18030":
        return raw.decode("gb18030")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if encoding == "utf-8":
            raise
        return raw.decode("gb18030")  # what Chinese Excel and many ERPs write as "ANSI"


def read_csv(raw: bytes, encoding: str) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    """(line, row) pairs and (line, reason) rejections. A row whose field count differs from the header's is
    rejected; the rows around it are read."""
    try:
        text = _decode(raw, encoding)
    except UnicodeDecodeError as exc:
        return [], [(0, f"the file is not {encoding} text: {exc.reason} at byte {exc.start}")]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, Any]]] = []
    rejected: list[tuple[int, str]] = []
    header: list[str] | None = None
    while True:
        if len(rows) + len(rejected) > MAX_ROWS:
            return [], [(reader.line_num, f"refused: more than {MAX_ROWS} rows (split the export)")]
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejected.append((reader.line_num, f"not CSV: {exc}"))
            continue
        if header is None:
            header = [h.strip() for h in values]
            named = [h for h in header if h]  # unnamed columns (Excel's trailing commas) are left out
            if not named or len(set(named)) != len(named):
                return [], [(reader.line_num, "the first line must name each column once")]
            continue
        if not any(v.strip() for v in values):
            continue  # blank lines
        if len(values) != len(header):
            rejected.append((reader.line_num, f"{len(values)} fields where the header has {len(header)}"))
            continue
        if any("\x00" in v for v in values):
            rejected.append((reader.line_num, "a field holds a NUL character"))
            continue
        rows.append((reader.line_num, {h: _cell(v) for h, v in zip(header, values, strict=True) if h}))
    return rows, rejected


_MERGE_RE = re.compile(rb'<mergeCell ref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION_RE = re.compile(rb'<dimension ref="(?:[A-Z]{1,3}[0-9]{1,7}:)?([A-Z]{1,3})([0-9]{1,7})"')


def _column(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + c - 64
    return n


def xlsx_problem(raw: bytes) -> str | None:
    """Why this XLSX must not be opened (a zip bomb, a sheet or merged range far larger than an export), before
    openpyxl, which builds every cell of a merged range in memory, gets to it."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            entries = z.infolist()
            if sum(e.file_size for e in entries) > MAX_XLSX_UNPACKED_BYTES:
                return f"it unpacks to more than {MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)} MiB"
            for e in entries:
                if e.filename.startswith("xl/worksheets/") and e.filename.endswith(".xml"):
                    xml = z.read(e)
                    for m in _MERGE_RE.finditer(xml):
                        cells = ((abs(int(m.group(4)) - int(m.group(2))) + 1)
                                 * (abs(_column(m.group(3)) - _column(m.group(1))) + 1))
                        if cells > MAX_MERGED_CELLS:
                            span = b"%s%s:%s%s" % (m.group(1), m.group(2), m.group(3), m.group(4))
                            return f"a merged range ({span.decode()}) covers {cells} cells"
                    dim = _DIMENSION_RE.search(xml)
                    if dim and (_column(dim.group(1)) > MAX_COLUMNS or int(dim.group(2)) > MAX_ROWS + 1):
                        return (f"a sheet spans {dim.group(1).decode()}{dim.group(2).decode()}: at most "
                                f"{MAX_COLUMNS} columns and {MAX_ROWS} rows (split the export)")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        return f"not a readable XLSX file: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def read_xlsx(raw: bytes, sheet: str | None) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    import openpyxl  # only file sources need it
    from openpyxl.utils.exceptions import InvalidFileException

    problem = xlsx_problem(raw)
    if problem is not None:
        return [], [(0, problem if problem.startswith("not a readable") else f"refused: {problem}")]
    try:
        values_book = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
        formula_book = openpyxl.load_workbook(io.BytesIO(raw), data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, TypeError,
            SyntaxError) as exc:  # SyntaxError: xml.etree's ParseError on a broken sheet
        return [], [(0, f"not a readable XLSX file: {type(exc).__name__}: {str(exc)[:200]}")]
    if sheet is not None and sheet not in values_book.sheetnames:
        return [], [(0, f"no sheet '{sheet}' (sheets: {', '.join(values_book.sheetnames)})")]
    ws = values_book[sheet] if sheet else values_book.worksheets[0]
    formulas = formula_book[ws.title]
    # A merged range's value sits in its top-left cell: give it to every cell of the range.
    merged: dict[tuple[int, int], Any] = {}
    for cells in ws.merged_cells.ranges:
        top_left = ws.cell(cells.min_row, cells.min_col).value
        for r in range(cells.min_row, cells.max_row + 1):
            for c in range(cells.min_col, cells.max_col + 1):
                merged[(r, c)] = top_left
    rows: list[tuple[int, dict[str, Any]]] = []
    rejected: list[tuple[int, str]] = []
    header: list[str] = []
    if ws.max_row > MAX_ROWS + 1 or ws.max_column > MAX_COLUMNS:
        return [], [(0, f"refused: the sheet has {ws.max_row} rows and {ws.max_column} columns, at most {MAX_ROWS} "
                        f"and {MAX_COLUMNS} (split the export)")]
    for r in range(1, ws.max_row + 1):
        values = [merged.get((r, c), ws.cell(r, c).value) for c in range(1, ws.max_column + 1)]
        if not header:
            header = [str(v).strip() if v is not None else "" for v in values]
            if not any(header) or len({h for h in header if h}) != len([h for h in header if h]):
                return [], [(r, "the first row must name each column once")]
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        uncomputed = [header[c - 1] or f"column {c}" for c in range(1, len(values) + 1)
                      if values[c - 1] is None and isinstance(formulas.cell(r, c).value, str)
                      and str(formulas.cell(r, c).value).startswith("=")]
        if uncomputed:
            rejected.append((r, f"formula without a computed value in {', '.join(uncomputed)} "
                                "(open and save the file in Excel, or export values)"))
            continue
        rows.append((r, {h: _cell(v) for h, v in zip(header, values, strict=False) if h}))
    return rows, rejected


def _folder_of(pattern: str) -> Path:
    """The folder a glob pattern looks in: its path up to the first component with a wildcard."""
    parts = Path(pattern).parts
    fixed = [p for p in itertools.takewhile(lambda part: not glob.has_magic(part), parts[:-1])]
    return Path(*fixed) if fixed else Path(".")


def _files(pattern: str, now: datetime) -> list[Path]:
    """The files to import: regular files inside the pattern's folder (a symlink, or a name that leads out of
    the folder, is refused: an export folder must not become a way to read the rest of the disk), and not
    those still being written (modified in the last FILE_SETTLE_S)."""
    settled = now.timestamp() - FILE_SETTLE_S
    folder = _folder_of(pattern).resolve()
    found = []
    for name in sorted(glob.glob(pattern)):
        path = Path(name)
        try:
            if path.is_symlink() or not path.resolve().is_relative_to(folder):
                log.warning("import: %s refused: a symlink, or outside %s", path, folder)
                continue
            if path.is_file() and path.stat().st_mtime <= settled:
                found.append(path)
        except OSError:
            continue
    return found


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(MAX_IMPORT_BYTES + 1)


def read_rows(path: Path, raw: bytes, source: SourceConfig
              ) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(raw, source.encoding)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(raw, source.sheet)
    if suffix == ".xml":  # Microsoft Project's XML (MSPDI): one row per task, or the whole file refused
        from bot.mapping.mspdi import PlanError, plan_rows, read_mspdi  # the XML parser only for a plan file

        try:
            return [(line, dict(row)) for line, row in plan_rows(read_mspdi(raw))], []
        except PlanError as exc:
            return [], [(0, f"not a Microsoft Project XML plan: {exc.code} {exc.params}")]
    return [], [(0, f"not a CSV, XLSX or Microsoft Project XML file ({suffix or 'no extension'})")]


async def import_file(db: Database, inbox: Inbox, source: SourceConfig, rules: RuleSet, path: Path, *,
                      now: datetime) -> FileReport:
    """Queue a file's new rows as deliveries of `source`; the report is kept (and returned)."""
    raw = await asyncio.to_thread(_head, path)
    sha = hashlib.sha256(raw).hexdigest()
    report = FileReport(source=source.name, file=path.name, sha256=sha)
    if await imports.seen(db, source.name, sha):
        report.already_imported = True
        return report
    if len(raw) > MAX_IMPORT_BYTES:
        report.rejected.append((0, f"larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB"))
        rows: list[tuple[int, dict[str, Any]]] = []
    else:
        rows, report.rejected = await asyncio.to_thread(read_rows, path, raw, source)  # XLSX parsing is slow
    report.rows = len(rows) + len(report.rejected)
    for line, row in rows:
        context = {"payload": row, "row": row, "file": path.name, "line": line}
        try:
            key = rules.row_key(context) if rules.has_row_key else hashlib.sha256(
                json.dumps(row, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        except RuleError as exc:
            report.rejected.append((line, str(exc)))
            continue
        if not key or key == "None":
            report.rejected.append((line, "the row key is empty (row_key names a blank cell)"))
            continue
        event = InboundEvent(
            platform=HOOK_PLATFORM_PREFIX + source.name, event_id=f"row:{short_key(key)}", kind="hook",
            sender=source.name, conversation="", received_at=now,
            text=json.dumps({"row": row, "file": path.name, "line": line}, ensure_ascii=False, default=str))
        accepted = await inbox.accept(event)
        if accepted.duplicate and await inbox.requeue_failed(event):
            report.queued += 1  # a row rejected before, corrected in this file: handled anew
        elif accepted.duplicate or accepted.inbox_id is None:
            report.skipped += 1
        else:
            report.queued += 1
            report.inbox_ids.append(accepted.inbox_id)
    report.rejected.sort()
    await imports.record(db, source.name, sha, path.name, report.summary(), now)
    log.info("import %s %s: %s rows, %s queued, %s skipped, %s rejected", source.name, path.name, report.rows,
             report.queued, report.skipped, len(report.rejected))
    return report


async def poll_files(db: Database, inbox: Inbox, sources: list[tuple[SourceConfig, RuleSet]], *, now: datetime
                     ) -> list[FileReport]:
    """Every file source's glob, each file not imported yet."""
    reports = []
    for source, rules in sources:
        if source.kind != "file" or not source.path:
            continue
        for path in await asyncio.to_thread(_files, source.path, now):
            try:
                report = await import_file(db, inbox, source, rules, path, now=now)
            except OSError as exc:  # gone or unreadable since it was listed: the next poll sees
                log.warning("import %s %s: %s", source.name, path, exc)
                continue
            if not report.already_imported:
                reports.append(report)
    return reports
