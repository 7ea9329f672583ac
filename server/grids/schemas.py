from marshmallow import Schema, fields, validate

from ..schemas import GeoJSONGeometry, Int
from ..text import plain_line


class OrgUnitSchema(Schema):
    id = Int()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_id = Int(allow_none=True)


class OrgUnitDetailSchema(OrgUnitSchema):
    boundary = GeoJSONGeometry()


class RiverSchema(Schema):
    code = fields.String()
    name = fields.String()


class SegmentSchema(Schema):
    id = Int()
    code = fields.String()
    name = fields.String()
    river = fields.Nested(RiverSchema)
    grid_id = Int()
    bank = fields.String()
    length_m = fields.Float(metadata={"description": "metres, geodesic"})
    geometry = GeoJSONGeometry(attribute="geom")


class GridListArgs(Schema):
    parent_id = Int()
    level = fields.String()


class SegmentListArgs(Schema):
    grid_id = Int()


class ImportArgs(Schema):
    repair = fields.Boolean(load_default=False, metadata={"description": "fix invalid polygons with make_valid"})


class DepartmentSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), plain_line])
