"""The wire encoding of tracks: exact, small, and safe against hostile bytes."""
import datetime as dt
import gzip
import random
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest

from shared_models.track import Track, TrackError, codec
from shared_models.track.codec import decode, encode

from .tracks import BROKEN_CLOCK, CAR, MIXED, TRACKS, WALK, real, straight_line_fake

REAL = [WALK, MIXED, CAR, BROKEN_CLOCK]


def _same(a: Track, b: Track) -> None:
    assert np.array_equal(np.rint(a.lon * 1e6), np.rint(b.lon * 1e6))
    assert np.array_equal(np.rint(a.lat * 1e6), np.rint(b.lat * 1e6))
    assert np.array_equal(np.rint(a.t * 1000), np.rint(b.t * 1000))
    assert np.array_equal(a.breaks, b.breaks)
    for name in ("accuracy", "altitude", "speed", "bearing"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert np.allclose(x, y, atol=0.051, equal_nan=True), name
    assert (a.mock is None) == (b.mock is None)
    if a.mock is not None:
        assert np.array_equal(a.mock, b.mock)


@pytest.mark.parametrize("name", REAL)
def test_real_tracks_round_trip_exactly(name):
    track = real(name)
    back = decode(encode(track))
    _same(track, back)
    assert abs(back.lon - track.lon).max() <= 0.5e-6 + 1e-12  # micro-degree precision, about 0.1 m


def test_phone_columns_round_trip():
    walk = real(WALK)
    n = len(walk)
    rng = np.random.default_rng(0)
    phone = Track(walk.lon, walk.lat, walk.t + rng.integers(0, 999, n) / 1000, rng.uniform(3, 30, n).round(1),
                  walk.altitude, rng.uniform(0, 3, n).round(2), rng.uniform(0, 360, n).round(1),
                  rng.random(n) < 0.1, breaks=[100, 300])
    _same(phone, decode(encode(phone)))


@pytest.mark.parametrize("name", REAL)
def test_codec_is_at_most_6_bytes_per_fix(name):
    track = real(name)
    wire = encode(track)
    per_fix = len(wire) / len(track)
    gpx_gz = len(gzip.compress((TRACKS / name).read_bytes())) / len(track)
    assert per_fix <= 6.0, per_fix
    assert per_fix < gpx_gz / 2


def test_a_1hz_phone_track_is_small():
    fake = straight_line_fake(real(WALK))  # 1 Hz, accuracy known: the phone's usual shape
    assert len(encode(fake)) / len(fake) <= 2.0


def _body(n: int, rest: bytes = b"") -> bytes:
    return codec.MAGIC + bytes([codec.VERSION]) + zlib.compress(codec._varints(np.array([n, 0, 1], np.uint64)) + rest)


def _code(data: bytes) -> str:
    with pytest.raises(TrackError) as err:
        decode(data)
    assert err.value.zh and err.value.en
    return err.value.code


def test_truncated_bytes_are_refused_wherever_cut():
    wire = encode(real(MIXED))
    rng = random.Random(5)
    for cut in [0, 3, 4, 5, 6, len(wire) - 1] + rng.sample(range(7, len(wire) - 1), 60):
        assert _code(wire[:cut]) in {"track.truncated", "track.corrupt"}, cut


def test_a_claimed_ten_million_fixes_is_refused_before_allocating():
    data = _body(10_000_000, b"\x00" * 30)
    tracemalloc.start()
    started = time.perf_counter()
    assert _code(data) == "track.too_many_fixes"
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000 and elapsed < 0.5


def test_a_count_larger_than_the_bytes_is_truncated():
    assert _code(_body(50_000, b"\x00" * 100)) == "track.truncated"


def test_decompression_bomb_is_refused():
    bomb = codec.MAGIC + bytes([codec.VERSION]) + zlib.compress(b"\x00" * 200_000_000, 9)
    assert len(bomb) < 300_000
    assert _code(bomb) == "track.too_large"


def test_trailing_bytes_are_refused():
    wire = encode(real(CAR))
    assert _code(wire + b"junk") == "track.trailing_data"
    body = zlib.decompress(wire[5:]) + b"\x01\x02"
    assert _code(wire[:5] + zlib.compress(body)) == "track.trailing_data"


def test_foreign_and_future_formats_are_refused():
    wire = encode(real(CAR))
    assert _code(b"GPX!" + wire[4:]) == "track.bad_magic"
    assert _code(wire[:4] + bytes([9]) + wire[5:]) == "track.unsupported_version"
    assert _code(codec.MAGIC + bytes([1]) + b"not zlib at all") == "track.corrupt"


def _track(**over):
    base = dict(lon=[108.9, 108.9001, 108.9002], lat=[34.3, 34.3001, 34.3002],
                t=[1_790_000_000.0, 1_790_000_001.0, 1_790_000_002.0], accuracy=[5.0, 5.0, 5.0])
    base.update(over)
    return Track(**base)


@pytest.mark.parametrize("track,code", [
    (_track(lon=[], lat=[], t=[], accuracy=[]), "track.empty"),
    (_track(lon=[108.9, float("nan"), 108.9]), "track.bad_coordinates"),
    (_track(lat=[34.3, 95.0, 34.3]), "track.bad_coordinates"),
    (_track(lon=[500000.0, 500001.0, 500002.0]), "track.bad_coordinates"),
    (_track(t=[1_790_000_000.0, 1_789_999_990.0, 1_790_000_002.0]), "track.decreasing_time"),
    (_track(t=[2_100_000_000.0, 2_100_000_001.0, 2_100_000_002.0]), "track.future_time"),
    (_track(accuracy=[5.0, -1.0, 5.0]), "track.bad_accuracy"),
])
def test_validation_refuses_what_no_phone_sends(track, code):
    with pytest.raises(TrackError) as err:
        track.validate(now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    assert err.value.code == code


def test_validation_accepts_a_real_walk():
    real(WALK).validate(now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))


def test_nan_survives_the_wire_as_unknown():
    walk = real(WALK)
    alt = walk.altitude.copy()
    alt[5] = np.nan
    t = Track(walk.lon, walk.lat, walk.t, None, alt)
    back = decode(encode(t))
    assert np.isnan(back.altitude[5]) and np.isnan(back.accuracy).all()
    assert struct.calcsize("d") == 8  # sanity of the platform the sentinel assumes
