"""The demo county and the way a newcomer meets it: `riverpatrol db upgrade`, `demo load`, `serve`."""
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from pyproj import Geod
from shapely.geometry import shape
from sqlalchemy import func, select

from server.auth.models import User
from server.cards.models import ResponsibilityCard
from server.demo import DEMO_PASSWORD, load_demo
from server.extensions import db
from server.geo import to_geojson
from server.grids.models import OrgUnit, River, RiverSegment

RIVERPATROL = str(Path(sys.executable).parent / "riverpatrol")


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_county_has_what_the_issue_asks(engine_name, demo_app):
    assert _count(OrgUnit, OrgUnit.level == "county") == 1
    assert _count(OrgUnit, OrgUnit.level == "township") == 3
    assert _count(OrgUnit, OrgUnit.level == "village") >= 12
    assert _count(River) >= 8
    assert _count(RiverSegment) >= 20
    assert _count(User, User.role == "inspector") >= 20
    assert _count(User, User.role == "supervisor") == 3
    assert _count(User, User.role == "admin") == 1
    names = set(db.session.scalars(select(River.name)))
    assert {"渭河", "灞河", "皂河"} <= names
    # every inspector holds a card; every segment is on some card
    holders = set(db.session.scalars(select(ResponsibilityCard.inspector_id)))
    inspectors = set(db.session.scalars(select(User.id).where(User.role == "inspector")))
    assert holders == inspectors


def test_segment_lengths_are_geodesic_metres(engine_name, demo_app):
    geod = Geod(ellps="WGS84")
    for seg in db.session.scalars(select(RiverSegment)):
        line = shape(to_geojson(seg.geom))
        assert abs(seg.length_m - geod.geometry_length(line)) < 0.1
        assert seg.length_m >= 150
        village = shape(to_geojson(seg.grid.boundary))
        assert village.buffer(1e-6).contains(line)


def test_demo_load_is_idempotent(engine_name, demo_app):
    before = _count(User), _count(RiverSegment), _count(ResponsibilityCard)
    assert load_demo() is False
    assert (_count(User), _count(RiverSegment), _count(ResponsibilityCard)) == before


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_newcomer_path_serves_the_demo_over_http(engine_name, fresh_db, tmp_path):
    """What `make run` does after installing: migrate, load the demo, serve; then a phone signs in."""
    env = {**os.environ, "RIVERPATROL_DATABASE_URL": fresh_db(demo=False), "RIVERPATROL_INSTANCE": str(tmp_path),
           "RIVERPATROL_PASSWORD_TIME_COST": "1", "RIVERPATROL_PASSWORD_MEMORY_KIB": "1024"}
    run = lambda *args: subprocess.run([RIVERPATROL, *args], env=env, capture_output=True, text=True, timeout=120)  # noqa: E731
    assert run("db", "upgrade").returncode == 0
    first = run("demo", "load")
    assert first.returncode == 0 and "loaded" in first.stdout
    assert "already present" in run("demo", "load").stdout
    accounts = run("demo", "accounts").stdout
    assert re.search(r"admin\s+13900000001\s+" + re.escape(DEMO_PASSWORD), accounts)
    assert len(re.findall(r"inspector\s+139", accounts)) >= 20

    port = _free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    server = subprocess.Popen([RIVERPATROL, "serve", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                health = requests.get(f"{base}/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert health.json()["spatial"] == engine_name
        login = requests.post(f"{base}/auth/login", json={"phone": "13900000101", "password": DEMO_PASSWORD}).json()
        auth = {"Authorization": f"Bearer {login['access_token']}"}
        cards = requests.get(f"{base}/me/cards", headers=auth).json()["cards"]
        assert cards and cards[0]["grid"]["boundary"]["type"] == "MultiPolygon"
        assert cards[0]["segments"][0]["geometry"]["type"] == "LineString"
        other = requests.post(f"{base}/auth/login", json={"phone": "13900000103", "password": DEMO_PASSWORD}).json()
        other_cards = requests.get(f"{base}/me/cards", headers={"Authorization": f"Bearer {other['access_token']}"})
        other_id = other_cards.json()["cards"][0]["id"]
        r = requests.get(f"{base}/cards/{other_id}", headers=auth)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
