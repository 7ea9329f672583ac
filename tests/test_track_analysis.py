"""Patrol analysis on real tracks and on fakes made from them."""
import datetime as dt

import gpxpy
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Polygon

from shared_models.track import Track, TrackError
from shared_models.track.analysis import ValidityRule, analyze, projection_for, replay_similarity
from shared_models.track.gpx import read_gpx

from .tracks import (
    BROKEN_CLOCK,
    CAR,
    MIXED,
    NO_TIMES,
    TRACKS,
    WALK,
    noisy_repeat,
    real,
    sped_up,
    stationary_at_home,
    straight_line_fake,
    teleport_splice,
    time_shifted,
)

CHEATS = {"vehicle_speed", "teleport", "synthetic"}
AKQI = ValidityRule(min_duration_s=30 * 60, min_distance_m=2000, min_coverage=None, version="akqi-2022")
SIXIAN = ValidityRule(min_duration_s=5 * 60, min_distance_m=300, min_coverage=None, version="sixian-dinghu")


def codes(result):
    return set(result.flag_codes)


def _gpxpy_length(name):
    doc = gpxpy.parse((TRACKS / name).read_text())
    return sum(seg.length_2d() for trk in doc.tracks for seg in trk.segments if seg.points and seg.points[0].time)


def test_a_walk_is_not_called_a_cheat():
    result = analyze(real(WALK))
    assert not codes(result) & CHEATS
    assert result.valid, result.reasons
    assert result.distance_m == pytest.approx(_gpxpy_length(WALK), rel=0.02)  # 6.27 km by gpxpy
    assert result.duration_s == pytest.approx(3 * 3600 + 43 * 60, abs=60)
    assert 0 < result.max_speed_mps < 2.5  # a hiker


def test_a_car_gets_vehicle_speed():
    result = analyze(real(CAR))
    assert "vehicle_speed" in codes(result)
    flag = next(f for f in result.flags if f.code == "vehicle_speed")
    assert flag.evidence["average_moving_kmh"] > 25
    assert "公里/小时" in flag.detail and "km/h" in flag.detail
    assert result.distance_m == pytest.approx(_gpxpy_length(CAR), rel=0.03)
    assert not codes(result) & {"teleport", "synthetic"}


def test_the_mixed_walk_flags_its_car_transfer_for_a_person():
    """Cerknica: a 4.6 km walk with stretches driven at up to 32 km/h over two minutes."""
    result = analyze(real(MIXED))
    assert result.distance_m == pytest.approx(_gpxpy_length(MIXED), rel=0.03)
    assert "vehicle_speed" in codes(result)
    assert next(f for f in result.flags if f.code == "vehicle_speed").evidence["sustained_kmh"] > 25
    assert not codes(result) & {"teleport", "synthetic"}
    assert result.valid  # flagged for review, not rejected


def test_a_walk_sped_up_five_times_is_a_vehicle():
    result = analyze(sped_up(real(WALK), 5))
    assert "vehicle_speed" in codes(result)
    assert result.distance_m == pytest.approx(analyze(real(WALK)).distance_m, rel=0.01)


def test_a_straight_line_fake_is_synthetic():
    result = analyze(straight_line_fake(real(WALK)))
    assert "synthetic" in codes(result)
    evidence = next(f for f in result.flags if f.code == "synthetic").evidence
    assert evidence["spacing_cv"] < 0.05 and evidence["constant_accuracy"] == 5.0


def test_standing_at_home_is_stationary_and_does_not_count():
    result = analyze(stationary_at_home(real(WALK).t[0]), rule=AKQI)
    assert "stationary" in codes(result)
    assert not codes(result) & CHEATS
    assert result.distance_m < 500 and not result.valid
    assert "too_little_distance" in [r.code for r in result.reasons]


def test_a_teleport_splice_is_caught_and_its_jump_is_not_walked():
    result = analyze(teleport_splice(real(WALK), 5000))
    assert "teleport" in codes(result)
    jump = next(f for f in result.flags if f.code == "teleport").evidence["jumps"][0]
    assert 4900 < jump["metres"] < 5100
    assert "vehicle_speed" not in codes(result)
    assert result.distance_m == pytest.approx(analyze(real(WALK)).distance_m, rel=0.02)


def test_a_replay_with_shifted_times_is_near_identical_and_an_honest_repeat_is_not():
    walk = real(WALK)
    assert replay_similarity(walk, time_shifted(walk, 7 * 86400))["score"] > 0.95
    assert replay_similarity(walk, noisy_repeat(walk))["score"] < 0.2
    assert replay_similarity(walk, real(MIXED))["score"] == 0.0


def test_a_broken_clock_is_flagged_and_cannot_count():
    result = analyze(real(BROKEN_CLOCK))
    assert "clock" in codes(result)
    assert result.flags[0].evidence["earliest"].startswith("1901")
    assert not result.valid and result.reasons[0].code == "bad_clock"
    assert result.distance_m > 2000  # the geometry is still measured


def test_a_gpx_without_times_is_refused_with_a_clear_message():
    with pytest.raises(TrackError) as err:
        read_gpx((TRACKS / NO_TIMES).read_bytes())
    assert err.value.code == "track.missing_times" and "缺少时间" in err.value.zh


