"""Importing grids and river segments: real geometry in, every bad feature named, all or nothing."""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import current_app
from geoalchemy2.shape import to_shape
from pyproj import Geod
from shapely.geometry import mapping, shape
from sqlalchemy import func, select

from server.extensions import db
from server.grids.importer import import_grids
from server.grids.models import OrgUnit, River, RiverSegment
from server.transaction import unit_of_work

GEO = Path(__file__).parent / "data" / "geo"
ADMIN, SUPERVISOR, INSPECTOR = "13900000001", "13900000012", "13900000101"
RIVERPATROL = str(Path(sys.executable).parent / "riverpatrol")


def _fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(geometry, **props):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _townships():
    """谭家街道 and 草滩街道: real boundaries, imported as new townships of the demo county."""
    doc = json.loads((GEO / "xian_two_subdistricts.geojson").read_text())
    return [_feature(f["geometry"], code=f["properties"]["code"], name=f["properties"]["name"], level="township",
                     parent_code="610112") for f in doc["features"]]


def _box(x=108.845, y=34.362, d=0.004):  # inside 六村堡街道
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


BOWTIE = {"type": "Polygon", "coordinates": [[[108.84, 34.36], [108.85, 34.37], [108.85, 34.36], [108.84, 34.37],
                                              [108.84, 34.36]]]}


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (OrgUnit, RiverSegment, River))


def _post(api, path, body, who=ADMIN):
    return api.post(path, token=api.token(who), json=body)


def test_real_townships_are_imported_and_read_back(engine_name, api):
    r = _post(api, "/api/v1/grids/import", _fc(*_townships()))
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 2 and r.json()["repaired"] == []
    grids = {g["code"]: g for g in api.get("/api/v1/grids?level=township", token=api.token(ADMIN)).json()}
    assert grids["610112006"]["name"] == "谭家街道" and grids["610112007"]["name"] == "草滩街道"
    detail = api.get(f"/api/v1/grids/{grids['610112007']['id']}", token=api.token(ADMIN)).json()
    original = shape(_townships()[1]["geometry"])
    stored = shape(detail["boundary"])
    assert stored.geom_type == "MultiPolygon"
    assert stored.symmetric_difference(original).area < 1e-9
    # the new township's supervisor scope works at once: it is under the county
    assert db.session.scalar(select(OrgUnit.path).where(OrgUnit.code == "610112007")) == "/610112/610112007/"


def _other_county():
    with unit_of_work():  # as the command line does: committed
        import_grids(_fc(_feature(_box(108.7, 34.1, 0.05), code="610113", name="雁塔区", level="county")),
                     actor=None, levels=current_app.config["ORG_LEVELS"])


BAD_GRIDS = [
    ("bow-tie polygon", [_feature(BOWTIE, code="V1", name="甲村", level="village", parent_code="610112008")],
     "invalid_geometry"),
    ("unknown parent", [_feature(_box(), code="V1", name="甲村", level="village", parent_code="999999")],
     "unknown_parent"),
    ("parent in another county", [_feature(_box(108.71, 34.11), code="V1", name="甲村", level="township",
                                           parent_code="610113")], "unknown_parent"),
    ("duplicate codes", [_feature(_box(), code="V1", name="甲村", level="village", parent_code="610112008"),
                         _feature(_box(108.85), code="V1", name="乙村", level="village", parent_code="610112008")],
     "duplicate_code"),
    ("existing code", [_feature(_box(), code="610112008001", name="甲村", level="village", parent_code="610112008")],
     "code_exists"),
    ("county under a township", [_feature(_box(), code="C1", name="某县", level="county", parent_code="610112008")],
     "level_order"),
    ("unknown level", [_feature(_box(), code="V1", name="甲村", level="hamlet", parent_code="610112008")],
     "unknown_level"),
    ("missing name", [_feature(_box(), code="V1", level="village", parent_code="610112008")], "missing_field"),
    ("point", [_feature({"type": "Point", "coordinates": [108.95, 34.39]}, code="V1", name="甲村", level="village",
                        parent_code="610112008")], "wrong_geometry_type"),
    ("bad code", [_feature(_box(), code="村/1", name="甲村", level="village", parent_code="610112008")], "bad_code"),
]


