"""Patrol analysis on real tracks, and on fakes made from them the way cheaters make them."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import gpxpy
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Polygon

from shared_models.track import Track
from shared_models.track.analysis import analyze
from shared_models.track.gpx import read_gpx
from shared_models.track.measure import projection_for
from shared_models.track.replay import may_replay, replay_similarity
from shared_models.track.verdict import ANALYSIS_VERSION, FLAG_CODES, PRESETS, ValidityRule

from .tracks import walk_along

TRACKS = Path(__file__).parent / "data" / "tracks"
WALK, MIXED, CAR, BROKEN_CLOCK = ("korita-zbevnica.gpx", "cerknicko-jezero.gpx", "around-visnjan-with-car.gpx",
                                  "Mojstrovka.gpx")
CHEATS = {"vehicle_speed", "teleport", "synthetic"}
AKQI = PRESETS["akqi-2022"]  # >= 30 min and >= 2 km
SIXIAN = PRESETS["sixian-dinghu"]  # >= 5 min and >= 300 m
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def real(name: str) -> Track:
    return read_gpx((TRACKS / name).read_bytes())


def codes(result) -> set[str]:
    return set(result.flag_codes)


def flag(result, code: str):
    return next(f for f in result.flags if f.code == code)


def timed_length(name: str) -> float:
    """gpxpy's own 2D length of the timed segments: an independent yardstick."""
    doc = gpxpy.parse((TRACKS / name).read_text())
    return sum(seg.length_2d() for trk in doc.tracks for seg in trk.segments if seg.points and seg.points[0].time)


# --- fakes, made from real walks -----------------------------------------------------------

def copy(track: Track, **columns) -> Track:
    fields = dict(lon=track.lon, lat=track.lat, t=track.t, accuracy=track.accuracy, altitude=track.altitude,
                  breaks=track.breaks)
    fields.update(columns)
    return Track(**fields)


def metric(track: Track):
    proj = projection_for(track.lon, track.lat)
    x, y = proj.transform(track.lon, track.lat)
    return proj, np.asarray(x), np.asarray(y)


def sped_up(track: Track, factor: float) -> Track:
    """The same fixes, their times squeezed: the walk replayed at ``factor`` times its pace."""
    return copy(track, t=track.t[0] + (track.t - track.t[0]) / factor)


def time_shifted(track: Track, seconds: float) -> Track:
    return copy(track, t=track.t + seconds)


def correlated_noise(rng, n: int, sigma: float, keep: float = 0.95) -> np.ndarray:
    """GNSS error wanders slowly (an AR(1) process), vectorised as a truncated exponential filter."""
    kernel = keep ** np.arange(200)
    return np.convolve(rng.normal(0, sigma, n + 199), kernel, mode="valid")


