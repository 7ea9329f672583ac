"""Replays: an earlier patrol's fixes sent again (times shifted), found at a cost linear in the fixes.

A replayed track puts nearly all its fixes within a metre of the original's; two honest
walks of one path do not, since GNSS error moves every fix by metres. The question asked
is always "has this fix a fix of the other track within ``r``?", answered with a grid
hash (cells of side ``r``, sorted keys, the 3 x 3 cells around each fix): no pair of
fixes is ever listed, so the cost is linear in both tracks whatever their shape.

The server compares an upload with up to 50 earlier patrols of up to 200,000 fixes each.
It does not decode them: at intake every patrol stores a bounded *sketch* (``sketch``),
and an upload is compared with the sketches (``UploadIndex.compare``) in time linear in
the upload plus a bounded amount per candidate. The sketch holds

- an even sample of at most ``SKETCH_EVEN`` fixes: the share of the candidate's fixes lying
  on the upload is the share of the sample that does (a sample of 512: within +-4.4
  points of the true share 95 times in 100, at worst, i.e. at a share of one half);
- the candidate's fixes (one per ``q`` x ``q`` micro-degree cell) in a pseudo-random
  sample of space: the ~100 m^2 cells of a fixed global grid whose hash is below a
  threshold chosen so that at most ``SKETCH_SPACE`` fixes are kept, each kept if it lies
  within ``r`` (plus slack) of such a cell. The upload's fixes in those same cells then
  have *all* their candidate neighbours in the sketch, so the share of the upload on the
  candidate is measured exactly on them, and they are a sample of the upload chosen by
  place, the same for any upload (so a replay cannot dodge it by shifting times or
  adding noise below ``r``). Where the candidate is longer than the upload the sample is
  small, but then most of the candidate is not on the upload: the even sample says so.

numpy only (the phone imports this); metres from degrees on a flat approximation around
the upload (off by millimetres at this range).
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

from .model import Track

REPLAY_RADIUS_M = 1.0  # two honest walks never put most of their fixes within a metre of each other
M_PER_DEG = 111_320.0
UDEG = 1e6  # sketches keep micro-degrees, the codec's own precision
SKETCH_EVEN = 512
SKETCH_SPACE = 1024
UPLOAD_QUERIES = 1024  # the upload's fixes looked up in one candidate's spatial sample, at most
CELL_UDEG = 100  # the sampling grid: 1e-4 deg, about 11 m x 9 m at 34 N
_DEDUP = 8  # targets closer than r/8 (same sub-cell) are looked up as one: at most 64 per cell of side r
_PAIR_CHUNK = 1 << 20  # query-target pairs compared per numpy pass (bounds memory, not the work)
_MAGIC, _VERSION = b"RPSK", 1
_HEADER = struct.Struct("<4sBBQIII")  # magic, version, q, threshold, fixes, even, space
_ALL = int(np.iinfo(np.uint64).max)  # the threshold of a sketch holding every fix: every cell is sampled


# --- "is there a target within r?" ------------------------------------------------------

class Grid:
    """Target points in square cells of side ``radius``, ready for ``near`` lookups.

    Targets closer to each other than ``radius / 8`` are kept once (the first), which bounds
    a cell to 64 targets: a lookup may then miss a neighbour by at most 0.18 ``radius``.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, radius: float) -> None:
        self.radius = float(radius)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if self.radius < 0.1:
            raise ValueError("radius below 0.1 m")  # (cell keys of a track around the globe would overflow)
        # squares of side r / sqrt(2) holding a target: a query in one has a target within r, no distance needed
        self.sq = self.radius / np.sqrt(2)
        sqx, sqy = np.floor(x / self.sq), np.floor(y / self.sq)
        self.occupied = np.unique(_pack(sqx, sqy)) if len(x) else np.zeros(0, dtype=np.int64)
        if len(x):
            first = first_of_cells(np.floor(x * (_DEDUP / self.radius)), np.floor(y * (_DEDUP / self.radius)))
            x, y = x[first], y[first]
        cx, cy = np.floor(x / self.radius).astype(np.int64), np.floor(y / self.radius).astype(np.int64)
        self.ox, self.oy = (int(cx.min()) - 1, int(cy.min()) - 1) if len(x) else (0, 0)
        self.wx = int(cx.max()) - self.ox + 2 if len(x) else 1
        self.wy = int(cy.max()) - self.oy + 2 if len(x) else 1
        keys = (cx - self.ox) * self.wy + (cy - self.oy)
        order = np.argsort(keys, kind="stable")
        self.keys, self.x, self.y = keys[order], x[order], y[order]

    def __len__(self) -> int:
        return len(self.keys)

    def near(self, qx: np.ndarray, qy: np.ndarray) -> np.ndarray:
        """For each query point, whether a target lies within ``radius`` of it."""
        qx, qy = np.asarray(qx, dtype=np.float64), np.asarray(qy, dtype=np.float64)
        found = np.zeros(len(qx), dtype=bool)
        if not len(self) or not len(qx):
            return found
        own = _pack(np.floor(qx / self.sq), np.floor(qy / self.sq))
        at = np.minimum(np.searchsorted(self.occupied, own), len(self.occupied) - 1)
        found |= self.occupied[at] == own
        cx = np.floor(qx / self.radius).astype(np.int64) - self.ox
        cy = np.floor(qy / self.radius).astype(np.int64) - self.oy
        r2 = self.radius ** 2
        for dx, dy in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)):
            nx, ny = cx + dx, cy + dy
            idx = np.flatnonzero(~found & (nx >= 0) & (nx < self.wx) & (ny >= 0) & (ny < self.wy))
            key = nx[idx] * self.wy + ny[idx]
            lo = np.searchsorted(self.keys, key, side="left")
            count = np.searchsorted(self.keys, key, side="right") - lo
            has = count > 0
            idx, lo, count = idx[has], lo[has], count[has]
            # every (query, target in that cell) pair, a bounded number per query, in chunks
            ends = np.cumsum(count)
            start = 0
            while start < len(idx):
                stop = int(np.searchsorted(ends, (ends[start - 1] if start else 0) + _PAIR_CHUNK, side="right"))
                stop = max(stop, start + 1)
                c = count[start:stop]
                q = np.repeat(idx[start:stop], c)
                base = np.repeat(lo[start:stop] - (np.cumsum(c) - c), c)
                t = base + np.arange(int(c.sum()))
                hit = (self.x[t] - qx[q]) ** 2 + (self.y[t] - qy[q]) ** 2 <= r2
                found[q[hit]] = True
                start = stop
        return found


