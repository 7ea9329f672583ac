"""A patrol's track for people: a simplified line for display, full GPX and GeoJSON."""
from __future__ import annotations

import datetime as dt
import json

import gpxpy.gpx
import numpy as np
from shapely.geometry import LineString, mapping

from shared_models.track import codec
from shared_models.track.replay import M_PER_DEG, even_sample
from shared_models.track.simplify import simplify_to

from ..exports import ExportFile
from ..text import holdable

DISPLAY_MAX_VERTICES = 500
DISPLAY_LOOKED_AT = 20_000  # a longer track is thinned evenly first: 500 vertices cannot show finer detail


def display(lon: np.ndarray, lat: np.ndarray, t: np.ndarray, max_vertices: int = DISPLAY_MAX_VERTICES) -> dict | None:
    """What maps show of a track, computed once at intake and stored (``Patrol.display``).

    ``line``: a GeoJSON LineString of at most ``max_vertices`` fixes, Douglas-Peucker in
    metres at the smallest tolerance that fits (the most detail), so a still phone's
    200,000-fix jitter blob costs what a walk does: numpy, O(n log n) on any shape
    (shared_models.track.simplify), never GEOS's topology-preserving simplify, quadratic
    on a track crossing itself. ``kmh``: each piece's median step speed, for colouring.
    """
    n = len(lon)
    if n < 2:
        return None
    # at the codec's precision (micro-degrees, milliseconds): the same line from the upload as from the stored track
    lon, lat = (np.rint(np.asarray(v, dtype=np.float64) * 1e6) / 1e6 for v in (lon, lat))
    t = np.rint(np.asarray(t, dtype=np.float64) * 1000) / 1000
    kx = M_PER_DEG * np.cos(np.radians(float(np.median(lat))))
    looked_at = even_sample(n, DISPLAY_LOOKED_AT)
    keep = looked_at[simplify_to(lon[looked_at] * kx, lat[looked_at] * M_PER_DEG, max_vertices)]
    speed = np.hypot(np.diff(lon) * kx, np.diff(lat) * M_PER_DEG) / np.maximum(np.diff(t), 0.5) * 3.6
    piece = np.searchsorted(keep, np.arange(n - 1), side="right") - 1  # the piece each step lies in
    return {"line": {"type": "LineString", "coordinates": np.column_stack([lon[keep], lat[keep]]).tolist()},
            "kmh": [round(v, 1) for v in _group_medians(speed, piece, len(keep) - 1).tolist()]}


def _group_medians(values: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """``np.median`` of the values of each group 0..groups-1 (``group`` non-decreasing, none empty)."""
    order = np.lexsort((values, group))
    ordered = values[order]
    counts = np.bincount(group, minlength=groups)
    first = np.cumsum(counts) - counts
    return (ordered[first + (counts - 1) // 2] + ordered[first + counts // 2]) / 2


def to_gpx(name: str, lon, lat, t_seconds, altitude=None) -> str:
    """GPX 1.1, one track segment (an export for people and GIS tools: not a hot path)."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "RiverPatrol 河巡"
    track = gpxpy.gpx.GPXTrack(name=holdable(name))
    seg = gpxpy.gpx.GPXTrackSegment()
    for i in range(len(lon)):
        point = gpxpy.gpx.GPXTrackPoint(
            latitude=float(lat[i]), longitude=float(lon[i]),
            elevation=float(altitude[i]) if altitude is not None and np.isfinite(altitude[i]) else None,
            time=dt.datetime.fromtimestamp(float(t_seconds[i]), dt.UTC))
        seg.points.append(point)
    track.segments.append(seg)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def to_geojson(properties: dict, lon, lat, t_seconds) -> dict:
    """A Feature: the full line, with the times (ISO 8601, UTC) as a parallel array."""
    line = LineString(np.column_stack([lon, lat])) if len(lon) >= 2 else None
    times = [dt.datetime.fromtimestamp(float(t), dt.UTC).isoformat().replace("+00:00", "Z") for t in t_seconds]
    return {"type": "Feature", "geometry": mapping(line) if line is not None else None,
            "properties": {**properties, "times": times}}


def to_kml(name: str, lon, lat, t_seconds) -> str:
    """KML 2.2 with a gx:Track (each fix with its time), for Google Earth and GIS tools."""
    import simplekml

    name = holdable(name)
    kml = simplekml.Kml(name=name)
    track = kml.newgxtrack(name=name)
    track.newwhen([dt.datetime.fromtimestamp(float(t), dt.UTC).isoformat().replace("+00:00", "Z")
                   for t in t_seconds])
    track.newgxcoord([(float(x), float(y)) for x, y in zip(lon, lat, strict=True)])
    track.style.linestyle.width = 3
    return kml.kml()


TRACK_MIMES = {"gpx": "application/gpx+xml", "kml": "application/vnd.google-earth.kml+xml",
               "geojson": "application/geo+json"}


def walked_as(patrol) -> str:
    """Who walked it, and for whom when on a chief's behalf: 李四（代 张三 巡河）."""
    if patrol.for_user_id is None:
        return patrol.inspector.name
    return f"{patrol.inspector.name}（代 {patrol.for_user.name} 巡河）"


def track_file(patrol, fmt: str) -> ExportFile:
    """The patrol's full track (every fix, with its time) as GPX 1.1, KML (gx:Track) or a GeoJSON Feature."""
    track = codec.decode(patrol.track)
    name = f"巡河 {patrol.started_at:%Y-%m-%d} {walked_as(patrol)}"
    if fmt == "gpx":
        body = to_gpx(name, track.lon, track.lat, track.t, track.altitude)
    elif fmt == "kml":
        body = to_kml(name, track.lon, track.lat, track.t)
    else:
        who = {"uuid": patrol.uuid, "inspector": patrol.inspector.name,
               "for": patrol.for_user.name if patrol.for_user_id else None}
        body = json.dumps(to_geojson(who, track.lon, track.lat, track.t), ensure_ascii=False)
    return ExportFile(f"patrol-{patrol.uuid}.{fmt}", TRACK_MIMES[fmt], body.encode() if isinstance(body, str) else body)
