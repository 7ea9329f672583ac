"""Spreadsheets for download (payroll, ledger) as XLSX and CSV, every cell through one ``clean``.

Text comes from people (problem descriptions, grid and person names): characters XML 1.0 cannot
hold are dropped (openpyxl refuses them: one in a description made the ledger a 500), and text a
spreadsheet would read as a formula stays text (OWASP "CSV Injection": a cell starting with
``= + - @``, tab, CR or LF; and their full-width forms, which Excel with a Chinese or Japanese
input method turns into the ASCII ones when a cell is edited). Numbers (money, counts) stay
numbers. In XLSX such text is a string cell with Excel's quote prefix: shown and searched exactly
as written, never evaluated, not even after the cell is edited; CSV has no cell types, so there
it gets a leading apostrophe, the mark Excel and LibreOffice read as "text".
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font

from .text import holdable

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"

FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBERS = (int, float, Decimal)
TITLE, HEADER = Font(bold=True, size=14), Font(bold=True)


def clean(value) -> tuple[object, bool]:
    """A cell's value as a spreadsheet may hold it, and whether it is text that must be kept as text
    (it would be read as a formula, or as an error value such as ``#N/A``).

    Numbers, dates and empty cells pass as they are; any other value is text."""
    if value is None or (isinstance(value, NUMBERS + (dt.date,)) and not isinstance(value, bool)):
        return value, False
    text = holdable(value if isinstance(value, str) else str(value))
    return text, text.startswith(FORMULA_LEAD) or text in ERROR_CODES


def csv_bytes(rows: list[list]) -> bytes:
    """CSV as Excel on Chinese Windows opens it (UTF-8 with a BOM), each cell cleaned."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        out = []
        for value in row:
            value, as_text = clean(value)
            out.append("'" + value if as_text else value)
        writer.writerow(out)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def workbook(sheets: list[tuple[str, str | None, list[str], list[list]]]) -> bytes:
    """``sheets``: (sheet name, title line or None, headers, rows): a bold title, bold headers, frozen panes.

    Written row by row (openpyxl's write-only mode): memory stays flat for a county's whole ledger."""
    wb = Workbook(write_only=True)
    for name, title, headers, rows in sheets:
        ws = wb.create_sheet(name)
        ws.freeze_panes = f"A{3 if title else 2}"
        if title:
            ws.append([_cell(ws, title, TITLE)])
        ws.append([_cell(ws, h, HEADER) for h in headers])
        for row in rows:
            ws.append([_cell(ws, v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(ws, value, font: Font | None = None):
    value, as_text = clean(value)
    if not as_text and font is None:
        return value  # the common case: openpyxl types it (a number stays a number)
    cell = WriteOnlyCell(ws, value=value)
    if as_text:
        cell.data_type = "s"  # (openpyxl made "=..." a formula)
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell
