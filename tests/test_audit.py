"""The audit log: who did what to which object, when, from where, before and after; append-only; each look at a
person's track by someone else kept; every review decision kept, and changing one needs a reason."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from server.audit.models import AuditEntry
from server.auth.models import User
from server.extensions import db
from server.grids.models import OrgUnit
from shared_models.clock import local_today

from .patrol_data import INSP_A, card_of, patrol_body, second_county, walk_on
from .test_console import _session

ADMIN, SUP_OWN, ADMIN_OTHER = "13900000001", "13900000012", "13900000901"


def _uid(phone: str) -> int:
    return db.session.scalar(select(User.id).where(User.phone == phone))


def _log(api, token, **query) -> list[dict]:
    r = api.get("/api/v1/audit", token=token, params=query)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_password_reset_a_rule_ended_and_a_grid_renamed_are_kept(engine_name, api):
    second_county()
    admin, insp = api.token(ADMIN), _uid(INSP_A)
    assert api.post(f"/api/v1/users/{insp}/password", token=admin,
                    json={"password": "new-password-2026"}).status_code == 200
    [reset] = _log(api, admin, person_id=insp, action="user.password_reset")
    assert reset["actor"]["phone"] == ADMIN and reset["subject"]["id"] == insp
    assert reset["address"] == "127.0.0.1" and reset["action_label"] == "重置密码"
    assert "new-password" not in str(reset) and reset["before"] is None

    county = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112"))
    start, end = local_today() + dt.timedelta(days=1), local_today() + dt.timedelta(days=30)
    rule = api.post("/api/v1/rules/frequency", token=admin, json={
        "org_unit_id": county.id, "name": "村级网格每月4次", "grid_level": "village", "window": "month",
        "min_count": 4, "valid_from": start.isoformat()}).json()
    assert api.patch(f"/api/v1/rules/frequency/{rule['id']}", token=admin,
                     json={"valid_to": end.isoformat()}).status_code == 200
    entries = _log(api, admin, object_type="rule", object_id=f"frequency_rules:{rule['id']}")
    assert [e["action"] for e in entries] == ["rule.ended", "rule.created"]  # newest first
    assert entries[0]["before"]["valid_to"] is None and entries[0]["after"]["valid_to"] == end.isoformat()
    assert entries[1]["after"]["min_count"] == 4

    segment = card_of(INSP_A).segments[0]
    s, token = _session(api, ADMIN)
    r = s.post(api.base + "/console/grids", data={"kind": "segment", "id": str(segment.id), "name": "新河段名",
                                                  "csrf_token": token}, allow_redirects=False)
    assert r.status_code == 302
    [renamed] = _log(api, admin, object_type="segment", object_id=str(segment.id))
    assert (renamed["action"], renamed["before"], renamed["after"]) == (
        "segment.renamed", {"name": segment.name}, {"name": "新河段名"})
    # the console shows the person's entries to the county's admin
    page = s.get(api.base + "/console/audit", params={"phone": INSP_A}).text
    assert "重置密码" in page and "新河段名" not in page
    # the other county's admin sees none of it, a supervisor may not read the log at all
    assert _log(api, api.token(ADMIN_OTHER), person_id=insp) == []
    assert api.get("/api/v1/audit", token=api.token(SUP_OWN)).status_code == 403


def test_each_look_at_a_track_by_someone_else_is_kept(engine_name, api):
    card = card_of(INSP_A)
    mine = api.token(INSP_A)
    patrol = api.post("/api/v1/patrols", token=mine, json=patrol_body(walk_on(card), card)).json()
    assert api.get(f"/api/v1/patrols/{patrol['uuid']}", token=mine).status_code == 200  # one's own: not kept
    sup = api.token(SUP_OWN)
    assert api.get(f"/api/v1/patrols/{patrol['uuid']}", token=sup).status_code == 200
    assert api.get(f"/api/v1/patrols/{patrol['uuid']}/track.gpx", token=sup).status_code == 200
    s, _ = _session(api, SUP_OWN)
    assert s.get(api.base + f"/console/patrols/{patrol['uuid']}").status_code == 200
    looks = _log(api, api.token(ADMIN), object_type="patrol", object_id=patrol["uuid"])
    assert [(e["action"], e["actor"]["phone"], e["subject"]["phone"]) for e in looks] == [
        ("track.viewed", SUP_OWN, INSP_A), ("track.exported", SUP_OWN, INSP_A), ("track.viewed", SUP_OWN, INSP_A)]
    assert looks[1]["note"] == "gpx"


def test_a_rejected_patrol_cleared_with_a_reason_keeps_both_decisions(engine_name, api):
    card = card_of(INSP_A)
    mine, sup = api.token(INSP_A), api.token(SUP_OWN)
    patrol = api.post("/api/v1/patrols", token=mine, json=patrol_body(walk_on(card), card)).json()
    review = f"/api/v1/patrols/{patrol['uuid']}/review"
    assert api.post(review, token=sup, json={"decision": "reject", "note": "轨迹与河段不符"}).status_code == 200
    r = api.post(review, token=sup, json={"decision": "clear", "note": ""})
    assert r.status_code == 422 and "理由" in r.json()["errors"]["note"]
    assert api.post(review, token=sup, json={"decision": "clear", "note": "核实后确为本人巡河"}).status_code == 200
    decisions = _log(api, api.token(ADMIN), object_type="patrol", object_id=patrol["uuid"], action="patrol.reviewed")
    assert [(d["before"]["review_status"], d["after"]["review_status"], d["note"]) for d in reversed(decisions)] == [
        (None, "rejected", "轨迹与河段不符"), ("rejected", "cleared", "核实后确为本人巡河")]
    # the phone hears the last one
    changed = api.get("/api/v1/me/changes", token=mine).json()["patrols"]
    [seen] = [p for p in changed if p["uuid"] == patrol["uuid"]]
    assert (seen["review_status"], seen["review_note"], seen["counts"]) == ("cleared", "核实后确为本人巡河", True)
    # the console's patrol page lists both
    s, _ = _session(api, SUP_OWN)
    page = s.get(api.base + f"/console/patrols/{patrol['uuid']}").text
    assert page.index("轨迹与河段不符") < page.index("核实后确为本人巡河")


def test_nothing_changes_or_deletes_an_entry(engine_name, api, demo_app):
    api.post(f"/api/v1/users/{_uid(INSP_A)}/password", token=api.token(ADMIN), json={"password": "new-password-2026"})
    routes = {(m, r.rule) for r in demo_app.url_map.iter_rules() if "audit" in r.rule
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes == {("GET", "/api/v1/audit"), ("GET", "/console/audit")}
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    entry.note = "改写"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    for sql in ("UPDATE audit_log SET note = 'x'", "DELETE FROM audit_log"):  # the database itself refuses
        with db.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
            conn.execute(text(sql))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'user.password_reset'")).scalar() == 1


def test_exports_naming_people_are_kept(engine_name, api):
    """The case ledger names its reporters and the annual sheet each person's phone: whoever takes one away is
    in the log, through the API or the console."""
    sup = api.token(SUP_OWN)
    assert api.get("/api/v1/cases/ledger", token=sup).status_code == 200
    assert api.get("/api/v1/assessments/annual/2026", token=sup, params={"format": "xlsx"}).status_code == 200
    assert api.get("/api/v1/assessments/annual/2026", token=sup).status_code == 200  # (on screen: not an export)
    s, _ = _session(api, ADMIN)
    assert s.get(api.base + "/console/ledger.xlsx").status_code == 200
    assert s.get(api.base + "/console/assessment/annual.xlsx?year=2026").status_code == 200
    kept = _log(api, api.token(ADMIN), object_type="export")
    assert sorted((e["action"], e["actor"]["phone"]) for e in kept) == [
        ("annual.exported", ADMIN), ("annual.exported", SUP_OWN), ("ledger.exported", ADMIN),
        ("ledger.exported", SUP_OWN)]
