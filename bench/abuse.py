"""Hostile input at the limits, against the production server: the time and peak memory of each.

Every input runs against a fresh production server: gunicorn with the shipped configuration
(deploy/gunicorn.conf.py, one gthread worker, production's Argon2 cost, RIVERPATROL_ENV=
production) on a copy of a SpatiaLite (or, ``--engine postgis``, a PostGIS) database holding
the demo county. The worker's peak resident memory is read from the kernel (VmHWM in
/proc/PID/status, reset to the current size through /proc/PID/clear_refs just before the
input), so the figure is what the input costs above the warmed-up worker, including what
Python freed but did not give back. The time is the wall time until every answer of the
input has arrived (an upload includes reading the patrol back, as the phone and the console
do).

Prints ``name: value`` lines: ``abuse_<input>_ms`` and ``abuse_<input>_mb`` per input, the
answers' statuses on stderr, then ``abuse_worst_ms`` and ``abuse_worst_mb`` (the goals:
<= 2,000 ms and <= 256 MB above idle). An input answered with a 5xx, or with a status it
should not get, fails the bench (exit 1) after printing.

    python bench/abuse.py                    # every input, SpatiaLite (make bench)
    python bench/abuse.py --engine postgis --only jitter_200k replay_5k_beside_200k
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing
VENV_BIN = Path(sys.executable).parent
SECRET = "abuse-bench-secret-key-0123456789abcdef0123"
ADMIN, INSPECTOR, PASSWORD = "13900000001", "13900000101", "Demo@2026"
MAX_BODY = 8 * 1024 * 1024

from tests.services import free_port  # noqa: E402  (after the path is set)
from tests.tracks import walk_along  # noqa: E402

# ---- the server -------------------------------------------------------------------------------

def build_database(engine: str, tmp: Path, cluster) -> tuple[str, callable]:
    """A migrated database with the demo county (passwords at production cost); a copier for fresh ones."""
    import flask_migrate

    from server import create_app
    from server.demo import load_demo
    from server.extensions import db

    if engine == "spatialite":
        template = tmp / "template.sqlite"
        url = f"sqlite:///{template}"
    else:
        url = cluster.create_postgis_database("abuse_template")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        flask_migrate.upgrade()
        load_demo()
        db.session.remove()
        db.engine.dispose()
    counter = iter(range(10_000))

    def fresh() -> str:
        n = next(counter)
        if engine == "spatialite":
            dest = tmp / f"db-{n}.sqlite"
            shutil.copyfile(template, dest)
            return f"sqlite:///{dest}"
        import sqlalchemy as sa

        admin = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE abuse_{n} TEMPLATE abuse_template STRATEGY FILE_COPY")
        admin.dispose()
        return cluster.url(f"abuse_{n}")

    return url, fresh


class Server:
    """gunicorn (the shipped configuration, one worker) on a fresh copy of the database."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        photos = tmp / f"photos-{self.port}"
        photos.mkdir()
        env = {**os.environ, "RIVERPATROL_DATABASE_URL": url, "RIVERPATROL_ENV": "production",
               "RIVERPATROL_SECRET_KEY": SECRET, "RIVERPATROL_PHOTO_DIR": str(photos),
               "RIVERPATROL_INSTANCE": str(tmp / f"instance-{self.port}"), "RIVERPATROL_LOG_LEVEL": "WARNING",
               "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "1", "GUNICORN_TIMEOUT": "600",
               "PYTHONPATH": str(ROOT)}
        self.log = open(tmp / f"server-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py")],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.base + "/api/v1/health/live", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn did not come up: see {self.log.name}")
            time.sleep(0.2)
        self.worker = self._worker_pid()
        self.tokens: dict[str, str] = {}
        self.consoles: dict[str, tuple[requests.Session, str]] = {}

    def _worker_pid(self) -> int:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        if len(children) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {children}")
        return int(children[0])

    def _status_kib(self, key: str) -> int:
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def reset_peak(self) -> int:
        """The worker's resident size now (KiB), which becomes its peak."""
        Path(f"/proc/{self.worker}/clear_refs").write_text("5")
        return self._status_kib("VmRSS")

    def peak_kib(self) -> int:
        return self._status_kib("VmHWM")

    def token(self, phone: str) -> str:
        if phone not in self.tokens:
            r = requests.post(self.base + "/api/v1/auth/login", timeout=60,
                              json={"phone": phone, "password": PASSWORD, "device_id": f"abuse-{phone}"})
            r.raise_for_status()
            self.tokens[phone] = r.json()["access_token"]
        return self.tokens[phone]

    def post(self, path: str, phone: str | None = None, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if phone:
            headers["Authorization"] = f"Bearer {self.token(phone)}"
        return requests.post(self.base + path, headers=headers, timeout=600, **kw)

    def get(self, path: str, phone: str, **kw) -> requests.Response:
        return requests.get(self.base + path, headers={"Authorization": f"Bearer {self.token(phone)}"},
                            timeout=600, **kw)

    def console(self, phone: str) -> tuple[requests.Session, str]:
        """A signed-in console session and its CSRF token (signed in once, before the input is timed)."""
        import re

        if phone in self.consoles:
            return self.consoles[phone]
        s = requests.Session()
        page = s.get(self.base + "/console/login", timeout=30).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        s.post(self.base + "/console/login", data={"phone": phone, "password": PASSWORD, "csrf_token": csrf},
               timeout=60)
        page = s.get(self.base + "/console/grids/import", timeout=30).text
        self.consoles[phone] = s, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.consoles[phone]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# ---- what an inspector's phone can send --------------------------------------------------------

def card_of(srv: Server, phone: str) -> dict:
    return srv.get("/api/v1/me/cards", phone).json()["cards"][0]


def segment_line(card: dict):
    from shapely.geometry import shape

    return shape(card["segments"][0]["geometry"]) if card["segments"][0].get("geometry") else None


def patrol_body(card: dict, track, segment_id: int | None = None) -> dict:
    from shared_models.track import codec

    return {"uuid": str(uuid.uuid4()), "card_id": card["id"],
            "segment_ids": [segment_id or card["segments"][0]["id"]],
            "started_at": dt.datetime.fromtimestamp(track.t[0], dt.UTC).isoformat(),
            "ended_at": dt.datetime.fromtimestamp(track.t[-1], dt.UTC).isoformat(),
            "track": base64.b64encode(codec.encode(track)).decode(),
            "checklist": {"垃圾": "无"}, "notes": "巡河"}


def recent_start(hours_ago: float) -> float:
    return time.time() - hours_ago * 3600


def jitter_blob(n: int, lon: float, lat: float, start: float, seed: int = 1):
    """A phone lying still for ``n`` seconds: every fix within a few metres of one spot."""
    from shared_models.track import Track

    rng = np.random.default_rng(seed)
    return Track(np.round(lon + rng.normal(0, 3e-5, n), 7), np.round(lat + rng.normal(0, 3e-5, n), 7),
                 start + np.arange(n, dtype=float), rng.uniform(3, 30, n).round(1))


def on_a_line(n: int, lon: float, lat: float, start: float, metres: float = 0.7):
    """``n`` fixes back and forth on a line ``metres`` long: every fix within a metre of every other."""
    from shared_models.track import Track

    k = np.arange(n)
    step = metres / 111_320.0
    return Track(np.round(lon + (k % 8) * step / 8, 7), np.full(n, round(lat, 7)), start + k.astype(float),
                 np.full(n, 5.0))


def upload_and_read(srv: Server, phone: str, body: dict) -> list[int]:
    r = srv.post("/api/v1/patrols", phone, json=body)
    statuses = [r.status_code]
    if r.status_code == 201:
        statuses.append(srv.get(f"/api/v1/patrols/{body['uuid']}", phone).status_code)
    return statuses


# ---- the inputs ---------------------------------------------------------------------------------
# Each: (setup(srv) -> state, run(srv, state) -> statuses, accepted statuses)

def _wide_json(size: int) -> bytes:
    return b"[" + b"0," * ((size - 2) // 2 - 1) + b"0]"


def login_8mb_body():
    return lambda srv: None, _posted_at_once("/api/v1/auth/login", _wide_json(MAX_BODY - 1024), 1), {413}


def _at_once(calls: list) -> list:
    """Every call in its own thread, all at once; their results."""
    out = [None] * len(calls)

    def one(i):
        out[i] = calls[i]()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _posted_at_once(path: str, body: bytes, n: int):
    return lambda srv, _: _at_once([lambda: srv.post(path, data=body, headers={
        "Content-Type": "application/json"}).status_code] * n)


def logins_wide_8mb_x4():
    return lambda srv: None, _posted_at_once("/api/v1/auth/login", _wide_json(MAX_BODY - 1024), 4), {413}


def patrol_8mb_of_json():
    """An inspector's upload route (large bodies allowed): 8 MB of a JSON array."""
    def setup(srv):
        srv.token(INSPECTOR)
        return _wide_json(MAX_BODY - 1024)
    return (setup, lambda srv, body: [srv.post("/api/v1/patrols", INSPECTOR, data=body,
                                               headers={"Content-Type": "application/json"}).status_code],
            {413, 422, 400})


def patrol_8mb_stranger_x4():
    """Four 8 MB bodies at once, each with a NUL at its end, to the patrol upload, without signing in."""
    body = _wide_json(MAX_BODY - 1024)[:-1] + b',"\\u0000"]'
    return lambda srv: None, _posted_at_once("/api/v1/patrols", body, 4), {401}


def _wrong_logins(phones: list[str]):
    def guess(srv, i, phone):
        return lambda: requests.post(srv.base + "/api/v1/auth/login", timeout=600, json={
            "phone": phone, "password": "wrong-password", "device_id": f"guess-{i}"}).status_code
    return lambda srv: None, lambda srv, _: _at_once([guess(srv, i, p) for i, p in enumerate(phones)]), \
        {401, 429, 503}


def logins_one_phone_30():
    """30 wrong passwords at once for one account (the red team's 14 all got a password check)."""
    return _wrong_logins([INSPECTOR] * 30)


def logins_spray_30_phones():
    """30 wrong passwords at once, one for each of 30 accounts (23 inspectors and 7 unknown numbers),
    from one address, at production's Argon2 cost (64 MiB, 0.14 s each here): a phone with no
    failures may still be tried from an address past its limit, so most are checked."""
    return _wrong_logins([f"139000001{1 + i:02d}" if i < 23 else f"1380000{i:04d}" for i in range(30)])


def _walk(srv, fixes: int):
    card = card_of(srv, INSPECTOR)
    line = segment_line(card)
    track = walk_along(line, recent_start(fixes / 3600 + 1), seed=7)
    reps = -(-fixes // len(track))
    from shared_models.track import Track

    lon, lat = np.tile(track.lon, reps)[:fixes], np.tile(track.lat, reps)[:fixes]
    return card, Track(lon, lat, track.t[0] + np.arange(fixes, dtype=float), np.full(fixes, 5.0))


def largest_track():
    """The most fixes a patrol may hold (200,000: 55 hours at 1 Hz), walked along the card's segment."""
    def setup(srv):
        card, track = _walk(srv, 200_000)
        return patrol_body(card, track)
    return setup, lambda srv, body: upload_and_read(srv, INSPECTOR, body), {201, 200, 422}


def jitter_200k():
    """A still phone: 200,000 fixes jittering within metres (1.6 MB of base64)."""
    def setup(srv):
        card = card_of(srv, INSPECTOR)
        x, y = segment_line(card).coords[0]
        return patrol_body(card, jitter_blob(200_000, x, y, recent_start(56)))
    return setup, lambda srv, body: upload_and_read(srv, INSPECTOR, body), {201, 200, 422}


def _beside(stored, upload):
    """``upload(x, y)`` timed, after ``stored(x, y)`` was uploaded (x, y: the start of the card's segment)."""
    def setup(srv):
        card = card_of(srv, INSPECTOR)
        x, y = segment_line(card).coords[0]
        assert srv.post("/api/v1/patrols", INSPECTOR, json=patrol_body(card, stored(x, y))).status_code == 201
        return patrol_body(card, upload(x, y))
    return setup, lambda srv, body: upload_and_read(srv, INSPECTOR, body), {201, 200, 422}


def replay_10k_on_a_line():
    """Two uploads of 10,000 fixes on a 0.7 m line: every fix within a metre of every other (timed: the second)."""
    return _beside(lambda x, y: on_a_line(10_000, x, y, recent_start(8)),
                   lambda x, y: on_a_line(10_000, x, y, recent_start(5)))


def replay_5k_beside_200k():
    """A 5,000-fix upload beside a stored 200,000-fix patrol of the same spot."""
    return _beside(lambda x, y: jitter_blob(200_000, x, y, recent_start(120)),
                   lambda x, y: on_a_line(5_000, x, y, recent_start(3)))


def gpx_import_8mb():
    """A handheld GPS's file at the body limit, through /patrols/import-gpx."""
    def setup(srv):
        card, track = _walk(srv, 1)
        line = segment_line(card)
        start = recent_start(30)
        pts = []
        x, y = line.coords[0]
        i = 0
        size = 0
        while size < MAX_BODY - 64 * 1024:
            t = dt.datetime.fromtimestamp(start + i, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            p = f'<trkpt lat="{y + (i % 50) * 1e-6:.7f}" lon="{x + (i % 37) * 1e-6:.7f}"><time>{t}</time></trkpt>'
            pts.append(p)
            size += len(p)
            i += 1
        gpx = ('<?xml version="1.0"?><gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">'
               "<trk><trkseg>" + "".join(pts) + "</trkseg></trk></gpx>").encode()
        return card, gpx

    def run(srv, state):
        card, gpx = state
        r = srv.post("/api/v1/patrols/import-gpx", INSPECTOR, data={
            "uuid": str(uuid.uuid4()), "card_id": str(card["id"])}, files={"file": ("track.gpx", gpx)})
        return [r.status_code]
    return setup, run, {201, 422, 413}


def _grid_features(target: int) -> bytes:
    """Village grids inside 六村堡街道 as GeoJSON, ``target`` bytes of them (tiny squares, many vertices)."""
    feats, size, k = [], 0, 0
    while size < target:
        x0, y0 = 108.84 + (k % 40) * 2e-4, 34.36 + (k // 40) * 2e-4
        ring = [[round(x0 + 1e-4 * np.cos(a), 7), round(y0 + 1e-4 * np.sin(a), 7)]
                for a in np.linspace(0, 2 * np.pi, 200)[:-1]]
        ring.append(ring[0])
        f = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
             "properties": {"code": f"AB{k:06d}", "name": f"测试村{k}", "level": "village",
                            "parent_code": "610112008"}}
        text = json.dumps(f)
        feats.append(text)
        size += len(text) + 1
        k += 1
    return ('{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}").encode()


def import_geojson_8mb():
    """An administrator's largest grid import (8 MB of GeoJSON) through the API."""
    def setup(srv):
        srv.token(ADMIN)
        return _grid_features(MAX_BODY - 128 * 1024)
    return (setup, lambda srv, body: [srv.post("/api/v1/grids/import", ADMIN, data=body,
                                               headers={"Content-Type": "application/json"}).status_code],
            {201, 422})


def _villages(target_bytes: int):
    """The same village grids as ``_grid_features``, as (properties, ring) pairs."""
    doc = json.loads(_grid_features(target_bytes))
    return [(f["properties"], f["geometry"]["coordinates"][0]) for f in doc["features"]]


def import_kml_largest():
    """An office's KML (Google Earth, 奥维) at the body limit: village polygons with ExtendedData."""
    def setup(srv):
        import simplekml

        kml = simplekml.Kml()
        for props, ring in _villages(MAX_BODY * 2 // 3):  # KML's markup is a third more than GeoJSON's
            poly = kml.newpolygon(name=props["name"], outerboundaryis=[tuple(p) for p in ring])
            for key in ("code", "level", "parent_code"):
                poly.extendeddata.newdata(name=key, value=props[key])
        data = kml.kml().encode()
        while len(data) > MAX_BODY - 64 * 1024:
            raise RuntimeError(f"the KML is {len(data)} bytes")
        return data
    return setup, lambda srv, data: _console_import(srv, "村界.kml", data), {200}


def import_shapefile_largest():
    """A zipped Shapefile of as many village polygons as an import takes (about the GeoJSON's)."""
    def setup(srv):
        import tempfile

        import pyogrio
        import shapely

        rows = _villages(MAX_BODY - 128 * 1024)
        folder = Path(tempfile.mkdtemp())
        geometry = np.array([shapely.to_wkb(shapely.Polygon(ring)) for _, ring in rows], dtype=object)
        fields = [np.array([p[k] for p, _ in rows], dtype=object) for k in ("code", "name", "level", "parent_code")]
        pyogrio.raw.write(str(folder / "grids.shp"), geometry, fields, ["code", "name", "level", "parent_cod"],
                          crs="EPSG:4326", geometry_type="Polygon", driver="ESRI Shapefile", encoding="UTF-8")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for part in folder.glob("grids.*"):
                z.write(part, part.name)
        shutil.rmtree(folder)
        return buf.getvalue()
    return setup, lambda srv, data: _console_import(srv, "grids.zip", data), {200}


def _console_import(srv, name: str, data: bytes) -> list[int]:
    s, csrf = srv.console(ADMIN)
    r = s.post(srv.base + "/console/grids/import", data={"kind": "grids", "csrf_token": csrf},
               files={"file": (name, data)}, timeout=600)
    return [r.status_code]


def _shapefile_of_nulls(records: int) -> bytes:
    """A zipped Shapefile whose .shp holds ``records`` null shapes (12 bytes each) and a matching .dbf."""
    shp = io.BytesIO()
    body = b"".join(struct.pack(">ii", k + 1, 2) + struct.pack("<i", 0) for k in range(records))
    length = (100 + len(body)) // 2
    header = (struct.pack(">7i", 9994, 0, 0, 0, 0, 0, length) + struct.pack("<2i", 1000, 5)
              + struct.pack("<8d", *[0] * 8))
    shp.write(header + body)
    shx = header[:24] + struct.pack(">i", (100 + 8 * records) // 2) + header[28:] + b"".join(
        struct.pack(">ii", (100 + 12 * k) // 2, 2) for k in range(records))
    dbf_header = struct.pack("<BBBBIHH20x", 3, 126, 1, 1, records, 32 + 32 + 1, 1 + 10)
    field = b"code".ljust(11, b"\0") + b"C" + b"\0" * 4 + bytes([10, 0]) + b"\0" * 14
    dbf = dbf_header + field + b"\r" + (b" " + b" " * 10) * records + b"\x1a"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("grids.shp", shp.getvalue())
        z.writestr("grids.shx", shx)
        z.writestr("grids.dbf", dbf)
        z.writestr("grids.prj", 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
                                'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')
    return buf.getvalue()


def import_shapefile_million_nulls():
    data = _shapefile_of_nulls(1_000_000)
    return lambda srv: None, lambda srv, _: _console_import(srv, "grids.zip", data), {422, 200}


def import_vrt_as_kml():
    vrt = (b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
           b"</OGRVRTLayer></OGRVRTDataSource>")
    return lambda srv: None, lambda srv, _: _console_import(srv, "村界.kml", vrt), {422}


def import_zip_bomb():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for part in ("grids.shp", "grids.dbf", "grids.shx"):
            z.writestr(part, b"\0" * (1 << 30 if part == "grids.shp" else 1024))
    data = buf.getvalue()
    return lambda srv: None, lambda srv, _: _console_import(srv, "grids.zip", data), {422, 413}


def photo_largest():
    """The largest photo the server takes: a 25-megapixel JPEG, sent in chunks (the last is checked)."""
    import hashlib

    from PIL import Image

    def setup(srv):
        rng = np.random.default_rng(3)
        img = Image.fromarray(rng.integers(0, 255, (5000, 5000, 3), dtype=np.uint8))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=60)
        data = buf.getvalue()[:20 * 1024 * 1024]
        srv.token(INSPECTOR)
        return data, hashlib.sha256(data).hexdigest()

    def run(srv, state):
        data, digest = state
        pid = str(uuid.uuid4())
        r = srv.post("/api/v1/photos", INSPECTOR, json={"uuid": pid, "size": len(data), "sha256": digest})
        out, offset = [r.status_code], 0
        while offset < len(data) and r.status_code < 300:
            r = requests.patch(srv.base + f"/api/v1/photos/{pid}", data=data[offset:offset + 256 * 1024], timeout=600,
                               headers={"Authorization": f"Bearer {srv.token(INSPECTOR)}", "Upload-Offset": str(offset),
                                        "Content-Type": "application/offset+octet-stream"})
            offset = r.json().get("offset", len(data)) if r.status_code == 200 else len(data)
        out.append(r.status_code)
        return out
    return setup, run, {200, 201, 422}


INPUTS = {f.__name__: f for f in (
    login_8mb_body, logins_wide_8mb_x4, patrol_8mb_of_json, patrol_8mb_stranger_x4, logins_one_phone_30,
    logins_spray_30_phones, largest_track, jitter_200k, replay_10k_on_a_line, replay_5k_beside_200k,
    gpx_import_8mb, import_geojson_8mb, import_kml_largest, import_shapefile_largest,
    import_shapefile_million_nulls, import_vrt_as_kml, import_zip_bomb, photo_largest)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=("spatialite", "postgis"), default="spatialite")
    ap.add_argument("--only", nargs="*", choices=sorted(INPUTS), help="these inputs only")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="riverpatrol-abuse-"))
    cluster = None
    if args.engine == "postgis":
        from tests.pgcluster import Cluster

        cluster = Cluster().start()
    failed = []
    worst_ms = worst_mb = 0.0
    try:
        _template, fresh = build_database(args.engine, tmp, cluster)
        for name in args.only or INPUTS:
            setup, run, accepted = INPUTS[name]()
            srv = Server(fresh(), tmp)
            try:
                state = setup(srv)
                srv.get("/api/v1/me/cards", INSPECTOR)  # warm: imports, pools, first queries
                srv.console(ADMIN)
                idle = srv.reset_peak()
                began = time.perf_counter()
                statuses = run(srv, state)
                ms = (time.perf_counter() - began) * 1000
                mb = max(0, srv.peak_kib() - idle) / 1024
            finally:
                srv.stop()
            print(f"abuse_{name}_ms: {ms:.0f}")
            print(f"abuse_{name}_mb: {mb:.1f}")
            print(f"{name}: statuses {sorted(set(statuses))}", file=sys.stderr)
            sys.stdout.flush()
            worst_ms, worst_mb = max(worst_ms, ms), max(worst_mb, mb)
            if any(s >= 500 and s != 503 for s in statuses) or not set(statuses) <= accepted | {503}:
                failed.append(f"{name}: {statuses}")
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"abuse_worst_ms: {worst_ms:.0f}")
    print(f"abuse_worst_mb: {worst_mb:.1f}")
    if failed:
        print("unexpected answers: " + "; ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
