"""The fixes of one patrol, column by column (numpy arrays, one entry per fix)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

# A patrol is a few hours at most; at 1 Hz a day is 86,400 fixes.
MAX_FIXES = 200_000
FUTURE_TOLERANCE_S = 600  # phone clocks drift; more than ten minutes ahead is a wrong clock


class TrackError(ValueError):
    """Bad track input, with a stable code and a Chinese and English message."""

    def __init__(self, code: str, zh: str, en: str, **detail) -> None:
        super().__init__(f"{code}: {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.detail = detail


@dataclass
class Track:
    """Fixes in time order. Times are UTC seconds since the epoch (millisecond precision).

    ``accuracy`` is the horizontal accuracy in metres (NaN where unknown, e.g. from GPX);
    the optional columns are None when the source has none of them.
    """

    lon: np.ndarray
    lat: np.ndarray
    t: np.ndarray
    accuracy: np.ndarray
    altitude: np.ndarray | None = None
    speed: np.ndarray | None = None
    bearing: np.ndarray | None = None
    mock: np.ndarray | None = None
    # indices of fixes that start a new part: recording paused and resumed, or a new GPX
    # segment; the way between two parts is not walked track
    breaks: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lon = np.asarray(self.lon, dtype=np.float64)
        self.lat = np.asarray(self.lat, dtype=np.float64)
        self.t = np.asarray(self.t, dtype=np.float64)
        n = len(self.lon)
        self.accuracy = (np.full(n, np.nan) if self.accuracy is None
                         else np.asarray(self.accuracy, dtype=np.float64))
        for name in ("altitude", "speed", "bearing"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, np.asarray(value, dtype=np.float64))
        if self.mock is not None:
            self.mock = np.asarray(self.mock, dtype=bool)
        self.breaks = np.unique(np.asarray(self.breaks if self.breaks is not None else [], dtype=np.int64))
        if len(self.breaks) and (self.breaks[0] < 1 or self.breaks[-1] >= n):
            raise TrackError("track.bad_columns", "轨迹分段位置无效", "Invalid track part boundaries")
        for name in ("lat", "t", "accuracy", "altitude", "speed", "bearing", "mock"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise TrackError("track.bad_columns", "轨迹数据列长度不一致", "Track columns differ in length")

    def __len__(self) -> int:
        return len(self.lon)

    def parts(self) -> np.ndarray:
        """The part number of every fix (0 for the first part)."""
        marks = np.zeros(len(self), dtype=np.int64)
        marks[self.breaks] = 1
        return np.cumsum(marks)

    def take(self, index) -> Track:
        """A new track holding the fixes selected by a mask or index array (in order)."""
        index = np.flatnonzero(index) if np.asarray(index).dtype == bool else np.asarray(index)
        def pick(a):
            return (None if a is None else a[index])
        parts = self.parts()[index]
        breaks = np.flatnonzero(np.diff(parts) != 0) + 1
        return Track(self.lon[index], self.lat[index], self.t[index], self.accuracy[index], pick(self.altitude),
                     pick(self.speed), pick(self.bearing), pick(self.mock), breaks, list(self.notes))

    def validate(self, now: dt.datetime | None = None, max_fixes: int = MAX_FIXES) -> None:
        """Refuse what no phone can honestly send: raises TrackError with a stable code."""
        n = len(self)
        if n == 0:
            raise TrackError("track.empty", "轨迹为空", "The track has no fixes")
        if n > max_fixes:
            raise TrackError("track.too_many_fixes", f"轨迹点过多（上限 {max_fixes}）",
                             f"Too many fixes (limit {max_fixes})", fixes=n)
        finite = np.isfinite(self.lon) & np.isfinite(self.lat)
        in_range = finite & (np.abs(self.lon) <= 180) & (np.abs(self.lat) <= 90)
        if not in_range.all():
            i = int(np.flatnonzero(~in_range)[0])
            raise TrackError("track.bad_coordinates", "坐标无效（非数字或超出经纬度范围）",
                             "Invalid coordinates (not a number or out of range)", index=i)
        if not np.isfinite(self.t).all():
            raise TrackError("track.bad_time", "时间无效", "Invalid timestamps")
        steps = np.diff(self.t)
        if (steps < 0).any():
            i = int(np.flatnonzero(steps < 0)[0]) + 1
            raise TrackError("track.decreasing_time", "轨迹时间倒退", "Timestamps go backwards", index=i)
        now_s = (now or dt.datetime.now(dt.UTC)).timestamp()
        if self.t[-1] > now_s + FUTURE_TOLERANCE_S:
            raise TrackError("track.future_time", "轨迹时间晚于当前时间", "Timestamps are in the future")
        acc = self.accuracy[np.isfinite(self.accuracy)]
        if (acc < 0).any():
            raise TrackError("track.bad_accuracy", "定位精度无效", "Invalid accuracy values")
