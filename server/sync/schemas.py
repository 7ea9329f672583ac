"""The shapes of what the phone pulls, with the fields the wire contract lists."""
from marshmallow import Schema, fields

from shared_models import wire

from ..cards.schemas import CardSchema
from ..schemas import AwareDateTime, Date


class ChangesArgs(Schema):
    since = AwareDateTime(metadata={"description": "the cursor of the last pull"})


class PhoneCardsSchema(Schema):
    today = Date(metadata={"description": "Asia/Shanghai"})
    cards = fields.List(fields.Nested(CardSchema))


_VERDICT_TYPES = {
    "valid": fields.Boolean(), "flagged": fields.Boolean(), "distance_m": fields.Float(),
    "duration_s": fields.Float(), "coverage": fields.Float(allow_none=True), "flags": fields.List(fields.Dict()),
    "reasons": fields.List(fields.String()),
    "review_status": fields.String(allow_none=True, metadata={"description": "the supervisor's decision: cleared | "
                                                                             "rejected | null"}),
    "review_note": fields.String(metadata={"description": "the supervisor's reason"}),
    "counts": fields.Boolean(metadata={"description": "counts toward the quota now"}),
}
# (a field the contract adds without a type here fails at import, not on a phone)
PatrolVerdictSchema = Schema.from_dict(
    {"uuid": fields.String(), **{k: _VERDICT_TYPES[k] for k in wire.VERDICT_FIELDS}, "updated_at": fields.DateTime()},
    name="PatrolVerdict")

_CHANGES_TYPES = {
    "cursor": fields.String(metadata={"description": "send back as `since` next time"}),
    "cards": fields.List(fields.Nested(CardSchema)),
    "patrols": fields.List(fields.Nested(PatrolVerdictSchema)),
    "tasks": fields.List(fields.Dict(), metadata={
        "description": "re-checks (复核) and rectifications (整改) waiting for me, whole: kind (recheck | rectify), "
                       "case_no, version, place, before/after photo uuids, recheck_radius_m (how near the place a "
                       "re-check must be done)"}),
    "categories": fields.List(fields.Dict(), metadata={"description": "problem categories in force: code, name"}),
    "basemap": fields.Dict(allow_none=True, metadata={
        "description": "my county's offline basemap (MBTiles), as GET /me/basemap, or null"}),
    "problems": fields.List(fields.Dict(), metadata={
        "description": "my latest reports (50), whole: uuid, category_label, reported_at, status, status_label, "
                       "deadline"}),
}
ChangesSchema = Schema.from_dict({k: _CHANGES_TYPES[k] for k in wire.CHANGES_FIELDS}, name="Changes")
