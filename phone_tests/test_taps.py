"""What an inspector does with a finger, counted: a patrol starts with one tap after sign-in; a problem with its
photo and category is saved in at most 4 taps from the patrol screen (the camera's own shutter aside); a voice note
is recorded with two more and uploaded with its report; ending asks
first and 继续巡河 carries on; the back key never ends or loses a patrol."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from mobile.store import LocalStore

from .conftest import DEMO_PASSWORD, ROOT
from .test_layout import INSPECTOR, PHOTO, WALK

TAPS = ("tap", "back")


def _run(script: list[dict], county, display, tmp_path, density: str = "2", fontscale: str = "1.3") -> str:
    """The app on the county's server, driven by ``script`` (then quit), replaying the demo walk; its output."""
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script + [{"do": "quit"}], ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "DISPLAY": display, "KIVY_METRICS_DENSITY": density, "KIVY_METRICS_FONTSCALE": fontscale,
           "KIVY_HOME": str(tmp_path / "kivy"), "RIVERPATROL_UI_SCRIPT": str(path),
           "RIVERPATROL_SCREENSHOTS": str(tmp_path / "shots")}
    done = subprocess.run([sys.executable, "-m", "mobile", "--server", county.base, "--gpx", str(WALK), "--speed",
                           "60", "--data", str(tmp_path / "phone")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_one_tap_to_patrol_four_to_a_problem_and_nothing_ends_by_accident(county, display, tmp_path):
    sign_in = [{"do": "wait_screen", "name": "login"}, {"do": "text", "id": "phone", "value": INSPECTOR},
               {"do": "text", "id": "password", "value": DEMO_PASSWORD}, {"do": "tap", "id": "login_btn"},
               {"do": "wait_screen", "name": "home", "timeout": 60}]
    start = [{"do": "tap", "text": "开始巡河"}, {"do": "wait_screen", "name": "patrol"},
             {"do": "wait_until", "what": "has_fixes", "timeout": 60}]
    problem = [{"do": "tap", "id": "problem_btn"}, {"do": "wait_screen", "name": "problem"},
               {"do": "tap", "id": "photo_btn"},  # on the desktop a file chooser opens: the camera's stand-in
               {"do": "wait", "seconds": 0.3}, {"do": "dismiss_dialog"},
               {"do": "call", "method": "add_photo", "args": [str(PHOTO)]},  # what the camera hands back
               {"do": "tap", "text": "乱堆"}, {"do": "tap", "id": "submit_btn"},
               {"do": "wait_screen", "name": "patrol"},
               {"do": "say", "id": "banner"}]
    # a second report, told by voice instead of typed: one tap to record, one to stop; it goes up with the report
    voice = [{"do": "tap", "id": "problem_btn"}, {"do": "wait_screen", "name": "problem"},
             {"do": "tap", "id": "voice_btn"}, {"do": "wait", "seconds": 1.6}, {"do": "say", "id": "voice_btn"},
             {"do": "tap", "id": "voice_btn"}, {"do": "say", "id": "voice_info"},
             {"do": "check_layout", "name": "voice"},
             {"do": "tap", "text": "乱占"}, {"do": "tap", "id": "submit_btn"}, {"do": "wait_screen", "name": "patrol"},
             {"do": "wait_until", "what": "outbox_synced", "timeout": 60}]
    ending = [{"do": "back"}, {"do": "wait", "seconds": 0.3}, {"do": "say", "id": "banner"},  # back on a patrol
              {"do": "tap", "id": "end_btn"}, {"do": "say", "id": "question"}, {"do": "back"},  # back: the safe choice
              {"do": "no_dialog"}, {"do": "tap", "id": "end_btn"}, {"do": "tap", "id": "no_btn"}, {"do": "no_dialog"},
              {"do": "say_screen"}, {"do": "tap", "id": "end_btn"}, {"do": "tap", "id": "yes_btn"},
              {"do": "wait_screen", "name": "finish"}, {"do": "back"}, {"do": "wait_screen", "name": "patrol"}]
    out = _run(sign_in + start + problem + voice + ending, county, display, tmp_path)
    assert sum(1 for s in start if s["do"] in TAPS) == 1
    assert sum(1 for s in problem if s["do"] in TAPS) == 4
    assert "said banner: 已保存，有信号时自动上传" in out
    assert "said banner: 巡河仍在记录。要结束，请点「结束巡河」" in out
    assert "said question: 结束本次巡河吗？" in out
    assert "screen: patrol" in out  # 继续巡河: still on the patrol
    store = LocalStore(tmp_path / "phone" / "riverpatrol.sqlite")
    uid = store.current_account()["user_id"]
    [patrol] = store.patrols(uid)
    assert patrol["state"] == "recording"  # neither back nor 继续巡河 ended it
    first, told = [store.problem(i["ref"]) for i in store.outbox(uid) if i["kind"] == "problem"]
    assert first["category"] == "luan_dui" and first["patrol_uuid"] == patrol["uuid"] and len(first["photo_uuids"]) == 1
    # the voice note: recorded while the button said so, kept, and on the server whole, with its report's case
    assert re.search(r"said voice_btn: 正在录音 [12] 秒 · 点这里停止", out)
    assert "layout voice: []" in out  # the recorded note's lines fit, at density 2 and font scale 1.3
    assert re.search(r"said voice_info: 已录语音 [12] 秒，提交时一起上传", out)
    [item] = [i for i in store.outbox(uid) if i["kind"] == "voice"]
    assert item["state"] == "synced" and told["category"] == "luan_zhan"
    heard = county.get(f"/voice-notes/{item['ref']}", INSPECTOR).json()
    assert heard["complete"] and heard["container"] == "wav" and 1.4 <= heard["duration_s"] <= 3.0
    assert heard["problem_uuid"] == told["uuid"]
    assert county.get(f"/problems/{told['uuid']}", INSPECTOR).status_code == 200
