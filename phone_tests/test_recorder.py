"""A patrol survives the app being killed: every fix older than 5 s is kept, and it resumes."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mobile.recorder import PatrolRecorder
from mobile.store import LocalStore
from tests.tracks import TRACKS, WALK

ROOT = Path(__file__).resolve().parents[1]


def _start(store, speed=100.0, skip=0):
    return subprocess.Popen(
        [sys.executable, "-m", "mobile.headless", "record", "--store", str(store), "--gpx", str(TRACKS / WALK),
         "--user-id", "7", "--card-id", "3", "--speed", str(speed), "--skip", str(skip)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_kill_9_mid_patrol_loses_nothing_older_than_5_seconds(tmp_path):
    store_path = tmp_path / "phone.sqlite"
    LocalStore(store_path).close()
    proc = _start(store_path)
    emitted = []  # (wall time the fix reached the recorder, fix time)
    first = proc.stdout.readline()
    assert "started" in first
    while len(emitted) < 60:
        line = proc.stdout.readline()
        emitted.append((time.time(), float(line.split()[1])))
    killed_at = time.time()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()

    store = LocalStore(store_path)
    patrol = store.recording(7)
    kept = set(store.track(patrol["uuid"]).t.round(3))
    old = [t for wall, t in emitted if killed_at - wall > 5]
    assert old, "the test must have fixes older than 5 s"
    assert all(round(t, 3) in kept for t in old)
    store.close()

    # started again, it carries on with the same patrol and says why there is a gap
    proc = _start(store_path, skip=len(emitted) + 5)
    assert f"patrol {patrol['uuid']} resumed" in proc.stdout.readline()
    for _ in range(5):
        proc.stdout.readline()
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait()
    proc.stdout.close()
    store = LocalStore(store_path)
    assert [e["event"] for e in store.events(patrol["uuid"])] == ["started", "restarted"]
    assert len(store.track(patrol["uuid"])) > len(kept)


def test_pause_and_events_are_recorded_and_the_preview_judges(tmp_path):
    from tests import tracks

    walk = tracks.real(WALK)
    store = LocalStore(tmp_path / "phone.sqlite")
    rec = PatrolRecorder(store, 7, clock=lambda: walk.t[0])
    uuid = rec.start(3, [])
    for i in range(100):
        if i == 50:
            rec.pause()
        if i == 60:
            rec.resume()
        rec.on_fix({"t": walk.t[i], "lon": walk.lon[i], "lat": walk.lat[i], "accuracy": 5.0})
    rec.on_event("gps_lost")
    preview = rec.preview()
    assert preview.fixes == 90  # nothing recorded while paused
    assert [e["event"] for e in store.events(uuid)] == ["started", "user_paused", "user_resumed", "gps_lost"]
    assert preview.distance_m > 1000
    rec.finish({"垃圾": "无"}, "")
    assert store.outbox(7)[0]["kind"] == "patrol"
