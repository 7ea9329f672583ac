"""Rules' schemas, shared by the API and the console's forms."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared_models.enums import Duty
from shared_models.windows import KINDS

from ..schemas import Date, Int
from .book import LEVEL_RANK, WARNING_TYPES
from .plans import DEFINITIONS

ROLES = [d.value for d in Duty]  # a rule names the duty a card is held in (巡查员, 保洁员, each level's 河长)


class ScopedRuleSchema(Schema):
    id = Int(dump_only=True)
    org_unit_id = Int(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(load_default="inspector", validate=validate.OneOf(ROLES))
    grid_level = fields.String(allow_none=True, load_default=None, validate=validate.Length(min=1, max=20))
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
    counts_delegated = fields.Boolean(load_default=False, metadata={
        "description": "a patrol the card's assistant walks on the holder's behalf (代巡) counts for the holder"})


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
    allowed_modes = fields.List(fields.String(validate=validate.OneOf(["foot", "bicycle", "e_bike"])),
                                allow_none=True, load_default=None, validate=validate.Length(min=1), metadata={
                                    "description": "how a patrol may be travelled (电动车巡河: add e_bike); a motor "
                                                   "vehicle never counts; null: foot and bicycle"})


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
