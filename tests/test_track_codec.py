"""Getting tracks in: the wire codec (exact, small, safe against hostile bytes) and GPX reading."""
from __future__ import annotations

import datetime as dt
import gzip
import random
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from shared_models.track import Track, TrackDecodeError, TrackError, codec
from shared_models.track.codec import decode, encode, validate
from shared_models.track.errors import MESSAGES
from shared_models.track.gpx import read_gpx

TRACKS = Path(__file__).parent / "data" / "tracks"
WALK, MIXED, CAR, BROKEN_CLOCK, NO_TIMES = ("korita-zbevnica.gpx", "cerknicko-jezero.gpx",
                                            "around-visnjan-with-car.gpx", "Mojstrovka.gpx",
                                            "cerknicko-without-times.gpx")
REAL = [WALK, MIXED, CAR, BROKEN_CLOCK]
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def real(name: str) -> Track:
    return read_gpx((TRACKS / name).read_bytes())


def micro(a: np.ndarray) -> np.ndarray:
    return np.rint(a * 1e6).astype(np.int64)


def assert_same(a: Track, b: Track) -> None:
    """Equal at the codec's precisions: 1e-6 deg, 1 ms, 0.1 m, 0.01 m/s, 0.1 deg."""
    assert np.array_equal(micro(a.lon), micro(b.lon))
    assert np.array_equal(micro(a.lat), micro(b.lat))
    assert np.array_equal(np.rint(a.t * 1000), np.rint(b.t * 1000))
    assert np.array_equal(a.breaks, b.breaks)
    for name, step in (("accuracy", 0.1), ("altitude", 0.1), ("speed", 0.01), ("bearing", 0.1)):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert np.array_equal(np.isnan(x), np.isnan(y)), name
            assert np.allclose(x, y, atol=step / 2 + 1e-9, equal_nan=True), name
    assert (a.mock is None) == (b.mock is None)
    if a.mock is not None:
        assert np.array_equal(a.mock, b.mock)


def code_of(data: bytes, **kwargs) -> str:
    with pytest.raises(TrackDecodeError) as err:
        decode(data, **kwargs)
    assert err.value.message_zh and err.value.message_en and err.value.code in MESSAGES
    return err.value.code


def v2(n: int, columns: int = 0, unit: int = 1, body: bytes = b"") -> bytes:
    """Hand-made version 2 bytes: plain header, then a zlib body."""
    return (codec.MAGIC + bytes([2]) + codec._varints(np.array([n, columns, unit], np.uint64))
            + zlib.compress(body))


def as_v1(wire: bytes) -> bytes:
    """The same track in version 1 (the header inside the zlib stream), as older apps queued it."""
    head = np.frombuffer(wire[5:35], np.uint8)
    _, _, _, pos = codec._header(head, 0, codec.MAX_FIXES)
    return codec.MAGIC + bytes([1]) + zlib.compress(wire[5:5 + pos] + zlib.decompress(wire[5 + pos:]))


# --- exact round trip --------------------------------------------------------------------

@pytest.mark.parametrize("name", REAL)
def test_real_tracks_round_trip_exactly(name):
    track = real(name)
    wire = encode(track)
    back = decode(wire)
    assert_same(track, back)
    assert np.abs(back.lon - track.lon).max() <= 0.5e-6 + 1e-12  # micro-degrees, about 0.1 m
    assert encode(back) == wire  # decoding loses nothing the encoding kept


def test_phone_columns_round_trip():
    walk = real(WALK)
    n = len(walk)
    rng = np.random.default_rng(0)
    acc = rng.uniform(3, 30, n).round(1)
    acc[7] = np.nan  # a fix the phone gave no accuracy for
    phone = Track(walk.lon, walk.lat, walk.t + rng.integers(0, 999, n) / 1000, acc, walk.altitude,
                  rng.uniform(0, 3, n).round(2), rng.uniform(0, 360, n).round(1), rng.random(n) < 0.1,
                  breaks=[100, 300])
    back = decode(encode(phone))
    assert_same(phone, back)
    assert np.isnan(back.accuracy[7])


