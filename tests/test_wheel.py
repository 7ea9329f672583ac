"""The package as a self-hoster installs it: a wheel built from the repository, installed (not
editable) into a fresh venv away from the checkout, migrates, loads the demo, serves the API and
every console page."""
import base64
import datetime as dt
import os
import re
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from shapely.geometry import shape

from server.demo import DEMO_PASSWORD
from shared_models.clock import local_today
from shared_models.track import codec

from .services import free_port
from .tracks import walk_along

ROOT = Path(__file__).resolve().parent.parent
ADMIN, SUP, INSP = "13900000001", "13900000012", "13900000101"


def _clean_env() -> dict:
    """Nothing of this checkout's environment: no PYTHONPATH (pip would take the checkout's own
    egg-info for an installed riverpatrol and skip it), no virtualenv, no settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RIVERPATROL_", "VIRTUAL_ENV"))}


def _quiet_pip(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, env=_clean_env())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(riverpatrol executable, wheel path): the wheel installed with its server and PostgreSQL extras."""
    root = tmp_path_factory.mktemp("wheel")
    _quiet_pip(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root / "dist"), str(ROOT))
    wheel = next((root / "dist").glob("riverpatrol-*.whl"))
    _quiet_pip(sys.executable, "-m", "venv", str(root / "venv"))
    _quiet_pip(str(root / "venv" / "bin" / "pip"), "install", "-q", f"{wheel}[server,postgres]")
    assert (root / "venv" / "bin" / "riverpatrol").exists()
    return root / "venv" / "bin" / "riverpatrol", wheel


def test_the_wheel_holds_every_package_its_data_and_the_licence(installed):
    _, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "server/cases/__init__.py" in names
    assert {"server/migrations/env.py", "server/migrations/alembic.ini",
            "server/migrations/versions/0001_initial_schema.py"} <= names
    assert "server/console/templates/console/base.html" in names and "mobile/kv/home.kv" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/")) or n.endswith(".pyc")]
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License: Apache-2.0" in meta or "License-Expression: Apache-2.0" in meta
    licences = {n.rsplit("/", 1)[1] for n in names if "/licenses/" in n}
    assert licences == {"LICENSE", "NOTICE"}


def _console(base: str, phone: str) -> requests.Session:
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/console/login").text).group(1)
    r = s.post(f"{base}/console/login", data={"phone": phone, "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 200 and "/console/login" not in r.url, r.text[:500]
    return s


def _wait_up(base: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        assert server.poll() is None, log.read_text()
        try:
            requests.get(f"{base}/api/v1/health", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(log.read_text())


def test_installed_wheel_migrates_loads_the_demo_and_serves(engine_name, installed, fresh_db, tmp_path):
    riverpatrol, _ = installed
    away = tmp_path / "elsewhere"  # not the checkout: nothing may come from the source tree
    away.mkdir()
    env = _clean_env()
    env.update({"RIVERPATROL_DATABASE_URL": fresh_db(demo=False), "RIVERPATROL_INSTANCE": str(tmp_path / "var"),
                "RIVERPATROL_PASSWORD_TIME_COST": "1", "RIVERPATROL_PASSWORD_MEMORY_KIB": "1024"})
    run = lambda *a: subprocess.run([str(riverpatrol), *a], env=env, cwd=away, capture_output=True,  # noqa: E731
                                    text=True, timeout=300)
    where = subprocess.run([str(riverpatrol.parent / "python"), "-c", "import server; print(server.__file__)"],
                           env=env, cwd=away, capture_output=True, text=True)
    assert str(riverpatrol.parent.parent) in where.stdout and str(ROOT) not in where.stdout, where.stderr

    upgraded = run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    loaded = run("demo", "load")
    assert loaded.returncode == 0 and "loaded" in loaded.stdout, loaded.stderr[-3000:]

    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([str(riverpatrol), "serve", "--port", str(port)], env=env, cwd=away,
                                  stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, server, log)
        assert requests.get(f"{base}/api/v1/health").json()["spatial"] == engine_name
        assert "/me/cards" in "".join(requests.get(f"{base}/api/v1/openapi.json").json()["paths"])

        # a phone signs in, uploads a patrol along its segment and reports a problem
        login = requests.post(f"{base}/api/v1/auth/login",
                              json={"phone": INSP, "password": DEMO_PASSWORD, "device_id": "wheel"}).json()
        auth = {"Authorization": f"Bearer {login['access_token']}"}
        card = requests.get(f"{base}/api/v1/me/cards", headers=auth).json()["cards"][0]
        segment = card["segments"][0]
        walked = walk_along(shape(segment["geometry"]), time.time() - 3 * 3600)
        patrol = {"uuid": str(uuid.uuid4()), "card_id": card["id"], "segment_ids": [segment["id"]],
                  "started_at": _iso(walked.t[0]), "ended_at": _iso(walked.t[-1]),
                  "track": base64.b64encode(codec.encode(walked)).decode(), "checklist": {}, "notes": "巡河"}
        r = requests.post(f"{base}/api/v1/patrols", headers=auth, json=patrol)
        assert r.status_code == 201, r.text
        lon, lat = segment["geometry"]["coordinates"][0]
        r = requests.post(f"{base}/api/v1/problems", headers=auth, json={
            "uuid": str(uuid.uuid4()), "category": "luan_dui", "lon": lon, "lat": lat, "description": "河边堆放垃圾",
            "reported_at": _iso(time.time() - 600), "patrol_uuid": patrol["uuid"]})
        assert r.status_code == 201, r.text
        case_no = r.json()["case_no"]

        # every console page, as the admin and as the township's supervisor
        pages = ["/console/", "/console/patrols", f"/console/patrols/{patrol['uuid']}", "/console/cases",
                 f"/console/cases/{case_no}", "/console/cards", "/console/rules", "/console/assessment",
                 "/console/spotcheck", "/console/grids", "/console/grids/import", "/console/users",
                 f"/console/patrols/{patrol['uuid']}/track.gpx", "/console/ledger.xlsx",
                 f"/console/assessment/payroll.xlsx?period={local_today():%Y-%m}", "/console/static/leaflet/leaflet.js"]
        admin = _console(base, ADMIN)
        got = {page: admin.get(base + page) for page in pages}
        assert {p: r.status_code for p, r in got.items()} == dict.fromkeys(pages, 200)
        assert "陈卫东" in got["/console/"].text and case_no in got["/console/cases"].text
        assert got["/console/ledger.xlsx"].content[:2] == b"PK"
        card_pdf = admin.get(f"{base}/console/cards/{card['id']}.pdf")
        assert card_pdf.status_code == 200 and card_pdf.content[:5] == b"%PDF-"
        sup = _console(base, SUP)
        assert sup.get(f"{base}/console/patrols/{patrol['uuid']}").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(float(t), dt.UTC).isoformat()
