"""Where grids may lie and where problem reports go: no county's grids take another county's reports.

Before: an imported grid only had to touch its parent, and a report went to the grid holding
its place with the longest path string, in any county. A county-B admin imported a huge grid
with a long code and county A's reports (the reporter's name, the description, the photos)
went to county B; county A's supervisor got 404. Now a child lies within its parent and off
its siblings (with tolerances real boundaries need), and routing stays in the reporter's
county, goes by depth, and only to a grid whose ancestors hold the place too.
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from flask import current_app
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString, MultiPolygon, box, mapping
from sqlalchemy import func, select

from server.auth.users import create_user
from server.cases.models import Problem
from server.demo import DEMO_PASSWORD
from server.extensions import db
from server.geo import to_db
from server.grids.importer import import_grids, import_segments
from server.grids.models import OrgUnit, River, RiverSegment
from server.transaction import unit_of_work
from shared_models.errors import IMPORT_REASONS

from .patrol_data import card_of, patrol_body, walk_on

ADMIN, INSP_A, INSP_B = "13900000001", "13900000101", "13900000102"  # A has rivers on his card
SUP_LIUCUNPU = "13900000011"  # 六村堡街道's supervisor
COUNTY, HANCHENG = "610112", "610112010"
OTHER_ADMIN = "13900000901"
GRIDS, SEGMENTS = "/api/v1/grids/import", "/api/v1/segments/import"
IN_LIUCUNPU = (108.8745, 34.3655)  # a place in a village of 六村堡街道
CN = dt.timezone(dt.timedelta(hours=8))


def fc(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def grid(geom, code, name="测试网格", level="village", parent_code=None) -> dict:
    props = {"code": code, "name": name, "level": level}
    if parent_code:
        props["parent_code"] = parent_code
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def counts() -> tuple:
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (OrgUnit, RiverSegment, River,
                                                                                  Problem))


def errors(r) -> dict[tuple, str | None]:
    """{(index, code, reason): detail} of a refused import, each with its Chinese message."""
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import.invalid" and body["message"] == "导入数据有误，未导入任何内容"
    for e in body["errors"]:
        assert (e["message"], e["message_en"]) == IMPORT_REASONS[e["reason"]]
    return {(e["index"], e["code"], e["reason"]): e.get("detail") for e in body["errors"]}


def post(api, url, body, who=ADMIN):
    return api.post(url, token=api.token(who), json=body)


def report(api, who=INSP_A, at=IN_LIUCUNPU, **over):
    body = {"uuid": str(uuid.uuid4()), "category": "luan_dui", "description": "河岸堆放建筑垃圾",
            "lon": at[0], "lat": at[1], "reported_at": "2026-11-20T09:30:00+08:00", **over}
    return api.post("/api/v1/problems", token=api.token(who), json=body)


@pytest.fixture
def november(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 21, 10, tzinfo=CN))


# --- where a grid may lie ------------------------------------------------------------------

NEW_A = box(108.95, 34.39, 108.96, 34.40)  # two townships' worth of free land in 未央区 (草滩)
NEW_B = box(108.95, 34.3999, 108.96, 34.41)  # 11 m over NEW_A's northern edge: a survey's sliver


def test_a_chain_of_1500_parents_is_refused_not_a_crash(engine_name, api):
    chain = [grid(NEW_A, f"C{i}", parent_code=f"C{i - 1}" if i else COUNTY) for i in range(1500)]
    before = counts()
    r = post(api, GRIDS, fc(*chain))
    found = errors(r)
    body = r.json()
    assert len(body["errors"]) == 100 and body["error_count"] == 1499  # all but C0, listed up to 100
    assert {reason for _, _, reason in found} == {"level_order", "too_deep"}
    assert (4, "C4", "too_deep") in found  # county / C0 / C1 / C2 / C3: five levels configured, no sixth
    assert counts() == before


def test_overlapping_siblings_and_a_child_outside_its_parent_are_refused(engine_name, api):
    before = counts()
    r = post(api, GRIDS, fc(
        grid(NEW_A, "610112098", "新甲街道", "township", COUNTY),
        grid(box(108.90, 34.35, 108.91, 34.36), "610112097", "越界街道", "township", COUNTY),  # in 汉城街道
        grid(box(108.951, 34.391, 108.955, 34.395), "V1", "甲村", "village", "610112098"),
        grid(box(108.953, 34.393, 108.957, 34.397), "V2", "乙村", "village", "610112098"),  # half over 甲村
        grid(box(108.98, 34.42, 108.984, 34.424), "V3", "远村", "village", "610112098"),  # 3 km away
    ))
    assert errors(r) == {
        (1, "610112097", "overlaps_sibling"): HANCHENG,
        (2, "V1", "overlaps_sibling"): "V2",
        (3, "V2", "overlaps_sibling"): "V1",
        (4, "V3", "outside_parent"): "610112098",
    }
    assert counts() == before


def test_real_boundaries_get_their_tolerance(engine_name, api):
    # an 11 m sliver between two townships, and a village 46 m (5 % of it) past its township's edge
    r = post(api, GRIDS, fc(grid(NEW_A, "610112098", "新甲街道", "township", COUNTY),
                            grid(NEW_B, "610112096", "新乙街道", "township", COUNTY),
                            grid(box(108.951, 34.391, 108.9605, 34.399), "V1", "甲村", "village", "610112098")))
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 3


# --- where a report goes -------------------------------------------------------------------

WIDE = box(108.6, 34.1, 109.3, 34.6)  # all of 未央区 and more


def test_another_countys_grids_over_ours_do_not_take_our_reports(engine_name, api, november):
    # The operator adds 西安市 as a root of its own (a city: no sibling of the county 未央区) and its admin.
    with unit_of_work():  # as the command line does: committed
        import_grids(fc(grid(WIDE, "6101", "西安市", "city")), actor=None, levels=current_app.config["ORG_LEVELS"])
        city = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "6101"))
        create_user(None, phone=OTHER_ADMIN, name="外市管理员", role="admin", org_unit_id=city.id,
                    password=DEMO_PASSWORD)
    # That admin stacks grids as large as the city, with the longest codes, deeper than our villages.
    b, t, v = "B" * 40, "T" * 40, "V" * 40
    r = post(api, GRIDS, fc(grid(WIDE, b, "大县", "county", "6101"), grid(WIDE, t, "大乡", "township", b),
                            grid(WIDE, v, "大村", "village", t)), who=OTHER_ADMIN)
    assert r.status_code == 201, r.text
    r = report(api)
    assert r.status_code == 201, r.text
    assert r.json()["grid"]["code"].startswith("610112008")  # 六村堡's village, not 大村
    pid = r.json()["uuid"]
    assert api.get(f"/api/v1/problems/{pid}", token=api.token(SUP_LIUCUNPU)).status_code == 200
    assert api.get(f"/api/v1/problems/{pid}", token=api.token(OTHER_ADMIN)).status_code == 404
    assert pid not in {p["uuid"] for p in api.get("/api/v1/problems", token=api.token(OTHER_ADMIN)).json()}


def test_a_grid_reaching_past_its_parent_gets_no_reports_there(engine_name, api, november):
    # As imported before the checks existed: a village of 汉城 reaching into land of a new township.
    r = post(api, GRIDS, fc(grid(NEW_A, "610112098", "新甲街道", "township", COUNTY)))
    assert r.status_code == 201, r.text
    hancheng = db.session.scalar(select(OrgUnit).where(OrgUnit.code == HANCHENG))
    db.session.add(OrgUnit(code="610112010999", name="伸出村", level="village", parent=hancheng,
                           path=f"{hancheng.path}610112010999/",
                           boundary=to_db(MultiPolygon([box(108.90, 34.35, 108.956, 34.396)]))))
    db.session.commit()
    r = report(api, at=(108.955, 34.395))  # in 新甲街道 and in 伸出村, outside 汉城街道
    assert r.status_code == 201, r.text
    assert r.json()["grid"]["code"] == "610112098"


# --- what import errors tell ---------------------------------------------------------------

def test_import_errors_say_nothing_of_other_counties(engine_name, api):
    square = box(108.90, 34.18, 108.98, 34.25)
    with unit_of_work():  # as the command line does: committed
        import_grids(fc(grid(square, "610113", "雁塔区", "county"), grid(square, "610113001", "小寨路街道", "township",
                                                                      "610113")), actor=None,
                     levels=current_app.config["ORG_LEVELS"])
        import_segments(fc({"type": "Feature", "geometry": mapping(LineString([(108.91, 34.19), (108.95, 34.22)])),
                            "properties": {"code": "YT-1", "river_code": "R-YT", "river_name": "秘密河",
                                           "grid_code": "610113001"}}), actor=None)
    village = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112008001"))
    p = to_shape(village.boundary).representative_point()
    line = mapping(LineString([(p.x, p.y), (p.x + 0.001, p.y)]))
    ours = db.session.scalar(select(River).join(RiverSegment).join(OrgUnit, OrgUnit.id == RiverSegment.grid_id)
                             .where(OrgUnit.path.startswith(f"/{COUNTY}/")).limit(1))
    before = counts()
    r = post(api, GRIDS, fc(grid(NEW_A, "610113001", "某街道", "township", COUNTY)))
    assert errors(r) == {(0, "610113001", "code_exists"): None}  # in use; not whose, nor where
    assert "小寨路" not in r.text and "/610113/" not in r.text
    segment = {"code": "S-1", "grid_code": "610112008001"}
    r = post(api, SEGMENTS, fc({"type": "Feature", "geometry": line,
                                "properties": {**segment, "river_code": "R-YT", "river_name": "渭河支流"}}))
    assert errors(r) == {(0, "S-1", "river_name_conflict"): None}
    assert "秘密河" not in r.text
    r = post(api, SEGMENTS, fc({"type": "Feature", "geometry": line,  # our own river: its name is ours to see
                                "properties": {**segment, "river_code": ours.code, "river_name": "别名"}}))
    assert errors(r) == {(0, "S-1", "river_name_conflict"): f"{ours.code}: {ours.name} / 别名"}
    assert counts() == before


# --- a report names its reporter's own patrol ------------------------------------------------

def test_a_report_may_not_name_another_inspectors_patrol(engine_name, api, november):
    card = card_of(INSP_A)
    theirs = api.post("/api/v1/patrols", token=api.token(INSP_A), json=patrol_body(walk_on(card), card))
    assert theirs.status_code == 201, theirs.text
    patrol = theirs.json()["uuid"]
    before = counts()
    r = report(api, who=INSP_B, patrol_uuid=patrol)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert r.json()["errors"] == {"patrol_uuid": ["不是您本人的巡河 / not one of your patrols"]}
    assert counts() == before
    assert api.get(f"/api/v1/patrols/{patrol}", token=api.token(INSP_A)).json()["problem_uuids"] == []
    # the reporter's own patrol, and one not uploaded yet (the phone sends reports before their patrol)
    mine = report(api, who=INSP_A, patrol_uuid=patrol)
    assert mine.status_code == 201
    assert api.get(f"/api/v1/patrols/{patrol}", token=api.token(INSP_A)).json()["problem_uuids"] == [
        mine.json()["uuid"]]
    assert report(api, who=INSP_B, patrol_uuid=str(uuid.uuid4())).status_code == 201


def test_a_report_naming_a_patrol_before_it_is_uploaded_never_joins_another_inspectors_patrol(
        engine_name, api, november):
    """The server cannot refuse a patrol that is not there yet; when it comes and is someone else's,
    the report is not shown on it (the API's patrol and the console's patrol map)."""
    card = card_of(INSP_A)
    body = patrol_body(walk_on(card), card)
    early = report(api, who=INSP_B, patrol_uuid=body["uuid"])
    assert early.status_code == 201
    own = report(api, who=INSP_A, patrol_uuid=body["uuid"])
    assert api.post("/api/v1/patrols", token=api.token(INSP_A), json=body).status_code == 201
    shown = api.get(f"/api/v1/patrols/{body['uuid']}", token=api.token(INSP_A)).json()["problem_uuids"]
    assert shown == [own.json()["uuid"]]
    from server.console.data import patrol_map
    from server.patrols.models import Patrol

    patrol = db.session.scalar(select(Patrol).where(Patrol.uuid == body["uuid"]))
    assert [p["uuid"] for p in patrol_map(patrol)["problems"]] == [own.json()["uuid"]]
