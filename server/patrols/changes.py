"""What changed for the phone since its last pull (a cursor), so a phone offline for weeks
catches up in one call: its cards and the server's verdicts on its patrols."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..auth.models import User
from ..cards.service import cards_for_phone
from ..db import utcnow
from ..extensions import db
from .models import Patrol

OVERLAP = dt.timedelta(seconds=60)  # a change committed while we read is picked up next time


def changes_since(user: User, since: dt.datetime | None) -> dict:
    started = utcnow()
    q = select(Patrol).where(Patrol.inspector_id == user.id).order_by(Patrol.updated_at)
    if since is not None:
        q = q.where(Patrol.updated_at >= since)
    patrols = [{
        "uuid": p.uuid, "valid": p.valid, "flagged": p.flagged, "distance_m": p.distance_m,
        "duration_s": p.duration_s, "coverage": p.coverage,
        "flags": [{"code": f.code, "detail": f.detail} for f in p.flags],
        "reasons": p.analysis.get("reasons", []), "updated_at": p.updated_at,
    } for p in db.session.scalars(q.limit(1000))]
    return {"cursor": (started - OVERLAP).isoformat(), "cards": cards_for_phone(user), "patrols": patrols}
