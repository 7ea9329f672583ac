"""GPS on the desktop: a real GPX track replayed in real or accelerated time.

The fixes keep the file's spacing; their times are moved so the replayed walk ends about
when it is played out (never in the future), which is what a phone would have recorded.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from shared_models.clock import timestamp, wait
from shared_models.track.gpx import read_gpx


class ReplayGps:
    def __init__(self, gpx_path: str, on_fix: Callable[[dict], None], on_status: Callable[[str], None],
                 speed: float = 1.0, skip_fixes: int = 0) -> None:
        self.track = read_gpx(Path(gpx_path).read_bytes())
        self.on_fix = on_fix
        self.on_status = on_status
        self.speed = speed
        self.skip = skip_fixes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gps-replay", daemon=True)
        self._thread.start()
        self.on_status("gps_started")

    def stop(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        t = self.track.t
        wall0, mono0 = timestamp(), time.monotonic()
        span = (t[-1] - t[self.skip]) / self.speed
        base = wall0 + span - (t[-1] - t[self.skip])  # recorded times end at the replay's end
        acc = self.track.accuracy
        for i in range(self.skip, len(t)):
            due = mono0 + (t[i] - t[self.skip]) / self.speed
            if wait(self._stop, max(0.0, due - time.monotonic()), step=0.05):
                return
            self.on_fix({"t": base + (t[i] - t[self.skip]), "lon": float(self.track.lon[i]),
                         "lat": float(self.track.lat[i]),
                         "accuracy": None if np.isnan(acc[i]) else float(acc[i]),
                         "altitude": None if self.track.altitude is None else float(self.track.altitude[i]),
                         "speed": None, "bearing": None, "mock": False})
        self.on_status("gps_finished")
