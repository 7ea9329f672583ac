"""Console pages of the case loop: the board, one case and its next step, the ledger (问题台账), the overdue cases
and the month's 通报 of overdue units."""
from __future__ import annotations

import datetime as dt

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from shared_models.clock import local_today

from ..auth.models import User
from ..cases import briefing, workflow
from ..cases import service as case_service
from ..cases.schemas import TransitionSchema, problem_of
from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path, scope_unit
from ..grids.service import county_of
from ..transaction import unit_of_work
from . import forms
from .access import CONSOLE_USERS, MANAGERS, bp, signed_in

ON_SITE = ("recheck_pass", "recheck_fail")  # steps whose evidence is the phone's position on site
MAX_PHOTOS = 6


@bp.get("/cases")
@signed_in(*CONSOLE_USERS)
def cases():
    """The case board: open cases by state, the overdue first, then by deadline (a manager's: their grids'; a
    department's staff: those assigned to their unit)."""
    path = scope_path(g.user)
    if path is not None:
        mine = [c for c in case_service.search(g.user, {"limit": 1000}) if c.grid.path.startswith(path)]
    else:
        mine = case_service.search(g.user, {"limit": 1000, "mine": True})
    columns = [(s, workflow.STATUS_LABELS[s], sorted([c for c in mine if c.status == s],
                                                     key=lambda c: (not c.overdue, c.deadline or dt.date.max)))
               for s in workflow.OPEN]
    done = [c for c in mine if c.status not in workflow.OPEN][:50]
    return render_template("console/cases.html", columns=columns, done=done, labels=workflow.STATUS_LABELS)


def _managed_case(case_no: str):
    """A case the user manages or must fix (its assignee, in person or for their unit); else 404."""
    found = _theirs(case_no)
    if found is None:
        abort(404)
    return found


def _theirs(case_no: str):
    try:
        found = case_service.get_case(g.user, case_no)
    except ApiError:
        return None
    return found if {workflow.MANAGER, workflow.ASSIGNEE} & workflow.roles_of(g.user, found) else None


def _after(case_no: str):
    """Back to the case, or to the board when the step gave it away (退回, 转办)."""
    return redirect(url_for("console.case", case_no=case_no) if _theirs(case_no) else url_for("console.cases"))


@bp.route("/cases/<case_no>", methods=["GET", "POST"])
@signed_in(*CONSOLE_USERS)
def case(case_no):
    """One case with its history; the next step through the API's own TransitionSchema."""
    found = _managed_case(case_no)
    outcome = forms.Outcome()
    if request.method == "POST":
        outcome = forms.attempt(lambda: workflow.transition(g.user, found, forms.load(TransitionSchema(),
                                                                                      request.form)))
        if outcome.error is None:
            return _after(case_no)
    return _page(case_no, outcome)


@bp.post("/cases/<case_no>/rectify")
@signed_in(*CONSOLE_USERS)
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
        return _after(case_no)
    return _page(case_no, outcome)


@bp.get("/cases/<case_no>/notices/<int:notice_id>.pdf")
@signed_in(*CONSOLE_USERS)
def case_notice(case_no, notice_id):
    """A 督办单 of the case, to print."""
    from ..cases import notices

    try:
        return notices.pdf_file(notices.one(_managed_case(case_no), notice_id)).response()
    except ApiError:
        abort(404)


def _page(case_no: str, outcome: forms.Outcome):
    """The case page: one form per step the user may take here, each with the fields it needs. A re-check is
    done on site with the phone (its position is the evidence), so the console says who is to do it."""
    from ..cases import notices

    found = _managed_case(case_no)
    allowed = workflow.allowed_actions(g.user, found)
    actions = [a for a in allowed if a not in ON_SITE]
    county = county_of(found.grid)  # whom a case can go to: people and units (townships, departments) of the county
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(scope_path(g.user) or county.path, autoescape=True))
    people = db.session.scalars(select(User).where(User.org_unit_id.in_(under), User.active.is_(True))
                                .order_by(User.role, User.name)).all() if "assign" in allowed else []
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(county.path, autoescape=True),
                                                     OrgUnit.level != "village", OrgUnit.id != found.assignee_unit_id)
                               .order_by(OrgUnit.path)).all()
    return render_template("console/case.html", case=found, problem=problem_of(found), actions=actions,
                           labels=workflow.ACTION_LABELS, status_labels=workflow.STATUS_LABELS, people=people,
                           units=units, max_photos=MAX_PHOTOS, notices=notices.of_case(found),
                           recheck_on_site=found.status == "rectified", error=outcome.error), outcome.status


@bp.get("/ledger.xlsx")
@signed_in(*MANAGERS)
def ledger_file():
    with unit_of_work():
        made = case_service.ledger_file(scope_unit(g.user), actor=g.user)
    return made.response()


@bp.get("/cases/overdue")
@signed_in(*MANAGERS)
def overdue():
    """逾期案件 now, and a month's 通报 of overdue units (this month by default), with its XLSX."""
    unit = scope_unit(g.user)
    today = local_today()
    period = request.args.get("period") or today.strftime("%Y-%m")
    try:
        first, last = briefing.month_of(period)
    except ApiError:
        abort(404)
    return render_template("console/overdue.html", overdue=briefing.overdue_now(unit, today), period=period,
                           briefing=briefing.month_briefing(unit, first, last, today))


@bp.get("/cases/overdue-briefing-<period>.xlsx")
@signed_in(*MANAGERS)
def overdue_file(period):
    unit = scope_unit(g.user)
    try:
        first, last = briefing.month_of(period)
    except ApiError:
        abort(404)
    return briefing.briefing_file(briefing.month_briefing(unit, first, last), period,
                                  briefing.overdue_now(unit)).response()
