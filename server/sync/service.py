"""Assembling what the phone pulls, from the services of the domains that own each part."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from shared_models import wire
from shared_models.clock import local_today, utcnow
from shared_models.enums import PROBLEM_CATEGORIES

from ..assessment.compliance import compliance
from ..auth.models import User
from ..basemaps import service as basemaps
from ..cards.service import in_force_or_upcoming, own_cards, with_path_names
from ..cases.service import categories_for, reported_by
from ..cases.service import recheck_tasks as waiting_rechecks
from ..cases.service import rectify_tasks as waiting_rectifications
from ..cases.workflow import RECHECK_RADIUS_M
from ..extensions import db
from ..patrols.models import Patrol
from ..photos.service import photos_of_problem as photos_of
from ..rules.book import validity_for
from ..schemas import View

OVERLAP = dt.timedelta(seconds=60)  # a change committed while we read is picked up next time
MAX_VERDICTS = 1000  # a phone offline for months catches up over several pulls


def phone_cards(user: User, today: dt.date | None = None) -> list[View]:
    """Cards in force or upcoming; with the validity rule the phone judges its preview by and, for those
    in force today, how far the inspector is in this window."""
    today = today or local_today()
    out = []
    for card in db.session.scalars(in_force_or_upcoming(own_cards(user), today)):
        out.append(with_path_names(card, validity=asdict(validity_for(card, max(today, card.valid_from))[0]),
                                   compliance=compliance(card, today) if card.valid_from <= today else None))
    return out


def verdict_of(p: Patrol) -> dict:
    """The server's verdict on one patrol, as the wire contract lists its fields."""
    values = {"valid": p.valid, "flagged": p.flagged, "distance_m": p.distance_m, "duration_s": p.duration_s,
              "coverage": p.coverage, "flags": [{"code": f.code, "detail": f.detail} for f in p.flags],
              "reasons": (p.analysis or {}).get("reasons", []), "review_status": p.review_status,
              "review_note": p.review_note or "",
              "counts": p.counts}
    return {"uuid": p.uuid, **{k: values[k] for k in wire.VERDICT_FIELDS}, "updated_at": p.updated_at}


def changes_since(user: User, since: dt.datetime | None) -> dict:
    """Everything the phone replaces its copy of, and the verdicts that changed since ``since``."""
    started = utcnow()
    q = select(Patrol).where(Patrol.inspector_id == user.id).order_by(Patrol.updated_at)
    if since is not None:
        q = q.where(Patrol.updated_at >= since)
    values = {"cursor": (started - OVERLAP).isoformat(), "cards": phone_cards(user),
              "patrols": [verdict_of(p) for p in db.session.scalars(q.limit(MAX_VERDICTS))],
              "tasks": recheck_tasks(user), "categories": categories(user), "problems": reported_by(user),
              "basemap": basemaps.summary(basemaps.for_user(user))}
    return {k: values[k] for k in wire.CHANGES_FIELDS}


def categories(user: User) -> list[dict]:
    """The problem categories in force for this person (built-in, with the county's own)."""
    return [{"code": c["code"], "name": c["name"]} for c in categories_for(user) if c["active"]]


def recheck_tasks(user: User) -> list[dict]:
    """Every re-check (复核) and rectification (整改) waiting for this person, whole (a short list): the phone
    replaces its copy. ``kind`` says which."""
    out = []
    for case in waiting_rechecks(user):
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
            "after_photo_uuids": after, "recheck_radius_m": RECHECK_RADIUS_M, "kind": "recheck"})
    for case in waiting_rectifications(user):
        p, where = case.problem, to_shape(case.problem.location)
        out.append({
            "kind": "rectify", "case_no": case.case_no, "version": case.version, "status": case.status,
            "category": case.category, "category_label": PROBLEM_CATEGORIES.get(case.category, (case.category,))[0],
            "description": p.description, "lon": where.x, "lat": where.y, "reported_at": p.reported_at.isoformat(),
            "deadline": case.deadline.isoformat() if case.deadline else None, "rectify_note": "",
            "before_photo_uuids": [ph.uuid for ph in photos_of(p)], "after_photo_uuids": []})
    return out


