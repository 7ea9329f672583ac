"""The plans a county sets (scoring 考核评分, pay 补贴发放, case handling 问题处置): what a definition may
say, checked when it is saved; the metrics a scoring plan may name. How a month is scored and paid by
them is the assessment's (``server/assessment/scoring.py``).

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

# the metrics a scoring plan's items and vetoes may name (computed by the assessment engine)
METRICS = {
    "required": "应巡次数", "counted": "有效巡河次数", "missed_windows": "未达标周期数", "missed_patrols": "缺巡次数",
    "completion_rate": "频次完成率", "patrol_days": "巡河天数", "distance_km": "巡河里程(公里)",
    "problems_reported": "上报问题数", "rejected_patrols": "被驳回(虚假)巡河数", "pending_review": "待审核巡河数",
    "held_days": "在岗天数", "problems_closed": "发现问题已销号数", "cases_overdue": "负责案件超期数",
}

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
