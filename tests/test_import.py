"""Importing grids and river segments from GeoJSON, as the county administrator does it.

Real geometry (Xi'an township boundaries, OSM rivers, a file in a projected CRS) goes in
through the HTTP API and the command line. A good file is imported whole; a bad one
answers 422 ``import.invalid`` naming every bad feature (index, code, field, reason) and
writes nothing at all, not even the good features next to the bad ones.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import current_app
from geoalchemy2.shape import to_shape
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiPolygon, mapping, shape
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from server.extensions import db
from server.grids.importer import import_grids
from server.grids.models import OrgUnit, River, RiverSegment
from server.transaction import unit_of_work
from shared_models.errors import IMPORT_REASONS

DATA = Path(__file__).parent / "data" / "geo"
RIVERPATROL = Path(sys.executable).parent / "riverpatrol"
ADMIN, SUPERVISOR, INSPECTOR = "13900000001", "13900000012", "13900000101"
GRIDS_URL, SEGMENTS_URL = "/api/v1/grids/import", "/api/v1/segments/import"
COUNTY = "610112"  # 未央区, the demo county
HANCHENG = "610112010"  # 汉城街道, a demo township
GAOMIAO = "610112011004"  # 高庙村, a demo village of 未央湖街道 crossed by the 渭河
CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}


# --- GeoJSON builders --------------------------------------------------------------------

def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def fc(*features, **members) -> dict:
    return {"type": "FeatureCollection", "features": list(features), **members}


def feature(geometry, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def grid(geometry, code, name="测试网格", level="village", parent_code=HANCHENG, **extra) -> dict:
    props = {"code": code, "name": name, "level": level, "parent_code": parent_code, **extra}
    return feature(geometry, **{k: v for k, v in props.items() if v is not None})


def box(x=108.90, y=34.35, d=0.004) -> dict:
    """A small square inside 汉城街道."""
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


# A bow-tie: the ring crosses itself in the middle (a classic digitising slip).
BOWTIE = {"type": "Polygon", "coordinates": [[[108.90, 34.35], [108.91, 34.36], [108.91, 34.35],
                                              [108.90, 34.36], [108.90, 34.35]]]}
POINT = {"type": "Point", "coordinates": [108.905, 34.355]}

# Real townships of 未央区 that the demo county does not have yet (official codes).
TOWNSHIPS = {f["properties"]["code"]: f for f in _load("xian_xujiawan_damingong.geojson")["features"]}
XUJIAWAN, DAMINGGONG = "610112004", "610112005"
TSINGHUA = _load("tsinghua_campus_epsg32649.geojson")  # UTM 49N, with its `crs` member
WAYS = {f["properties"]["@id"]: shape(f["geometry"]) for f in _load("xian_weihe_and_canal.geojson")["features"]}
WEIHE, CANAL = WAYS["way/39382365"], WAYS["way/293553203"]


def township(code: str) -> dict:
    """A real township boundary as a new grid under the demo county."""
    f = TOWNSHIPS[code]
    return grid(f["geometry"], code, name=f["properties"]["name"], level="township", parent_code=COUNTY)


def xujiawan_box(k: int) -> dict:
    """The k-th of four small squares side by side inside 徐家湾街道 (a township without villages yet:
    the demo townships are covered by their villages, and a new village there would overlap one)."""
    return box(108.95 + 0.005 * k, 34.355)


def tsinghua_without_crs() -> dict:
    """The projected coordinates of the Tsinghua file, with nothing saying they are projected."""
    return grid(TSINGHUA["features"][0]["geometry"], "610112010908")


# --- database and HTTP helpers -----------------------------------------------------------

def counts() -> tuple[int, int, int]:
    """Rows of OrgUnit, RiverSegment, River, as committed now."""
    db.session.rollback()  # no stale snapshot: see what the server and the CLI committed
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (OrgUnit, RiverSegment, River))


def unit(code: str) -> OrgUnit | None:
    db.session.rollback()
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def post(api, url: str, body, who: str = ADMIN, query: str = ""):
    return api.post(url + query, token=api.token(who), json=body)


def get(api, path: str, who: str = ADMIN):
    r = api.get(path, token=api.token(who))
    assert r.status_code == 200, r.text
    return r.json()


def rejected(r) -> set[tuple]:
    """The (index, code, field, reason) of every error of a refused import."""
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import.invalid"
    assert body["message"] == "导入数据有误，未导入任何内容"
    for e in body["errors"]:
        assert (e["message"], e["message_en"]) == IMPORT_REASONS[e["reason"]]
    return {(e["index"], e["code"], e["field"], e["reason"]) for e in body["errors"]}


def expected(bad: list[dict], expect: list[tuple[int, str, str]], offset: int = 1) -> set[tuple]:
    """(index, code, field, reason) for ``expect`` = [(position in bad, field, reason)], after the good features."""
    return {(offset + i, bad[i]["properties"].get("code"), fld, reason) for i, fld, reason in expect}


@pytest.fixture
def other_county(api):
    """雁塔区 with a township and a village: created from the command line's side (no actor)."""
    square = {"type": "Polygon", "coordinates": [[[108.90, 34.18], [108.98, 34.18], [108.98, 34.25],
                                                  [108.90, 34.25], [108.90, 34.18]]]}
    with unit_of_work():  # as the command line does: committed
        import_grids(fc(grid(square, "610113", name="雁塔区", level="county", parent_code=None),
                        grid(square, "610113001", name="小寨路街道", level="township", parent_code="610113"),
                        grid(square, "610113001001", name="某村", level="village", parent_code="610113001")),
                     actor=None, levels=current_app.config["ORG_LEVELS"])
    return "610113"


