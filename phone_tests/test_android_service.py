"""The recording service on the fake Android device: its own process, no activity, the app's store.

The phone here is phone_tests/fake_android (the one fake the suite allows): p4a's service start-up, the
Java classes the app calls, Android's rules on permissions, foreground services and notifications.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mobile.api_client import ApiClient
from mobile.platform.paths import store_path
from mobile.recorder import PatrolRecorder
from mobile.store import LocalStore
from mobile.sync import SyncEngine
from tests.tracks import TRACKS

SITE = Path(__file__).resolve().parent / "fake_android" / "site"
sys.path.insert(0, str(SITE))
import p4a  # noqa: E402  (the harness's launcher)

from .conftest import DEMO_PASSWORD  # noqa: E402

LAKE = TRACKS / "cerknicko-jezero.gpx"  # two hours around Cerknica lake
SPEED = 250.0  # the phone's clock runs 250 times as fast: 12 minutes of the walk replay in 3 s
WINDOW = [1767, 2470]  # the seconds of the walk replayed: 12 minutes the file has a fix in every minute of
ALL = ["android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION",
       "android.permission.ACCESS_BACKGROUND_LOCATION", "android.permission.POST_NOTIFICATIONS"]
USER = {"id": 7, "phone": "13900000101", "name": "刘德明", "role": "inspector"}


class Phone:
    def __init__(self, root: Path, **device) -> None:
        self.private = root / "data" / "user" / "0" / "cn.riverpatrol.riverpatrol" / "files"
        self.device = root / "device"
        self.device.mkdir(parents=True)
        self.private.mkdir(parents=True)
        self.clock_start = time.time() - (WINDOW[1] - WINDOW[0]) - 120  # the replay ends before now
        self.config = {"sdk": 34, "gpx": str(LAKE), "window": WINDOW, "network": False, **device}
        self.save()
        (self.device / "granted.json").write_text(json.dumps(ALL))
        p4a.install(self.private)
        self.procs: list[subprocess.Popen] = []

    def save(self) -> None:
        (self.device / "device.json").write_text(json.dumps(self.config))

    def store(self) -> LocalStore:
        """The store as the app opens it (its own process: ANDROID_PRIVATE set, as p4a sets it)."""
        os.environ["ANDROID_PRIVATE"] = str(self.private)
        try:
            return LocalStore(store_path())
        finally:
            del os.environ["ANDROID_PRIVATE"]

    def start_service(self, argument: str = "app", clock_offset: float = 1.0) -> subprocess.Popen:
        proc = p4a.start_service(self.private, argument, self.device, FAKE_ANDROID_CLOCK_SPEED=str(SPEED),
                                 FAKE_ANDROID_CLOCK_START=str(self.clock_start + clock_offset))
        self.procs.append(proc)
        return proc

    def log(self) -> list[dict]:
        path = self.device / "log.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def output(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.device.glob("service-*.log")))

    def wait_for(self, what, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            if any(p.poll() not in (None, 0) for p in self.procs):
                raise AssertionError(f"the service died:\n{self.output()[-3000:]}")
            time.sleep(0.05)  # polling another process, not waiting out a time
        raise AssertionError(f"timed out; service said:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def phone(tmp_path):
    made = []

    def make(**device) -> Phone:
        made.append(Phone(tmp_path, **device))
        return made[-1]

    yield make
    for p in made:
        p.stop()


def _start_patrol(phone: Phone, server: str = "http://127.0.0.1:9") -> str:
    """The app: signed in, a patrol started on the phone's clock; then the app's process is gone."""
    store = phone.store()
    store.save_account(USER, server, "refresh-token", "session")
    uuid = PatrolRecorder(store, USER["id"], clock=lambda: phone.clock_start).start(3, [1])
    store.close()
    return uuid


def _calls(phone: Phone, name: str) -> list[dict]:
    return [c for c in phone.log() if c["call"] == name]


def test_the_service_records_with_the_app_gone_into_the_store_the_app_reads(phone):
    ph = phone(mock=[[1900, 1930, True]], satellites=[[2200, 2260, 2]])
    uuid = _start_patrol(ph)
    ph.start_service("app")
    ph.wait_for(lambda: _calls(ph, "replay_finished"))

    store = ph.store()  # the app opened again
    track = store.track(uuid)
    replay = _calls(ph, "replay_finished")[0]
    assert len(track) == replay["delivered"] > 600  # every fix the receiver gave, in the app's store
    assert replay["covered"] - 60 <= replay["delivered"] < replay["covered"]  # none with 2 satellites
    assert int(track.mock.sum()) == 30  # each fix's own flag: the 30 s the mock app ran, no more
    rec = PatrolRecorder(store, USER["id"])
    rec.resume_after_restart(event=None)
    [mock] = [f for f in rec.preview().flags if f.code == "mock_location"]  # what the phone tells, the server too
    assert mock.evidence["mock_fixes"] == 30
    events = [e["event"] for e in store.events(uuid)]
    assert events[0] == "started" and "restarted" not in events  # the app started it: not a restart
    assert events.count("gps_lost") >= 1 and events.count("gps_regained") >= 1
    first = float(track.t[0])  # the first fix: the walk's 1,767th second
    at = {name: [e["at"] - first for e in store.events(uuid) if e["event"] == name]
          for name in ("gps_lost", "gps_regained")}
    # the sky hidden from the walk's 2,200th second, 433 s after the first fix, for a minute
    assert [round(t) for t in at["gps_lost"]][:1] == [432 + 10]  # 10 s after the last fix
    assert [round(t) for t in at["gps_regained"]] == [433 + 60]  # at the first fix with 9 again
    # Android's side: the service's own channel, a foreground service of type location, GPS from the
    # main looper, satellites from GnssStatus; all of it in the service's process (no activity there)
    assert _calls(ph, "createNotificationChannel")[0]["name"] == "巡河记录"
    fg = _calls(ph, "startForeground")
    assert fg and all(c["type"] == 8 and c["role"] == "service" for c in fg)
    assert fg[0]["notification"]["channel"] == "riverpatrol.recording" and fg[0]["visible"]
    assert "正在记录" in fg[0]["notification"]["contenttext"]
    assert _calls(ph, "requestLocationUpdates")[0]["looper"] and _calls(ph, "registerGnssStatusCallback")
    assert not list((ph.private / "app").rglob("*.sqlite"))  # nothing in files/app, which updates replace

    # the inspector finishes in the app; the service stops the GPS and waits for a network to send
    rec.finish({}, "")
    ph.wait_for(lambda: _calls(ph, "removeUpdates"))
    ph.wait_for(lambda: any("1 条等待上传" in c["notification"]["contenttext"] for c in _calls(ph, "startForeground")))
    [item] = store.outbox(USER["id"])
    assert item["attempts"] == 0  # no network: nothing tried

    # an app update replaces files/app; every unsent item is still there
    p4a.install(ph.private)
    again = ph.store()
    assert [i["ref"] for i in again.outbox(USER["id"])] == [uuid] and len(again.track(uuid)) == len(track)

    # the network comes back (the server is not answering): the service tries, and waits out the backoff
    ph.config["network"] = True
    ph.save()
    ph.wait_for(lambda: again.outbox(USER["id"])[0]["attempts"] >= 1)
    failed = again.outbox(USER["id"])[0]
    assert failed["state"] == "failed" and failed["next_attempt_at"] >= failed["created_at"]
    assert ph.procs[0].poll() is None  # still there for the next try


def test_android_restarting_the_sticky_service_writes_restarted(phone):
    ph = phone()
    uuid = _start_patrol(ph)
    first = ph.start_service("app")
    store = ph.store()
    ph.wait_for(lambda: len(store.track(uuid)) > 100)
    first.send_signal(signal.SIGKILL)  # Android reclaims the process
    first.wait(timeout=10)
    before = len(store.track(uuid))
    ph.procs.remove(first)
    ph.start_service("", clock_offset=3600)  # START_STICKY: Android starts it again, p4a passes ""
    ph.wait_for(lambda: len(store.track(uuid)) > before + 100)
    events = [e["event"] for e in store.events(uuid)]
    assert events[0] == "started" and events.count("restarted") == 1
    assert len(_calls(ph, "startForeground")) >= 2  # in the foreground again at once


def test_without_location_permission_android_14_refuses_the_service(phone):
    ph = phone()
    (ph.device / "granted.json").write_text("[]")
    _start_patrol(ph)
    proc = ph.start_service("app")
    proc.wait(timeout=30)
    ph.procs.remove(proc)
    assert proc.returncode != 0 and "SecurityException" in ph.output()
    assert not _calls(ph, "requestLocationUpdates")  # Android refused before any fix was asked for


def test_the_service_sends_the_patrol_with_the_app_closed_once_its_backoff_is_over(phone, county):
    ph = phone(network=False)
    store = ph.store()
    client = ApiClient(county.base)
    body = client.login(USER["phone"], DEMO_PASSWORD, "fake-android")  # signed in once, online
    uid = body["user"]["id"]
    store.save_account(body["user"], county.base, body["refresh_token"], body["session_id"])
    SyncEngine(store, client, uid).pull()
    card = store.cards(uid)["cards"][0]
    rec = PatrolRecorder(store, uid, clock=lambda: ph.clock_start)
    uuid = rec.start(card["id"], [seg["id"] for seg in card["segments"]])
    service = ph.start_service("app")
    ph.wait_for(lambda: _calls(ph, "replay_finished"))
    rec.clock = lambda: ph.clock_start + 900  # the inspector ends the patrol in the app, then closes it
    rec.finish({}, "")
    blocked_until = time.time() + 1800  # an earlier failure's backoff: half an hour of the phone's clock
    store._db.execute("UPDATE outbox SET state = 'failed', attempts = 3, next_attempt_at = ? WHERE ref = ?",
                      (blocked_until, uuid))
    ph.config["network"] = True  # the network is back, the server answers
    ph.save()
    service.wait(timeout=60)  # it ends by itself: the patrol is finished and nothing is left to send
    assert service.returncode == 0, ph.output()[-3000:]
    [item] = store.outbox(uid)
    assert item["state"] == "synced" and item["synced_at"] >= blocked_until  # not before the backoff was over
    r = county.get(f"/patrols/{uuid}", USER["phone"])
    assert r.status_code == 200 and r.json()["fix_count"] == len(store.track(uuid)) > 600


def test_a_clock_set_back_mid_patrol_shows_as_the_clock_flag_with_both_times(phone):
    ph = phone(clock_moves=[[2100, 2101, -3600.0]])  # 333 s in, the inspector sets the phone an hour back
    uuid = _start_patrol(ph)
    ph.start_service("app")
    ph.wait_for(lambda: _calls(ph, "replay_finished"))
    store = ph.store()
    track = store.track(uuid)
    assert track.gnss_t is not None and track.elapsed is not None  # every fix keeps the receiver's own times
    rec = PatrolRecorder(store, USER["id"])
    rec.resume_after_restart(event=None)
    preview = rec.preview()  # what the phone tells the inspector, from the code the server runs
    [flag] = [f for f in preview.flags if f.code == "clock"]
    [move] = flag.evidence["moved"]
    assert move["by_s"] == -3600 and move["index"] == 2100 - WINDOW[0]
    assert 690 <= preview.duration_s <= 710  # measured by the time since boot: the 12 minutes walked
