from flask_smorest import Blueprint
from sqlalchemy import or_

from shared_models.enums import Role

from ..auth.decorators import BEARER, current_user, login_required
from ..extensions import db
from ..grids.scope import get_or_404
from ..transaction import unit_of_work
from . import service
from .models import ResponsibilityCard
from .schemas import CardEndSchema, CardIssueSchema, CardListArgs, CardRevisionSchema, CardSchema

blp = Blueprint("cards", __name__, url_prefix="/api/v1", description="责任卡 Responsibility cards")


_with_names = service.with_path_names


@blp.get("/cards")
@blp.arguments(CardListArgs, location="query")
@blp.response(200, CardSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_cards(args):
    """责任卡列表 Card versions in the caller's scope"""
    q = service.cards_in_scope(current_user())
    if "inspector_id" in args:
        q = q.where(ResponsibilityCard.inspector_id == args["inspector_id"])
    if "grid_id" in args:
        q = q.where(ResponsibilityCard.grid_id == args["grid_id"])
    if "on" in args:
        day = args["on"]
        q = q.where(ResponsibilityCard.valid_from <= day,
                    or_(ResponsibilityCard.valid_to.is_(None), ResponsibilityCard.valid_to >= day))
    return [_with_names(c) for c in db.session.scalars(q)]


@blp.get("/cards/<int:card_id>")
@blp.response(200, CardSchema)
@blp.doc(security=BEARER)
@login_required()
def get_card(card_id):
    """责任卡详情 One card version"""
    return _with_names(get_or_404(service.cards_in_scope(current_user()), card_id))


@blp.get("/cards/<int:card_id>/card.pdf")
@blp.doc(security=BEARER, responses={"200": {"content": {"application/pdf": {}}}})
@login_required()
def card_pdf(card_id):
    """打印责任卡 The printable card as PDF (Chinese font embedded, QR code of the card)"""
    from .pdf import card_file

    return card_file(get_or_404(service.cards_in_scope(current_user()), card_id)).response()


@blp.post("/cards")
@blp.arguments(CardIssueSchema)
@blp.response(201, CardSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def issue_card(data):
    """发放责任卡 Issue a new card"""
    with unit_of_work():
        card = service.issue_card(current_user(), data)
    return _with_names(card)


@blp.post("/cards/<int:card_id>/revisions")
@blp.arguments(CardRevisionSchema)
@blp.response(201, CardSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def revise_card(data, card_id):
    """变更责任卡 Start a new version from a date (e.g. a hand-over)"""
    with unit_of_work():
        card = service.revise_card(current_user(), card_id, data)
    return _with_names(card)


@blp.post("/cards/<int:card_id>/end")
@blp.arguments(CardEndSchema)
@blp.response(200, CardSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def end_card(data, card_id):
    """终止责任卡 End a card on a date"""
    with unit_of_work():
        card = service.end_card(current_user(), card_id, data["valid_to"], data["reason"])
    return _with_names(card)
