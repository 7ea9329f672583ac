"""GPX 1.0 / 1.1 into a Track, with gpxpy."""
from __future__ import annotations

import gpxpy
import gpxpy.gpx
import numpy as np

from .model import Track, TrackError

# Consumer GPS: about 5 m per unit of HDOP (a common rule of thumb when no accuracy is given).
METRES_PER_HDOP = 5.0
MAX_UNTIMED_SHARE = 0.1


def read_gpx(text: str | bytes) -> Track:
    """The timed fixes of every track segment, in file order.

    Segments with no times at all (planned routes drawn on a map) are left out and noted;
    a few points without a time inside a timed segment are dropped and noted; when more
    than a tenth of the points of timed segments lack times the file is refused, since a
    patrol cannot be judged without them.
    """
    try:
        doc = gpxpy.parse(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise TrackError("track.bad_gpx", "不是有效的 GPX 文件", "Not a valid GPX file",
                         reason=str(exc)[:200]) from None
    points, notes, untimed, route_points, breaks = [], [], 0, 0, []
    for trk in doc.tracks:
        for seg in trk.segments:
            timed = [p for p in seg.points if p.time is not None]
            if not timed:
                route_points += len(seg.points)
                continue
            untimed += len(seg.points) - len(timed)
            if points:
                breaks.append(len(points))  # each segment is a part: between them nothing was recorded
            points.extend(timed)
    if route_points:
        notes.append(f"skipped {route_points} points of segments without times (a planned route)")
    if not points:
        raise TrackError("track.no_times", "GPX 文件中没有带时间的轨迹点", "The GPX file has no fixes with times",
                         untimed=route_points)
    if untimed > MAX_UNTIMED_SHARE * (len(points) + untimed):
        total = untimed + route_points + len(points)
        missing = untimed + route_points
        raise TrackError("track.missing_times", f"{total} 个轨迹点中 {missing} 个缺少时间",
                         f"{missing} of {total} fixes have no time", untimed=missing, timed=len(points))
    if untimed:
        notes.append(f"dropped {untimed} points without times")
    lon = np.array([p.longitude for p in points], dtype=np.float64)
    lat = np.array([p.latitude for p in points], dtype=np.float64)
    t = np.array([p.time.timestamp() for p in points], dtype=np.float64)
    hdop = np.array([p.horizontal_dilution if p.horizontal_dilution is not None else np.nan for p in points])
    ele = np.array([p.elevation if p.elevation is not None else np.nan for p in points], dtype=np.float64)
    # file order is recording order: a broken clock must show as such, not be sorted away
    track = Track(lon, lat, t, hdop * METRES_PER_HDOP, ele if np.isfinite(ele).any() else None, breaks=breaks)
    track.notes = notes
    return track
