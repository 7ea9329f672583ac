"""What a patrol's track says: distance, time, coverage, validity, and signs of cheating.

The phone runs this before upload ("this patrol will not count: 12 of 30 minutes") and
the server runs it on receipt, so both give the same verdict. Everything is measured in
metres in a local transverse Mercator projection around the track; the hot path is
numpy and Shapely (GEOS) on whole arrays, never a Python loop per fix.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from .model import FUTURE_TOLERANCE_S, Track

ANALYSIS_VERSION = "2026.11.1"

# --- thresholds, each with its reason -------------------------------------------------
MAX_ACCURACY_M = 50.0  # a phone reporting worse than 50 m is guessing: the fix is not used
LOW_ACCURACY_SHARE = 0.3  # more than 30% of fixes that poor: the track as a whole is doubtful
SPIKE_SPEED_MPS = 50.0  # out to a point and straight back faster than 180 km/h: a GNSS glitch
TELEPORT_SPEED_MPS = 50.0  # a jump that does not come back, faster than 180 km/h ...
TELEPORT_MIN_JUMP_M = 300.0  # ... and long enough not to be noise
JITTER_M = 5.0  # standing still, fixes wander a few metres: distance ignores wiggles below this
MOVING_MPS = 0.3  # net progress slower than this over half a minute is standing, not walking
MOVING_WINDOW_S = 30.0
STANDSTILL_S = 60.0  # standing still this long: the wandering fixes are not distance walked
MAX_SPEED_WINDOW_S = 10.0  # speeds are net displacement over a window, which jitter cannot inflate
# Walking is ~1.4 m/s and cycling along a bank path 15-20 km/h (the Cerknica walk's 17-20 km/h
# stretches). Nobody inspects a river faster: above 20 km/h held over two minutes is a motor
# vehicle, or an e-bike (legal up to 25 km/h, GB 17761-2018) ridden past the river.
SUSTAINED_WINDOW_S = 120.0
VEHICLE_SUSTAINED_MPS = 20 / 3.6
# China's e-bike standard (GB 17761-2018) caps them at 25 km/h, hence the sustained limit.
# Deployed heuristic (domain.md): patrols of <= 15 min but > 4 km, i.e. averaging > 16 km/h.
VEHICLE_AVERAGE_MPS = 16 / 3.6
VEHICLE_AVERAGE_MIN_M = 1000.0
STATIONARY_RADIUS_M = 50.0  # all fixes within 50 m of one spot ...
STATIONARY_MIN_S = 600.0  # ... for ten minutes or more: nobody walked a river
STATIONARY_MOVING_SHARE = 0.1  # or moving less than a tenth of a claimed 20 minutes
GAP_MIN_S = 120.0  # a silence longer than this (and 10x the usual interval) is a gap
COVERAGE_STEP_M = 5.0  # segments are measured in pieces of at most 5 m
OFF_SEGMENT_M = 100.0  # a bank path can be tens of metres from the mapped centre line
OFF_SEGMENT_SHARE = 0.5  # most of the track beyond that: not on the assigned river
SYNTHETIC_MIN_FIXES = 30
CLOCK_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()  # GNSS phones postdate this
REPLAY_RADIUS_M = 1.0  # two honest walks never put most of their fixes within a metre of each other


@dataclass(frozen=True)
class ValidityRule:
    """What makes a patrol count (有效巡河). None switches a check off.

    Defaults follow Guangzhou (2021): at least 10 minutes and 1 km; coverage 30% of the
    assigned segments as Guangzhou asks of town chiefs; 30 m tolerance around segments.
    """

    min_duration_s: float | None = 600.0
    min_distance_m: float | None = 1000.0
    min_coverage: float | None = 0.3
    tolerance_m: float = 30.0
    distance_on_segment: bool = False  # count only metres within the tolerance of the segments
    version: str = "default"


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
    analysis_version: str = ANALYSIS_VERSION

    @property
    def flag_codes(self) -> list[str]:
        return [f.code for f in self.flags]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["reasons"] = [str(r) for r in self.reasons]
        out["reason_codes"] = [r.code for r in self.reasons]
        return out


# --- geometry helpers -----------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _projection(lon0: float, lat0: float) -> Transformer:
    # transverse Mercator on the track's own meridian: scale error under 2 ppm within 10 km,
    # and five times faster in PROJ than azimuthal equidistant
    crs = CRS.from_proj4(f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +datum=WGS84 +units=m +no_defs")
    return Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)


def projection_for(lon: np.ndarray, lat: np.ndarray) -> Transformer:
    """A metric projection centred near the track (rounded so that nearby tracks share it)."""
    return _projection(round(float(np.median(lon)), 2), round(float(np.median(lat)), 2))


def _to_metric(geom: BaseGeometry, proj: Transformer) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(proj.transform(xy[:, 0], xy[:, 1])))


def _window_speed(x, y, t, part, window: float) -> np.ndarray:
    """Net displacement speed from each fix over the next ``window`` seconds of its part (NaN if too little)."""
    last_of_part = np.searchsorted(part, part, side="right") - 1
    j = np.minimum(np.searchsorted(t, t + window, side="left"), last_of_part)
    span = t[j] - t[np.arange(len(t))]
    # at least half a window of data, and no long silence inside it
    good = (span >= window / 2) & (span <= 3 * window)
    speed = np.full(len(t), np.nan)
    i = np.flatnonzero(good)
    speed[i] = np.hypot(x[j[i]] - x[i], y[j[i]] - y[i]) / span[i]
    return speed


def _walked_line(x, y, t, part, still):
    """Length of the track with long standstills cut out, simplified so that GNSS wiggles add nothing.

    Only standstills of a minute or more are cut: a slow climb or a look at the water keeps
    its metres, a phone left on a table does not gather any.
    """
    edges = np.diff(np.concatenate([[0], still.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # still steps [start, end)
    long = (t[ends] - t[starts]) >= STANDSTILL_S
    drop = np.zeros(len(x), dtype=bool)
    for s_, e_ in zip(starts[long], ends[long], strict=True):  # one slice per standstill, not per fix
        drop[s_ + 1:e_] = True
    line = _lines(x[~drop], y[~drop], part[~drop])
    return _simplify(line) if line is not None else None


def _simplify(line):
    # plain Douglas-Peucker: a track needs no topology kept, and it is twice as fast
    return shapely.simplify(line, JITTER_M, preserve_topology=False)


def _pieces(geom) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The straight pieces of a (multi)line: start-end coordinates, lengths and midpoints."""
    coords, which = shapely.get_coordinates(shapely.get_parts(geom), return_index=True)
    same = which[1:] == which[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    return np.stack([a, b], axis=1), np.hypot(*(b - a).T), (a + b) / 2


def _lines(x, y, part):
    """The track as one line per part (parts of a single fix have no length)."""
    counts = np.bincount(part)
    ok = counts[part] >= 2
    if not ok.any():
        return None
    _, labels = np.unique(part[ok], return_inverse=True)
    return shapely.multilinestrings(shapely.linestrings(np.column_stack([x[ok], y[ok]]), indices=labels))


def _fmt_min(seconds: float) -> str:
    return f"{seconds / 60:.0f}"


# --- the analysis ---------------------------------------------------------------------

def analyze(track: Track, segments: list[BaseGeometry] | None = None, grid: BaseGeometry | None = None,
            rule: ValidityRule = ValidityRule(), lifecycle_events: list[dict] | None = None,
            now: dt.datetime | None = None) -> AnalysisResult:
    """Measure and judge a patrol. ``segments`` and ``grid`` are WGS84 Shapely geometries."""
    n = len(track)
    flags: list[Flag] = []
    notes = list(track.notes)
    if n == 0:
        return _empty(rule, notes)
    now_s = (now or dt.datetime.now(dt.UTC)).timestamp()
    proj = projection_for(track.lon, track.lat)
    x, y = proj.transform(track.lon, track.lat)
    t = track.t

    # clock: times must move forward, and lie between GNSS phones and now
    steps = np.diff(t)
    backwards = int((steps < 0).sum())
    frozen = n > 1 and float(np.ptp(t)) == 0.0
    clock = {}
    if backwards:
        clock["backwards_steps"] = backwards
    if frozen or (n > 2 and (steps <= 0).mean() > 0.5):
        clock["frozen"] = True
    if t.min() < CLOCK_EARLIEST:
        clock["earliest"] = dt.datetime.fromtimestamp(float(t.min()), dt.UTC).isoformat()
    if t.max() > now_s + FUTURE_TOLERANCE_S:
        clock["future_by_s"] = round(float(t.max() - now_s))
    clock_broken = bool(clock.get("backwards_steps") or clock.get("frozen"))
    if clock:
        flags.append(Flag("clock", "设备时间异常（倒退、停滞或不合理） / The phone's clock is wrong "
                          "(backwards, frozen or implausible)", clock))

    # accuracy
    acc = track.accuracy
    known = np.isfinite(acc)
    poor = known & (acc > MAX_ACCURACY_M)
    keep = ~poor
    if known.any() and poor.sum() > LOW_ACCURACY_SHARE * known.sum():
        flags.append(Flag("low_accuracy", f"{poor.sum()} 个定位点精度差于 {MAX_ACCURACY_M:.0f} 米 / "
                          f"{poor.sum()} fixes less accurate than {MAX_ACCURACY_M:.0f} m",
                          {"poor_fixes": int(poor.sum()), "median_accuracy_m": float(np.median(acc[known]))}))

    if track.mock is not None and track.mock.any():
        share = float(track.mock.mean())
        flags.append(Flag("mock_location", f"手机报告使用了模拟定位（{share:.0%} 的点） / "
                          f"The phone reported a mock location provider ({share:.0%} of fixes)",
                          {"mock_fixes": int(track.mock.sum()), "share": round(share, 3)}))

    # speed spikes: out and straight back, faster than any person (skip with a broken clock)
    if not clock_broken:
        idx = np.flatnonzero(keep)
        if len(idx) >= 3:
            xs, ys, ts = x[idx], y[idx], t[idx]
            d = np.hypot(np.diff(xs), np.diff(ys))
            dtt = np.maximum(np.diff(ts), 1e-3)
            v = d / dtt
            skip = np.hypot(xs[2:] - xs[:-2], ys[2:] - ys[:-2]) / np.maximum(ts[2:] - ts[:-2], 1e-3)
            spike = (v[:-1] > SPIKE_SPEED_MPS) & (v[1:] > SPIKE_SPEED_MPS) & (skip < SPIKE_SPEED_MPS)
            keep[idx[1:-1][spike]] = False
            if spike.any():
                notes.append(f"dropped {int(spike.sum())} GNSS spikes")

    idx = np.flatnonzero(keep)
    xs, ys, ts = x[idx], y[idx], t[idx]
    part = track.parts()[idx]
    m = len(idx)
    d = np.hypot(np.diff(xs), np.diff(ys))
    dtt = np.diff(ts)
    cross = np.diff(part) != 0  # steps between parts: recording was paused, nothing was walked
    duration = float(ts[-1] - ts[0]) if m else 0.0
    line = _lines(xs, ys, part)
    distance = 0.0  # measured below; with a broken clock, from the geometry alone

    # gaps, told apart by what the app recorded happening to it
    gaps = []
    in_gap = cross.copy()
    if m >= 2 and not clock_broken:
        median_dt = float(np.median(dtt[dtt > 0])) if (dtt > 0).any() else 0.0
        in_gap |= dtt > max(GAP_MIN_S, 10 * median_dt)
        events = _events(lifecycle_events)
        for g in np.flatnonzero(in_gap):
            start, end = float(ts[g]), float(ts[g + 1])
            explained = "paused" if cross[g] else _explain(events, start, end)
            gaps.append({"start": _iso(start), "seconds": round(end - start), "jump_m": round(float(d[g])),
                         "explained_by": explained})
        unexplained = [g for g in gaps if g["explained_by"] is None]
        if unexplained:
            longest = max(g["seconds"] for g in unexplained)
            flags.append(Flag("time_gap", f"轨迹中断 {len(unexplained)} 处，最长 {longest} 秒，"
                              "无信号或应用被关闭的记录 / "
                              f"{len(unexplained)} unexplained gaps in the track, the longest {longest} s",
                              {"gaps": unexplained[:10]}))

    # speeds, moving time and distance walked
    max_speed = sustained = 0.0
    moving = 0.0
    walked = _simplify(line) if clock_broken and line is not None else None
    distance = float(walked.length) if walked is not None else 0.0
    jump_mask = np.zeros(max(m - 1, 0), dtype=bool)
    if m >= 2 and not clock_broken:
        step_v = np.divide(d, dtt, out=np.zeros_like(d), where=dtt > 0)
        step_v[cross] = 0.0
        jumps = np.flatnonzero((d > TELEPORT_MIN_JUMP_M) & (step_v > TELEPORT_SPEED_MPS))
        jump_mask[jumps] = True
        if len(jumps):
            flags.append(Flag("teleport", f"轨迹瞬间跳跃 {len(jumps)} 次（最远 {d[jumps].max():.0f} 米） / "
                              f"{len(jumps)} impossible jumps (up to {d[jumps].max():.0f} m)",
                              {"jumps": [{"at": _iso(float(ts[j])), "metres": round(float(d[j])),
                                          "seconds": round(float(dtt[j]), 1), "kmh": round(float(step_v[j]) * 3.6)}
                                         for j in jumps[:10]]}))
        # windows neither span a pause nor a jump (the jump is its own flag)
        wpart = part + np.cumsum(np.isin(np.arange(m), jumps + 1))
        v10 = _window_speed(xs, ys, ts, wpart, MAX_SPEED_WINDOW_S)
        v120 = _window_speed(xs, ys, ts, wpart, SUSTAINED_WINDOW_S)
        v30 = _window_speed(xs, ys, ts, wpart, MOVING_WINDOW_S)
        max_speed = float(np.nanmax(np.concatenate([v10, [0.0]])))
        sustained = float(np.nanmax(np.concatenate([v120, [0.0]])))
        # a step is moving when the half-minute from it makes net progress; standing still,
        # fixes wander but get nowhere, and that wandering is neither time nor distance walked
        step_moving = np.where(np.isnan(v30[:-1]), step_v > MOVING_MPS, v30[:-1] > MOVING_MPS)
        step_moving &= ~in_gap
        step_moving[jumps] = False
        moving = float(dtt[step_moving].sum())
        walked = _walked_line(xs, ys, ts, wpart, ~step_moving & ~in_gap)  # a jump is not walked
        distance = float(walked.length) if walked is not None else 0.0
        average = distance / moving if moving > 0 else 0.0
        if sustained > VEHICLE_SUSTAINED_MPS or (average > VEHICLE_AVERAGE_MPS and distance >= VEHICLE_AVERAGE_MIN_M):
            fast_s = float(dtt[np.nan_to_num(v120[:-1]) > VEHICLE_SUSTAINED_MPS].sum())
            flags.append(Flag("vehicle_speed", f"持续速度超出步行或骑行（最高 {sustained * 3.6:.0f} 公里/小时，"
                              f"平均 {average * 3.6:.0f} 公里/小时） / Sustained speed beyond walking or cycling "
                              f"(up to {sustained * 3.6:.0f} km/h, average {average * 3.6:.0f} km/h)",
                              {"sustained_kmh": round(sustained * 3.6, 1), "seconds_above": round(fast_s),
                               "average_moving_kmh": round(average * 3.6, 1)}))

    # standing still while claiming a patrol
    if m >= 2 and duration >= STATIONARY_MIN_S:
        cx, cy = np.median(xs), np.median(ys)
        radius = float(np.hypot(xs - cx, ys - cy).max())
        if radius < STATIONARY_RADIUS_M or (duration >= 2 * STATIONARY_MIN_S and not clock_broken
                                            and moving < STATIONARY_MOVING_SHARE * duration):
            flags.append(Flag("stationary", f"{_fmt_min(duration)} 分钟内几乎没有移动（范围 {radius:.0f} 米） / "
                              f"Almost no movement in {_fmt_min(duration)} min (within {radius:.0f} m)",
                              {"radius_m": round(radius, 1), "duration_s": round(duration),
                               "moving_s": round(moving)}))

    synthetic = _synthetic(track, keep, xs, ys, d[~cross], dtt[~cross])
    if synthetic:
        flags.append(Flag("synthetic", "轨迹过于规则，不像真实定位 / The track is too regular to be real GNSS",
                          synthetic))

    # where the track went: assigned segments and the grid. Prepared geometries and points,
    # not buffers: buffering a 7,200-vertex line costs more than all the rest of the analysis.
    coverage = on_segment = None
    if segments:
        if walked is None and line is not None:
            walked = _simplify(line)
        segs = shapely.union_all([_to_metric(s, proj) for s in segments])
        _, seg_len, seg_mid = _pieces(shapely.segmentize(segs, COVERAGE_STEP_M))
        total = float(seg_len.sum())
        coverage = 0.0
        if walked is not None and total > 0:
            shapely.prepare(walked)
            near = shapely.dwithin(walked, shapely.points(seg_mid), rule.tolerance_m)
            coverage = float(seg_len[near].sum() / total)
            shapely.prepare(segs)
            _, w_len, w_mid = _pieces(walked)
            on_segment = float(w_len[shapely.dwithin(segs, shapely.points(w_mid), rule.tolerance_m)].sum())
            every = max(1, m // 1000)  # a share: a thousand fixes spread over the track tell it
            far_share = float(1 - shapely.dwithin(segs, shapely.points(xs[::every], ys[::every]),
                                                  OFF_SEGMENT_M).mean())
            if far_share > OFF_SEGMENT_SHARE:
                flags.append(Flag("off_segment", f"{far_share:.0%} 的轨迹距责任河段超过 {OFF_SEGMENT_M:.0f} 米 / "
                                  f"{far_share:.0%} of the track is over {OFF_SEGMENT_M:.0f} m from the "
                                  "assigned segments", {"far_share": round(far_share, 3)}))
    inside = None
    if grid is not None and m:
        inside = float(shapely.contains_xy(grid, track.lon[idx], track.lat[idx]).mean())

    counted = on_segment if (rule.distance_on_segment and on_segment is not None) else distance
    reasons = _reasons(rule, m, clock_broken, duration, counted, coverage)
    return AnalysisResult(
        fixes=n, kept_fixes=m, duration_s=round(duration, 1), moving_s=round(moving, 1),
        distance_m=round(distance, 1), on_segment_distance_m=None if on_segment is None else round(on_segment, 1),
        max_speed_mps=round(max_speed, 2), sustained_speed_mps=round(sustained, 2),
        coverage=None if coverage is None else round(coverage, 4),
        inside_grid_share=None if inside is None else round(inside, 4),
        valid=not reasons, reasons=reasons, flags=flags, gaps=gaps, notes=notes, rule=rule)


def _empty(rule: ValidityRule, notes: list[str]) -> AnalysisResult:
    return AnalysisResult(0, 0, 0.0, 0.0, 0.0, None, 0.0, 0.0, None, None, False,
                          [Reason("no_fixes", "没有有效的定位点", "No usable fixes")], [], [], notes, rule)


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


_EXPLANATIONS = {"killed": "app_killed", "restarted": "app_killed", "gps_lost": "no_signal",
                 "gps_regained": "no_signal", "paused": "paused", "user_paused": "paused", "resumed": "paused",
                 "user_resumed": "paused"}


def _events(events: list[dict] | None) -> list[tuple[float, str]]:
    out = []
    for e in events or []:
        at = e["at"]
        at = at.timestamp() if isinstance(at, dt.datetime) else float(at)
        out.append((at, e["event"]))
    return sorted(out)


def _explain(events: list[tuple[float, str]], start: float, end: float) -> str | None:
    """What the app recorded during a gap: no signal, killed, or paused; None if nothing."""
    found = [_EXPLANATIONS.get(kind) for at, kind in events if start - 5 <= at <= end + 5]
    for reason in ("app_killed", "no_signal", "paused"):
        if reason in found:
            return reason
    return None


def _synthetic(track: Track, keep, xs, ys, d, dtt) -> dict:
    """Regularity no real GNSS has: two or more signs together."""
    if len(xs) < SYNTHETIC_MIN_FIXES:
        return {}
    signs = {}
    moving = d > 0.5
    if moving.sum() >= SYNTHETIC_MIN_FIXES:
        cv = float(np.std(d[moving]) / np.mean(d[moving]))
        if cv < 0.05:
            signs["spacing_cv"] = round(cv, 4)
        heading = np.arctan2(np.diff(ys)[:len(moving)][moving], np.diff(xs)[:len(moving)][moving])
        turn = np.abs((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi)
        straight = float((turn < np.radians(0.5)).mean()) if len(turn) else 0.0
        if straight > 0.7:
            signs["straight_share"] = round(straight, 3)
        if len(dtt) and np.ptp(dtt) == 0 and cv < 0.1:
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
    out = []
    if kept < 2:
        out.append(Reason("no_fixes", "没有有效的定位点", "No usable fixes"))
        return out
    if clock_broken:
        out.append(Reason("bad_clock", "设备时间异常，无法计算巡河时长",
                          "The phone's clock is wrong; duration unknown"))
    elif rule.min_duration_s is not None and duration < rule.min_duration_s:
        out.append(Reason("too_short", f"巡河时长 {_fmt_min(duration)} 分钟，不足 {_fmt_min(rule.min_duration_s)} 分钟",
                          f"Patrol lasted {_fmt_min(duration)} min, less than {_fmt_min(rule.min_duration_s)} min"))
    if rule.min_distance_m is not None and distance < rule.min_distance_m:
        out.append(Reason("too_little_distance", f"巡河距离 {distance:.0f} 米，不足 {rule.min_distance_m:.0f} 米",
                          f"Patrolled {distance:.0f} m, less than {rule.min_distance_m:.0f} m"))
    if rule.min_coverage is not None and coverage is not None and coverage < rule.min_coverage:
        out.append(Reason("low_coverage", f"责任河段覆盖 {coverage:.0%}，不足 {rule.min_coverage:.0%}",
                          f"Covered {coverage:.0%} of the assigned segments, less than {rule.min_coverage:.0%}"))
    return out


def replay_similarity(a: Track, b: Track, radius_m: float = REPLAY_RADIUS_M) -> dict:
    """How much of ``a`` lies on ``b``'s very fixes (time ignored), and the reverse.

    A replayed track (an old walk re-sent with shifted times) puts nearly all its fixes
    within a metre of the original's; two honest walks of one path do not.
    """
    if len(a) == 0 or len(b) == 0:
        return {"share_a": 0.0, "share_b": 0.0, "score": 0.0}
    proj = projection_for(a.lon, a.lat)
    pa = shapely.points(np.column_stack(proj.transform(a.lon, a.lat)))
    pb = shapely.points(np.column_stack(proj.transform(b.lon, b.lat)))
    ia = shapely.STRtree(pb).query(pa, predicate="dwithin", distance=radius_m)[0]
    ib = shapely.STRtree(pa).query(pb, predicate="dwithin", distance=radius_m)[0]
    share_a = len(np.unique(ia)) / len(a)
    share_b = len(np.unique(ib)) / len(b)
    return {"share_a": round(share_a, 4), "share_b": round(share_b, 4), "score": round(min(share_a, share_b), 4)}
