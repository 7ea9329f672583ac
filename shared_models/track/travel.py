"""How a patrol was travelled (巡河方式), and each stretch of it: on foot, by bicycle, by e-bike or in a motor vehicle.

From the speed profile only (the phone has no other sensor we record): each moving step is on foot or on wheels by its
half-minute net speed; runs of one kind shorter than a minute join their neighbours, and stops join the stretch they
interrupt (a cyclist waits at lights too). A wheeled stretch is then told apart by how it moves:

- a motor vehicle accelerates hard (cars and buses pull away from a stop at about 1-2 m/s2 for several seconds; a
  cyclist, even a racing one, rarely holds more than 0.5), or goes faster than anyone pedals for long;
- an e-bike cruises steadily just under its cap (GB 17761-2018: assistance stops at 25 km/h), and hardly ever above;
- a bicycle is everything else on wheels, from a 12 km/h look at the water to a 30 km/h road ride.

Measured on the project's real tracks (tests/data/tracks/README.md): five bicycle rides at a median 18-31 km/h, their
95th percentile of acceleration 0.29-0.52 m/s2; two car drives at 0.92-1.15. Whole arrays, no loop per fix.
"""
from __future__ import annotations

import numpy as np

from .thresholds import (
    EBIKE_CAP_KMH,
    EBIKE_MAX_P95_KMH,
    EBIKE_MAX_P99_KMH,
    EBIKE_MIN_P50_KMH,
    EBIKE_MIN_S,
    FOOT_MAX_KMH,
    MOTOR_ACCEL_MIN_KMH,
    MOTOR_ACCEL_MPS2,
    MOTOR_SUSTAINED_KMH,
    STRETCH_MIN_M,
    STRETCH_MIN_S,
    WALK_BETWEEN_RIDES_S,
)

MODES = ("foot", "bicycle", "e_bike", "motor_vehicle")
MODE_LABELS = {"foot": "步行", "bicycle": "骑自行车", "e_bike": "骑电动车", "motor_vehicle": "乘坐机动车"}
MODE_LABELS_EN = {"foot": "on foot", "bicycle": "by bicycle", "e_bike": "by e-bike",
                  "motor_vehicle": "in a motor vehicle"}
ACCEL_SPAN_S = 5.0  # acceleration: the change of the ten-second speed over five seconds


