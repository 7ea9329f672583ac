"""The names a GeoJSON ``crs`` member (or a Shapefile's .prj, once named) may carry for plain
longitude/latitude on WGS84; CGCS2000 (EPSG:4490), China's datum, is within centimetres of it.
The one list the importer, the track command and the import child read."""

WGS84_CRS_NAMES = frozenset({
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "urn:ogc:def:crs:EPSG::4490",
    "EPSG:4490",
})


def is_wgs84(name: object) -> bool:
    """Whether ``name`` says longitude/latitude on WGS84 (or CGCS2000)."""
    return isinstance(name, str) and name in WGS84_CRS_NAMES
