"""What a patrol's track says: distance, time, coverage, validity, and signs of cheating.

The phone runs this before upload ("this patrol will not count: 12 of 30 minutes") and
the server runs it on receipt, so both give the same verdict from the same code.
Everything is measured in metres in a local transverse Mercator projection centred on
the track (never in degrees); the hot path is numpy and Shapely (GEOS) on whole
arrays, never a Python loop per fix.

Flags go to a person (domain: flagged patrols are never paid automatically and never
silently discarded); they do not change ``valid``, which only the ValidityRule decides.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from ..clock import utcnow
from .model import FUTURE_TOLERANCE_S, Track
from .replay import REPLAY_RADIUS_M, may_replay, replay_similarity
from .simplify import simplify_mask

__all__ = ["REPLAY_RADIUS_M", "AnalysisResult", "Flag", "Reason", "ValidityRule", "analyze", "may_replay",
           "projection_for", "replay_similarity"]

# Stored with every result: a patrol judged by another version may be judged again.
ANALYSIS_VERSION = "2026.11.3"

FLAG_CODES = ("vehicle_speed", "teleport", "synthetic", "stationary", "off_segment", "mock_location",
              "low_accuracy", "time_gap", "clock")

# --- thresholds, each with its reason --------------------------------------------------
# Filtering
MAX_ACCURACY_M = 50.0  # a phone reporting worse than 50 m is guessing (no GNSS fix): the fix is not used
LOW_ACCURACY_SHARE = 0.3  # more than 30% of fixes that poor: the track as a whole is doubtful
SPIKE_SPEED_MPS = 50.0  # out to a point and straight back faster than 180 km/h: a GNSS glitch, dropped
JITTER_M = 5.0  # standing still, fixes wander a few metres: distance ignores wiggles below this
MOVING_MPS = 0.3  # net progress slower than this over half a minute is standing, not walking (1/4 of a stroll)
MOVING_WINDOW_S = 30.0
STANDSTILL_S = 60.0  # standing still this long: the wandering fixes are not distance walked
MAX_SPEED_WINDOW_S = 10.0  # speeds are net displacement over a window, which jitter cannot inflate
SUSTAINED_WINDOW_S = 120.0  # "sustained" speed: the best two minutes

# vehicle_speed. Walking is 3-6 km/h, a bicycle ridden while looking at the water 10-12
# km/h; a patrol whose typical speed (half of its distance covered faster) is above 12
# km/h was not inspected on foot or by bicycle. "Typical" is the distance-weighted median
# of half-minute speeds (MOVING_WINDOW_S), so short fast stretches do not decide it: the Cerknica walk's
# two stretches at 17-20 km/h on average (peaks near 30) are a walk with a ride in it,
# while the Visnjan car (median 28 km/h) is driven all along.
WALK_OR_CYCLE_TYPICAL_MPS = 12 / 3.6
# Faster than China's e-bike cap (25 km/h, GB 17761-2018) over half a minute: a motor
# vehicle. Such stretches are not flagged by themselves (see above), but a patrol that
# reaches its minimum distance or coverage only thanks to them is: that is driving the
# route to make the patrol count. Domain heuristic in the same spirit: "<=15 min but
# >4 km" (above 16 km/h) means driven.
VEHICLE_STRETCH_MPS = 25 / 3.6

# teleport
TELEPORT_SPEED_MPS = 50.0  # a jump that does not come back, faster than 180 km/h ...
TELEPORT_MIN_JUMP_M = 300.0  # ... and long enough not to be GNSS noise (multipath jumps are tens of metres)

# stationary
STATIONARY_RADIUS_M = 50.0  # all fixes within 50 m of one spot ...
STATIONARY_MIN_S = 600.0  # ... for ten minutes or more (the shortest valid patrol, Guangzhou): nobody walked
STATIONARY_MOVING_SHARE = 0.1  # or moving less than a tenth of a claimed 20 minutes or more

# time_gap
GAP_MIN_S = 120.0  # a silence longer than two minutes (and 10x the usual interval) is a gap

# coverage / off_segment
COVERAGE_STEP_M = 5.0  # segments are measured in pieces of at most 5 m
OFF_SEGMENT_M = 100.0  # a bank path can be tens of metres from the mapped centre line; 100 m is elsewhere
OFF_SEGMENT_SHARE = 0.5  # most of the track beyond that: not on the assigned river

# synthetic: mock apps draw straight legs at constant speed, interval, accuracy, bearing;
# real GNSS never holds any of these still. Two signs together are needed.
SYNTHETIC_MIN_FIXES = 30
SYNTHETIC_SPACING_CV = 0.05  # real 1 Hz walking varies step length by 20-50%
SYNTHETIC_STRAIGHT_SHARE = 0.7  # real tracks turn by more than half a degree at most fixes
SYNTHETIC_STRAIGHT_DEG = 0.5

# clock
CLOCK_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()  # GNSS phones postdate this

# time_gap evidence: the analysis lists this many gaps (and counts all of them)
GAPS_LISTED = 100


@dataclass(frozen=True)
class ValidityRule:
    """What makes a patrol count (有效巡河). None switches a check off.

    Defaults follow Guangzhou (2021), the middle of domain.md's real rules (Sixian 5 min /
    300 m, Jing'an 15 min / 1 km, Akqi 30 min / 2 km): at least 10 minutes and 1 km.
    Coverage: 30% of the assigned segments, what Guangzhou (2019) asks of each town
    chief's patrol. Tolerance 30 m: bank paths lie within tens of metres of a mapped
    centre line and phones err by 5-15 m, while the far bank of a river is usually
    further (a segment covers "both banks" by being walked along both).
    """

    min_duration_s: float | None = 600.0
    min_distance_m: float | None = 1000.0
    min_coverage: float | None = 0.3
    tolerance_m: float = 30.0
    distance_on_segment: bool = False  # count only metres within the tolerance of the segments (geofenced mileage)
    version: str = "default"


# The real rules of domain.md, for tests, the CLI and as examples for administrators.
PRESETS: dict[str, ValidityRule] = {
    "default": ValidityRule(),
    "guangzhou-2021": ValidityRule(600, 1000, None, version="guangzhou-2021"),
    "akqi-2022": ValidityRule(30 * 60, 2000, None, version="akqi-2022"),
    "sixian-dinghu": ValidityRule(5 * 60, 300, None, version="sixian-dinghu"),
    "jingan-jiangxi": ValidityRule(15 * 60, 1000, None, distance_on_segment=True, version="jingan-jiangxi"),
    "haining": ValidityRule(4 * 60, None, None, version="haining"),
}


@dataclass
class Flag:
    code: str
    detail: str
    evidence: dict = field(default_factory=dict)


@dataclass
class Reason:
    code: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass
class AnalysisResult:
    fixes: int
    kept_fixes: int
    duration_s: float
    moving_s: float
    distance_m: float
    on_segment_distance_m: float | None
    max_speed_mps: float
    sustained_speed_mps: float
    coverage: float | None
    inside_grid_share: float | None
    valid: bool
    reasons: list[Reason]
    flags: list[Flag]
    gaps: list[dict]
    notes: list[str]
    rule: ValidityRule
    typical_speed_mps: float = 0.0
    gap_count: int = 0  # all the gaps; ``gaps`` lists the first GAPS_LISTED
    analysis_version: str = ANALYSIS_VERSION

    @property
    def flag_codes(self) -> list[str]:
        return [f.code for f in self.flags]

    @property
    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    def to_dict(self) -> dict:
        """JSON-ready: ``reasons`` as "zh / en" strings, with their codes and messages beside."""
        out = asdict(self)
        out["reasons"] = [str(r) for r in self.reasons]
        out["reason_codes"] = self.reason_codes
        out["reason_messages"] = [asdict(r) for r in self.reasons]
        return out


# --- geometry helpers ------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _projection(lon0: float, lat0: float) -> Transformer:
    # transverse Mercator on the track's own meridian: scale error under 2 ppm within
    # 10 km, and several times faster in PROJ than azimuthal equidistant
    crs = CRS.from_proj4(f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +datum=WGS84 +units=m +no_defs")
    return Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)


def projection_for(lon: np.ndarray, lat: np.ndarray) -> Transformer:
    """A metric projection centred near the track (rounded to 0.01 deg so that nearby tracks share it)."""
    return _projection(round(float(np.median(lon)), 2), round(float(np.median(lat)), 2))


def _to_metric(geom: BaseGeometry, proj: Transformer) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(proj.transform(xy[:, 0], xy[:, 1])))


def _window_speed(x, y, t, part, window: float) -> np.ndarray:
    """Net displacement speed from each fix over the next ``window`` seconds of its part (NaN if too little)."""
    last_of_part = np.searchsorted(part, part, side="right") - 1
    j = np.minimum(np.searchsorted(t, t + window, side="left"), last_of_part)
    span = t[j] - t
    # at least half a window of data, and no long silence inside it
    good = (span >= window / 2) & (span <= 3 * window)
    speed = np.full(len(t), np.nan)
    i = np.flatnonzero(good)
    speed[i] = np.hypot(x[j[i]] - x[i], y[j[i]] - y[i]) / span[i]
    return speed


def _lines(x, y, part):
    """The track as one line per part (parts of a single fix have no length)."""
    counts = np.bincount(part) if len(part) else np.zeros(0, dtype=np.int64)
    ok = counts[part] >= 2
    if not ok.any():
        return None
    _, labels = np.unique(part[ok], return_inverse=True)
    return shapely.multilinestrings(shapely.linestrings(np.column_stack([x[ok], y[ok]]), indices=labels))


def _simplified(x, y, part):
    """The track as lines, simplified (plain Douglas-Peucker at JITTER_M) so that GNSS wiggles add nothing.

    numpy's Douglas-Peucker (simplify.py): GEOS's result, at a cost bounded on any shape.
    """
    keep = simplify_mask(x, y, part, JITTER_M)
    return _lines(x[keep], y[keep], part[keep])


def _walked_line(x, y, t, part, still):
    """The track with long standstills cut out, simplified so that GNSS wiggles add nothing.

    Only standstills of a minute or more are cut: a slow climb or a look at the water
    keeps its metres, a phone left on a table gathers none.
    """
    edges = np.diff(np.concatenate([[0], still.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # still steps [start, end)
    long = (t[ends] - t[starts]) >= STANDSTILL_S
    drop = np.zeros(len(x), dtype=bool)
    for s_, e_ in zip(starts[long], ends[long], strict=True):  # one slice per standstill, not per fix
        drop[s_ + 1:e_] = True
    return _simplified(x[~drop], y[~drop], part[~drop])


def _pieces(geom) -> tuple[np.ndarray, np.ndarray]:
    """The straight pieces of a (multi)line: their lengths and midpoints."""
    coords, which = shapely.get_coordinates(shapely.get_parts(geom), return_index=True)
    same = which[1:] == which[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    return np.hypot(*(b - a).T), (a + b) / 2


def _coverage(walked, seg_len: np.ndarray, seg_mid: np.ndarray, tolerance: float) -> float:
    """Share of the segments' length within ``tolerance`` of the walked line."""
    total = float(seg_len.sum())
    if walked is None or total <= 0:
        return 0.0
    # a prepared line and a point per 5 m piece, not a buffer: buffering a 7,200-vertex
    # line costs more than all the rest of the analysis
    shapely.prepare(walked)
    return float(seg_len[shapely.dwithin(walked, shapely.points(seg_mid), tolerance)].sum() / total)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return 0.0
    order = np.argsort(values[ok])
    cum = np.cumsum(weights[ok][order])
    return float(values[ok][order][np.searchsorted(cum, cum[-1] / 2)])


