from marshmallow import Schema, fields, validate

from shared_models.wire import PHOTO_SOURCES

from ..schemas import AwareDateTime


class PhotoCreateSchema(Schema):
    uuid = fields.UUID(required=True, metadata={"description": "the phone's id for this photo"})
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"))
    patrol_uuid = fields.UUID(allow_none=True)
    problem_uuid = fields.UUID(allow_none=True)
    captured_at = AwareDateTime(allow_none=True, metadata={"description": "the phone's time of the shot"})
    capture_lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    capture_lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    capture_accuracy = fields.Float(allow_none=True, validate=validate.Range(min=0, max=100_000))
    source = fields.String(allow_none=True, validate=validate.OneOf(PHOTO_SOURCES),
                           metadata={"description": "camera: taken in the app; gallery: picked from the phone"})


class PhotoSchema(Schema):
    uuid = fields.String()
    size = fields.Integer()
    offset = fields.Integer(attribute="received", metadata={"description": "bytes stored so far"})
    complete = fields.Function(lambda p: p.status in ("processing", "complete"),
                               metadata={"description": "every byte arrived and checked; the phone is done"})
    ready = fields.Function(lambda p: p.status == "complete",
                            metadata={"description": "re-encoded and viewable (a background job may lag)"})
    patrol_uuid = fields.String(allow_none=True)
    problem_uuid = fields.String(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    taken_at = fields.DateTime(allow_none=True, metadata={"description": "EXIF time, UTC"})
    exif_lon = fields.Float(allow_none=True)
    exif_lat = fields.Float(allow_none=True)
    captured_at = fields.DateTime(allow_none=True, metadata={"description": "the phone's time of the shot, UTC"})
    capture_lon = fields.Float(allow_none=True)
    capture_lat = fields.Float(allow_none=True)
    capture_accuracy = fields.Float(allow_none=True)
    source = fields.String(allow_none=True)
