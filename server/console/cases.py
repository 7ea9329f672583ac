"""Console pages of the case loop: the board, one case and its next step, the ledger (问题台账)."""
from __future__ import annotations

import datetime as dt

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..auth.models import User
from ..cases import service as case_service
from ..cases import workflow
from ..cases.schemas import TransitionSchema, problem_of
from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path, scope_unit
from . import forms
from .access import MANAGERS, bp, signed_in

ON_SITE = ("recheck_pass", "recheck_fail")  # steps whose evidence is the phone's position on site
MAX_PHOTOS = 6


@bp.get("/cases")
@signed_in(*MANAGERS)
def cases():
    """The case board: open cases by state, the overdue first, then by deadline."""
    found = case_service.search(g.user, {"limit": 1000})
    mine = [c for c in found if c.grid.path.startswith(scope_path(g.user))]
    columns = [(s, workflow.STATUS_LABELS[s], sorted([c for c in mine if c.status == s],
                                                     key=lambda c: (not c.overdue, c.deadline or dt.date.max)))
               for s in workflow.OPEN]
    done = [c for c in mine if c.status not in workflow.OPEN][:50]
    return render_template("console/cases.html", columns=columns, done=done, labels=workflow.STATUS_LABELS)


def _managed_case(case_no: str):
    try:
        found = case_service.get_case(g.user, case_no)
    except ApiError:
        abort(404)
    if workflow.MANAGER not in workflow.roles_of(g.user, found):
        abort(404)
    return found


@bp.route("/cases/<case_no>", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def case(case_no):
    """One case with its history; the next step through the API's own TransitionSchema."""
    found = _managed_case(case_no)
    outcome = forms.Outcome()
    if request.method == "POST":
        outcome = forms.attempt(lambda: workflow.transition(g.user, found, forms.load(TransitionSchema(),
                                                                                      request.form)))
        if outcome.error is None:
            return redirect(url_for("console.case", case_no=case_no))
    return _page(case_no, outcome)


@bp.post("/cases/<case_no>/rectify")
@signed_in(*MANAGERS)
def case_rectify(case_no):
    """整改完成 from the console: the after-photos come with the form (files), each through the photo checks,
    then the step; a refusal of either writes nothing."""
    from ..photos import service as photos

    found = _managed_case(case_no)
    files = [f for f in request.files.getlist("photos") if f.filename][:MAX_PHOTOS]

    def step():
        uuids = [photos.store_whole(g.user, f.read()).uuid for f in files]
        form = MultiDict([(k, v) for k, v in request.form.items(multi=True) if k != "action"] +
                         [("action", "rectify")] + [("photo_uuids", u) for u in uuids])
        return workflow.transition(g.user, found, forms.load(TransitionSchema(), form))

    outcome = forms.attempt(step)
    if outcome.error is None:
        return redirect(url_for("console.case", case_no=case_no))
    return _page(case_no, outcome)


def _page(case_no: str, outcome: forms.Outcome):
    """The case page: one form per step the user may take here, each with the fields it needs. A re-check is
    done on site with the phone (its position is the evidence), so the console says who is to do it."""
    found = _managed_case(case_no)
    allowed = workflow.allowed_actions(g.user, found)
    actions = [a for a in allowed if a not in ON_SITE]
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(scope_path(g.user), autoescape=True))
    people = db.session.scalars(select(User).where(User.org_unit_id.in_(under), User.active.is_(True))
                                .order_by(User.role, User.name)).all()
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(under), OrgUnit.level != "village")
                               .order_by(OrgUnit.path)).all()
    return render_template("console/case.html", case=found, problem=problem_of(found), actions=actions,
                           labels=workflow.ACTION_LABELS, status_labels=workflow.STATUS_LABELS, people=people,
                           units=units, max_photos=MAX_PHOTOS,
                           recheck_on_site=found.status == "rectified", error=outcome.error), outcome.status


@bp.get("/ledger.xlsx")
@signed_in(*MANAGERS)
def ledger_file():
    return case_service.ledger_file(scope_unit(g.user)).response()
