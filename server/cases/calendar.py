"""Working days (工作日) on the Asia/Shanghai calendar: weekends off, public holidays off, and the
make-up working days (调休) that fall on weekends on. Admins keep the calendar (``CalendarDay``)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from ..extensions import db
from ..grids.models import OrgUnit, path_codes
from .models import CalendarDay


def special_days(first: dt.date, last: dt.date, path: str) -> dict[dt.date, str]:
    """Holidays and make-up working days between two dates for a grid at ``path`` (the nearest scope's
    entry for a day wins): {day: 'holiday' | 'workday'}."""
    codes = path_codes(path)
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.kind).join(OrgUnit, OrgUnit.id == CalendarDay.org_unit_id)
        .where(CalendarDay.day >= first, CalendarDay.day <= last, OrgUnit.code.in_(codes))
        .order_by(func.length(OrgUnit.path))).all()
    return dict(rows)


def is_working_day(day: dt.date, special: dict[dt.date, str]) -> bool:
    if day in special:
        return special[day] == "workday"
    return day.weekday() < 5


def add_working_days(start: dt.date, n: int, path: str) -> dt.date:
    """The ``n``-th working day after ``start`` (the day of assignment itself does not count)."""
    special = special_days(start, start + dt.timedelta(days=n * 3 + 60), path)
    day, left = start, n
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, special):
            left -= 1
    return day


def working_days_between(first: dt.date, last: dt.date, path: str) -> int:
    """Working days after ``first`` up to and including ``last`` (0 when last <= first)."""
    if last <= first:
        return 0
    special = special_days(first, last, path)
    return sum(1 for k in range(1, (last - first).days + 1) if is_working_day(first + dt.timedelta(days=k), special))
