"""The inspector's own record, from a real county server: a patrol the supervisor rejects comes back with the
next sync as a notification and in the history with the reason; my reports show where their cases stand; the
month screen shows what GET /api/v1/me/assessments/{period} computes."""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
import uuid

import requests
from PIL import Image

from mobile.store import LocalStore

from .conftest import DEMO_PASSWORD, ROOT
from .test_layout import INSPECTOR, PHOTO, WALK

SUPERVISOR = "13900000012"  # 汉城街道's grid supervisor, over 阁老门村


def test_a_rejection_reaches_the_phone_and_the_month_is_the_assessments(county, display, tmp_path):
    go_on = tmp_path / "rejected"
    script = [
        {"do": "wait_screen", "name": "login"}, {"do": "text", "id": "phone", "value": INSPECTOR},
        {"do": "text", "id": "password", "value": DEMO_PASSWORD}, {"do": "tap", "id": "login_btn"},
        {"do": "wait_screen", "name": "home", "timeout": 60}, {"do": "tap", "text": "开始巡河"},
        {"do": "wait_screen", "name": "patrol"}, {"do": "wait_until", "what": "has_fixes", "timeout": 60},
        {"do": "tap", "id": "problem_btn"}, {"do": "wait_screen", "name": "problem"},
        {"do": "call", "method": "add_photo", "args": [str(PHOTO)]}, {"do": "tap", "text": "乱堆"},
        {"do": "tap", "id": "submit_btn"}, {"do": "wait_screen", "name": "patrol"},
        {"do": "wait_until", "what": "gps_done", "timeout": 90},
        {"do": "wait", "seconds": 2.2}, {"do": "tap", "id": "end_btn"}, {"do": "tap", "id": "yes_btn"},
        {"do": "wait_screen", "name": "finish"}, {"do": "tap", "id": "submit_btn"},
        {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "outbox_btn"}, {"do": "wait_screen", "name": "outbox"}, {"do": "tap", "id": "sync_btn"},
        {"do": "wait_until", "what": "outbox_synced", "timeout": 60}, {"do": "say", "id": "status"},
        {"do": "wait_file", "path": str(go_on), "timeout": 60}, {"do": "tap", "id": "sync_btn"},
        {"do": "wait", "seconds": 3}, {"do": "tap", "id": "back_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "history_btn"}, {"do": "wait_screen", "name": "history"}, {"do": "say_all"},
        {"do": "tap", "id": "back_btn"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "tasks_btn"}, {"do": "wait_screen", "name": "tasks"}, {"do": "say", "id": "mine"},
        {"do": "check_layout", "name": "tasks"}, {"do": "tap", "text": "去现场复核"},
        {"do": "wait_screen", "name": "recheck"}, {"do": "wait", "seconds": 1},
        {"do": "check_layout", "name": "recheck"},
        {"do": "back"}, {"do": "wait_screen", "name": "tasks"}, {"do": "back"}, {"do": "wait_screen", "name": "home"},
        {"do": "tap", "id": "month_btn"}, {"do": "wait_screen", "name": "month"}, {"do": "tap", "id": "refresh_btn"},
        {"do": "wait", "seconds": 3}, {"do": "check_layout", "name": "month"}, {"do": "say_all"}, {"do": "quit"}]
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "DISPLAY": display, "KIVY_METRICS_DENSITY": "2.75", "KIVY_METRICS_FONTSCALE": "1.5",
           "KIVY_HOME": str(tmp_path / "kivy"), "RIVERPATROL_UI_SCRIPT": str(path),
           "RIVERPATROL_SCREENSHOTS": str(ROOT / "test-artifacts" / "record")}
    proc = subprocess.Popen([sys.executable, "-m", "mobile", "--server", county.base, "--gpx", str(WALK), "--speed",
                             "300", "--data", str(tmp_path / "phone")], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out = _follow(proc, county, go_on, tmp_path / "phone" / "riverpatrol.sqlite")
    finally:
        proc.kill()
        proc.stdout.close()
        proc.wait(timeout=30)
    text = "".join(out)
    assert proc.returncode == 0, text[-3000:]
    assert "notification: 巡河被驳回：" in text and "被网格长驳回，不计入：轨迹与河道不符，请重新巡河" in text
    history = [line for line in out if line.startswith("text: ") and "月" in line and "公里" in line]
    assert any("网格长驳回，不计入" in line for line in history), history  # the history says it too
    # the month screen says what the server's assessment says, line for line
    body = county.get(f"/me/assessments/{_period(text)}", INSPECTOR).json()
    [mine] = body["lines"]
    assert f"得分 {mine['score']:.0f} 分 · {mine['tier_label']}" in text
    assert f"补贴 {mine['amount_fen'] / 100:.0f} 元" in text
    for w in mine["windows"]:
        assert f"已巡 {w['counted']}/{w['required']} 次" in text
    for item in mine["items"]:
        assert item["why"] in text
    assert "layout month: []" in text and "layout tasks: []" in text and "layout recheck: []" in text
    # my report, as the server's case loop has it, and its re-check as a new task, told as a notification
    mine = re.search(r"said mine: (.*?)\nstep ", text, re.S).group(1)  # my reports, newest first, a line each
    assert re.search(r"^\d+月\d+日 \d\d:\d\d 乱堆 · 已整改待复核", mine, re.M), mine
    assert "notification: 新的复核任务：乱堆：" in text


def _follow(proc, county, go_on, phone_db) -> list[str]:
    """The app's output, line by line; once it has uploaded, the supervisor rejects the patrol and fixes the
    reported problem, and the app is told to go on."""
    out = []
    deadline = time.monotonic() + 240
    for line in proc.stdout:
        out.append(line)
        if line.startswith("said status:"):  # uploaded: the supervisor looks at it and rejects it
            token = county.token(SUPERVISOR)
            store = LocalStore(phone_db)  # this phone's own patrol (others in the shared county are other tests')
            [patrol] = store.patrols(store.current_account()["user_id"])
            store.close()
            r = requests.post(f"{county.base}/api/v1/patrols/{patrol['uuid']}/review",
                              json={"decision": "reject", "note": "轨迹与河道不符，请重新巡河"},
                              headers={"Authorization": f"Bearer {token}"}, timeout=20)
            assert r.status_code == 200, r.text
            _fixed_by_the_supervisor(county, token, patrol["uuid"])
            go_on.touch()
        assert time.monotonic() < deadline, "".join(out)[-3000:]
    proc.wait(timeout=30)
    return out


def _fixed_by_the_supervisor(county, token: str, patrol_uuid: str) -> None:
    """The inspector's report on this patrol (not another test's in the shared county), accepted and assigned by
    the supervisor, who fixes it and sends an after-photo: the re-check comes back to the reporter."""
    def call(method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"{county.base}/api/v1{path}", headers={
            "Authorization": f"Bearer {token}", **kw.pop("headers", {})}, timeout=20, **kw)

    [problem] = [p for p in call("GET", "/problems").json() if p["patrol_uuid"] == patrol_uuid]
    no = problem["case_no"]
    me = call("GET", "/me").json()["id"]
    for action, body in (("accept", {}), ("assign", {"assignee_id": me})):
        r = call("POST", f"/cases/{no}/transitions", json={"action": action, **body})
        assert r.status_code == 201, r.text
    buf = io.BytesIO()
    with Image.open(PHOTO) as img:
        img.convert("RGB").resize((640, 480)).save(buf, "JPEG", quality=80)  # one chunk
    data, pid = buf.getvalue(), str(uuid.uuid4())
    r = call("POST", "/photos", json={"uuid": pid, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    assert r.status_code == 201, r.text
    r = call("PATCH", f"/photos/{pid}", data=data, headers={"Upload-Offset": "0",
                                                             "Content-Type": "application/offset+octet-stream"})
    assert r.status_code == 200, r.text
    r = call("POST", f"/cases/{no}/transitions", json={"action": "rectify", "photo_uuids": [pid], "note": "已清运"})
    assert r.status_code == 201, r.text


def _period(text: str) -> str:
    year, month = re.search(r"text: (\d{4})年(\d{1,2})月", text).groups()
    return f"{year}-{int(month):02d}"
