from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared_models.enums import Role
from shared_models.windows import KINDS

from ..extensions import db
from ..security import BEARER, current_user, login_required
from . import service


class FrequencyRuleSchema(Schema):
    id = fields.Integer(dump_only=True)
    org_unit_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(load_default="inspector", validate=validate.OneOf([r.value for r in Role]))
    grid_level = fields.String(allow_none=True, load_default=None)
    count_mode = fields.String(load_default="sessions", validate=validate.OneOf(["sessions", "days"]))
    window = fields.String(required=True, validate=validate.OneOf(KINDS))
    rolling_days = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 366))
    min_count = fields.Integer(required=True, validate=validate.Range(0, 366))
    min_gap_hours = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 24 * 366))
    active_months = fields.List(fields.Integer(validate=validate.Range(1, 12)), allow_none=True, load_default=None)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(allow_none=True, load_default=None)


blp = Blueprint("rules", __name__, url_prefix="/api/v1", description="巡河规则 Patrol rules")


@blp.get("/rules/frequency")
@blp.response(200, FrequencyRuleSchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def list_frequency_rules():
    """巡河频次规则 Frequency rules set at or below the caller's org unit"""
    return db.session.scalars(service.rules_in_scope(current_user())).all()


@blp.post("/rules/frequency")
@blp.arguments(FrequencyRuleSchema)
@blp.response(201, FrequencyRuleSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def create_frequency_rule(data):
    """新建巡河频次规则 A frequency rule for an org unit and everything below it"""
    return service.create_rule(current_user(), data)
