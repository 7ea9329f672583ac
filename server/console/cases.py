"""Console pages of the case loop: the board, one case and its next step, the ledger (问题台账)."""
from __future__ import annotations

import datetime as dt

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

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
        found = _managed_case(case_no)
    roles = workflow.roles_of(g.user, found)
    actions = [a for a, step in workflow.STEPS.items() if found.status in step.sources and roles & set(step.who)]
    people = db.session.scalars(select(User).where(User.org_unit_id.in_(
        select(OrgUnit.id).where(OrgUnit.path.startswith(scope_path(g.user), autoescape=True))),
        User.active.is_(True)).order_by(User.role, User.name)).all()
    return render_template("console/case.html", case=found, problem=problem_of(found), actions=actions,
                           labels=workflow.ACTION_LABELS, status_labels=workflow.STATUS_LABELS, people=people,
                           error=outcome.error), outcome.status


@bp.get("/ledger.xlsx")
@signed_in(*MANAGERS)
def ledger_file():
    return case_service.ledger_file(scope_unit(g.user)).response()
