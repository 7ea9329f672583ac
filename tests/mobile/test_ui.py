"""The real app in a real window (Kivy under Xvfb) against a real server: the inspector's day."""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

from server.auth.models import User
from server.cases.models import Problem
from server.extensions import db
from server.patrols.models import Patrol
from server.photos.models import Photo

from ..phone_env import phone_python
from ..photos import jpeg_with_exif
from ..tracks import TRACKS, WALK
from .faultproxy import CuttingProxy

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
        {"do": "tap", "text": "乱堆"},
        {"do": "text", "id": "description", "value": "河岸堆放建筑垃圾"}, {"do": "wait", "seconds": 0.5},
        {"do": "shot", "name": "problem"}, {"do": "tap", "id": "submit_btn"}, {"do": "wait_screen", "name": "patrol"},
        {"do": "wait_until", "what": "gps_done", "timeout": 120},
        {"do": "tap", "id": "end_btn"}, {"do": "tap", "id": "yes_btn"}, {"do": "wait_screen", "name": "finish"},
        {"do": "wait", "seconds": 0.5},
        {"do": "shot", "name": "finish"}, {"do": "tap", "id": "submit_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "outbox_btn"}, {"do": "wait_screen", "name": "outbox"}, {"do": "tap", "id": "sync_btn"},
        {"do": "wait_until", "what": "outbox_synced", "timeout": 90}, {"do": "wait", "seconds": 1.0},
        {"do": "call", "method": "refresh"}, {"do": "wait", "seconds": 0.5}, {"do": "shot", "name": "outbox"},
        {"do": "tap", "id": "back_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "history_btn"}, {"do": "wait_screen", "name": "history"}, {"do": "wait", "seconds": 0.5},
        {"do": "shot", "name": "history"}, {"do": "quit"},
    ]


def _app(display, api, data, script, shots=None, speed=600, server=None, gpx=None, **kw):
    env = {**os.environ, "DISPLAY": display, "RIVERPATROL_UI_SCRIPT": str(script),
           "RIVERPATROL_SCREENSHOTS": str(shots or data)}
    return subprocess.Popen([phone_python(), "-m", "mobile", "--server", server or api.base, "--gpx",
                             str(gpx or TRACKS / WALK),
                             "--speed", str(speed), "--data", str(data)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def test_an_inspectors_day_in_the_app(engine_name, api, tmp_path, display):
    photo = tmp_path / "river.jpg"
    photo.write_bytes(jpeg_with_exif(size=(4000, 3000)))
    script = tmp_path / "script.json"
    script.write_text(json.dumps(_script(photo), ensure_ascii=False), encoding="utf-8")
    shots = SHOTS / engine_name
    shutil.rmtree(shots, ignore_errors=True)
    proc = _app(display, api, tmp_path / "phone", script, shots)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]

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
    # taken during the patrol: the phone's time of the shot and the recorder's position then travel with it
    assert stored.source == "camera" and stored.captured_at is not None
    assert stored.capture_lon is not None and stored.capture_lat is not None  # (this GPX has no accuracy)
    local = next((tmp_path / "phone" / "photos").glob("*.jpg"))
    assert hashlib.sha256(local.read_bytes()).hexdigest() == stored.sha256

    # the app drew with a font that has Chinese glyphs: with none, every character is the same box
    from PIL import ImageFont

    font = ImageFont.truetype(re.search(r"^font: (.+)$", out, re.M).group(1), 48)
    masks = [bytes(font.getmask(ch)) for ch in "河巡查员"]
    assert len(set(masks)) == 4

    # a screenshot of every screen, with text drawn (not an empty window)
    for name in SCREENS:
        png = shots / f"{name}.png"
        img = Image.open(png).convert("L")
        assert img.size == (540, 960)
        assert len(np.unique(np.asarray(img))) > 20, name


def test_the_app_killed_mid_patrol_resumes_it(engine_name, api, tmp_path, display):
    data = tmp_path / "phone"
    start = tmp_path / "start.json"
    start.write_text(json.dumps([
        {"do": "wait_screen", "name": "login"},
        {"do": "text", "id": "phone", "value": INSPECTOR}, {"do": "text", "id": "password", "value": "Demo@2026"},
        {"do": "tap", "id": "login_btn"}, {"do": "wait_screen", "name": "home", "timeout": 30},
        {"do": "tap", "text": "开始巡河"}, {"do": "wait_screen", "name": "patrol"},
        {"do": "wait", "seconds": 120, "timeout": 130}]), encoding="utf-8")
    proc = _app(display, api, data, start, speed=100)
    emitted = []
    while len(emitted) < 40 or time.time() - emitted[0][0] < 8:
        line = proc.stdout.readline()
        assert line, "the app stopped"
        if line.startswith("fix "):
            emitted.append((time.time(), float(line.split()[1])))
    killed_at = time.time()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()

    from mobile.store import LocalStore

    store = LocalStore(data / "riverpatrol.sqlite")
    uid = db.session.scalar(select(User.id).where(User.phone == INSPECTOR))
    patrol = store.recording(uid)
    kept = set(store.track(patrol["uuid"]).t.round(3))
    older = [t for wall, t in emitted if killed_at - wall > 5]
    assert older and all(round(t, 3) in kept for t in older)
    store.close()

    again = tmp_path / "again.json"
    again.write_text(json.dumps([
        {"do": "wait_screen", "name": "patrol", "timeout": 20}, {"do": "wait", "seconds": 2},
        {"do": "shot", "name": "patrol_resumed"}, {"do": "quit"}]), encoding="utf-8")
    proc = _app(display, api, data, again, SHOTS / engine_name, speed=100)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-3000:]  # no sign-in: the session is kept; straight back to the patrol
    store = LocalStore(data / "riverpatrol.sqlite")
    assert store.recording(uid)["uuid"] == patrol["uuid"]
    assert [e["event"] for e in store.events(patrol["uuid"])] == ["started", "restarted"]
    track = store.track(patrol["uuid"])
    assert len(track) > len(kept)
    assert (track.t[1:] >= track.t[:-1]).all()  # goes on where it stopped, nothing replayed twice


def _run(display, api, data, steps, tmp_path, name, **kw):
    script = tmp_path / f"{name}.json"
    script.write_text(json.dumps(steps + [{"do": "quit"}], ensure_ascii=False), encoding="utf-8")
    proc = _app(display, api, data, script, **kw)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]


