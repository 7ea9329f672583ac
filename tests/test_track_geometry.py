"""The phone's numpy geometry against Shapely (GEOS) and pyproj (PROJ), which the server has as oracles.

The verdict of a patrol comes from shared_models/track, which runs on the phone with numpy alone;
here the same analysis is run a second time with Shapely's and pyproj's primitives put in place of
the numpy ones, on every real track in tests/data and real rivers and areas, and the two must agree:
the same verdict and flags, distance within 0.1 % (and within 0.1 % of pyproj's geodesic), coverage
within 0.01.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import gpxpy
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, shape

from shared_models.track import analysis, geometry
from shared_models.track.geometry import LocalProjection, Pieces, Polygons, distance_m, polygons_of
from shared_models.track.gpx import read_gpx
from shared_models.track.verdict import ValidityRule

from .tracks import walk_along

DATA = Path(__file__).parent / "data"
TRACK_FILES = sorted((DATA / "tracks").glob("*.gpx"))
TIMED_FILES = [p for p in TRACK_FILES if "without-times" not in p.stem]  # the other one is refused, as it must be
GEOD = Geod(ellps="WGS84")
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def _features(name: str) -> list:
    return [shape(f["geometry"]) for f in json.loads((DATA / "geo" / name).read_text())["features"]]


def _pyproj(lon0: float, lat0: float) -> Transformer:
    crs = CRS.from_proj4(f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +datum=WGS84 +units=m +no_defs")
    return Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)


# --- the oracle: the same analysis on Shapely's and pyproj's primitives -----------------------------

def _shapely_near(self: Pieces, points, tolerance):
    lines = shapely.multilinestrings(shapely.linestrings(np.stack([self.a, self.b], axis=1)))
    shapely.prepare(lines)
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    return shapely.dwithin(lines, shapely.points(pts), tolerance)


def _shapely_inside(self: Polygons, x, y):
    area = shapely.union_all([shapely.Polygon(rings[0], rings[1:]) for rings in self.polygons])
    return shapely.contains_xy(area, np.asarray(x), np.asarray(y))


def _pyproj_for(lon, lat):
    return _pyproj(round(float(np.median(lon)), 2), round(float(np.median(lat)), 2))


@pytest.fixture
def oracle(monkeypatch):
    """analyze() with GEOS and PROJ doing the geometry, as the server did before the phone needed numpy."""
    def run(*args, **kwargs):
        with monkeypatch.context() as m:
            m.setattr(geometry.Pieces, "near", _shapely_near)
            m.setattr(geometry.Polygons, "inside", _shapely_inside)
            m.setattr(analysis, "projection_for", _pyproj_for)
            return analysis.analyze(*args, **kwargs)
    return run


def _agree(ours, theirs) -> None:
    assert ours.valid == theirs.valid
    assert [f.code for f in ours.flags] == [f.code for f in theirs.flags]
    assert [r.code for r in ours.reasons] == [r.code for r in theirs.reasons]
    assert ours.distance_m == pytest.approx(theirs.distance_m, rel=1e-3, abs=0.5)
    assert ours.duration_s == theirs.duration_s
    for name in ("coverage", "inside_grid_share"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert (a is None) == (b is None)
        if a is not None:
            assert abs(a - b) <= 0.01, name
    if ours.on_segment_distance_m is not None:
        assert ours.on_segment_distance_m == pytest.approx(theirs.on_segment_distance_m, rel=1e-3, abs=0.5)


def _thirds(track) -> list[LineString]:
    """A river drawn along the walk's own fixes, in three segments (as a grid officer digitises one)."""
    return [LineString(np.column_stack([track.lon[i], track.lat[i]]))
            for i in np.array_split(np.arange(len(track)), 3) if len(i) >= 2]


def _beside(track, metres: float) -> list[LineString]:
    """The same river moved ``metres`` north: the walk covers it only where it comes that close."""
    proj = _pyproj_for(track.lon, track.lat)
    x, y = proj.transform(track.lon, track.lat)
    lon, lat = proj.transform(x, y + metres, direction="INVERSE")
    return [LineString(np.column_stack([lon, lat]))]


