"""Hostile grid files sent to the console's import, as an attacker with an admin's account would.

Before: GDAL read every upload with every driver on. A VRT named ``.kml`` (or inside the zip)
read any file on the server into the error list and fetched URLs; a SQLite file crashed the
process; a zip of a million null records took 39 s and 3.8 GB. Each is now refused by content
with a 422 naming the reason in Chinese, nothing is read, fetched or written.
"""
from __future__ import annotations

import http.server
import io
import re
import sqlite3
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import requests
import shapely
from flask import current_app
from sqlalchemy import func, select

from server.demo import DEMO_PASSWORD
from server.extensions import db
from server.grids import formats
from server.grids.models import OrgUnit, River, RiverSegment
from shared_models.errors import IMPORT_REASONS

ADMIN = "13900000001"
FREE = [(108.955, 34.392), (108.957, 34.392), (108.957, 34.394), (108.955, 34.394), (108.955, 34.392)]
SECRET = "RIVERPATROL_SECRET_KEY=do-not-leak-4f1c9e"


# --- the console, as a signed-in administrator ---------------------------------------------

def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def upload(api, name: str, data: bytes, kind: str = "grids") -> requests.Response:
    with requests.Session() as s:
        s.post(api.base + "/console/login", data={"phone": ADMIN, "password": DEMO_PASSWORD,
                                                  "csrf_token": _csrf(s.get(api.base + "/console/login").text)})
        token = _csrf(s.get(api.base + "/console/grids/import").text)
        return s.post(api.base + "/console/grids/import", data={"kind": kind, "csrf_token": token},
                      files={"file": (name, data)}, timeout=60)


def state() -> tuple:
    """What an import could change: the rows, and the previews waiting in the instance folder."""
    db.session.rollback()
    folder = Path(current_app.instance_path) / "console-imports"
    return (tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (OrgUnit, RiverSegment, River)),
            sorted(p.name for p in folder.glob("*")) if folder.exists() else [])


def refused(r: requests.Response, reason: str) -> None:
    """A 422 page listing ``reason`` with its Chinese message."""
    assert r.status_code == 422, r.text[:500]
    assert f'data-reason="{reason}"' in r.text, re.findall(r'data-reason="[^"]+"[^<]*', r.text)[:5]
    assert IMPORT_REASONS[reason][0] in r.text and "未导入任何内容" in r.text


# --- files that are not what their name says ----------------------------------------------

def vrt(source: str) -> bytes:
    """A GDAL VRT mapping the lines of ``source`` (read as CSV) to grid codes."""
    return f"""<OGRVRTDataSource><OGRVRTLayer name="p"><SrcDataSource>CSV:{source}</SrcDataSource>
<OpenOptions><OOI key="HEADERS">NO</OOI></OpenOptions>
<GeometryType>wkbPoint</GeometryType><GeometryField encoding="PointFromColumns" x="field_1" y="field_1"/>
<Field name="code" src="field_1"/></OGRVRTLayer></OGRVRTDataSource>""".encode()


