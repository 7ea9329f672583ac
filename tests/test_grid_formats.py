"""Grids from the files an office has: KML (Google Earth, 奥维) and zipped Shapefiles (written here by GDAL,
as desktop GIS writes them; read by our converter without GDAL)."""
import io
import re
import zipfile

import numpy as np
import pyogrio
import requests
import shapely
import simplekml
from sqlalchemy import select

from server.extensions import db
from server.grids.formats import read_upload
from server.grids.models import OrgUnit

BOX = [(108.905, 34.345), (108.907, 34.345), (108.907, 34.347), (108.905, 34.347), (108.905, 34.345)]
# Inside 未央区 but outside its three demo townships (each already cut into villages): 草滩 lies here.
FREE = [(x + 0.05, y + 0.047) for x, y in BOX]


def _kml() -> bytes:
    kml = simplekml.Kml()
    poly = kml.newpolygon(name="新建街道", outerboundaryis=FREE)
    for key, value in (("code", "610112099"), ("level", "township"), ("parent_code", "610112")):
        poly.extendeddata.newdata(name=key, value=value)
    return kml.kml().encode("utf-8")


def _shapefile_zip(tmp_path, crs="EPSG:4326", coords=BOX, encoding="UTF-8") -> bytes:
    path = tmp_path / "grids.shp"
    geometry = np.array([shapely.to_wkb(shapely.Polygon(coords))], dtype=object)
    fields = [np.array(["610112010902"], dtype=object), np.array(["新村二"], dtype=object),
              np.array(["village"], dtype=object), np.array(["610112010"], dtype=object)]
    pyogrio.raw.write(str(path), geometry, fields, ["code", "name", "level", "parent_cod"], crs=crs,
                      geometry_type="Polygon", driver="ESRI Shapefile", encoding=encoding)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for part in tmp_path.glob("grids.*"):
            z.write(part, part.name)
    return buf.getvalue()


def test_kml_placemarks_with_their_extended_data():
    doc = read_upload("村界.kml", _kml())
    [feature] = doc["features"]
    props = feature["properties"]
    assert (props["code"], props["name"], props["level"], props["parent_code"]) == (
        "610112099", "新建街道", "township", "610112")
    assert feature["geometry"]["type"] == "Polygon"
    assert shapely.geometry.shape(feature["geometry"]).equals_exact(shapely.Polygon(FREE), 1e-9)


def test_a_zipped_shapefile_and_its_coordinate_system(tmp_path):
    doc = read_upload("grids.zip", _shapefile_zip(tmp_path))
    [feature] = doc["features"]
    assert feature["properties"]["name"] == "新村二" and feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["parent_code"] == "610112010"  # DBF's ten letters ("parent_cod") mapped back
    projected = tmp_path / "p"
    projected.mkdir()
    xy = [(x * 1e5, y * 1e5) for x, y in BOX]
    doc = read_upload("grids.zip", _shapefile_zip(projected, crs="EPSG:3857", coords=xy))
    assert doc["crs"]["properties"]["name"] == "EPSG:3857"  # the importer refuses it by name (wrong_crs)


def test_unreadable_files_are_refused_with_a_reason():
    for name, data in (("a.kml", b"<not-kml"), ("a.zip", b"PK-broken"), ("a.dwg", b"x"), ("a.geojson", b"{")):
        try:
            read_upload(name, data)
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "code", None) == "import.invalid", (name, exc)
            assert exc.errors[0]["message"]
        else:
            raise AssertionError(f"{name} was accepted")


