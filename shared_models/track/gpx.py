"""GPX 1.0 / 1.1 into a Track, read as a stream of XML events (the standard library's expat).

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
  Waypoints, routes and metadata (``<wpt>``, ``<rte>``, ``<bounds>``) are not a track
  and are not read at all (gpxpy refused a file for a malformed number in one of them).
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
- Read as gpxpy read it (the same fixes, times and columns on every file it was tested
  with), but without an object per point: an 8.6 MB file of 120,000 points took gpxpy
  2.2 s and 140 MB, this 0.4 s. A time gpxpy could not read (no seconds, year 0, a date
  alone, spaces around it) leaves the point untimed, as it did. A number that is not one
  is ``track.bad_gpx``; an infinite one is kept, for validation to refuse by name.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import xml.etree.ElementTree as ET

import numpy as np

from .errors import track_error
from .model import Track

METRES_PER_DOP = 5.0
MAX_UNTIMED_SHARE = 0.1
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# gpxpy's pattern: one or two digits, up to 15 of a fraction, an offset of hours with or without minutes
_TIME = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})"
                   r"(?:\.([0-9]{1,15}))?(Z|[+\-\u2212][0-9]{2}:?(?:[0-9]{2})?)?")
_NUMBERS = ("ele", "hdop", "pdop", "speed", "course")  # the point's children read, besides its time


_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)?")  # what phones write


def _time(text: str | None) -> float | None:
    """Seconds since the epoch, or None where the text is not a time gpxpy read (the point is untimed)."""
    text = text or ""  # as gpxpy's "...$": not stripped (a time among spaces is no time) but for one last newline
    if text.endswith("\n"):
        text = text[:-1]
    try:
        if _ISO.fullmatch(text):  # the usual shape: read in C
            at = dt.datetime.fromisoformat(text)
            return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp()
        m = _TIME.fullmatch(text)
        if m is None:
            return None
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
        zone = m.group(8)
        if zone is None or zone == "Z":
            tz = dt.UTC  # no zone: UTC, as the GPX schema says
        else:
            digits = zone[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + (int(digits[2:]) if len(digits) == 4 else 0)
            tz = dt.timezone(dt.timedelta(minutes=-minutes if zone[0] != "+" else minutes))
        return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).timestamp()
    except (ValueError, OverflowError):  # year 0, month 13, an offset of a day: gpxpy had no time either
        return None


def _number(text: str | None, what: str) -> float:
    """A number as written (NaN where absent); text that is not a number is not GPX."""
    text = (text or "").strip()
    if not text:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise track_error("track.bad_gpx", reason=f"invalid value for <{what}>: {text[:40]}") from None
    return value


def _coordinate(text: str | None) -> float:
    """A coordinate as written (NaN or infinite ones stay so: validation names the fix)."""
    try:
        return float(text.strip())
    except (AttributeError, ValueError):
        raise track_error("track.bad_gpx", reason=f"invalid or missing coordinate: {str(text)[:40]}") from None


_TRKPT, _TRKSEG, _OTHER = 1, 2, 0
_FIELD = {name: i for i, name in enumerate(("time", *_NUMBERS))}


def _points(text: str) -> tuple[list[list], str]:
    """Every track segment's points as [lon, lat, time or None, ele, hdop, pdop, speed, course], and the version.

    One pass over the elements' ends: a point is read whole when it closes (its children are
    its own), a segment's points are let go of as it closes.
    """
    segments: list[list] = []
    current: list[list] = []
    kinds: dict[str, int] = {}  # tag (with its namespace) -> what it is
    names: dict[str, str] = {}
    el = None
    try:
        for _, el in ET.iterparse(io.StringIO(text), events=("end",)):
            kind = kinds.get(el.tag)
            if kind is None:
                local = el.tag.rpartition("}")[2]
                kind = kinds[el.tag] = _TRKPT if local == "trkpt" else _TRKSEG if local == "trkseg" else _OTHER
            if kind == _TRKPT:
                values: list = [None, math.nan, math.nan, math.nan, math.nan, math.nan]
                for child in el:
                    name = names.get(child.tag)
                    if name is None:
                        name = names[child.tag] = child.tag.rpartition("}")[2]
                    i = _FIELD.get(name)
                    if i is not None:
                        values[i] = _time(child.text) if i == 0 else _number(child.text, name)
                current.append([_coordinate(el.get("lon")), _coordinate(el.get("lat")), *values])
                el.clear()
            elif kind == _TRKSEG:
                segments.append(current)
                current = []
                el.clear()
    except ET.ParseError as exc:
        raise track_error("track.bad_gpx", reason=str(exc)[:200]) from None
    if el is None or el.tag.rpartition("}")[2] != "gpx":  # the last element closed is the document's
        raise track_error("track.bad_gpx", reason="the document is not <gpx>")
    return segments, el.get("version", "1.0")


def read_gpx(text: str | bytes) -> Track:
    """The timed fixes of every track segment, in file order (see the module docstring)."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    if _DOCTYPE.search(raw):
        raise track_error("track.bad_gpx", reason="document type declarations are not accepted")
    segments, version = _points(raw.decode("utf-8", "replace"))
    points, notes, breaks = [], [], []
    untimed = route_points = 0
    for seg in segments:
        timed = [p for p in seg if p[2] is not None]
        if not timed:
            route_points += len(seg)
            continue
        untimed += len(seg) - len(timed)
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
    cols = np.array(points, dtype=np.float64)
    lon, lat, t, ele, hdop, pdop, speed, course = cols.T
    dop = np.where(np.isfinite(hdop), hdop, pdop)
    optional = {"altitude": ele, "speed": speed if version != "1.1" else None,
                "bearing": course if version != "1.1" else None}
    optional = {k: v if v is not None and np.isfinite(v).any() else None for k, v in optional.items()}
    return Track(lon, lat, t, dop * METRES_PER_DOP, optional["altitude"], optional["speed"], optional["bearing"],
                 breaks=breaks, notes=notes)
