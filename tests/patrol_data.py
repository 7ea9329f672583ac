"""Patrols of the demo county's inspectors, walked along their real river segments."""
import base64
import datetime as dt
import uuid

from flask import current_app
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from server.auth.models import User
from server.auth.users import create_user
from server.cards.models import ResponsibilityCard
from server.demo import DEMO_PASSWORD
from server.extensions import db
from server.grids.importer import import_grids
from server.grids.models import OrgUnit
from server.transaction import unit_of_work
from shared_models.track import Track, codec

from .tracks import walk_along

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
INSP_A = "13900000101"
ADMIN_OTHER_PHONE = "13900000901"  # the admin of another county


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


def second_county() -> None:
    """Another county (雁塔区) with its own admin: nothing of 未央区 is theirs."""
    with unit_of_work():  # as the command line does: committed
        import_grids({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
                [108.9, 34.2], [108.95, 34.2], [108.95, 34.25], [108.9, 34.25], [108.9, 34.2]]]},
             "properties": {"code": "610113", "name": "雁塔区", "level": "county"}},
        ]}, actor=None, levels=current_app.config["ORG_LEVELS"])
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610113"))
        create_user(None, phone=ADMIN_OTHER_PHONE, name="外县管理员", role="admin", org_unit_id=unit.id,
                    password=DEMO_PASSWORD)
