"""Grid and segment files an office has: GeoJSON, KML (e.g. drawn in Google Earth or 奥维), or a
zipped Shapefile; read with GDAL (pyogrio) into the GeoJSON the importer checks."""
from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from shapely.geometry import mapping

from ..errors import ApiError

WGS84_NAMES = {"EPSG:4326", "EPSG:4490", "OGC:CRS84"}


def _bad(reason_zh: str, reason_en: str) -> ApiError:
    return ApiError("import.invalid", 422, errors=[{"index": None, "code": None, "field": "file",
                                                   "reason": "bad_file", "message": reason_zh,
                                                   "message_en": reason_en}])


def read_upload(filename: str, data: bytes) -> dict:
    """A FeatureCollection from an uploaded file, by its extension."""
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".geojson", ".json"):
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _bad("文件不是有效的 GeoJSON", "not a valid GeoJSON file") from None
    if suffix not in (".kml", ".zip"):
        raise _bad("仅支持 GeoJSON、KML 或压缩的 Shapefile（.zip）", "GeoJSON, KML or a zipped Shapefile only")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        if suffix == ".zip":
            try:
                names = zipfile.ZipFile(path).namelist()
            except zipfile.BadZipFile:
                raise _bad("压缩文件已损坏", "the zip file is damaged") from None
            shp = [n for n in names if n.lower().endswith(".shp")]
            if len(shp) != 1:
                raise _bad("压缩包中应恰有一个 .shp 文件", "the zip must hold exactly one .shp") from None
            source = f"/vsizip/{path}/{shp[0]}"
        else:
            source = str(path)
        try:
            layers = [name for name, _ in pyogrio.list_layers(source)]
        except Exception:  # GDAL says why in its own words; the office needs ours
            raise _bad("无法读取该文件", "the file cannot be read") from None
        features = []
        for layer in layers:
            meta, _fids, geometry, fields = pyogrio.raw.read(source, layer=layer)
            crs = meta.get("crs")
            if suffix == ".zip" and crs and crs.upper() not in WGS84_NAMES:
                return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": crs}},
                        "features": []}  # the importer names the wrong coordinate system
            names = list(meta["fields"])
            for k, wkb in enumerate(geometry):
                props = {name: _plain(fields[i][k]) for i, name in enumerate(names)}
                if "parent_cod" in props and "parent_code" not in props:
                    props["parent_code"] = props.pop("parent_cod")  # a DBF field name has at most 10 letters
                if "name" not in props and props.get("Name"):
                    props["name"] = props["Name"]  # KML's placemark name
                geom = mapping(shapely.from_wkb(wkb)) if wkb is not None else None
                features.append({"type": "Feature", "geometry": geom, "properties": props})
        return {"type": "FeatureCollection", "features": features}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value
