"""Console page of grids and segments in scope; administrators correct names (codes and shapes come
by import)."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from shared_models.enums import Role

from ..extensions import db
from ..grids.models import OrgUnit, RiverSegment
from . import forms
from .views import MANAGERS, bp, signed_in


@bp.route("/grids", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def grids():
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(g.user.org_unit.path, autoescape=True))
    if request.method == "POST":
        if g.user.role != Role.ADMIN:
            abort(403)
        outcome = forms.attempt(forms.load, forms.GridRenameForm(), request.form)
        if outcome.error:
            return forms.refused(outcome)
        f = outcome.value
        model = OrgUnit if f["kind"] == "grid" else RiverSegment
        row = db.session.scalar(select(model).where(model.id == f["id"], (model.id if model is OrgUnit
                                                                           else model.grid_id).in_(under)))
        if row is None:
            abort(404)
        row.name = f["name"]
        db.session.commit()
        return redirect(url_for("console.grids"))
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(under)).order_by(OrgUnit.path)).all()
    segments = db.session.scalars(select(RiverSegment).where(RiverSegment.grid_id.in_(under))
                                  .order_by(RiverSegment.code)).all()
    return render_template("console/grids.html", units=units, segments=segments)
