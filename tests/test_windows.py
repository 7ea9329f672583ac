"""Quota windows on the Asia/Shanghai calendar."""
import datetime as dt

import pytest

from shared_models.clock import local_day
from shared_models.windows import Window, window_of

D = dt.date


@pytest.mark.parametrize("kind,day,start,end", [
    ("day", D(2026, 11, 23), D(2026, 11, 23), D(2026, 11, 24)),
    ("week", D(2026, 11, 23), D(2026, 11, 23), D(2026, 11, 30)),  # a Monday
    ("week", D(2026, 11, 29), D(2026, 11, 23), D(2026, 11, 30)),  # the Sunday after
    ("xun", D(2026, 11, 10), D(2026, 11, 1), D(2026, 11, 11)),
    ("xun", D(2026, 11, 11), D(2026, 11, 11), D(2026, 11, 21)),
    ("xun", D(2026, 11, 30), D(2026, 11, 21), D(2026, 12, 1)),  # the last 旬 of a 30-day month
    ("xun", D(2026, 2, 28), D(2026, 2, 21), D(2026, 3, 1)),  # ... of February: 8 days
    ("xun", D(2026, 12, 31), D(2026, 12, 21), D(2027, 1, 1)),  # ... across the year end
    ("half_month", D(2026, 11, 15), D(2026, 11, 1), D(2026, 11, 16)),
    ("half_month", D(2026, 11, 16), D(2026, 11, 16), D(2026, 12, 1)),
    ("month", D(2026, 12, 5), D(2026, 12, 1), D(2027, 1, 1)),
    ("quarter", D(2026, 11, 23), D(2026, 10, 1), D(2027, 1, 1)),
    ("quarter", D(2026, 3, 31), D(2026, 1, 1), D(2026, 4, 1)),
    ("half_year", D(2026, 7, 1), D(2026, 7, 1), D(2027, 1, 1)),
    ("year", D(2026, 6, 30), D(2026, 1, 1), D(2027, 1, 1)),
])
def test_windows(kind, day, start, end):
    w = window_of(kind, day)
    assert (w.start, w.end) == (start, end)
    assert day in w and end not in w


def test_rolling_days_end_today():
    w = window_of("rolling", D(2026, 11, 23), n=4)  # Akqi's 96 h gap is a rule, not a window
    assert (w.start, w.end, w.days) == (D(2026, 11, 20), D(2026, 11, 24), 4)
    with pytest.raises(ValueError):
        window_of("rolling", D(2026, 11, 23), n=0)
    with pytest.raises(ValueError):
        window_of("fortnight", D(2026, 11, 23))


def test_local_days_and_utc_ranges_follow_shanghai():
    # 17:00 UTC on the 22nd is 01:00 on the 23rd in China: it counts for the week of the 23rd
    late = dt.datetime(2026, 11, 22, 17, 0, tzinfo=dt.UTC)
    assert local_day(late) == D(2026, 11, 23)
    start, end = Window(D(2026, 11, 23), D(2026, 11, 30)).utc_range()
    assert start == dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 11, 29, 16, 0, tzinfo=dt.UTC)
