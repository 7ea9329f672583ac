"""Scoring plans (考核评分) and pay plans (补贴发放): their definitions and how a month is scored and paid.

A scoring plan::

    {"base": 100, "floor": 0, "ceiling": 100,
     "items": [{"label": "缺巡", "metric": "missed_patrols", "points_each": -5, "cap": 40},
               {"label": "频次完成率", "metric": "completion_rate", "bands": [[0, -10], [0.5, 0], [1, 12]]}],
     "veto": [{"label": "虚假巡河", "metric": "rejected_patrols", "score": 0}],
     "tiers": [{"code": "excellent", "label": "优秀", "min": 90}, {"code": "pass", "label": "合格", "min": 80},
               {"code": "fail", "label": "不合格", "min": null}]}

``points_each`` items add points per unit of the metric, at most ``cap`` points either way;
``bands`` items give the points of the highest threshold the metric reaches. A veto item
that is met sets the score (and so the tier). A pay plan::

    {"base": 600, "tier_bonus": {"excellent": 200, "pass": 100}, "per_point": 0, "per_km": 0,
     "dismissal_below": null, "min_amount": null, "max_amount": null, "period": "month"}

Money is in yuan in the definitions, in fen (integers) in results.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .engine import METRICS

METRIC_NAMES = list(METRICS)
PERIOD_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
PERIOD_LABELS = {"month": "月", "quarter": "季度", "half_year": "半年", "year": "年"}


class ItemSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=50))
    metric = fields.String(required=True, validate=validate.OneOf(METRIC_NAMES))
    points_each = fields.Float(load_default=None, allow_none=True)
    cap = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))
    bands = fields.List(fields.Tuple((fields.Float(), fields.Float())), load_default=None, allow_none=True)

    @validates_schema
    def one_kind(self, data, **_):
        if (data.get("points_each") is None) == (data.get("bands") is None):
            raise ValidationError("每项需要 points_each 或 bands 之一 / give points_each or bands", "items")
        if data.get("bands") is not None:
            lows = [b[0] for b in data["bands"]]
            if not lows or lows != sorted(lows):
                raise ValidationError("分档阈值须从小到大 / band thresholds must ascend", "bands")


class VetoSchema(Schema):
    label = fields.String(required=True)
    metric = fields.String(required=True, validate=validate.OneOf(METRIC_NAMES))
    at_least = fields.Float(load_default=1)
    score = fields.Float(load_default=0)


class TierSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    label = fields.String(required=True)
    min = fields.Float(allow_none=True, load_default=None)


class ScoringDefinition(Schema):
    base = fields.Float(required=True)
    floor = fields.Float(load_default=0, allow_none=True)
    ceiling = fields.Float(load_default=None, allow_none=True)
    items = fields.List(fields.Nested(ItemSchema), load_default=list)
    veto = fields.List(fields.Nested(VetoSchema), load_default=list)
    tiers = fields.List(fields.Nested(TierSchema), load_default=list)

    @validates_schema
    def tiers_descend(self, data, **_):
        mins = [t["min"] for t in data.get("tiers", [])]
        if mins and (mins[-1] is not None or any(m is None for m in mins[:-1])
                     or mins[:-1] != sorted(mins[:-1], reverse=True)):
            raise ValidationError("等次须按分数从高到低，最后一档 min 为空 / tiers must descend, the last with "
                                  "min null", "tiers")


class PayDefinition(Schema):
    base = fields.Float(load_default=0, validate=validate.Range(min=0))
    tier_bonus = fields.Dict(keys=fields.String(), values=fields.Float(), load_default=dict)
    per_point = fields.Float(load_default=0)
    per_km = fields.Float(load_default=0)
    dismissal_below = fields.Float(load_default=None, allow_none=True)
    min_amount = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))
    max_amount = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))
    period = fields.String(load_default="month", validate=validate.OneOf(list(PERIOD_MONTHS)))
    prorate = fields.Boolean(load_default=True)  # by days held and not on leave


class EscalationStepSchema(Schema):
    after_working_days = fields.Integer(required=True, validate=validate.Range(min=1, max=100))
    label = fields.String(required=True, validate=validate.Length(min=1, max=50))


class CaseDefinition(Schema):
    """A county's case policy (问题处置): deadlines by severity, duplicate detection, escalation steps."""

    deadline_days = fields.Dict(keys=fields.String(validate=validate.OneOf(["general", "serious", "major"])),
                                values=fields.Integer(validate=validate.Range(min=1, max=365)),
                                load_default=lambda: {"general": 10, "serious": 5, "major": 3})
    duplicate_radius_m = fields.Float(load_default=50, validate=validate.Range(min=0, max=5000))
    duplicate_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=365))
    escalation = fields.List(fields.Nested(EscalationStepSchema), load_default=lambda: [
        {"after_working_days": 1, "label": "乡镇督办"}, {"after_working_days": 5, "label": "县级督办"}])

    @validates_schema
    def complete_and_ascending(self, data, **_):
        if set(data.get("deadline_days", {})) != {"general", "serious", "major"}:
            raise ValidationError("须给出一般、较严重、重大三档期限 / give all three severities", "deadline_days")
        steps = [s["after_working_days"] for s in data.get("escalation", [])]
        if steps != sorted(set(steps)):
            raise ValidationError("督办级别须按天数递增 / escalation steps must ascend", "escalation")