def straight_line_fake(track: Track, every: int = 15, speed: float = 1.2) -> Track:
    """What a mock-location app draws: straight legs through a few real points, 1 Hz, constant speed and accuracy."""
    proj, x, y = metric(track.take(np.arange(0, len(track), every)))
    along = np.concatenate([[0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    s = np.arange(0, along[-1], speed)
    lon, lat = proj.transform(np.interp(s, along, x), np.interp(s, along, y), direction="INVERSE")
    return Track(lon, lat, track.t[0] + np.arange(len(s)), np.full(len(s), 5.0))


def stationary_at_home(start: float, lon: float = 108.905, lat: float = 34.33, minutes: int = 40) -> Track:
    """A phone left on a table for a claimed patrol: 1 Hz fixes wandering a few metres."""
    rng = np.random.default_rng(1)
    n = minutes * 60
    proj = projection_for(np.array([lon]), np.array([lat]))
    x0, y0 = proj.transform(lon, lat)
    lo, la = proj.transform(x0 + correlated_noise(rng, n, 0.8, 0.97), y0 + correlated_noise(rng, n, 0.8, 0.97),
                            direction="INVERSE")
    return Track(lo, la, start + np.arange(n), rng.uniform(4, 15, n))


def teleport_splice(track: Track, jump_m: float = 5000) -> Track:
    """The first half of a walk, then the second half moved ``jump_m`` east, 11 s later."""
    half = len(track) // 2
    proj, x, y = metric(track)
    x[half:] += jump_m
    lon, lat = proj.transform(x, y, direction="INVERSE")
    t = track.t.copy()
    t[half:] = t[half - 1] + 11 + (t[half:] - t[half])
    return Track(lon, lat, t, track.accuracy)


def noisy_repeat(track: Track, metres: float = 4.0) -> Track:
    """An honest second walk of the same path a week later: same route, its own GNSS error."""
    rng = np.random.default_rng(3)
    proj, x, y = metric(track)
    lon, lat = proj.transform(x + rng.normal(0, metres, len(x)), y + rng.normal(0, metres, len(y)),
                              direction="INVERSE")
    return Track(lon, lat, track.t + 7 * 86400, track.accuracy)


def drive_appended(walk: Track, car: Track) -> Track:
    """A walk, then a real drive moved to start where the walk ended, two minutes later."""
    wp, wx, wy = metric(walk)
    cp, cx, cy = metric(car)
    cx, cy = cx - cx[0] + wx[-1] + 5, cy - cy[0] + wy[-1]
    lon, lat = wp.transform(np.concatenate([wx, cx]), np.concatenate([wy, cy]), direction="INVERSE")
    t = np.concatenate([walk.t, walk.t[-1] + 120 + car.t - car.t[0]])
    return Track(lon, lat, t)


def segment_along(track: Track, start: int, stop: int, north_m: float = 0.0) -> LineString:
    """A river segment drawn along part of a real track (moved north by ``north_m``), in lon/lat."""
    proj, x, y = metric(track)
    line = LineString(np.column_stack([x[start:stop], y[start:stop] + north_m])).simplify(10)
    return shapely.transform(line, lambda xy: np.column_stack(proj.transform(xy[:, 0], xy[:, 1],
                                                                             direction="INVERSE")))


# --- real tracks -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", [WALK, MIXED])
def test_walks_are_not_called_cheats(name):
    result = analyze(real(name), now=NOW)
    assert not codes(result) & CHEATS, result.flags
    assert result.valid, result.reasons
    assert result.distance_m == pytest.approx(timed_length(name), rel=0.03)  # 6.27 and 4.58 km by gpxpy


def test_the_hike_is_measured_like_a_hike():
    result = analyze(real(WALK), now=NOW)
    assert result.fixes == result.kept_fixes == 513
    assert result.duration_s == pytest.approx(3 * 3600 + 43 * 60, abs=60)
    assert 0.4 * result.duration_s < result.moving_s < 0.7 * result.duration_s  # lunch, views, a steep climb
    assert 0.5 < result.max_speed_mps < 2.0 and 0.5 < result.typical_speed_mps < 1.5
    assert result.sustained_speed_mps <= result.max_speed_mps


def test_cerknica_rides_are_stretches_of_their_own_but_do_not_make_the_walk_a_drive():
    """Two short stretches at 17-20 km/h on average (peaks near 30) inside a two-hour walk."""
    result = analyze(real(MIXED), rule=AKQI, now=NOW)
    assert "vehicle_speed" not in codes(result)
    assert result.sustained_speed_mps * 3.6 > 25  # the stretches are there, and measured
    assert result.travel_mode == "foot"
    rides = [p for p in result.stretches if p["mode"] != "foot"]
    assert [p["mode"] for p in rides] == ["bicycle", "bicycle"]  # at 8 s a fix nothing says they were driven
    assert all(20 < p["median_kmh"] < 30 and 60 <= p["duration_s"] <= 180 for p in rides)
    assert result.typical_speed_mps * 3.6 < 8


def test_a_car_gets_vehicle_speed():
    result = analyze(real(CAR), now=NOW)
    assert "vehicle_speed" in codes(result) and result.travel_mode == "motor_vehicle"
    evidence = flag(result, "vehicle_speed").evidence
    assert evidence["typical_kmh"] > 25 and "travel_mode" in evidence["why"]
    assert evidence["travel_mode"] == "motor_vehicle" and evidence["metres_by_mode"]["motor_vehicle"] > 2000
    detail = flag(result, "vehicle_speed").detail
    assert detail.startswith("乘坐机动车巡河 2.7 公里") and "公里/小时" in detail and "km/h" in detail
    assert result.distance_m == pytest.approx(timed_length(CAR), rel=0.03)
    assert not codes(result) & {"teleport", "synthetic"}


def test_driving_the_missing_distance_is_flagged_only_where_it_counts():
    """1.9 km walked, then 0.8 km driven: Akqi's 2 km is reached only by car, Sixian's 300 m on foot."""
    walk = real(MIXED).take(np.arange(173))  # the lakeside walk, 41 minutes
    car = real(CAR)
    along = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(metric(car)[1:], axis=1)))])
    fast = (along >= along[20]) & (along <= along[20] + 800)  # past the town, on the open road
    patrol = drive_appended(walk, car.take(fast))
    akqi = analyze(patrol, rule=AKQI, now=NOW)
    assert akqi.valid and "vehicle_speed" in codes(akqi)
    evidence = flag(akqi, "vehicle_speed").evidence
    assert evidence["why"] == ["distance_needs_vehicle"]
    assert evidence["distance_without_vehicle_m"] < 2000 <= akqi.distance_m
    assert "vehicle_speed" not in codes(analyze(patrol, rule=SIXIAN, now=NOW))


