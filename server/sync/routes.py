from flask_smorest import Blueprint

from shared_models.clock import local_today

from ..auth.decorators import BEARER, current_user, login_required
from . import service
from .schemas import ChangesArgs, ChangesSchema, PhoneCardsSchema

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="手机同步 What the phone pulls")


@blp.get("/me/cards")
@blp.response(200, PhoneCardsSchema)
@blp.doc(security=BEARER)
@login_required()
def my_cards():
    """我的责任卡 The caller's cards in force or upcoming, with geometry, for offline use"""
    today = local_today()
    return {"today": today, "cards": service.phone_cards(current_user(), today)}


@blp.get("/me/changes")
@blp.arguments(ChangesArgs, location="query")
@blp.response(200, ChangesSchema)
@blp.doc(security=BEARER)
@login_required()
def my_changes(args):
    """变更同步 What changed since the cursor: cards, the verdicts on my patrols, my re-check tasks"""
    return service.changes_since(current_user(), args.get("since"))
