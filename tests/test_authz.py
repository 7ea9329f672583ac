"""Who may see what: every endpoint against every role.

An inspector sees only their own records, a supervisor only their township, an admin
only their county. Objects outside scope answer 404; endpoints a role may never use, 403.
A route missing from the matrix fails the suite, so a new endpoint cannot go unchecked.
"""
from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from sqlalchemy import func, select

from server.assessment.models import AssessmentCorrection
from server.assessment.service import lock
from server.auth.models import User
from server.basemaps.service import import_package
from server.cards.models import ResponsibilityCard
from server.demo import DEMO_PASSWORD
from server.extensions import db
from server.grids.models import OrgUnit
from server.patrols import export
from server.rules.models import FrequencyRule, Plan, ValidityRuleConfig
from server.rules.service import create_rule
from server.transaction import unit_of_work
from shared_models.clock import local_today

from .mbtiles import make_mbtiles
from .notify_data import note_of
from .patrol_data import patrol_body, second_county, walk_on
from .photos import VOICE, VOICE_BYTES, jpeg_with_exif, start, upload

ANON, INSP_A, INSP_B, SUP_OWN, SUP_OTHER, ADMIN, ADMIN_OTHER, DEPT = (
    "anon", "insp_a", "insp_b", "sup_own", "sup_other", "admin", "admin_other", "dept")
PHONES = {INSP_A: "13900000101", INSP_B: "13900000102", SUP_OWN: "13900000012", SUP_OTHER: "13900000011",
          ADMIN: "13900000001", ADMIN_OTHER: "13900000901", DEPT: "13911110009"}  # DEPT: 区水务局's staff
# Those who succeed go last, so that a change they make cannot colour another role's answer.
ORDER = [ANON, INSP_B, DEPT, SUP_OTHER, ADMIN_OTHER, INSP_A, SUP_OWN, ADMIN]
EVERYONE = [INSP_A, INSP_B, SUP_OWN, SUP_OTHER, ADMIN, ADMIN_OTHER, DEPT]


def _box(x, y, d=0.002):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