def test_offline_the_app_works_and_the_items_go_when_the_server_is_back(engine_name, api, tmp_path, display):
    proxy = CuttingProxy(int(api.base.rsplit(":", 1)[1]), cut_share=0)
    server, data = f"http://127.0.0.1:{proxy.port}", tmp_path / "phone"
    photo = tmp_path / "river.jpg"
    photo.write_bytes(jpeg_with_exif(size=(1600, 1200)))
    try:
        _run(display, api, data, [  # signed in once, with signal
            {"do": "wait_screen", "name": "login"},
            {"do": "text", "id": "phone", "value": INSPECTOR}, {"do": "text", "id": "password", "value": "Demo@2026"},
            {"do": "tap", "id": "login_btn"}, {"do": "wait_screen", "name": "home", "timeout": 30}],
            tmp_path, "signin", server=server)
        proxy.down = True  # then out of signal for the whole patrol
        _run(display, api, data, [
            {"do": "wait_screen", "name": "home"}, {"do": "tap", "text": "开始巡河"},
            {"do": "wait_screen", "name": "patrol"}, {"do": "wait_until", "what": "has_fixes"},
            {"do": "tap", "id": "problem_btn"}, {"do": "wait_screen", "name": "problem"},
            {"do": "call", "method": "add_photo", "args": [str(photo)]}, {"do": "tap", "text": "乱堆"},
            {"do": "tap", "id": "submit_btn"},
            {"do": "wait_screen", "name": "patrol"}, {"do": "wait_until", "what": "gps_done", "timeout": 120},
            {"do": "tap", "id": "end_btn"}, {"do": "tap", "id": "yes_btn"}, {"do": "wait_screen", "name": "finish"},
            {"do": "tap", "id": "submit_btn"},
            {"do": "wait_screen", "name": "home"}, {"do": "tap", "id": "outbox_btn"},
            {"do": "wait_screen", "name": "outbox"}, {"do": "tap", "id": "sync_btn"},
            {"do": "wait_until", "what": "outbox_failed", "timeout": 60}, {"do": "call", "method": "refresh"},
            {"do": "wait", "seconds": 0.5}, {"do": "shot", "name": "outbox_offline"}],
            tmp_path, "offline", server=server, shots=SHOTS / engine_name)
        uid = db.session.scalar(select(User.id).where(User.phone == INSPECTOR))
        assert db.session.scalars(select(Patrol).where(Patrol.inspector_id == uid)).all() == []
        proxy.down = False  # back in signal
        _run(display, api, data, [
            {"do": "wait_screen", "name": "home"}, {"do": "tap", "id": "outbox_btn"},
            {"do": "wait_screen", "name": "outbox"}, {"do": "tap", "id": "sync_btn"},
            {"do": "wait_until", "what": "outbox_synced", "timeout": 90}], tmp_path, "online", server=server)
    finally:
        proxy.close()
    assert len(db.session.scalars(select(Patrol).where(Patrol.inspector_id == uid)).all()) == 1
    assert len(db.session.scalars(select(Problem).where(Problem.reporter_id == uid)).all()) == 1
    [stored] = db.session.scalars(select(Photo).where(Photo.owner_id == uid)).all()
    assert stored.status == "complete"
