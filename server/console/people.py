"""Console pages of people: the list with the roles each holds; administrators add people, set their roles (each
at an org unit), reset passwords, deactivate (nobody is deleted) through the API's own schemas."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from shared_models.enums import ROLE_LABELS, ROLE_PRECEDENCE, Role

from ..auth import users as people
from ..auth.models import User
from ..auth.schemas import ActiveSchema, PasswordResetSchema, RolesSchema, UserCreateSchema
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path
from . import forms
from .access import MANAGERS, bp, signed_in

LABELS = {"name": "姓名", "org_unit_id": "所属"}


@bp.route("/users", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def users():
    outcome = forms.Outcome()
    if request.method == "POST":
        if not g.user.holds(Role.ADMIN):
            abort(403)
        outcome = forms.attempt(lambda: people.create_user(g.user, **forms.load(UserCreateSchema(), request.form)),
                                labels=LABELS)
        if outcome.error is None:
            return redirect(url_for("console.users"))
    found = db.session.scalars(people.users_in_scope(g.user)).all()
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(scope_path(g.user), autoescape=True))
                               .order_by(OrgUnit.path)).all()
    return render_template("console/users.html", users=found, units=units, error=outcome.error,
                           roles=[(r.value, ROLE_LABELS[r][0]) for r in ROLE_PRECEDENCE]), outcome.status


@bp.post("/users/<int:user_id>/roles")
@signed_in(Role.ADMIN)
def user_roles(user_id):
    """The form holds, per role, a box ``role_<role>`` and the unit ``unit_<role>`` it is held at."""
    person = db.session.scalar(people.users_in_scope(g.user).where(User.id == user_id))
    if person is None:
        abort(404)
    wanted = [{"role": r.value, "org_unit_id": request.form.get(f"unit_{r.value}", "")}
              for r in ROLE_PRECEDENCE if request.form.get(f"role_{r.value}")]
    outcome = forms.attempt(lambda: people.set_roles(g.user, person, RolesSchema().load({"roles": wanted})["roles"]))
    if outcome.error:
        return forms.refused(outcome)
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/<any(password, active):what>")
@signed_in(Role.ADMIN)
def user_change(user_id, what):
    person = db.session.scalar(people.users_in_scope(g.user).where(User.id == user_id))
    if person is None:
        abort(404)
    if what == "password":
        outcome = forms.attempt(lambda: people.reset_password(
            g.user, person, forms.load(PasswordResetSchema(), request.form)["password"]))
    else:
        outcome = forms.attempt(lambda: people.set_active(
            g.user, person, forms.load(ActiveSchema(), request.form)["active"]))
    if outcome.error:
        return forms.refused(outcome)
    return redirect(url_for("console.users"))