def test_a_broken_clock_is_flagged_and_cannot_count():
    result = analyze(real(BROKEN_CLOCK), now=NOW)
    assert "clock" in codes(result)
    assert flag(result, "clock").evidence["earliest"].startswith("1901")
    assert not result.valid and result.reasons[0].code == "bad_clock"
    assert "设备时间异常" in result.reasons[0].zh and "clock" in result.reasons[0].en
    assert result.distance_m == pytest.approx(timed_length(BROKEN_CLOCK), rel=0.03)  # the geometry still counts


def test_times_in_the_future_are_a_clock_flag():
    walk = real(WALK)
    result = analyze(walk, now=dt.datetime.fromtimestamp(walk.t[-1] - 3600, dt.UTC))
    assert flag(result, "clock").evidence["future_by_s"] == 3600


# --- fakes -----------------------------------------------------------------------------------

def test_a_walk_sped_up_five_times_rides_a_bicycle_where_only_walking_counts():
    """Five times a hike (16 km/h) is what a bicycle does: it counts where bicycles count, and is flagged, in those
    words, where the county counts walking only."""
    walk = real(WALK)
    fast = sped_up(walk, 5)
    result = analyze(fast, now=NOW)
    assert result.travel_mode == "bicycle" and "vehicle_speed" not in codes(result)
    assert result.distance_m == pytest.approx(analyze(walk, now=NOW).distance_m, rel=0.01)
    on_foot_only = analyze(fast, rule=ValidityRule(allowed_modes=("foot",)), now=NOW)
    detail = flag(on_foot_only, "vehicle_speed").detail
    assert detail.startswith("骑自行车巡河") and "本县认可的巡河方式：步行" in detail and "by bicycle" in detail
    assert "机动车" not in detail  # a bicycle is never called a motor vehicle


def test_a_straight_line_fake_is_synthetic():
    result = analyze(straight_line_fake(real(WALK)), now=NOW)
    assert "synthetic" in codes(result)
    evidence = flag(result, "synthetic").evidence
    assert evidence["spacing_cv"] < 0.05 and evidence["constant_accuracy"] == 5.0
    assert evidence["constant_interval_s"] == 1.0


def test_standing_at_home_is_stationary_and_does_not_count():
    result = analyze(stationary_at_home(real(WALK).t[0]), rule=AKQI, now=NOW)
    assert "stationary" in codes(result)
    assert not codes(result) & CHEATS
    assert result.distance_m < 500 and result.moving_s < 0.2 * result.duration_s
    assert not result.valid and "too_little_distance" in result.reason_codes


def test_walking_round_a_village_pond_is_not_standing_still():
    """Thirty minutes round a pond 56 m across (a patrol of a village pond): all of it within 50 m of one spot, but
    walked all along: 2 km, not stationary; a phone left at home beside it still is."""
    from shapely.geometry import Point

    ring = list(Point(108.905, 34.33).buffer(0.0003).exterior.coords)
    pond = walk_along(LineString(ring * 12), real(WALK).t[0], back=False)
    result = analyze(pond, rule=SIXIAN, now=NOW)
    assert "stationary" not in codes(result) and not codes(result) & CHEATS
    assert result.distance_m > 2000 and result.moving_s > 0.9 * result.duration_s and result.valid
    assert result.travel_mode == "foot"
    home = analyze(stationary_at_home(real(WALK).t[0], lon=108.905, lat=34.33), now=NOW)
    assert "stationary" in codes(home)
    assert flag(home, "stationary").evidence["lonlat"] == pytest.approx([108.905, 34.33], abs=0.0005)  # home


