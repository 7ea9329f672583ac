"""Which frequency rule applies to a card, and how far the inspector is with it this window."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select

from shared_models.periods import LOCAL_TZ, local_today
from shared_models.windows import KIND_LABELS, window_of

from ..auth.models import User
from ..cards.models import ResponsibilityCard
from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit
from ..patrols.models import Patrol
from ..security import scope_path
from .models import FrequencyRule

WINDOW_NOW = {"day": "今天", "week": "本周", "xun": "本旬", "half_month": "本半月", "month": "本月",
              "quarter": "本季度", "half_year": "本半年", "year": "今年"}


def rule_for(grid: OrgUnit, role: str, day: dt.date) -> FrequencyRule | None:
    """The rule in force on ``day`` from the nearest scope at or above the grid."""
    ancestors = [c for c in grid.path.strip("/").split("/") if c]
    q = (select(FrequencyRule).join(OrgUnit, OrgUnit.id == FrequencyRule.org_unit_id)
         .where(OrgUnit.code.in_(ancestors), FrequencyRule.role == role, FrequencyRule.valid_from <= day,
                or_(FrequencyRule.valid_to.is_(None), FrequencyRule.valid_to >= day),
                or_(FrequencyRule.grid_level.is_(None), FrequencyRule.grid_level == grid.level))
         .order_by(func.length(OrgUnit.path).desc(), FrequencyRule.grid_level.is_(None)))
    return db.session.scalars(q).first()


def compliance(card: ResponsibilityCard, today: dt.date | None = None, now: dt.datetime | None = None) -> dict | None:
    """Required, counted and remaining patrols in the current window, and when the next is due."""
    today = today or local_today(now)
    rule = rule_for(card.grid, card.inspector.role, today)
    if rule is None:
        return None
    window = window_of(rule.window, today, rule.rolling_days or 7)
    label = WINDOW_NOW.get(rule.window, f"近{rule.rolling_days}{KIND_LABELS['rolling']}")
    active = rule.active_months is None or today.month in rule.active_months
    start, end = window.utc_range()
    # valid and unflagged (flagged ones count once a supervisor clears them: issue 5/7 review),
    # under any version of this card, by this inspector
    patrols = db.session.scalars(
        select(Patrol).join(ResponsibilityCard, ResponsibilityCard.id == Patrol.card_id)
        .where(ResponsibilityCard.card_no == card.card_no, Patrol.inspector_id == card.inspector_id,
               Patrol.valid.is_(True), Patrol.flagged.is_(False), Patrol.started_at < end,
               Patrol.started_at >= start - dt.timedelta(hours=rule.min_gap_hours or 0))
        .order_by(Patrol.started_at)).all()
    counted, last_end = [], None
    for p in patrols:  # a handful per window: the gap rule is sequential by nature
        if rule.min_gap_hours and last_end and p.started_at < last_end + dt.timedelta(hours=rule.min_gap_hours):
            continue
        last_end = p.ended_at
        if p.started_at >= start:
            counted.append(p)
    if rule.count_mode == "days":
        count = len({p.started_at.astimezone(LOCAL_TZ).date() for p in counted})
    else:
        count = len(counted)
    required = rule.min_count if active else 0
    remaining = max(0, required - count)
    next_counted_at = None
    if rule.min_gap_hours and last_end:
        next_counted_at = last_end + dt.timedelta(hours=rule.min_gap_hours)
    last_day = window.end - dt.timedelta(days=1)
    return {  # JSON-ready: the phone caches it as it is
        "rule": rule.name, "window": rule.window, "label": label, "window_start": window.start.isoformat(),
        "window_end": last_day.isoformat(), "required": required, "counted": count,
        "remaining": remaining, "active": active, "next_due": last_day.isoformat() if remaining else None,
        "next_counted_after": next_counted_at.isoformat() if next_counted_at else None,
        "text": f"{label} 已巡 {count}/{required} 次" if active else f"{label} 无巡河要求",
    }


def rules_in_scope(user: User):
    path = scope_path(user)
    return (select(FrequencyRule).join(OrgUnit, OrgUnit.id == FrequencyRule.org_unit_id)
            .where(OrgUnit.path.startswith(path or "\0", autoescape=True)).order_by(FrequencyRule.id))


def create_rule(actor: User | None, data: dict, *, commit: bool = True) -> FrequencyRule:
    unit = db.session.get(OrgUnit, data["org_unit_id"])
    errors = {}
    if unit is None or (actor is not None and not unit.path.startswith(actor.org_unit.path)):
        errors["org_unit_id"] = "网格不存在或不在您的管辖范围 / org unit not found in your scope"
    if data.get("valid_to") and data["valid_to"] < data["valid_from"]:
        errors["valid_to"] = "结束日期早于开始日期 / valid_to is before valid_from"
    if data["window"] == "rolling" and not data.get("rolling_days"):
        errors["rolling_days"] = "滚动窗口需要天数 / a rolling window needs rolling_days"
    if unit is not None and not errors:
        far = dt.date.max
        overlap = db.session.scalar(select(FrequencyRule.id).where(
            FrequencyRule.org_unit_id == unit.id, FrequencyRule.role == data["role"],
            FrequencyRule.grid_level.is_(None) if data.get("grid_level") is None
            else FrequencyRule.grid_level == data["grid_level"],
            FrequencyRule.valid_from <= (data.get("valid_to") or far),
            or_(FrequencyRule.valid_to.is_(None), FrequencyRule.valid_to >= data["valid_from"])))
        if overlap:
            errors["valid_from"] = (f"与本级已有规则（#{overlap}）的有效期重叠 / overlaps the dates of rule #{overlap} "
                                    "at this scope")
    if errors:
        raise ApiError("rule.invalid", 422, errors=errors)
    rule = FrequencyRule(**data)
    db.session.add(rule)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return rule
