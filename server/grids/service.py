"""Queries over grids and segments, scoped to the caller; which grid holds a place."""
from geoalchemy2 import functions as gfunc
from sqlalchemy import func, select

from ..audit import service as audit
from ..auth.models import User
from ..errors import NotFound
from ..extensions import db
from .models import OrgUnit, RiverSegment, path_codes
from .scope import scope_path

ROUTING_LEVEL = "county"  # problems are routed within the reporter's county, never across counties


def segments_in_scope(user: User):
    path = scope_path(user)
    q = select(RiverSegment).order_by(RiverSegment.code)
    if path is None:
        from ..cards.models import ResponsibilityCard, card_segments

        mine = (select(card_segments.c.segment_id)
                .join(ResponsibilityCard, ResponsibilityCard.id == card_segments.c.card_id)
                .where(ResponsibilityCard.inspector_id == user.id))
        return q.where(RiverSegment.id.in_(mine))
    return q.join(OrgUnit, OrgUnit.id == RiverSegment.grid_id).where(OrgUnit.path.startswith(path, autoescape=True))


def county_of(unit: OrgUnit) -> OrgUnit:
    """The county ``unit`` belongs to: its ancestor (or itself) at the county level, from its path;
    the root of its path where no unit on it is a county (a deployment without that level)."""
    codes = path_codes(unit.path)
    chain = {u.code: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)))}
    return next((chain[c] for c in codes if c in chain and chain[c].level == ROUTING_LEVEL),
                chain.get(codes[0], unit))


def deepest_holding(within: OrgUnit, lon: float, lat: float) -> OrgUnit | None:
    """The deepest grid under ``within`` (or itself) whose boundary holds the point, and whose every
    ancestor below ``within`` holds it too: a grid reaching past its parent gets nothing there.
    Depth is the number of levels on the path; between equals (siblings overlapping within the
    import's tolerance) the older grid keeps the place."""
    point = func.ST_GeomFromText(f"POINT({float(lon)!r} {float(lat)!r})", 4326)
    holding = db.session.scalars(select(OrgUnit).where(
        OrgUnit.boundary.is_not(None), OrgUnit.path.startswith(within.path, autoescape=True),
        gfunc.ST_Contains(OrgUnit.boundary, point))).all()
    codes = {u.code for u in holding}
    top = len(path_codes(within.path))
    fits = [u for u in holding if all(c in codes for c in path_codes(u.path)[top:])]
    return min(fits, key=lambda u: (-len(path_codes(u.path)), u.id), default=None)


def rename(actor: User, kind: str, id: int, name: str) -> OrgUnit | RiverSegment:
    """An administrator corrects the name of a grid or a segment in their scope (codes and shapes come
    by import); anything else is not found."""
    model = OrgUnit if kind == "grid" else RiverSegment
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(scope_path(actor), autoescape=True))
    row = db.session.scalar(select(model).where(model.id == id, (model.id if model is OrgUnit
                                                                 else model.grid_id).in_(under)))
    if row is None:
        raise NotFound()
    before, row.name = row.name, name
    db.session.flush()
    if before != name:
        audit.record(actor, f"{kind}.renamed", kind, row.id, scope_path=row.path if model is OrgUnit else row.grid.path,
                     before={"name": before}, after={"name": name})
    return row
