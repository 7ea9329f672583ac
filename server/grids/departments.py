"""Departments (责任单位: 水务局、生态环境分局、城管局...) a county assigns cases to. Each is an org unit of the level
``department`` under the county, with no boundary (it holds no river); its staff act for it by the
``department`` capability held there. A township is a responsible unit too, as it is."""
from __future__ import annotations

from sqlalchemy import func, select

from ..audit import service as audit
from ..auth.models import User
from ..errors import ApiError
from ..extensions import db
from .models import OrgUnit
from .scope import admin_path, scope_path
from .service import county_of

LEVEL = "department"


def departments_in_scope(user: User):
    """The departments of the caller's county (anyone signed in there may name one)."""
    home = county_of(user.org_unit)
    return select(OrgUnit).where(OrgUnit.level == LEVEL, OrgUnit.parent_id == home.id).order_by(OrgUnit.code)


def create(actor: User, name: str) -> OrgUnit:
    county = db.session.scalar(select(OrgUnit).where(OrgUnit.path == admin_path(actor)))
    name = name.strip()
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.parent_id == county.id, OrgUnit.level == LEVEL,
                                                  OrgUnit.name == name)):
        raise ApiError("department.invalid", 422,
                       errors={"name": "本县已有同名的责任单位 / this county has one by that name"})
    n = db.session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.parent_id == county.id,
                                                                       OrgUnit.level == LEVEL))
    while True:
        n += 1
        code = f"{county.code}D{n:02d}"
        if not db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == code)):
            break
    unit = OrgUnit(code=code, name=name, level=LEVEL, path=f"{county.path}{code}/", parent=county, boundary=None)
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "department.created", "grid", unit.id, scope_path=scope_path(actor), after={
        "code": code, "name": name})
    return unit