def _pack(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """One int64 per cell (cells of side >= 0.07 m anywhere on Earth: |ix|, |iy| < 2**30)."""
    return (ix.astype(np.int64) << 31) + iy.astype(np.int64)


def first_of_cells(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """Index of the first point (by index) in each distinct cell ``(ix, iy)``, in cell order."""
    order = np.lexsort((np.arange(len(ix)), iy, ix))
    sx, sy = ix[order], iy[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (sx[1:] != sx[:-1]) | (sy[1:] != sy[:-1])
    return order[new]


def _scale(lat0: float) -> tuple[float, float]:
    return M_PER_DEG * max(np.cos(np.radians(lat0)), 0.01), M_PER_DEG


def _share(near: np.ndarray) -> float:
    return float(near.mean()) if len(near) else 0.0


def _result(share_a: float, share_b: float, radius_m: float, **extra) -> dict:
    return {"share_a": round(share_a, 4), "share_b": round(share_b, 4), "score": round(min(share_a, share_b), 4),
            "radius_m": radius_m, **extra}


def replay_similarity(a: Track, b: Track, radius_m: float = REPLAY_RADIUS_M) -> dict:
    """How much of ``a`` lies on ``b``'s very fixes (time ignored), and the reverse; ``score`` is the lesser.

    Every fix of each is looked up among all of the other's: linear time and memory.
    """
    if len(a) == 0 or len(b) == 0:
        return _result(0.0, 0.0, radius_m)
    kx, ky = _scale(float(np.median(a.lat)))
    ax, ay, bx, by = a.lon * kx, a.lat * ky, b.lon * kx, b.lat * ky
    return _result(_share(Grid(bx, by, radius_m).near(ax, ay)), _share(Grid(ax, ay, radius_m).near(bx, by)),
                   radius_m)


def even_sample(n: int, k: int) -> np.ndarray:
    """At most ``k`` indices of ``range(n)``, evenly spaced, first and last included."""
    return np.unique(np.linspace(0, n - 1, min(k, n)).astype(np.int64)) if n else np.zeros(0, dtype=np.int64)


def may_replay(a: Track, b: Track, score: float, radius_m: float = REPLAY_RADIUS_M, samples: int = 48) -> bool:
    """A cheap test before ``replay_similarity``: could ``a`` and ``b`` share fixes at ``score``?

    Evenly spaced fixes of each are looked up among all of the other's; a pair gets through
    when both samples' shares are within 0.15 of ``score`` (the exact score is the lesser
    share). A replay puts nearly every sample on the other track; two honest walks of one
    path about half.
    """
    if len(a) == 0 or len(b) == 0:
        return False
    kx, ky = _scale(float(a.lat[0]))
    ia, ib = even_sample(len(a), samples), even_sample(len(b), samples)
    share_a = _share(Grid(b.lon * kx, b.lat * ky, radius_m).near(a.lon[ia] * kx, a.lat[ia] * ky))
    if share_a < score - 0.15:
        return False
    return _share(Grid(a.lon * kx, a.lat * ky, radius_m).near(b.lon[ib] * kx, b.lat[ib] * ky)) >= score - 0.15


# --- sketches: a bounded stand-in for a stored patrol ---------------------------------------

def _mix(v: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a fixed pseudo-random uint64 per value (the same on every machine)."""
    v = v.astype(np.uint64)
    v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return v ^ (v >> np.uint64(31))


def _cell_hash(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    low = np.uint64(0xFFFFFFFF)
    ux, uy = (v.astype(np.int64).view(np.uint64) & low for v in (ix, iy))
    packed = (ux << np.uint64(32)) | uy
    return _mix(packed + np.uint64(0x9E3779B97F4A7C15))


def _udeg(values: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(values, dtype=np.float64) * UDEG).astype(np.int64)


def _nearest_sampled_cell(lon_u: np.ndarray, lat_u: np.ndarray, radius_m: float, q: int) -> np.ndarray:
    """For each fix, the least hash of the sampling cells it lies within ``radius_m`` (plus slack) of."""
    slack = radius_m * 1.02 + 2 * q / UDEG * M_PER_DEG  # scale differences across the track; the dedup cell
    my = np.full(len(lat_u), slack / M_PER_DEG * UDEG)
    mx = my / np.maximum(np.cos(np.radians(lat_u / UDEG)), 0.2)  # (beyond 78 deg the margin falls short)
    best = np.full(len(lon_u), np.iinfo(np.uint64).max, dtype=np.uint64)
    for ex in (-1, 1):
        for ey in (-1, 1):
            ix = np.floor((lon_u + ex * mx) / CELL_UDEG).astype(np.int64)
            iy = np.floor((lat_u + ey * my) / CELL_UDEG).astype(np.int64)
            best = np.minimum(best, _cell_hash(ix, iy))
    return best


def sketch(track: Track, radius_m: float = REPLAY_RADIUS_M, even: int = SKETCH_EVEN,
           space: int = SKETCH_SPACE) -> bytes:
    """The bounded stand-in of a patrol for later replay checks (a few kilobytes whatever its length)."""
    n = len(track)
    lon_u, lat_u = _udeg(track.lon), _udeg(track.lat)
    sample = even_sample(n, even)
    threshold, q, kept = _ALL, 1, np.zeros(0, dtype=np.int64)
    for q in (1, 2, 4, 8, 16):  # coarser only where a few cells hold thousands of fixes (a phone lying still)
        reps = first_of_cells(lon_u // q, lat_u // q)
        if len(reps) <= space:
            threshold, kept = _ALL, reps
            break
        least = _nearest_sampled_cell(lon_u[reps], lat_u[reps], radius_m, q)
        order = np.argsort(least, kind="stable")
        threshold = least[order[space]]  # the first fix that does not fit: its cell and above are out
        kept = reps[order[:space]][least[order[:space]] < threshold]
        if len(kept) * 4 >= space:  # several cells' worth: a fair sample of place
            break
    body = np.concatenate([np.column_stack([lon_u[sample], lat_u[sample]]).ravel(),
                           np.column_stack([lon_u[kept], lat_u[kept]]).ravel()]).astype("<i4")
    return _HEADER.pack(_MAGIC, _VERSION, q, int(threshold), n, len(sample), len(kept)) + zlib.compress(
        body.tobytes(), 6)


class Sketch:
    """A decoded sketch: its even sample and its spatial sample (micro-degrees), and the threshold."""

    def __init__(self, data: bytes) -> None:
        magic, version, self.q, self.threshold, self.fixes, n_even, n_space = _HEADER.unpack_from(data)
        if magic != _MAGIC or version != _VERSION:
            raise ValueError("not a replay sketch")
        if n_even + n_space > 1 << 20:
            raise ValueError("replay sketch too large")
        limit = 8 * (n_even + n_space)
        body = np.frombuffer(zlib.decompressobj().decompress(data[_HEADER.size:], limit), dtype="<i4")
        if len(body) != 2 * (n_even + n_space):
            raise ValueError("truncated replay sketch")
        pairs = body.reshape(-1, 2).astype(np.int64)
        self.even, self.space = pairs[:n_even], pairs[n_even:]


class UploadIndex:
    """An upload prepared once (linear in its fixes) for comparison with any number of sketches."""

    def __init__(self, track: Track, radius_m: float = REPLAY_RADIUS_M) -> None:
        self.radius_m = radius_m
        self.n = len(track)
        self.kx, self.ky = _scale(float(np.median(track.lat)) if self.n else 0.0)
        self.x, self.y = track.lon * self.kx, track.lat * self.ky
        self.grid = Grid(self.x, self.y, radius_m)
        lon_u, lat_u = _udeg(track.lon), _udeg(track.lat)
        cell = _cell_hash(np.floor(lon_u / CELL_UDEG).astype(np.int64), np.floor(lat_u / CELL_UDEG).astype(np.int64))
        self.by_cell = np.argsort(cell, kind="stable")
        self.cell_sorted = cell[self.by_cell]

    def _metric(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return pairs[:, 0] / UDEG * self.kx, pairs[:, 1] / UDEG * self.ky

    def compare(self, data: bytes, score: float | None = None, samples: int = 48) -> dict:
        """``replay_similarity(upload, candidate)`` estimated from the candidate's sketch.

        With ``score``, the candidate is dropped early (``score`` 0, ``"screened": True``)
        when ``samples`` of its even sample already show its share below ``score - 0.15``
        (``may_replay``'s test).
        """
        s = Sketch(data)
        if self.n == 0 or s.fixes == 0:
            return _result(0.0, 0.0, self.radius_m)
        bx, by = self._metric(s.even)
        if score is not None and len(s.even) > samples:
            pick = even_sample(len(s.even), samples)
            if _share(self.grid.near(bx[pick], by[pick])) < score - 0.15:
                return {**_result(0.0, 0.0, self.radius_m), "screened": True}
        share_b = _share(self.grid.near(bx, by))
        # the upload's fixes in the candidate's sampled cells, looked up among all of its fixes near those cells
        everything = s.threshold == _ALL
        count = self.n if everything else int(np.searchsorted(self.cell_sorted, np.uint64(s.threshold), side="left"))
        chosen = self.by_cell[:count][even_sample(count, UPLOAD_QUERIES)]
        sx, sy = self._metric(s.space)
        share_a = _share(Grid(sx, sy, self.radius_m).near(self.x[chosen], self.y[chosen]))
        return _result(share_a, share_b, self.radius_m, sampled={"upload": len(chosen), "candidate": len(s.even)})
