"""How a month is scored and paid under a county's plans (their definitions: ``server/rules/plans.py``).

Money is in yuan in the definitions, in fen (integers) in results.
"""
from __future__ import annotations

from ..rules.plans import METRICS, PERIOD_LABELS, PERIOD_MONTHS


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
