"""Import of grids (org units) and river segments from GeoJSON. All or nothing.

Every bad feature is reported with its index, code, field and reason; nothing is
written unless every feature is valid.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, shape
from shapely.validation import explain_validity
from sqlalchemy import or_, select

from shared_models.crs import is_wgs84
from shared_models.errors import IMPORT_REASONS

from ..audit import service as audit
from ..auth.models import User
from ..errors import ApiError
from ..extensions import db
from ..geo import length_m, lonlat_in_range, to_db
from ..text import CONTROL, NO_CONTROL
from . import topology
from .models import OrgUnit, River, RiverSegment
from .scope import scope_path

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_NAME = 100  # the columns' length
MAX_PATH = 500  # OrgUnit.path's length
MAX_FEATURES = 20_000  # a county's villages and segments many times over; more is split into files
MAX_LISTED = 100  # problems listed in the answer (all are counted)
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
            raise ApiError("import.invalid", 422, errors=self.items[:MAX_LISTED], error_count=len(self.items))


def _features(fc, problems: Problems) -> list[dict]:
    if not isinstance(fc, dict) or fc.get("type") != "FeatureCollection" or not isinstance(fc.get("features"), list):
        problems.add(None, None, "type", "not_feature_collection")
        problems.raise_if_any()
    crs = fc.get("crs")
    if crs is not None:
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if not is_wgs84(name):
            problems.add(None, None, "crs", "wrong_crs", detail=str(name))
            problems.raise_if_any()
    feats = fc["features"]
    if len(feats) > MAX_FEATURES:
        problems.add(None, None, "features", "too_many_features", detail=f"{len(feats)} > {MAX_FEATURES}")
        problems.raise_if_any()
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
    if not np.isfinite(coords).all() or not lonlat_in_range(geom):
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


def _grid_rows(feats: list[dict], rank: dict, repair: bool, problems: Problems) -> list[dict]:
    rows: list[dict] = []
    levels = list(rank)
    for i, f in enumerate(feats):
        props = f.get("properties") or {}
        code, name = _text(props, "code"), _text(props, "name")
        level, parent_code = _text(props, "level"), _text(props, "parent_code")
        for key, value in (("code", code), ("name", name), ("level", level)):
            if value is None:
                problems.add(i, code, key, "missing_field")
        if name is not None and len(name) > MAX_NAME:
            problems.add(i, code, "name", "too_long", detail=f"{len(name)} > {MAX_NAME}")
        elif name is not None and CONTROL.search(name):
            problems.add(i, code, "name", "bad_value", detail=NO_CONTROL)
        if code is not None and not CODE_RE.match(code):
            problems.add(i, code, "code", "bad_code")
        if level is not None and level not in rank:
            problems.add(i, code, "level", "unknown_level", detail=f"{level} not in {levels}")
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
        geom = _polygonal(geom) if geom is not None else None
        rows.append(dict(index=i, code=code, name=name, level=level, parent_code=parent_code, geom=geom,
                         valid=geom is not None and not geom.is_empty and geom.is_valid, repaired=repaired))
    return rows


def _paths(file_codes: dict[str, dict], db_parents: dict[str, OrgUnit], actor: User | None,
           max_depth: int) -> tuple[dict[str, str | None], set[str]]:
    """Each code's path, walking up its parent codes once each (no recursion): None where the chain
    ends at a parent that is missing or out of scope, or runs in a cycle; and the codes deeper than
    ``max_depth`` levels (the configured levels: no level order holds more), which get None too."""
    paths: dict[str, str | None] = {}
    too_deep: set[str] = set()
    for start in file_codes:
        chain: list[str] = []
        on_chain: set[str] = set()
        code, base, deep = start, None, False
        while True:
            if code in paths:
                base, deep = paths[code], code in too_deep
                break
            if code in on_chain:
                break  # a cycle
            chain.append(code)
            on_chain.add(code)
            pc = file_codes[code]["parent_code"]
            if pc is None or pc in db_parents or pc not in file_codes:
                base = ("/" if actor is None else None) if pc is None else (
                    db_parents[pc].path if pc in db_parents else None)
                break
            code = pc
        for code in reversed(chain):
            if base is not None:
                base = base + code + "/"
                if base.count("/") - 1 > max_depth or len(base) > MAX_PATH:
                    base, deep = None, True
            if deep:
                too_deep.add(code)
            paths[code] = base
    return paths, too_deep


def _check_places(rows: list[dict], file_codes: dict[str, dict], db_parents: dict[str, OrgUnit],
                  problems: Problems) -> None:
    """A child within its parent, siblings (one parent, one level) not over each other."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["valid"] and r["code"] and r["level"]:
            groups.setdefault((r["parent_code"], r["level"]), []).append(r)
    parent_ids = {db_parents[pc].id for pc, _ in groups if pc in db_parents}
    roots = any(pc is None for pc, _ in groups)
    known: dict[tuple, list[OrgUnit]] = {}
    if parent_ids or roots:
        clause = or_(OrgUnit.parent_id.in_(parent_ids), OrgUnit.parent_id.is_(None)) if roots else \
            OrgUnit.parent_id.in_(parent_ids)
        by_id = {u.id: c for c, u in db_parents.items()}
        for unit in db.session.scalars(select(OrgUnit).where(clause, OrgUnit.boundary.is_not(None))):
            known.setdefault((by_id.get(unit.parent_id), unit.level), []).append(unit)
    for (pc, level), members in groups.items():
        parent = db_parents.get(pc)
        parent_geom = (_stored(parent) if parent is not None and parent.boundary is not None
                       else file_codes[pc]["geom"] if pc in file_codes and file_codes[pc]["valid"] else None)
        if parent_geom is not None:
            for r, out in zip(members, topology.outside([r["geom"] for r in members], parent_geom), strict=True):
                if out:
                    problems.add(r["index"], r["code"], "geometry", "outside_parent", detail=pc)
        old = [u for u in known.get((pc, level), []) if u.code not in file_codes]
        for i, j in topology.overlaps([r["geom"] for r in members], [_stored(u) for u in old]):
            a = members[i]
            if j < len(members):  # both in the file: each is told of the other
                b = members[j]
                problems.add(b["index"], b["code"], "geometry", "overlaps_sibling", detail=a["code"])
            problems.add(a["index"], a["code"], "geometry", "overlaps_sibling",
                         detail=members[j]["code"] if j < len(members) else old[j - len(members)].code)