# --- grids: a good file ------------------------------------------------------------------

def test_real_townships_are_imported_and_read_back(engine_name, api):
    village = grid(box(108.95, 34.355, 0.01), "610112004901", name="徐家湾一村", parent_code=XUJIAWAN)
    before = counts()
    r = post(api, GRIDS_URL, fc(township(XUJIAWAN), township(DAMINGGONG), village, crs=CRS84))
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 3, "repaired": []}
    assert counts() == (before[0] + 3, before[1], before[2])

    county_id = next(g["id"] for g in get(api, "/api/v1/grids?level=county") if g["code"] == COUNTY)
    townships = {g["code"]: g for g in get(api, f"/api/v1/grids?level=township&parent_id={county_id}")}
    assert set(townships) == {"610112008", HANCHENG, "610112011", XUJIAWAN, DAMINGGONG}
    assert townships[XUJIAWAN]["name"] == "徐家湾街道" and townships[DAMINGGONG]["name"] == "大明宫街道"
    villages = get(api, f"/api/v1/grids?parent_id={townships[XUJIAWAN]['id']}")
    assert [(v["code"], v["name"], v["level"]) for v in villages] == [("610112004901", "徐家湾一村", "village")]

    for code in (XUJIAWAN, DAMINGGONG):  # a Polygon and a MultiPolygon, both stored as MultiPolygon
        sent = shape(TOWNSHIPS[code]["geometry"])
        sent = sent if isinstance(sent, MultiPolygon) else MultiPolygon([sent])
        detail = get(api, f"/api/v1/grids/{townships[code]['id']}")
        assert detail["code"] == code and detail["parent_id"] == county_id
        stored = shape(detail["boundary"])
        assert stored.geom_type == "MultiPolygon" and stored.equals_exact(sent, 1e-9)
    assert unit("610112004901").path == f"/{COUNTY}/{XUJIAWAN}/610112004901/"


# --- grids: bad files --------------------------------------------------------------------
# Each case: the bad features (placed after a good real township) and the errors expected as
# (position among the bad features, field, reason). Codes are unique across cases so that
# all of them can also be sent in one file.

