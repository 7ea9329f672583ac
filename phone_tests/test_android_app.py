"""The app's window on the fake Android device, signed in to a real county server: a patrol asks for location
first, in Chinese; refused, nothing is recorded; granted, the maker's battery page comes once and the recording
service (its own process) records into the store the app shows."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DEMO_PASSWORD, ROOT

SITE = Path(__file__).resolve().parent / "fake_android" / "site"
sys.path.insert(0, str(SITE))
import p4a  # noqa: E402  (the harness's launcher)

LAKE = ROOT / "tests" / "data" / "tracks" / "cerknicko-jezero.gpx"
INSPECTOR = "13900000101"
FINE, COARSE = "android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION"
BACKGROUND = "android.permission.ACCESS_BACKGROUND_LOCATION"
NOTIFY = "android.permission.POST_NOTIFICATIONS"
XIAOMI_AUTOSTART = "com.miui.securitycenter/com.miui.permcenter.autostart.AutoStartManagementActivity"


def _sign_in() -> list[dict]:
    return [{"do": "wait_screen", "name": "login"},
            {"do": "text", "id": "phone", "value": INSPECTOR}, {"do": "text", "id": "password", "value": DEMO_PASSWORD},
            {"do": "tap", "id": "login_btn"}, {"do": "wait_screen", "name": "home", "timeout": 60},
            {"do": "tap", "text": "开始巡河"}, {"do": "wait_screen", "name": "permission"},
            {"do": "check_layout", "name": "permission"}, {"do": "say", "id": "text"},
            {"do": "tap", "id": "primary_btn"}]


@pytest.fixture
def android_app(tmp_path, display, county):
    device, private = tmp_path / "device", tmp_path / "files"
    device.mkdir()
    p4a.install(private)
    started = []

    def run(script: list[dict], answers: dict, **config) -> tuple[subprocess.CompletedProcess, list[dict]]:
        (device / "device.json").write_text(json.dumps({"sdk": 34, "gpx": str(LAKE), "window": [1767, 2470],
                                                        **config}))
        (device / "answers.json").write_text(json.dumps(answers))
        (tmp_path / "script.json").write_text(json.dumps(script, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "DISPLAY": display, "RIVERPATROL_PLATFORM": "android", "FAKE_ANDROID_DIR": str(device),
               "FAKE_ANDROID_ROLE": "activity", "ANDROID_PRIVATE": str(private),
               "PYTHONPATH": os.pathsep.join([str(SITE), str(ROOT)]), "KIVY_HOME": str(tmp_path / "kivy"),
               "RIVERPATROL_UI_SCRIPT": str(tmp_path / "script.json"), "RIVERPATROL_SCREENSHOTS": str(tmp_path),
               "KIVY_METRICS_DENSITY": "2.75", "KIVY_METRICS_FONTSCALE": "1.5"}  # the largest the layout check knows
        done = subprocess.run([sys.executable, "-m", "mobile", "--server", county.base], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=240)
        log = [json.loads(line) for line in (device / "log.jsonl").read_text().splitlines()] \
            if (device / "log.jsonl").exists() else []
        started.extend({c["pid"] for c in log if c["role"] == "service"})
        checked = [line for line in done.stdout.splitlines() if line.startswith("layout ")]
        wrong = [line for line in checked if not line.endswith(": []")]
        assert checked and not wrong, wrong  # each screen checked fits the phone (mobile/layout_check.py)
        return done, log

    yield run, private
    for pid in started:  # the recording service outlives the app, as on a phone
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_location_refused_records_nothing_and_says_so_in_chinese(android_app):
    run, private = android_app
    done, log = run(_sign_in() + [{"do": "wait", "seconds": 0.5}, {"do": "say", "id": "text"},
                                  {"do": "say", "id": "primary_btn"}, {"do": "shot", "name": "refused"},
                                  {"do": "check_layout", "name": "refused"},
                                  {"do": "tap", "id": "secondary_btn"}, {"do": "wait_screen", "name": "home"},
                                  {"do": "quit"}], answers={})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "said text: 巡河要记录您走过的路线，请允许河巡使用手机的精确位置。" in done.stdout
    assert "said text: 没有精确位置，无法记录巡河。" in done.stdout
    assert "said primary_btn: 去设置里打开位置权限" in done.stdout
    assert [c["permissions"] for c in log if c["call"] == "request_permissions"] == [[FINE, COARSE]]
    assert not [c for c in log if c["call"] == "ServiceRecorder.start"]  # no service, no GPS
    from mobile.store import LocalStore

    store = LocalStore(private / "riverpatrol" / "riverpatrol.sqlite")
    assert store.patrols(store.current_account()["user_id"]) == []  # no patrol was started


def test_granted_the_makers_page_comes_once_and_the_service_records_for_the_app(android_app):
    run, private = android_app
    script = _sign_in() + [
        {"do": "wait_screen", "name": "permission"}, {"do": "tap", "id": "primary_btn"},  # background: 始终允许
        {"do": "wait", "seconds": 0.3}, {"do": "tap", "id": "primary_btn"},  # notifications
        {"do": "wait_screen", "name": "keepalive"}, {"do": "say", "id": "text"}, {"do": "shot", "name": "keepalive"},
        {"do": "check_layout", "name": "keepalive"},
        {"do": "tap", "id": "battery_btn"}, {"do": "tap", "id": "maker_btn"}, {"do": "tap", "id": "keepalive_done_btn"},
        {"do": "wait_screen", "name": "patrol"}, {"do": "wait_until", "what": "has_fixes", "timeout": 90},
        {"do": "shot", "name": "patrol"}, {"do": "quit"}]
    done, log = run(script, answers={FINE: True, COARSE: True, BACKGROUND: True, NOTIFY: True}, maker="Xiaomi",
                    activities=[XIAOMI_AUTOSTART])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "在「自启动管理」里打开「河巡」" in done.stdout
    asked = [c for c in log if c["call"] == "request_permissions"]
    assert [c["permissions"] for c in asked] == [[FINE, COARSE], [BACKGROUND], [NOTIFY]]
    opened = [c for c in log if c["call"] == "startActivity"]
    assert [c["action"] or c["component"] for c in opened] == [
        "android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", XIAOMI_AUTOSTART]
    [start] = [c for c in log if c["call"] == "ServiceRecorder.start"]
    assert start["argument"] == "app" and start["role"] == "activity"
    assert [c for c in log if c["call"] == "startForeground" and c["role"] == "service"]
    assert not [c for c in log if c["call"] == "requestLocationUpdates" and c["role"] == "activity"]  # one recorder