def _stored(unit: OrgUnit):
    """A stored boundary, made valid if an older import let an invalid one in (GEOS refuses to overlay those)."""
    geom = to_shape(unit.boundary)
    return geom if geom.is_valid else shapely.make_valid(geom)


def import_grids(fc, *, actor: User | None, levels: tuple[str, ...], repair: bool = False,
                 check_only: bool = False) -> dict:
    """Create org units. ``actor`` None means the command line (may create roots). ``check_only``:
    every check, nothing written (the console's preview); else committed, or flushed for the caller."""
    problems = Problems()
    feats = _features(fc, problems)
    rank = {lvl: n for n, lvl in enumerate(levels)}
    rows = _grid_rows(feats, rank, repair, problems)

    counts = Counter(r["code"] for r in rows if r["code"])
    for r in rows:
        if r["code"] and counts[r["code"]] > 1:
            problems.add(r["index"], r["code"], "code", "duplicate_code")
    file_codes = {r["code"]: r for r in rows if r["code"]}
    existing = set(db.session.scalars(select(OrgUnit.code).where(OrgUnit.code.in_(list(file_codes)))))
    for code in existing:  # codes are unique everywhere: in use, and nothing about where
        problems.add(file_codes[code]["index"], code, "code", "code_exists")

    outside = {r["parent_code"] for r in rows if r["parent_code"] and r["parent_code"] not in file_codes}
    db_parents = {u.code: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(list(outside))))}
    if actor is not None:
        scope = scope_path(actor)
        db_parents = {c: u for c, u in db_parents.items() if u.path.startswith(scope)}

    paths, too_deep = _paths(file_codes, db_parents, actor, len(levels))
    for r in rows:
        if not r["code"]:
            continue
        if paths[r["code"]] is None:
            reason = "too_deep" if r["code"] in too_deep else "unknown_parent"
            problems.add(r["index"], r["code"], "parent_code", reason, detail=r["parent_code"])
            continue
        pc = r["parent_code"]
        parent_level = db_parents[pc].level if pc in db_parents else file_codes[pc]["level"] if pc else None
        if pc and r["level"] in rank and parent_level in rank and rank[r["level"]] <= rank[parent_level]:
            problems.add(r["index"], r["code"], "level", "level_order", detail=f"{r['level']} under {parent_level}")
    _check_places([r for r in rows if r["code"] and paths[r["code"]]], file_codes, db_parents, problems)
    problems.raise_if_any()
    result = {"imported": len(rows), "repaired": [r["code"] for r in rows if r["repaired"]]}
    if check_only:
        return result

    units: dict[str, OrgUnit] = {}
    for r in sorted(rows, key=lambda r: paths[r["code"]].count("/")):
        pc = r["parent_code"]
        parent = units.get(pc) or db_parents.get(pc)
        unit = OrgUnit(code=r["code"], name=r["name"], level=r["level"], path=paths[r["code"]],
                       boundary=to_db(r["geom"]), parent=parent)
        db.session.add(unit)
        units[r["code"]] = unit
    _done(actor, "grids.imported", [u.path for u in units.values()], {**result, "codes": sorted(units)})
    return result


