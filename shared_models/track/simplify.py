"""Douglas-Peucker simplification in numpy, at a cost bounded whatever the track's shape.

Plain recursive Douglas-Peucker (GEOS's too) is quadratic on some shapes: on a zigzag of
growing amplitude or an outward spiral every split peels off one point, so 40,000 fixes
took 4.6 s in GEOS and 200,000 would take two minutes. Here the ranges of one level of
the recursion are handled together, one numpy pass of the whole track per level, and
after ``DEPTH_CAP`` levels a range still open is split at its middle instead of at its
farthest point: the recursion is then at most ``DEPTH_CAP + log2(n)`` levels deep, so
the work is O(n (DEPTH_CAP + log n)) in time and O(n) in memory.

Up to that depth the result is exactly GEOS's (``shapely.simplify(...,
preserve_topology=False)``): the same distance to the segment, the same first farthest
point, a range kept whole when its farthest point is within the tolerance. Walks, drives
and jitter recorded by real phones stay far above the cap (tests/test_track_hostile.py
checks them against GEOS); only shapes made to defeat the recursion reach it, and even
there every dropped fix stays within the tolerance of the line kept.
"""
from __future__ import annotations

import numpy as np

DEPTH_CAP = 40  # levels split at the farthest point; below that, at the middle


def _segment_distance(px, py, ax, ay, bx, by) -> np.ndarray:
    """Distance of each point P to the segment AB, as GEOS's Distance::pointToSegment computes it
    (the same operations in the same order, so the same doubles)."""
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    degenerate = len2 == 0
    safe = np.where(degenerate, 1.0, len2)
    qx, qy = px - ax, py - ay
    r = (qx * dx + qy * dy) / safe
    out = np.abs((-qy) * dx - (-qx) * dy) / safe * np.sqrt(safe)  # |s| sqrt(len2), s = ((A-P).y dx - (A-P).x dy) / len2
    before = degenerate | (r <= 0)
    out[before] = np.sqrt(qx[before] ** 2 + qy[before] ** 2)
    after = ~before & (r >= 1)
    ex, ey = px[after] - bx[after], py[after] - by[after]
    out[after] = np.sqrt(ex * ex + ey * ey)
    return out


def importance(x: np.ndarray, y: np.ndarray, starts, ends, tolerance: float = 0.0,
               depth_cap: int = DEPTH_CAP) -> np.ndarray:
    """For every point, the largest tolerance at which Douglas-Peucker keeps it.

    ``starts``/``ends``: the first and last index of each line (inclusive, ``end >= start``);
    points outside every line get 0. Ends of lines are ``inf``. Simplifying at tolerance
    ``tol`` keeps exactly the points with ``importance > tol`` (for ``tol >= tolerance``:
    ranges whose farthest point is within ``tolerance`` are not split further, which is
    what makes a simplification at a known tolerance cheap).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    out = np.zeros(len(x))
    lo, hi = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    out[lo] = out[hi] = np.inf
    cap = np.full(len(lo), np.inf)  # a point is kept no longer than its range's parent split
    depth = 0
    while True:
        inner = hi - lo > 1
        lo, hi, cap = lo[inner], hi[inner], cap[inner]
        if not len(lo):
            return out
        counts = hi - lo - 1
        first = np.cumsum(counts) - counts  # where each range's points start in the flat arrays
        which = np.repeat(np.arange(len(lo)), counts)
        k = np.arange(int(counts.sum())) + np.repeat(lo + 1 - first, counts)  # the points' own indices
        d = _segment_distance(x[k], y[k], x[lo][which], y[lo][which], x[hi][which], y[hi][which])
        worst = np.maximum.reduceat(d, first)
        if depth < depth_cap:
            hits = np.flatnonzero(d == worst[which])
            firsts = hits[np.flatnonzero(np.diff(which[hits], prepend=-1))]  # the first farthest point of each
            split = k[firsts]
        else:
            split = (lo + hi) // 2
        go = worst > tolerance
        value = np.minimum(worst, cap)[go]
        split = split[go]
        out[split] = value
        lo, hi = np.concatenate([lo[go], split]), np.concatenate([split, hi[go]])
        cap = np.concatenate([value, value])
        depth += 1


def line_ranges(part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last index of each run of equal part numbers (``part`` non-decreasing)."""
    n = len(part)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.diff(part, prepend=part[0] - 1))
    ends = np.concatenate([starts[1:] - 1, [n - 1]])
    return starts, ends


def simplify_mask(x, y, part, tolerance: float) -> np.ndarray:
    """The points Douglas-Peucker at ``tolerance`` keeps, per part (parts of one point are kept as they are)."""
    starts, ends = line_ranges(np.asarray(part))
    return importance(x, y, starts, ends, tolerance) > tolerance


def simplify_to(x, y, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` points (>= 2) of one line: Douglas-Peucker at the smallest tolerance that fits.

    Ties at that tolerance are dropped together, so the count may fall short of
    ``max_points``; never above it.
    """
    n = len(x)
    if n <= max_points:
        return np.arange(n)
    imp = importance(x, y, [0], [n - 1])
    # the (max_points + 1)-th largest importance: keeping what is strictly above it fits
    threshold = np.partition(imp, n - max_points - 1)[n - max_points - 1]
    return np.flatnonzero(imp > threshold)