def test_random_tracks_round_trip_exactly():
    """A seeded property test (hypothesis is not installed): any mix of columns, edges of the globe."""
    rng = np.random.default_rng(42)
    for case in range(150):
        n = int(rng.integers(0, 400))
        lon0 = rng.choice([-179.999, 0.0, 108.9, 179.999])
        lat0 = rng.choice([-89.99, 0.0, 34.3, 89.99])
        lon = np.clip(lon0 + np.cumsum(rng.normal(0, 1e-4, n)), -180, 180).round(int(rng.integers(4, 8)))
        lat = np.clip(lat0 + np.cumsum(rng.normal(0, 1e-4, n)), -90, 90).round(6)
        start = rng.choice([-2_147_000_000.0, 0.0, 1_790_000_000.0])  # 1901, 1970, 2026
        steps = rng.choice([1.0, 0.2, 11.0]) + (rng.integers(0, 1000, n) / 1000 if case % 2 else 0)
        t = start + np.cumsum(np.broadcast_to(steps, (n,)))

        def maybe(values):
            return values if rng.random() < 0.5 else None

        breaks = np.unique(rng.integers(1, n, 3)) if n > 2 and rng.random() < 0.5 else None
        track = Track(lon, lat, t, maybe(rng.uniform(1, 80, n).round(1)), maybe(rng.normal(400, 50, n).round(1)),
                      maybe(rng.uniform(0, 40, n).round(2)), maybe(rng.uniform(0, 359.9, n).round(1)),
                      maybe(rng.random(n) < 0.5), breaks)
        wire = encode(track)
        back = decode(wire)
        assert len(back) == n, case
        assert_same(track, back)
        assert encode(back) == wire, case


def test_version_1_bytes_from_older_apps_still_decode():
    track = real(MIXED)
    back = decode(as_v1(encode(track)))
    assert_same(track, back)


# --- size --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", REAL)
def test_at_most_6_bytes_per_fix_on_real_tracks(name):
    """GPX is 110-170 bytes a fix raw and 13-29 gzipped on these files; the codec (deflate inside) 3.5-4.5."""
    track = real(name)
    per_fix = len(encode(track)) / len(track)
    gpx_gz = len(gzip.compress((TRACKS / name).read_bytes())) / len(track)
    assert per_fix <= 6.0, per_fix
    assert per_fix < gpx_gz / 3


def test_the_1hz_car_is_small():
    car = real(CAR)
    assert np.median(np.diff(car.t)) == 1.0
    assert len(encode(car)) / len(car) <= 5.0


def test_a_1hz_phone_walk_with_accuracy_is_about_2_bytes_a_fix():
    walk = real(WALK)
    t = np.arange(walk.t[0], walk.t[-1])  # resampled at 1 Hz, as the phone records
    lon, lat = np.interp(t, walk.t, walk.lon), np.interp(t, walk.t, walk.lat)
    rng = np.random.default_rng(1)
    noise = np.cumsum(rng.normal(0, 2e-7, (2, len(t))), axis=1)  # receiver error wanders, it does not jump
    phone = Track(lon + noise[0], lat + noise[1], t, rng.uniform(3, 12, len(t)).round(1))
    assert len(encode(phone)) / len(phone) <= 3.0


# --- hostile bytes -----------------------------------------------------------------------

def test_truncated_bytes_are_refused_wherever_cut():
    rng = random.Random(5)
    for name in (MIXED, CAR):
        wire = encode(real(name))
        cuts = [0, 1, 4, 5, 6, 7, 8, len(wire) - 4, len(wire) - 1] + rng.sample(range(9, len(wire) - 1), 80)
        for cut in cuts:
            assert code_of(wire[:cut]) == "track.truncated", (name, cut)
        for cut in [0, 6, 40, 200]:
            assert code_of(as_v1(wire)[:cut]) == "track.truncated", cut


def test_a_count_larger_than_the_body_is_truncated():
    assert code_of(v2(50_000, body=b"\x00" * 100)) == "track.truncated"


def _refused_fast_and_small(data: bytes, expected: str, **kwargs) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    assert code_of(data, **kwargs) == expected
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.05, elapsed
    assert peak < 200_000, peak


