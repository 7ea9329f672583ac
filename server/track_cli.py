"""`track` commands: the patrol analysis the phone and the server run, on a GPX file.

No Flask app and no database: ``riverpatrol track analyze`` once registered on the main
group, or ``python -m server.track_cli analyze TRACK.gpx`` on its own. Bad input exits
with status 1 and a Chinese / English message on stderr (never a traceback).
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from shared_models.crs import is_wgs84
from shared_models.track import TrackError
from shared_models.track.analysis import analyze
from shared_models.track.gpx import read_gpx
from shared_models.track.verdict import PRESETS, AnalysisResult, ValidityRule

_LINES = ("LineString", "MultiLineString")
_AREAS = ("Polygon", "MultiPolygon")


class BadInput(click.ClickException):
    """Exit 1 with ``zh / en (code)`` on stderr."""

    exit_code = 1

    def __init__(self, zh: str, en: str, code: str | None = None) -> None:
        super().__init__(f"{zh} / {en}" + (f" ({code})" if code else ""))

    def show(self, file=None) -> None:
        click.echo(f"错误 error: {self.message}", err=True)


def _read(path: str, what_zh: str, what_en: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"无法读取{what_zh} {path}（{exc.strerror}）",
                       f"cannot read the {what_en} {path} ({exc.strerror})") from None


def _geometries(path: str, kinds: tuple[str, ...], what_zh: str, what_en: str) -> list:
    """The geometries of a GeoJSON file (FeatureCollection, Feature or bare geometry) in WGS84."""
    from shapely.geometry import shape

    try:
        doc = json.loads(_read(path, what_zh, what_en))
        if not isinstance(doc, dict):
            raise ValueError("not a GeoJSON object")
        crs = (doc.get("crs") or {}).get("properties", {}).get("name", "EPSG:4326")
        if not is_wgs84(crs):
            raise BadInput(f"{what_zh}须为 WGS84 经纬度（crs 为 {crs}）",
                           f"the {what_en} must be WGS84 lon/lat (crs {crs})")
        if doc.get("type") == "FeatureCollection":
            geoms = [f.get("geometry") for f in doc.get("features", [])]
        else:
            geoms = [doc.get("geometry") if doc.get("type") == "Feature" else doc]
        shapes = [shape(g) for g in geoms if g]
    except BadInput:
        raise
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # json, shapely and shape() errors
        raise BadInput(f"{what_zh}不是有效的 GeoJSON", f"the {what_en} is not valid GeoJSON ({exc})") from None
    if not shapes or any(s.geom_type not in kinds or s.is_empty for s in shapes):
        kind_zh = "线" if kinds == _LINES else "面"
        raise BadInput(f"{what_zh}须为{kind_zh}要素", f"the {what_en} must hold {' or '.join(kinds)} geometries")
    bounds = [s.bounds for s in shapes]
    if any(abs(b[0]) > 180 or abs(b[2]) > 180 or abs(b[1]) > 90 or abs(b[3]) > 90 for b in bounds):
        raise BadInput(f"{what_zh}坐标超出经纬度范围（是否为投影坐标？）",
                       f"the {what_en} has coordinates beyond lon/lat (projected coordinates?)")
    return shapes


def _rule(preset: str, min_duration_min, min_distance_m, min_coverage, tolerance_m) -> ValidityRule:
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


@click.group("track")
def track() -> None:
    """Analyse tracks exactly as the server and the phone do (no database needed)."""


@track.command("analyze")
@click.argument("gpx_path", metavar="TRACK.gpx")
@click.option("--segments", "segments_path", metavar="SEGMENTS.geojson",
              help="Assigned river segments: GeoJSON LineStrings in WGS84 lon/lat.")
@click.option("--grid", "grid_path", metavar="GRID.geojson", help="The grid: GeoJSON Polygons in WGS84 lon/lat.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--rule", "preset", type=click.Choice(sorted(PRESETS)), default="default", show_default=True,
              help="A validity rule of domain.md; the options below override its figures.")
@click.option("--min-duration-min", type=click.FloatRange(min=0), help="Minimum duration in minutes.")
@click.option("--min-distance-m", type=click.FloatRange(min=0), help="Minimum distance in metres.")
@click.option("--min-coverage", type=click.FloatRange(0, 1), help="Minimum share of the segments covered.")
@click.option("--tolerance-m", type=click.FloatRange(min=0), help="Distance from a segment that still covers it.")
def analyze_command(gpx_path: str, segments_path: str | None, grid_path: str | None, as_json: bool, preset: str,
                    min_duration_min: float | None, min_distance_m: float | None, min_coverage: float | None,
                    tolerance_m: float | None) -> None:
    """Measure and judge a GPX 1.0/1.1 track: distance, time, coverage, validity, flags."""
    raw = _read(gpx_path, "轨迹文件", "track file")
    try:
        track_ = read_gpx(raw)
    except TrackError as exc:
        raise BadInput(exc.zh, exc.en, exc.code) from None
    segments = _geometries(segments_path, _LINES, "河段文件", "segments file") if segments_path else None
    grids = _geometries(grid_path, _AREAS, "网格文件", "grid file") if grid_path else None
    grid = None
    if grids:
        import shapely

        grid = shapely.union_all(grids)
    rule = _rule(preset, min_duration_min, min_distance_m, min_coverage, tolerance_m)
    result = analyze(track_, segments=segments, grid=grid, rule=rule)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False))
    else:
        click.echo("\n".join(summary(result)))


if __name__ == "__main__":
    track(prog_name="python -m server.track_cli")
