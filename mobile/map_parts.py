"""Which parts of the card's segments the patrol has walked, for the map: the same rule as the coverage the
shared analysis counts (within the tolerance of the walked line, in 10 m pieces), drawn in two colours."""
from __future__ import annotations

import numpy as np

from shared_models.track.geometry import Pieces, projection_for
from shared_models.track.measure import simplified

STEP_M = 10.0


def walked_parts(segments: list, lon, lat, tolerance_m: float = 30.0) -> tuple[list, list]:
    """(walked, not yet walked): each a list of polylines [(lon, lat), ...] along the segments."""
    lines = [np.asarray(s, dtype=float)[:, :2] for s in segments if len(s) >= 2]
    if not lines:
        return [], []
    everything = np.concatenate(lines)
    proj = projection_for(everything[:, 0], everything[:, 1])
    xy = [np.column_stack(proj.transform(line[:, 0], line[:, 1])) for line in lines]
    pieces = Pieces.of_lines(xy).segmentize(STEP_M)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    walked = np.zeros(len(pieces), dtype=bool)
    if len(lon) >= 2:
        tx, ty = proj.transform(lon, lat)
        track = simplified(tx, ty, np.zeros(len(tx), dtype=np.int64))
        if track is not None:
            walked = track.near(pieces.mids, tolerance_m)
    # runs of pieces that join end to start and share a state, each one polyline
    joined = np.concatenate([[False], np.all(np.isclose(pieces.a[1:], pieces.b[:-1]), axis=1)])
    starts = np.flatnonzero(~joined | np.concatenate([[True], walked[1:] != walked[:-1]]))
    ends = np.concatenate([starts[1:], [len(pieces)]])
    out: tuple[list, list] = ([], [])
    for s, e in zip(starts, ends, strict=True):
        pts = np.concatenate([pieces.a[s:s + 1], pieces.b[s:e]])
        plon, plat = proj.transform(pts[:, 0], pts[:, 1], direction="INVERSE")
        (out[0] if walked[s] else out[1]).append(list(zip(plon.tolist(), plat.tolist(), strict=True)))
    return out
