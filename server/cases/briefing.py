"""Overdue cases (逾期案件) now, and the month's 通报 of overdue units: who let which cases run past their deadline,
by how many working days, with how many 督办单, ranked (the county's monthly briefing names the units).

A case counts in a month's 通报 when it was in work (交办 or 整改中) past its deadline on some day of the month:
from the day after its deadline to the day it was rectified (整改完成), or to the month's end (or today) while it
is still in work. The 通报 is drawn from the cases as they are now: a case re-opened later shows its present
assignment.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from shared_models.clock import local_day, local_midnight, local_today
from shared_models.enums import PROBLEM_CATEGORIES

from ..errors import ApiError
from ..exports import ExportFile
from ..extensions import db
from ..grids.models import OrgUnit
from ..xlsx import MIME, workbook
from .calendar import working_days_between
from .models import Case, CaseEvent, EscalationNotice
from .workflow import WORKING

BRIEFING_HEADERS = ["名次", "责任单位（责任人）", "逾期案件数", "月末仍未整改", "最长逾期（工作日）", "本月督办单",
                    "案件编号"]
OVERDUE_HEADERS = ["案件编号", "问题类别", "所在网格", "责任单位（责任人）", "整改期限", "逾期（工作日）", "督办级别"]


def month_of(period: str) -> tuple[dt.date, dt.date]:
    """'2026-11' -> (1 Nov, 30 Nov)."""
    try:
        first = dt.date.fromisoformat(period + "-01")
    except ValueError:
        first = None
    if first is None or len(period) != 7 or not 2000 <= first.year <= 2100:
        raise ApiError("validation_error", 422, errors={"period": ["月份格式应为 YYYY-MM / a month as YYYY-MM"]})
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def _responsible(case: Case) -> str:
    if case.assignee_unit is not None:
        return case.assignee_unit.name + (f"（{case.assignee.name}）" if case.assignee else "")
    return f"{case.assignee.name}（{case.assignee.org_unit.name}）" if case.assignee else "—"


def _in(unit: OrgUnit):
    return (select(Case).join(OrgUnit, OrgUnit.id == Case.grid_id)
            .where(OrgUnit.path.startswith(unit.path, autoescape=True), Case.deadline.is_not(None))
            .options(joinedload(Case.assignee_unit), joinedload(Case.assignee), joinedload(Case.grid)))


def overdue_now(unit: OrgUnit, today: dt.date | None = None) -> list[dict]:
    """Every case in the unit's grids in work past its deadline, the latest first by working days late."""
    today = today or local_today()
    cases = db.session.scalars(_in(unit).where(Case.status.in_(WORKING), Case.deadline < today)).all()
    rows = [{"case_no": c.case_no, "category": PROBLEM_CATEGORIES.get(c.category, (c.category,))[0],
             "grid": c.grid.name, "responsible": _responsible(c), "deadline": c.deadline,
             "late_working_days": working_days_between(c.deadline, today, c.grid.path),
             "escalation_level": c.escalation_level} for c in cases]
    return sorted(rows, key=lambda r: (-r["late_working_days"], r["case_no"]))


def _rectified_on(case_ids: list[int]) -> dict[int, dt.date]:
    """The (Asia/Shanghai) day each case was last rectified (整改完成)."""
    rows = db.session.execute(select(CaseEvent.case_id, func.max(CaseEvent.at)).where(
        CaseEvent.case_id.in_(case_ids), CaseEvent.action == "rectify", CaseEvent.outcome == "applied")
        .group_by(CaseEvent.case_id)).all() if case_ids else []
    return {cid: local_day(at) for cid, at in rows}


def month_briefing(unit: OrgUnit, first: dt.date, last: dt.date, today: dt.date | None = None) -> dict:
    """The month's overdue units, ranked by overdue cases, then by the longest delay."""
    today = today or local_today()
    cases = db.session.scalars(_in(unit).where(Case.deadline < min(last, today))).all()
    done = _rectified_on([c.id for c in cases])
    notices = dict(db.session.execute(select(EscalationNotice.case_id, func.count()).where(
        EscalationNotice.case_id.in_([c.id for c in cases]), EscalationNotice.issued_at >= local_midnight(first),
        EscalationNotice.issued_at < local_midnight(last + dt.timedelta(days=1))).group_by(EscalationNotice.case_id))
        .all()) if cases else {}
    by_unit: dict[str, dict] = {}
    for case in cases:
        rectified = None if case.status in WORKING else done.get(case.id)
        if case.status not in WORKING and (rectified is None or rectified <= case.deadline):
            continue  # rectified in time (or never in work with this deadline)
        end = min(rectified, last) if rectified else min(last, today)
        if end < first:
            continue
        who = _responsible(case)
        row = by_unit.setdefault(who, {"responsible": who, "cases": [], "still_open": 0, "longest": 0, "notices": 0})
        row["cases"].append(case.case_no)
        row["still_open"] += int(rectified is None or rectified > last)
        row["longest"] = max(row["longest"], working_days_between(case.deadline, end, case.grid.path))
        row["notices"] += notices.get(case.id, 0)
    rows = sorted(by_unit.values(), key=lambda r: (-len(r["cases"]), -r["longest"], r["responsible"]))
    for rank, row in enumerate(rows, 1):
        row.update(rank=rank, overdue_cases=len(row["cases"]), cases=sorted(row["cases"]))
    return {"unit": unit.name, "first": first, "last": last, "units": rows,
            "overdue_cases": sum(r["overdue_cases"] for r in rows)}


def briefing_file(briefing: dict, period: str, overdue: list[dict]) -> ExportFile:
    """The 通报 as XLSX: the ranked units of the month, and the cases overdue now."""
    title = f"{briefing['unit']} {period} 逾期单位通报（共 {briefing['overdue_cases']} 件逾期）"
    units = [[r["rank"], r["responsible"], r["overdue_cases"], r["still_open"], r["longest"], r["notices"],
              "、".join(r["cases"])] for r in briefing["units"]]
    now = [[r["case_no"], r["category"], r["grid"], r["responsible"], r["deadline"].isoformat(),
            r["late_working_days"], r["escalation_level"] or ""] for r in overdue]
    return ExportFile(f"overdue-briefing-{period}.xlsx", MIME, workbook([
        ("逾期单位通报", title, BRIEFING_HEADERS, units), ("当前逾期案件", None, OVERDUE_HEADERS, now)]),
        items=len(units))