def test_a_teleport_splice_is_caught_and_its_jump_is_not_walked():
    walk = real(WALK)
    result = analyze(teleport_splice(walk, 5000), now=NOW)
    assert "teleport" in codes(result)
    evidence = flag(result, "teleport").evidence
    jump = evidence["jumps"][0]
    assert 4900 < jump["metres"] < 5100 and jump["kmh"] > 1000
    # the evidence says where the jump is, for the supervisor's map: the fix it leaves from
    spliced = teleport_splice(walk, 5000)
    assert evidence["lonlat"] == jump["lonlat"] == [round(float(spliced.lon[jump["index"]]), 6),
                                                     round(float(spliced.lat[jump["index"]]), 6)]
    assert spliced.t[jump["index"]] == pytest.approx(
        dt.datetime.fromisoformat(jump["at"].replace("Z", "+00:00")).timestamp(), abs=0.001)
    assert "vehicle_speed" not in codes(result)
    assert result.distance_m == pytest.approx(analyze(walk, now=NOW).distance_m, rel=0.02)


def test_a_replay_with_shifted_times_is_near_identical_and_other_walks_are_not():
    walk = real(WALK)
    replay = replay_similarity(walk, time_shifted(walk, 7 * 86400))
    assert replay["score"] > 0.95
    assert replay_similarity(walk, noisy_repeat(walk))["score"] < 0.2  # the same path walked again honestly
    assert replay_similarity(walk, real(MIXED))["score"] == 0.0
    part = replay_similarity(walk, walk.take(np.arange(100)))  # a replay of a fifth of it
    assert part["share_b"] == 1.0 and part["share_a"] < 0.25 and part["score"] < 0.25


def test_the_cheap_replay_test_passes_every_replay_and_spares_honest_walks():
    """The server runs may_replay before the exact comparison: it must never miss a replay."""
    walk = real(WALK)
    replays = [time_shifted(walk, 7 * 86400), time_shifted(walk.take(np.arange(20, len(walk))), 3600)]
    for other in replays:
        assert replay_similarity(walk, other)["score"] >= 0.8  # each is a replay by the exact test
        assert may_replay(walk, other, 0.8) and may_replay(other, walk, 0.8)
    assert may_replay(walk, time_shifted(walk, 7 * 86400), 0.8)
    assert not may_replay(walk, noisy_repeat(walk), 0.8)  # the same path walked again honestly
    assert not may_replay(walk, real(MIXED), 0.8)
    assert not may_replay(walk, walk.take(np.arange(100)), 0.8)


def test_mock_provider_is_flagged():
    walk = real(WALK)
    mock = np.zeros(len(walk), dtype=bool)
    mock[100:200] = True
    result = analyze(copy(walk, mock=mock), now=NOW)
    evidence = flag(result, "mock_location").evidence
    assert evidence["mock_fixes"] == 100 and evidence["share"] == pytest.approx(100 / 513, abs=1e-3)
    assert "mock_location" not in codes(analyze(copy(walk, mock=np.zeros(len(walk), bool)), now=NOW))


def test_poor_accuracy_is_dropped_and_flagged():
    walk = real(WALK)
    acc = np.where(np.arange(len(walk)) % 2 == 0, 8.0, 120.0)
    result = analyze(copy(walk, accuracy=acc), now=NOW)
    assert "low_accuracy" in codes(result)
    assert result.kept_fixes == (len(walk) + 1) // 2
    assert flag(result, "low_accuracy").evidence["poor_fixes"] == len(walk) // 2


def test_a_single_gnss_spike_is_dropped_not_flagged():
    walk = real(WALK)
    proj, x, y = metric(walk)
    x[200] += 2000  # one fix 2 km off, the next back on the path
    lon, lat = proj.transform(x, y, direction="INVERSE")
    result = analyze(copy(walk, lon=lon, lat=lat), now=NOW)
    assert "teleport" not in codes(result) and "dropped 1 GNSS spikes" in result.notes
    assert result.distance_m == pytest.approx(analyze(walk, now=NOW).distance_m, rel=0.01)


