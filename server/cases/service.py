"""Cases: opened with each problem report, found by scope, listed for the ledger (问题台账)."""
from __future__ import annotations

import datetime as dt
import math

from geoalchemy2.shape import to_shape
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from shared_models.clock import LOCAL_TZ, local_midnight, local_today
from shared_models.enums import PROBLEM_CATEGORIES, SEVERITIES, Role

from ..audit import service as audit
from ..auth.models import User
from ..errors import NotFound
from ..exports import ExportFile
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path
from ..xlsx import MIME, workbook
from .models import Case, CaseEvent, Problem, ProblemCategory
from .workflow import GEOD, OPEN, STATUS_LABELS, policy_for


def open_case(problem: Problem) -> Case:
    """The case of a new report (in the report's own transaction), linked to a possible duplicate."""
    grid = problem.grid or db.session.get(OrgUnit, problem.grid_id)
    day = problem.reported_at.astimezone(LOCAL_TZ)
    case = Case(case_no=_case_no(day.date(), problem.uuid), problem=problem, grid=grid, status="reported",
                category=problem.category, severity=problem.severity)
    case.possible_duplicate_of = possible_duplicate(problem, grid)
    case.events.append(CaseEvent(action="report", from_status="reported", to_status="reported",
                                 actor_id=problem.reporter_id, client_at=problem.reported_at,
                                 lon=to_shape(problem.location).x if problem.location is not None else None,
                                 lat=to_shape(problem.location).y if problem.location is not None else None,
                                 note=problem.description, evidence={"photo_uuids": problem.photo_uuids or []},
                                 base_version=None))
    db.session.add(case)
    return case


def _case_no(day: dt.date, uuid: str) -> str:
    """W + the report's day + 48 bits of the phone's UUID: readable. The UUID is the phone's choice, so
    a number already taken (by chance or on purpose) takes more of it, up to the whole, which is unique."""
    digits = uuid.replace("-", "").upper()
    for n in (12, 16, 20, 32):
        case_no = f"W{day:%Y%m%d}-{digits[:n]}"
        if n == 32 or db.session.scalar(select(Case.id).where(Case.case_no == case_no)) is None:
            return case_no
    raise AssertionError("unreachable")


def possible_duplicate(problem: Problem, grid: OrgUnit) -> Case | None:
    """An open case of the same category within the county's distance and days of this report."""
    policy = policy_for(grid, local_today())
    radius, days = policy["duplicate_radius_m"], policy["duplicate_days"]
    point = to_shape(problem.location)
    dlat = radius / 111_000
    dlon = radius / (111_000 * max(math.cos(math.radians(point.y)), 0.01))
    since = problem.reported_at - dt.timedelta(days=days)
    candidates = db.session.execute(
        select(Case, Problem.location).join(Problem, Problem.id == Case.problem_id).where(
            Case.status.in_(OPEN), Case.category == problem.category, Problem.reported_at >= since,
            Problem.reported_at <= problem.reported_at + dt.timedelta(days=days),
            Problem.location.ST_Intersects(_box(point.x - dlon, point.y - dlat, point.x + dlon, point.y + dlat)))
        .order_by(Problem.reported_at)).all()
    for case, location in candidates:
        other = to_shape(location)
        if GEOD.inv(point.x, point.y, other.x, other.y)[2] <= radius:
            return case
    return None


def _box(minx, miny, maxx, maxy):
    from sqlalchemy import func

    return func.ST_GeomFromText(f"POLYGON(({minx} {miny},{maxx} {miny},{maxx} {maxy},{minx} {maxy},{minx} {miny}))",
                                4326)


def cases_in_scope(user: User):
    """Managers: cases in their org unit's grids. Everyone: cases they reported, must fix or re-check, and a
    unit's staff the cases assigned to their unit."""
    mine = or_(Case.assignee_id == user.id, Case.rechecker_id == user.id, Problem.reporter_id == user.id,
               *_units_cases(user))
    q = select(Case).join(Problem, Problem.id == Case.problem_id).join(OrgUnit, OrgUnit.id == Case.grid_id)
    path = scope_path(user)
    if path is not None:
        return q.where(or_(OrgUnit.path.startswith(path, autoescape=True), mine))
    return q.where(mine)


def _units_cases(user: User) -> list:
    unit = user.unit_for(Role.DEPARTMENT)
    return [Case.assignee_unit_id == unit.id] if unit is not None else []


