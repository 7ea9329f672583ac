"""Track figures: wire size against GPX and GeoJSON, and the server's processing time per patrol.

Run ``make bench`` (or ``python bench/tracks.py``); prints ``name: value`` lines. Sizes are over the real
GPX files in tests/data/tracks. Processing ("ingest") is what the server does with an
upload: base64 and codec decoding, validation, filtering and the analysis against three
assigned segments and a grid, on a two-hour 1 Hz patrol (the Korita hike's first two
hours resampled to one fix a second with receiver-like error). Beside it, measured in
the same run, a naive implementation of the same measures (marshmallow per fix, Python
loops, one pyproj Geod call per step, one Shapely call per point); both must agree
within 1% on distance and coverage. Goals: ingest p95 <= 50 ms, >= 20x the naive one.

Hostile tracks (issue 13): each at the limits, its time (best of three) and the peak of memory
allocated while it runs (tracemalloc: Python and numpy, not the databases' own caches):
the analysis of a still phone's 200,000-fix jitter blob, of Douglas-Peucker's worst shape (a
growing zigzag) and of a track of 66,666 gaps with 10,000 app events; the replay check of two
10,000-fix tracks on a 0.7 m line (every pair within a metre) and of 5,000 fixes beside a
200,000-fix blob, exactly and as the server does it against 50 stored sketches; and whole uploads
and reads through the app on SpatiaLite and PostGIS. Goal: every one <= 2,000 ms and <= 256 MB.
"""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import io
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import shapely
from marshmallow import Schema, fields, validate
from pyproj import Geod
from shapely.geometry import LineString, Point

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

import analysis_before  # noqa: E402  (bench/, beside this file)

from shared_models.track import Track, codec  # noqa: E402
from shared_models.track.analysis import analyze  # noqa: E402
from shared_models.track.gpx import read_gpx  # noqa: E402
from shared_models.track.measure import projection_for  # noqa: E402
from shared_models.track.replay import UploadIndex, replay_similarity, sketch  # noqa: E402
from shared_models.track.thresholds import (  # noqa: E402
    COVERAGE_STEP_M,
    GAP_MIN_S,
    JITTER_M,
    MAX_ACCURACY_M,
    MOVING_MPS,
    MOVING_WINDOW_S,
    OFF_SEGMENT_M,
    STANDSTILL_S,
)
from shared_models.track.verdict import ValidityRule  # noqa: E402
from tests import hostile_tracks as hostile  # noqa: E402

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


def cost(fn, runs: int = 3) -> tuple[float, float, object]:
    """Best time of ``runs`` (ms) and the peak memory allocated in one more run (MB), with the result."""
    best = min(timed(fn, runs))
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, out


LON, LAT = 108.905, 34.33
END = NOW.timestamp() - 3600


def hostile_analysis() -> dict[str, float]:
    blob = hostile.jitter_blob(LON, LAT, END)
    zigzag = hostile.zigzag_track(LON, LAT, END)
    gaps, events = hostile.gappy(LON, LAT, END)
    line_a, line_b = hostile.on_line(LON, LAT, END - 9e4, seed=1), hostile.on_line(LON, LAT, END - 5e4, seed=2)
    line_5k = hostile.on_line(LON, LAT, END - 9e4, n=5000)
    out: dict[str, float] = {"hostile_jitter_blob_fixes": len(blob),
                             "hostile_jitter_blob_base64_mb": len(base64.b64encode(codec.encode(blob))) / 1e6}
    sketches = [sketch(hostile.jitter_blob(LON, LAT, END - 3e5 * k, seed=k)) for k in range(50)]

    def server_replay():
        index = UploadIndex(line_5k)
        return [index.compare(s, 0.8) for s in sketches]

    from server.patrols.export import display

    for name, fn in {
        "hostile_jitter_blob_analysis": lambda: analyze(blob, now=NOW),
        "hostile_jitter_blob_display": lambda: display(blob.lon, blob.lat, blob.t),
        "hostile_zigzag_analysis": lambda: analyze(zigzag, now=NOW),
        "hostile_gaps_analysis": lambda: analyze(gaps, lifecycle_events=events, now=NOW),
        "replay_10k_x_10k": lambda: replay_similarity(line_a, line_b),
        "replay_5k_x_200k": lambda: replay_similarity(line_5k, blob),
        "replay_sketch_200k": lambda: sketch(blob),
        "replay_server_5k_vs_50_sketches_of_200k": server_replay,
    }.items():
        ms, mb, _ = cost(fn)
        out[f"{name}_ms"], out[f"{name}_mb"] = ms, mb
    return out


def _upload_app(url: str):
    import flask_migrate

    from server import create_app
    from server.demo import load_demo
    from server.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024,
                      "SECRET_KEY": "tracks-bench-secret-key-0123456789abcdef", "PHOTO_DIR": tempfile.mkdtemp()})
    with app.app_context():
        flask_migrate.upgrade()
        load_demo()
        db.session.remove()
    return app


