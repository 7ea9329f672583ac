"""What a patrol's track says: distance, time, coverage, validity, and signs of cheating.

The phone runs this before upload ("this patrol will not count: 12 of 30 minutes") and
the server runs it on receipt, so both give the same verdict from the same code.
Everything is measured in metres in a local transverse Mercator projection centred on
the track (never in degrees); the hot path is numpy on whole arrays (geometry.py), never
a Python loop per fix, and nothing here needs Shapely or pyproj, which the phone cannot have.

Flags go to a person (domain: flagged patrols are never paid automatically and never
silently discarded); they do not change ``valid``, which only the ValidityRule decides.

Here ``analyze`` puts the steps together; the rule, the result and the reasons are in
verdict.py, the thresholds in thresholds.py, the measuring in measure.py and the flags'
detectors in detectors.py.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from ..clock import utcnow
from . import travel
from .detectors import (
    accurate_fixes,
    clock_evidence,
    drop_spikes,
    event_times,
    find_gaps,
    iso,
    receiver_clock,
    synthetic_signs,
    vehicle_flag,
)
from .geometry import Pieces, lines_of, polygons_of
from .measure import (
    as_lines,
    covered_share,
    projection_for,
    simplified,
    walked_line,
    weighted_median,
    window_speed,
)
from .model import Track
from .thresholds import (
    COVERAGE_STEP_M,
    MAX_SPEED_WINDOW_S,
    MOVING_MPS,
    MOVING_WINDOW_S,
    OFF_SEGMENT_M,
    OFF_SEGMENT_SHARE,
    STATIONARY_LOOP_SHARE,
    STATIONARY_MIN_S,
    STATIONARY_MOVING_SHARE,
    STATIONARY_RADIUS_M,
    SUSTAINED_WINDOW_S,
    TELEPORT_MIN_JUMP_M,
    TELEPORT_SPEED_MPS,
)
from .verdict import AnalysisResult, Flag, ValidityRule, empty_result, fmt_min, reasons_for

__all__ = ["analyze"]


def _kmh(mps: float) -> float:
    return round(mps * 3.6, 1)


def _lonlat(track: Track, i) -> list[float]:
    """A fix's place, for the evidence (the console's map puts the flag there)."""
    return [round(float(track.lon[int(i)]), 6), round(float(track.lat[int(i)]), 6)]


def _metric_lines(segments: list, proj) -> Pieces | None:
    """The segments' pieces in the track's projection (overlapping segments are not merged: a card's
    segments meet at their ends, they do not overlap)."""
    lines = [np.column_stack(proj.transform(c[:, 0], c[:, 1])) for s in segments for c in lines_of(s)]
    return Pieces.of_lines(lines)


# --- the analysis ----------------------------------------------------------------------

def analyze(track: Track, segments: list | None = None, grid=None,
            rule: ValidityRule = ValidityRule(), lifecycle_events: list[dict] | None = None,
            now: dt.datetime | None = None) -> AnalysisResult:
    """Measure and judge a patrol. ``segments`` (lines) and ``grid`` (an area, or a list of areas) are
    WGS84 lon/lat: GeoJSON geometry dicts, or anything with ``__geo_interface__`` (Shapely's).

    ``lifecycle_events``: what the app recorded happening to it, ``{"at": datetime |
    epoch seconds | ISO string, "event": one of shared_models.enums.LIFECYCLE_EVENTS}``;
    they explain gaps. ``now`` (default: the clock) judges future times.
    """
    n = len(track)
    notes = list(track.notes)
    if n == 0:
        return empty_result(rule, notes)
    flags: list[Flag] = []
    now_s = (now or utcnow()).timestamp()
    proj = projection_for(track.lon, track.lat)
    x, y = proj.transform(track.lon, track.lat)
    t = track.t

    clock, clock_broken = clock_evidence(t, now_s)
    moved, honest = receiver_clock(track)
    if honest is not None:  # the receiver's own times say when the fixes were: measure by them
        t, clock_broken = honest, False
    if moved:
        clock.update(moved)
        flags.append(Flag("clock", "手机时间被改过（与卫星时间或开机计时不符） / The phone's clock was changed "
                          "(it disagrees with GNSS time or the time since boot)", clock))
    elif clock:
        flags.append(Flag("clock", "设备时间异常（倒退、停滞或不合理） / The phone's clock is wrong "
                          "(backwards, frozen or implausible)", clock))

    keep = accurate_fixes(track, flags)
    if track.mock is not None and track.mock.any():
        share = float(track.mock.mean())
        flags.append(Flag("mock_location", f"手机报告使用了模拟定位（{share:.0%} 的点） / "
                          f"The phone reported a mock location provider ({share:.0%} of fixes)",
                          {"mock_fixes": int(track.mock.sum()), "share": round(share, 3)}))
    if not clock_broken:  # with a broken clock no speed means anything
        drop_spikes(x, y, t, keep, notes)

    idx = np.flatnonzero(keep)
    xs, ys, ts = x[idx], y[idx], t[idx]
    part = track.parts()[idx]
    m = len(idx)
    d = np.hypot(np.diff(xs), np.diff(ys))
    dtt = np.diff(ts)
    cross = np.diff(part) != 0  # steps between parts: recording was paused, nothing was walked
    duration = float(ts[-1] - ts[0]) if m else 0.0
    line = as_lines(xs, ys, part)

    gaps: list[dict] = []
    gap_count = 0
    in_gap = cross.copy()
    if m >= 2 and not clock_broken:
        in_gap, gaps, gap_count = find_gaps(ts, d, dtt, cross, event_times(lifecycle_events), flags)
        for f in flags:  # where the first unexplained gap begins
            if f.code == "time_gap" and f.evidence.get("gaps"):
                at = dt.datetime.fromisoformat(f.evidence["gaps"][0]["start"].replace("Z", "+00:00")).timestamp()
                f.evidence["lonlat"] = _lonlat(track, idx[min(int(np.searchsorted(ts, at)), m - 1)])

    max_speed = sustained = typical = moving = 0.0
    walked = walked_on_foot = travel_mode = None
    parts: list[dict] = []
    vehicle = {}
    if m >= 2 and not clock_broken:
        step_v = np.divide(d, dtt, out=np.zeros_like(d), where=dtt > 0)
        step_v[cross] = 0.0
        jumps = np.flatnonzero((d > TELEPORT_MIN_JUMP_M) & (step_v > TELEPORT_SPEED_MPS))
        if len(jumps):
            flags.append(Flag("teleport", f"轨迹瞬间跳跃 {len(jumps)} 次（最远 {d[jumps].max():.0f} 米） / "
                              f"{len(jumps)} impossible jumps (up to {d[jumps].max():.0f} m)",
                              {"lonlat": _lonlat(track, idx[jumps[0]]),
                               "jumps": [{"at": iso(float(ts[j])), "metres": round(float(d[j])),
                                          "index": int(idx[j]), "lonlat": _lonlat(track, idx[j]),
                                          "seconds": round(float(dtt[j]), 1), "kmh": round(float(step_v[j]) * 3.6)}
                                         for j in jumps[:10]]}))
        # speed windows span neither a pause nor a jump (the jump is its own flag)
        wpart = part + np.cumsum(np.isin(np.arange(m), jumps + 1))
        v10 = window_speed(xs, ys, ts, wpart, MAX_SPEED_WINDOW_S)
        v30 = window_speed(xs, ys, ts, wpart, MOVING_WINDOW_S)
        v120 = window_speed(xs, ys, ts, wpart, SUSTAINED_WINDOW_S)
        max_speed = float(np.nanmax(np.concatenate([v10, [0.0]])))
        sustained = float(np.nanmax(np.concatenate([v120, [0.0]])))
        # a step is moving when the half-minute from it makes net progress; standing still,
        # fixes wander but get nowhere, and that wandering is neither time nor distance walked
        step_moving = np.where(np.isnan(v30[:-1]), step_v > MOVING_MPS, v30[:-1] > MOVING_MPS)
        step_moving &= ~in_gap
        step_moving[jumps] = False
        moving = float(dtt[step_moving].sum())
        still = ~step_moving & ~in_gap
        walked = walked_line(xs, ys, ts, wpart, still)  # a jump is not walked
        # half-minute net speed from each step's start (jitter cannot fake it); where the part ends
        # too soon for that, ten seconds, then the step itself if it is that long
        step_speed = np.where(np.isnan(v30[:-1]), v10[:-1], v30[:-1])
        step_speed = np.where(np.isnan(step_speed) & (dtt >= MAX_SPEED_WINDOW_S), step_v, step_speed)
        typical = weighted_median(step_speed, np.where(step_moving, d, 0.0))
        parts = travel.stretches(ts, d, dtt, v10, v30, step_moving, wpart)
        travel_mode = travel.overall(parts)
        for p in parts:  # (where the map draws it)
            i, j = p["start_index"], p["end_index"]
            p.update(start=iso(p.pop("start_s")), end=iso(p.pop("end_s")),
                     start_lonlat=[round(float(track.lon[idx[i]]), 6), round(float(track.lat[idx[i]]), 6)],
                     end_lonlat=[round(float(track.lon[idx[j]]), 6), round(float(track.lat[idx[j]]), 6)])
        # the steps travelled in a way that does not count here: a motor vehicle, or what the county does not allow
        unallowed = np.zeros(m - 1, dtype=bool)
        for p in parts:
            if p["mode"] == "motor_vehicle" or p["mode"] not in rule.allowed_modes:
                unallowed[p["start_index"]:p["end_index"]] = True
        fast = step_moving & unallowed
        if fast.any():
            # the same patrol without those steps: what was covered in a way that counts
            walked_on_foot = walked_line(xs, ys, ts, wpart + np.concatenate([[0], np.cumsum(fast)]), still)
        by_mode = {}
        for p in parts:
            by_mode[p["mode"]] = round(by_mode.get(p["mode"], 0.0) + p["distance_m"])
        vehicle = {"typical_kmh": _kmh(typical), "sustained_kmh": _kmh(sustained),
                   "average_moving_kmh": _kmh((walked.length if walked is not None else 0.0) / moving if moving else 0),
                   "vehicle_s": round(float(dtt[fast].sum())), "vehicle_m": round(float(d[fast].sum())),
                   "travel_mode": travel_mode, "metres_by_mode": by_mode, "allowed_modes": list(rule.allowed_modes)}
    elif line is not None:  # broken clock: the geometry is still measured
        walked = simplified(xs, ys, part)
    distance = walked.length if walked is not None else 0.0

    if m >= 2 and duration >= STATIONARY_MIN_S:
        cx, cy = np.median(xs), np.median(ys)
        radius = float(np.hypot(xs - cx, ys - cy).max())
        # within a small circle and hardly moving; a walk round a pond stays within it too, but moves all along
        small = radius < STATIONARY_RADIUS_M and (clock_broken or moving < STATIONARY_LOOP_SHARE * duration)
        if small or (duration >= 2 * STATIONARY_MIN_S and not clock_broken
                     and moving < STATIONARY_MOVING_SHARE * duration):
            flags.append(Flag("stationary", f"{fmt_min(duration)} 分钟内几乎没有移动（范围 {radius:.0f} 米） / "
                              f"Almost no movement in {fmt_min(duration)} min (within {radius:.0f} m)",
                              {"lonlat": _lonlat(track, idx[int(np.argmin(np.hypot(xs - cx, ys - cy)))]),
                               "radius_m": round(radius, 1), "duration_s": round(duration),
                               "moving_s": round(moving)}))

    synthetic = synthetic_signs(track, keep, np.diff(xs)[~cross], np.diff(ys)[~cross], dtt[~cross])
    if synthetic:
        flags.append(Flag("synthetic", "轨迹过于规则，不像真实定位 / The track is too regular to be real GNSS",
                          synthetic))

    coverage = on_segment = foot_coverage = None
    segs = _metric_lines(segments, proj) if segments else None
    if segs is not None:
        steps = segs.segmentize(COVERAGE_STEP_M)
        seg_len, seg_mid = steps.lengths, steps.mids
        coverage = covered_share(walked, seg_len, seg_mid, rule.tolerance_m)
        if walked_on_foot is not None:
            foot_coverage = covered_share(walked_on_foot, seg_len, seg_mid, rule.tolerance_m)
        if walked is not None:
            on_segment = float(walked.lengths[segs.near(walked.mids, rule.tolerance_m)].sum())
        if m:
            every = max(1, m // 1000)  # a share: a thousand fixes spread over the track tell it
            far_share = float(1 - segs.near(np.column_stack([xs[::every], ys[::every]]), OFF_SEGMENT_M).mean())
            if far_share > OFF_SEGMENT_SHARE:
                flags.append(Flag("off_segment", f"{far_share:.0%} 的轨迹距责任河段超过 {OFF_SEGMENT_M:.0f} 米 / "
                                  f"{far_share:.0%} of the track is over {OFF_SEGMENT_M:.0f} m from the "
                                  "assigned segments", {"far_share": round(far_share, 3),
                                                        "coverage": round(coverage, 4)}))
    inside = None
    area = polygons_of(grid)
    if area is not None and m:
        inside = float(area.inside(track.lon[idx], track.lat[idx]).mean())

    # judged on the figures as reported, so that a reason never contradicts them by a rounding
    duration, distance = round(duration, 1), round(distance, 1)
    on_segment = None if on_segment is None else round(on_segment, 1)
    counted = on_segment if (rule.distance_on_segment and on_segment is not None) else distance
    if vehicle:
        first = next((p for p in parts if p["mode"] == "motor_vehicle" or p["mode"] not in rule.allowed_modes), None)
        if first is not None:
            vehicle["lonlat"] = first["start_lonlat"]
        vehicle_flag(vehicle, rule, counted, walked_on_foot, coverage, foot_coverage, flags, notes)

    reasons = reasons_for(rule, m, clock_broken, duration, counted, coverage)
    return AnalysisResult(
        fixes=n, kept_fixes=m, duration_s=duration, moving_s=round(moving, 1),
        distance_m=distance, on_segment_distance_m=on_segment,
        max_speed_mps=round(max_speed, 2), sustained_speed_mps=round(sustained, 2),
        coverage=None if coverage is None else round(coverage, 4),
        inside_grid_share=None if inside is None else round(inside, 4),
        valid=not reasons, reasons=reasons, flags=flags, gaps=gaps, notes=notes, rule=rule,
        typical_speed_mps=round(typical, 2), gap_count=gap_count, travel_mode=travel_mode, stretches=parts)
