"""The flags' detectors, each with its evidence: clock, accuracy, gaps (explained by what the app recorded),
synthetic regularity and vehicle speed; and the GNSS spikes dropped before anything is measured.

analyze() itself flags mock locations, teleports, standstills and off-segment tracks, from
the figures it measures on the way.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from .model import FUTURE_TOLERANCE_S, Track
from .thresholds import (
    CLOCK_EARLIEST,
    CLOCK_GNSS_OFFSET_S,
    CLOCK_JUMP_S,
    CLOCK_MOVES_LISTED,
    GAP_MIN_S,
    GAPS_LISTED,
    LOW_ACCURACY_SHARE,
    MAX_ACCURACY_M,
    SPIKE_SPEED_MPS,
    SYNTHETIC_MIN_FIXES,
    SYNTHETIC_SPACING_CV,
    SYNTHETIC_STRAIGHT_DEG,
    SYNTHETIC_STRAIGHT_SHARE,
)
from .verdict import Flag, ValidityRule


def clock_evidence(t: np.ndarray, now_s: float) -> tuple[dict, bool]:
    """Evidence that the phone's clock is wrong, and whether durations and speeds are meaningless."""
    n = len(t)
    steps = np.diff(np.rint(t * 1000))  # milliseconds, as validation and the codec see them
    clock = {}
    backwards = int((steps < 0).sum())
    if backwards:
        clock["backwards_steps"] = backwards
    if (n > 1 and float(np.ptp(t)) == 0.0) or (n > 2 and (steps <= 0).mean() > 0.5):
        clock["frozen"] = True
    if t.min() < CLOCK_EARLIEST:
        clock["earliest"] = iso(float(t.min())).replace("Z", "+00:00")
    if t.max() > now_s + FUTURE_TOLERANCE_S:
        clock["future_by_s"] = round(float(t.max() - now_s))
    return clock, bool(clock.get("backwards_steps") or clock.get("frozen"))


def receiver_clock(track: Track) -> tuple[dict, np.ndarray | None]:
    """Evidence from the receiver's own times (GNSS time, time since boot) that the wall clock was set wrong or
    moved during the patrol, and the honest times to measure by: the time since boot (which no one can set),
    anchored at the GNSS time where the phone had it, else at the first fix's wall clock."""
    t, evidence, honest = track.t, {}, None
    elapsed = track.elapsed
    steady = (elapsed is not None and len(t) > 1 and bool(np.isfinite(elapsed).all())
              and bool((np.diff(elapsed) >= 0).all()))
    if steady:
        jump = np.diff(t) - np.diff(elapsed)
        moved = np.flatnonzero(np.abs(jump) > CLOCK_JUMP_S)
        if len(moved):
            evidence["moves"] = int(len(moved))
            evidence["moved"] = [{"index": int(i) + 1, "wall_before": iso(float(t[i])),
                                  "wall_after": iso(float(t[i + 1])), "by_s": round(float(jump[i]))}
                                 for i in moved[:CLOCK_MOVES_LISTED]]
            honest = t[0] - elapsed[0] + elapsed
    if track.gnss_t is not None and np.isfinite(track.gnss_t).any():
        known = np.isfinite(track.gnss_t)
        offset = float(np.median((t - track.gnss_t)[known]))
        if abs(offset) > CLOCK_GNSS_OFFSET_S:
            evidence["gnss_offset_s"] = round(offset)
            evidence["gnss_first"] = iso(float(track.gnss_t[known][0]))
            evidence["wall_first"] = iso(float(t[known][0]))
        if evidence:
            honest = (float(np.median((track.gnss_t - elapsed)[known])) + elapsed) if steady else t - offset
    return evidence, honest


def accurate_fixes(track: Track, flags: list[Flag]) -> np.ndarray:
    """Fixes worth using: known accuracy no worse than MAX_ACCURACY_M, or unknown (GPX)."""
    acc = track.accuracy
    known = np.isfinite(acc)
    poor = known & (acc > MAX_ACCURACY_M)
    if known.any() and poor.sum() > LOW_ACCURACY_SHARE * known.sum():
        flags.append(Flag("low_accuracy", f"{poor.sum()} 个定位点精度差于 {MAX_ACCURACY_M:.0f} 米 / "
                          f"{poor.sum()} fixes less accurate than {MAX_ACCURACY_M:.0f} m",
                          {"poor_fixes": int(poor.sum()), "median_accuracy_m": float(np.median(acc[known]))}))
    return ~poor


