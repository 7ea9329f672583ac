"""A county's case settings: its working-day calendar (holidays, make-up days) and its own problem
categories and severity thresholds. Services: they flush, the caller's unit of work commits."""
from __future__ import annotations

from sqlalchemy import select

from shared_models.enums import PROBLEM_CATEGORIES

from ..auth.models import User
from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path
from ..schemas import View
from .models import CalendarDay, ProblemCategory

QUANTITIES = ("area_m2", "volume_m3", "length_m", "count")


def _unit_in_scope(user: User, unit_id: int) -> OrgUnit | None:
    unit = db.session.get(OrgUnit, unit_id)
    return unit if unit is not None and unit.path.startswith(scope_path(user)) else None


def calendar_for(user: User) -> list[CalendarDay]:
    """Holidays and make-up working days over the caller's org unit."""
    codes = user.org_unit.ancestor_codes
    return list(db.session.scalars(select(CalendarDay).join(OrgUnit, OrgUnit.id == CalendarDay.org_unit_id)
                                   .where(OrgUnit.code.in_(codes)).order_by(CalendarDay.day)))


def add_calendar_day(user: User, data: dict) -> CalendarDay:
    unit = _unit_in_scope(user, data["org_unit_id"])
    if unit is None:
        raise ApiError("case.invalid", 422, errors={"org_unit_id": "网格不存在或不在您的管辖范围 / not in your scope"})
    if db.session.scalar(select(CalendarDay.id).where(CalendarDay.org_unit_id == unit.id,
                                                      CalendarDay.day == data["day"])):
        raise ApiError("case.invalid", 422, errors={"day": "该日期已设置 / this day is already set"})
    day = CalendarDay(**data)
    db.session.add(day)
    db.session.flush()
    return day


def add_category(user: User, data: dict) -> View:
    """A county's own category, or its severity thresholds for a built-in one."""
    unit = _unit_in_scope(user, data["org_unit_id"])
    errors = {}
    if unit is None:
        errors["org_unit_id"] = "网格不存在或不在您的管辖范围 / not in your scope"
    elif db.session.scalar(select(ProblemCategory.id).where(ProblemCategory.org_unit_id == unit.id,
                                                           ProblemCategory.code == data["code"])):
        errors["code"] = "该类别已设置 / this category is already set here"
    t = data.get("thresholds")
    if t is not None and (t.get("quantity") not in QUANTITIES
                          or not all(isinstance(t.get(k), (int, float)) for k in ("serious", "major"))
                          or t["serious"] >= t["major"]):
        errors["thresholds"] = ("须给出计量(quantity)与较严重(serious)<重大(major)阈值 / give quantity and "
                                "serious < major")
    if errors:
        raise ApiError("case.invalid", 422, errors=errors)
    row = ProblemCategory(**data)
    db.session.add(row)
    db.session.flush()
    return View(row, builtin=row.code in PROBLEM_CATEGORIES)
