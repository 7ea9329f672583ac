from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared_models.enums import Role

from ..auth.decorators import BEARER, current_user, login_required
from ..auth.schemas import UserSchema
from ..schemas import Int
from . import service

blp = Blueprint("audit", __name__, url_prefix="/api/v1",
                description="审计日志（只增不改） The audit log: read-only, append-only")


class AuditArgs(Schema):
    object_type = fields.String(validate=validate.OneOf(list(service.OBJECTS)))
    object_id = fields.String(validate=validate.Length(max=64))
    person_id = Int(metadata={"description": "what the person did, or what was done about them"})
    action = fields.String(validate=validate.OneOf(list(service.ACTIONS)))
    before_id = Int(metadata={"description": "the next page: entries older than this id"})
    limit = Int(load_default=100, validate=validate.Range(min=1, max=service.MAX_PAGE))


class AuditPersonSchema(UserSchema):
    class Meta:
        fields = ("id", "name", "phone")


class AuditEntrySchema(Schema):
    id = Int()
    at = fields.DateTime()
    actor = fields.Nested(AuditPersonSchema, allow_none=True, metadata={"description": "null: the command line"})
    address = fields.String()
    action = fields.String()
    action_label = fields.Function(lambda e: service.ACTIONS[e.action])
    object_type = fields.String()
    object_id = fields.String()
    subject = fields.Nested(AuditPersonSchema, allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    note = fields.String()


@blp.get("/audit")
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditEntrySchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def list_audit(args):
    """审计日志 Who did what to which object, newest first, in the admin's county (nothing here changes it)"""
    return service.search(current_user(), **args)