def drop_spikes(x, y, t, keep: np.ndarray, notes: list[str]) -> None:
    """Unkeep single fixes that go out and straight back faster than any person."""
    idx = np.flatnonzero(keep)
    if len(idx) < 3:
        return
    xs, ys, ts = x[idx], y[idx], t[idx]
    v = np.hypot(np.diff(xs), np.diff(ys)) / np.maximum(np.diff(ts), 1e-3)
    skip = np.hypot(xs[2:] - xs[:-2], ys[2:] - ys[:-2]) / np.maximum(ts[2:] - ts[:-2], 1e-3)
    spike = (v[:-1] > SPIKE_SPEED_MPS) & (v[1:] > SPIKE_SPEED_MPS) & (skip < SPIKE_SPEED_MPS)
    keep[idx[1:-1][spike]] = False
    if spike.any():
        notes.append(f"dropped {int(spike.sum())} GNSS spikes")


def find_gaps(ts, d, dtt, cross, events, flags: list[Flag]) -> tuple[np.ndarray, list[dict], int]:
    """Silences in the recording, told apart by what the app recorded happening to it.

    Whole arrays, not a loop per gap: a hostile track can be nothing but gaps. The first
    ``GAPS_LISTED`` are listed; the flag counts all of the unexplained ones.
    """
    median_dt = float(np.median(dtt[dtt > 0])) if (dtt > 0).any() else 0.0
    in_gap = cross | (dtt > max(GAP_MIN_S, 10 * median_dt))
    g = np.flatnonzero(in_gap)
    explained = _explain(events, ts[g], ts[g + 1], cross[g])
    seconds = np.round(ts[g + 1] - ts[g]).astype(np.int64)

    def listed(which: np.ndarray, limit: int) -> list[dict]:
        return [{"start": iso(float(ts[g[i]])), "seconds": int(seconds[i]), "jump_m": round(float(d[g[i]])),
                 "explained_by": explained[i]} for i in which[:limit]]

    unexplained = np.flatnonzero(np.array([e is None for e in explained], dtype=bool))
    if len(unexplained):
        longest = int(seconds[unexplained].max())
        flags.append(Flag("time_gap", f"轨迹中断 {len(unexplained)} 处，最长 {longest} 秒，"
                          "无信号或应用被关闭的记录 / "
                          f"{len(unexplained)} unexplained gaps in the track, the longest {longest} s",
                          {"gaps": listed(unexplained, 10), "count": len(unexplained)}))
    return in_gap, listed(np.arange(len(g)), GAPS_LISTED), len(g)


def vehicle_flag(ev: dict, rule: ValidityRule, counted: float, walked_on_foot, coverage: float | None,
                 foot_coverage: float | None, flags: list[Flag], notes: list[str]) -> None:
    """Flag a patrol travelled as a whole in a way that does not count (a motor vehicle, or a mode the county does
    not allow), or one that counts only thanks to such stretches; in the words for what it was."""
    from .travel import MODE_LABELS, MODE_LABELS_EN

    why = []
    mode = ev.get("travel_mode")
    if mode is not None and (mode == "motor_vehicle" or mode not in rule.allowed_modes):
        why.append("travel_mode")
    if ev["vehicle_m"]:
        on_foot = float(walked_on_foot.length) if walked_on_foot is not None else 0.0
        if rule.distance_on_segment:
            on_foot = min(on_foot, counted)  # the on-segment metres cannot exceed either
        ev["distance_without_vehicle_m"] = round(on_foot)
        if rule.min_distance_m is not None and counted >= rule.min_distance_m > on_foot:
            why.append("distance_needs_vehicle")
        if foot_coverage is not None:
            ev["coverage_without_vehicle"] = round(foot_coverage, 4)
            if rule.min_coverage is not None and coverage >= rule.min_coverage > foot_coverage:
                why.append("coverage_needs_vehicle")
    by_mode = ev.get("metres_by_mode") or {}
    not_counted = [m for m in ("motor_vehicle", "e_bike", "bicycle", "foot") if by_mode.get(m)
                   and (m == "motor_vehicle" or m not in rule.allowed_modes)]
    if why and not_counted:
        worst = not_counted[0]
        allowed = "、".join(MODE_LABELS[m] for m in rule.allowed_modes) or "无"
        zh = (f"{MODE_LABELS[worst]}巡河 {by_mode[worst] / 1000:.1f} 公里（典型 {ev['typical_kmh']:.0f} 公里/小时），"
              + ("不是步行或骑车" if worst == "motor_vehicle" else f"本县认可的巡河方式：{allowed}"))
        en = (f"{by_mode[worst] / 1000:.1f} km travelled {MODE_LABELS_EN[worst]} (typical {ev['typical_kmh']:.0f} km/h)"
              + ("" if worst == "motor_vehicle" else
                 f"; this county counts {', '.join(MODE_LABELS_EN[m] for m in rule.allowed_modes) or 'none'}"))
        ev["why"] = why
        flags.append(Flag("vehicle_speed", f"{zh} / {en}", ev))
    elif ev["vehicle_m"]:
        notes.append(f"{ev['vehicle_s']} s ({ev['vehicle_m']} m) travelled in a way that does not count here, "
                     "not needed for the patrol to count")


