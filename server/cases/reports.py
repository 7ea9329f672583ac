"""Problem reports (上报): created once per client UUID, routed to the grid they fall in, each opening
its case."""
from __future__ import annotations

import datetime as dt

from shapely.geometry import Point
from sqlalchemy import select

from shared_models.clock import utcnow

from ..auth.models import User
from ..errors import ApiError
from ..extensions import db
from ..geo import to_db
from ..grids import service as grids
from ..grids.models import OrgUnit
from ..grids.scope import scope_path
from ..idempotency import body_hash, create_once
from ..patrols.models import Patrol
from .models import Problem
from .service import categories_for, open_case, severity_for

FUTURE_TOLERANCE = dt.timedelta(minutes=10)  # phone clocks drift; more than this is a wrong clock


def locate_grid(user: User, lon: float, lat: float) -> OrgUnit | None:
    """The grid a report at (lon, lat) goes to: the deepest that holds it in the reporter's own county."""
    return grids.deepest_holding(grids.county_of(user.org_unit), lon, lat)


def _check_patrol(user: User, patrol_uuid) -> None:
    """A report names a patrol of its reporter's, or one not uploaded yet (the phone sends a report
    made during a patrol before the patrol itself, which is sent when it ends)."""
    if patrol_uuid is None:
        return
    owner = db.session.scalar(select(Patrol.inspector_id).where(Patrol.uuid == str(patrol_uuid)))
    if owner is not None and owner != user.id:
        raise ApiError("validation_error", 422, errors={"patrol_uuid": ["不是您本人的巡河 / not one of your patrols"]})


def report(user: User, data: dict) -> tuple[Problem, bool]:
    if data["reported_at"] > utcnow() + FUTURE_TOLERANCE:
        raise ApiError("validation_error", 422, errors={"reported_at": ["时间晚于当前时间 / in the future"]})
    digest = body_hash(data)
    category = next((c for c in categories_for(user) if c["code"] == data["category"] and c["active"]), None)
    if category is None:
        raise ApiError("validation_error", 422, errors={"category": ["未知的问题类别 / unknown category"]})
    data = {**data, "severity": severity_for(category, data.get("quantity"), data["severity"])}
    _check_patrol(user, data.get("patrol_uuid"))

    def build() -> Problem:
        grid = locate_grid(user, data["lon"], data["lat"]) or user.org_unit
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


def problems_of_patrol(patrol) -> list[Problem]:
    """The problems its inspector reported on the patrol (a report naming someone else's patrol is not
    one of them, even one stored before such reports were refused)."""
    return list(db.session.scalars(select(Problem).where(
        Problem.patrol_uuid == patrol.uuid, Problem.reporter_id == patrol.inspector_id).order_by(Problem.reported_at)))
