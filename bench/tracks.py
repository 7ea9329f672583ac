"""Track figures: wire size against GPX and GeoJSON, and the server's processing time per patrol.

Run ``make bench`` (or ``python bench/tracks.py``); prints ``name: value`` lines. Sizes are over the real
GPX files in tests/data/tracks. Processing ("ingest") is what the server does with an
upload: base64 and codec decoding, validation, filtering and the analysis against three
assigned segments and a grid, on a two-hour 1 Hz patrol (the Korita hike's first two
hours resampled to one fix a second with receiver-like error). Beside it, measured in
the same run, a naive implementation of the same measures (marshmallow per fix, Python
loops, one pyproj Geod call per step, one Shapely call per point); both must agree
within 1% on distance and coverage. Goals: ingest p95 <= 50 ms, >= 20x the naive one.
"""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from marshmallow import Schema, fields, validate
from pyproj import Geod
from shapely.geometry import LineString, Point

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from shared_models.track import Track, codec  # noqa: E402
from shared_models.track.analysis import (  # noqa: E402
    COVERAGE_STEP_M,
    GAP_MIN_S,
    JITTER_M,
    MAX_ACCURACY_M,
    MOVING_MPS,
    MOVING_WINDOW_S,
    OFF_SEGMENT_M,
    STANDSTILL_S,
    ValidityRule,
    analyze,
    projection_for,
)
from shared_models.track.gpx import read_gpx  # noqa: E402

TRACKS = ROOT / "tests" / "data" / "tracks"
REAL = {"korita": "korita-zbevnica.gpx", "cerknicko": "cerknicko-jezero.gpx", "car": "around-visnjan-with-car.gpx",
        "mojstrovka": "Mojstrovka.gpx"}
RULE = ValidityRule()
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
FAST_RUNS, NAIVE_RUNS = 60, 5


def geojson_of(track: Track) -> bytes:
    """The track as a GeoJSON LineString with a times array, as common exports write it."""
    columns = [track.lon, track.lat] + ([track.altitude] if track.altitude is not None else [])
    times = [dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z") for t in track.t]
    feature = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": np.column_stack(columns).tolist()},
               "properties": {"times": times}}
    return json.dumps(feature).encode()


def sizes() -> dict[str, float]:
    totals = dict.fromkeys(("fixes", "codec", "gpx", "gpx_gz", "geojson", "geojson_gz"), 0)
    out = {}
    for short, name in REAL.items():
        raw = (TRACKS / name).read_bytes()
        track = read_gpx(raw)
        wire = len(codec.encode(track))
        out[f"track_bytes_per_fix_gz_{short}"] = wire / len(track)
        gj = geojson_of(track)
        for key, size in (("fixes", len(track)), ("codec", wire), ("gpx", len(raw)),
                          ("gpx_gz", len(gzip.compress(raw))), ("geojson", len(gj)),
                          ("geojson_gz", len(gzip.compress(gj)))):
            totals[key] += size
    n = totals["fixes"]
    return {"track_bytes_per_fix_gz": totals["codec"] / n, "gpx_bytes_per_fix_raw": totals["gpx"] / n,
            "gpx_bytes_per_fix_gz": totals["gpx_gz"] / n, "geojson_bytes_per_fix_raw": totals["geojson"] / n,
            "geojson_bytes_per_fix_gz": totals["geojson_gz"] / n, **out}


