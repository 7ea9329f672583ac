"""Where a grid may lie: within its parent and off its siblings, each with a tolerance in metres.

Problems are routed to the deepest grid that holds their place, so a grid reaching into
land that is not its parent's, or over a sibling's, would take that land's reports. The
tolerances are what real boundaries need: the demo county's outline (AMap, via cnmaps) and
its townships (another survey) disagree by up to 753 m across a bend of the edge, 4.4 % of
六村堡街道's area, so a child may have up to ``OUTSIDE_SHARE`` of its area outside its parent
and no point farther out than ``PARENT_TOLERANCE_M``; siblings drawn from one survey share
their edges exactly, and slivers where two surveys meet stay under ``SIBLING_TOLERANCE_M`` deep.
Routing does not rest on these tolerances alone: a problem goes to a grid only when every
ancestor below the county holds its place too (``service.deepest_holding``).
Distances are measured in a local plane (metres east and north of the group's centre),
accurate to about 1 % across a county, which is plenty for tolerances like these.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from shapely import STRtree

PARENT_TOLERANCE_M = 1000.0
OUTSIDE_SHARE = 0.10
SIBLING_TOLERANCE_M = 25.0  # an overlap is refused where a point lies this deep inside both
M_PER_DEG = 111_320.0


def _plane(anchor):
    """Lon/lat -> metres east and north of the centre of ``anchor``'s bounds."""
    minx, miny, maxx, maxy = anchor.bounds
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    scale = np.array([M_PER_DEG * math.cos(math.radians(lat0)), M_PER_DEG])
    origin = np.array([lon0, lat0])
    return lambda geoms: shapely.transform(geoms, lambda xy: (xy - origin) * scale)


def outside(children: list, parent) -> np.ndarray:
    """For each child, True when more of it lies outside ``parent`` than the tolerances allow."""
    to_m = _plane(parent)
    area, kids = to_m(parent), to_m(np.array(children, dtype=object))
    shapely.prepare(area)
    out = ~shapely.covers(area, kids)
    if out.any():
        reach = shapely.buffer(area, PARENT_TOLERANCE_M)
        shapely.prepare(reach)
        share = shapely.area(shapely.difference(kids[out], area)) / shapely.area(kids[out])
        out[out] = ~shapely.covers(reach, kids[out]) | (share > OUTSIDE_SHARE)
    return out


def overlaps(new: list, old: list) -> list[tuple[int, int]]:
    """Pairs (i, j): ``new[i]`` overlaps ``new[j]`` (j > i) or, for j >= len(new), ``old[j - len(new)]``
    more deeply than the tolerance. Touching along an edge is not overlapping."""
    if not new or len(new) + len(old) < 2:
        return []
    every = np.array(list(new) + list(old), dtype=object)
    to_m = _plane(shapely.GeometryCollection(list(every)).envelope)
    flat = to_m(every)
    tree = STRtree(flat)
    a, b = tree.query(flat[: len(new)], predicate="intersects")
    keep = b > a
    a, b = a[keep], b[keep]
    inner = shapely.relate_pattern(flat[a], flat[b], "T********")  # the insides meet: more than an edge
    a, b = a[inner], b[inner]
    deep = ~shapely.is_empty(shapely.buffer(shapely.intersection(flat[a], flat[b]), -SIBLING_TOLERANCE_M))
    return [(int(i), int(j)) for i, j in zip(a[deep], b[deep], strict=True)]