# --- where: segments and the grid -----------------------------------------------------------

def test_coverage_of_an_assigned_segment_along_the_walk():
    walk = real(WALK)
    along = segment_along(walk, 20, 150)  # about 1.6 km of the path
    result = analyze(walk, segments=[along], now=NOW)
    assert result.coverage > 0.95
    assert "off_segment" in codes(result)  # most of the walk is elsewhere than this one segment
    whole = analyze(walk, segments=[segment_along(walk, 0, len(walk))], now=NOW)
    assert whole.coverage > 0.95 and "off_segment" not in codes(whole)
    assert whole.on_segment_distance_m == pytest.approx(whole.distance_m, rel=0.05)


def test_a_segment_a_kilometre_away_is_not_covered():
    walk = real(WALK)
    far = analyze(walk, segments=[segment_along(walk, 20, 150, north_m=1000)], now=NOW)
    assert far.coverage < 0.05 and far.on_segment_distance_m < 200
    assert "off_segment" in codes(far) and flag(far, "off_segment").evidence["far_share"] > 0.9
    assert "低" not in "".join(far.reason_codes)  # reasons are codes; the default rule asks 30% coverage
    assert "low_coverage" in far.reason_codes and not far.valid


def test_low_coverage_makes_a_patrol_invalid_in_both_languages():
    walk = real(WALK)
    short = walk.take(np.arange(0, 60))
    result = analyze(short, segments=[segment_along(walk, 0, len(walk))], rule=ValidityRule(min_coverage=0.5),
                     now=NOW)
    reason = next(r for r in result.reasons if r.code == "low_coverage")
    assert reason.zh.startswith("责任河段覆盖") and "不足 50%" in reason.zh
    assert "less than 50%" in reason.en
    unchecked = analyze(short, segments=[segment_along(walk, 0, len(walk))], rule=ValidityRule(min_coverage=None),
                        now=NOW)
    assert unchecked.coverage == result.coverage and "low_coverage" not in unchecked.reason_codes


def test_geofenced_mileage_counts_only_metres_near_the_segment():
    walk = real(WALK)
    rule = ValidityRule(min_distance_m=2000, distance_on_segment=True)
    result = analyze(walk, segments=[segment_along(walk, 20, 150)], rule=rule, now=NOW)
    assert result.on_segment_distance_m < 2000 < result.distance_m
    assert not result.valid and "too_little_distance" in result.reason_codes


def test_share_inside_the_grid():
    walk = real(WALK)
    grid = Polygon(LineString(np.column_stack([walk.lon[:257], walk.lat[:257]])).buffer(0.0005).exterior)
    result = analyze(walk, grid=grid, now=NOW)
    assert 0.45 < result.inside_grid_share < 0.6
    assert analyze(walk, now=NOW).inside_grid_share is None


# --- validity rules ---------------------------------------------------------------------------

