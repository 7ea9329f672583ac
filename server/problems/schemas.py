from geoalchemy2.shape import to_shape
from marshmallow import Schema, fields, validate

from shared_models.enums import PROBLEM_CATEGORIES, SEVERITIES

from ..cards.schemas import PersonSchema
from ..grids.schemas import OrgUnitSchema
from ..schemas import AwareDateTime, Int


class ProblemCreateSchema(Schema):
    uuid = fields.UUID(required=True)
    category = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "a code of GET /problem-categories (built-in or the county's own)"})
    severity = fields.String(load_default="general", validate=validate.OneOf(list(SEVERITIES)))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(0, 100000))
    reported_at = AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset"})
    photo_uuids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
    patrol_uuid = fields.UUID(allow_none=True)
    quantity = fields.Float(allow_none=True, validate=validate.Range(min=0), metadata={
        "description": "measured size (area m2, volume m3...): where the county set thresholds it decides severity"})


class PhotoRefSchema(Schema):
    uuid = fields.String()
    complete = fields.Function(lambda p: p.status == "complete")


class ProblemSchema(Schema):
    uuid = fields.String()
    category = fields.String()
    category_name = fields.Function(lambda p: PROBLEM_CATEGORIES.get(p.category, (p.category,))[0])
    severity = fields.String()
    severity_name = fields.Function(lambda p: SEVERITIES[p.severity][0])
    description = fields.String()
    lon = fields.Function(lambda p: to_shape(p.location).x)
    lat = fields.Function(lambda p: to_shape(p.location).y)
    accuracy_m = fields.Float(allow_none=True)
    reported_at = fields.DateTime()
    created_at = fields.DateTime()
    patrol_uuid = fields.String(allow_none=True)
    reporter = fields.Nested(PersonSchema)
    grid = fields.Nested(OrgUnitSchema, allow_none=True)
    photos = fields.List(fields.Nested(PhotoRefSchema), dump_only=True)
    case_no = fields.Function(lambda p: p.case.case_no if p.case else None,
                              metadata={"description": "the case (问题处置) this report opened"})


class ProblemListArgs(Schema):
    category = fields.String()
    grid_id = Int()