BAD_GRIDS = [
    pytest.param([grid(BOWTIE, "610112010901")], [(0, "geometry", "invalid_geometry")], id="bow-tie"),
    pytest.param([grid(box(), "610112010902", parent_code="610112999")], [(0, "parent_code", "unknown_parent")],
                 id="unknown-parent"),
    pytest.param([grid(box(), "610112010903", level="township", parent_code="610113")],
                 [(0, "parent_code", "unknown_parent")], id="parent-in-another-county"),
    pytest.param([grid(xujiawan_box(0), "610112010904", name="甲村", parent_code=XUJIAWAN),
                  grid(xujiawan_box(1), "610112010904", name="乙村", parent_code=XUJIAWAN)],
                 [(0, "code", "duplicate_code"), (1, "code", "duplicate_code")], id="duplicate-code"),
    pytest.param([grid(xujiawan_box(2), "610112010001", name="阁老门村", parent_code=XUJIAWAN)],
                 [(0, "code", "code_exists")], id="existing-code"),
    pytest.param([tsinghua_without_crs()], [(0, "geometry", "coordinates_out_of_range")],
                 id="projected-coordinates-without-crs"),
    pytest.param([grid(box(), "610112010905", name="某区", level="county")], [(0, "level", "level_order")],
                 id="county-under-township"),
    pytest.param([grid(box(), "610112010906", level="村")], [(0, "level", "unknown_level")], id="unknown-level"),
    pytest.param([grid(xujiawan_box(3), "610112010907", name=None, parent_code=XUJIAWAN)],
                 [(0, "name", "missing_field")], id="missing-name"),
    pytest.param([grid(POINT, "610112010909")], [(0, "geometry", "wrong_geometry_type")], id="point"),
]


@pytest.mark.parametrize("bad,expect", BAD_GRIDS)
def test_a_bad_grid_is_named_and_nothing_is_written(engine_name, api, other_county, bad, expect):
    before = counts()
    r = post(api, GRIDS_URL, fc(township(XUJIAWAN), *copy.deepcopy(bad)))
    assert rejected(r) == expected(bad, expect)
    assert counts() == before
    assert unit(XUJIAWAN) is None  # the valid township went nowhere either


def test_every_bad_grid_in_one_file_is_listed(engine_name, api, other_county):
    bad, expect = [], []
    for case in BAD_GRIDS:
        case_bad, case_expect = case.values
        expect += [(len(bad) + i, fld, reason) for i, fld, reason in case_expect]
        bad += copy.deepcopy(case_bad)
    before = counts()
    r = post(api, GRIDS_URL, fc(township(XUJIAWAN), *bad, township(DAMINGGONG)))
    assert rejected(r) == expected(bad, expect)
    assert counts() == before


def test_the_invalid_geometry_error_says_what_is_wrong(engine_name, api):
    r = post(api, GRIDS_URL, fc(grid(BOWTIE, "610112010901")))
    [error] = r.json()["errors"]
    assert error["reason"] == "invalid_geometry" and "Self-intersection" in error["detail"]


def test_a_projected_crs_is_refused(engine_name, api):
    before = counts()
    r = post(api, GRIDS_URL, TSINGHUA)
    assert rejected(r) == {(None, None, "crs", "wrong_crs")}
    assert "EPSG::32649" in r.json()["errors"][0]["detail"]
    # even when every feature is otherwise fine
    r = post(api, GRIDS_URL, fc(township(XUJIAWAN), crs=TSINGHUA["crs"]))
    assert rejected(r) == {(None, None, "crs", "wrong_crs")}
    assert counts() == before


@pytest.mark.parametrize("kind", ["GeometryCollection", "featurecollection"])
def test_not_a_feature_collection(engine_name, api, kind):
    before = counts()
    r = post(api, GRIDS_URL, {"type": kind, "features": [township(XUJIAWAN)]})
    assert rejected(r) == {(None, None, "type", "not_feature_collection")}
    assert counts() == before


def test_repair_fixes_the_bow_tie(engine_name, api):
    bowtie = {"type": "Polygon", "coordinates": [[[x + 0.05, y] for x, y in BOWTIE["coordinates"][0]]]}  # in 徐家湾
    r = post(api, GRIDS_URL, fc(township(XUJIAWAN), grid(bowtie, "610112010901", name="罗家寨新村",
                                                         parent_code=XUJIAWAN)), query="?repair=true")
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 2, "repaired": ["610112010901"]}  # the valid township is left alone
    listed = {g["code"]: g for g in get(api, "/api/v1/grids?level=village")}
    stored = shape(get(api, f"/api/v1/grids/{listed['610112010901']['id']}")["boundary"])
    assert stored.is_valid and stored.geom_type == "MultiPolygon" and len(stored.geoms) == 2
    assert stored.area == pytest.approx(0.01 * 0.01 / 2)  # both lobes of the bow-tie are kept