def test_a_claimed_ten_million_fixes_is_refused_before_allocating():
    _refused_fast_and_small(v2(10_000_000, body=b"\x00" * 30_000_000), "track.too_many_fixes")
    # version 1 keeps the count inside the zlib stream: still refused before any column is read
    v1 = codec.MAGIC + bytes([1]) + zlib.compress(codec._varints(np.array([10_000_000, 0, 1], np.uint64)) + b"\0" * 64)
    _refused_fast_and_small(v1, "track.too_many_fixes")


def test_the_fix_limit_is_configurable():
    wire = encode(real(WALK))  # 513 fixes
    assert len(decode(wire, max_fixes=513)) == 513
    assert code_of(wire, max_fixes=512) == "track.too_many_fixes"
    with pytest.raises(TrackError) as err:
        validate(real(WALK), now=NOW, max_fixes=100)
    assert err.value.code == "track.too_many_fixes" and "100" in err.value.zh


def test_decompression_bomb_is_refused():
    bomb = zlib.compress(b"\x00" * 100_000_000, 9)
    assert len(bomb) < 150_000
    # a plausible count, a body a thousand times what it can honestly need
    _refused_fast_and_small(codec.MAGIC + bytes([2]) + codec._varints(np.array([1000, 0, 1], np.uint64)) + bomb,
                            "track.too_large")
    assert code_of(codec.MAGIC + bytes([1]) + bomb) == "track.too_large"
    wire = encode(real(WALK))
    assert code_of(wire, max_body_bytes=1000) == "track.too_large"


def test_trailing_bytes_are_refused():
    wire = encode(real(CAR))
    assert code_of(wire + b"junk") == "track.trailing_data"
    assert code_of(wire + zlib.compress(b"more")) == "track.trailing_data"
    head = np.frombuffer(wire[5:35], np.uint8)
    *_, pos = codec._header(head, 0, codec.MAX_FIXES)
    body = zlib.decompress(wire[5 + pos:]) + b"\x01\x02"
    assert code_of(wire[:5 + pos] + zlib.compress(body)) == "track.trailing_data"


def test_foreign_and_future_formats_are_refused():
    wire = encode(real(CAR))
    assert code_of((TRACKS / CAR).read_bytes()) == "track.bad_magic"
    assert code_of(b"RPTX" + wire[4:]) == "track.bad_magic"
    assert code_of(b"{") == "track.bad_magic"
    for version in (0, 3, 255):
        with pytest.raises(TrackDecodeError) as err:
            decode(wire[:4] + bytes([version]) + wire[5:])
        assert err.value.code == "track.unsupported_version" and str(version) in err.value.message_zh
    assert code_of(codec.MAGIC + bytes([2, 0, 0, 1]) + b"not zlib at all") == "track.corrupt"
    assert code_of(v2(3, columns=256)) == "track.corrupt"  # a column this release does not know
    assert code_of(v2(3, unit=7)) == "track.corrupt"


def test_mutated_bytes_raise_only_the_decode_error():
    """Random damage to the wire bytes or to the body inside the zlib stream never escapes as another exception."""
    rng = random.Random(11)
    walk = real(MIXED)
    n = len(walk)
    phone = Track(walk.lon, walk.lat, walk.t, np.full(n, 5.0), walk.altitude, np.ones(n), np.zeros(n),
                  np.zeros(n, bool), [100])
    wire = encode(phone)
    *_, pos = codec._header(np.frombuffer(wire[5:35], np.uint8), 0, codec.MAX_FIXES)
    body = zlib.decompress(wire[5 + pos:])
    outcomes = set()
    for i in range(400):
        damaged = bytearray(wire if i % 2 else body)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        data = bytes(damaged) if i % 2 else wire[:5 + pos] + zlib.compress(bytes(damaged))
        try:
            decode(data)
            outcomes.add("decoded")
        except TrackDecodeError as exc:
            outcomes.add(exc.code)
    assert outcomes <= {"decoded"} | set(MESSAGES)
    assert {"track.corrupt", "decoded"} <= outcomes


