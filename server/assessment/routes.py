from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from shared_models.enums import Role

from ..auth.decorators import BEARER, current_user, login_required
from ..errors import ApiError, NotFound
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path, scope_unit
from ..schemas import Int
from ..transaction import unit_of_work
from ..xlsx import MIME
from . import service, signoff
from .models import AssessmentCorrection, AssessmentLock

blp = Blueprint("assessment", __name__, url_prefix="/api/v1", description="考核与补贴 Assessment and pay")


class ScopeArgs(Schema):
    org_unit_id = Int(metadata={"description": "default: the caller's own org unit"})


class PayrollArgs(ScopeArgs):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class AssessmentSchema(Schema):
    period = fields.String()
    status = fields.String(metadata={"description": "preview (live, may change) | locked (a snapshot)"})
    org_unit_id = Int()
    org_unit = fields.String()
    locked_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Raw(), metadata={"description": "per inspector: metrics, windows, items, pay"})
    totals = fields.Raw()
    rules = fields.Raw(metadata={"description": "every rule and plan used, as they read"})


class CorrectionSchema(Schema):
    id = Int()
    inspector_id = Int()
    source = fields.String()
    status = fields.String()
    reason = fields.String()
    author_id = Int(allow_none=True)
    created_at = fields.DateTime()
    decided_by_id = Int(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String()
    before = fields.Raw()
    after = fields.Function(lambda c: {k: v for k, v in c.after.items() if k != "line"})
    patrol_uuid = fields.Function(lambda c: c.patrol.uuid if c.patrol is not None else None)


class ManualCorrectionSchema(Schema):
    inspector_id = Int(required=True)
    score = fields.Float(allow_none=True, load_default=None)
    tier = fields.String(allow_none=True, load_default=None)
    amount_fen = Int(allow_none=True, load_default=None, validate=validate.Range(min=0))
    dismissal = fields.Boolean(allow_none=True, load_default=None)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=1000))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["apply", "dismiss"]))
    note = fields.String(required=True, validate=validate.Length(min=2, max=1000))


class LockArgs(Schema):
    org_unit_id = Int(load_default=None)


def _unit(unit_id: int | None) -> OrgUnit:
    user = current_user()
    unit = scope_unit(user) if unit_id is None else db.session.get(OrgUnit, unit_id)
    if unit is None or not unit.path.startswith(scope_path(user)):
        raise NotFound()
    return unit


def _lock(period: str, unit: OrgUnit) -> AssessmentLock:
    service.check_period(period)
    snapshot = service.lock_over(unit, period)
    if snapshot is None:
        raise ApiError("assessment.not_locked", 409, period=period)
    return snapshot


@blp.get("/assessments/<string:period>")
@blp.arguments(ScopeArgs, location="query")
@blp.response(200, AssessmentSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def get_assessment(args, period):
    """月度考核 A month's scores and pay with every line's reasons: locked snapshot, or a live preview"""
    return service.view(_unit(args.get("org_unit_id")), period)


@blp.get("/me/assessments/<string:period>")
@blp.response(200, AssessmentSchema)
@blp.doc(security=BEARER)
@login_required()
def my_assessment(period):
    """我的考核 One's own month: score, tier, amount and why"""
    user = current_user()
    root = db.session.scalar(select(OrgUnit).where(OrgUnit.code == user.org_unit.ancestor_codes[0]))
    result = service.view(root, period)
    result["lines"] = [x for x in result["lines"] if x.get("inspector_id") == user.id]
    result["totals"] = service.totals(result["lines"])
    result["rules"] = None
    return result


@blp.post("/assessments/<string:period>/lock")
@blp.arguments(LockArgs)
@blp.response(201, AssessmentSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def lock_assessment(data, period):
    """锁定考核月 Lock a finished month as an immutable snapshot (with the rule versions used)"""
    unit = _unit(data.get("org_unit_id"))
    with unit_of_work():
        service.lock(current_user(), unit, period)
    return service.view(unit, period)


@blp.get("/assessments/<string:period>/payroll")
@blp.arguments(PayrollArgs, location="query")
@blp.doc(security=BEARER, responses={"200": {"content": {"text/csv": {}, MIME: {}}}})
@login_required(Role.ADMIN)
def export_payroll(args, period):
    """补贴发放表 Payroll with Chinese headers and township totals, as CSV or XLSX"""
    with unit_of_work():
        made = service.payroll_for(current_user(), _unit(args.get("org_unit_id")), period, args["format"])
    return made.response()


@blp.get("/assessments/<string:period>/corrections")
@blp.arguments(ScopeArgs, location="query")
@blp.response(200, CorrectionSchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def list_corrections(args, period):
    """考核更正 Proposed and decided corrections of a locked month"""
    unit = _unit(args.get("org_unit_id"))
    snapshot = _lock(period, unit)
    from ..auth.models import User

    return db.session.scalars(
        select(AssessmentCorrection).join(User, User.id == AssessmentCorrection.inspector_id)
        .where(AssessmentCorrection.lock_id == snapshot.id,
               User.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))))
        .order_by(AssessmentCorrection.id)).all()


