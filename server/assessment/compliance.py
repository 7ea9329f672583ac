"""How far an inspector is with a card's frequency rule in this window, in the assessment engine's own
numbers (so the phone and the payroll agree)."""
from __future__ import annotations

import datetime as dt

from shared_models.clock import local_midnight, local_today
from shared_models.windows import KIND_LABELS

from ..cards.models import ResponsibilityCard
from .engine import card_compliance, last_counted_end

WINDOW_NOW = {"day": "今天", "week": "本周", "xun": "本旬", "half_month": "本半月", "month": "本月",
              "quarter": "本季度", "half_year": "本半年", "year": "今年"}


def compliance(card: ResponsibilityCard, today: dt.date | None = None, now: dt.datetime | None = None) -> dict | None:
    """Required, counted and remaining patrols in the current window, and when the next is due.

    The assessment engine's own numbers for one card (so the phone and the payroll agree)."""
    today = today or local_today(now)
    done = card_compliance(card, today)
    if done is None:
        return None
    rule, window = done["rule"], done["window"]
    label = WINDOW_NOW.get(rule.window, f"近{rule.rolling_days}{KIND_LABELS['rolling']}")
    required, count, remaining = done["required"], done["counted"], done["remaining"]
    next_counted_at = None
    if rule.min_gap_hours:
        last_end = last_counted_end(card, local_midnight(today + dt.timedelta(days=1)))
        if last_end is not None:
            next_counted_at = last_end + dt.timedelta(hours=rule.min_gap_hours)
    last_day = window.end - dt.timedelta(days=1)
    text = f"{label} 已巡 {count}/{required} 次" if done["active"] else f"{label} 无巡河要求"
    if done["warning"]:
        text += f"（{done['warning']}）"
    return {  # JSON-ready: the phone caches it as it is
        "rule": rule.name, "window": rule.window, "label": label, "window_start": window.start.isoformat(),
        "window_end": last_day.isoformat(), "required": required, "counted": count,
        "remaining": remaining, "active": done["active"], "next_due": last_day.isoformat() if remaining else None,
        "next_counted_after": next_counted_at.isoformat() if next_counted_at else None,
        "warning": done["warning"], "per": done["per"], "text": text,
    }