def get_case(user: User, case_no: str) -> Case:
    case = db.session.scalar(cases_in_scope(user).where(Case.case_no == case_no))
    if case is None:
        raise NotFound()
    return case


def search(user: User, args: dict) -> list[Case]:
    q = cases_in_scope(user)
    if args.get("status"):
        q = q.where(Case.status == args["status"])
    if args.get("overdue") is not None:
        q = q.where(Case.overdue.is_(args["overdue"]))
    if args.get("needs_review") is not None:
        q = q.where(Case.needs_review.is_(args["needs_review"]))
    if args.get("mine"):
        q = q.where(or_(Case.assignee_id == user.id, Case.rechecker_id == user.id, *_units_cases(user)))
    return list(db.session.scalars(q.order_by(Case.id.desc()).limit(args.get("limit", 200))
                                   .offset(args.get("offset", 0))))


def recheck_tasks(user: User) -> list[Case]:
    """What the phone must re-check on site (it syncs them and works on them offline)."""
    return list(db.session.scalars(select(Case).where(Case.rechecker_id == user.id, Case.status == "rectified")
                                   .order_by(Case.id)))


def rectify_tasks(user: User) -> list[Case]:
    """What the phone's user must fix (整改), as the case's responsible person or for their unit (a department's
    field staff): assigned or being fixed."""
    return list(db.session.scalars(select(Case).where(or_(Case.assignee_id == user.id, *_units_cases(user)),
                                                      Case.status.in_(("assigned", "rectifying")))
                                   .order_by(Case.id)))


MY_PROBLEMS = 50  # the phone lists the latest; the console has them all


def reported_by(user: User) -> list[dict]:
    """The person's own latest reports and where each case stands (the phone's 我上报的问题)."""
    rows = db.session.scalars(select(Problem).where(Problem.reporter_id == user.id).options(joinedload(Problem.case))
                              .order_by(Problem.reported_at.desc(), Problem.id.desc()).limit(MY_PROBLEMS))
    names = {c["code"]: c["name"] for c in categories_for(user)}
    return [{"uuid": p.uuid, "category": p.category, "category_label": names.get(p.category, "其他"),
             "description": p.description, "reported_at": p.reported_at.isoformat(),
             "status": p.case.status if p.case else "reported",
             "status_label": STATUS_LABELS[p.case.status if p.case else "reported"],
             "deadline": p.case.deadline.isoformat() if p.case and p.case.deadline else None} for p in rows]


def categories_for(user: User) -> list[dict]:
    """The built-in taxonomy, with the caller's county's own categories and thresholds over it."""
    codes = user.org_unit.ancestor_codes
    out = {code: {"code": code, "name": zh, "name_en": en, "thresholds": None, "builtin": True, "active": True}
           for code, (zh, en) in PROBLEM_CATEGORIES.items()}
    rows = db.session.scalars(select(ProblemCategory).join(OrgUnit, OrgUnit.id == ProblemCategory.org_unit_id)
                              .where(OrgUnit.code.in_(codes)).order_by(OrgUnit.path)).all()
    for row in rows:  # nearer scopes last: they win
        out[row.code] = {"code": row.code, "name": row.name, "name_en": row.name_en, "thresholds": row.thresholds,
                         "builtin": row.code in PROBLEM_CATEGORIES, "active": row.active, "id": row.id}
    return list(out.values())


def severity_for(category: dict, quantity: float | None, given: str) -> str:
    """A measured quantity decides the tier where the category has thresholds (e.g. 1,000 / 5,000 m2)."""
    t = category.get("thresholds")
    if not t or quantity is None:
        return given
    if t.get("major") is not None and quantity >= t["major"]:
        return "major"
    if t.get("serious") is not None and quantity >= t["serious"]:
        return "serious"
    return "general"


# ---------------------------------------------------------------- the ledger (问题台账)
EVENT_HEADERS = ["案件编号", "时间", "操作", "原状态", "新状态", "结果", "操作人", "经度", "纬度", "说明"]
LEDGER_HEADERS = ["案件编号", "上报时间", "问题类别", "严重程度", "所在网格", "经度", "纬度", "上报人",
                  "问题描述", "状态", "责任单位", "责任人", "交办日期", "整改期限", "是否超期", "督办级别",
                  "销号时间", "可能重复", "流转记录数"]


