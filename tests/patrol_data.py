"""Patrols of the demo county's inspectors, walked along their real river segments."""
import base64
import datetime as dt
import uuid

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from server.auth.models import User
from server.cards.models import ResponsibilityCard
from server.extensions import db
from shared_models.track import Track, codec

from .tracks import walk_along

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
INSP_A = "13900000101"


def card_of(phone=INSP_A) -> ResponsibilityCard:
    uid = db.session.scalar(select(User.id).where(User.phone == phone))
    return db.session.scalar(select(ResponsibilityCard).where(ResponsibilityCard.inspector_id == uid))


def patrol_body(walked: Track, card: ResponsibilityCard, segment_ids=None, **over) -> dict:
    body = {"uuid": str(uuid.uuid4()), "card_id": card.id,
            "segment_ids": segment_ids if segment_ids is not None else [card.segments[0].id],
            "started_at": dt.datetime.fromtimestamp(walked.t[0], dt.UTC).isoformat(),
            "ended_at": dt.datetime.fromtimestamp(walked.t[-1], dt.UTC).isoformat(),
            "track": base64.b64encode(codec.encode(walked)).decode(),
            "checklist": {"垃圾": "无", "排污口": "正常"}, "notes": "沿河巡查一遍"}
    body.update(over)
    return body


def walk_on(card, start=START, seed=0):
    return walk_along(to_shape(card.segments[0].geom), start.timestamp(), seed=seed)
