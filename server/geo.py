"""Geometry helpers: GeoJSON in and out, metres on the WGS84 ellipsoid."""
from __future__ import annotations

from geoalchemy2.shape import from_shape, to_shape
from pyproj import Geod
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

WGS84 = 4326
GEOD = Geod(ellps="WGS84")



def length_m(geom: BaseGeometry) -> float:
    """Geodesic length in metres."""
    return float(GEOD.geometry_length(geom))


def to_geojson(element) -> dict | None:
    """A GeoAlchemy2 column value as a GeoJSON geometry dict."""
    if element is None:
        return None
    return mapping(to_shape(element))


def to_db(geom: BaseGeometry):
    return from_shape(geom, srid=WGS84)


def lonlat_in_range(geom: BaseGeometry) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