def test_the_console_imports_a_kml_after_its_preview(engine_name, api):
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(api.base + "/console/login").text).group(1)
    s.post(api.base + "/console/login", data={"phone": "13900000001", "password": "Demo@2026", "csrf_token": token})
    page = s.get(api.base + "/console/grids/import").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(api.base + "/console/grids/import", data={"kind": "grids", "csrf_token": token},
               files={"file": ("村界.kml", _kml(), "application/vnd.google-earth.kml+xml")})
    assert r.status_code == 200 and "将导入 1 个网格" in r.text
    assert db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112099")) is None
    preview = re.search(r'name="token" value="([0-9a-f]+)"', r.text).group(1)
    done = s.post(api.base + "/console/grids/import", data={"kind": "grids", "csrf_token": token, "token": preview})
    assert "已导入 1 个网格" in done.text
    db.session.expire_all()
    assert db.session.scalar(select(OrgUnit.name).where(OrgUnit.code == "610112099")) == "新建街道"


OVITAL_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><name>村界</name>
 <Style id="s"><LineStyle><color>ff0000ff</color></LineStyle></Style>
 <Schema name="grid" id="grid"><SimpleField name="code" type="string"/></Schema>
 <Folder><name>汉城街道</name>
  <Placemark><name>两块地的村</name><styleUrl>#s</styleUrl>
   <ExtendedData><SchemaData schemaUrl="#grid"><SimpleData name="code">610112010902</SimpleData>
     <SimpleData name="level">village</SimpleData><SimpleData name="parent_code">610112010</SimpleData>
   </SchemaData></ExtendedData>
   <MultiGeometry>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      108.905,34.345,0 108.907,34.345,0 108.907,34.347,0 108.905,34.347,0 108.905,34.345,0
    </coordinates></LinearRing></outerBoundaryIs>
    <innerBoundaryIs><LinearRing><coordinates>108.9055,34.3455 108.9060,34.3455 108.9060,34.3460 108.9055,34.3455
    </coordinates></LinearRing></innerBoundaryIs></Polygon>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>108.91,34.345 108.911,34.345 108.911,34.346 108.91,34.345
    </coordinates></LinearRing></outerBoundaryIs></Polygon>
   </MultiGeometry></Placemark>
  <Placemark><name>河段</name><LineString><tessellate>1</tessellate>
   <coordinates>108.905,34.345 108.906, 34.346</coordinates></LineString></Placemark>
 </Folder></Document></kml>"""


def test_kml_as_ovital_and_google_earth_write_it():
    """Folders, styles, a schema's SimpleData, heights, a polygon with a hole and a MultiGeometry."""
    doc = read_upload("村界.kml", OVITAL_KML.encode("utf-8"))
    grid, line = doc["features"]
    assert grid["properties"] == {"code": "610112010902", "level": "village", "parent_code": "610112010",
                                  "name": "两块地的村"}
    shape = shapely.geometry.shape(grid["geometry"])
    assert shape.geom_type == "MultiPolygon" and len(shape.geoms) == 2 and len(shape.geoms[0].interiors) == 1
    assert line["properties"] == {"name": "河段"}
    assert line["geometry"] == {"type": "LineString", "coordinates": [[108.905, 34.345], [108.906, 34.346]]}


def test_kml_with_a_doctype_or_entities_is_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&b;</name></Placemark></kml>')
    external = ('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&x;</name></Placemark></kml>')
    for text in (bomb, external):
        try:
            read_upload("村界.kml", text.encode())
        except Exception as exc:  # noqa: BLE001
            assert exc.errors[0]["reason"] == "not_kml" and "root:" not in str(exc.errors)
        else:
            raise AssertionError("accepted")


def test_a_chinese_shapefile_in_gbk_with_or_without_its_cpg(tmp_path):
    data = _shapefile_zip(tmp_path, encoding="GBK")
    assert read_upload("grids.zip", data)["features"][0]["properties"]["name"] == "新村二"
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # ArcGIS of old wrote no .cpg: GB18030 is tried after UTF-8
        members = {n: z.read(n) for n in z.namelist() if not n.endswith(".cpg")}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, blob in members.items():
            z.writestr(name, blob)
    assert read_upload("grids.zip", buf.getvalue())["features"][0]["properties"]["name"] == "新村二"