# --- the projection and distances --------------------------------------------------------------------

@pytest.mark.parametrize("lon0,lat0", [(108.9, 34.3), (121.5, 31.2), (87.6, 43.8), (126.6, 45.8),
                                       (110.3, 20.0), (91.1, 29.6), (14.5, 45.8)])
def test_projection_is_procs_transverse_mercator(lon0, lat0):
    rng = np.random.default_rng(int(lon0 * 10))
    lon, lat = lon0 + rng.uniform(-0.5, 0.5, 5000), lat0 + rng.uniform(-0.5, 0.5, 5000)
    ours = LocalProjection(lon0, lat0)
    x, y = ours.transform(lon, lat)
    px, py = _pyproj(lon0, lat0).transform(lon, lat)
    assert np.abs(x - px).max() < 1e-3 and np.abs(y - py).max() < 1e-3  # under a millimetre
    back_lon, back_lat = ours.transform(x, y, direction="INVERSE")
    assert np.abs(back_lon - lon).max() < 1e-9 and np.abs(back_lat - lat).max() < 1e-9


@pytest.mark.parametrize("path", TRACK_FILES, ids=lambda p: p.stem)
def test_track_length_is_the_geodesic_length(path):
    checked = 0
    for trk in gpxpy.parse(path.read_text()).tracks:  # every track of the file, timed or not
        for seg in trk.segments:
            lon = np.array([p.longitude for p in seg.points])
            lat = np.array([p.latitude for p in seg.points])
            if len(lon) < 2:
                continue
            proj = geometry.projection_for(lon, lat)
            x, y = proj.transform(lon, lat)
            ours = float(np.hypot(np.diff(x), np.diff(y)).sum())
            assert ours == pytest.approx(GEOD.line_length(lon, lat), rel=1e-3)
            checked += 1
    assert checked


def test_distance_between_two_points():
    # a re-check 87 m from the problem in Xi'an, and 40 km across Shanghai
    for lon1, lat1, lon2, lat2 in [(108.9400, 34.3400, 108.9409, 34.3403), (121.2, 31.0, 121.6, 31.2)]:
        assert distance_m(lon1, lat1, lon2, lat2) == pytest.approx(GEOD.inv(lon1, lat1, lon2, lat2)[2], rel=1e-4)


# --- near and inside, on real rivers and areas -----------------------------------------------------

@pytest.mark.parametrize("tolerance", [0.0, 5.0, 30.0, 100.0, 800.0])
def test_near_a_river_is_geos_dwithin(tolerance):
    rivers = _features("xian_weihe_and_canal.geojson") + _features("xian_zaohe_weihe.geojson")
    lons = np.concatenate([np.asarray(r.coords)[:, 0] for r in rivers])
    lats = np.concatenate([np.asarray(r.coords)[:, 1] for r in rivers])
    proj = geometry.projection_for(lons, lats)
    lines = [np.column_stack(proj.transform(*np.asarray(r.coords)[:, :2].T)) for r in rivers]
    pieces = Pieces.of_lines(lines)
    rng = np.random.default_rng(5)
    # points scattered around the rivers, many close to them, and the vertices themselves
    base = np.concatenate(lines)[rng.integers(0, sum(map(len, lines)), 4000)]
    points = np.vstack([base + rng.normal(0, max(tolerance, 20.0), base.shape), np.concatenate(lines)])
    theirs = _shapely_near(pieces, points, tolerance)
    ours = pieces.near(points, tolerance)
    assert ours.sum() > 0 and (~ours).sum() > 0
    assert (ours == theirs).all()


