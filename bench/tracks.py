"""Track figures: wire size against GPX and GeoJSON, and server-side processing time.

Prints ``name: value`` lines. The 2-hour 1 Hz track is the Korita hike resampled to one
fix a second with receiver-like error; the naive implementation beside it does the same
work the obvious way (marshmallow per fix, Python loops, one Geod call per step) and must
agree with the fast one.
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
from marshmallow import Schema, fields
from pyproj import Geod
from shapely.geometry import LineString, Point

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared_models.track import Track, codec  # noqa: E402
from shared_models.track.analysis import ValidityRule, analyze, projection_for  # noqa: E402
from shared_models.track.gpx import read_gpx  # noqa: E402

TRACKS = ROOT / "tests" / "data" / "tracks"
REAL = ["korita-zbevnica.gpx", "cerknicko-jezero.gpx", "around-visnjan-with-car.gpx", "Mojstrovka.gpx"]
RULE = ValidityRule()


def geojson_of(track: Track) -> bytes:
    coords = np.column_stack([track.lon, track.lat] + ([track.altitude] if track.altitude is not None else []))
    times = [dt.datetime.fromtimestamp(t, dt.UTC).isoformat() for t in track.t]
    feature = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords.tolist()},
               "properties": {"times": times}}
    return json.dumps(feature).encode()


def sizes() -> dict:
    fixes = codec_b = gpx_raw = gpx_gz = gj_raw = gj_gz = 0
    for name in REAL:
        raw = (TRACKS / name).read_bytes()
        track = read_gpx(raw)
        fixes += len(track)
        codec_b += len(codec.encode(track))
        gpx_raw += len(raw)
        gpx_gz += len(gzip.compress(raw))
        gj = geojson_of(track)
        gj_raw += len(gj)
        gj_gz += len(gzip.compress(gj))
    return {"track_bytes_per_fix_gz": codec_b / fixes, "gpx_bytes_per_fix_raw": gpx_raw / fixes,
            "gpx_bytes_per_fix_gz": gpx_gz / fixes, "geojson_bytes_per_fix_raw": gj_raw / fixes,
            "geojson_bytes_per_fix_gz": gj_gz / fixes}


def two_hour_track(seed: int = 0) -> tuple[Track, list[LineString]]:
    """7,200 fixes at 1 Hz along the real hike's path, and three segments drawn along it."""
    walk = read_gpx((TRACKS / "korita-zbevnica.gpx").read_bytes())
    proj = projection_for(walk.lon, walk.lat)
    x, y = proj.transform(walk.lon, walk.lat)
    along = np.concatenate([[0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    rng = np.random.default_rng(seed)
    s = np.clip(np.cumsum(rng.uniform(0.5, 1.3, 7200)), 0, along[-1])
    px, py = np.interp(s, along, x), np.interp(s, along, y)
    err = np.cumsum(rng.normal(0, 0.5, (7200, 2)), axis=0) * 0.3
    err -= np.convolve(err[:, 0], np.ones(60) / 60, "same")[:, None] * 0  # keep drift as is
    lon, lat = proj.transform(px + err[:, 0] * 0.1, py + err[:, 1] * 0.1, direction="INVERSE")
    start = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC).timestamp()
    track = Track(np.round(lon, 7), np.round(lat, 7), start + np.arange(7200.0), rng.uniform(3, 12, 7200).round(1))
    third = len(walk) // 3
    segments = [LineString(np.column_stack([walk.lon[a:b], walk.lat[a:b]])) for a, b in
                ((0, third), (third, 2 * third), (2 * third, len(walk)))]
    return track, segments


def ingest_fast(payload: str, segments: list[LineString], now: dt.datetime) -> tuple[float, float]:
    track = codec.decode(base64.b64decode(payload))
    track.validate(now=now)
    result = analyze(track, segments=segments, rule=RULE, now=now)
    return result.distance_m, result.coverage


class FixSchema(Schema):
    lon = fields.Float(required=True, validate=lambda v: -180 <= v <= 180)
    lat = fields.Float(required=True, validate=lambda v: -90 <= v <= 90)
    t = fields.Float(required=True)
    accuracy = fields.Float(allow_none=True)


def ingest_naive(fix_dicts: list[dict], segments: list[LineString], now: dt.datetime) -> tuple[float, float]:
    """The obvious implementation of the same measures: objects per fix and Python loops."""
    fixes = FixSchema(many=True).load(fix_dicts)
    geod = Geod(ellps="WGS84")
    for a, b in zip(fixes, fixes[1:], strict=False):
        if b["t"] < a["t"] or b["t"] > now.timestamp() + 600:
            raise ValueError("bad time")
    kept = [f for f in fixes if f["accuracy"] is None or f["accuracy"] <= 50]
    proj = projection_for(np.array([f["lon"] for f in kept]), np.array([f["lat"] for f in kept]))
    for f in kept:
        f["x"], f["y"] = proj.transform(f["lon"], f["lat"])
    distance = 0.0
    last = kept[0]
    for fix in kept[1:]:  # jitter: count a step once the fix is 5 m from the last counted one
        _, _, d = geod.inv(last["lon"], last["lat"], fix["lon"], fix["lat"])
        if d >= 5.0:
            distance += d
            last = fix
    speeds = {}
    for window in (10.0, 30.0, 120.0):  # net displacement over each window, fix by fix
        best, j, out = 0.0, 0, []
        for i, fix in enumerate(kept):
            j = max(j, i)
            while j < len(kept) - 1 and kept[j]["t"] < fix["t"] + window:
                j += 1
            span = kept[j]["t"] - fix["t"]
            v = ((kept[j]["x"] - fix["x"]) ** 2 + (kept[j]["y"] - fix["y"]) ** 2) ** 0.5 / span if span else 0.0
            out.append(v)
            best = max(best, v)
        speeds[window] = (best, out)
    moving = sum(b["t"] - a["t"] for a, b, v in zip(kept, kept[1:], speeds[30.0][1], strict=False) if v > 0.3)
    gaps = [a for a, b in zip(kept, kept[1:], strict=False) if b["t"] - a["t"] > 120]
    line = LineString([(f["x"], f["y"]) for f in kept])
    union = shapely.union_all([LineString([proj.transform(lo, la) for lo, la in seg.coords]) for seg in segments])
    far = sum(1 for f in kept if union.distance(Point(f["x"], f["y"])) > 100) / len(kept)
    covered = total = 0.0
    for seg in union.geoms if hasattr(union, "geoms") else [union]:
        steps = max(1, int(seg.length // 5))
        for i in range(steps):
            p = seg.interpolate((i + 0.5) * seg.length / steps)
            piece = seg.length / steps
            total += piece
            if line.distance(p) <= RULE.tolerance_m:
                covered += piece
    assert moving >= 0 and far >= 0 and len(gaps) >= 0
    return distance, covered / total


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def ingest() -> dict:
    track, segments = two_hour_track()
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    payload = base64.b64encode(codec.encode(track)).decode()
    fix_dicts = [{"lon": float(a), "lat": float(b), "t": float(c), "accuracy": float(d)}
                 for a, b, c, d in zip(track.lon, track.lat, track.t, track.accuracy, strict=True)]
    fast_d, fast_c = ingest_fast(payload, segments, now)
    naive_d, naive_c = ingest_naive(fix_dicts, segments, now)
    fast = timed(lambda: ingest_fast(payload, segments, now), 40)
    naive = timed(lambda: ingest_naive(fix_dicts, segments, now), 5)
    p50 = statistics.median(fast)
    p95 = float(np.percentile(fast, 95))
    return {
        "track_1hz_bytes_per_fix_gz": len(codec.encode(track)) / len(track),
        "ingest_p50_ms": p50, "ingest_p95_ms": p95,
        "ingest_naive_p50_ms": statistics.median(naive),
        "ingest_speedup_vs_naive": statistics.median(naive) / p50,
        "ingest_distance_diff_pct": abs(fast_d - naive_d) / naive_d * 100,
        "ingest_coverage_diff_pct": abs(fast_c - naive_c) / naive_c * 100,
    }


def main() -> None:
    for name, value in {**sizes(), **ingest()}.items():
        print(f"{name}: {value:.2f}")


if __name__ == "__main__":
    main()