def test_repair_does_not_excuse_other_errors(engine_name, api):
    before = counts()
    r = post(api, GRIDS_URL, fc(grid(BOWTIE, "610112010901", parent_code="610112999")), query="?repair=true")
    assert rejected(r) == {(0, "610112010901", "parent_code", "unknown_parent")}
    assert counts() == before


# --- segments ----------------------------------------------------------------------------

def clipped(line, village_code: str = GAOMIAO) -> LineString:
    """The stretch of a real river inside a demo village's stored boundary."""
    piece = line.intersection(to_shape(unit(village_code).boundary))
    assert piece.geom_type == "LineString" and piece.length > 0.005, piece.geom_type
    return piece


def segment(line, code: str, river_code: str, river_name: str, grid_code: str = GAOMIAO, **extra) -> dict:
    geometry = line if isinstance(line, dict) else mapping(line)
    return feature(geometry, code=code, river_code=river_code, river_name=river_name, grid_code=grid_code, **extra)


def test_real_river_pieces_are_imported_with_geodesic_lengths(engine_name, api):
    weihe, canal = clipped(WEIHE), clipped(CANAL)
    weihe_code = db.session.scalar(select(River.code).where(River.name == "渭河"))
    before = counts()
    r = post(api, SEGMENTS_URL, fc(
        segment(weihe, "GM-WEI-2", weihe_code, "渭河", name="渭河高庙村二段"),
        segment(canal, "GM-QU-1", "R-GAOMIAO", "高庙排水渠", bank="left"),
    ))
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 2, "rivers_created": 1}  # the 渭河 is known already
    assert counts() == (before[0], before[1] + 2, before[2] + 1)

    grid_id = unit(GAOMIAO).id
    listed = {s["code"]: s for s in get(api, f"/api/v1/segments?grid_id={grid_id}")}
    geod = Geod(ellps="WGS84")
    for code, line, river, name, bank in (("GM-WEI-2", weihe, ("渭河", weihe_code), "渭河高庙村二段", "both"),
                                          ("GM-QU-1", canal, ("高庙排水渠", "R-GAOMIAO"), "高庙排水渠GM-QU-1", "left")):
        seg = get(api, f"/api/v1/segments/{listed[code]['id']}")
        assert (seg["river"]["name"], seg["river"]["code"]) == river
        assert (seg["name"], seg["bank"], seg["grid_id"]) == (name, bank, grid_id)
        assert seg["length_m"] == pytest.approx(geod.geometry_length(line), rel=0.01)
        assert seg["length_m"] > 500  # real stretches, not slivers
        assert shape(seg["geometry"]).equals_exact(line, 1e-9)


UTM49N = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True).transform


def bad_segment(ctx: dict, geometry: dict | None = None, **props) -> dict:
    """A segment of the 渭河 piece in 高庙村 on a new river; ``props`` spoil it."""
    base = {"code": "S-1", "river_code": "R-NEW", "river_name": "新河", "grid_code": GAOMIAO, **props}
    return feature(geometry or mapping(ctx["line"]), **base)


# Each case: a function of the context (the real line, the village polygon, an existing
# segment and its river) giving the bad features, and the errors expected as above.
BAD_SEGMENTS = [
    pytest.param(lambda c: [bad_segment(c, grid_code="610112099999")], [(0, "grid_code", "unknown_grid")],
                 id="unknown-grid"),
    pytest.param(lambda c: [bad_segment(c, grid_code="610113001001")], [(0, "grid_code", "unknown_grid")],
                 id="grid-in-another-county"),
    pytest.param(lambda c: [bad_segment(c, c["village"])], [(0, "geometry", "wrong_geometry_type")],
                 id="polygon"),
    pytest.param(lambda c: [bad_segment(c, mapping(LineString(UTM49N(x, y) for x, y in c["line"].coords)))],
                 [(0, "geometry", "coordinates_out_of_range")], id="projected-coordinates"),
    pytest.param(lambda c: [bad_segment(c), bad_segment(c)],
                 [(0, "code", "duplicate_code"), (1, "code", "duplicate_code")], id="duplicate-code"),
    pytest.param(lambda c: [bad_segment(c, code=c["segment_code"])], [(0, "code", "code_exists")],
                 id="existing-code"),
    pytest.param(lambda c: [bad_segment(c, river_code=c["river_code"], river_name="别的河")],
                 [(0, "river_name", "river_name_conflict")], id="known-river-other-name"),
    pytest.param(lambda c: [bad_segment(c), bad_segment(c, code="S-2", river_name="旧河")],
                 [(1, "river_name", "river_name_conflict")], id="one-new-river-two-names"),
]


