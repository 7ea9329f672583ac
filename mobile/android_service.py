"""The Android recording service: keeps recording with the screen off and the app closed, and sends the outbox.

python-for-android runs it in its own process (buildozer.spec: ``services = Recorder:...:foreground:sticky``)
with ``ANDROID_PRIVATE`` (the private files directory, where the app's store is: mobile/platform/paths.py)
and ``PYTHON_SERVICE_ARGUMENT``: the app passes "app"; when Android restarts the sticky service after
killing it, p4a passes an empty argument, and the patrol gets a ``restarted`` event. There is no activity in
this process: the context is ``PythonService.mService``.

It resumes the patrol being recorded (the app started it in the shared store), feeds the phone's GPS into
the same PatrolRecorder, follows the inspector's pause, and sends the outbox when there is a network
(honouring each item's backoff) until the patrol is finished and nothing is left to send.
"""
from __future__ import annotations

import os
import threading

from mobile.api_client import ApiClient, ApiFailure
from mobile.platform import android
from mobile.platform.network import network_available
from mobile.platform.notify import notify
from mobile.platform.paths import store_path
from mobile.recorder import PatrolRecorder
from mobile.store import LocalStore
from mobile.sync import SyncEngine
from shared_models.clock import timestamp, wait

TICK_S = 2.0
SYNC_EVERY_S = 30.0


def _paused(store: LocalStore, patrol_uuid: str) -> bool:
    marks = [e["event"] for e in store.events(patrol_uuid) if e["event"] in ("user_paused", "user_resumed")]
    return bool(marks) and marks[-1] == "user_paused"


def _notice(store: LocalStore, user_id: int, recording: bool) -> str:
    waiting = store.retryable_count(user_id)
    head = "正在记录，关掉屏幕也在记录" if recording else "巡河已结束"
    return f"{head}；{waiting} 条等待上传" if waiting else head


def run(stop: threading.Event | None = None) -> str:
    """The service's work; returns why it ended (for its log)."""
    stop = stop or threading.Event()
    service = android.context()
    restarted = os.environ.get("PYTHON_SERVICE_ARGUMENT", "") == ""
    store = LocalStore(store_path())
    account = store.current_account()
    if not account:
        return "no account"
    user_id = account["user_id"]
    recorder = PatrolRecorder(store, user_id)
    recording = recorder.resume_after_restart(event="restarted" if restarted else None) is not None
    android.go_foreground(service, _notice(store, user_id, recording))
    gps = None
    if recording:
        gps = android.AndroidGps(recorder.on_fix, recorder.on_event, ctx=service)
        gps.start()
    engine = SyncEngine(store, ApiClient(account["server"], account["refresh_token"]), user_id) \
        if account["refresh_token"] else None
    last_sync = 0.0
    shown = None
    while not stop.is_set():
        if gps is not None:
            if store.recording(user_id) is None:  # the app finished (or discarded) the patrol
                gps.stop()
                gps, recorder.patrol_uuid = None, None
            else:
                recorder.paused = _paused(store, recorder.patrol_uuid)
                gps.tick()
        if engine is not None and timestamp() - last_sync >= SYNC_EVERY_S and network_available():
            last_sync = timestamp()
            try:
                report = engine.run_once()  # only what is due: each failed item waits out its backoff
            except ApiFailure:  # sent what it could; the pull afterwards found no server
                report = None
            while engine.news:  # a new task or a decision, with the app closed: told as a notification
                notify(*engine.news.pop(0))
            if report is not None and report.sign_in_required:
                engine = None  # the app asks the inspector to sign in again; the items wait for it
        if gps is None and (engine is None or store.retryable_count(user_id) == 0):
            return "done"
        notice = _notice(store, user_id, gps is not None)
        if notice != shown:
            android.go_foreground(service, notice)
            shown = notice
        wait(stop, TICK_S)
    recorder.flush()
    return "stopped"


if __name__ == "__main__":
    print(f"riverpatrol service: {run()}", flush=True)
