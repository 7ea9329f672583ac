"""A patrol's track for people: a simplified line for display, full GPX and GeoJSON."""
from __future__ import annotations

import datetime as dt

import gpxpy.gpx
import numpy as np
import shapely
from shapely.geometry import LineString, mapping

from shared_models.track.analysis import projection_for

DISPLAY_MAX_VERTICES = 500




def display_line(lon: np.ndarray, lat: np.ndarray, max_vertices: int = DISPLAY_MAX_VERTICES) -> LineString | None:
    """The track simplified (Douglas-Peucker, in metres) to at most ``max_vertices`` vertices."""
    if len(lon) < 2:
        return None
    line = LineString(np.column_stack([lon, lat]))
    if len(lon) <= max_vertices:
        return line
    proj = projection_for(np.asarray(lon), np.asarray(lat))
    metric = shapely.transform(line, lambda xy: np.column_stack(proj.transform(xy[:, 0], xy[:, 1])))
    lo, hi = 0.0, 1.0
    while len(shapely.simplify(metric, hi).coords) > max_vertices:
        lo, hi = hi, hi * 2
    while hi - lo > 0.05 * hi:  # bisect for (within 5%) the smallest tolerance that fits: the most detail
        mid = (lo + hi) / 2
        if len(shapely.simplify(metric, mid).coords) > max_vertices:
            lo = mid
        else:
            hi = mid
    return shapely.transform(shapely.simplify(metric, hi), lambda xy: np.column_stack(
        proj.transform(xy[:, 0], xy[:, 1], direction="INVERSE")))


def to_gpx(name: str, lon, lat, t_seconds, altitude=None) -> str:
    """GPX 1.1, one track segment (an export for people and GIS tools: not a hot path)."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "RiverPatrol 河巡"
    track = gpxpy.gpx.GPXTrack(name=name)
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

    kml = simplekml.Kml(name=name)
    track = kml.newgxtrack(name=name)
    track.newwhen([dt.datetime.fromtimestamp(float(t), dt.UTC).isoformat().replace("+00:00", "Z")
                   for t in t_seconds])
    track.newgxcoord([(float(x), float(y)) for x, y in zip(lon, lat, strict=True)])
    track.style.linestyle.width = 3
    return kml.kml()
