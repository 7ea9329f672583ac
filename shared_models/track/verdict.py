"""What the track analysis answers: the validity rule and its real presets, the result with its flags, and
the reasons a patrol does not count.

Only the ValidityRule decides ``valid``; flags go to a person and never change it.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

# Stored with every result: a patrol judged by another version may be judged again.
ANALYSIS_VERSION = "2026.12.1"

FLAG_CODES = ("vehicle_speed", "teleport", "synthetic", "stationary", "off_segment", "mock_location",
              "low_accuracy", "time_gap", "clock")

# What each flag is called where a person reads it (the phone, the console's lists): short and plain.
FLAG_LABELS = {
    "vehicle_speed": "巡河方式不计入", "teleport": "轨迹跳跃", "synthetic": "轨迹过于规则",
    "stationary": "长时间没有移动", "off_segment": "离责任河段较远", "mock_location": "使用了模拟定位",
    "low_accuracy": "定位精度差", "time_gap": "轨迹中断", "clock": "手机时间异常",
}


def chinese(text: str) -> str:
    """The Chinese half of a bilingual "中文 / English" message (a flag's detail, a reason, an error)."""
    return text.split(" / ", 1)[0]


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
    # how a patrol may be travelled (travel.MODES): walking and cycling unless the county says otherwise
    allowed_modes: tuple[str, ...] = ("foot", "bicycle")

    def __post_init__(self) -> None:  # (from JSON a list: kept as a tuple, so that the rule stays hashable)
        object.__setattr__(self, "allowed_modes", tuple(self.allowed_modes))


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
    travel_mode: str | None = None  # foot | bicycle | e_bike | motor_vehicle (travel.py): the most distance
    stretches: list[dict] = field(default_factory=list)  # each stretch's mode, times, fixes, metres
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


def fmt_min(seconds: float) -> str:
    return f"{seconds / 60:.0f}"


def empty_result(rule: ValidityRule, notes: list[str]) -> AnalysisResult:
    return AnalysisResult(0, 0, 0.0, 0.0, 0.0, None, 0.0, 0.0, None, None, False,
                          [Reason("no_fixes", "没有有效的定位点", "No usable fixes")], [], [], notes, rule)


def reasons_for(rule: ValidityRule, kept: int, clock_broken: bool, duration: float, distance: float,
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
        limit = fmt_min(rule.min_duration_s)
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