@pytest.mark.parametrize("name", ["xian_two_subdistricts.geojson", "xian_xujiawan_damingong.geojson"])
def test_inside_an_area_is_geos_contains(name):
    areas = _features(name)
    area = polygons_of(areas)
    minx, miny, maxx, maxy = shapely.total_bounds(areas)
    rng = np.random.default_rng(2)
    x, y = rng.uniform(minx, maxx, 20000), rng.uniform(miny, maxy, 20000)
    theirs = shapely.contains_xy(shapely.union_all(areas), x, y)
    ours = area.inside(x, y)
    assert 0.05 < ours.mean() < 0.95
    assert (ours == theirs).all()


def test_an_area_with_a_hole_and_two_parts():
    outer = shapely.Point(108.94, 34.34).buffer(0.01)
    holed = shapely.Polygon(outer.exterior.coords, [shapely.Point(108.94, 34.34).buffer(0.004).exterior.coords])
    other = shapely.Point(108.97, 34.34).buffer(0.005)
    both = shapely.MultiPolygon([holed, other])
    area = polygons_of(both)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(108.92, 108.98, 10000), rng.uniform(34.32, 34.36, 10000)
    assert (area.inside(x, y) == shapely.contains_xy(both, x, y)).all()
    assert not area.inside([108.94], [34.34])[0]  # in the hole
    # a GeoJSON dict reads the same as the Shapely geometry
    assert (polygons_of(shapely.geometry.mapping(both)).inside(x, y) == area.inside(x, y)).all()


def test_segmentize_is_geos_segmentize():
    line = np.array([[0.0, 0.0], [12.0, 0.0], [12.0, 3.0], [40.0, 30.0]])
    ours = Pieces.of_lines([line]).segmentize(5.0)
    theirs = shapely.get_coordinates(shapely.segmentize(LineString(line), 5.0))
    assert np.allclose(np.vstack([ours.a, ours.b[-1:]]), theirs)


def test_bad_geometries_are_refused():
    with pytest.raises(geometry.GeometryError):
        geometry.lines_of({"type": "Point", "coordinates": [1, 2]})
    with pytest.raises(geometry.GeometryError):
        geometry.lines_of({"type": "LineString", "coordinates": [[1, "x"], [2, 3]]})
    with pytest.raises(geometry.GeometryError):
        geometry.rings_of({"type": "LineString", "coordinates": [[1, 2], [2, 3]]})


# --- the whole analysis, against the oracle --------------------------------------------------------

@pytest.mark.parametrize("path", TIMED_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("layout", ["none", "along", "beside_20m", "beside_45m"])
def test_analysis_agrees_with_shapely_and_pyproj(path, layout, oracle):
    track = read_gpx(path.read_bytes())
    segments = {"none": None, "along": _thirds(track), "beside_20m": _beside(track, 20),
                "beside_45m": _beside(track, 45)}[layout]
    grid = None
    if segments:
        grid = shapely.MultiPoint(np.column_stack([track.lon, track.lat])).convex_hull.buffer(0.0005)
    rule = ValidityRule(min_duration_s=600, min_distance_m=500, min_coverage=0.6)
    ours = analysis.analyze(track, segments=segments, grid=grid, rule=rule, now=NOW)
    theirs = oracle(track, segments=segments, grid=grid, rule=rule, now=NOW)
    _agree(ours, theirs)
    if ours.distance_m > 100:  # the walked line's length against the geodesic of the same fixes is above
        assert ours.distance_m <= GEOD.line_length(track.lon, track.lat) * 1.001


@pytest.mark.parametrize("seed", range(4))
def test_patrols_on_xian_rivers_agree_with_the_oracle(seed, oracle):
    rivers = _features("xian_weihe_and_canal.geojson")
    grid = _features("xian_two_subdistricts.geojson")
    river = max(rivers, key=lambda r: r.length)
    part = shapely.ops.substring(river, 0.1 * seed * river.length, (0.1 * seed + 0.3) * river.length)
    start = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC).timestamp()
    track = walk_along(part, start, back=bool(seed % 2), seed=seed)
    ours = analysis.analyze(track, segments=rivers, grid=grid, now=NOW)
    theirs = oracle(track, segments=rivers, grid=grid, now=NOW)
    _agree(ours, theirs)
    assert 0 < ours.coverage < 1