@pytest.mark.parametrize("case,features,reason", BAD_GRIDS, ids=[c[0] for c in BAD_GRIDS])
def test_each_bad_grid_is_named_and_nothing_is_written(engine_name, api, case, features, reason):
    _other_county()
    good = _townships()[0]  # 谭家街道, a real township the demo county lacks (its townships have all their villages)
    before = _counts()
    r = _post(api, "/api/v1/grids/import", _fc(good, *features))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import.invalid" and body["message"] == "导入数据有误，未导入任何内容"
    reasons = {e["reason"] for e in body["errors"]}
    assert reason in reasons, body["errors"]
    bad = next(e for e in body["errors"] if e["reason"] == reason)
    assert bad["index"] >= 1 and bad["message"] and bad["message_en"]
    assert all(e["index"] != 0 for e in body["errors"])  # the good feature is fine
    assert _counts() == before  # not even the good feature


def test_bowtie_error_explains_where(engine_name, api):
    r = _post(api, "/api/v1/grids/import", _fc(_feature(BOWTIE, code="V1", name="甲村", level="village",
                                                        parent_code="610112008")))
    assert "Self-intersection" in r.json()["errors"][0]["detail"]


def test_repair_fixes_the_bowtie(engine_name, api):
    in_tanjia = {"type": "Polygon", "coordinates": [[[x + 0.145, y - 0.025] for x, y in BOWTIE["coordinates"][0]]]}
    fc = _fc(_townships()[0], _feature(in_tanjia, code="V1", name="甲村", level="village", parent_code="610112006"))
    r = api.post("/api/v1/grids/import?repair=true", token=api.token(ADMIN), json=fc)
    assert r.status_code == 201 and r.json()["repaired"] == ["V1"]
    stored = to_shape(db.session.scalar(select(OrgUnit.boundary).where(OrgUnit.code == "V1")))
    assert stored.is_valid and stored.geom_type == "MultiPolygon" and len(stored.geoms) == 2


def test_a_projected_crs_is_refused(engine_name, api):
    tsinghua = json.loads((GEO / "tsinghua_campus_epsg32649.geojson").read_text())
    tsinghua["features"][0]["properties"] = {"code": "T1", "name": "清华", "level": "village",
                                             "parent_code": "610112008"}
    before = _counts()
    r = _post(api, "/api/v1/grids/import", tsinghua)
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "wrong_crs"
    assert "32649" in r.json()["errors"][0]["detail"]
    del tsinghua["crs"]  # the same numbers without saying what they are
    r = _post(api, "/api/v1/grids/import", tsinghua)
    assert r.json()["errors"][0]["reason"] == "coordinates_out_of_range"
    assert _counts() == before


def test_not_a_feature_collection(engine_name, api):
    r = _post(api, "/api/v1/grids/import", {"type": "Feature", "features": []})
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "not_feature_collection"


def test_several_bad_features_are_all_listed(engine_name, api):
    features = [f for _, fs, _ in BAD_GRIDS[:2] for f in fs]
    features[1] = {**features[1], "properties": {**features[1]["properties"], "code": "V2"}}
    r = _post(api, "/api/v1/grids/import", _fc(*features))
    assert {(e["index"], e["reason"]) for e in r.json()["errors"]} == {(0, "invalid_geometry"), (1, "unknown_parent")}


def _river_piece(village_code="610112008002"):
    """A real stretch of 皂河 (OSM) clipped to a demo village."""
    village = to_shape(db.session.scalar(select(OrgUnit.boundary).where(OrgUnit.code == village_code)))
    doc = json.loads((GEO / "xian_zaohe_weihe.geojson").read_text())
    for f in doc["features"]:
        piece = shape(f["geometry"]).intersection(village)
        if piece.geom_type == "LineString" and piece.length > 0.001:
            return piece
    raise AssertionError("no 皂河 stretch in that village")


def _segment(geometry, **props):
    base = {"code": "S-NEW", "river_code": "R-NEW", "river_name": "皂河新段", "grid_code": "610112008002"}
    base.update(props)
    return _feature(geometry, **base)


def test_what_lies_elsewhere_is_refused(engine_name, api):
    shenzhen = {"type": "Polygon",
                "coordinates": [[[114.05, 22.54], [114.06, 22.54], [114.06, 22.55], [114.05, 22.54]]]}
    r = _post(api, "/api/v1/grids/import", _fc(_feature(shenzhen, code="SZ1", name="深圳某村", level="village",
                                                        parent_code="610112008")))
    assert r.json()["errors"][0]["reason"] == "outside_parent"
    r = _post(api, "/api/v1/segments/import", _fc(_segment({"type": "LineString",
                                                             "coordinates": [[114.05, 22.54], [114.06, 22.54]]})))
    assert r.json()["errors"][0]["reason"] == "outside_grid"


