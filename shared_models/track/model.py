"""The fixes of one patrol, column by column (numpy arrays, one entry per fix)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..clock import utcnow
from .errors import TrackError, track_error

__all__ = ["EARLIEST", "FUTURE_TOLERANCE_S", "MAX_FIXES", "MAX_MAGNITUDE", "Track", "TrackError"]

# A patrol is a few hours at most; at 1 Hz a whole day is 86,400 fixes, so 200,000 leaves
# room for any honest recording while bounding what a hostile upload can make us allocate.
MAX_FIXES = 200_000
# Phone clocks drift and offline phones sync late; more than ten minutes ahead of the
# server is a wrong clock (or a made-up track), not drift.
FUTURE_TOLERANCE_S = 600.0
# Earlier than this is no clock at all: the server's calendar (dates, months, partitions)
# starts here (server/schemas.py DATE_MIN), and Python's ends at year 1. A 1901 clock is
# still a phone's fault for a person to see (the analysis flags it), not refused.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
# The optional columns travel as integers of 0.1 m, 0.01 m/s or 0.1 deg (codec): beyond a
# billion no phone measures anything, and beyond 2**53 the integers would not even hold them.
MAX_MAGNITUDE = 1e9
MAX_EPOCH_S = 1e11  # a GNSS time beyond the year 5000 is no reading (milliseconds of it still fit 2**53)
_OPTIONAL_ZH = {"accuracy": "定位精度", "altitude": "海拔", "speed": "速度", "bearing": "方向", "gnss_t": "卫星时间",
                "elapsed": "开机计时"}


@dataclass
class Track:
    """Fixes in recording order, one numpy array per column.

    - ``lon``, ``lat``: WGS84 degrees (float64).
    - ``t``: UTC seconds since the Unix epoch as float64. Float seconds (not integer
      milliseconds) because every consumer does arithmetic in seconds; float64 holds
      any millisecond of this century exactly, and the codec keeps milliseconds.
    - ``accuracy``: horizontal accuracy in metres (68% radius, as Android reports it);
      NaN where unknown (e.g. a GPX file without HDOP).
    - ``altitude`` (m), ``speed`` (m/s), ``bearing`` (degrees), ``mock`` (bool: the phone
      said the fix came from a mock provider): None when the source has none of them.
    - ``gnss_t``: the fix's own time from the satellites (UTC epoch seconds, Android's ``Location.getTime()``),
      ``elapsed``: seconds since the phone booted (``getElapsedRealtimeNanos()``), which no user can set;
      None when the source has none (GPX, older apps), NaN for a fix without it. Beside the wall clock
      they reveal a clock set wrong or moved during the patrol (the ``clock`` flag).
    - ``breaks``: indices of fixes that start a new part (recording paused and resumed,
      or a new GPX segment); the way between two parts is not walked track.
    """

    lon: np.ndarray
    lat: np.ndarray
    t: np.ndarray
    accuracy: np.ndarray | None = None
    altitude: np.ndarray | None = None
    speed: np.ndarray | None = None
    bearing: np.ndarray | None = None
    mock: np.ndarray | None = None
    breaks: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    gnss_t: np.ndarray | None = None
    elapsed: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.lon = np.asarray(self.lon, dtype=np.float64)
        self.lat = np.asarray(self.lat, dtype=np.float64)
        self.t = np.asarray(self.t, dtype=np.float64)
        n = len(self.lon)
        self.accuracy = (np.full(n, np.nan) if self.accuracy is None
                         else np.asarray(self.accuracy, dtype=np.float64))
        for name in ("altitude", "speed", "bearing", "gnss_t", "elapsed"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, np.asarray(value, dtype=np.float64))
        if self.mock is not None:
            self.mock = np.asarray(self.mock, dtype=bool)
        self.breaks = np.unique(np.asarray(self.breaks if self.breaks is not None else [], dtype=np.int64))
        for name in ("lon", "lat", "t", "accuracy", "altitude", "speed", "bearing", "mock", "gnss_t", "elapsed"):
            value = getattr(self, name)
            if value is not None and (value.ndim != 1 or len(value) != n):
                raise track_error("track.bad_columns", column=name)
        if len(self.breaks) and (self.breaks[0] < 1 or self.breaks[-1] >= n):
            raise track_error("track.bad_columns", column="breaks")

    def __len__(self) -> int:
        return len(self.lon)

    def parts(self) -> np.ndarray:
        """The part number of every fix (0 for the first part)."""
        marks = np.zeros(len(self), dtype=np.int64)
        marks[self.breaks] = 1
        return np.cumsum(marks)

    def take(self, index) -> Track:
        """A new track holding the fixes selected by a mask or index array (in order)."""
        index = np.flatnonzero(index) if np.asarray(index).dtype == bool else np.asarray(index, dtype=np.int64)

        def pick(a):
            return None if a is None else a[index]

        parts = self.parts()[index]
        breaks = np.flatnonzero(np.diff(parts) != 0) + 1
        return Track(self.lon[index], self.lat[index], self.t[index], self.accuracy[index], pick(self.altitude),
                     pick(self.speed), pick(self.bearing), pick(self.mock), breaks, list(self.notes),
                     pick(self.gnss_t), pick(self.elapsed))

    def validate(self, now: dt.datetime | None = None, max_fixes: int = MAX_FIXES,
                 future_tolerance_s: float = FUTURE_TOLERANCE_S) -> None:
        """Refuse what no phone can honestly send: raises TrackError with a stable code.

        A 1901 or frozen clock is not refused here: it is a real phone fault that a person
        should see, so the analysis flags it (``clock``) instead.
        """
        n = len(self)
        if n == 0:
            raise track_error("track.empty")
        if n > max_fixes:
            raise track_error("track.too_many_fixes", limit=max_fixes, fixes=n)
        in_range = (np.isfinite(self.lon) & np.isfinite(self.lat) & (np.abs(self.lon) <= 180)
                    & (np.abs(self.lat) <= 90))
        if not in_range.all():
            raise track_error("track.bad_coordinates", index=int(np.flatnonzero(~in_range)[0]))
        if not np.isfinite(self.t).all():
            raise track_error("track.bad_time", index=int(np.flatnonzero(~np.isfinite(self.t))[0]))
        # every time between EARLIEST and now before anything subtracts or converts them (no overflow)
        early = np.flatnonzero(self.t < EARLIEST.timestamp())
        if len(early):
            raise track_error("track.time_out_of_range", index=int(early[0]), earliest=EARLIEST.date().isoformat())
        now_s = (now or utcnow()).timestamp()
        if self.t.max() > now_s + future_tolerance_s:
            raise track_error("track.future_time", ahead_s=round(float(self.t.max() - now_s)))
        # compared at the codec's millisecond: a receiver writing 52.2073437 s after 52.207 s has not gone back;
        # a wall clock set back while the time since boot went on is the phone's clock moved (flagged, not refused)
        back = np.flatnonzero(np.diff(np.rint(self.t * 1000)) < 0)
        if len(back) and self.elapsed is not None:
            steps = np.diff(self.elapsed)[back]
            back = back[~(np.isfinite(steps) & (steps >= 0))]
        if len(back):
            raise track_error("track.decreasing_time", index=int(back[0]) + 1)
        acc = self.accuracy[np.isfinite(self.accuracy)]
        if (acc < 0).any():
            raise track_error("track.bad_accuracy")
        for column, name in _OPTIONAL_ZH.items():  # NaN is "unknown"; infinity or 1e300 is no reading
            value, limit = getattr(self, column), MAX_EPOCH_S if column == "gnss_t" else MAX_MAGNITUDE
            bad = np.flatnonzero(~(np.abs(value) <= limit) & ~np.isnan(value)) if value is not None else ()
            if len(bad):
                raise track_error("track.bad_values", column=column, name=name, index=int(bad[0]))
