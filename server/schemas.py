"""Schemas shared by several domains (errors, geometry fields, numbers and dates the server can hold)."""
import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate

from .geo import to_geojson


class View:
    """An object with what one answer adds to it (computed for this answer, never stored on it): the
    attributes given here first, the object's own otherwise. A schema dumps it as it dumps the object."""

    def __init__(self, obj, **extra) -> None:
        self._obj = obj
        self.__dict__.update(extra)

    def __getattr__(self, name: str):
        return getattr(self._obj, name)


# Every integer column (ids, counts, amounts) is a PostgreSQL ``integer``; SQLite stops at 64 bits.
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
_DB_RANGE = validate.Range(DB_INT_MIN, DB_INT_MAX,
                           error="数值超出范围 / must be between {min} and {max}")


# Days are shifted by time zones and by a day here and there; Python's dates end at years 1 and 9999.
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _in_date_range(value: dt.date | dt.datetime) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value  # (an aware time: its own local day)
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(f"日期须在 {DATE_MIN} 至 {DATE_MAX} 之间 / must be between {DATE_MIN} and {DATE_MAX}")


def _plus(validate, extra) -> list:
    return [*([] if validate is None else [validate] if callable(validate) else list(validate)), extra]


class Int(fields.Integer):
    """An integer the database can hold: a larger one is a 422 ``validation_error``, never a 500."""

    def __init__(self, *args, validate=None, **kwargs):
        super().__init__(*args, validate=_plus(validate, _DB_RANGE), **kwargs)


class Date(fields.Date):
    """A day between ``DATE_MIN`` and ``DATE_MAX``: year 1 or 9999 is a 422, not an overflow."""

    def __init__(self, *args, validate=None, **kwargs):
        super().__init__(*args, validate=_plus(validate, _in_date_range), **kwargs)


class AwareDateTime(fields.AwareDateTime):
    """An instant with its UTC offset, on a day between ``DATE_MIN`` and ``DATE_MAX``."""

    def __init__(self, *args, validate=None, **kwargs):
        super().__init__(*args, validate=_plus(validate, _in_date_range), **kwargs)


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