def two_hour_patrol() -> tuple[Track, list[LineString], shapely.Polygon]:
    """7,200 fixes at 1 Hz along the real hike at its real pace, three segments along it, and a grid."""
    walk = read_gpx((TRACKS / REAL["korita"]).read_bytes())
    proj = projection_for(walk.lon, walk.lat)
    x, y = proj.transform(walk.lon, walk.lat)
    t = walk.t[0] + np.arange(7200.0)
    rng = np.random.default_rng(7)
    kernel = 0.95 ** np.arange(200)  # receiver error wanders slowly (AR(1)), it does not jump

    def noise() -> np.ndarray:
        return np.convolve(rng.normal(0, 0.4, 7200 + 199), kernel, mode="valid")

    lon, lat = proj.transform(np.interp(t, walk.t, x) + noise(), np.interp(t, walk.t, y) + noise(),
                              direction="INVERSE")
    track = Track(np.round(lon, 7), np.round(lat, 7), t, rng.uniform(3, 12, 7200).round(1))
    walked = np.flatnonzero(walk.t <= t[-1])  # the river, drawn along the hike's own fixes of those hours
    segments = [LineString(np.column_stack([walk.lon[i], walk.lat[i]])) for i in np.array_split(walked, 3)]
    grid = shapely.MultiPoint(np.column_stack([walk.lon, walk.lat])).convex_hull.buffer(0.005)
    return track, segments, grid


def ingest_fast(payload: str, segments: list[LineString], grid) -> tuple[float, float]:
    track = codec.decode(base64.b64decode(payload, validate=True))
    codec.validate(track, now=NOW)
    result = analyze(track, segments=segments, grid=grid, rule=RULE, now=NOW)
    return result.distance_m, result.coverage


class FixSchema(Schema):
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    t = fields.Float(required=True)
    accuracy = fields.Float(allow_none=True, validate=validate.Range(min=0))


