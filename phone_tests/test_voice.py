"""A voice note on the fake Android device: the microphone asked for when first used, MediaRecorder driven in its
documented order with the settings speech needs, the recording queued with its report and sent in chunks to a
real county server, which recognises it; a refused microphone or a recording with no sound leaves nothing."""
from __future__ import annotations

import json
from pathlib import Path

from mobile.controller import Controller
from shared_models.clock import timestamp

from .conftest import DEMO_PASSWORD, ROOT
from .test_permissions import _run, device  # noqa: F401  (the fake device, and the permission flow on it)

MIC = "android.permission.RECORD_AUDIO"
INSPECTOR = "13900000102"  # the demo's second inspector: the window tests' reports and tasks stay the first one's
SAMPLE = ROOT / "tests" / "data" / "audio" / "voice-note.m4a"  # AAC in MPEG-4, as MediaRecorder writes


def _phone(path: Path, monkeypatch, server: str, **config) -> Controller:
    (path / "device.json").write_text(json.dumps({"sdk": 34, "voice_sample": str(SAMPLE), **config}))
    monkeypatch.setenv("RIVERPATROL_PLATFORM", "android")
    # its own device id: signing in again on a device replaces that device's session, and the window tests' app
    # (device "desktop") may be signed in as the same inspector at the same time
    return Controller(path / "files", server, device_id="fake-android-voice")


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "log.jsonl").read_text().splitlines()]


def test_a_voice_note_recorded_on_the_phone_reaches_the_server_whole(device, county, monkeypatch):  # noqa: F811
    from mobile.permissions import BEFORE_VOICE

    path = device(**{MIC: True})
    _flow, shown, outcome = _run(BEFORE_VOICE)
    assert shown == ["microphone"] and outcome.go  # asked when first needed, with its sentence first
    c = _phone(path, monkeypatch, county.base)
    c.login(INSPECTOR, DEMO_PASSWORD)
    c.start_voice()
    assert c.voice_seconds() is not None
    note = c.stop_voice()
    assert note["path"].endswith(".m4a") and Path(note["path"]).read_bytes() == SAMPLE.read_bytes()
    [started] = [e for e in _log(path) if e["call"] == "MediaRecorder.start"]
    assert (started["source"], started["format"], started["encoder"]) == (1, 2, 3)  # MIC, MPEG_4, AAC
    assert (started["channels"], started["rate"], started["bitrate"], started["max_ms"]) == (1, 16000, 32000, 60000)
    assert [e["call"] for e in _log(path)][-2:] == ["MediaRecorder.stop", "MediaRecorder.release"]
    assert not [e for e in _log(path) if e["call"] == "MediaRecorder.deprecated_constructor"]
    c.on_fix({"t": timestamp(), "lon": 108.8745, "lat": 34.3655, "accuracy": 5.0})
    problem = c.report_problem("garbage", "general", "", [], note)
    report = c.sync.run_once()
    assert note["uuid"] in report.sent and problem in report.sent and not report.failed
    heard = county.get(f"/voice-notes/{note['uuid']}", INSPECTOR).json()
    assert heard["complete"] and heard["container"] == "m4a" and 2.9 < heard["duration_s"] < 3.2
    assert heard["problem_uuid"] == problem
    audio = county.get(f"/voice-notes/{note['uuid']}/audio", INSPECTOR)
    assert audio.headers["Content-Type"] == "audio/mp4" and audio.content == SAMPLE.read_bytes()


def test_a_refused_microphone_says_what_still_works_and_holds_nothing(device, monkeypatch):  # noqa: F811
    from jnius import JavaException

    from mobile.permissions import BEFORE_VOICE

    path = device()  # the inspector says no
    _flow, _shown, outcome = _run(BEFORE_VOICE)
    assert not outcome.go
    assert [s.refused for s in outcome.refused] == ["没有麦克风权限，不能录音；问题可以打字说明，照样上报。"]
    c = _phone(path, monkeypatch, "http://127.0.0.1:9")
    try:
        c.start_voice()
    except JavaException as exc:  # what the phone answers without the permission
        assert "setAudioSource failed" in str(exc)
    else:
        raise AssertionError("recorded without the microphone's permission")
    assert [e["call"] for e in _log(path) if e["call"].startswith("MediaRecorder")] == ["MediaRecorder.release"]


def test_a_recording_stopped_before_any_sound_is_dropped(device, monkeypatch):  # noqa: F811
    path = device(**{MIC: True})
    from android.permissions import request_permissions

    request_permissions([MIC])
    c = _phone(path, monkeypatch, "http://127.0.0.1:9", voice="silent")
    c.start_voice()
    assert c.stop_voice() is None and c.voice_seconds() is None
    assert not list((path / "files" / "voice").iterdir())  # no empty file waits to be sent