def test_decode_error_is_a_track_error_with_both_messages():
    with pytest.raises(TrackError) as err:  # what the server catches
        decode(b"RPTK\x09")
    assert isinstance(err.value, TrackDecodeError)
    assert err.value.to_dict()["code"] == "track.unsupported_version"
    assert "版本" in err.value.message_zh and "version" in err.value.message_en


# --- validation ---------------------------------------------------------------------------

def _track(**over) -> Track:
    base = dict(lon=[108.9, 108.9001, 108.9002], lat=[34.3, 34.3001, 34.3002],
                t=[1_790_000_000.0, 1_790_000_001.0, 1_790_000_002.0], accuracy=[5.0, 5.0, 5.0])
    base.update(over)
    return Track(**base)


@pytest.mark.parametrize("track,code", [
    (_track(lon=[], lat=[], t=[], accuracy=[]), "track.empty"),
    (_track(lon=[108.9, float("nan"), 108.9]), "track.bad_coordinates"),
    (_track(lat=[34.3, 95.0, 34.3]), "track.bad_coordinates"),
    (_track(lon=[108.9, 108.9, float("inf")]), "track.bad_coordinates"),
    (_track(lon=[500000.0, 500001.0, 500002.0]), "track.bad_coordinates"),  # metres sent as degrees
    (_track(t=[1_790_000_000.0, float("nan"), 1_790_000_002.0]), "track.bad_time"),
    (_track(t=[1_790_000_000.0, 1_789_999_990.0, 1_790_000_002.0]), "track.decreasing_time"),
    (_track(t=[2_100_000_000.0, 2_100_000_001.0, 2_100_000_002.0]), "track.future_time"),
    (_track(accuracy=[5.0, -1.0, 5.0]), "track.bad_accuracy"),
    # year 0 (and -1e300) was a 500 at the first datetime; the server's calendar starts in 1900
    (_track(t=[-62_167_219_200.0, 1_790_000_001.0, 1_790_000_002.0]), "track.time_out_of_range"),
    (_track(t=[-1e300, -1e300, 1_790_000_002.0]), "track.time_out_of_range"),
    (_track(t=[-2_208_988_801.0, 1_790_000_001.0, 1_790_000_002.0]), "track.time_out_of_range"),  # 1899-12-31
    (_track(t=[1_790_000_000.0, 1e300, 1e300]), "track.future_time"),
    (_track(altitude=[400.0, float("inf"), 400.0]), "track.bad_values"),
    (_track(speed=[1.0, 1e300, 1.0]), "track.bad_values"),  # would overflow the codec's integers
    (_track(accuracy=[5.0, 5.0, 1e300]), "track.bad_values"),
])
def test_validation_refuses_what_no_phone_sends(track, code):
    with pytest.raises(TrackError) as err:
        validate(track, now=NOW)
    assert err.value.code == code and err.value.code in MESSAGES
    assert err.value.zh and err.value.en and "{" not in err.value.zh + err.value.en


def test_the_first_day_of_1900_passes_and_the_figure_is_named():
    validate(_track(t=[-2_208_988_800.0, 1_790_000_001.0, 1_790_000_002.0]), now=NOW)  # 1900-01-01T00:00Z
    with pytest.raises(TrackError) as err:
        validate(_track(t=[1_790_000_000.0, 1_790_000_001.0, -62_167_219_200.0]), now=NOW)
    assert err.value.detail == {"index": 2, "earliest": "1900-01-01"} and "1900-01-01" in err.value.zh


