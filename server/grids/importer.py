"""Import of grids (org units) and river segments from GeoJSON. All or nothing.

Every bad feature is reported with its index, code, field and reason; nothing is
written unless every feature is valid.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, shape
from shapely.validation import explain_validity
from sqlalchemy import select

from shared_models.errors import IMPORT_REASONS

from ..auth.models import User
from ..errors import ApiError
from ..extensions import db
from ..geo import WGS84_CRS_NAMES, length_m, lonlat_in_range, to_db
from .models import OrgUnit, River, RiverSegment

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_NAME = 100  # the columns' length
NEAR_DEG = 0.001  # about 100 m: a segment drawn along a grid's edge still belongs to it
MIN_SEGMENT_M = 1.0


@dataclass
class Problems:
    items: list[dict] = field(default_factory=list)

    def add(self, index: int | None, code, fld: str | None, reason: str, detail: str | None = None) -> None:
        zh, en = IMPORT_REASONS[reason]
        item = {"index": index, "code": code, "field": fld, "reason": reason, "message": zh, "message_en": en}
        if detail:
            item["detail"] = detail
        self.items.append(item)

    def raise_if_any(self) -> None:
        if self.items:
            raise ApiError("import.invalid", 422, errors=self.items)


def _features(fc, problems: Problems) -> list[dict]:
    if not isinstance(fc, dict) or fc.get("type") != "FeatureCollection" or not isinstance(fc.get("features"), list):
        problems.add(None, None, "type", "not_feature_collection")
        problems.raise_if_any()
    crs = fc.get("crs")
    if crs is not None:
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if name not in WGS84_CRS_NAMES:
            problems.add(None, None, "crs", "wrong_crs", detail=str(name))
            problems.raise_if_any()
    feats = fc["features"]
    for i, f in enumerate(feats):
        if not isinstance(f, dict) or not isinstance(f.get("properties") or {}, dict):
            problems.add(i, None, "properties", "missing_field")
    problems.raise_if_any()
    return feats


def _text(props: dict, key: str) -> str | None:
    v = props.get(key)
    if v is None:
        return None
    v = str(v).strip()
    return v or None


def _geometry(i: int, code, raw, allowed: tuple[type, ...], problems: Problems):
    if not raw:
        problems.add(i, code, "geometry", "missing_geometry")
        return None
    try:
        geom = shapely.force_2d(shape(raw))  # heights (x, y, z) are not part of a grid or a river line
        coords = shapely.get_coordinates(geom)
    except Exception as exc:  # shapely raises several types for malformed input
        problems.add(i, code, "geometry", "bad_geometry", detail=str(exc)[:200])
        return None
    if not isinstance(geom, allowed):
        problems.add(i, code, "geometry", "wrong_geometry_type", detail=geom.geom_type)
        return None
    if geom.is_empty:
        problems.add(i, code, "geometry", "empty_geometry")
        return None
    if not all(math.isfinite(c) for c in coords.ravel()) or not lonlat_in_range(geom):
        problems.add(i, code, "geometry", "coordinates_out_of_range", detail=str(geom.bounds))
        return None
    return geom


def _polygonal(geom) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    parts = []
    for p in polys:
        parts.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
    return MultiPolygon(parts)


def import_grids(fc, *, actor: User | None, levels: tuple[str, ...], repair: bool = False,
                 commit: bool = True) -> dict:
    """Create org units. ``actor`` None means the command line (may create roots)."""
    problems = Problems()
    feats = _features(fc, problems)
    rank = {lvl: n for n, lvl in enumerate(levels)}
    rows: list[dict] = []
    for i, f in enumerate(feats):
        props = f.get("properties") or {}
        code, name = _text(props, "code"), _text(props, "name")
        level, parent_code = _text(props, "level"), _text(props, "parent_code")
        for key, value in (("code", code), ("name", name), ("level", level)):
            if value is None:
                problems.add(i, code, key, "missing_field")
        if name is not None and len(name) > MAX_NAME:
            problems.add(i, code, "name", "too_long", detail=f"{len(name)} > {MAX_NAME}")
        if code is not None and not CODE_RE.match(code):
            problems.add(i, code, "code", "bad_code")
        if level is not None and level not in rank:
            problems.add(i, code, "level", "unknown_level", detail=f"{level} not in {list(levels)}")
        geom = _geometry(i, code, f.get("geometry"), (Polygon, MultiPolygon), problems)
        repaired = False
        if geom is not None and not geom.is_valid:
            reason = explain_validity(geom)
            if repair:
                geom = _polygonal(shapely.make_valid(geom))
                repaired = True
                if geom.is_empty or not geom.is_valid:
                    problems.add(i, code, "geometry", "invalid_geometry", detail=reason)
            else:
                problems.add(i, code, "geometry", "invalid_geometry", detail=reason)
        rows.append(dict(index=i, code=code, name=name, level=level, parent_code=parent_code,
                         geom=_polygonal(geom) if geom is not None else None, repaired=repaired))

    counts = Counter(r["code"] for r in rows if r["code"])
    for r in rows:
        if r["code"] and counts[r["code"]] > 1:
            problems.add(r["index"], r["code"], "code", "duplicate_code")
    file_codes = {r["code"]: r for r in rows if r["code"]}
    existing = set(db.session.scalars(select(OrgUnit.code).where(OrgUnit.code.in_(list(file_codes)))))
    for code in existing:
        problems.add(file_codes[code]["index"], code, "code", "code_exists")

    outside = {r["parent_code"] for r in rows if r["parent_code"] and r["parent_code"] not in file_codes}
    db_parents = {u.code: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(list(outside))))}
    if actor is not None:
        scope = actor.org_unit.path
        db_parents = {c: u for c, u in db_parents.items() if u.path.startswith(scope)}

    # Resolve paths parents-first; a parent missing, out of scope or in a cycle is unknown.
    paths: dict[str, str] = {}

    def resolve(code: str, seen: frozenset) -> str | None:
        if code in paths:
            return paths[code]
        r = file_codes[code]
        pc = r["parent_code"]
        if pc is None:
            parent_path = "/" if actor is None else None
        elif pc in db_parents:
            parent_path = db_parents[pc].path
        elif pc in file_codes and pc not in seen:
            parent_path = resolve(pc, seen | {code})
        else:
            parent_path = None
        if parent_path is not None:
            paths[code] = parent_path + code + "/"
        return paths.get(code)

    for r in rows:
        if not r["code"]:
            continue
        if resolve(r["code"], frozenset()) is None:
            problems.add(r["index"], r["code"], "parent_code", "unknown_parent", detail=r["parent_code"])
            continue
        pc = r["parent_code"]
        parent_level = db_parents[pc].level if pc in db_parents else file_codes[pc]["level"] if pc else None
        if pc and r["level"] in rank and parent_level in rank and rank[r["level"]] <= rank[parent_level]:
            problems.add(r["index"], r["code"], "level", "level_order", detail=f"{r['level']} under {parent_level}")
        parent_geom = (to_shape(db_parents[pc].boundary) if pc in db_parents and db_parents[pc].boundary is not None
                       else file_codes[pc]["geom"] if pc in file_codes else None)
        if r["geom"] is not None and parent_geom is not None and not r["geom"].intersects(parent_geom.buffer(NEAR_DEG)):
            problems.add(r["index"], r["code"], "geometry", "outside_parent", detail=pc)
    problems.raise_if_any()

    units: dict[str, OrgUnit] = {}
    for r in sorted(rows, key=lambda r: paths[r["code"]].count("/")):
        pc = r["parent_code"]
        parent = units.get(pc) or db_parents.get(pc)
        unit = OrgUnit(code=r["code"], name=r["name"], level=r["level"], path=paths[r["code"]],
                       boundary=to_db(r["geom"]), parent=parent)
        db.session.add(unit)
        units[r["code"]] = unit
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return {"imported": len(rows), "repaired": [r["code"] for r in rows if r["repaired"]]}


def import_segments(fc, *, actor: User | None, commit: bool = True) -> dict:
    """Create river segments (and their rivers when new), each inside a grid in scope."""
    problems = Problems()
    feats = _features(fc, problems)
    rows = []
    for i, f in enumerate(feats):
        props = f.get("properties") or {}
        vals = {k: _text(props, k) for k in ("code", "name", "river_code", "river_name", "grid_code", "bank")}
        code = vals["code"]
        for key in ("code", "river_code", "river_name", "grid_code"):
            if vals[key] is None:
                problems.add(i, code, key, "missing_field")
        for key in ("code", "river_code"):
            if vals[key] is not None and not CODE_RE.match(vals[key]):
                problems.add(i, code, key, "bad_code")
        geom = _geometry(i, code, f.get("geometry"), (LineString, MultiLineString), problems)
        if isinstance(geom, MultiLineString):
            merged = shapely.line_merge(geom)
            if isinstance(merged, LineString):
                geom = merged
            else:
                problems.add(i, code, "geometry", "wrong_geometry_type", detail="MultiLineString with gaps")
                geom = None
        if geom is not None and not geom.is_valid:
            problems.add(i, code, "geometry", "invalid_geometry", detail=explain_validity(geom))
            geom = None
        if geom is not None and length_m(geom) < MIN_SEGMENT_M:
            problems.add(i, code, "geometry", "too_short", detail=f"{length_m(geom):.2f} m")
            geom = None
        if vals["bank"] not in (None, "left", "right", "both"):
            problems.add(i, code, "bank", "bad_value", detail="bank must be left, right or both")
        for key in ("name", "river_name"):
            if vals[key] is not None and len(vals[key]) > MAX_NAME:
                problems.add(i, code, key, "too_long", detail=f"{len(vals[key])} > {MAX_NAME}")
        rows.append(dict(index=i, geom=geom, **vals))

    counts = Counter(r["code"] for r in rows if r["code"])
    for r in rows:
        if r["code"] and counts[r["code"]] > 1:
            problems.add(r["index"], r["code"], "code", "duplicate_code")
    codes = [r["code"] for r in rows if r["code"]]
    for code in db.session.scalars(select(RiverSegment.code).where(RiverSegment.code.in_(codes))):
        r = next(r for r in rows if r["code"] == code)
        problems.add(r["index"], code, "code", "code_exists")

    grid_codes = {r["grid_code"] for r in rows if r["grid_code"]}
    grids = {u.code: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(list(grid_codes))))}
    if actor is not None:
        grids = {c: u for c, u in grids.items() if u.path.startswith(actor.org_unit.path)}
    river_codes = {r["river_code"] for r in rows if r["river_code"]}
    rivers = {rv.code: rv for rv in db.session.scalars(select(River).where(River.code.in_(list(river_codes))))}
    names: dict[str, str] = {code: rv.name for code, rv in rivers.items()}
    for r in rows:
        if r["grid_code"] and r["grid_code"] not in grids:
            problems.add(r["index"], r["code"], "grid_code", "unknown_grid", detail=r["grid_code"])
        elif r["grid_code"] and r["geom"] is not None and grids[r["grid_code"]].boundary is not None:
            area = to_shape(grids[r["grid_code"]].boundary).buffer(NEAR_DEG)
            if not r["geom"].intersects(area):
                problems.add(r["index"], r["code"], "geometry", "outside_grid", detail=r["grid_code"])
        rc, rn = r["river_code"], r["river_name"]
        if rc and rn and names.setdefault(rc, rn) != rn:
            problems.add(r["index"], r["code"], "river_name", "river_name_conflict",
                         detail=f"{rc}: {names[rc]} / {rn}")
    problems.raise_if_any()

    created = 0
    for r in rows:
        river = rivers.get(r["river_code"])
        if river is None:
            river = rivers[r["river_code"]] = River(code=r["river_code"], name=r["river_name"])
            db.session.add(river)
            created += 1
        db.session.add(RiverSegment(
            code=r["code"], name=(r["name"] or f"{r['river_name']}{r['code']}")[:MAX_NAME], river=river,
            grid=grids[r["grid_code"]], bank=r["bank"] or "both", geom=to_db(r["geom"]),
            length_m=round(length_m(r["geom"]), 1),
        ))
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return {"imported": len(rows), "rivers_created": created}
