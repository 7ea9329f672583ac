"""GPS lost / regained from what the receiver says, not only from the provider being switched off.

Lost: the provider switched off or the receiver stopped; or fewer than ``MIN_USED`` satellites used in a fix
for ``QUIET_S`` seconds (GnssStatus); or no fix for ``QUIET_S`` seconds. Regained: the first fix after that
with enough satellites. Each change is told once; nothing before the first fix (the receiver starting).
"""
from __future__ import annotations

from collections.abc import Callable

from shared_models.clock import timestamp

MIN_USED = 4  # a 3D fix needs four satellites
QUIET_S = 10.0  # ten 1 Hz fixes missed: under a bridge, in a wood, or the phone in a bag


class SignalWatch:
    def __init__(self, on_status: Callable[[str], None], clock: Callable[[], float] = timestamp) -> None:
        self.on_status = on_status
        self.clock = clock
        self.lost = False
        self.used: int | None = None
        self._weak_since: float | None = None
        self._last_fix: float | None = None  # nothing is lost before the first fix (a cold start)

    def _set(self, lost: bool) -> None:
        if lost != self.lost:
            self.lost = lost
            self.on_status("gps_lost" if lost else "gps_regained")

    def provider(self, enabled: bool) -> None:
        if not enabled:
            self._set(True)

    def satellites(self, used: int) -> None:
        self.used = used
        now = self.clock()
        if used >= MIN_USED:
            self._weak_since = None
        elif self._weak_since is None:
            self._weak_since = now
        self.tick()

    def fix(self, at: float) -> None:
        self._last_fix = at
        if self.lost and (self.used is None or self.used >= MIN_USED):
            self._set(False)

    def tick(self) -> None:
        if self._last_fix is None:
            return
        now = self.clock()
        weak = self._weak_since is not None and now - self._weak_since >= QUIET_S
        if weak or now - self._last_fix >= QUIET_S:
            self._set(True)
