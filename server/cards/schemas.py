from marshmallow import Schema, fields, validate

from shared_models.enums import Duty

from ..grids.schemas import SegmentSchema
from ..schemas import Date, GeoJSONGeometry, Int


class PersonSchema(Schema):
    id = Int()
    name = fields.String()
    phone = fields.String()


class CardGridSchema(Schema):
    id = Int()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    boundary = GeoJSONGeometry()


class CardSchema(Schema):
    id = Int()
    card_no = fields.String(metadata={"description": "stable across versions"})
    version = Int()
    valid_from = Date()
    valid_to = Date(allow_none=True, metadata={"description": "inclusive; null = open-ended"})
    inspector = fields.Nested(PersonSchema, metadata={"description": "the holder"})
    duty = fields.String(metadata={"description": "the duty the card is held in: " + ", ".join(Duty)})
    duty_label = fields.String(dump_only=True, metadata={"description": "the duty in Chinese (村级河长)"})
    assistant = fields.Nested(PersonSchema, allow_none=True, metadata={
        "description": "a chief's assistant, who may patrol on the holder's behalf (代巡)"})
    supervisor = fields.Nested(PersonSchema, allow_none=True)
    grid = fields.Nested(CardGridSchema)
    grid_path_names = fields.List(fields.String(), dump_only=True)
    segments = fields.List(fields.Nested(SegmentSchema))
    duties = fields.List(fields.String())
    frequency_summary = fields.String()
    change_reason = fields.String()
    validity = fields.Dict(dump_only=True, allow_none=True, metadata={
        "description": "the validity rule in force (有效巡河): min_duration_s, min_distance_m, min_coverage, "
                       "tolerance_m, distance_on_segment, version; the phone judges its preview by it"})
    compliance = fields.Dict(dump_only=True, allow_none=True,
                             metadata={"description": "this window: required, counted, remaining, next due (phone)"})


class CardListArgs(Schema):
    inspector_id = Int()
    grid_id = Int()
    on = Date(metadata={"description": "only versions in force on this day"})


MAX_SEGMENTS, MAX_DUTIES = 500, 50  # (a village's segments; a card's lines of duties)


class CardIssueSchema(Schema):
    inspector_id = Int(required=True)
    grid_id = Int(required=True)
    duty = fields.String(load_default=Duty.INSPECTOR.value, validate=validate.OneOf([d.value for d in Duty]))
    assistant_id = Int(allow_none=True, metadata={"description": "chiefs' cards only"})
    segment_ids = fields.List(Int(), load_default=list, validate=validate.Length(max=MAX_SEGMENTS))
    supervisor_id = Int(allow_none=True)
    duties = fields.List(fields.String(validate=validate.Length(max=200)), load_default=list,
                         validate=validate.Length(max=MAX_DUTIES))
    frequency_summary = fields.String(load_default="", validate=validate.Length(max=200))
    valid_from = Date(required=True)
    valid_to = Date(allow_none=True)
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class CardRevisionSchema(Schema):
    effective_from = Date(required=True)
    inspector_id = Int()
    assistant_id = Int(allow_none=True, metadata={"description": "null: no assistant from this version"})
    supervisor_id = Int(allow_none=True)
    segment_ids = fields.List(Int(), validate=validate.Length(max=MAX_SEGMENTS))
    duties = fields.List(fields.String(validate=validate.Length(max=200)), validate=validate.Length(max=MAX_DUTIES))
    frequency_summary = fields.String(validate=validate.Length(max=200))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CardEndSchema(Schema):
    valid_to = Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
