"""Console pages of the month: the assessment, its lock, the payroll files, the spot-check sample."""
from __future__ import annotations

import datetime as dt

from flask import abort, g, redirect, render_template, request, url_for

from shared_models.clock import local_today
from shared_models.enums import Role

from ..assessment import service as assessment_service
from ..assessment import signoff
from ..grids.scope import scope_unit
from ..transaction import unit_of_work
from . import data, forms
from .access import MANAGERS, bp, signed_in


def last_month() -> str:
    return (local_today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def _month(period: str, show):
    """``show(period)`` for a month the assessment accepts (``YYYY-MM``, years 1900 to 2999), else the
    refusal in Chinese (422), as the API answers it."""
    def checked():
        assessment_service.check_period(period)
        return show(period)

    return forms.attempt(checked)


@bp.get("/assessment")
@signed_in(*MANAGERS)
def assessment():
    """The month: every inspector's score and pay, with each window and item on demand."""
    period = request.args.get("period") or last_month()
    done = _month(period, lambda p: assessment_service.view(scope_unit(g.user), p))
    if done.error:
        return forms.refused(done)
    unit = scope_unit(g.user)
    return render_template("console/assessment.html", result=done.value, period=period,
                           signoffs=signoff.status(unit, period), my_township=unit if unit.level == "township"
                           else None, ended=period < local_today().strftime("%Y-%m"))


@bp.post("/assessment/signoff")
@signed_in(*MANAGERS)
def sign_off():
    """A township's supervisor confirms the month, with comments (the county's admin sees who has not)."""
    period = request.form.get("period", "")
    done = _month(period, lambda p: signoff.sign_off(g.user, scope_unit(g.user), p, request.form.get("comment", "")))
    if done.error:
        return forms.refused(done)
    return redirect(url_for("console.assessment", period=period))


@bp.get("/assessment/annual.xlsx")
@signed_in(*MANAGERS)
def annual_file():
    year = request.args.get("year", "")
    if not (year.isdigit() and len(year) == 4):
        abort(404)
    with unit_of_work():
        made = signoff.annual_file(scope_unit(g.user), int(year), g.user)
    return made.response()


@bp.post("/assessment/lock")
@signed_in(Role.ADMIN)
def lock_month():
    period = request.form.get("period", "")
    done = _month(period, lambda p: assessment_service.lock(g.user, scope_unit(g.user), p))
    if done.error:
        return forms.refused(done)
    return redirect(url_for("console.assessment", period=period))


@bp.get("/assessment/payroll.<any(csv, xlsx):fmt>")
@signed_in(Role.ADMIN)
def payroll_file(fmt):
    period = request.args.get("period", "")
    done = _month(period, lambda p: assessment_service.payroll_for(g.user, scope_unit(g.user), p, fmt))
    if done.error:
        return forms.refused(done)
    return done.value.response()


@bp.get("/spotcheck")
@signed_in(*MANAGERS)
def spotcheck():
    """The month's random spot-check (抽查) of valid patrols: the same sample on every visit."""
    period = request.args.get("period") or last_month()
    done = _month(period, lambda p: data.spot_check(g.user, p))
    if done.error:
        return forms.refused(done)
    sample, total = done.value
    return render_template("console/spotcheck.html", sample=sample, total=total, period=period)
