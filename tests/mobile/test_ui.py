"""The real app in a real window (Kivy under Xvfb) against a real server: the inspector's day."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

from server.auth.models import User
from server.extensions import db
from server.patrols.models import Patrol
from server.photos.models import Photo
from server.problems.models import Problem

from ..photos import jpeg_with_exif
from ..tracks import TRACKS, WALK

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screens"
INSPECTOR = "13900000101"
SCREENS = ["login", "home", "card", "patrol", "problem", "finish", "outbox", "history"]


def _script(photo: Path) -> list[dict]:
    return [
        {"do": "wait_screen", "name": "login"}, {"do": "wait", "seconds": 0.5}, {"do": "shot", "name": "login"},
        {"do": "text", "id": "phone", "value": INSPECTOR}, {"do": "text", "id": "password", "value": "Demo@2026"},
        {"do": "tap", "id": "login_btn"},
        {"do": "wait_screen", "name": "home", "timeout": 30}, {"do": "wait", "seconds": 0.5},
        {"do": "shot", "name": "home"},
        {"do": "tap", "text": "责任卡详情"}, {"do": "wait_screen", "name": "card"}, {"do": "wait", "seconds": 0.5},
        {"do": "shot", "name": "card"}, {"do": "tap", "id": "back_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "text": "开始巡河"}, {"do": "wait_screen", "name": "patrol"},
        {"do": "wait_until", "what": "has_fixes", "timeout": 30}, {"do": "wait", "seconds": 2.5},
        {"do": "shot", "name": "patrol"},
        {"do": "tap", "id": "problem_btn"}, {"do": "wait_screen", "name": "problem"},
        {"do": "call", "method": "add_photo", "args": [str(photo)]},
        {"do": "text", "id": "description", "value": "河岸堆放建筑垃圾"}, {"do": "wait", "seconds": 0.5},
        {"do": "shot", "name": "problem"}, {"do": "tap", "id": "submit_btn"}, {"do": "wait_screen", "name": "patrol"},
        {"do": "wait_until", "what": "gps_done", "timeout": 120},
        {"do": "tap", "id": "end_btn"}, {"do": "wait_screen", "name": "finish"}, {"do": "wait", "seconds": 0.5},
        {"do": "shot", "name": "finish"}, {"do": "tap", "id": "submit_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "outbox_btn"}, {"do": "wait_screen", "name": "outbox"}, {"do": "tap", "id": "sync_btn"},
        {"do": "wait_until", "what": "outbox_synced", "timeout": 90}, {"do": "wait", "seconds": 1.0},
        {"do": "call", "method": "refresh"}, {"do": "wait", "seconds": 0.5}, {"do": "shot", "name": "outbox"},
        {"do": "tap", "id": "back_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "history_btn"}, {"do": "wait_screen", "name": "history"}, {"do": "wait", "seconds": 0.5},
        {"do": "shot", "name": "history"}, {"do": "quit"},
    ]


def test_an_inspectors_day_in_the_app(engine_name, api, tmp_path):
    photo = tmp_path / "river.jpg"
    photo.write_bytes(jpeg_with_exif(size=(4000, 3000)))
    script = tmp_path / "script.json"
    script.write_text(json.dumps(_script(photo), ensure_ascii=False), encoding="utf-8")
    shots = SHOTS / engine_name
    shutil.rmtree(shots, ignore_errors=True)
    env = {**os.environ, "RIVERPATROL_UI_SCRIPT": str(script), "RIVERPATROL_SCREENSHOTS": str(shots)}
    run = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 540x960x24", sys.executable, "-m", "mobile", "--server", api.base,
         "--gpx", str(TRACKS / WALK), "--speed", "600", "--data", str(tmp_path / "phone")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    # the server holds exactly that patrol, problem and photo
    uid = db.session.scalar(select(User.id).where(User.phone == INSPECTOR))
    [patrol] = db.session.scalars(select(Patrol).where(Patrol.inspector_id == uid)).all()
    assert patrol.fix_count == 513 and patrol.source == "app"
    assert [e["event"] for e in patrol.lifecycle_events][0] == "started"
    [problem] = db.session.scalars(select(Problem).where(Problem.reporter_id == uid)).all()
    assert problem.patrol_uuid == patrol.uuid and problem.category == "luan_dui"
    [stored] = db.session.scalars(select(Photo).where(Photo.owner_id == uid)).all()
    assert stored.status == "complete" and stored.problem_uuid == problem.uuid
    assert max(stored.width, stored.height) <= 1600  # shrunk on the phone before queuing
    local = next((tmp_path / "phone" / "photos").glob("*.jpg"))
    assert hashlib.sha256(local.read_bytes()).hexdigest() == stored.sha256

    # a screenshot of every screen, with text drawn (not an empty window)
    for name in SCREENS:
        [png] = list(shots.glob(f"{name}*.png"))
        img = Image.open(png).convert("L")
        assert img.size == (540, 960)
        assert len(np.unique(np.asarray(img))) > 20, name
