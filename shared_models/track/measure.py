"""Measuring a track in metres: its projection, lines, speeds over windows, and coverage of segments.

Everything in a local transverse Mercator projection centred on the track (never in
degrees), on whole numpy arrays (geometry.py), never a Python loop per fix.
"""
from __future__ import annotations

import numpy as np

from .geometry import Pieces, projection_for  # noqa: F401  (projection_for: the one the tests and bench use)
from .simplify import simplify_mask
from .thresholds import JITTER_M, STANDSTILL_S


def window_speed(x, y, t, part, window: float) -> np.ndarray:
    """Net displacement speed from each fix over the next ``window`` seconds of its part (NaN if too little)."""
    last_of_part = np.searchsorted(part, part, side="right") - 1
    j = np.minimum(np.searchsorted(t, t + window, side="left"), last_of_part)
    span = t[j] - t
    # at least half a window of data, and no long silence inside it
    good = (span >= window / 2) & (span <= 3 * window)
    speed = np.full(len(t), np.nan)
    i = np.flatnonzero(good)
    speed[i] = np.hypot(x[j[i]] - x[i], y[j[i]] - y[i]) / span[i]
    return speed


def as_lines(x, y, part) -> Pieces | None:
    """The track as one line per part, as its pieces (parts of a single fix have no length)."""
    return Pieces.of_parts(np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(part))


def simplified(x, y, part):
    """The track as lines, simplified (plain Douglas-Peucker at JITTER_M) so that GNSS wiggles add nothing.

    numpy's Douglas-Peucker (simplify.py): GEOS's result, at a cost bounded on any shape.
    """
    keep = simplify_mask(x, y, part, JITTER_M)
    return as_lines(x[keep], y[keep], part[keep])


def walked_line(x, y, t, part, still):
    """The track with long standstills cut out, simplified so that GNSS wiggles add nothing.

    Only standstills of a minute or more are cut: a slow climb or a look at the water
    keeps its metres, a phone left on a table gathers none.
    """
    edges = np.diff(np.concatenate([[0], still.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # still steps [start, end)
    long = (t[ends] - t[starts]) >= STANDSTILL_S
    drop = np.zeros(len(x), dtype=bool)
    for s_, e_ in zip(starts[long], ends[long], strict=True):  # one slice per standstill, not per fix
        drop[s_ + 1:e_] = True
    return simplified(x[~drop], y[~drop], part[~drop])


def covered_share(walked: Pieces | None, seg_len: np.ndarray, seg_mid: np.ndarray, tolerance: float) -> float:
    """Share of the segments' length within ``tolerance`` of the walked line."""
    total = float(seg_len.sum())
    if walked is None or total <= 0:
        return 0.0
    # a point per 5 m piece of the segments, near the walked line or not: no buffer is ever built
    return float(seg_len[walked.near(seg_mid, tolerance)].sum() / total)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return 0.0
    order = np.argsort(values[ok])
    cum = np.cumsum(weights[ok][order])
    return float(values[ok][order][np.searchsorted(cum, cum[-1] / 2)])
