"""What the track commands read besides the GPX: segments and grids as GeoJSON, a rule from its preset and
overrides; and the readable report. One code for ``riverpatrol track analyze`` (the server) and
``python -m mobile.headless analyze`` (the phone), so both print the same verdict for the same files.

Errors are ``TrackError`` with stable codes (``track.unreadable``, ``track.bad_geojson``, ``track.not_wgs84``,
``track.wrong_geometry``, ``track.not_lonlat``) and the file's name in both languages.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..crs import is_wgs84
from .analysis import analyze
from .errors import TrackError
from .geometry import GeometryError, lines_of, rings_of
from .gpx import read_gpx
from .verdict import PRESETS, AnalysisResult, ValidityRule

SEGMENTS = ("河段文件", "segments file")
GRID = ("网格文件", "grid file")
TRACK_FILE = ("轨迹文件", "track file")


def _error(code: str, zh: str, en: str) -> TrackError:
    return TrackError(code, zh, en)


def read_file(path: str | Path, what: tuple[str, str]) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _error("track.unreadable", f"无法读取{what[0]} {path}（{exc.strerror}）",
                     f"cannot read the {what[1]} {path} ({exc.strerror})") from None


def read_geojson(raw: bytes, areas: bool, what: tuple[str, str]) -> list[dict]:
    """The geometries (GeoJSON dicts, lon/lat) of a FeatureCollection, a Feature or a bare geometry: lines, or
    areas when ``areas``; anything else, another CRS or projected figures is refused."""
    zh, en = what
    try:
        doc = json.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError("not a GeoJSON object")
        crs = ((doc.get("crs") or {}).get("properties") or {}).get("name", "EPSG:4326")
        if not is_wgs84(crs):
            raise _error("track.not_wgs84", f"{zh}须为 WGS84 经纬度（crs 为 {crs}）",
                         f"the {en} must be WGS84 lon/lat (crs {crs})")
        if doc.get("type") == "FeatureCollection":
            geoms = [f.get("geometry") for f in doc.get("features") or []]
        else:
            geoms = [doc.get("geometry") if doc.get("type") == "Feature" else doc]
        geoms = [g for g in geoms if g]
        kinds = ("Polygon", "MultiPolygon") if areas else ("LineString", "MultiLineString")
        if not geoms or any(not isinstance(g, dict) or g.get("type") not in kinds for g in geoms):
            raise _error("track.wrong_geometry", f"{zh}须为{'面' if areas else '线'}要素",
                         f"the {en} must hold {' or '.join(kinds)} geometries")
        arrays = [r for g in geoms for poly in rings_of(g) for r in poly] if areas else \
            [c for g in geoms for c in lines_of(g)]
    except TrackError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, GeometryError) as exc:
        raise _error("track.bad_geojson", f"{zh}不是有效的 GeoJSON", f"the {en} is not valid GeoJSON ({exc})") from None
    if not arrays or any(len(a) < (4 if areas else 2) for a in arrays):
        raise _error("track.wrong_geometry", f"{zh}须为{'面' if areas else '线'}要素",
                     f"the {en} holds an empty or degenerate geometry")
    if any((abs(a[:, 0]) > 180).any() or (abs(a[:, 1]) > 90).any() for a in arrays):
        raise _error("track.not_lonlat", f"{zh}坐标超出经纬度范围（是否为投影坐标？）",
                     f"the {en} has coordinates beyond lon/lat (projected coordinates?)")
    return geoms


def analyze_files(track_path: str | Path, segments_path: str | Path | None = None,
                  grid_path: str | Path | None = None, rule: ValidityRule = ValidityRule()) -> AnalysisResult:
    """The verdict on a GPX file, with its segments and grid from GeoJSON files: what both track commands print.
    Bad input raises TrackError before anything is measured."""
    track = read_gpx(read_file(track_path, TRACK_FILE))
    segments = read_geojson(read_file(segments_path, SEGMENTS), False, SEGMENTS) if segments_path else None
    grid = read_geojson(read_file(grid_path, GRID), True, GRID) if grid_path else None
    return analyze(track, segments=segments, grid=grid, rule=rule)


def report(result: AnalysisResult, as_json: bool) -> str:
    """One JSON object on one line, or the readable summary."""
    return json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False) if as_json else "\n".join(summary(result))


def rule_with(preset: str = "default", min_duration_min: float | None = None, min_distance_m: float | None = None,
              min_coverage: float | None = None, tolerance_m: float | None = None) -> ValidityRule:
    """A preset of domain.md with some of its figures replaced (its version then says ``+cli``)."""
    base = PRESETS[preset]
    overridden = any(v is not None for v in (min_duration_min, min_distance_m, min_coverage, tolerance_m))
    return ValidityRule(
        min_duration_s=base.min_duration_s if min_duration_min is None else min_duration_min * 60,
        min_distance_m=base.min_distance_m if min_distance_m is None else min_distance_m,
        min_coverage=base.min_coverage if min_coverage is None else min_coverage,
        tolerance_m=base.tolerance_m if tolerance_m is None else tolerance_m,
        distance_on_segment=base.distance_on_segment,
        version=f"{base.version}+cli" if overridden else base.version)


def summary(result: AnalysisResult) -> list[str]:
    """The readable report, Chinese then English on each line."""
    lines = [f"轨迹点 fixes: {result.fixes} (有效 kept {result.kept_fixes})",
             f"时长 duration: {result.duration_s / 60:.1f} min, 移动 moving {result.moving_s / 60:.1f} min",
             f"距离 distance: {result.distance_m:.0f} m, 最高速度 max speed {result.max_speed_mps * 3.6:.1f} km/h, "
             f"典型速度 typical {result.typical_speed_mps * 3.6:.1f} km/h"]
    if result.travel_mode is not None:
        from .travel import MODE_LABELS

        ways = "、".join(f"{MODE_LABELS[p['mode']]} {p['distance_m'] / 1000:.1f} km" for p in result.stretches)
        lines.append(f"巡河方式 travel mode: {MODE_LABELS[result.travel_mode]} {result.travel_mode} ({ways})")
    if result.coverage is not None:
        lines.append(f"河段覆盖 coverage: {result.coverage:.0%} "
                     f"(河段内距离 on segments {result.on_segment_distance_m or 0:.0f} m)")
    if result.inside_grid_share is not None:
        lines.append(f"网格内 inside the grid: {result.inside_grid_share:.0%}")
    lines.append(f"有效巡河 valid: {'是 yes' if result.valid else '否 no'} (规则 rule {result.rule.version})")
    lines += [f"  - {reason}" for reason in result.reasons]
    lines += [f"标记 flag {f.code}: {f.detail}" for f in result.flags]
    lines += [f"说明 note: {note}" for note in result.notes]
    return lines
