import datetime as dt
import re

from marshmallow import Schema, ValidationError, fields, validate

from shared_models.enums import LIFECYCLE_EVENTS

from ..cards.schemas import PersonSchema
from ..cases.schemas import PhotoRefSchema
from ..schemas import DATE_MAX, DATE_MIN, AwareDateTime, Date, Int
from .export import walked_as

MAX_SEGMENTS, MAX_CHECKLIST, MAX_EVENTS = 500, 200, 10_000


def _too_many(limit: int) -> ValidationError:
    return ValidationError(f"最多 {limit} 项 / at most {limit} items")


class BoundedList(fields.List):
    """A list refused by its length before a single item is read: 400,000 empty events cost
    15 s of item-by-item deserialisation before a Length validator ever ran."""

    def __init__(self, cls_or_instance, max_items: int, **kwargs):
        super().__init__(cls_or_instance, **kwargs)
        self.max_items = max_items

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and len(value) > self.max_items:
            raise _too_many(self.max_items)
        return super()._deserialize(value, attr, data, **kwargs)


class BoundedDict(fields.Dict):
    """A mapping refused by its size before its keys are read."""

    def __init__(self, max_items: int, **kwargs):
        super().__init__(**kwargs)
        self.max_items = max_items

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict) and len(value) > self.max_items:
            raise _too_many(self.max_items)
        return super()._deserialize(value, attr, data, **kwargs)


class LifecycleEventSchema(Schema):
    at = AwareDateTime(required=True)
    event = fields.String(required=True, validate=validate.OneOf(LIFECYCLE_EVENTS))


_PLAIN_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_EVENT_NAMES = frozenset(LIFECYCLE_EVENTS)


class LifecycleEvents(BoundedList):
    """The app's events, each ``LifecycleEventSchema``: read directly where every one is plainly
    right (``{"at": "2026-11-20T09:00:00+08:00", "event": "paused"}``), which takes 3 ms for the
    10,000 allowed where the nested schema took 600 ms; through the schema otherwise, so that
    anything odd is answered exactly as before, field by field."""

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(LifecycleEventSchema), MAX_EVENTS, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and len(value) <= self.max_items:
            try:
                return [_plain_event(item) for item in value]
            except (TypeError, ValueError, KeyError):
                pass  # not all plain: let the schema say what is wrong
        return super()._deserialize(value, attr, data, **kwargs)


def _plain_event(item: dict) -> dict:
    if len(item) != 2 or item["event"] not in _EVENT_NAMES or not _PLAIN_INSTANT.fullmatch(item["at"]):
        raise ValueError
    at = dt.datetime.fromisoformat(item["at"])
    if not DATE_MIN <= at.date() <= DATE_MAX:
        raise ValueError
    return {"at": at, "event": item["event"]}


class PatrolUploadSchema(Schema):
    uuid = fields.UUID(required=True, metadata={"description": "the phone's id for this patrol"})
    card_id = Int(required=True)
    segment_ids = BoundedList(Int(), MAX_SEGMENTS, load_default=list,
                              metadata={"description": "empty: all of the card's segments"})
    started_at = AwareDateTime(required=True)
    ended_at = AwareDateTime(required=True)
    track = fields.String(required=True, metadata={"description": "base64 of the encoded fixes (track codec)"})
    checklist = BoundedDict(MAX_CHECKLIST, keys=fields.String(validate=validate.Length(max=100)), load_default=dict)
    notes = fields.String(load_default="", validate=validate.Length(max=4000))
    lifecycle_events = LifecycleEvents(load_default=list)


class FlagSchema(Schema):
    code = fields.String()
    detail = fields.String()
    evidence = fields.Raw()


class PatrolSchema(Schema):
    id = Int()
    uuid = fields.String()
    inspector = fields.Nested(PersonSchema, metadata={"description": "who walked it"})
    for_user = fields.Nested(PersonSchema, allow_none=True, metadata={
        "description": "the card's holder it was walked for by their assistant (代巡); null: their own"})
    walked_as = fields.Function(walked_as, metadata={"description": "e.g. 李四（代 张三 巡河）"})
    card_id = Int()
    grid_id = Int()
    source = fields.String()
    started_at = fields.DateTime()
    ended_at = fields.DateTime()
    fix_count = Int()
    distance_m = fields.Float()
    duration_s = fields.Float()
    coverage = fields.Float(allow_none=True)
    valid = fields.Boolean()
    flagged = fields.Boolean()
    flags = fields.List(fields.Nested(FlagSchema))
    review_status = fields.String(allow_none=True, metadata={"description": "cleared | rejected | null"})
    review_note = fields.String()
    reviewed_at = fields.DateTime(allow_none=True)
    counts = fields.Boolean(dump_only=True, metadata={"description": "counts toward the quota now"})
    travel_mode = fields.Function(lambda p: (p.analysis or {}).get("travel_mode"), metadata={
        "description": "foot | bicycle | e_bike | motor_vehicle: how most of it was travelled (null: not known)"})
    stretches = fields.Function(lambda p: (p.analysis or {}).get("stretches", []), metadata={
        "description": "each stretch: mode, start, end, start_index, end_index, distance_m, duration_s, median_kmh"})
    segment_ids = fields.Function(lambda p: [s.id for s in p.segments])
    reasons = fields.Function(lambda p: (p.analysis or {}).get("reasons", []),
                              metadata={"description": "why it does not count (the verdict's words)"})
    analysis_version = fields.String()
    rules_version = fields.String()
    created_at = fields.DateTime()


class PatrolDetailSchema(PatrolSchema):
    analysis = fields.Raw()
    checklist = fields.Raw()
    notes = fields.String()
    display_track = fields.Raw(dump_only=True, metadata={"description": "GeoJSON LineString, <= 500 vertices"})
    photos = fields.List(fields.Nested(PhotoRefSchema), dump_only=True)
    problem_uuids = fields.List(fields.String(), dump_only=True)


class PatrolListArgs(Schema):
    inspector_id = Int()
    grid_id = Int()
    date_from = Date(metadata={"description": "Asia/Shanghai date, inclusive"})
    date_to = Date(metadata={"description": "Asia/Shanghai date, inclusive"})
    valid = fields.Boolean()
    flag = fields.String(metadata={"description": "patrols carrying this flag code"})
    limit = Int(load_default=200, validate=validate.Range(1, 1000))
    offset = Int(load_default=0, validate=validate.Range(0))


class GpxImportSchema(Schema):
    uuid = fields.UUID(required=True)
    card_id = Int(required=True)
    segment_ids = BoundedList(Int(), MAX_SEGMENTS, load_default=list)
    notes = fields.String(load_default="", validate=validate.Length(max=4000))


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["clear", "reject"]),
                             metadata={"description": "clear: the flags are explained, the patrol counts; "
                                                      "reject: it never counts (e.g. a fake patrol)"})
    note = fields.String(load_default="", validate=validate.Length(max=1000))