def uploads(engine: str, url: str, traced: bool) -> dict[str, float]:
    """Whole uploads (POST /api/v1/patrols) and reads (GET) of hostile and honest tracks, through the app.

    Timed on one database and traced (tracemalloc slows Python code) on another, with the same bodies.
    """
    import time_machine
    from geoalchemy2.shape import to_shape

    from server.demo import DEMO_PASSWORD
    from tests.patrol_data import START, card_of, patrol_body, walk_on

    app = _upload_app(url)
    out: dict[str, float] = {}
    kind = "mb" if traced else "ms"
    with time_machine.travel(dt.datetime(2026, 11, 21, 4, tzinfo=dt.UTC)), app.app_context():
        card = card_of()
        lon, lat = to_shape(card.segments[0].geom).coords[0]
        end = START.timestamp()
        gaps, events = hostile.gappy(lon, lat, end - 86400 * 40, n=200_000)
        walk, _, _ = two_hour_patrol()
        bodies = {  # in this order: the 10k line twice (the second a replay), 5k inside the stored blob
            "jitter_blob": patrol_body(hostile.jitter_blob(lon, lat, end), card),
            "line_10k": patrol_body(hostile.on_line(lon, lat, end - 86400 * 3, seed=1), card),
            "line_10k_replayed": patrol_body(hostile.on_line(lon, lat, end - 86400 * 4, seed=2), card),
            "line_5k_in_blob": patrol_body(hostile.on_line(lon, lat, end + 3600, n=5000, east_m=5), card),
            "zigzag": patrol_body(hostile.zigzag_track(lon, lat, end - 86400 * 60), card),
            "gaps": patrol_body(gaps, card, lifecycle_events=[
                {"at": dt.datetime.fromtimestamp(e["at"], dt.UTC).isoformat(), "event": e["event"]} for e in events]),
            "walk_2h": patrol_body(walk_on(card, START - dt.timedelta(days=80)), card),
            "real_2h": patrol_body(_shifted(walk, START - dt.timedelta(days=90)), card),
        }
        client = app.test_client()
        token = client.post("/api/v1/auth/login", json={"phone": "13900000101", "password": DEMO_PASSWORD,
                                                        "device_id": "bench"}).json["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        def measure(fn):
            if traced:
                tracemalloc.start()
            start = time.perf_counter()
            r = fn()
            figure = tracemalloc.get_traced_memory()[1] / 2**20 if traced else (time.perf_counter() - start) * 1000
            if traced:
                tracemalloc.stop()
            return r, figure

        for name, body in bodies.items():
            r, figure = measure(lambda b=body: client.post("/api/v1/patrols", json=b, headers=auth))
            assert r.status_code == 201, r.get_data(as_text=True)[:300]
            flags = {f["code"] for f in r.json["flags"]}
            assert ("replay" in flags) == (name == "line_10k_replayed"), (name, flags)
            out[f"upload_{engine}_{name}_{kind}"] = figure
            reads = [measure(lambda u=r.json["uuid"]: client.get(f"/api/v1/patrols/{u}", headers=auth))[1]
                     for _ in range(1 if traced else 3)]
            out[f"read_{engine}_{name}_{kind}"] = min(reads)
        gpx = hostile.gpx_file(lon, lat, end - 86400 * 100)  # the largest GPX a body may carry (7.6 MB)
        r, figure = measure(lambda: client.post("/api/v1/patrols/import-gpx", headers=auth, data={
            "uuid": "00000000-0000-4000-8000-00000000beef", "card_id": str(card.id),
            "file": (io.BytesIO(gpx), "walk.gpx", "application/gpx+xml")}))
        assert r.status_code == 201, r.get_data(as_text=True)[:300]
        out[f"upload_{engine}_gpx_100k_{kind}"] = figure
    return out


def _shifted(track: Track, start: dt.datetime) -> Track:
    return Track(track.lon, track.lat, track.t - track.t[0] + start.timestamp(), track.accuracy)


def all_uploads() -> dict[str, float]:
    out = {}
    for traced in (False, True):
        out.update(uploads("spatialite", f"sqlite:///{tempfile.mkdtemp(prefix='bench-tracks-')}/tracks.db", traced))
    try:
        from tests.pgcluster import Cluster

        cluster = Cluster().start()
    except Exception as exc:  # noqa: BLE001 (no PostgreSQL here: the SpatiaLite figures stand alone)
        print(f"# no PostGIS for the upload figures: {exc}", file=sys.stderr)
        return out
    try:
        for traced in (False, True):
            out.update(uploads("postgis", cluster.create_postgis_database(f"tracks{int(traced)}"), traced))
    finally:
        cluster.stop()
    return dict(sorted(out.items()))


def main() -> None:
    figures = {**sizes(), **ingest(), **analysis_before.side_by_side(*two_hour_patrol(), RULE, NOW),
               **hostile_analysis(), **all_uploads()}
    timed_ = {k: v for k, v in figures.items() if k.endswith("_ms") and not k.startswith(("ingest", "track"))}
    figures["hostile_worst_ms"] = max(timed_.values())
    figures["hostile_worst_mb"] = max(v for k, v in figures.items() if k.endswith("_mb")
                                      and not k.startswith("hostile_jitter_blob_base64"))
    for name, value in figures.items():
        print(f"{name}: {value:.0f}" if isinstance(value, int) else f"{name}: {value:.2f}")


if __name__ == "__main__":
    os.environ.setdefault("RIVERPATROL_ENV", "development")
    main()
