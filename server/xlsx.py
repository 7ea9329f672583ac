"""Workbooks for download (payroll, ledger): a bold title, bold headers, frozen panes; one call."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(sheets: list[tuple[str, str | None, list[str], list[list]]]) -> bytes:
    """``sheets``: (sheet name, title line or None, headers, rows)."""
    wb = Workbook()
    for n, (name, title, headers, rows) in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = name
        if title:
            ws.append([title])
            ws["A1"].font = Font(bold=True, size=14)
        ws.append(headers)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        ws.freeze_panes = f"A{ws.max_row + 1}"  # (a string: asking for the cell would create a row)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
