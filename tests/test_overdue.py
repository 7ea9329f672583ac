"""Overdue cases now, and the month's 通报 of overdue units: which unit let which cases run past their deadline, by
how many working days, with how many 督办单, ranked; as JSON, XLSX and the console's page, for the managers only.

The days are pinned (November 2026): 2 Nov is a Monday; working days skip weekends."""
from __future__ import annotations

import datetime as dt
import io
import re

import requests
from openpyxl import load_workbook
from sqlalchemy import select

from server.cases.models import Case
from server.cases.workflow import escalate_overdue
from server.extensions import db
from server.transaction import unit_of_work

from .photos import jpeg_with_exif, upload
from .test_cases import ASSIGNEE, SUP_OWN
from .test_console import _session
from .test_departments import ENV, WATER, _assigned_to, _departments, _sign_in

CN = dt.timezone(dt.timedelta(hours=8))
ADMIN, SUP_OTHER, INSPECTOR = "13900000001", "13900000011", "13900000101"


def _at(time_machine, api, day: int, hour: int = 10) -> None:
    time_machine.move_to(dt.datetime(2026, 11, day, hour, tzinfo=CN))
    api._tokens.clear()  # (a token signed on another day has expired)


def _deadline(no: str, day: dt.date) -> None:
    with unit_of_work():
        db.session.scalar(select(Case).where(Case.case_no == no)).deadline = day


def _rectify(api, phone: str, no: str) -> None:
    token = _sign_in(api, phone)
    photo = upload(api, token, jpeg_with_exif(size=(800, 600)))["uuid"]
    r = api.post(f"/api/v1/cases/{no}/transitions", token=token,
                 json={"action": "rectify", "photo_uuids": [photo], "note": "已整改"})
    assert r.status_code == 201, r.text


def _world(api, time_machine) -> dict[str, str]:
    _at(time_machine, api, 2, 9)
    units = _departments(api)
    late = _assigned_to(api, units[WATER])  # deadline 2 Nov, still in work on the 20th
    fixed_late = _assigned_to(api, units[WATER])  # deadline 5 Nov, rectified on the 10th
    waiting = _assigned_to(api, units[ENV])  # deadline 25 Nov: not late yet
    in_time = _assigned_to(api, units[ENV])  # deadline 3 Nov, rectified on the 3rd
    for no, day in ((late, 2), (fixed_late, 5), (waiting, 25), (in_time, 3)):
        _deadline(no, dt.date(2026, 11, day))
    _at(time_machine, api, 3)
    _rectify(api, ENV, in_time)
    with unit_of_work():
        escalate_overdue(today=dt.date(2026, 11, 5))  # 3 working days late: the township's 督办单 for ``late``
    _at(time_machine, api, 10)
    _rectify(api, WATER, fixed_late)
    _at(time_machine, api, 20)
    return {"late": late, "fixed_late": fixed_late, "waiting": waiting, "in_time": in_time}


def test_the_months_overdue_units_ranked_with_their_cases(engine_name, api, time_machine):
    cases = _world(api, time_machine)
    sup = api.token(SUP_OWN)
    now = api.get("/api/v1/cases/overdue", token=sup)
    assert now.status_code == 200, now.text
    # 3-6, 9-13 and 16-20 November: 14 working days late, at the first escalation level
    assert [(c["case_no"], c["responsible"], c["late_working_days"], c["escalation_level"]) for c in now.json()] == [
        (cases["late"], "区水务局", 14, 1)]

    nov = api.get("/api/v1/cases/overdue-briefing/2026-11", token=sup).json()
    assert nov["overdue_cases"] == 2
    [water] = nov["units"]  # the environment bureau was on time: not named
    assert (water["rank"], water["responsible"], water["overdue_cases"], water["still_open"], water["longest"],
            water["notices"]) == (1, "区水务局", 2, 1, 14, 1)
    assert water["cases"] == sorted([cases["late"], cases["fixed_late"]])
    # October had none: nothing was due yet
    assert api.get("/api/v1/cases/overdue-briefing/2026-10", token=sup).json()["units"] == []
    bad = api.get("/api/v1/cases/overdue-briefing/2026-13", token=sup)
    assert bad.status_code == 422 and "YYYY-MM" in bad.json()["errors"]["period"][0]

    book = load_workbook(io.BytesIO(api.get("/api/v1/cases/overdue-briefing/2026-11", token=sup,
                                            params={"format": "xlsx"}).content))
    sheet = book["逾期单位通报"]
    assert "2026-11 逾期单位通报（共 2 件逾期）" in sheet["A1"].value
    assert [c.value for c in sheet[3]][:6] == [1, "区水务局", 2, 1, 14, 1]
    assert [row[0].value for row in book["当前逾期案件"].iter_rows(min_row=2)] == [cases["late"]]

    # the console: the overdue list and the month's 通报 with its download
    s, _ = _session(api, SUP_OWN)
    page = s.get(f"{api.base}/console/cases/overdue?period=2026-11").text
    assert cases["late"] in page and "14 个工作日" in page and "共 2 件逾期，涉及 1 个单位" in page
    assert cases["waiting"] not in page and cases["in_time"] not in page
    xlsx = s.get(f"{api.base}/console/cases/overdue-briefing-2026-11.xlsx")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content))["逾期单位通报"]["B3"].value == "区水务局"


def test_only_the_managers_see_the_overdue_lists(engine_name, api, time_machine):
    cases = _world(api, time_machine)
    for who, token in (("inspector", api.token(INSPECTOR)), ("assignee", api.token(ASSIGNEE)),
                       ("department", _sign_in(api, WATER))):
        for path in ("/api/v1/cases/overdue", "/api/v1/cases/overdue-briefing/2026-11"):
            assert api.get(path, token=token).status_code == 403, (who, path)
    assert api.get("/api/v1/cases/overdue").status_code == 401
    # another township's supervisor sees none of this township's cases; the county sees them all
    other = api.token(SUP_OTHER)
    assert api.get("/api/v1/cases/overdue", token=other).json() == []
    assert api.get("/api/v1/cases/overdue-briefing/2026-11", token=other).json()["units"] == []
    county = api.get("/api/v1/cases/overdue", token=api.token(ADMIN)).json()
    assert [c["case_no"] for c in county] == [cases["late"]]
    # in the console, a department's staff (who may sign in for their own cases) are refused the page
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{api.base}/console/login").text).group(1)
    signed = s.post(f"{api.base}/console/login", data={"phone": WATER, "password": "long-enough-1",
                                                       "csrf_token": token})
    assert signed.status_code == 200 and "/console/login" not in signed.url
    assert s.get(f"{api.base}/console/cases/overdue").status_code == 403
    assert s.get(f"{api.base}/console/cases/overdue-briefing-2026-11.xlsx").status_code == 403