def ingest_naive(fix_dicts: list[dict], segments: list[LineString], grid) -> tuple[float, float]:
    """The obvious implementation of the same measures: an object per fix and Python loops."""
    fixes = FixSchema(many=True).load(fix_dicts)
    for a, b in zip(fixes, fixes[1:], strict=False):
        if b["t"] < a["t"]:
            raise ValueError("decreasing time")
    if fixes[-1]["t"] > NOW.timestamp() + 600:
        raise ValueError("future time")
    kept = [f for f in fixes if f["accuracy"] is None or f["accuracy"] <= MAX_ACCURACY_M]
    geod = Geod(ellps="WGS84")
    proj = projection_for(np.array([f["lon"] for f in kept]), np.array([f["lat"] for f in kept]))
    for f in kept:
        f["x"], f["y"] = proj.transform(f["lon"], f["lat"])
    # net displacement speed over the next window from every fix
    speeds = {}
    for window in (10.0, MOVING_WINDOW_S, 120.0):
        out, j = [], 0
        for i, fix in enumerate(kept):
            j = max(j, i)
            while j < len(kept) - 1 and kept[j]["t"] < fix["t"] + window:
                j += 1
            span = kept[j]["t"] - fix["t"]
            out.append(((kept[j]["x"] - fix["x"]) ** 2 + (kept[j]["y"] - fix["y"]) ** 2) ** 0.5 / span
                       if span >= window / 2 else None)
        speeds[window] = out
    moving = []
    for a, b, v in zip(kept, kept[1:], speeds[MOVING_WINDOW_S], strict=False):
        if v is None:  # too near the end for a window: the step itself
            v = ((b["x"] - a["x"]) ** 2 + (b["y"] - a["y"]) ** 2) ** 0.5 / (b["t"] - a["t"]) if b["t"] > a["t"] else 0
        moving.append(v > MOVING_MPS)
    moving_s = sum(b["t"] - a["t"] for a, b, m in zip(kept, kept[1:], moving, strict=False) if m)
    gaps = [a["t"] for a, b in zip(kept, kept[1:], strict=False) if b["t"] - a["t"] > GAP_MIN_S]
    # standstills of a minute or more are cut out: the fixes inside them are not walked
    walked, i = [kept[0]], 0
    while i < len(moving):
        j = i
        while j < len(moving) and not moving[j]:
            j += 1
        if j > i and kept[j]["t"] - kept[i]["t"] >= STANDSTILL_S:
            walked.append(kept[j])  # fixes i+1 .. j-1 dropped
            i = j
        else:
            walked.append(kept[i + 1])
            i += 1
    # distance: Douglas-Peucker at JITTER_M so that wiggles add nothing, then geodesic steps
    distance, keep_vertex = 0.0, [False] * len(walked)
    keep_vertex[0] = keep_vertex[-1] = True
    stack = [(0, len(walked) - 1)]
    while stack:
        a, b = stack.pop()
        ax, ay, bx, by = walked[a]["x"], walked[a]["y"], walked[b]["x"], walked[b]["y"]
        length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
        worst, worst_d = None, JITTER_M
        for k in range(a + 1, b):
            px, py = walked[k]["x"], walked[k]["y"]
            if length > 0:
                off = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
            else:
                off = ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            if off > worst_d:
                worst, worst_d = k, off
        if worst is not None:
            keep_vertex[worst] = True
            stack += [(a, worst), (worst, b)]
    vertices = [f for f, k in zip(walked, keep_vertex, strict=True) if k]
    for a, b in zip(vertices, vertices[1:], strict=False):
        distance += geod.inv(a["lon"], a["lat"], b["lon"], b["lat"])[2]
    line = LineString([(f["x"], f["y"]) for f in kept])
    metric = [LineString([proj.transform(lo, la) for lo, la in seg.coords]) for seg in segments]
    union = shapely.union_all(metric)
    far = sum(1 for f in kept if union.distance(Point(f["x"], f["y"])) > OFF_SEGMENT_M) / len(kept)
    inside = sum(1 for f in kept if grid.contains(Point(f["lon"], f["lat"]))) / len(kept)
    covered = total = 0.0
    for seg in union.geoms if hasattr(union, "geoms") else [union]:
        steps = max(1, int(np.ceil(seg.length / COVERAGE_STEP_M)))
        piece = seg.length / steps
        for i in range(steps):
            total += piece
            if line.distance(seg.interpolate((i + 0.5) * piece)) <= RULE.tolerance_m:
                covered += piece
    assert moving_s > 0 and 0 <= far <= 1 and 0 <= inside <= 1 and len(gaps) >= 0
    return distance, covered / total


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def ingest() -> dict[str, float]:
    track, segments, grid = two_hour_patrol()
    wire = codec.encode(track)
    payload = base64.b64encode(wire).decode()
    fix_dicts = [{"lon": float(a), "lat": float(b), "t": float(c), "accuracy": float(d)}
                 for a, b, c, d in zip(track.lon, track.lat, track.t, track.accuracy, strict=True)]
    fast_d, fast_c = ingest_fast(payload, segments, grid)
    naive_d, naive_c = ingest_naive(fix_dicts, segments, grid)
    distance_diff = abs(fast_d - naive_d) / naive_d * 100
    coverage_diff = abs(fast_c - naive_c) / naive_c * 100
    assert distance_diff <= 1.0, (fast_d, naive_d)
    assert coverage_diff <= 1.0, (fast_c, naive_c)
    fast = timed(lambda: ingest_fast(payload, segments, grid), FAST_RUNS)
    naive = timed(lambda: ingest_naive(fix_dicts, segments, grid), NAIVE_RUNS)
    p50 = statistics.median(fast)
    return {"track_1hz_fixes": len(track), "track_1hz_bytes_per_fix_gz": len(wire) / len(track),
            "ingest_p50_ms": p50, "ingest_p95_ms": float(np.percentile(fast, 95)),
            "ingest_naive_p50_ms": statistics.median(naive), "ingest_speedup_vs_naive": statistics.median(naive) / p50,
            "ingest_distance_m": fast_d, "ingest_coverage": fast_c,
            "ingest_distance_diff_pct": distance_diff, "ingest_coverage_diff_pct": coverage_diff}


def main() -> None:
    for name, value in {**sizes(), **ingest()}.items():
        print(f"{name}: {value:.0f}" if isinstance(value, int) else f"{name}: {value:.2f}")


if __name__ == "__main__":
    main()