@pytest.fixture
def web():
    """A web server on loopback that counts the requests it gets (a /vsicurl/ target)."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"code\nFETCHED\n")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_a_vrt_named_kml_reads_no_file_and_fetches_nothing(engine_name, api, tmp_path, web):
    env_file = tmp_path / "riverpatrol.env"
    env_file.write_text(SECRET + "\n")
    url, hits = web
    before = state()
    for source in ("/etc/passwd", str(env_file), f"/vsicurl/{url}/grids.csv"):
        r = upload(api, "村界.kml", vrt(source))
        refused(r, "not_kml")
        assert "root:x:0:0" not in r.text and SECRET not in r.text and "FETCHED" not in r.text
    assert hits == []  # the URL was never asked for
    assert state() == before


def sqlite_file(tmp_path: Path) -> bytes:
    path = tmp_path / "x.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (code TEXT)")
        conn.execute("INSERT INTO t VALUES ('610112999')")
    return path.read_bytes()


def geopackage(tmp_path: Path) -> bytes:
    path = tmp_path / "x.gpkg"
    pyogrio.raw.write(str(path), np.array([shapely.to_wkb(shapely.Polygon(FREE))], dtype=object),
                      [np.array(["610112099"], dtype=object)], ["code"], driver="GPKG", crs="EPSG:4326",
                      geometry_type="Polygon")
    return path.read_bytes()


def zipped(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16  # a symbolic link, its target as content
            z.writestr(info, "/etc/passwd")
    return buf.getvalue()


def shapefile_parts(tmp_path: Path, stem: str = "grids") -> dict[str, bytes]:
    """A real one-village Shapefile (GDAL writes it, as QGIS or ArcGIS would)."""
    folder = tmp_path / "shp"
    folder.mkdir(parents=True, exist_ok=True)
    pyogrio.raw.write(str(folder / f"{stem}.shp"), np.array([shapely.to_wkb(shapely.Polygon(FREE))], dtype=object),
                      [np.array(["610112099"], dtype=object), np.array(["新建街道"], dtype=object),
                       np.array(["township"], dtype=object), np.array(["610112"], dtype=object)],
                      ["code", "name", "level", "parent_cod"], crs="EPSG:4326", geometry_type="Polygon",
                      driver="ESRI Shapefile", encoding="UTF-8")
    return {p.name: p.read_bytes() for p in folder.glob(f"{stem}.*")}


def test_databases_and_vrts_in_any_disguise_are_refused(engine_name, api, tmp_path):
    lite, gpkg, parts = sqlite_file(tmp_path), geopackage(tmp_path), shapefile_parts(tmp_path)
    cases = [
        ("a SQLite file named .kml", "村界.kml", lite, "not_kml"),
        ("a GeoPackage named .kml", "村界.kml", gpkg, "not_kml"),
        ("a SQLite file named .zip", "村界.zip", lite, "not_zip"),
        ("a GeoPackage named .geojson", "村界.geojson", gpkg, "not_geojson"),
        ("a VRT in the zip", "村界.zip", zipped({**parts, "grids.vrt": vrt("/etc/passwd")}), "zip_member_not_allowed"),
        ("a VRT as the .shp", "村界.zip", zipped({**parts, "grids.shp": vrt("/etc/passwd")}), "not_shapefile"),
        ("a SQLite file as the .dbf", "村界.zip", zipped({**parts, "grids.dbf": lite}), "not_shapefile"),
        ("a GeoPackage in the zip", "村界.zip", zipped({**parts, "grids.gpkg": gpkg}), "zip_member_not_allowed"),
        ("a zip in the zip", "村界.zip", zipped({**parts, "inner.zip": zipped(parts)}), "zip_member_not_allowed"),
    ]
    before = state()
    for case, name, data, reason in cases:
        r = upload(api, name, data)
        try:
            refused(r, reason)
        except AssertionError as exc:
            raise AssertionError(case) from exc
        assert "root:x:0:0" not in r.text and "610112999" not in r.text, case
    assert state() == before
    r = upload(api, "村界.zip", zipped(parts))  # the same Shapefile, untampered, previews fine
    assert r.status_code == 200 and "将导入 1 个网格" in r.text


def test_hostile_zips_are_refused_before_anything_is_read(engine_name, api, tmp_path):
    parts = shapefile_parts(tmp_path)
    bomb = zipped({**parts, "grids.dbf": b"\0" * (40 << 20)})  # 40 MB of zeros in about 40 KB
    ratio_bomb = zipped({**parts, "grids.prj": parts["grids.prj"], "grids.dbf": b" " * (20 << 20)})
    cases = [
        ("a path out of the folder", zipped({"../../grids.shp": parts["grids.shp"],
                                             **{k: v for k, v in parts.items() if k != "grids.shp"}}),
         "zip_member_path"),
        ("an absolute path", zipped({"/tmp/grids.shp": parts["grids.shp"]}), "zip_member_path"),
        ("a symbolic link", zipped({k: v for k, v in parts.items() if k != "grids.cpg"}, links=("grids.cpg",)),
         "zip_link"),
        ("too many members", zipped({**parts, **{f"x{i}.sbn": b"" for i in range(20)}}), "zip_too_many_members"),
        ("a zip bomb over the size cap", bomb, "zip_too_large"),
        ("a zip bomb under the cap", ratio_bomb, "zip_too_large"),
        ("a .shp without its .dbf", zipped({k: v for k, v in parts.items() if not k.endswith(".dbf")}),
         "one_shapefile"),
        ("two Shapefiles", zipped({**parts, **shapefile_parts(tmp_path / "b", "other")}), "one_shapefile"),
    ]
    assert len(bomb) < 200_000 and len(ratio_bomb) < 200_000
    before = state()
    for case, data, reason in cases:
        r = upload(api, "村界.zip", data)
        try:
            refused(r, reason)
        except AssertionError as exc:
            raise AssertionError(case) from exc
        assert "root:x:0:0" not in r.text, case
    assert state() == before


def null_shapefile(records: int) -> dict[str, bytes]:
    """A Shapefile of ``records`` null shapes with one text field, made byte by byte (small when zipped)."""
    def header(words: int) -> bytes:
        return struct.pack(">7i", 9994, 0, 0, 0, 0, 0, words) + struct.pack("<2i4d4d", 1000, 5, *([0.0] * 8))

    n = np.arange(records)
    shp = np.zeros(records, dtype=[("num", ">i4"), ("len", ">i4"), ("type", "<i4")])
    shp["num"], shp["len"] = n + 1, 2
    shx = np.zeros(records, dtype=[("offset", ">i4"), ("len", ">i4")])
    shx["offset"], shx["len"] = 50 + 6 * n, 2
    field = b"code".ljust(11, b"\0") + b"C" + b"\0" * 4 + bytes([1, 0]) + b"\0" * 14
    dbf_head = struct.pack("<B3BIHH20x", 3, 126, 11, 20, records, 32 + 32 + 1, 2) + field + b"\r"
    return {"nulls.shp": header(50 + 6 * records) + shp.tobytes(),
            "nulls.shx": header(50 + 4 * records) + shx.tobytes(),
            "nulls.dbf": dbf_head + b" X" * records + b"\x1a"}


def test_a_million_null_records_are_refused_at_once(engine_name, api):
    data = zipped(null_shapefile(1_000_000))
    assert len(data) < 8 << 20  # under the body limit: the server has to answer it
    before = state()
    r = upload(api, "nulls.zip", data)
    refused(r, "too_many_features")
    assert "1000000 &gt; 20000" in r.text and len(r.text) < 20_000
    assert state() == before


def test_a_polygon_of_thousands_of_rings_is_refused_before_its_quadratic_sorting(engine_name, api):
    import shapefile

    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as w:
        w.field("code", "C")
        squares = [[(x, y), (x, y + 3e-5), (x + 3e-5, y + 3e-5), (x + 3e-5, y), (x, y)]
                   for x in np.arange(108.955, 108.957, 4e-5) for y in np.arange(34.392, 34.394, 4e-5)]
        w.poly(squares[:1500] + [ring[::-1] for ring in squares[1500:]])  # 1,500 outer rings, 1,000 holes
        w.record("610112099")
    before = state()
    r = upload(api, "rings.zip", zipped({"rings.shp": shp.getvalue(), "rings.shx": shx.getvalue(),
                                         "rings.dbf": dbf.getvalue()}))
    refused(r, "too_complex")
    assert state() == before


def test_a_long_list_of_problems_is_cut_to_the_first_hundred_and_counted(engine_name, api):
    before = state()
    r = upload(api, "nulls.zip", zipped(null_shapefile(20_000)))  # as many as allowed, every one bad
    assert r.status_code == 422
    count = int(re.search(r"共 (\d+) 处问题，以下是前 100 处", r.text).group(1))
    assert count >= 3 * 20_000  # no name, no level, no geometry (and one code twenty thousand times)
    assert r.text.count("<li data-reason=") == 100 and len(r.text) < 60_000
    assert state() == before


def test_a_crash_or_a_limit_in_the_converter_is_a_clean_422(engine_name, api, tmp_path, monkeypatch):
    kml = ("<kml xmlns='http://www.opengis.net/kml/2.2'><Placemark><name>新建街道</name><ExtendedData>"
           + "".join(f"<Data name='{k}'><value>{v}</value></Data>" for k, v in
                     (("code", "610112099"), ("level", "township"), ("parent_code", "610112")))
           + "</ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>"
           + " ".join(f"{x},{y}" for x, y in FREE) + "</coordinates></LinearRing></outerBoundaryIs></Polygon>"
           "</Placemark></kml>").encode()
    crash = tmp_path / "crash.py"
    crash.write_text("import ctypes\nctypes.string_at(0)\n")  # a segfault, as libgdal had on SQLite files
    before = state()
    monkeypatch.setattr(formats, "CHILD", crash)
    refused(upload(api, "村界.kml", kml), "unreadable")
    monkeypatch.undo()
    monkeypatch.setattr(formats, "LIMITS", {**formats.LIMITS, "memory_bytes": 16 << 20})  # too little to run
    refused(upload(api, "村界.kml", kml), "unreadable")
    monkeypatch.undo()
    assert state() == before
    r = upload(api, "村界.kml", kml)  # the same server, unharmed, with the real converter
    assert r.status_code == 200 and "将导入 1 个网格" in r.text


def test_previews_do_not_pile_up(engine_name, api, tmp_path):
    from server.auth.models import User

    admin = db.session.scalar(select(User.id).where(User.phone == ADMIN))
    parts = shapefile_parts(tmp_path)
    for _ in range(3):
        assert upload(api, "村界.zip", zipped(parts)).status_code == 200
    assert len([n for n in state()[1] if n.startswith(f"{admin}-")]) == 1  # the last waits; the two before are gone
