from flask_smorest import Blueprint

from shared_models.enums import Role

from ..auth.decorators import BEARER, current_user, login_required
from ..extensions import db
from ..transaction import unit_of_work
from . import service
from .models import FrequencyRule, Plan, ValidityRuleConfig
from .schemas import (
    ExemptionSchema,
    FrequencyRuleSchema,
    PlanSchema,
    RuleChangeSchema,
    ValidityRuleSchema,
    WarningSchema,
)

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
            with unit_of_work():
                return service.create_rule(current_user(), data, model=model)

        @blp.patch(f"/rules/{path}/<int:rule_id>", endpoint=f"change_{path}")
        @blp.arguments(RuleChangeSchema)
        @blp.response(200, schema)
        @blp.doc(security=BEARER, summary=f"{title}: rename, or end from a date")
        @login_required(Role.ADMIN)
        def change(data, rule_id):
            with unit_of_work():
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
    with unit_of_work():
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
    with unit_of_work():
        return service.create_exemption(current_user(), data)