@pytest.fixture
def world(api, tmp_path):
    second_county()
    admin = api.token(PHONES[ADMIN])
    water = api.post("/api/v1/departments", token=admin, json={"name": "区水务局"}).json()
    assert api.post("/api/v1/users", token=admin, json={
        "phone": PHONES[DEPT], "name": "水务局联络员", "role": "department", "org_unit_id": water["id"],
        "password": DEMO_PASSWORD}).status_code == 201
    user_a = db.session.scalar(select(User).where(User.phone == PHONES[INSP_A]))
    user_b = db.session.scalar(select(User).where(User.phone == PHONES[INSP_B]))
    card_a = db.session.scalar(select(ResponsibilityCard).where(ResponsibilityCard.inspector_id == user_a.id))
    assert card_a.segments, "the demo's first inspector must have segments"
    session_a = api.login(PHONES[INSP_A], device="matrix")["session_id"]
    photo_bytes = jpeg_with_exif(size=(400, 300))
    photo_a = upload(api, api.token(PHONES[INSP_A]), photo_bytes)["uuid"]
    photo_partial, _ = start(api, api.token(PHONES[INSP_A]), photo_bytes)
    voice_a = upload(api, api.token(PHONES[INSP_A]), VOICE_BYTES, kind=VOICE)["uuid"]
    voice_partial, _ = start(api, api.token(PHONES[INSP_A]), VOICE_BYTES, kind=VOICE)
    # a problem inside A's own village, so it is routed to A's grid
    inside = db.session.scalar(select(func.ST_AsText(func.ST_PointOnSurface(OrgUnit.boundary)))
                               .where(OrgUnit.id == card_a.grid_id))
    lon, lat = (float(v) for v in inside.removeprefix("POINT(").rstrip(")").split())
    reported = api.post("/api/v1/problems", token=api.token(PHONES[INSP_A]), json={
        "uuid": str(uuid.uuid4()), "category": "garbage", "lon": lon, "lat": lat,
        "reported_at": "2026-11-20T09:30:00+08:00"}).json()
    problem_a, case_a = reported["uuid"], reported["case_no"]
    township = card_a.grid.parent
    walked = walk_on(card_a)

    def new_patrol():
        return patrol_body(walked, card_a)

    def new_gpx():
        gpx = export.to_gpx("walk", walked.lon, walked.lat, walked.t)
        return {"data": {"uuid": str(uuid.uuid4()), "card_id": str(card_a.id)},
                "files": {"file": ("walk.gpx", io.BytesIO(gpx.encode()), "application/gpx+xml")}}

    patrol_a = api.post("/api/v1/patrols", token=api.token(PHONES[INSP_A]), json=new_patrol()).json()["uuid"]
    county = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112"))
    with unit_of_work():  # as the command line does: committed
        validity = create_rule(None, {"org_unit_id": county.id, "name": "有效巡河", "valid_from": dt.date(2026, 1, 1)},
                               model=ValidityRuleConfig)
    frequency = db.session.scalar(select(FrequencyRule.id))
    scoring = db.session.scalar(select(Plan.id).where(Plan.kind == "scoring"))
    with unit_of_work():
        basemap = import_package(make_mbtiles(tmp_path / "weiyang.mbtiles", (108.85, 34.28, 108.98, 34.40), (13,)),
                                 "610112")
    october = lock(None, county, "2026-10")
    proposed = AssessmentCorrection(lock_id=october.id, inspector_id=user_a.id, source="late_patrol", before={},
                                    after={})
    db.session.add(proposed)
    db.session.commit()
    return {
        "api": api, "user_a": user_a.id, "patrol_a": patrol_a, "new_patrol": new_patrol, "new_gpx": new_gpx,
        "user_b": user_b.id, "card_a": card_a.id, "grid_a": card_a.grid_id,
        "seg_a": card_a.segments[0].id, "session_a": session_a,
        "photo_a": photo_a, "problem_a": problem_a, "photo_partial": photo_partial, "photo_bytes": photo_bytes,
        "township_code": township.code, "township_id": township.id, "grid_a_code": card_a.grid.code,
        "validity": validity.id,
        "frequency": frequency, "scoring": scoring, "correction": proposed.id, "case_a": case_a,
        "basemap": basemap.id, "voice_a": voice_a, "voice_partial": voice_partial,
    }


def scoped(ok: int = 200) -> dict:
    """An object of inspector A's: A, A's supervisor and A's admin see it; everyone else 404."""
    return {ANON: 401, INSP_A: ok, INSP_B: 404, SUP_OWN: ok, SUP_OTHER: 404, ADMIN: ok, ADMIN_OTHER: 404, DEPT: 404}


def everyone(ok: int = 200) -> dict:
    return {ANON: 401, **{r: ok for r in EVERYONE}}


def county_wide(ok: int = 200) -> dict:
    """Everyone of 未央区 (A's county); 雁塔区's admin not."""
    return {ANON: 401, **{r: ok for r in EVERYONE if r != ADMIN_OTHER}, ADMIN_OTHER: 404}


def managers(ok: int = 200, other: int = 404) -> dict:
    """For supervisors and admins over A's grid; inspectors may not; the others' scopes do not hold it."""
    return {ANON: 401, INSP_A: 403, INSP_B: 403, SUP_OWN: ok, SUP_OTHER: other, ADMIN: ok, ADMIN_OTHER: other,
            DEPT: 403}


def admin_only(ok: int, other: int = 404) -> dict:
    return {ANON: 401, INSP_A: 403, INSP_B: 403, SUP_OWN: 403, SUP_OTHER: 403, ADMIN: ok, ADMIN_OTHER: other,
            DEPT: 403}


PUBLIC = {ANON: None}

