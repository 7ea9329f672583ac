"""The county's offline basemap on the phone, from a real county server: fetched in parts (a download broken off
goes on where it stopped; a damaged one starts again), checked before use, and drawn under the segments."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

from mobile import basemap
from mobile.api_client import ApiClient
from tests.mbtiles import COLOUR, make_mbtiles

from .conftest import DEMO_PASSWORD, ROOT
from .test_layout import INSPECTOR, WALK

AROUND_GELAOMEN = (108.86, 34.29, 108.95, 34.37)


def _package(county, tmp_path_factory) -> dict:
    path = make_mbtiles(tmp_path_factory.mktemp("tiles") / "weiyang.mbtiles", AROUND_GELAOMEN)
    done = county.command("basemap", "import", str(path), "--county", "610112")
    assert done.returncode == 0, done.stderr
    client = ApiClient(county.base)
    client.login(INSPECTOR, DEMO_PASSWORD, "basemap-test")
    told = client.json("GET", "/api/v1/me/changes")["basemap"]
    assert told["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    return {"client": client, "told": told, "bytes": path.read_bytes()}


def test_a_download_goes_on_where_it_stopped_and_a_damaged_one_starts_again(county, tmp_path, tmp_path_factory):
    got = _package(county, tmp_path_factory)
    client, told = got["client"], got["told"]
    assert basemap.fetch(client, tmp_path, told, budget=50_000) is None  # the signal went after 50 KB
    part = basemap.folder(tmp_path) / f"{told['sha256']}.part"
    assert part.stat().st_size == 50_000
    path = basemap.fetch(client, tmp_path, told)
    assert path is not None and path.read_bytes() == got["bytes"] and not part.exists()
    # damaged on the way: thrown away, fetched again from the start
    path.unlink()
    part.write_bytes(b"\0" * told["size"])
    assert basemap.fetch(client, tmp_path, told) is None and not part.exists()
    assert basemap.fetch(client, tmp_path, told).read_bytes() == got["bytes"]
    tiles = basemap.Tiles(basemap.ready(tmp_path, told), told["format"], told["min_zoom"], told["max_zoom"])
    x, y = basemap.tile_xy(108.9, 34.33, 14)
    assert tiles.tile(14, int(x), int(y)).startswith(b"\x89PNG")


def test_the_patrol_map_draws_the_basemap_under_the_segments(county, display, tmp_path, tmp_path_factory):
    _package(county, tmp_path_factory)
    shots = ROOT / "test-artifacts" / "basemap"
    script = [{"do": "wait_screen", "name": "login"}, {"do": "text", "id": "phone", "value": INSPECTOR},
              {"do": "text", "id": "password", "value": DEMO_PASSWORD}, {"do": "tap", "id": "login_btn"},
              {"do": "wait_screen", "name": "home", "timeout": 60}, {"do": "tap", "text": "开始巡河"},
              {"do": "wait_screen", "name": "patrol"}, {"do": "wait_until", "what": "has_fixes", "timeout": 60},
              {"do": "wait", "seconds": 2.5}, {"do": "shot", "name": "patrol"}, {"do": "quit"}]
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "DISPLAY": display, "KIVY_METRICS_DENSITY": "2", "KIVY_HOME": str(tmp_path / "kivy"),
           "RIVERPATROL_UI_SCRIPT": str(path), "RIVERPATROL_SCREENSHOTS": str(shots)}
    done = subprocess.run([sys.executable, "-m", "mobile", "--server", county.base, "--gpx", str(WALK), "--speed",
                           "100", "--data", str(tmp_path / "phone")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert list((tmp_path / "phone" / "basemaps").glob("*.mbtiles"))  # fetched at sign-in (the desktop: Wi-Fi)
    img = np.asarray(Image.open(shots / "patrol.png").convert("RGB")).astype(int)
    tile_px = (np.abs(img - np.array(COLOUR)).sum(axis=2) < 30).mean()
    assert tile_px > 0.1  # a good part of the screen is the basemap's tiles (the map's share of it)
