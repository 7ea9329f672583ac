"""Recording a patrol so that a crash loses at most a few seconds of it.

Fixes from the GPS are buffered and written to the store every FLUSH_S seconds (from the
fix stream and from a timer, so a quiet GPS still flushes). What happens to the app is
recorded beside the fixes, so a gap can later be told apart: no signal, paused, or the app
killed and restarted.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from shared_models.clock import timestamp, wait
from shared_models.enums import LIFECYCLE_EVENTS
from shared_models.track.analysis import analyze
from shared_models.track.verdict import AnalysisResult, ValidityRule

from .store import LocalStore

FLUSH_S = 1.0  # well inside the promise of at most 5 s lost


class PatrolRecorder:
    def __init__(self, store: LocalStore, user_id: int, clock: Callable[[], float] = timestamp) -> None:
        self.store = store
        self.user_id = user_id
        self.clock = clock
        self.patrol_uuid: str | None = None
        self.paused = False
        self._buffer: list[tuple] = []
        self._lock = threading.Lock()
        self._last_flush = clock()
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()

    # --- life cycle ---------------------------------------------------------------------

    def start(self, card_id: int, segment_ids: list[int]) -> str:
        self.patrol_uuid = self.store.start_patrol(self.user_id, card_id, segment_ids, self.clock())
        self.store.add_event(self.patrol_uuid, "started", self.clock())
        self._start_timer()
        return self.patrol_uuid

    def resume_after_restart(self, event: str | None = "restarted") -> str | None:
        """Carry on with the patrol the app was recording when it was killed (``event`` None:
        a second process, the Android recording service, taking over without a restart)."""
        found = self.store.recording(self.user_id)
        if found is None:
            return None
        self.patrol_uuid = found["uuid"]
        if event:
            self.store.add_event(self.patrol_uuid, event, self.clock())
        self._start_timer()
        return self.patrol_uuid

    def finish(self, checklist: dict, notes: str) -> str:
        self.flush()
        self._stop.set()
        uuid = self.patrol_uuid
        self.store.finalize_patrol(uuid, checklist, notes, self.clock())
        self.patrol_uuid = None
        return uuid

    # --- input --------------------------------------------------------------------------

    def on_fix(self, fix: dict) -> None:
        if self.patrol_uuid is None or self.paused:
            return
        row = (fix["t"], fix["lon"], fix["lat"], fix.get("accuracy"), fix.get("altitude"), fix.get("speed"),
               fix.get("bearing"), int(bool(fix.get("mock"))), fix.get("gnss_t"), fix.get("elapsed_s"))
        with self._lock:
            self._buffer.append(row)
        if self.clock() - self._last_flush >= FLUSH_S:
            self.flush()

    def on_event(self, event: str) -> None:
        """gps_lost / gps_regained / paused / resumed (by the system), recorded as they happen."""
        if event not in LIFECYCLE_EVENTS:
            raise ValueError(event)
        if self.patrol_uuid is not None:
            self.flush()
            self.store.add_event(self.patrol_uuid, event, self.clock())

    def pause(self) -> None:
        self.on_event("user_paused")
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self.on_event("user_resumed")

    def flush(self) -> None:
        with self._lock:
            rows, self._buffer = self._buffer, []
            self._last_flush = self.clock()
        if rows and self.patrol_uuid:
            self.store.add_fixes(self.patrol_uuid, rows)

    def _start_timer(self) -> None:
        self._stop.clear()

        def tick() -> None:
            while not wait(self._stop, FLUSH_S):
                self.flush()

        self._timer = threading.Thread(target=tick, name="fix-flush", daemon=True)
        self._timer.start()

    # --- what the inspector sees ----------------------------------------------------------

    def preview(self, segments=None, grid=None, rule: ValidityRule = ValidityRule()) -> AnalysisResult:
        """The verdict the server will give, computed on the phone with the same code."""
        self.flush()
        events = [{"at": e["at"], "event": e["event"]} for e in self.store.events(self.patrol_uuid)]
        return analyze(self.store.track(self.patrol_uuid), segments=segments, grid=grid, rule=rule,
                       lifecycle_events=events)
