"""Which objects a caller may see, by the org units under them.

An inspector sees their own cards and records; a supervisor the grids under the unit they supervise; an
admin their county (the unit they administer, and below). A person holding several capabilities sees the
widest of them (a township chief who patrols and supervises sees the township). Objects outside scope answer 404 so that
nothing can be enumerated.
"""
from __future__ import annotations

from sqlalchemy import false, select

from shared_models.enums import Role

from ..auth.models import User
from ..errors import NotFound
from ..extensions import db
from .models import OrgUnit

MANAGING = (Role.ADMIN, Role.SUPERVISOR)


def scope_unit(user: User) -> OrgUnit | None:
    """The widest org unit a supervisor or admin manages; None for an inspector."""
    units = [g.org_unit for g in user.grants if g.role in MANAGING]
    return min(units, key=lambda u: len(u.path)) if units else None


def scope_path(user: User) -> str | None:
    """The org-unit path prefix a supervisor or admin may see; None for an inspector."""
    unit = scope_unit(user)
    return unit.path if unit is not None else None


def admin_path(user: User) -> str | None:
    """The county an admin administers (None: not an admin)."""
    unit = user.unit_for(Role.ADMIN)
    return unit.path if unit is not None else None


def in_scope(user: User, unit: OrgUnit) -> bool:
    path = scope_path(user)
    return path is not None and unit.path.startswith(path)


def org_units_in_scope(user: User):
    """A select() of the org units this user may see."""
    path = scope_path(user)
    if path is None:
        from ..cards.models import ResponsibilityCard  # inspectors see the grids of their cards

        grid_ids = select(ResponsibilityCard.grid_id).where(ResponsibilityCard.inspector_id == user.id)
        return select(OrgUnit).where(OrgUnit.id.in_(grid_ids))
    return select(OrgUnit).where(OrgUnit.path.startswith(path, autoescape=True))


def under(path: str):
    """A select() of the ids of the org units at or below ``path``."""
    return select(OrgUnit.id).where(OrgUnit.path.startswith(path, autoescape=True))


def under_grid(grid_id: int):
    """The ids of a grid and everything below it (nothing when there is no such grid)."""
    grid = db.session.get(OrgUnit, grid_id)
    if grid is None:  # (not a path no unit has, such as "\0": PostgreSQL refuses NUL in text)
        return select(OrgUnit.id).where(false())
    return under(grid.path)


def get_or_404(query, ident: int):
    """Fetch one object of ``query`` (already filtered to the caller's scope) by id, or 404."""
    entity = query.column_descriptions[0]["entity"]
    obj = db.session.scalar(query.where(entity.id == ident))
    if obj is None:
        raise NotFound()
    return obj
