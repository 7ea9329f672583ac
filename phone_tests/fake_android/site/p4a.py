"""python-for-android's start-up, as its bootstrap documents it, for the fake device.

``install(private)`` unpacks the app's code into ``private/app`` as p4a does on first start and on every
update (replacing what was there). ``start_service(private, argument, device)`` starts a service the way
PythonService does: a new process, no activity in it, ``ANDROID_PRIVATE`` = the private files directory,
``ANDROID_ARGUMENT`` = ``files/app``, ``PYTHON_SERVICE_ARGUMENT`` = the argument ("" when Android restarts
a sticky service), ``PYTHONOPTIMIZE=2`` (start.c sets it: no asserts, no docstrings), the entry point run as
``__main__`` from the app directory.

Run as a script (``python p4a.py ENTRYPOINT``) it is that process: it puts the fake ``jnius`` and
``android`` first on the path, gives the process the phone's clock (fakedevice.PhoneClock: from
``FAKE_ANDROID_CLOCK_START``, ``FAKE_ANDROID_CLOCK_SPEED`` times as fast as real time, a second a replayed fix),
then runs the entry point.
"""
from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
import time
from pathlib import Path

SITE = Path(__file__).resolve().parent
ROOT = SITE.parents[2]
SERVICE_ENTRYPOINT = "mobile/android_service.py"  # buildozer.spec: services = Recorder:mobile/android_service.py


def install(private: Path) -> Path:
    app = private / "app"
    shutil.rmtree(app, ignore_errors=True)
    app.mkdir(parents=True)
    for name in ("mobile", "shared_models"):
        shutil.copytree(ROOT / name, app / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "main.py", app / "main.py")
    return app


def service_env(private: Path, argument: str, device: Path, **extra: str) -> dict:
    app = private / "app"
    keep = {k: v for k, v in os.environ.items() if k.startswith(("FAKE_ANDROID_", "PATH", "HOME", "LANG"))}
    return {**keep, "ANDROID_PRIVATE": str(private), "ANDROID_ARGUMENT": str(app), "ANDROID_APP_PATH": str(app),
            "ANDROID_ENTRYPOINT": SERVICE_ENTRYPOINT, "PYTHON_NAME": "recorder", "PYTHONOPTIMIZE": "2",
            "PYTHONPATH": str(app), "PYTHON_SERVICE_ARGUMENT": argument, "P4A_BOOTSTRAP": "sdl2",
            "FAKE_ANDROID_ROLE": "service", "FAKE_ANDROID_DIR": str(device), **extra}


def start_service(private: Path, argument: str, device: Path, **extra: str) -> subprocess.Popen:
    env = service_env(private, argument, device, **extra)
    with open(device / f"service-{time.monotonic_ns()}.log", "w") as out:  # the child's output (logcat)
        return subprocess.Popen([sys.executable, str(SITE / "p4a.py"), SERVICE_ENTRYPOINT], cwd=private / "app",
                                env=env, stdout=out, stderr=subprocess.STDOUT)


def _phone_clock() -> None:
    if os.environ.get("FAKE_ANDROID_CLOCK_SPEED") or os.environ.get("FAKE_ANDROID_CLOCK_START"):
        import fakedevice

        time.time = fakedevice.CLOCK.now


if __name__ == "__main__":
    sys.path.insert(0, str(SITE))
    _phone_clock()
    sys.argv = [sys.argv[1]]
    runpy.run_path(sys.argv[0], run_name="__main__")
