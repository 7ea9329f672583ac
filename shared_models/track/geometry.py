"""The geometry the track analysis needs, in numpy alone (the phone has no Shapely 2 and no pyproj 3).

- ``LocalProjection``: transverse Mercator on the ellipsoid (Krüger's series to n**4, as PROJ's
  ``tmerc`` computes it: well under a millimetre within 1,000 km of the central meridian), forward and
  inverse, centred on the track so that lengths in it are geodesic lengths to a few parts per million.
- ``Pieces``: a (multi)line as its straight pieces; ``near`` says which points lie within a distance
  of them, through a grid of cells so that the cost follows the pairs that are close, never all pairs.
- ``Polygons``: areas as rings; ``inside`` counts ray crossings against the edges at each point's
  latitude only.
- ``lines_of`` / ``polygons_of`` read GeoJSON geometries (dicts) or anything with
  ``__geo_interface__`` (a Shapely geometry on the server), so callers pass what they hold.

The server's tests check all of it against Shapely and pyproj (tests/test_track_geometry.py).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

A_WGS84 = 6378137.0
F_WGS84 = 1 / 298.257223563
MAX_PAIRS = 1 << 18  # pairs compared at once: a few tens of MB of temporaries whatever the input


class GeometryError(ValueError):
    """A geometry that is not a line or an area where one was needed."""


# --- projection --------------------------------------------------------------------------------

_N = F_WGS84 / (2 - F_WGS84)
_E = math.sqrt(F_WGS84 * (2 - F_WGS84))
_RECT = A_WGS84 / (1 + _N) * (1 + _N ** 2 / 4 + _N ** 4 / 64)  # the rectifying radius
_ALPHA = np.array([_N / 2 - 2 * _N ** 2 / 3 + 5 * _N ** 3 / 16 + 41 * _N ** 4 / 180,
                   13 * _N ** 2 / 48 - 3 * _N ** 3 / 5 + 557 * _N ** 4 / 1440,
                   61 * _N ** 3 / 240 - 103 * _N ** 4 / 140,
                   49561 * _N ** 4 / 161280])
_BETA = np.array([_N / 2 - 2 * _N ** 2 / 3 + 37 * _N ** 3 / 96 - _N ** 4 / 360,
                  _N ** 2 / 48 + _N ** 3 / 15 - 437 * _N ** 4 / 1440,
                  17 * _N ** 3 / 480 - 37 * _N ** 4 / 840,
                  4397 * _N ** 4 / 161280])


def _sine_series(coef: np.ndarray, zeta: np.ndarray) -> np.ndarray:
    """sum over j of coef[j-1] * sin(2 j zeta), complex zeta, by Clenshaw's recurrence (one sin, one cos)."""
    # cos and sin of 2 zeta from real sin, cos, sinh and cosh (numpy vectorises those, not complex ones)
    s, c = np.sin(2 * zeta.real), np.cos(2 * zeta.real)
    sh, ch = np.sinh(2 * zeta.imag), np.cosh(2 * zeta.imag)
    two_cos = np.empty_like(zeta)
    two_cos.real, two_cos.imag = 2 * c * ch, -2 * s * sh
    sin2 = np.empty_like(zeta)
    sin2.real, sin2.imag = s * ch, c * sh
    b1 = b2 = np.zeros_like(zeta)
    for k in coef[::-1]:
        b1, b2 = k + two_cos * b1 - b2, b1
    return b1 * sin2


def _conformal(tau: np.ndarray) -> np.ndarray:
    """tan of the conformal latitude from tan of the geodetic one (Karney 2011, eq. 7)."""
    sigma = np.sinh(_E * np.arctanh(_E * tau / np.sqrt(1 + tau * tau)))
    return tau * np.sqrt(1 + sigma * sigma) - sigma * np.sqrt(1 + tau * tau)


def _geodetic(taup: np.ndarray) -> np.ndarray:
    """The inverse of ``_conformal`` by Newton's method (converges to 1e-15 in three steps)."""
    tau = taup.copy()
    for _ in range(4):
        tp = _conformal(tau)
        tau = tau + (taup - tp) / np.sqrt(1 + tp * tp) * (1 + (1 - _E * _E) * tau * tau) / (
            (1 - _E * _E) * np.sqrt(1 + tau * tau))
    return tau


