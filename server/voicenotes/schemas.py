from marshmallow import Schema, fields, validate

from ..schemas import AwareDateTime


class VoiceCreateSchema(Schema):
    uuid = fields.UUID(required=True, metadata={"description": "the phone's id for this recording"})
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"))
    problem_uuid = fields.UUID(allow_none=True, metadata={"description": "the problem it tells of"})
    recorded_at = AwareDateTime(allow_none=True, metadata={"description": "the phone's time of the recording"})


class VoiceSchema(Schema):
    uuid = fields.String()
    size = fields.Integer()
    offset = fields.Integer(attribute="received", metadata={"description": "bytes stored so far"})
    complete = fields.Function(lambda n: n.status == "complete",
                               metadata={"description": "every byte arrived and was checked: the phone is done"})
    problem_uuid = fields.String(allow_none=True)
    container = fields.String(allow_none=True, metadata={"description": "m4a, 3gp or wav, as recognised"})
    duration_s = fields.Float(allow_none=True)
    recorded_at = fields.DateTime(allow_none=True)
