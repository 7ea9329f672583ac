"""Makes tests/data/tracks/demo-gelaomen.gpx, the walk `make mobile` replays: 30 minutes of a real hike
(korita-zbevnica.gpx, gpxpy's test file, Apache-2.0) moved onto the first demo inspector's segments (阁老门村, in
the demo county), so that a newcomer's first patrol walks the river and counts. The hike's own pace, pauses and
GNSS scatter are kept: each fix is put at the distance it had walked along the segments (there and back), with
its scatter around its own smoothed path added.

    .venv/bin/python scripts/demo_walk.py
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from shapely.geometry import LineString
from shapely.ops import linemerge

from server.demo import build_grids, build_segments
from server.patrols.export import to_gpx
from shared_models.track.geometry import projection_for
from shared_models.track.gpx import read_gpx

ROOT = Path(__file__).resolve().parent.parent
SOURCE, OUT = ROOT / "tests/data/tracks/korita-zbevnica.gpx", ROOT / "tests/data/tracks/demo-gelaomen.gpx"
FIRST, MINUTES = 1, 30  # after the receiver's first fix (12 minutes before the next), before its longer pauses
VILLAGE = "阁老门村"


def main() -> None:
    _grids, villages = build_grids()
    village = next(v for v in villages if v["name"] == VILLAGE)
    feats = [f for f in build_segments(villages)["features"] if f["properties"]["grid_code"] == village["code"]]
    lines = sorted((LineString(f["geometry"]["coordinates"]) for f in feats), key=lambda g: -g.length)
    route = linemerge(lines[0]) if lines[0].geom_type != "LineString" else lines[0]
    track = read_gpx(SOURCE.read_bytes())
    keep = (np.arange(len(track.t)) >= FIRST) & (track.t <= track.t[FIRST] + MINUTES * 60)
    lon, lat, t = track.lon[keep], track.lat[keep], track.t[keep]
    src = projection_for(lon, lat)
    x, y = src.transform(lon, lat)
    k = 5  # the hike's scatter: each fix against the mean of its neighbours
    sx, sy = (np.convolve(np.pad(v, k // 2, mode="edge"), np.ones(k) / k, mode="valid") for v in (x, y))
    walked = np.concatenate([[0], np.cumsum(np.hypot(np.diff(sx), np.diff(sy)))])
    coords = np.asarray(route.coords)
    dst = projection_for(coords[:, 0], coords[:, 1])
    rx, ry = dst.transform(coords[:, 0], coords[:, 1])
    river = LineString(np.column_stack([rx, ry]))
    along = walked % (2 * river.length)
    along = np.where(along > river.length, 2 * river.length - along, along)  # there and back
    px = np.array([river.interpolate(a).x for a in along]) + (x - sx)
    py = np.array([river.interpolate(a).y for a in along]) + (y - sy)
    plon, plat = dst.transform(px, py, direction="INVERSE")
    OUT.write_text(to_gpx(f"演示巡河 {VILLAGE}", plon, plat, t), encoding="utf-8")
    print(f"{OUT.name}: {len(t)} fixes, {walked[-1]:.0f} m in {(t[-1] - t[0]) / 60:.0f} min along "
          f"{river.length:.0f} m of {feats[0]['properties']['name']}")


if __name__ == "__main__":
    main()
