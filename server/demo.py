"""The demo county: 未央区, Xi'an, with real township boundaries and real OSM rivers.

Three townships are cut into village grids; rivers are cut into segments by village;
inspectors get responsibility cards for their village's segments. Loading is idempotent
and goes through the same importers and services an administrator uses.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from importlib import resources

from shapely.geometry import LineString, box, mapping, shape
from shapely.ops import linemerge, unary_union
from sqlalchemy import select

from shared_models.enums import Role

from .auth.models import User
from .auth.users import create_user
from .cards.service import issue_card
from .extensions import db
from .geo import length_m
from .grids.importer import import_grids, import_segments
from .grids.models import OrgUnit, RiverSegment
from .rules.models import Plan
from .rules.service import create_rule
from .transaction import unit_of_work

COUNTY_CODE = "610112"
DEMO_PASSWORD = "Demo@2026"
CARD_START = dt.date(2026, 1, 1)
DEMO_SCORING = {
    "base": 100, "floor": 0, "ceiling": 100,
    "items": [{"label": "缺巡扣分", "metric": "missed_patrols", "points_each": -10, "cap": 60},
              {"label": "待审核巡河", "metric": "pending_review", "points_each": 0},
              {"label": "发现上报问题", "metric": "problems_reported", "points_each": 2, "cap": 10}],
    "veto": [{"label": "虚假巡河", "metric": "rejected_patrols", "at_least": 1, "score": 0}],
    "tiers": [{"code": "excellent", "label": "优秀", "min": 90}, {"code": "pass", "label": "合格", "min": 70},
              {"code": "fail", "label": "不合格", "min": None}]}
DEMO_PAY = {"base": 600, "tier_bonus": {"excellent": 200, "pass": 100, "fail": 0}, "per_point": 0, "per_km": 0,
            "dismissal_below": None, "prorate": True}

# Township code -> (cells across, cells down, village names in cell order).
TOWNSHIPS = {
    "610112008": (3, 2, ["相家巷村", "六村堡村", "西查村", "东张村", "柯家寨村", "马家寨村"]),
    "610112010": (2, 2, ["阁老门村", "讲武殿村", "罗家寨村", "杨家村"]),
    "610112011": (3, 2, ["东站村", "草店村", "三官庙村", "高庙村", "西营村", "陆家堡村"]),
}
SUPERVISORS = {"610112008": "王建国", "610112010": "李秀英", "610112011": "张志强"}
INSPECTOR_NAMES = [
    "刘德明", "陈桂兰", "杨春生", "赵玉梅", "黄永福", "周建华", "吴秀珍", "徐国庆", "孙丽娟", "马保平",
    "朱红霞", "胡长青", "郭玉兰", "何金山", "高凤英", "林振华", "罗翠萍", "郑大勇", "梁淑芬", "谢宝成",
    "宋玉珍", "唐海生", "韩彩霞", "冯志刚", "董秀兰", "萧家旺", "程美玲", "曹永红",
]
# OSM leaves many canals unnamed; the demo gives each one an invented local name.
UNNAMED_RIVER_NAMES = [
    "太液渠", "昆明渠", "汉城渠", "沣惠支渠", "六村堡排水渠", "未央湖渠", "三官庙沟", "高庙沟", "陆家堡沟",
    "草店渠", "西查沟", "阁老门沟", "讲武殿沟", "罗家寨渠", "杨家沟", "东张渠", "相家巷沟", "柯家寨沟",
]
DUTIES = [
    "查看水面漂浮物和岸边垃圾",
    "检查排污口和异常排水",
    "检查清四乱（乱占、乱采、乱堆、乱建）",
    "检查堤防、护栏和河长公示牌",
    "发现问题拍照上报",
]
FREQUENCY = "每周至少巡河1次，每次不少于30分钟、2公里"
MIN_SEGMENT_M = 150


def _load(name: str) -> dict:
    return json.loads(resources.files("server").joinpath("demo_data", name).read_text(encoding="utf-8"))


def _feature(props: dict, geom) -> dict:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def build_grids() -> tuple[dict, list[dict]]:
    """The grid FeatureCollection (county, townships, villages) and the village polygons."""
    county = _load("weiyang_county.geojson")["features"][0]
    feats = [{"type": "Feature", "geometry": county["geometry"],
              "properties": {"code": COUNTY_CODE, "name": "未央区", "level": "county"}}]
    villages = []
    for f in _load("weiyang_townships.geojson")["features"]:
        code = f["properties"]["code"]
        nx, ny, names = TOWNSHIPS[code]
        poly = shape(f["geometry"])
        feats.append(_feature({"code": code, "name": f["properties"]["name"], "level": "township",
                               "parent_code": COUNTY_CODE}, poly))
        x0, y0, x1, y1 = poly.bounds
        cells = []
        for i in range(nx):
            for j in range(ny):
                cell = box(x0 + (x1 - x0) * i / nx, y0 + (y1 - y0) * j / ny,
                           x0 + (x1 - x0) * (i + 1) / nx, y0 + (y1 - y0) * (j + 1) / ny).intersection(poly)
                if cell.area > 0.05 * poly.area:
                    cells.append(cell)
        for n, cell in enumerate(cells):
            v = {"code": f"{code}{n + 1:03d}", "name": names[n], "level": "village", "parent_code": code}
            feats.append(_feature(v, cell))
            villages.append({**v, "geom": cell})
    return {"type": "FeatureCollection", "features": feats}, villages


def build_segments(villages: list[dict]) -> dict:
    """River segments: each river cut by the village grids, pieces of at least 150 m."""
    ways: dict[str, list] = {}
    for f in _load("weiyang_waterways.geojson")["features"]:
        key = f["properties"].get("name") or f["properties"]["osm_id"]
        ways.setdefault(key, []).append(shape(f["geometry"]))
    rivers = {}
    unnamed = iter(UNNAMED_RIVER_NAMES)
    for n, (key, lines) in enumerate(sorted(ways.items())):
        line = linemerge(unary_union(lines)) if len(lines) > 1 else lines[0]
        rivers[key] = (f"{COUNTY_CODE}R{n + 1:02d}", key if not key.startswith("way/") else None, line)
    feats = []
    for v in villages:
        for key, (river_code, river_name, line) in rivers.items():
            piece = line.intersection(v["geom"])
            parts = [p for p in getattr(piece, "geoms", [piece])
                     if isinstance(p, LineString) and length_m(p) >= MIN_SEGMENT_M]
            if not parts:
                continue
            merged = linemerge(parts) if len(parts) > 1 else parts[0]
            for k, part in enumerate(getattr(merged, "geoms", [merged])):
                if river_name is None:  # name an unnamed canal the first time it is used
                    river_name = next(unnamed)
                    rivers[key] = (river_code, river_name, line)
                feats.append(_feature({
                    "code": f"{v['code']}-{river_code[-3:]}-{k + 1}",
                    "name": f"{river_name}{v['name']}段" + (f"{k + 1}" if k else ""),
                    "river_code": river_code, "river_name": river_name, "grid_code": v["code"],
                }, part))
    return {"type": "FeatureCollection", "features": feats}


def demo_accounts() -> list[tuple[str, str, str, str, str]]:
    """(role, phone, name, org unit, password) of every demo account, from the database."""
    rows = db.session.execute(
        select(User.role, User.phone, User.name, OrgUnit.name).join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(OrgUnit.path.startswith(f"/{COUNTY_CODE}/")).order_by(User.phone)
    ).all()
    return [(r[0], r[1], r[2], r[3], DEMO_PASSWORD) for r in rows]


@unit_of_work()
def load_demo() -> bool:
    """Load the demo county in one transaction; False when it is there already."""
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == COUNTY_CODE)) is not None:
        return False
    from flask import current_app

    grids_fc, villages = build_grids()
    import_grids(grids_fc, actor=None, levels=current_app.config["ORG_LEVELS"])
    import_segments(build_segments(villages), actor=None)
    units = {u.code: u for u in db.session.scalars(select(OrgUnit))}

    def person(phone: str, name: str, role: Role, unit_code: str) -> User:
        return create_user(None, phone=phone, name=name, role=role, org_unit_id=units[unit_code].id,
                           password=DEMO_PASSWORD)

    person("13900000001", "陈卫东", Role.ADMIN, COUNTY_CODE)
    create_rule(None, {"org_unit_id": units[COUNTY_CODE].id, "name": "村级巡查员每周巡河", "role": "inspector",
                       "grid_level": None, "count_mode": "sessions", "window": "week", "rolling_days": None,
                       "min_count": 1, "min_gap_hours": None, "active_months": None, "valid_from": CARD_START,
                       "valid_to": None})
    # the county's monthly assessment: deductions from 100 (as Beipiao), pay as Hanbin (600 + 200/100/0)
    create_rule(None, {"org_unit_id": units[COUNTY_CODE].id, "kind": "scoring", "name": "村级巡查员月度考核",
                       "role": "inspector", "grid_level": None, "valid_from": CARD_START, "valid_to": None,
                       "definition": DEMO_SCORING}, model=Plan)
    create_rule(None, {"org_unit_id": units[COUNTY_CODE].id, "kind": "pay", "name": "村级巡查员补贴",
                       "role": "inspector", "grid_level": None, "valid_from": CARD_START, "valid_to": None,
                       "definition": DEMO_PAY}, model=Plan)
    supervisors = {code: person(f"1390000001{n + 1}", name, Role.SUPERVISOR, code)
                   for n, (code, name) in enumerate(SUPERVISORS.items())}
    names = iter(INSPECTOR_NAMES)
    phone_no = 101
    for v in villages:
        segs = list(db.session.scalars(select(RiverSegment).where(RiverSegment.grid_id == units[v["code"]].id)
                                       .order_by(RiverSegment.code)))
        # About two segments per inspector; a village without rivers still has one (ponds, ditches).
        groups = [segs[i::max(1, math.ceil(len(segs) / 2))] for i in range(max(1, math.ceil(len(segs) / 2)))]
        for group in groups:
            inspector = person(f"13900000{phone_no}", next(names), Role.INSPECTOR, v["code"])
            phone_no += 1
            issue_card(None, {
                "inspector_id": inspector.id, "grid_id": units[v["code"]].id,
                "segment_ids": [s.id for s in group], "supervisor_id": supervisors[v["parent_code"]].id,
                "duties": DUTIES, "frequency_summary": FREQUENCY, "valid_from": CARD_START,
                "reason": "演示数据 demo",
            })
    return True