def _fmt_min(seconds: float) -> str:
    return f"{seconds / 60:.0f}"


def _kmh(mps: float) -> float:
    return round(mps * 3.6, 1)


# --- the analysis ----------------------------------------------------------------------

def analyze(track: Track, segments: list[BaseGeometry] | None = None, grid: BaseGeometry | None = None,
            rule: ValidityRule = ValidityRule(), lifecycle_events: list[dict] | None = None,
            now: dt.datetime | None = None) -> AnalysisResult:
    """Measure and judge a patrol. ``segments`` and ``grid`` are WGS84 (lon/lat) Shapely geometries.

    ``lifecycle_events``: what the app recorded happening to it, ``{"at": datetime |
    epoch seconds | ISO string, "event": one of shared_models.enums.LIFECYCLE_EVENTS}``;
    they explain gaps. ``now`` (default: the clock) judges future times.
    """
    n = len(track)
    notes = list(track.notes)
    if n == 0:
        return _empty(rule, notes)
    flags: list[Flag] = []
    now_s = (now or utcnow()).timestamp()
    proj = projection_for(track.lon, track.lat)
    x, y = proj.transform(track.lon, track.lat)
    t = track.t

    clock, clock_broken = _clock(t, now_s)
    if clock:
        flags.append(Flag("clock", "设备时间异常（倒退、停滞或不合理） / The phone's clock is wrong "
                          "(backwards, frozen or implausible)", clock))

    keep = _accuracy(track, flags)
    if track.mock is not None and track.mock.any():
        share = float(track.mock.mean())
        flags.append(Flag("mock_location", f"手机报告使用了模拟定位（{share:.0%} 的点） / "
                          f"The phone reported a mock location provider ({share:.0%} of fixes)",
                          {"mock_fixes": int(track.mock.sum()), "share": round(share, 3)}))
    if not clock_broken:  # with a broken clock no speed means anything
        _drop_spikes(x, y, t, keep, notes)

    idx = np.flatnonzero(keep)
    xs, ys, ts = x[idx], y[idx], t[idx]
    part = track.parts()[idx]
    m = len(idx)
    d = np.hypot(np.diff(xs), np.diff(ys))
    dtt = np.diff(ts)
    cross = np.diff(part) != 0  # steps between parts: recording was paused, nothing was walked
    duration = float(ts[-1] - ts[0]) if m else 0.0
    line = _lines(xs, ys, part)

    gaps: list[dict] = []
    gap_count = 0
    in_gap = cross.copy()
    if m >= 2 and not clock_broken:
        in_gap, gaps, gap_count = _gaps(ts, d, dtt, cross, _events(lifecycle_events), flags)

    max_speed = sustained = typical = moving = 0.0
    walked = walked_on_foot = None
    vehicle = {}
    if m >= 2 and not clock_broken:
        step_v = np.divide(d, dtt, out=np.zeros_like(d), where=dtt > 0)
        step_v[cross] = 0.0
        jumps = np.flatnonzero((d > TELEPORT_MIN_JUMP_M) & (step_v > TELEPORT_SPEED_MPS))
        if len(jumps):
            flags.append(Flag("teleport", f"轨迹瞬间跳跃 {len(jumps)} 次（最远 {d[jumps].max():.0f} 米） / "
                              f"{len(jumps)} impossible jumps (up to {d[jumps].max():.0f} m)",
                              {"jumps": [{"at": _iso(float(ts[j])), "metres": round(float(d[j])),
                                          "seconds": round(float(dtt[j]), 1), "kmh": round(float(step_v[j]) * 3.6)}
                                         for j in jumps[:10]]}))
        # speed windows span neither a pause nor a jump (the jump is its own flag)
        wpart = part + np.cumsum(np.isin(np.arange(m), jumps + 1))
        v10 = _window_speed(xs, ys, ts, wpart, MAX_SPEED_WINDOW_S)
        v30 = _window_speed(xs, ys, ts, wpart, MOVING_WINDOW_S)
        v120 = _window_speed(xs, ys, ts, wpart, SUSTAINED_WINDOW_S)
        max_speed = float(np.nanmax(np.concatenate([v10, [0.0]])))
        sustained = float(np.nanmax(np.concatenate([v120, [0.0]])))
        # a step is moving when the half-minute from it makes net progress; standing still,
        # fixes wander but get nowhere, and that wandering is neither time nor distance walked
        step_moving = np.where(np.isnan(v30[:-1]), step_v > MOVING_MPS, v30[:-1] > MOVING_MPS)
        step_moving &= ~in_gap
        step_moving[jumps] = False
        moving = float(dtt[step_moving].sum())
        still = ~step_moving & ~in_gap
        walked = _walked_line(xs, ys, ts, wpart, still)  # a jump is not walked
        # half-minute net speed from each step's start (jitter cannot fake it); where the part ends
        # too soon for that, ten seconds, then the step itself if it is that long
        step_speed = np.where(np.isnan(v30[:-1]), v10[:-1], v30[:-1])
        step_speed = np.where(np.isnan(step_speed) & (dtt >= MAX_SPEED_WINDOW_S), step_v, step_speed)
        typical = _weighted_median(step_speed, np.where(step_moving, d, 0.0))
        fast = step_moving & (np.nan_to_num(step_speed) > VEHICLE_STRETCH_MPS)
        if fast.any():
            # the same walk without its vehicle-speed steps: what was covered on foot (or bicycle)
            walked_on_foot = _walked_line(xs, ys, ts, wpart + np.concatenate([[0], np.cumsum(fast)]), still)
        vehicle = {"typical_kmh": _kmh(typical), "sustained_kmh": _kmh(sustained),
                   "average_moving_kmh": _kmh((walked.length if walked is not None else 0.0) / moving if moving else 0),
                   "vehicle_s": round(float(dtt[fast].sum())), "vehicle_m": round(float(d[fast].sum()))}
    elif line is not None:  # broken clock: the geometry is still measured
        walked = _simplified(xs, ys, part)
    distance = float(walked.length) if walked is not None else 0.0

    if m >= 2 and duration >= STATIONARY_MIN_S:
        cx, cy = np.median(xs), np.median(ys)
        radius = float(np.hypot(xs - cx, ys - cy).max())
        if radius < STATIONARY_RADIUS_M or (duration >= 2 * STATIONARY_MIN_S and not clock_broken
                                            and moving < STATIONARY_MOVING_SHARE * duration):
            flags.append(Flag("stationary", f"{_fmt_min(duration)} 分钟内几乎没有移动（范围 {radius:.0f} 米） / "
                              f"Almost no movement in {_fmt_min(duration)} min (within {radius:.0f} m)",
                              {"radius_m": round(radius, 1), "duration_s": round(duration),
                               "moving_s": round(moving)}))

    synthetic = _synthetic(track, keep, np.diff(xs)[~cross], np.diff(ys)[~cross], dtt[~cross])
    if synthetic:
        flags.append(Flag("synthetic", "轨迹过于规则，不像真实定位 / The track is too regular to be real GNSS",
                          synthetic))

    coverage = on_segment = foot_coverage = None
    if segments:
        segs = shapely.union_all([_to_metric(s, proj) for s in segments])
        seg_len, seg_mid = _pieces(shapely.segmentize(segs, COVERAGE_STEP_M))
        coverage = _coverage(walked, seg_len, seg_mid, rule.tolerance_m)
        if walked_on_foot is not None:
            foot_coverage = _coverage(walked_on_foot, seg_len, seg_mid, rule.tolerance_m)
        if walked is not None:
            shapely.prepare(segs)
            w_len, w_mid = _pieces(walked)
            on_segment = float(w_len[shapely.dwithin(segs, shapely.points(w_mid), rule.tolerance_m)].sum())
        if m:
            every = max(1, m // 1000)  # a share: a thousand fixes spread over the track tell it
            far_share = float(1 - shapely.dwithin(segs, shapely.points(xs[::every], ys[::every]),
                                                  OFF_SEGMENT_M).mean())
            if far_share > OFF_SEGMENT_SHARE:
                flags.append(Flag("off_segment", f"{far_share:.0%} 的轨迹距责任河段超过 {OFF_SEGMENT_M:.0f} 米 / "
                                  f"{far_share:.0%} of the track is over {OFF_SEGMENT_M:.0f} m from the "
                                  "assigned segments", {"far_share": round(far_share, 3),
                                                        "coverage": round(coverage, 4)}))
    inside = None
    if grid is not None and m:
        inside = float(shapely.contains_xy(grid, track.lon[idx], track.lat[idx]).mean())

    # judged on the figures as reported, so that a reason never contradicts them by a rounding
    duration, distance = round(duration, 1), round(distance, 1)
    on_segment = None if on_segment is None else round(on_segment, 1)
    counted = on_segment if (rule.distance_on_segment and on_segment is not None) else distance
    if vehicle:
        _vehicle(vehicle, rule, counted, walked_on_foot, coverage, foot_coverage, flags, notes)

    reasons = _reasons(rule, m, clock_broken, duration, counted, coverage)
    return AnalysisResult(
        fixes=n, kept_fixes=m, duration_s=duration, moving_s=round(moving, 1),
        distance_m=distance, on_segment_distance_m=on_segment,
        max_speed_mps=round(max_speed, 2), sustained_speed_mps=round(sustained, 2),
        coverage=None if coverage is None else round(coverage, 4),
        inside_grid_share=None if inside is None else round(inside, 4),
        valid=not reasons, reasons=reasons, flags=flags, gaps=gaps, notes=notes, rule=rule,
        typical_speed_mps=round(typical, 2), gap_count=gap_count)


def _clock(t: np.ndarray, now_s: float) -> tuple[dict, bool]:
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
        clock["earliest"] = _iso(float(t.min())).replace("Z", "+00:00")
    if t.max() > now_s + FUTURE_TOLERANCE_S:
        clock["future_by_s"] = round(float(t.max() - now_s))
    return clock, bool(clock.get("backwards_steps") or clock.get("frozen"))


def _accuracy(track: Track, flags: list[Flag]) -> np.ndarray:
    """Fixes worth using: known accuracy no worse than MAX_ACCURACY_M, or unknown (GPX)."""
    acc = track.accuracy
    known = np.isfinite(acc)
    poor = known & (acc > MAX_ACCURACY_M)
    if known.any() and poor.sum() > LOW_ACCURACY_SHARE * known.sum():
        flags.append(Flag("low_accuracy", f"{poor.sum()} 个定位点精度差于 {MAX_ACCURACY_M:.0f} 米 / "
                          f"{poor.sum()} fixes less accurate than {MAX_ACCURACY_M:.0f} m",
                          {"poor_fixes": int(poor.sum()), "median_accuracy_m": float(np.median(acc[known]))}))
    return ~poor


def _drop_spikes(x, y, t, keep: np.ndarray, notes: list[str]) -> None:
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


def _gaps(ts, d, dtt, cross, events, flags: list[Flag]) -> tuple[np.ndarray, list[dict], int]:
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
        return [{"start": _iso(float(ts[g[i]])), "seconds": int(seconds[i]), "jump_m": round(float(d[g[i]])),
                 "explained_by": explained[i]} for i in which[:limit]]

    unexplained = np.flatnonzero(np.array([e is None for e in explained], dtype=bool))
    if len(unexplained):
        longest = int(seconds[unexplained].max())
        flags.append(Flag("time_gap", f"轨迹中断 {len(unexplained)} 处，最长 {longest} 秒，"
                          "无信号或应用被关闭的记录 / "
                          f"{len(unexplained)} unexplained gaps in the track, the longest {longest} s",
                          {"gaps": listed(unexplained, 10), "count": len(unexplained)}))
    return in_gap, listed(np.arange(len(g)), GAPS_LISTED), len(g)


def _vehicle(ev: dict, rule: ValidityRule, counted: float, walked_on_foot, coverage: float | None,
             foot_coverage: float | None, flags: list[Flag], notes: list[str]) -> None:
    """Flag a patrol driven as a whole, or one that counts only thanks to driving."""
    why = []
    if ev["typical_kmh"] > WALK_OR_CYCLE_TYPICAL_MPS * 3.6:
        why.append("typical_speed")
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
    if why:
        ev["why"] = why
        flags.append(Flag("vehicle_speed", f"速度超出步行或骑行（典型 {ev['typical_kmh']:.0f} 公里/小时，"
                          f"最快两分钟 {ev['sustained_kmh']:.0f} 公里/小时，机动车速度 {ev['vehicle_m']} 米） / "
                          f"Speed beyond walking or cycling (typical {ev['typical_kmh']:.0f} km/h, best two minutes "
                          f"{ev['sustained_kmh']:.0f} km/h, {ev['vehicle_m']} m at vehicle speed)", ev))
    elif ev["vehicle_m"]:
        notes.append(f"{ev['vehicle_s']} s ({ev['vehicle_m']} m) at vehicle speed (over "
                     f"{VEHICLE_STRETCH_MPS * 3.6:.0f} km/h) in a patrol otherwise walked, not needed for it to count")


def _empty(rule: ValidityRule, notes: list[str]) -> AnalysisResult:
    return AnalysisResult(0, 0, 0.0, 0.0, 0.0, None, 0.0, 0.0, None, None, False,
                          [Reason("no_fixes", "没有有效的定位点", "No usable fixes")], [], [], notes, rule)


def _iso(seconds: float) -> str:
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):  # (validated tracks never get here: Track.validate)
        return f"{seconds:.0f} s from 1970-01-01T00:00:00Z"


