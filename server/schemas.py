"""Schemas shared by several domains (errors, geometry fields)."""
from marshmallow import Schema, fields

from .geo import to_geojson


class GeoJSONGeometry(fields.Field):
    """A GeoAlchemy2 geometry dumped as a GeoJSON geometry object."""

    def _serialize(self, value, attr, obj, **kwargs):
        return to_geojson(value)


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable error code"})
    message = fields.String(required=True, metadata={"description": "中文说明"})
    message_en = fields.String(required=True)
    errors = fields.Raw()


class FeatureCollectionSchema(Schema):
    """A GeoJSON FeatureCollection; each feature is checked by the importer."""

    class Meta:
        unknown = "exclude"

    type = fields.String(required=True)
    features = fields.List(fields.Dict(), required=True)
    crs = fields.Dict()
    name = fields.String()


class ImportResultSchema(Schema):
    imported = fields.Integer()
    repaired = fields.List(fields.String())
    rivers_created = fields.Integer()