def test_heights_are_dropped_and_long_names_refused(engine_name, api):
    line = _river_piece()
    with_z = {"type": "LineString", "coordinates": [[x, y, 401.5] for x, y in line.coords]}
    assert _post(api, "/api/v1/segments/import", _fc(_segment(with_z))).status_code == 201
    r = _post(api, "/api/v1/segments/import", _fc(_segment(mapping(line), code="S-2", river_code="R-2",
                                                            river_name="长" * 101)))
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "too_long"
    r = _post(api, "/api/v1/grids/import", {"type": "FeatureCollection", "features": [],
                                            "crs": {"type": "name", "properties": "EPSG:4326"}})
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "wrong_crs"


def test_real_river_segment_is_imported_with_geodesic_length(engine_name, api):
    line = _river_piece()
    r = _post(api, "/api/v1/segments/import", _fc(_segment(mapping(line))))
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 1 and r.json()["rivers_created"] == 1
    seg = db.session.scalar(select(RiverSegment).where(RiverSegment.code == "S-NEW"))
    assert seg.length_m == pytest.approx(Geod(ellps="WGS84").geometry_length(line), rel=0.01)
    assert seg.river.name == "皂河新段" and seg.grid.code == "610112008002"
    listed = api.get(f"/api/v1/segments?grid_id={seg.grid_id}", token=api.token(ADMIN)).json()
    assert "S-NEW" in {s["code"] for s in listed}


def _bad_segments():
    line = mapping(_river_piece())
    existing = db.session.scalar(select(RiverSegment).order_by(RiverSegment.id))
    return [
        ("unknown grid", [_segment(line, grid_code="NOPE")], "unknown_grid"),
        ("grid of another county", [_segment(line, grid_code="610113")], "unknown_grid"),
        ("polygon", [_segment(_box())], "wrong_geometry_type"),
        ("out of range", [_segment({"type": "LineString", "coordinates": [[500000, 3800000], [500100, 3800100]]})],
         "coordinates_out_of_range"),
        ("duplicate code", [_segment(line), _segment(line)], "duplicate_code"),
        ("existing code", [_segment(line, code=existing.code)], "code_exists"),
        ("river name conflict", [_segment(line, river_code=existing.river.code, river_name="别的名字")],
         "river_name_conflict"),
        ("missing river", [_segment(line, river_code=None)], "missing_field"),
    ]


def test_each_bad_segment_is_named_and_nothing_is_written(engine_name, api):
    _other_county()
    for case, features, reason in _bad_segments():
        before = _counts()
        r = _post(api, "/api/v1/segments/import", _fc(*copy.deepcopy(features)))
        assert r.status_code == 422, (case, r.text)
        assert reason in {e["reason"] for e in r.json()["errors"]}, (case, r.json())
        assert _counts() == before, case


def test_only_admins_import(engine_name, api):
    for who in (SUPERVISOR, INSPECTOR):
        for path in ("/api/v1/grids/import", "/api/v1/segments/import"):
            r = _post(api, path, _fc(*_townships()), who=who)
            assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"


def _cli(demo_app, *args):
    url = demo_app.config["SQLALCHEMY_DATABASE_URI"].split("?")[0]
    env = {**os.environ, "RIVERPATROL_DATABASE_URL": url}
    return subprocess.run([RIVERPATROL, "import", *args], env=env, capture_output=True, text=True, timeout=120)


def test_command_line_import(engine_name, demo_app, tmp_path):
    bad = tmp_path / "bad.geojson"
    caotan = shape(_townships()[1]["geometry"]).representative_point()
    bowtie = {"type": "Polygon", "coordinates": [[[caotan.x + dx, caotan.y + dy] for dx, dy in
                                                  ((0, 0), (0.01, 0.01), (0.01, 0), (0, 0.01), (0, 0))]]}
    bad.write_text(json.dumps(_fc(*_townships(), _feature(bowtie, code="X1", name="坏", level="village",
                                                          parent_code="610112007"))), encoding="utf-8")
    r = _cli(demo_app, "grids", str(bad))
    assert r.returncode == 1
    err = json.loads(r.stderr)
    assert err["code"] == "import.invalid" and err["errors"][0]["reason"] == "invalid_geometry"
    assert db.session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.code == "610112007")) == 0
    r = _cli(demo_app, "grids", str(bad), "--repair")
    assert r.returncode == 0 and json.loads(r.stdout)["repaired"] == ["X1"]
    db.session.expire_all()
    assert db.session.scalar(select(OrgUnit.name).where(OrgUnit.code == "610112007")) == "草滩街道"
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("{not json")
    r = _cli(demo_app, "segments", str(garbage))
    assert r.returncode == 1 and "JSON" in r.stderr