_EXPLANATIONS = {"killed": "app_killed", "restarted": "app_killed", "gps_lost": "no_signal",
                 "gps_regained": "no_signal", "paused": "paused", "user_paused": "paused", "resumed": "paused",
                 "user_resumed": "paused"}


def _events(events: list[dict] | None) -> dict[str, np.ndarray]:
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


def _synthetic(track: Track, keep, dx, dy, dtt) -> dict:
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


def _reasons(rule: ValidityRule, kept: int, clock_broken: bool, duration: float, distance: float,
             coverage: float | None) -> list[Reason]:
    # the measured figure is rounded down, so that "10 min, less than 10 min" never appears
    minutes, metres = math.floor(duration / 60), math.floor(distance)
    out = []
    if kept < 2:
        return [Reason("no_fixes", "没有有效的定位点", "No usable fixes")]
    if clock_broken:
        out.append(Reason("bad_clock", "设备时间异常，无法计算巡河时长",
                          "The phone's clock is wrong; duration unknown"))
    elif rule.min_duration_s is not None and duration < rule.min_duration_s:
        limit = _fmt_min(rule.min_duration_s)
        out.append(Reason("too_short", f"巡河时长 {minutes} 分钟，不足 {limit} 分钟",
                          f"Patrol lasted {minutes} min, less than {limit} min"))
    if rule.min_distance_m is not None and distance < rule.min_distance_m:
        out.append(Reason("too_little_distance", f"巡河距离 {metres} 米，不足 {rule.min_distance_m:.0f} 米",
                          f"Patrolled {metres} m, less than {rule.min_distance_m:.0f} m"))
    if rule.min_coverage is not None and coverage is not None and coverage < rule.min_coverage:
        share, limit = math.floor(coverage * 100), f"{rule.min_coverage:.0%}"
        out.append(Reason("low_coverage", f"责任河段覆盖 {share}%，不足 {limit}",
                          f"Covered {share}% of the assigned segments, less than {limit}"))
    return out
