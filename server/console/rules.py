"""Console page of frequency rules: an admin drafts one, sees what it would have changed on last
month's data, then saves it (it takes over at its scope from its first day, in one transaction)."""
from __future__ import annotations

import datetime as dt

from flask import abort, g, redirect, render_template, request, url_for

from shared_models.enums import Role

from ..assessment.service import assess
from ..extensions import db
from ..rules import service as rule_service
from ..rules.models import FrequencyRule, Plan
from ..rules.schemas import FrequencyRuleSchema
from . import forms
from .access import MANAGERS, bp, signed_in
from .assessment import last_month


@bp.route("/rules", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def rules():
    """Frequency rules over the caller's unit (set there, below or above it)."""
    period = last_month()
    outcome, preview = forms.Outcome(), None
    if request.method == "POST":
        if g.user.role != Role.ADMIN:
            abort(403)
        outcome = forms.attempt(forms.load, FrequencyRuleSchema(), request.form, split={"active_months": r"[,，\s]+"},
                                defaults={"org_unit_id": g.user.org_unit_id})
        if outcome.error is None:
            if "save" in request.form:
                outcome = forms.attempt(rule_service.replace_rule, g.user, outcome.value)
                if outcome.error is None:
                    return redirect(url_for("console.rules"))
            else:
                outcome = forms.attempt(data_preview, g.user, outcome.value, period)
                preview = outcome.value
    found = db.session.scalars(rule_service.rules_in_scope(g.user, FrequencyRule, inherited=True)).all()
    plans = db.session.scalars(rule_service.rules_in_scope(g.user, Plan, inherited=True)).all()
    return render_template("console/rules.html", rules=found, plans=plans, error=outcome.error, preview=preview,
                           draft=request.form, period=period), outcome.status


def data_preview(user, rule_data: dict, period: str) -> dict:
    """Last month assessed as it was and as it would be with the drafted rule (never saved)."""
    before = {x["inspector_id"]: x for x in assess(user.org_unit, period)["lines"]}
    savepoint = db.session.begin_nested()
    try:
        draft = dict(rule_data)
        draft["valid_from"] = min(draft["valid_from"], dt.date.fromisoformat(period + "-01"))
        draft["valid_to"] = None
        for old in rule_service.same_scope(FrequencyRule, draft):  # as if it had replaced them for that month
            old.valid_to = draft["valid_from"] - dt.timedelta(days=1)
            if old.valid_to < old.valid_from:
                db.session.delete(old)
        db.session.flush()
        rule_service.create_rule(user, draft)
        after = {x["inspector_id"]: x for x in assess(user.org_unit, period)["lines"]}
    finally:
        savepoint.rollback()
    rows = []
    for who, new in after.items():
        old = before.get(who)
        if old is None:
            continue
        changed = (old["metrics"]["required"], old["score"], old["amount_fen"]) != (
            new["metrics"]["required"], new["score"], new["amount_fen"])
        rows.append({"name": new["name"], "phone": new["phone"], "changed": changed,
                     "required": (old["metrics"]["required"], new["metrics"]["required"]),
                     "score": (old["score"], new["score"]), "amount": (old["amount_fen"], new["amount_fen"])})
    rows.sort(key=lambda r: (not r["changed"], r["name"]))
    return {"rows": rows, "changed": sum(r["changed"] for r in rows),
            "amount": (sum(r["amount"][0] for r in rows), sum(r["amount"][1] for r in rows))}