def import_segments(fc, *, actor: User | None, check_only: bool = False) -> dict:
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
            elif vals[key] is not None and CONTROL.search(vals[key]):
                problems.add(i, code, key, "bad_value", detail=NO_CONTROL)
        rows.append(dict(index=i, geom=geom, **vals))

    counts = Counter(r["code"] for r in rows if r["code"])
    for r in rows:
        if r["code"] and counts[r["code"]] > 1:
            problems.add(r["index"], r["code"], "code", "duplicate_code")
    by_code = {r["code"]: r for r in reversed(rows) if r["code"]}  # the first row of each code
    for code in db.session.scalars(select(RiverSegment.code).where(RiverSegment.code.in_(list(by_code)))):
        problems.add(by_code[code]["index"], code, "code", "code_exists")  # in use; not whose, nor where

    grid_codes = {r["grid_code"] for r in rows if r["grid_code"]}
    grids = {u.code: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(list(grid_codes))))}
    if actor is not None:
        grids = {c: u for c, u in grids.items() if u.path.startswith(scope_path(actor))}
    river_codes = {r["river_code"] for r in rows if r["river_code"]}
    rivers = {rv.code: rv for rv in db.session.scalars(select(River).where(River.code.in_(list(river_codes))))}
    names: dict[str, str] = {code: rv.name for code, rv in rivers.items()}
    shown = set(names) if actor is None else _rivers_in_scope(actor, rivers)
    for r in rows:
        if r["grid_code"] and r["grid_code"] not in grids:
            problems.add(r["index"], r["code"], "grid_code", "unknown_grid", detail=r["grid_code"])
        elif r["grid_code"] and r["geom"] is not None and grids[r["grid_code"]].boundary is not None:
            area = to_shape(grids[r["grid_code"]].boundary).buffer(NEAR_DEG)
            if not r["geom"].intersects(area):
                problems.add(r["index"], r["code"], "geometry", "outside_grid", detail=r["grid_code"])
        rc, rn = r["river_code"], r["river_name"]
        if rc and rn and names.setdefault(rc, rn) != rn:
            # rivers are shared by the counties they cross; another county's river name stays its own
            problems.add(r["index"], r["code"], "river_name", "river_name_conflict",
                         detail=f"{rc}: {names[rc]} / {rn}" if rc in shown or rc not in rivers else None)
    problems.raise_if_any()
    if check_only:
        return {"imported": len(rows), "rivers_created": len({r["river_code"] for r in rows} - set(rivers))}

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
    result = {"imported": len(rows), "rivers_created": created}
    _done(actor, "segments.imported", [grids[r["grid_code"]].path for r in rows],
          {**result, "codes": sorted(r["code"] for r in rows)})
    return result


def _done(actor: User | None, action: str, paths: list[str], after: dict) -> None:
    """Written, and said in the audit log under the widest unit it touched."""
    db.session.flush()
    if paths:
        audit.record(actor, action, "import", action.split(".")[0], scope_path=min(paths, key=len), after=after)


def _rivers_in_scope(actor: User, rivers: dict[str, River]) -> set[str]:
    """Codes of the rivers that have a segment in the actor's scope (their names are the actor's to see)."""
    ids = {rv.id: code for code, rv in rivers.items()}
    if not ids:
        return set()
    seen = db.session.scalars(select(RiverSegment.river_id).join(OrgUnit, OrgUnit.id == RiverSegment.grid_id).where(
        RiverSegment.river_id.in_(list(ids)), OrgUnit.path.startswith(scope_path(actor), autoescape=True)))
    return {ids[i] for i in set(seen)}
