"""Real tracks for tests, and fakes made from them the way cheaters make them."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from shared_models.track import Track
from shared_models.track.gpx import read_gpx
from shared_models.track.measure import projection_for

TRACKS = Path(__file__).parent / "data" / "tracks"
WALK, MIXED, CAR, BROKEN_CLOCK, NO_TIMES = ("korita-zbevnica.gpx", "cerknicko-jezero.gpx",
                                            "around-visnjan-with-car.gpx", "Mojstrovka.gpx",
                                            "cerknicko-without-times.gpx")


def real(name: str) -> Track:
    return read_gpx((TRACKS / name).read_bytes())


def sped_up(track: Track, factor: float) -> Track:
    fast = track.take(np.arange(len(track)))
    fast.t = track.t[0] + (track.t - track.t[0]) / factor
    return fast


def time_shifted(track: Track, seconds: float) -> Track:
    shifted = track.take(np.arange(len(track)))
    shifted.t = track.t + seconds
    return shifted


def straight_line_fake(track: Track, every: int = 15, speed_mps: float = 1.2) -> Track:
    """What a mock-location app draws: straight legs through a few real points, 1 Hz, steady speed."""
    key = track.take(np.arange(0, len(track), every))
    proj = projection_for(key.lon, key.lat)
    x, y = proj.transform(key.lon, key.lat)
    leg = np.hypot(np.diff(x), np.diff(y))
    along = np.concatenate([[0], np.cumsum(leg)])
    s = np.arange(0, along[-1], speed_mps)
    fx, fy = np.interp(s, along, x), np.interp(s, along, y)
    lon, lat = proj.transform(fx, fy, direction="INVERSE")
    return Track(lon, lat, track.t[0] + np.arange(len(s)), np.full(len(s), 5.0))


def stationary_at_home(start: float, lon=108.905, lat=34.33, minutes=40, seed=1) -> Track:
    """A phone left on a table for a claimed patrol: 1 Hz fixes wandering a few metres."""
    rng = np.random.default_rng(seed)
    n = minutes * 60
    proj = projection_for(np.array([lon]), np.array([lat]))
    x0, y0 = proj.transform(lon, lat)
    # GNSS error is correlated in time: a slow random walk pulled back to the true spot
    ex, ey = np.zeros(n), np.zeros(n)
    for i in range(1, n):  # test data only
        ex[i] = 0.97 * ex[i - 1] + rng.normal(0, 0.8)
        ey[i] = 0.97 * ey[i - 1] + rng.normal(0, 0.8)
    lo, la = proj.transform(x0 + ex, y0 + ey, direction="INVERSE")
    return Track(lo, la, start + np.arange(n), rng.uniform(4, 15, n))


def teleport_splice(track: Track, jump_m: float = 5000) -> Track:
    """The first half of a walk, then the second half moved ``jump_m`` east, with no pause."""
    half = len(track) // 2
    proj = projection_for(track.lon, track.lat)
    x, y = proj.transform(track.lon, track.lat)
    x = x.copy()
    x[half:] += jump_m
    lon, lat = proj.transform(x, y, direction="INVERSE")
    t = track.t.copy()
    t[half:] = t[half - 1] + 11 + (t[half:] - t[half])
    return Track(lon, lat, t, track.accuracy)


def noisy_repeat(track: Track, metres: float = 4.0, seed: int = 3) -> Track:
    """An honest second walk of the same path: same route, its own GNSS error."""
    rng = np.random.default_rng(seed)
    proj = projection_for(track.lon, track.lat)
    x, y = proj.transform(track.lon, track.lat)
    lon, lat = proj.transform(x + rng.normal(0, metres, len(x)), y + rng.normal(0, metres, len(y)),
                              direction="INVERSE")
    return Track(lon, lat, track.t + 86400 * 7, track.accuracy)


def walk_along(line, start: float, speed: float = 1.2, back: bool = True, seed: int = 0) -> Track:
    """A phone carried along ``line`` (lon/lat) at walking pace, 1 Hz, with GNSS-like error.

    For patrols on the demo county's real river segments; the error is correlated in time
    as real receivers' is, and the reported accuracy varies.
    """
    rng = np.random.default_rng(seed)
    coords = np.asarray(line.coords)
    proj = projection_for(coords[:, 0], coords[:, 1])
    x, y = proj.transform(coords[:, 0], coords[:, 1])
    along = np.concatenate([[0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    s = np.arange(0, along[-1], speed)
    if back:
        s = np.concatenate([s, s[::-1]])
    s = np.clip(s + rng.normal(0, 0.3, len(s)).cumsum() * 0.05, 0, along[-1])  # uneven pace
    px, py = np.interp(s, along, x), np.interp(s, along, y)
    n = len(s)
    ex, ey = np.zeros(n), np.zeros(n)
    noise = rng.normal(0, 0.6, (n, 2))
    for i in range(1, n):  # test data only
        ex[i] = 0.95 * ex[i - 1] + noise[i, 0]
        ey[i] = 0.95 * ey[i - 1] + noise[i, 1]
    lon, lat = proj.transform(px + ex, py + ey, direction="INVERSE")
    return Track(np.round(lon, 7), np.round(lat, 7), start + np.arange(n), rng.uniform(3, 12, n).round(1))