def test_times_that_wrap_around_in_the_wire_are_refused_by_validation():
    """Second differences chosen so that the integer times overflow: decoding gives numbers, never an
    exception other than TrackError, and validation refuses them."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(2, 6))
        zeros = codec._varints(np.zeros(n, np.uint64))
        times = codec._varints(rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True))
        data = v2(n, unit=int(rng.choice([1, 1000])), body=zeros + zeros + times)
        with pytest.raises(TrackError):
            validate(decode(data), now=NOW)


def test_future_times_within_the_tolerance_pass():
    ahead = NOW.timestamp() + 300  # a phone clock five minutes fast
    track = _track(t=[ahead - 2, ahead - 1, ahead])
    assert validate(track, now=NOW) is track
    with pytest.raises(TrackError) as err:
        validate(track, now=NOW, future_tolerance_s=60)
    assert err.value.code == "track.future_time" and err.value.detail["ahead_s"] == 300


def test_validation_accepts_real_walks_and_the_frozen_clock():
    for name in REAL:  # a 1901 clock is a phone fault for a person to see: flagged, not refused
        validate(real(name), now=NOW)


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(TrackError) as err:
        Track([1.0, 2.0], [1.0], [0.0, 1.0])
    assert err.value.code == "track.bad_columns"


# --- GPX ----------------------------------------------------------------------------------

def test_gpx_1_0_and_1_1_are_read_with_their_segments():
    walk, car = real(WALK), real(CAR)  # korita is GPX 1.0, the car GPX 1.1
    assert len(walk) == 513 and list(walk.breaks) == [176]
    assert "358 points" in walk.notes[0]  # the untimed planned route is left out, and said so
    assert len(car) == 104 and len(car.breaks) == 0 and car.altitude is not None
    assert np.isnan(car.accuracy).all()  # no HDOP in the file: accuracy unknown, not made up
    assert dt.datetime.fromtimestamp(car.t[0], dt.UTC) == dt.datetime(2020, 12, 18, 6, 15, 50, tzinfo=dt.UTC)


def _gpx(points: str, version: str = "1.0") -> str:
    ns = "http://www.topografix.com/GPX/" + version.replace(".", "/")
    return (f'<?xml version="1.0"?><gpx version="{version}" creator="t" xmlns="{ns}"><trk><trkseg>'
            f"{points}</trkseg></trk></gpx>")


def test_gpx_times_without_a_zone_are_utc_and_dop_gives_accuracy():
    text = _gpx('<trkpt lat="34.3" lon="108.9"><time>2026-11-20T01:00:00</time><hdop>2</hdop>'
                '<speed>1.5</speed><course>90</course></trkpt>'
                '<trkpt lat="34.3001" lon="108.9"><time>2026-11-20T09:00:05+08:00</time><pdop>3</pdop></trkpt>'
                '<trkpt lat="34.3002" lon="108.9"><time>2026-11-20T01:00:10Z</time></trkpt>')
    track = read_gpx(text)
    assert list(track.t - track.t[0]) == [0.0, 5.0, 10.0]
    assert track.t[0] == dt.datetime(2026, 11, 20, 1, tzinfo=dt.UTC).timestamp()
    assert track.accuracy[:2].tolist() == [10.0, 15.0] and np.isnan(track.accuracy[2])
    assert track.speed[0] == 1.5 and track.bearing[0] == 90.0 and np.isnan(track.speed[1])


def test_a_few_untimed_points_are_dropped_and_noted():
    timed = "".join(f'<trkpt lat="34.3{i:03d}" lon="108.9"><time>2026-11-20T01:00:{i:02d}Z</time></trkpt>'
                    for i in range(20))
    track = read_gpx(_gpx(timed + '<trkpt lat="34.4" lon="108.9"></trkpt>', "1.1"))
    assert len(track) == 20 and "dropped 1 points without times" in track.notes


def test_gpx_without_times_is_refused_with_a_clear_message():
    with pytest.raises(TrackError) as err:
        read_gpx((TRACKS / NO_TIMES).read_bytes())
    assert err.value.code == "track.missing_times"
    assert err.value.zh == "296 个轨迹点中 291 个缺少时间" and err.value.en == "291 of 296 fixes have no time"
    with pytest.raises(TrackError) as err:
        read_gpx(_gpx('<trkpt lat="34.3" lon="108.9"></trkpt>'))
    assert err.value.code == "track.no_times"


@pytest.mark.parametrize("text", [
    "这是一份会议记录，不是轨迹。",
    "<gpx><trk><trkseg><trkpt lat='x' lon='1'></trkpt></trkseg></trk></gpx>",
    '<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><gpx>&b;</gpx>',
])
def test_what_is_not_gpx_is_refused(text):
    with pytest.raises(TrackError) as err:
        read_gpx(text.encode())
    assert err.value.code == "track.bad_gpx" and err.value.zh == "不是有效的 GPX 文件"