def _open_month() -> str:
    """Last month, unless it is the October this world locks (then September)."""
    last = (local_today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return "2026-09" if last == "2026-10" else last


def J(build):  # noqa: N802
    """A JSON body builder as request arguments."""
    return lambda w: {"json": build(w)}


def _chunk(w):
    return {"data": w["photo_bytes"][:100], "headers": {"Upload-Offset": "0"}}


def _voice_chunk(w):
    return {"data": VOICE_BYTES[:100], "headers": {"Upload-Offset": "0"}}


# (method, rule as in the URL map, path builder, request-arguments builder, expected status by role)
MATRIX = [
    ("GET", "/api/v1/health", lambda w: "/api/v1/health", None, PUBLIC),
    ("GET", "/api/v1/health/live", lambda w: "/api/v1/health/live", None, PUBLIC),
    ("GET", "/api/v1/health/ready", lambda w: "/api/v1/health/ready", None, PUBLIC),
    ("GET", "/api/v1/openapi.json", lambda w: "/api/v1/openapi.json", None, PUBLIC),
    ("POST", "/api/v1/auth/login", lambda w: "/api/v1/auth/login", None, PUBLIC),
    ("POST", "/api/v1/auth/refresh", lambda w: "/api/v1/auth/refresh", None, PUBLIC),
    ("POST", "/api/v1/auth/logout", lambda w: "/api/v1/auth/logout", None, everyone(204)),
    ("GET", "/api/v1/me", lambda w: "/api/v1/me", None, everyone()),
    ("GET", "/api/v1/me/cards", lambda w: "/api/v1/me/cards", None, everyone()),
    ("GET", "/api/v1/me/sessions", lambda w: "/api/v1/me/sessions", None, everyone()),
    ("GET", "/api/v1/me/changes", lambda w: "/api/v1/me/changes", None, everyone()),
    ("GET", "/api/v1/me/basemap", lambda w: "/api/v1/me/basemap", None, county_wide()),
    ("GET", "/api/v1/basemaps/<int:basemap_id>/file", lambda w: f"/api/v1/basemaps/{w['basemap']}/file", None,
     county_wide()),
    ("DELETE", "/api/v1/me/sessions/<string:session_id>", lambda w: f"/api/v1/me/sessions/{w['session_a']}", None,
     {ANON: 401, INSP_A: 204, INSP_B: 404, SUP_OWN: 404, SUP_OTHER: 404, ADMIN: 404, ADMIN_OTHER: 404, DEPT: 404}),
    ("GET", "/api/v1/users", lambda w: "/api/v1/users", None,
     {ANON: 401, INSP_A: 403, INSP_B: 403, SUP_OWN: 200, SUP_OTHER: 200, ADMIN: 200, ADMIN_OTHER: 200, DEPT: 403}),
    ("GET", "/api/v1/users/<int:user_id>", lambda w: f"/api/v1/users/{w['user_a']}", None, scoped()),
    ("POST", "/api/v1/users", lambda w: "/api/v1/users",
     J(lambda w: {"phone": "13911112222", "name": "新巡查员", "role": "inspector", "org_unit_id": w["grid_a"],
                  "password": "long-enough-1"}), admin_only(201, other=422)),
    ("POST", "/api/v1/users/<int:user_id>/revoke-sessions",
     lambda w: f"/api/v1/users/{w['user_a']}/revoke-sessions", None, admin_only(200)),
    ("GET", "/api/v1/assessments/<string:period>/signoffs", lambda w: "/api/v1/assessments/2026-10/signoffs", None,
     managers(other=200)),
    # (the last ended month that is not locked in this world; the township's supervisor signs first, then it is done)
    ("POST", "/api/v1/assessments/<string:period>/signoff", lambda w: f"/api/v1/assessments/{_open_month()}/signoff",
     J(lambda w: {"org_unit_id": w["township_id"], "comment": "无异议"}),
     {ANON: 401, INSP_A: 403, INSP_B: 403, SUP_OWN: 201, SUP_OTHER: 404, ADMIN: 409, ADMIN_OTHER: 404, DEPT: 403}),
    ("GET", "/api/v1/assessments/annual/<int:year>", lambda w: "/api/v1/assessments/annual/2026", None,
     managers(other=200)),
    ("GET", "/api/v1/cases/<string:case_no>/notices", lambda w: f"/api/v1/cases/{w['case_a']}/notices", None,
     scoped()),
    # (A's case has no 督办单: in scope the answer is 404 for the notice, as out of it)
    ("GET", "/api/v1/cases/<string:case_no>/notices/<int:notice_id>.pdf",
     lambda w: f"/api/v1/cases/{w['case_a']}/notices/1.pdf", None, {ANON: 401, **{r: 404 for r in EVERYONE}}),
    ("GET", "/api/v1/departments", lambda w: "/api/v1/departments", None, everyone()),
    ("POST", "/api/v1/departments", lambda w: "/api/v1/departments", J(lambda w: {"name": "区城管局"}),
     admin_only(201, other=201)),
    ("GET", "/api/v1/audit", lambda w: f"/api/v1/audit?person_id={w['user_a']}", None, admin_only(200, other=200)),
    ("PUT", "/api/v1/users/<int:user_id>/roles", lambda w: f"/api/v1/users/{w['user_a']}/roles",
     J(lambda w: {"roles": [{"role": "inspector", "org_unit_id": w["grid_a"]}]}), admin_only(200)),
    ("POST", "/api/v1/users/<int:user_id>/password", lambda w: f"/api/v1/users/{w['user_a']}/password",
     J(lambda w: {"password": "new-password-2026"}), admin_only(200)),
    ("POST", "/api/v1/users/<int:user_id>/active", lambda w: f"/api/v1/users/{w['user_a']}/active",
     J(lambda w: {"active": True}), admin_only(200)),
    ("GET", "/api/v1/grids", lambda w: "/api/v1/grids", None, everyone()),
    ("GET", "/api/v1/grids/<int:grid_id>", lambda w: f"/api/v1/grids/{w['grid_a']}", None, scoped()),
    ("POST", "/api/v1/grids/import", lambda w: "/api/v1/grids/import",
     J(lambda w: {"type": "FeatureCollection", "features": [{
         "type": "Feature", "geometry": _box(108.955, 34.392), "properties": {  # off the townships' villages
             "code": "610112010901", "name": "新村", "level": "village", "parent_code": "610112"}}]}),
     admin_only(201, other=422)),
    ("GET", "/api/v1/segments", lambda w: "/api/v1/segments", None, everyone()),
    ("GET", "/api/v1/segments/<int:segment_id>", lambda w: f"/api/v1/segments/{w['seg_a']}", None, scoped()),
    ("POST", "/api/v1/segments/import", lambda w: "/api/v1/segments/import",
     J(lambda w: {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
         "code": "S-NEW-1", "river_code": "R-NEW", "river_name": "新渠", "grid_code": w["grid_a_code"]},
         "geometry": {"type": "LineString", "coordinates": [[108.89, 34.32], [108.891, 34.321]]}}]}),
     admin_only(201, other=422)),
    ("GET", "/api/v1/cards", lambda w: "/api/v1/cards", None, everyone()),
    ("GET", "/api/v1/cards/<int:card_id>", lambda w: f"/api/v1/cards/{w['card_a']}", None, scoped()),
    ("POST", "/api/v1/cards", lambda w: "/api/v1/cards",
     J(lambda w: {"inspector_id": w["user_a"], "grid_id": w["grid_a"], "segment_ids": [w["seg_a"]],
                  "valid_from": "2026-12-01"}), admin_only(201, other=422)),
    ("POST", "/api/v1/cards/<int:card_id>/revisions", lambda w: f"/api/v1/cards/{w['card_a']}/revisions",
     J(lambda w: {"effective_from": "2026-12-01", "inspector_id": w["user_b"], "reason": "交接"}), admin_only(201)),
    ("POST", "/api/v1/cards/<int:card_id>/end", lambda w: f"/api/v1/cards/{w['card_a']}/end",
     J(lambda w: {"valid_to": "2026-12-31", "reason": "离职"}), admin_only(200)),
    ("POST", "/api/v1/photos", lambda w: "/api/v1/photos",
     J(lambda w: {"uuid": str(uuid.uuid4()), "size": 10, "sha256": "a" * 64}), everyone(201)),
    ("PATCH", "/api/v1/photos/<uuid:photo_uuid>", lambda w: f"/api/v1/photos/{w['photo_partial']}", _chunk,
     {ANON: 401, INSP_A: 200, INSP_B: 404, SUP_OWN: 404, SUP_OTHER: 404, ADMIN: 404, ADMIN_OTHER: 404, DEPT: 404}),
    ("GET", "/api/v1/photos/<uuid:photo_uuid>", lambda w: f"/api/v1/photos/{w['photo_a']}", None, scoped()),
    ("GET", "/api/v1/photos/<uuid:photo_uuid>/image", lambda w: f"/api/v1/photos/{w['photo_a']}/image", None,
     scoped()),
    ("POST", "/api/v1/voice-notes", lambda w: "/api/v1/voice-notes",
     J(lambda w: {"uuid": str(uuid.uuid4()), "size": 10, "sha256": "a" * 64}), everyone(201)),
    ("PATCH", "/api/v1/voice-notes/<uuid:note_uuid>", lambda w: f"/api/v1/voice-notes/{w['voice_partial']}",
     _voice_chunk, {ANON: 401, INSP_A: 200, INSP_B: 404, SUP_OWN: 404, SUP_OTHER: 404, ADMIN: 404, ADMIN_OTHER: 404,
                    DEPT: 404}),
    ("GET", "/api/v1/voice-notes/<uuid:note_uuid>", lambda w: f"/api/v1/voice-notes/{w['voice_a']}", None, scoped()),
    ("GET", "/api/v1/voice-notes/<uuid:note_uuid>/audio", lambda w: f"/api/v1/voice-notes/{w['voice_a']}/audio",
     None, scoped()),
    ("POST", "/api/v1/problems", lambda w: "/api/v1/problems",
     J(lambda w: {"uuid": str(uuid.uuid4()), "category": "garbage", "lon": 108.9, "lat": 34.3,
                  "reported_at": "2026-11-20T09:30:00+08:00"}), everyone(201)),
    ("GET", "/api/v1/problems", lambda w: "/api/v1/problems", None, everyone()),
    ("GET", "/api/v1/problems/<uuid:problem_uuid>", lambda w: f"/api/v1/problems/{w['problem_a']}", None, scoped()),
    ("POST", "/api/v1/patrols", lambda w: "/api/v1/patrols", lambda w: {"json": w["new_patrol"]()},
     {ANON: 401, INSP_A: 201, INSP_B: 404, SUP_OWN: 404, SUP_OTHER: 404, ADMIN: 404, ADMIN_OTHER: 404, DEPT: 404}),
    ("POST", "/api/v1/patrols/import-gpx", lambda w: "/api/v1/patrols/import-gpx", lambda w: w["new_gpx"](),
     {ANON: 401, INSP_A: 201, INSP_B: 404, SUP_OWN: 404, SUP_OTHER: 404, ADMIN: 404, ADMIN_OTHER: 404, DEPT: 404}),
    ("GET", "/api/v1/patrols", lambda w: "/api/v1/patrols", None, everyone()),
    ("GET", "/api/v1/patrols/<uuid:patrol_uuid>", lambda w: f"/api/v1/patrols/{w['patrol_a']}", None, scoped()),
    ("GET", "/api/v1/patrols/<uuid:patrol_uuid>/track.gpx", lambda w: f"/api/v1/patrols/{w['patrol_a']}/track.gpx",
     None, scoped()),
    ("GET", "/api/v1/patrols/<uuid:patrol_uuid>/track.kml", lambda w: f"/api/v1/patrols/{w['patrol_a']}/track.kml",
     None, scoped()),
    ("GET", "/api/v1/patrols/<uuid:patrol_uuid>/track.geojson",
     lambda w: f"/api/v1/patrols/{w['patrol_a']}/track.geojson", None, scoped()),
    ("GET", "/api/v1/rules/frequency", lambda w: "/api/v1/rules/frequency", None,
     {ANON: 401, INSP_A: 403, INSP_B: 403, SUP_OWN: 200, SUP_OTHER: 200, ADMIN: 200, ADMIN_OTHER: 200, DEPT: 403}),
    ("POST", "/api/v1/rules/frequency", lambda w: "/api/v1/rules/frequency",
     J(lambda w: {"org_unit_id": w["grid_a"], "name": "村加密", "window": "week", "min_count": 2,
                  "valid_from": "2026-12-01"}), admin_only(201, other=422)),
    ("GET", "/api/v1/rules/validity", lambda w: "/api/v1/rules/validity", None, managers(other=200)),
    ("POST", "/api/v1/rules/validity", lambda w: "/api/v1/rules/validity",
     J(lambda w: {"org_unit_id": w["grid_a"], "name": "村级有效巡河", "min_duration_min": 15,
                  "valid_from": "2026-12-01"}), admin_only(201, other=422)),
    ("GET", "/api/v1/rules/plans", lambda w: "/api/v1/rules/plans", None, managers(other=200)),
    ("POST", "/api/v1/rules/plans", lambda w: "/api/v1/rules/plans",
     J(lambda w: {"org_unit_id": w["grid_a"], "kind": "pay", "name": "村补贴", "valid_from": "2026-12-01",
                  "definition": {"base": 500}}), admin_only(201, other=422)),
    ("PATCH", "/api/v1/rules/frequency/<int:rule_id>", lambda w: f"/api/v1/rules/frequency/{w['frequency']}",
     J(lambda w: {"name": "每周巡河"}), admin_only(200)),
    ("PATCH", "/api/v1/rules/validity/<int:rule_id>", lambda w: f"/api/v1/rules/validity/{w['validity']}",
     J(lambda w: {"valid_to": "2027-12-31"}), admin_only(200)),
    ("PATCH", "/api/v1/rules/plans/<int:rule_id>", lambda w: f"/api/v1/rules/plans/{w['scoring']}",
     J(lambda w: {"name": "月度考核"}), admin_only(200)),
    ("GET", "/api/v1/warnings", lambda w: "/api/v1/warnings", None, managers(other=200)),
    ("POST", "/api/v1/warnings", lambda w: "/api/v1/warnings",
     J(lambda w: {"org_unit_id": w["grid_a"], "warning_type": "problem", "level": "red", "segment_ids": [w["seg_a"]],
                  "valid_from": "2026-11-23", "valid_to": "2026-11-30"}), admin_only(201, other=422)),
    ("GET", "/api/v1/exemptions", lambda w: "/api/v1/exemptions", None, everyone()),
    ("POST", "/api/v1/exemptions", lambda w: "/api/v1/exemptions",
     J(lambda w: {"user_id": w["user_a"], "date_from": "2026-12-01", "date_to": "2026-12-03", "reason": "事假"}),
     {ANON: 401, INSP_A: 403, INSP_B: 403, SUP_OWN: 201, SUP_OTHER: 404, ADMIN: 201, ADMIN_OTHER: 404, DEPT: 403}),
    ("POST", "/api/v1/patrols/<uuid:patrol_uuid>/review", lambda w: f"/api/v1/patrols/{w['patrol_a']}/review",
     J(lambda w: {"decision": "reject", "note": "未沿河巡查"}), managers()),
    ("GET", "/api/v1/assessments/<string:period>", lambda w: f"/api/v1/assessments/2026-11?org_unit_id={w['grid_a']}",
     None, managers()),
    ("GET", "/api/v1/me/assessments/<string:period>", lambda w: "/api/v1/me/assessments/2026-10", None, everyone()),
    ("POST", "/api/v1/assessments/<string:period>/lock", lambda w: "/api/v1/assessments/2026-09/lock",
     J(lambda w: {"org_unit_id": w["grid_a"]}), admin_only(201)),
    ("GET", "/api/v1/assessments/<string:period>/payroll",
     lambda w: f"/api/v1/assessments/2026-10/payroll?org_unit_id={w['grid_a']}", None, admin_only(200)),
    ("GET", "/api/v1/assessments/<string:period>/corrections",
     lambda w: f"/api/v1/assessments/2026-10/corrections?org_unit_id={w['grid_a']}", None, managers()),
    # another county's admin: their own October is not locked
    ("POST", "/api/v1/assessments/<string:period>/corrections", lambda w: "/api/v1/assessments/2026-10/corrections",
     J(lambda w: {"inspector_id": w["user_a"], "amount_fen": 60000, "reason": "补发"}), admin_only(201, other=409)),
    ("POST", "/api/v1/assessments/corrections/<int:correction_id>/decision",
     lambda w: f"/api/v1/assessments/corrections/{w['correction']}/decision",
     J(lambda w: {"decision": "dismiss", "note": "已核实"}), admin_only(200)),
    ("GET", "/api/v1/cases", lambda w: "/api/v1/cases", None, everyone()),
    ("GET", "/api/v1/cases/<string:case_no>", lambda w: f"/api/v1/cases/{w['case_a']}", None, scoped()),
    # the reporter sees the case but may not accept it; the admin comes second: already accepted
    ("POST", "/api/v1/cases/<string:case_no>/transitions", lambda w: f"/api/v1/cases/{w['case_a']}/transitions",
     J(lambda w: {"action": "accept"}),
     {ANON: 401, INSP_A: 403, INSP_B: 404, SUP_OWN: 201, SUP_OTHER: 404, ADMIN: 409, ADMIN_OTHER: 404, DEPT: 404}),
    ("POST", "/api/v1/cases/<string:case_no>/reviewed", lambda w: f"/api/v1/cases/{w['case_a']}/reviewed", None,
     managers()),
    ("POST", "/api/v1/cases/escalate", lambda w: "/api/v1/cases/escalate", None, admin_only(200, other=200)),
    ("GET", "/api/v1/cases/ledger", lambda w: "/api/v1/cases/ledger", None, managers(other=200)),
    ("GET", "/api/v1/me/notifications", lambda w: "/api/v1/me/notifications", None, everyone()),
    ("POST", "/api/v1/me/notifications/<int:notification_id>/read",
     lambda w: f"/api/v1/me/notifications/{note_of(w['user_a'])}/read", None,
     {ANON: 401, **{r: 404 for r in EVERYONE}, INSP_A: 200}),
    ("POST", "/api/v1/me/notifications/read-all", lambda w: "/api/v1/me/notifications/read-all", None, everyone()),
    ("GET", "/api/v1/me/notification-preferences", lambda w: "/api/v1/me/notification-preferences", None,
     everyone()),
    ("PUT", "/api/v1/me/notification-preferences", lambda w: "/api/v1/me/notification-preferences",
     J(lambda w: {"quiet_start": "22:00", "quiet_end": "07:00"}), everyone()),
    ("GET", "/api/v1/org-units/<int:unit_id>/notification-channel",
     lambda w: f"/api/v1/org-units/{w['township_id']}/notification-channel", None, admin_only(200)),
    ("PUT", "/api/v1/org-units/<int:unit_id>/notification-channel",
     lambda w: f"/api/v1/org-units/{w['township_id']}/notification-channel", J(lambda w: {"wecom_webhook": None}),
     admin_only(200)),
    ("GET", "/api/v1/cases/overdue", lambda w: "/api/v1/cases/overdue", None, managers(other=200)),
    ("GET", "/api/v1/cases/overdue-briefing/<string:period>", lambda w: "/api/v1/cases/overdue-briefing/2026-11",
     None, managers(other=200)),
    ("GET", "/api/v1/calendar", lambda w: "/api/v1/calendar", None, everyone()),
    ("POST", "/api/v1/calendar", lambda w: "/api/v1/calendar",
     J(lambda w: {"org_unit_id": w["grid_a"], "day": "2026-12-24", "kind": "holiday", "name": "村庙会"}),
     admin_only(201, other=422)),
    ("GET", "/api/v1/problem-categories", lambda w: "/api/v1/problem-categories", None, everyone()),
    ("POST", "/api/v1/problem-categories", lambda w: "/api/v1/problem-categories",
     J(lambda w: {"org_unit_id": w["grid_a"], "code": "illegal_fishing", "name": "非法捕捞"}),
     admin_only(201, other=422)),
    ("GET", "/api/v1/cards/<int:card_id>/card.pdf", lambda w: f"/api/v1/cards/{w['card_a']}/card.pdf", None, scoped()),
    ("GET", "/api/v1/photos/<uuid:photo_uuid>/thumbnail", lambda w: f"/api/v1/photos/{w['photo_a']}/thumbnail",
     None, scoped()),
]


