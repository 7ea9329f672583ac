"""Tracks made to cost the server, at the limits: for tests/test_track_hostile.py and bench/tracks.py."""
from __future__ import annotations

import numpy as np

from shared_models.track import Track
from shared_models.track.measure import projection_for


def at(lon: float, lat: float, x, y, t, accuracy=None) -> Track:
    """Fixes ``x, y`` metres east and north of a point, at micro-degree precision (as the phone sends them)."""
    proj = projection_for(np.array([lon]), np.array([lat]))
    x0, y0 = proj.transform(lon, lat)
    lo, la = proj.transform(x0 + np.asarray(x), y0 + np.asarray(y), direction="INVERSE")
    n = len(lo)
    return Track(np.round(lo, 6), np.round(la, 6), t, np.full(n, 8.0) if accuracy is None else accuracy)


def jitter_blob(lon: float, lat: float, end: float, n: int = 200_000, seed: int = 0) -> Track:
    """A phone lying still for 55 hours at 1 Hz: every fix a few metres off, independently, with the
    altitude, speed and bearing Android reports wandering too (1.9 MB of base64)."""
    rng = np.random.default_rng(seed)
    fixes = at(lon, lat, rng.normal(0, 3, n), rng.normal(0, 3, n), end - n + np.arange(n, dtype=float),
               rng.uniform(3, 15, n).round(1))
    return Track(fixes.lon, fixes.lat, fixes.t, fixes.accuracy, rng.normal(400, 4, n).round(1),
                 rng.uniform(0, 0.6, n).round(2), rng.uniform(0, 360, n).round(1))


def on_line(lon: float, lat: float, start: float, n: int = 10_000, seed: int = 0, east_m: float = 0.0) -> Track:
    """``n`` fixes scattered along 0.7 m (``east_m`` east of the point): every fix within a metre of every other."""
    rng = np.random.default_rng(seed)
    return at(lon, lat, east_m + rng.uniform(0, 0.7, n), np.zeros(n), start + np.arange(n, dtype=float))


def growing_zigzag(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Back and forth across a widening band: Douglas-Peucker's farthest point is always next to the end."""
    i = np.arange(n, dtype=float)
    return i * 0.5, (-1.0) ** np.arange(n) * (1 + i * 0.01)


def zigzag_track(lon: float, lat: float, end: float, n: int = 200_000) -> Track:
    """The zigzag as a track: a fix every 10 s, too slow to be a GNSS spike, so nothing drops it."""
    x, _ = growing_zigzag(n)
    y = (-1.0) ** np.arange(n) * (1 + np.arange(n) * 0.001)
    return at(lon, lat, x, y, end - 10.0 * n + 10.0 * np.arange(n))


def gappy(lon: float, lat: float, end: float, n: int = 200_000, events: int = 10_000) -> tuple[Track, list[dict]]:
    """Every third step a silence of two minutes, and as many app events as an upload may carry."""
    steps = np.where(np.arange(n) % 3 == 0, 130.0, 1.0)
    t = end - steps.sum() + np.cumsum(steps)
    return at(lon, lat, np.arange(n, dtype=float), np.zeros(n), t), [
        {"at": float(s), "event": "gps_lost"} for s in np.linspace(t[0], t[n // 2], events)]


def gpx_file(lon: float, lat: float, start: float, n: int = 100_000) -> bytes:
    """A GPX 1.1 file of ``n`` timed points at 1 Hz, as small as such a file gets (~75 bytes a point)."""
    import datetime as dt

    t0 = dt.datetime.fromtimestamp(start, dt.UTC)
    rng = np.random.default_rng(4)
    lons, lats = lon + rng.normal(0, 3e-5, n), lat + rng.normal(0, 3e-5, n)
    points = "".join(f'<trkpt lat="{la:.6f}" lon="{lo:.6f}"><time>{(t0 + dt.timedelta(seconds=i)):%Y-%m-%dT%H:%M:%S}Z'
                     "</time></trkpt>" for i, (lo, la) in enumerate(zip(lons, lats, strict=True)))
    return ('<?xml version="1.0"?><gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk><trkseg>{points}</trkseg></trk></gpx>").encode()