def iso(seconds: float) -> str:
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):  # (validated tracks never get here: Track.validate)
        return f"{seconds:.0f} s from 1970-01-01T00:00:00Z"


_EXPLANATIONS = {"killed": "app_killed", "restarted": "app_killed", "gps_lost": "no_signal",
                 "gps_regained": "no_signal", "paused": "paused", "user_paused": "paused", "resumed": "paused",
                 "user_resumed": "paused"}


def event_times(events: list[dict] | None) -> dict[str, np.ndarray]:
    """The times of the app's events, sorted, by what they can explain (app_killed, no_signal, paused)."""
    out: dict[str, list[float]] = {}
    for e in events or []:
        at = e["at"]
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        if isinstance(at, dt.datetime):
            at = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp()
        reason = _EXPLANATIONS.get(str(e["event"]))
        if reason is not None:
            out.setdefault(reason, []).append(float(at))
    return {reason: np.sort(np.array(times)) for reason, times in out.items()}


def _explain(events: dict[str, np.ndarray], start: np.ndarray, end: np.ndarray, paused: np.ndarray) -> list:
    """What the app recorded during each gap: killed, no signal, or paused; None if nothing.

    A gap between parts was a pause. Otherwise an event within 5 s of the gap explains it,
    the strongest first: found by bisection, never by looking at every event for every gap.
    """
    out = np.where(paused, "paused", "").astype(object)
    for reason in ("paused", "no_signal", "app_killed"):  # the later overwrites: app_killed is the strongest
        times = events.get(reason)
        if times is None or not len(out):
            continue
        inside = np.searchsorted(times, end + 5, side="right") > np.searchsorted(times, start - 5, side="left")
        out[inside & ~paused] = reason
    return [o or None for o in out]


def synthetic_signs(track: Track, keep, dx, dy, dtt) -> dict:
    """Regularity no real GNSS has: two or more signs together. ``dx, dy, dtt``: the steps within parts."""
    if len(dx) + 1 < SYNTHETIC_MIN_FIXES:
        return {}
    signs = {}
    d = np.hypot(dx, dy)
    moving = d > 0.5
    if moving.sum() >= SYNTHETIC_MIN_FIXES:
        cv = float(np.std(d[moving]) / np.mean(d[moving]))
        if cv < SYNTHETIC_SPACING_CV:
            signs["spacing_cv"] = round(cv, 4)
        heading = np.arctan2(dy[moving], dx[moving])
        turn = np.abs((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi)
        straight = float((turn < np.radians(SYNTHETIC_STRAIGHT_DEG)).mean()) if len(turn) else 0.0
        if straight > SYNTHETIC_STRAIGHT_SHARE:
            signs["straight_share"] = round(straight, 3)
        if len(dtt) and np.ptp(dtt) == 0 and cv < 2 * SYNTHETIC_SPACING_CV:
            signs["constant_interval_s"] = float(dtt[0])
    for name in ("accuracy", "speed", "bearing"):
        col = getattr(track, name)
        if col is not None:
            vals = col[keep]
            vals = vals[np.isfinite(vals)]
            if len(vals) >= SYNTHETIC_MIN_FIXES and np.ptp(vals) == 0:
                signs[f"constant_{name}"] = float(vals[0])
    return signs if len(signs) >= 2 else {}
