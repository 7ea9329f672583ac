"""Console pages of responsibility cards: the list, issuing one, its PDF, a handover or an end."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from shared_models.clock import local_today
from shared_models.enums import DUTY_LABELS, ORG_LEVEL_LABELS, Role

from ..auth.models import User, holding
from ..cards import service as card_service
from ..cards.models import ResponsibilityCard
from ..cards.schemas import CardEndSchema, CardIssueSchema, CardRevisionSchema
from ..extensions import db
from ..grids.models import OrgUnit, RiverSegment
from ..grids.scope import scope_path
from . import forms
from .access import MANAGERS, bp, signed_in


@bp.route("/cards", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def cards():
    """Cards in scope with their printable PDF; administrators issue new ones here."""
    outcome = forms.Outcome()
    if request.method == "POST":
        if not g.user.holds(Role.ADMIN):
            abort(403)
        outcome = forms.attempt(lambda: card_service.issue_card(g.user, forms.load(
            CardIssueSchema(), request.form, split={"duties": r"[\r\n]+"})))
        if outcome.error is None:
            return redirect(url_for("console.cards", issued=outcome.value.id))
    found = db.session.scalars(card_service.cards_in_scope(g.user).order_by(ResponsibilityCard.id.desc())
                               .limit(300)).all()
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(scope_path(g.user), autoescape=True))
    people = db.session.scalars(select(User).where(holding(Role.INSPECTOR), User.active.is_(True),
                                                   User.org_unit_id.in_(under)).order_by(User.name)).all()
    grids = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(under), OrgUnit.level != "department")
                               .order_by(OrgUnit.code)).all()  # chiefs hold cards at a township or county too
    segments = db.session.scalars(select(RiverSegment).where(RiverSegment.grid_id.in_(under))
                                  .order_by(RiverSegment.code)).all()
    return render_template("console/cards.html", cards=found, people=people, grids=grids, segments=segments,
                           error=outcome.error, issued=request.args.get("issued") is not None,
                           today=local_today(), duties=DUTY_LABELS, levels=ORG_LEVEL_LABELS), outcome.status


@bp.get("/cards/<int:card_id>.pdf")
@signed_in(*MANAGERS)
def card_pdf(card_id):
    from ..cards.pdf import card_file

    card = db.session.scalar(card_service.cards_in_scope(g.user).where(ResponsibilityCard.id == card_id))
    if card is None:
        abort(404)
    return card_file(card).response()


@bp.post("/cards/<int:card_id>/<any(handover, end):what>")
@signed_in(Role.ADMIN)
def card_change(card_id, what):
    """Hand a card over to another inspector from a date, or end it (a person leaves): the API's schemas."""
    if what == "handover":
        def change():
            data = forms.load(CardRevisionSchema(), request.form, defaults={"reason": "交接"})
            return card_service.revise_card(g.user, card_id, data)
    else:
        def change():
            data = forms.load(CardEndSchema(), request.form, defaults={"reason": "终止"})
            return card_service.end_card(g.user, card_id, data["valid_to"], data["reason"])
    outcome = forms.attempt(change)
    if outcome.status == 404:
        abort(404)
    if outcome.error:
        return forms.refused(outcome)
    return redirect(url_for("console.cards"))
