"""Problem reports: created once per client UUID, routed to the grid they fall in."""
from __future__ import annotations

import datetime as dt

from geoalchemy2 import functions as gfunc
from shapely.geometry import Point
from sqlalchemy import func, or_, select

from ..auth.models import User
from ..db import utcnow
from ..errors import ApiError
from ..extensions import db
from ..geo import to_db
from ..grids.models import OrgUnit
from ..idempotency import body_hash, create_once
from ..photos.models import Photo
from ..security import scope_path
from .models import Problem

FUTURE_TOLERANCE = dt.timedelta(minutes=10)  # phone clocks drift; more than this is a wrong clock


def locate_grid(lon: float, lat: float) -> OrgUnit | None:
    """The deepest grid whose boundary holds the point."""
    point = func.ST_GeomFromText(f"POINT({lon!r} {lat!r})", 4326)
    return db.session.scalar(
        select(OrgUnit).where(OrgUnit.boundary.is_not(None), gfunc.ST_Contains(OrgUnit.boundary, point))
        .order_by(func.length(OrgUnit.path).desc()).limit(1))


def report(user: User, data: dict) -> tuple[Problem, bool]:
    from ..cases.service import categories_for, open_case, severity_for

    if data["reported_at"] > utcnow() + FUTURE_TOLERANCE:
        raise ApiError("validation_error", 422, errors={"reported_at": ["时间晚于当前时间 / in the future"]})
    digest = body_hash(data)
    category = next((c for c in categories_for(user) if c["code"] == data["category"] and c["active"]), None)
    if category is None:
        raise ApiError("validation_error", 422, errors={"category": ["未知的问题类别 / unknown category"]})
    data = {**data, "severity": severity_for(category, data.get("quantity"), data["severity"])}

    def build() -> Problem:
        grid = locate_grid(data["lon"], data["lat"]) or user.org_unit
        problem = Problem(
            uuid=str(data["uuid"]), body_hash=digest, reporter_id=user.id, grid_id=grid.id,
            patrol_uuid=str(data["patrol_uuid"]) if data.get("patrol_uuid") else None,
            category=data["category"], severity=data["severity"], description=data.get("description", ""),
            location=to_db(Point(data["lon"], data["lat"])), accuracy_m=data.get("accuracy_m"),
            photo_uuids=[str(u) for u in data.get("photo_uuids", [])],
            reported_at=data["reported_at"].astimezone(dt.UTC),
        )
        problem.grid = grid
        open_case(problem)  # in the same transaction: no report without its case
        return problem

    problem, created = create_once(Problem, str(data["uuid"]), digest, build)
    if problem.reporter_id != user.id:
        raise ApiError("idempotency.conflict", 409, uuid=problem.uuid)
    return problem, created


def problems_in_scope(user: User):
    path = scope_path(user)
    q = select(Problem).order_by(Problem.reported_at.desc())
    if path is None:
        return q.where(Problem.reporter_id == user.id)
    return q.join(OrgUnit, OrgUnit.id == Problem.grid_id).where(OrgUnit.path.startswith(path, autoescape=True))


def photos_of(problem: Problem) -> list[Photo]:
    """Photos linked either way: the photo named the problem, or the problem named the photo."""
    return list(db.session.scalars(select(Photo).where(
        or_(Photo.problem_uuid == problem.uuid, Photo.uuid.in_(problem.photo_uuids or [])),
        Photo.owner_id == problem.reporter_id).order_by(Photo.created_at)))
