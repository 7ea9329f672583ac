from marshmallow import Schema, fields

from ..schemas import GeoJSONGeometry


class OrgUnitSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)


class OrgUnitDetailSchema(OrgUnitSchema):
    boundary = GeoJSONGeometry()


class RiverSchema(Schema):
    code = fields.String()
    name = fields.String()


class SegmentSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    river = fields.Nested(RiverSchema)
    grid_id = fields.Integer()
    bank = fields.String()
    length_m = fields.Float(metadata={"description": "metres, geodesic"})
    geometry = GeoJSONGeometry(attribute="geom")


class GridListArgs(Schema):
    parent_id = fields.Integer()
    level = fields.String()


class SegmentListArgs(Schema):
    grid_id = fields.Integer()


class ImportArgs(Schema):
    repair = fields.Boolean(load_default=False, metadata={"description": "fix invalid polygons with make_valid"})
