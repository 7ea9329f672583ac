from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared_models.enums import Role
from shared_models.windows import KINDS

from ..assessment.engine import LEVEL_RANK, WARNING_TYPES
from ..assessment.scoring import DEFINITIONS
from ..extensions import db
from ..schemas import Date, Int
from ..security import BEARER, current_user, login_required
from . import service
from .models import FrequencyRule, Plan, ValidityRuleConfig

ROLES = [r.value for r in Role]


class ScopedRuleSchema(Schema):
    id = Int(dump_only=True)
    org_unit_id = Int(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(load_default="inspector", validate=validate.OneOf(ROLES))
    grid_level = fields.String(allow_none=True, load_default=None)
    valid_from = Date(required=True)
    valid_to = Date(allow_none=True, load_default=None)


class OverrideSchema(Schema):
    warning_type = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(list(WARNING_TYPES)))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVEL_RANK)))
    min_count = Int(required=True, validate=validate.Range(0, 366))


class FrequencyRuleSchema(ScopedRuleSchema):
    count_mode = fields.String(load_default="sessions", validate=validate.OneOf(["sessions", "days"]))
    count_per = fields.String(load_default="person", validate=validate.OneOf(["person", "river", "segment"]))
    window = fields.String(required=True, validate=validate.OneOf(KINDS))
    rolling_days = Int(allow_none=True, load_default=None, validate=validate.Range(1, 366))
    min_count = Int(required=True, validate=validate.Range(0, 366))
    min_gap_hours = Int(allow_none=True, load_default=None, validate=validate.Range(1, 24 * 366))
    active_months = fields.List(Int(validate=validate.Range(1, 12)), allow_none=True, load_default=None)
    overrides = fields.List(fields.Nested(OverrideSchema), allow_none=True, load_default=None)


class ValidityRuleSchema(ScopedRuleSchema):
    min_duration_min = fields.Float(allow_none=True, load_default=None, validate=validate.Range(0, 24 * 60))
    min_distance_m = fields.Float(allow_none=True, load_default=None, validate=validate.Range(0, 200_000))
    distance_on_segment = fields.Boolean(load_default=False)
    min_coverage = fields.Float(allow_none=True, load_default=None, validate=validate.Range(0, 1))
    tolerance_m = fields.Float(load_default=30.0, validate=validate.Range(1, 500))
    required_checklist = fields.List(fields.String(validate=validate.Length(max=100)), allow_none=True,
                                     load_default=None)
    allowed_sources = fields.List(fields.String(validate=validate.OneOf(["app", "gpx"])), allow_none=True,
                                  load_default=None)
    on_fail = fields.String(load_default="invalid", validate=validate.OneOf(["invalid", "flag"]))


class PlanSchema(ScopedRuleSchema):
    kind = fields.String(required=True, validate=validate.OneOf(list(DEFINITIONS)))
    definition = fields.Dict(required=True)

    @validates_schema
    def definition_fits_kind(self, data, **_):
        if data.get("kind") in DEFINITIONS:
            errors = DEFINITIONS[data["kind"]]().validate(data.get("definition") or {})
            if errors:
                raise ValidationError({"definition": errors})


class RuleChangeSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    valid_to = Date(allow_none=True)


class WarningSchema(Schema):
    id = Int(dump_only=True)
    org_unit_id = Int(required=True)
    warning_type = fields.String(required=True, validate=validate.OneOf(list(WARNING_TYPES)))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVEL_RANK)))
    river_ids = fields.List(Int(), load_default=list)
    segment_ids = fields.List(Int(), load_default=list)
    valid_from = Date(required=True)
    valid_to = Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class ExemptionSchema(Schema):
    id = Int(dump_only=True)
    user_id = Int(required=True)
    date_from = Date(required=True)
    date_to = Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


blp = Blueprint("rules", __name__, url_prefix="/api/v1", description="巡河与考核规则 Patrol and assessment rules")


for _path, _model, _schema, _title in (
        ("frequency", FrequencyRule, FrequencyRuleSchema, "巡河频次规则 Frequency rules"),
        ("validity", ValidityRuleConfig, ValidityRuleSchema, "有效巡河规则 Validity rules"),
        ("plans", Plan, PlanSchema, "考核与补贴方案 Scoring and pay plans")):
    def _routes(path=_path, model=_model, schema=_schema, title=_title):
        @blp.get(f"/rules/{path}", endpoint=f"list_{path}")
        @blp.response(200, schema(many=True))
        @blp.doc(security=BEARER, summary=f"{title}: in force over the caller's org unit (set above, at or below it)")
        @login_required(Role.ADMIN, Role.SUPERVISOR)
        def list_rules():
            return db.session.scalars(service.rules_in_scope(current_user(), model, inherited=True)).all()

        @blp.post(f"/rules/{path}", endpoint=f"create_{path}")
        @blp.arguments(schema)
        @blp.response(201, schema)
        @blp.doc(security=BEARER, summary=f"{title}: a new one for an org unit and everything below it")
        @login_required(Role.ADMIN)
        def create(data):
            return service.create_rule(current_user(), data, model=model)

        @blp.patch(f"/rules/{path}/<int:rule_id>", endpoint=f"change_{path}")
        @blp.arguments(RuleChangeSchema)
        @blp.response(200, schema)
        @blp.doc(security=BEARER, summary=f"{title}: rename, or end from a date")
        @login_required(Role.ADMIN)
        def change(data, rule_id):
            return service.change_rule(current_user(), model, rule_id, data)
    _routes()


@blp.get("/warnings")
@blp.response(200, WarningSchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def list_warnings():
    """河流预警 Warnings over the caller's org unit: set there, below it, or above it"""
    return db.session.scalars(service.warnings_in_scope(current_user())).all()


@blp.post("/warnings")
@blp.arguments(WarningSchema)
@blp.response(201, WarningSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def create_warning(data):
    """发布预警 A warning on rivers or segments: raises required frequencies per the rules' override tables"""
    return service.create_warning(current_user(), data)


@blp.get("/exemptions")
@blp.response(200, ExemptionSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_exemptions():
    """请假/免巡 Leave and exemptions: one's own, or of the people in scope"""
    return db.session.scalars(service.exemptions_in_scope(current_user())).all()


@blp.post("/exemptions")
@blp.arguments(ExemptionSchema)
@blp.response(201, ExemptionSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def create_exemption(data):
    """登记请假/免巡 Days on which nothing is required of a person"""
    return service.create_exemption(current_user(), data)
