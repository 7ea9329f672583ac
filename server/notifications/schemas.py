"""Notifications' schemas: the inbox, a person's preferences, a unit's group robot."""
from __future__ import annotations

import datetime as dt
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import Int
from .preferences import CHANNELS, KINDS

_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class ClockTime(fields.String):
    """A time of day, "HH:MM" (Asia/Shanghai)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value.strftime("%H:%M") if value is not None else None

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _HH_MM.fullmatch(text):
            raise ValidationError("时间格式应为 HH:MM（如 22:00） / a time as HH:MM")
        return dt.time(int(text[:2]), int(text[3:]))


class NotificationSchema(Schema):
    id = Int()
    kind = fields.String(metadata={"description": f"one of {', '.join(KINDS)}"})
    kind_label = fields.Function(lambda n: KINDS.get(n.kind, n.kind))
    title = fields.String()
    body = fields.String()
    target_type = fields.String(allow_none=True, metadata={"description": "case | patrol | card"})
    target_id = fields.String(allow_none=True, metadata={"description": "the case_no, patrol uuid or card_no"})
    url = fields.String(allow_none=True, metadata={
        "description": "a document of the API (a 督办单's PDF), fetched with the bearer token"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = Int(metadata={"description": "the person's unread notifications, all of them"})
    next_before_id = Int(allow_none=True, metadata={
        "description": "pass as before_id for the next page; null: no more"})


class NotificationListArgs(Schema):
    limit = Int(load_default=30, validate=validate.Range(1, 100))
    before_id = Int(metadata={"description": "only notifications older than this one (the next page)"})
    unread = fields.Boolean(load_default=False, metadata={"description": "only the unread"})


class ReadAllSchema(Schema):
    marked = Int()
    unread = Int()


class PreferencesSchema(Schema):
    email = fields.String(allow_none=True)
    quiet_start = ClockTime(allow_none=True)
    quiet_end = ClockTime(allow_none=True)
    channels = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Boolean()),
                           metadata={"description": "{kind: {email: bool, sms: bool}} for every kind"})
    kinds = fields.List(fields.Dict(), metadata={"description": "[{kind, label}]: what each kind is called"})
    available = fields.Dict(keys=fields.String(), values=fields.Boolean(), metadata={
        "description": "the channels this server sends on (email, sms, wecom)"})
    phone = fields.String(metadata={"description": "where SMS go (the account's phone number)"})


class PreferencesUpdateSchema(Schema):
    """What to change; what is left out keeps its value. Quiet hours come as a pair (both null: none)."""

    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    quiet_start = ClockTime(allow_none=True)
    quiet_end = ClockTime(allow_none=True)
    channels = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(KINDS))),
        values=fields.Dict(keys=fields.String(validate=validate.OneOf(list(CHANNELS))), values=fields.Boolean()),
        metadata={"description": "{kind: {email?: bool, sms?: bool}}: only what changes"})

    @validates_schema
    def _quiet_pair(self, data, **_):
        if ("quiet_start" in data) != ("quiet_end" in data) or \
                (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            raise ValidationError("免打扰时段须同时给出开始和结束（或都为 null） / give both ends of the quiet hours",
                                  "quiet_end")


class UnitChannelSchema(Schema):
    org_unit_id = Int()
    org_unit = fields.String()
    wecom = fields.Boolean(metadata={"description": "the unit has its own 企业微信 group robot"})
    wecom_key_hint = fields.String(allow_none=True, metadata={"description": "the key's last characters"})
    wecom_available = fields.Boolean(metadata={"description": "this server sends to 企业微信"})


class UnitChannelUpdateSchema(Schema):
    wecom_webhook = fields.String(required=True, allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "the robot's webhook address as 企业微信 shows it (…/webhook/send?key=…), or its key; "
                       "null removes it"})