class LocalProjection:
    """Transverse Mercator with scale 1 on the meridian ``lon0``, northing 0 at ``lat0``, in metres."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self._y0 = 0.0
        self._y0 = float(self._forward(np.array([lon0]), np.array([lat0]))[1][0])

    def _forward(self, lon, lat):
        lam = np.radians(np.asarray(lon, dtype=float) - self.lon0)
        taup = _conformal(np.tan(np.radians(np.asarray(lat, dtype=float))))
        coslam = np.cos(lam)
        zeta = np.arctan2(taup, coslam) + 1j * np.arcsinh(np.sin(lam) / np.hypot(taup, coslam))
        zeta = zeta + _sine_series(_ALPHA, zeta)
        return _RECT * zeta.imag, _RECT * zeta.real - self._y0

    def _inverse(self, x, y):
        zeta = ((np.asarray(y, dtype=float) + self._y0) + 1j * np.asarray(x, dtype=float)) / _RECT
        zeta = zeta - _sine_series(_BETA, zeta)
        xip, etap = zeta.real, zeta.imag
        taup = np.sin(xip) / np.hypot(np.sinh(etap), np.cos(xip))
        lat = np.degrees(np.arctan(_geodetic(taup)))
        return self.lon0 + np.degrees(np.arctan2(np.sinh(etap), np.cos(xip))), lat

    def transform(self, a, b, direction: str = "FORWARD") -> tuple[np.ndarray, np.ndarray]:
        """(lon, lat) -> (x, y) metres; ``direction="INVERSE"``: (x, y) -> (lon, lat) (pyproj's call)."""
        a, b = np.atleast_1d(np.asarray(a, dtype=float)), np.atleast_1d(np.asarray(b, dtype=float))
        return self._inverse(a, b) if direction == "INVERSE" else self._forward(a, b)


@functools.lru_cache(maxsize=64)
def _projection(lon0: float, lat0: float) -> LocalProjection:
    return LocalProjection(lon0, lat0)


def projection_for(lon: np.ndarray, lat: np.ndarray) -> LocalProjection:
    """A metric projection centred near the track (rounded to 0.01 deg so that nearby tracks share it)."""
    return _projection(round(float(np.median(lon)), 2), round(float(np.median(lat)), 2))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two nearby points (within 0.01 % of the geodesic up to 100 km)."""
    proj = LocalProjection((lon1 + lon2) / 2, (lat1 + lat2) / 2)
    x, y = proj.transform([lon1, lon2], [lat1, lat2])
    return float(math.hypot(x[1] - x[0], y[1] - y[0]))


# --- pairs of close things ---------------------------------------------------------------------

def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [lo, hi) the pairs (range index, member): one array each, no Python loop."""
    counts = hi - lo
    owner = np.repeat(np.arange(len(lo)), counts)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return owner, start + np.arange(len(owner))


def _chunks(counts: np.ndarray, limit: int = MAX_PAIRS) -> Iterable[slice]:
    """Consecutive slices of owners whose pairs add up to about ``limit`` each."""
    cum = np.cumsum(counts)
    i, n = 0, len(counts)
    while i < n:
        base = cum[i - 1] if i else 0
        j = max(i + 1, int(np.searchsorted(cum, base + limit, side="right")))
        yield slice(i, min(j, n))
        i = j


@dataclass(frozen=True)
class Pieces:
    """Straight pieces from ``a`` to ``b`` (arrays of shape (n, 2), metres)."""

    a: np.ndarray
    b: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    @property
    def lengths(self) -> np.ndarray:
        return np.hypot(*(self.b - self.a).T)

    @property
    def length(self) -> float:
        return float(self.lengths.sum())

    @property
    def mids(self) -> np.ndarray:
        return (self.a + self.b) / 2

    @classmethod
    def of_parts(cls, x: np.ndarray, y: np.ndarray, part: np.ndarray) -> Pieces | None:
        """Consecutive points of the same part joined (a part of one point has no piece)."""
        same = part[1:] == part[:-1]
        if not same.any():
            return None
        xy = np.column_stack([x, y])
        return cls(xy[:-1][same], xy[1:][same])

    @classmethod
    def of_lines(cls, lines: list[np.ndarray]) -> Pieces | None:
        """Each (k, 2) coordinate array's consecutive vertices joined."""
        lines = [line for line in lines if len(line) >= 2]
        if not lines:
            return None
        return cls(np.concatenate([line[:-1] for line in lines]), np.concatenate([line[1:] for line in lines]))

    def segmentize(self, step: float) -> Pieces:
        """Each piece cut into equal parts no longer than ``step`` (as GEOS's densify does)."""
        k = np.maximum(1, np.ceil(self.lengths / step).astype(np.int64))
        owner = np.repeat(np.arange(len(self)), k)
        first = np.repeat(np.cumsum(k) - k, k)
        f0 = (np.arange(len(owner)) - first) / k[owner]
        d = (self.b - self.a)[owner]
        return Pieces(self.a[owner] + d * f0[:, None], self.a[owner] + d * (f0 + 1 / k[owner])[:, None])

    def near(self, points: np.ndarray, tolerance: float) -> np.ndarray:
        """For each point (n, 2): whether it lies within ``tolerance`` metres of a piece (ends included)."""
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        out = np.zeros(len(points), dtype=bool)
        if not len(points) or not len(self):
            return out
        lengths = self.lengths
        step = max(float(tolerance), 5.0, float(lengths.sum()) / 1_000_000)
        pieces = self.segmentize(step) if lengths.max() > step else self
        origin = np.minimum(pieces.a.min(axis=0), points.min(axis=0)) - 4 * (tolerance + step)
        extent = float(np.max(np.maximum(pieces.a.max(axis=0), points.max(axis=0)) - origin))
        finest = 2 * extent / _WIDTH  # no cell finer than this, so that a cell's row never spills into the next
        if tolerance / math.sqrt(2) > finest:
            # first the sure ones: a point sharing a cell of side tolerance / sqrt 2 with a piece's end
            # is within tolerance of it, and along a river most points are
            side = tolerance / math.sqrt(2)
            ends = np.unique(_cell_keys(np.concatenate([pieces.a, pieces.b[-1:]]), origin, side))
            keys = _cell_keys(points, origin, side)
            out = ends[np.minimum(np.searchsorted(ends, keys), len(ends) - 1)] == keys
        rest = np.flatnonzero(~out)
        if len(rest):
            out[rest] = pieces._near_exact(points[rest], tolerance, max(step, finest), origin)
        return out

    def _near_exact(self, points: np.ndarray, tolerance: float, step: float, origin: np.ndarray) -> np.ndarray:
        # pieces binned by midpoint in cells of tolerance + step / 2: a point within tolerance of a
        # piece has its midpoint in the point's own cell or one of the eight around it
        out = np.zeros(len(points), dtype=bool)
        cell = tolerance + step / 2
        keys = _cell_keys(self.mids, origin, cell)
        order = np.argsort(keys, kind="stable")
        keys, a, b = keys[order], self.a[order], self.b[order]
        around = (np.arange(-1, 2)[:, None] * _WIDTH + np.arange(-1, 2)).ravel()
        cand = (_cell_keys(points, origin, cell)[:, None] + around[None, :]).ravel()
        lo, hi = np.searchsorted(keys, cand, side="left"), np.searchsorted(keys, cand, side="right")
        tol2 = tolerance * tolerance
        for s in _chunks(hi - lo):
            slot, piece = _expand(lo[s], hi[s])
            p = points[(slot + s.start) // 9]
            ab = b[piece] - a[piece]
            ap = p - a[piece]
            den = np.einsum("ij,ij->i", ab, ab)
            t = np.clip(np.divide(np.einsum("ij,ij->i", ap, ab), den, out=np.zeros_like(den), where=den > 0), 0, 1)
            gap = ap - ab * t[:, None]
            out[(slot[np.einsum("ij,ij->i", gap, gap) <= tol2] + s.start) // 9] = True
        return out


_WIDTH = 1 << 31  # cells per row of the key: rows are tracks' and rivers' extents, never near 2**31 cells


def _cell_keys(xy: np.ndarray, origin: np.ndarray, side: float) -> np.ndarray:
    cells = np.floor((xy - origin) / side).astype(np.int64)
    return cells[:, 0] * _WIDTH + cells[:, 1]


# --- areas -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Polygons:
    """Areas as closed rings (holes included); a point is inside one polygon when it crosses its edges an
    odd number of times, and inside the area when it is inside any polygon."""

    polygons: tuple[tuple[np.ndarray, ...], ...]

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        crossings = np.zeros(len(x), dtype=np.int64)
        order = np.argsort(y)
        ys, xs = y[order], x[order]
        for rings in self.polygons:
            a = np.concatenate([r[:-1] for r in rings])
            b = np.concatenate([r[1:] for r in rings])
            sloped = a[:, 1] != b[:, 1]  # a horizontal edge is crossed by no horizontal ray
            a, b = a[sloped], b[sloped]
            ax, ay = a[:, 0], a[:, 1]
            slope = (b[:, 0] - ax) / (b[:, 1] - ay)
            # the points whose latitude an edge spans, [ymin, ymax): a contiguous run of the sorted points
            lo = np.searchsorted(ys, np.minimum(ay, b[:, 1]), side="left")
            hi = np.searchsorted(ys, np.maximum(ay, b[:, 1]), side="left")
            odd = np.zeros(len(x), dtype=np.int64)
            for s in _chunks(hi - lo):
                edge, pt = _expand(lo[s], hi[s])
                edge += s.start
                right = ax[edge] + (ys[pt] - ay[edge]) * slope[edge] > xs[pt]
                odd += np.bincount(pt[right], minlength=len(x))
            crossings += odd & 1  # inside this polygon: an odd count
        out = np.empty(len(x), dtype=bool)
        out[order] = crossings > 0
        return out


# --- reading geometries ------------------------------------------------------------------------

def _mapping(geom) -> dict:
    if hasattr(geom, "__geo_interface__"):
        geom = geom.__geo_interface__
    if not isinstance(geom, dict) or "type" not in geom:
        raise GeometryError("not a geometry")
    return geom


def _coords(value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise GeometryError("coordinates must be numbers") from None
    if arr.ndim != 2 or arr.shape[1] < 2 or not np.isfinite(arr[:, :2]).all():
        raise GeometryError("coordinates must be [lon, lat] pairs")
    return arr[:, :2]


def _shapely_lines(geom) -> list[np.ndarray] | None:
    """A Shapely line's coordinates straight from its array (its GeoJSON is a tuple per vertex)."""
    kind = getattr(geom, "geom_type", None)
    if kind == "LineString":
        return [_coords(np.asarray(geom.coords))]
    if kind in ("MultiLineString", "GeometryCollection"):
        return [line for part in geom.geoms for line in lines_of(part)]
    return None


def lines_of(geom) -> list[np.ndarray]:
    """The lon/lat coordinate arrays of a LineString, MultiLineString or a collection of them."""
    fast = _shapely_lines(geom)
    if fast is not None:
        return fast
    g = _mapping(geom)
    kind = g["type"]
    if kind == "LineString":
        return [_coords(g["coordinates"])]
    if kind == "MultiLineString":
        return [_coords(c) for c in g["coordinates"]]
    if kind == "GeometryCollection":
        return [line for part in g.get("geometries", []) for line in lines_of(part)]
    raise GeometryError(f"{kind} is not a line")


def rings_of(geom) -> list[tuple[np.ndarray, ...]]:
    """The rings of each polygon of a Polygon, MultiPolygon or a collection of them (lon/lat)."""
    g = _mapping(geom)
    kind = g["type"]
    if kind == "Polygon":
        return [tuple(_closed(_coords(r)) for r in g["coordinates"])]
    if kind == "MultiPolygon":
        return [tuple(_closed(_coords(r)) for r in poly) for poly in g["coordinates"]]
    if kind == "GeometryCollection":
        return [poly for part in g.get("geometries", []) for poly in rings_of(part)]
    raise GeometryError(f"{kind} is not an area")


def _closed(ring: np.ndarray) -> np.ndarray:
    return ring if len(ring) and (ring[0] == ring[-1]).all() else np.vstack([ring, ring[:1]])


def polygons_of(geoms) -> Polygons | None:
    """One area from a geometry or a list of them (None when there is none)."""
    if geoms is None:
        return None
    geoms = geoms if isinstance(geoms, list | tuple) else [geoms]
    polys = tuple(p for g in geoms for p in rings_of(g) if p and len(p[0]) >= 4)
    return Polygons(polys) if polys else None
