"""The receiver's own times beside the wall clock: a clock set wrong or moved during a patrol is flagged with
both times as evidence, and the patrol is measured by the times no one can set (shared code: phone and server)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from shared_models.track import Track, TrackError
from shared_models.track.analysis import analyze
from shared_models.track.codec import decode, encode, validate

from .tracks import real

LAKE = "cerknicko-jezero.gpx"  # two hours around Cerknica lake, a fix every 8 s
NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
WEEK = 7 * 86400


def _phone(shift_from: int | None = None, by: float = 0.0, whole: float = 0.0, elapsed: bool = True) -> Track:
    """The lake walk as this release's phone records it: wall clock, GNSS time and time since boot; the wall
    clock moved by ``by`` seconds from fix ``shift_from`` on, or set ``whole`` seconds wrong throughout."""
    walk = real(LAKE)
    true_t = walk.t - walk.t[-1] + NOW.timestamp() - 3600  # ended an hour ago
    wall = true_t + whole
    if shift_from is not None:
        wall = wall.copy()
        wall[shift_from:] += by
    return Track(walk.lon, walk.lat, wall, walk.accuracy, gnss_t=true_t,
                 elapsed=(true_t - true_t[0] + 5000.0) if elapsed else None)


def test_an_honest_phone_gets_no_clock_flag_and_the_same_verdict():
    honest, plain = _phone(), _phone(elapsed=False)
    plain.gnss_t = None
    a, b = analyze(honest, now=NOW), analyze(plain, now=NOW)
    assert "clock" not in [f.code for f in a.flags]
    assert (a.valid, a.duration_s, round(a.distance_m)) == (b.valid, b.duration_s, round(b.distance_m))


def test_a_clock_set_back_an_hour_mid_patrol_is_accepted_flagged_and_measured_by_the_time_since_boot():
    moved = _phone(shift_from=150, by=-3600)
    validate(moved, now=NOW)  # the wall clock goes back, the fixes do not: a person should see it, not a refusal
    result, honest = analyze(decode(encode(moved)), now=NOW), analyze(_phone(), now=NOW)
    [flag] = [f for f in result.flags if f.code == "clock"]
    assert flag.evidence["moves"] == 1
    [move] = flag.evidence["moved"]
    assert move["index"] == 150 and move["by_s"] == -3600
    assert dt.datetime.fromisoformat(move["wall_before"]) - dt.datetime.fromisoformat(move["wall_after"]) \
        > dt.timedelta(minutes=59)
    assert "卫星时间或开机计时" in flag.detail
    assert result.duration_s == pytest.approx(honest.duration_s) and result.valid == honest.valid
    assert round(result.distance_m) == round(honest.distance_m)


def test_an_older_phone_without_the_time_since_boot_is_still_refused_when_time_goes_back():
    with pytest.raises(TrackError) as err:
        validate(_phone(shift_from=150, by=-3600, elapsed=False), now=NOW)
    assert err.value.code == "track.decreasing_time"


def test_a_patrol_recorded_with_the_clock_set_back_a_week_shows_the_gnss_time():
    result = analyze(_phone(whole=-WEEK), now=NOW)
    [flag] = [f for f in result.flags if f.code == "clock"]
    assert flag.evidence["gnss_offset_s"] == -WEEK
    assert dt.datetime.fromisoformat(flag.evidence["gnss_first"]) - dt.datetime.fromisoformat(
        flag.evidence["wall_first"]) == dt.timedelta(days=7)


def test_the_receiver_times_travel_at_milliseconds_and_unknown_stays_unknown():
    track = _phone()
    track.gnss_t = track.gnss_t + 0.123
    track.gnss_t[5] = np.nan
    back = decode(encode(track))
    assert np.allclose(back.gnss_t[np.isfinite(back.gnss_t)], track.gnss_t[np.isfinite(track.gnss_t)], atol=5e-4)
    assert np.isnan(back.gnss_t[5]) and np.allclose(back.elapsed, track.elapsed, atol=5e-4)
    assert decode(encode(_phone(elapsed=False))).elapsed is None
