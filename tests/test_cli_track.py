"""`riverpatrol track analyze`: the same analysis for admins and support, from a GPX file."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from shapely.geometry import LineString, mapping

from .tracks import CAR, NO_TIMES, TRACKS, WALK, real

RIVERPATROL = str(Path(sys.executable).parent / "riverpatrol")


def run(*args):
    return subprocess.run([RIVERPATROL, "track", "analyze", *map(str, args)], capture_output=True, text=True,
                          timeout=60)


def test_json_report_of_a_real_walk():
    r = run(TRACKS / WALK, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["fixes"] == out["kept_fixes"] == 513
    assert 6000 < out["distance_m"] < 6500 and out["duration_s"] > 3 * 3600
    assert out["coverage"] is None and out["valid"] is True
    assert out["reasons"] == [] and all({"code", "detail"} <= set(f) for f in out["flags"])
    assert 0 < out["max_speed_mps"] < 2.5


def test_car_with_segments_and_an_akqi_rule(tmp_path):
    car = real(CAR)
    seg = tmp_path / "segments.geojson"
    line = LineString(np.column_stack([car.lon[:60], car.lat[:60]]))
    seg.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "S1"}, "geometry": mapping(line)}]}))
    r = run(TRACKS / CAR, "--segments", seg, "--json", "--min-duration-min", 30, "--min-distance-m", 2000)
    out = json.loads(r.stdout)
    assert out["coverage"] > 0.9
    assert "vehicle_speed" in [f["code"] for f in out["flags"]]
    assert out["valid"] is False and any("不足 30 分钟" in reason for reason in out["reasons"])


def test_readable_summary_in_chinese_and_english():
    r = run(TRACKS / CAR)
    assert r.returncode == 0
    assert "距离 distance" in r.stdout and "vehicle_speed" in r.stdout and "有效巡河 valid: 否 no" in r.stdout


def test_bad_files_exit_1_with_a_clear_message(tmp_path):
    fake = tmp_path / "notes.gpx"
    fake.write_text("这是一份会议记录，不是轨迹。")
    r = run(fake)
    assert r.returncode == 1 and "不是有效的 GPX 文件 / Not a valid GPX file" in r.stderr
    r = run(TRACKS / NO_TIMES)
    assert r.returncode == 1 and "缺少时间" in r.stderr and "track.missing_times" in r.stderr
