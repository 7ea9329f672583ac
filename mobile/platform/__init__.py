"""Platform services, chosen in one place: Android (plyer / pyjnius) or the desktop fallbacks."""
from __future__ import annotations

import os
import sys


def on_android() -> bool:
    """A phone (p4a sets ANDROID_ARGUMENT), or the fake-Android harness running the desktop window on the
    Android layer (RIVERPATROL_PLATFORM=android, phone_tests/fake_android)."""
    return ("ANDROID_ARGUMENT" in os.environ or hasattr(sys, "getandroidapilevel")
            or os.environ.get("RIVERPATROL_PLATFORM") == "android")


def gps_service(on_fix, on_status, replay_gpx: str | None = None, speed: float = 1.0, already: int = 0):
    """The GPS: the phone's receiver on Android, else a replay of a real GPX file (going on
    after the ``already`` recorded fixes when a patrol resumes)."""
    if on_android():
        from .android import AndroidGps

        return AndroidGps(on_fix, on_status)
    from .gps import ReplayGps

    if not replay_gpx:
        raise RuntimeError("桌面版需要一个 GPX 文件来模拟定位 / on the desktop, give a GPX file to replay (--gpx)")
    return ReplayGps(replay_gpx, on_fix, on_status, speed=speed, skip_fixes=already)
