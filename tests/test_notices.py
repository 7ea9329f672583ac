"""督办单: each escalation step of an overdue case issues a numbered notice, as a PDF with the case, the unit, the
deadline, the level and signature lines; the unit's staff and the case's managers download it."""
from __future__ import annotations

import datetime as dt

import pypdfium2
from sqlalchemy import select

from server.cases.models import Case
from server.cases.workflow import escalate_overdue
from server.extensions import db
from server.transaction import unit_of_work

from .test_cases import SUP_OWN
from .test_console import _session
from .test_departments import ENV, WATER, _assigned_to, _departments, _sign_in


def _text(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    return doc[0].get_textpage().get_text_range()


def test_an_overdue_case_gets_a_numbered_notice_at_each_level(engine_name, api):
    units = _departments(api)
    water, env, sup = _sign_in(api, WATER), _sign_in(api, ENV), api.token(SUP_OWN)
    no = _assigned_to(api, units[WATER])
    with unit_of_work():  # (the days are pinned: a deadline on Monday 2 November 2026)
        db.session.scalar(select(Case).where(Case.case_no == no)).deadline = dt.date(2026, 11, 2)
    with unit_of_work():
        escalate_overdue(today=dt.date(2026, 11, 5))  # 3 working days late: the township's 督办
    with unit_of_work():
        escalate_overdue(today=dt.date(2026, 11, 6))  # the same level again: no second notice
    with unit_of_work():
        escalate_overdue(today=dt.date(2026, 11, 16))  # 10 working days late: the county's
    issued = api.get(f"/api/v1/cases/{no}/notices", token=water).json()
    assert [(n["level"], n["label"], n["responsible"]) for n in issued] == [
        (1, "乡镇督办", "区水务局"), (2, "县级督办", "区水务局")]
    first, second = issued
    assert first["number"].endswith("督〔2026〕1号") and second["number"].endswith("督〔2026〕2号")
    assert (first["deadline"], first["overdue_working_days"], second["overdue_working_days"]) == ("2026-11-02", 3, 10)
    pdf = api.get(f"/api/v1/cases/{no}/notices/{first['id']}.pdf", token=water)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = _text(pdf.content)
    for words in ("督 办 单", first["number"], no, "区水务局", "2026-11-02", "已超期 3 个工作日", "第 1 级", "乡镇督办",
                  "签发人", "签收人"):
        assert words in text, words
    # each step is in the case's history with its notice's number; another department sees none of it
    steps = [e for e in api.get(f"/api/v1/cases/{no}", token=sup).json()["events"] if e["action"] == "escalate"]
    assert [e["note"] for e in steps] == ["乡镇督办", "县级督办"]
    assert api.get(f"/api/v1/cases/{no}/notices", token=env).status_code == 404
    assert api.get(f"/api/v1/cases/{no}/notices/{first['id']}.pdf", token=env).status_code == 404
    # the console's case page links both, and the link prints
    s, _ = _session(api, SUP_OWN)
    page = s.get(f"{api.base}/console/cases/{no}").text
    assert first["number"] in page and second["number"] in page
    printed = s.get(f"{api.base}/console/cases/{no}/notices/{second['id']}.pdf")
    assert printed.status_code == 200 and "县级督办" in _text(printed.content)
