"""Console page of frequency rules: an admin drafts one, sees what it would have changed on last
month's data, then saves it (it takes over at its scope from its first day, in one transaction)."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

from shared_models.enums import Role

from ..assessment.whatif import rule_preview
from ..extensions import db
from ..grids.scope import scope_unit
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
        if not g.user.holds(Role.ADMIN):
            abort(403)
        outcome = forms.attempt(forms.load, FrequencyRuleSchema(), request.form, split={"active_months": r"[,，\s]+"},
                                defaults={"org_unit_id": scope_unit(g.user).id})
        if outcome.error is None:
            if "save" in request.form:
                outcome = forms.attempt(rule_service.replace_rule, g.user, outcome.value)
                if outcome.error is None:
                    return redirect(url_for("console.rules"))
            else:
                outcome = forms.attempt(rule_preview, g.user, outcome.value, period)
                preview = outcome.value
    found = db.session.scalars(rule_service.rules_in_scope(g.user, FrequencyRule, inherited=True)).all()
    plans = db.session.scalars(rule_service.rules_in_scope(g.user, Plan, inherited=True)).all()
    return render_template("console/rules.html", rules=found, plans=plans, error=outcome.error, preview=preview,
                           draft=request.form, period=period), outcome.status