def test_akqi_and_sixian_on_the_same_short_patrol():
    walk = real(WALK)
    short = walk.take((walk.t >= walk.t[0] + 15 * 60) & (walk.t < walk.t[0] + 40 * 60))  # 25 minutes of the hike
    akqi = analyze(short, rule=AKQI, now=NOW)
    assert not akqi.valid and akqi.reason_codes == ["too_short", "too_little_distance"]
    minutes = int(akqi.duration_s // 60)
    assert 20 <= minutes < 30
    assert akqi.reasons[0].zh == f"巡河时长 {minutes} 分钟，不足 30 分钟"
    assert akqi.reasons[0].en == f"Patrol lasted {minutes} min, less than 30 min"
    assert akqi.reasons[1].zh == f"巡河距离 {int(akqi.distance_m)} 米，不足 2000 米"
    assert akqi.reasons[1].en == f"Patrolled {int(akqi.distance_m)} m, less than 2000 m"
    sixian = analyze(short, rule=SIXIAN, now=NOW)
    assert sixian.valid and sixian.reasons == []


def test_a_too_short_patrol_fails_sixian_too():
    walk = real(WALK)
    stroll = walk.take((walk.t >= walk.t[25]) & (walk.t < walk.t[25] + 250))  # 4 minutes, 210 m
    result = analyze(stroll, rule=SIXIAN, now=NOW)
    assert result.reason_codes == ["too_short", "too_little_distance"]
    assert "不足 5 分钟" in str(result.reasons[0]) and "less than 300 m" in str(result.reasons[1])


def test_none_switches_a_check_off():
    walk = real(WALK)
    short = walk.take(np.arange(0, 15))
    assert analyze(short, rule=ValidityRule(None, None, None), now=NOW).valid


def test_an_empty_track_is_not_a_patrol():
    result = analyze(Track([], [], []), now=NOW)
    assert not result.valid and result.reason_codes == ["no_fixes"] and result.fixes == 0


# --- gaps, parts and the result --------------------------------------------------------------

def test_gaps_are_explained_by_what_the_app_recorded():
    walk = real(WALK)
    plain = analyze(walk, now=NOW)
    longest = max(plain.gaps, key=lambda g: g["seconds"])
    start = dt.datetime.fromisoformat(longest["start"].replace("Z", "+00:00"))
    events = [{"at": start + dt.timedelta(seconds=30), "event": "gps_lost"},
              {"at": (start + dt.timedelta(seconds=longest["seconds"] - 20)).isoformat(), "event": "gps_regained"}]
    explained = analyze(walk, lifecycle_events=events, now=NOW)
    assert next(g for g in explained.gaps if g["start"] == longest["start"])["explained_by"] == "no_signal"
    before = flag(plain, "time_gap").evidence["count"]
    assert flag(explained, "time_gap").evidence["count"] == before - 1
    killed = analyze(walk, lifecycle_events=[{"at": start.timestamp() + 60, "event": "killed"}], now=NOW)
    assert next(g for g in killed.gaps if g["start"] == longest["start"])["explained_by"] == "app_killed"


def test_a_pause_between_parts_is_neither_distance_nor_a_gap_flag():
    walk = real(MIXED)  # eight GPX segments: between them nothing was recorded
    assert len(walk.breaks) == 6
    result = analyze(walk, now=NOW)
    assert sum(g["explained_by"] == "paused" for g in result.gaps) == 6
    assert all(g["explained_by"] != "paused" for g in flag(result, "time_gap").evidence["gaps"])
    joined = copy(walk, breaks=None)  # the same fixes as one part: the transfers between would count
    assert analyze(joined, now=NOW).distance_m > result.distance_m + 5000


def test_result_is_json_ready_with_a_fixed_flag_vocabulary():
    walk = real(WALK)
    fakes = [analyze(f, now=NOW) for f in (real(CAR), real(BROKEN_CLOCK), straight_line_fake(walk),
                                           teleport_splice(walk), stationary_at_home(walk.t[0]))]
    assert {c for r in fakes for c in r.flag_codes} <= set(FLAG_CODES)
    out = analyze(walk, rule=AKQI, now=NOW).to_dict()
    json.loads(json.dumps(out, allow_nan=False))
    assert out["coverage"] is None and out["inside_grid_share"] is None and out["valid"] is True
    assert out["analysis_version"] == ANALYSIS_VERSION and out["rule"]["version"] == "akqi-2022"
    assert {"fixes", "kept_fixes", "duration_s", "moving_s", "distance_m", "max_speed_mps", "sustained_speed_mps",
            "reasons", "reason_codes", "reason_messages", "flags"} <= set(out)
    assert all({"code", "detail", "evidence"} == set(f) for f in out["flags"])
    short = analyze(walk.take(np.arange(15)), rule=AKQI, now=NOW).to_dict()
    assert short["reasons"][0] == f"{short['reason_messages'][0]['zh']} / {short['reason_messages'][0]['en']}"


def test_the_shared_library_needs_no_server_or_phone_framework():
    import subprocess
    import sys

    probe = ("import sys, shared_models.track, shared_models.track.analysis, shared_models.track.codec, "
             "shared_models.track.gpx; print(sorted(m for m in ('flask', 'sqlalchemy', 'kivy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                       cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr


def test_a_reason_never_contradicts_its_own_figures():
    piece = real(WALK).take(np.arange(25, 45))
    almost = copy(piece, t=piece.t[0] + (piece.t - piece.t[0]) * (599.6 / np.ptp(piece.t)))  # 9.99 minutes
    result = analyze(almost, rule=ValidityRule(min_coverage=None), now=NOW)
    assert result.duration_s == 599.6 and result.reasons[0].zh == "巡河时长 9 分钟，不足 10 分钟"