DEFINITIONS = {"scoring": ScoringDefinition, "pay": PayDefinition, "case": CaseDefinition}


def _fmt(x: float) -> str:
    return f"{x:g}"


def score(plan: dict, metrics: dict) -> dict:
    """One person's score under a plan: every item with its points and why."""
    total = plan["base"]
    items = [{"label": "基础分", "points": plan["base"], "why": f"基础分 {_fmt(plan['base'])}"}]
    for item in plan.get("items", []):
        value = metrics.get(item["metric"]) or 0
        name = METRICS[item["metric"]]
        if item.get("bands") is not None:
            reached = [b for b in item["bands"] if value >= b[0]]
            points = reached[-1][1] if reached else 0
            why = f"{name} {_fmt(round(value, 4))}" + (f" ≥ {_fmt(reached[-1][0])}" if reached else "") + \
                  f" → {_fmt(points)} 分"
        else:
            points = item["points_each"] * value
            why = f"{name} {_fmt(value)} × {_fmt(item['points_each'])} 分"
            if item.get("cap") is not None and abs(points) > item["cap"]:
                points = item["cap"] if points > 0 else -item["cap"]
                why += f"，封顶 {_fmt(item['cap'])} 分"
        total += points
        items.append({"label": item["label"], "metric": item["metric"], "value": value, "points": points, "why": why})
    if plan.get("floor") is not None and total < plan["floor"]:
        items.append({"label": "保底", "points": plan["floor"] - total, "why": f"不低于 {_fmt(plan['floor'])} 分"})
        total = plan["floor"]
    if plan.get("ceiling") is not None and total > plan["ceiling"]:
        items.append({"label": "封顶", "points": plan["ceiling"] - total, "why": f"不高于 {_fmt(plan['ceiling'])} 分"})
        total = plan["ceiling"]
    vetoed = None
    for veto in plan.get("veto", []):
        value = metrics.get(veto["metric"]) or 0
        if value >= veto["at_least"]:
            vetoed = veto
            items.append({"label": f"一票否决：{veto['label']}", "metric": veto["metric"], "value": value,
                          "points": veto["score"] - total,
                          "why": f"{METRICS[veto['metric']]} {_fmt(value)}，得分计为 {_fmt(veto['score'])}"})
            total = veto["score"]
            break
    tier = None
    for t in plan.get("tiers", []):
        if t["min"] is None or total >= t["min"]:
            tier = t
            break
    return {"score": round(total, 2), "tier": tier["code"] if tier else None,
            "tier_label": tier["label"] if tier else None, "items": items, "veto": vetoed["label"] if vetoed else None}


def pay(plan: dict, scored: dict | None, length_m: float, share: float) -> dict:
    """One person's amount in fen, with its lines; ``share`` is the part of the month held."""
    lines, total = [], 0.0
    unit = PERIOD_LABELS[plan.get("period", "month")]
    if plan["base"]:
        lines.append({"label": "基本补贴", "yuan": plan["base"], "why": f"{_fmt(plan['base'])} 元/{unit}"})
        total += plan["base"]
    if scored is not None and scored["tier"] is not None and plan["tier_bonus"]:
        bonus = plan["tier_bonus"].get(scored["tier"], 0)
        lines.append({"label": "等次奖励", "yuan": bonus, "why": f"{scored['tier_label']} {_fmt(bonus)} 元"})
        total += bonus
    if scored is not None and plan["per_point"]:
        amount = plan["per_point"] * scored["score"]
        lines.append({"label": "按分计发", "yuan": amount,
                      "why": f"{_fmt(scored['score'])} 分 × {_fmt(plan['per_point'])} 元/分"})
        total += amount
    if plan["per_km"]:
        amount = plan["per_km"] * length_m / 1000
        lines.append({"label": "按河长计发", "yuan": round(amount, 2),
                      "why": f"{length_m / 1000:.2f} 公里 × {_fmt(plan['per_km'])} 元/公里"})
        total += amount
    for bound, label, sign in (("min_amount", "保底", 1), ("max_amount", "封顶", -1)):
        if plan.get(bound) is not None and sign * (plan[bound] - total) > 0:
            lines.append({"label": f"{label}金额", "yuan": round(plan[bound] - total, 2),
                          "why": f"{label} {_fmt(plan[bound])} 元/{unit}"})
            total = plan[bound]
    months = PERIOD_MONTHS[plan.get("period", "month")]
    if months > 1:
        lines.append({"label": "按月计提", "yuan": round(total / months - total, 2),
                      "why": f"每{unit} {total:.2f} 元，本月计提 1/{months}"})
        total /= months
    if plan.get("prorate", True) and share < 1:
        lines.append({"label": "按在岗天数折算", "yuan": round(total * share - total, 2),
                      "why": f"在岗比例 {share:.4f}"})
        total *= share
    dismissal = (scored is not None and plan.get("dismissal_below") is not None
                 and scored["score"] < plan["dismissal_below"])
    return {"amount_fen": int(round(total * 100)), "lines": lines, "dismissal": dismissal,
            "dismissal_why": f"得分低于 {_fmt(plan['dismissal_below'])} 分，建议解聘" if dismissal else None}
