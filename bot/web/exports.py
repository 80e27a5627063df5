"""The trend figures as downloads: one CSV (a `figure` column naming each table) or one XLSX workbook (a sheet
per table), made with openpyxl. Text that a spreadsheet would run as a formula (=, +, -, @ first) is written
with a leading apostrophe (names come from people's configuration and chat)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from aiohttp import web

from bot.web.trend_figures import Cell, Table

FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")
DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _safe(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_FIRST):
        return "'" + value
    return value


def to_csv(tables: Sequence[Table]) -> bytes:
    """All tables in one file: `figure` then each table's own columns, a header line per table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for table in tables:
        writer.writerow(("figure", *table.header))
        for row in table.rows:
            writer.writerow((table.name, *("" if v is None else _safe(v) for v in row)))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel opens UTF-8 (Chinese names) right


def to_xlsx(tables: Sequence[Table]) -> bytes:
    # On the first download: openpyxl is 175 modules and 4 MB an idle web process does not need.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def attachment(fmt: str, tables: Sequence[Table], filename: str) -> web.Response:
    """The tables as a download in `fmt` (a key of DOWNLOADS)."""
    body = to_csv(tables) if fmt == "csv" else to_xlsx(tables)
    return web.Response(body=body, headers={
        "Content-Type": DOWNLOADS[fmt], "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})
