"""`riverpatrol track analyze`: the patrol analysis for admins and support, from a GPX file."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gpxpy
import numpy as np
import pytest
from shapely.geometry import LineString, mapping

from .phone_env import phone_python

ROOT = Path(__file__).resolve().parent.parent
TRACKS = ROOT / "tests" / "data" / "tracks"
WALK, CAR, NO_TIMES = "korita-zbevnica.gpx", "around-visnjan-with-car.gpx", "cerknicko-without-times.gpx"


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "riverpatrol"), "track", "analyze", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def report(*args) -> dict:
    r = run(*args, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1  # one JSON object, one line

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(r.stdout, parse_constant=refuse)


def segments_file(tmp_path: Path, line: LineString, **extra) -> Path:
    path = tmp_path / "segments.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": [
        {"type": "Feature", "properties": {"code": "S1"}, "geometry": mapping(line)}]}))
    return path


def test_json_report_of_a_real_hike():
    out = report(TRACKS / WALK)
    doc = gpxpy.parse((TRACKS / WALK).read_text())
    walked = sum(s.length_2d() for t in doc.tracks for s in t.segments if s.points and s.points[0].time)
    # 6.27 km timed; the file's 15 km includes an 8.6 km planned route without times, which nobody walked
    assert abs(out["distance_m"] - walked) < 0.1 * walked and out["distance_m"] < 7000
    assert out["fixes"] == out["kept_fixes"] == 513
    assert 3.5 * 3600 < out["duration_s"] < 3.9 * 3600
    assert 0 < out["max_speed_mps"] < 2.5
    assert out["coverage"] is None and out["valid"] is True and out["reasons"] == []
    assert all({"code", "detail"} <= set(f) for f in out["flags"])
    assert not {f["code"] for f in out["flags"]} & {"vehicle_speed", "teleport", "synthetic"}
    assert any("planned route" in note for note in out["notes"])


def test_the_car_with_its_road_as_the_segment_and_akqi_rule(tmp_path):
    doc = gpxpy.parse((TRACKS / CAR).read_text())
    points = doc.tracks[0].segments[0].points
    road = LineString([(p.longitude, p.latitude) for p in points[:60]])
    out = report(TRACKS / CAR, "--segments", segments_file(tmp_path, road), "--rule", "akqi-2022")
    assert out["coverage"] > 0.9
    assert "vehicle_speed" in [f["code"] for f in out["flags"]]
    assert out["valid"] is False
    assert out["reasons"][0].startswith("巡河时长 8 分钟，不足 30 分钟 / Patrol lasted 8 min, less than 30 min")
    assert out["reason_codes"] == ["too_short"]  # 2.7 km passes Akqi's 2 km, driven or not
    assert out["rule"]["version"] == "akqi-2022"


def test_rule_figures_can_be_overridden():
    out = report(TRACKS / CAR, "--min-duration-min", 5, "--min-distance-m", 3000)
    assert out["reason_codes"] == ["too_little_distance"] and out["rule"]["version"] == "default+cli"
    assert "不足 3000 米" in out["reasons"][0]


def test_a_segment_a_kilometre_off_is_not_covered(tmp_path):
    doc = gpxpy.parse((TRACKS / CAR).read_text())
    points = doc.tracks[0].segments[0].points
    north = LineString([(p.longitude, p.latitude + 0.009) for p in points])  # 1 km north
    out = report(TRACKS / CAR, "--segments", segments_file(tmp_path, north))
    assert out["coverage"] == 0.0 and "off_segment" in [f["code"] for f in out["flags"]]


def test_readable_summary_in_chinese_and_english():
    r = run(TRACKS / CAR)
    assert r.returncode == 0, r.stderr
    assert "距离 distance: 2702 m" in r.stdout
    assert "有效巡河 valid: 否 no" in r.stdout and "Patrol lasted 8 min, less than 10 min" in r.stdout
    assert "标记 flag vehicle_speed: 乘坐机动车巡河" in r.stdout
    assert "巡河方式 travel mode: 乘坐机动车 motor_vehicle (乘坐机动车 2.7 km" in r.stdout


def test_a_text_file_named_gpx_exits_1_with_a_clear_message(tmp_path):
    fake = tmp_path / "notes.gpx"
    fake.write_text("这是一份会议记录，不是轨迹。")
    r = run(fake)
    assert r.returncode == 1 and r.stdout == ""
    assert "不是有效的 GPX 文件 / Not a valid GPX file (track.bad_gpx)" in r.stderr
    assert "Traceback" not in r.stderr


def test_other_bad_input_exits_1_in_both_languages(tmp_path):
    r = run(TRACKS / NO_TIMES)
    assert r.returncode == 1 and "291 个缺少时间" in r.stderr and "291 of 296 fixes have no time" in r.stderr
    r = run(tmp_path / "missing.gpx")
    assert r.returncode == 1 and "无法读取轨迹文件" in r.stderr and "cannot read the track file" in r.stderr
    bad = tmp_path / "bad.geojson"
    bad.write_text("[1, 2")
    r = run(TRACKS / CAR, "--segments", bad)
    assert r.returncode == 1 and "河段文件不是有效的 GeoJSON" in r.stderr and "not valid GeoJSON" in r.stderr
    area = LineString([(108.9, 34.3), (108.91, 34.3), (108.91, 34.31)]).buffer(0.001)
    r = run(TRACKS / CAR, "--segments", segments_file(tmp_path, area))
    assert r.returncode == 1 and "河段文件须为线要素" in r.stderr and "LineString" in r.stderr
    utm = LineString(np.column_stack([[500000.0, 500100.0], [3800000.0, 3800100.0]]))
    r = run(TRACKS / CAR, "--segments", segments_file(tmp_path, utm, crs={
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}}))
    assert r.returncode == 1 and "WGS84" in r.stderr
    for r in (run(TRACKS / NO_TIMES), run(tmp_path / "missing.gpx")):
        assert "Traceback" not in r.stderr


def _phone(*args) -> subprocess.CompletedProcess:
    return subprocess.run([phone_python(), "-m", "mobile.headless", "analyze", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def _layout(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """Segments along the first half of the walk (15 m north of it) and one far away; the grid: the box of
    the first third of the fixes."""
    doc = gpxpy.parse((TRACKS / name).read_text())
    pts = [(p.longitude, p.latitude) for t in doc.tracks for s in t.segments for p in s.points if p.time]
    half = pts[: len(pts) // 2: 3]
    near = LineString([(x, y + 0.000135) for x, y in half])
    far = LineString([(x + 0.05, y) for x, y in half])
    segments = tmp_path / "segments.geojson"
    segments.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(g)} for g in (near, far)]}))
    xs, ys = zip(*pts[: len(pts) // 3], strict=True)
    box = {"type": "Polygon", "coordinates": [[(min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)),
                                               (min(xs), max(ys)), (min(xs), min(ys))]]}
    grid = tmp_path / "grid.geojson"
    grid.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": box}))
    return segments, grid


@pytest.mark.parametrize("name", [WALK, CAR, "cerknicko-jezero.gpx", "Mojstrovka.gpx"])
def test_the_phone_prints_the_servers_verdict(tmp_path, name):
    """`python -m mobile.headless analyze` in the phone's venv (numpy, no Shapely, no pyproj) against
    `riverpatrol track analyze` on the same files."""
    segments, grid = _layout(tmp_path, name)
    args = (TRACKS / name, "--segments", segments, "--grid", grid, "--json")
    server, phone = run(*args[:-1], "--json"), _phone(*args)
    assert server.returncode == phone.returncode == 0, phone.stderr
    s, p = json.loads(server.stdout), json.loads(phone.stdout)
    assert p["valid"] == s["valid"] and p["reason_codes"] == s["reason_codes"]
    assert sorted(f["code"] for f in p["flags"]) == sorted(f["code"] for f in s["flags"])
    assert abs(p["distance_m"] - s["distance_m"]) <= 0.005 * s["distance_m"]
    assert 0.2 < s["coverage"] < 0.8 and abs(p["coverage"] - s["coverage"]) <= 0.01  # half of it walked
    assert 0 < s["inside_grid_share"] < 1 and abs(p["inside_grid_share"] - s["inside_grid_share"]) <= 0.01
    assert p["rule"] == s["rule"]


def test_the_phone_refuses_what_the_server_refuses(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("[1, 2")
    for args in ((TRACKS / NO_TIMES,), (tmp_path / "missing.gpx",), (TRACKS / CAR, "--segments", bad)):
        server, phone = run(*args), _phone(*args)
        assert server.returncode == phone.returncode == 1 and phone.stdout == ""
        assert phone.stderr.strip() == server.stderr.strip() and "Traceback" not in phone.stderr