@blp.post("/assessments/<string:period>/corrections")
@blp.arguments(ManualCorrectionSchema)
@blp.response(201, CorrectionSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def add_correction(data, period):
    """更正已锁定的考核 An admin's correction with its reason, applied and kept for audit"""
    user = current_user()
    snapshot = _lock(period, scope_unit(user))
    with unit_of_work():
        return service.manual(user, snapshot, data["inspector_id"], data)


@blp.post("/assessments/corrections/<int:correction_id>/decision")
@blp.arguments(DecisionSchema)
@blp.response(200, CorrectionSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def decide_correction(data, correction_id):
    """处理更正 Apply or dismiss a proposed correction (a late patrol, a review)"""
    user = current_user()
    correction = db.session.get(AssessmentCorrection, correction_id)
    if correction is None or not correction.lock.org_unit.path.startswith(scope_path(user)):
        raise NotFound()
    with unit_of_work():
        return service.decide(user, correction, data["decision"], data["note"])



class SignoffSchema(Schema):
    org_unit_id = Int(metadata={"description": "the township; default: the one the caller supervises"})
    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class SignoffStatusSchema(Schema):
    org_unit_id = Int()
    township = fields.String()
    signed = fields.Boolean()
    signed_at = fields.DateTime(allow_none=True)
    signed_by = fields.String(allow_none=True)
    comment = fields.String()


class AnnualArgs(ScopeArgs):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xlsx"]))


@blp.get("/assessments/<string:period>/signoffs")
@blp.arguments(ScopeArgs, location="query")
@blp.response(200, SignoffStatusSchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def list_signoffs(args, period):
    """乡镇确认情况 Which townships have signed the month off, and which not yet"""
    return signoff.status(_unit(args.get("org_unit_id")), period)


@blp.post("/assessments/<string:period>/signoff")
@blp.arguments(SignoffSchema)
@blp.response(201, SignoffStatusSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def sign_off(data, period):
    """乡镇确认月度考核 A township confirms an ended month, with comments, before the county locks it"""
    township = _unit(data.get("org_unit_id"))
    with unit_of_work():
        signoff.sign_off(current_user(), township, period, data["comment"])
    return next(s for s in signoff.status(township, period) if s["org_unit_id"] == township.id)


@blp.get("/assessments/annual/<int:year>")
@blp.arguments(AnnualArgs, location="query")
@blp.doc(security=BEARER, responses={"200": {"content": {"application/json": {}, MIME: {}}}})
@login_required(Role.ADMIN, Role.SUPERVISOR)
def annual_assessment(args, year):
    """年度考核 Each person's year from the locked months: monthly scores, mean and tier (JSON or XLSX)"""
    unit = _unit(args.get("org_unit_id"))
    if args["format"] == "xlsx":
        with unit_of_work():
            made = signoff.annual_file(unit, year, current_user())
        return made.response()
    return jsonify(signoff.annual(unit, year))