def ledger_rows(unit: OrgUnit, first: dt.date | None, last: dt.date | None) -> list[list]:
    """Every case in the unit's grids, by report time (one query, whatever the number of cases)."""
    steps = select(func.count(CaseEvent.id)).where(CaseEvent.case_id == Case.id).correlate(Case).scalar_subquery()
    q = (select(Case, steps).join(Problem, Problem.id == Case.problem_id).join(OrgUnit, OrgUnit.id == Case.grid_id)
         .where(OrgUnit.path.startswith(unit.path, autoescape=True))
         .options(contains_eager(Case.problem).joinedload(Problem.reporter), contains_eager(Case.grid),
                  joinedload(Case.assignee_unit), joinedload(Case.assignee), joinedload(Case.possible_duplicate_of)))
    if first:
        q = q.where(Problem.reported_at >= local_midnight(first))
    if last:
        q = q.where(Problem.reported_at < local_midnight(last + dt.timedelta(days=1)))
    rows = []
    for case, step_count in db.session.execute(q.order_by(Problem.reported_at, Case.id)):
        p, where = case.problem, to_shape(case.problem.location)
        category = PROBLEM_CATEGORIES.get(case.category, (case.category,))[0]
        rows.append([
            case.case_no, p.reported_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"), category,
            SEVERITIES.get(case.severity, (case.severity,))[0], case.grid.name, round(where.x, 6), round(where.y, 6),
            p.reporter.name, p.description, STATUS_LABELS[case.status],
            case.assignee_unit.name if case.assignee_unit else "", case.assignee.name if case.assignee else "",
            case.assigned_on.isoformat() if case.assigned_on else "",
            case.deadline.isoformat() if case.deadline else "",
            "是" if case.overdue else "否", case.escalation_level or "",
            case.closed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if case.closed_at else "",
            case.possible_duplicate_of.case_no if case.possible_duplicate_of else "", step_count])
    return rows


def ledger_xlsx(title: str, rows: list[list], events: list[list]) -> bytes:
    return workbook([("问题台账", title, LEDGER_HEADERS, rows), ("流转记录", None, EVENT_HEADERS, events)])


LEDGER_CHUNK = 500  # case numbers per query (SQLite takes at most 32,766 parameters)


def ledger_events(case_nos: list[str]) -> list[list]:
    """Every step of these cases, by case number, then in order."""
    from .workflow import ACTION_LABELS

    wanted, found = sorted(set(case_nos)), []
    for i in range(0, len(wanted), LEDGER_CHUNK):
        found.extend(db.session.execute(
            select(Case.case_no, CaseEvent.id, CaseEvent.at, CaseEvent.action, CaseEvent.from_status,
                   CaseEvent.to_status, CaseEvent.outcome, User.name, CaseEvent.lon, CaseEvent.lat, CaseEvent.note)
            .join(Case, Case.id == CaseEvent.case_id).outerjoin(User, User.id == CaseEvent.actor_id)
            .where(Case.case_no.in_(wanted[i:i + LEDGER_CHUNK]))))
    found.sort(key=lambda row: (row[0], row[1]))
    return [[case_no, at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"), ACTION_LABELS.get(action, action),
             STATUS_LABELS.get(source, ""), STATUS_LABELS.get(target, ""),
             "已生效" if outcome == "applied" else "过期待审", actor or "系统", lon, lat, note]
            for case_no, _, at, action, source, target, outcome, actor, lon, lat, note in found]


def reporter_cases_closed(scope_path: str, lo: dt.datetime, hi: dt.datetime) -> select:
    """For the scoring engine: problems a person found that were closed in the period."""
    return (select(Problem.reporter_id, Case.id).join(Case, Case.problem_id == Problem.id)
            .join(OrgUnit, OrgUnit.id == Case.grid_id)
            .where(and_(Case.closed_at >= lo, Case.closed_at < hi, OrgUnit.path.startswith(scope_path,
                                                                                            autoescape=True))))


def ledger_file(unit: OrgUnit, first: dt.date | None = None, last: dt.date | None = None,
                actor: User | None = None) -> ExportFile:
    """The ledger (问题台账) of the unit's cases reported from ``first`` to ``last``, every step with them; it names
    the reporters, so a person taking it away is kept in the log."""
    rows = ledger_rows(unit, first, last)
    if actor is not None:
        audit.record(actor, "ledger.exported", "export", f"ledger:{unit.code}", scope_path=unit.path,
                     after={"from": first, "to": last, "cases": len(rows)})
    return ExportFile(f"ledger-{unit.code}.xlsx", MIME,
                      ledger_xlsx(f"{unit.name} 问题台账", rows, ledger_events([r[0] for r in rows])), items=len(rows))

