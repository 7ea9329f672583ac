"""What changed for the phone since its last pull (a cursor), so a phone offline for weeks
catches up in one call: its cards and the server's verdicts on its patrols."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shared_models.clock import utcnow

from ..auth.models import User
from ..cards.service import cards_for_phone
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
    return {"cursor": (started - OVERLAP).isoformat(), "cards": cards_for_phone(user), "patrols": patrols,
            "tasks": recheck_tasks(user), "categories": categories(user)}


def categories(user: User) -> list[dict]:
    """The problem categories in force for this person (built-in, with the county's own)."""
    from ..cases.service import categories_for

    return [{"code": c["code"], "name": c["name"]} for c in categories_for(user) if c["active"]]


def recheck_tasks(user: User) -> list[dict]:
    """Every re-check (复核) waiting for this person, whole (a short list): the phone replaces its copy."""
    from geoalchemy2.shape import to_shape

    from shared_models.enums import PROBLEM_CATEGORIES

    from ..cases.service import recheck_tasks as waiting
    from ..problems.service import photos_of

    out = []
    for case in waiting(user):
        p, where = case.problem, to_shape(case.problem.location)
        rectified = next((e for e in reversed(case.events) if e.action == "rectify" and e.outcome == "applied"), None)
        after = (rectified.evidence or {}).get("photo_uuids", []) if rectified else []
        out.append({
            "case_no": case.case_no, "version": case.version, "status": case.status, "category": case.category,
            "category_label": PROBLEM_CATEGORIES.get(case.category, (case.category,))[0],
            "description": p.description, "lon": where.x, "lat": where.y, "reported_at": p.reported_at.isoformat(),
            "deadline": case.deadline.isoformat() if case.deadline else None,
            "rectify_note": rectified.note if rectified else "",
            "before_photo_uuids": [ph.uuid for ph in photos_of(p) if ph.uuid not in after],
            "after_photo_uuids": after})
    return out
