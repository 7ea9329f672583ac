"""The Android foreground service that keeps recording while the screen is off.

It resumes the patrol being recorded (the app started it in the shared store), feeds the
phone's GPS into the same PatrolRecorder, and stops when the patrol is finalised.
Runs only on a phone (built by buildozer); the desktop records in the app process.
"""
from __future__ import annotations

import os
import time

from mobile.platform.android import AndroidGps
from mobile.recorder import PatrolRecorder
from mobile.store import LocalStore


def main() -> None:
    store = LocalStore(os.path.join(os.environ.get("ANDROID_PRIVATE", "."), "riverpatrol.sqlite"))
    account = store.current_account()
    if not account:
        return
    recorder = PatrolRecorder(store, account["user_id"])
    if recorder.resume_after_restart(event=None) is None:
        return
    gps = AndroidGps(recorder.on_fix, recorder.on_event)
    gps.start()
    while store.recording(account["user_id"]):  # the app finalises the patrol; then we stop
        time.sleep(2)
    gps.stop()


if __name__ == "__main__":
    main()
