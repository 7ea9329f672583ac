"""Console page of grids and segments in scope; administrators correct names (codes and shapes come
by import)."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from shared_models.enums import Role

from ..errors import ApiError
from ..extensions import db
from ..grids import service as grid_service
from ..grids.models import OrgUnit, RiverSegment
from ..grids.scope import scope_path
from . import forms
from .access import MANAGERS, bp, signed_in


@bp.route("/grids", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def grids():
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(scope_path(g.user), autoescape=True))
    if request.method == "POST":
        if not g.user.holds(Role.ADMIN):
            abort(403)
        outcome = forms.attempt(lambda: grid_service.rename(g.user, **forms.load(forms.GridRenameForm(), request.form)))
        if outcome.error:
            return forms.refused(outcome)
        return redirect(url_for("console.grids"))
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(under)).order_by(OrgUnit.path)).all()
    segments = db.session.scalars(select(RiverSegment).where(RiverSegment.grid_id.in_(under))
                                  .order_by(RiverSegment.code)).all()
    return render_template("console/grids.html", units=units, segments=segments)


@bp.route("/grids/import", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def grid_import():
    """Import grids or segments from a file: a preview first (nothing written), then the import."""
    from ..grids import uploads

    result, error, token, kind = None, None, None, request.form.get("kind", "grids")
    if request.method == "POST":
        if kind not in uploads.KINDS:
            abort(400)
        try:
            if request.form.get("token"):
                result = uploads.confirm(g.user, kind, request.form["token"])
                return render_template("console/import.html", result=result, done=True, kind=kind)
            upload = request.files.get("file")
            result, token = uploads.preview(g.user, kind, upload and upload.filename, upload and upload.read())
        except uploads.UnknownPreview:
            abort(400)
        except ApiError as exc:
            error = {"items": exc.errors or [], "count": exc.extra.get("error_count", len(exc.errors or []))}
    return render_template("console/import.html", result=result, error=error, token=token, kind=kind,
                           done=False), 422 if error else 200
