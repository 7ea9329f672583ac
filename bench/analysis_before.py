"""The analysis of a two-hour 1 Hz patrol, today's numpy code beside the Shapely/pyproj code it replaced.

Issue 15 moved the shared analysis onto numpy alone (the phone has no Shapely 2 or pyproj 3); its
time must stay at or below what it was. The code before is taken from git at BEFORE (``git archive``
into a temporary package), and both run on the same patrol, interleaved, in one process:
``analysis_2h_p50_ms``, ``analysis_2h_before_p50_ms`` and their ratio (below 1: faster now).
"""
from __future__ import annotations

import importlib
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "69416d2"  # the last commit whose shared analysis ran on Shapely and pyproj
RUNS = 80


def _before_package():
    """shared_models at BEFORE, importable as ``shared_models_before`` (None outside a git checkout)."""
    try:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "shared_models"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    where = Path(tempfile.mkdtemp(prefix="analysis-before-"))
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(where, filter="data")
    (where / "shared_models").rename(where / "shared_models_before")
    sys.path.insert(0, str(where))
    return importlib.import_module("shared_models_before.track.analysis"), importlib.import_module(
        "shared_models_before.track.model")


def side_by_side(track, segments, grid, rule, now) -> dict[str, float]:
    from shared_models.track.analysis import analyze

    loaded = _before_package()
    if loaded is None:
        print(f"# no git history here: the analysis before {BEFORE} is not measured", file=sys.stderr)
        return {}
    before, model = loaded
    old_track = model.Track(track.lon, track.lat, track.t, track.accuracy)
    ours = analyze(track, segments=segments, grid=grid, rule=rule, now=now)
    theirs = before.analyze(old_track, segments=segments, grid=grid, rule=rule, now=now)
    assert ours.valid == theirs.valid and [f.code for f in ours.flags] == [f.code for f in theirs.flags]
    assert abs(ours.distance_m - theirs.distance_m) <= 1e-3 * theirs.distance_m
    assert abs(ours.coverage - theirs.coverage) <= 0.01
    now_ms, before_ms = [], []
    for _ in range(RUNS):
        for fn, out in ((lambda: analyze(track, segments=segments, grid=grid, rule=rule, now=now), now_ms),
                        (lambda: before.analyze(old_track, segments=segments, grid=grid, rule=rule, now=now),
                         before_ms)):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
    p50, p50_before = statistics.median(now_ms), statistics.median(before_ms)
    return {"analysis_2h_p50_ms": p50, "analysis_2h_p95_ms": float(np.percentile(now_ms, 95)),
            "analysis_2h_before_p50_ms": p50_before,
            "analysis_2h_before_p95_ms": float(np.percentile(before_ms, 95)),
            "analysis_2h_ratio_vs_before": p50 / p50_before}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import tracks

    patrol = tracks.two_hour_patrol()
    for name, value in side_by_side(*patrol, tracks.RULE, tracks.NOW).items():
        print(f"{name}: {value:.2f}")