@pytest.mark.parametrize("make_bad,expect", BAD_SEGMENTS)
def test_a_bad_segment_is_named_and_nothing_is_written(engine_name, api, other_county, make_bad, expect):
    segment_code, river_code = db.session.execute(
        select(RiverSegment.code, River.code).join(River, River.id == RiverSegment.river_id)
        .order_by(RiverSegment.id).limit(1)).one()
    ctx = {"line": clipped(WEIHE), "village": mapping(to_shape(unit(GAOMIAO).boundary)),
           "segment_code": segment_code, "river_code": river_code}
    bad = make_bad(ctx)
    good = segment(clipped(CANAL), "GM-QU-1", "R-GAOMIAO", "高庙排水渠")
    before = counts()
    r = post(api, SEGMENTS_URL, fc(good, *bad))
    assert rejected(r) == expected(bad, expect)
    assert counts() == before  # neither the good segment nor its new river


# --- the command line --------------------------------------------------------------------

def cli(demo_app, *args: str) -> subprocess.CompletedProcess:
    url = make_url(demo_app.config["SQLALCHEMY_DATABASE_URI"]).set(query={})
    env = {**os.environ, "RIVERPATROL_DATABASE_URL": url.render_as_string(hide_password=False)}
    return subprocess.run([str(RIVERPATROL), "import", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_command_line_refuses_a_bad_file(engine_name, demo_app, tmp_path):
    path = tmp_path / "grids.geojson"
    bad = [grid(BOWTIE, "610112010901"), grid(box(), "610112010902", parent_code="610112999")]
    path.write_text(json.dumps(fc(township(XUJIAWAN), *bad), ensure_ascii=False), encoding="utf-8")
    before = counts()
    r = cli(demo_app, "grids", str(path))
    assert r.returncode == 1, r.stderr
    err = json.loads(r.stderr)
    assert err["code"] == "import.invalid"
    assert {(e["index"], e["code"], e["reason"]) for e in err["errors"]} == {
        (1, "610112010901", "invalid_geometry"), (2, "610112010902", "unknown_parent")}
    assert r.stdout == ""
    assert counts() == before


def test_command_line_refuses_a_single_feature(engine_name, demo_app, tmp_path):
    path = tmp_path / "township.geojson"
    path.write_text(json.dumps(township(XUJIAWAN), ensure_ascii=False), encoding="utf-8")
    r = cli(demo_app, "grids", str(path))
    assert r.returncode == 1
    assert [e["reason"] for e in json.loads(r.stderr)["errors"]] == ["not_feature_collection"]


def test_command_line_imports_a_good_file(engine_name, demo_app, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(fc(township(XUJIAWAN), township(DAMINGGONG)), ensure_ascii=False), encoding="utf-8")
    before = counts()
    r = cli(demo_app, "grids", str(path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"imported": 2, "repaired": []}
    assert counts() == (before[0] + 2, before[1], before[2])
    assert (unit(XUJIAWAN).name, unit(XUJIAWAN).path) == ("徐家湾街道", f"/{COUNTY}/{XUJIAWAN}/")
    assert unit(DAMINGGONG).parent.code == COUNTY


# --- who may import ----------------------------------------------------------------------

@pytest.mark.parametrize("who", [SUPERVISOR, INSPECTOR], ids=["supervisor", "inspector"])
@pytest.mark.parametrize("url", [GRIDS_URL, SEGMENTS_URL], ids=["grids", "segments"])
def test_only_the_administrator_imports(engine_name, api, who, url):
    body = (fc(township(XUJIAWAN)) if url == GRIDS_URL
            else fc(segment(clipped(CANAL), "GM-QU-1", "R-GAOMIAO", "高庙排水渠")))
    before = counts()
    r = post(api, url, body, who=who)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "auth.forbidden"
    assert counts() == before
