"""Counting windows for patrol quotas, on the Asia/Shanghai calendar.

day, week (Monday to Sunday), 旬 (the 1st-10th, 11th-20th, 21st-end of a month),
half-month (1st-15th, 16th-end), month, quarter, half-year, year, and rolling N days
(the N days ending today). A window is a half-open range of local dates [start, end).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .clock import local_midnight

KINDS = ("day", "week", "xun", "half_month", "month", "quarter", "half_year", "year", "rolling")
KIND_LABELS = {"day": "天", "week": "周", "xun": "旬", "half_month": "半月", "month": "月", "quarter": "季度",
               "half_year": "半年", "year": "年", "rolling": "天内"}


@dataclass(frozen=True)
class Window:
    start: dt.date  # first day
    end: dt.date  # the day after the last day

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def utc_range(self) -> tuple[dt.datetime, dt.datetime]:
        """The window as UTC instants: local midnight to local midnight."""
        return local_midnight(self.start), local_midnight(self.end)


def _month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _next_month(day: dt.date) -> dt.date:
    return _month_start(day, -1)


def window_of(kind: str, day: dt.date, n: int = 7) -> Window:
    """The window of ``kind`` holding ``day`` (for ``rolling``: the ``n`` days ending on ``day``)."""
    if kind == "day":
        return Window(day, day + dt.timedelta(days=1))
    if kind == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return Window(monday, monday + dt.timedelta(days=7))
    if kind in ("xun", "half_month"):
        cuts = (1, 11, 21) if kind == "xun" else (1, 16)
        first = max(c for c in cuts if c <= day.day)
        later = [c for c in cuts if c > first]
        end = day.replace(day=later[0]) if later else _next_month(day)
        return Window(day.replace(day=first), end)
    if kind in ("month", "quarter", "half_year", "year"):
        months = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[kind]
        start_month = (day.month - 1) // months * months + 1
        start = dt.date(day.year, start_month, 1)
        end_index = day.year * 12 + start_month - 1 + months
        return Window(start, dt.date(end_index // 12, end_index % 12 + 1, 1))
    if kind == "rolling":
        if n < 1:
            raise ValueError("rolling windows need n >= 1")
        return Window(day - dt.timedelta(days=n - 1), day + dt.timedelta(days=1))
    raise ValueError(f"unknown window kind {kind!r}")
