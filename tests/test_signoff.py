"""The month signed off by each township before the county locks it; the year's assessment from the locked
months, their corrections included, tiered 90 / 80 / 70."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from server.assessment.service import lock, manual
from server.audit.models import AuditEntry
from server.auth.models import User
from server.extensions import db
from server.grids.models import OrgUnit
from server.transaction import unit_of_work
from shared_models.clock import local_today

from .patrol_data import INSP_A, card_of
from .test_console import _session

ADMIN, SUP_OWN, SUP_OTHER = "13900000001", "13900000012", "13900000011"


def test_townships_sign_the_month_off_and_the_county_sees_who_has_not(engine_name, api):
    township = card_of(INSP_A).grid.parent
    sup, admin = api.token(SUP_OWN), api.token(ADMIN)
    before = {s["township"]: s["signed"] for s in api.get("/api/v1/assessments/2026-10/signoffs", token=admin).json()}
    assert len(before) >= 2 and not any(before.values())
    r = api.post("/api/v1/assessments/2026-10/signoff", token=sup, json={"comment": "已核对，无异议"})
    assert r.status_code == 201, r.text
    assert (r.json()["township"], r.json()["signed"], r.json()["comment"]) == (township.name, True, "已核对，无异议")
    after = {s["township"]: s for s in api.get("/api/v1/assessments/2026-10/signoffs", token=admin).json()}
    assert after[township.name]["signed_by"] == db.session.scalar(select(User.name).where(User.phone == SUP_OWN))
    assert [t for t, s in after.items() if not s["signed"]] == [t for t in before if t != township.name]
    assert api.post("/api/v1/assessments/2026-10/signoff", token=sup, json={}).status_code == 409  # once
    this_month = local_today().strftime("%Y-%m")  # not ended yet
    r = api.post(f"/api/v1/assessments/{this_month}/signoff", token=sup, json={})
    assert r.status_code == 409 and "结束" in r.json()["errors"]["period"]
    # another township's supervisor cannot sign for this one; an inspector signs nothing
    assert api.post("/api/v1/assessments/2026-10/signoff", token=api.token(SUP_OTHER),
                    json={"org_unit_id": township.id}).status_code == 404
    assert api.post("/api/v1/assessments/2026-10/signoff", token=api.token(INSP_A), json={}).status_code == 403
    county = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112"))
    with unit_of_work():
        lock(None, county, "2026-09")
    r = api.post("/api/v1/assessments/2026-09/signoff", token=sup, json={})
    assert r.status_code == 409 and r.json()["code"] == "assessment.locked"
    assert db.session.scalar(select(AuditEntry.note).where(AuditEntry.action == "assessment.signed_off")) == ""
    # the county's console page shows which townships have not
    s, _ = _session(api, ADMIN)
    page = s.get(api.base + "/console/assessment?period=2026-10").text
    assert "已核对，无异议" in page and "未确认" in page


def test_the_year_from_the_locked_months_with_their_corrections(engine_name, api):
    county = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112"))
    who = db.session.scalar(select(User).where(User.phone == INSP_A))
    admin = db.session.scalar(select(User).where(User.phone == ADMIN))
    with unit_of_work():
        september, october = lock(None, county, "2026-09"), lock(None, county, "2026-10")
        manual(admin, september, who.id, {"score": 85.0, "reason": "补录巡河记录"})
        manual(admin, october, who.id, {"score": 95.0, "reason": "补录巡河记录"})
    r = api.get("/api/v1/assessments/annual/2026", token=api.token(ADMIN))
    assert r.status_code == 200, r.text
    year = r.json()
    assert year["locked_months"] == [9, 10]
    mine = next(x for x in year["lines"] if x["phone"] == INSP_A)
    assert (mine["months"], mine["months_scored"], mine["mean"], mine["tier_label"]) == (
        {"9": 85.0, "10": 95.0}, 2, 90.0, "优秀")
    other = next(x for x in year["lines"] if x["phone"] != INSP_A)
    assert other["mean"] == sum(other["months"].values()) / 2 and other["tier_label"] == "不合格"  # no patrols
    r = api.get("/api/v1/assessments/annual/2026?format=xlsx", token=api.token(ADMIN))
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "已锁定月份：9、10" in rows[0][0] and rows[1][:4] == ("乡镇", "网格", "姓名", "手机号")
    row = next(x for x in rows[2:] if x[3] == INSP_A)
    assert (row[4 + 8], row[4 + 9], row[-3], row[-2], row[-1]) == (85, 95, 2, 90, "优秀")
    # a supervisor sees their township's people only
    town = {x["phone"] for x in api.get("/api/v1/assessments/annual/2026", token=api.token(SUP_OWN)).json()["lines"]}
    assert INSP_A in town and town < {x["phone"] for x in year["lines"]}
