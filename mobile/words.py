"""What the screens say, in plain Chinese, from the rule in force and the shared analysis: the rule itself, how far
a patrol is with it ("还差 12 分钟、800 米"), why one did not count, what a supervisor will look at, an outbox item,
and an error. No code, English word or exception text reaches a screen: everything a person reads comes from here
or from the shared tables (shared_models.errors, shared_models.track.verdict)."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from shared_models.clock import LOCAL_TZ
from shared_models.errors import MESSAGES
from shared_models.track.verdict import FLAG_LABELS, AnalysisResult, ValidityRule, chinese


def metres(m: float) -> str:
    return f"{m / 1000:.1f} 公里" if m >= 1000 else f"{m:.0f} 米"


def rule_text(rule: ValidityRule) -> str:
    """"每次至少 30 分钟、2.0 公里，走到责任河段的 30%": what one patrol needs to count."""
    parts = []
    if rule.min_duration_s:
        parts.append(f"{rule.min_duration_s / 60:.0f} 分钟")
    if rule.min_distance_m:
        parts.append(metres(rule.min_distance_m) + ("（在责任河段上）" if rule.distance_on_segment else ""))
    text = "每次至少 " + "、".join(parts) if parts else "每次巡河都计入"
    if rule.min_coverage:
        text += f"，走到责任河段的 {rule.min_coverage:.0%}"
    return text


def held_as(card: dict, user_id: int | None) -> str:
    """Whose card it is, for the person holding the phone: "乡级河长", or "代 张三（乡级河长）巡河" on a chief's
    card that names them as the assistant."""
    duty = card.get("duty_label") or "巡查员"
    holder = card.get("inspector") or {}
    if user_id is not None and holder.get("id") not in (None, user_id):
        return f"代 {holder.get('name', '')}（{duty}）巡河"
    return duty


def short_day(iso_day: str) -> str:
    day = dt.date.fromisoformat(iso_day[:10])
    return f"{day.month}月{day.day}日"


def window_text(done: dict | None) -> str:
    """The server's count for the card's window, as of the last sync: "本周 已巡 0/1 次，12月6日前完成"."""
    if not done:
        return ""
    due = f"，{short_day(done['next_due'])}前完成" if done.get("next_due") else ""
    return f"{done['text']}{due}"


WEEKDAYS = "一二三四五六日"
REMIND_DAYS = 1  # the day before a window closes, and its last day


def reminder_text(done: dict | None, today: dt.date) -> str | None:
    """"本周还需巡河 1 次，周日截止", when the card's window closes within a day and is not met yet (from the last
    sync's count: it works offline)."""
    if not done or not done.get("active") or not done.get("remaining") or not done.get("window_end"):
        return None
    end = dt.date.fromisoformat(done["window_end"])
    left = (end - today).days
    if left < 0 or left > REMIND_DAYS:
        return None
    day = "今天" if left == 0 else (f"周{WEEKDAYS[end.weekday()]}" if done.get("window") == "week"
                                   else f"{end.month}月{end.day}日")
    return f"{done['label']}还需巡河 {done['remaining']} 次，{day}截止"


@dataclass
class Goal:
    name: str  # 时长 / 距离 / 河段覆盖
    fraction: float  # 0..1 of the rule's minimum
    text: str  # "12 / 30 分钟"
    missing: str  # "18 分钟", "" when met


def goals(result: AnalysisResult, rule: ValidityRule) -> list[Goal]:
    """The rule's three minimums against the patrol so far; a minimum the county does not set is left out."""
    out = []
    if rule.min_duration_s:
        done, need = math.floor(result.duration_s / 60), math.ceil(rule.min_duration_s / 60)
        out.append(Goal("时长", min(1.0, result.duration_s / rule.min_duration_s), f"{done} 分钟，要求 {need} 分钟",
                        f"{need - done} 分钟" if done < need else ""))
    if rule.min_distance_m:
        walked = (result.on_segment_distance_m or 0.0) if rule.distance_on_segment else result.distance_m
        left = rule.min_distance_m - walked
        out.append(Goal("距离", min(1.0, walked / rule.min_distance_m),
                        f"{metres(walked)}，要求 {metres(rule.min_distance_m)}",
                        metres(max(left, 1)) if left > 0 else ""))
    if rule.min_coverage and result.coverage is not None:
        left = rule.min_coverage - result.coverage
        out.append(Goal("河段覆盖", min(1.0, result.coverage / rule.min_coverage),
                        f"{result.coverage:.0%}，要求 {rule.min_coverage:.0%}",
                        f"河段覆盖 {math.ceil(left * 100)}%" if left > 0 else ""))
    return out


def still_needed(result: AnalysisResult, rule: ValidityRule) -> str:
    """One line under the bars: what is still missing, or that the patrol already counts."""
    if result.valid:
        return "已达到有效巡河要求"
    missing = [g.missing for g in goals(result, rule) if g.missing]
    if missing:
        return "还差 " + "、".join(missing)
    return "、".join(r.zh for r in result.reasons) or "尚未达到有效巡河要求"


def flags_text(flags: list) -> str:
    """What the supervisor will look at (a flag never changes whether a patrol counts)."""
    names = []
    for f in flags:
        code = f["code"] if isinstance(f, dict) else f.code
        name = FLAG_LABELS.get(code, "需要核实的情况")
        if name not in names:
            names.append(name)
    return "网格长会核实：" + "、".join(names) if names else ""


def reason_lines(verdict: dict) -> list[str]:
    """Why a patrol (as the server judged it, or the phone's preview stored with it) did not count."""
    messages = verdict.get("reason_messages")
    if messages:
        return [m["zh"] for m in messages]
    return [chinese(r) for r in verdict.get("reasons", [])]


def when(ts: float) -> str:
    local = dt.datetime.fromtimestamp(ts, LOCAL_TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def duration(seconds: float) -> str:
    m = int(seconds // 60)
    return f"{m // 60} 小时 {m % 60} 分钟" if m >= 60 else f"{m} 分钟"


def error_text(exc: BaseException) -> str:
    """An error as the person can act on it: the server's own Chinese message for its code, or what the network
    did; never the exception's text."""
    code = getattr(exc, "code", None)
    if code in MESSAGES:
        return MESSAGES[code][0]
    status = getattr(exc, "status", None)
    if status is None:
        return "连不上服务器，请检查网络后再试"
    if status >= 500:
        return MESSAGES["service.unavailable"][0]
    return "操作没有成功，请稍后再试"
