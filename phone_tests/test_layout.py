"""Every screen at a real phone's size (360 x 640 dp at density 2 and 2.75) and at Android's large text sizes
(font scale 1.3 and 1.5), signed in to a real county server: nothing clipped, drawn over or off the screen, every
touch target at least 48 dp, no English word or code, enough contrast. Screenshots in test-artifacts/layout/."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import uuid

import pytest
import requests

from .conftest import DEMO_PASSWORD, ROOT

WALK = ROOT / "tests" / "data" / "tracks" / "demo-gelaomen.gpx"  # `make mobile`'s walk, along the demo river
SHOTS = ROOT / "test-artifacts" / "layout"
INSPECTOR = "13900000101"
PHOTO = ROOT / "tests" / "data" / "photos" / "lomiri_Picture_0B_by_freespace.jpg"


def _tour() -> list[dict]:
    def look(name: str) -> list[dict]:
        return [{"do": "wait", "seconds": 0.4}, {"do": "check_layout", "name": name}, {"do": "shot", "name": name}]

    return [
        {"do": "wait_screen", "name": "login"}, *look("login"),
        {"do": "text", "id": "phone", "value": INSPECTOR}, {"do": "text", "id": "password", "value": DEMO_PASSWORD},
        {"do": "tap", "id": "login_btn"}, {"do": "wait_screen", "name": "home", "timeout": 60}, *look("home"),
        {"do": "tap", "text": "责任卡详情"}, {"do": "wait_screen", "name": "card"}, *look("card"),
        {"do": "tap", "id": "back_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "text": "开始巡河"}, {"do": "wait_screen", "name": "patrol"},
        {"do": "wait_until", "what": "has_fixes", "timeout": 60}, {"do": "wait", "seconds": 2.5}, *look("patrol"),
        {"do": "tap", "id": "problem_btn"}, {"do": "wait_screen", "name": "problem"}, *look("problem"),
        {"do": "call", "method": "add_photo", "args": [str(PHOTO)]}, {"do": "tap", "text": "乱堆"},
        {"do": "tap", "id": "voice_btn"}, {"do": "wait", "seconds": 1.2}, *look("problem_recording"),
        {"do": "tap", "id": "voice_btn"}, *look("problem_filled"),
        {"do": "tap", "id": "cancel_btn"}, {"do": "wait_screen", "name": "patrol"},
        {"do": "wait_until", "what": "gps_done", "timeout": 60}, {"do": "wait", "seconds": 2.5}, *look("patrol_walked"),
        {"do": "tap", "id": "end_btn"}, *look("end_question"), {"do": "tap", "id": "no_btn"}, {"do": "no_dialog"},
        {"do": "tap", "id": "end_btn"}, {"do": "tap", "id": "yes_btn"}, {"do": "wait_screen", "name": "finish"},
        {"do": "tap", "text": "已查"}, *look("finish"), {"do": "say", "id": "verdict"},
        {"do": "tap", "id": "submit_btn"}, {"do": "wait_screen", "name": "home"}, *look("home_after"),
        {"do": "tap", "id": "logout_btn"}, *look("logout_question"), {"do": "tap", "id": "no_btn"},
        {"do": "no_dialog"},
        {"do": "tap", "id": "outbox_btn"}, {"do": "wait_screen", "name": "outbox"}, *look("outbox"),
        {"do": "tap", "id": "back_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "history_btn"}, {"do": "wait_screen", "name": "history"}, *look("history"),
        {"do": "tap", "contains": "公里"}, *look("history_patrol"), {"do": "back"}, {"do": "back"},
        {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "tasks_btn"}, {"do": "wait_screen", "name": "tasks"}, *look("tasks"),
        {"do": "tap", "text": "去整改"}, {"do": "wait_screen", "name": "recheck"}, *look("rectify"),
        {"do": "back"}, {"do": "wait_screen", "name": "tasks"},
        {"do": "back"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "month_btn"}, {"do": "wait_screen", "name": "month"}, {"do": "tap", "id": "refresh_btn"},
        {"do": "wait", "seconds": 2}, *look("month"),
        {"do": "back"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "inbox_btn"}, {"do": "wait_screen", "name": "inbox"}, *look("inbox"),
        {"do": "quit"},
    ]


@pytest.fixture(scope="module")
def rectify_task(county):
    """A case on the inspector's river assigned to the inspector to fix (整改), so the tour opens its screen."""
    supervisor = county.token("13900000012")  # 汉城街道's grid supervisor, over 阁老门村
    lat, lon = (float(v) for v in re.search(r'lat="([\d.]+)" lon="([\d.]+)"', WALK.read_text()).groups())
    r = requests.post(f"{county.base}/api/v1/problems", json={
        "uuid": str(uuid.uuid4()), "category": "garbage", "lon": lon, "lat": lat, "description": "岸边有漂浮垃圾",
        "reported_at": dt.datetime.now(dt.UTC).isoformat()}, headers={"Authorization": f"Bearer {supervisor}"},
        timeout=20)
    assert r.status_code == 201, r.text
    me = county.get("/me", INSPECTOR).json()["id"]
    for action, body in (("accept", {}), ("assign", {"assignee_id": me})):
        step = requests.post(f"{county.base}/api/v1/cases/{r.json()['case_no']}/transitions",
                             json={"action": action, **body}, headers={"Authorization": f"Bearer {supervisor}"},
                             timeout=20)
        assert step.status_code == 201, step.text


@pytest.mark.parametrize("density", [2, 2.75])
@pytest.mark.parametrize("fontscale", [1.0, 1.3, 1.5])
def test_every_screen_fits_a_phone_at_large_text(density, fontscale, county, display, tmp_path, rectify_task):
    shots = SHOTS / f"density{density}-font{fontscale}"
    script = tmp_path / "script.json"
    script.write_text(json.dumps(_tour(), ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "DISPLAY": display, "KIVY_METRICS_DENSITY": str(density),
           "KIVY_METRICS_FONTSCALE": str(fontscale), "KIVY_HOME": str(tmp_path / "kivy"),
           "RIVERPATROL_UI_SCRIPT": str(script), "RIVERPATROL_SCREENSHOTS": str(shots)}
    done = subprocess.run([sys.executable, "-m", "mobile", "--server", county.base, "--gpx", str(WALK),
                           "--speed", "300", "--data", str(tmp_path / "phone")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = {}
    for line in done.stdout.splitlines():
        if line.startswith("layout "):
            name, _, listed = line[len("layout "):].partition(": ")
            found[name] = json.loads(listed)
    assert set(found) >= {"login", "home", "card", "patrol", "problem", "finish", "outbox", "history", "tasks",
                          "problem_filled", "end_question", "logout_question", "month", "inbox",
                          "history_patrol", "problem_recording", "rectify"}
    assert "said verdict: [b]本次巡河计为有效[/b]" in done.stdout  # a newcomer's first patrol counts
    wrong = {name: listed for name, listed in found.items() if listed}
    assert not wrong, json.dumps(wrong, ensure_ascii=False, indent=1)