def test_mock_provider_is_flagged():
    walk = real(WALK)
    mock = np.zeros(len(walk), dtype=bool)
    mock[100:200] = True
    result = analyze(Track(walk.lon, walk.lat, walk.t, walk.accuracy, mock=mock))
    flag = next(f for f in result.flags if f.code == "mock_location")
    assert flag.evidence["mock_fixes"] == 100


def test_poor_accuracy_is_dropped_and_flagged():
    walk = real(WALK)
    acc = np.where(np.arange(len(walk)) % 2 == 0, 8.0, 120.0)
    result = analyze(Track(walk.lon, walk.lat, walk.t, acc))
    assert "low_accuracy" in codes(result)
    assert result.kept_fixes == (len(walk) + 1) // 2


def _segment_from(track: Track, start: int, stop: int, shift_m: float = 0.0) -> LineString:
    """A river segment drawn along part of a real track (moved north by ``shift_m``)."""
    proj = projection_for(track.lon, track.lat)
    x, y = proj.transform(track.lon[start:stop], track.lat[start:stop])
    line = LineString(np.column_stack([x, y + shift_m])).simplify(10)
    return shapely.transform(line, lambda xy: np.column_stack(proj.transform(xy[:, 0], xy[:, 1],
                                                                             direction="INVERSE")))


def test_coverage_of_assigned_segments():
    walk = real(WALK)
    on_route = _segment_from(walk, 20, 150)
    result = analyze(walk, segments=[on_route])
    assert result.coverage > 0.95
    assert "off_segment" in codes(result)  # most of the walk is elsewhere than this one segment
    far = _segment_from(walk, 20, 150, shift_m=10_000)
    result = analyze(walk, segments=[far])
    assert result.coverage == 0.0 and "off_segment" in codes(result)
    whole = _segment_from(walk, 0, len(walk))
    result = analyze(walk, segments=[whole])
    assert result.coverage > 0.95 and "off_segment" not in codes(result)
    assert result.on_segment_distance_m == pytest.approx(result.distance_m, rel=0.05)


def test_low_coverage_makes_a_patrol_invalid():
    walk = real(WALK)
    short = walk.take(np.arange(0, 60))
    result = analyze(short, segments=[_segment_from(walk, 0, len(walk))], rule=ValidityRule(min_coverage=0.5))
    assert not result.valid
    reason = next(r for r in result.reasons if r.code == "low_coverage")
    assert "覆盖" in reason.zh and "Covered" in reason.en


def test_share_inside_the_grid():
    walk = real(WALK)
    grid = Polygon(LineString(np.column_stack([walk.lon[:257], walk.lat[:257]])).buffer(0.0005).exterior)
    result = analyze(walk, grid=grid)
    assert 0.45 < result.inside_grid_share < 0.6


def test_akqi_and_sixian_rules_on_the_same_short_patrol():
    walk = real(WALK)
    # 25 minutes of the hike, after its first rest
    short = walk.take((walk.t >= walk.t[0] + 15 * 60) & (walk.t < walk.t[0] + 40 * 60))
    akqi = analyze(short, rule=AKQI)
    assert not akqi.valid
    assert [r.code for r in akqi.reasons] == ["too_short", "too_little_distance"]
    minutes = round(akqi.duration_s / 60)
    assert 20 <= minutes < 30
    assert akqi.reasons[0].zh == f"巡河时长 {minutes} 分钟，不足 30 分钟"
    assert akqi.reasons[0].en == f"Patrol lasted {minutes} min, less than 30 min"
    assert "less than 2000 m" in akqi.reasons[1].en
    assert analyze(short, rule=SIXIAN).valid


def test_gaps_are_explained_by_what_the_app_recorded():
    walk = real(WALK)
    plain = analyze(walk)
    longest = max(plain.gaps, key=lambda g: g["seconds"])
    start = dt.datetime.fromisoformat(longest["start"].replace("Z", "+00:00"))
    events = [{"at": start + dt.timedelta(seconds=30), "event": "gps_lost"},
              {"at": start + dt.timedelta(seconds=longest["seconds"] - 20), "event": "gps_regained"}]
    explained = analyze(walk, lifecycle_events=events)
    gap = next(g for g in explained.gaps if g["start"] == longest["start"])
    assert gap["explained_by"] == "no_signal"
    unexplained_before = len(next(f for f in plain.flags if f.code == "time_gap").evidence["gaps"])
    unexplained_after = len(next(f for f in explained.flags if f.code == "time_gap").evidence["gaps"])
    assert unexplained_after == unexplained_before - 1
    killed = analyze(walk, lifecycle_events=[{"at": start.timestamp() + 60, "event": "killed"}])
    assert next(g for g in killed.gaps if g["start"] == longest["start"])["explained_by"] == "app_killed"


def test_a_pause_between_parts_is_not_distance_or_speed():
    walk = real(MIXED)  # eight GPX segments: between them nothing was recorded
    assert len(walk.breaks) == 6
    result = analyze(walk)
    assert sum(g["explained_by"] == "paused" for g in result.gaps) == 6
    joined = Track(walk.lon, walk.lat, walk.t, walk.accuracy)  # the same fixes as one part
    assert analyze(joined).distance_m > result.distance_m + 5000  # the drives between parts


def test_result_is_json_ready():
    import json

    out = analyze(real(WALK)).to_dict()
    json.dumps(out)
    assert out["coverage"] is None and isinstance(out["reasons"], list)
    assert {"fixes", "kept_fixes", "duration_s", "distance_m", "max_speed_mps", "valid", "flags"} <= set(out)
