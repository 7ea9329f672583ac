from marshmallow import Schema, fields, validate

from shared_models.enums import Role

from ..schemas import Int
from ..text import plain_line


class LoginSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=3, max=20))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    device_id = fields.String(load_default="unknown", validate=validate.Length(max=100))
    device_name = fields.String(load_default="", validate=validate.Length(max=100))


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, load_only=True)


class OrgUnitBriefSchema(Schema):
    id = Int()
    code = fields.String()
    name = fields.String()
    level = fields.String()


class GrantSchema(Schema):
    role = fields.String()
    org_unit = fields.Nested(OrgUnitBriefSchema)


class UserSchema(Schema):
    id = Int()
    phone = fields.String()
    name = fields.String()
    role = fields.String(metadata={"description": "the widest of ``roles`` (admin, then supervisor, then inspector)"})
    roles = fields.List(fields.Nested(GrantSchema), attribute="grants",
                        metadata={"description": "every capability held, each at an org unit"})
    active = fields.Boolean()
    org_unit = fields.Nested(OrgUnitBriefSchema)


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String(metadata={"description": "only at login; keep it on the device"})
    token_type = fields.String()
    expires_in = Int(metadata={"description": "seconds"})
    session_id = fields.String()
    user = fields.Nested(UserSchema)


class SessionSchema(Schema):
    id = fields.String()
    device_id = fields.String()
    device_name = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime()
    expires_at = fields.DateTime()
    current = fields.Boolean()


class UserCreateSchema(Schema):
    phone = fields.String(required=True,
                          validate=validate.Regexp(r"^1\d{10}$", error="手机号应为11位 / 11-digit mobile"))
    name = fields.String(required=True, validate=[validate.Length(min=1, max=50), plain_line])
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    org_unit_id = Int(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))


class GrantInSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    org_unit_id = Int(required=True)


class RolesSchema(Schema):
    roles = fields.List(fields.Nested(GrantInSchema), required=True, validate=validate.Length(max=len(Role)))


class UserListArgs(Schema):
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    org_unit_id = Int()


class PasswordResetSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))


class ActiveSchema(Schema):
    active = fields.Boolean(required=True)