def _runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each run of equal labels."""
    if not len(labels):
        return np.array([], int), np.array([], int)
    edges = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    return np.concatenate([[0], edges]), np.concatenate([edges, [len(labels)]])


def _absorb_short(labels: np.ndarray, dtt: np.ndarray, d: np.ndarray, min_s: float) -> np.ndarray:
    """Runs shorter than ``min_s`` that go nowhere much take the label of their longer neighbour (a few passes: runs
    merge as they go); a short run far along (a minute's drive on an open road) stays what it is."""
    labels = labels.copy()
    for _ in range(4):
        starts, ends = _runs(labels)
        if len(starts) <= 1:
            break
        csum = np.concatenate([[0.0], np.cumsum(dtt)])
        dsum = np.concatenate([[0.0], np.cumsum(d)])
        dur = csum[ends] - csum[starts]
        short = np.flatnonzero((dur < min_s) & (dsum[ends] - dsum[starts] < STRETCH_MIN_M))
        if not len(short):
            break
        for k in short[np.argsort(dur[short])][: max(1, len(short) // 2)]:  # the shortest first
            before = dur[k - 1] if k > 0 else -1.0
            after = dur[k + 1] if k + 1 < len(starts) else -1.0
            labels[starts[k]:ends[k]] = labels[starts[k - 1]] if before >= after else labels[starts[k + 1]]
    return labels


def _ride_on(labels: np.ndarray, dtt: np.ndarray) -> np.ndarray:
    """A few minutes at walking pace between two rides (slowing for lights, pushing the bike across a junction) are
    part of the ride."""
    starts, ends = _runs(labels)
    csum = np.concatenate([[0.0], np.cumsum(dtt)])
    labels = labels.copy()
    for k in range(1, len(starts) - 1):
        if labels[starts[k]] == 1 and labels[starts[k - 1]] == 2 and labels[starts[k + 1]] == 2 \
                and csum[ends[k]] - csum[starts[k]] <= WALK_BETWEEN_RIDES_S:
            labels[starts[k]:ends[k]] = 2
    return labels


def _is_motor(v30_kmh: np.ndarray, accel: np.ndarray, weights: np.ndarray) -> bool:
    """Whether one wheeled stretch was a motor vehicle, from its moving steps' speeds and accelerations."""
    ok = np.isfinite(v30_kmh) & (weights > 0)
    if not ok.any():
        return False
    p50, p90 = (float(v) for v in np.percentile(v30_kmh[ok], [50, 90]))
    rising = accel[np.isfinite(accel) & (accel > 0)]
    a95 = float(np.percentile(rising, 95)) if len(rising) >= 20 else 0.0
    return bool((a95 >= MOTOR_ACCEL_MPS2 and p90 >= MOTOR_ACCEL_MIN_KMH) or p50 >= MOTOR_SUSTAINED_KMH
                or float(np.nanmax(v30_kmh[ok])) >= 2 * MOTOR_SUSTAINED_KMH)


def _capped(kmh: np.ndarray, seconds: float) -> bool:
    """Pedalled stretches, pooled, that cruise steadily just under an e-bike's cap and hardly ever above it; a
    bicycle has a long tail (a descent, a sprint). Ten minutes of riding at least: the doubt goes to the bicycle."""
    if seconds < EBIKE_MIN_S or len(kmh) < 20:
        return False
    p50, p95, p99 = (float(v) for v in np.percentile(kmh, [50, 95, 99]))
    return EBIKE_MIN_P50_KMH <= p50 <= EBIKE_CAP_KMH and p95 <= EBIKE_MAX_P95_KMH and p99 <= EBIKE_MAX_P99_KMH


def stretches(ts: np.ndarray, d: np.ndarray, dtt: np.ndarray, v10: np.ndarray, v30: np.ndarray,
              moving: np.ndarray, wpart: np.ndarray) -> list[dict]:
    """The stretches of a track (over its kept fixes): [{mode, start_index, end_index, start_s, end_s, distance_m,
    duration_s, median_kmh}], indices into the kept fixes, ``end_index`` inclusive. ``v10``/``v30``: the window speeds
    per fix (m/s), ``moving``: per step."""
    m = len(ts)
    if m < 2:
        return []
    d = np.where(moving, d, 0.0)  # a stretch's metres are those moved (not a gap's jump, nor standing's scatter)
    step_kmh = np.where(np.isnan(v30[:-1]), v10[:-1], v30[:-1]) * 3.6
    wheel = np.nan_to_num(step_kmh) > FOOT_MAX_KMH
    # 0 still, 1 on foot, 2 on wheels; stops then join the stretch they interrupt
    labels = np.where(moving, np.where(wheel, 2, 1), 0)
    if (labels > 0).any():
        idx = np.flatnonzero(labels > 0)
        fill = idx[np.clip(np.searchsorted(idx, np.arange(m - 1), side="right") - 1, 0, len(idx) - 1)]
        labels = labels[fill]  # a stop takes the kind of the movement before it (the first, of the one after)
    labels = _absorb_short(labels, dtt, d, STRETCH_MIN_S)
    labels = _ride_on(labels, dtt)
    # acceleration per fix: the ten-second speed five seconds on, against now
    j = np.minimum(np.searchsorted(ts, ts + ACCEL_SPAN_S), m - 1)
    span = ts[j] - ts
    good = (span >= ACCEL_SPAN_S / 2) & (span <= 3 * ACCEL_SPAN_S) & (wpart[j] == wpart)
    accel = np.where(good, (v10[j] - v10) / np.maximum(span, 1e-3), np.nan)
    starts, ends = _runs(labels)
    kinds = []  # per run: foot, motor_vehicle or pedalled (a bicycle or an e-bike: told by all of them together)
    pedalled = np.zeros(m - 1, dtype=bool)
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):  # stretches are few (a walk, a ride, a walk)
        if labels[s] != 2:
            kinds.append("foot")
        elif _is_motor(v30[s:e] * 3.6, accel[s:e], np.where(moving[s:e], d[s:e], 0.0)):
            kinds.append("motor_vehicle")
        else:
            kinds.append("pedalled")
            pedalled[s:e] = True
    ride = pedalled & moving & np.isfinite(step_kmh)
    pedal_mode = "e_bike" if _capped(step_kmh[ride], float(dtt[ride].sum())) else "bicycle"
    out: list[dict] = []
    for s, e, kind in zip(starts.tolist(), ends.tolist(), kinds, strict=True):
        mode = pedal_mode if kind == "pedalled" else kind
        if out and out[-1]["mode"] == mode:  # two stretches of one mode (apart only by a stop): one
            s = out.pop()["start_index"]
        steps = slice(s, e)
        moved = moving[steps]
        out.append({"mode": mode, "start_index": s, "end_index": e, "start_s": float(ts[s]), "end_s": float(ts[e]),
                    "distance_m": round(float(d[steps].sum()), 1), "duration_s": round(float(ts[e] - ts[s]), 1),
                    "median_kmh": _median(step_kmh[steps][moved])})
    return out


def _median(kmh: np.ndarray) -> float:
    kmh = kmh[np.isfinite(kmh)]
    return round(float(np.median(kmh)), 1) if len(kmh) else 0.0


def overall(parts: list[dict]) -> str | None:
    """The patrol's mode: the one it covered most distance in."""
    if not parts:
        return None
    by_mode: dict[str, float] = {}
    for p in parts:
        by_mode[p["mode"]] = by_mode.get(p["mode"], 0.0) + p["distance_m"]
    return max(MODES, key=lambda mode: (by_mode.get(mode, -1.0), -MODES.index(mode)))
