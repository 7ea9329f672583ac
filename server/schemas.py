"""Schemas shared by several domains (errors, geometry fields, integers the database can hold)."""
from marshmallow import Schema, fields, validate

from .geo import to_geojson

# Every integer column (ids, counts, amounts) is a PostgreSQL ``integer``; SQLite stops at 64 bits.
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
_DB_RANGE = validate.Range(DB_INT_MIN, DB_INT_MAX,
                           error="数值超出范围 / must be between {min} and {max}")


class Int(fields.Integer):
    """An integer the database can hold: a larger one is a 422 ``validation_error``, never a 500."""

    def __init__(self, *args, validate=None, **kwargs):
        given = [] if validate is None else [validate] if callable(validate) else list(validate)
        super().__init__(*args, validate=[*given, _DB_RANGE], **kwargs)


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