def test_every_api_route_is_in_the_matrix(engine_name, demo_app):
    routes = {(m, r.rule) for r in demo_app.url_map.iter_rules() if r.rule.startswith("/api/v1")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    listed = {(m, rule) for m, rule, *_ in MATRIX}
    assert routes - listed == set(), "routes without an authorization rule"
    assert listed - routes == set(), "matrix rows for routes that do not exist"


@pytest.mark.parametrize("method,rule,path,body,expected", [
    pytest.param(*row, id=f"{row[0]} {row[1]}") for row in MATRIX if row[4] is not PUBLIC])
def test_authorization_matrix(engine_name, world, method, rule, path, body, expected):
    api = world["api"]
    seen = {}
    for role in ORDER:
        token = api.token(PHONES[role]) if role != ANON else None
        r = api.request(method, path(world), token=token, **(body(world) if body else {}))
        seen[role] = r.status_code
        if r.status_code >= 400:
            assert r.json()["code"], r.text
    assert seen == expected


def test_public_routes_need_no_token(engine_name, api):
    assert api.get("/api/v1/health").status_code == 200
    assert api.get("/api/v1/health/live").status_code == 200
    assert api.get("/api/v1/health/ready").status_code == 200
    assert api.get("/api/v1/openapi.json").status_code == 200
    assert api.post("/api/v1/auth/login", json={"phone": PHONES[INSP_A], "password": DEMO_PASSWORD}).status_code == 200
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": "not-a-token"})
    assert r.status_code == 401 and r.json()["code"] == "auth.token_invalid"


def _ids(api, role, path):
    return {x["id"] for x in api.get(path, token=api.token(PHONES[role])).json()}


def test_lists_show_only_what_is_in_scope(engine_name, world):
    api = world["api"]
    # cards: an inspector only their own; a supervisor their township; an admin the county
    own = _ids(api, INSP_A, "/api/v1/cards")
    assert own == {world["card_a"]}
    township = _ids(api, SUP_OWN, "/api/v1/cards")
    other_township = _ids(api, SUP_OTHER, "/api/v1/cards")
    county = _ids(api, ADMIN, "/api/v1/cards")
    assert own < township < county
    assert township.isdisjoint(other_township) and other_township < county
    assert _ids(api, ADMIN_OTHER, "/api/v1/cards") == set()
    # grids and segments the same way
    assert _ids(api, INSP_A, "/api/v1/grids") == {world["grid_a"]}
    assert world["grid_a"] in _ids(api, SUP_OWN, "/api/v1/grids")
    assert world["grid_a"] not in _ids(api, SUP_OTHER, "/api/v1/grids")
    assert _ids(api, ADMIN_OTHER, "/api/v1/grids") and world["grid_a"] not in _ids(api, ADMIN_OTHER, "/api/v1/grids")
    segs_a = _ids(api, INSP_A, "/api/v1/segments")
    assert world["seg_a"] in segs_a and segs_a < _ids(api, SUP_OWN, "/api/v1/segments")
    assert segs_a.isdisjoint(_ids(api, SUP_OTHER, "/api/v1/segments"))
    # people
    users_own = _ids(api, SUP_OWN, "/api/v1/users")
    assert world["user_a"] in users_own and world["user_a"] not in _ids(api, SUP_OTHER, "/api/v1/users")
    assert world["user_a"] not in _ids(api, ADMIN_OTHER, "/api/v1/users")
    # a filter cannot reach outside the scope either
    r = api.get(f"/api/v1/cards?inspector_id={world['user_a']}", token=api.token(PHONES[INSP_B]))
    assert r.json() == []
