"""GPX 1.0 / 1.1 into a Track, with gpxpy.

Decisions, each for a reason:

- Every ``<trkseg>`` of every ``<trk>`` is read in file order; each timed segment after
  the first starts a new part of the track (``Track.breaks``): between two segments the
  receiver recorded nothing, so the straight line between them is neither distance
  walked nor speed. File order is kept even when times go backwards, so that a broken
  clock shows in the analysis (``clock``) instead of being sorted away.
- Points without a time: a segment with no times at all is a planned route drawn on a
  map, not a walk; it is left out and named in ``Track.notes``. A few untimed points
  inside a timed segment (a receiver's hiccup) are dropped and noted; when more than a
  tenth of the points of the timed segments lack a time the file is refused
  (``track.missing_times``), since a patrol cannot be judged on guessed times.
  Waypoints and routes (``<wpt>``, ``<rte>``) are not a track and are ignored.
- Times without a zone are UTC, as the GPX schema says (never the machine's local
  zone: a phone in China is UTC+8).
- Accuracy: GPX has no accuracy field; consumer receivers' horizontal error is about
  5 m per unit of HDOP, so HDOP x 5 m; PDOP x 5 m where only PDOP is given (PDOP >= HDOP:
  a cautious estimate); NaN ("unknown") otherwise, which the analysis neither drops
  nor counts as poor.
- GPX 1.0 ``<speed>`` and ``<course>`` become the speed and bearing columns when the
  file has them.
- A document type declaration is refused before parsing: GPX never needs one, and
  entity tricks (billion laughs, external entities) are how XML parsers get attacked.
"""
from __future__ import annotations

import datetime as dt
import re

import gpxpy
import gpxpy.gpx
import numpy as np

from .errors import track_error
from .model import Track

METRES_PER_DOP = 5.0
MAX_UNTIMED_SHARE = 0.1
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _seconds(time: dt.datetime) -> float:
    if time.tzinfo is None:
        time = time.replace(tzinfo=dt.UTC)
    return time.timestamp()


def _column(points: list, attr: str) -> np.ndarray:
    return np.array([getattr(p, attr, None) if getattr(p, attr, None) is not None else np.nan for p in points],
                    dtype=np.float64)


def read_gpx(text: str | bytes) -> Track:
    """The timed fixes of every track segment, in file order (see the module docstring)."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    if _DOCTYPE.search(raw):
        raise track_error("track.bad_gpx", reason="document type declarations are not accepted")
    try:
        doc = gpxpy.parse(raw.decode("utf-8", "replace"))
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise track_error("track.bad_gpx", reason=str(exc)[:200]) from None
    points, notes, breaks = [], [], []
    untimed = route_points = 0
    for trk in doc.tracks:
        for seg in trk.segments:
            timed = [p for p in seg.points if p.time is not None]
            if not timed:
                route_points += len(seg.points)
                continue
            untimed += len(seg.points) - len(timed)
            if points:
                breaks.append(len(points))
            points.extend(timed)
    if route_points:
        notes.append(f"skipped {route_points} points of segments without times (a planned route)")
    if not points:
        raise track_error("track.no_times", untimed=route_points)
    if untimed > MAX_UNTIMED_SHARE * (len(points) + untimed):
        total = untimed + route_points + len(points)
        raise track_error("track.missing_times", missing=untimed + route_points, total=total, timed=len(points))
    if untimed:
        notes.append(f"dropped {untimed} points without times")
    # gpxpy hands out one object per point; this loop runs once per import, not on the
    # server's per-upload hot path (the phone sends the codec, not GPX)
    lon = np.array([p.longitude for p in points], dtype=np.float64)
    lat = np.array([p.latitude for p in points], dtype=np.float64)
    t = np.array([_seconds(p.time) for p in points], dtype=np.float64)
    dop = _column(points, "horizontal_dilution")
    dop = np.where(np.isfinite(dop), dop, _column(points, "position_dilution"))
    optional = {}
    for name, attr in (("altitude", "elevation"), ("speed", "speed"), ("bearing", "course")):
        values = _column(points, attr)
        optional[name] = values if np.isfinite(values).any() else None
    return Track(lon, lat, t, dop * METRES_PER_DOP, optional["altitude"], optional["speed"], optional["bearing"],
                 breaks=breaks, notes=notes)
